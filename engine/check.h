/* The checker: runs the requested checks on each item and fills its
 * result. Offline checks finish inside lc_checker_submit; network checks
 * finish later from loop callbacks. */
#ifndef LC_CHECK_H
#define LC_CHECK_H

#include <uv.h>

#include "engine/job.h"
#include "engine/pipeline.h"

struct lc_checker;
struct lc_dedup;

/* Create a checker for OPTIONS on LOOP. On failure writes a message to
 * ERR. */
enum lc_status lc_checker_new(uv_loop_t *loop,
                              const struct lc_job_options *options,
                              struct lc_checker **out, char *err,
                              size_t err_size);

/* Check ITEM; lc_pipeline_item_done(item) follows exactly once. */
void lc_checker_submit(struct lc_checker *checker, struct lc_item *item);

/* Set the function that tells whether the pipeline is blocked (input
 * ended or window full), asked while rows wait for evidence. */
void lc_checker_set_blocked_cb(struct lc_checker *checker,
                               bool (*blocked)(void *arg), void *arg);

/* The window is full or the input has ended: decide the rows that only
 * wait for evidence that may never come. */
void lc_checker_pressure(struct lc_checker *checker);

/* Record ITEM as seen without checking it: its address goes into the
 * duplicate detection, so later copies are flagged as in the run that
 * wrote it. For rows that --resume takes from the earlier output; no
 * lc_pipeline_item_done follows. */
void lc_checker_skip(struct lc_checker *checker, const struct lc_item *item);

/* Hand SET, the domains of resumed rows that were accepted (see
 * lc_net_take_accepted), to the network side, or free it when there is
 * none. */
void lc_checker_take_accepted(struct lc_checker *checker, struct lc_dedup *set);

/* The network side, for progress counters; NULL when only offline checks
 * run or after lc_checker_close. */
struct lc_net *lc_checker_net(const struct lc_checker *checker);

/* Close the checker's loop handles; lc_checker_free may follow once the
 * loop has run their close callbacks. Accepts NULL. */
void lc_checker_close(struct lc_checker *checker);
void lc_checker_free(struct lc_checker *checker);

#endif
