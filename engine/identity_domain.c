/* Identity client: the per-domain state machine and its answer handlers.
 *
 * A domain starts in REALM with one realm call. Its answer either settles
 * the domain (no tenant, federated, failure) or moves it to CANARY with a
 * canary call. The canary's answer settles the domain (exists, undecided,
 * failure) or moves it to TRUSTED. Lookups that arrive before the domain
 * is settled or trusted wait on the domain; on TRUSTED each gets its own
 * account call, on SETTLED each gets the domain's result.
 *
 * The domain table is a chained hash table keyed by the lower-case domain
 * name. It grows with the number of domains and lives as long as the
 * client, which is what makes every domain's realm and canary a one-time
 * cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity_int.h"
#include "engine/log.h"

static const char *const id_domain_state_names[] = {"realm", "canary",
                                                    "trusted", "settled"};

static void id_domain_set_state(struct lc_identity_domain *d,
                                enum lc_identity_domain_state state)
{
  lc_trace("identity domain %s: %s -> %s", d->name,
           id_domain_state_names[d->state], id_domain_state_names[state]);
  d->state = state;
}

/* FNV-1a, 64 bits. */
static uint64_t id_hash(const char *s)
{
  uint64_t h = 14695981039346656037ULL;

  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

/* Double the bucket array; the table stays usable when memory runs out. */
static void id_table_grow(struct lc_identity_client *c)
{
  size_t n = c->nbuckets == 0 ? 64 : c->nbuckets * 2;
  struct lc_identity_domain **buckets = calloc(n, sizeof(*buckets));

  if (buckets == NULL)
    return;
  for (size_t i = 0; i < c->nbuckets; i++) {
    struct lc_identity_domain *d = c->buckets[i];

    while (d != NULL) {
      struct lc_identity_domain *next = d->hash_next;

      d->hash_next = buckets[d->hash & (n - 1)];
      buckets[d->hash & (n - 1)] = d;
      d = next;
    }
  }
  free(c->buckets);
  c->buckets = buckets;
  c->nbuckets = n;
}

static struct lc_identity_domain *id_domain_new(struct lc_identity_client *c,
                                                const char *name, uint64_t hash)
{
  struct lc_identity_domain *d = calloc(1, sizeof(*d));
  size_t slot;

  if (d == NULL || (d->name = strdup(name)) == NULL) {
    free(d);
    return NULL;
  }
  d->client = c;
  d->hash = hash;
  d->state = LC_IDENTITY_DOMAIN_REALM;
  slot = hash & (c->nbuckets - 1);
  d->hash_next = c->buckets[slot];
  c->buckets[slot] = d;
  c->ndomains++;
  return d;
}

/* Return the domain NAME (lower case), creating it in state REALM when it
 * is new, and set *CREATED when it was. NULL when memory ran out. */
struct lc_identity_domain *lc_identity_domain_get(struct lc_identity_client *c,
                                                  const char *name,
                                                  bool *created)
{
  uint64_t hash = id_hash(name);

  *created = false;
  if (c->nbuckets != 0) {
    for (struct lc_identity_domain *d = c->buckets[hash & (c->nbuckets - 1)];
         d != NULL; d = d->hash_next) {
      if (d->hash == hash && strcmp(d->name, name) == 0)
        return d;
    }
  }
  if (c->ndomains >= c->nbuckets)
    id_table_grow(c);
  if (c->nbuckets == 0)
    return NULL;
  *created = true;
  return id_domain_new(c, name, hash);
}

/* Give every waiter and every later lookup of D the same RESULT. */
static void id_domain_settle(struct lc_identity_domain *d,
                             enum lc_identity result, const char *detail)
{
  struct lc_identity_lookup *lookup = d->waiters_head;

  id_domain_set_state(d, LC_IDENTITY_DOMAIN_SETTLED);
  d->result = result;
  snprintf(d->detail, sizeof(d->detail), "%s", detail);
  d->waiters_head = d->waiters_tail = NULL;
  while (lookup != NULL) {
    struct lc_identity_lookup *next = lookup->next;

    lc_identity_complete(lookup, result, d->detail);
    lookup = next;
  }
}

/* Log the first failure of D at warn level; later ones at debug. */
static void id_domain_warn(struct lc_identity_domain *d, const char *step,
                           const char *error)
{
  if (d->warned) {
    lc_debug("identity: %s: %s for %s failed: %s", d->client->host, step,
             d->name, error);
    return;
  }
  d->warned = true;
  lc_log_warn_counted("identity request failed",
                      "identity: %s: %s for %s failed: %s", d->client->host,
                      step, d->name, error);
}

static void id_domain_fail(struct lc_identity_domain *d, const char *step,
                           const char *error)
{
  char detail[LC_IDENTITY_DETAIL_MAX];

  id_domain_warn(d, step, error);
  snprintf(detail, sizeof(detail), "%s failed: %s", step, error);
  id_domain_settle(d, LC_IDENTITY_NOT_CHECKED, detail);
}

/* Queue the account check of LOOKUP on a trusted domain. */
static void id_lookup_check(struct lc_identity_lookup *lookup)
{
  struct lc_identity_domain *d = lookup->domain;
  enum lc_status status;

  lc_identity_lookup_set_state(lookup, LC_IDENTITY_LOOKUP_CHECKING);
  status = lc_identity_call_start(d->client, LC_IDENTITY_CALL_ACCOUNT, d,
                                  lookup, lookup->address);
  if (status != LC_OK)
    lc_identity_complete(lookup, LC_IDENTITY_NOT_CHECKED,
                         "account check failed: out of memory");
}

static void id_domain_trust(struct lc_identity_domain *d)
{
  struct lc_identity_lookup *lookup = d->waiters_head;

  id_domain_set_state(d, LC_IDENTITY_DOMAIN_TRUSTED);
  d->waiters_head = d->waiters_tail = NULL;
  while (lookup != NULL) {
    struct lc_identity_lookup *next = lookup->next;

    lookup->next = NULL;
    id_lookup_check(lookup);
    lookup = next;
  }
}

/* Append LOOKUP to the waiters of D, start D's realm lookup when D was
 * just CREATED, or answer LOOKUP from what D already has. */
void lc_identity_domain_join(struct lc_identity_domain *d,
                             struct lc_identity_lookup *lookup, bool created)
{
  switch (d->state) {
  case LC_IDENTITY_DOMAIN_REALM:
  case LC_IDENTITY_DOMAIN_CANARY:
    lookup->next = NULL;
    if (d->waiters_tail != NULL)
      d->waiters_tail->next = lookup;
    else
      d->waiters_head = lookup;
    d->waiters_tail = lookup;
    if (created && lc_identity_call_start(d->client, LC_IDENTITY_CALL_REALM, d,
                                          NULL, lookup->address) != LC_OK)
      id_domain_fail(d, "realm lookup", "out of memory");
    break;
  case LC_IDENTITY_DOMAIN_TRUSTED:
    id_lookup_check(lookup);
    break;
  case LC_IDENTITY_DOMAIN_SETTLED:
    lc_identity_complete(lookup, d->result, d->detail);
    break;
  }
}

/* Write LC_IDENTITY_CANARY_LEN random characters of [a-z0-9], then
 * "@domain", to BUF. Returns false when no random bytes were available. */
static bool id_canary_address(const struct lc_identity_domain *d, char *buf,
                              size_t size)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[LC_IDENTITY_CANARY_LEN];
  char local[LC_IDENTITY_CANARY_LEN + 1];

  if (uv_random(NULL, NULL, bytes, sizeof(bytes), 0, NULL) != 0)
    return false;
  for (size_t i = 0; i < sizeof(bytes); i++)
    local[i] = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
  local[sizeof(bytes)] = '\0';
  return snprintf(buf, size, "%s@%s", local, d->name) < (int)size;
}

