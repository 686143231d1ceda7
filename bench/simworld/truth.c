/* Ground truth: the verdict listclean should reach for every input row.
 *
 * The rules follow the decision table in docs/verdicts.md, first matching
 * row wins. The observations they use are derived from the world: the DNS
 * route of the domain, the RCPT outcome of the host listclean ends up at
 * (sim_rcpt_outcome, the same rule the SMTP server applies), the random
 * probe (an address without mailbox), and the identity realm. The truth
 * assumes that listclean runs every check with --allow-private-mx and
 * retries until greylisting and rate limits clear, and that the evidence
 * "the domain validates" is gathered over the whole file.
 */
#include "bench/simworld/gen.h"
#include "bench/simworld/profile.h"

#include <stdlib.h>
#include <string.h>

#define MX_SORT_MAX 64

/* The verdict vocabulary of listclean's status and reason columns. */
struct verdict {
  const char *status;
  const char *reason;
};

/* Identity evidence as listclean trusts it after the canary. */
enum identity { ID_NOT_CHECKED, ID_EXISTS, ID_ABSENT, ID_UNRELIABLE };

/* Observations of one address on a domain whose route is usable. */
enum smtp_result {
  SMTP_ACCEPT,
  SMTP_UNKNOWN_USER,
  SMTP_FULL,
  SMTP_DISABLED,
  SMTP_POLICY,
  SMTP_TIMEOUT,
  SMTP_CONNECTION_FAILED
};

static struct sim_route route_by_addr(const struct sim_world *world,
                                      uint32_t addr, struct sim_route route)
{
  const struct sim_host *host = sim_world_find_host(world, addr);
  if (route.host == NULL && host != NULL && host->base != SIM_BASE_REFUSED)
    route.host = host;
  return route;
}

/* Sort the MX records of DOMAIN by preference, keeping file order among
 * equal ones, into ORDER. Returns how many there are. */
static size_t sorted_mx(const struct sim_world *world,
                        const struct sim_domain *domain, uint32_t *order)
{
  size_t count =
      domain->mx_count < MX_SORT_MAX ? domain->mx_count : MX_SORT_MAX;
  for (size_t i = 0; i < count; i++) {
    uint32_t mx = domain->mx_first + (uint32_t)i;
    size_t j = i;
    while (j > 0 && world->mxs[order[j - 1]].pref > world->mxs[mx].pref) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = mx;
  }
  return count;
}

static struct sim_route route_mx(const struct sim_world *world,
                                 const struct sim_domain *domain)
{
  struct sim_route route = {SIM_ROUTE_NO_MAIL, NULL};
  uint32_t order[MX_SORT_MAX];
  size_t count = sorted_mx(world, domain, order);
  bool routable = false;
  for (size_t i = 0; i < count; i++) {
    const struct sim_name *rec =
        sim_world_resolve(world, world->mxs[order[i]].target);
    if (rec == NULL)
      continue;
    if (route.dns == SIM_ROUTE_NO_MAIL)
      route.dns = SIM_ROUTE_UNREACHABLE;
    if (rec->a_addr == 0)
      continue;
    routable = true;
    route = route_by_addr(world, rec->a_addr, route);
  }
  if (routable)
    route.dns = SIM_ROUTE_OK;
  return route;
}

struct sim_route sim_truth_route(const struct sim_world *world, int32_t domain)
{
  struct sim_route route = {SIM_ROUTE_NXDOMAIN, NULL};
  if (domain < 0)
    return route;
  const struct sim_domain *d = &world->domains[domain];
  switch (d->dns) {
  case SIM_DNS_NXDOMAIN:
    return route;
  case SIM_DNS_SERVFAIL:
  case SIM_DNS_REFUSED:
  case SIM_DNS_SILENT:
    route.dns = SIM_ROUTE_ERROR;
    return route;
  default:
    break;
  }
  if (d->mx_count == 1 && strcmp(world->mxs[d->mx_first].target, ".") == 0) {
    route.dns = SIM_ROUTE_NULL_MX;
    return route;
  }
  if (d->mx_count > 0)
    return route_mx(world, d);
  const struct sim_name *rec =
      sim_world_find_name(world, d->name, strlen(d->name));
  route.dns = SIM_ROUTE_NO_MAIL;
  if (rec == NULL || !rec->has_a)
    return route;
  route.dns = rec->a_addr == 0 ? SIM_ROUTE_UNREACHABLE : SIM_ROUTE_OK;
  return route_by_addr(world, rec->a_addr, route);
}

