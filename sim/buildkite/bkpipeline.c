/* bkpipeline — see bkpipeline.h. YAML is first turned into the same jansson
 * tree as JSON, with a side table from JSON pointer to "line:column" so
 * that every later error can be placed in the YAML text. It is loaded with
 * nix/yamltree (as fixtures are), which stops at its nesting limit while
 * parsing: deep input costs no time. */
#include "buildkite/bkpipeline.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buildkite/interpolate.h"
#include "fileio.h"
#include "nix/yamltree.h"
#include "strbuf.h"
#include "xalloc.h"

#define YAML_NODE_BUDGET 1000000 /* nodes created from one document (alias bombs) */
#define YAML_MAX_DEPTH 200

struct loader {
    const char *file;
    json_t *marks; /* YAML only: pointer -> "line:column" */
    size_t budget;
    struct lk_error *err;
};

const char *bk_step_type_name(enum bk_step_type t)
{
    switch (t) {
    case BK_STEP_COMMAND: return "command";
    case BK_STEP_WAIT: return "wait";
    case BK_STEP_BLOCK: return "block";
    case BK_STEP_INPUT: return "input";
    case BK_STEP_TRIGGER: return "trigger";
    case BK_STEP_GROUP: return "group";
    }
    return "?";
}

/* The place of `ptr`: the nearest marked ancestor's line:column for YAML,
 * the pointer itself for JSON. Caller frees. */
static char *place_of(const struct loader *L, const char *ptr)
{
    if (!L->marks)
        return xstrdup(ptr);
    char *p = xstrdup(ptr);
    for (;;) {
        json_t *m = json_object_get(L->marks, p);
        if (m) {
            char *s = xstrdup(json_string_value(m));
            free(p);
            return s;
        }
        char *slash = strrchr(p, '/');
        if (!slash) {
            free(p);
            return xstrdup("1:1");
        }
        *slash = '\0';
    }
}

static int bad(struct loader *L, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct loader *L, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char *place = place_of(L, ptr);
    lk_bad_input(L->err, L->file, place, "%s", msg);
    free(place);
    free(msg);
    return -1;
}

/* ---- YAML -> jansson ---------------------------------------------------- */

static json_t *yaml_node(struct loader *L, const struct yamltree *doc, const struct ynode *node,
                         const char *ptr, int depth);

static int yaml_merge(struct loader *L, json_t *obj, json_t *src, const char *ptr)
{
    if (json_is_object(src)) {
        const char *k;
        json_t *v;
        json_object_foreach(src, k, v) {
            if (!json_object_get(obj, k))
                json_object_set(obj, k, v);
        }
        return 0;
    }
    if (json_is_array(src)) {
        size_t i;
        json_t *v;
        json_array_foreach(src, i, v) {
            if (!json_is_object(v))
                return bad(L, ptr, "expected a mapping or a list of mappings to merge with <<");
            if (yaml_merge(L, obj, v, ptr) < 0)
                return -1;
        }
        return 0;
    }
    return bad(L, ptr, "expected a mapping or a list of mappings to merge with <<");
}

