/* xoshiro256** and splitmix64, from the public descriptions of Blackman and
 * Vigna (https://prng.di.unimi.it/). */
#include "bench/simworld/rng.h"

static uint64_t splitmix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64(&seed);
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t sim_rng_below(struct sim_rng *rng, uint64_t bound)
{
  if (bound == 0)
    return 0;
  /* Rejection keeps the result unbiased for bounds that do not divide
   * 2^64. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do {
    x = sim_rng_next(rng);
  } while (x >= limit);
  return x % bound;
}

int sim_rng_chance(struct sim_rng *rng, unsigned per_mille)
{
  return sim_rng_below(rng, 1000) < per_mille;
}

size_t sim_rng_weighted(struct sim_rng *rng, const uint32_t *weights,
                        size_t count)
{
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++)
    total += weights[i];
  if (total == 0)
    return count;
  uint64_t x = sim_rng_below(rng, total);
  for (size_t i = 0; i < count; i++) {
    if (x < weights[i])
      return i;
    x -= weights[i];
  }
  return count - 1;
}
