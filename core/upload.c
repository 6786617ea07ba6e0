/* upload — see upload.h. */
#include "upload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "program.h"
#include "strbuf.h"
#include "xalloc.h"

extern char **environ;

static const char CHUNK_INFIX[] = "-chunk-";

/* Whether `name` is one of `phase`'s chunk files: 1 with *n when it is
 * `<phase>-chunk-<n>.json` (n ≥ 1, no leading zero); -1 when it starts
 * `<phase>-chunk-` but is not that; 0 when it is another file. */
static int chunk_number(const char *name, const char *phase, size_t *n)
{
    size_t pl = strlen(phase);
    if (strncmp(name, phase, pl) != 0 || strncmp(name + pl, CHUNK_INFIX, sizeof CHUNK_INFIX - 1) != 0)
        return 0;
    const char *digits = name + pl + sizeof CHUNK_INFIX - 1, *p = digits;
    *n = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (*n > (SIZE_MAX - 9) / 10)
            return -1;
        *n = *n * 10 + (size_t)(*p - '0');
    }
    return p > digits && *digits != '0' && !strcmp(p, ".json") ? 1 : -1;
}

static char *dir_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    return xasprintf("%s%s%s", dir, !dl || dir[dl - 1] == '/' ? "" : "/", name);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* One phase's chunk numbers, sorted, into nums (as many as names); their
 * count, or -1 with err. `names` is sorted, so the first bad one is
 * reported whatever order the directory listed them in. */
static long phase_numbers(const char *dir, const char *const *names, size_t n_names,
                          const char *phase, size_t *nums, struct lk_error *err)
{
    size_t count = 0;
    for (size_t i = 0; i < n_names; i++) {
        size_t n;
        int r = chunk_number(names[i], phase, &n);
        if (r < 0) {
            char *path = dir_join(dir, names[i]);
            lk_bad_input(err, path, NULL, "not a chunk name: expected %s-chunk-<n>.json, n a number "
                                         "from 1 without leading zeros", phase);
            free(path);
            return -1;
        }
        if (r > 0)
            nums[count++] = n;
    }
    qsort(nums, count, sizeof *nums, cmp_size);
    for (size_t k = 0; k < count; k++) {
        if (nums[k] == k + 1)
            continue;
        bool twice = k > 0 && nums[k] == nums[k - 1]; /* (not from a directory) */
        char *name = xasprintf("%s%s%zu.json", phase, CHUNK_INFIX, twice ? nums[k] : k + 1);
        char *path = dir_join(dir, name);
        if (twice)
            lk_bad_input(err, path, NULL, "listed twice");
        else
            lk_bad_input(err, path, NULL, "no such chunk, but %s%s%zu.json exists (a phase's chunks "
                                         "are numbered from 1 without a gap)", phase, CHUNK_INFIX, nums[k]);
        free(path);
        free(name);
        return -1;
    }
    return (long)count;
}

int upload_order(const char *dir, const char *const *names, size_t n_names,
                 const char *const *phases, size_t n_phases, struct upload_plan *plan,
                 struct lk_error *err)
{
    memset(plan, 0, sizeof *plan);
    plan->n_phases = n_phases;
    plan->phase_chunks = xcalloc(n_phases + 1, sizeof *plan->phase_chunks);
    plan->phase_steps = xcalloc(n_phases + 1, sizeof *plan->phase_steps);
    const char **sorted = xcalloc(n_names + 1, sizeof *sorted);
    if (n_names)
        memcpy(sorted, names, n_names * sizeof *names);
    qsort(sorted, n_names, sizeof *sorted, strv_cmp);
    size_t *nums = xcalloc(n_names + 1, sizeof *nums);
    /* The chunks in generation order (phases as given, numbers 1..count),
     * then the whole sequence reversed. */
    size_t total = 0, alloc = 0;
    long count = 0;
    for (size_t i = 0; i < n_phases && count >= 0; i++) {
        count = phase_numbers(dir, sorted, n_names, phases[i], nums, err);
        for (long k = 0; k < count; k++) {
            XGROW(plan->chunks, alloc, total + 1);
            plan->chunks[total++] = (struct upload_chunk){ NULL, i, (size_t)k + 1, 0 };
        }
        if (count > 0)
            plan->phase_chunks[i] = (size_t)count;
    }
    free(nums);
    free(sorted);
    if (count < 0) {
        upload_plan_free(plan); /* n_chunks is still 0: no path to free */
        return -1;
    }
    for (size_t a = 0, b = total; a + 1 < b; a++, b--) {
        struct upload_chunk t = plan->chunks[a];
        plan->chunks[a] = plan->chunks[b - 1];
        plan->chunks[b - 1] = t;
    }
    for (size_t k = 0; k < total; k++) {
        struct upload_chunk *c = &plan->chunks[k];
        char *name = xasprintf("%s%s%zu.json", phases[c->phase], CHUNK_INFIX, c->number);
        c->path = dir_join(dir, name);
        free(name);
    }
    plan->n_chunks = total;
    return 0;
}