static enum smtp_result smtp_result(const struct sim_route *route,
                                    enum sim_mbox_state state)
{
  if (route->host == NULL)
    return SMTP_CONNECTION_FAILED;
  switch (route->host->base) {
  case SIM_BASE_SILENT:
    return SMTP_TIMEOUT;
  case SIM_BASE_BANNER554:
  case SIM_BASE_NOPTR:
  case SIM_BASE_POLICY:
    return SMTP_POLICY;
  default:
    break;
  }
  switch (sim_rcpt_outcome((enum sim_base)route->host->base, state)) {
  case SIM_RCPT_ACCEPT:
    return SMTP_ACCEPT;
  case SIM_RCPT_UNKNOWN_USER:
    return SMTP_UNKNOWN_USER;
  case SIM_RCPT_FULL:
    return SMTP_FULL;
  case SIM_RCPT_DISABLED:
    return SMTP_DISABLED;
  default:
    return SMTP_POLICY;
  }
}

bool sim_truth_route_accepts(const struct sim_route *route,
                             enum sim_mbox_state state)
{
  return route->dns == SIM_ROUTE_OK && smtp_result(route, state) == SMTP_ACCEPT;
}

static enum identity identity_of(const struct sim_world *world,
                                 const struct sim_row *row)
{
  switch (world->domains[row->domain].realm) {
  case SIM_REALM_MANAGED:
    /* The canary (a random account) comes back absent, so the answer is
     * trusted. */
    return row->state != SIM_MBOX_NONE ? ID_EXISTS : ID_ABSENT;
  case SIM_REALM_MANAGED_ALL:
  case SIM_REALM_FEDERATED_OKTA:
  case SIM_REALM_FEDERATED_ADFS:
    return ID_UNRELIABLE;
  default:
    return ID_NOT_CHECKED;
  }
}

static struct verdict verdict_dns(enum sim_route_dns dns)
{
  switch (dns) {
  case SIM_ROUTE_NXDOMAIN:
    return (struct verdict){"undeliverable", "no_domain"};
  case SIM_ROUTE_NULL_MX:
  case SIM_ROUTE_NO_MAIL:
    return (struct verdict){"undeliverable", "no_mail_server"};
  case SIM_ROUTE_ERROR:
    return (struct verdict){"unknown", "dns_error"};
  default:
    return (struct verdict){"risky", "unreachable_mx"};
  }
}

/* Rows 12 to 17: the RCPT was accepted. */
static struct verdict verdict_accepted(const struct sim_row *row,
                                       bool catch_all, enum identity id)
{
  if (row->disposable)
    return (struct verdict){"risky", "disposable"};
  if (row->role)
    return (struct verdict){"risky", "role_account"};
  if (catch_all && id == ID_EXISTS)
    return (struct verdict){"deliverable", "identity_confirmed"};
  if (catch_all && id == ID_ABSENT)
    return (struct verdict){"undeliverable", "identity_absent"};
  if (catch_all)
    return (struct verdict){"risky", "accept_all"};
  return (struct verdict){"deliverable", "accepted"};
}

/* Rows 18 to 32 for the outcomes the world can produce once retries
 * cleared greylisting and rate limits. */
