/* mdreport — a short Markdown summary of one played fixture, for
 * `buildkite-agent annotate` (`lazykite-sim run --markdown FILE`).
 *
 * Contract: mdreport_render() summarises `report` (a JSON report as
 * report_json() builds it): the verdict and what was played; the failure,
 * if any; the invariants as a table (verdict, how many things each
 * checked, what); each violated invariant's evidence (at most
 * MDREPORT_MAX_LINES lines each, then how many more); the unmet
 * expectations (as many at most); the MDREPORT_SLOWEST slowest steps that
 * ran. Text from the report is escaped so that it reads as text (no
 * Markdown or HTML of its own: `\`, `` ` ``, `*`, `[`, `]`, `#`, `|`, `<`,
 * `>`, `&`; newlines as spaces; `_` is left alone: an underscore inside a
 * word is no emphasis, and Buildkite's emoji like :arrow_heading_down: need
 * theirs). mdreport_write() writes it atomically.
 *
 * Ownership: mdreport_render() returns a string the caller frees; `report`
 * is borrowed. */
#ifndef LAZYKITE_SIM_MDREPORT_H
#define LAZYKITE_SIM_MDREPORT_H

#include <jansson.h>

#include "error.h"

#define MDREPORT_MAX_LINES 10
#define MDREPORT_SLOWEST 5

char *mdreport_render(json_t *report);
int mdreport_write(json_t *report, const char *path, struct lk_error *err);

#endif
