/* buildinfo — see buildinfo.h. */
#include "harness/buildinfo.h"

#include <stdio.h>
#include <string.h>

#include "harness/checkouts.h"

void sim_build_init(struct sim_build *b, const struct fixture *f, const char *branch, const char *commit,
                    const char *build_id, long number, const char *pipeline_slug, const char *default_branch)
{
    memset(b, 0, sizeof(*b));
    const struct fixture_build *fb = &f->build;
    struct bk_build_info *i = &b->info;
    i->id = build_id;
    i->branch = branch;
    i->commit = commit;
    i->message = fb->message ? fb->message : CHECKOUT_COMMIT_MESSAGE;
    i->tag = fb->tag;
    i->source = fb->source ? fb->source : "webhook";
    i->number = number;
    i->pipeline_slug = pipeline_slug;
    i->default_branch = default_branch;
    i->pr_draft = -1;
    if (fb->has_pull_request) {
        i->pr_id = fb->pr_id;
        i->pr_base_branch = fb->pr_base_branch;
        i->pr_repository = fb->pr_repository;
        i->pr_draft = fb->pr_draft == FIXTURE_UNSET ? 0 : fb->pr_draft;
        i->pr_labels = (const char *const *)fb->pr_labels;
        i->n_pr_labels = fb->n_pr_labels;
    }
    i->has_changed_files = f->has_changed_files;
    i->changed_files = (const char *const *)f->changed_files;
    i->n_changed_files = f->n_changed_files;
    struct bk_env *e = &b->env;
    bk_env_set(e, "BUILDKITE", "true");
    bk_env_set(e, "CI", "true");
    bk_env_set(e, "BUILDKITE_BRANCH", branch);
    bk_env_set(e, "BUILDKITE_COMMIT", commit ? commit : "");
    bk_env_set(e, "BUILDKITE_BUILD_ID", build_id);
    char num[24];
    snprintf(num, sizeof num, "%ld", number);
    bk_env_set(e, "BUILDKITE_BUILD_NUMBER", num);
    bk_env_set(e, "BUILDKITE_MESSAGE", i->message);
    bk_env_set(e, "BUILDKITE_SOURCE", i->source);
    bk_env_set(e, "BUILDKITE_PIPELINE_SLUG", i->pipeline_slug);
    bk_env_set(e, "BUILDKITE_PIPELINE_DEFAULT_BRANCH", i->default_branch);
    bk_env_set(e, "BUILDKITE_PULL_REQUEST", i->pr_id ? i->pr_id : "false");
    if (i->tag)
        bk_env_set(e, "BUILDKITE_TAG", i->tag);
    if (i->pr_base_branch)
        bk_env_set(e, "BUILDKITE_PULL_REQUEST_BASE_BRANCH", i->pr_base_branch);
    if (i->pr_repository)
        bk_env_set(e, "BUILDKITE_PULL_REQUEST_REPO", i->pr_repository);
    if (fb->has_pull_request)
        bk_env_set(e, "BUILDKITE_PULL_REQUEST_DRAFT", i->pr_draft > 0 ? "true" : "false");
    i->env = e;
}

void sim_build_release(struct sim_build *b)
{
    bk_env_release(&b->env);
    memset(b, 0, sizeof(*b));
}
