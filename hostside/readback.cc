#include "hostside/readback.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "core/exclude_rules.h"
#include "core/journal.h"
#include "core/json_merge.h"
#include "core/manifest.h"
#include "core/sha256.h"
#include "hostside/backup_store.h"
#include "hostside/claude_json_lock.h"
#include "hostside/file_tree.h"
#include "hostside/host_lock.h"
#include "hostside/host_logs.h"
#include "hostside/object_store.h"
#include "hostside/readback_rules.h"
#include "hostside/run_state.h"
#include "platform/atomic_file.h"

namespace claude::host {
namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One path of the container's final tree, after recovery.
struct TheirEntry {
  std::string rel;
  std::string abs;  // in the outbox tree
  bool is_symlink = false;
  std::string target;
  std::uint64_t size = 0;  // bytes that count (a torn append's rest past its whole lines does not)
  std::string sha256;
  std::uint32_t mode = 0600;
  std::int64_t mtime_ns = 0;
};

struct VerifiedOutbox {
  std::string trace_id;
  std::map<std::string, TheirEntry> entries;
  std::set<std::string> deleted;  // paths the journal deleted (or renamed away)
  std::vector<std::string> unverifiable;
};

Result<VerifiedOutbox> verify_outbox(const std::string& outbox) {
  VerifiedOutbox v;
  auto journal_text = read_file(outbox + "/journal.jsonl");
  if (!journal_text.ok()) return journal_text.error();
  bool torn = false;
  auto records = parse_journal(*journal_text, &torn, outbox + "/journal.jsonl");
  if (!records.ok()) {
    Error e = records.error();
    e.fix = "the outbox is kept as it is; restore a snapshot (`claude-host restore`) if your files look wrong";
    return e;
  }
  for (const auto& r : *records)
    if (r.op == JournalOp::kBegin && v.trace_id.empty()) v.trace_id = r.trace_id;
  TreeState state;
  state.replay(*records);
  for (const auto& r : *records) {
    if (r.op == JournalOp::kDelete) v.deleted.insert(r.path);
    if (r.op == JournalOp::kRename) v.deleted.insert(r.from);
  }

  const std::string tree = outbox + "/tree";
  auto scanned = scan_tree(tree, [](const std::string&, bool) { return true; }, ScanOptions{.strict = false});
  if (!scanned.ok()) return scanned.error();
  std::vector<ObservedEntry> observed;
  std::map<std::string, TreeEntry> stat_of;
  for (const auto& e : *scanned) {
    if (e.kind == EntryKind::kDir) continue;
    ObservedEntry o;
    o.path = e.rel;
    o.mode = e.mode;
    stat_of[e.rel] = e;
    if (e.kind == EntryKind::kSymlink) {
      o.is_symlink = true;
      o.target = e.target;
    } else if (!is_temp_name(e.rel)) {
      auto content = read_file(tree + "/" + e.rel);
      if (!content.ok()) {
        v.unverifiable.push_back(e.rel + ": " + content.error().message());
        continue;
      }
      observe_content(*content, state.find(e.rel), o);
    }
    observed.push_back(std::move(o));
  }
  std::map<std::string, const ObservedEntry*> obs_by_path;
  for (const auto& o : observed) obs_by_path[o.path] = &o;

  for (const auto& step : plan_recovery(state, observed)) {
    if (step.action == RecoveryAction::kStaleTemp) continue;  // temp files are ignored
    if (step.action == RecoveryAction::kJournalAsDelete) {
      v.deleted.insert(step.path);
      continue;
    }
    if (step.action == RecoveryAction::kCorrupt) {
      v.unverifiable.push_back(step.path + ": " + step.detail);
      continue;
    }
    Status safe = check_rel_path(step.path, "outbox entry");
    if (!safe.ok()) {
      v.unverifiable.push_back(step.path + ": " + safe.error().message());
      continue;
    }
    const ObservedEntry* o = obs_by_path.count(step.path) ? obs_by_path[step.path] : nullptr;
    if (!o) continue;
    TheirEntry t;
    t.rel = step.path;
    t.abs = tree + "/" + step.path;
    t.mtime_ns = stat_of[step.path].mtime_ns;
    t.mode = o->mode ? o->mode : 0600;
    if (o->is_symlink) {
      if (!symlink_stays_inside(step.path, o->target)) {
        v.unverifiable.push_back(step.path + ": a symlink to '" + o->target + "', outside the tree");
        continue;
      }
      t.is_symlink = true;
      t.target = o->target;
    } else if (step.action == RecoveryAction::kTruncate) {
      const ExpectedEntry* exp = state.find(step.path);
      t.size = step.truncate_to;
      t.sha256 = exp ? exp->sha256 : o->prefix_sha256;
    } else if (step.action == RecoveryAction::kJournalAsAppend) {
      t.size = step.truncate_to;  // the whole lines past the journaled size count, a torn rest does not
      t.sha256 = step.record.sha256;
    } else {
      t.size = o->size;
      t.sha256 = o->whole_sha256;
    }
    v.entries[t.rel] = std::move(t);
  }
  return v;
}

// The container's bytes of a file (cut to the size that counts).
Result<std::string> their_bytes(const TheirEntry& t) {
  auto content = read_file(t.abs);
  if (!content.ok()) return content.error();
  if (content->size() > t.size) content->resize(t.size);
  return content;
}

std::optional<std::string> hash_of(const std::string& path, std::int64_t* mtime_ns = nullptr) {
  auto st = stat_entry(path);
  if (!st.ok() || st->kind != EntryKind::kFile) return std::nullopt;
  if (mtime_ns) *mtime_ns = st->mtime_ns;
  auto h = hash_file(path);
  if (!h.ok()) return std::nullopt;
  return h->sha256;
}

std::optional<nlohmann::json> parse_optional(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<std::string> read_optional(const std::string& path) {
  auto r = read_file(path);
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

std::int64_t expires_at(const std::optional<std::string>& creds) {
  auto j = parse_optional(creds);
  if (!j || !j->is_object()) return -1;
  auto o = j->find("claudeAiOauth");
  if (o == j->end() || !o->is_object()) return -1;
  auto e = o->find("expiresAt");
  return e != o->end() && e->is_number() ? e->get<std::int64_t>() : -1;
}

// Whether the container's credentials should replace the host's: only the container
// changed them, or both did and the container's expire later (the fresher login).
bool take_their_credentials(const std::optional<std::string>& base, const std::optional<std::string>& ours,
                            const std::optional<std::string>& theirs) {
  if (!theirs || theirs == ours || theirs == base) return false;
  auto parsed = parse_optional(theirs);
  if (!parsed || !parsed->is_object()) return false;  // never write back something unusable
  if (ours == base) return true;
  return expires_at(theirs) > expires_at(ours);
}

Status write_json_file(const std::string& path, const nlohmann::json& j, unsigned mode) {
  return write_file_atomically(path, j.dump(2) + "\n", mode);
}

unsigned mode_of(const std::string& path, unsigned fallback) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : fallback;
}

// Copies the complete lines of reports/<name> past `offset` to the host log, each with the
// trace id; returns the new offset and the number of lines.
std::pair<std::uint64_t, std::size_t> copy_report_lines(const std::string& src, std::uint64_t offset,
                                                        const std::string& dest, const std::string& trace_id,
                                                        const std::string& run_id,
                                                        std::vector<nlohmann::json>* parsed = nullptr) {
  auto text = read_file(src);
  if (!text.ok() || text->size() <= offset) {
    if (parsed && text.ok()) {
      for (size_t start = 0; start < text->size();) {
        size_t nl = text->find('\n', start);
        if (nl == std::string::npos) break;
        auto j = nlohmann::json::parse(text->substr(start, nl - start), nullptr, false);
        if (!j.is_discarded()) parsed->push_back(j);
        start = nl + 1;
      }
    }
    return {offset, 0};
  }
  std::vector<std::string> lines;
  std::uint64_t end = offset;
  for (size_t start = 0; start < text->size();) {
    size_t nl = text->find('\n', start);
    if (nl == std::string::npos) break;  // an incomplete line waits for the next read-back
    std::string line = text->substr(start, nl - start);
    if (parsed) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) parsed->push_back(j);
    }
    if (start >= offset) {
      std::string traced = with_trace(line, trace_id, run_id);
      if (!traced.empty()) lines.push_back(traced);
      end = nl + 1;
    }
    start = nl + 1;
  }
  if (!append_lines(dest, lines).ok()) return {offset, 0};
  return {end, lines.size()};
}

}  // namespace

