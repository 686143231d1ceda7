/* Entra ID responses: JSON parsing with jansson, request encoding, and the
 * naming of federated identity providers. See engine/identity_json.h for
 * the fields and their meaning.
 */
#include "engine/identity_json.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "engine/log.h"

/* Identity providers recognised from the host name of a federated
 * tenant's sign-in page: the host is the domain or ends in "." + domain. */
static const struct {
  const char *domain;
  const char *name;
} id_idp_hosts[] = {
    {"okta.com", "okta"},
    {"oktapreview.com", "okta"},
    {"okta-emea.com", "okta"},
    {"pingone.com", "ping"},
    {"pingone.eu", "ping"},
    {"pingidentity.com", "ping"},
    {"onelogin.com", "onelogin"},
    {"duosecurity.com", "duo"},
    {"accounts.google.com", "google"},
};

/* Parse BODY and require an object at the top. */
static enum lc_status id_json_load(const char *body, size_t len, json_t **out,
                                   char *err, size_t size)
{
  json_error_t error;
  json_t *root =
      json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);

  if (root == NULL) {
    lc_debug("identity: malformed JSON at line %d column %d: %s", error.line,
             error.column, error.text);
    snprintf(err, size, "malformed JSON");
    return LC_ERR_FORMAT;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    snprintf(err, size, "answer is not a JSON object");
    return LC_ERR_FORMAT;
  }
  *out = root;
  return LC_OK;
}

static enum lc_status id_realm_fill(json_t *root,
                                    struct lc_identity_realm *realm, char *err,
                                    size_t size)
{
  json_t *type = json_object_get(root, "NameSpaceType");
  json_t *auth_url = json_object_get(root, "AuthURL");
  const char *text;

  if (type == NULL) {
    snprintf(err, size, "missing NameSpaceType");
    return LC_ERR_FORMAT;
  }
  if (!json_is_string(type)) {
    snprintf(err, size, "NameSpaceType is not a string");
    return LC_ERR_FORMAT;
  }
  text = json_string_value(type);
  if (strcasecmp(text, "Managed") == 0) {
    realm->ns = LC_IDENTITY_NS_MANAGED;
  } else if (strcasecmp(text, "Federated") == 0) {
    realm->ns = LC_IDENTITY_NS_FEDERATED;
    lc_identity_idp_name(json_is_string(auth_url) ? json_string_value(auth_url)
                                                  : NULL,
                         realm->idp, sizeof(realm->idp));
  } else if (strcasecmp(text, "Unknown") == 0) {
    realm->ns = LC_IDENTITY_NS_UNKNOWN;
  } else {
    snprintf(err, size, "unexpected NameSpaceType");
    return LC_ERR_FORMAT;
  }
  return LC_OK;
}

enum lc_status lc_identity_parse_realm(const char *body, size_t len,
                                       struct lc_identity_realm *out, char *err,
                                       size_t size)
{
  struct lc_identity_realm realm = {.ns = LC_IDENTITY_NS_UNKNOWN};
  json_t *root = NULL;
  enum lc_status status;

  status = id_json_load(body, len, &root, err, size);
  if (status != LC_OK)
    return status;
  status = id_realm_fill(root, &realm, err, size);
  json_decref(root);
  if (status == LC_OK)
    *out = realm;
  return status;
}

static enum lc_status id_credential_fill(json_t *root,
                                         struct lc_identity_credential *cred,
                                         char *err, size_t size)
{
  json_t *throttle = json_object_get(root, "ThrottleStatus");
  json_t *result = json_object_get(root, "IfExistsResult");

  if (throttle != NULL && !json_is_integer(throttle)) {
    snprintf(err, size, "ThrottleStatus is not an integer");
    return LC_ERR_FORMAT;
  }
  cred->throttle = throttle != NULL ? json_integer_value(throttle) : 0;
  cred->if_exists = json_is_integer(result) ? json_integer_value(result) : -1;
  if (cred->throttle > 0) {
    cred->account = LC_IDENTITY_ACCOUNT_THROTTLED;
    return LC_OK;
  }
  if (result == NULL) {
    snprintf(err, size, "missing IfExistsResult");
    return LC_ERR_FORMAT;
  }
  if (!json_is_integer(result)) {
    snprintf(err, size, "IfExistsResult is not an integer");
    return LC_ERR_FORMAT;
  }
  if (cred->if_exists == 0 || cred->if_exists == 5 || cred->if_exists == 6)
    cred->account = LC_IDENTITY_ACCOUNT_EXISTS;
  else if (cred->if_exists == 1)
    cred->account = LC_IDENTITY_ACCOUNT_ABSENT;
  else
    cred->account = LC_IDENTITY_ACCOUNT_UNDECIDED;
  return LC_OK;
}

