/* Network checks: wait for the evidence a row needs, then decide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity.h"
#include "engine/log.h"
#include "engine/net_int.h"

static enum lc_tristate net_catch_all(const struct net_domain *d)
{
  if (!d->probe_done)
    return LC_TRI_UNSET;
  switch (d->probe_class) {
  case LC_RCPT_ACCEPTED:
    return LC_TRI_TRUE;
  case LC_RCPT_MAILBOX_NOT_FOUND:
  case LC_RCPT_MAILBOX_DISABLED:
  case LC_RCPT_REJECTED:
    return LC_TRI_FALSE;
  default:
    return LC_TRI_UNSET;
  }
}

static void net_domain_obs(const struct net_domain *d, struct lc_domain_obs *o)
{
  memset(o, 0, sizeof(*o));
  o->dns = d->dns;
  o->gateway = d->gateway;
  o->catch_all = net_catch_all(d);
  o->probe = d->probe_done ? d->probe_class : LC_RCPT_NOT_PROBED;
  o->probe_code = d->probe_code;
  snprintf(o->probe_enhanced, sizeof(o->probe_enhanced), "%s",
           d->probe_enhanced);
  o->any_accepted = d->any_accepted;
}

/* Whether a rejection of this row means "not found" only once the domain
 * is shown to validate recipients (a gateway, or a 5xx without a stated
 * cause), and that has not been shown yet. */
static bool net_needs_validation(const struct net_addr *addr)
{
  const struct net_domain *d = addr->domain;
  struct lc_domain_obs o;
  enum lc_rcpt_class c = addr->obs.rcpt;
  bool mailbox_class =
      c == LC_RCPT_MAILBOX_NOT_FOUND || c == LC_RCPT_MAILBOX_DISABLED;

  if (!(c == LC_RCPT_REJECTED || (d->gateway && mailbox_class)))
    return false;
  net_domain_obs(d, &o);
  return !lc_verdict_domain_validates(&o);
}

static void net_complete(struct net_addr *addr, struct lc_verdict verdict)
{
  struct lc_net *net = addr->net;
  struct net_domain *d = addr->domain;
  struct lc_result *r = &addr->item->result;

  r->verdict = verdict;
  r->identity = addr->obs.identity;
  if (d->dns_done && d->dns != LC_DNS_NOT_CHECKED) {
    r->provider = d->provider;
    if (d->route.nhosts > 0) {
      r->gateway = d->gateway ? LC_TRI_TRUE : LC_TRI_FALSE;
      if (lc_result_mx(r)[0] == '\0')
        lc_result_set_mx(r, d->route.hosts[0].name);
    }
  }
  r->catch_all = net_catch_all(d);
  struct net_addr *copies = lc_net_seen_finish(net->seen, addr), *next;
  lc_net_domain_release(net, d);
  lc_pipeline_item_done(addr->item);
  free(addr);
  for (; copies != NULL; copies = next) {
    next = copies->next;
    lc_net_domain_release(net, copies->domain);
    lc_pipeline_item_done(copies->item);
    free(copies);
    lc_net_settle(net);
  }
  lc_net_settle(net);
}

/* Whether SMTP left the mailbox's existence open, so that an identity
 * answer can decide (docs/verdicts.md rows 14 to 16 and 23 on). */
static bool net_undecided(enum lc_reason reason)
{
  switch (reason) {
  case LC_REASON_ACCEPT_ALL:
  case LC_REASON_GATEWAY_REJECTED:
  case LC_REASON_BLOCKED:
  case LC_REASON_GREYLISTED:
  case LC_REASON_RATE_LIMITED:
  case LC_REASON_TIMEOUT:
  case LC_REASON_CONNECTION_FAILED:
  case LC_REASON_TLS_FAILED:
  case LC_REASON_PROTOCOL_ERROR:
    return true;
  default:
    return false;
  }
}

static void net_finalize(struct net_addr *addr);

static void net_identity_cb(void *arg, enum lc_identity identity,
                            const char *detail)
{
  struct net_addr *addr = arg;

  lc_debug("identity of %s: %s (%s)", addr->item->result.normalized,
           lc_identity_name(identity), detail ? detail : "");
  addr->obs.identity = identity;
  net_finalize(addr);
}

static void net_finalize(struct net_addr *addr)
{
  struct lc_net *net = addr->net;
  struct lc_domain_obs o;
  struct lc_verdict verdict;

  net_domain_obs(addr->domain, &o);
  verdict = lc_verdict_decide(&addr->obs, &o);
  if (net->identity != NULL && !addr->identity_done &&
      net_undecided(verdict.reason)) {
    addr->identity_done = true;
    if (lc_identity_lookup(net->identity, addr->item->result.normalized,
                           net_identity_cb, addr) == LC_OK)
      return;
  }
  net_complete(addr, verdict);
}

void lc_net_finish_without_smtp(struct net_addr *addr)
{
  /* The resolver already logged a failed lookup, once per domain. */
  addr->obs.rcpt = LC_RCPT_NOT_PROBED;
  net_finalize(addr);
}

static void net_park(struct net_addr *addr, bool gateway_wait)
{
  addr->parked_for_gateway = gateway_wait;
  if (gateway_wait) {
    addr->net->gateway_waiting++;
    lc_net_parked(addr->net);
  }
  if (addr->domain->evidence_waiters == NULL)
    lc_net_park_link(addr->net, addr->domain);
  addr->next = addr->domain->evidence_waiters;
  addr->domain->evidence_waiters = addr;
}

void lc_net_try_decide(struct net_addr *addr, bool force)
{
  if (!addr->domain->probe_done && !force) {
    net_park(addr, false);
    return;
  }
  if (!force && net_needs_validation(addr)) {
    net_park(addr, true);
    return;
  }
  net_finalize(addr);
}

void lc_net_wake(struct net_domain *d, bool force)
{
  struct net_addr *list = lc_net_reverse(d->evidence_waiters), *next;

  if (list != NULL)
    lc_net_park_unlink(list->net, d);
  d->evidence_waiters = NULL;
  for (; list != NULL; list = next) {
    next = list->next;
    list->next = NULL;
    if (list->parked_for_gateway)
      list->net->gateway_waiting--;
    list->parked_for_gateway = false;
    lc_net_try_decide(list, force);
  }
}
