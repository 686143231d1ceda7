/* Spilling: finished rows that wait behind an unfinished one leave memory.
 *
 * Output is in input order, so one slow row (a greylisted address retried
 * minutes later, a row waiting for gateway evidence) delays every row read
 * after it. When the pool of items runs out behind such a row, the
 * finished rows in memory are formatted as they will be written and moved
 * to the spill file, and their items go back to the pool, so reading goes
 * on. The order queue keeps their place as runs of spilled rows between
 * the rows still in memory; the writer takes them back from the file when
 * their turn comes.
 *
 * A spill pass walks the whole queue, so it runs only when at least an
 * eighth of the pool is finished rows. When the spill file cannot be
 * opened or written, or reaches --max-spill, spilling stops for the run
 * and rows wait in memory as without it.
 */
#include "engine/pipeline_impl.h"

#include <stdlib.h>

#include "engine/log.h"

static const char *spill_dir(const struct lc_pipeline *p)
{
  const char *dir = p->opt->spill_dir;

  if (dir == NULL || dir[0] == '\0')
    dir = getenv("TMPDIR");
  return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

/* Finished rows in memory behind the head, not yet written. */
static uint64_t spill_finished(const struct lc_pipeline *p)
{
  uint64_t in_memory = p->capacity - p->nfree;
  uint64_t waiting = p->unfinished + (p->tail - p->submitted);

  return in_memory > waiting ? in_memory - waiting : 0;
}

bool lc_pipeline_can_spill(const struct lc_pipeline *p)
{
  uint64_t min = p->capacity / 8 > 0 ? p->capacity / 8 : 1;

  return !p->spill_off && spill_finished(p) >= min;
}

static void spill_stop(struct lc_pipeline *p, const char *why)
{
  p->spill_off = true;
  lc_warn("%s; finished rows now wait in memory behind slower ones, and "
          "reading pauses when --max-rows-in-flight rows are held",
          why);
}

static bool spill_open(struct lc_pipeline *p)
{
  char err[512];

  if (p->spill != NULL)
    return true;
  if (lc_spill_open(spill_dir(p), &p->spill, err, sizeof(err)) == LC_OK)
    return true;
  spill_stop(p, err);
  return false;
}

/* Move the finished row ITEM to the spill file; its record starts at
 * *OFFSET. */
static bool spill_one(struct lc_pipeline *p, struct lc_item *item,
                      uint64_t *offset)
{
  enum lc_status status;

  if (item->skipped || !item->done)
    return false;
  status = lc_pipeline_spill_item(p, item, offset);
  if (status == LC_ERR_LIMIT)
    spill_stop(p, "the spill file reached --max-spill");
  else if (status != LC_OK)
    spill_stop(p, status == LC_ERR_IO ? lc_spill_error(p->spill)
                                      : "cannot spill rows: out of memory");
  if (status != LC_OK)
    return false;
  p->spilled++;
  p->stats->rows_spilled++;
  lc_pipeline_release_item(p, item);
  return true;
}

/* Append the run RUN to the compacted queue ending before index W. When
 * the entry before it is a run too, RUN is joined to it, linking its first
 * record after that run's last one unless it follows it in the file
 * already. Returns the new end index. */
static uint64_t spill_join(struct lc_pipeline *p, uint64_t w,
                           const struct lc_entry *run)
{
  struct lc_entry *prev =
      w > p->order_head ? lc_pipeline_entry(p, w - 1) : NULL;
  enum lc_status status = LC_OK;

  if (prev != NULL && prev->item == NULL) {
    if (prev->end != run->pos)
      status = lc_spill_link(p->spill, prev->last, run->pos);
    if (status == LC_OK) {
      prev->rows += run->rows;
      prev->last = run->last;
      prev->end = run->end;
      return w;
    }
    /* The two runs stay apart, which the queue has room for: the pass
     * turns every entry into at most one. */
    if (!p->spill_off)
      spill_stop(p, status == LC_ERR_IO ? lc_spill_error(p->spill)
                                        : "internal error: cannot join "
                                          "runs in the spill file");
  }
  *lc_pipeline_entry(p, w) = *run;
  return w + 1;
}

void lc_pipeline_spill(struct lc_pipeline *p)
{
  uint64_t w = p->order_head;
  uint64_t before = p->spilled;
  uint64_t offset;

  if (!spill_open(p))
    return;
  /* Compact the queue in place. The write index never passes the read
   * index, because every entry becomes at most one entry. Finished rows
   * become one-row runs, and runs next to each other are joined. */
  for (uint64_t r = p->order_head; r < p->order_tail; r++) {
    struct lc_entry e = *lc_pipeline_entry(p, r);

    if (e.item != NULL && !p->spill_off && spill_one(p, e.item, &offset))
      e = (struct lc_entry){NULL, 1, offset, offset, lc_spill_end(p->spill)};
    if (e.item == NULL)
      w = spill_join(p, w, &e);
    else
      *lc_pipeline_entry(p, w++) = e;
  }
  p->order_tail = w;
  /* Taken here, as rows are added only here, so that a run ending at
   * once after a second signal reports them too. */
  if (p->spilled > p->stats->spill_peak_rows)
    p->stats->spill_peak_rows = p->spilled;
  p->stats->spill_peak_bytes = lc_spill_peak_bytes(p->spill);
  lc_debug("spilled %llu finished rows behind row %llu; %llu rows in the "
           "spill file",
           (unsigned long long)(p->spilled - before),
           (unsigned long long)p->head + 1, (unsigned long long)p->spilled);
}
