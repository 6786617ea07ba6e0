/* restquery — the query of a request to the simulated REST API (restapi.c):
 * a JSON object from each argument's name ("name[]" counts as "name") to
 * the list of its values (strings), as the request gave them.
 *
 * Contract: the query is borrowed and only read; nothing here fails. */
#ifndef LAZYKITE_BK_RESTQUERY_H
#define LAZYKITE_BK_RESTQUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Append the query (but the name `skip`) as "?K=V&K=V", "K[]" for a name
 * with several values or named `listed`; the separator to come next. */
char rq_add(struct strbuf *sb, json_t *query, const char *skip, const char *listed);
/* Does argument `name` allow `value` (it is absent, or one of its values)? */
bool rq_allows(json_t *query, const char *name, const char *value);

/* A page of a list (per_page and page from the query): rq_pager_take()
 * says whether the next matching item goes on it; false before the page,
 * and once the page is full, when `more` is set and the caller stops. */
struct rq_pager {
    long per_page, page, skip;
    size_t taken;
    bool more;
};
struct rq_pager rq_pager_of(json_t *query);
bool rq_pager_take(struct rq_pager *pg);

#endif
