/* playobs — what a played build did (see playint.h): the executor's
 * callbacks (the step's name and phase for the realisation log, the
 * generation step's chunks, the links and tree each step left, what real
 * Nix does not log, each step's live row), the build read off the
 * scheduler once it is over, and what its jobs did through
 * buildkite-agent. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fileio.h"
#include "harness/playint.h"
#include "harness/progress.h"
#include "nix/eventlog.h"
#include "strbuf.h"
#include "xalloc.h"

/* The state of node `id` (grown as needed). */
static struct node_state *play_node(struct play *p, int id)
{
    if ((size_t)id >= p->n_nodes) {
        size_t n = (size_t)id + 64;
        p->nodes = xrealloc(p->nodes, n * sizeof(*p->nodes));
        memset(p->nodes + p->n_nodes, 0, (n - p->n_nodes) * sizeof(*p->nodes));
        p->n_nodes = n;
    }
    return &p->nodes[id];
}

/* "/nix/store/…" for a link in the checkout, or NULL. */
static char *read_link(struct play *p, const char *checkout, const char *name)
{
    char *path = xasprintf("%s/%s", checkout, name);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    free(path);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    size_t sl = strlen(p->store);
    if (!strncmp(buf, p->store, sl) && buf[sl] == '/')
        return xasprintf("/nix/store%s", buf + sl);
    return xstrdup(buf);
}

static int phase_pos(const struct play *p, const char *phase)
{
    for (size_t i = 0; i < p->n_phases; i++)
        if (!strcmp(p->phases[i], phase))
            return (int)i;
    return (int)p->n_phases;
}

static const struct play *sort_ctx;
static int cmp_chunk(const void *a, const void *b)
{
    const struct obs_chunk *x = a, *y = b;
    int px = phase_pos(sort_ctx, x->phase), py = phase_pos(sort_ctx, y->phase);
    if (px != py)
        return px < py ? -1 : 1;
    int c = strcmp(x->phase, y->phase);
    if (c)
        return c;
    return x->number < y->number ? -1 : x->number > y->number;
}

/* Keep what the generation step left in its checkout's pipeline/ (read
 * for the invariants, whatever the step uploaded) and read its chunks,
 * <phase>-chunk-<n>.json, into obs.chunks. */
static void collect_chunks(struct play *p, const char *checkout)
{
    /* pipeline/ may be a link into the store (a Nix generator's out-link) */
    char *link = read_link(p, checkout, "pipeline");
    char *dir = link && !strncmp(link, "/nix/store/", 11)
                    ? xasprintf("%s/%s", p->real ? p->rn.store : p->store, link + 11)
                    : xasprintf("%s/pipeline", checkout);
    free(link);
    DIR *dh = opendir(dir);
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            const char *name = de->d_name, *mark = strstr(name, "-chunk-");
            size_t len = strlen(name);
            if (!mark || len < 5 || strcmp(name + len - 5, ".json"))
                continue;
            const char *num = mark + 7;
            size_t ndig = strspn(num, "0123456789");
            if (ndig == 0 || num + ndig != name + len - 5)
                continue;
            char *phase = xstrndup(name, (size_t)(mark - name));
            char *from = xasprintf("%s/%s", dir, name), *kept = xasprintf("%s/%s", p->observed, name);
            char *text = NULL;
            size_t tlen = 0;
            struct lk_error e = LK_ERROR_INIT;
            json_t *doc = NULL;
            char hex[SHA256_HEX_LEN + 1] = "";
            if (file_read(from, &text, &tlen, &e) == 0 && file_write_atomic(kept, text, tlen, &e) == 0) {
                doc = json_loadb(text, tlen, 0, NULL);
                sha256_hex(text, tlen, hex);
            }
            lk_error_clear(&e);
            obs_chunk_add(&p->res->obs, name, phase, strtol(num, NULL, 10), doc, kept);
            if (*hex)
                p->res->obs.chunks[p->res->obs.n_chunks - 1].sha256 = xstrdup(hex);
            free(text);
            free(phase);
            free(from);
            free(kept);
        }
        closedir(dh);
    }
    free(dir);
    sort_ctx = p;
    if (p->res->obs.n_chunks > 1)
        qsort(p->res->obs.chunks, p->res->obs.n_chunks, sizeof(struct obs_chunk), cmp_chunk);
}

