/* Internal layout of the HTTPS client, shared by engine/http.c (libuv and
 * libcurl multi glue), engine/http_request.c (one transfer: setup,
 * body, result) and engine/http_trust.c (CA certificates). Nothing
 * outside these files includes it.
 */
#ifndef LC_HTTP_INT_H
#define LC_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <openssl/x509.h>
#include <uv.h>

#include "engine/http.h"

/* One socket that libcurl asked us to watch. */
struct lc_http_socket {
  uv_poll_t poll;
  struct lc_http *http;
  curl_socket_t fd;
  bool closing; /* uv_close() was called */
  struct lc_http_socket *prev, *next;
};

enum lc_http_request_state {
  LC_HTTP_REQUEST_RUNNING, /* added to the multi handle */
  LC_HTTP_REQUEST_DONE     /* callback ran; freed right after */
};

struct lc_http_request {
  enum lc_http_request_state state; /* changed by http_request_set_state */
  struct lc_http *http;
  CURL *easy;
  struct curl_slist *headers;
  char *url;
  char *post; /* request body, NULL for GET */
  char *body; /* response body, NUL-terminated */
  size_t body_len, body_cap;
  bool over_limit; /* the body passed body_max */
  lc_http_cb cb;
  void *arg;
  char curl_error[CURL_ERROR_SIZE];
  struct lc_http_request *prev, *next;
};

struct lc_http {
  uv_loop_t *loop;
  CURLM *multi;
  CURLSH *share;
  uv_timer_t timer; /* libcurl's timeout */
  struct lc_http_options opts;
  char user_agent[64];
  STACK_OF(X509) * extra_ca; /* certificates of ca_file, or NULL */
  char *ca_file;             /* kept only when CURLOPT_CAINFO must carry it */
  bool ca_bundle_only; /* leave out the CA directory so the store is cached */
  struct lc_http_request *requests; /* running */
  struct lc_http_socket *sockets;   /* watched */
  unsigned handles;                 /* libuv handles not yet closed */
  unsigned dispatching;             /* nesting of http_collect() */
  bool closing;                     /* lc_http_free() was called */
  struct lc_http_stats stats;
};

/* Trust (engine/http_trust.c). */
enum lc_status lc_http_load_ca(struct lc_http *http, const char *path,
                               char *err, size_t size);
/* Decide whether requests leave out the CA directory (ca_bundle_only). */
void lc_http_init_ca_cache(struct lc_http *http);
/* Set the CA options of EASY: the store cache, and ca_file through
 * CURLOPT_SSL_CTX_FUNCTION or CURLOPT_CAINFO. Returns LC_OK or
 * LC_ERR_INTERNAL. */
enum lc_status lc_http_setup_trust(struct lc_http *http, CURL *easy);

/* Transfers (engine/http_request.c). */
enum lc_status lc_http_request_start(struct lc_http *http, const char *url,
                                     const char *post, lc_http_cb cb,
                                     void *arg);
void lc_http_request_finish(struct lc_http_request *req, CURLcode result);
void lc_http_request_cancel(struct lc_http_request *req);

#endif