bool ReadbackReport::changed() const {
  return !files_added.empty() || !files_changed.empty() || !files_deleted.empty() || !sessions_added.empty() ||
         !sessions_appended.empty() || claude_json_changed || !file_conflicts.empty() ||
         credentials.rfind("written", 0) == 0;
}

int ReadbackReport::exit_status() const {
  if (!unverifiable.empty()) return 1;
  if (!json_conflicts.empty() || !file_conflicts.empty()) return 3;
  return 0;
}

nlohmann::json ReadbackReport::to_json() const {
  nlohmann::json appended = nlohmann::json::array();
  for (const auto& [p, n] : sessions_appended) appended.push_back({{"path", p}, {"lines", n}});
  return {{"run_id", run_id},
          {"trace_id", trace_id},
          {"nothing_to_read", nothing_to_read},
          {"verified", unverifiable.empty()},
          {"unverifiable", unverifiable},
          {"files_added", files_added},
          {"files_changed", files_changed},
          {"files_deleted", files_deleted},
          {"sessions_added", sessions_added},
          {"sessions_appended", appended},
          {"claude_json_changed", claude_json_changed},
          {"json_conflicts", json_conflicts},
          {"file_conflicts", file_conflicts},
          {"skipped", skipped},
          {"credentials", credentials},
          {"backup_id", backup_id},
          {"run_report", run_report},
          {"health_events", health_events},
          {"container_exit", container_exit ? nlohmann::json(*container_exit) : nlohmann::json(nullptr)},
          {"events_copied", events_copied},
          {"metrics_copied", metrics_copied},
          {"changed", changed()},
          {"exit_status", exit_status()},
          {"seconds", seconds}};
}

