/* World generation: MX hosts, domains with their DNS records, mailboxes.
 *
 * Hosts come first: the fixed Google and Yahoo servers, then pools per SMTP
 * profile sized by the profile weights within the --mx-hosts cap. Then the
 * fixed domains (free mail and disposable providers), then random company
 * domains, each drawing a DNS profile, an SMTP profile and a host of that
 * profile. Every draw comes from one seeded stream in a fixed order, so the
 * same options give the same world byte for byte. The entries of --extra
 * (gen_extra.c) join them: hosts after the pools, mailboxes of fixed
 * domains before the generated ones, domains at the end.
 */
#include "bench/simworld/gen_private.h"
#include "bench/simworld/profile.h"

#include <stdlib.h>
#include <string.h>

#define FIXED_HOSTS (SIM_GOOGLE_HOSTS + SIM_YAHOO_HOSTS)
#define ROLE_MAILBOX_PER_MILLE 30

static const struct sim_fixed_domain fixed_domains[] = {
    {"gmail.com", SIM_FIXED_GMAIL, 120},
    {"googlemail.com", SIM_FIXED_GMAIL, 5},
    {"outlook.com", SIM_FIXED_OUTLOOK, 40},
    {"hotmail.com", SIM_FIXED_OUTLOOK, 30},
    {"live.com", SIM_FIXED_OUTLOOK, 10},
    {"yahoo.com", SIM_FIXED_YAHOO, 40},
    {"aol.com", SIM_FIXED_YAHOO, 10},
    {"mailinator.com", SIM_FIXED_DISPOSABLE, 0},
    {"eu.mailinator.com", SIM_FIXED_DISPOSABLE, 0},
    {"yopmail.com", SIM_FIXED_DISPOSABLE, 0},
    {"guerrillamail.com", SIM_FIXED_DISPOSABLE, 0},
    {"10minutemail.com", SIM_FIXED_DISPOSABLE, 0},
    {"trashmail.com", SIM_FIXED_DISPOSABLE, 0},
};
#define FIXED_DOMAIN_COUNT (sizeof(fixed_domains) / sizeof(fixed_domains[0]))

const char *const sim_google_names[SIM_GOOGLE_HOSTS] = {
    "gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com",
    "aspmx.l.google.com",         "alt1.aspmx.l.google.com",
    "alt2.aspmx.l.google.com",    "alt3.aspmx.l.google.com",
    "alt4.aspmx.l.google.com"};

const char *const sim_yahoo_names[SIM_YAHOO_HOSTS] = {
    "mta5.am0.yahoodns.net", "mta6.am0.yahoodns.net", "mta7.am0.yahoodns.net"};

static const char *const regions[] = {"eu", "us", "de", "au"};

static void fail_nomem(void)
{
  fprintf(stderr, "simworld: out of memory while generating the world\n");
}

/* Address of the N-th host: 127.1.0.1 upward, last octet 1 to 254. */
static uint32_t host_addr(size_t n)
{
  uint32_t last = (uint32_t)(n % 254) + 1;
  size_t rest = n / 254;
  uint32_t third = (uint32_t)(rest % 256);
  uint32_t second = 1 + (uint32_t)(rest / 256);
  return 127u << 24 | second << 16 | third << 8 | last;
}

const char *sim_gen_dup(struct gen *gen, const char *s)
{
  return sim_world_strdup(gen->world, s, strlen(s));
}

static int32_t add_host(struct gen *gen, enum sim_base base, uint16_t mods,
                        enum sim_style style, const char *name)
{
  uint32_t addr = host_addr(gen->host_serial++);
  const char *copy = sim_gen_dup(gen, name);
  if (copy == NULL || sim_world_add_a(gen->world, copy, addr) < 0)
    return -1;
  return sim_world_add_host(gen->world, addr, base, mods, style, copy);
}

enum sim_style sim_gen_pool_style(enum sim_base base, size_t serial)
{
  static const enum sim_style gateways[] = {
      SIM_STYLE_MIMECAST, SIM_STYLE_PROOFPOINT, SIM_STYLE_BARRACUDA};
  if (base == SIM_BASE_GW_REJECT || base == SIM_BASE_GW_VALIDATE)
    return gateways[serial % 3];
  if (base == SIM_BASE_MS_DBEB || base == SIM_BASE_MS_ACCEPT)
    return SIM_STYLE_MICROSOFT;
  return SIM_STYLE_GENERIC;
}

