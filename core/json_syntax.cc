#include "core/json_syntax.h"

#include <cstring>
#include <vector>

namespace claude {

std::string JsonSyntaxError::message() const {
  return "line " + std::to_string(line) + " column " + std::to_string(column) + " (byte " +
         std::to_string(byte) + "): " + what;
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Checker {
 public:
  explicit Checker(std::string_view t) : t_(t) {}

  std::optional<JsonSyntaxError> run() {
    // What may come next: a value, or (inside a container) what follows one.
    enum class Want { kValue, kAfterValue, kKeyOrEnd, kKey, kValueOrEnd };
    std::vector<char> open;  // '{' or '['
    Want want = Want::kValue;
    // A UTF-8 byte order mark is skipped, as nlohmann does (editors on some systems add
    // one): refusing such a file would hold back a file every other tool reads.
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;
    for (;;) {
      skip_space();
      if (i_ == t_.size()) {
        if (open.empty() && want == Want::kAfterValue) return std::nullopt;
        return fail(open.empty() && want == Want::kValue
                        ? "no JSON value (the file is empty)"
                        : "unexpected end (the document is cut short)");
      }
      const char c = t_[i_];
      switch (want) {
        case Want::kKeyOrEnd:
          if (c == '}') {
            ++i_;
            open.pop_back();
            want = Want::kAfterValue;
            continue;
          }
          [[fallthrough]];
        case Want::kKey:
          if (c != '"') return fail("expected a string key");
          if (!string()) return err_;
          skip_space();
          if (i_ == t_.size() || t_[i_] != ':')
            return fail(i_ == t_.size() ? "unexpected end (the document is cut short)"
                                        : "expected ':' after a key");
          ++i_;
          want = Want::kValue;
          continue;
        case Want::kValueOrEnd:
          if (c == ']') {
            ++i_;
            open.pop_back();
            want = Want::kAfterValue;
            continue;
          }
          [[fallthrough]];
        case Want::kValue:
          if (c == '{') {
            ++i_;
            open.push_back('{');
            want = Want::kKeyOrEnd;
            continue;
          }
          if (c == '[') {
            ++i_;
            open.push_back('[');
            want = Want::kValueOrEnd;
            continue;
          }
          if (!scalar()) return err_;
          want = Want::kAfterValue;
          continue;
        case Want::kAfterValue:
          if (open.empty()) return fail("unexpected text after the JSON value");
          if (c == ',') {
            ++i_;
            want = open.back() == '{' ? Want::kKey : Want::kValue;
            continue;
          }
          if ((c == '}' && open.back() == '{') || (c == ']' && open.back() == '[')) {
            ++i_;
            open.pop_back();
            continue;
          }
          return fail(open.back() == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

 private:
  void skip_space() {
    while (i_ < t_.size() && is_space(t_[i_])) ++i_;
  }

  std::optional<JsonSyntaxError> fail(std::string what) {
    JsonSyntaxError e;
    e.byte = i_;
    for (std::size_t k = 0; k < i_ && k < t_.size(); ++k) {
      if (t_[k] == '\n') {
        ++e.line;
        e.column = 1;
      } else {
        ++e.column;
      }
    }
    e.what = std::move(what);
    err_ = e;
    return err_;
  }

  // Records the error at i_; false, for the checks below.
  bool bad(std::string what) {
    fail(std::move(what));
    return false;
  }

  // A string starting at the quote at i_; false (err_ set) when it is not one.
  bool string() {
    ++i_;
    for (;;) {
      // The bytes between escapes are taken as they are, control characters excepted.
      while (i_ < t_.size()) {
        const auto u = static_cast<unsigned char>(t_[i_]);
        if (u == '"' || u == '\\' || u < 0x20) break;
        ++i_;
      }
      if (i_ == t_.size()) return bad("unterminated string");
      const char c = t_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c != '\\') return bad("a control character inside a string (it must be escaped)");
      if (i_ + 1 >= t_.size()) {
        ++i_;
        return bad("unterminated string");
      }
      const char e = t_[i_ + 1];
      if (std::strchr("\"\\/bfnrt", e) != nullptr && e != '\0') {
        i_ += 2;
        continue;
      }
      if (e != 'u') {
        ++i_;
        return bad("an unknown escape in a string");
      }
      // Any four hex digits: an unpaired surrogate is what JSON.stringify writes for one.
      for (std::size_t k = 2; k < 6; ++k) {
        if (i_ + k >= t_.size() || !is_hex(t_[i_ + k])) {
          i_ += k;
          return bad("\\u not followed by four hex digits");
        }
      }
      i_ += 6;
    }
  }

  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return bad("not a JSON value");
    i_ += word.size();
    return true;
  }

  bool number() {
    if (t_[i_] == '-') ++i_;
    if (i_ == t_.size() || !is_digit(t_[i_])) return bad("a number without digits");
    if (t_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < t_.size() && is_digit(t_[i_])) ++i_;
    }
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (i_ == t_.size() || !is_digit(t_[i_])) return bad("a number without digits after '.'");
      while (i_ < t_.size() && is_digit(t_[i_])) ++i_;
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (i_ == t_.size() || !is_digit(t_[i_]))
        return bad("a number without digits in its exponent");
      while (i_ < t_.size() && is_digit(t_[i_])) ++i_;
    }
    return true;
  }

  bool scalar() {
    switch (t_[i_]) {
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        if (t_[i_] == '-' || is_digit(t_[i_])) return number();
        return bad("not a JSON value");
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
  std::optional<JsonSyntaxError> err_;
};

}  // namespace

std::optional<JsonSyntaxError> json_syntax_error(std::string_view text) {
  return Checker(text).run();
}

bool is_json_document(std::string_view text) {
  return !json_syntax_error(text);
}

}  // namespace claude