/* `name`, and for a retry "name (retry N)". */
static char *attempt_name(const char *name, int attempt)
{
    return attempt ? xasprintf("%s (retry %d)", name, attempt) : xstrdup(name);
}

/* What node `id` asked for that is not simulated, added to v. */
static void step_not_simulated(struct play *p, int id, char ***v, size_t *n)
{
    const struct bk_step *st = bk_sched_step(p->sched, id);
    for (size_t k = 0; k < st->n_not_simulated; k++)
        strv_add(v, n, st->not_simulated[k]);
    if (bk_sched_if_changed_unchecked(p->sched, id))
        strv_add(v, n, "if_changed (the build lists no changed files)");
}

/* The build lines the log gained since the last call (whole lines only),
 * each kept as (step, what was built) until its step's row is printed. */
static void live_read(struct play *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (fseek(f, (long)p->live_offset, SEEK_SET) == 0)
        while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
            p->live_offset += (size_t)n;
            json_t *o = json_loadb(line, (size_t)n, 0, NULL);
            const char *ev = json_string_value(json_object_get(o, "event"));
            const char *step = json_string_value(json_object_get(o, "step"));
            const char *drv = json_string_value(json_object_get(o, "drv"));
            size_t i;
            if (ev && !strcmp(ev, "build") && step) {
                XGROW(p->live, p->alloc_live, p->n_live + 1);
                p->live[p->n_live].step = xstrdup(step);
                p->live[p->n_live++].name = xstrdup(drv && depot_find_drv_path(p->res->depot, drv, &i) == 0
                                                        ? depot_drv_at(p->res->depot, i)->key
                                                        : drv ? drv : "?");
            }
            json_decref(o);
        }
    free(line);
    fclose(f);
}

/* What `step` built, as the final table shows it (the lines taken). */
static char *live_built(struct play *p, const char *step)
{
    struct strbuf sb = STRBUF_INIT;
    size_t k = 0;
    for (size_t i = 0; i < p->n_live; i++) {
        if (step && !strcmp(p->live[i].step, step)) {
            sb_addf(&sb, "%s%s", sb.len ? " " : "", p->live[i].name);
            free(p->live[i].step);
            free(p->live[i].name);
        } else {
            p->live[k++] = p->live[i];
        }
    }
    p->n_live = k;
    return sb_detach(&sb);
}

static void live_status(struct play *p)
{
    size_t n = bk_sched_count(p->sched), done = 0, running = 0;
    for (size_t i = 0; i < n; i++) {
        enum bk_outcome o = bk_sched_outcome(p->sched, (int)i);
        running += o == BK_RUNNING;
        done += o != BK_RUNNING && o != BK_PENDING;
    }
    progress_status(p->opt->progress, done, running, n - done - running);
}

/* A step that ran has its outcome: its row, then the status line. */
void play_on_step_ended(void *ctx, int id)
{
    struct play *p = ctx;
    if (!p->opt->progress)
        return;
    const struct bk_step *st = bk_sched_step(p->sched, id);
    const struct bk_step_result *r = bk_executor_result(p->ex, id);
    live_read(p);
    char *built = live_built(p, play_node(p, id)->step_name);
    const char *label = st->label ? st->label : st->key ? st->key : bk_step_type_name(st->type);
    char *name = attempt_name(label, bk_sched_attempt(p->sched, id));
    char **nsim = NULL;
    size_t n_nsim = 0;
    step_not_simulated(p, id, &nsim, &n_nsim);
    progress_row(p->opt->progress, name, bk_sched_parent(p->sched, id) >= 0, bk_sched_outcome(p->sched, id),
                 r ? r->agent_name : NULL, r ? r->seconds : -1, built, nsim, n_nsim);
    for (size_t k = 0; k < n_nsim; k++)
        free(nsim[k]);
    free(nsim);
    free(name);
    free(built);
    live_status(p);
}