enum lc_status lc_identity_parse_credential(const char *body, size_t len,
                                            struct lc_identity_credential *out,
                                            char *err, size_t size)
{
  struct lc_identity_credential cred = {.if_exists = -1};
  json_t *root = NULL;
  enum lc_status status;

  status = id_json_load(body, len, &root, err, size);
  if (status != LC_OK)
    return status;
  status = id_credential_fill(root, &cred, err, size);
  json_decref(root);
  if (status == LC_OK)
    *out = cred;
  return status;
}

/* Report whether HOST is DOMAIN or a name under it. */
static bool id_host_within(const char *host, const char *domain)
{
  size_t hlen = strlen(host);
  size_t dlen = strlen(domain);

  if (hlen == dlen)
    return strcmp(host, domain) == 0;
  return hlen > dlen && host[hlen - dlen - 1] == '.' &&
         strcmp(host + hlen - dlen, domain) == 0;
}

/* Copy the lower-cased host of URL into HOST and return a pointer to the
 * rest of URL (path, query), or NULL when URL has no usable host. */
static const char *id_url_host(const char *url, char *host, size_t size)
{
  const char *start = strstr(url, "://");
  const char *end;
  const char *at;
  size_t len;

  if (start == NULL)
    return NULL;
  start += 3;
  end = start + strcspn(start, "/?#");
  at = memchr(start, '@', (size_t)(end - start));
  if (at != NULL)
    start = at + 1;
  len = strcspn(start, ":/?#");
  if (len == 0 || len >= size)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)start[i];

    if (!isalnum(c) && c != '.' && c != '-')
      return NULL;
    host[i] = (char)tolower(c);
  }
  host[len] = '\0';
  return end;
}

void lc_identity_idp_name(const char *auth_url, char *buf, size_t size)
{
  char host[256];
  const char *rest =
      auth_url != NULL ? id_url_host(auth_url, host, sizeof(host)) : NULL;

  if (rest == NULL) {
    snprintf(buf, size, "unknown");
    return;
  }
  /* AD FS serves its sign-in pages under /adfs/ on any host name. */
  if (strncasecmp(rest, "/adfs/", 6) == 0) {
    snprintf(buf, size, "adfs");
    return;
  }
  for (size_t i = 0; i < sizeof(id_idp_hosts) / sizeof(id_idp_hosts[0]); i++) {
    if (id_host_within(host, id_idp_hosts[i].domain)) {
      snprintf(buf, size, "%s", id_idp_hosts[i].name);
      return;
    }
  }
  snprintf(buf, size, "%s", host);
}

enum lc_status lc_identity_url_encode(const char *in, char *buf, size_t size)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;

  for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
    bool plain = isalnum(*p) || strchr("-._~", *p) != NULL;
    size_t need = plain ? 1 : 3;

    if (n + need >= size) {
      if (size > 0)
        buf[0] = '\0';
      return LC_ERR_LIMIT;
    }
    if (plain) {
      buf[n++] = (char)*p;
    } else {
      buf[n++] = '%';
      buf[n++] = hex[*p >> 4];
      buf[n++] = hex[*p & 0x0f];
    }
  }
  if (size == 0)
    return LC_ERR_LIMIT;
  buf[n] = '\0';
  return LC_OK;
}

bool lc_identity_utf8_valid(const char *text)
{
  json_t *string = json_string(text);

  json_decref(string);
  return string != NULL;
}

char *lc_identity_credential_body(const char *address)
{
  json_t *root = json_pack("{s:s}", "Username", address);
  char *text;

  if (root == NULL)
    return NULL;
  text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  return text;
}
