/* Token bucket for rate limits (see engine/bucket.h).
 *
 * Tokens are refilled lazily from the time elapsed since the last call.
 * Comparisons allow a tiny slack, because after waiting the rounded-up
 * lc_bucket_wait_ms() the float sum may still fall a hair short of N, and
 * the caller would otherwise arm a needless 1 ms timer.
 */
#include "engine/bucket.h"

#include <math.h>

#define BUCKET_SLACK 1e-6

static void bucket_refill(struct lc_bucket *b, uint64_t now_ms)
{
  if (now_ms <= b->stamp_ms)
    return;
  b->tokens += (double)(now_ms - b->stamp_ms) * b->rate;
  if (b->tokens > b->burst)
    b->tokens = b->burst;
  b->stamp_ms = now_ms;
}

void lc_bucket_init(struct lc_bucket *b, double per_second, double burst,
                    uint64_t now_ms)
{
  b->rate = per_second / 1000.0;
  b->burst = burst < 1.0 ? 1.0 : burst;
  b->tokens = b->burst;
  b->stamp_ms = now_ms;
}

bool lc_bucket_take(struct lc_bucket *b, double n, uint64_t now_ms)
{
  bucket_refill(b, now_ms);
  if (b->tokens + BUCKET_SLACK < n)
    return false;
  b->tokens -= n;
  if (b->tokens < 0)
    b->tokens = 0;
  return true;
}

uint64_t lc_bucket_wait_ms(struct lc_bucket *b, double n, uint64_t now_ms)
{
  double missing;

  bucket_refill(b, now_ms);
  if (n > b->burst)
    n = b->burst;
  missing = n - b->tokens;
  if (missing <= BUCKET_SLACK)
    return 0;
  return (uint64_t)ceil(missing / b->rate);
}

unsigned lc_bucket_available(struct lc_bucket *b, uint64_t now_ms)
{
  bucket_refill(b, now_ms);
  return (unsigned)floor(b->tokens + BUCKET_SLACK);
}

uint64_t lc_bucket_full_ms(struct lc_bucket *b, uint64_t now_ms)
{
  return lc_bucket_wait_ms(b, b->burst, now_ms);
}
