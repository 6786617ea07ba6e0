/* eval — see eval.h. */
#include "eval.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "quote.h"
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

/* Nix's standard error as it comes: written through to ours, its first
 * `error:` line kept (for the one-line message). */
struct nix_stderr {
    struct strbuf line;  /* the line being read */
    char *first_error;   /* the first line starting with "error:", or NULL */
};

static void nix_stderr_feed(struct nix_stderr *ns, const char *data, size_t n)
{
    (void)!write(STDERR_FILENO, data, n);
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (ns->line.len < 4096)
                sb_addc(&ns->line, data[i]);
            continue;
        }
        if (!ns->first_error && !strncmp(sb_str(&ns->line), "error:", 6))
            ns->first_error = xstrdup(sb_str(&ns->line));
        sb_reset(&ns->line);
    }
}

/* Read stdout into *out and stderr through `ns` until both end. */
static int drain(int out_fd, int err_fd, struct strbuf *out, struct nix_stderr *ns)
{
    struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
    int open_fds = 2, read_errno = 0;
    char buf[8192];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n;
            if (k == 0) {
                sb_grow(out, 65536);
                n = read(fds[0].fd, out->buf + out->len, out->alloc - out->len - 1);
                if (n > 0) {
                    out->len += (size_t)n;
                    out->buf[out->len] = '\0';
                }
            } else {
                n = read(fds[1].fd, buf, sizeof buf);
                if (n > 0)
                    nix_stderr_feed(ns, buf, (size_t)n);
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && !read_errno)
                read_errno = errno;
            if (n <= 0) {
                fds[k].fd = -1;
                open_fds--;
            }
        }
    }
    return read_errno;
}

/* Run argv (argv[0] from PATH); its stdout into *out, its stderr through to
 * ours. -1 with err on failure (an evaluation error is bad input). */
static int run_capture(char *const argv[], const char *file, const char *what, struct strbuf *out,
                       struct lk_error *err)
{
    int ofd[2], efd[2];
    if (pipe2(ofd, O_CLOEXEC) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot create a pipe");
    if (pipe2(efd, O_CLOEXEC) != 0) {
        close(ofd[0]);
        close(ofd[1]);
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot create a pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, efd[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(ofd[1]);
    close(efd[1]);
    if (rc != 0) {
        close(ofd[0]);
        close(efd[0]);
        return lk_fail(err, LK_EXIT_FAIL, file, NULL, "cannot run %s: %s", argv[0], strerror(rc));
    }
    struct nix_stderr ns = { STRBUF_INIT, NULL };
    int read_errno = drain(ofd[0], efd[0], out, &ns);
    close(ofd[0]);
    close(efd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            sb_release(&ns.line);
            free(ns.first_error);
            return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot wait for nix-instantiate");
        }
    }
    char *cmd = command_line(argv);
    if (WIFSIGNALED(status))
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "%s was killed by signal %d", cmd, WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && ns.first_error)
        lk_bad_input(err, file, NULL, "evaluating %s: %s", what, ns.first_error);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "%s exited with status %d", cmd,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else if (read_errno)
        lk_fail(err, LK_EXIT_FAIL, file, NULL, "reading the output of %s: %s", cmd,
                strerror(read_errno));
    free(cmd);
    sb_release(&ns.line);
    free(ns.first_error);
    return err->status ? -1 : 0;
}

int eval_depot_manifest(const char *depot_dir, const struct eval_options *opts,
                        char **manifest_json, size_t *len, struct lk_error *err)
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
    char *nix_file = eval_manifest_nix_path(err);
    if (!nix_file) {
        free(abs);
        return -1;
    }
    /* The depot as a Nix path: a literal when it can be one, else built
     * from a string (any byte but NUL). */
    struct strbuf depot = STRBUF_INIT;
    if (is_path_literal(abs)) {
        sb_adds(&depot, abs);
    } else {
        sb_adds(&depot, "/. + ");
        quote_nix_string(&depot, abs);
    }
    const char *env = getenv("LAZYKITE_NIX_INSTANTIATE");
    const char *prog = opts->nix_instantiate ? opts->nix_instantiate
                       : env && *env         ? env
                                             : "nix-instantiate";
    const char *targets = opts->targets_attr ? opts->targets_attr : "ci.targets";
    char **argv = xcalloc(opts->n_extra + 16, sizeof *argv);
    size_t k = 0;
    argv[k++] = (char *)prog;
    for (size_t i = 0; i < opts->n_extra; i++)
        argv[k++] = (char *)opts->extra[i];
    const char *fixed[] = { "--eval", "--strict", "--json", "--read-write-mode", nix_file, "--arg",
                            "depot", depot.buf, "--argstr", "targetsAttr", targets };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[k++] = (char *)fixed[i];
    argv[k] = NULL;
    struct strbuf out = STRBUF_INIT;
    char *what = xasprintf("the depot's %s", targets);
    int rc = run_capture(argv, depot_dir, what, &out, err);
    free(what);
    free(argv);
    sb_release(&depot);
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
