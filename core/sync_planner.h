// The sync planner: decides what the outbox must do for a set of changed live paths by
// diffing what is there now against a snapshot of what was last published. Events are
// only hints of which paths to look at; this diff is the truth. Pure: the caller stats
// the live tree and hands the facts in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/change_coalescer.h"
#include "core/sha256.h"

namespace claude {

class LinkLookup;  // core/link_resolution.h

enum class EntryKind { kFile, kSymlink, kDirectory, kOther };

// What lstat (never following a link) says about a live path.
struct LiveFacts {
  EntryKind kind = EntryKind::kFile;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::uint32_t mode = 0644;   // permission bits
  std::string link_target;     // symlinks only
  std::string other_type;      // kOther: "fifo", "socket", "device"
  bool operator==(const LiveFacts&) const = default;
};

// What the outbox (or the host, for seeded files) holds for one live path.
struct SyncedEntry {
  // The live file as it was when it was published; nullopt when unknown (a baseline
  // taken from the journal or the stage whose live file has not been compared yet).
  std::optional<LiveFacts> facts;
  // false: the host already has this content (seeded from the stage) and the outbox has
  // no copy yet; the first change publishes it whole.
  bool in_outbox = false;
  std::string outbox_path;     // host-form path under tree/ (project folders mapped)
  std::string sha256;          // of the host-form content the outbox (or stage) holds
  std::uint64_t outbox_size = 0;
  std::uint32_t outbox_mode = 0;
  // Append-only logs: bytes of the live file consumed so far (up to a newline), the last
  // bytes before that offset (to recognise a rewrite), and the running hash of the outbox
  // copy (so an append costs the new bytes only).
  std::uint64_t live_offset = 0;
  std::string tail;
  Sha256 running;
};

using SyncSnapshot = std::map<std::string, SyncedEntry>;

// How many bytes before the synced offset are kept to check a log was only appended to.
inline constexpr std::size_t kTailCheckBytes = 4096;

enum class PlanKind {
  kNothing,  // unchanged
  kPut,      // publish the whole file (temp + rename)
  kAppend,   // append the new complete lines (after checking the tail still matches)
  kSymlink,  // publish a link inside the tree
  kDelete,   // remove from the outbox
  kRename,   // rename `from` to `path` in the outbox (same inode, unchanged content)
  kSkip,     // never published: a link leaving the tree, a FIFO, socket or device
};

std::string_view plan_kind_name(PlanKind kind);

struct PlannedOp {
  PlanKind kind = PlanKind::kNothing;
  std::string path;     // live path, relative to the live root
  std::string from;     // kRename
  std::string reason;   // kSkip: why (for the report)
  std::optional<LiveFacts> facts;  // what was observed (absent for kDelete)
};

// One changed path as observed now; facts nullopt when it does not exist.
struct Observation {
  std::string path;
  std::optional<LiveFacts> facts;
};

// True for session logs and history (*.jsonl): only ever appended to by the CLI.
bool is_append_only(std::string_view rel_path);
// True for the credentials file, published as soon as it changes.
bool is_credentials(std::string_view rel_path);
// True for files that must parse as JSON before they are published (*.json).
bool must_parse_as_json(std::string_view rel_path);

// The urgency a write hint gives: appended logs and credentials are taken at once (only
// complete lines are ever sent, and rotated tokens must reach the host quickly); other
// files still being written wait for the settle time. `finished` is true for
// close-after-write, rename-into, create of a link, delete and attribute changes.
Urgency urgency_for(std::string_view rel_path, bool finished);

// Whether a regular file observed as `now` is what `synced` says was published, as far as
// lstat can tell: plan_path plans nothing for it. Lets a scan of thousands of files note
// only the ones that changed, without a second stat of each.
bool file_unchanged(const LiveFacts& now, const SyncedEntry* synced);

// Symlinks are judged by where they resolve through the tree's other links (`links`, see
// core/link_resolution.h; nullptr: no other link, each judged by its own text): one that
// resolves outside the tree, or never (a loop), is kSkip with the reason. A link that was
// published and now resolves outside (another link changed) is kSkip as well; the
// publisher then takes the outbox copy away.
//
// Plans one batch. A path that disappeared while another appeared with the same inode,
// size and mtime is a rename (only when the old path has an outbox copy). Ops come out in
// the order renames, then the rest by path, so a rename runs before a put of its source.
std::vector<PlannedOp> plan_batch(const std::vector<Observation>& observed,
                                  const SyncSnapshot& snapshot, const LinkLookup* links = nullptr);

// Plans one path alone (no rename detection).
PlannedOp plan_path(const Observation& observed, const SyncedEntry* synced,
                    const LinkLookup* links = nullptr);

}  // namespace claude