static json_t *yaml_node(struct loader *L, const struct yamltree *doc, const struct ynode *node,
                         const char *ptr, int depth)
{
    char *mark = xasprintf("%lu:%lu", (unsigned long)node->start_mark.line + 1,
                           (unsigned long)node->start_mark.column + 1);
    if (!json_object_get(L->marks, ptr))
        json_object_set_new(L->marks, ptr, json_string(mark));
    free(mark);
    if (depth > YAML_MAX_DEPTH) {
        bad(L, ptr, "expected at most %d levels of nesting", YAML_MAX_DEPTH);
        return NULL;
    }
    if (L->budget-- == 0) {
        bad(L, ptr, "expected at most %d YAML nodes (after expanding aliases)", YAML_NODE_BUDGET);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = node->scalar.value;
        size_t n = node->scalar.length;
        if (strlen(s) != n) {
            bad(L, ptr, "expected a string without NUL characters");
            return NULL;
        }
        /* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
        struct yscalar sv;
        switch (yamltree_resolve(node, &sv)) {
        case YSCALAR_NULL: return json_null();
        case YSCALAR_BOOL: return json_boolean(sv.boolean);
        case YSCALAR_INT: return json_integer(sv.integer);
        case YSCALAR_FLOAT:
            if (!isfinite(sv.real)) { /* JSON has no infinity or NaN */
                bad(L, ptr, "expected a number JSON can hold, got %s", s);
                return NULL;
            }
            return json_real(sv.real);
        case YSCALAR_STRING: break;
        }
        json_t *v = json_stringn(s, n);
        if (!v)
            bad(L, ptr, "expected valid UTF-8 text");
        return v;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        size_t i = 0;
        for (const size_t *it = node->items.start; it < node->items.top; it++, i++) {
            char *cp = lk_pointer_index(ptr, i);
            json_t *v = yaml_node(L, doc, &doc->nodes[*it], cp, depth + 1);
            free(cp);
            if (!v) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    case YAML_MAPPING_NODE: {
        json_t *obj = json_object();
        json_t *merges = json_array();
        for (const struct ynode_pair *pr = node->pairs.start; pr < node->pairs.top; pr++) {
            const struct ynode *kn = &doc->nodes[pr->key];
            const struct ynode *vn = &doc->nodes[pr->value];
            if (kn->type != YAML_SCALAR_NODE) {
                char *m = xasprintf("%lu:%lu", (unsigned long)kn->start_mark.line + 1,
                                    (unsigned long)kn->start_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected a scalar mapping key");
                free(m);
                goto fail;
            }
            const char *key = kn->scalar.value;
            if (strlen(key) != kn->scalar.length) {
                bad(L, ptr, "expected a mapping key without NUL characters");
                goto fail;
            }
            char *cp = lk_pointer_join(ptr, key);
            if (!strcmp(key, "<<") && kn->scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                json_t *v = yaml_node(L, doc, vn, cp, depth + 1);
                if (!v) {
                    free(cp);
                    goto fail;
                }
                json_array_append_new(merges, v);
                free(cp);
                continue;
            }
            if (json_object_get(obj, key)) {
                char *m = xasprintf("%lu:%lu", (unsigned long)kn->start_mark.line + 1,
                                    (unsigned long)kn->start_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected unique mapping keys, \"%s\" is repeated", key);
                free(m);
                free(cp);
                goto fail;
            }
            json_t *v = yaml_node(L, doc, vn, cp, depth + 1);
            if (!v) {
                free(cp);
                goto fail;
            }
            if (json_object_set_new(obj, key, v) < 0) { /* v is released */
                bad(L, cp, "expected a valid UTF-8 key");
                free(cp);
                goto fail;
            }
            free(cp);
        }
        size_t i;
        json_t *m;
        json_array_foreach(merges, i, m) {
            if (yaml_merge(L, obj, m, ptr) < 0)
                goto fail;
        }
        json_decref(merges);
        return obj;
    fail:
        json_decref(merges);
        json_decref(obj);
        return NULL;
    }
    default:
        bad(L, ptr, "expected a YAML value");
        return NULL;
    }
}

static json_t *load_yaml(struct loader *L, const char *text, size_t len)
{
    yaml_parser_t parser;
    struct yamltree doc;
    if (!yaml_parser_initialize(&parser)) {
        lk_fail(L->err, LK_EXIT_FAIL, L->file, NULL, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    json_t *root = NULL;
    if (!yamltree_load(&parser, &doc)) {
        char *m = xasprintf("%lu:%lu", (unsigned long)parser.problem_mark.line + 1,
                            (unsigned long)parser.problem_mark.column + 1);
        lk_bad_input(L->err, L->file, m, "expected valid YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        free(m);
        yamltree_free(&doc);
        yaml_parser_delete(&parser);
        return NULL;
    }
    const struct ynode *top = doc.root;
    if (!top) {
        lk_bad_input(L->err, L->file, "1:1", "expected a pipeline, the document is empty");
    } else {
        L->marks = json_object();
        L->budget = YAML_NODE_BUDGET;
        root = yaml_node(L, &doc, top, "", 0);
        if (root) {
            /* a second document is not a pipeline */
            struct yamltree next;
            if (!yamltree_load(&parser, &next)) {
                char *m = xasprintf("%lu:%lu", (unsigned long)parser.problem_mark.line + 1,
                                    (unsigned long)parser.problem_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected valid YAML: %s",
                             parser.problem ? parser.problem : "syntax error");
                free(m);
                json_decref(root);
                root = NULL;
            } else {
                if (next.root) {
                    lk_bad_input(L->err, L->file, NULL, "expected one YAML document, found more");
                    json_decref(root);
                    root = NULL;
                }
            }
            yamltree_free(&next);
        }
    }
    yamltree_free(&doc);
    yaml_parser_delete(&parser);
    return root;
}

static json_t *load_json(struct loader *L, const char *text, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        char *m = xasprintf("%d:%d", je.line, je.column);
        lk_bad_input(L->err, L->file, m, "expected valid JSON: %s", je.text);
        free(m);
    }
    return root;
}

/* ---- interpolation over the tree ------------------------------------- */

static json_t *interp_tree(struct loader *L, const struct bk_env *env, json_t *v, const char *ptr)
{
    struct lk_error ierr = LK_ERROR_INIT;
    if (json_is_string(v)) {
        char *out;
        if (bk_interpolate(env, json_string_value(v), &out, &ierr) < 0) {
            bad(L, ptr, "interpolation failed: %s", ierr.msg);
            lk_error_clear(&ierr);
            return NULL;
        }
        json_t *s = json_string(out);
        free(out);
        if (!s)
            bad(L, ptr, "interpolation produced invalid UTF-8");
        return s;
    }
    if (json_is_array(v)) {
        json_t *arr = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char *cp = lk_pointer_index(ptr, i);
            json_t *n = interp_tree(L, env, e, cp);
            free(cp);
            if (!n) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, n);
        }
        return arr;
    }
    if (json_is_object(v)) {
        json_t *obj = json_object();
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            char *cp = lk_pointer_join(ptr, k);
            char *nk;
            if (bk_interpolate(env, k, &nk, &ierr) < 0) {
                bad(L, cp, "interpolation of the key failed: %s", ierr.msg);
                lk_error_clear(&ierr);
                free(cp);
                json_decref(obj);
                return NULL;
            }
            json_t *n = interp_tree(L, env, e, cp);
            free(cp);
            if (!n) {
                free(nk);
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, nk, n);
            free(nk);
        }
        return obj;
    }
    return json_incref(v);
}

