// A 64-bit checksum of bytes, to tell whether a file or a text changed since it was recorded
// (sweep results keep one per point's inputs). Not cryptographic: it detects edits, not attacks.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace nnasim {

// FNV-1a over 8-byte words (little-endian), then the tail bytes, then the length, finished with
// SplitMix64's mixer: every input bit reaches every output bit. Stable across runs and builds.
uint64_t checksum64(std::string_view bytes);
// As 16 lowercase hex digits.
std::string checksum_hex(std::string_view bytes);

}  // namespace nnasim