void play_on_step_env(void *ctx, const struct bk_step *step, int id, size_t agent, struct bk_env *env)
{
    struct play *p = ctx;
    (void)agent;
    struct node_state *ns = play_node(p, id);
    free(ns->step_name);
    const char *name = step->key ? step->key : step->label ? step->label : "step";
    ns->step_name = attempt_name(name, bk_sched_attempt(p->sched, id)); /* a retry's events are its own */
    bk_env_set(env, "LAZYKITE_STEP", ns->step_name);
    bk_env_set(env, "LAZYKITE_PHASE", id == p->gen_id ? "construction" : "execution");
    if (id == p->gen_id) {
        p->gen_started = true;
        p->count_at_gen_start = bk_sched_count(p->sched);
    }
    if (p->opt->progress)
        live_status(p);
}

/* Whether a step's output (len bytes) has an "error: " line of a nixsim
 * command that could not write its realisation log line. */
static bool output_log_lost(const char *text, size_t len)
{
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 7 && !memcmp(p, "error: ", 7) &&
            memmem(p, n, EVENTLOG_ERROR_TEXT, sizeof EVENTLOG_ERROR_TEXT - 1))
            return true;
        p += n + 1;
    }
    return false;
}

int play_on_step_done(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                      struct lk_error *err)
{
    struct play *p = ctx;
    struct sim_observed *o = &p->res->obs;
    struct node_state *ns = play_node(p, id);
    const char *checkout = p->co.dirs[r->agent];
    (void)err;
    (void)ex;
    char *text = NULL;
    size_t len = 0;
    struct lk_error ignore = LK_ERROR_INIT;
    if (r->log_path && file_read(r->log_path, &text, &len, &ignore) == 0) {
        /* (by length: file_read() leaves an empty file's buffer unterminated) */
        static const char built[] = "--- Building extra step script", run[] = "+++ Running extra step script";
        ns->reached_build = memmem(text, len, built, sizeof built - 1) != NULL;
        ns->reached_run = memmem(text, len, run, sizeof run - 1) != NULL;
        ns->log_lost = output_log_lost(text, len);
        free(ns->log_tail);
        ns->log_tail = NULL;
        if (r->exit_status != 0) { /* the last lines, for the report */
            size_t from = len > 1500 ? len - 1500 : 0;
            while (from > 0 && from < len && text[from - 1] != '\n')
                from++;
            ns->log_tail = xstrndup(text + from, len - from);
        }
    }
    lk_error_clear(&ignore);
    if (id == p->gen_id) {
        o->gen_ran = true;
        o->gen_exit = r->exit_status;
        free(o->gen_output);
        o->gen_output = text ? xstrndup(text, len) : NULL;
        collect_chunks(p, checkout);
        o->generator_uploaded = bk_sched_count(p->sched) > p->count_at_gen_start;
        p->count_after_gen = bk_sched_count(p->sched);
        if (p->gc_drvs)
            play_delete_drvs(p);
    }
    free(text);
    free(ns->result_link);
    free(ns->script_link);
    ns->result_link = read_link(p, checkout, "result");
    ns->script_link = read_link(p, checkout, CHECKOUT_SCRIPT_LINK);
    if (p->real) { /* what real Nix does not log, from its store */
        const char *links[] = { ns->result_link, ns->script_link };
        realnix_step_done(&p->rn, p->log, id == p->gen_id ? "construction" : "execution", ns->step_name,
                          links, 2);
    }
    ns->tree_checked = true;
    free(ns->tree);
    ns->tree = checkouts_check_tree(&p->co, r->agent, &ns->tree_by_git);
    return 0;
}

