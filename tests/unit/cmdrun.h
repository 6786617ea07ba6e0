/* cmdrun — test helpers that run a generated command the way an agent would.
 *
 * upload_interpolate() reverses Buildkite's upload interpolation for text
 * in which the core escaped every `$` (buildkite/interpolate rules: `\\`
 * stays a pair, `\$` and `$$` are a `$`); any other `$` would be a variable
 * expansion, which generated commands must never contain: it returns NULL.
 * The stub functions create a directory of fake `nix-store`/`nix-build`
 * programs that record their argv (NUL-separated, one file per call,
 * numbered in call order); nix-store fails so that the nix-build fallback
 * runs; nix-build prints the path in $STUB_OUT (default /nonexistent).
 * When LK_REAL_EVAL is set, nix-build also evaluates `(<its -E arg>).ok`
 * with the real nix-instantiate into calls/<n>-eval.json.
 * Everything returned is the caller's to free. */
#ifndef LAZYKITE_TEST_CMDRUN_H
#define LAZYKITE_TEST_CMDRUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

static inline char *upload_interpolate(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; s[i];) {
        if (s[i] == '\\' && s[i + 1] == '\\') {
            sb_adds(&sb, "\\\\");
            i += 2;
        } else if ((s[i] == '\\' || s[i] == '$') && s[i + 1] == '$') {
            sb_addc(&sb, '$');
            i += 2;
        } else if (s[i] == '$' && s[i + 1]) {
            sb_release(&sb);
            return NULL;
        } else {
            sb_addc(&sb, s[i++]);
        }
    }
    return sb_detach(&sb);
}

static inline void write_exec(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    chmod(path, 0755);
}

#define STUB_RECORD                                                                 \
    "n=$(ls \"$STUB_DIR/calls\" | wc -l)\n"                                         \
    "f=\"$STUB_DIR/calls/$(printf %03d \"$n\")-$(basename \"$0\")\"\n"              \
    "for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$f\"\n"

/* A fresh stub directory; returns its path. */
static inline char *stub_dir_new(void)
{
    char *dir = xstrdup("/tmp/lk-stub-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char *bin = xasprintf("%s/bin", dir), *calls = xasprintf("%s/calls", dir);
    mkdir(bin, 0755);
    mkdir(calls, 0755);
    char *p = xasprintf("%s/nix-store", bin);
    write_exec(p, "#!/bin/sh\n" STUB_RECORD "exit 1\n");
    free(p);
    p = xasprintf("%s/nix-build", bin);
    write_exec(p, "#!/bin/sh\n" STUB_RECORD
                  "if [ -n \"${LK_REAL_EVAL:-}\" ]; then\n"
                  "  /usr/bin/nix-instantiate --eval --strict --json -E \"($2).ok\" > \"$f-eval.json\" 2>\"$f-eval.err\"\n"
                  "fi\n"
                  "echo \"${STUB_OUT:-/nonexistent}\"\n");
    free(p);
    free(bin);
    free(calls);
    return dir;
}

/* Run `script` with `bash -c` in `cwd` with the stubs first on PATH;
 * stdout goes to <dir>/stdout. Returns the exit status. */
static inline int stub_run(const char *dir, const char *cwd, const char *script)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *path = xasprintf("%s/bin:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        setenv("PATH", path, 1);
        setenv("STUB_DIR", dir, 1);
        /* Real Nix (when a stub calls it) as tests/lib/realnix.sh sets it up. */
        setenv("NIX_CONFIG", "substituters =\nsandbox = false\nbuild-users-group =\n", 0);
        char *out = xasprintf("%s/stdout", dir);
        if (!freopen(out, "w", stdout) || chdir(cwd) != 0)
            _exit(127);
        execl("/bin/bash", "bash", "-c", script, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The argv of call number `n` (0-based) if it was a call of `prog`, as a
 * NULL-terminated array (freed with argv_free), else NULL. */
static inline char **stub_call(const char *dir, int n, const char *prog)
{
    char *path = xasprintf("%s/calls/%03d-%s", dir, n, prog);
    char *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    int rc = file_read(path, &data, &len, &err);
    free(path);
    lk_error_clear(&err);
    if (rc != 0)
        return NULL;
    size_t n_args = 0;
    for (size_t i = 0; i < len; i++)
        n_args += data[i] == '\0';
    char **argv = xcalloc(n_args + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < len; i += strlen(data + i) + 1)
        argv[k++] = xstrdup(data + i);
    free(data);
    return argv;
}

static inline void argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static inline char *stub_file(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *data = NULL;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (file_read(path, &data, &len, &err) != 0)
        data = NULL;
    lk_error_clear(&err);
    free(path);
    return data;
}

#endif
