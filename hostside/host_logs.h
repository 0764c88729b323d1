// The host's logs of every run: ~/.claude-docker-events.jsonl and -metrics.jsonl (one
// JSON object per line, each with the run's trace id) and ~/.claude-docker-errors.log
// (one JSON object per error). Appended with O_APPEND and fsync'd, so that concurrent
// writers never interleave inside a line and a crash loses at most the last line.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "hostside/host_layout.h"

namespace claude::host {

// Appends the lines (each one JSON object; no '\n' inside) to path in one write.
Status append_lines(const std::string& path, const std::vector<std::string>& lines);

// `line` (a JSON object) with trace_id and run_id set when missing; "" when it is not a
// JSON object (such lines are not copied).
std::string with_trace(const std::string& line, const std::string& trace_id, const std::string& run_id);

// j as text; a string that is not UTF-8 (a file name is bytes) is written with U+FFFD in
// place of its bad bytes instead of failing. For reports and logs, never for names that
// must come back exact.
std::string dump_json(const nlohmann::json& j, int indent = -1);

// Appends one event {"time","event","trace_id","run_id",...fields} to the events log.
Status log_event(const HostLayout& layout, const std::string& event, const std::string& trace_id,
                 const std::string& run_id, nlohmann::json fields = nlohmann::json::object());

// Appends an error {"time","trace_id","run_id","operation","path","errno","message","fix"}
// to the errors log. Best effort: a failure to log is printed, never thrown.
void log_error(const HostLayout& layout, const Error& error, const std::string& trace_id,
               const std::string& run_id);

}  // namespace claude::host
