#include "hostside/stager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "core/formats.h"
#include "core/journal.h"
#include "core/manifest.h"
#include "core/project_dir_name.h"
#include "core/sha256.h"
#include "hostside/credential_broker.h"
#include "hostside/file_tree.h"
#include "hostside/hash_cache.h"
#include "hostside/host_lock.h"
#include "hostside/object_store.h"
#include "hostside/progress_bar.h"
#include "hostside/run_state.h"
#include "platform/atomic_file.h"

namespace claude::host {
namespace fs = std::filesystem;

namespace {

// Removes files of the stage store that no stage links to any more (link count 1: only
// the store's own name is left).
void collect_unlinked_objects(const std::string& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1)
      ::unlink(it->path().c_str());
  }
}

Error corrupt_json(const std::string& file, const std::string& what) {
  return Error{"stage", file, 0, "is not valid JSON (" + what + ")",
               "repair the file (Claude Code keeps copies in ~/.claude/backups/; `claude-host restore` brings back "
               "a snapshot), or add it to \"exclude\" in ~/.claude-docker/config.json; nothing was staged"};
}

}  // namespace

nlohmann::json StageReport::to_json() const {
  nlohmann::json j = {{"run_id", run_id},
                      {"trace_id", trace_id},
                      {"stage_dir", stage_dir},
                      {"outbox_dir", outbox_dir},
                      {"compose_env", compose_env},
                      {"project", project ? nlohmann::json(*project) : nlohmann::json(nullptr)},
                      {"project_mount", project_mount},
                      {"workdir", workdir},
                      {"mapping", mapping.to_json()},
                      {"files", files},
                      {"symlinks", symlinks},
                      {"bytes", bytes},
                      {"copied", copied},
                      {"reused", reused},
                      {"bytes_copied", bytes_copied},
                      {"skipped", skipped},
                      {"warnings", warnings},
                      {"credentials", credentials},
                      {"credentials_source", credentials_source},
                      {"applied_runs", applied_runs},
                      {"seconds", seconds}};
  return j;
}

std::vector<std::string> pending_runs(const HostLayout& layout, std::vector<std::string>* still_running) {
  std::vector<std::string> out;
  std::vector<LockedFile> held = flock_write_holders_now();
  for (const auto& id : list_runs(layout)) {
    auto state = load_run_state(layout, id);
    // A quarantined run is never read back by itself: the user looks at it first.
    if (!state.ok() || state->state == "read-back" || state->state == "quarantined" || run_is_attached(*state)) continue;
    // Its container still runs (started from compose.env: no `claude-host run` attached):
    // read back once it has stopped, never half-way.
    if (outbox_locked(layout, id, held)) {
      if (still_running) still_running->push_back(id);
      continue;
    }
    struct stat st{};
    std::string journal = layout.outbox_dir(id) + "/journal.jsonl";
    if (::stat(journal.c_str(), &st) == 0 && st.st_size > 0) out.push_back(id);
  }
  return out;
}

Result<StageReport> Stager::stage(const StageOptions& options, const PendingApplier& apply_pending) {
  Status dirs = make_dirs(layout_.state_dir, 0700);
  if (!dirs.ok()) return dirs.error();
  auto lock = HostLock::acquire(layout_.lock_path(), "claude-host stage", options.lock_timeout_ms);
  if (!lock.ok()) return lock.error();
  std::vector<std::string> applied, warnings;
  for (const auto& id : list_runs(layout_)) {
    auto st = load_run_state(layout_, id);
    if (st.ok() && st->state == "quarantined")
      warnings.push_back("run " + id + " is quarantined (" + st->quarantine_reason + "); it is not read back until you run " +
                         "`claude-host readback --run " + id + "`");
  }
  std::vector<std::string> still_running;
  for (const auto& id : pending_runs(layout_, &still_running)) {
    if (options.run_id && *options.run_id == id) continue;
    Status s = apply_pending(id);
    if (s.ok()) applied.push_back(id);
    else warnings.push_back("the outbox of run " + id + " could not be read back: " + s.error().message());
  }
  for (const auto& id : still_running)
    warnings.push_back("run " + id + "'s container is still running (its claude-init holds the outbox); it is read " +
                       "back by the first stage, run or readback after it stops");
  auto report = stage_locked(options);
  if (!report.ok()) return report;
  report->applied_runs = applied;
  report->warnings.insert(report->warnings.begin(), warnings.begin(), warnings.end());
  return report;
}

