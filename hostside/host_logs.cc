#include "hostside/host_logs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/bounded_json.h"
#include "core/formats.h"
#include "hostside/clock.h"

namespace claude::host {

Status append_lines(const std::string& path, const std::vector<std::string>& lines) {
  if (lines.empty()) return Ok{};
  std::string data;
  for (const auto& l : lines) data += l + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error{"append to", path, errno, "", "check that your home folder is writable"};
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Error{"append to", path, e, "", "free some disk space"};
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  return Ok{};
}

std::string with_trace(const std::string& line, const std::string& trace_id, const std::string& run_id) {
  auto j = parse_bounded_json(line, kReportsDirName, line.size());
  if (!j.ok() || !j->is_object()) return {};
  if (!j->contains("trace_id")) (*j)["trace_id"] = trace_id;
  if (!j->contains("run_id")) (*j)["run_id"] = run_id;
  return dump_json(*j);
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status log_event(const HostLayout& layout, const std::string& event, const std::string& trace_id,
                 const std::string& run_id, nlohmann::json fields) {
  fields["time"] = rfc3339_utc(SystemClock().now_ms(), true);
  fields["event"] = event;
  fields["source"] = "claude-host";
  fields["trace_id"] = trace_id;
  fields["run_id"] = run_id;
  return append_lines(layout.events_log(), {dump_json(fields)});
}

void log_error(const HostLayout& layout, const Error& error, const std::string& trace_id,
               const std::string& run_id) {
  nlohmann::json j = {{"time", rfc3339_utc(SystemClock().now_ms(), true)},
                      {"trace_id", trace_id},
                      {"run_id", run_id},
                      {"operation", error.operation},
                      {"path", error.path},
                      {"errno", error.sys_errno},
                      {"message", error.message()},
                      {"fix", error.fix}};
  Status s = append_lines(layout.errors_log(), {dump_json(j)});
  if (!s.ok()) std::fprintf(stderr, "claude-host: could not log an error: %s\n", s.error().message().c_str());
}

}  // namespace claude::host
