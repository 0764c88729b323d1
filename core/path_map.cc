#include "core/path_map.h"

#include <algorithm>

namespace claude {
namespace {

// "/a//b/" -> "/a/b"; Error text when the path is not absolute or has "."/".." parts.
Result<std::string> normalize_prefix(std::string_view p, std::string_view side) {
  auto bad = [&](std::string_view why) {
    return Error{"read path mapping", std::string(p), 0,
                 std::string(side) + " prefix " + std::string(why),
                 "give absolute folders such as /home/al/proj=/workspace/proj"};
  };
  if (p.empty() || p[0] != '/') return bad("is not an absolute path");
  if (p.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  std::string out;
  std::size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') ++i;
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view comp = p.substr(i, j - i);
    if (comp.empty()) break;
    if (comp == "." || comp == "..") return bad("contains a '.' or '..' component");
    out += '/';
    out += comp;
    i = j;
  }
  if (out.empty()) out = "/";
  return out;
}

// True when path equals prefix or continues it at a '/' ("/" is a prefix of every
// absolute path).
bool has_path_prefix(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool longer_host_first(const PathMapping& a, const PathMapping& b) {
  return a.host.size() != b.host.size() ? a.host.size() > b.host.size() : a.host < b.host;
}
bool longer_container_first(const PathMapping& a, const PathMapping& b) {
  return a.container.size() != b.container.size() ? a.container.size() > b.container.size()
                                                  : a.container < b.container;
}

}  // namespace

Direction reverse(Direction d) {
  return d == Direction::kToContainer ? Direction::kToHost : Direction::kToContainer;
}

bool is_path_text_byte(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '/':
    case '.':
    case '_':
    case '-':
    case '~':
    case '+':
    case '@':
    case '%':
      return true;
    default:
      return false;
  }
}

Result<PathMap> PathMap::create(std::vector<PathMapping> mappings) {
  PathMap m;
  for (auto& pair : mappings) {
    auto host = normalize_prefix(pair.host, "host");
    if (!host) return host.error();
    auto container = normalize_prefix(pair.container, "container");
    if (!container) return container.error();
    pair.host = std::move(*host);
    pair.container = std::move(*container);
  }
  for (std::size_t i = 0; i < mappings.size(); ++i) {
    for (std::size_t j = 0; j < mappings.size(); ++j) {
      if (i == j) continue;
      const auto& a = mappings[i];
      const auto& b = mappings[j];
      if (a.host == b.host || a.container == b.container) {
        return Error{"read path mapping", a.host + "=" + a.container, 0,
                     "the prefix " + (a.host == b.host ? a.host : a.container) +
                         " is mapped twice (also " + b.host + "=" + b.container + ")",
                     "give each folder one mapping"};
      }
      // b's container prefix lies strictly inside a's: host paths under a.host that lead
      // there must be exactly b.host, or mapping back would pick b for a path that came
      // through a, and host -> container -> host would change it.
      if (has_path_prefix(b.container, a.container)) {
        PathMap only_a;
        only_a.by_host_ = only_a.by_container_ = {a};
        std::string via_a = *only_a.map_path(b.container, Direction::kToHost);
        if (via_a != b.host) {
          return Error{"read path mapping", b.host + "=" + b.container, 0,
                       "the container folder " + b.container + " lies inside " + a.container +
                           " (mapped from " + a.host + "), so " + via_a +
                           " would come back as " + b.host,
                       "map " + via_a + " to " + b.container +
                           " or choose a container folder outside " + a.container};
        }
      }
    }
  }
  m.by_host_ = mappings;
  std::sort(m.by_host_.begin(), m.by_host_.end(), longer_host_first);
  m.by_container_ = std::move(mappings);
  std::sort(m.by_container_.begin(), m.by_container_.end(), longer_container_first);
  return m;
}

std::optional<PathMap::Match> PathMap::longest_match(std::string_view abs_path,
                                                     Direction dir) const {
  const bool to_container = dir == Direction::kToContainer;
  for (const auto& pair : to_container ? by_host_ : by_container_) {
    std::string_view from = to_container ? pair.host : pair.container;
    if (has_path_prefix(abs_path, from)) {
      return Match{from, to_container ? std::string_view(pair.container)
                                      : std::string_view(pair.host)};
    }
  }
  return std::nullopt;
}

namespace {

// The replacement for `from` matched at a '/' in text, where `end` is the index just
// after the match. The root prefix "/" matches only its own '/', so "/x" under a root
// mapping to "/r" becomes "/r/x" and a lone "/" becomes "/r"; a prefix mapped to "/"
// leaves the rest, or "/" when nothing follows.
void push_edit(std::vector<PathMap::Edit>& out, std::string_view text, bool whole_path,
               std::size_t begin, std::size_t end, std::string_view from, std::string_view to) {
  bool continues = end < text.size() &&
                   (whole_path || is_path_text_byte(static_cast<unsigned char>(text[end])));
  std::string replacement;
  if (from == "/") {
    if (to == "/") return;
    replacement = to;
    if (continues) replacement += '/';
  } else if (to == "/") {
    if (!(end < text.size() && text[end] == '/')) replacement = "/";
  } else {
    replacement = to;
  }
  out.push_back({begin, end, std::move(replacement)});
}

}  // namespace

std::vector<PathMap::Edit> PathMap::edits(std::string_view text, Direction dir,
                                          bool whole_path) const {
  const bool to_container = dir == Direction::kToContainer;
  std::vector<Edit> out;
  if (whole_path) {
    auto m = longest_match(text, dir);
    if (m) push_edit(out, text, true, 0, m->from == "/" ? 1 : m->from.size(), m->from, m->to);
    return out;
  }
  const auto& pairs = to_container ? by_host_ : by_container_;
  if (pairs.empty()) return out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t slash = text.find('/', i);
    if (slash == std::string_view::npos) break;
    i = slash + 1;
    if (slash > 0 && is_path_text_byte(static_cast<unsigned char>(text[slash - 1]))) continue;
    for (const auto& pair : pairs) {
      std::string_view from = to_container ? pair.host : pair.container;
      std::string_view to = to_container ? pair.container : pair.host;
      std::size_t end = slash + 1;
      if (from != "/") {
        if (text.compare(slash, from.size(), from) != 0) continue;
        end = slash + from.size();
        // The prefix must end at a path boundary: "/home/al" is not in "/home/alice".
        if (end < text.size() && text[end] != '/' &&
            is_path_text_byte(static_cast<unsigned char>(text[end]))) {
          continue;
        }
      }
      push_edit(out, text, false, slash, end, from, to);
      i = end;
      break;
    }
  }
  return out;
}

