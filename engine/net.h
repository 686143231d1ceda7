/* Network checks of a row: DNS route, catch-all probe, SMTP probe,
 * identity evidence, then the verdict.
 *
 * The checker hands each row that passed the offline checks to
 * lc_net_check(). Rows of one domain share one DNS lookup, one catch-all
 * probe and the evidence of whether the domain's gateway validates
 * recipients. A row completes through lc_pipeline_item_done() exactly
 * once, also when the run stops.
 */
#ifndef LC_NET_H
#define LC_NET_H

#include <uv.h>

#include "engine/job.h"
#include "engine/pipeline.h"

struct lc_dedup;
struct lc_net;

/* Create the network side (resolver, scheduler, identity client) on LOOP.
 * On failure writes a message naming the bad option to ERR. */
enum lc_status lc_net_new(uv_loop_t *loop, const struct lc_job_options *opt,
                          struct lc_net **out, char *err, size_t err_size);

/* Check ITEM, whose offline observations OBS are already known and whose
 * result already holds the normalized address and flags. DOMAIN points
 * into item->result.normalized. */
void lc_net_check(struct lc_net *net, struct lc_item *item,
                  const struct lc_addr_obs *obs, const char *domain);

/* Decide now the rows that only wait for evidence that may never come
 * (whether a gateway validates recipients). Called when the window is full
 * or the input has ended. */
void lc_net_force(struct lc_net *net);

/* Set the function the network side calls, while rows wait for evidence,
 * to learn whether the pipeline can make no progress without them. */
void lc_net_set_blocked_cb(struct lc_net *net, bool (*blocked)(void *arg),
                           void *arg);

/* Bytes of the set of domains that had a real recipient accepted. */
#define LC_NET_ACCEPTED_MEMORY (2u << 20)

/* Add the domain of hash DOMAIN_HASH (lc_hash_nocase) to *SET, the
 * domains that had a real recipient accepted, creating the set at the
 * first one. Without memory for the set the domain is left out. */
void lc_net_accepted_add(struct lc_dedup **set, uint64_t domain_hash);

/* Take SET (from lc_dedup_new, or NULL), the hashes (lc_hash_nocase) of
 * domains that had a real recipient accepted before this run, such as
 * the rows --resume keeps. NET frees it, and adds the domains accepted
 * during the run. */
void lc_net_take_accepted(struct lc_net *net, struct lc_dedup *set);

/* Stop: rows still in flight complete with what is known, handles close.
 * The object frees itself once the loop has run the close callbacks.
 * Accepts NULL. */
void lc_net_shutdown(struct lc_net *net);

#endif
