/* schema — the pipeline-schema check: every generated chunk against
 * Buildkite's official pipeline schema.
 *
 * Contract: schema_validate() finds the schema ($LAZYKITE_SCHEMA, else
 * <root>/../shared/buildkite/schema.json) and runs
 * <root>/sim/harness/schemacheck.py on the chunks in `o`; it fills
 * o->schema_state (0 valid, 1 invalid; left at "not checked" when the
 * schema, python3 or its jsonschema module is absent or there is no chunk),
 * o->schema_errors and o->schema_note (what was done, or why not), and
 * *schema_path with the schema's real path when it exists. It never fails:
 * what it could not do is in the note. */
#ifndef LAZYKITE_SIM_SCHEMA_H
#define LAZYKITE_SIM_SCHEMA_H

#include "harness/observed.h"

void schema_validate(const char *root, struct sim_observed *o, char **schema_path);

#endif