// Reads the user's state and decides what goes in, writing nothing: the entries through
// the filters, every JSON file parsed, the credentials, the mapping.
Result<StagePlan> Stager::plan(const StageOptions& options) const {
  StagePlan plan;

  // 1. What goes in: the config folder through the filters, and ~/.claude.json.
  StageSelection selection;
  for (const auto& g : config_.exclude) selection.excludes.add_pattern(g);
  selection.history = options.history;
  selection.claude_json_inside = layout_.custom_config_dir;
  // Session folders are named after the exact working directory.
  plan.host_workdir = options.workdir ? options.workdir : options.project;
  if (plan.host_workdir) selection.project_dirs.push_back(project_dir_name(*plan.host_workdir));
  auto tree = scan_tree(layout_.config_dir, [&](const std::string& rel, bool is_dir) {
    SkipReason why = stage_skip_reason(selection, rel, is_dir);
    if (why == SkipReason::kNone) return true;
    if (why != SkipReason::kSourcedElsewhere) ++plan.skipped[std::string(skip_reason_name(why))];
    return false;
  });
  if (!tree.ok()) return tree.error();
  for (const auto& e : *tree) {
    if (e.kind == EntryKind::kDir) plan.folders.push_back(e);
    else if (e.kind == EntryKind::kSymlink) plan.links.push_back(e);
    else plan.sources.push_back({layout_.config_dir + "/" + e.rel, e});
  }
  if (!layout_.custom_config_dir) {
    auto st = stat_entry(layout_.claude_json);
    if (st.ok()) {
      if (st->kind != EntryKind::kFile)
        return Error{"stage", layout_.claude_json, 0, "is not a regular file", "replace it with the file itself"};
      TreeEntry e = *st;
      e.rel = std::string(kClaudeJsonName);
      plan.sources.push_back({layout_.claude_json, e});
    } else if (st.error().sys_errno != ENOENT) {
      return st.error();
    }
  }
  struct stat cfg{};
  if (plan.sources.empty() && ::stat(layout_.config_dir.c_str(), &cfg) != 0)
    return Error{"stage", layout_.config_dir, ENOENT, "there is no Claude state to stage (neither " + layout_.config_dir +
                 " nor " + layout_.claude_json + " exists)", "run `claude` once on the host, or set CLAUDE_CONFIG_DIR"};

  // 2. Validation before anything is written: every JSON file must parse.
  for (const auto& s : plan.sources) {
    if (!s.entry.rel.ends_with(".json")) continue;
    auto text = read_file(s.abs);
    if (!text.ok()) {
      Error e = text.error();
      e.fix = "make it readable (chmod u+r) or add it to \"exclude\" in ~/.claude-docker/config.json";
      return e;
    }
    try {
      auto parsed = nlohmann::json::parse(*text);
      (void)parsed;
    } catch (const nlohmann::json::parse_error& err) {
      return corrupt_json(s.abs, "byte " + std::to_string(err.byte));
    }
    plan.json_content[s.entry.rel] = std::move(*text);
  }
  {
    auto c = credentials_.read();
    if (!c.ok()) {
      plan.warnings.push_back("credentials not staged: " + c.error().message());
    } else if (!*c) {
      plan.warnings.push_back("no credentials in " + credentials_.describe() +
                              "; Claude Code in the container will ask you to log in (/login)");
    } else {
      plan.credentials = std::move(**c);
    }
    // Never older than what the broker holds: the running runs' outbox and inbox copies
    // count too, and the newest wins (core/credential_freshness.h).
    std::vector<CredentialCopy> copies;
    if (plan.credentials) {
      CredentialCopy host;
      host.text = *plan.credentials;
      host.written_ns = credentials_.written_ns();
      host.info = describe_credentials(host.text);
      copies.push_back(std::move(host));
    }
    for (auto& copy : running_run_copies(layout_)) copies.push_back(std::move(copy));
    if (const CredentialCopy* best = newest_copy(copies)) {
      plan.credentials = best->text;
      plan.credentials_source = best->kind == CredentialCopy::Kind::kHost ? credentials_.describe() : best->where();
    } else if (plan.credentials) {
      plan.credentials_source = credentials_.describe();
    }
    if (plan.credentials) {
      std::string w = credentials_warning(*plan.credentials, clock_.now_ms());
      if (!w.empty()) plan.warnings.push_back(w);
      plan.credentials_freshness = credentials_freshness(*plan.credentials, clock_.now_ms()).text;
    }
  }
  auto mapping = stage_mapping(layout_.home, options.project, layout_.config_dir, options.maps);
  if (!mapping.ok()) return mapping.error();
  plan.mapping = *mapping;
  plan.project_mount = options.project
                           ? mapping->map_path(*options.project, Direction::kToContainer).value_or("/workspace")
                           : "/workspace";
  plan.workdir = plan.host_workdir
                     ? mapping->map_path(*plan.host_workdir, Direction::kToContainer).value_or(plan.project_mount)
                     : plan.project_mount;
  return plan;
}

