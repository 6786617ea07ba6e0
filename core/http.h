/* http — bounded HTTP GET requests through libcurl.
 *
 * Contract: an http_client makes one request at a time, reusing its
 * connections. http_client_new() takes an optional Unix socket and the
 * origin ("scheme://host[:port]", no trailing slash) it stands for: a
 * request to a URL of that origin connects to the socket instead of the
 * host (as `curl --unix-socket`); any other URL goes to its own host.
 * http_get() fetches `url` once, following no redirect: a 3xx answer comes
 * back as it is, its Location resolved against the URL. Only http and https
 * are spoken. `bearer` (or NULL) is sent as `Authorization: Bearer …` to
 * this one URL. The request must be over by `deadline` (seconds of
 * lk_clock_seconds(), clock.h) and its body must be at most `max_body`
 * bytes: a larger Content-Length, or more bytes, stop it.
 *
 * Returns 0 when the server answered (any status), with the response
 * filled; -1 with err (LK_EXIT_FAIL) when it did not: no connection, the
 * deadline, the size limit, a TLS or protocol error. The message is
 * "GET <url>: <what>"; no header (so no token) is ever part of it.
 *
 * Ownership: the response owns its body, location and content type
 * (http_response_release(); a zeroed response is fine); the client copies
 * its strings; nothing here prints or exits. */
#ifndef LAZYKITE_HTTP_H
#define LAZYKITE_HTTP_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

struct http_client;

struct http_response {
    long status;
    struct strbuf body;   /* NUL-terminated; may hold NULs (len counts them) */
    char *location;       /* a 3xx answer's Location, absolute; else NULL */
    char *content_type;   /* or NULL */
};

/* The origin of `url` ("https://api.buildkite.com" of
 * "https://api.buildkite.com/v2/…"; a default port is kept as written), or
 * NULL when it is not an http or https URL. Caller frees. */
char *http_origin(const char *url);

struct http_client *http_client_new(const char *unix_socket, const char *socket_origin);
void http_client_free(struct http_client *c);

int http_get(struct http_client *c, const char *url, const char *bearer, double deadline,
             size_t max_body, struct http_response *resp, struct lk_error *err);
void http_response_release(struct http_response *r);

/* `s` percent-encoded for a URL path segment or query value (every byte
 * but A-Z a-z 0-9 - . _ ~). Caller frees. */
char *http_escape(const char *s);

#endif
