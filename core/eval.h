/* eval — the target manifest of a real depot, from one nix-instantiate call.
 *
 * Contract: eval_depot_manifest() runs, with posix_spawnp (so the
 * `nix-instantiate` found on PATH: real Nix, or the simulation's nixsim),
 * exactly
 *
 *   nix-instantiate --eval --strict --json --read-write-mode <manifest.nix>
 *       --arg depot <absolute depot dir> --argstr targetsAttr <targets_attr>
 *
 * and returns its standard output (the manifest JSON, DESIGN §3). Standard
 * error passes through to ours. Read-write mode makes Nix write the `.drv`
 * files; nothing is realised. This is the only Nix call the core makes.
 *
 * <manifest.nix> is found by eval_manifest_nix_path(): $LAZYKITE_MANIFEST_NIX
 * if set; else `<dir of the running binary>/../core/nix/manifest.nix` (the
 * source tree, for build/lazykite); else
 * `<dir of the binary>/../share/lazykite/manifest.nix` (an installation
 * moved elsewhere); else LAZYKITE_DATADIR/manifest.nix (the installed copy). The depot dir is made absolute with realpath(); it must be
 * writable as a Nix path literal (letters, digits and `._+-/`), since it is
 * passed as an expression.
 *
 * Errors: a depot dir that does not exist or cannot be a path literal is bad
 * input (status 2); no manifest.nix found, nix-instantiate not runnable,
 * killed, or exiting non-zero is status 1, the message naming the command
 * and its exit status.
 *
 * Ownership: *manifest_json (NUL-terminated, *len bytes) and the string from
 * eval_manifest_nix_path() belong to the caller (free()). */
#ifndef LAZYKITE_EVAL_H
#define LAZYKITE_EVAL_H

#include <stddef.h>

#include "error.h"

/* `targets_attr` NULL means "ci.targets". */
int eval_depot_manifest(const char *depot_dir, const char *targets_attr, char **manifest_json,
                        size_t *len, struct lk_error *err);

/* The manifest.nix eval_depot_manifest() uses, or NULL with an error. */
char *eval_manifest_nix_path(struct lk_error *err);

#endif
