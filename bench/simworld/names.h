/* Word lists and name builders for generated people, companies and
 * domains. Everything is ASCII except the display forms of a few people's
 * names, which are UTF-8. */
#ifndef SIM_NAMES_H
#define SIM_NAMES_H

#include <stddef.h>

#include "bench/simworld/rng.h"

struct sim_person {
  unsigned first, last; /* indexes into the name lists */
};

/* Role local parts; listclean's role list contains each of them. */
extern const char *const sim_role_locals[];
extern const size_t sim_role_local_count;
/* Disposable mail domains; listclean's disposable list covers them. */
extern const char *const sim_disposable_domains[];
extern const size_t sim_disposable_domain_count;
/* Misspellings of popular mail domains that do not exist in the world. */
extern const char *const sim_typo_domains[];
extern const size_t sim_typo_domain_count;

struct sim_person sim_person_random(struct sim_rng *rng);
/* Display forms for the first_name and last_name columns. */
const char *sim_person_first(struct sim_person person);
const char *sim_person_last(struct sim_person person);
/* Write a lower-case local part for PERSON in one of the usual corporate
 * patterns (first.last, flast, ...) to BUF. */
void sim_person_local(struct sim_rng *rng, struct sim_person person, char *buf,
                      size_t size);

/* Write a new company domain name ("brightforge.io") to BUF. */
void sim_company_domain(struct sim_rng *rng, char *buf, size_t size);
/* Write a company name derived from DOMAIN ("Brightforge Ltd") to BUF. */
void sim_company_name(struct sim_rng *rng, const char *domain, char *buf,
                      size_t size);
/* Hosting operator word for self-hosted MX names. */
const char *sim_hosting_word(size_t index);

#endif
