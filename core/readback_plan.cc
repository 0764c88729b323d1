#include "core/readback_plan.h"

#include <algorithm>

#include "core/formats.h"
#include "core/path_names.h"

namespace claude {

namespace {

AppliedEntry applied_of(const TheirEntry& t) {
  return {false, t.size, t.sha256};
}

// Session logs: the container's bytes past what is already on the host side of the
// ledger (the staged prefix, or what an earlier read-back appended) are appended.
void plan_log(const std::string& path, const TheirEntry& t, const StagedFile* staged,
              const HostEntry& host, const AppliedEntry* applied, std::vector<ReadbackStep>& out) {
  ReadbackStep s;
  s.path = path;
  s.applied = applied_of(t);
  if (applied && applied->sha256 == t.sha256) return;  // this very copy was merged before
  if (staged && !t.starts_with_staged) {
    s.kind = StepKind::kKeepTheirsBeside;
    s.detail =
        "the container's log does not begin with the staged bytes (rotated or truncated); the "
        "host's copy is unchanged";
    out.push_back(s);
    return;
  }
  if (host.kind == HostEntry::kOther) {
    s.kind = StepKind::kSkip;
    s.detail = "the host has " + host.other + " there";
    out.push_back(s);
    return;
  }
  std::uint64_t from = applied ? applied->size : staged ? staged->size : 0;
  if (t.size < from) {
    s.kind = StepKind::kKeepTheirsBeside;
    s.detail =
        "the container's log shrank after an earlier read-back; the host's copy is unchanged";
    out.push_back(s);
    return;
  }
  if (host.kind == HostEntry::kAbsent) {
    // Nothing to append to (new, or removed on the host meanwhile): the container's whole
    // log, so that no line it wrote is lost.
    s.kind = StepKind::kCreate;
    out.push_back(s);
    return;
  }
  if (!staged && !applied) {
    // Both sides have a log of that name and neither came from the other through this run.
    if (host.sha256 == t.sha256) return;
    if (host.prefix_of_theirs) {
      from = host.size;
    } else {
      s.kind = StepKind::kKeepTheirsBeside;
      s.detail = "the host has a different log of that name; the host's copy is unchanged";
      out.push_back(s);
      return;
    }
  }
  if (t.size == from) return;
  s.kind = StepKind::kAppendLog;
  s.from = from;
  s.to = t.size;
  out.push_back(s);
}

void plan_file(const std::string& path, const TheirEntry& t, const StagedFile* staged,
               const HostEntry& host, const AppliedEntry* applied, std::vector<ReadbackStep>& out) {
  ReadbackStep s;
  s.path = path;
  s.applied = applied_of(t);
  if (applied && applied->sha256 == t.sha256) return;
  if (host.kind == HostEntry::kOther) {
    s.kind = StepKind::kSkip;
    s.detail = "the host has " + host.other + " there";
    out.push_back(s);
    return;
  }
  // The base is what the host was last given by this run: the staged copy, or what an
  // earlier read-back of it wrote.
  std::optional<std::string> base;
  if (applied && !applied->deleted)
    base = applied->sha256;
  else if (staged && !applied)
    base = staged->sha256;
  std::optional<std::string> ours;
  if (host.kind == HostEntry::kFile) ours = host.sha256;
  if (ours == t.sha256 || base == t.sha256) return;  // the host has it, or only the host changed it
  if (ours == base || !ours) {
    s.kind = ours ? StepKind::kReplace : StepKind::kCreate;
  } else if (t.mtime_ns >= host.mtime_ns) {
    s.kind = StepKind::kReplaceKeepHost;
  } else {
    if (host.conflict_copy_sha256 == t.sha256) return;  // kept beside by an earlier read-back
    s.kind = StepKind::kKeepTheirsAsConflict;
  }
  out.push_back(s);
}

int order(StepKind k) {
  switch (k) {
    case StepKind::kSkip:
      return 0;
    case StepKind::kHoldDelete:
      return 1;
    case StepKind::kCreate:
    case StepKind::kReplace:
    case StepKind::kReplaceKeepHost:
    case StepKind::kKeepTheirsAsConflict:
    case StepKind::kKeepTheirsBeside:
    case StepKind::kAppendLog:
      return 2;
    case StepKind::kSymlink:
      return 3;  // after the files it may point at
    case StepKind::kMergeClaudeJson:
      return 4;
    case StepKind::kCredentials:
      return 5;
    case StepKind::kDelete:
      return 6;
  }
  return 7;
}

}  // namespace

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kMergeClaudeJson:
      return "merge .claude.json";
    case StepKind::kCredentials:
      return "credentials";
    case StepKind::kAppendLog:
      return "append";
    case StepKind::kCreate:
      return "create";
    case StepKind::kReplace:
      return "replace";
    case StepKind::kReplaceKeepHost:
      return "replace, the host's kept beside";
    case StepKind::kKeepTheirsAsConflict:
      return "keep the host's, the container's kept beside";
    case StepKind::kKeepTheirsBeside:
      return "keep the container's copy beside";
    case StepKind::kSymlink:
      return "symlink";
    case StepKind::kDelete:
      return "delete";
    case StepKind::kHoldDelete:
      return "deletion held";
    case StepKind::kSkip:
      return "skip";
  }
  return "skip";
}

