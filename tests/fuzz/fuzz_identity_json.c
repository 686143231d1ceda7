/* Fuzz target for the identity JSON handling.
 *
 * The input goes to both answer parsers. The results must be in range and
 * the provider name NUL-terminated. The input, taken as a NUL-terminated
 * string, also goes through the provider naming, the URL encoder and the
 * request body encoder; a body that is produced must parse as JSON whose
 * Username equals the input.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity_json.h"
#include "engine/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parsers(const char *body, size_t len)
{
  struct lc_identity_realm realm;
  struct lc_identity_credential cred;
  char err[128];

  if (lc_identity_parse_realm(body, len, &realm, err, sizeof(err)) == LC_OK) {
    if (realm.ns > LC_IDENTITY_NS_FEDERATED ||
        memchr(realm.idp, '\0', sizeof(realm.idp)) == NULL)
      abort();
  }
  if (lc_identity_parse_credential(body, len, &cred, err, sizeof(err)) ==
      LC_OK) {
    if (cred.account > LC_IDENTITY_ACCOUNT_THROTTLED)
      abort();
    if ((cred.throttle > 0) != (cred.account == LC_IDENTITY_ACCOUNT_THROTTLED))
      abort();
  }
}

static void check_body(const char *text)
{
  char *body = lc_identity_credential_body(text);
  json_t *root, *name;

  if (body == NULL) {
    if (lc_identity_utf8_valid(text))
      abort();
    return;
  }
  root = json_loads(body, 0, NULL);
  name = root != NULL ? json_object_get(root, "Username") : NULL;
  if (name == NULL || !json_is_string(name) ||
      strcmp(json_string_value(name), text) != 0)
    abort();
  json_decref(root);
  free(body);
}

static void check_encoders(const char *text)
{
  char idp[LC_IDENTITY_IDP_MAX];
  char url[256];

  lc_identity_idp_name(text, idp, sizeof(idp));
  if (memchr(idp, '\0', sizeof(idp)) == NULL || idp[0] == '\0')
    abort();
  if (lc_identity_url_encode(text, url, sizeof(url)) == LC_OK) {
    for (const char *p = url; *p != '\0'; p++)
      if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 "0123456789-._~%",
                 *p) == NULL)
        abort();
  } else if (url[0] != '\0') {
    abort();
  }
  check_body(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text;

  lc_log_set_level(LC_LOG_ERROR);
  check_parsers((const char *)data, size);
  text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  check_encoders(text);
  free(text);
  return 0;
}
