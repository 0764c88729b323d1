// Names are bytes. Linux allows any byte but '/' and NUL in a file name, and a JSON string
// holds only Unicode text: a name that is not valid UTF-8 written as one would have its
// bad bytes replaced (U+FFFD) and name a different file. So every format that carries
// names (the outbox journal, the stage manifest) writes a name that is not UTF-8 under the
// same key with "_b64" appended, as the base64 of its exact bytes, and never under the
// plain key; readers give back the exact bytes. UTF-8 names are written as before, so
// files written before this read the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace claude {

// True when s is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Appends the UTF-8 encoding of code point cp (at most U+10FFFF; a surrogate is encoded as
// its three bytes, as JSON's "\udXXX" escapes of lone surrogates need).
void append_utf8(std::string& out, std::uint32_t cp);

// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::string_view bytes);
// nullopt when text is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

// Sets j[key] = value when value is UTF-8, else j[key + "_b64"] = base64(value).
template <class Json>
void put_name(Json& j, const std::string& key, std::string_view value) {
  if (is_valid_utf8(value)) {
    j[key] = std::string(value);
  } else {
    j[key + "_b64"] = base64_encode(value);
  }
}

// The name under key (or key + "_b64"): the exact bytes; nullopt when neither is there.
// An Error (its detail says what) when a field is not a string, both are there, or the
// base64 does not decode.
template <class Json>
Result<std::optional<std::string>> get_name(const Json& j, const std::string& key) {
  auto plain = j.find(key);
  auto b64 = j.find(key + "_b64");
  auto bad = [](std::string what) { return Error{"", "", 0, std::move(what), ""}; };
  if (plain != j.end() && b64 != j.end()) {
    return bad("both \"" + key + "\" and \"" + key + "_b64\" are set");
  }
  if (plain != j.end()) {
    if (!plain->is_string()) return bad("field \"" + key + "\" is not a string");
    return std::optional<std::string>(plain->template get<std::string>());
  }
  if (b64 != j.end()) {
    if (!b64->is_string()) return bad("field \"" + key + "_b64\" is not a string");
    auto bytes = base64_decode(b64->template get_ref<const std::string&>());
    if (!bytes) return bad("field \"" + key + "_b64\" is not base64");
    return std::optional<std::string>(std::move(*bytes));
  }
  return std::optional<std::string>();
}

}  // namespace claude
