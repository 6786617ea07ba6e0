/* http — bounded HTTP GET requests through libcurl (see http.h). */
#include "http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "version.h"
#include "xalloc.h"

struct http_client {
    CURL *curl;
    char *unix_socket, *socket_origin;
};

char *http_origin(const char *url)
{
    size_t scheme;
    if (!strncasecmp(url, "http://", 7))
        scheme = 7;
    else if (!strncasecmp(url, "https://", 8))
        scheme = 8;
    else
        return NULL;
    size_t host = strcspn(url + scheme, "/?#");
    if (!host)
        return NULL;
    return xstrndup(url, scheme + host);
}

char *http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct strbuf sb = STRBUF_INIT;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            sb_addc(&sb, (char)*p);
        } else {
            sb_addc(&sb, '%');
            sb_addc(&sb, hex[*p >> 4]);
            sb_addc(&sb, hex[*p & 15]);
        }
    }
    return sb_detach(&sb);
}

struct http_client *http_client_new(const char *unix_socket, const char *socket_origin)
{
    static bool initialised;
    if (!initialised) { /* once per process, before any handle */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        initialised = true;
    }
    struct http_client *c = xcalloc(1, sizeof *c);
    c->curl = curl_easy_init();
    if (!c->curl) {
        fputs("out of memory (curl_easy_init)\n", stderr);
        abort();
    }
    if (unix_socket) {
        c->unix_socket = xstrdup(unix_socket);
        c->socket_origin = xstrdup(socket_origin ? socket_origin : "");
    }
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->unix_socket);
    free(c->socket_origin);
    free(c);
}

void http_response_release(struct http_response *r)
{
    sb_release(&r->body);
    free(r->location);
    free(r->content_type);
    r->location = r->content_type = NULL;
    r->status = 0;
}

struct sink {
    struct strbuf *body;
    size_t max;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    size_t len = size * n;
    if (len > s->max - s->body->len) {
        s->too_big = true;
        return 0; /* stops the transfer */
    }
    sb_add(s->body, data, len);
    return len;
}

/* Does `url` belong to the socket's origin (the origin, then a path,
 * query, fragment or nothing)? */
static bool via_socket(const struct http_client *c, const char *url)
{
    if (!c->unix_socket)
        return false;
    size_t n = strlen(c->socket_origin);
    return n && !strncasecmp(url, c->socket_origin, n) && strchr("/?#", url[n]) != NULL;
}

int http_get(struct http_client *c, const char *url, const char *bearer, double deadline,
             size_t max_body, struct http_response *resp, struct lk_error *err)
{
    CURL *h = c->curl;
    http_response_release(resp);
    double left = deadline - lk_clock_seconds();
    if (left <= 0)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "GET %s: no time left (the timeout was reached)", url);
    long ms = left > 86400.0 ? 86400000L : (long)(left * 1000.0) + 1;
    struct sink sink = { &resp->body, max_body, false };
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    char *auth = bearer ? xasprintf("Authorization: Bearer %s", bearer) : NULL;
    if (auth)
        headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "lazykite/" LAZYKITE_VERSION);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, via_socket(c, url) ? c->unix_socket : NULL);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (auth) { /* the token does not outlive the request in this buffer */
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (rc != CURLE_OK) {
        http_response_release(resp);
        if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "GET %s: the answer is larger than %zu bytes",
                           url, max_body);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "GET %s: no answer in time (the timeout was reached)",
                           url);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "GET %s: %s", url,
                       *errbuf ? errbuf : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    char *s = NULL;
    if (resp->status >= 300 && resp->status < 400 &&
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
        resp->location = xstrdup(s);
    s = NULL;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
        resp->content_type = xstrdup(s);
    return 0;
}
