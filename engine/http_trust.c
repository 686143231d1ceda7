/* HTTPS client: which certificate authorities a request trusts.
 *
 * The system CA bundle of the libcurl build always applies, and the
 * certificates of ca_file are added to the store libcurl builds from it
 * (engine/http.h). This file also keeps that store for the life of the
 * client, so it is built once and not for every new connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "engine/http_int.h"
#include "engine/log.h"

/* Report whether CURLOPT_SSL_CTX_FUNCTION can add certificates, which
 * needs libcurl's OpenSSL backend. */
static bool http_ssl_ctx_usable(void)
{
  const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);

  return info->ssl_version != NULL &&
         strncmp(info->ssl_version, "OpenSSL/", 8) == 0;
}

enum lc_status lc_http_load_ca(struct lc_http *http, const char *path,
                               char *err, size_t size)
{
  BIO *bio = BIO_new_file(path, "r");
  X509 *cert;
  int saved = errno;

  if (bio == NULL) {
    snprintf(err, size, "cannot open CA file %s: %s", path, strerror(saved));
    ERR_clear_error();
    return LC_ERR_NOTFOUND;
  }
  http->extra_ca = sk_X509_new_null();
  while (http->extra_ca != NULL &&
         (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (sk_X509_push(http->extra_ca, cert) == 0)
      X509_free(cert);
  }
  /* The loop ends with a "no start line" error on the queue. */
  ERR_clear_error();
  BIO_free(bio);
  if (http->extra_ca == NULL)
    return LC_ERR_NOMEM;
  if (sk_X509_num(http->extra_ca) == 0) {
    snprintf(err, size, "no PEM certificate in CA file %s", path);
    return LC_ERR_FORMAT;
  }
  if (!http_ssl_ctx_usable()) {
    http->ca_file = strdup(path);
    if (http->ca_file == NULL)
      return LC_ERR_NOMEM;
    lc_debug("http: libcurl is not built with OpenSSL, so %s replaces the "
             "system CA bundle",
             path);
  }
  return LC_OK;
}

void lc_http_init_ca_cache(struct lc_http *http)
{
#if CURL_AT_LEAST_VERSION(7, 87, 0)
  CURL *easy = curl_easy_init();
  char *bundle = NULL;
  char *dir = NULL;

  /* The directory is left out only where the build's bundle file can be
   * read and the OpenSSL backend will cache the store.
   * NOTE: a certificate that was linked into the directory by hand, and
   * not added to the bundle with update-ca-certificates, is then not
   * trusted. */
  if (easy != NULL && http_ssl_ctx_usable() &&
      curl_easy_getinfo(easy, CURLINFO_CAINFO, &bundle) == CURLE_OK &&
      curl_easy_getinfo(easy, CURLINFO_CAPATH, &dir) == CURLE_OK)
    http->ca_bundle_only =
        bundle != NULL && dir != NULL && access(bundle, R_OK) == 0;
  curl_easy_cleanup(easy);
  if (http->ca_bundle_only)
    lc_debug("http: CA store from %s alone, without %s, so that libcurl "
             "builds it once",
             bundle, dir);
#else
  (void)http;
#endif
}

/* Add the certificates of ca_file to the store libcurl built from the
 * system bundle. With the CA store cache, libcurl hands every new
 * connection the same store, so after the first connection each
 * certificate is already there. OpenSSL 3 returns success for a
 * certificate that the store already contains. */
static CURLcode http_ssl_ctx_cb(CURL *easy, void *ssl_ctx, void *arg)
{
  struct lc_http *http = arg;
  X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);

  (void)easy;
  for (int i = 0; i < sk_X509_num(http->extra_ca); i++) {
    if (X509_STORE_add_cert(store, sk_X509_value(http->extra_ca, i)) != 1) {
      ERR_clear_error();
      return CURLE_SSL_CERTPROBLEM;
    }
  }
  return CURLE_OK;
}

/* Keep the CA store for the life of the client (engine/http.h). Errors
 * are ignored: a libcurl without the cache only spends more CPU. */
static void http_setup_ca_cache(struct lc_http *http, CURL *easy)
{
#if CURL_AT_LEAST_VERSION(7, 87, 0)
  /* -1: the cached store never expires. */
  (void)curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, -1L);
  if (http->ca_bundle_only)
    (void)curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);
#else
  (void)http;
  (void)easy;
#endif
}

enum lc_status lc_http_setup_trust(struct lc_http *http, CURL *easy)
{
  http_setup_ca_cache(http, easy);
  if (http->ca_file != NULL)
    return curl_easy_setopt(easy, CURLOPT_CAINFO, http->ca_file) == CURLE_OK
               ? LC_OK
               : LC_ERR_INTERNAL;
  if (http->extra_ca == NULL)
    return LC_OK;
  if (curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, http_ssl_ctx_cb) !=
          CURLE_OK ||
      curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, http) != CURLE_OK)
    return LC_ERR_INTERNAL;
  return LC_OK;
}
