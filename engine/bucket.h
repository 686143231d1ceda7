/* Token bucket for rate limits.
 *
 * A bucket holds up to `burst` tokens and gains `rate` tokens per
 * millisecond. Taking N tokens succeeds only when N are there, and
 * lc_bucket_wait_ms() returns the time until they will be, so a caller can
 * arm one timer instead of polling. Time is passed in by the caller
 * (milliseconds of uv_now()), which keeps the bucket a pure value that
 * tests drive without a clock.
 */
#ifndef LC_BUCKET_H
#define LC_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct lc_bucket {
  double rate;   /* tokens per millisecond, > 0 */
  double burst;  /* capacity in tokens, >= 1 */
  double tokens; /* tokens at stamp_ms */
  uint64_t stamp_ms;
};

/* Set up B full, gaining PER_SECOND tokens per second (> 0) up to BURST
 * (raised to 1 when smaller), as of NOW_MS. */
void lc_bucket_init(struct lc_bucket *b, double per_second, double burst,
                    uint64_t now_ms);

/* Take N tokens at NOW_MS when that many are there. Returns false and
 * takes nothing otherwise. N above the burst never succeeds. */
bool lc_bucket_take(struct lc_bucket *b, double n, uint64_t now_ms);

/* Return the milliseconds from NOW_MS until N tokens are there (0 when
 * they are now), rounded up. N is clamped to the burst. */
uint64_t lc_bucket_wait_ms(struct lc_bucket *b, double n, uint64_t now_ms);

/* Return the whole tokens available at NOW_MS. */
unsigned lc_bucket_available(struct lc_bucket *b, uint64_t now_ms);

/* Return the milliseconds from NOW_MS until B is full again, which is when
 * it is indistinguishable from a new bucket. */
uint64_t lc_bucket_full_ms(struct lc_bucket *b, uint64_t now_ms);

#endif