/* ---- the model ---------------------------------------------------------- */

static void step_release(struct bk_step *s)
{
    free(s->key);
    free(s->label);
    free(s->command);
    for (size_t i = 0; i < s->ndeps; i++)
        free(s->deps[i].key);
    free(s->deps);
    free(s->skip_reason);
    free(s->branches);
    free(s->soft_fail_statuses);
    bk_env_release(&s->env);
    free(s->concurrency_group);
    free(s->prompt);
    free(s->trigger);
    for (size_t i = 0; i < s->nsteps; i++)
        step_release(&s->steps[i]);
    free(s->steps);
    json_decref(s->raw);
    free(s->place);
}

void bk_pipeline_free(struct bk_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsteps; i++)
        step_release(&p->steps[i]);
    free(p->steps);
    bk_env_release(&p->env);
    json_decref(p->raw);
    free(p->file);
    free(p);
}

bool bk_step_soft_fails(const struct bk_step *step, int status)
{
    if (status == 0)
        return false;
    if (step->soft_fail_all)
        return true;
    for (size_t i = 0; i < step->nsoft_fail; i++)
        if (step->soft_fail_statuses[i] == status)
            return true;
    return false;
}

static const char *const ATTRS_COMMON[] = { "key", "id", "identifier", "label", "name", "depends_on",
                                            "allow_dependency_failure", "if", "type", NULL };
static const char *const ATTRS_COMMAND[] = {
    "command", "commands", "branches", "skip", "soft_fail", "timeout_in_minutes", "env", "agents",
    "concurrency", "concurrency_group", "concurrency_method", "cancel_on_build_failing",
    "parallelism", "retry", "artifact_paths", "plugins", "matrix", "notify", "priority", NULL };
static const char *const ATTRS_WAIT[] = { "wait", "waiter", "continue_on_failure", "branches", NULL };
static const char *const ATTRS_BLOCK[] = { "block", "prompt", "fields", "branches", "blocked_state",
                                           "allowed_teams", "skip", NULL };
static const char *const ATTRS_INPUT[] = { "input", "prompt", "fields", "branches", "blocked_state",
                                           "allowed_teams", "skip", NULL };
static const char *const ATTRS_TRIGGER[] = { "trigger", "build", "async", "branches", "skip",
                                             "soft_fail", NULL };
static const char *const ATTRS_GROUP[] = { "group", "steps", "skip", "notify", NULL };

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

/* A bool, or the strings "true"/"false" (Buildkite accepts both). */
static int get_bool(struct loader *L, json_t *obj, const char *name, const char *ptr, bool *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_string(v) && !strcmp(json_string_value(v), "true"))
        *out = true;
    else if (json_is_string(v) && !strcmp(json_string_value(v), "false"))
        *out = false;
    else
        rc = bad(L, cp, "expected true or false for \"%s\"", name);
    free(cp);
    return rc;
}

static int get_string(struct loader *L, json_t *obj, const char *name, const char *ptr, char **out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char *cp = lk_pointer_join(ptr, name);
        bad(L, cp, "expected a string for \"%s\"", name);
        free(cp);
        return -1;
    }
    free(*out);
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* A string, or a list of strings joined with `sep`. */
static int get_string_or_list(struct loader *L, json_t *obj, const char *name, const char *ptr,
                              const char *sep, char **out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    if (json_is_string(v)) {
        *out = xstrdup(json_string_value(v));
    } else if (json_is_array(v)) {
        struct strbuf sb = STRBUF_INIT;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                char *ep = lk_pointer_index(cp, i);
                rc = bad(L, ep, "expected a string in \"%s\"", name);
                free(ep);
                break;
            }
            if (i)
                sb_adds(&sb, sep);
            sb_adds(&sb, json_string_value(e));
        }
        if (rc == 0)
            *out = sb_detach(&sb);
        sb_release(&sb);
    } else {
        rc = bad(L, cp, "expected a string or a list of strings for \"%s\"", name);
    }
    free(cp);
    return rc;
}

static int get_int(struct loader *L, json_t *obj, const char *name, const char *ptr, long min,
                   long *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    long long n = 0;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v) && *json_string_value(v) &&
               strspn(json_string_value(v), "0123456789") == strlen(json_string_value(v)) &&
               strlen(json_string_value(v)) < 10) {
        n = atoll(json_string_value(v));
    } else {
        rc = bad(L, cp, "expected an integer for \"%s\"", name);
        free(cp);
        return rc;
    }
    if (n < min || n > INT_MAX)
        rc = bad(L, cp, "expected an integer from %ld to %d for \"%s\"", min, INT_MAX, name);
    else
        *out = (long)n;
    free(cp);
    return rc;
}