int upload_count_steps(const char *path, const char *text, size_t len, size_t *steps,
                       struct lk_error *err)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char *place = xasprintf("%d:%d", je.line, je.column);
        lk_bad_input(err, path, place, "malformed JSON: %s", je.text);
        free(place);
        return -1;
    }
    json_t *s = json_object_get(root, "steps");
    int rc = 0;
    if (!json_is_array(s))
        rc = lk_bad_input(err, path, NULL, "not a pipeline chunk: expected a JSON object with a "
                                           "\"steps\" array");
    else
        *steps = json_array_size(s);
    json_decref(root);
    return rc;
}

/* The names in `dir` (caller frees each and the array). */
static int list_dir(const char *dir, char ***names, size_t *n, struct lk_error *err)
{
    *names = NULL;
    *n = 0;
    struct stat st;
    if (stat(dir, &st) != 0)
        return lk_fail_errno(err, LK_EXIT_INPUT, dir, "cannot read the chunk directory");
    if (!S_ISDIR(st.st_mode))
        return lk_bad_input(err, dir, NULL, "not a directory (expected the chunks lazykite generate wrote)");
    DIR *d = opendir(dir);
    if (!d)
        return lk_fail_errno(err, LK_EXIT_INPUT, dir, "cannot read the chunk directory");
    size_t alloc = 0;
    struct dirent *de;
    for (;;) {
        errno = 0;
        if (!(de = readdir(d)))
            break;
        XGROW(*names, alloc, *n + 1);
        (*names)[(*n)++] = xstrdup(de->d_name);
    }
    int e = errno;
    closedir(d);
    if (e) {
        errno = e;
        return lk_fail_errno(err, LK_EXIT_INPUT, dir, "cannot read the chunk directory");
    }
    return 0;
}

int upload_plan_read(const char *dir, const char *const *phases, size_t n_phases,
                     struct upload_plan *plan, struct lk_error *err)
{
    memset(plan, 0, sizeof *plan);
    char **names;
    size_t n_names;
    int rc = list_dir(dir, &names, &n_names, err);
    if (rc == 0)
        rc = upload_order(dir, (const char *const *)names, n_names, phases, n_phases, plan, err);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    /* In generation order, so the first bad chunk is the one reported. */
    for (size_t k = plan->n_chunks; rc == 0 && k-- > 0;) {
        struct upload_chunk *c = &plan->chunks[k];
        struct mapped_file f;
        rc = file_map(c->path, &f, err);
        if (rc == 0) {
            rc = upload_count_steps(c->path, f.data, f.len, &c->steps, err);
            file_unmap(&f);
        }
        plan->phase_steps[c->phase] += c->steps;
    }
    if (rc != 0)
        upload_plan_free(plan);
    return rc;
}

void upload_plan_free(struct upload_plan *plan)
{
    for (size_t k = 0; k < plan->n_chunks; k++)
        free(plan->chunks[k].path);
    free(plan->chunks);
    free(plan->phase_chunks);
    free(plan->phase_steps);
    memset(plan, 0, sizeof *plan);
}

/* One `<agent> pipeline upload <chunk>`, waited for. */
static int upload_one(const char *prog, const char *argv0, const char *chunk, struct lk_error *err)
{
    char *argv[] = { (char *)argv0, "pipeline", "upload", (char *)chunk, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid;
    int e = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return lk_fail(err, LK_EXIT_FAIL, chunk, NULL, "cannot run %s: %s", prog, strerror(e));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return lk_fail_errno(err, LK_EXIT_FAIL, chunk, "cannot wait for buildkite-agent");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return lk_fail(err, LK_EXIT_FAIL, chunk, NULL,
                       "buildkite-agent pipeline upload failed (killed by signal %d)", WTERMSIG(status));
    return lk_fail(err, LK_EXIT_FAIL, chunk, NULL, "buildkite-agent pipeline upload failed (exit status %d)",
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int upload_run(const struct upload_plan *plan, struct lk_error *err)
{
    if (plan->n_chunks == 0)
        return 0;
    const char *agent = getenv("BUILDKITE_AGENT_PATH");
    bool from_env = agent && *agent;
    if (!from_env)
        agent = "buildkite-agent";
    char *prog;
    int e = program_find(agent, &prog);
    if (e == ENOENT && !from_env)
        return lk_fail(err, LK_EXIT_FAIL, agent, NULL, "not found on PATH (BUILDKITE_AGENT_PATH may name it)");
    if (e != 0)
        return lk_fail(err, LK_EXIT_FAIL, agent, NULL, "cannot run the agent%s: %s",
                       from_env ? " (BUILDKITE_AGENT_PATH)" : "", strerror(e));
    int rc = 0;
    for (size_t k = 0; k < plan->n_chunks && rc == 0; k++)
        rc = upload_one(prog, agent, plan->chunks[k].path, err);
    free(prog);
    return rc;
}

int upload_dry_run(const struct upload_plan *plan, upload_render_fn *render, void *ctx, FILE *out,
                   struct lk_error *err)
{
    for (size_t k = 0; k < plan->n_chunks; k++) {
        const char *path = plan->chunks[k].path;
        char *text;
        size_t len;
        if (file_read(path, &text, &len, err) != 0)
            return -1;
        char *shown = render(ctx, path, text, len, err);
        free(text);
        if (!shown)
            return -1;
        fprintf(out, "# buildkite-agent pipeline upload %s\n%s", path, shown);
        free(shown);
    }
    return 0;
}
