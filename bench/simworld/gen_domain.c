/* Domain generation: DNS profile, SMTP host and the MX records that
 * providers of that host use.
 *
 * Self-hosted domains get names under the domain (mx.DOMAIN, mail.DOMAIN)
 * or the hosting server's own name. Provider domains get the provider's
 * naming pattern: DOMAIN-TLD.mail.protection.outlook.com for Microsoft,
 * mx0a-ID.pphosted.com for Proofpoint, dID.ess.barracudanetworks.com for
 * Barracuda, the shared inbound names for Mimecast and Google.
 */
#include "bench/simworld/gen_private.h"
#include "bench/simworld/profile.h"

#include <string.h>

#define BIG_MX_RECORDS 16
#define PICK_ATTEMPTS 16

static size_t profile_index(enum sim_base base, uint16_t mods)
{
  for (size_t p = 0; p < sim_smtp_profile_count; p++) {
    if (sim_smtp_profiles[p].base == base && sim_smtp_profiles[p].mods == mods)
      return p;
  }
  return 0;
}

static const struct sim_host *pool_pick(struct gen *gen, size_t profile)
{
  size_t len = gen->pool_len[profile];
  uint32_t host = gen->pools[profile][sim_rng_below(gen->rng, len)];
  return &gen->world->hosts[host];
}

/* Pick a second host of PROFILE with the style of FIRST, or FIRST, so that
 * equal-preference MX records behave alike. */
static const struct sim_host *pool_partner(struct gen *gen, size_t profile,
                                           const struct sim_host *first)
{
  for (int attempt = 0; attempt < 8; attempt++) {
    const struct sim_host *other = pool_pick(gen, profile);
    if (other != first && other->style == first->style)
      return other;
  }
  return first;
}

static enum lc_status add_mx_name(struct gen *gen, uint16_t pref,
                                  const char *target)
{
  return sim_world_add_mx(gen->world, pref, target) < 0 ? LC_ERR_NOMEM : LC_OK;
}

/* Add an A record NAME -> ADDR and the MX record PREF NAME. */
static enum lc_status add_mx_a(struct gen *gen, uint16_t pref, const char *name,
                               uint32_t addr)
{
  const char *copy = sim_gen_dup(gen, name);
  if (copy == NULL || sim_world_add_a(gen->world, copy, addr) < 0)
    return LC_ERR_NOMEM;
  return add_mx_name(gen, pref, copy);
}

static const char *current_domain(struct gen *gen)
{
  return gen->world->domains[gen->world->domain_count - 1].name;
}

static enum lc_status add_domain(struct gen *gen, const char *name,
                                 enum sim_dns_profile dns, enum sim_realm realm)
{
  const char *copy = sim_gen_dup(gen, name);
  if (copy == NULL || sim_world_add_domain(gen->world, copy, dns, realm) < 0)
    return LC_ERR_NOMEM;
  return LC_OK;
}

enum lc_status sim_gen_fixed_domain(struct gen *gen,
                                    const struct sim_fixed_domain *fixed)
{
  char name[NAME_MAX_LEN];
  enum sim_dns_profile dns =
      fixed->kind == SIM_FIXED_YAHOO ? SIM_DNS_MX_EQUAL : SIM_DNS_MX;
  enum lc_status status = add_domain(gen, fixed->name, dns, SIM_REALM_NONE);
  const struct sim_host *host;
  switch (fixed->kind) {
  case SIM_FIXED_GMAIL:
    if (status == LC_OK)
      status = add_mx_name(gen, 5, sim_google_names[0]);
    if (status == LC_OK)
      status = add_mx_name(gen, 10, sim_google_names[1]);
    return status;
  case SIM_FIXED_OUTLOOK:
    host = pool_pick(gen, profile_index(SIM_BASE_MS_DBEB, 0));
    snprintf(name, sizeof(name), "%.*s-com.olc.protection.outlook.com",
             (int)strcspn(fixed->name, "."), fixed->name);
    return status == LC_OK ? add_mx_a(gen, 5, name, host->addr) : status;
  case SIM_FIXED_YAHOO:
    for (size_t i = 0; i < SIM_YAHOO_HOSTS && status == LC_OK; i++)
      status = add_mx_name(gen, 1, sim_yahoo_names[i]);
    return status;
  default:
    host = pool_pick(gen, profile_index(SIM_BASE_CATCHALL, 0));
    snprintf(name, sizeof(name), "mx.%s", fixed->name);
    return status == LC_OK ? add_mx_a(gen, 10, name, host->addr) : status;
  }
}

bool sim_gen_is_typo_domain(const char *name)
{
  for (size_t i = 0; i < sim_typo_domain_count; i++) {
    if (strcmp(name, sim_typo_domains[i]) == 0)
      return true;
  }
  return false;
}

/* Draw an SMTP profile whose hosts fit DNS: non-MX profiles need a
 * self-hosted server, and a dead primary needs a working second MX. */
