/* Identity answers from the world's realms and mailboxes. */
#include "bench/simworld/identity.h"
#include "bench/simworld/seen.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ACCOUNT_MAX 320
#define THROTTLE_ENTRIES (1u << 20)

/* Domain types of the credential-type answer. */
#define DOMAIN_TYPE_UNKNOWN 1
#define DOMAIN_TYPE_MANAGED 3
#define DOMAIN_TYPE_FEDERATED 4

struct account {
  char text[ACCOUNT_MAX]; /* lower case */
  const char *local;      /* points into text */
  size_t local_len;
  const char *domain; /* points into text, "" when there is no '@' */
  int32_t domain_index;
  enum sim_realm realm;
};

/* Write S to OUT as JSON string content, escaping what JSON requires. */
static size_t json_escape(const char *s, char *out, size_t size)
{
  size_t len = 0;
  for (; *s != '\0' && len + 7 < size; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[len++] = '\\';
      out[len++] = (char)c;
    } else if (c < 0x20) {
      len += (size_t)snprintf(out + len, size - len, "\\u%04x", c);
    } else {
      out[len++] = (char)c;
    }
  }
  out[len] = '\0';
  return len;
}

static void parse_account(const struct sim_world *world, const char *login,
                          struct account *account)
{
  /* Characters that no generated address uses become '_', so the domain
   * and local part can go into JSON and URLs unescaped. */
  size_t len = 0;
  for (; login[len] != '\0' && len + 1 < sizeof(account->text); len++) {
    unsigned char c = (unsigned char)tolower((unsigned char)login[len]);
    account->text[len] = isalnum(c) || strchr(".-_+@", c) ? (char)c : '_';
  }
  account->text[len] = '\0';
  char *at = strrchr(account->text, '@');
  account->local = account->text;
  account->local_len = at ? (size_t)(at - account->text) : len;
  account->domain = at ? at + 1 : "";
  account->domain_index =
      sim_world_find_domain(world, account->domain, strlen(account->domain));
  account->realm =
      account->domain_index >= 0
          ? (enum sim_realm)world->domains[account->domain_index].realm
          : SIM_REALM_NONE;
}

/* Brand name as the tenant would set it: the first label, capitalised. */
static void brand_name(const char *domain, char *buf, size_t size)
{
  size_t len = strcspn(domain, ".");
  if (len >= size)
    len = size - 1;
  memcpy(buf, domain, len);
  buf[len] = '\0';
  if (len > 0)
    buf[0] = (char)toupper((unsigned char)buf[0]);
}

static void auth_url(const struct account *account, char *buf, size_t size)
{
  char brand[64];
  brand_name(account->domain, brand, sizeof(brand));
  brand[0] = (char)tolower((unsigned char)brand[0]);
  if (account->realm == SIM_REALM_FEDERATED_OKTA)
    snprintf(buf, size,
             "https://%s.okta.com/app/office365/exk1a2b3c4d5e6f7/sso/wsfed/"
             "passive?username=%.*s%%40%s&wa=wsignin1.0&wtrealm="
             "urn%%3afederation%%3aMicrosoftOnline",
             brand, (int)account->local_len, account->local, account->domain);
  else
    snprintf(buf, size,
             "https://adfs.%s/adfs/ls/?username=%.*s%%40%s&wa=wsignin1.0&"
             "wtrealm=urn%%3afederation%%3aMicrosoftOnline&wctx=",
             account->domain, (int)account->local_len, account->local,
             account->domain);
}