namespace {

std::string apply_edits(std::string_view text, const std::vector<PathMap::Edit>& edits) {
  std::string out;
  out.reserve(text.size() + 32);
  std::size_t copied = 0;
  for (const auto& e : edits) {
    out.append(text.substr(copied, e.begin - copied));
    out += e.replacement;
    copied = e.end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::optional<std::string> PathMap::map_path(std::string_view abs_path, Direction dir) const {
  if (!longest_match(abs_path, dir)) return std::nullopt;
  return apply_edits(abs_path, edits(abs_path, dir, true));
}

std::string PathMap::map_in_text(std::string_view text, Direction dir) const {
  return apply_edits(text, edits(text, dir, false));
}

nlohmann::json PathMap::to_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& pair : by_host_) {
    j.push_back({{"host", pair.host}, {"container", pair.container}});
  }
  return j;
}

Result<PathMap> PathMap::from_json(const nlohmann::json& j) {
  auto bad = [](std::string what) {
    return Error{"read path mapping", "", 0, std::move(what),
                 "re-run `claude-host stage` to write a fresh mapping"};
  };
  if (!j.is_array()) return bad("the mapping is not a JSON array");
  std::vector<PathMapping> pairs;
  for (const auto& item : j) {
    if (!item.is_object() || !item.contains("host") || !item.contains("container") ||
        !item["host"].is_string() || !item["container"].is_string()) {
      return bad("each mapping needs string fields \"host\" and \"container\"");
    }
    pairs.push_back({item["host"].get<std::string>(), item["container"].get<std::string>()});
  }
  return create(std::move(pairs));
}

}  // namespace claude