bool ReadbackPlan::writes() const {
  return std::any_of(steps.begin(), steps.end(), [](const ReadbackStep& s) {
    return s.kind != StepKind::kSkip && s.kind != StepKind::kHoldDelete;
  });
}

ReadbackPlan plan_readback(const ReadbackInput& in) {
  static const HostEntry kAbsent;
  auto host_of = [&](const std::string& p) -> const HostEntry& {
    auto it = in.host.find(p);
    return it == in.host.end() ? kAbsent : it->second;
  };
  auto find = [](const auto& map,
                 const std::string& p) -> const typename std::decay_t<decltype(map)>::mapped_type* {
    auto it = map.find(p);
    return it == map.end() ? nullptr : &it->second;
  };
  std::vector<ReadbackStep> out;
  for (const auto& [path, t] : in.theirs) {
    const AppliedEntry* applied = find(in.applied, path);
    if (path == kClaudeJsonName || path == kCredentialsFileName) {
      if (t.is_symlink) {
        out.push_back({StepKind::kSkip, path, 0, 0, "the container made it a symlink", {}});
      } else if (!applied || applied->sha256 != t.sha256) {
        ReadbackStep s{path == kClaudeJsonName ? StepKind::kMergeClaudeJson : StepKind::kCredentials,
                       path,
                       0,
                       0,
                       "",
                       applied_of(t)};
        out.push_back(s);
      }
      continue;
    }
    if (in.excluded && in.excluded(path)) {
      out.push_back({StepKind::kSkip, path, 0, 0, "excluded", {}});
      continue;
    }
    const StagedFile* staged = find(in.staged, path);
    const HostEntry& host = host_of(path);
    if (t.is_symlink) {
      if (applied && applied->sha256 == t.sha256) continue;
      if (host.kind == HostEntry::kAbsent) {
        out.push_back({StepKind::kSymlink, path, 0, 0, "", applied_of(t)});
      } else if (!(host.kind == HostEntry::kOther && host.other == "a symlink to " + t.target)) {
        out.push_back({StepKind::kSkip,
                       path,
                       0,
                       0,
                       "the container made it a symlink, the host has " +
                           (host.kind == HostEntry::kFile ? std::string("a file") : host.other) +
                           " there",
                       {}});
      }
      continue;
    }
    if (is_session_log(path))
      plan_log(path, t, staged, host, applied, out);
    else
      plan_file(path, t, staged, host, applied, out);
  }

  // Deletions: staged files under a path the journal deleted that the container did not
  // publish again.
  std::vector<ReadbackStep> deletions;
  bool hold = false;
  for (const auto& [path, f] : in.staged) {
    if (path == kClaudeJsonName || path == kCredentialsFileName || in.theirs.count(path)) continue;
    bool gone = std::any_of(in.deleted.begin(), in.deleted.end(),
                            [&p = path](const std::string& d) { return is_same_or_under(p, d); });
    if (!gone) continue;
    const AppliedEntry* applied = find(in.applied, path);
    if (applied && applied->deleted) continue;
    if (in.excluded && in.excluded(path)) continue;
    const HostEntry& host = host_of(path);
    if (host.kind == HostEntry::kAbsent) continue;
    if (host.kind == HostEntry::kOther || host.sha256 != f.sha256) {
      out.push_back(
          {StepKind::kSkip, path, 0, 0, "deleted in the container, changed on the host: kept", {}});
      continue;
    }
    if (is_session_log(path)) hold = true;
    deletions.push_back({StepKind::kDelete, path, 0, 0, "", {true, 0, ""}});
  }
  if (deletions.size() > in.delete_threshold) hold = true;
  for (auto& d : deletions) {
    if (hold && !in.accept_deletes) {
      d.kind = StepKind::kHoldDelete;
      d.detail = "deleted in the container; held (" + std::to_string(deletions.size()) +
                 " deletion(s)" +
                 (std::any_of(deletions.begin(), deletions.end(),
                              [](const ReadbackStep& s) { return is_session_log(s.path); })
                      ? ", session logs among them"
                      : "") +
                 "): pass --accept-deletes to apply";
    }
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(), [](const ReadbackStep& a, const ReadbackStep& b) {
    return order(a.kind) != order(b.kind) ? order(a.kind) < order(b.kind) : a.path < b.path;
  });
  return {std::move(out)};
}

bool is_session_log(const std::string& path) {
  return path.ends_with(".jsonl");
}

std::string conflict_name(const std::string& path, const std::string& run_id) {
  return path + ".conflict-" + run_id;
}

std::string container_copy_name(const std::string& path, const std::string& run_id) {
  return path + ".container-" + run_id;
}

}  // namespace claude
