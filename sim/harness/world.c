/* world — what the builds of one run share (see world.h). */
#include "harness/world.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "fileio.h"
#include "xalloc.h"

/* A token nobody can guess: 20 random bytes as hex. */
static char *new_token(void)
{
    unsigned char raw[20];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, raw, sizeof raw) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof raw) { /* no /dev/urandom: the time and the process, hashed */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char *seed = xasprintf("%lld.%ld.%d", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
        sha1_digest(seed, strlen(seed), raw);
        free(seed);
    }
    char *hex = xmalloc(2 * sizeof raw + 1);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    return hex;
}

int world_open(struct sim_world *w, const char *work, const char *pipeline_slug, enum bk_api_fault fault,
               struct lk_error *err)
{
    memset(w, 0, sizeof *w);
    w->store = xasprintf("%s/store", work);
    w->state = xasprintf("%s/state", work);
    w->bin = xasprintf("%s/bin", work);
    w->api_dir = xasprintf("%s/api", work);
    w->api_socket = xasprintf("%s/api.sock", w->api_dir);
    w->token = new_token();
    w->fault = fault;
    char *arts = xasprintf("%s/artifacts", work);
    const char *dirs[] = { w->store, w->state, arts, w->api_dir };
    int rc = 0;
    for (size_t i = 0; i < 4 && rc == 0; i++)
        rc = file_mkdir(dirs[i], "mkdir", err);
    w->artifacts = bk_artifacts_new(arts);
    free(arts);
    w->builds = bk_builds_new(SIM_ORG, pipeline_slug);
    if (rc == 0) {
        struct bk_rest_api_config cfg = { w->api_socket, w->token, w->builds, w->artifacts, fault, false };
        w->api = bk_rest_api_new(&cfg, err);
        if (!w->api)
            rc = -1;
    }
    return rc;
}

void world_close(struct sim_world *w)
{
    bk_rest_api_free(w->api);
    bk_builds_free(w->builds);
    bk_artifacts_free(w->artifacts);
    free(w->store);
    free(w->state);
    free(w->bin);
    free(w->api_dir);
    free(w->api_socket);
    free(w->token);
    memset(w, 0, sizeof *w);
}
