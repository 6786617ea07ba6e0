/* bkmatrix — a command step's build matrix expanded into its jobs (see
 * bkpipeline.h): the combinations of `matrix` (a list: one unnamed
 * dimension) or `matrix.setup` (a list, or a mapping of named dimensions,
 * the first dimension varying slowest), then `adjustments` in order — an
 * adjustment `with` a combination that exists sets its `skip` and
 * `soft_fail`; one that names every dimension and does not exist adds the
 * combination; `with` as a list gives the values by position, as a
 * mapping by name, and a mapping naming only some dimensions adjusts every
 * combination that agrees with it. Each job is the step with
 * `{{matrix}}` / `{{matrix.NAME}}` (spaces allowed inside the braces)
 * replaced in its command, label, env values and agents. What Buildkite
 * refuses (a value naming no dimension, `{{matrix}}` in a matrix of named
 * dimensions, an adjustment that matches nothing and names only some
 * dimensions, no combination at all, more than BK_JOBS_MAX jobs) becomes
 * the step's upload_error. */
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "strbuf.h"
#include "xalloc.h"

struct combo {
    char **values; /* one per dimension */
    bool skip;
    char *skip_reason;
    json_t *soft_fail; /* an adjustment's soft_fail, or NULL */
};

struct matrix {
    char **dims; /* names; one NULL name for an unnamed dimension */
    size_t ndims;
    struct combo *combos;
    size_t n, alloc;
    char *error;
};

static char *element_text(json_t *e)
{
    char *s = NULL;
    if (bk_scalar_to_string(e, &s) < 0)
        s = xstrdup("");
    return s;
}

static void add_combo(struct matrix *m, char **values)
{
    XGROW(m->combos, m->alloc, m->n + 1);
    memset(&m->combos[m->n], 0, sizeof(*m->combos));
    m->combos[m->n++].values = values;
}

/* Every combination of the dimensions' elements (lists[d] for dimension d). */
static void product(struct matrix *m, json_t **lists)
{
    size_t total = 1;
    for (size_t d = 0; d < m->ndims; d++) {
        total *= json_array_size(lists[d]);
        if (total > BK_JOBS_MAX) {
            m->error = xasprintf("expected at most %d matrix combinations (the simulation's limit)", BK_JOBS_MAX);
            return;
        }
    }
    for (size_t k = 0; k < total; k++) {
        char **values = xcalloc(m->ndims, sizeof(char *));
        size_t rest = k;
        for (size_t d = m->ndims; d-- > 0;) {
            size_t len = json_array_size(lists[d]);
            values[d] = element_text(json_array_get(lists[d], rest % len));
            rest /= len;
        }
        add_combo(m, values);
    }
}

/* The values an adjustment's `with` gives, by dimension (NULL: not given). */
static char **with_values(struct matrix *m, json_t *with, size_t *given)
{
    char **v = xcalloc(m->ndims, sizeof(char *));
    *given = 0;
    if (json_is_array(with)) {
        if (json_array_size(with) != m->ndims) {
            m->error = xasprintf("expected an adjustment's \"with\" list to give all %zu dimension(s)", m->ndims);
            return v;
        }
        for (size_t d = 0; d < m->ndims; d++)
            v[d] = element_text(json_array_get(with, d)), (*given)++;
        return v;
    }
    const char *k;
    json_t *x;
    json_object_foreach(with, k, x) {
        size_t d = 0;
        while (d < m->ndims && (!m->dims[d] || strcmp(m->dims[d], k)))
            d++;
        if (d == m->ndims) {
            m->error = xasprintf("expected an adjustment's \"with\" to name dimensions of the setup, "
                                 "\"%s\" is none", k);
            return v;
        }
        free(v[d]);
        v[d] = element_text(x);
        (*given)++;
    }
    return v;
}