std::string ReadbackReport::human() const {
  std::string s = "Read-back of run " + run_id + (exit_status() == 0 ? ": ok" : exit_status() == 1 ? ": INCOMPLETE" : ": conflicts to review") + "\n";
  if (nothing_to_read) s += "  the container wrote nothing back (no journal in its outbox)\n";
  auto list = [&](const char* what, const std::vector<std::string>& items) {
    if (items.empty()) return;
    s += "  " + std::string(what) + " (" + std::to_string(items.size()) + "):";
    for (size_t i = 0; i < items.size() && i < 8; ++i) s += " " + items[i];
    if (items.size() > 8) s += " …";
    s += "\n";
  };
  list("files added", files_added);
  list("files changed", files_changed);
  list("files deleted", files_deleted);
  list("sessions added", sessions_added);
  if (!sessions_appended.empty()) {
    std::size_t lines = 0;
    for (const auto& [p, n] : sessions_appended) lines += n;
    s += "  sessions appended (" + std::to_string(sessions_appended.size()) + "): +" + std::to_string(lines) + " lines\n";
  }
  if (claude_json_changed) s += "  .claude.json: merged\n";
  for (const auto& c : json_conflicts)
    s += "  conflict in .claude.json at " + c["pointer"].get<std::string>() + ": host " + c["ours"].dump() +
         ", container " + c["theirs"].dump() + " -> kept the container's\n";
  for (const auto& c : file_conflicts)
    s += "  conflict: " + c["path"].get<std::string>() + " changed on both sides; kept the " +
         c["kept"].get<std::string>() + "'s, the other is at " + c["other_kept_as"].get<std::string>() + "\n";
  list("skipped", skipped);
  list("NOT VERIFIED (not merged)", unverifiable);
  if (!credentials.empty()) s += "  credentials: " + credentials + "\n";
  if (!backup_id.empty()) s += "  backup taken first: " + backup_id + "\n";
  if (!changed() && !nothing_to_read) s += "  nothing to change: the host already has everything\n";
  if (run_report.is_object()) {
    s += "  health: exit " + run_report.value("exit_code", nlohmann::json()).dump() +
         ", clean stop " + run_report.value("clean_stop", nlohmann::json()).dump() +
         ", flush complete " + run_report.value("flush_complete", nlohmann::json()).dump();
    auto errors = run_report.find("errors");
    if (errors != run_report.end() && errors->is_array()) s += ", " + std::to_string(errors->size()) + " sync error(s)";
    s += "\n";
  }
  for (size_t i = 0; i < health_events.size() && i < 5; ++i)
    s += "    " + health_events[i].value("time", std::string()) + " " + health_events[i].value("event", std::string()) + "\n";
  if (container_exit) s += "  container exit status: " + std::to_string(*container_exit) + "\n";
  return s;
}

