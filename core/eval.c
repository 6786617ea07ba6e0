/* eval — see eval.h. */
#include "eval.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

#ifndef LAZYKITE_DATADIR
#define LAZYKITE_DATADIR "/usr/local/share/lazykite"
#endif

extern char **environ;

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* `<dir of the running binary>/<relative>`, if it is a file. */
static char *beside_binary(const char *relative)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char *candidate = xasprintf("%s/%s", exe, relative);
    char *found = is_file(candidate) ? realpath(candidate, NULL) : NULL;
    free(candidate);
    return found;
}

char *eval_manifest_nix_path(struct lk_error *err)
{
    const char *env = getenv("LAZYKITE_MANIFEST_NIX");
    if (env && *env) {
        if (is_file(env))
            return xstrdup(env);
        lk_fail(err, LK_EXIT_FAIL, env, NULL,
                "LAZYKITE_MANIFEST_NIX names no file (expected the path of manifest.nix)");
        return NULL;
    }
    /* A source tree (build/lazykite), then a relocated installation
     * (<prefix>/bin/lazykite), then the configured installation. */
    char *found = beside_binary("../core/nix/manifest.nix");
    if (!found)
        found = beside_binary("../share/lazykite/manifest.nix");
    if (found)
        return found;
    char *installed = xasprintf("%s/manifest.nix", LAZYKITE_DATADIR);
    if (is_file(installed))
        return installed;
    lk_fail(err, LK_EXIT_FAIL, installed, NULL,
            "cannot find manifest.nix (not beside the binary in a source tree, not installed "
            "here); set LAZYKITE_MANIFEST_NIX");
    free(installed);
    return NULL;
}

/* Can `path` be written as a Nix path literal (an absolute one)? */
static int is_path_literal(const char *path)
{
    if (path[0] != '/' || path[1] == '\0')
        return 0;
    for (const char *p = path; *p; p++) {
        if (*p == '/') {
            if (p[1] == '/' || p[1] == '\0')
                return 0;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("._+-", *p))) {
            return 0;
        }
    }
    return 1;
}

static char *command_line(char *const argv[])
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; argv[i]; i++)
        sb_addf(&sb, "%s%s", i ? " " : "", argv[i]);
    return sb_detach(&sb);
}

/* Run argv[0] from PATH; its stdout into *out. -1 with err on failure. */
static int run_capture(char *const argv[], const char *file, struct strbuf *out,
                       struct lk_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot create a pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return lk_fail(err, LK_EXIT_FAIL, file, NULL, "cannot run %s: %s", argv[0], strerror(rc));
    }
    int read_errno = 0;
    for (;;) {
        sb_grow(out, 65536);
        ssize_t n = read(fds[0], out->buf + out->len, out->alloc - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            read_errno = errno;
        if (n <= 0)
            break;
        out->len += (size_t)n;
        out->buf[out->len] = '\0';
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot wait for nix-instantiate");
    }
    char *cmd = command_line(argv);
    if (WIFSIGNALED(status))
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "%s was killed by signal %d", cmd, WTERMSIG(status));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "%s exited with status %d", cmd,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else if (read_errno)
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "reading the output of %s: %s", cmd,
                strerror(read_errno));
    free(cmd);
    return err->status ? -1 : 0;
}

int eval_depot_manifest(const char *depot_dir, const char *targets_attr, char **manifest_json,
                        size_t *len, struct lk_error *err)
{
    *manifest_json = NULL;
    *len = 0;
    char *abs = realpath(depot_dir, NULL);
    if (!abs)
        return lk_fail_errno(err, LK_EXIT_INPUT, depot_dir, "cannot resolve the depot directory");
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(abs);
        return lk_bad_input(err, depot_dir, NULL, "expected a depot directory");
    }
    if (!is_path_literal(abs)) {
        lk_bad_input(err, depot_dir, NULL,
                     "the depot's absolute path '%s' cannot be passed as a Nix path literal "
                     "(only letters, digits and ._+-/ are allowed)",
                     abs);
        free(abs);
        return -1;
    }
    char *nix_file = eval_manifest_nix_path(err);
    if (!nix_file) {
        free(abs);
        return -1;
    }
    char *argv[] = { "nix-instantiate", "--eval", "--strict", "--json", "--read-write-mode",
                     nix_file, "--arg", "depot", abs, "--argstr", "targetsAttr",
                     (char *)(targets_attr ? targets_attr : "ci.targets"), NULL };
    struct strbuf out = STRBUF_INIT;
    err->status = 0;
    int rc = run_capture(argv, depot_dir, &out, err);
    free(nix_file);
    free(abs);
    if (rc != 0) {
        sb_release(&out);
        return -1;
    }
    *len = out.len;
    *manifest_json = sb_detach(&out);
    return 0;
}
