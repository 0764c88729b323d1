#include "hostside/readback.h"

#include <libgen.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <set>

#include "core/bounded_json.h"
#include "core/credential_freshness.h"
#include "core/byte_names.h"
#include "core/exclude_rules.h"
#include "core/json_merge.h"
#include "core/manifest.h"
#include "core/readback_plan.h"
#include "core/sha256.h"
#include "hostside/backup_store.h"
#include "hostside/claude_json_lock.h"
#include "hostside/home_tree.h"
#include "hostside/host_lock.h"
#include "hostside/host_logs.h"
#include "hostside/outbox_reader.h"
#include "hostside/run_state.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

constexpr std::uint64_t kJsonBytes = 64ull << 20;       // .claude.json and other JSON merged
constexpr std::uint64_t kCredentialBytes = 1ull << 20;  // .credentials.json
constexpr std::uint64_t kReportCopyBytes = 4ull << 20;  // per report file and run, to the host logs
constexpr std::uint64_t kRunReportBytes = 1ull << 20;   // reports/run.json
constexpr std::size_t kReportLineBytes = 64 << 10;      // one line of a report

std::optional<nlohmann::json> parse_optional(const std::optional<std::string>& text,
                                             const std::string& file,
                                             std::uint64_t max = kJsonBytes) {
  if (!text) return std::nullopt;
  auto j = parse_bounded_json(*text, file, max);
  if (!j.ok()) return std::nullopt;
  return std::move(*j);
}

// Whether the container's credentials should replace the host's: the newest login wins
// (core/credential_freshness.h, the broker's rule): a later expiresAt, or the same one
// written later. An older container copy never overwrites a newer host one, and something
// that is not a login is never written back.
bool take_their_credentials(const std::optional<std::string>& ours, std::int64_t ours_ns,
                            const std::optional<std::string>& theirs, std::int64_t theirs_ns) {
  if (!theirs || theirs == ours) return false;
  CredentialInfo their_info = describe_credentials(*theirs);
  if (!their_info.parsed || !their_info.has_access_token) return false;
  return is_newer(their_info, theirs_ns, ours ? describe_credentials(*ours) : CredentialInfo{}, ours_ns);
}

std::int64_t file_mtime_ns(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

std::size_t count_lines(std::string_view bytes) {
  return static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n'));
}

// Copies the complete lines of reports/<name> past `offset` to the host log, each with the
// trace id; `copied` counts the bytes this run has added to that log, at most
// kReportCopyBytes in all. Returns the new offset and the number of lines. What is left
// past the cap is named in `capped`, a report that cannot be read in `refused`.
std::pair<std::uint64_t, std::size_t> copy_report_lines(
    const OutboxReader& outbox, const std::string& name, std::uint64_t offset,
    std::uint64_t& copied, const std::string& dest, const std::string& trace_id,
    const std::string& run_id, std::vector<std::string>& capped, std::vector<std::string>& refused,
    std::vector<nlohmann::json>* parsed = nullptr) {
  std::uint64_t budget = copied < kReportCopyBytes ? kReportCopyBytes - copied : 0;
  auto chunk = outbox.read_report(name, offset, budget);
  if (!chunk.ok()) {
    refused.push_back("reports/" + name + ": " + chunk.error().message());
    return {offset, 0};
  }
  std::vector<std::string> lines;
  std::uint64_t end = offset;
  const std::string& text = chunk->bytes;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // an incomplete line waits for the next read-back
    std::string_view line(text.data() + start, nl - start);
    start = nl + 1;
    if (line.size() > kReportLineBytes) {
      end = offset + start;
      continue;
    }
    std::string traced = with_trace(std::string(line), trace_id, run_id);
    if (!traced.empty() && traced.size() + 1 > budget)
      break;  // the cap: the rest stays in the outbox
    end = offset + start;
    if (traced.empty()) continue;
    budget -= traced.size() + 1;
    copied += traced.size() + 1;
    if (parsed) parsed->push_back(nlohmann::json::parse(traced));
    lines.push_back(std::move(traced));
  }
  if (end < chunk->file_size)
    capped.push_back(name + ": " + std::to_string(chunk->file_size - end) +
                     " bytes not copied (at most " + std::to_string(kReportCopyBytes >> 20) +
                     " MiB of each report reach the host log)");
  if (!append_lines(dest, lines).ok()) return {offset, 0};
  return {end, lines.size()};
}

std::string dirname_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}
std::string basename_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool ReadbackReport::changed() const {
  return !files_added.empty() || !files_changed.empty() || !files_deleted.empty() ||
         !sessions_added.empty() || !sessions_appended.empty() || claude_json_changed ||
         !file_conflicts.empty() || !kept_beside.empty() || credentials.rfind("written", 0) == 0;
}

