/* Names of the world's enums and the recipient rule shared by the SMTP
 * server and the ground truth.
 *
 * The names are the words of the world file and of --profile-mix. The
 * recipient rule (sim_rcpt_outcome) is the single place that says how a
 * host's base behaviour treats a mailbox, so the server and the truth file
 * cannot disagree.
 */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/simworld/world.h"

/* Answer class of one RCPT once greylisting and limits have cleared. */
enum sim_rcpt_outcome {
  SIM_RCPT_ACCEPT,
  SIM_RCPT_UNKNOWN_USER,
  SIM_RCPT_FULL,
  SIM_RCPT_DISABLED,
  SIM_RCPT_POLICY /* the prober is rejected whatever the mailbox */
};

/* Named SMTP profile of --profile-mix: a base behaviour plus modifiers. */
struct sim_smtp_profile {
  const char *name;
  enum sim_base base;
  uint16_t mods;
};

extern const struct sim_smtp_profile sim_smtp_profiles[];
extern const size_t sim_smtp_profile_count;

/* Lookups between enum values and their names. The *_name functions never
 * return NULL; the parse functions return false for an unknown word and
 * leave *out alone. S need not be NUL-terminated. */
const char *sim_dns_profile_name(enum sim_dns_profile profile);
bool sim_dns_profile_parse(const char *s, size_t len,
                           enum sim_dns_profile *out);
const char *sim_base_name(enum sim_base base);
const char *sim_style_name(enum sim_style style);
bool sim_style_parse(const char *s, size_t len, enum sim_style *out);
const char *sim_realm_name(enum sim_realm realm);
bool sim_realm_parse(const char *s, size_t len, enum sim_realm *out);
const char *sim_mbox_state_name(enum sim_mbox_state state);
bool sim_mbox_state_parse(const char *s, size_t len, enum sim_mbox_state *out);

/* Write "base+mod+mod" for BASE and MODS to BUF (SIZE bytes). */
void sim_host_profile_format(enum sim_base base, uint16_t mods, char *buf,
                             size_t size);
/* Parse "base+mod+mod". */
bool sim_host_profile_parse(const char *s, size_t len, enum sim_base *base,
                            uint16_t *mods);

/* Provider name listclean derives from the MX names of STYLE ("google",
 * ...), or "" for a self-hosted server. */
const char *sim_style_provider(enum sim_style style);
/* True for security gateways in front of the mailbox host. */
bool sim_style_is_gateway(enum sim_style style);

/* Outcome of RCPT for a mailbox in STATE on a host with BASE, for the
 * bases that answer RCPT at all. */
enum sim_rcpt_outcome sim_rcpt_outcome(enum sim_base base,
                                       enum sim_mbox_state state);

#endif
