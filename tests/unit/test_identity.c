/* Tests of the identity client (engine/identity.c and engine/http.c)
 * against an HTTPS server that runs in this process, on the same libuv
 * loop, bound to 127.0.0.1 only.
 *
 * The server speaks TLS through OpenSSL memory BIOs and HTTP/1.1 with
 * keep-alive. Its certificates come from a throwaway CA made with the
 * OpenSSL API at start-up: a good one for 127.0.0.1 and localhost, an
 * expired one, and one for another name. It serves the realm and
 * account-check endpoints from the tenant and user tables below, and
 * counts every request per domain and per account, so the tests assert
 * exact results and exact request counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <uv.h>

#include "engine/identity.h"
#include "engine/log.h"

#define HUGE_BODY (100ULL * 1024 * 1024)
#define STREAM_CHUNK 16384
#define MAX_RESULTS 256
#define COUNT_KEYS 512
#define DEADLINE_MS 20000

/* ------------------------------------------------------------------ */
/* Throwaway PKI                                                       */

static struct {
  EVP_PKEY *ca_key, *key;
  X509 *ca, *good, *expired, *wrong_name;
  char ca_path[64];
  char junk_path[64];
} pki;

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;

  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  assert_non_null(ext);
  assert_int_equal(X509_add_ext(cert, ext, -1), 1);
  X509_EXTENSION_free(ext);
}

/* Make a certificate for KEY valid from FROM_DAYS to UNTIL_DAYS around
 * now, signed by ISSUER (NULL: self-signed CA). SAN names a server. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key, long from_days, long until_days,
                       const char *san)
{
  static long serial = 1;
  X509 *cert = X509_new();
  X509_NAME *name;

  assert_non_null(cert);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), until_days * 86400);
  X509_set_pubkey(cert, key);
  name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(cert,
                       issuer != NULL ? X509_get_subject_name(issuer) : name);
  if (issuer == NULL) {
    add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(cert, cert, NID_subject_key_identifier, "hash");
  } else {
    add_ext(cert, issuer, NID_basic_constraints, "CA:FALSE");
    add_ext(cert, issuer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert, issuer, NID_ext_key_usage, "serverAuth");
    add_ext(cert, issuer, NID_subject_alt_name, san);
    add_ext(cert, issuer, NID_authority_key_identifier, "keyid");
  }
  assert_true(X509_sign(cert, issuer_key, EVP_sha256()) > 0);
  return cert;
}

static void write_temp(char *path, size_t size, const char *text, X509 *cert)
{
  int fd;
  FILE *f;

  snprintf(path, size, "/tmp/listclean-identity.XXXXXX");
  fd = mkstemp(path);
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  if (cert != NULL)
    assert_int_equal(PEM_write_X509(f, cert), 1);
  else
    fputs(text, f);
  fclose(f);
}

static int pki_setup(void **state)
{
  (void)state;
  pki.ca_key = EVP_EC_gen("P-256");
  pki.key = EVP_EC_gen("P-256");
  assert_non_null(pki.ca_key);
  assert_non_null(pki.key);
  pki.ca = make_cert(pki.ca_key, "listclean test CA", NULL, pki.ca_key, -1, 30,
                     NULL);
  pki.good = make_cert(pki.key, "127.0.0.1", pki.ca, pki.ca_key, -1, 30,
                       "IP:127.0.0.1,DNS:localhost");
  pki.expired = make_cert(pki.key, "127.0.0.1", pki.ca, pki.ca_key, -10, -1,
                          "IP:127.0.0.1,DNS:localhost");
  pki.wrong_name = make_cert(pki.key, "wrong.example.test", pki.ca, pki.ca_key,
                             -1, 30, "DNS:wrong.example.test");
  write_temp(pki.ca_path, sizeof(pki.ca_path), NULL, pki.ca);
  write_temp(pki.junk_path, sizeof(pki.junk_path), "not a certificate\n", NULL);
  return 0;
}

static int pki_teardown(void **state)
{
  (void)state;
  unlink(pki.ca_path);
  unlink(pki.junk_path);
  X509_free(pki.ca);
  X509_free(pki.good);
  X509_free(pki.expired);
  X509_free(pki.wrong_name);
  EVP_PKEY_free(pki.ca_key);
  EVP_PKEY_free(pki.key);
  return 0;
}

/* ------------------------------------------------------------------ */
/* What the server answers                                              */

enum realm_answer {
  REALM_MANAGED,
  REALM_OKTA,
  REALM_ADFS,
  REALM_UNKNOWN,
  REALM_HOLD,        /* never answers */
  REALM_HUGE_LENGTH, /* announces and streams 100 MB */
  REALM_HUGE_STREAM, /* streams 100 MB without Content-Length */
  REALM_MALFORMED,
  REALM_HTTP500,
  REALM_429_ONCE /* HTTP 429 to the first request, then Managed */
};

static const struct tenant {
  const char *domain;
  enum realm_answer realm;
  int if_exists;     /* answer for accounts not in the user table */
  bool throttle_all; /* every account check is throttled */
} tenants[] = {
    {"managed.test", REALM_MANAGED, 1, false},
    {"allexist.test", REALM_MANAGED, 0, false},
    {"throttled.test", REALM_MANAGED, 1, true},
    {"realm429.test", REALM_429_ONCE, 1, false},
    {"okta.test", REALM_OKTA, 0, false},
    {"adfs.test", REALM_ADFS, 0, false},
    {"slow.test", REALM_HOLD, 1, false},
    {"huge-length.test", REALM_HUGE_LENGTH, 1, false},
    {"huge-stream.test", REALM_HUGE_STREAM, 1, false},
    {"badjson.test", REALM_MALFORMED, 1, false},
    {"http500.test", REALM_HTTP500, 1, false},
};

enum user_answer {
  USER_RESULT,    /* {"IfExistsResult":if_exists} */
  USER_THROTTLED, /* ThrottleStatus 1 for the first `first` requests */
  USER_429,       /* HTTP 429 for the first `first` requests */
  USER_503,       /* HTTP 503 for the first `first` requests */
  USER_HOLD,
  USER_MALFORMED,
  USER_HUGE,
  USER_HTTP500
};