static int scalar_to_string(json_t *v, char **out)
{
    if (json_is_string(v))
        *out = xstrdup(json_string_value(v));
    else if (json_is_integer(v))
        *out = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        *out = xasprintf("%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        *out = xstrdup(json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

static int get_env(struct loader *L, json_t *obj, const char *name, const char *ptr,
                   struct bk_env *env)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    if (!json_is_object(v)) {
        bad(L, cp, "expected a mapping of environment variables for \"%s\"", name);
        free(cp);
        return -1;
    }
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        char *s;
        if (!*k || strchr(k, '=') || scalar_to_string(e, &s) < 0) {
            char *ep = lk_pointer_join(cp, k);
            bad(L, ep, *k && !strchr(k, '=') ? "expected a string, number or boolean value"
                                              : "expected a variable name without \"=\"");
            free(ep);
            free(cp);
            return -1;
        }
        bk_env_set(env, k, s);
        free(s);
    }
    free(cp);
    return 0;
}

static int get_depends_on(struct loader *L, json_t *obj, const char *ptr, struct bk_step *s)
{
    json_t *v = json_object_get(obj, "depends_on");
    if (!v)
        return 0;
    s->has_depends_on = true;
    if (json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, "depends_on");
    int rc = 0;
    json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
    if (!json_is_array(list)) {
        rc = bad(L, cp, "expected a key, a list of keys or a list of {step, allow_failure}");
    } else {
        size_t i;
        json_t *e;
        s->deps = xcalloc(json_array_size(list) + 1, sizeof(*s->deps));
        json_array_foreach(list, i, e) {
            char *ep = json_is_string(v) ? xstrdup(cp) : lk_pointer_index(cp, i);
            struct bk_dep d = { NULL, false };
            if (json_is_string(e)) {
                d.key = xstrdup(json_string_value(e));
            } else if (json_is_object(e)) {
                const char *k;
                json_t *x;
                json_object_foreach(e, k, x) {
                    if (strcmp(k, "step") && strcmp(k, "allow_failure")) {
                        char *xp = lk_pointer_join(ep, k);
                        rc = bad(L, xp, "expected only \"step\" and \"allow_failure\" in a dependency");
                        free(xp);
                        break;
                    }
                }
                if (rc == 0 && get_bool(L, e, "allow_failure", ep, &d.allow_failure) == 0) {
                    json_t *st = json_object_get(e, "step");
                    if (json_is_string(st))
                        d.key = xstrdup(json_string_value(st));
                    else
                        rc = bad(L, ep, "expected a \"step\" key string in the dependency");
                } else {
                    rc = -1;
                }
            } else {
                rc = bad(L, ep, "expected a step key or {step, allow_failure}");
            }
            free(ep);
            if (rc < 0)
                break;
            s->deps[s->ndeps++] = d;
        }
    }
    json_decref(list);
    free(cp);
    return rc;
}

static int get_soft_fail(struct loader *L, json_t *obj, const char *ptr, struct bk_step *s)
{
    json_t *v = json_object_get(obj, "soft_fail");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return get_bool(L, obj, "soft_fail", ptr, &s->soft_fail_all);
    char *cp = lk_pointer_join(ptr, "soft_fail");
    size_t i;
    json_t *e;
    s->soft_fail_statuses = xcalloc(json_array_size(v) + 1, sizeof(int));
    json_array_foreach(v, i, e) {
        char *ep = lk_pointer_index(cp, i);
        json_t *st = json_is_object(e) && json_object_size(e) == 1 ? json_object_get(e, "exit_status")
                                                                     : NULL;
        int rc = 0;
        if (json_is_string(st) && !strcmp(json_string_value(st), "*"))
            s->soft_fail_all = true;
        else if (json_is_integer(st) && json_integer_value(st) >= -255 && json_integer_value(st) <= 255)
            s->soft_fail_statuses[s->nsoft_fail++] = (int)json_integer_value(st);
        else
            rc = bad(L, ep, "expected {\"exit_status\": <integer> or \"*\"}");
        free(ep);
        if (rc < 0) {
            free(cp);
            return -1;
        }
    }
    free(cp);
    return 0;
}

