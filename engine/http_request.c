/* HTTPS client: one transfer, from its libcurl setup to its result.
 *
 * Each request is one easy handle added to the client's multi handle. The
 * body is collected in memory up to body_max bytes. The write callback
 * stops the transfer at the first byte over the limit, and
 * CURLOPT_MAXFILESIZE stops it before the body when Content-Length already
 * announces more. No Accept-Encoding is sent, so what arrives is what is
 * stored and no compressed response can expand past the limit.
 *
 * libcurl's result code is translated here, once, into an lc_status and a
 * short error text for the caller, and the Retry-After header of the
 * response into seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "engine/http_int.h"
#include "engine/log.h"

static const char *const http_request_state_names[] = {"running", "done"};

static void http_request_set_state(struct lc_http_request *req,
                                   enum lc_http_request_state state)
{
  lc_trace("http %s: %s -> %s", req->url, http_request_state_names[req->state],
           http_request_state_names[state]);
  req->state = state;
}

static size_t http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
  struct lc_http_request *req = arg;
  size_t max = req->http->opts.body_max;
  size_t n = size * nmemb;

  /* Returning a count other than N fails the transfer. */
  if (n == 0)
    return 0;
  if (n > max - req->body_len) {
    req->over_limit = true;
    return 0;
  }
  if (req->body_len + n + 1 > req->body_cap) {
    size_t cap = req->body_cap * 2;
    char *body;

    if (cap < req->body_len + n + 1)
      cap = req->body_len + n + 1;
    if (cap > max + 1)
      cap = max + 1;
    body = realloc(req->body, cap);
    if (body == NULL)
      return 0;
    req->body = body;
    req->body_cap = cap;
  }
  memcpy(req->body + req->body_len, data, n);
  req->body_len += n;
  req->body[req->body_len] = '\0';
  return n;
}

static enum lc_status http_request_setup_tls(struct lc_http_request *req)
{
  struct lc_http *http = req->http;
  CURL *e = req->easy;

  if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_SHARE, http->share) != CURLE_OK)
    return LC_ERR_INTERNAL;
  return lc_http_setup_trust(http, e);
}

static enum lc_status http_request_setup(struct lc_http_request *req)
{
  struct lc_http *http = req->http;
  CURL *e = req->easy;

  if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_PRIVATE, req) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->curl_error) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)http->opts.timeout_ms) !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                       (long)http->opts.connect_timeout_ms) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                       (curl_off_t)http->opts.body_max) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_WRITEDATA, req) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_USERAGENT, http->user_agent) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers) != CURLE_OK)
    return LC_ERR_INTERNAL;
  if (req->post != NULL &&
      (curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->post) != CURLE_OK ||
       curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(req->post)) !=
           CURLE_OK))
    return LC_ERR_INTERNAL;
  return http_request_setup_tls(req);
}

/* Build the header list: JSON both ways, and no "Expect: 100-continue",
 * which would cost a round trip for a body of a few dozen bytes. */
static enum lc_status http_request_headers(struct lc_http_request *req)
{
  static const char *const lines[] = {
      "Accept: application/json", "Content-Type: application/json", "Expect:"};
  size_t n = req->post != NULL ? 3 : 1;

  for (size_t i = 0; i < n; i++) {
    struct curl_slist *list = curl_slist_append(req->headers, lines[i]);

    if (list == NULL)
      return LC_ERR_NOMEM;
    req->headers = list;
  }
  return LC_OK;
}

static void http_request_free(struct lc_http_request *req)
{
  curl_easy_cleanup(req->easy);
  curl_slist_free_all(req->headers);
  free(req->url);
  free(req->post);
  free(req->body);
  free(req);
}

static enum lc_status http_request_new(struct lc_http *http, const char *url,
                                       const char *post,
                                       struct lc_http_request **out)
{
  struct lc_http_request *req = calloc(1, sizeof(*req));
  enum lc_status status = LC_ERR_NOMEM;

