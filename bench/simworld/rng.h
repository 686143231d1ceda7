/* Deterministic pseudo-random numbers for the generator.
 *
 * xoshiro256** seeded through splitmix64, so one 64-bit seed gives the same
 * stream on every platform. Not for anything secret.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

struct sim_rng {
  uint64_t s[4];
};

/* Seed RNG from SEED. */
void sim_rng_seed(struct sim_rng *rng, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform integer in [0, bound); 0 when BOUND is 0. */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t bound);
/* True with probability PER_MILLE / 1000. */
int sim_rng_chance(struct sim_rng *rng, unsigned per_mille);
/* Index in [0, COUNT) drawn with probability proportional to WEIGHTS;
 * COUNT when every weight is 0. */
size_t sim_rng_weighted(struct sim_rng *rng, const uint32_t *weights,
                        size_t count);

#endif
