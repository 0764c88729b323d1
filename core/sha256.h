// SHA-256 (FIPS 180-4), written out so that the pure core needs no crypto library.
// Used for manifests, the outbox journal and the recovery planner.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace claude {

// A running SHA-256. Copyable: a copy snapshots the running state, so a caller can
// take the digest of a prefix and keep hashing.
class Sha256 {
 public:
  Sha256();
  // Feeds more bytes.
  void update(std::string_view bytes);
  // The digest of everything fed so far as 64 lowercase hex digits; does not reset.
  std::string hex_digest() const;
  // The same digest as 32 raw bytes.
  std::array<std::uint8_t, 32> digest() const;
  // How many bytes were fed so far.
  std::uint64_t size() const { return total_; }

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

// The SHA-256 of bytes as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// True when s is 64 lowercase hex digits (the form every format here uses).
bool is_sha256_hex(std::string_view s);

}  // namespace claude
