#include "core/project_dir_name.h"

#include <cstdlib>

namespace claude {
namespace {

// Calls unit(u) for every UTF-16 code unit of the UTF-8 text, as JavaScript would see the
// string. Bytes that do not form valid UTF-8 count as one unit each (U+FFFD in practice,
// which is not alphanumeric either).
template <class F>
void for_each_utf16_unit(std::string_view s, F&& unit) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      len = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      len = 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      len = 4;
    }
    bool valid = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (b & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
    if (valid && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                  (cp >= 0xd800 && cp <= 0xdfff))) {
      valid = false;
    }
    if (!valid) {
      unit(std::uint16_t{0xfffd});
      i += 1;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(static_cast<std::uint16_t>(0xd800 + (cp >> 10)));
      unit(static_cast<std::uint16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      unit(static_cast<std::uint16_t>(cp));
    }
    i += len;
  }
}

bool is_ascii_alnum(std::uint16_t u) {
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
}

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) {
  std::uint32_t h = 0;  // unsigned: wrap-around is defined, as in Java's int arithmetic
  for_each_utf16_unit(utf8, [&](std::uint16_t u) { h = 31 * h + u; });
  return static_cast<std::int32_t>(h);
}

std::string project_dir_name(std::string_view abs_path) {
  std::string out;
  out.reserve(abs_path.size());
  for_each_utf16_unit(abs_path, [&](std::uint16_t u) {
    out.push_back(is_ascii_alnum(u) ? static_cast<char>(u) : '-');
  });
  if (out.size() <= kMaxProjectDirNameLength) return out;
  out.resize(kMaxProjectDirNameLength);
  // Math.abs in JavaScript of a 32-bit int: the magnitude, without Java's INT_MIN overflow.
  std::int64_t h = java_string_hash(abs_path);
  std::uint64_t v = static_cast<std::uint64_t>(h < 0 ? -h : h);
  std::string digits;
  do {
    digits.insert(digits.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]);
    v /= 36;
  } while (v > 0);
  out += '-';
  out += digits;
  return out;
}

}  // namespace claude
