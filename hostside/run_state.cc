#include "hostside/run_state.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>

#include "core/byte_names.h"
#include "core/formats.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

// A ledger entry's path: {"path": utf8}, or {"path_b64": ...} for a name that is not
// UTF-8, as in the journal (core/byte_names.h), so that it comes back exact.
nlohmann::json path_field(const std::string& path) {
  nlohmann::json e = nlohmann::json::object();
  put_name(e, "path", path);
  return e;
}

std::string path_from_field(const nlohmann::json& e) {
  auto name = get_name(e, "path");
  if (!name.ok() || !*name)
    throw nlohmann::json::other_error::create(501, "a ledger entry without a path", &e);
  return **name;
}

}  // namespace

nlohmann::json RunState::to_json() const {
  nlohmann::json j = {{"format", kRunStateFormat},
                      {"run_id", run_id},
                      {"trace_id", trace_id},
                      {"state", state},
                      {"project", project},
                      {"created_at", created_at},
                      {"updated_at", updated_at},
                      {"host_pid", host_pid},
                      {"events_applied", events_applied},
                      {"metrics_applied", metrics_applied},
                      {"events_bytes_copied", events_bytes_copied},
                      {"metrics_bytes_copied", metrics_bytes_copied},
                      {"last_readback", last_readback}};
  j["exit_code"] = exit_code ? nlohmann::json(*exit_code) : nlohmann::json(nullptr);
  if (!quarantine_reason.empty()) j["quarantine_reason"] = quarantine_reason;
  nlohmann::json ledger = nlohmann::json::array();
  for (const auto& [path, a] : applied) {
    nlohmann::json e = path_field(path);
    if (a.deleted)
      e["deleted"] = true;
    else
      e.update({{"size", a.size}, {"sha256", a.sha256}});
    ledger.push_back(std::move(e));
  }
  j["applied"] = std::move(ledger);
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& [path, i] : intents) {
    nlohmann::json e = path_field(path);
    e.update({{"after_sha256", i.after_sha256},
              {"size_before", i.size_before},
              {"size_after", i.size_after},
              {"sha_before", i.sha_before},
              {"deleted", i.applied.deleted},
              {"size", i.applied.size},
              {"sha256", i.applied.sha256}});
    pending.push_back(std::move(e));
  }
  j["intents"] = std::move(pending);
  return j;
}

Result<RunState> RunState::from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || j.value("format", "") != kRunStateFormat)
    return Error{"read the run state", file, 0, "not a claude-host-run/1 document",
                 "remove the run's folder if it is not needed, or re-stage"};
  try {
    RunState s;
    s.run_id = j.at("run_id").get<std::string>();
    s.trace_id = j.at("trace_id").get<std::string>();
    s.state = j.at("state").get<std::string>();
    s.project = j.value("project", "");
    s.created_at = j.value("created_at", "");
    s.updated_at = j.value("updated_at", "");
    s.host_pid = j.value("host_pid", 0);
    if (j.contains("exit_code") && j["exit_code"].is_number_integer())
      s.exit_code = j["exit_code"].get<int>();
    s.events_applied = j.value("events_applied", std::uint64_t{0});
    s.metrics_applied = j.value("metrics_applied", std::uint64_t{0});
    s.events_bytes_copied = j.value("events_bytes_copied", std::uint64_t{0});
    s.metrics_bytes_copied = j.value("metrics_bytes_copied", std::uint64_t{0});
    s.last_readback = j.value("last_readback", nlohmann::json());
    s.quarantine_reason = j.value("quarantine_reason", "");
    for (const auto& e : j.value("applied", nlohmann::json::array())) {
      AppliedEntry a;
      a.deleted = e.value("deleted", false);
      a.size = e.value("size", std::uint64_t{0});
      a.sha256 = e.value("sha256", "");
      s.applied[path_from_field(e)] = a;
    }
    for (const auto& e : j.value("intents", nlohmann::json::array())) {
      Intent i;
      i.after_sha256 = e.value("after_sha256", "");
      i.size_before = e.value("size_before", std::uint64_t{0});
      i.size_after = e.value("size_after", std::uint64_t{0});
      i.sha_before = e.value("sha_before", "");
      i.applied.deleted = e.value("deleted", false);
      i.applied.size = e.value("size", std::uint64_t{0});
      i.applied.sha256 = e.value("sha256", "");
      s.intents[path_from_field(e)] = i;
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Error{"read the run state", file, 0, e.what(),
                 "remove the run's folder if it is not needed, or re-stage"};
  }
}

Result<RunState> load_run_state(const HostLayout& layout, const std::string& run_id) {
  std::string file = layout.run_state(run_id);
  auto text = read_file(file);
  if (!text.ok()) return text.error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded())
    return Error{"read the run state", file, 0, "not JSON",
                 "remove the run's folder if it is not needed, or re-stage"};
  return RunState::from_json(j, file);
}

Status save_run_state(const HostLayout& layout, const RunState& state) {
  return write_file_atomically(
      layout.run_state(state.run_id),
      state.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600);
}

std::vector<std::string> list_runs(const HostLayout& layout) {
  std::vector<std::string> out;
  DIR* d = ::opendir(layout.runs_dir().c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool run_is_attached(const RunState& state) {
  if (state.host_pid <= 0 || state.state != "running") return false;
  if (::kill(state.host_pid, 0) != 0 && errno == ESRCH) return false;
  // A recycled pid that is not a claude-host does not keep the run attached.
  std::ifstream comm("/proc/" + std::to_string(state.host_pid) + "/comm");
  std::string name;
  if (comm && std::getline(comm, name)) return name.starts_with("claude-host");
  return true;
}

std::vector<LockedFile> flock_write_holders(std::string_view proc_locks) {
  std::vector<LockedFile> out;
  while (!proc_locks.empty()) {
    std::size_t nl = proc_locks.find('\n');
    std::string line(proc_locks.substr(0, nl));
    proc_locks.remove_prefix(nl == std::string_view::npos ? proc_locks.size() : nl + 1);
    // "<n>: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> <start> <end>"
    char kind[16] = {}, mode[16] = {}, access[16] = {};
    long pid = 0;
    unsigned maj = 0, min = 0;
    unsigned long long inode = 0;
    if (std::sscanf(line.c_str(), "%*d: %15s %15s %15s %ld %x:%x:%llu", kind, mode, access, &pid, &maj, &min,
                    &inode) != 7)
      continue;  // a waiter ("->") or a line of another shape
    if (std::string_view(kind) == "FLOCK" && std::string_view(access) == "WRITE")
      out.push_back(LockedFile{maj, min, static_cast<std::uint64_t>(inode)});
  }
  return out;
}

std::vector<LockedFile> flock_write_holders_now() {
  auto text = read_file("/proc/locks");
  return text.ok() ? flock_write_holders(*text) : std::vector<LockedFile>{};
}

bool outbox_locked(const HostLayout& layout, const std::string& run_id, const std::vector<LockedFile>& held) {
  if (held.empty()) return false;
  struct stat st {};
  if (::stat(layout.outbox_dir(run_id).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return false;
  LockedFile outbox{::major(st.st_dev), ::minor(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
  return std::find(held.begin(), held.end(), outbox) != held.end();
}

std::string new_run_id(std::int64_t now_ms) {
  std::time_t s = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return std::string(buf) + "-" + hex;
}

std::string new_trace_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace claude::host
