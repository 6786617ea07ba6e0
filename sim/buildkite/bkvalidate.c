/* bkvalidate — see bkvalidate.h: key and depends_on checks and cycle
 * detection across all the pipelines of one build. */
#include "buildkite/bkvalidate.h"

#include <stdlib.h>
#include <string.h>

#include "strindex.h"
#include "xalloc.h"

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

/* The node `key` names, or -1. */
static long find_node(const struct strindex *index, const char *key)
{
    size_t v = strindex_get(index, key);
    return v == STRINDEX_NONE ? -1 : (long)v;
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
    struct strindex index = STRINDEX_INIT; /* key -> node; keys owned by `pipelines` */
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
        else if (strindex_get(&index, s->key) != STRINDEX_NONE)
            rc = lk_bad_input(err, NULL, s->place, "expected unique keys, \"%s\" is used twice (first at %s)",
                              s->key, nodes[find_node(&index, s->key)].step->place);
        else
            strindex_put(&index, s->key, i);
    }
    for (size_t i = 0; i < nn && rc == 0; i++) {
        const struct bk_step *s = nodes[i].step;
        if (s->type == BK_STEP_GROUP)
            for (size_t k = 1; k <= s->nsteps; k++)
                add_edge(&nodes[i], (long)(i + k)); /* a group waits for its steps */
        if (nodes[i].parent >= 0)
            add_edge(&nodes[i], -2 - nodes[i].parent); /* marker: the group's deps */
        for (size_t d = 0; d < s->ndeps && rc == 0; d++) {
            long t = find_node(&index, s->deps[d].key);
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
                        long t = find_node(&index, g->step->deps[d].key);
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
    strindex_release(&index);
    return rc;
}