static const struct user {
  const char *local;
  enum user_answer answer;
  int if_exists;
  unsigned first;
  const char *retry_after; /* Retry-After value of throttled answers */
} users[] = {
    {"alice", USER_RESULT, 0, 0, NULL},
    {"bob", USER_RESULT, 5, 0, NULL},
    {"carol", USER_RESULT, 6, 0, NULL},
    {"weird", USER_RESULT, 2, 0, NULL},
    {"throttle2", USER_THROTTLED, 0, 2, NULL},
    {"throttle429", USER_429, 1, 1, NULL},
    {"always", USER_THROTTLED, 0, 1000, NULL},
    {"slowpoke", USER_HOLD, 0, 0, NULL},
    {"broken", USER_MALFORMED, 0, 0, NULL},
    {"huge", USER_HUGE, 0, 0, NULL},
    {"err500", USER_HTTP500, 0, 0, NULL},
    {"after0", USER_429, 1, 1, "0"},
    {"busy503", USER_503, 0, 1, "0"},
    {"pastdate", USER_429, 1, 1, "Sun, 06 Nov 1994 08:49:37 GMT"},
    {"throttle0", USER_THROTTLED, 0, 1, "0"},
    {"badafter", USER_429, 1, 1, "soon"},
    {"busy", USER_503, 1, 1, NULL},
    {"later", USER_429, 1, 1, "100000"},
    {"farfuture", USER_429, 1, 1, "Fri, 31 Dec 9999 23:59:59 GMT"},
};

/* ------------------------------------------------------------------ */
/* The HTTPS server                                                     */

struct count {
  char key[128];
  unsigned n;
};

struct srv_conn;

struct srv {
  uv_loop_t *loop;
  uv_tcp_t listener;
  SSL_CTX *ctx;
  int port;
  bool closing;
  struct srv_conn *conns;
  unsigned accepted;
  unsigned handshake_failures;
  unsigned bad_requests; /* unexpected path, method or content type */
  unsigned realm_total, credential_total;
  struct count realm[COUNT_KEYS];   /* per domain */
  struct count canary[COUNT_KEYS];  /* per domain */
  struct count account[COUNT_KEYS]; /* per address */
  uint64_t stream_sent;
};

struct srv_conn {
  uv_tcp_t tcp;
  struct srv *srv;
  SSL *ssl;
  BIO *rbio, *wbio;
  bool handshake_done, closing, close_when_sent;
  char in[16384];
  size_t in_len;
  char rbuf[65536];
  uint64_t stream_left;
  unsigned writes_pending;
  struct srv_conn *prev, *next;
};

struct srv_write {
  uv_write_t req;
  struct srv_conn *conn;
  char data[];
};

static unsigned *count_slot(struct count *table, const char *key)
{
  for (size_t i = 0; i < COUNT_KEYS; i++) {
    if (table[i].key[0] == '\0')
      snprintf(table[i].key, sizeof(table[i].key), "%s", key);
    if (strcmp(table[i].key, key) == 0)
      return &table[i].n;
  }
  fail_msg("count table full");
  return NULL;
}

static unsigned count_of(const struct count *table, const char *key)
{
  for (size_t i = 0; i < COUNT_KEYS && table[i].key[0] != '\0'; i++) {
    if (strcmp(table[i].key, key) == 0)
      return table[i].n;
  }
  return 0;
}

static void srv_conn_close_cb(uv_handle_t *handle)
{
  struct srv_conn *conn = handle->data;

  SSL_free(conn->ssl);
  free(conn);
}

static void srv_conn_close(struct srv_conn *conn)
{
  struct srv *srv = conn->srv;

  if (conn->closing)
    return;
  conn->closing = true;
  if (conn->prev != NULL)
    conn->prev->next = conn->next;
  else
    srv->conns = conn->next;
  if (conn->next != NULL)
    conn->next->prev = conn->prev;
  uv_close((uv_handle_t *)&conn->tcp, srv_conn_close_cb);
}

static void srv_stream_more(struct srv_conn *conn);

static void srv_write_cb(uv_write_t *req, int status)
{
  struct srv_write *w = (struct srv_write *)req;
  struct srv_conn *conn = w->conn;

  free(w);
  conn->writes_pending--;
  if (conn->closing)
    return;
  if (status < 0) {
    srv_conn_close(conn);
    return;
  }
  if (conn->writes_pending > 0)
    return;
  if (conn->stream_left > 0)
    srv_stream_more(conn);
  else if (conn->close_when_sent)
    srv_conn_close(conn);
}

/* Send the ciphertext OpenSSL produced. */
static void srv_flush(struct srv_conn *conn)
{
  size_t n;

  while (!conn->closing && (n = BIO_ctrl_pending(conn->wbio)) > 0) {
    struct srv_write *w = malloc(sizeof(*w) + n);
    uv_buf_t buf;

    assert_non_null(w);
    assert_int_equal(BIO_read(conn->wbio, w->data, (int)n), (int)n);
    w->conn = conn;
    buf = uv_buf_init(w->data, (unsigned)n);
    conn->writes_pending++;
    if (uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1, srv_write_cb) !=
        0) {
      conn->writes_pending--;
      free(w);
      srv_conn_close(conn);
    }
  }
}

static void srv_send(struct srv_conn *conn, const char *data, size_t len)
{
  if (len > 0)
    assert_int_equal(SSL_write(conn->ssl, data, (int)len), (int)len);
  srv_flush(conn);
}

static void srv_stream_more(struct srv_conn *conn)
{
  static const char zeros[STREAM_CHUNK];
  size_t n =
      conn->stream_left < STREAM_CHUNK ? conn->stream_left : STREAM_CHUNK;

  conn->stream_left -= n;
  conn->srv->stream_sent += n;
  srv_send(conn, zeros, n);
}

/* Send a response with BODY and, unless RETRY_AFTER is NULL, a
 * Retry-After header with that value. */
static void srv_respond_after(struct srv_conn *conn, int code,
                              const char *retry_after, const char *body)
{
  char head[384];
  char header[128] = "";
  int n;

  if (retry_after != NULL)
    snprintf(header, sizeof(header), "Retry-After: %s\r\n", retry_after);
  n = snprintf(head, sizeof(head),
               "HTTP/1.1 %d %s\r\nContent-Type: application/json; "
               "charset=utf-8\r\n%sContent-Length: %zu\r\n\r\n",
               code, code == 200 ? "OK" : "Error", header, strlen(body));
  srv_send(conn, head, (size_t)n);
  srv_send(conn, body, strlen(body));
}

static void srv_respond(struct srv_conn *conn, int code, const char *body)
{
  srv_respond_after(conn, code, NULL, body);
}

/* Start a 100 MB answer; WITH_LENGTH announces it in Content-Length,
 * otherwise the body runs until the connection closes. */
static void srv_respond_huge(struct srv_conn *conn, bool with_length)
{
  char head[256];
  int n;

  if (with_length)
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Content-Length: %llu\r\n\r\n",
                 (unsigned long long)HUGE_BODY);
  else
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Connection: close\r\n\r\n");
  conn->stream_left = HUGE_BODY;
  conn->close_when_sent = true;
  srv_send(conn, head, (size_t)n);
}

static const struct tenant *find_tenant(const char *domain)
{
  for (size_t i = 0; i < sizeof(tenants) / sizeof(tenants[0]); i++) {
    if (strcmp(tenants[i].domain, domain) == 0)
      return &tenants[i];
  }
  return NULL;
}

