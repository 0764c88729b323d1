#include "entrypoint/report_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "entrypoint/outbox_tree.h"
#include "platform/atomic_file.h"

namespace claude {

Status ReportWriter::open(const std::string& outbox_dir, const OutboxOwner& owner, std::string run_id,
                          std::string trace_id) {
  std::string dir = join_path(outbox_dir, kReportsDirName);
  owner_ = owner;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    owner_.adopt_at(AT_FDCWD, dir);
  } else if (errno != EEXIST) {
    return Error{"create reports folder", dir, errno, "", "mount the outbox read-write"};
  }
  dir_ = dir;
  run_id_ = std::move(run_id);
  trace_id_ = std::move(trace_id);
  return Ok{};
}

Status ReportWriter::append_line(std::string_view file, nlohmann::json record) {
  if (dir_.empty()) return Ok{};
  std::string path = join_path(dir_, file);
  // One write of one whole line with O_APPEND: a reader never sees half a record unless
  // the disk fills mid-write, and then the line is cut back below.
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"open", path, errno, "", "free space in the outbox or make it writable"};
  struct stat st{};
  off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  if (before == 0) owner_.adopt(fd);  // just created
  ssize_t n = ::write(fd, line.data(), line.size());
  int e = errno;
  if (n != static_cast<ssize_t>(line.size()) && before >= 0) (void)!::ftruncate(fd, before);
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    return Error{"append to", path, n < 0 ? e : ENOSPC, "", "free space in the outbox or make it writable"};
  }
  return Ok{};
}

Status ReportWriter::event(std::string_view name, nlohmann::json fields) {
  nlohmann::json record = {{"format", kEventsFormat}, {"time", rfc3339_now()}, {"run_id", run_id_},
                           {"trace_id", trace_id_}, {"event", name}};
  for (auto& [k, v] : fields.items()) record[k] = v;
  return append_line(kEventsReportName, std::move(record));
}

Status ReportWriter::metrics(nlohmann::json values) {
  nlohmann::json record = {{"format", kMetricsFormat}, {"time", rfc3339_now()}, {"run_id", run_id_},
                           {"trace_id", trace_id_}};
  for (auto& [k, v] : values.items()) record[k] = v;
  return append_line(kMetricsReportName, std::move(record));
}

Status ReportWriter::run_report(nlohmann::json report) {
  if (dir_.empty()) return Ok{};
  report["format"] = kReportFormat;
  report["run_id"] = run_id_;
  report["trace_id"] = trace_id_;
  Status written = write_file_atomically(join_path(dir_, kRunReportName),
                                         report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (written.ok()) owner_.adopt_at(AT_FDCWD, join_path(dir_, kRunReportName));
  return written;
}

}  // namespace claude