  if (req == NULL)
    return LC_ERR_NOMEM;
  req->http = http;
  req->url = strdup(url);
  req->post = post != NULL ? strdup(post) : NULL;
  req->easy = curl_easy_init();
  if (req->url == NULL || (post != NULL && req->post == NULL) ||
      req->easy == NULL)
    goto done;
  status = http_request_headers(req);
  if (status == LC_OK)
    status = http_request_setup(req);
done:
  if (status != LC_OK)
    http_request_free(req);
  else
    *out = req;
  return status;
}

enum lc_status lc_http_request_start(struct lc_http *http, const char *url,
                                     const char *post, lc_http_cb cb, void *arg)
{
  struct lc_http_request *req = NULL;
  enum lc_status status;

  if (http->closing)
    return LC_ERR_CANCELED;
  status = http_request_new(http, url, post, &req);
  if (status != LC_OK)
    return status;
  req->cb = cb;
  req->arg = arg;
  if (curl_multi_add_handle(http->multi, req->easy) != CURLM_OK) {
    http_request_free(req);
    return LC_ERR_INTERNAL;
  }
  req->next = http->requests;
  if (req->next != NULL)
    req->next->prev = req;
  http->requests = req;
  http->stats.requests++;
  lc_trace("http >>> %s %s %s", post != NULL ? "POST" : "GET", url,
           post != NULL ? post : "");
  return LC_OK;
}

/* Text for a rejected server certificate. A chain failure has its X.509
 * verify code. libcurl 7.88 checks the host name itself after the chain
 * passed and reports a mismatch with verify code 1 (unspecified) and an
 * error text naming the host, so that case is recognised by the text. */