static void percent_decode(const char *in, size_t len, char *out, size_t size)
{
  size_t n = 0;

  for (size_t i = 0; i < len && n + 1 < size; i++) {
    unsigned hex;

    if (in[i] == '%' && i + 2 < len && sscanf(in + i + 1, "%2x", &hex) == 1) {
      out[n++] = (char)hex;
      i += 2;
    } else {
      out[n++] = in[i];
    }
  }
  out[n] = '\0';
}

static void srv_realm(struct srv_conn *conn, const char *query)
{
  static const char prefix[] = "login=";
  const char *end = strstr(query, "&json=1");
  char login[512];
  const char *domain;
  const struct tenant *t;
  unsigned *count;

  if (strncmp(query, prefix, 6) != 0 || end == NULL || end[7] != '\0') {
    conn->srv->bad_requests++;
    srv_respond(conn, 400, "{}");
    return;
  }
  percent_decode(query + 6, (size_t)(end - query - 6), login, sizeof(login));
  domain = strrchr(login, '@') != NULL ? strrchr(login, '@') + 1 : "";
  conn->srv->realm_total++;
  count = count_slot(conn->srv->realm, domain);
  (*count)++;
  t = find_tenant(domain);
  switch (t != NULL ? t->realm : REALM_UNKNOWN) {
  case REALM_MANAGED:
    srv_respond(conn, 200,
                "{\"State\":4,\"UserState\":1,\"NameSpaceType\":\"Managed\","
                "\"CloudInstanceName\":\"microsoftonline.com\"}");
    break;
  case REALM_429_ONCE:
    if (*count == 1)
      srv_respond(conn, 429, "{}");
    else
      srv_respond(conn, 200, "{\"NameSpaceType\":\"Managed\"}");
    break;
  case REALM_OKTA:
    srv_respond(conn, 200,
                "{\"NameSpaceType\":\"Federated\",\"AuthURL\":"
                "\"https://corp.okta.com/app/office365/k1/sso/wsfed/"
                "passive\"}");
    break;
  case REALM_ADFS:
    srv_respond(conn, 200,
                "{\"NameSpaceType\":\"Federated\",\"AuthURL\":"
                "\"https://sts.adfs.test/adfs/ls/?username=x\"}");
    break;
  case REALM_UNKNOWN:
    srv_respond(conn, 200, "{\"State\":4,\"NameSpaceType\":\"Unknown\"}");
    break;
  case REALM_HOLD:
    break;
  case REALM_HUGE_LENGTH:
  case REALM_HUGE_STREAM:
    srv_respond_huge(conn, t->realm == REALM_HUGE_LENGTH);
    break;
  case REALM_MALFORMED:
    srv_respond(conn, 200, "{\"NameSpaceType\":\"Managed\"");
    break;
  case REALM_HTTP500:
    srv_respond(conn, 500, "{\"error\":\"internal\"}");
    break;
  }
}

static const struct user *find_user(const char *local)
{
  for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
    if (strcmp(users[i].local, local) == 0)
      return &users[i];
  }
  return NULL;
}

/* Send an account answer; a throttled one carries RETRY_AFTER unless it
 * is NULL. */
static void srv_result_after(struct srv_conn *conn, int if_exists, int throttle,
                             const char *retry_after)
{
  char body[128];

  snprintf(body, sizeof(body),
           "{\"Username\":\"x\",\"IfExistsResult\":%d,\"ThrottleStatus\":%d,"
           "\"IsUnmanaged\":false}",
           if_exists, throttle);
  srv_respond_after(conn, 200, throttle ? retry_after : NULL, body);
}

static void srv_result(struct srv_conn *conn, int if_exists, int throttle)
{
  srv_result_after(conn, if_exists, throttle, NULL);
}

static void srv_user_answer(struct srv_conn *conn, const struct user *u,
                            unsigned count)
{
  switch (u->answer) {
  case USER_RESULT:
    srv_result(conn, u->if_exists, 0);
    break;
  case USER_THROTTLED:
    srv_result_after(conn, u->if_exists, count <= u->first ? 1 : 0,
                     u->retry_after);
    break;
  case USER_429:
  case USER_503:
    if (count <= u->first)
      srv_respond_after(conn, u->answer == USER_429 ? 429 : 503, u->retry_after,
                        "{}");
    else
      srv_result(conn, u->if_exists, 0);
    break;
  case USER_HOLD:
    break;
  case USER_MALFORMED:
    srv_respond(conn, 200, "{\"IfExistsResult\":");
    break;
  case USER_HUGE:
    srv_respond_huge(conn, false);
    break;
  case USER_HTTP500:
    srv_respond(conn, 500, "{}");
    break;
  }
}

/* A canary is a local part of 20 or more lower-case letters and digits. */
static bool is_canary(const char *local, size_t len)
{
  if (len < 20)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (!((local[i] >= 'a' && local[i] <= 'z') ||
          (local[i] >= '0' && local[i] <= '9')))
      return false;
  }
  return true;
}

static void srv_credential(struct srv_conn *conn, const char *body, size_t len)
{
  json_t *root = json_loadb(body, len, 0, NULL);
  const char *name = json_string_value(json_object_get(root, "Username"));
  const char *at = name != NULL ? strrchr(name, '@') : NULL;
  const struct tenant *t;
  const struct user *u;
  char local[128];
  unsigned count;

  if (at == NULL || (size_t)(at - name) >= sizeof(local)) {
    conn->srv->bad_requests++;
    srv_respond(conn, 400, "{}");
    json_decref(root);
    return;
  }
  snprintf(local, sizeof(local), "%.*s", (int)(at - name), name);
  conn->srv->credential_total++;
  count = ++*count_slot(conn->srv->account, name);
  if (is_canary(local, strlen(local)))
    ++*count_slot(conn->srv->canary, at + 1);
  t = find_tenant(at + 1);
  u = find_user(local);
  if (t != NULL && t->throttle_all)
    srv_result(conn, 0, 1);
  else if (u != NULL)
    srv_user_answer(conn, u, count);
  else
    srv_result(conn, t != NULL ? t->if_exists : 1, 0);
  json_decref(root);
}

/* Handle one complete request. HEAD contains the request line and the
 * headers. */
static void srv_request(struct srv_conn *conn, const char *head,
                        const char *body, size_t body_len)
{
  bool json_type =
      strcasestr(head, "\r\nContent-Type: application/json") != NULL;

  if (strncmp(head, "GET /getuserrealm.srf?", 22) == 0) {
    char query[1024];

    sscanf(head + 22, "%1023s", query);
    srv_realm(conn, query);
  } else if (strncmp(head, "POST /common/GetCredentialType ", 31) == 0 &&
             json_type) {
    srv_credential(conn, body, body_len);
  } else {
    conn->srv->bad_requests++;
    srv_respond(conn, 404, "{}");
  }
}

