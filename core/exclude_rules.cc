#include "core/exclude_rules.h"

namespace claude {
namespace {

// Matches one class "[...]" at pattern[pi] against c; returns the index after the class,
// or npos when the class is not closed (then '[' is an ordinary character).
std::size_t match_class(std::string_view pattern, std::size_t pi, char c, bool* matched) {
  std::size_t i = pi + 1;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool hit = false;
  bool first = true;
  while (i < pattern.size() && (pattern[i] != ']' || first)) {
    first = false;
    char lo = pattern[i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) hit = true;
    ++i;
  }
  if (i >= pattern.size()) return std::string_view::npos;
  *matched = (hit != negate) && c != '/';
  return i + 1;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  // Backtracking over the last '*' (or '**') seen, as in the classic wildcard matcher;
  // linear for one star, and patterns here are short.
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  bool star_crosses = false;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        star_crosses = p + 1 < pattern.size() && pattern[p + 1] == '*';
        while (p < pattern.size() && pattern[p] == '*') ++p;
        // "**/" also matches zero folders.
        if (star_crosses && p < pattern.size() && pattern[p] == '/' &&
            glob_match(pattern.substr(p + 1), text.substr(t))) {
          return true;
        }
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?' && text[t] != '/') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        bool matched = false;
        std::size_t next = match_class(pattern, p, text[t], &matched);
        if (next != std::string_view::npos) {
          if (matched) {
            p = next;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {
          ++p;
          ++t;
          continue;
        }
      } else if (pc != '?' && pc == text[t]) {
        ++p;
        ++t;
        continue;
      }
    }
    // Mismatch: let the last star swallow one more character, if it may.
    if (star_p == std::string_view::npos) return false;
    if (!star_crosses && text[star_t] == '/') return false;
    ++star_t;
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

ExcludeRules ExcludeRules::defaults() {
  ExcludeRules r;
  for (const char* g :
       {"*.lock", "*.tmp", "*.tmp.*", "*.claude-init-tmp.*", "*.corrupted.*", ".DS_Store",
        "*.log", "*~", ".*.swp", ".#*", "4913", "/sessions/", "/shell-snapshots/",
        "/session-env/", "/ide/", "/debug/", "/telemetry/", "/statsig/", "/cache/",
        "/backups/", "/plugins/marketplaces/*/.git"}) {
    r.add_pattern(g);
  }
  return r;
}

void ExcludeRules::add_pattern(std::string glob) {
  sources_.push_back(glob);
  Pattern p;
  p.dir_only = !glob.empty() && glob.back() == '/';
  while (!glob.empty() && glob.back() == '/') glob.pop_back();
  p.anchored = glob.find('/') != std::string::npos;
  while (!glob.empty() && glob.front() == '/') glob.erase(glob.begin());
  if (glob.empty()) return;
  p.glob = std::move(glob);
  patterns_.push_back(std::move(p));
}

bool ExcludeRules::matches(const Pattern& p, std::string_view path, std::string_view name,
                           bool is_dir) const {
  if (p.dir_only && !is_dir) return false;
  return glob_match(p.glob, p.anchored ? path : name);
}

bool ExcludeRules::excluded(std::string_view rel_path, bool is_dir) const {
  while (!rel_path.empty() && rel_path.front() == '/') rel_path.remove_prefix(1);
  while (!rel_path.empty() && rel_path.back() == '/') rel_path.remove_suffix(1);
  // Every parent folder first, then the entry itself: a file inside an excluded folder
  // is excluded even when the caller did not stop at the folder.
  std::size_t start = 0;
  while (start <= rel_path.size()) {
    std::size_t slash = rel_path.find('/', start);
    bool last = slash == std::string_view::npos;
    std::size_t end = last ? rel_path.size() : slash;
    std::string_view path = rel_path.substr(0, end);
    std::string_view name = rel_path.substr(start, end - start);
    bool dir = last ? is_dir : true;
    for (const auto& p : patterns_) {
      if (matches(p, path, name, dir)) return true;
    }
    if (last) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace claude