static size_t pick_profile(struct gen *gen, enum sim_dns_profile dns)
{
  size_t count = sim_smtp_profile_count;
  for (int attempt = 0; attempt < PICK_ATTEMPTS; attempt++) {
    size_t p = sim_rng_weighted(gen->rng, gen->opt->smtp_weight, count);
    if (p == count)
      break;
    enum sim_base base = sim_smtp_profiles[p].base;
    if (gen->pool_len[p] == 0)
      continue;
    if (dns != SIM_DNS_MX && sim_gen_pool_style(base, 0) != SIM_STYLE_GENERIC)
      continue;
    if (dns == SIM_DNS_DEAD_PRIMARY && base == SIM_BASE_REFUSED)
      continue;
    return p;
  }
  return profile_index(SIM_BASE_NORMAL, 0);
}

static enum lc_status mx_self_hosted(struct gen *gen, enum sim_dns_profile dns,
                                     size_t profile,
                                     const struct sim_host *host)
{
  const char *domain = current_domain(gen);
  char name[NAME_MAX_LEN];
  enum lc_status status = LC_OK;
  switch (dns) {
  case SIM_DNS_MX_EQUAL:
    snprintf(name, sizeof(name), "mx1.%s", domain);
    status = add_mx_a(gen, 10, name, host->addr);
    snprintf(name, sizeof(name), "mx2.%s", domain);
    host = pool_partner(gen, profile, host);
    return status == LC_OK ? add_mx_a(gen, 10, name, host->addr) : status;
  case SIM_DNS_DEAD_PRIMARY:
    snprintf(name, sizeof(name), "mx0.%s", domain);
    status = add_mx_a(gen, 5, name,
                      pool_pick(gen, profile_index(SIM_BASE_REFUSED, 0))->addr);
    snprintf(name, sizeof(name), "mx1.%s", domain);
    return status == LC_OK ? add_mx_a(gen, 10, name, host->addr) : status;
  case SIM_DNS_MX_CNAME:
    snprintf(name, sizeof(name), "mail.%s", domain);
    const char *alias = sim_gen_dup(gen, name);
    if (alias == NULL || sim_world_add_cname(gen->world, alias, host->name) < 0)
      return LC_ERR_NOMEM;
    return add_mx_name(gen, 10, alias);
  case SIM_DNS_IMPLICIT:
    return sim_world_add_a(gen->world, domain, host->addr) < 0 ? LC_ERR_NOMEM
                                                               : LC_OK;
  case SIM_DNS_BIG:
    for (int i = 0; i < BIG_MX_RECORDS && status == LC_OK; i++) {
      snprintf(name, sizeof(name), "relay-%02d.inbound-mx-cluster.%s", i,
               domain);
      status = add_mx_a(gen, (uint16_t)(10 + i), name, host->addr);
    }
    return status;
  default:
    if (sim_rng_chance(gen->rng, 500))
      return add_mx_name(gen, 10, host->name);
    snprintf(name, sizeof(name), "mx.%s", domain);
    return add_mx_a(gen, 10, name, host->addr);
  }
}

static enum lc_status mx_google(struct gen *gen)
{
  static const uint16_t prefs[] = {1, 5, 5, 10, 10};
  enum lc_status status = LC_OK;
  for (size_t i = 0; i < 5 && status == LC_OK; i++)
    status = add_mx_name(gen, prefs[i], sim_google_names[2 + i]);
  return status;
}

static enum lc_status mx_microsoft(struct gen *gen, const struct sim_host *host)
{
  char name[64];
  size_t len = 0;
  for (const char *c = current_domain(gen); *c && len + 1 < sizeof(name); c++)
    name[len++] = *c == '.' ? '-' : *c;
  name[len] = '\0';
  /* Two domains can map to one label (a-b.com and a.b-com); Microsoft
   * then adds a suffix, and so does the generator. */
  char full[NAME_MAX_LEN];
  snprintf(full, sizeof(full), "%s.mail.protection.outlook.com", name);
  while (sim_world_find_name(gen->world, full, strlen(full)) != NULL)
    snprintf(full, sizeof(full), "%s%02u.mail.protection.outlook.com", name,
             (unsigned)sim_rng_below(gen->rng, 100));
  return add_mx_a(gen, 0, full, host->addr);
}

static enum lc_status mx_gateway(struct gen *gen, size_t profile,
                                 const struct sim_host *host)
{
  const struct sim_host *partner = pool_partner(gen, profile, host);
  size_t id = 100000 + gen->customer_serial++;
  char name[NAME_MAX_LEN];
  enum lc_status status;
  switch (host->style) {
  case SIM_STYLE_PROOFPOINT:
    snprintf(name, sizeof(name), "mx0a-00%zu.pphosted.com", id);
    status = add_mx_a(gen, 10, name, host->addr);
    snprintf(name, sizeof(name), "mx0b-00%zu.pphosted.com", id);
    return status == LC_OK ? add_mx_a(gen, 10, name, partner->addr) : status;
  case SIM_STYLE_BARRACUDA:
    snprintf(name, sizeof(name), "d%zua.ess.barracudanetworks.com", id);
    status = add_mx_a(gen, 10, name, host->addr);
    snprintf(name, sizeof(name), "d%zub.ess.barracudanetworks.com", id);
    return status == LC_OK ? add_mx_a(gen, 10, name, partner->addr) : status;
  default:
    status = add_mx_name(gen, 10, host->name);
    if (status == LC_OK && partner != host)
      status = add_mx_name(gen, 10, partner->name);
    return status;
  }
}

