/* State shared by the world generator's files (gen.c, gen_domain.c). */
#ifndef SIM_GEN_PRIVATE_H
#define SIM_GEN_PRIVATE_H

#include "bench/simworld/gen.h"

#define NAME_MAX_LEN 256
#define SIM_GOOGLE_HOSTS 7
#define SIM_YAHOO_HOSTS 3

struct gen {
  const struct sim_gen_options *opt;
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

#endif
