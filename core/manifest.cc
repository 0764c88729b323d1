#include "core/manifest.h"

namespace claude {

nlohmann::json Manifest::to_json() const { return nlohmann::json::object(); }

Result<Manifest> Manifest::parse(std::string_view, std::string_view file_name) {
  return Error{"read stage manifest", std::string(file_name), 0, "not implemented yet", ""};
}

Status verify_entry(const ManifestFile&, std::uint64_t, std::string_view) { return Ok{}; }

Status check_rel_path(std::string_view, std::string_view) { return Ok{}; }

bool symlink_stays_inside(std::string_view, std::string_view) { return false; }

}  // namespace claude
