// The run's reports in <outbox>/reports/: events.jsonl (one JSON object per notable thing,
// appended), metrics.jsonl (periodic snapshots while there is activity) and run.json (the
// final report, written atomically). Every record is versioned and carries the run and
// trace ids. Only names, counts and error messages go in: never file contents, so no token
// can leak through a report.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/formats.h"
#include "core/result.h"
#include "entrypoint/outbox_tree.h"

namespace claude {

class ReportWriter {
 public:
  ReportWriter() = default;
  // Creates <outbox_dir>/reports when missing; what it creates there gets `owner` (the
  // outbox's, see OutboxOwner).
  Status open(const std::string& outbox_dir, const OutboxOwner& owner, std::string run_id, std::string trace_id);
  bool is_open() const { return !dir_.empty(); }

  // Appends {"format":"claude-events/1","time","run_id","trace_id","event":name,...fields}.
  // A failure (full or read-only outbox) is returned, never thrown; callers count it.
  Status event(std::string_view name, nlohmann::json fields = nlohmann::json::object());
  // Appends {"format":"claude-metrics/1","time","run_id","trace_id",...values}.
  Status metrics(nlohmann::json values);
  // Writes run.json atomically; `report` gets format and the ids added.
  Status run_report(nlohmann::json report);

  const std::string& dir() const { return dir_; }

 private:
  Status append_line(std::string_view file, nlohmann::json record);
  std::string dir_, run_id_, trace_id_;
  OutboxOwner owner_;
};

}  // namespace claude
