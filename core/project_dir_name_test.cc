#include "core/project_dir_name.h"

#include <cstdint>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "core/byte_names.h"

using claude::append_utf8;
using claude::java_string_hash;
using claude::project_dir_name;

namespace {

// A second, independent reference: decode to code points first, then to UTF-16, then
// hash with 64-bit arithmetic reduced at the end (the CLI does "(h << 5) - h + c | 0").
std::u16string to_utf16(const std::u32string& cps) {
  std::u16string out;
  for (char32_t cp : cps) {
    if (cp >= 0x10000) {
      out += static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10));
      out += static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

std::string to_utf8(const std::u32string& cps) {
  std::string out;
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

std::string reference_name(const std::u32string& cps) {
  std::u16string units = to_utf16(cps);
  std::string slug;
  std::int64_t h = 0;
  for (char16_t u : units) {
    bool alnum = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9');
    slug += alnum ? static_cast<char>(u) : '-';
    h = ((h << 5) - h + u) % 4294967296LL;  // keep it within 32 bits, then sign it below
  }
  if (slug.size() <= 200) return slug;
  std::int64_t signed32 = (h % 4294967296LL + 4294967296LL) % 4294967296LL;
  if (signed32 >= 2147483648LL) signed32 -= 4294967296LL;
  std::int64_t mag = signed32 < 0 ? -signed32 : signed32;
  std::string b36;
  do {
    b36 = "0123456789abcdefghijklmnopqrstuvwxyz"[mag % 36] + b36;
    mag /= 36;
  } while (mag > 0);
  return slug.substr(0, 200) + "-" + b36;
}

}  // namespace

TEST_CASE("project folder names turn every non-alphanumeric UTF-16 unit into '-'") {
  CHECK(project_dir_name("/home/al/proj") == "-home-al-proj");
  CHECK(project_dir_name("/Users/al/My Project") == "-Users-al-My-Project");
  CHECK(project_dir_name("/Users/me/.agents") == "-Users-me--agents");
  CHECK(project_dir_name("/a/b.c_d-e+f@g") == "-a-b-c-d-e-f-g");
  CHECK(project_dir_name("/w/caf\xc3\xa9") == "-w-caf-");                 // é: one unit
  CHECK(project_dir_name("/p/\xf0\x9f\x98\x80") == "-p---");              // 😀: two units
  CHECK(project_dir_name("/x/\xe6\x96\x87\xe6\xa1\xa3") == "-x---");      // 文档
  CHECK(project_dir_name("") == "");
}

TEST_CASE("the Java string hash matches values computed independently") {
  // Computed with a separate Python reference of the CLI's (h << 5) - h + c | 0.
  CHECK(java_string_hash("") == 0);
  CHECK(java_string_hash("a") == 97);
  CHECK(java_string_hash("abc") == 96354);
  CHECK(java_string_hash("/home/al") == 1400366156);
  CHECK(java_string_hash("/Users/al/My Project") == 151359635);
  CHECK(java_string_hash("/p/\xf0\x9f\x98\x80") == 48560145);
}

TEST_CASE("names longer than 200 are cut and get the base-36 hash of the path") {
  // Expected values from the separate Python reference.
  std::string a200 = "/" + std::string(199, 'a');
  CHECK(project_dir_name(a200) == "-" + std::string(199, 'a'));  // exactly 200: no hash
  std::string a201 = "/" + std::string(200, 'a');
  CHECK(project_dir_name(a201) == "-" + std::string(199, 'a') + "-b6ymvl");
  std::string x = "/home/al/" + std::string(250, 'x');
  CHECK(project_dir_name(x) == "-home-al-" + std::string(191, 'x') + "-vmf0bh");
  std::string e;
  for (int i = 0; i < 300; ++i) e += "\xc3\xa9";
  CHECK(project_dir_name("/home/al/" + e) == "-home-al-" + std::string(191, '-') + "-f61orn");
  std::string emoji;
  for (int i = 0; i < 120; ++i) emoji += "\xf0\x9f\x98\x80";
  CHECK(project_dir_name("/w/" + emoji) == "-w-" + std::string(197, '-') + "-vuzjip");
}

TEST_CASE("project folder names agree with an independent reference on random paths") {
  std::mt19937 rng(12345);
  const char32_t alphabet[] = {U'a', U'Z', U'5', U'/', U'.', U'_', U' ', U'-', U'\u00e9',
                               U'\u6587', U'\U0001F600', U'\u00ff', U'~'};
  for (int round = 0; round < 2000; ++round) {
    std::u32string cps = U"/";
    std::size_t len = std::uniform_int_distribution<std::size_t>(0, 320)(rng);
    for (std::size_t i = 0; i < len; ++i) {
      cps += alphabet[std::uniform_int_distribution<std::size_t>(0, std::size(alphabet) - 1)(rng)];
    }
    std::string utf8 = to_utf8(cps);
    INFO(utf8);
    REQUIRE(project_dir_name(utf8) == reference_name(cps));
  }
}