static void adjust(struct matrix *m, json_t *adj)
{
    size_t given;
    char **v = with_values(m, json_object_get(adj, "with"), &given);
    size_t matched = 0;
    for (size_t c = 0; c < m->n && !m->error; c++) {
        bool same = true;
        for (size_t d = 0; d < m->ndims && same; d++)
            same = !v[d] || !strcmp(v[d], m->combos[c].values[d]);
        if (same) {
            struct bk_step tmp;
            memset(&tmp, 0, sizeof tmp);
            bk_read_skip(adj, &tmp);
            m->combos[c].skip = tmp.skip;
            free(m->combos[c].skip_reason);
            m->combos[c].skip_reason = tmp.skip_reason;
            if (json_object_get(adj, "soft_fail"))
                m->combos[c].soft_fail = json_object_get(adj, "soft_fail");
            matched++;
        }
    }
    if (!m->error && !matched && given == m->ndims) { /* a new combination */
        if (m->n >= BK_JOBS_MAX)
            m->error = xasprintf("expected at most %d matrix combinations (the simulation's limit)", BK_JOBS_MAX);
        else {
            add_combo(m, v);
            v = NULL;
            struct bk_step tmp;
            memset(&tmp, 0, sizeof tmp);
            bk_read_skip(adj, &tmp);
            m->combos[m->n - 1].skip = tmp.skip;
            m->combos[m->n - 1].skip_reason = tmp.skip_reason;
            m->combos[m->n - 1].soft_fail = json_object_get(adj, "soft_fail");
        }
    } else if (!m->error && !matched) {
        m->error = xstrdup("expected an adjustment to match a combination or to name every dimension");
    }
    strv_free(v, v ? m->ndims : 0);
}

/* `text` with the placeholders replaced; *used says whether it had one. */
static char *substitute(struct matrix *m, const struct combo *c, const char *text, bool *used)
{
    struct strbuf sb = STRBUF_INIT;
    for (const char *p = text; *p;) {
        const char *open = strstr(p, "{{");
        if (!open) {
            sb_adds(&sb, p);
            break;
        }
        const char *q = open + 2 + strspn(open + 2, " ");
        const char *close = strstr(q, "}}");
        if (strncmp(q, "matrix", 6) || !close || (q[6] != '.' && q[6] != ' ' && q[6] != '}')) {
            sb_add(&sb, p, (size_t)(q - p));
            p = q;
            continue;
        }
        size_t nlen = q[6] == '.' ? strcspn(q + 7, " }") : 0;
        const char *name = q + 7;
        if (q[7 + nlen] != ' ' && q[7 + nlen] != '}') {
            sb_add(&sb, p, (size_t)(q - p));
            p = q;
            continue;
        }
        size_t d = 0;
        if (q[6] == '.')
            while (d < m->ndims && (!m->dims[d] || strlen(m->dims[d]) != nlen || strncmp(m->dims[d], name, nlen)))
                d++;
        else if (m->dims[0])
            d = m->ndims;
        if (d == m->ndims) {
            if (!m->error)
                m->error = q[6] == '.' ? xasprintf("{{matrix.%.*s}} names no dimension of the matrix", (int)nlen, name)
                                       : xstrdup("{{matrix}} in a matrix of named dimensions (use {{matrix.NAME}})");
            d = 0;
        }
        sb_add(&sb, p, (size_t)(open - p));
        sb_adds(&sb, c->values[d]);
        *used = true;
        p = close + 2;
    }
    return sb_detach(&sb);
}

static json_t *substitute_json(struct matrix *m, const struct combo *c, json_t *v)
{
    if (json_is_string(v)) {
        bool used = false;
        char *s = substitute(m, c, json_string_value(v), &used);
        json_t *r = json_string(s);
        free(s);
        return r ? r : json_incref(v);
    }
    json_t *r = json_deep_copy(v);
    const char *k;
    json_t *x;
    json_object_foreach(r, k, x)
        json_object_set_new(r, k, substitute_json(m, c, x));
    size_t i;
    json_array_foreach(r, i, x)
        json_array_set_new(r, i, substitute_json(m, c, x));
    return r;
}

