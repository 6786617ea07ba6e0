/* restquery — the query of a simulated REST API request (see restquery.h). */
#include "buildkite/restquery.h"

#include <stdlib.h>
#include <string.h>

/* Argument `name`'s first value as a number within [min, max]; `def` when
 * it is absent or not a number. */
static long rq_long(json_t *query, const char *name, long def, long min, long max)
{
    const char *v = json_string_value(json_array_get(json_object_get(query, name), 0));
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : def;
    if (!v || !*v || *end)
        n = def;
    return n < min ? min : n > max ? max : n;
}

char rq_add(struct strbuf *sb, json_t *query, const char *skip, const char *listed)
{
    const char *k;
    json_t *vals, *v;
    size_t i;
    char sep = '?';
    json_object_foreach(query, k, vals) {
        if (!skip || strcmp(k, skip))
            json_array_foreach(vals, i, v) {
                sb_addf(sb, "%c%s%s=%s", sep, k, json_array_size(vals) > 1 || (listed && !strcmp(k, listed)) ? "[]" : "",
                        json_string_value(v));
                sep = '&';
            }
    }
    return sep;
}

bool rq_allows(json_t *query, const char *name, const char *value)
{
    json_t *vals = json_object_get(query, name), *v;
    size_t i;
    json_array_foreach(vals, i, v)
        if (!strcmp(json_string_value(v), value))
            return true;
    return !json_array_size(vals);
}

struct rq_pager rq_pager_of(json_t *query)
{
    struct rq_pager pg = { rq_long(query, "per_page", 30, 1, 100), rq_long(query, "page", 1, 1, 1L << 30), 0, 0,
                           false };
    pg.skip = (pg.page - 1) * pg.per_page;
    return pg;
}

bool rq_pager_take(struct rq_pager *pg)
{
    if (pg->skip > 0) {
        pg->skip--;
        return false;
    }
    if ((long)pg->taken == pg->per_page) {
        pg->more = true;
        return false;
    }
    pg->taken++;
    return true;
}
