/* schedint — private to the scheduler (scheduler.c: the build's nodes,
 * uploads, conditions and order; schedrun.c: the rules that run it). Not
 * for use outside those two files.
 *
 * A node is a step of the build: a top-level step, a group's step, a job
 * of a matrix or parallel step (its "head" is the step, never run itself,
 * like a group) or a retry of a job. A node with children (a group or a
 * head) has them at ids first_child .. first_child + nchildren - 1. A
 * retry is not in any list: `retry_of` is the attempt it repeats, whose
 * `retried_by` points at it; the latest attempt stands for the job. */
#ifndef LAZYKITE_BK_SCHEDINT_H
#define LAZYKITE_BK_SCHEDINT_H

#include "buildkite/bkcond.h"
#include "buildkite/scheduler.h"
#include "strindex.h"

struct node {
    const struct bk_step *step;
    int parent;      /* group or head node, or -1 */
    int first_child; /* group steps / head jobs */
    int nchildren;
    bool is_job;     /* a job of a head (or a retry of one) */
    int uploader;    /* node that uploaded it (top-level nodes), or -1 */
    int *uploaded;   /* top-level nodes it uploaded */
    size_t nuploaded, upalloc;
    int prev_barrier; /* closest earlier wait/block in its list, or -1 (see order) */
    int retry_of, retried_by; /* -1 when none */
    int attempt;     /* 0, then 1 for the first retry, … */
    int retry_rule;  /* the rule that retried this attempt, or -1 */
    bool if_changed_unchecked; /* if_changed kept: the build lists no changed files */
    bool left_out;   /* an `if`/if_changed (its own or its group's) left it out */
    enum bk_outcome outcome;
    char *reason;
    int exit_status;
};

struct bk_sched {
    char *branch;
    enum bk_unblock unblock;
    char *unblock_glob;
    struct bk_build_info build; /* its strings borrowed from the options (or branch) */
    struct node *nodes;
    size_t n, alloc;
    int *top; /* top-level order */
    size_t ntop, topalloc;
    int *order; /* full order, rebuilt on demand */
    size_t norder, orderalloc;
    bool order_valid;
    struct bk_pipeline **pipelines;
    size_t npipelines, palloc;
    struct strindex keys;     /* key -> node id (keys owned by `pipelines`) */
    struct strindex excluded; /* keys of steps an `if`/if_changed left out */
    size_t running;
};

void bk_sched_set_outcome(struct bk_sched *s, int id, enum bk_outcome o, const char *reason);
/* The latest attempt of node `id` (itself when never retried). */
int bk_sched_latest_node(const struct bk_sched *s, int id);
bool bk_sched_is_barrier(const struct node *n);
/* A new attempt of node `id` (retried by rule `rule`); returns its id. */
int bk_sched_add_retry(struct bk_sched *s, int id, int rule);

#endif
