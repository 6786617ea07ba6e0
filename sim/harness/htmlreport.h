/* htmlreport — one played fixture as a self-contained HTML page
 * (`lazykite-sim run --html FILE`).
 *
 * Contract: htmlreport_render() makes the page of `report` (a JSON report
 * as report_json() builds it; fields in sim/harness/report.schema.json):
 * the fixture and its verdict as text, the style and the script given
 * inlined, and the report itself as JSON in
 * <script type="application/json" id="lazykite-report">, every `<`, `>`
 * and `&` in it written \u003c, \u003e, \u0026 so that no text of the
 * report can end the element. Nothing is loaded from anywhere else (no
 * network, no external script, style or font). The script
 * (sim/harness/htmlreport.js) draws the pictures — the pipeline as a graph
 * of steps coloured by outcome with each derivation build in the step that
 * built it (construction or execution, violations in red), a timeline per
 * agent, the invariants — and marks <html data-rendered="ok"> when done;
 * without scripts the page says what it would show. A script holding
 * "</script" or a style holding "</style" is refused (status 1).
 * htmlreport_write() reads the script and the style from the data root
 * (<root>/sim/harness/htmlreport.js and .css, installed in share/lazykite)
 * and writes the page atomically (file_write_atomic).
 *
 * Ownership: htmlreport_render() returns a string the caller frees (NULL
 * with `err` set); `report` and the texts are borrowed. */
#ifndef LAZYKITE_SIM_HTMLREPORT_H
#define LAZYKITE_SIM_HTMLREPORT_H

#include <jansson.h>

#include "error.h"

char *htmlreport_render(json_t *report, const char *script, const char *style, struct lk_error *err);
int htmlreport_write(json_t *report, const char *root, const char *path, struct lk_error *err);

#endif