/* Take complete requests out of conn->in. */
static void srv_parse(struct srv_conn *conn)
{
  for (;;) {
    char *end;
    const char *length;
    size_t head_len, body_len = 0, total;

    conn->in[conn->in_len] = '\0';
    end = strstr(conn->in, "\r\n\r\n");
    if (end == NULL)
      return;
    *end = '\0';
    head_len = (size_t)(end - conn->in) + 4;
    length = strcasestr(conn->in, "\r\nContent-Length:");
    if (length != NULL)
      body_len = strtoul(length + 17, NULL, 10);
    total = head_len + body_len;
    if (total > conn->in_len) {
      *end = '\r';
      return;
    }
    srv_request(conn, conn->in, conn->in + head_len, body_len);
    if (conn->closing)
      return;
    memmove(conn->in, conn->in + total, conn->in_len - total);
    conn->in_len -= total;
  }
}

static void srv_read_plain(struct srv_conn *conn)
{
  for (;;) {
    size_t room = sizeof(conn->in) - 1 - conn->in_len;
    int n;

    if (room == 0) {
      srv_conn_close(conn);
      return;
    }
    n = SSL_read(conn->ssl, conn->in + conn->in_len, (int)room);
    if (n <= 0) {
      if (SSL_get_error(conn->ssl, n) != SSL_ERROR_WANT_READ)
        srv_conn_close(conn);
      srv_flush(conn);
      return;
    }
    conn->in_len += (size_t)n;
    srv_parse(conn);
    if (conn->closing)
      return;
  }
}

static void srv_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
  struct srv_conn *conn = handle->data;

  (void)suggested;
  *buf = uv_buf_init(conn->rbuf, sizeof(conn->rbuf));
}

static void srv_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
  struct srv_conn *conn = stream->data;

  if (nread < 0) {
    srv_conn_close(conn);
    return;
  }
  if (nread == 0 || conn->closing)
    return;
  BIO_write(conn->rbio, buf->base, (int)nread);
  if (!conn->handshake_done) {
    int rc = SSL_do_handshake(conn->ssl);

    srv_flush(conn);
    if (rc != 1) {
      if (SSL_get_error(conn->ssl, rc) != SSL_ERROR_WANT_READ) {
        conn->srv->handshake_failures++;
        ERR_clear_error();
        srv_conn_close(conn);
      }
      return;
    }
    conn->handshake_done = true;
  }
  srv_read_plain(conn);
}

static void srv_accept_cb(uv_stream_t *listener, int status)
{
  struct srv *srv = listener->data;
  struct srv_conn *conn;

  if (status < 0 || srv->closing)
    return;
  conn = calloc(1, sizeof(*conn));
  assert_non_null(conn);
  conn->srv = srv;
  uv_tcp_init(srv->loop, &conn->tcp);
  conn->tcp.data = conn;
  conn->ssl = SSL_new(srv->ctx);
  conn->rbio = BIO_new(BIO_s_mem());
  conn->wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(conn->ssl, conn->rbio, conn->wbio);
  SSL_set_accept_state(conn->ssl);
  conn->next = srv->conns;
  if (conn->next != NULL)
    conn->next->prev = conn;
  srv->conns = conn;
  if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0) {
    srv_conn_close(conn);
    return;
  }
  srv->accepted++;
  uv_read_start((uv_stream_t *)&conn->tcp, srv_alloc_cb, srv_read_cb);
}

static void srv_start(struct srv *srv, uv_loop_t *loop, X509 *cert)
{
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof(bound);

  memset(srv, 0, sizeof(*srv));
  srv->loop = loop;
  srv->ctx = SSL_CTX_new(TLS_server_method());
  assert_non_null(srv->ctx);
  assert_int_equal(SSL_CTX_use_certificate(srv->ctx, cert), 1);
  assert_int_equal(SSL_CTX_use_PrivateKey(srv->ctx, pki.key), 1);
  assert_int_equal(uv_tcp_init(loop, &srv->listener), 0);
  srv->listener.data = srv;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  assert_int_equal(
      uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&srv->listener, 64, srv_accept_cb),
                   0);
  assert_int_equal(
      uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len), 0);
  srv->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

static void srv_stop(struct srv *srv)
{
  if (srv->closing)
    return;
  srv->closing = true;
  uv_close((uv_handle_t *)&srv->listener, NULL);
  while (srv->conns != NULL)
    srv_conn_close(srv->conns);
}

/* ------------------------------------------------------------------ */
/* Fixture: loop, server, client, recorded results                      */

struct result {
  char address[128];
  unsigned calls;
  enum lc_identity identity;
  char detail[LC_IDENTITY_DETAIL_MAX];
};

static struct {
  uv_loop_t loop;
  uv_timer_t guard; /* deadline of a wait */
  struct srv srv;
  struct lc_identity_client *client;
  struct lc_identity_options opts;
  char base_url[64];
  struct result results[MAX_RESULTS];
  size_t nresults;
  unsigned done;
  bool free_in_callback;
  bool expired;
} fx;

static void deadline_cb(uv_timer_t *timer)
{
  fx.expired = true;
  uv_stop(timer->loop);
}

static void close_any_cb(uv_handle_t *handle, void *arg)
{
  (void)arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

static int fx_setup(X509 *cert)
{
  memset(&fx.results, 0, sizeof(fx.results));
  fx.nresults = 0;
  fx.done = 0;
  fx.client = NULL;
  fx.free_in_callback = false;
  assert_int_equal(uv_loop_init(&fx.loop), 0);
  uv_timer_init(&fx.loop, &fx.guard);
  srv_start(&fx.srv, &fx.loop, cert);
  snprintf(fx.base_url, sizeof(fx.base_url), "https://127.0.0.1:%d",
           fx.srv.port);
  lc_identity_options_init(&fx.opts);
  fx.opts.base_url = fx.base_url;
  fx.opts.ca_file = pki.ca_path;
  fx.opts.rate = 1000;
  fx.opts.timeout_ms = 5000;
  fx.opts.retry_delay_ms = 10;
  return 0;
}

static int setup_good(void **state)
{
  (void)state;
  return fx_setup(pki.good);
}

static int setup_expired(void **state)
{
  (void)state;
  return fx_setup(pki.expired);
}

static int setup_wrong_name(void **state)
{
  (void)state;
  return fx_setup(pki.wrong_name);
}

/* Free the client and the server and run the loop until every handle is
 * closed; a handle still open after 5 s fails the test. */
static int fx_teardown(void **state)
{
  (void)state;
  lc_identity_free(fx.client);
  fx.client = NULL;
  srv_stop(&fx.srv);
  uv_timer_start(&fx.guard, deadline_cb, 5000, 0);
  uv_unref((uv_handle_t *)&fx.guard);
  fx.expired = false;
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&fx.guard, NULL);
  if (fx.expired)
    uv_walk(&fx.loop, close_any_cb, NULL);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  SSL_CTX_free(fx.srv.ctx);
  assert_int_equal(uv_loop_close(&fx.loop), 0);
  assert_false(fx.expired);
  for (size_t i = 0; i < fx.nresults; i++)
    assert_int_equal(fx.results[i].calls, 1);
  return 0;
}

