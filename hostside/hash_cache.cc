#include "hostside/hash_cache.h"

#include <nlohmann/json.hpp>

#include "core/formats.h"
#include "platform/atomic_file.h"

namespace claude::host {

HashCache HashCache::load(const std::string& path) {
  HashCache c;
  c.path_ = path;
  auto text = read_file(path);
  if (!text.ok()) return c;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kHashCacheFormat) return c;
  auto files = j.find("files");
  if (files == j.end() || !files->is_object()) return c;
  for (const auto& item : files->items()) {
    const auto& v = item.value();
    if (!v.is_array() || v.size() != 4 || !v[3].is_string()) continue;
    c.old_[item.key()] = Key{v[0].get<std::uint64_t>(), v[1].get<std::int64_t>(), v[2].get<std::uint64_t>(),
                             v[3].get<std::string>()};
  }
  return c;
}

std::optional<std::string> HashCache::lookup(const std::string& abs_path, const TreeEntry& e) {
  auto it = old_.find(abs_path);
  if (it == old_.end()) return std::nullopt;
  const Key& k = it->second;
  if (k.size != e.size || k.mtime_ns != e.mtime_ns || k.inode != e.inode) return std::nullopt;
  ++hits_;
  used_[abs_path] = k;
  return k.sha256;
}

void HashCache::remember(const std::string& abs_path, const TreeEntry& e, const std::string& sha256) {
  used_[abs_path] = Key{e.size, e.mtime_ns, e.inode, sha256};
}

Status HashCache::save() const {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [path, k] : used_) files[path] = {k.size, k.mtime_ns, k.inode, k.sha256};
  nlohmann::json j = {{"format", kHashCacheFormat}, {"files", files}};
  return write_file_atomically(path_, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 0600);
}

}  // namespace claude::host