static void http_cert_error(const struct lc_http_request *req, char *text,
                            size_t size)
{
  long verify = X509_V_OK;

  curl_easy_getinfo(req->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
  if (verify != X509_V_OK && verify != X509_V_ERR_UNSPECIFIED)
    snprintf(text, size, "certificate rejected: %s",
             X509_verify_cert_error_string(verify));
  else if (strstr(req->curl_error, "host name") != NULL)
    snprintf(text, size, "certificate rejected: host name mismatch");
  else
    snprintf(text, size, "certificate rejected: %.80s", req->curl_error);
}

/* Translate libcurl's RESULT into a status and an error TEXT. */
static enum lc_status http_result_status(const struct lc_http_request *req,
                                         CURLcode result, char *text,
                                         size_t size)
{
  const char *detail =
      req->curl_error[0] != '\0' ? req->curl_error : curl_easy_strerror(result);

  text[0] = '\0';
  switch (result) {
  case CURLE_OK:
    return LC_OK;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(text, size, "timed out after %u ms", req->http->opts.timeout_ms);
    return LC_ERR_TIMEOUT;
  case CURLE_WRITE_ERROR:
  case CURLE_FILESIZE_EXCEEDED:
    if (!req->over_limit && result == CURLE_WRITE_ERROR) {
      snprintf(text, size, "out of memory for the response body");
      return LC_ERR_NOMEM;
    }
    snprintf(text, size, "response body over %zu bytes",
             req->http->opts.body_max);
    return LC_ERR_LIMIT;
  case CURLE_PEER_FAILED_VERIFICATION:
    http_cert_error(req, text, size);
    return LC_ERR_TLS;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
    snprintf(text, size, "TLS failed: %.100s", detail);
    return LC_ERR_TLS;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    snprintf(text, size, "could not resolve host: %.100s", detail);
    return LC_ERR_DNS;
  case CURLE_COULDNT_CONNECT:
    snprintf(text, size, "connection failed: %.100s", detail);
    return LC_ERR_IO;
  default:
    snprintf(text, size, "%.100s", detail);
    return LC_ERR_IO;
  }
}

/* Detach REQ, run its callback with RESPONSE, and free it. */
static void http_request_complete(struct lc_http_request *req,
                                  const struct lc_http_response *response)
{
  struct lc_http *http = req->http;

  curl_multi_remove_handle(http->multi, req->easy);
  if (req->prev != NULL)
    req->prev->next = req->next;
  else
    http->requests = req->next;
  if (req->next != NULL)
    req->next->prev = req->prev;
  if (response->status != LC_OK)
    http->stats.failures++;
  http_request_set_state(req, LC_HTTP_REQUEST_DONE);
  req->cb(req->arg, response);
  http_request_free(req);
}

static bool http_is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static bool http_is_letter(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Parse delay-seconds: digits only, reduced to LC_HTTP_RETRY_AFTER_LIMIT. */
static enum lc_status http_parse_delay(const char *text, int64_t *seconds)
{
  int64_t value = 0;

  for (const char *p = text; *p != '\0'; p++) {
    if (!http_is_digit(*p))
      return LC_ERR_FORMAT;
    if (value < LC_HTTP_RETRY_AFTER_LIMIT)
      value = value * 10 + (*p - '0');
  }
  *seconds =
      value < LC_HTTP_RETRY_AFTER_LIMIT ? value : LC_HTTP_RETRY_AFTER_LIMIT;
  return LC_OK;
}

enum lc_status lc_http_parse_retry_after(const char *value, time_t now,
                                         int64_t *seconds)
{
  char text[64];
  size_t len;
  time_t date;

  value += strspn(value, " \t");
  len = strlen(value);
  while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
    len--;
  /* An IMF-fixdate has 29 characters, so a much longer value is not a
   * date or delay that the server meant. */
  if (len == 0 || len >= sizeof(text))
    return LC_ERR_FORMAT;
  memcpy(text, value, len);
  text[len] = '\0';
  if (http_is_digit(text[0]))
    return http_parse_delay(text, seconds);
  /* Every HTTP-date starts with a day name. */
  if (!http_is_letter(text[0]))
    return LC_ERR_FORMAT;
  date = curl_getdate(text, NULL);
  if (date == -1)
    return LC_ERR_FORMAT;
  if (date <= now)
    *seconds = 0;
  else if (date - now > LC_HTTP_RETRY_AFTER_LIMIT)
    *seconds = LC_HTTP_RETRY_AFTER_LIMIT;
  else
    *seconds = (int64_t)(date - now);
  return LC_OK;
}

/* Return the seconds of the Retry-After header of REQ's last response,
 * or -1 when there is none or it cannot be read. */
static int64_t http_retry_after(const struct lc_http_request *req)
{
  struct curl_header *header = NULL;
  int64_t seconds = -1;

  if (curl_easy_header(req->easy, "Retry-After", 0, CURLH_HEADER, -1,
                       &header) == CURLHE_OK)
    (void)lc_http_parse_retry_after(header->value, time(NULL), &seconds);
  return seconds;
}

void lc_http_request_finish(struct lc_http_request *req, CURLcode result)
{
  struct lc_http_response response = {
      .body = "", .error = "", .retry_after_s = -1};
  char text[LC_HTTP_ERROR_MAX];
  long connects = 0;

  curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &response.code);
  curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &connects);
  req->http->stats.connects += (uint64_t)connects;
  response.status = http_result_status(req, result, text, sizeof(text));
  response.error = text;
  if (response.status == LC_OK && req->body != NULL) {
    response.body = req->body;
    response.body_len = req->body_len;
  }
  if (response.status == LC_OK)
    response.retry_after_s = http_retry_after(req);
  lc_trace("http <<< %ld %zu bytes %s", response.code, response.body_len, text);
  http_request_complete(req, &response);
}

void lc_http_request_cancel(struct lc_http_request *req)
{
  struct lc_http_response response = {.status = LC_ERR_CANCELED,
                                      .body = "",
                                      .error = "canceled",
                                      .retry_after_s = -1};

  http_request_complete(req, &response);
}
