// libFuzzer target for the JSON validator: never crashes, whatever the input; accepts
// everything nlohmann accepts but for a NUL byte (nlohmann takes one as the end of the
// input, JSON.parse does not: "1\0x" is refused); an error points inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_syntax.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto error = claude::json_syntax_error(input);
  if (error && error->byte > input.size()) std::abort();
  if (error && input.find('\0') == std::string_view::npos &&
      nlohmann::json::accept(input.begin(), input.end())) {
    std::abort();
  }
  return 0;
}
