#include "core/link_resolution.h"

#include <vector>

namespace claude {

std::optional<std::string> LinkTable::link_target(std::string_view rel_path) const {
  auto it = links_.find(rel_path);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

std::string_view link_where_name(LinkWhere where) {
  switch (where) {
    case LinkWhere::kInside:
      return "inside";
    case LinkWhere::kOutside:
      return "outside";
    case LinkWhere::kLoop:
      return "loop";
    case LinkWhere::kInvalid:
      return "invalid";
  }
  return "?";
}

namespace {

// Pushes the components of `path` onto `pending` so that the first one is popped first.
void push_components(std::string_view path, std::vector<std::string>& pending) {
  std::vector<std::string_view> comps;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    std::string_view comp = path.substr(start, end - start);
    if (!comp.empty() && comp != ".") comps.push_back(comp);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.emplace_back(*it);
}

std::string quoted_link(std::string_view path, std::string_view target) {
  std::string s = "'";
  s.append(path).append("' -> '").append(target).append("'");
  return s;
}

}  // namespace

LinkResolution resolve_link(std::string_view link_path, std::string_view target,
                            const LinkLookup& tree) {
  LinkResolution out;
  auto fail = [&out](LinkWhere where, std::string reason) {
    out.where = where;
    out.path.clear();
    out.reason = std::move(reason);
    return out;
  };
  if (target.empty()) return fail(LinkWhere::kInvalid, "its target is empty");
  if (target.find('\0') != std::string_view::npos)
    return fail(LinkWhere::kInvalid, "its target holds a NUL byte");
  if (target.front() == '/') return fail(LinkWhere::kOutside, "its target is absolute");

  // Components still to walk, the next one at the back: the link's own folder first,
  // then its target.
  std::vector<std::string> pending;
  push_components(target, pending);
  std::size_t slash = link_path.rfind('/');
  if (slash != std::string_view::npos) push_components(link_path.substr(0, slash), pending);

  // Where the walk is, with no link in it: the path and where each component starts.
  std::string at;
  std::vector<std::size_t> starts;
  std::string via;  // the last link followed, for reasons
  std::size_t hops = 0;
  while (!pending.empty()) {
    std::string comp = std::move(pending.back());
    pending.pop_back();
    if (comp == "..") {
      if (starts.empty()) {
        return fail(LinkWhere::kOutside,
                    via.empty() ? "'..' climbs above the tree root"
                                : "'..' climbs above the tree root after following " + via);
      }
      at.resize(starts.back() == 0 ? 0 : starts.back() - 1);
      starts.pop_back();
      continue;
    }
    starts.push_back(at.empty() ? 0 : at.size() + 1);
    if (!at.empty()) at.push_back('/');
    at.append(comp);
    std::optional<std::string> next = tree.link_target(at);
    if (!next) continue;
    if (++hops > kMaxLinkHops) {
      return fail(LinkWhere::kLoop, "more than " + std::to_string(kMaxLinkHops) +
                                        " links to follow (a loop), the last " +
                                        quoted_link(at, *next));
    }
    via = quoted_link(at, *next);
    if (next->empty())
      return fail(LinkWhere::kInvalid, "it leads through " + via + ", whose target is empty");
    if (next->find('\0') != std::string::npos) {
      return fail(LinkWhere::kInvalid, "it leads through a link whose target holds a NUL byte");
    }
    if (next->front() == '/')
      return fail(LinkWhere::kOutside, "it leads through " + via + ", which is absolute");
    // The link is replaced by its target, walked from the link's own folder.
    at.resize(starts.back() == 0 ? 0 : starts.back() - 1);
    starts.pop_back();
    push_components(*next, pending);
  }
  out.where = LinkWhere::kInside;
  out.path = std::move(at);
  return out;
}

bool link_resolves_inside(std::string_view link_path, std::string_view target,
                          const LinkLookup& tree) {
  return resolve_link(link_path, target, tree).where == LinkWhere::kInside;
}

}  // namespace claude