static int get_key(struct loader *L, json_t *obj, const char *ptr, char **out)
{
    static const char *const names[] = { "key", "id", "identifier" };
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(obj, names[i]);
        if (!v || json_is_null(v))
            continue;
        char *cp = lk_pointer_join(ptr, names[i]);
        int rc = 0;
        if (!json_is_string(v))
            rc = bad(L, cp, "expected a string for \"%s\"", names[i]);
        else if (*out && strcmp(*out, json_string_value(v)))
            rc = bad(L, cp, "expected \"%s\" to equal the step's other key \"%s\"", names[i], *out);
        else if (!*out)
            *out = xstrdup(json_string_value(v));
        free(cp);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int load_step(struct loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                     const struct bk_env *pipeline_env);

static int step_type_of(struct loader *L, json_t *obj, const char *ptr, enum bk_step_type *t)
{
    static const struct { const char *key; enum bk_step_type t; } keys[] = {
        { "command", BK_STEP_COMMAND }, { "commands", BK_STEP_COMMAND }, { "wait", BK_STEP_WAIT },
        { "waiter", BK_STEP_WAIT },     { "block", BK_STEP_BLOCK },       { "input", BK_STEP_INPUT },
        { "trigger", BK_STEP_TRIGGER }, { "group", BK_STEP_GROUP },
    };
    int found = -1;
    const char *found_key = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!json_object_get(obj, keys[i].key))
            continue;
        if (found >= 0 && keys[found].t != keys[i].t)
            return bad(L, ptr, "expected one step type, found both \"%s\" and \"%s\"", found_key,
                       keys[i].key);
        found = (int)i;
        found_key = keys[i].key;
    }
    json_t *type = json_object_get(obj, "type");
    if (type) {
        static const struct { const char *name; enum bk_step_type t; } types[] = {
            { "command", BK_STEP_COMMAND }, { "script", BK_STEP_COMMAND }, { "wait", BK_STEP_WAIT },
            { "waiter", BK_STEP_WAIT },     { "block", BK_STEP_BLOCK },     { "manual", BK_STEP_BLOCK },
            { "input", BK_STEP_INPUT },     { "trigger", BK_STEP_TRIGGER }, { "group", BK_STEP_GROUP },
        };
        const char *tn = json_string_value(type);
        int tf = -1;
        for (size_t i = 0; tn && i < sizeof(types) / sizeof(types[0]); i++)
            if (!strcmp(tn, types[i].name))
                tf = (int)i;
        char *cp = lk_pointer_join(ptr, "type");
        int rc = 0;
        if (tf < 0)
            rc = bad(L, cp, "expected a step type (command, script, wait, waiter, block, manual, "
                            "input, trigger, group)");
        else if (found >= 0 && keys[found].t != types[tf].t)
            rc = bad(L, cp, "expected the type to agree with \"%s\"", found_key);
        free(cp);
        if (rc < 0)
            return -1;
        *t = types[tf].t;
        return 0;
    }
    if (found < 0)
        return bad(L, ptr, "expected a step: an object with one of command, commands, wait, block, "
                           "input, trigger or group");
    *t = keys[found].t;
    return 0;
}

static int load_group_steps(struct loader *L, json_t *obj, const char *ptr, struct bk_step *s,
                            const struct bk_env *pipeline_env)
{
    json_t *steps = json_object_get(obj, "steps");
    char *cp = lk_pointer_join(ptr, "steps");
    int rc = 0;
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        rc = bad(L, steps ? cp : ptr, "expected a non-empty list of steps in the group");
    } else {
        s->steps = xcalloc(json_array_size(steps), sizeof(*s->steps));
        size_t i;
        json_t *e;
        json_array_foreach(steps, i, e) {
            char *ep = lk_pointer_index(cp, i);
            rc = load_step(L, e, ep, true, &s->steps[s->nsteps], pipeline_env);
            free(ep);
            s->nsteps++; /* a partly loaded step is released with the group */
            if (rc < 0)
                break;
        }
    }
    free(cp);
    return rc;
}

