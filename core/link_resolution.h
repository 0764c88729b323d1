// Where a symbolic link inside a tree really resolves. A link is judged by the place the
// kernel would reach through it, through every other link in the tree — not by its own
// text: `a/b/c/s2 -> ../../..` and `a/b/c/s1 -> s2/../.ssh` each look lexically inside,
// yet s1 reaches the folder beside the tree's root, because the `..` after s2 goes to the
// parent of s2's target. Both sides use it: claude-init before publishing a link, and
// claude-host before recreating one in the home. Pure: what is a link, and to what, comes
// from a LinkLookup the caller implements over the real tree (or a snapshot of it).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace claude {

// How many links one resolution may follow before it is a loop (the kernel's MAXSYMLINKS).
inline constexpr std::size_t kMaxLinkHops = 40;

// The tree as the resolver sees it.
class LinkLookup {
 public:
  virtual ~LinkLookup() = default;
  // For a path relative to the tree root ('/'-separated, never empty, no '.' or '..'
  // components, no link among its parent folders): the target of the symbolic link
  // there, byte for byte; nullopt when the entry is not a link (a folder, a file, or
  // nothing at all — a missing entry is judged as the folder a later mkdir would make).
  virtual std::optional<std::string> link_target(std::string_view rel_path) const = 0;
};

// A LinkLookup over a map from link path to target (tests, and callers that already
// hold the tree's links).
class LinkTable : public LinkLookup {
 public:
  LinkTable() = default;
  LinkTable(std::initializer_list<std::pair<const std::string, std::string>> links)
      : links_(links) {}
  void add(std::string path, std::string target) { links_[std::move(path)] = std::move(target); }
  std::optional<std::string> link_target(std::string_view rel_path) const override;

 private:
  std::map<std::string, std::string, std::less<>> links_;
};

enum class LinkWhere {
  kInside,   // resolves to a path inside the tree (`path`; "" is the root itself)
  kOutside,  // reaches outside: an absolute target, or `..` above the root
  kLoop,     // more than kMaxLinkHops links: the kernel would answer ELOOP
  kInvalid,  // an empty target, or one holding a NUL byte
};

std::string_view link_where_name(LinkWhere where);

struct LinkResolution {
  LinkWhere where = LinkWhere::kInside;
  // kInside: the physical path it resolves to, relative to the root, with no link in it
  // (it may not exist: a dangling link is judged by where it would land).
  std::string path;
  // Not kInside: why, naming the link whose target left (for reports), e.g.
  // "'..' above the tree root after following 'a/b/c/s2' -> '../../..'".
  std::string reason;
};

// Where the link at link_path (relative to the root, '/'-separated) with this target
// resolves: from the link's folder, each component of the target in turn — a component
// that is a link is replaced by its own target, resolved from that link's folder, before
// the next one, so a later `..` goes to the parent of where the link led, as in the
// kernel. The link's own parent folders are resolved the same way. An absolute target
// is outside (the tree's root is never '/', and its absolute place differs between the
// container and the host). Work is bounded: at most kMaxLinkHops links are followed.
LinkResolution resolve_link(std::string_view link_path, std::string_view target,
                            const LinkLookup& tree);

// resolve_link(...).where == LinkWhere::kInside.
bool link_resolves_inside(std::string_view link_path, std::string_view target,
                          const LinkLookup& tree);

}  // namespace claude
