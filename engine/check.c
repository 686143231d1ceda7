/* The checker: offline checks of each row (syntax, lists, typos,
 * duplicates) and the verdict. */
#include "engine/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/address.h"
#include "engine/dedup.h"
#include "engine/lists.h"
#include "engine/log.h"
#include "engine/net.h"
#include "engine/provider.h"
#include "engine/typo.h"

struct lc_checker {
  uv_loop_t *loop;
  const struct lc_job_options *opt;
  struct lc_lists *lists;
  struct lc_typo *typo;
  struct lc_dedup *dedup;
  bool dedup_full_reported;
  struct lc_net *net; /* NULL unless DNS checks were requested */
};

/* Load the MX patterns, with DIR/providers.txt added when it exists. */
static enum lc_status checker_load_providers(const char *dir, char *err,
                                             size_t err_size)
{
  char path[4096];
  enum lc_status status;

  if (dir == NULL)
    return lc_provider_load(NULL);
  snprintf(path, sizeof(path), "%s/providers.txt", dir);
  status = lc_provider_load(access(path, F_OK) == 0 ? path : NULL);
  if (status != LC_OK)
    snprintf(err, err_size, "cannot load the MX patterns from %s: %s", path,
             lc_strerror(status));
  return status;
}

enum lc_status lc_checker_new(uv_loop_t *loop,
                              const struct lc_job_options *options,
                              struct lc_checker **out, char *err,
                              size_t err_size)
{
  struct lc_checker *c = calloc(1, sizeof(*c));
  enum lc_status status;

  if (c == NULL) {
    snprintf(err, err_size, "out of memory creating the checker");
    return LC_ERR_NOMEM;
  }
  c->loop = loop;
  c->opt = options;
  status = lc_lists_new(options->data_dir, &c->lists, err, err_size);
  if (status != LC_OK) {
    lc_checker_free(c);
    return status;
  }
  status = lc_typo_new(c->lists, &c->typo);
  if (status != LC_OK) {
    snprintf(err, err_size, "cannot build the typo index: %s",
             lc_strerror(status));
    lc_checker_free(c);
    return status;
  }
  c->dedup = lc_dedup_new(options->dedup_memory);
  if (c->dedup == NULL) {
    snprintf(err, err_size,
             "out of memory for duplicate detection (%zu MiB); lower "
             "--dedup-memory",
             options->dedup_memory >> 20);
    lc_checker_free(c);
    return LC_ERR_NOMEM;
  }
  if (options->checks & LC_CHECK_DNS) {
    status = checker_load_providers(options->data_dir, err, err_size);
    if (status == LC_OK)
      status = lc_net_new(loop, options, &c->net, err, err_size);
    if (status != LC_OK) {
      lc_checker_free(c);
      return status;
    }
  }
  *out = c;
  return LC_OK;
}

static void checker_flags(struct lc_checker *c, const struct lc_address *addr,
                          struct lc_result *r)
{
  char suggestion[LC_RESULT_ADDR_MAX];
  uint64_t hash =
      lc_dedup_prefetch(c->dedup, lc_hash_nocase(addr->normalized, addr->len));

  r->role = lc_lists_is_role(c->lists, addr->local, addr->local_len);
  unsigned listed =
      lc_lists_domain_flags(c->lists, addr->domain, addr->domain_len);
  r->disposable = (listed & LC_LISTED_DISPOSABLE) != 0;
  r->free = (listed & LC_LISTED_FREE) != 0;
  /* lc_typo_suggest writes only when it has a suggestion. */
  suggestion[0] = '\0';
  lc_typo_suggest(c->typo, addr, suggestion, sizeof(suggestion));
  lc_result_set_suggestion(r, suggestion);
  r->duplicate = lc_dedup_seen_hash(c->dedup, hash);
  if (lc_dedup_full(c->dedup) && !c->dedup_full_reported) {
    c->dedup_full_reported = true;
    lc_warn("duplicate detection is full after %llu distinct addresses; "
            "from now on some new addresses are not remembered, so their "
            "later copies are not flagged (raise --dedup-memory)",
            (unsigned long long)lc_dedup_count(c->dedup));
  }
}

/* Offline part of a row: fills the result and the address observations.
 * Returns the offset of the domain in result.normalized when the row goes
 * on to the network checks, or 0. */
static size_t checker_offline(struct lc_checker *c, struct lc_item *item,
                              struct lc_addr_obs *obs)
{
  struct lc_address addr;
  struct lc_result *r = &item->result;

  memset(obs, 0, sizeof(*obs));
  obs->role_ok = c->opt->role_ok;
  obs->smtp_checked = (c->opt->checks & LC_CHECK_SMTP) != 0;
  obs->csv_error = item->row.malformed;
  switch (lc_address_parse(item->address, item->address_len, &addr)) {
  case LC_ADDR_EMPTY:
    obs->empty = true;
    return 0;
  case LC_ADDR_INVALID:
    obs->invalid = true;
    return 0;
  case LC_ADDR_OK:
    break;
  }
  memcpy(r->normalized, addr.normalized, addr.len + 1);
  checker_flags(c, &addr, r);
  obs->role = r->role;
  obs->disposable = r->disposable;
  /* Address literals have no MX to look up. */
  if (obs->csv_error || (addr.flags & LC_ADDR_LITERAL))
    return 0;
  return addr.local_len + 1;
}

void lc_checker_submit(struct lc_checker *c, struct lc_item *item)
{
  struct lc_addr_obs obs;
  struct lc_domain_obs domain;

  size_t domain_at = checker_offline(c, item, &obs);

  if (domain_at > 0 && c->net != NULL) {
    lc_net_check(c->net, item, &obs, item->result.normalized + domain_at);
    return;
  }
  memset(&domain, 0, sizeof(domain));
  domain.dns = LC_DNS_NOT_CHECKED;
  item->result.verdict = lc_verdict_decide(&obs, &domain);
  lc_pipeline_item_done(item);
}

void lc_checker_skip(struct lc_checker *c, const struct lc_item *item)
{
  struct lc_address addr;

  /* The same parse and hash as checker_offline, so the fingerprints
   * match those of a run that checked the row. */
  if (lc_address_parse(item->address, item->address_len, &addr) != LC_ADDR_OK)
    return;
  lc_dedup_seen_hash(
      c->dedup,
      lc_dedup_prefetch(c->dedup, lc_hash_nocase(addr.normalized, addr.len)));
}

void lc_checker_take_accepted(struct lc_checker *c, struct lc_dedup *set)
{
  if (c->net != NULL)
    lc_net_take_accepted(c->net, set);
  else
    lc_dedup_free(set);
}

struct lc_net *lc_checker_net(const struct lc_checker *c)
{
  return c->net;
}

void lc_checker_set_blocked_cb(struct lc_checker *c, bool (*blocked)(void *arg),
                               void *arg)
{
  if (c->net != NULL)
    lc_net_set_blocked_cb(c->net, blocked, arg);
}

void lc_checker_pressure(struct lc_checker *c)
{
  lc_net_force(c->net);
}

void lc_checker_close(struct lc_checker *c)
{
  if (c == NULL)
    return;
  lc_net_shutdown(c->net);
  c->net = NULL;
}

void lc_checker_free(struct lc_checker *c)
{
  if (c == NULL)
    return;
  lc_provider_unload();
  lc_typo_free(c->typo);
  lc_lists_free(c->lists);
  lc_dedup_free(c->dedup);
  free(c);
}