static int load_step(struct loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                     const struct bk_env *pipeline_env)
{
    memset(s, 0, sizeof(*s));
    char *place = place_of(L, ptr);
    s->place = xasprintf("%s: %s", L->file, place);
    free(place);
    s->raw = json_incref(v);
    if (json_is_string(v)) {
        const char *n = json_string_value(v);
        if (!strcmp(n, "wait") || !strcmp(n, "waiter"))
            s->type = BK_STEP_WAIT;
        else if (!strcmp(n, "block"))
            s->type = BK_STEP_BLOCK, s->label = xstrdup("block");
        else if (!strcmp(n, "input"))
            s->type = BK_STEP_INPUT, s->label = xstrdup("input");
        else
            return bad(L, ptr, "expected a step: \"wait\", \"block\", \"input\" or an object");
        return 0;
    }
    if (!json_is_object(v))
        return bad(L, ptr, "expected a step (an object or \"wait\")");
    if (step_type_of(L, v, ptr, &s->type) < 0)
        return -1;
    const char *const *own = s->type == BK_STEP_COMMAND ? ATTRS_COMMAND
                             : s->type == BK_STEP_WAIT  ? ATTRS_WAIT
                             : s->type == BK_STEP_BLOCK ? ATTRS_BLOCK
                             : s->type == BK_STEP_INPUT ? ATTRS_INPUT
                             : s->type == BK_STEP_TRIGGER ? ATTRS_TRIGGER
                                                          : ATTRS_GROUP;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (in_list(ATTRS_COMMON, k) || in_list(own, k))
            continue;
        char *cp = lk_pointer_join(ptr, k);
        bad(L, cp, "unknown attribute \"%s\" for a %s step", k, bk_step_type_name(s->type));
        free(cp);
        return -1;
    }
    static const char *const unsupported[] = { "if", "matrix", "plugins", NULL };
    for (const char *const *u = unsupported; *u; u++) {
        if (json_object_get(v, *u)) {
            char *cp = lk_pointer_join(ptr, *u);
            bad(L, cp, "\"%s\" is not supported by the simulated Buildkite", *u);
            free(cp);
            return -1;
        }
    }
    if (s->type == BK_STEP_GROUP && in_group)
        return bad(L, ptr, "expected no group inside a group (groups cannot be nested)");
    if (get_key(L, v, ptr, &s->key) < 0 || get_string(L, v, "name", ptr, &s->label) < 0 ||
        get_string(L, v, "label", ptr, &s->label) < 0 || get_depends_on(L, v, ptr, s) < 0 ||
        get_bool(L, v, "allow_dependency_failure", ptr, &s->allow_dependency_failure) < 0 ||
        get_string_or_list(L, v, "branches", ptr, " ", &s->branches) < 0)
        return -1;
    json_t *skip = json_object_get(v, "skip");
    if (skip && json_is_string(skip) && strcmp(json_string_value(skip), "true") &&
        strcmp(json_string_value(skip), "false")) {
        s->skip = *json_string_value(skip) != '\0';
        s->skip_reason = s->skip ? xstrdup(json_string_value(skip)) : NULL;
    } else if (get_bool(L, v, "skip", ptr, &s->skip) < 0) {
        return -1;
    }
    switch (s->type) {
    case BK_STEP_COMMAND: {
        json_t *c = json_object_get(v, "command");
        json_t *cs = json_object_get(v, "commands");
        if (c && cs && !json_is_null(c) && !json_is_null(cs))
            return bad(L, ptr, "expected only one of \"command\" and \"commands\"");
        if (get_string_or_list(L, v, json_is_null(c) || !c ? "commands" : "command", ptr, "\n",
                               &s->command) < 0)
            return -1;
        if (!s->command)
            return bad(L, ptr, "expected a \"command\" or \"commands\" in the command step");
        long parallelism = 1;
        if (get_soft_fail(L, v, ptr, s) < 0 ||
            get_int(L, v, "timeout_in_minutes", ptr, 1, &s->timeout_in_minutes) < 0 ||
            get_int(L, v, "parallelism", ptr, 1, &parallelism) < 0 ||
            get_int(L, v, "concurrency", ptr, 1, &s->concurrency) < 0 ||
            get_string(L, v, "concurrency_group", ptr, &s->concurrency_group) < 0 ||
            get_bool(L, v, "cancel_on_build_failing", ptr, &s->cancel_on_build_failing) < 0)
            return -1;
        if (parallelism > 1) {
            char *cp = lk_pointer_join(ptr, "parallelism");
            bad(L, cp, "\"parallelism\" greater than 1 is not supported by the simulated Buildkite");
            free(cp);
            return -1;
        }
        if (!s->concurrency != !s->concurrency_group)
            return bad(L, ptr, "expected \"concurrency\" and \"concurrency_group\" together");
        bk_env_merge(&s->env, pipeline_env);
        if (get_env(L, v, "env", ptr, &s->env) < 0)
            return -1;
        json_t *ag = json_object_get(v, "agents");
        if (ag && !json_is_object(ag) && !json_is_array(ag) && !json_is_null(ag)) {
            char *cp = lk_pointer_join(ptr, "agents");
            bad(L, cp, "expected a mapping or a list of agent tags");
            free(cp);
            return -1;
        }
        break;
    }
    case BK_STEP_WAIT:
        if (get_bool(L, v, "continue_on_failure", ptr, &s->continue_on_failure) < 0)
            return -1;
        if (!s->label) {
            json_t *w = json_object_get(v, "wait");
            if (json_is_string(w))
                s->label = xstrdup(json_string_value(w));
            else if (w && !json_is_null(w))
                return bad(L, ptr, "expected a string or null for \"wait\"");
        }
        break;
    case BK_STEP_BLOCK:
    case BK_STEP_INPUT: {
        const char *name = s->type == BK_STEP_BLOCK ? "block" : "input";
        char *title = NULL;
        if (get_string(L, v, name, ptr, &title) < 0 || get_string(L, v, "prompt", ptr, &s->prompt) < 0) {
            free(title);
            return -1;
        }
        if (!s->label)
            s->label = title ? title : xstrdup(name);
        else
            free(title);
        json_t *f = json_object_get(v, "fields");
        if (f && !json_is_array(f) && !json_is_null(f)) {
            char *cp = lk_pointer_join(ptr, "fields");
            bad(L, cp, "expected a list of fields");
            free(cp);
            return -1;
        }
        break;
    }
    case BK_STEP_TRIGGER:
        if (get_string(L, v, "trigger", ptr, &s->trigger) < 0 || get_soft_fail(L, v, ptr, s) < 0)
            return -1;
        if (!s->trigger)
            return bad(L, ptr, "expected a pipeline slug string for \"trigger\"");
        break;
    case BK_STEP_GROUP:
        if (!s->label) {
            json_t *g = json_object_get(v, "group");
            if (json_is_string(g))
                s->label = xstrdup(json_string_value(g));
            else if (g && !json_is_null(g)) {
                char *cp = lk_pointer_join(ptr, "group");
                bad(L, cp, "expected a string or null for \"group\"");
                free(cp);
                return -1;
            }
        }
        if (load_group_steps(L, v, ptr, s, pipeline_env) < 0)
            return -1;
        break;
    }
    return 0;
}

