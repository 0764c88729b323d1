#include "core/path_map.h"

#include <algorithm>
#include <cctype>

#include "core/path_names.h"

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

std::string_view role_name(PathRole role) {
  switch (role) {
    case PathRole::kHome: return "home";
    case PathRole::kConfig: return "config";
    case PathRole::kPlain: break;
  }
  return "plain";
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
    }
    if (mappings[i].role != PathRole::kPlain) {
      for (std::size_t j = i + 1; j < mappings.size(); ++j) {
        if (mappings[j].role == mappings[i].role) {
          return Error{"read path mapping", mappings[j].host + "=" + mappings[j].container, 0,
                       "a second " + std::string(role_name(mappings[i].role)) + " pair (also " +
                           mappings[i].host + "=" + mappings[i].container + ")",
                       "give one home pair and one config pair at most"};
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
    if (is_same_or_under(abs_path, from)) {
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

const PathMapping* PathMap::home() const {
  for (const auto& pair : by_host_)
    if (pair.role == PathRole::kHome) return &pair;
  return nullptr;
}

bool PathMap::maps_back(std::string_view mapped, std::string_view to, Direction dir) const {
  auto back = longest_match(mapped, reverse(dir));
  return back && back->from == to;
}

namespace {

// Where the path that continues at text[from] ends: the end of the text for a whole
// path, else the first byte that cannot be part of a path.
std::size_t token_end(std::string_view text, std::size_t from, bool whole_path) {
  if (whole_path) return text.size();
  while (from < text.size() && is_path_text_byte(static_cast<unsigned char>(text[from]))) ++from;
  return from;
}

// True when text[pos] starts the inside of a file permission rule, "Edit(" and the like,
// where an absolute path is written "//abs" ("/x" there is relative to the settings
// file's project). Bash rules hold command text, where "/abs" is absolute.
bool in_file_rule(std::string_view text, std::size_t pos) {
  if (pos == 0 || text[pos - 1] != '(') return false;
  std::size_t b = pos - 1;
  while (b > 0 && std::isalpha(static_cast<unsigned char>(text[b - 1]))) --b;
  std::string_view tool = text.substr(b, pos - 1 - b);
  return !tool.empty() && tool != "Bash";
}

}  // namespace

std::optional<PathMap::Hit> PathMap::absolute_at(std::string_view text, std::size_t pos,
                                                 Direction dir, bool whole_path) const {
  if (pos >= text.size() || text[pos] != '/') return std::nullopt;  // relative paths never match
  const bool to_container = dir == Direction::kToContainer;
  for (const auto& pair : to_container ? by_host_ : by_container_) {
    std::string_view from = to_container ? pair.host : pair.container;
    std::string_view to = to_container ? pair.container : pair.host;
    std::size_t end = pos + 1;
    if (from != "/") {
      if (text.compare(pos, from.size(), from) != 0) continue;
      end = pos + from.size();
      // The prefix must end at a path boundary: "/home/al" is not in "/home/alice".
      if (end < text.size() && text[end] != '/' &&
          (whole_path || is_path_text_byte(static_cast<unsigned char>(text[end])))) {
        continue;
      }
    }
    std::vector<Edit> one;
    push_edit(one, text, whole_path, pos, end, from, to);
    // Towards the container, only what comes back the same way: with nested pairs (the
    // home -> /root, ~/.claude -> /root/.claude-config) a host path under the outer pair
    // can land in the inner one's container folder.
    if (to_container) {
      std::string mapped = one.empty() ? std::string(text.substr(pos, end - pos)) : one[0].replacement;
      mapped.append(text.substr(end, token_end(text, end, whole_path) - end));
      if (mapped.empty()) mapped = "/";
      if (!maps_back(mapped, to, dir)) return Hit{end, std::nullopt, false};
    }
    if (one.empty()) return Hit{end, std::nullopt, true};
    return Hit{end, std::move(one[0]), true};
  }
  return std::nullopt;
}

std::optional<PathMap::Hit> PathMap::tilde_at(std::string_view text, std::size_t pos,
                                              Direction dir, bool whole_path) const {
  const PathMapping* h = home();
  if (h == nullptr || h->host == "/" || h->container == "/") return std::nullopt;
  const bool to_container = dir == Direction::kToContainer;
  std::string_view from_home = to_container ? h->host : h->container;
  std::string_view to_home = to_container ? h->container : h->host;
  const std::size_t after = pos + 1;
  // "~" alone or "~/...": "~user/..." and "~x" are not this user's home.
  if (after < text.size() && text[after] != '/' &&
      (whole_path || is_path_text_byte(static_cast<unsigned char>(text[after])))) {
    return std::nullopt;
  }
  std::string abs(from_home);
  abs.append(text.substr(after, token_end(text, after, whole_path) - after));
  auto m = longest_match(abs, dir);
  if (!m || m->from == from_home) return Hit{after, std::nullopt, true};  // "~" stays "~"
  // The matched prefix may lie above the home ("/" mapped): then "~" is not inside it.
  if (m->from.size() < from_home.size()) return Hit{after, std::nullopt, false};
  const std::size_t end = after + (m->from.size() - from_home.size());
  if (to_container) {
    std::string mapped(m->to);
    mapped.append(abs.substr(m->from.size()));
    if (!maps_back(mapped, m->to, dir)) return Hit{end, std::nullopt, false};
  }
  if (is_same_or_under(m->to, to_home))  // written with "~" again: it lies in the other home
    return Hit{end, Edit{pos, end, "~" + std::string(m->to.substr(to_home.size()))}, true};
  // A folder mounted outside the container's home ("~/work/infra" at /workspace/infra):
  // written absolute there, in a file rule's "//" form. Towards the host such a "~" path
  // names the container's home, which maps nowhere else: it stays.
  if (!to_container) return Hit{after, std::nullopt, false};
  std::string replacement(m->to);
  if (!whole_path && in_file_rule(text, pos)) replacement.insert(0, "/");
  return Hit{end, Edit{pos, end, std::move(replacement), /*respelled=*/true}, true};
}

std::optional<PathMap::Hit> PathMap::whole_path_hit(std::string_view text, Direction dir) const {
  if (!text.empty() && text[0] == '~') return tilde_at(text, 0, dir, true);
  if (text.size() > 2 && text[0] == '/' && text[1] == '/' && text[2] != '/') {
    // "//abs/...": the permission rules' form of /abs/...
    if (auto hit = absolute_at(text, 1, dir, true)) return hit;
  }
  return absolute_at(text, 0, dir, true);
}

std::vector<PathMap::Edit> PathMap::edits(std::string_view text, Direction dir,
                                          bool whole_path) const {
  std::vector<Edit> out;
  if (by_host_.empty()) return out;
  if (whole_path) {
    auto hit = whole_path_hit(text, dir);
    if (hit && hit->edit) out.push_back(std::move(*hit->edit));
    return out;
  }
  std::size_t i = 0;
  // A '/' at a boundary that matched nothing: a '/' right after it starts "//abs".
  std::size_t unmatched_slash = std::string_view::npos;
  while (i < text.size()) {
    std::size_t pos = text.find_first_of("/~", i);
    if (pos == std::string_view::npos) break;
    i = pos + 1;
    const bool boundary = pos == 0 || !is_path_text_byte(static_cast<unsigned char>(text[pos - 1]));
    std::optional<Hit> hit;
    if (text[pos] == '~') {
      if (!boundary) continue;
      hit = tilde_at(text, pos, dir, false);
    } else {
      if (!boundary && !(unmatched_slash != std::string_view::npos && unmatched_slash + 1 == pos)) continue;
      hit = absolute_at(text, pos, dir, false);
      if (!hit && boundary) unmatched_slash = pos;
    }
    if (!hit) continue;
    if (hit->edit) out.push_back(std::move(*hit->edit));
    i = std::max(i, hit->end);
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
  auto hit = whole_path_hit(abs_path, dir);
  if (!hit || !hit->maps) return std::nullopt;
  if (!hit->edit) return std::string(abs_path);
  return apply_edits(abs_path, {*hit->edit});
}

std::string PathMap::map_in_text(std::string_view text, Direction dir) const {
  return apply_edits(text, edits(text, dir, false));
}

nlohmann::json PathMap::to_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& pair : by_host_) {
    nlohmann::json item = {{"host", pair.host}, {"container", pair.container}};
    if (pair.role != PathRole::kPlain) item["role"] = role_name(pair.role);
    j.push_back(std::move(item));
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
    PathRole role = PathRole::kPlain;
    if (item.contains("role")) {
      const auto& r = item["role"];
      if (r == "home") role = PathRole::kHome;
      else if (r == "config") role = PathRole::kConfig;
      else if (r != "plain") return bad("a mapping's \"role\" is not \"home\", \"config\" or \"plain\"");
    }
    pairs.push_back({item["host"].get<std::string>(), item["container"].get<std::string>(), role});
  }
  return create(std::move(pairs));
}

}  // namespace claude
