/* Counter-based random numbers: value i of stream (seed, stream) is a pure
 * function of (seed, stream, i), so results never depend on thread count,
 * process count or the order in which values are drawn. */
#ifndef SADDLE_RNG_H
#define SADDLE_RNG_H

#include <math.h>
#include <stdint.h>

/* Well-known stream identifiers, so two uses of one seed never collide. */
enum {
    RNG_INIT = 1,       /* parameter initialization (stream += layer index) */
    RNG_SHUFFLE = 100,  /* per-epoch shuffles (stream += epoch) */
    RNG_SUBSET = 200,   /* seeded subsets and validation splits */
    RNG_SYNTH = 300,    /* synthetic data sets */
    RNG_DIRECTION = 1000 /* probe directions (stream += direction index) */
};

static inline uint64_t rng_mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 64 random bits: value i of stream (seed, stream). */
static inline uint64_t rng_u64(uint64_t seed, uint64_t stream, uint64_t i)
{
    uint64_t k = rng_mix(seed ^ rng_mix(stream + 0x632be59bd9b4e019ULL));
    return rng_mix(k ^ rng_mix(i));
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_uniform(uint64_t seed, uint64_t stream, uint64_t i)
{
    return (double)(rng_u64(seed, stream, i) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, m), m > 0 (Lemire's multiply, bias < 2^-32 for m < 2^32). */
static inline uint64_t rng_below(uint64_t seed, uint64_t stream, uint64_t i, uint64_t m)
{
    return (uint64_t)(((unsigned __int128)rng_u64(seed, stream, i) * m) >> 64);
}

/* Standard normal, value i of the stream (Box-Muller on counters 2i, 2i+1). */
static inline double rng_normal(uint64_t seed, uint64_t stream, uint64_t i)
{
    double u1 = ((double)(rng_u64(seed, stream, 2 * i) >> 11) + 0.5) * 0x1.0p-53;
    double u2 = (double)(rng_u64(seed, stream, 2 * i + 1) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
