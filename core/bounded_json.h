// Parsing JSON that may be hostile (anything a container wrote): bounded in size and in
// nesting depth, so that a document nested 100 000 deep is refused with a message instead
// of overflowing the stack of every recursive walk that follows it (comparison, the
// three-way merge, dump).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace claude {

// Deeper than any file Claude Code writes (its deepest, .claude.json, nests about 8).
inline constexpr std::size_t kMaxJsonDepth = 512;

// The parsed document, or an Error naming `file` when the text is larger than max_bytes,
// nests deeper than max_depth (arrays and objects), or is not valid JSON.
Result<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view file,
                                          std::size_t max_bytes,
                                          std::size_t max_depth = kMaxJsonDepth);

}  // namespace claude
