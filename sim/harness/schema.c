/* schema — see schema.h. */
#include "harness/schema.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/proc.h"
#include "strbuf.h"
#include "xalloc.h"

void schema_validate(const char *root, struct sim_observed *o, char **schema_path)
{
    /* $LAZYKITE_SCHEMA, else ../shared/buildkite/schema.json beside the tree */
    const char *env = getenv("LAZYKITE_SCHEMA");
    char *schema = env && *env ? xstrdup(env) : xasprintf("%s/../shared/buildkite/schema.json", root);
    char *real = realpath(schema, NULL);
    if (!real) {
        o->schema_note = xasprintf("the Buildkite schema %s is absent (set LAZYKITE_SCHEMA)", schema);
        free(schema);
        return;
    }
    free(schema);
    *schema_path = xstrdup(real);
    if (o->n_chunks == 0) {
        o->schema_note = xstrdup("no chunks were generated");
        free(real);
        return;
    }
    if (access("/usr/bin/python3", X_OK) < 0) {
        o->schema_note = xstrdup("/usr/bin/python3 is absent");
        free(real);
        return;
    }
    const char **argv = xcalloc(o->n_chunks + 5, sizeof(char *));
    char *script = xasprintf("%s/sim/harness/schemacheck.py", root);
    size_t k = 0;
    argv[k++] = "/usr/bin/python3";
    argv[k++] = script;
    argv[k++] = real;
    for (size_t i = 0; i < o->n_chunks; i++)
        argv[k++] = o->chunks[i].path;
    char *out = NULL;
    struct lk_error err = LK_ERROR_INIT;
    int st = proc_run(argv, NULL, NULL, &out, &err);
    if (st != 0) {
        o->schema_note = st < 0 ? lk_error_format(&err) : xasprintf("python3 failed: %s", out ? out : "");
    } else if (!strncmp(out, "UNAVAILABLE: ", 13)) {
        out[strcspn(out, "\n")] = '\0';
        o->schema_note = xstrdup(out + 13);
    } else {
        o->schema_state = 0;
        for (char *line = out; *line;) {
            size_t l = strcspn(line, "\n");
            char c = line[l];
            line[l] = '\0';
            if (l)
                strv_add(&o->schema_errors, &o->n_schema_errors, line);
            line += l + (c ? 1 : 0);
        }
        if (o->n_schema_errors)
            o->schema_state = 1;
        o->schema_note = xasprintf("validated against %s", real);
    }
    lk_error_clear(&err);
    free(out);
    free(argv);
    free(script);
    free(real);
}
