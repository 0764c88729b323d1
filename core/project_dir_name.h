// The name Claude Code gives the session folder of a working directory under projects/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claude {

// Claude Code's exact encoding of abs_path (UTF-8, decoded to UTF-16 code units): every
// unit outside [A-Za-z0-9] becomes '-' (a character outside the BMP gives two); a result
// longer than 200 units is cut to 200 and gets '-' plus the base-36 absolute value of the
// Java String.hashCode of the path. Invalid UTF-8 bytes count as one unit each.
std::string project_dir_name(std::string_view abs_path);

// Java's String.hashCode over the UTF-16 code units of a UTF-8 string (h = 31*h + unit,
// wrapping at 32 bits); exposed for tests.
std::int32_t java_string_hash(std::string_view utf8);

// The longest a name gets before the hash suffix is added.
inline constexpr std::size_t kMaxProjectDirNameLength = 200;

}  // namespace claude