static void host_name(enum sim_style style, size_t serial, char *buf,
                      size_t size)
{
  const char *region = regions[serial % 4];
  switch (style) {
  case SIM_STYLE_MICROSOFT:
    snprintf(buf, size, "%s%zu-edge.mail.protection.outlook.com", region,
             serial);
    break;
  case SIM_STYLE_MIMECAST:
    snprintf(buf, size, "%s-smtp-inbound-%zu.mimecast.com", region, serial);
    break;
  case SIM_STYLE_PROOFPOINT:
    snprintf(buf, size, "ppfe%zu.pphosted.com", serial);
    break;
  case SIM_STYLE_BARRACUDA:
    snprintf(buf, size, "ess%zu.barracudanetworks.com", serial);
    break;
  default:
    snprintf(buf, size, "smtp%zu.%s.net", serial, sim_hosting_word(serial));
  }
}

static bool pool_forced(enum sim_base base, uint16_t mods)
{
  /* Disposable domains need a catch-all host, dead primaries a refusing
   * one, outlook.com a Microsoft edge and Google-less worlds a normal
   * host, whatever the weights say. */
  return mods == 0 && (base == SIM_BASE_CATCHALL || base == SIM_BASE_REFUSED ||
                       base == SIM_BASE_MS_DBEB || base == SIM_BASE_NORMAL);
}

static enum lc_status fill_pool(struct gen *gen, size_t profile, size_t count)
{
  const struct sim_smtp_profile *prof = &sim_smtp_profiles[profile];
  char name[NAME_MAX_LEN];
  gen->pools[profile] = calloc(count ? count : 1, sizeof(uint32_t));
  if (gen->pools[profile] == NULL)
    return LC_ERR_NOMEM;
  for (size_t i = 0; i < count; i++) {
    enum sim_style style = sim_gen_pool_style(prof->base, i);
    uint16_t mods = prof->mods;
    if (prof->base == SIM_BASE_NORMAL && sim_rng_chance(gen->rng, 400))
      mods |= SIM_MOD_FULL452;
    host_name(style, gen->host_serial, name, sizeof(name));
    int32_t host = add_host(gen, prof->base, mods, style, name);
    if (host < 0)
      return LC_ERR_NOMEM;
    gen->pools[profile][gen->pool_len[profile]++] = (uint32_t)host;
  }
  return LC_OK;
}

/* Split SLOTS hosts over the profiles: one for each profile in use, the
 * rest by weight, and what rounding leaves to the heaviest profile. */
static void pool_sizes(const struct sim_gen_options *opt, size_t slots,
                       size_t *counts)
{
  size_t profiles = sim_smtp_profile_count, used = 0, heaviest = 0;
  uint64_t total = 0;
  for (size_t p = 0; p < profiles; p++) {
    total += opt->smtp_weight[p];
    if (opt->smtp_weight[p] > opt->smtp_weight[heaviest])
      heaviest = p;
  }
  size_t spare = slots - profiles;
  for (size_t p = 0; p < profiles; p++) {
    uint32_t weight = opt->smtp_weight[p];
    counts[p] = 0;
    if (weight > 0)
      counts[p] = 1 + (size_t)(spare * weight / total);
    else if (pool_forced(sim_smtp_profiles[p].base, sim_smtp_profiles[p].mods))
      counts[p] = 1;
    used += counts[p];
  }
  if (used < slots)
    counts[heaviest] += slots - used;
}

static enum lc_status gen_hosts(struct gen *gen)
{
  const struct sim_gen_options *opt = gen->opt;
  size_t profiles = sim_smtp_profile_count;
  if (opt->mx_hosts < FIXED_HOSTS + profiles) {
    fprintf(stderr, "simworld: --mx-hosts must be at least %zu\n",
            FIXED_HOSTS + profiles);
    return LC_ERR_INVALID;
  }
  for (size_t i = 0; i < SIM_GOOGLE_HOSTS; i++) {
    if (add_host(gen, SIM_BASE_NORMAL, 0, SIM_STYLE_GOOGLE,
                 sim_google_names[i]) < 0)
      return LC_ERR_NOMEM;
  }
  for (size_t i = 0; i < SIM_YAHOO_HOSTS; i++) {
    if (add_host(gen, SIM_BASE_CATCHALL, 0, SIM_STYLE_YAHOO,
                 sim_yahoo_names[i]) < 0)
      return LC_ERR_NOMEM;
  }
  size_t counts[SIM_SMTP_PROFILE_MAX];
  pool_sizes(opt, opt->mx_hosts - FIXED_HOSTS, counts);
  for (size_t p = 0; p < profiles; p++) {
    if (fill_pool(gen, p, counts[p]) != LC_OK)
      return LC_ERR_NOMEM;
  }
  return LC_OK;
}

