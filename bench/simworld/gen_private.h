/* State shared by the world generator's files (gen.c, gen_domain.c). */
#ifndef SIM_GEN_PRIVATE_H
#define SIM_GEN_PRIVATE_H

#include "bench/simworld/gen.h"

#define NAME_MAX_LEN 256
/* Profile argument of sim_gen_domain(): draw one from the weights. */
#define SIM_GEN_DRAW SIZE_MAX
#define SIM_GOOGLE_HOSTS 7
#define SIM_YAHOO_HOSTS 3

struct sim_extra;

struct gen {
  const struct sim_gen_options *opt;
  struct sim_extra *extra; /* --extra entries, or NULL */
  struct sim_rng *rng;
  struct sim_world *world;
  struct sim_person *persons;
  uint32_t *pools[SIM_SMTP_PROFILE_MAX]; /* host indexes per profile */
  size_t pool_len[SIM_SMTP_PROFILE_MAX];
  size_t host_serial;
  size_t customer_serial;
};

/* Fixed domains: popular free mail and disposable providers. */
enum sim_fixed_kind {
  SIM_FIXED_GMAIL,
  SIM_FIXED_OUTLOOK,
  SIM_FIXED_YAHOO,
  SIM_FIXED_DISPOSABLE
};

struct sim_fixed_domain {
  const char *name;
  enum sim_fixed_kind kind;
  unsigned mailbox_per_mille; /* share of --addresses */
};

extern const char *const sim_google_names[SIM_GOOGLE_HOSTS];
extern const char *const sim_yahoo_names[SIM_YAHOO_HOSTS];

/* Copy S into the world's arena; NULL when out of memory. */
const char *sim_gen_dup(struct gen *gen, const char *s);
/* Style of the hosts in the pool of BASE (position SERIAL in the pool). */
enum sim_style sim_gen_pool_style(enum sim_base base, size_t serial);
/* Add the fixed domain FIXED or a new random domain, with its records but
 * without mailboxes. */
enum lc_status sim_gen_fixed_domain(struct gen *gen,
                                    const struct sim_fixed_domain *fixed);
enum lc_status sim_gen_random_domain(struct gen *gen);
/* Add domain NAME with DNS profile DNS and its records. PROFILE is the
 * index in sim_smtp_profiles of the pool its host comes from, or
 * SIM_GEN_DRAW to draw one that fits DNS. REALM is its identity realm, or
 * SIM_REALM_COUNT to draw one for Microsoft and gateway hosts. */
enum lc_status sim_gen_domain(struct gen *gen, const char *name,
                              enum sim_dns_profile dns, size_t profile,
                              enum sim_realm realm);
/* False for the DNS profiles whose domains have no working MX host
 * (nxdomain, servfail, refused, silent, null_mx, mx_nxtarget,
 * unreachable). */
bool sim_gen_dns_needs_host(enum sim_dns_profile dns);
/* True for the misspelled domains that input.csv uses as missing ones. */
bool sim_gen_is_typo_domain(const char *name);

/* Extra entries of `gen --extra FILE` (gen_extra.c). Every function
 * accepts a NULL EXTRA and then does nothing. */
/* Read and check the syntax of FILE. Prints the file, line and problem
 * and returns LC_ERR_FORMAT, LC_ERR_IO or LC_ERR_NOMEM on failure. */
enum lc_status sim_extra_load(const char *path, struct sim_extra **out);
void sim_extra_free(struct sim_extra *extra);
/* Number of mailbox lines. */
size_t sim_extra_mailbox_count(const struct sim_extra *extra);
/* True when a domain line names NAME. */
bool sim_extra_has_domain(const struct sim_extra *extra, const char *name);
/* Add the host lines, after the generated hosts. */
enum lc_status sim_gen_extra_hosts(struct gen *gen);
/* Add the mailbox lines of the domain added last. */
enum lc_status sim_gen_extra_mailboxes(struct gen *gen);
/* Add the domain lines with their mailboxes, after every generated
 * domain, and check that every mailbox line found its domain. */
enum lc_status sim_gen_extra_domains(struct gen *gen);

#endif
