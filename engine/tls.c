/* TLS client over memory BIOs (see engine/tls.h).
 *
 * OpenSSL keeps its error queue per thread, and every connection on the
 * loop shares it. Each call therefore clears the queue first and drains it
 * after a failure, so that an old error of one session is never blamed on
 * another.
 */
#include "engine/tls.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "engine/log.h"

struct lc_tls {
  SSL *ssl;
  BIO *rbio; /* ciphertext from the peer; SSL reads it */
  BIO *wbio; /* ciphertext for the peer; SSL writes it */
};

static void tls_log_errors(const char *operation);
static bool tls_is_ip_literal(const char *name);

enum lc_status lc_tls_client_ctx_new(SSL_CTX **out)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

  if (ctx == NULL) {
    tls_log_errors("SSL_CTX_new");
    return LC_ERR_TLS;
  }
  /* Mail servers still run old stacks; a probe reads no secret, so it
   * accepts any version and cipher OpenSSL's security level allows. */
  SSL_CTX_set_min_proto_version(ctx, 0);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  *out = ctx;
  return LC_OK;
}

enum lc_status lc_tls_new(SSL_CTX *ctx, const char *sni, struct lc_tls **out)
{
  enum lc_status status = LC_ERR_TLS;
  struct lc_tls *tls = calloc(1, sizeof(*tls));
  char name[256];

  if (tls == NULL)
    return LC_ERR_NOMEM;
  ERR_clear_error();
  tls->ssl = SSL_new(ctx);
  tls->rbio = BIO_new(BIO_s_mem());
  tls->wbio = BIO_new(BIO_s_mem());
  if (tls->ssl == NULL || tls->rbio == NULL || tls->wbio == NULL)
    goto done;
  /* An empty memory BIO reports "retry" instead of end of file. */
  BIO_set_mem_eof_return(tls->rbio, -1);
  SSL_set_bio(tls->ssl, tls->rbio, tls->wbio);
  SSL_set_connect_state(tls->ssl);
  SSL_set_verify(tls->ssl, SSL_VERIFY_NONE, NULL);
  /* RFC 6066 wants the host name without the root's trailing dot. */
  snprintf(name, sizeof(name), "%s", sni != NULL ? sni : "");
  if (name[0] != '\0' && name[strlen(name) - 1] == '.')
    name[strlen(name) - 1] = '\0';
  if (name[0] != '\0' && !tls_is_ip_literal(name) &&
      SSL_set_tlsext_host_name(tls->ssl, name) != 1)
    goto done;
  *out = tls;
  tls = NULL;
  status = LC_OK;
done:
  if (tls != NULL) {
    tls_log_errors("TLS setup");
    if (tls->ssl != NULL) {
      SSL_free(tls->ssl); /* frees the BIOs it owns */
    } else {
      BIO_free(tls->rbio);
      BIO_free(tls->wbio);
    }
    free(tls);
  }
  return status;
}

void lc_tls_free(struct lc_tls *tls)
{
  if (tls == NULL)
    return;
  SSL_free(tls->ssl);
  free(tls);
}

enum lc_status lc_tls_feed(struct lc_tls *tls, const char *data, size_t len)
{
  if (len > INT32_MAX)
    return LC_ERR_INVALID;
  if (len == 0)
    return LC_OK;
  ERR_clear_error();
  if (BIO_write(tls->rbio, data, (int)len) != (int)len) {
    tls_log_errors("BIO_write");
    return LC_ERR_NOMEM;
  }
  return LC_OK;
}

enum lc_status lc_tls_handshake(struct lc_tls *tls, bool *done)
{
  int rc;

  ERR_clear_error();
  rc = SSL_do_handshake(tls->ssl);
  if (rc == 1) {
    *done = true;
    return LC_OK;
  }
  *done = false;
  switch (SSL_get_error(tls->ssl, rc)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return LC_OK;
  default:
    tls_log_errors("TLS handshake");
    return LC_ERR_TLS;
  }
}

enum lc_status lc_tls_read(struct lc_tls *tls, char *buf, size_t size,
                           size_t *n)
{
  int rc;

  *n = 0;
  if (size > INT32_MAX)
    size = INT32_MAX;
  ERR_clear_error();
  rc = SSL_read(tls->ssl, buf, (int)size);
  if (rc > 0) {
    *n = (size_t)rc;
    return LC_OK;
  }
  switch (SSL_get_error(tls->ssl, rc)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return LC_OK;
  case SSL_ERROR_ZERO_RETURN:
    return LC_ERR_CLOSED;
  default:
    tls_log_errors("TLS read");
    return LC_ERR_TLS;
  }
}

enum lc_status lc_tls_write(struct lc_tls *tls, const char *data, size_t len)
{
  int rc;

  if (len > INT32_MAX)
    return LC_ERR_INVALID;
  if (len == 0)
    return LC_OK;
  ERR_clear_error();
  /* A memory BIO grows as needed, so the write is never partial. */
  rc = SSL_write(tls->ssl, data, (int)len);
  if (rc != (int)len) {
    tls_log_errors("TLS write");
    return LC_ERR_TLS;
  }
  return LC_OK;
}

size_t lc_tls_output_pending(const struct lc_tls *tls)
{
  return BIO_ctrl_pending(tls->wbio);
}

size_t lc_tls_take_output(struct lc_tls *tls, char *buf, size_t size)
{
  int rc;

  if (size > INT32_MAX)
    size = INT32_MAX;
  rc = BIO_read(tls->wbio, buf, (int)size);
  return rc > 0 ? (size_t)rc : 0;
}

const char *lc_tls_version(const struct lc_tls *tls)
{
  return SSL_get_version(tls->ssl);
}

const char *lc_tls_cipher(const struct lc_tls *tls)
{
  const char *name = SSL_get_cipher_name(tls->ssl);

  return name != NULL ? name : "none";
}

/* Log and drop every queued OpenSSL error at debug level. */
static void tls_log_errors(const char *operation)
{
  unsigned long err;
  char text[256];

  while ((err = ERR_get_error()) != 0) {
    ERR_error_string_n(err, text, sizeof(text));
    lc_debug("%s failed: %s", operation, text);
  }
}

/* RFC 6066 forbids IP literals in SNI. */
static bool tls_is_ip_literal(const char *name)
{
  unsigned char buf[sizeof(struct in6_addr)];

  return inet_pton(AF_INET, name, buf) == 1 ||
         inet_pton(AF_INET6, name, buf) == 1;
}
