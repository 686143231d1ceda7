/* Test CA and server certificates, made with the OpenSSL 3 API. */
#include "bench/simworld/cert.h"
#include "bench/simworld/log.h"
#include "bench/simworld/profile.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_LEN 4096
#define DAY (24L * 60 * 60)
/* A handshake sends the whole certificate, so the SMTP certificate names at
 * most this many hosts. */
#define SMTP_SAN_MAX 400

struct issued {
  X509 *cert;
  EVP_PKEY *key;
};

static void log_tls_error(const char *message)
{
  char detail[256];
  ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
  sim_log_error("%s: %s", message, detail);
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (ext == NULL)
    return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/* Create a certificate for KEY named CN, valid from NOT_BEFORE to
 * NOT_AFTER seconds from now, signed by ISSUER/ISSUER_KEY (itself when
 * ISSUER is NULL). SAN is NULL for the CA. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long not_before,
                       long not_after, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san)
{
  X509 *cert = X509_new();
  unsigned char serial[8];
  if (cert == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
    goto fail;
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
  bool ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_NAME *name = X509_get_subject_name(cert);
  ok =
      ok && X509_set_version(cert, 2) &&
      X509_gmtime_adj(X509_getm_notBefore(cert), not_before) &&
      X509_gmtime_adj(X509_getm_notAfter(cert), not_after) &&
      X509_set_pubkey(cert, key) &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 (const unsigned char *)cn, -1, -1, 0) &&
      X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509 *signer = issuer ? issuer : cert;
  if (san == NULL)
    ok = ok &&
         add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(cert, signer, NID_subject_key_identifier, "hash");
  else
    ok = ok && add_ext(cert, signer, NID_basic_constraints, "CA:FALSE") &&
         add_ext(cert, signer, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert, signer, NID_authority_key_identifier, "keyid") &&
         add_ext(cert, signer, NID_subject_alt_name, san);
  if (ok && X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0)
    return cert;
fail:
  X509_free(cert);
  return NULL;
}

static bool write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
  char tmp[PATH_LEN + 8];
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  FILE *out = fopen(tmp, "w");
  if (out == NULL)
    return false;
  if (key != NULL)
    fchmod(fileno(out), 0600);
  bool ok = key ? PEM_write_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL)
                : PEM_write_X509(out, cert);
  ok = fclose(out) == 0 && ok;
  return ok && rename(tmp, path) == 0;
}

static bool load_ca(const char *dir, struct issued *ca)
{
  char path[PATH_LEN];
  snprintf(path, sizeof(path), "%s/ca.pem", dir);
  FILE *in = fopen(path, "r");
  if (in == NULL)
    return false;
  ca->cert = PEM_read_X509(in, NULL, NULL, NULL);
  fclose(in);
  snprintf(path, sizeof(path), "%s/ca-key.pem", dir);
  in = fopen(path, "r");
  if (in != NULL) {
    ca->key = PEM_read_PrivateKey(in, NULL, NULL, NULL);
    fclose(in);
  }
  if (ca->cert != NULL && ca->key != NULL &&
      X509_check_private_key(ca->cert, ca->key) == 1)
    return true;
  X509_free(ca->cert);
  EVP_PKEY_free(ca->key);
  ca->cert = NULL;
  ca->key = NULL;
  return false;
}

static bool create_ca(const char *dir, struct issued *ca)
{
  char path[PATH_LEN];
  ca->key = EVP_EC_gen("P-256");
  if (ca->key == NULL)
    return false;
  ca->cert = make_cert(ca->key, "simworld test CA", -DAY, 3650 * DAY, NULL,
                       NULL, NULL);
  if (ca->cert == NULL)
    return false;
  snprintf(path, sizeof(path), "%s/ca-key.pem", dir);
  if (!write_pem(path, NULL, ca->key))
    return false;
  snprintf(path, sizeof(path), "%s/ca.pem", dir);
  return write_pem(path, ca->cert, NULL);
}

/* Build "DNS:localhost,IP:127.0.0.1,DNS:host..." with the names of every
 * STARTTLS host and of the names whose A record points at one. */
static char *smtp_san(const struct sim_world *world)
{
  size_t cap = 64 + SMTP_SAN_MAX * 260, len = 0, count = 0;
  char *san = malloc(cap);
  if (san == NULL)
    return NULL;
  len = (size_t)snprintf(san, cap, "DNS:localhost,IP:127.0.0.1");
  for (size_t i = 0; i < world->name_count && count < SMTP_SAN_MAX; i++) {
    const struct sim_name *rec = &world->names[i];
    const struct sim_host *host =
        rec->has_a ? sim_world_find_host(world, rec->a_addr) : NULL;
    if (host == NULL || !(host->mods & SIM_MOD_STARTTLS))
      continue;
    len += (size_t)snprintf(san + len, cap - len, ",DNS:%s", rec->name);
    count++;
  }
  return san;
}

static void issued_free(struct issued *issued)
{
  X509_free(issued->cert);
  EVP_PKEY_free(issued->key);
  issued->cert = NULL;
  issued->key = NULL;
}

/* Issue a certificate signed by CA and write it to DIR/FILE. */
static bool issue(const struct issued *ca, const char *dir, const char *file,
                  const char *cn, long not_before, long not_after,
                  const char *san, struct issued *out)
{
  char path[PATH_LEN];
  out->key = EVP_EC_gen("P-256");
  if (out->key == NULL)
    return false;
  out->cert =
      make_cert(out->key, cn, not_before, not_after, ca->cert, ca->key, san);
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  return out->cert != NULL && write_pem(path, out->cert, NULL);
}

static SSL_CTX *make_ctx(const struct issued *issued)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == NULL)
    return NULL;
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(ctx, issued->cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, issued->key) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

enum lc_status sim_cert_setup(struct sim_server *server)
{
  const char *dir = server->config.world_dir;
  struct issued ca = {0}, good = {0}, expired = {0}, wrong = {0}, smtp = {0};
  const char *local = "DNS:localhost,IP:127.0.0.1";
  enum lc_status status = LC_ERR_TLS;
  char *san = smtp_san(server->world);
  if (san == NULL)
    goto done;
  if (!load_ca(dir, &ca) && !create_ca(dir, &ca)) {
    log_tls_error("cannot create the test CA");
    goto done;
  }
  if (!issue(&ca, dir, "good.pem", "localhost", -DAY, 825 * DAY, local,
             &good) ||
      !issue(&ca, dir, "expired.pem", "localhost", -30 * DAY, -DAY, local,
             &expired) ||
      !issue(&ca, dir, "wrong-name.pem", "wrong-name.invalid", -DAY, 825 * DAY,
             "DNS:wrong-name.invalid", &wrong) ||
      !issue(&ca, dir, "smtp.pem", "simworld mx", -DAY, 825 * DAY, san,
             &smtp)) {
    log_tls_error("cannot issue the test certificates");
    goto done;
  }
  const struct issued *https_cert = &good;
  if (server->config.https_cert == SIM_CERT_EXPIRED)
    https_cert = &expired;
  else if (server->config.https_cert == SIM_CERT_WRONG_NAME)
    https_cert = &wrong;
  server->https_tls = make_ctx(https_cert);
  server->smtp_tls = make_ctx(&smtp);
  if (server->https_tls == NULL || server->smtp_tls == NULL) {
    log_tls_error("cannot create the TLS contexts");
    goto done;
  }
  status = LC_OK;
done:
  free(san);
  issued_free(&ca);
  issued_free(&good);
  issued_free(&expired);
  issued_free(&wrong);
  issued_free(&smtp);
  return status;
}
