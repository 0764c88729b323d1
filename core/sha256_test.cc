#include "core/sha256.h"

#include <string>

#include <catch2/catch.hpp>

using claude::Sha256;
using claude::sha256_hex;

TEST_CASE("sha256 matches the FIPS 180-4 / NIST example vectors") {
  struct Case {
    std::string input;
    const char* hex;
  };
  const Case cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {"The quick brown fox jumps over the lazy dog",
       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    CHECK(sha256_hex(c.input) == c.hex);
  }
}

TEST_CASE("sha256 of a million 'a' fed in uneven pieces matches the NIST vector") {
  Sha256 s;
  std::string chunk(997, 'a');  // a prime, so pieces straddle block boundaries
  std::size_t left = 1000000;
  while (left > 0) {
    std::size_t n = std::min(left, chunk.size());
    s.update(std::string_view(chunk).substr(0, n));
    left -= n;
  }
  CHECK(s.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(s.size() == 1000000);
}

TEST_CASE("sha256 gives the same digest whatever the split, at every padding length") {
  std::string data;
  for (int i = 0; i < 200; ++i) data += static_cast<char>(i * 7 + 3);
  for (std::size_t len = 0; len <= data.size(); ++len) {
    std::string_view part(data.data(), len);
    std::string whole = sha256_hex(part);
    for (std::size_t split : {std::size_t{0}, len / 3, len / 2, len}) {
      Sha256 s;
      s.update(part.substr(0, split));
      s.update(part.substr(split));
      INFO("len " << len << " split " << split);
      REQUIRE(s.hex_digest() == whole);
    }
  }
}

TEST_CASE("a sha256 digest does not reset the running hash, and a copy snapshots it") {
  Sha256 s;
  s.update("ab");
  Sha256 snapshot = s;
  CHECK(s.hex_digest() == sha256_hex("ab"));
  s.update("c");
  CHECK(s.hex_digest() == sha256_hex("abc"));
  CHECK(snapshot.hex_digest() == sha256_hex("ab"));
}

TEST_CASE("is_sha256_hex accepts 64 lowercase hex digits only") {
  CHECK(claude::is_sha256_hex(sha256_hex("x")));
  CHECK_FALSE(claude::is_sha256_hex(""));
  CHECK_FALSE(claude::is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(claude::is_sha256_hex(std::string(64, 'A')));
  CHECK_FALSE(claude::is_sha256_hex(std::string(64, 'g')));
}
