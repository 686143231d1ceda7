/* Field formats of the generated CRM export: messy email values, invalid
 * addresses, names, phones, dates and notes. */
#ifndef SIM_GEN_FORMAT_H
#define SIM_GEN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench/simworld/names.h"
#include "bench/simworld/rng.h"

/* Write the email field for LOCAL@DOMAIN to BUF: mostly plain, sometimes
 * with spaces, an upper-case domain, "mailto:" or "Name <addr>". With
 * ALWAYS_MESSY (duplicates) the plain form is never chosen. */
void sim_format_email(struct sim_rng *rng, struct sim_person person,
                      const char *local, const char *domain, bool always_messy,
                      char *buf, size_t size);
/* Write an address that fails the syntax check (no @, two @, a space, a
 * trailing dot, ...) built from LOCAL and DOMAIN to BUF. */
void sim_format_invalid(struct sim_rng *rng, struct sim_person person,
                        const char *local, const char *domain, char *buf,
                        size_t size);
/* Write the first_name and last_name fields, each followed by a comma. */
void sim_format_person(struct sim_rng *rng, struct sim_person person, bool role,
                       FILE *out);
void sim_format_phone(struct sim_rng *rng, char *buf, size_t size);
void sim_format_date(struct sim_rng *rng, char *buf, size_t size);
void sim_format_note(struct sim_rng *rng, char *buf, size_t size);

#endif
