/* HTTPS client on the caller's libuv loop, built on libcurl's multi-socket
 * interface.
 *
 * libcurl owns the sockets and the protocol; this module watches the
 * sockets libcurl names with one uv_poll_t each and runs libcurl's timer
 * with one uv_timer_t, so many requests share one loop and one thread.
 * Connections are kept and reused between requests to the same host.
 *
 * Safety rules that no option turns off: only https:// URLs are fetched,
 * the server certificate and host name are always verified, redirects are
 * not followed, every request has a total timeout, and a response body
 * larger than body_max aborts the request, so a hostile server cannot grow
 * memory. Proxies come from the usual environment variables (https_proxy,
 * no_proxy, ...), as libcurl reads them.
 *
 * Trust: the system CA bundle of the libcurl build always applies. The
 * certificates in ca_file are added to it, not put in its place. This uses
 * CURLOPT_SSL_CTX_FUNCTION, which needs libcurl's OpenSSL backend; with any
 * other backend lc_http_new() falls back to CURLOPT_CAINFO, and ca_file
 * then replaces the system bundle (a debug line says so).
 *
 * CA store cache: with OpenSSL, libcurl 7.87 and later keep the CA store
 * of the first connection for the later ones (CURLOPT_CA_CACHE_TIMEOUT,
 * set here to the life of the client). They do so only when the store
 * comes from a CA file alone. Debian's libcurl names both a bundle file
 * and the directory /etc/ssl/certs, so the directory is left out when the
 * build's bundle file is readable. update-ca-certificates writes the same
 * certificates to both. Without the cache, OpenSSL 3 parses the whole
 * bundle again for every new connection: 20 ms of CPU for Debian 12's 144
 * certificates on a 2-vCPU EPYC virtual machine.
 *
 * NOTE: the Debian libcurl resolves host names with its threaded resolver,
 * so a request to a host name (not an IP literal) runs getaddrinfo() on a
 * short-lived thread inside libcurl.
 */
#ifndef LC_HTTP_H
#define LC_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "engine/status.h"

/* Default cap of a response body: identity responses are a few hundred
 * bytes. */
#define LC_HTTP_BODY_DEFAULT (64 * 1024)
/* Upper bound of lc_http_options.body_max. */
#define LC_HTTP_BODY_LIMIT (16 * 1024 * 1024)
/* Maximum size of the error text of a response, NUL included. */
#define LC_HTTP_ERROR_MAX 128
/* Largest Retry-After delay reported, in seconds (about 68 years): a
 * bound that keeps later millisecond arithmetic far from overflow. */
#define LC_HTTP_RETRY_AFTER_LIMIT 2147483647

struct lc_http;

/* Settings of a client. ca_file is read by lc_http_new() and not kept. */
struct lc_http_options {
  const char *ca_file;         /* extra trusted CAs (PEM) or NULL */
  unsigned timeout_ms;         /* whole request, 1..600000 */
  unsigned connect_timeout_ms; /* TCP and TLS setup; 0: timeout_ms */
  size_t body_max;             /* bytes, 1..LC_HTTP_BODY_LIMIT */
  unsigned max_connections;    /* idle connections kept for reuse,
                                  0..1024; 0: 8 */
  const char *user_agent;      /* NULL: "listclean" */
};

/* Result of one request, valid during the callback only. */
struct lc_http_response {
  /* LC_OK when a whole response arrived, whatever its HTTP status.
   * Otherwise LC_ERR_TIMEOUT, LC_ERR_TLS (handshake or certificate),
   * LC_ERR_LIMIT (body over body_max), LC_ERR_DNS, LC_ERR_IO (connection
   * failed or broken), LC_ERR_CANCELED (lc_http_free) or
   * LC_ERR_INTERNAL. */
  enum lc_status status;
  long code;        /* HTTP status code, 0 when none arrived */
  const char *body; /* NUL-terminated; "" unless LC_OK */
  size_t body_len;
  /* "" on LC_OK, else what failed, e.g. "timed out after 300 ms" or
   * "certificate rejected: certificate has expired". */
  const char *error;
  /* Seconds the Retry-After header requests the client to wait (see
   * lc_http_parse_retry_after), or -1 when the response has no such
   * header or it cannot be read. Always -1 unless LC_OK. */
  int64_t retry_after_s;
};

/* Called exactly once per accepted request, always from the loop (or from
 * lc_http_free), never from inside lc_http_get()/lc_http_post_json(). The
 * callback may start new requests and may call lc_http_free(). */
typedef void (*lc_http_cb)(void *arg, const struct lc_http_response *response);

struct lc_http_stats {
  uint64_t requests; /* requests started */
  uint64_t connects; /* new connections, so requests - connects were
                        served on a reused connection (or failed early) */
  uint64_t failures; /* requests that ended without a whole response */
};

/* Create a client on LOOP. On LC_OK stores it in *OUT. On failure returns
 * LC_ERR_INVALID (bad option), LC_ERR_NOTFOUND / LC_ERR_FORMAT (ca_file
 * missing or without a PEM certificate), LC_ERR_NOMEM or LC_ERR_INTERNAL,
 * and writes a message naming the value to ERR (SIZE bytes). */
enum lc_status lc_http_new(uv_loop_t *loop, const struct lc_http_options *opts,
                           struct lc_http **out, char *err, size_t size);

/* Start a GET of URL (copied). Returns LC_OK when CB will be called,
 * LC_ERR_CANCELED after lc_http_free(), LC_ERR_NOMEM or LC_ERR_INTERNAL
 * (then CB is never called). */
enum lc_status lc_http_get(struct lc_http *http, const char *url, lc_http_cb cb,
                           void *arg);

/* Start a POST of the JSON text BODY (copied) to URL with Content-Type
 * application/json. Returns as lc_http_get(). */
enum lc_status lc_http_post_json(struct lc_http *http, const char *url,
                                 const char *body, lc_http_cb cb, void *arg);

/* Parse VALUE, the value of a Retry-After header (RFC 9110 section
 * 10.2.3): delay-seconds, or an HTTP-date that is read with curl_getdate()
 * and counted from NOW (0 when it has passed). Blanks around the value are
 * ignored, and delays beyond LC_HTTP_RETRY_AFTER_LIMIT seconds are
 * reduced to it. On LC_OK stores the seconds in *SECONDS; otherwise
 * returns LC_ERR_FORMAT and leaves *SECONDS alone. */
enum lc_status lc_http_parse_retry_after(const char *value, time_t now,
                                         int64_t *seconds);

/* Copy the counters of HTTP into *OUT. */
void lc_http_get_stats(const struct lc_http *http, struct lc_http_stats *out);

/* Cancel every request still running (each callback runs once with
 * LC_ERR_CANCELED before this returns), close the connections and the
 * libuv handles; the memory is freed from the close callbacks, so run the
 * loop afterwards. Accepts NULL. HTTP must not be used afterwards. */
void lc_http_free(struct lc_http *http);

#endif