static struct verdict verdict_rejected(enum smtp_result result, bool gateway,
                                       bool validates, enum identity id)
{
  bool decided_by_smtp = !gateway || validates;
  if (result == SMTP_UNKNOWN_USER && decided_by_smtp)
    return (struct verdict){"undeliverable", "mailbox_not_found"};
  if (result == SMTP_DISABLED && decided_by_smtp)
    return (struct verdict){"undeliverable", "mailbox_disabled"};
  if (result == SMTP_FULL)
    return (struct verdict){"risky", "mailbox_full"};
  if (id == ID_EXISTS)
    return (struct verdict){"deliverable", "identity_confirmed"};
  if (id == ID_ABSENT)
    return (struct verdict){"undeliverable", "identity_absent"};
  switch (result) {
  case SMTP_UNKNOWN_USER:
  case SMTP_DISABLED:
    return (struct verdict){"unknown", "gateway_rejected"};
  case SMTP_POLICY:
    return (struct verdict){"unknown", "blocked"};
  case SMTP_TIMEOUT:
    return (struct verdict){"unknown", "timeout"};
  default:
    return (struct verdict){"unknown", "connection_failed"};
  }
}

static struct verdict decide(const struct sim_world *world,
                             const struct sim_route *routes,
                             const bool *any_accepted,
                             const struct sim_row *row)
{
  if (row->kind == SIM_ROW_EMPTY)
    return (struct verdict){"undeliverable", "missing_address"};
  if (row->kind == SIM_ROW_INVALID)
    return (struct verdict){"undeliverable", "invalid_syntax"};
  if (row->domain < 0)
    return verdict_dns(SIM_ROUTE_NXDOMAIN);
  const struct sim_route *route = &routes[row->domain];
  if (route->dns != SIM_ROUTE_OK)
    return verdict_dns(route->dns);
  enum smtp_result result = smtp_result(route, (enum sim_mbox_state)row->state);
  enum smtp_result probe = smtp_result(route, SIM_MBOX_NONE);
  enum identity id = identity_of(world, row);
  if (result == SMTP_ACCEPT)
    return verdict_accepted(row, probe == SMTP_ACCEPT, id);
  bool gateway = route->host != NULL &&
                 sim_style_is_gateway((enum sim_style)route->host->style);
  bool validates = probe == SMTP_UNKNOWN_USER && any_accepted[row->domain];
  return verdict_rejected(result, gateway, validates, id);
}

/* Record, per domain, whether some row reaches an existing mailbox. */
static void mark_accepted(const struct sim_route *routes,
                          const struct sim_rows *rows, bool *any_accepted)
{
  for (size_t i = 0; i < rows->count; i++) {
    const struct sim_row *row = &rows->rows[i];
    if (row->domain < 0 || row->kind == SIM_ROW_INVALID ||
        row->kind == SIM_ROW_EMPTY)
      continue;
    const struct sim_route *route = &routes[row->domain];
    if (route->dns == SIM_ROUTE_OK &&
        smtp_result(route, (enum sim_mbox_state)row->state) == SMTP_ACCEPT)
      any_accepted[row->domain] = true;
  }
}

enum lc_status sim_truth_write(const struct sim_world *world,
                               const struct sim_rows *rows, const char *path)
{
  size_t domains = world->domain_count;
  struct sim_route *routes = calloc(domains + 1, sizeof(*routes));
  bool *any_accepted = calloc(domains + 1, sizeof(*any_accepted));
  FILE *out = NULL;
  enum lc_status status = LC_ERR_NOMEM;
  if (routes == NULL || any_accepted == NULL)
    goto done;
  for (size_t i = 0; i < domains; i++)
    routes[i] = sim_truth_route(world, (int32_t)i);
  mark_accepted(routes, rows, any_accepted);
  status = LC_ERR_IO;
  out = fopen(path, "wb");
  if (out == NULL)
    goto done;
  fputs("row,email,status,reason\r\n", out);
  for (size_t i = 0; i < rows->count; i++) {
    struct verdict v = decide(world, routes, any_accepted, &rows->rows[i]);
    fprintf(out, "%zu,", i + 1);
    sim_csv_write_field(out, rows->rows[i].address);
    fprintf(out, ",%s,%s\r\n", v.status, v.reason);
  }
  status = ferror(out) ? LC_ERR_IO : LC_OK;
done:
  if (out != NULL && fclose(out) != 0)
    status = LC_ERR_IO;
  if (status == LC_ERR_IO)
    fprintf(stderr, "simworld: cannot write %s\n", path);
  free(routes);
  free(any_accepted);
  return status;
}
