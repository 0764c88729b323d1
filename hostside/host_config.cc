#include "hostside/host_config.h"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "platform/atomic_file.h"

namespace claude::host {

Result<HostConfig> load_host_config(const std::string& path) {
  HostConfig c;
  auto text = read_file(path);
  if (!text.ok()) {
    if (text.error().sys_errno == ENOENT) return c;
    return text.error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error{"read the settings", path, 0, "not a JSON object", "fix the JSON or delete the file to use the defaults"};
  auto wrong = [&](const char* field, const char* type) {
    return Error{"read the settings", path, 0, std::string("\"") + field + "\" must be " + type,
                 "correct that field or remove it to use the default"};
  };
  try {
    if (j.contains("exclude")) {
      if (!j["exclude"].is_array()) return wrong("exclude", "an array of glob strings");
      for (const auto& g : j["exclude"]) {
        if (!g.is_string()) return wrong("exclude", "an array of glob strings");
        c.exclude.push_back(g.get<std::string>());
      }
    }
    auto get_int = [&](const char* field, int& out, int min) -> bool {
      if (!j.contains(field)) return true;
      if (!j[field].is_number_integer() || j[field].get<int>() < min) return false;
      out = j[field].get<int>();
      return true;
    };
    auto get_str = [&](const char* field, std::string& out) -> bool {
      if (!j.contains(field)) return true;
      if (!j[field].is_string()) return false;
      out = j[field].get<std::string>();
      return true;
    };
    if (!get_int("backup_keep_days", c.backup_keep_days, 1)) return wrong("backup_keep_days", "a whole number of days, at least 1");
    if (!get_int("lock_timeout_s", c.lock_timeout_s, 0)) return wrong("lock_timeout_s", "a whole number of seconds");
    if (!get_str("backup_mirror", c.backup_mirror)) return wrong("backup_mirror", "a folder path");
    if (!get_str("webhook_url", c.webhook_url)) return wrong("webhook_url", "a URL string");
    if (!get_str("image", c.image)) return wrong("image", "an image name");
    if (j.contains("desktop_notifications")) {
      if (!j["desktop_notifications"].is_boolean()) return wrong("desktop_notifications", "true or false");
      c.desktop_notifications = j["desktop_notifications"].get<bool>();
    }
  } catch (const nlohmann::json::exception& e) {
    return Error{"read the settings", path, 0, e.what(), "correct the file or delete it to use the defaults"};
  }
  return c;
}

}  // namespace claude::host