Result<ReadbackReport> Readback::run(const ReadbackOptions& options) {
  std::optional<HostLock> lock;
  if (!options.lock_held) {
    auto l = HostLock::acquire(layout_.lock_path(), "claude-host readback --run " + options.run_id, options.lock_timeout_ms);
    if (!l.ok()) {
      log_error(layout_, l.error(), "", options.run_id);
      if (auto a = readback_alert(options.run_id, "", l.error().message(), {})) alerts_.raise(*a);
      return l.error();
    }
    lock.emplace(std::move(*l));
  }
  auto report = run_locked(options.run_id);
  if (!report.ok()) {
    log_error(layout_, report.error(), "", options.run_id);
    if (auto a = readback_alert(options.run_id, "", report.error().message(), {})) alerts_.raise(*a);
    auto state = load_run_state(layout_, options.run_id);
    if (state.ok()) {
      state->state = "readback-failed";
      state->updated_at = rfc3339_utc(clock_.now_ms());
      (void)save_run_state(layout_, *state);
    }
  }
  return report;
}

Result<ReadbackReport> Readback::run_locked(const std::string& run_id) {
  auto started = std::chrono::steady_clock::now();
  ReadbackReport report;
  report.run_id = run_id;
  auto state = load_run_state(layout_, run_id);
  if (!state.ok()) {
    Error e = state.error();
    e.fix = "run `claude-host status` to see the runs there are";
    return e;
  }
  report.trace_id = state->trace_id;
  report.container_exit = state->exit_code;
  const std::string stage = layout_.stage_dir(run_id);
  const std::string outbox = layout_.outbox_dir(run_id);

  // The base: the stage as staged.
  auto manifest_text = read_file(stage + "/manifest.json");
  if (!manifest_text.ok()) return manifest_text.error();
  auto manifest = Manifest::parse(*manifest_text, stage + "/manifest.json");
  if (!manifest.ok()) return manifest.error();
  std::map<std::string, ManifestFile> base;
  for (const auto& f : manifest->files) base[f.path] = f;

  struct stat st{};
  if (::stat((outbox + "/journal.jsonl").c_str(), &st) != 0) {
    report.nothing_to_read = true;
  }
  VerifiedOutbox theirs;
  if (!report.nothing_to_read) {
    auto v = verify_outbox(outbox);
    if (!v.ok()) return v.error();
    theirs = std::move(*v);
  }
  report.unverifiable = theirs.unverifiable;

  ExcludeRules excludes = ExcludeRules::defaults();
  for (const auto& g : config_.exclude) excludes.add_pattern(g);
  auto host_path = [&](const std::string& rel) {
    return rel == ".claude.json" ? layout_.claude_json : layout_.config_dir + "/" + rel;
  };

  // Plan everything before touching anything: what changes decides whether to back up.
  struct Planned {
    enum Kind { kClaudeJson, kLog, kFile, kSymlink, kDelete } kind;
    std::string rel;
    FileAction action = FileAction::kNothing;
    const TheirEntry* t = nullptr;
  };
  std::vector<Planned> plan;
  std::optional<std::string> their_creds, base_creds;
  for (const auto& [rel, t] : theirs.entries) {
    if (rel == ".credentials.json") {
      if (!t.is_symlink) {
        auto b = their_bytes(t);
        if (b.ok()) their_creds = std::move(*b);
      }
      continue;
    }
    if (excludes.excluded(rel, false)) {
      report.skipped.push_back(rel + ": excluded");
      continue;
    }
    const std::string dest = host_path(rel);
    if (t.is_symlink) {
      auto cur = stat_entry(dest);
      if (!cur.ok()) plan.push_back({Planned::kSymlink, rel, FileAction::kTakeTheirs, &t});
      else if (cur->kind != EntryKind::kSymlink || cur->target != t.target)
        report.skipped.push_back(rel + ": the container made it a symlink, the host has something else there");
      continue;
    }
    if (rel == ".claude.json") {
      plan.push_back({Planned::kClaudeJson, rel, FileAction::kNothing, &t});
      continue;
    }
    auto cur = stat_entry(dest);
    if (cur.ok() && cur->kind != EntryKind::kFile) {
      report.skipped.push_back(rel + ": the host has a folder or symlink there");
      continue;
    }
    if (ends_with(rel, ".jsonl")) {
      plan.push_back({Planned::kLog, rel, FileAction::kNothing, &t});
      continue;
    }
    std::int64_t ours_mtime = 0;
    auto ours = hash_of(dest, &ours_mtime);
    std::optional<std::string> b = base.count(rel) ? std::optional<std::string>(base[rel].sha256) : std::nullopt;
    FileAction a = decide_file(b, ours, t.sha256, ours_mtime, t.mtime_ns);
    if (a == FileAction::kKeepOursKeepTheirs) {
      // Already kept beside it by an earlier read-back: nothing new to decide.
      auto kept = hash_of(conflict_name(dest, run_id));
      if (kept && *kept == t.sha256) a = FileAction::kNothing;
    }
    if (a != FileAction::kNothing) plan.push_back({Planned::kFile, rel, a, &t});
  }
  // Deletions: staged files the container deleted.
  for (const auto& [rel, f] : base) {
    if (rel == ".credentials.json" || rel == ".claude.json" || theirs.entries.count(rel)) continue;
    bool deleted = false;
    for (const auto& d : theirs.deleted)
      if (rel == d || (rel.size() > d.size() && rel.compare(0, d.size(), d) == 0 && rel[d.size()] == '/')) deleted = true;
    if (!deleted) continue;
    auto ours = hash_of(host_path(rel));
    FileAction a = decide_file(f.sha256, ours, std::nullopt, 0, 0);
    if (a == FileAction::kDelete) plan.push_back({Planned::kDelete, rel, a, nullptr});
    else if (a == FileAction::kKeepOursDeleted) report.skipped.push_back(rel + ": deleted in the container, changed on the host: kept");
  }
  if (base.count(".credentials.json")) base_creds = read_optional(stage + "/tree/.credentials.json");

  // Would anything change? Logs and .claude.json are checked by content below; a cheap
  // pre-check decides whether to take a backup at all.
  auto log_union_for = [&](const Planned& p) -> Result<LogUnion> {
    auto their = their_bytes(*p.t);
    if (!their.ok()) return their.error();
    std::string ours = read_optional(host_path(p.rel)).value_or("");
    return union_log_lines(ours, *their);
  };
  bool will_touch = false;
  for (const auto& p : plan) {
    if (p.kind == Planned::kLog) {
      auto u = log_union_for(p);
      if (u.ok() && u->lines_added > 0) will_touch = true;
    } else if (p.kind == Planned::kClaudeJson) {
      auto their = their_bytes(*p.t);
      auto ours = parse_optional(read_optional(layout_.claude_json));
      auto base_json = parse_optional(base.count(".claude.json") ? read_optional(stage + "/tree/.claude.json") : std::nullopt);
      auto their_json = parse_optional(their.ok() ? std::optional<std::string>(*their) : std::nullopt);
      if (their_json && merge_json_three_way(base_json, ours, their_json).merged != ours) will_touch = true;
    } else {
      will_touch = true;
    }
  }
  std::optional<std::string> our_creds;
  bool write_creds = false;
  if (their_creds) {
    auto c = credentials_.read();
    if (c.ok()) {
      our_creds = *c;
      write_creds = take_their_credentials(base_creds, our_creds, their_creds);
      will_touch = will_touch || write_creds;
    }
  }

  // Back up every host file we may touch, first: a full snapshot (unchanged files cost
  // nothing, they are shared with earlier snapshots).
  if (will_touch) {
    BackupStore backups(layout_, config_.backup_mirror, clock_);
    auto snap = backups.create("before read-back of run " + run_id);
    if (!snap.ok()) {
      Error e = snap.error();
      e.fix = "nothing was merged; free disk space or fix the backup folder, then run `claude-host readback --run " + run_id + "`";
      return e;
    }
    report.backup_id = snap->id;
    // Keep the store from growing without bound; the snapshot just taken always stays.
    (void)backups.prune(config_.backup_keep_days);
  }

  for (const auto& p : plan) {
    const std::string dest = host_path(p.rel);
    if (p.kind == Planned::kClaudeJson) {
      auto their = their_bytes(*p.t);
      if (!their.ok()) return their.error();
      auto their_json = parse_optional(*their);
      if (!their_json) {
        report.unverifiable.push_back(".claude.json: the container's copy is not valid JSON");
        continue;
      }
      std::optional<nlohmann::json> base_json;
      if (base.count(".claude.json")) {
        auto b = read_optional(stage + "/tree/.claude.json");
        if (!b || sha256_hex(*b) != base[".claude.json"].sha256) {
          report.unverifiable.push_back(".claude.json: the staged copy (the merge base) does not match its manifest");
          continue;
        }
        base_json = parse_optional(b);
      }
      // Claude Code's own lock, then re-read: a `claude` on the host may have written it
      // since we planned.
      auto cli_lock = ClaudeJsonLock::acquire(dest);
      if (!cli_lock.ok()) return cli_lock.error();
      auto ours_text = read_optional(dest);
      auto ours_json = parse_optional(ours_text);
      if (ours_text && !ours_json) {
        report.skipped.push_back(".claude.json: the host's copy is not valid JSON; fix it (or `claude-host restore`) and read back again");
        continue;
      }
      auto merged = merge_json_three_way(base_json, ours_json, their_json);
      for (const auto& c : merged.conflicts) report.json_conflicts.push_back(conflict_to_json(c));
      if (merged.merged && merged.merged != ours_json) {
        Status w = write_json_file(dest, *merged.merged, ours_text ? mode_of(dest, 0600) : 0600);
        if (!w.ok()) return w.error();
        report.claude_json_changed = true;
      }
      continue;
    }
    if (p.kind == Planned::kLog) {
      bool existed = ::access(dest.c_str(), F_OK) == 0;
      auto u = log_union_for(p);
      if (!u.ok()) return u.error();
      if (u->lines_added == 0) continue;
      Status d = make_dirs(fs::path(dest).parent_path().string(), 0700);
      if (!d.ok()) return d.error();
      Status w = write_file_atomically(dest, u->merged, existed ? mode_of(dest, 0600) : (p.t->mode & 0777));
      if (!w.ok()) return w.error();
      if (existed) report.sessions_appended.emplace_back(p.rel, u->lines_added);
      else report.sessions_added.push_back(p.rel);
      continue;
    }
    if (p.kind == Planned::kSymlink) {
      Status d = make_dirs(fs::path(dest).parent_path().string(), 0700);
      if (!d.ok()) return d.error();
      if (::symlink(p.t->target.c_str(), dest.c_str()) != 0) return Error{"create the symlink", dest, errno, "", ""};
      report.files_added.push_back(p.rel);
      continue;
    }
    if (p.kind == Planned::kDelete) {
      if (::unlink(dest.c_str()) != 0 && errno != ENOENT) return Error{"delete", dest, errno, "", ""};
      report.files_deleted.push_back(p.rel);
      continue;
    }
    // kFile
    bool existed = ::access(dest.c_str(), F_OK) == 0;
    unsigned mode = existed ? mode_of(dest, 0600) : (p.t->mode & 0777);
    Status d = make_dirs(fs::path(dest).parent_path().string(), 0700);
    if (!d.ok()) return d.error();
    std::string other = conflict_name(dest, run_id);
    if (p.action == FileAction::kTakeTheirsKeepOurs) {
      auto saved = copy_file_atomically(dest, other, mode);
      if (!saved.ok()) return saved.error();
      report.file_conflicts.push_back({{"path", p.rel}, {"kept", "container"}, {"other_kept_as", other}});
    }
    if (p.action == FileAction::kKeepOursKeepTheirs) {
      auto saved = copy_file_atomically(p.t->abs, other, mode);
      if (!saved.ok()) return saved.error();
      report.file_conflicts.push_back({{"path", p.rel}, {"kept", "host"}, {"other_kept_as", other}});
      continue;
    }
    auto copied = copy_file_atomically(p.t->abs, dest, mode);
    if (!copied.ok()) return copied.error();
    if (copied->sha256 != p.t->sha256) {
      report.unverifiable.push_back(p.rel + ": changed in the outbox while it was read");
      continue;
    }
    (existed ? report.files_changed : report.files_added).push_back(p.rel);
  }

  if (write_creds) {
    Status w = credentials_.write(*their_creds);
    if (!w.ok()) return w.error();
    report.credentials = "written back to " + credentials_.describe() + " (refreshed in the container)";
  } else if (their_creds && our_creds && *their_creds != *our_creds && *their_creds != base_creds) {
    report.credentials = "kept the host's (they are fresher than the container's)";
  }

  // The run's own reports go to the host logs, once (offsets in state.json).
  std::vector<nlohmann::json> events;
  auto [ev_off, ev_n] = copy_report_lines(outbox + "/reports/events.jsonl", state->events_applied, layout_.events_log(),
                                          report.trace_id, run_id, &events);
  auto [me_off, me_n] = copy_report_lines(outbox + "/reports/metrics.jsonl", state->metrics_applied,
                                          layout_.metrics_log(), report.trace_id, run_id);
  state->events_applied = ev_off;
  state->metrics_applied = me_off;
  report.events_copied = ev_n;
  report.metrics_copied = me_n;
  auto run_json = parse_optional(read_optional(outbox + "/reports/run.json"));
  report.run_report = run_json ? *run_json : nlohmann::json();
  static const std::set<std::string> kRoutine = {"started", "flush", "seeded", "publish"};
  for (const auto& e : events)
    if (e.is_object() && !kRoutine.count(e.value("event", ""))) report.health_events.push_back(e);

  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  state->state = report.unverifiable.empty() ? "read-back" : "readback-failed";
  state->updated_at = rfc3339_utc(clock_.now_ms());
  state->last_readback = {{"time", state->updated_at}, {"exit_status", report.exit_status()},
                          {"changed", report.changed()}, {"conflicts", report.json_conflicts.size() + report.file_conflicts.size()},
                          {"unverifiable", report.unverifiable.size()}};
  Status saved = save_run_state(layout_, *state);
  if (!saved.ok()) return saved.error();

  (void)log_event(layout_, "readback", report.trace_id, run_id,
                  {{"exit_status", report.exit_status()}, {"changed", report.changed()},
                   {"files_added", report.files_added.size()}, {"files_changed", report.files_changed.size()},
                   {"files_deleted", report.files_deleted.size()}, {"sessions_added", report.sessions_added.size()},
                   {"sessions_appended", report.sessions_appended.size()},
                   {"conflicts", report.json_conflicts.size() + report.file_conflicts.size()},
                   {"unverifiable", report.unverifiable}, {"backup_id", report.backup_id}});
  (void)append_lines(layout_.metrics_log(),
                     {nlohmann::json{{"time", rfc3339_utc(clock_.now_ms(), true)}, {"source", "claude-host"},
                                     {"metric", "readback"}, {"trace_id", report.trace_id}, {"run_id", run_id},
                                     {"seconds", report.seconds}, {"changed", report.changed()}}
                          .dump()});

  if (auto a = readback_alert(run_id, report.trace_id, std::nullopt, report.unverifiable)) alerts_.raise(*a);
  for (const auto& a : run_health_alerts(run_id, report.trace_id, report.run_report, events)) alerts_.raise(a);
  return report;
}

Result<bool> Readback::sync_credentials(const std::string& run_id) {
  auto theirs = read_optional(layout_.outbox_dir(run_id) + "/tree/.credentials.json");
  if (!theirs) return false;
  auto base = read_optional(layout_.stage_dir(run_id) + "/tree/.credentials.json");
  auto ours = credentials_.read();
  if (!ours.ok()) return ours.error();
  if (!take_their_credentials(base, *ours, theirs)) return false;
  Status w = credentials_.write(*theirs);
  if (!w.ok()) return w.error();
  return true;
}

}  // namespace claude::host
