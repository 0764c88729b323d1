#include "hostside/host_layout.h"

#include <cstdlib>

namespace claude::host {

HostLayout layout_from_env(const std::map<std::string, std::string>* env) {
  auto get = [env](const char* name) -> std::string {
    if (env) {
      auto it = env->find(name);
      return it == env->end() ? std::string() : it->second;
    }
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  HostLayout l;
  l.home = get("HOME");
  while (l.home.size() > 1 && l.home.back() == '/') l.home.pop_back();
  std::string custom = get("CLAUDE_CONFIG_DIR");
  while (custom.size() > 1 && custom.back() == '/') custom.pop_back();
  if (!custom.empty()) {
    l.custom_config_dir = true;
    l.config_dir = custom;
    l.claude_json = custom + "/.claude.json";
  } else {
    l.config_dir = l.home + "/.claude";
    l.claude_json = l.home + "/.claude.json";
  }
  l.state_dir = l.home + "/.claude-docker";
  l.user = get("USER");
  return l;
}

}  // namespace claude::host