size_t sim_identity_realm(struct sim_server *server, const char *login,
                          char *buf, size_t size)
{
  struct account account;
  char login_json[ACCOUNT_MAX * 6], brand[64], url[1024];
  parse_account(server->world, login, &account);
  json_escape(login, login_json, sizeof(login_json));
  brand_name(account.domain, brand, sizeof(brand));
  int n;
  switch (account.realm) {
  case SIM_REALM_MANAGED:
  case SIM_REALM_MANAGED_ALL:
    n = snprintf(buf, size,
                 "{\"State\":4,\"UserState\":1,\"Login\":\"%s\","
                 "\"NameSpaceType\":\"Managed\",\"DomainName\":\"%s\","
                 "\"FederationBrandName\":\"%s\",\"CloudInstanceName\":"
                 "\"microsoftonline.com\"}",
                 login_json, account.domain, brand);
    break;
  case SIM_REALM_FEDERATED_OKTA:
  case SIM_REALM_FEDERATED_ADFS:
    auth_url(&account, url, sizeof(url));
    n = snprintf(buf, size,
                 "{\"State\":3,\"UserState\":2,\"Login\":\"%s\","
                 "\"NameSpaceType\":\"Federated\",\"DomainName\":\"%s\","
                 "\"FederationGlobalVersion\":-1,\"AuthURL\":\"%s\","
                 "\"FederationBrandName\":\"%s\",\"CloudInstanceName\":"
                 "\"microsoftonline.com\"}",
                 login_json, account.domain, url, brand);
    break;
  default:
    n = snprintf(buf, size,
                 "{\"State\":4,\"UserState\":1,\"Login\":\"%s\","
                 "\"NameSpaceType\":\"Unknown\"}",
                 login_json);
  }
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* True for the first request of an account drawn for throttling. */
static bool throttled(struct sim_server *server, const struct account *account)
{
  uint64_t hash = sim_hash(account->text, strlen(account->text));
  if (hash % 100 >= server->config.throttle_pct)
    return false;
  if (server->throttle == NULL)
    server->throttle = sim_seen_new(THROTTLE_ENTRIES);
  if (server->throttle == NULL)
    return false;
  bool inserted;
  return sim_seen_get(server->throttle, hash, 0, &inserted) != NULL && inserted;
}

/* IfExistsResult of ACCOUNT and the DomainType of its realm. */
static int exists_result(const struct sim_world *world,
                         const struct account *account, int *domain_type)
{
  uint64_t hash = sim_hash(account->text, strlen(account->text));
  *domain_type = DOMAIN_TYPE_UNKNOWN;
  switch (account->realm) {
  case SIM_REALM_MANAGED:
    *domain_type = DOMAIN_TYPE_MANAGED;
    if (sim_world_find_mailbox(world, account->domain_index, account->local,
                               account->local_len) == SIM_MBOX_NONE)
      return 1;
    return hash % 10 == 0 ? 6 : 0;
  case SIM_REALM_MANAGED_ALL:
    *domain_type = DOMAIN_TYPE_MANAGED;
    return hash % 10 == 0 ? 5 : 0;
  case SIM_REALM_FEDERATED_OKTA:
  case SIM_REALM_FEDERATED_ADFS:
    *domain_type = DOMAIN_TYPE_FEDERATED;
    return 0;
  default:
    return 1;
  }
}

size_t sim_identity_credential(struct sim_server *server, const char *username,
                               char *buf, size_t size)
{
  struct account account;
  char name_json[ACCOUNT_MAX * 6], url[1024], federation[1200] = "";
  parse_account(server->world, username, &account);
  json_escape(username, name_json, sizeof(name_json));
  int domain_type;
  int result = exists_result(server->world, &account, &domain_type);
  int throttle = 0;
  if (throttled(server, &account)) {
    /* A throttled answer claims the account exists; a client must
     * discard it and ask again. */
    throttle = 1;
    result = 0;
    server->https_stats.throttled++;
  }
  if (domain_type == DOMAIN_TYPE_FEDERATED) {
    auth_url(&account, url, sizeof(url));
    snprintf(federation, sizeof(federation),
             ",\"FederationRedirectUrl\":\"%s\"", url);
  }
  int n = snprintf(
      buf, size,
      "{\"Username\":\"%s\",\"Display\":\"%s\",\"IfExistsResult\":%d,"
      "\"IsUnmanaged\":false,\"ThrottleStatus\":%d,\"Credentials\":"
      "{\"PrefCredential\":1,\"HasPassword\":true,\"RemoteNgcParams\":null,"
      "\"FidoParams\":null,\"SasParams\":null,\"CertAuthParams\":null,"
      "\"GoogleParams\":null,\"FacebookParams\":null%s},\"EstsProperties\":"
      "{\"UserTenantBranding\":null,\"DomainType\":%d},"
      "\"IsSignupDisallowed\":true}",
      name_json, name_json, result, throttle, federation, domain_type);
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