// Stage writes nothing of the user's (only the run's own folder), so there is no backup
// step between the plan and its application.
Result<StageReport> Stager::stage_locked(const StageOptions& options) {
  auto started = std::chrono::steady_clock::now();
  auto planned = plan(options);
  if (!planned.ok()) return planned.error();
  auto report = apply(options, *planned);
  if (report.ok())
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

// Writes the plan: the run's folders, the tree (unchanged files hard-linked from the
// store), the manifest that describes it, the run's state.
Result<StageReport> Stager::apply(const StageOptions& options, const StagePlan& plan) {
  StageReport report;
  report.project = options.project;
  report.mapping = plan.mapping;
  report.project_mount = plan.project_mount;
  report.workdir = plan.workdir;
  report.skipped = plan.skipped;
  report.warnings = plan.warnings;
  report.credentials_source = plan.credentials_source;
  report.credentials = plan.credentials_freshness;
  const auto& sources = plan.sources;
  const auto& folders = plan.folders;
  const auto& links = plan.links;
  const auto& json_content = plan.json_content;
  const auto& credentials = plan.credentials;

  // 3. The run's folders (0700: the stage holds credentials).
  RunState state;
  if (options.run_id) {
    auto old = load_run_state(layout_, *options.run_id);
    if (!old.ok()) return old.error();
    state = *old;
  } else {
    state.run_id = new_run_id(clock_.now_ms());
    state.trace_id = new_trace_id();
    state.created_at = rfc3339_utc(clock_.now_ms());
  }
  state.project = options.project.value_or("");
  report.run_id = state.run_id;
  report.trace_id = state.trace_id;
  report.stage_dir = layout_.stage_dir(state.run_id);
  report.outbox_dir = layout_.outbox_dir(state.run_id);
  report.compose_env = layout_.compose_env(state.run_id);
  for (const auto& d : {layout_.state_dir, layout_.runs_dir(), layout_.run_dir(state.run_id), report.stage_dir, report.outbox_dir,
                        layout_.inbox_dir(state.run_id)}) {
    Status s = make_dirs(d, 0700);
    if (!s.ok()) return s.error();
    ::chmod(d.c_str(), 0700);
  }
  const std::string tree_dir = join_path(report.stage_dir, kTreeDirName);
  const std::string new_tree = join_path(report.stage_dir, kNextTreeDirName);
  std::error_code ec;
  fs::remove_all(new_tree, ec);
  Status mk = make_dirs(new_tree, 0700);
  if (!mk.ok()) return mk.error();

  // 4. Copy: unchanged files come from the store by hard link, the rest is copied in.
  Manifest manifest;
  manifest.run_id = state.run_id;
  manifest.trace_id = state.trace_id;
  manifest.created_at = rfc3339_utc(clock_.now_ms());
  manifest.mapping = plan.mapping;
  ObjectStore store(layout_.stage_objects_dir(), /*durable=*/false);
  HashCache cache = HashCache::load(layout_.hash_cache_path());
  std::uint64_t total = 0;
  for (const auto& s : sources) total += s.entry.size;
  ProgressBar bar("staging", total, options.progress);
  for (const auto& d : folders) {
    Status s = make_dirs(new_tree + "/" + d.rel, 0700);
    if (!s.ok()) return s.error();
  }
  for (const auto& s : sources) {
    const std::string dest = new_tree + "/" + s.entry.rel;
    Status parent = make_dirs(fs::path(dest).parent_path().string(), 0700);
    if (!parent.ok()) return parent.error();
    const unsigned mode = s.entry.mode & 0777;
    std::optional<StoredObject> obj;
    auto cached = cache.lookup(s.abs, s.entry);
    auto json_it = json_content.find(s.entry.rel);
    if (json_it != json_content.end()) {
      auto r = store.put_bytes(json_it->second, mode);
      if (!r.ok()) return r.error();
      obj = *r;
      (cached ? report.reused : report.copied)++;
      if (!cached) report.bytes_copied += obj->size;
    } else if (cached && store.has(*cached, mode, s.entry.size)) {
      obj = StoredObject{*cached, s.entry.size, store.path_of(*cached, mode)};
      ++report.reused;
    } else {
      auto r = store.put_file(s.abs, mode);
      if (!r.ok()) {
        if (r.error().sys_errno == ENOENT) continue;  // removed while we staged: not there
        return r.error();
      }
      obj = *r;
      ++report.copied;
      report.bytes_copied += obj->size;
    }
    cache.remember(s.abs, s.entry, obj->sha256);
    if (::link(obj->path.c_str(), dest.c_str()) != 0) {
      auto c = copy_file_atomically(obj->path, dest, mode);  // another file system: copy
      if (!c.ok()) return c.error();
    }
    manifest.files.push_back({s.entry.rel, obj->size, obj->sha256, mode});
    report.bytes += obj->size;
    bar.advance(s.entry.size);
  }
  for (const auto& l : links) {
    if (::symlink(l.target.c_str(), (new_tree + "/" + l.rel).c_str()) != 0)
      return Error{"stage the symlink", new_tree + "/" + l.rel, errno, "", ""};
    manifest.symlinks.push_back({l.rel, l.target});
  }
  if (credentials) {
    // Written straight into the stage (never into the shared store), 0600.
    Status w = write_file_atomically(join_path(new_tree, kCredentialsFileName), *credentials, 0600);
    if (!w.ok()) return w.error();
    manifest.files.push_back({std::string(kCredentialsFileName), credentials->size(), sha256_hex(*credentials), 0600});
  }
  report.files = manifest.files.size();
  report.symlinks = manifest.symlinks.size();

  // 5. Publish: the tree first, then the manifest that describes it.
  fs::remove_all(tree_dir, ec);
  if (::rename(new_tree.c_str(), tree_dir.c_str()) != 0)
    return Error{"move the new stage into place", tree_dir, errno, "", "check the permissions under " + report.stage_dir};
  Status m = write_file_atomically(join_path(report.stage_dir, kManifestFileName), manifest.to_json().dump(2) + "\n", 0600);
  if (!m.ok()) return m.error();

  // 6. What docker compose needs, and the run's state.
  state.state = "staged";
  state.updated_at = rfc3339_utc(clock_.now_ms());
  Status st = save_run_state(layout_, state);
  if (!st.ok()) return st.error();
  (void)cache.save();  // a lost cache only costs hashing time next time
  collect_unlinked_objects(layout_.stage_objects_dir());
  return report;
}

}  // namespace claude::host
