/* The checker: runs the requested checks on each item and fills its
 * result. Offline checks finish inside lc_checker_submit; network checks
 * finish later from loop callbacks. */
#ifndef LC_CHECK_H
#define LC_CHECK_H

#include <uv.h>

#include "engine/job.h"
#include "engine/pipeline.h"

struct lc_checker;

/* Create a checker for OPTIONS on LOOP. On failure writes a message to
 * ERR. */
enum lc_status lc_checker_new(uv_loop_t *loop,
                              const struct lc_job_options *options,
                              struct lc_checker **out, char *err,
                              size_t err_size);

/* Check ITEM; lc_pipeline_item_done(item) follows exactly once. */
void lc_checker_submit(struct lc_checker *checker, struct lc_item *item);

/* The window is full or the input has ended: decide the rows that only
 * wait for evidence that may never come. */
void lc_checker_pressure(struct lc_checker *checker);

/* Close the checker's loop handles; lc_checker_free may follow once the
 * loop has run their close callbacks. Accepts NULL. */
void lc_checker_close(struct lc_checker *checker);
void lc_checker_free(struct lc_checker *checker);

#endif