static void id_domain_start_canary(struct lc_identity_domain *d)
{
  char address[LC_IDENTITY_CANARY_LEN + 2 + LC_IDENTITY_ADDRESS_MAX];

  id_domain_set_state(d, LC_IDENTITY_DOMAIN_CANARY);
  if (!id_canary_address(d, address, sizeof(address))) {
    id_domain_fail(d, "canary check", "no random bytes");
    return;
  }
  if (lc_identity_call_start(d->client, LC_IDENTITY_CALL_CANARY, d, NULL,
                             address) != LC_OK)
    id_domain_fail(d, "canary check", "out of memory");
}

static void id_on_realm(struct lc_identity_domain *d,
                        const struct lc_identity_answer *answer)
{
  char detail[LC_IDENTITY_DETAIL_MAX];

  if (answer->failed) {
    id_domain_fail(d, "realm lookup", answer->error);
    return;
  }
  switch (answer->realm.ns) {
  case LC_IDENTITY_NS_UNKNOWN:
    id_domain_settle(d, LC_IDENTITY_NOT_CHECKED, "no Entra ID tenant");
    break;
  case LC_IDENTITY_NS_FEDERATED:
    snprintf(detail, sizeof(detail), "federated (%s)", answer->realm.idp);
    id_domain_settle(d, LC_IDENTITY_UNRELIABLE, detail);
    break;
  case LC_IDENTITY_NS_MANAGED:
    id_domain_start_canary(d);
    break;
  }
}

