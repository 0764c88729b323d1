#include "core/bounded_json.h"

#include <string>

namespace claude {

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
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), cb, false);
  if (too_deep) return refuse("nested deeper than " + std::to_string(max_depth) + " levels");
  if (j.is_discarded()) return refuse("not valid JSON");
  return j;
}

}  // namespace claude
