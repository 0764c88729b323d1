#include "core/sync_planner.h"

#include <algorithm>
#include <unordered_map>

#include "core/formats.h"
#include "core/link_resolution.h"
#include "core/path_names.h"

namespace claude {
namespace {

// Same file, same content as far as lstat can tell (ctime is left out: a rename alone
// changes it).
bool same_facts(const LiveFacts& a, const LiveFacts& b) {
  return a.kind == b.kind && a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode &&
         a.mode == b.mode && a.link_target == b.link_target;
}

}  // namespace

std::string_view plan_kind_name(PlanKind kind) {
  switch (kind) {
    case PlanKind::kNothing: return "nothing";
    case PlanKind::kPut: return "put";
    case PlanKind::kAppend: return "append";
    case PlanKind::kSymlink: return "symlink";
    case PlanKind::kDelete: return "delete";
    case PlanKind::kRename: return "rename";
    case PlanKind::kSkip: return "skip";
  }
  return "?";
}

bool is_append_only(std::string_view rel_path) { return rel_path.ends_with(".jsonl"); }

bool is_credentials(std::string_view rel_path) { return base_name(rel_path) == kCredentialsFileName; }

bool must_parse_as_json(std::string_view rel_path) { return rel_path.ends_with(".json"); }

Urgency urgency_for(std::string_view rel_path, bool finished) {
  if (finished || is_append_only(rel_path) || is_credentials(rel_path)) return Urgency::kNow;
  return Urgency::kSettle;
}

bool file_unchanged(const LiveFacts& now, const SyncedEntry* synced) {
  return now.kind == EntryKind::kFile && synced && synced->facts && synced->facts->kind == EntryKind::kFile &&
         same_facts(now, *synced->facts);
}

PlannedOp plan_path(const Observation& observed, const SyncedEntry* synced, const LinkLookup* links) {
  PlannedOp op;
  op.path = observed.path;
  op.facts = observed.facts;
  if (!observed.facts) {
    // Gone: the host must lose it too, whether the outbox or only the stage had it.
    op.kind = synced ? PlanKind::kDelete : PlanKind::kNothing;
    return op;
  }
  const LiveFacts& now = *observed.facts;
  switch (now.kind) {
    case EntryKind::kDirectory:
      // Folders are implied by the files inside them; a file or link that became a folder
      // leaves the outbox, so that the files inside can be published there.
      op.kind = synced ? PlanKind::kDelete : PlanKind::kNothing;
      return op;
    case EntryKind::kOther:
      op.kind = PlanKind::kSkip;
      op.reason = "a " + (now.other_type.empty() ? std::string("special file") : now.other_type) +
                  " is never synced";
      return op;
    case EntryKind::kSymlink: {
      // Judged by where it resolves through the tree's other links, never by its text.
      static const LinkTable kNoLinks;
      LinkResolution where = resolve_link(observed.path, now.link_target, links ? *links : kNoLinks);
      if (where.where != LinkWhere::kInside) {
        op.kind = PlanKind::kSkip;
        op.reason = "symlink to '" + now.link_target +
                    (where.where == LinkWhere::kLoop ? "' never resolves: " : "' leaves the tree: ") + where.reason;
        return op;
      }
      op.kind = synced && synced->facts && synced->facts->kind == EntryKind::kSymlink &&
                        synced->facts->link_target == now.link_target
                    ? PlanKind::kNothing
                    : PlanKind::kSymlink;
      return op;
    }
    case EntryKind::kFile:
      break;
  }
  if (file_unchanged(now, synced)) {
    op.kind = PlanKind::kNothing;
    return op;
  }
  if (!synced || !synced->facts || synced->facts->kind != EntryKind::kFile) {
    op.kind = PlanKind::kPut;  // new, or a baseline never compared: the publisher hashes it
    return op;
  }
  const LiveFacts& then = *synced->facts;
  if (is_append_only(observed.path) && synced->in_outbox && now.inode == then.inode &&
      now.mode == then.mode && now.size >= synced->live_offset) {
    // Grown (or touched) in place: append the new complete lines; the publisher checks
    // the last synced block first and falls back to a put when it changed.
    op.kind = PlanKind::kAppend;
    return op;
  }
  op.kind = PlanKind::kPut;
  return op;
}

std::vector<PlannedOp> plan_batch(const std::vector<Observation>& observed,
                                  const SyncSnapshot& snapshot, const LinkLookup* links) {
  std::vector<PlannedOp> plain;
  plain.reserve(observed.size());
  // Paths that vanished but have an outbox copy, by inode: rename sources.
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> vanished_by_inode;
  for (const Observation& o : observed) {
    auto it = snapshot.find(o.path);
    const SyncedEntry* synced = it == snapshot.end() ? nullptr : &it->second;
    plain.push_back(plan_path(o, synced, links));
    if (plain.back().kind == PlanKind::kDelete && synced->in_outbox && synced->facts &&
        synced->facts->kind != EntryKind::kDirectory) {
      vanished_by_inode[synced->facts->inode].push_back(plain.size() - 1);
    }
  }
  std::vector<PlannedOp> renames;
  if (!vanished_by_inode.empty()) {
    for (PlannedOp& op : plain) {
      if ((op.kind != PlanKind::kPut && op.kind != PlanKind::kSymlink) || !op.facts) continue;
      auto it = vanished_by_inode.find(op.facts->inode);
      if (it == vanished_by_inode.end()) continue;
      for (std::size_t& index : it->second) {
        if (index == SIZE_MAX) continue;
        PlannedOp& gone = plain[index];
        const LiveFacts& then = *snapshot.at(gone.path).facts;
        if (!same_facts(then, *op.facts)) continue;
        PlannedOp rename;
        rename.kind = PlanKind::kRename;
        rename.from = gone.path;
        rename.path = op.path;
        rename.facts = op.facts;
        renames.push_back(std::move(rename));
        gone.kind = PlanKind::kNothing;
        op.kind = PlanKind::kNothing;
        index = SIZE_MAX;
        break;
      }
    }
  }
  std::vector<PlannedOp> out = std::move(renames);
  std::size_t first_plain = out.size();
  for (PlannedOp& op : plain) {
    if (op.kind != PlanKind::kNothing) out.push_back(std::move(op));
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first_plain), out.end(),
            [](const PlannedOp& a, const PlannedOp& b) { return a.path < b.path; });
  return out;
}

}  // namespace claude
