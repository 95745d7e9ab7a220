/* The arithmetic every compute-bound workload of the suite spends its time in. */
#ifndef AMZ_WORKLOAD_MIX_H
#define AMZ_WORKLOAD_MIX_H

#include <stdint.h>

/* Iterations of xorshift64: about 1.7 ns each on a 3 GHz core, deterministic, and impossible
 * for the compiler to fold away. */
static inline uint64_t workload_mix(uint64_t x, uint64_t iterations)
{
	uint64_t i;

	x |= 1;
	for (i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

#endif