/* Add the MX records of the current domain for HOST. Only a domain whose
 * profile was DRAWN may end up at Google instead of HOST. */
static enum lc_status mx_for_host(struct gen *gen, enum sim_dns_profile dns,
                                  size_t profile, const struct sim_host *host,
                                  bool drawn)
{
  if (host->style == SIM_STYLE_MICROSOFT)
    return mx_microsoft(gen, host);
  if (sim_style_is_gateway((enum sim_style)host->style))
    return mx_gateway(gen, profile, host);
  if (drawn && dns == SIM_DNS_MX &&
      sim_smtp_profiles[profile].base == SIM_BASE_NORMAL &&
      sim_smtp_profiles[profile].mods == 0 && sim_rng_chance(gen->rng, 250))
    return mx_google(gen);
  return mx_self_hosted(gen, dns, profile, host);
}

static enum lc_status mail_domain(struct gen *gen, const char *name,
                                  enum sim_dns_profile dns, size_t profile,
                                  enum sim_realm realm)
{
  bool drawn = profile == SIM_GEN_DRAW;
  if (drawn)
    profile = pick_profile(gen, dns);
  const struct sim_host *host = pool_pick(gen, profile);
  if (realm == SIM_REALM_COUNT) {
    realm = SIM_REALM_NONE;
    if (host->style == SIM_STYLE_MICROSOFT ||
        sim_style_is_gateway((enum sim_style)host->style)) {
      size_t pick =
          sim_rng_weighted(gen->rng, gen->opt->realm_weight, SIM_REALM_COUNT);
      realm = pick == SIM_REALM_COUNT ? SIM_REALM_NONE : (enum sim_realm)pick;
    }
  }
  enum lc_status status = add_domain(gen, name, dns, realm);
  return status == LC_OK ? mx_for_host(gen, dns, profile, host, drawn) : status;
}

enum lc_status sim_gen_domain(struct gen *gen, const char *name,
                              enum sim_dns_profile dns, size_t profile,
                              enum sim_realm realm)
{
  char mx[NAME_MAX_LEN + 4];
  enum sim_realm given = realm == SIM_REALM_COUNT ? SIM_REALM_NONE : realm;
  snprintf(mx, sizeof(mx), "mx.%s", name);
  switch (dns) {
  case SIM_DNS_NXDOMAIN:
  case SIM_DNS_SERVFAIL:
  case SIM_DNS_REFUSED:
  case SIM_DNS_SILENT:
    return add_domain(gen, name, dns, given);
  case SIM_DNS_NULL_MX:
    if (add_domain(gen, name, dns, given) != LC_OK)
      return LC_ERR_NOMEM;
    return add_mx_name(gen, 0, ".");
  case SIM_DNS_MX_NXTARGET:
    if (add_domain(gen, name, dns, given) != LC_OK)
      return LC_ERR_NOMEM;
    const char *target = sim_gen_dup(gen, mx);
    return target ? add_mx_name(gen, 10, target) : LC_ERR_NOMEM;
  case SIM_DNS_UNREACHABLE:
    if (add_domain(gen, name, dns, given) != LC_OK)
      return LC_ERR_NOMEM;
    return add_mx_a(gen, 10, mx, 0);
  default:
    return mail_domain(gen, name, dns, profile, realm);
  }
}

bool sim_gen_dns_needs_host(enum sim_dns_profile dns)
{
  switch (dns) {
  case SIM_DNS_NXDOMAIN:
  case SIM_DNS_SERVFAIL:
  case SIM_DNS_REFUSED:
  case SIM_DNS_SILENT:
  case SIM_DNS_NULL_MX:
  case SIM_DNS_MX_NXTARGET:
  case SIM_DNS_UNREACHABLE:
    return false;
  default:
    return true;
  }
}

enum lc_status sim_gen_random_domain(struct gen *gen)
{
  char name[NAME_MAX_LEN];
  do {
    sim_company_domain(gen->rng, name, sizeof(name));
  } while (sim_world_find_name(gen->world, name, strlen(name)) != NULL ||
           sim_gen_is_typo_domain(name) ||
           sim_extra_has_domain(gen->extra, name));
  size_t pick = sim_rng_weighted(gen->rng, gen->opt->dns_weight, SIM_DNS_COUNT);
  enum sim_dns_profile dns =
      pick == SIM_DNS_COUNT ? SIM_DNS_MX : (enum sim_dns_profile)pick;
  return sim_gen_domain(gen, name, dns, SIM_GEN_DRAW, SIM_REALM_COUNT);
}
