#include "core/manifest.h"

#include <set>
#include <unordered_set>

#include "core/byte_names.h"
#include "core/link_resolution.h"
#include "core/sha256.h"

namespace claude {
namespace {

constexpr std::string_view kRestage = "re-run `claude-host stage` to write a fresh stage";


// Reads a required field of the given JSON type; the Error names file and field.
template <class T>
Result<T> field(const nlohmann::json& obj, const char* name, std::string_view file,
                std::string_view where) {
  auto missing = [&](std::string what) {
    return Error{"read stage manifest", std::string(file), 0,
                 std::string(where) + ": field \"" + name + "\" " + what, std::string(kRestage)};
  };
  auto it = obj.find(name);
  if (it == obj.end()) return missing("is missing");
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return missing("is not a string");
    return it->template get<std::string>();
  } else {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->template get<std::int64_t>() >= 0)) {
      return missing("is not a non-negative integer");
    }
    return static_cast<T>(it->template get<std::uint64_t>());
  }
}

Error bad(std::string_view file, std::string detail) {
  return Error{"read stage manifest", std::string(file), 0, std::move(detail),
               std::string(kRestage)};
}

// A name: `name`, or `name`_b64 when it is not UTF-8 (core/byte_names.h).
Result<std::string> name_field(const nlohmann::json& obj, const char* name, std::string_view file,
                               std::string_view where) {
  auto got = get_name(obj, name);
  if (!got) return bad(file, std::string(where) + ": " + got.error().detail);
  if (!*got) return bad(file, std::string(where) + ": field \"" + name + "\" is missing");
  return std::move(**got);
}

}  // namespace

bool reads_format(std::string_view format, std::string_view current) {
  std::size_t slash = current.rfind('/');
  if (slash == std::string_view::npos) return format == current;
  std::string_view family = current.substr(0, slash + 1);
  if (format.substr(0, family.size()) != family) return false;
  std::string_view version = format.substr(family.size());
  return version.substr(0, version.find('.')) == current.substr(slash + 1);
}

Status check_rel_name(std::string_view path, std::string_view what) {
  auto refuse = [&](std::string why) {
    return Error{std::string(what), std::string(path), 0,
                 "unsafe path: " + why + " (only plain relative paths inside the tree)", ""};
  };
  if (path.empty()) return refuse("it is empty");
  if (path[0] == '/') return refuse("it is absolute");
  if (path.find('\0') != std::string_view::npos) return refuse("it contains a NUL byte");
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view comp = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (comp.empty()) return refuse("it has an empty component");
    if (comp == ".") return refuse("it has a '.' component");
    if (comp == "..") return refuse("it has a '..' component");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Ok{};
}

Status check_rel_path(std::string_view path, std::string_view what) {
  if (Status s = check_rel_name(path, what); !s) return s;
  if (!is_valid_utf8(path)) {
    return Error{std::string(what), std::string(path), 0,
                 "unsafe path: it is not UTF-8 (only plain relative paths inside the tree)", ""};
  }
  return Ok{};
}

bool symlink_stays_inside(std::string_view link_path, std::string_view target) {
  if (target.empty() || target[0] == '/') return false;
  // Depth of the folder holding the link, then walk the target's components.
  std::int64_t depth = 0;
  for (char c : link_path) depth += c == '/';
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t slash = target.find('/', start);
    std::size_t end = slash == std::string_view::npos ? target.size() : slash;
    std::string_view comp = target.substr(start, end - start);
    if (comp == "..") {
      if (--depth < 0) return false;
    } else if (!comp.empty() && comp != ".") {
      ++depth;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

nlohmann::json Manifest::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["format"] = kStageFormat;
  j["run_id"] = run_id;
  j["trace_id"] = trace_id;
  j["created_at"] = created_at;
  j["mapping"] = mapping.to_json();
  j["files"] = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json e = nlohmann::json::object();
    put_name(e, "path", f.path);
    e["size"] = f.size;
    e["sha256"] = f.sha256;
    e["mode"] = f.mode;
    j["files"].push_back(std::move(e));
  }
  j["symlinks"] = nlohmann::json::array();
  for (const auto& s : symlinks) {
    nlohmann::json e = nlohmann::json::object();
    put_name(e, "path", s.path);
    put_name(e, "target", s.target);
    j["symlinks"].push_back(std::move(e));
  }
  return j;
}

