// Carries out planned operations: reads the live file (never through a link), turns it
// into host form, and publishes it through the Outbox — a whole file by temp + rename, new
// complete log lines by append — then journals what completed. The snapshot is updated
// only for operations whose journal record is durable, so a failure anywhere leaves the
// path to be retried and never a record the outbox does not match.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config_rewrite.h"
#include "core/result.h"
#include "core/sync_planner.h"
#include "entrypoint/outbox_tree.h"
#include "entrypoint/sync_live_tree.h"

namespace claude {

struct PublishResult {
  std::size_t files = 0;      // whole files and links published
  std::size_t appends = 0;    // log appends
  std::size_t deletes = 0;
  std::size_t renames = 0;
  std::size_t unchanged = 0;  // looked at, content already published
  std::uint64_t bytes = 0;    // content bytes written to the outbox
  // Paths whose content is not published yet and is retried on their next change:
  // a .json that does not parse.
  std::vector<std::string> invalid_json;
  // Never published, with the reason (links leaving the tree, FIFOs, ...).
  std::vector<std::pair<std::string, std::string>> skipped;
  // Paths an outbox error stopped; the caller retries them with backoff.
  std::vector<std::string> failed;
  std::optional<Error> error;  // the first outbox error
  // Paths whose publication completed (for the lag metric).
  std::vector<std::string> done;
};

class Publisher {
 public:
  Publisher(LiveTree& live, Outbox& outbox, ProjectDirMapper& mapper, RewriteOptions rewrite,
            SyncSnapshot& snapshot)
      : live_(live), outbox_(outbox), mapper_(mapper), rewrite_(rewrite), snapshot_(snapshot) {}

  // Publishes `ops` (from plan_batch) as one batch: one commit for the puts, one journal
  // write for everything.
  PublishResult publish(const std::vector<PlannedOp>& ops);

  // Log appends are journaled lazily: consecutive appends to one log share one record
  // (offset of the first, size and sha256 after the last), written by the next journal
  // write that touches that path or by flush_appends() (the caller's timer: SyncTuning's
  // journal_quiet and journal_hold, and every barrier). Whole lines appended but not
  // journaled yet are journaled by recovery after a kill (a torn rest is cut), so the
  // outbox always matches its journal; this
  // keeps the journal from growing as fast as the logs it describes.
  Status flush_appends();
  bool has_unjournaled_appends() const { return !unjournaled_.empty(); }

  // The host-form outbox path of a live path (project folder names mapped).
  std::string outbox_path(const std::string& live_path) const;

 private:
  struct Pending;  // an operation done but not yet journaled
  void put(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
           std::vector<Pending>& done);
  void append(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
              std::vector<Pending>& done);
  void fail(const std::string& path, Error error, PublishResult& result);

  // Unjournaled append records by outbox path, in the order they were first held.
  std::vector<JournalRecord> unjournaled_;
  JournalRecord* unjournaled_for(const std::string& outbox_path);

  LiveTree& live_;
  Outbox& outbox_;
  ProjectDirMapper& mapper_;
  RewriteOptions rewrite_;
  SyncSnapshot& snapshot_;
};

}  // namespace claude
