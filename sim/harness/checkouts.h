/* checkouts — the agents' git checkouts of a fixture's depot, and the
 * tree-clean check.
 *
 * Contract: checkouts_make() exports the fixture as a Nix depot into
 * <work>/src with a .gitignore for `result*` and the extra-step script
 * links (CHECKOUT_SCRIPT_LINK), commits it (fixed author and dates, so the
 * commit is the same every run) and clones it once per agent into
 * <work>/agent-N; `commit` is the commit's hash. checkouts_check_tree()
 * says what the step that just ended in an agent's checkout left behind
 * ("" when clean; else `git status --porcelain` lines, or the error that
 * stopped git) and makes the checkout clean again for the agent's next
 * job as Buildkite's `git clean -ffxdq` + `git checkout -f` would. git runs
 * only when the checkout differs from its snapshot of the last time git
 * found it clean by more than new top-level entries the .gitignore ignores
 * (*by_git says whether it ran). checkouts_free() releases everything (not
 * the directories). */
#ifndef LAZYKITE_SIM_CHECKOUTS_H
#define LAZYKITE_SIM_CHECKOUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "harness/treesnap.h"
#include "nix/fixture.h"

#define CHECKOUT_SCRIPT_LINK "nix-buildkite-extra-step-command-script"

/* The message of the fixture depot's one commit. */
#define CHECKOUT_COMMIT_MESSAGE "fixture depot"

struct checkouts {
    char **dirs;              /* per agent */
    struct tree_snap **clean; /* per agent: its checkout when git last found it clean, or NULL */
    size_t n;
    char *commit;
};

int checkouts_make(struct checkouts *c, const struct fixture *f, const char *work, size_t nagents,
                   struct lk_error *err);
char *checkouts_check_tree(struct checkouts *c, size_t agent, bool *by_git);
void checkouts_free(struct checkouts *c);

#endif
