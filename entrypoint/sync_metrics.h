// The sync engine's counters, gauges and lag histogram in the metrics registry, and the
// JSON of them that metrics.jsonl and the run report carry (sync_metrics.cc).
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "entrypoint/metrics_registry.h"

namespace claude {

struct SyncMetrics {
  explicit SyncMetrics(MetricsRegistry& r);
  SyncMetrics(const SyncMetrics&) = delete;
  SyncMetrics& operator=(const SyncMetrics&) = delete;

  // The counts as metrics.jsonl and the run report name them; `pending` is the number of
  // paths waiting to be published now.
  nlohmann::json to_json(std::size_t pending) const;

  Counter &events, &files, &appends, &deletes, &renames, &bytes, &rescans, &errors, &invalid_json, &skipped;
  Gauge &watches, &pending;
  Histogram& lag;
};

}  // namespace claude