int ReadbackReport::exit_status() const {
  if (!unverifiable.empty() || !refused.empty() || !quarantined.empty()) return 1;
  if (!json_conflicts.empty() || !file_conflicts.empty() || !held_deletes.empty() ||
      !kept_beside.empty())
    return 3;
  return 0;
}

nlohmann::json ReadbackReport::to_json() const {
  nlohmann::json appended = nlohmann::json::array();
  for (const auto& [p, n] : sessions_appended) appended.push_back({{"path", p}, {"lines", n}});
  return {
      {"run_id", run_id},
      {"trace_id", trace_id},
      {"nothing_to_read", nothing_to_read},
      {"verified", unverifiable.empty() && quarantined.empty()},
      {"quarantined", quarantined.empty() ? nlohmann::json(nullptr) : nlohmann::json(quarantined)},
      {"unverifiable", unverifiable},
      {"refused", refused},
      {"unjournaled", unjournaled},
      {"held_deletes", held_deletes},
      {"kept_beside", kept_beside},
      {"reports_capped", reports_capped},
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
      {"container_exit",
       container_exit ? nlohmann::json(*container_exit) : nlohmann::json(nullptr)},
      {"events_copied", events_copied},
      {"metrics_copied", metrics_copied},
      {"changed", changed()},
      {"exit_status", exit_status()},
      {"seconds", seconds}};
}

std::string ReadbackReport::human() const {
  const int status = exit_status();
  std::string s = "Read-back of run " + run_id +
                  (!quarantined.empty() ? ": QUARANTINED"
                   : status == 0        ? ": ok"
                   : status == 1        ? ": INCOMPLETE"
                                        : ": to review") +
                  "\n";
  if (!quarantined.empty())
    s += "  " + quarantined +
         "\n  the run is kept as it is and no longer read back by `claude-host stage`; after "
         "looking at it,\n"
         "  `claude-host readback --run " +
         run_id + "` tries again\n";
  if (nothing_to_read) s += "  the container wrote nothing back (no journal in its outbox)\n";
  auto list = [&](const char* what, const std::vector<std::string>& items, std::size_t show = 8) {
    if (items.empty()) return;
    s += "  " + std::string(what) + " (" + std::to_string(items.size()) + "):";
    for (size_t i = 0; i < items.size() && i < show; ++i)
      s += (show > 8 ? "\n    " : " ") + items[i];
    if (items.size() > show) s += " …";
    s += "\n";
  };
  list("files added", files_added);
  list("files changed", files_changed);
  list("files deleted", files_deleted);
  list("sessions added", sessions_added);
  if (!sessions_appended.empty()) {
    std::size_t lines = 0;
    for (const auto& [p, n] : sessions_appended) lines += n;
    s += "  sessions appended (" + std::to_string(sessions_appended.size()) + "): +" +
         std::to_string(lines) + " lines\n";
  }
  if (claude_json_changed) s += "  .claude.json: merged\n";
  for (const auto& c : json_conflicts)
    s += "  conflict in .claude.json at " + c["pointer"].get<std::string>() + ": host " +
         dump_json(c["ours"]) + ", container " + dump_json(c["theirs"]) +
         " -> kept the container's\n";
  for (const auto& c : file_conflicts)
    s += "  conflict: " + c["path"].get<std::string>() + " changed on both sides; kept the " +
         c["kept"].get<std::string>() + "'s, the other is at " +
         c["other_kept_as"].get<std::string>() + "\n";
  for (const auto& k : kept_beside)
    s += "  not merged: " + k["path"].get<std::string>() + " (" + k["why"].get<std::string>() +
         "); the container's copy is at " + k["kept_as"].get<std::string>() + "\n";
  if (!held_deletes.empty()) {
    s += "  deletions HELD (" + std::to_string(held_deletes.size()) +
         "): the container deleted these; nothing was deleted.\n"
         "    To apply them: claude-host readback --run " +
         run_id + " --accept-deletes\n";
    for (size_t i = 0; i < held_deletes.size() && i < 8; ++i) s += "    " + held_deletes[i] + "\n";
    if (held_deletes.size() > 8) s += "    …\n";
  }
  list(
      "not merged: published after the journal's last record, then the init was killed (kept in "
      "the outbox)",
      unjournaled);
  list("skipped", skipped);
  list("REFUSED (not written, for your home's safety)", refused, 20);
  list("NOT VERIFIED (not merged; kept in the outbox)", unverifiable, 20);
  list("reports", reports_capped);
  if (!credentials.empty()) s += "  credentials: " + credentials + "\n";
  if (!backup_id.empty()) s += "  backup taken first: " + backup_id + "\n";
  if (!changed() && !nothing_to_read && quarantined.empty())
    s += "  nothing to change: the host already has everything\n";
  if (run_report.is_object()) {
    s += "  health: exit " + dump_json(run_report.value("exit_code", nlohmann::json())) +
         ", clean stop " + dump_json(run_report.value("clean_stop", nlohmann::json())) +
         ", flush complete " + dump_json(run_report.value("flush_complete", nlohmann::json()));
    auto errors = run_report.find("errors");
    if (errors != run_report.end() && errors->is_array())
      s += ", " + std::to_string(errors->size()) + " sync error(s)";
    s += "\n";
  }
  for (size_t i = 0; i < health_events.size() && i < 5; ++i)
    s += "    " + health_events[i].value("time", std::string()) + " " +
         health_events[i].value("event", std::string()) + "\n";
  if (container_exit) s += "  container exit status: " + std::to_string(*container_exit) + "\n";
  return s;
}

