/* exportnix — a fixture as a real Nix depot (`lazykite-sim export-nix`).
 *
 * Contract: exportnix_render() returns the text of `default.nix`:
 * `{ ... }: <tree>` built on `builtins.derivation`, whose derivations are
 * exactly those of depot.h (same attribute sets, so real Nix instantiates
 * them to the same `.drv` paths and bytes), whose targets carry
 * `__readTree`, `__subtarget` and `meta` (extra-step commands as
 * derivations, parentOverride as `_: <derivation>`), with `ci.targets` the
 * target list in fixture order and `ci.pipeline` the fixture's pipeline
 * settings. Every string and attribute name is written as an escaped Nix
 * string literal. exportnix_write() writes `<dir>/default.nix` and the
 * fixture file's bytes as `<dir>/depot.yaml`, all or nothing (a temporary
 * directory renamed over `dir`).
 *
 * Ownership: exportnix_render() returns a malloc()ed string the caller
 * frees; `f` is only read. */
#ifndef LAZYKITE_SIM_EXPORTNIX_H
#define LAZYKITE_SIM_EXPORTNIX_H

#include "error.h"
#include "nix/fixture.h"
#include "strbuf.h"

/* Append `s` as a Nix double-quoted string literal (escapes `\` `"` `$`
 * and newline, carriage return, tab). */
void exportnix_string(struct strbuf *out, const char *s);

char *exportnix_render(const struct fixture *f);
int exportnix_write(const struct fixture *f, const char *dir, struct lk_error *err);

#endif
