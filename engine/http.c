/* HTTPS client: libcurl multi-socket glue for libuv.
 *
 * libcurl names the sockets to watch through the socket callback
 * (http_socket_cb) and the time of its next timeout through the timer
 * callback (http_timer_cb). Each watched socket gets one uv_poll_t, created on
 * the first watch request and closed on CURL_POLL_REMOVE, before libcurl closes
 * the descriptor. Events from libuv go back to libcurl through
 * curl_multi_socket_action(), and finished transfers are collected after
 * each call with curl_multi_info_read().
 *
 * User callbacks run only from http_collect(), outside any libcurl call,
 * so they may add requests or free the client. lc_http_free() called from
 * such a callback cancels the rest at once and leaves the teardown to
 * http_collect() when it unwinds.
 */
#include "engine/http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine/http_int.h"
#include "engine/log.h"

static int http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
                          void *socket_arg);
static int http_timer_cb(CURLM *multi, long timeout_ms, void *arg);
static void http_poll_cb(uv_poll_t *poll, int status, int events);
static void http_timeout_cb(uv_timer_t *timer);
static void http_handle_close_cb(uv_handle_t *handle);
static void http_teardown(struct lc_http *http);
static struct lc_http_socket *http_socket_open(struct lc_http *http,
                                               curl_socket_t fd);
static void http_socket_close(struct lc_http_socket *sock);

static bool http_global_ready;

static enum lc_status http_check_options(const struct lc_http_options *opts,
                                         char *err, size_t size)
{
  if (opts->timeout_ms < 1 || opts->timeout_ms > 600000) {
    snprintf(err, size, "invalid HTTP timeout %u ms: use 1..600000",
             opts->timeout_ms);
    return LC_ERR_INVALID;
  }
  if (opts->connect_timeout_ms > 600000) {
    snprintf(err, size, "invalid HTTP connect timeout %u ms: use 0..600000",
             opts->connect_timeout_ms);
    return LC_ERR_INVALID;
  }
  if (opts->max_connections > 1024) {
    snprintf(err, size, "invalid HTTP connection limit %u: use 0..1024",
             opts->max_connections);
    return LC_ERR_INVALID;
  }
  if (opts->body_max < 1 || opts->body_max > LC_HTTP_BODY_LIMIT) {
    snprintf(err, size, "invalid HTTP body limit %zu bytes: use 1..%d",
             opts->body_max, LC_HTTP_BODY_LIMIT);
    return LC_ERR_INVALID;
  }
  return LC_OK;
}

/* libcurl's global state is set up once per process and never torn down:
 * curl_global_cleanup() would break other clients still running. */
static enum lc_status http_global_init(char *err, size_t size)
{
  if (http_global_ready)
    return LC_OK;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(err, size, "libcurl initialisation failed");
    return LC_ERR_INTERNAL;
  }
  http_global_ready = true;
  return LC_OK;
}

static enum lc_status http_multi_init(struct lc_http *http)
{
  http->multi = curl_multi_init();
  http->share = curl_share_init();
  if (http->multi == NULL || http->share == NULL)
    return LC_ERR_NOMEM;
  curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
  curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
  curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
  /* By default libcurl keeps 4 idle connections per easy handle attached
   * (CURLMOPT_MAXCONNECTS(3)). Each request here attaches its own handle
   * only while it runs, which left too few: with 16 requests in flight,
   * 3706 requests opened 172 connections instead of 16. */
  curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS,
                    (long)http->opts.max_connections);
  /* Each request is a new easy handle, so TLS sessions are shared here to
   * let a new connection resume an earlier one. */
  curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return LC_OK;
}

enum lc_status lc_http_new(uv_loop_t *loop, const struct lc_http_options *opts,
                           struct lc_http **out, char *err, size_t size)
{
  struct lc_http *http = NULL;
  enum lc_status status;

  status = http_check_options(opts, err, size);
  if (status == LC_OK)
    status = http_global_init(err, size);
  if (status != LC_OK)
    return status;
  http = calloc(1, sizeof(*http));
  if (http == NULL)
    return LC_ERR_NOMEM;
  http->loop = loop;
  http->opts = *opts;
  http->opts.ca_file = NULL;
  if (http->opts.connect_timeout_ms == 0)
    http->opts.connect_timeout_ms = opts->timeout_ms;
  if (http->opts.max_connections == 0)
    http->opts.max_connections = 8;
  snprintf(http->user_agent, sizeof(http->user_agent), "%s",
           opts->user_agent != NULL ? opts->user_agent : "listclean");
  status = http_multi_init(http);
  lc_http_init_ca_cache(http);
  if (status == LC_OK && opts->ca_file != NULL)
    status = lc_http_load_ca(http, opts->ca_file, err, size);
  if (status != LC_OK)
    goto done;
  uv_timer_init(loop, &http->timer);
  http->timer.data = http;
  http->handles = 1;
  *out = http;
done:
  if (status != LC_OK) {
    if (status == LC_ERR_NOMEM)
      snprintf(err, size, "out of memory");
    curl_multi_cleanup(http->multi);
    curl_share_cleanup(http->share);
    sk_X509_pop_free(http->extra_ca, X509_free);
    free(http->ca_file);
    free(http);
  }
  return status;
}

