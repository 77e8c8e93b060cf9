// Deterministic random numbers for seeded weights and inputs: std::mt19937_64 + Box-Muller, no
// std distributions (whose output is implementation-defined).
#pragma once
#include <cstdint>
#include <vector>

namespace nnasim::numeric {

// A 64-bit seed for stream `stream` of `seed` (splitmix64 mixing).
uint64_t derive_seed(uint64_t seed, uint64_t stream);
// n samples of N(0, stddev^2) from a std::mt19937_64 seeded with `seed`.
std::vector<float> normal_samples(int64_t n, float stddev, uint64_t seed);

}  // namespace nnasim::numeric
