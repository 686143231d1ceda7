/* Generator of worlds, input files and ground truth (`simworld gen`).
 *
 * gen.c builds the world (hosts, domains, mailboxes), gen_rows.c draws the
 * CRM rows and writes input.csv, truth.c decides the expected verdict of
 * each row and writes truth.csv.
 */
#ifndef SIM_GEN_H
#define SIM_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/simworld/names.h"
#include "bench/simworld/rng.h"
#include "bench/simworld/world.h"

#define SIM_SMTP_PROFILE_MAX 24

struct sim_gen_options {
  uint64_t seed;
  size_t domains;   /* domains in the world, fixed ones included */
  size_t addresses; /* mailboxes in the world */
  size_t rows;      /* data rows of input.csv */
  size_t mx_hosts;  /* distinct MX addresses */
  const char *out_dir;
  const char *extra_path; /* --extra FILE: more hosts, domains, mailboxes */
  uint32_t dns_weight[SIM_DNS_COUNT];
  uint32_t smtp_weight[SIM_SMTP_PROFILE_MAX]; /* by sim_smtp_profiles */
  uint32_t realm_weight[SIM_REALM_COUNT];
};

/* Kind of an input row, before formatting. */
enum sim_row_kind {
  SIM_ROW_EXISTING,   /* a mailbox of the world */
  SIM_ROW_UNKNOWN,    /* a person without a mailbox on a world domain */
  SIM_ROW_ROLE,       /* role local part, mailbox or not */
  SIM_ROW_DISPOSABLE, /* any local part on a disposable domain */
  SIM_ROW_TYPO,       /* misspelled popular domain (not in the world) */
  SIM_ROW_INVALID,    /* fails the syntax check */
  SIM_ROW_EMPTY,      /* empty email field */
  SIM_ROW_KIND_COUNT
};

/* What the truth needs to know about one row. */
struct sim_row {
  const char *address; /* normalised address, raw text when invalid */
  int32_t domain;      /* world domain index, -1 when none */
  uint8_t kind;        /* enum sim_row_kind */
  uint8_t state;       /* enum sim_mbox_state of the address */
  bool role, disposable;
};

struct sim_rows {
  struct sim_row *rows;
  size_t count;
};

/* Set the default sizes and profile weights. */
void sim_gen_defaults(struct sim_gen_options *options);
/* Apply "--profile-mix" text: comma-separated KIND:NAME=WEIGHT with KIND
 * dns, smtp or realm. Prints the offending entry and returns false on an
 * error. */
bool sim_gen_parse_mix(struct sim_gen_options *options, const char *mix);

/* A generated world with what the row generator needs besides it. */
struct sim_gen_world {
  struct sim_world *world;
  struct sim_person *persons; /* owner of each mailbox, by index */
  size_t first_random_domain; /* domains before it are the fixed ones */
};

/* Build a world from OPTIONS, drawing from RNG, into *out. Prints the
 * reason and returns an error status on failure. */
enum lc_status sim_gen_world(const struct sim_gen_options *options,
                             struct sim_rng *rng, struct sim_gen_world *out);
/* Free what sim_gen_world() allocated. Accepts a zeroed struct. */
void sim_gen_world_free(struct sim_gen_world *gen);

/* Draw OPTIONS->rows input rows over GEN, write them as CSV to PATH and
 * store what the truth needs in *rows (caller frees rows->rows). */
enum lc_status sim_gen_rows(const struct sim_gen_options *options,
                            const struct sim_gen_world *gen,
                            struct sim_rng *rng, const char *path,
                            struct sim_rows *rows);

/* DNS outcome of a domain's mail route, as listclean resolves it. */
enum sim_route_dns {
  SIM_ROUTE_OK,
  SIM_ROUTE_NXDOMAIN,
  SIM_ROUTE_NULL_MX,
  SIM_ROUTE_NO_MAIL, /* no MX and no A, or no MX target resolves */
  SIM_ROUTE_ERROR,   /* SERVFAIL, REFUSED or no answer */
  SIM_ROUTE_UNREACHABLE
};

/* Where listclean's probes for a domain end up. */
struct sim_route {
  enum sim_route_dns dns;
  const struct sim_host *host; /* first MX with a listener; NULL when every
                                  MX refuses connections */
};

/* Resolve DOMAIN (-1 for a name outside the world) the way listclean
 * does: MX records by preference, CNAMEs followed, implicit MX. */
struct sim_route sim_truth_route(const struct sim_world *world, int32_t domain);
/* True when RCPT for an address in STATE ends in 250 on ROUTE. */
bool sim_truth_route_accepts(const struct sim_route *route,
                             enum sim_mbox_state state);

/* Write S to OUT as one CSV field, quoted when it contains a separator, a
 * quote, a line break or surrounding spaces. */
void sim_csv_write_field(FILE *out, const char *s);

/* Write truth.csv for ROWS to PATH. */
enum lc_status sim_truth_write(const struct sim_world *world,
                               const struct sim_rows *rows, const char *path);

/* Run `simworld gen` with its command-line arguments. Returns the process
 * exit status. */
int sim_gen_main(int argc, char **argv);

#endif