static void record_cb(void *arg, enum lc_identity identity, const char *detail)
{
  struct result *r = arg;

  r->calls++;
  r->identity = identity;
  snprintf(r->detail, sizeof(r->detail), "%s", detail);
  /* uv_run() would otherwise wait for I/O on idle keep-alive sockets. */
  if (++fx.done >= fx.nresults)
    uv_stop(&fx.loop);
  if (fx.free_in_callback && fx.client != NULL) {
    struct lc_identity_client *client = fx.client;

    fx.client = NULL;
    lc_identity_free(client);
    assert_int_equal(
        lc_identity_lookup(client, "late@managed.test", record_cb, r),
        LC_ERR_CANCELED);
  }
}

static void client_new(void)
{
  char err[256] = "";

  assert_int_equal(
      lc_identity_new(&fx.loop, &fx.opts, &fx.client, err, sizeof(err)), LC_OK);
}

static struct result *lookup(const char *address)
{
  struct result *r = &fx.results[fx.nresults++];

  assert_true(fx.nresults <= MAX_RESULTS);
  snprintf(r->address, sizeof(r->address), "%s", address);
  assert_int_equal(lc_identity_lookup(fx.client, address, record_cb, r), LC_OK);
  return r;
}

/* Run the loop until every lookup made so far has its callback. */
static void run_until_done(void)
{
  fx.expired = false;
  uv_timer_start(&fx.guard, deadline_cb, DEADLINE_MS, 0);
  while (fx.done < fx.nresults && !fx.expired)
    uv_run(&fx.loop, UV_RUN_DEFAULT);
  uv_timer_stop(&fx.guard);
  assert_false(fx.expired);
}

static void expect(const struct result *r, enum lc_identity identity,
                   const char *detail)
{
  print_message("# %s: %s (%s)\n", r->address,
                r->identity == LC_IDENTITY_NOT_CHECKED
                    ? "not checked"
                    : lc_identity_name(r->identity),
                r->detail);
  assert_int_equal(r->calls, 1);
  assert_int_equal(r->identity, identity);
  assert_string_equal(r->detail, detail);
}

static struct lc_identity_stats stats(void)
{
  struct lc_identity_stats s;

  lc_identity_get_stats(fx.client, &s);
  return s;
}

/* Run the loop until COND returns true; the test fails after
 * DEADLINE_MS. */
static void run_until(bool (*cond)(const void *), const void *arg)
{
  fx.expired = false;
  uv_timer_start(&fx.guard, deadline_cb, DEADLINE_MS, 0);
  while (!cond(arg) && !fx.expired)
    uv_run(&fx.loop, UV_RUN_ONCE);
  uv_timer_stop(&fx.guard);
  assert_false(fx.expired);
}

static bool has_result(const void *arg)
{
  return ((const struct result *)arg)->calls > 0;
}

