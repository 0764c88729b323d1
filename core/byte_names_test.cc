#include "core/byte_names.h"

#include <catch2/catch.hpp>

using claude::base64_decode;
using claude::base64_encode;

TEST_CASE("base64 round-trips every byte and refuses what is not canonical") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode(std::string_view("\xff\xfe\x00", 3)) == "//4A");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    auto back = base64_decode(base64_encode(all.substr(0, n)));
    REQUIRE(back);
    CHECK(*back == all.substr(0, n));
  }
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm9v!AAA", "=Zm9", "Zg==Zg=="}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
}

TEST_CASE("a name is written plainly when UTF-8, as _b64 otherwise, and read back exactly") {
  for (std::string name :
       {"plain.json", "caf\xc3\xa9", "caf\xe9", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf"}) {
    INFO(name);
    nlohmann::json j = nlohmann::json::object();
    claude::put_name(j, "path", name);
    CHECK(j.contains("path") == claude::is_valid_utf8(name));
    CHECK(j.contains("path_b64") != claude::is_valid_utf8(name));
    auto back = claude::get_name(nlohmann::json::parse(j.dump()), "path");
    REQUIRE(back.ok());
    REQUIRE(back->has_value());
    CHECK(**back == name);
  }
  CHECK_FALSE(claude::is_valid_utf8("\xed\xa0\x80"));  // an encoded surrogate
  CHECK_FALSE(claude::is_valid_utf8("\xc0\xaf"));      // overlong '/'
  CHECK(claude::is_valid_utf8("\xf0\x9f\x98\x80"));
  auto none = claude::get_name(nlohmann::json::object(), "path");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("append_utf8 encodes every code point in its shortest form", "[byte_names]") {
  std::string s;
  claude::append_utf8(s, 0x41);
  claude::append_utf8(s, 0xe9);
  claude::append_utf8(s, 0x20ac);
  claude::append_utf8(s, 0x1f600);
  CHECK(s == "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  std::string edges;
  for (std::uint32_t cp : {0x7fu, 0x80u, 0x7ffu, 0x800u, 0xffffu, 0x10000u, 0x10ffffu})
    claude::append_utf8(edges, cp);
  CHECK(edges == "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  // Every scalar value comes out as well-formed UTF-8.
  for (std::uint32_t cp = 0; cp <= 0x10ffff; cp += (cp < 0x20000 ? 1 : 97)) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    std::string one;
    claude::append_utf8(one, cp);
    INFO(cp);
    REQUIRE(claude::is_valid_utf8(one));
  }
}