static const char *const TOP_KEYS[] = { "steps", "env", "agents", "notify", "priority", NULL };

struct bk_pipeline *bk_pipeline_load(const char *file, const char *text, size_t len,
                                     const struct bk_load_options *opts, struct lk_error *err)
{
    struct loader L = { file, NULL, 0, err };
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    size_t fl = strlen(file);
    bool json = (fl >= 5 && !strcmp(file + fl - 5, ".json")) || (i < len && (text[i] == '{' || text[i] == '['));
    json_t *root = json ? load_json(&L, text, len) : load_yaml(&L, text, len);
    if (!root) {
        json_decref(L.marks);
        return NULL;
    }
    struct bk_pipeline *p = xcalloc(1, sizeof(*p));
    p->file = xstrdup(file);
    struct bk_env ienv = BK_ENV_INIT;
    json_t *steps = NULL;
    if (json_is_object(root)) {
        const char *k;
        json_t *x;
        json_object_foreach(root, k, x) {
            if (!in_list(TOP_KEYS, k)) {
                char *cp = lk_pointer_join("", k);
                bad(&L, cp, "unknown top-level key \"%s\" (expected steps, env, agents, notify, priority)", k);
                free(cp);
                goto fail;
            }
        }
        steps = json_object_get(root, "steps");
        if (!json_is_array(steps)) {
            bad(&L, steps ? "/steps" : "", "expected a list of steps under \"steps\"");
            goto fail;
        }
    } else if (!json_is_array(root)) {
        bad(&L, "", "expected a pipeline: a mapping with \"steps\" or a list of steps");
        goto fail;
    }
    if (opts && opts->interpolate) {
        bk_env_merge(&ienv, opts->env);
        json_t *penv = json_is_object(root) ? json_object_get(root, "env") : NULL;
        if (json_is_object(penv)) {
            const char *k;
            json_t *x;
            json_t *newenv = json_object();
            json_object_foreach(penv, k, x) {
                char *cp = lk_pointer_join("/env", k);
                char *nk = NULL, *nv = NULL;
                struct lk_error ierr = LK_ERROR_INIT;
                int rc = bk_interpolate(&ienv, k, &nk, &ierr);
                json_t *nx = rc == 0 ? interp_tree(&L, &ienv, x, cp) : NULL;
                if (rc < 0) {
                    bad(&L, cp, "interpolation of the key failed: %s", ierr.msg);
                    lk_error_clear(&ierr);
                }
                free(cp);
                if (!nx) {
                    free(nk);
                    json_decref(newenv);
                    goto fail;
                }
                if (scalar_to_string(nx, &nv) == 0) {
                    if (!bk_env_get(&ienv, nk))
                        bk_env_set(&ienv, nk, nv);
                    free(nv);
                }
                json_object_set_new(newenv, nk, nx);
                free(nk);
            }
            json_t *rest = json_object();
            json_object_foreach(root, k, x) {
                if (strcmp(k, "env"))
                    json_object_set(rest, k, x);
            }
            json_t *irest = interp_tree(&L, &ienv, rest, "");
            json_decref(rest);
            if (!irest) {
                json_decref(newenv);
                goto fail;
            }
            json_object_set_new(irest, "env", newenv);
            json_decref(root);
            root = irest;
        } else {
            json_t *n = interp_tree(&L, &ienv, root, "");
            if (!n)
                goto fail;
            json_decref(root);
            root = n;
        }
        steps = json_is_object(root) ? json_object_get(root, "steps") : root;
    } else if (!steps) {
        steps = root;
    }
    p->raw = root;
    root = NULL;
    if (json_is_object(p->raw) && get_env(&L, p->raw, "env", "", &p->env) < 0)
        goto fail;
    p->steps = xcalloc(json_array_size(steps) + 1, sizeof(*p->steps));
    const char *sbase = json_is_object(p->raw) ? "/steps" : "";
    size_t n;
    json_t *e;
    json_array_foreach(steps, n, e) {
        char *ep = lk_pointer_index(sbase, n);
        int rc = load_step(&L, e, ep, false, &p->steps[p->nsteps], &p->env);
        free(ep);
        p->nsteps++; /* a partly loaded step is released with the rest */
        if (rc < 0)
            goto fail;
    }
    bk_env_release(&ienv);
    json_decref(L.marks);
    return p;
fail:
    bk_env_release(&ienv);
    json_decref(root);
    json_decref(L.marks);
    bk_pipeline_free(p);
    return NULL;
}