/* The build as observed: every node in order, with what the callbacks saw. */
void play_observe(struct play *p, struct bk_executor *ex)
{
    struct sim_observed *o = &p->res->obs;
    size_t n;
    const int *order = bk_sched_order(p->sched, &n);
    int *index_of = xcalloc(bk_sched_count(p->sched) + 1, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int id = order[i];
        const struct bk_step *st = bk_sched_step(p->sched, id);
        struct obs_step *s = obs_step_add(o, id, st->type, st->key, st->label);
        index_of[id] = (int)i;
        int parent = bk_sched_parent(p->sched, id);
        s->group = parent >= 0 ? index_of[parent] : -1;
        s->skip = st->skip;
        s->deps = bk_sched_edges(p->sched, id, &s->n_deps);
        s->outcome = bk_sched_outcome(p->sched, id);
        const char *reason = bk_sched_reason(p->sched, id);
        s->reason = reason ? xstrdup(reason) : NULL;
        const struct bk_step_result *r = bk_executor_result(ex, id);
        if (r && r->ran) {
            s->ran = true;
            s->agent = r->agent_name ? xstrdup(r->agent_name) : NULL;
            s->started = r->start > p->t0 ? r->start - p->t0 : 0;
            s->seconds = r->seconds;
            s->exit_status = r->exit_status;
            s->log_path = r->log_path ? xstrdup(r->log_path) : NULL;
        }
        if ((size_t)id < p->n_nodes) {
            struct node_state *ns = &p->nodes[id];
            s->step_name = ns->step_name ? xstrdup(ns->step_name) : NULL;
            s->tree_checked = ns->tree_checked;
            s->tree_by_git = ns->tree_by_git;
            s->tree_status = ns->tree ? xstrdup(ns->tree) : NULL;
            s->result_link = ns->result_link ? xstrdup(ns->result_link) : NULL;
            s->script_link = ns->script_link ? xstrdup(ns->script_link) : NULL;
            s->reached_build_script = ns->reached_build;
            s->reached_run_script = ns->reached_run;
            s->log_lost = ns->log_lost;
            s->log_tail = ns->log_tail ? xstrdup(ns->log_tail) : NULL;
        }
        s->attempt = bk_sched_attempt(p->sched, id);
        step_not_simulated(p, id, &s->not_simulated, &s->n_not_simulated);
        if (s->outcome != BK_FILTERED) /* (a step not in the build asked for nothing) */
            for (size_t k = 0; k < s->n_not_simulated; k++)
                strv_add_once(&o->not_simulated, &o->n_not_simulated, s->not_simulated[k]);
        s->recorded = st->recorded ? json_deep_copy(st->recorded) : NULL;
        if (id == p->gen_id)
            o->gen_step = (int)i;
        if (id >= (int)p->count_at_gen_start && (size_t)id < p->count_after_gen && parent < 0 &&
            bk_sched_retry_of(p->sched, id) < 0) {
            char *ident = obs_step_identity(s);
            strv_add(&o->uploaded_ids, &o->n_uploaded_ids, ident);
            free(ident);
        }
    }
    for (size_t i = 0; i < n; i++) { /* the attempts after it, now that all have an index */
        int next = bk_sched_retried_by(p->sched, order[i]);
        o->steps[i].retried_by = next >= 0 ? index_of[next] : -1;
    }
    free(index_of);
    size_t np;
    struct bk_pipeline *const *pls = bk_sched_pipelines(p->sched, &np);
    for (size_t k = 0; k < np; k++) {
        if (!pls[k]->notify)
            continue;
        if (!o->notify)
            o->notify = json_array();
        json_array_append_new(o->notify, json_pack("{s:s, s:O}", "pipeline", pls[k]->file, "notify", pls[k]->notify));
    }
}

/* What the build's jobs did through buildkite-agent: the failed pipeline
 * uploads (for pipeline-valid), and for the report the meta-data,
 * annotations, calls and artifacts. */
void play_record_agent(struct play *p)
{
    struct sim_observed *o = &p->res->obs;
    json_t *rec = bk_agent_server_record(p->agent), *call;
    size_t i;
    json_array_foreach(json_object_get(rec, "calls"), i, call) {
        const char *cmd = json_string_value(json_object_get(call, "command"));
        const char *why = json_string_value(json_object_get(call, "error"));
        if (cmd && !strcmp(cmd, "pipeline-upload") && why)
            strv_add(&o->upload_errors, &o->n_upload_errors, why);
    }
    size_t n;
    const struct bk_artifact *all = bk_artifacts_all(p->artifacts, &n);
    json_t *arts = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(arts, json_pack("{s:s, s:s, s:o, s:s, s:I}", "build", all[i].build_id, "job",
                                              all[i].job_id, "step", all[i].step_key ? json_string(all[i].step_key) : json_null(),
                                              "path", all[i].path, "size", (json_int_t)all[i].size));
    json_object_set_new(rec, "artifacts", arts);
    json_decref(p->res->agent);
    p->res->agent = rec;
}