Result<ReadbackReport> Readback::run(const ReadbackOptions& options) {
  std::optional<HostLock> lock;
  if (!options.lock_held) {
    auto l = HostLock::acquire(layout_.lock_path(), "claude-host readback --run " + options.run_id,
                               options.lock_timeout_ms);
    if (!l.ok()) {
      log_error(layout_, l.error(), "", options.run_id);
      if (auto a = readback_alert(options.run_id, "", l.error().message(), {})) alerts_.raise(*a);
      return l.error();
    }
    lock.emplace(std::move(*l));
  }
  auto report = run_locked(options);
  if (!report.ok()) {
    log_error(layout_, report.error(), "", options.run_id);
    if (auto a = readback_alert(options.run_id, "", report.error().message(), {}))
      alerts_.raise(*a);
    auto state = load_run_state(layout_, options.run_id);
    // An outbox the user cannot read is not the run's fault: it stays pending as it was.
    bool unreadable = report.error().sys_errno == EACCES || report.error().sys_errno == EPERM;
    if (state.ok() && state->state != "quarantined" && !unreadable) {
      state->state = "readback-failed";
      state->updated_at = rfc3339_utc(clock_.now_ms());
      (void)save_run_state(layout_, *state);
    }
  }
  return report;
}

Result<ReadbackReport> Readback::run_locked(const ReadbackOptions& options) {
  const std::string& run_id = options.run_id;
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
  const nlohmann::json state_before = state->to_json();

  // The base: the stage as staged (written by this host, mounted read-only in the container).
  auto manifest_text = read_file(stage + "/manifest.json");
  if (!manifest_text.ok()) return manifest_text.error();
  auto manifest = Manifest::parse(*manifest_text, stage + "/manifest.json");
  if (!manifest.ok()) return manifest.error();
  std::map<std::string, StagedFile> staged;
  for (const auto& f : manifest->files) staged[f.path] = {f.size, f.sha256};

  auto finish_state = [&](const std::string& new_state) -> Status {
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state->state = new_state;
    state->updated_at = rfc3339_utc(clock_.now_ms());
    nlohmann::json summary = {
        {"exit_status", report.exit_status()},
        {"changed", report.changed()},
        {"conflicts", report.json_conflicts.size() + report.file_conflicts.size()},
        {"held_deletes", report.held_deletes.size()},
        {"unverifiable", report.unverifiable.size()}};
    // A read-back that changes nothing leaves even the run's state as it was (its time
    // included), so that reading a run back again is truly a no-op.
    nlohmann::json was = state_before.value("last_readback", nlohmann::json());
    if (was.is_object()) was.erase("time");
    nlohmann::json same = state->to_json();
    same["last_readback"] = summary;
    same["updated_at"] = state_before.value("updated_at", "");
    nlohmann::json before = state_before;
    before["last_readback"] = was;
    if (same == before) return Ok{};
    summary["time"] = state->updated_at;
    state->last_readback = summary;
    return save_run_state(layout_, *state);
  };
  // A run whose outbox cannot be trusted as a whole: nothing merged, named, set aside.
  auto quarantine = [&](const std::string& why) -> Result<ReadbackReport> {
    report.quarantined = why;
    state->quarantine_reason = why;
    if (Status s = finish_state("quarantined"); !s.ok()) return s.error();
    (void)log_event(layout_, "quarantined", report.trace_id, run_id, {{"reason", why}});
    if (auto a = readback_alert(run_id, report.trace_id, "run quarantined: " + why, {}))
      alerts_.raise(*a);
    return report;
  };

  // 1. Plan. The container's side, read as hostile input.
  std::optional<OutboxReader> outbox;
  VerifiedOutbox theirs;
  {
    auto opened = OutboxReader::open(layout_.run_dir(run_id));
    if (!opened.ok()) {
      int err = opened.error().sys_errno;
      if (err == ENOENT)
        report.nothing_to_read = true;
      else if (err == EACCES || err == EPERM)
        return opened.error();
      else
        return quarantine(opened.error().message());
    } else {
      outbox.emplace(std::move(*opened));
      auto has = outbox->has_journal();
      if (!has.ok()) return has.error();
      if (!*has) {
        report.nothing_to_read = true;
      } else {
        auto v = outbox->verify();
        if (!v.ok()) {
          if (v.error().sys_errno == EACCES || v.error().sys_errno == EPERM) return v.error();
          return quarantine(v.error().message());
        }
        theirs = std::move(*v);
      }
    }
  }
  report.unverifiable = theirs.unverifiable;
  // Files published after the journal's last write and never journaled are never merged
  // (no byte of them can be checked). An init killed between a rename and its record
  // leaves such files (the last group's): then they are the changes a kill may lose, named
  // in the report. From an init that stopped cleanly (its final report says the flush
  // completed) they can only have been written around it: the run is quarantined.
  if (!theirs.unjournaled.empty()) {
    bool stopped_cleanly = false;
    if (outbox) {
      auto run_json = outbox->read_report("run.json", 0, kRunReportBytes);
      if (run_json.ok() && !run_json->bytes.empty()) {
        auto parsed = parse_bounded_json(run_json->bytes, "run.json", kRunReportBytes);
        stopped_cleanly =
            parsed.ok() && parsed->is_object() && parsed->value("flush_complete", false) == true;
      }
    }
    for (const auto& [rel, t] : theirs.unjournaled) {
      if (stopped_cleanly)
        report.unverifiable.push_back(rel + ": " + (t.is_symlink ? "a symlink, " : "") +
                                      "not what its journal records (the init stopped cleanly, so "
                                      "nothing it published is unjournaled)");
      else
        report.unjournaled.push_back(rel);
    }
  }

  // The host's side, looked at beneath the config folder only.
  auto config = HomeTree::open(layout_.config_dir);
  if (!config.ok()) return config.error();
  std::optional<HomeTree> json_home;
  std::string json_rel = ".claude.json";
  if (!layout_.custom_config_dir) {
    auto h = HomeTree::open(dirname_of(layout_.claude_json));
    if (!h.ok()) return h.error();
    json_home.emplace(std::move(*h));
    json_rel = basename_of(layout_.claude_json);
  }
  const HomeTree& json_tree = json_home ? *json_home : *config;

  // A read-back killed while it held Claude Code's lock on .claude.json left it behind.
  ClaudeJsonLock::clear_abandoned(layout_.claude_json);
  // A read-back killed between a write and the ledger's update: was the write made?
  for (const auto& [path, intent] : state->intents) {
    const HomeTree& t = path == ".claude.json" ? json_tree : *config;
    auto now = t.look(path == ".claude.json" ? json_rel : path);
    if (!now.ok()) continue;
    bool done = false;
    if (intent.applied.deleted)
      done = now->kind == HostEntry::kAbsent;
    else if (intent.size_after > 0)
      done = now->kind == HostEntry::kFile && now->size == intent.size_after &&
             t.prefix_sha256(path, intent.size_before).value_or("") == intent.sha_before;
    else
      done = now->kind == HostEntry::kFile && now->sha256 == intent.after_sha256;
    if (done) state->applied[path] = intent.applied;
  }
  state->intents.clear();

  ExcludeRules excludes = ExcludeRules::defaults();
  for (const auto& g : config_.exclude) excludes.add_pattern(g);
  ReadbackInput in;
  in.staged = staged;
  in.deleted = theirs.deleted;
  in.applied = state->applied;
  in.accept_deletes = options.accept_deletes;
  in.excluded = [&](const std::string& p) { return excludes.excluded(p, false); };
  for (auto& [rel, t] : theirs.entries) {
    if (!is_valid_utf8(rel)) {
      report.refused.push_back(
          dump_json(rel) +
          ": a name that is not UTF-8; not written into your home (it stays in "
          "the outbox)");
      continue;
    }
    if (rel == ".claude.json" || rel == ".credentials.json") {
      in.theirs[rel] = t;
      continue;
    }
    auto host = config->look(rel);
    if (!host.ok()) {
      report.refused.push_back(rel + ": " + host.error().message());
      continue;
    }
    auto st = staged.find(rel);
    if (!t.is_symlink && is_session_log(rel)) {
      if (st != staged.end())
        t.starts_with_staged =
            outbox->prefix_sha256(rel, st->second.size).value_or("") == st->second.sha256;
      else if (host->kind == HostEntry::kFile && host->size <= t.size)
        host->prefix_of_theirs =
            outbox->prefix_sha256(rel, host->size).value_or("") == host->sha256;
    } else if (!t.is_symlink && host->kind == HostEntry::kFile) {
      auto kept = config->look(conflict_name(rel, run_id));
      if (kept.ok() && kept->kind == HostEntry::kFile) host->conflict_copy_sha256 = kept->sha256;
    }
    in.theirs[rel] = t;
    in.host[rel] = *host;
  }
  for (const auto& [rel, f] : staged) {
    if (in.host.count(rel) || rel == ".claude.json") continue;
    bool gone = std::any_of(theirs.deleted.begin(), theirs.deleted.end(),
                            [&p = rel](const std::string& d) { return is_same_or_under(p, d); });
    if (!gone) continue;
    auto host = config->look(rel);
    if (host.ok()) in.host[rel] = *host;
  }
  ReadbackPlan plan = plan_readback(in);

  // The contents each writing step needs, read (and checked against the journal) before
  // anything is written; .claude.json merged now, so that its result is known.
  struct Prepared {
    std::string bytes;
    RunState::Intent intent;
  };
  std::map<std::string, Prepared> prepared;
  std::optional<std::string> their_creds, base_creds, our_creds;
  bool write_creds = false;
  std::optional<nlohmann::json> merged_json, base_json, their_json;
  bool will_touch = false;
  for (auto& s : plan.steps) {
    const TheirEntry* t = in.theirs.count(s.path) ? &in.theirs.at(s.path) : nullptr;
    const HostEntry host = in.host.count(s.path) ? in.host.at(s.path) : HostEntry{};
    switch (s.kind) {
      case StepKind::kSkip:
        // Something else where the container left a file (a folder, a link, a link leading
        // out): not written, and the run needs a look. Excluded paths and host edits that
        // win are routine.
        (s.detail.find("the host has") != std::string::npos ? report.refused : report.skipped)
            .push_back(s.path + ": " + s.detail);
        continue;
      case StepKind::kHoldDelete:
        report.held_deletes.push_back(s.path);
        continue;
      case StepKind::kSymlink:
        will_touch = true;
        continue;
      case StepKind::kDelete:
        prepared[s.path].intent = {"", 0, 0, "", s.applied};
        will_touch = true;
        continue;
      case StepKind::kCredentials: {
        OutboxLimits small;
        small.in_memory = kCredentialBytes;
        auto b = outbox->read_verified(s.path, *t, 0, small);
        if (!b.ok()) {
          report.unverifiable.push_back(s.path + ": " + b.error().message());
          s.kind = StepKind::kSkip;
          continue;
        }
        if (auto parsed = parse_bounded_json(*b, outbox->path() + "/tree/.credentials.json",
                                             kCredentialBytes);
            !parsed.ok() || !parsed->is_object()) {
          report.unverifiable.push_back(
              ".credentials.json: " +
              (parsed.ok() ? std::string("not a JSON object") : parsed.error().message()));
          s.kind = StepKind::kSkip;
          continue;
        }
        their_creds = std::move(*b);
        if (staged.count(".credentials.json")) {
          auto b0 = read_file(stage + "/tree/.credentials.json");
          if (b0.ok()) base_creds = std::move(*b0);
        }
        auto c = credentials_.read();
        if (c.ok()) {
          our_creds = *c;
          write_creds = take_their_credentials(our_creds, credentials_.written_ns(), their_creds,
                                               file_mtime_ns(outbox->path() + "/tree/.credentials.json"));
          will_touch = will_touch || write_creds;
        }
        continue;
      }
      case StepKind::kMergeClaudeJson: {
        auto b = outbox->read_verified(s.path, *t, 0);
        auto parsed_theirs =
            b.ok() ? parse_bounded_json(*b, outbox->path() + "/tree/.claude.json", kJsonBytes)
                   : Result<nlohmann::json>(b.error());
        if (parsed_theirs.ok() && !parsed_theirs->is_object())
          parsed_theirs =
              Error{"read JSON", outbox->path() + "/tree/.claude.json", 0, "not a JSON object", ""};
        if (!parsed_theirs.ok()) {
          report.unverifiable.push_back(".claude.json: " + parsed_theirs.error().message());
          s.kind = StepKind::kSkip;
          continue;
        }
        their_json = std::move(*parsed_theirs);
        // The base: what this run last gave the host (an earlier read-back's copy), else the stage.
        const AppliedEntry* applied =
            state->applied.count(".claude.json") ? &state->applied.at(".claude.json") : nullptr;
        std::optional<std::string> base_text;
        if (applied) {
          auto a = read_file(layout_.run_dir(run_id) + "/claude-json.applied");
          if (a.ok() && sha256_hex(*a) == applied->sha256) base_text = std::move(*a);
        } else if (staged.count(".claude.json")) {
          auto a = read_file(stage + "/tree/.claude.json");
          if (!a.ok() || sha256_hex(*a) != staged[".claude.json"].sha256) {
            report.unverifiable.push_back(
                ".claude.json: the staged copy (the merge base) does not match its manifest");
            s.kind = StepKind::kSkip;
            continue;
          }
          base_text = std::move(*a);
        }
        base_json = parse_optional(base_text, stage + "/tree/.claude.json");
        auto ours = json_tree.read(json_rel, kJsonBytes);
        if (!ours.ok() && ours.error().sys_errno != ENOENT) {
          report.skipped.push_back(".claude.json: " + ours.error().message());
          s.kind = StepKind::kSkip;
          continue;
        }
        std::optional<nlohmann::json> ours_json;
        if (ours.ok()) {
          auto parsed = parse_bounded_json(*ours, layout_.claude_json, kJsonBytes);
          if (!parsed.ok()) {
            report.skipped.push_back(".claude.json: the host's copy cannot be merged (" +
                                     parsed.error().detail +
                                     "); fix it (or `claude-host restore`) and read back again");
            s.kind = StepKind::kSkip;
            continue;
          }
          ours_json = std::move(*parsed);
        }
        auto merged = merge_json_three_way(base_json, ours_json, their_json);
        prepared[s.path].bytes = *b;  // theirs, kept as the next read-back's base
        if (merged.merged && merged.merged != ours_json) {
          merged_json = std::move(merged.merged);
          prepared[s.path].intent = {sha256_hex(dump_json_text(*merged_json, 2) + "\n"), 0, 0, "",
                                     s.applied};
          will_touch = true;
        } else {
          for (const auto& c : merged.conflicts)
            report.json_conflicts.push_back(conflict_to_json(c));
        }
        continue;
      }
      case StepKind::kAppendLog: {
        auto b = outbox->read_verified(s.path, *t, s.from);
        if (!b.ok()) {
          report.unverifiable.push_back(s.path + ": " + b.error().message());
          s.kind = StepKind::kSkip;
          continue;
        }
        prepared[s.path] = {std::move(*b),
                            {"", host.size, host.size + (s.to - s.from), host.sha256, s.applied}};
        will_touch = true;
        continue;
      }
      default: {  // a whole file of theirs, somewhere
        auto b = outbox->read_verified(s.path, *t, 0);
        if (!b.ok()) {
          report.unverifiable.push_back(s.path + ": " + b.error().message());
          s.kind = StepKind::kSkip;
          continue;
        }
        if (s.path.size() > 5 && s.path.compare(s.path.size() - 5, 5, ".json") == 0) {
          auto parsed = parse_bounded_json(*b, outbox->path() + "/tree/" + s.path, kJsonBytes);
          if (!parsed.ok()) {
            report.unverifiable.push_back(s.path + ": " + parsed.error().detail);
            s.kind = StepKind::kSkip;
            continue;
          }
        }
        // A copy kept beside leaves the host's file as it is: writing it again is harmless,
        // so it needs no intent.
        std::string after =
            s.kind == StepKind::kKeepTheirsAsConflict || s.kind == StepKind::kKeepTheirsBeside
                ? std::string()
                : t->sha256;
        prepared[s.path] = {std::move(*b), {after, 0, 0, "", s.applied}};
        will_touch = true;
        continue;
      }
    }
  }

  // 2. Back up every host file we may touch, first: a full snapshot (unchanged files cost
  // nothing, they are shared with earlier snapshots).
  if (will_touch) {
    BackupStore backups(layout_, config_.backup_mirror, clock_);
    auto snap = backups.create("before read-back of run " + run_id);
    if (!snap.ok()) {
      Error e = snap.error();
      e.fix =
          "nothing was merged; free disk space or fix the backup folder, then run `claude-host "
          "readback --run " +
          run_id + "`";
      return e;
    }
    report.backup_id = snap->id;
    // Keep the store from growing without bound; the snapshot just taken always stays.
    (void)backups.prune(config_.backup_keep_days);
  }

  // 3. Apply. The intents first (one durable write), then each step, then the ledger.
  for (const auto& [path, p] : prepared)
    if (!p.intent.after_sha256.empty() || p.intent.size_after > 0 || p.intent.applied.deleted)
      state->intents[path] = p.intent;
  if (!state->intents.empty())
    if (Status s = save_run_state(layout_, *state); !s.ok()) return s.error();

  auto changed_meanwhile = [&](const ReadbackStep& s, const Status& st) {
    if (st.ok() || st.error().sys_errno != EAGAIN) return false;
    report.skipped.push_back(
        s.path + ": changed on the host while read-back ran; read back again to merge it");
    return true;
  };
  for (const auto& s : plan.steps) {
    auto found = prepared.find(s.path);
    const std::string* bytes = found == prepared.end() ? nullptr : &found->second.bytes;
    const TheirEntry* t = in.theirs.count(s.path) ? &in.theirs.at(s.path) : nullptr;
    const HostEntry host = in.host.count(s.path) ? in.host.at(s.path) : HostEntry{};
    const unsigned new_mode = t ? (t->mode & 0755) | 0600 : 0600;
    Status done = Ok{};
    switch (s.kind) {
      case StepKind::kSkip:
      case StepKind::kHoldDelete:
        continue;
      case StepKind::kCredentials:
        if (write_creds) {
          done = credentials_.write(*their_creds);
          if (!done.ok()) return done.error();
          report.credentials =
              "written back to " + credentials_.describe() + " (refreshed in the container)";
        } else if (their_creds && our_creds && *their_creds != *our_creds &&
                   their_creds != base_creds) {
          report.credentials = "kept the host's (they are fresher than the container's)";
        }
        break;
      case StepKind::kMergeClaudeJson: {
        if (merged_json) {
          // Claude Code's own lock, then a re-read: a `claude` on the host may have written it
          // since.
          auto cli_lock = ClaudeJsonLock::acquire(layout_.claude_json);
          if (!cli_lock.ok()) return cli_lock.error();
          auto now = json_tree.read(json_rel, kJsonBytes);
          std::optional<nlohmann::json> now_json;
          if (now.ok()) {
            auto parsed = parse_bounded_json(*now, layout_.claude_json, kJsonBytes);
            if (!parsed.ok()) {
              report.skipped.push_back(".claude.json: the host's copy cannot be merged (" +
                                       parsed.error().detail +
                                       "); fix it (or `claude-host restore`) and read back again");
              continue;
            }
            now_json = std::move(*parsed);
          }
          auto merged = merge_json_three_way(base_json, now_json, their_json);
          for (const auto& c : merged.conflicts)
            report.json_conflicts.push_back(conflict_to_json(c));
          if (merged.merged && merged.merged != now_json) {
            auto mode = json_tree.look(json_rel);
            done = json_tree.write(json_rel, dump_json_text(*merged.merged, 2) + "\n",
                                   mode.ok() && mode->kind == HostEntry::kFile ? mode->mode : 0600);
            if (!done.ok()) return done.error();
            report.claude_json_changed = true;
          }
        }
        // Theirs, as the base of a later read-back of this run.
        Status kept =
            write_file_atomically(layout_.run_dir(run_id) + "/claude-json.applied", *bytes, 0600);
        if (!kept.ok()) return kept.error();
        break;
      }
      case StepKind::kAppendLog:
        done = config->append(s.path, *bytes, host.size);
        if (changed_meanwhile(s, done)) continue;
        if (!done.ok()) return done.error();
        report.sessions_appended.emplace_back(s.path, count_lines(*bytes));
        break;
      case StepKind::kCreate:
        done = config->write(s.path, *bytes, new_mode);
        if (!done.ok()) return done.error();
        (is_session_log(s.path) ? report.sessions_added : report.files_added).push_back(s.path);
        break;
      case StepKind::kReplace:
        done = config->write(s.path, *bytes, host.mode);
        if (!done.ok()) return done.error();
        report.files_changed.push_back(s.path);
        break;
      case StepKind::kReplaceKeepHost: {
        std::string other = conflict_name(s.path, run_id);
        done = config->copy(s.path, other);
        if (done.ok()) done = config->write(s.path, *bytes, host.mode);
        if (!done.ok()) return done.error();
        report.file_conflicts.push_back({{"path", s.path},
                                         {"kept", "container"},
                                         {"other_kept_as", config->root() + "/" + other}});
        break;
      }
      case StepKind::kKeepTheirsAsConflict: {
        std::string other = conflict_name(s.path, run_id);
        done = config->write(other, *bytes, host.mode);
        if (!done.ok()) return done.error();
        report.file_conflicts.push_back(
            {{"path", s.path}, {"kept", "host"}, {"other_kept_as", config->root() + "/" + other}});
        break;
      }
      case StepKind::kKeepTheirsBeside: {
        std::string other = container_copy_name(s.path, run_id);
        done = config->write(other, *bytes, new_mode);
        if (!done.ok()) return done.error();
        report.kept_beside.push_back(
            {{"path", s.path}, {"kept_as", config->root() + "/" + other}, {"why", s.detail}});
        break;
      }
      case StepKind::kSymlink:
        done = config->symlink(s.path, t->target);
        if (!done.ok()) {
          report.refused.push_back(s.path + ": " + done.error().message());
          continue;
        }
        report.files_added.push_back(s.path);
        break;
      case StepKind::kDelete: {
        auto now = config->look(s.path);
        if (!now.ok() || now->kind != HostEntry::kFile || now->sha256 != staged[s.path].sha256) {
          report.skipped.push_back(s.path + ": changed on the host while read-back ran: kept");
          continue;
        }
        done = config->remove(s.path);
        if (!done.ok()) return done.error();
        report.files_deleted.push_back(s.path);
        break;
      }
    }
    state->applied[s.path] = s.applied;
  }
  state->intents.clear();

  // The run's own reports go to the host logs, once and capped (offsets in state.json).
  std::vector<nlohmann::json> events;
  if (outbox) {
    auto [ev_off, ev_n] =
        copy_report_lines(*outbox, "events.jsonl", state->events_applied,
                          state->events_bytes_copied, layout_.events_log(), report.trace_id, run_id,
                          report.reports_capped, report.refused, &events);
    auto [me_off, me_n] = copy_report_lines(
        *outbox, "metrics.jsonl", state->metrics_applied, state->metrics_bytes_copied,
        layout_.metrics_log(), report.trace_id, run_id, report.reports_capped, report.refused);
    state->events_applied = ev_off;
    state->metrics_applied = me_off;
    report.events_copied = ev_n;
    report.metrics_copied = me_n;
    auto run_json = outbox->read_report("run.json", 0, kRunReportBytes + 1);
    if (!run_json.ok()) {
      report.refused.push_back("reports/run.json: " + run_json.error().message());
    } else if (run_json->file_size > kRunReportBytes) {
      report.refused.push_back("reports/run.json: larger than " + std::to_string(kRunReportBytes) +
                               " bytes; not read");
    } else if (!run_json->bytes.empty()) {
      auto parsed = parse_bounded_json(run_json->bytes, outbox->path() + "/reports/run.json",
                                       kRunReportBytes);
      if (!parsed.ok())
        report.refused.push_back("reports/run.json: " + parsed.error().detail);
      else if (!parsed->is_object())
        report.reports_capped.push_back("run.json: not a run report (not a JSON object)");
      else
        report.run_report = std::move(*parsed);
    }
  }
  static const std::set<std::string> kRoutine = {"started", "flush", "seeded", "publish"};
  for (const auto& e : events)
    if (e.is_object() && !kRoutine.count(e.value("event", ""))) report.health_events.push_back(e);

  bool untrusted = !report.unverifiable.empty();
  if (untrusted) {
    report.quarantined = "run " + run_id + ": " + std::to_string(report.unverifiable.size()) +
                         " outbox entr" + (report.unverifiable.size() == 1 ? "y" : "ies") +
                         " did not verify (first: " + report.unverifiable.front() +
                         "); what verified was merged";
    state->quarantine_reason = report.quarantined;
  } else {
    state->quarantine_reason.clear();
  }
  if (Status s = finish_state(untrusted ? "quarantined" : "read-back"); !s.ok()) return s.error();

  (void)log_event(layout_, "readback", report.trace_id, run_id,
                  {{"exit_status", report.exit_status()},
                   {"changed", report.changed()},
                   {"files_added", report.files_added.size()},
                   {"files_changed", report.files_changed.size()},
                   {"files_deleted", report.files_deleted.size()},
                   {"sessions_added", report.sessions_added.size()},
                   {"sessions_appended", report.sessions_appended.size()},
                   {"conflicts", report.json_conflicts.size() + report.file_conflicts.size()},
                   {"held_deletes", report.held_deletes.size()},
                   {"quarantined", !report.quarantined.empty()},
                   {"unverifiable", report.unverifiable},
                   {"refused", report.refused},
                   {"backup_id", report.backup_id}});
  (void)append_lines(layout_.metrics_log(),
                     {dump_json(nlohmann::json{{"time", rfc3339_utc(clock_.now_ms(), true)},
                                               {"source", "claude-host"},
                                               {"metric", "readback"},
                                               {"trace_id", report.trace_id},
                                               {"run_id", run_id},
                                               {"seconds", report.seconds},
                                               {"changed", report.changed()}})});

  std::vector<std::string> problems = report.unverifiable;
  problems.insert(problems.end(), report.refused.begin(), report.refused.end());
  if (auto a = readback_alert(run_id, report.trace_id, std::nullopt, problems)) alerts_.raise(*a);
  for (const auto& a : run_health_alerts(run_id, report.trace_id, report.run_report, events))
    alerts_.raise(a);
  return report;
}

}  // namespace claude::host
