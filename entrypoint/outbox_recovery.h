// Brings the outbox back to agreement with its journal when claude-init starts (again):
// a torn last journal line is cut, stale temp files go, a file renamed in after its last
// record is journaled, whole lines appended to a log past its last record are journaled
// (a torn rest is cut back), and a "begin" record marks
// this start. Afterwards every outbox file matches its journal. The decisions come from
// core/journal.h's plan_recovery; this file only observes the tree and applies them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/journal.h"
#include "core/result.h"
#include "entrypoint/outbox_tree.h"

namespace claude {

struct OutboxRecovery {
  TreeState state;                 // what the outbox holds now (journal replayed, fixes applied)
  std::size_t journaled = 0;       // records added for files published but not journaled
  std::size_t truncated = 0;       // torn appends cut back
  std::size_t temps_removed = 0;
  std::vector<std::string> notes;  // one line per fix, for the events log
};

// Recovers outbox_dir through `outbox` (whose next seq it sets) and appends the begin
// record. An Error when the journal is unreadable or malformed before its last line.
Result<OutboxRecovery> recover_outbox(const std::string& outbox_dir, PosixOutbox& outbox,
                                      const std::string& run_id, const std::string& trace_id);

// Every file and symlink under dir/tree with its size, mode, link target and sha256 (whole
// and of the first `expected` bytes for paths the journal knows): the observation the
// recovery planner and the tests' journal checker compare against the journal.
Result<std::vector<ObservedEntry>> observe_outbox_tree(const std::string& outbox_dir,
                                                       const TreeState& expected);

}  // namespace claude
