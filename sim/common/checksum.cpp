#include "sim/common/checksum.h"

#include <fmt/format.h>

namespace nnasim {

namespace {
constexpr uint64_t kOffset = 0xcbf29ce484222325ull;  // FNV-1a 64-bit offset basis
constexpr uint64_t kPrime = 0x100000001b3ull;        // FNV-1a 64-bit prime

uint64_t mix(uint64_t z) {  // SplitMix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t checksum64(std::string_view bytes) {
  uint64_t h = kOffset;
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = (w << 8) | p[i + size_t(b)];  // little-endian, whatever the host
    h = (h ^ w) * kPrime;
    h ^= h >> 29;
  }
  for (; i < bytes.size(); ++i) h = (h ^ p[i]) * kPrime;
  h = (h ^ uint64_t(bytes.size())) * kPrime;
  return mix(h);
}

std::string checksum_hex(std::string_view bytes) { return fmt::format("{:016x}", checksum64(bytes)); }

}  // namespace nnasim