Result<Manifest> Manifest::parse(std::string_view text, std::string_view file_name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return bad(file_name, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return bad(file_name, "not a JSON object");
  auto format = field<std::string>(j, "format", file_name, "manifest");
  if (!format) return format.error();
  if (!reads_format(*format, kStageFormat)) {
    return bad(file_name, "format \"" + *format + "\" is not one this version reads (" +
                              std::string(kStageFormat) + ")");
  }
  Manifest m;
  for (auto [name, dest] : {std::pair{"run_id", &m.run_id}, std::pair{"trace_id", &m.trace_id},
                            std::pair{"created_at", &m.created_at}}) {
    auto v = field<std::string>(j, name, file_name, "manifest");
    if (!v) return v.error();
    *dest = std::move(*v);
  }
  if (!j.contains("mapping")) return bad(file_name, "manifest: field \"mapping\" is missing");
  auto mapping = PathMap::from_json(j["mapping"]);
  if (!mapping) return bad(file_name, "mapping: " + mapping.error().detail);
  m.mapping = std::move(*mapping);

  std::set<std::string, std::less<>> seen;
  auto check_path = [&](const std::string& path, std::string_view where) -> Status {
    Status ok = check_rel_name(path, "read stage manifest");
    if (!ok) return bad(file_name, std::string(where) + " \"" + path + "\": " + ok.error().detail);
    if (!seen.insert(path).second) {
      return bad(file_name, std::string(where) + " \"" + path + "\" is listed twice");
    }
    return Ok{};
  };
  if (!j.contains("files") || !j["files"].is_array()) {
    return bad(file_name, "manifest: field \"files\" is missing or not an array");
  }
  for (const auto& item : j["files"]) {
    if (!item.is_object()) return bad(file_name, "files: an entry is not an object");
    ManifestFile f;
    auto path = name_field(item, "path", file_name, "files entry");
    if (!path) return path.error();
    f.path = std::move(*path);
    std::string where = "file \"" + f.path + "\"";
    auto size = field<std::uint64_t>(item, "size", file_name, where);
    if (!size) return size.error();
    auto sha = field<std::string>(item, "sha256", file_name, where);
    if (!sha) return sha.error();
    auto mode = field<std::uint64_t>(item, "mode", file_name, where);
    if (!mode) return mode.error();
    if (!is_sha256_hex(*sha)) return bad(file_name, where + ": sha256 is not 64 lowercase hex digits");
    if (*mode > 07777) return bad(file_name, where + ": mode is not a permission value");
    f.size = *size;
    f.sha256 = std::move(*sha);
    f.mode = static_cast<std::uint32_t>(*mode);
    if (Status s = check_path(f.path, "file"); !s) return s.error();
    m.files.push_back(std::move(f));
  }
  if (j.contains("symlinks")) {
    if (!j["symlinks"].is_array()) return bad(file_name, "manifest: \"symlinks\" is not an array");
    for (const auto& item : j["symlinks"]) {
      if (!item.is_object()) return bad(file_name, "symlinks: an entry is not an object");
      ManifestSymlink s;
      auto path = name_field(item, "path", file_name, "symlinks entry");
      if (!path) return path.error();
      s.path = std::move(*path);
      auto target = name_field(item, "target", file_name, "symlink \"" + s.path + "\"");
      if (!target) return target.error();
      s.target = std::move(*target);
      if (Status st = check_path(s.path, "symlink"); !st) return st.error();
      m.symlinks.push_back(std::move(s));
    }
  }
  // Each link judged where it resolves through the others (core/link_resolution.h).
  LinkTable links;
  for (const auto& s : m.symlinks) links.add(s.path, s.target);
  for (const auto& s : m.symlinks) {
    LinkResolution where = resolve_link(s.path, s.target, links);
    if (where.where != LinkWhere::kInside) {
      return bad(file_name, "symlink \"" + s.path + "\" points to \"" + s.target + "\", outside the tree (" +
                                where.reason + ")");
    }
  }
  // An entry cannot also be a parent folder of another entry.
  for (const auto& path : seen) {
    auto it = seen.lower_bound(path + "/");
    if (it != seen.end() && it->compare(0, path.size() + 1, path + "/") == 0) {
      return bad(file_name, "\"" + path + "\" is listed as a file and as the folder of \"" + *it +
                                "\"");
    }
  }
  return m;
}

Status verify_entry(const ManifestFile& entry, std::uint64_t observed_size,
                    std::string_view observed_sha256) {
  if (observed_size != entry.size) {
    return Error{"verify stage", entry.path, 0,
                 "size is " + std::to_string(observed_size) + " bytes, the manifest says " +
                     std::to_string(entry.size),
                 "the stage changed after it was written; " + std::string(kRestage)};
  }
  if (observed_sha256 != entry.sha256) {
    return Error{"verify stage", entry.path, 0,
                 "sha256 is " + std::string(observed_sha256) + ", the manifest says " +
                     entry.sha256,
                 "the stage changed after it was written; " + std::string(kRestage)};
  }
  return Ok{};
}

}  // namespace claude