static bool throttled_at_least(const void *arg)
{
  return stats().throttled >= *(const uint64_t *)arg;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */

static void test_managed_tenant(void **state)
{
  struct result *alice, *bob, *carol, *dave, *upper, *weird;
  struct lc_identity_stats s;

  (void)state;
  client_new();
  alice = lookup("alice@managed.test");
  bob = lookup("bob@managed.test");
  carol = lookup("carol@managed.test");
  dave = lookup("dave@managed.test");
  upper = lookup("erin@MANAGED.Test");
  weird = lookup("weird@managed.test");
  run_until_done();
  expect(alice, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  expect(bob, LC_IDENTITY_EXISTS, "IfExistsResult 5");
  expect(carol, LC_IDENTITY_EXISTS, "IfExistsResult 6");
  expect(dave, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(upper, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(weird, LC_IDENTITY_NOT_CHECKED, "undecided (IfExistsResult 2)");
  assert_int_equal(count_of(fx.srv.realm, "managed.test"), 1);
  assert_int_equal(count_of(fx.srv.canary, "managed.test"), 1);
  assert_int_equal(fx.srv.credential_total, 7);
  assert_int_equal(count_of(fx.srv.account, "erin@MANAGED.Test"), 1);
  assert_int_equal(fx.srv.bad_requests, 0);
  s = stats();
  assert_int_equal(s.lookups, 6);
  assert_int_equal(s.cache_hits, 5);
  assert_int_equal(s.requests, 8);
  assert_int_equal(s.realm_requests, 1);
  assert_int_equal(s.canary_requests, 1);
  assert_int_equal(s.account_requests, 6);
  assert_int_equal(s.throttled, 0);
  assert_int_equal(s.errors, 0);
}

/* Fifty lookups of one domain at once: one realm lookup, one canary. */
static void test_single_flight(void **state)
{
  char address[64];

  (void)state;
  client_new();
  for (int i = 0; i < 50; i++) {
    snprintf(address, sizeof(address), "user%d@managed.test", i);
    lookup(address);
  }
  run_until_done();
  for (int i = 0; i < 50; i++)
    expect(&fx.results[i], LC_IDENTITY_ABSENT, "IfExistsResult 1");
  assert_int_equal(count_of(fx.srv.realm, "managed.test"), 1);
  assert_int_equal(count_of(fx.srv.canary, "managed.test"), 1);
  assert_int_equal(fx.srv.credential_total, 51);
  assert_int_equal(stats().cache_hits, 49);
}

/* A lookup after the domain settled is answered from the cache. */
static void test_cached_domain(void **state)
{
  struct result *first, *second;

  (void)state;
  client_new();
  first = lookup("alice@okta.test");
  run_until_done();
  second = lookup("bob@okta.test");
  run_until_done();
  expect(first, LC_IDENTITY_UNRELIABLE, "federated (okta)");
  expect(second, LC_IDENTITY_UNRELIABLE, "federated (okta)");
  assert_int_equal(fx.srv.realm_total, 1);
  assert_int_equal(stats().cache_hits, 1);
  assert_int_equal(stats().requests, 1);
}

static void test_federated_tenants(void **state)
{
  struct result *okta1, *okta2, *adfs;

  (void)state;
  client_new();
  okta1 = lookup("alice@okta.test");
  okta2 = lookup("nobody@okta.test");
  adfs = lookup("alice@adfs.test");
  run_until_done();
  expect(okta1, LC_IDENTITY_UNRELIABLE, "federated (okta)");
  expect(okta2, LC_IDENTITY_UNRELIABLE, "federated (okta)");
  expect(adfs, LC_IDENTITY_UNRELIABLE, "federated (adfs)");
  assert_int_equal(count_of(fx.srv.realm, "okta.test"), 1);
  assert_int_equal(count_of(fx.srv.realm, "adfs.test"), 1);
  assert_int_equal(fx.srv.credential_total, 0);
}

static void test_unknown_tenant(void **state)
{
  struct result *a, *b;

  (void)state;
  client_new();
  a = lookup("alice@gmail.test");
  b = lookup("bob@gmail.test");
  run_until_done();
  expect(a, LC_IDENTITY_NOT_CHECKED, "no Entra ID tenant");
  expect(b, LC_IDENTITY_NOT_CHECKED, "no Entra ID tenant");
  assert_int_equal(count_of(fx.srv.realm, "gmail.test"), 1);
  assert_int_equal(fx.srv.credential_total, 0);
}

/* A tenant that reports every name as existing fails its canary. */
static void test_all_exists_tenant(void **state)
{
  struct result *alice, *zed;

  (void)state;
  client_new();
  alice = lookup("alice@allexist.test");
  zed = lookup("zed@allexist.test");
  run_until_done();
  expect(alice, LC_IDENTITY_UNRELIABLE, "canary exists");
  expect(zed, LC_IDENTITY_UNRELIABLE, "canary exists");
  assert_int_equal(count_of(fx.srv.canary, "allexist.test"), 1);
  assert_int_equal(fx.srv.credential_total, 1);
  assert_int_equal(stats().account_requests, 0);
}

/* Throttled answers are discarded and the request is sent again after the
 * retry delay, until an answer comes through. */
static void test_throttle_clears(void **state)
{
  struct result *r1, *r2, *r3;
  uint64_t start;
  struct lc_identity_stats s;

  (void)state;
  fx.opts.retry_delay_ms = 100;
  client_new();
  start = uv_hrtime();
  r1 = lookup("throttle2@managed.test");
  r2 = lookup("throttle429@managed.test");
  r3 = lookup("alice@realm429.test");
  run_until_done();
  expect(r1, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  expect(r2, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(r3, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  assert_int_equal(count_of(fx.srv.account, "throttle2@managed.test"), 3);
  assert_int_equal(count_of(fx.srv.account, "throttle429@managed.test"), 2);
  assert_int_equal(count_of(fx.srv.realm, "realm429.test"), 2);
  s = stats();
  assert_int_equal(s.throttled, 4);
  assert_int_equal(s.errors, 0);
  /* Two resends of throttle2, each after 100 ms. */
  assert_true(uv_hrtime() - start >= 200 * 1000000ULL);
}

/* A Retry-After header sets the wait, also when it is shorter than the
 * retry delay: with a 60 s retry delay these resends would miss the test
 * deadline. HTTP 503 counts as throttled, and the header is read from a
 * ThrottleStatus answer as well. */
static void test_retry_after_honoured(void **state)
{
  struct result *after0, *busy503, *pastdate, *throttle0;
  struct lc_identity_stats s;

  (void)state;
  fx.opts.retry_delay_ms = 60000;
  client_new();
  after0 = lookup("after0@managed.test");
  busy503 = lookup("busy503@managed.test");
  pastdate = lookup("pastdate@managed.test");
  throttle0 = lookup("throttle0@managed.test");
  run_until_done();
  expect(after0, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(busy503, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  expect(pastdate, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(throttle0, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  assert_int_equal(count_of(fx.srv.account, "after0@managed.test"), 2);
  assert_int_equal(count_of(fx.srv.account, "busy503@managed.test"), 2);
  assert_int_equal(count_of(fx.srv.account, "pastdate@managed.test"), 2);
  assert_int_equal(count_of(fx.srv.account, "throttle0@managed.test"), 2);
  s = stats();
  assert_int_equal(s.throttled, 4);
  assert_int_equal(s.retry_after, 4);
  assert_int_equal(s.retry_wait_ms, 0);
  assert_int_equal(s.errors, 0);
}

/* Without a readable Retry-After header a resend waits the retry delay:
 * "soon" is not a delay, and a 503 may come without the header. */
static void test_retry_after_unreadable(void **state)
{
  struct result *badafter, *busy;
  struct lc_identity_stats s;

  (void)state;
  fx.opts.retry_delay_ms = 50;
  client_new();
  badafter = lookup("badafter@managed.test");
  busy = lookup("busy@managed.test");
  run_until_done();
  expect(badafter, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  expect(busy, LC_IDENTITY_ABSENT, "IfExistsResult 1");
  assert_int_equal(count_of(fx.srv.account, "badafter@managed.test"), 2);
  assert_int_equal(count_of(fx.srv.account, "busy@managed.test"), 2);
  s = stats();
  assert_int_equal(s.throttled, 2);
  assert_int_equal(s.retry_after, 0);
  assert_int_equal(s.retry_wait_ms, 100);
}

/* A Retry-After of 100000 s, or a date in the year 9999, waits the 300 s
 * maximum. Resends due later do not hold back those due sooner: the
 * retry list is in order of due time. Freeing the client cancels the
 * long waits. */
static void test_retry_after_capped(void **state)
{
  struct result *later, *farfuture, *quick;
  struct lc_identity_stats s;
  uint64_t long_waits = 2;

  (void)state;
  client_new();
  later = lookup("later@managed.test");
  farfuture = lookup("farfuture@managed.test");
  run_until(throttled_at_least, &long_waits);
  quick = lookup("throttle2@managed.test");
  run_until(has_result, quick);
  expect(quick, LC_IDENTITY_EXISTS, "IfExistsResult 0");
  assert_int_equal(count_of(fx.srv.account, "throttle2@managed.test"), 3);
  assert_int_equal(count_of(fx.srv.account, "later@managed.test"), 1);
  assert_int_equal(count_of(fx.srv.account, "farfuture@managed.test"), 1);
  s = stats();
  assert_int_equal(s.throttled, 4);
  assert_int_equal(s.retry_after, 2);
  /* throttle2 waited the retry delay (10 ms), then twice that. */
  assert_int_equal(s.retry_wait_ms,
                   2 * LC_IDENTITY_RETRY_AFTER_MAX_MS + 10 + 20);
  lc_identity_free(fx.client);
  fx.client = NULL;
  expect(later, LC_IDENTITY_NOT_CHECKED, "canceled");
  expect(farfuture, LC_IDENTITY_NOT_CHECKED, "canceled");
}

/* A retry delay above 300 s raises the maximum a Retry-After can set. */
static void test_retry_after_long_delay(void **state)
{
  struct result *later;
  uint64_t throttled = 1;

  (void)state;
  fx.opts.retry_delay_ms = 400500;
  client_new();
  later = lookup("later@managed.test");
  run_until(throttled_at_least, &throttled);
  assert_int_equal(stats().retry_wait_ms, 400500);
  assert_int_equal(stats().retry_after, 1);
  lc_identity_free(fx.client);
  fx.client = NULL;
  expect(later, LC_IDENTITY_NOT_CHECKED, "canceled");
  assert_int_equal(count_of(fx.srv.account, "later@managed.test"), 1);
}

static void test_always_throttled(void **state)
{
  struct result *always, *canary, *other;

  (void)state;
  fx.opts.max_retries = 2;
  client_new();
  always = lookup("always@managed.test");
  canary = lookup("alice@throttled.test");
  other = lookup("bob@throttled.test");
  run_until_done();
  expect(always, LC_IDENTITY_NOT_CHECKED,
         "account check failed: throttled 3 times");
  expect(canary, LC_IDENTITY_NOT_CHECKED,
         "canary check failed: throttled 3 times");
  expect(other, LC_IDENTITY_NOT_CHECKED,
         "canary check failed: throttled 3 times");
  assert_int_equal(count_of(fx.srv.account, "always@managed.test"), 3);
  assert_int_equal(count_of(fx.srv.canary, "throttled.test"), 3);
  assert_int_equal(stats().throttled, 6);
}

static void test_expired_certificate(void **state)
{
  struct result *r;

  (void)state;
  client_new();
  r = lookup("alice@managed.test");
  run_until_done();
  expect(r, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: certificate rejected: certificate has "
         "expired");
  assert_int_equal(fx.srv.realm_total, 0);
  assert_int_equal(stats().errors, 1);
}

static void test_wrong_name_certificate(void **state)
{
  struct result *r;

  (void)state;
  client_new();
  r = lookup("alice@managed.test");
  run_until_done();
  expect(r, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: certificate rejected: host name mismatch");
  assert_int_equal(fx.srv.realm_total, 0);
}

/* Without ca_file only the system bundle is trusted, and it does not
 * contain the test CA. */
static void test_untrusted_ca(void **state)
{
  struct result *r;

  (void)state;
  fx.opts.ca_file = NULL;
  client_new();
  r = lookup("alice@managed.test");
  run_until_done();
  expect(r, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: certificate rejected: unable to get local "
         "issuer certificate");
  assert_int_equal(fx.srv.realm_total, 0);
}

static void test_slow_server(void **state)
{
  struct result *realm, *account;
  uint64_t start;

  (void)state;
  /* Long enough for the realm lookup and canary of managed.test: under
   * ASan, with two test programs running at once on 2 cores, they took
   * more than 300 ms. */
  fx.opts.timeout_ms = 1500;
  client_new();
  start = uv_hrtime();
  realm = lookup("alice@slow.test");
  account = lookup("slowpoke@managed.test");
  run_until_done();
  expect(realm, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: timed out after 1500 ms");
  expect(account, LC_IDENTITY_NOT_CHECKED,
         "account check failed: timed out after 1500 ms");
  assert_true(uv_hrtime() - start >= 1500 * 1000000ULL);
  assert_true(uv_hrtime() - start < 10000 * 1000000ULL);
  assert_int_equal(stats().errors, 2);
}

/* A 100 MB answer aborts at the body limit, with or without a
 * Content-Length, and memory stays small. */
static void test_huge_body(void **state)
{
  struct result *length, *stream, *account;
  struct rusage before, after;

  (void)state;
  getrusage(RUSAGE_SELF, &before);
  client_new();
  length = lookup("alice@huge-length.test");
  stream = lookup("alice@huge-stream.test");
  account = lookup("huge@managed.test");
  run_until_done();
  getrusage(RUSAGE_SELF, &after);
  expect(length, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: response body over 65536 bytes");
  expect(stream, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: response body over 65536 bytes");
  expect(account, LC_IDENTITY_NOT_CHECKED,
         "account check failed: response body over 65536 bytes");
  print_message("# streamed %llu bytes, max RSS %ld -> %ld KiB\n",
                (unsigned long long)fx.srv.stream_sent, before.ru_maxrss,
                after.ru_maxrss);
  /* The client stopped reading, so the server could not push more than
   * what the socket buffers hold. */
  assert_true(fx.srv.stream_sent < 16 * 1024 * 1024);
#ifndef __SANITIZE_ADDRESS__
  /* Under ASan the allocator's quarantine and shadow pages move the
   * maximum RSS by tens of MiB, so the bound is checked without it. */
  assert_true(after.ru_maxrss - before.ru_maxrss < 32 * 1024);
#endif
}

static void test_malformed_answers(void **state)
{
  struct result *realm, *account, *status, *account500;

  (void)state;
  client_new();
  realm = lookup("alice@badjson.test");
  account = lookup("broken@managed.test");
  status = lookup("alice@http500.test");
  account500 = lookup("err500@managed.test");
  run_until_done();
  expect(realm, LC_IDENTITY_NOT_CHECKED, "realm lookup failed: malformed JSON");
  expect(account, LC_IDENTITY_NOT_CHECKED,
         "account check failed: malformed JSON");
  expect(status, LC_IDENTITY_NOT_CHECKED,
         "realm lookup failed: HTTP status 500");
  expect(account500, LC_IDENTITY_NOT_CHECKED,
         "account check failed: HTTP status 500");
  assert_int_equal(stats().errors, 4);
}

/* Sequential requests share one connection. */
static void test_connection_reuse(void **state)
{
  (void)state;
  fx.opts.max_inflight = 1;
  client_new();
  lookup("alice@managed.test");
  lookup("bob@managed.test");
  lookup("dave@managed.test");
  run_until_done();
  assert_int_equal(stats().requests, 5);
  assert_int_equal(stats().connects, 1);
  assert_int_equal(fx.srv.accepted, 1);
}

/* Sixteen requests in flight keep at most sixteen connections open.
 * Every connection after the first gets the CA store that libcurl cached,
 * and ca_file must still be trusted on each of them. */
static void test_connection_pool(void **state)
{
  char address[64];

  (void)state;
  fx.opts.max_inflight = 16;
  client_new();
  for (int i = 0; i < MAX_RESULTS; i++) {
    snprintf(address, sizeof(address), "user%d@managed.test", i);
    lookup(address);
  }
  run_until_done();
  print_message("# %llu requests, %llu connections\n",
                (unsigned long long)stats().requests,
                (unsigned long long)stats().connects);
  for (int i = 0; i < MAX_RESULTS; i++) {
    assert_int_equal(fx.results[i].identity, LC_IDENTITY_ABSENT);
    assert_string_equal(fx.results[i].detail, "IfExistsResult 1");
  }
  assert_int_equal(stats().requests, MAX_RESULTS + 2);
  assert_true(stats().connects > 1);
  assert_true(stats().connects <= 16);
  assert_true(fx.srv.accepted <= 16);
  assert_int_equal(fx.srv.handshake_failures, 0);
}

/* 20 requests per second: six realm lookups take at least 250 ms. */
static void test_rate_pacing(void **state)
{
  char address[64];
  uint64_t start;
  uint64_t elapsed_ms;

  (void)state;
  fx.opts.rate = 20;
  client_new();
  start = uv_hrtime();
  for (int i = 0; i < 6; i++) {
    snprintf(address, sizeof(address), "a@pace%d.test", i);
    lookup(address);
  }
  run_until_done();
  elapsed_ms = (uv_hrtime() - start) / 1000000;
  print_message("# 6 requests at 20/s took %llu ms\n",
                (unsigned long long)elapsed_ms);
  assert_int_equal(fx.srv.realm_total, 6);
  assert_true(elapsed_ms >= 245);
  assert_true(elapsed_ms < 5000);
}

/* Freeing the client completes every pending lookup once, "canceled". */
static void test_free_cancels(void **state)
{
  struct result *slow1, *slow2, *queued;

  (void)state;
  fx.opts.rate = 0.1; /* the second realm lookup waits 10 s for its slot */
  client_new();
  slow1 = lookup("alice@slow.test");
  slow2 = lookup("bob@slow.test");
  queued = lookup("alice@managed.test");
  fx.expired = false;
  uv_timer_start(&fx.guard, deadline_cb, DEADLINE_MS, 0);
  while (fx.srv.realm_total < 1 && !fx.expired)
    uv_run(&fx.loop, UV_RUN_ONCE);
  uv_timer_stop(&fx.guard);
  assert_false(fx.expired);
  assert_int_equal(fx.done, 0);
  assert_int_equal(fx.srv.realm_total, 1);
  lc_identity_free(fx.client);
  fx.client = NULL;
  expect(slow1, LC_IDENTITY_NOT_CHECKED, "canceled");
  expect(slow2, LC_IDENTITY_NOT_CHECKED, "canceled");
  expect(queued, LC_IDENTITY_NOT_CHECKED, "canceled");
}

/* The first callback frees the client; the rest still complete once. */
static void test_free_in_callback(void **state)
{
  struct result *fast, *slow;

  (void)state;
  client_new();
  fx.free_in_callback = true;
  fast = lookup("alice@okta.test");
  slow = lookup("alice@slow.test");
  run_until_done();
  expect(fast, LC_IDENTITY_UNRELIABLE, "federated (okta)");
  expect(slow, LC_IDENTITY_NOT_CHECKED, "canceled");
}

static void test_invalid_arguments(void **state)
{
  struct lc_identity_client *client = NULL;
  struct lc_identity_options opts = fx.opts;
  char err[256];

  (void)state;
  opts.base_url = "http://127.0.0.1:1";
  assert_int_equal(lc_identity_new(&fx.loop, &opts, &client, err, sizeof(err)),
                   LC_ERR_INVALID);
  assert_string_equal(err,
                      "invalid identity option base URL: use an https:// URL");
  opts = fx.opts;
  opts.rate = 0;
  assert_int_equal(lc_identity_new(&fx.loop, &opts, &client, err, sizeof(err)),
                   LC_ERR_INVALID);
  opts = fx.opts;
  opts.ca_file = "/nonexistent/ca.pem";
  assert_int_equal(lc_identity_new(&fx.loop, &opts, &client, err, sizeof(err)),
                   LC_ERR_NOTFOUND);
  assert_string_equal(err, "cannot open CA file /nonexistent/ca.pem: No "
                           "such file or directory");
  opts.ca_file = pki.junk_path;
  assert_int_equal(lc_identity_new(&fx.loop, &opts, &client, err, sizeof(err)),
                   LC_ERR_FORMAT);
  assert_null(client);
  client_new();
  assert_int_equal(lc_identity_lookup(fx.client, "no-at-sign", record_cb, NULL),
                   LC_ERR_INVALID);
  assert_int_equal(lc_identity_lookup(fx.client, "a@", record_cb, NULL),
                   LC_ERR_INVALID);
  assert_int_equal(lc_identity_lookup(fx.client, "@b.test", record_cb, NULL),
                   LC_ERR_INVALID);
  assert_int_equal(lc_identity_lookup(fx.client, "a b@c.test", record_cb, NULL),
                   LC_ERR_INVALID);
  assert_int_equal(
      lc_identity_lookup(fx.client, "\xff@c.test", record_cb, NULL),
      LC_ERR_INVALID);
  assert_int_equal(stats().lookups, 0);
}

static void test_default_options(void **state)
{
  struct lc_identity_options opts;

  (void)state;
  lc_identity_options_init(&opts);
  assert_string_equal(opts.base_url, "https://login.microsoftonline.com");
  assert_null(opts.ca_file);
  assert_true(opts.rate == 5);
  assert_int_equal(opts.max_inflight, 4);
  assert_int_equal(opts.timeout_ms, 15000);
  assert_int_equal(opts.max_retries, 3);
  assert_int_equal(opts.retry_delay_ms, 2000);
}

#define GOOD(test)                                                             \
  cmocka_unit_test_setup_teardown(test, setup_good, fx_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
      GOOD(test_managed_tenant),
      GOOD(test_single_flight),
      GOOD(test_cached_domain),
      GOOD(test_federated_tenants),
      GOOD(test_unknown_tenant),
      GOOD(test_all_exists_tenant),
      GOOD(test_throttle_clears),
      GOOD(test_retry_after_honoured),
      GOOD(test_retry_after_unreadable),
      GOOD(test_retry_after_capped),
      GOOD(test_retry_after_long_delay),
      GOOD(test_always_throttled),
      cmocka_unit_test_setup_teardown(test_expired_certificate, setup_expired,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_wrong_name_certificate,
                                      setup_wrong_name, fx_teardown),
      GOOD(test_untrusted_ca),
      GOOD(test_slow_server),
      GOOD(test_huge_body),
      GOOD(test_malformed_answers),
      GOOD(test_connection_reuse),
      GOOD(test_connection_pool),
      GOOD(test_rate_pacing),
      GOOD(test_free_cancels),
      GOOD(test_free_in_callback),
      GOOD(test_invalid_arguments),
      cmocka_unit_test(test_default_options),
  };

  /* Loopback only: no proxy from the environment may carry the tests. */
  setenv("no_proxy", "*", 1);
  setenv("NO_PROXY", "*", 1);
  lc_log_set_level(getenv("TRACE") ? LC_LOG_TRACE : LC_LOG_ERROR);
  return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