static void make_job(struct matrix *m, const struct combo *c, const struct bk_step *s, struct bk_step *j)
{
    bk_job_init(j, s);
    bool used = false;
    free(j->command);
    j->command = substitute(m, c, s->command, &used);
    for (size_t i = 0; i < j->env.n; i++) {
        char *v = substitute(m, c, j->env.values[i], &used);
        free(j->env.values[i]);
        j->env.values[i] = v;
    }
    if (json_object_get(j->recorded, "agents"))
        json_object_set_new(j->recorded, "agents", substitute_json(m, c, json_object_get(j->recorded, "agents")));
    used = false;
    char *label = s->label ? substitute(m, c, s->label, &used) : NULL;
    if (!used) {
        struct strbuf sb = STRBUF_INIT;
        const char *base = s->label ? s->label : s->command;
        sb_add(&sb, base, strcspn(base, s->label ? "" : "\n"));
        sb_adds(&sb, " (");
        for (size_t d = 0; d < m->ndims; d++)
            sb_addf(&sb, "%s%s", d ? ", " : "", c->values[d]);
        sb_adds(&sb, ")");
        free(label);
        label = sb_detach(&sb);
    }
    free(j->label);
    j->label = label;
    if (c->skip) {
        j->skip = true;
        free(j->skip_reason);
        j->skip_reason = c->skip_reason ? xstrdup(c->skip_reason) : NULL;
    }
    if (c->soft_fail) {
        json_t *o = json_pack("{s:O}", "soft_fail", c->soft_fail);
        free(j->soft_fail_statuses);
        j->soft_fail_statuses = NULL;
        j->nsoft_fail = 0;
        bk_read_soft_fail(o, j);
        json_decref(o);
    }
}

void bk_matrix_expand(json_t *matrix, struct bk_step *s)
{
    struct matrix m = { 0 };
    json_t *setup = json_is_array(matrix) ? matrix : json_object_get(matrix, "setup");
    json_t **lists;
    if (json_is_array(setup)) {
        m.ndims = 1;
        m.dims = xcalloc(1, sizeof(char *));
        lists = xcalloc(1, sizeof(json_t *));
        lists[0] = setup;
    } else {
        m.ndims = json_object_size(setup);
        m.dims = xcalloc(m.ndims + 1, sizeof(char *));
        lists = xcalloc(m.ndims + 1, sizeof(json_t *));
        const char *k;
        json_t *x;
        size_t d = 0;
        json_object_foreach(setup, k, x) {
            m.dims[d] = xstrdup(k);
            lists[d++] = x;
        }
    }
    if (m.ndims)
        product(&m, lists);
    free(lists);
    size_t i;
    json_t *adj;
    json_array_foreach(json_object_get(matrix, "adjustments"), i, adj)
        if (!m.error)
            adjust(&m, adj);
    if (!m.error && m.n == 0)
        m.error = xstrdup("expected a matrix with at least one combination");
    if (!m.error) {
        s->jobs = xcalloc(m.n, sizeof(*s->jobs));
        for (size_t c = 0; c < m.n; c++)
            make_job(&m, &m.combos[c], s, &s->jobs[s->njobs++]);
    }
    if (m.error) {
        for (size_t k = 0; k < s->njobs; k++)
            bk_step_release(&s->jobs[k]);
        free(s->jobs);
        s->jobs = NULL;
        s->njobs = 0;
        s->upload_error = xasprintf("matrix: %s", m.error);
    }
    for (size_t c = 0; c < m.n; c++) {
        strv_free(m.combos[c].values, m.ndims);
        free(m.combos[c].skip_reason);
    }
    free(m.combos);
    strv_free(m.dims, m.ndims);
    free(m.error);
}
