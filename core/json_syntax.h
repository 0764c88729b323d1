// JSON as the CLI reads it back. Claude Code is a JavaScript program: JSON.stringify writes
// an unpaired UTF-16 surrogate as a "\udXXX" escape and JSON.parse reads it back, so a
// file it wrote holding one is good JSON to it — and must be to us, who only carry its
// bytes. nlohmann/json refuses such escapes (it decodes every string to UTF-8), so the
// "does it parse" checks of the sync engine and the rewriter use this validator instead:
// the RFC 8259 grammar, with any \uXXXX escape accepted and the bytes of a string taken as
// they are (Node reads a file as UTF-8 with a replacement character for a bad byte, so
// such a file parses too). Iterative: no nesting depth can overflow the stack.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace claude {

// Where and why a document stops being JSON.
struct JsonSyntaxError {
  std::size_t byte = 0;    // offset of the first byte that does not fit
  std::size_t line = 1;    // 1-based
  std::size_t column = 1;  // 1-based, in bytes
  std::string what;        // e.g. "unterminated string"
  // "line L column C (byte B): what"
  std::string message() const;
};

// nullopt when `text` is exactly one JSON value, with only whitespace (space, tab, CR,
// LF) around it, as JavaScript's JSON.parse accepts it (and after a UTF-8 byte order
// mark, which nlohmann skips too); else the first error.
std::optional<JsonSyntaxError> json_syntax_error(std::string_view text);

// json_syntax_error(text) == nullopt.
bool is_json_document(std::string_view text);

}  // namespace claude
