// Small questions about '/'-separated paths, asked the same way by both binaries: the last
// component, the folder part, whether one path lies under another, and whether one has a
// ".." component. Pure string work: nothing here looks at the disk, resolves "." or "..",
// or follows links.
#pragma once

#include <string_view>

namespace claude {

// The last component: "a/b/c" -> "c"; "c" -> "c"; "a/" -> "".
std::string_view base_name(std::string_view path);

// Everything before the last '/': "a/b/c" -> "a/b"; "/c" -> ""; "c" -> "" (no folder part).
std::string_view parent_path(std::string_view path);

// True when path lies strictly beneath dir at a component boundary: ("a/b", "a") yes,
// ("a", "a") and ("ab", "a") no.
bool is_under(std::string_view path, std::string_view dir);

// True when path is dir or lies beneath it at a component boundary; "/" has every absolute
// path under it.
bool is_same_or_under(std::string_view path, std::string_view dir);

// True when a component is exactly "..": such a relative path could lead above the folder
// it is taken from ("a/../b", ".." yes; "a/..b", "...", "" no).
bool has_dotdot(std::string_view path);

}  // namespace claude
