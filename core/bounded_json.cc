#include "core/bounded_json.h"

#include <string>

namespace claude {

namespace {

constexpr std::string_view kHeld = "\xEF\xB7\x90";  // U+FDD0 in UTF-8

int hex4(std::string_view t, std::size_t at) {
  if (at + 4 > t.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    char c = t[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// The text with each unpaired surrogate escape inside a string replaced by U+FDD0 and its
// hex digits; the text as it is when it has none, or already holds U+FDD0 (then the
// marker would be ambiguous, and nlohmann refuses the escape as before).
std::string hold_lone_surrogates(std::string_view t) {
  if (t.find(kHeld) != std::string_view::npos || t.find("\\ufdd0") != std::string_view::npos ||
      t.find("\\uFDD0") != std::string_view::npos)
    return std::string(t);
  std::string out;
  bool changed = false, in_string = false;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out += c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out += c;
      continue;
    }
    if (c != '\\' || i + 1 >= t.size()) {
      out += c;
      continue;
    }
    if (t[i + 1] != 'u') {
      out.append(t.substr(i, 2));
      ++i;
      continue;
    }
    int v = hex4(t, i + 2);
    bool lone = false;
    if (v >= 0xD800 && v <= 0xDBFF) {
      int low = i + 7 < t.size() && t[i + 6] == '\\' && t[i + 7] == 'u' ? hex4(t, i + 8) : -1;
      if (low >= 0xDC00 && low <= 0xDFFF) {
        out.append(t.substr(i, 12));  // a pair: nlohmann reads it
        i += 11;
        continue;
      }
      lone = true;
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      lone = true;
    }
    if (lone) {
      out.append(kHeld);
      out.append(t.substr(i + 2, 4));
      changed = true;
    } else {
      out.append(t.substr(i, std::min<std::size_t>(6, t.size() - i)));
    }
    i += 5;
  }
  return changed ? out : std::string(t);
}

}  // namespace

std::string dump_json_text(const nlohmann::json& j, int indent) {
  std::string text = j.dump(indent);
  if (text.find(kHeld) == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, kHeld.size(), kHeld) == 0 && hex4(text, i + kHeld.size()) >= 0) {
      out += "\\u";
      out.append(text, i + kHeld.size(), 4);
      i += kHeld.size() + 4;
    } else {
      out += text[i++];
    }
  }
  return out;
}

Result<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view file,
                                          std::size_t max_bytes, std::size_t max_depth) {
  auto refuse = [&](std::string detail) {
    return Error{"read JSON", std::string(file), 0, std::move(detail),
                 "the file is not merged; it stays where it is for inspection"};
  };
  if (text.size() > max_bytes) {
    return refuse("larger than " + std::to_string(max_bytes) + " bytes (" +
                  std::to_string(text.size()) + ")");
  }
  // nlohmann's parser keeps its own stack on the heap, so it walks any depth; the callback
  // sees each value's depth and discards what lies too deep, so the document built stays
  // shallow and the flag says it was cut.
  bool too_deep = false;
  nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t event,
                                             nlohmann::json&) {
    if (static_cast<std::size_t>(depth) < max_depth) return true;
    if (event == nlohmann::json::parse_event_t::object_start ||
        event == nlohmann::json::parse_event_t::array_start)
      too_deep = true;
    return !too_deep;
  };
  const std::string held = hold_lone_surrogates(text);
  nlohmann::json j = nlohmann::json::parse(held.begin(), held.end(), cb, false);
  if (too_deep) return refuse("nested deeper than " + std::to_string(max_depth) + " levels");
  if (j.is_discarded()) return refuse("not valid JSON");
  return j;
}

}  // namespace claude
