// The user's settings for claude-host, in ~/.claude-docker/config.json (all optional):
//   {"exclude": ["*.bak", "big-cache/"], "backup_keep_days": 30, "backup_mirror": "/mnt/usb/claude",
//    "webhook_url": "https://hooks.slack.com/...", "desktop_notifications": true,
//    "lock_timeout_s": 30, "image": "claude-init:latest"}
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace claude::host {

struct HostConfig {
  std::vector<std::string> exclude;  // globs added to the built-in excludes
  int backup_keep_days = 30;
  std::string backup_mirror;         // second copy of every backup; empty: none
  std::string webhook_url;           // empty: no webhook alerts
  bool desktop_notifications = true;
  int lock_timeout_s = 30;
  std::string image = "claude-init:latest";
};

// Reads the config at path; a missing file gives the defaults. A file that is not JSON
// or has a field of the wrong type is an Error naming the file, the field and the fix
// (nothing runs on a half-understood config).
Result<HostConfig> load_host_config(const std::string& path);

}  // namespace claude::host