static void id_on_canary(struct lc_identity_domain *d,
                         const struct lc_identity_answer *answer)
{
  char detail[LC_IDENTITY_DETAIL_MAX];

  if (answer->failed) {
    id_domain_fail(d, "canary check", answer->error);
    return;
  }
  switch (answer->credential.account) {
  case LC_IDENTITY_ACCOUNT_EXISTS:
    id_domain_settle(d, LC_IDENTITY_UNRELIABLE, "canary exists");
    break;
  case LC_IDENTITY_ACCOUNT_ABSENT:
    id_domain_trust(d);
    break;
  case LC_IDENTITY_ACCOUNT_UNDECIDED:
  case LC_IDENTITY_ACCOUNT_THROTTLED:
    snprintf(detail, sizeof(detail), "canary undecided (IfExistsResult %lld)",
             answer->credential.if_exists);
    id_domain_settle(d, LC_IDENTITY_NOT_CHECKED, detail);
    break;
  }
}

static void id_on_account(struct lc_identity_lookup *lookup,
                          const struct lc_identity_answer *answer)
{
  const struct lc_identity_credential *cred = &answer->credential;
  char detail[LC_IDENTITY_DETAIL_MAX];

  if (answer->failed) {
    id_domain_warn(lookup->domain, "account check", answer->error);
    snprintf(detail, sizeof(detail), "account check failed: %s", answer->error);
    lc_identity_complete(lookup, LC_IDENTITY_NOT_CHECKED, detail);
    return;
  }
  snprintf(detail, sizeof(detail), "IfExistsResult %lld", cred->if_exists);
  if (cred->account == LC_IDENTITY_ACCOUNT_EXISTS) {
    lc_identity_complete(lookup, LC_IDENTITY_EXISTS, detail);
  } else if (cred->account == LC_IDENTITY_ACCOUNT_ABSENT) {
    lc_identity_complete(lookup, LC_IDENTITY_ABSENT, detail);
  } else {
    snprintf(detail, sizeof(detail), "undecided (IfExistsResult %lld)",
             cred->if_exists);
    lc_identity_complete(lookup, LC_IDENTITY_NOT_CHECKED, detail);
  }
}

/* Dispatch the final ANSWER of CALL to the handler of its kind. */
void lc_identity_on_answer(struct lc_identity_call *call,
                           const struct lc_identity_answer *answer)
{
  switch (call->kind) {
  case LC_IDENTITY_CALL_REALM:
    id_on_realm(call->domain, answer);
    break;
  case LC_IDENTITY_CALL_CANARY:
    id_on_canary(call->domain, answer);
    break;
  case LC_IDENTITY_CALL_ACCOUNT:
    id_on_account(call->lookup, answer);
    break;
  }
}

/* Free every domain and the table. Waiting lookups are not touched. */
void lc_identity_domains_free(struct lc_identity_client *c)
{
  for (size_t i = 0; i < c->nbuckets; i++) {
    struct lc_identity_domain *d = c->buckets[i];

    while (d != NULL) {
      struct lc_identity_domain *next = d->hash_next;

      free(d->name);
      free(d);
      d = next;
    }
  }
  free(c->buckets);
  c->buckets = NULL;
  c->nbuckets = c->ndomains = 0;
}
