#include "hostside/readback.h"

#include <libgen.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <set>

#include "core/bounded_json.h"
#include "core/byte_names.h"
#include "core/credential_freshness.h"
#include "core/exclude_rules.h"
#include "core/formats.h"
#include "core/json_merge.h"
#include "core/manifest.h"
#include "core/path_names.h"
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
#include "platform/file_time.h"

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
// `implausible` is implausible_container_login's word on theirs: a login no refresh wrote
// is never taken (core/credential_freshness.h).
bool take_their_credentials(const std::optional<std::string>& ours, std::int64_t ours_ns,
                            const std::string& theirs, const CredentialInfo& their_info,
                            std::int64_t theirs_ns, std::string_view implausible) {
  if (theirs == ours || !implausible.empty()) return false;
  return is_newer(their_info, theirs_ns, ours ? describe_credentials(*ours) : CredentialInfo{},
                  ours_ns);
}

std::int64_t file_mtime_ns(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return mtime_ns(st);
}

std::size_t count_lines(std::string_view bytes) {
  return static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '\n'));
}

// Copies the complete lines of reports/<name> past `offset` to the host log, each with the
// trace id; `copied` counts the bytes this run has added to that log, at most
// kReportCopyBytes in all. Returns the new offset and the number of lines. What is left
// past the cap is named in `capped`, a report that cannot be read in `refused`.
std::pair<std::uint64_t, std::size_t> copy_report_lines(
    const OutboxReader& outbox, std::string_view name, std::uint64_t offset,
    std::uint64_t& copied, const std::string& dest, const std::string& trace_id,
    const std::string& run_id, std::vector<std::string>& capped, std::vector<std::string>& refused,
    std::vector<nlohmann::json>* parsed = nullptr) {
  std::uint64_t budget = copied < kReportCopyBytes ? kReportCopyBytes - copied : 0;
  auto chunk = outbox.read_report(name, offset, budget);
  if (!chunk.ok()) {
    refused.push_back(join_path(kReportsDirName, name) + ": " + chunk.error().message());
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
    capped.push_back(std::string(name) + ": " + std::to_string(chunk->file_size - end) +
                     " bytes not copied (at most " + std::to_string(kReportCopyBytes >> 20) +
                     " MiB of each report reach the host log)");
  if (!append_lines(dest, lines).ok()) return {offset, 0};
  return {end, lines.size()};
}

std::string dirname_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

bool ReadbackReport::changed() const {
  return !files_added.empty() || !files_changed.empty() || !files_deleted.empty() ||
         !sessions_added.empty() || !sessions_appended.empty() || claude_json_changed ||
         !file_conflicts.empty() || !kept_beside.empty() || credentials.starts_with("written");
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

// One read-back of one run: plan -> backup -> apply, the steps sharing what they found.
class Readback::Run {
 public:
  Run(Readback& rb, const ReadbackOptions& options)
      : rb_(rb),
        options_(options),
        run_id_(options.run_id),
        started_(std::chrono::steady_clock::now()) {}

  Result<ReadbackReport> go() {
    if (Status s = load(); !s.ok()) return s.error();
    // 1. Plan: the container's side read as hostile input, the host's side looked at,
    // the decisions (core/readback_plan.h), the bytes each step writes read and checked.
    if (Status s = read_outbox(); !s.ok()) return s.error();
    if (set_aside_) return quarantine(*set_aside_);
    if (Status s = plan_steps(); !s.ok()) return s.error();
    if (Status s = prepare(); !s.ok()) return s.error();
    // 2. Back up every host file that may be touched, first.
    if (Status s = backup(); !s.ok()) return s.error();
    // 3. Apply: the intents first (one durable write), then each step, then the ledger.
    if (Status s = apply(); !s.ok()) return s.error();
    copy_reports();
    return finish();
  }

 private:
  // The contents a writing step needs, read (and checked against the journal) before
  // anything is written.
  struct Prepared {
    std::string bytes;
    RunState::Intent intent;
  };

  // The run's state and the base: the stage as staged (written by this host, mounted
  // read-only in the container).
  Status load() {
    report_.run_id = run_id_;
    auto state = load_run_state(rb_.layout_, run_id_);
    if (!state.ok()) {
      Error e = state.error();
      e.fix = "run `claude-host status` to see the runs there are";
      return e;
    }
    state_.emplace(std::move(*state));
    report_.trace_id = state_->trace_id;
    report_.container_exit = state_->exit_code;
    stage_ = rb_.layout_.stage_dir(run_id_);
    state_before_ = state_->to_json();
    auto manifest_text = read_file(join_path(stage_, kManifestFileName));
    if (!manifest_text.ok()) return manifest_text.error();
    auto manifest = Manifest::parse(*manifest_text, join_path(stage_, kManifestFileName));
    if (!manifest.ok()) return manifest.error();
    for (const auto& f : manifest->files) staged_[f.path] = {f.size, f.sha256};
    return Ok{};
  }

  Status finish_state(const std::string& new_state) {
    report_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    state_->state = new_state;
    state_->updated_at = rfc3339_utc(rb_.clock_.now_ms());
    nlohmann::json summary = {
        {"exit_status", report_.exit_status()},
        {"changed", report_.changed()},
        {"conflicts", report_.json_conflicts.size() + report_.file_conflicts.size()},
        {"held_deletes", report_.held_deletes.size()},
        {"unverifiable", report_.unverifiable.size()}};
    // A read-back that changes nothing leaves even the run's state as it was (its time
    // included), so that reading a run back again is truly a no-op.
    nlohmann::json was = state_before_.value("last_readback", nlohmann::json());
    if (was.is_object()) was.erase("time");
    nlohmann::json same = state_->to_json();
    same["last_readback"] = summary;
    same["updated_at"] = state_before_.value("updated_at", "");
    nlohmann::json before = state_before_;
    before["last_readback"] = was;
    if (same == before) return Ok{};
    summary["time"] = state_->updated_at;
    state_->last_readback = summary;
    return save_run_state(rb_.layout_, *state_);
  }

  // A run whose outbox cannot be trusted as a whole: nothing merged, named, set aside.
  Status set_aside(const std::string& why) {
    set_aside_ = why;
    return Ok{};
  }
  Result<ReadbackReport> quarantine(const std::string& why) {
    report_.quarantined = why;
    state_->quarantine_reason = why;
    if (Status s = finish_state("quarantined"); !s.ok()) return s.error();
    (void)log_event(rb_.layout_, "quarantined", report_.trace_id, run_id_, {{"reason", why}});
    if (auto a = readback_alert(run_id_, report_.trace_id, "run quarantined: " + why, {}))
      rb_.alerts_.raise(*a);
    return report_;
  }

  // The container's side, read as hostile input.
  Status read_outbox() {
    {
      auto opened = OutboxReader::open(rb_.layout_.run_dir(run_id_));
      if (!opened.ok()) {
        int err = opened.error().sys_errno;
        if (err == ENOENT)
          report_.nothing_to_read = true;
        else if (err == EACCES || err == EPERM)
          return opened.error();
        else
          return set_aside(opened.error().message());
      } else {
        outbox_.emplace(std::move(*opened));
        auto has = outbox_->has_journal();
        if (!has.ok()) return has.error();
        if (!*has) {
          report_.nothing_to_read = true;
        } else {
          auto v = outbox_->verify();
          if (!v.ok()) {
            if (v.error().sys_errno == EACCES || v.error().sys_errno == EPERM) return v.error();
            return set_aside(v.error().message());
          }
          theirs_ = std::move(*v);
        }
      }
    }
    report_.unverifiable = theirs_.unverifiable;
    // Files published after the journal's last write and never journaled are never merged
    // (no byte of them can be checked). An init killed between a rename and its record
    // leaves such files (the last group's): then they are the changes a kill may lose, named
    // in the report. From an init that stopped cleanly (its final report says the flush
    // completed) they can only have been written around it: the run is quarantined.
    if (!theirs_.unjournaled.empty()) {
      bool stopped_cleanly = false;
      if (outbox_) {
        auto run_json = outbox_->read_report(kRunReportName, 0, kRunReportBytes);
        if (run_json.ok() && !run_json->bytes.empty()) {
          auto parsed = parse_bounded_json(run_json->bytes, kRunReportName, kRunReportBytes);
          stopped_cleanly =
              parsed.ok() && parsed->is_object() && parsed->value("flush_complete", false) == true;
        }
      }
      for (const auto& [rel, t] : theirs_.unjournaled) {
        if (stopped_cleanly)
          report_.unverifiable.push_back(
              rel + ": " + (t.is_symlink ? "a symlink, " : "") +
              "not what its journal records (the init stopped cleanly, so "
              "nothing it published is unjournaled)");
        else
          report_.unjournaled.push_back(rel);
      }
    }
    return Ok{};
  }

  // The host's side, looked at beneath the config folder only, and the plan.
  Status plan_steps() {
    // The host's side, looked at beneath the config folder only.
    auto opened = HomeTree::open(rb_.layout_.config_dir);
    if (!opened.ok()) return opened.error();
    home_.emplace(std::move(*opened));
    if (!rb_.layout_.custom_config_dir) {
      auto h = HomeTree::open(dirname_of(rb_.layout_.claude_json));
      if (!h.ok()) return h.error();
      json_home_.emplace(std::move(*h));
      json_rel_ = std::string(base_name(rb_.layout_.claude_json));
    }
    json_tree_ = json_home_ ? &*json_home_ : &*home_;

    // A read-back killed while it held Claude Code's lock on .claude.json left it behind.
    ClaudeJsonLock::clear_abandoned(rb_.layout_.claude_json);
    // A read-back killed between a write and the ledger's update: was the write made?
    for (const auto& [path, intent] : state_->intents) {
      const HomeTree& t = path == kClaudeJsonName ? *json_tree_ : *home_;
      auto now = t.look(path == kClaudeJsonName ? json_rel_ : path);
      if (!now.ok()) continue;
      bool done = false;
      if (intent.applied.deleted)
        done = now->kind == HostEntry::kAbsent;
      else if (intent.size_after > 0)
        done = now->kind == HostEntry::kFile && now->size == intent.size_after &&
               t.prefix_sha256(path, intent.size_before).value_or("") == intent.sha_before;
      else
        done = now->kind == HostEntry::kFile && now->sha256 == intent.after_sha256;
      if (done) state_->applied[path] = intent.applied;
    }
    state_->intents.clear();

    for (const auto& g : rb_.config_.exclude) excludes_.add_pattern(g);
    in_.staged = staged_;
    in_.deleted = theirs_.deleted;
    in_.applied = state_->applied;
    in_.accept_deletes = options_.accept_deletes;
    in_.excluded = [&](const std::string& p) { return excludes_.excluded(p, false); };
    for (auto& [rel, t] : theirs_.entries) {
      if (!is_valid_utf8(rel)) {
        report_.refused.push_back(
            dump_json(rel) +
            ": a name that is not UTF-8; not written into your home (it stays in "
            "the outbox)");
        continue;
      }
      if (rel == kClaudeJsonName || rel == kCredentialsFileName) {
        in_.theirs[rel] = t;
        continue;
      }
      auto host = home_->look(rel);
      if (!host.ok()) {
        report_.refused.push_back(rel + ": " + host.error().message());
        continue;
      }
      auto st = staged_.find(rel);
      if (!t.is_symlink && is_session_log(rel)) {
        if (st != staged_.end())
          t.starts_with_staged =
              outbox_->prefix_sha256(rel, st->second.size).value_or("") == st->second.sha256;
        else if (host->kind == HostEntry::kFile && host->size <= t.size)
          host->prefix_of_theirs =
              outbox_->prefix_sha256(rel, host->size).value_or("") == host->sha256;
      } else if (!t.is_symlink && host->kind == HostEntry::kFile) {
        auto kept = home_->look(conflict_name(rel, run_id_));
        if (kept.ok() && kept->kind == HostEntry::kFile) host->conflict_copy_sha256 = kept->sha256;
      }
      in_.theirs[rel] = t;
      in_.host[rel] = *host;
    }
    for (const auto& [rel, f] : staged_) {
      if (in_.host.count(rel) || rel == kClaudeJsonName) continue;
      bool gone = std::any_of(theirs_.deleted.begin(), theirs_.deleted.end(),
                              [&p = rel](const std::string& d) { return is_same_or_under(p, d); });
      if (!gone) continue;
      auto host = home_->look(rel);
      if (host.ok()) in_.host[rel] = *host;
    }
    plan_ = plan_readback(in_);
    return Ok{};
  }

  // The contents each writing step needs, read (and checked against the journal) before
  // anything is written; .claude.json merged now, so that its result is known.
  Status prepare() {
    for (auto& s : plan_.steps) {
      const TheirEntry* t = in_.theirs.count(s.path) ? &in_.theirs.at(s.path) : nullptr;
      const HostEntry host = in_.host.count(s.path) ? in_.host.at(s.path) : HostEntry{};
      switch (s.kind) {
        case StepKind::kSkip:
          // Something else where the container left a file (a folder, a link, a link leading
          // out): not written, and the run needs a look. Excluded paths and host edits that
          // win are routine.
          (s.detail.find("the host has") != std::string::npos ? report_.refused : report_.skipped)
              .push_back(s.path + ": " + s.detail);
          continue;
        case StepKind::kHoldDelete:
          report_.held_deletes.push_back(s.path);
          continue;
        case StepKind::kSymlink:
          will_touch_ = true;
          continue;
        case StepKind::kDelete:
          prepared_[s.path].intent = {"", 0, 0, "", s.applied};
          will_touch_ = true;
          continue;
        case StepKind::kCredentials: {
          OutboxLimits small;
          small.in_memory = kCredentialBytes;
          auto b = outbox_->read_verified(s.path, *t, 0, small);
          if (!b.ok()) {
            report_.unverifiable.push_back(s.path + ": " + b.error().message());
            s.kind = StepKind::kSkip;
            continue;
          }
          if (auto parsed = parse_bounded_json(*b, outbox_tree_path(kCredentialsFileName),
                                               kCredentialBytes);
              !parsed.ok() || !parsed->is_object()) {
            report_.unverifiable.push_back(
                ".credentials.json: " +
                (parsed.ok() ? std::string("not a JSON object") : parsed.error().message()));
            s.kind = StepKind::kSkip;
            continue;
          }
          their_creds_ = std::move(*b);
          if (staged_.count(std::string(kCredentialsFileName))) {
            auto b0 = read_file(stage_tree_path(kCredentialsFileName));
            if (b0.ok()) base_creds_ = std::move(*b0);
          }
          const CredentialInfo their_info = describe_credentials(*their_creds_);
          const std::string why = implausible_container_login(their_info, rb_.clock_.now_ms());
          if (!why.empty() && their_creds_ != base_creds_)
            report_.refused.push_back(".credentials.json: not written back (" + why + ")");
          auto c = rb_.credentials_.read();
          if (c.ok()) {
            our_creds_ = *c;
            write_creds_ = take_their_credentials(
                our_creds_, rb_.credentials_.written_ns(), *their_creds_, their_info,
                file_mtime_ns(outbox_tree_path(kCredentialsFileName)), why);
            will_touch_ = will_touch_ || write_creds_;
          }
          continue;
        }
        case StepKind::kMergeClaudeJson: {
          auto b = outbox_->read_verified(s.path, *t, 0);
          auto parsed_theirs =
              b.ok() ? parse_bounded_json(*b, outbox_tree_path(kClaudeJsonName), kJsonBytes)
                     : Result<nlohmann::json>(b.error());
          if (parsed_theirs.ok() && !parsed_theirs->is_object())
            parsed_theirs = Error{"read JSON", outbox_tree_path(kClaudeJsonName), 0,
                                  "not a JSON object", ""};
          if (!parsed_theirs.ok()) {
            report_.unverifiable.push_back(".claude.json: " + parsed_theirs.error().message());
            s.kind = StepKind::kSkip;
            continue;
          }
          their_json_ = std::move(*parsed_theirs);
          // The base: what this run last gave the host (an earlier read-back's copy), else the
          // stage.
          const std::string claude_json(kClaudeJsonName);
          const AppliedEntry* applied =
              state_->applied.count(claude_json) ? &state_->applied.at(claude_json) : nullptr;
          std::optional<std::string> base_text;
          if (applied) {
            auto a = read_file(rb_.layout_.run_dir(run_id_) + "/claude-json.applied");
            if (a.ok() && sha256_hex(*a) == applied->sha256) base_text = std::move(*a);
          } else if (staged_.count(claude_json)) {
            auto a = read_file(stage_tree_path(kClaudeJsonName));
            if (!a.ok() || sha256_hex(*a) != staged_[claude_json].sha256) {
              report_.unverifiable.push_back(
                  ".claude.json: the staged copy (the merge base) does not match its manifest");
              s.kind = StepKind::kSkip;
              continue;
            }
            base_text = std::move(*a);
          }
          base_json_ = parse_optional(base_text, stage_tree_path(kClaudeJsonName));
          auto ours = json_tree_->read(json_rel_, kJsonBytes);
          if (!ours.ok() && ours.error().sys_errno != ENOENT) {
            report_.skipped.push_back(".claude.json: " + ours.error().message());
            s.kind = StepKind::kSkip;
            continue;
          }
          std::optional<nlohmann::json> ours_json;
          if (ours.ok()) {
            auto parsed = parse_bounded_json(*ours, rb_.layout_.claude_json, kJsonBytes);
            if (!parsed.ok()) {
              report_.skipped.push_back(".claude.json: the host's copy cannot be merged (" +
                                        parsed.error().detail +
                                        "); fix it (or `claude-host restore`) and read back again");
              s.kind = StepKind::kSkip;
              continue;
            }
            ours_json = std::move(*parsed);
          }
          auto merged = merge_json_three_way(base_json_, ours_json, their_json_);
          prepared_[s.path].bytes = *b;  // theirs, kept as the next read-back's base
          if (merged.merged && merged.merged != ours_json) {
            merged_json_ = std::move(merged.merged);
            prepared_[s.path].intent = {sha256_hex(dump_json_text(*merged_json_, 2) + "\n"), 0, 0,
                                        "", s.applied};
            will_touch_ = true;
          } else {
            for (const auto& c : merged.conflicts)
              report_.json_conflicts.push_back(conflict_to_json(c));
          }
          continue;
        }
        case StepKind::kAppendLog: {
          auto b = outbox_->read_verified(s.path, *t, s.from);
          if (!b.ok()) {
            report_.unverifiable.push_back(s.path + ": " + b.error().message());
            s.kind = StepKind::kSkip;
            continue;
          }
          prepared_[s.path] = {
              std::move(*b), {"", host.size, host.size + (s.to - s.from), host.sha256, s.applied}};
          will_touch_ = true;
          continue;
        }
        default: {  // a whole file of theirs, somewhere
          auto b = outbox_->read_verified(s.path, *t, 0);
          if (!b.ok()) {
            report_.unverifiable.push_back(s.path + ": " + b.error().message());
            s.kind = StepKind::kSkip;
            continue;
          }
          if (s.path.size() > 5 && s.path.compare(s.path.size() - 5, 5, ".json") == 0) {
            auto parsed = parse_bounded_json(*b, outbox_tree_path(s.path), kJsonBytes);
            if (!parsed.ok()) {
              report_.unverifiable.push_back(s.path + ": " + parsed.error().detail);
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
          prepared_[s.path] = {std::move(*b), {after, 0, 0, "", s.applied}};
          will_touch_ = true;
          continue;
        }
      }
    }

    return Ok{};
  }

  // A full snapshot (unchanged files cost nothing: they are shared with earlier snapshots).
  Status backup() {
    if (will_touch_) {
      BackupStore backups(rb_.layout_, rb_.config_.backup_mirror, rb_.clock_);
      auto snap = backups.create("before read-back of run " + run_id_);
      if (!snap.ok()) {
        Error e = snap.error();
        e.fix =
            "nothing was merged; free disk space or fix the backup folder, then run `claude-host "
            "readback --run " +
            run_id_ + "`";
        return e;
      }
      report_.backup_id = snap->id;
      // Keep the store from growing without bound; the snapshot just taken always stays.
      (void)backups.prune(rb_.config_.backup_keep_days);
    }

    return Ok{};
  }

  Status apply() {
    for (const auto& [path, p] : prepared_)
      if (!p.intent.after_sha256.empty() || p.intent.size_after > 0 || p.intent.applied.deleted)
        state_->intents[path] = p.intent;
    if (!state_->intents.empty())
      if (Status s = save_run_state(rb_.layout_, *state_); !s.ok()) return s.error();

    auto changed_meanwhile = [&](const ReadbackStep& s, const Status& st) {
      if (st.ok() || st.error().sys_errno != EAGAIN) return false;
      report_.skipped.push_back(
          s.path + ": changed on the host while read-back ran; read back again to merge it");
      return true;
    };
    for (const auto& s : plan_.steps) {
      auto found = prepared_.find(s.path);
      const std::string* bytes = found == prepared_.end() ? nullptr : &found->second.bytes;
      const TheirEntry* t = in_.theirs.count(s.path) ? &in_.theirs.at(s.path) : nullptr;
      const HostEntry host = in_.host.count(s.path) ? in_.host.at(s.path) : HostEntry{};
      const unsigned new_mode = t ? (t->mode & 0755) | 0600 : 0600;
      Status done = Ok{};
      switch (s.kind) {
        case StepKind::kSkip:
        case StepKind::kHoldDelete:
          continue;
        case StepKind::kCredentials:
          if (write_creds_) {
            done = rb_.credentials_.write(*their_creds_);
            if (!done.ok()) return done.error();
            report_.credentials =
                "written back to " + rb_.credentials_.describe() + " (refreshed in the container)";
          } else if (their_creds_ && our_creds_ && *their_creds_ != *our_creds_ &&
                     their_creds_ != base_creds_) {
            report_.credentials = "kept the host's (they are fresher than the container's)";
          }
          break;
        case StepKind::kMergeClaudeJson: {
          if (merged_json_) {
            // Claude Code's own lock, then a re-read: a `claude` on the host may have written it
            // since.
            auto cli_lock = ClaudeJsonLock::acquire(rb_.layout_.claude_json);
            if (!cli_lock.ok()) return cli_lock.error();
            auto now = json_tree_->read(json_rel_, kJsonBytes);
            std::optional<nlohmann::json> now_json;
            if (now.ok()) {
              auto parsed = parse_bounded_json(*now, rb_.layout_.claude_json, kJsonBytes);
              if (!parsed.ok()) {
                report_.skipped.push_back(
                    ".claude.json: the host's copy cannot be merged (" + parsed.error().detail +
                    "); fix it (or `claude-host restore`) and read back again");
                continue;
              }
              now_json = std::move(*parsed);
            }
            auto merged = merge_json_three_way(base_json_, now_json, their_json_);
            for (const auto& c : merged.conflicts)
              report_.json_conflicts.push_back(conflict_to_json(c));
            if (merged.merged && merged.merged != now_json) {
              auto mode = json_tree_->look(json_rel_);
              done = json_tree_->write(
                  json_rel_, dump_json_text(*merged.merged, 2) + "\n",
                  mode.ok() && mode->kind == HostEntry::kFile ? mode->mode : 0600);
              if (!done.ok()) return done.error();
              report_.claude_json_changed = true;
            }
          }
          // Theirs, as the base of a later read-back of this run.
          Status kept = write_file_atomically(rb_.layout_.run_dir(run_id_) + "/claude-json.applied",
                                              *bytes, 0600);
          if (!kept.ok()) return kept.error();
          break;
        }
        case StepKind::kAppendLog:
          done = home_->append(s.path, *bytes, host.size);
          if (changed_meanwhile(s, done)) continue;
          if (!done.ok()) return done.error();
          report_.sessions_appended.emplace_back(s.path, count_lines(*bytes));
          break;
        case StepKind::kCreate:
          done = home_->write(s.path, *bytes, new_mode);
          if (!done.ok()) return done.error();
          (is_session_log(s.path) ? report_.sessions_added : report_.files_added).push_back(s.path);
          break;
        case StepKind::kReplace:
          done = home_->write(s.path, *bytes, host.mode);
          if (!done.ok()) return done.error();
          report_.files_changed.push_back(s.path);
          break;
        case StepKind::kReplaceKeepHost: {
          std::string other = conflict_name(s.path, run_id_);
          done = home_->copy(s.path, other);
          if (done.ok()) done = home_->write(s.path, *bytes, host.mode);
          if (!done.ok()) return done.error();
          report_.file_conflicts.push_back({{"path", s.path},
                                            {"kept", "container"},
                                            {"other_kept_as", home_->root() + "/" + other}});
          break;
        }
        case StepKind::kKeepTheirsAsConflict: {
          std::string other = conflict_name(s.path, run_id_);
          done = home_->write(other, *bytes, host.mode);
          if (!done.ok()) return done.error();
          report_.file_conflicts.push_back(
              {{"path", s.path}, {"kept", "host"}, {"other_kept_as", home_->root() + "/" + other}});
          break;
        }
        case StepKind::kKeepTheirsBeside: {
          std::string other = container_copy_name(s.path, run_id_);
          done = home_->write(other, *bytes, new_mode);
          if (!done.ok()) return done.error();
          report_.kept_beside.push_back(
              {{"path", s.path}, {"kept_as", home_->root() + "/" + other}, {"why", s.detail}});
          break;
        }
        case StepKind::kSymlink:
          done = home_->symlink(s.path, t->target);
          if (!done.ok()) {
            report_.refused.push_back(s.path + ": " + done.error().message());
            continue;
          }
          report_.files_added.push_back(s.path);
          break;
        case StepKind::kDelete: {
          auto now = home_->look(s.path);
          if (!now.ok() || now->kind != HostEntry::kFile || now->sha256 != staged_[s.path].sha256) {
            report_.skipped.push_back(s.path + ": changed on the host while read-back ran: kept");
            continue;
          }
          done = home_->remove(s.path);
          if (!done.ok()) return done.error();
          report_.files_deleted.push_back(s.path);
          break;
        }
      }
      state_->applied[s.path] = s.applied;
    }
    state_->intents.clear();

    return Ok{};
  }

  // The run's own reports go to the host logs, once and capped (offsets in state.json).
  void copy_reports() {
    if (outbox_) {
      auto [ev_off, ev_n] =
          copy_report_lines(*outbox_, kEventsReportName, state_->events_applied,
                            state_->events_bytes_copied, rb_.layout_.events_log(), report_.trace_id,
                            run_id_, report_.reports_capped, report_.refused, &events_);
      auto [me_off, me_n] =
          copy_report_lines(*outbox_, kMetricsReportName, state_->metrics_applied,
                            state_->metrics_bytes_copied, rb_.layout_.metrics_log(),
                            report_.trace_id, run_id_, report_.reports_capped, report_.refused);
      state_->events_applied = ev_off;
      state_->metrics_applied = me_off;
      report_.events_copied = ev_n;
      report_.metrics_copied = me_n;
      const std::string run_report = join_path(kReportsDirName, kRunReportName);
      auto run_json = outbox_->read_report(kRunReportName, 0, kRunReportBytes + 1);
      if (!run_json.ok()) {
        report_.refused.push_back(run_report + ": " + run_json.error().message());
      } else if (run_json->file_size > kRunReportBytes) {
        report_.refused.push_back(run_report + ": larger than " + std::to_string(kRunReportBytes) +
                                  " bytes; not read");
      } else if (!run_json->bytes.empty()) {
        auto parsed = parse_bounded_json(run_json->bytes, join_path(outbox_->path(), run_report), kRunReportBytes);
        if (!parsed.ok())
          report_.refused.push_back(run_report + ": " + parsed.error().detail);
        else if (!parsed->is_object())
          report_.reports_capped.push_back("run.json: not a run report (not a JSON object)");
        else
          report_.run_report = std::move(*parsed);
      }
    }
    static const std::set<std::string> kRoutine = {"started", "flush", "seeded", "publish"};
    for (const auto& e : events_)
      if (e.is_object() && !kRoutine.count(e.value("event", "")))
        report_.health_events.push_back(e);
  }

  Result<ReadbackReport> finish() {
    bool untrusted = !report_.unverifiable.empty();
    if (untrusted) {
      report_.quarantined = "run " + run_id_ + ": " + std::to_string(report_.unverifiable.size()) +
                            " outbox entr" + (report_.unverifiable.size() == 1 ? "y" : "ies") +
                            " did not verify (first: " + report_.unverifiable.front() +
                            "); what verified was merged";
      state_->quarantine_reason = report_.quarantined;
    } else {
      state_->quarantine_reason.clear();
    }
    if (Status s = finish_state(untrusted ? "quarantined" : "read-back"); !s.ok()) return s.error();

    (void)log_event(rb_.layout_, "readback", report_.trace_id, run_id_,
                    {{"exit_status", report_.exit_status()},
                     {"changed", report_.changed()},
                     {"files_added", report_.files_added.size()},
                     {"files_changed", report_.files_changed.size()},
                     {"files_deleted", report_.files_deleted.size()},
                     {"sessions_added", report_.sessions_added.size()},
                     {"sessions_appended", report_.sessions_appended.size()},
                     {"conflicts", report_.json_conflicts.size() + report_.file_conflicts.size()},
                     {"held_deletes", report_.held_deletes.size()},
                     {"quarantined", !report_.quarantined.empty()},
                     {"unverifiable", report_.unverifiable},
                     {"refused", report_.refused},
                     {"backup_id", report_.backup_id}});
    (void)append_lines(rb_.layout_.metrics_log(),
                       {dump_json(nlohmann::json{{"time", rfc3339_utc(rb_.clock_.now_ms(), true)},
                                                 {"source", "claude-host"},
                                                 {"metric", "readback"},
                                                 {"trace_id", report_.trace_id},
                                                 {"run_id", run_id_},
                                                 {"seconds", report_.seconds},
                                                 {"changed", report_.changed()}})});

    std::vector<std::string> problems = report_.unverifiable;
    problems.insert(problems.end(), report_.refused.begin(), report_.refused.end());
    if (auto a = readback_alert(run_id_, report_.trace_id, std::nullopt, problems))
      rb_.alerts_.raise(*a);
    for (const auto& a : run_health_alerts(run_id_, report_.trace_id, report_.run_report, events_))
      rb_.alerts_.raise(a);
    return report_;
  }

  // A file of the stage's or the outbox's tree, by the path the user knows it under.
  std::string stage_tree_path(std::string_view rel) const {
    return join_path(join_path(stage_, kTreeDirName), rel);
  }
  std::string outbox_tree_path(std::string_view rel) const {
    return join_path(join_path(outbox_->path(), kTreeDirName), rel);
  }

  Readback& rb_;
  const ReadbackOptions& options_;
  const std::string& run_id_;
  std::chrono::steady_clock::time_point started_;
  ReadbackReport report_;
  std::optional<RunState> state_;
  nlohmann::json state_before_;
  std::string stage_;
  std::map<std::string, StagedFile> staged_;
  std::optional<std::string> set_aside_;  // why the whole run is quarantined
  std::optional<OutboxReader> outbox_;
  VerifiedOutbox theirs_;
  std::optional<HomeTree> home_, json_home_;
  std::string json_rel_ = std::string(kClaudeJsonName);
  const HomeTree* json_tree_ = nullptr;
  ExcludeRules excludes_ = ExcludeRules::defaults();
  ReadbackInput in_;
  ReadbackPlan plan_;
  std::map<std::string, Prepared> prepared_;
  std::optional<std::string> their_creds_, base_creds_, our_creds_;
  bool write_creds_ = false;
  std::optional<nlohmann::json> merged_json_, base_json_, their_json_;
  bool will_touch_ = false;
  std::vector<nlohmann::json> events_;
};

Result<ReadbackReport> Readback::run_locked(const ReadbackOptions& options) {
  return Run(*this, options).go();
}

}  // namespace claude::host