static enum lc_status add_mailboxes(struct gen *gen, size_t quota)
{
  char local[NAME_MAX_LEN];
  int32_t domain = (int32_t)gen->world->domain_count - 1;
  for (size_t i = 0; i < quota; i++) {
    struct sim_person person = sim_person_random(gen->rng);
    if (sim_rng_chance(gen->rng, ROLE_MAILBOX_PER_MILLE))
      snprintf(local, sizeof(local), "%s",
               sim_role_locals[sim_rng_below(gen->rng, sim_role_local_count)]);
    else
      sim_person_local(gen->rng, person, local, sizeof(local));
    size_t len = strlen(local);
    while (sim_world_find_mailbox(gen->world, domain, local, strlen(local)) !=
           SIM_MBOX_NONE)
      snprintf(local + len, sizeof(local) - len, "%u",
               (unsigned)sim_rng_below(gen->rng, 9000) + 1000);
    unsigned draw = (unsigned)sim_rng_below(gen->rng, 100);
    enum sim_mbox_state state = draw < 94   ? SIM_MBOX_OK
                                : draw < 97 ? SIM_MBOX_FULL
                                            : SIM_MBOX_DISABLED;
    const char *copy = sim_gen_dup(gen, local);
    size_t index = gen->world->mailbox_count;
    if (copy == NULL || sim_world_add_mailbox(gen->world, copy, state) < 0)
      return LC_ERR_NOMEM;
    gen->persons[index] = person;
  }
  return LC_OK;
}

/* Spread --addresses over the domains: the fixed shares first, the rest
 * over the random domains with a skew that gives a few large companies and
 * many small ones. */
static void mailbox_quotas(struct gen *gen, size_t *quota)
{
  const struct sim_gen_options *opt = gen->opt;
  size_t left = opt->addresses;
  for (size_t i = 0; i < FIXED_DOMAIN_COUNT; i++) {
    quota[i] = opt->addresses * fixed_domains[i].mailbox_per_mille / 1000;
    left -= quota[i];
  }
  size_t random_count = opt->domains - FIXED_DOMAIN_COUNT;
  for (size_t i = 0; i < left; i++) {
    double u = (double)sim_rng_below(gen->rng, 1u << 30) / (double)(1u << 30);
    quota[FIXED_DOMAIN_COUNT + (size_t)((double)random_count * u * u)]++;
  }
}

static enum lc_status gen_domains(struct gen *gen)
{
  size_t count = gen->opt->domains;
  size_t *quota = calloc(count, sizeof(*quota));
  if (quota == NULL)
    return LC_ERR_NOMEM;
  mailbox_quotas(gen, quota);
  enum lc_status status = LC_OK;
  for (size_t i = 0; i < count && status == LC_OK; i++) {
    if (i < FIXED_DOMAIN_COUNT)
      status = sim_gen_fixed_domain(gen, &fixed_domains[i]);
    else
      status = sim_gen_random_domain(gen);
    /* Extra mailboxes go first, so that generated ones avoid their local
     * parts. */
    if (status == LC_OK && i < FIXED_DOMAIN_COUNT)
      status = sim_gen_extra_mailboxes(gen);
    if (status == LC_OK)
      status = add_mailboxes(gen, quota[i]);
  }
  free(quota);
  return status == LC_OK ? sim_gen_extra_domains(gen) : status;
}

enum lc_status sim_gen_world(const struct sim_gen_options *options,
                             struct sim_rng *rng, struct sim_gen_world *out)
{
  struct gen gen = {.opt = options, .rng = rng};
  struct sim_extra *extra = NULL;
  enum lc_status status = LC_ERR_INVALID;
  if (options->domains < FIXED_DOMAIN_COUNT + 1) {
    fprintf(stderr, "simworld: --domains must be at least %zu\n",
            FIXED_DOMAIN_COUNT + 1);
    goto done;
  }
  if (options->extra_path != NULL) {
    status = sim_extra_load(options->extra_path, &extra);
    if (status != LC_OK)
      goto done;
    gen.extra = extra;
  }
  status = LC_ERR_NOMEM;
  gen.world = sim_world_new();
  gen.persons = calloc(options->addresses + sim_extra_mailbox_count(extra) + 1,
                       sizeof(*gen.persons));
  if (gen.world == NULL || gen.persons == NULL)
    goto done;
  status = gen_hosts(&gen);
  if (status == LC_OK)
    status = sim_gen_extra_hosts(&gen);
  if (status == LC_OK)
    status = gen_domains(&gen);
  if (status == LC_ERR_NOMEM)
    fail_nomem();
  if (status != LC_OK)
    goto done;
  out->world = gen.world;
  out->persons = gen.persons;
  out->first_random_domain = FIXED_DOMAIN_COUNT;
  gen.world = NULL;
  gen.persons = NULL;
done:
  for (size_t p = 0; p < SIM_SMTP_PROFILE_MAX; p++)
    free(gen.pools[p]);
  sim_world_free(gen.world);
  free(gen.persons);
  sim_extra_free(extra);
  return status;
}

void sim_gen_world_free(struct sim_gen_world *gen)
{
  sim_world_free(gen->world);
  free(gen->persons);
  gen->world = NULL;
  gen->persons = NULL;
}