static struct lc_http_socket *http_socket_open(struct lc_http *http,
                                               curl_socket_t fd)
{
  struct lc_http_socket *sock = calloc(1, sizeof(*sock));

  if (sock == NULL)
    return NULL;
  if (uv_poll_init_socket(http->loop, &sock->poll, fd) != 0) {
    free(sock);
    return NULL;
  }
  sock->poll.data = sock;
  sock->http = http;
  sock->fd = fd;
  sock->next = http->sockets;
  if (sock->next != NULL)
    sock->next->prev = sock;
  http->sockets = sock;
  http->handles++;
  return sock;
}

/* Stop watching and close; the memory goes in http_handle_close_cb. */
static void http_socket_close(struct lc_http_socket *sock)
{
  struct lc_http *http = sock->http;

  if (sock->closing)
    return;
  sock->closing = true;
  if (sock->prev != NULL)
    sock->prev->next = sock->next;
  else
    http->sockets = sock->next;
  if (sock->next != NULL)
    sock->next->prev = sock->prev;
  uv_poll_stop(&sock->poll);
  uv_close((uv_handle_t *)&sock->poll, http_handle_close_cb);
}

/* Watch FD for libcurl. SOCKET_ARG is the poll context assigned earlier,
 * or NULL for a socket not yet watched. */
static int http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
                          void *socket_arg)
{
  struct lc_http *http = arg;
  struct lc_http_socket *sock = socket_arg;
  int events = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (sock != NULL)
      http_socket_close(sock);
    curl_multi_assign(http->multi, fd, NULL);
    return 0;
  }
  if (sock == NULL) {
    sock = http_socket_open(http, fd);
    if (sock == NULL)
      return -1;
    curl_multi_assign(http->multi, fd, sock);
  }
  if (sock->closing)
    return 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  return uv_poll_start(&sock->poll, events, http_poll_cb) == 0 ? 0 : -1;
}

static int http_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
  struct lc_http *http = arg;

  (void)multi;
  if (uv_is_closing((uv_handle_t *)&http->timer))
    return 0;
  if (timeout_ms < 0)
    uv_timer_stop(&http->timer);
  else
    uv_timer_start(&http->timer, http_timeout_cb, (uint64_t)timeout_ms, 0);
  return 0;
}

/* Hand every finished transfer to its callback. */
static void http_collect(struct lc_http *http)
{
  CURLMsg *msg;
  int left;

  http->dispatching++;
  while (!http->closing &&
         (msg = curl_multi_info_read(http->multi, &left)) != NULL) {
    struct lc_http_request *req = NULL;

    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
    lc_http_request_finish(req, msg->data.result);
  }
  http->dispatching--;
  if (http->closing && http->dispatching == 0)
    http_teardown(http);
}

static void http_poll_cb(uv_poll_t *poll, int status, int events)
{
  struct lc_http_socket *sock = poll->data;
  struct lc_http *http = sock->http;
  int flags = 0;
  int running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  /* SOCK may be closed inside this call: only HTTP is used after it. */
  curl_multi_socket_action(http->multi, sock->fd, flags, &running);
  http_collect(http);
}

static void http_timeout_cb(uv_timer_t *timer)
{
  struct lc_http *http = timer->data;
  int running;

  curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  http_collect(http);
}

static void http_handle_close_cb(uv_handle_t *handle)
{
  struct lc_http *http;

  if (handle->type == UV_POLL) {
    struct lc_http_socket *sock = handle->data;

    http = sock->http;
    free(sock);
  } else {
    http = handle->data;
  }
  if (--http->handles == 0)
    free(http);
}

enum lc_status lc_http_get(struct lc_http *http, const char *url, lc_http_cb cb,
                           void *arg)
{
  return lc_http_request_start(http, url, NULL, cb, arg);
}

enum lc_status lc_http_post_json(struct lc_http *http, const char *url,
                                 const char *body, lc_http_cb cb, void *arg)
{
  return lc_http_request_start(http, url, body, cb, arg);
}

void lc_http_get_stats(const struct lc_http *http, struct lc_http_stats *out)
{
  *out = http->stats;
}

/* Close the multi handle and every libuv handle. Sockets are unwatched
 * first, while their descriptors are still open, so libuv never polls a
 * descriptor that libcurl already closed. */
static void http_teardown(struct lc_http *http)
{
  struct lc_http_socket *sock = http->sockets;

  while (sock != NULL) {
    struct lc_http_socket *next = sock->next;

    http_socket_close(sock);
    sock = next;
  }
  curl_multi_cleanup(http->multi);
  curl_share_cleanup(http->share);
  http->multi = NULL;
  sk_X509_pop_free(http->extra_ca, X509_free);
  http->extra_ca = NULL;
  free(http->ca_file);
  http->ca_file = NULL;
  uv_timer_stop(&http->timer);
  uv_close((uv_handle_t *)&http->timer, http_handle_close_cb);
}

void lc_http_free(struct lc_http *http)
{
  if (http == NULL || http->closing)
    return;
  http->closing = true;
  while (http->requests != NULL)
    lc_http_request_cancel(http->requests);
  if (http->dispatching == 0)
    http_teardown(http);
}