struct bk_pipeline *bk_pipeline_load_file(const char *path, const struct bk_load_options *opts,
                                          struct lk_error *err)
{
    char *data;
    size_t len;
    if (file_read(path, &data, &len, err) < 0)
        return NULL;
    struct bk_pipeline *p = bk_pipeline_load(path, data, len, opts, err);
    free(data);
    return p;
}

/* ---- validation ------------------------------------------------------------ */

struct vnode {
    const struct bk_step *step;
    long parent; /* group node, or -1 */
    long *edges;
    size_t nedges, alloc;
    int state; /* 0 new, 1 on stack, 2 done */
    size_t next_edge;
};

static void add_edge(struct vnode *n, long to)
{
    XGROW(n->edges, n->alloc, n->nedges + 1);
    n->edges[n->nedges++] = to;
}

static long find_node(json_t *index, const char *key)
{
    json_t *v = json_object_get(index, key);
    return v ? (long)json_integer_value(v) : -1;
}

int bk_pipelines_validate(struct bk_pipeline *const *pipelines, size_t n, struct lk_error *err)
{
    struct vnode *nodes = NULL;
    size_t nn = 0, alloc = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < pipelines[i]->nsteps; j++) {
            const struct bk_step *s = &pipelines[i]->steps[j];
            XGROW(nodes, alloc, nn + 1 + s->nsteps);
            long g = (long)nn;
            nodes[nn++] = (struct vnode){ s, -1, NULL, 0, 0, 0, 0 };
            for (size_t k = 0; k < s->nsteps; k++)
                nodes[nn++] = (struct vnode){ &s->steps[k], g, NULL, 0, 0, 0, 0 };
        }
    }
    json_t *index = json_object();
    int rc = 0;
    for (size_t i = 0; i < nn && rc == 0; i++) {
        const struct bk_step *s = nodes[i].step;
        if (!s->key)
            continue;
        if (!*s->key)
            rc = lk_bad_input(err, NULL, s->place, "expected a non-empty key");
        else if (strlen(s->key) > BK_KEY_MAX)
            rc = lk_bad_input(err, NULL, s->place, "expected a key of at most %d characters, \"%s\" has %zu",
                              BK_KEY_MAX, s->key, strlen(s->key));
        else if (json_object_get(index, s->key))
            rc = lk_bad_input(err, NULL, s->place, "expected unique keys, \"%s\" is used twice (first at %s)",
                              s->key, nodes[find_node(index, s->key)].step->place);
        else
            json_object_set_new(index, s->key, json_integer((json_int_t)i));
    }
    for (size_t i = 0; i < nn && rc == 0; i++) {
        const struct bk_step *s = nodes[i].step;
        if (s->type == BK_STEP_GROUP)
            for (size_t k = 1; k <= s->nsteps; k++)
                add_edge(&nodes[i], (long)(i + k)); /* a group waits for its steps */
        if (nodes[i].parent >= 0)
            add_edge(&nodes[i], -2 - nodes[i].parent); /* marker: the group's deps */
        for (size_t d = 0; d < s->ndeps && rc == 0; d++) {
            long t = find_node(index, s->deps[d].key);
            if (t < 0)
                rc = lk_bad_input(err, NULL, s->place, "expected depends_on to name a step key, \"%s\" is none",
                                  s->deps[d].key);
            else
                add_edge(&nodes[i], t);
        }
    }
    /* iterative DFS; a child inherits its group's explicit dependencies */
    long *stack = xcalloc(nn + 1, sizeof(long));
    for (size_t root = 0; root < nn && rc == 0; root++) {
        if (nodes[root].state)
            continue;
        size_t sp = 0;
        stack[sp++] = (long)root;
        nodes[root].state = 1;
        while (sp && rc == 0) {
            struct vnode *v = &nodes[stack[sp - 1]];
            long to = -1;
            while (v->next_edge < v->nedges && to < 0) {
                long e = v->edges[v->next_edge];
                if (e <= -2) {
                    /* expand the group's own explicit deps lazily */
                    struct vnode *g = &nodes[-2 - e];
                    v->edges[v->next_edge] = -1; /* consumed */
                    for (size_t d = 0; d < g->step->ndeps; d++) {
                        long t = find_node(index, g->step->deps[d].key);
                        if (t >= 0)
                            add_edge(v, t);
                    }
                    v = &nodes[stack[sp - 1]];
                    continue;
                }
                v->next_edge++;
                if (e >= 0)
                    to = e;
            }
            if (to < 0) {
                v->state = 2;
                sp--;
                continue;
            }
            if (nodes[to].state == 1) {
                rc = lk_bad_input(err, NULL, nodes[to].step->place,
                                  "expected no dependency cycle, step \"%s\" depends on itself through \"%s\"",
                                  nodes[to].step->key ? nodes[to].step->key : "(no key)",
                                  v->step->key ? v->step->key : "(no key)");
            } else if (nodes[to].state == 0) {
                nodes[to].state = 1;
                stack[sp++] = to;
            }
        }
    }
    free(stack);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].edges);
    free(nodes);
    json_decref(index);
    return rc;
}
