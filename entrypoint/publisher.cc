#include "entrypoint/publisher.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "core/config_rewrite.h"
#include "core/json_syntax.h"
#include "core/sha256.h"

namespace claude {

struct Publisher::Pending {
  std::string live_path;
  std::optional<SyncedEntry> entry;  // nullopt: the path leaves the snapshot
  std::string erase;                 // a second path that leaves it (a rename's source)
  std::optional<JournalRecord> record;
  // Already in the snapshot (an append, see Publisher::append): finish() counts it only.
  bool applied = false;
};

namespace {

// A file that vanished, or turned into a link or a FIFO, between the event and the read:
// not an error; the event for that change plans it again.
bool changed_under_us(const Error& e) {
  return e.sys_errno == ENOENT || e.sys_errno == ENOTDIR || e.sys_errno == ELOOP || e.sys_errno == EINVAL;
}

bool is_history(const std::string& path) {
  return path == "history.jsonl" || (path.size() > 14 && path.ends_with("/history.jsonl"));
}

std::string last_bytes(std::string_view s, std::size_t n) {
  return std::string(s.size() > n ? s.substr(s.size() - n) : s);
}

}  // namespace

JournalRecord* Publisher::unjournaled_for(const std::string& outbox_path) {
  for (JournalRecord& r : unjournaled_) {
    if (r.path == outbox_path) return &r;
  }
  return nullptr;
}

Status Publisher::flush_appends() {
  if (unjournaled_.empty()) return Ok{};
  std::vector<JournalRecord> records = unjournaled_;
  if (auto s = outbox_.journal(records); !s) return s;
  unjournaled_.clear();
  return Ok{};
}

std::string Publisher::outbox_path(const std::string& live_path) const {
  return mapper_.map_rel_path(live_path, Direction::kToHost);
}

void Publisher::fail(const std::string& path, Error error, PublishResult& result) {
  result.failed.push_back(path);
  if (!result.error) result.error = std::move(error);
}

static Error too_large_error(const std::string& path, const std::string& what) {
  return Error{"publish", path, EFBIG,
               what + " above the " + std::to_string(kMaxRewriteBytes >> 20) +
                   " MiB cap for files that are checked or rewritten; not published, the outbox keeps its last good version",
               "make the file smaller"};
}

void Publisher::put(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
                    std::vector<Pending>& done) {
  const bool log = is_append_only(op.path);
  if (!log && !is_rewritable(op.path) && !must_parse_as_json(op.path)) return put_copy(op, result, staged, done);
  LiveFacts facts;
  auto opened = live_.open_regular(op.path, &facts);
  if (!opened) {
    if (!changed_under_us(opened.error())) fail(op.path, opened.error(), result);
    return;
  }
  UniqueFd src{opened.value()};
  // Checked before anything is read: a file above the cap is never held in memory.
  if (facts.size > kMaxRewriteBytes) {
    result.too_large.emplace_back(op.path, too_large_error(op.path, std::to_string(facts.size) + " bytes,"));
    return;
  }
  // The bytes the fstat saw (a file that grew since is published again on its next event).
  std::string body(static_cast<std::size_t>(facts.size), '\0');
  std::size_t got = 0;
  while (got < body.size()) {
    ssize_t n = ::pread(src.get(), body.data() + got, body.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fail(op.path, Error{"read", op.path, errno, "", ""}, result);
      return;
    }
    if (n == 0) break;  // it shrank
    got += static_cast<std::size_t>(n);
  }
  body.resize(got);
  if (auto held = held_back_.find(op.path); held != held_back_.end() && held->second == sha256_hex(body)) {
    ++result.held_back;  // installed by the init, not written by the container
    return;
  }
  if (log) {
    // Only complete lines ever reach the outbox; the partial last line waits for its '\n'.
    auto nl = body.rfind('\n');
    body.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  if (must_parse_as_json(op.path)) {
    // Not nlohmann's parser: it refuses the lone surrogate escapes JSON.stringify writes.
    if (auto bad = json_syntax_error(body)) {
      result.invalid_json.emplace_back(op.path, "invalid JSON at " + bad->message());
      return;  // the last good version stays in the outbox
    }
  }
  mapper_.learn_from_content(op.path, body);
  std::string host;
  if (is_rewritable(op.path)) {
    auto rewritten = rewrite_content(op.path, body, mapper_.path_map(), Direction::kToHost, rewrite_);
    if (!rewritten) {
      result.invalid_json.emplace_back(op.path, rewritten.error().detail);
      return;
    }
    host = std::move(rewritten.value());
  } else {
    host = body;
  }
  SyncedEntry entry;
  entry.facts = facts;
  entry.outbox_path = outbox_path(op.path);
  entry.sha256 = sha256_hex(host);
  entry.outbox_size = host.size();
  entry.outbox_mode = facts.mode;
  if (log) {
    entry.live_offset = body.size();
    entry.tail = last_bytes(body, kTailCheckBytes);
    entry.running.update(host);
  }
  auto it = snapshot_.find(op.path);
  if (it != snapshot_.end() && it->second.sha256 == entry.sha256 &&
      it->second.outbox_path == entry.outbox_path && it->second.outbox_mode == entry.outbox_mode) {
    // Same bytes as the outbox (or the stage) already has: only remember the new facts.
    entry.in_outbox = it->second.in_outbox;
    ++result.unchanged;
    done.push_back(Pending{op.path, std::move(entry), {}, std::nullopt});
    return;
  }
  if (auto s = outbox_.stage_put(entry.outbox_path, host, facts.mode); !s) {
    fail(op.path, s.error(), result);
    return;
  }
  entry.in_outbox = true;
  JournalRecord r;
  r.op = JournalOp::kPut;
  r.path = entry.outbox_path;
  r.size = host.size();
  r.sha256 = entry.sha256;
  r.mode = facts.mode;
  result.bytes += host.size();
  staged.push_back(Pending{op.path, std::move(entry), {}, std::move(r)});
}

void Publisher::put_copy(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
                         std::vector<Pending>& done) {
  LiveFacts facts;
  auto opened = live_.open_regular(op.path, &facts);
  if (!opened) {
    if (!changed_under_us(opened.error())) fail(op.path, opened.error(), result);
    return;
  }
  UniqueFd src{opened.value()};
  SyncedEntry entry;
  entry.facts = facts;
  entry.outbox_path = outbox_path(op.path);
  entry.outbox_mode = facts.mode;
  auto it = snapshot_.find(op.path);
  if (it != snapshot_.end() && it->second.outbox_path == entry.outbox_path &&
      it->second.outbox_mode == entry.outbox_mode && it->second.outbox_size == facts.size) {
    // Maybe the same bytes as the outbox has (a touch): hashed in chunks to find out.
    Sha256 sha;
    std::string buf(1u << 16, '\0');
    std::uint64_t off = 0;
    while (off < facts.size) {
      ssize_t n = ::pread(src.get(), buf.data(), std::min<std::uint64_t>(buf.size(), facts.size - off), static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fail(op.path, Error{"read", op.path, errno, "", ""}, result);
        return;
      }
      if (n == 0) break;
      sha.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      off += static_cast<std::uint64_t>(n);
    }
    if (off == facts.size && sha.hex_digest() == it->second.sha256) {
      entry.sha256 = it->second.sha256;
      entry.outbox_size = facts.size;
      entry.in_outbox = it->second.in_outbox;
      ++result.unchanged;
      done.push_back(Pending{op.path, std::move(entry), {}, std::nullopt});
      return;
    }
  }
  std::uint64_t copied = 0;
  auto sha = outbox_.stage_copy(entry.outbox_path, src.get(), facts.size, facts.mode, &copied);
  if (!sha) {
    fail(op.path, sha.error(), result);
    return;
  }
  entry.sha256 = std::move(sha.value());
  entry.outbox_size = copied;
  entry.in_outbox = true;
  JournalRecord r;
  r.op = JournalOp::kPut;
  r.path = entry.outbox_path;
  r.size = copied;
  r.sha256 = entry.sha256;
  r.mode = facts.mode;
  result.bytes += copied;
  staged.push_back(Pending{op.path, std::move(entry), {}, std::move(r)});
}

void Publisher::remove_entry(const std::string& path, PublishResult& result, std::vector<Pending>& done,
                             std::set<std::string>& removed) {
  auto it = snapshot_.find(path);
  if (it == snapshot_.end() || removed.count(path)) return;
  if (it->second.in_outbox) {
    if (auto s = outbox_.remove(it->second.outbox_path); !s) {
      fail(path, s.error(), result);
      return;
    }
  }
  removed.insert(path);
  // Journaled even when only the stage had it: the host deletes its copy too.
  JournalRecord r;
  r.op = JournalOp::kDelete;
  r.path = it->second.outbox_path;
  ++result.deletes;
  done.push_back(Pending{path, std::nullopt, {}, std::move(r)});
}

void Publisher::clear_kind_conflicts(const std::string& path, PublishResult& result, std::vector<Pending>& done,
                                     std::set<std::string>& removed) {
  // A parent folder that the snapshot still has as a file or a link.
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    remove_entry(path.substr(0, slash), result, done, removed);
  }
  // Entries under a folder that is now this file or link.
  const std::string prefix = path + "/";
  std::vector<std::string> under;
  for (auto it = snapshot_.lower_bound(prefix); it != snapshot_.end() && it->first.starts_with(prefix); ++it) {
    under.push_back(it->first);
  }
  for (const std::string& p : under) remove_entry(p, result, done, removed);
}

void Publisher::append(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
                       std::vector<Pending>& done) {
  auto it = snapshot_.find(op.path);
  if (it == snapshot_.end() || !op.facts) return put(op, result, staged, done);
  const SyncedEntry& cur = it->second;
  SyncedEntry entry = cur;
  entry.facts = op.facts;
  // An append is complete once written: its record is held apart (unjournaled_), so it
  // waits for no commit. Its snapshot entry is updated now and the path is not held in
  // flight, so the log's next lines are appended at once, however long the sync of the
  // batch it came with takes (other files' puts).
  auto apply_now = [&](SyncedEntry&& e) {
    snapshot_[op.path] = e;
    Pending p{op.path, std::move(e), {}, std::nullopt};
    p.applied = true;
    done.push_back(std::move(p));
  };
  // The new complete lines, kAppendChunk at a time (a line longer than that is read whole,
  // up to kMaxRewriteBytes), so a huge burst never sits in memory at once.
  std::uint64_t appended = 0;
  std::uint64_t want = kAppendChunk;
  for (;;) {
    const std::uint64_t start = entry.live_offset - entry.tail.size();
    auto data = live_.read(op.path, start, entry.tail.size() + want);
    if (!data) {
      if (!changed_under_us(data.error())) fail(op.path, data.error(), result);
      return;
    }
    std::string_view bytes = data.value();
    if (bytes.substr(0, entry.tail.size()) != entry.tail) {
      if (appended == 0) {
        // The block before the synced offset changed: truncated, rotated or rewritten.
        return put(op, result, staged, done);
      }
      break;  // changed while it was read: what is appended stays, the next event looks again
    }
    std::string_view fresh = bytes.substr(entry.tail.size());
    const bool full = fresh.size() == want;
    auto nl = fresh.rfind('\n');
    if (nl == std::string_view::npos) {
      if (!full) break;  // only a partial line so far
      // One line longer than a chunk: find its end a chunk at a time without holding it,
      // then read it whole if it is within the cap.
      const std::uint64_t line_start = start + entry.tail.size();
      std::uint64_t scan = line_start + fresh.size();
      std::optional<std::uint64_t> end;
      while (!end && scan - line_start <= kMaxRewriteBytes) {
        auto more = live_.read(op.path, scan, kAppendChunk);
        if (!more) {
          if (!changed_under_us(more.error())) fail(op.path, more.error(), result);
          return;
        }
        if (auto p = more->find('\n'); p != std::string::npos) {
          end = scan + p;
          break;
        }
        scan += more->size();
        if (more->size() < kAppendChunk) break;  // the end of the file: the line is not complete yet
      }
      const std::uint64_t line = (end ? *end + 1 : scan) - line_start;
      if (line > kMaxRewriteBytes) {
        result.too_large.emplace_back(
            op.path, too_large_error(op.path, "a log line of " + std::string(end ? "" : "at least ") +
                                                  std::to_string(line) + " bytes,"));
        return;
      }
      if (!end) break;  // only a partial line so far
      want = line;
      continue;
    }
    fresh = fresh.substr(0, nl + 1);
    mapper_.learn_from_content(op.path, fresh);
    std::string host = rewrite_jsonl_lines(fresh, mapper_.path_map(), Direction::kToHost,
                                           is_history(op.path), rewrite_);
    if (auto s = outbox_.append(entry.outbox_path, host, entry.outbox_size); !s) {
      if (appended == 0 && (s.error().detail == "size changed" || s.error().sys_errno == ENOENT)) {
        return put(op, result, staged, done);  // someone touched the outbox copy: start over
      }
      fail(op.path, s.error(), result);
      if (appended == 0) return;
      break;  // the chunks appended before are recorded below
    }
    const std::uint64_t before = entry.outbox_size;
    entry.running.update(host);
    entry.outbox_size += host.size();
    entry.sha256 = entry.running.hex_digest();
    entry.live_offset += fresh.size();
    entry.tail = last_bytes(std::string(bytes.substr(0, entry.tail.size())) + std::string(fresh), kTailCheckBytes);
    JournalRecord* held = unjournaled_for(entry.outbox_path);
    if (!held) {
      JournalRecord r;
      r.op = JournalOp::kAppend;
      r.path = entry.outbox_path;
      r.offset = before;
      unjournaled_.push_back(std::move(r));
      held = &unjournaled_.back();
    }
    held->size = entry.outbox_size;
    held->sha256 = entry.sha256;
    result.bytes += host.size();
    appended += fresh.size();
    want = kAppendChunk;
    if (!full) break;  // read to the end of the file
  }
  if (appended == 0) {
    ++result.unchanged;
  } else {
    ++result.appends;
  }
  apply_now(std::move(entry));
}

// The commit's in and out (CommitBatch: set, staged_paths, records, and the statuses the
// pipeline fills in) and what only the publisher needs to finish the batch.
struct Publisher::Batch : CommitBatch {
  PublishResult result;
  std::vector<Pending> done;    // completed, to journal
  std::vector<Pending> staged;  // puts and links waiting for the commit
  std::vector<std::string> claimed;  // live paths it holds in in_flight_paths()
};

void PublishResult::absorb(PublishResult&& later) {
  batches += later.batches;
  files += later.files;
  appends += later.appends;
  deletes += later.deletes;
  renames += later.renames;
  unchanged += later.unchanged;
  held_back += later.held_back;
  bytes += later.bytes;
  auto move_all = [](auto& to, auto& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  move_all(invalid_json, later.invalid_json);
  move_all(too_large, later.too_large);
  move_all(skipped, later.skipped);
  move_all(failed, later.failed);
  move_all(done, later.done);
  if (!error) error = std::move(later.error);
}

Publisher::Publisher(LiveTree& live, Outbox& outbox, ProjectDirMapper& mapper, RewriteOptions rewrite,
                     SyncSnapshot& snapshot)
    : live_(live), outbox_(outbox), mapper_(mapper), rewrite_(rewrite), snapshot_(snapshot), pipeline_(outbox) {}

// pipeline_ goes first (declared last): batches handed over are committed before they go.
Publisher::~Publisher() = default;

std::unique_ptr<Publisher::Batch> Publisher::prepare(const std::vector<PlannedOp>& ops) {
  auto b = std::make_unique<Batch>();
  PublishResult& result = b->result;
  std::vector<Pending>& done = b->done;
  std::vector<Pending>& staged = b->staged;
  std::set<std::string> removed;  // snapshot paths this batch deletes
  for (const PlannedOp& op : ops) {
    if (op.kind == PlanKind::kPut || op.kind == PlanKind::kAppend || op.kind == PlanKind::kSymlink ||
        op.kind == PlanKind::kRename) {
      clear_kind_conflicts(op.path, result, done, removed);
    }
    switch (op.kind) {
      case PlanKind::kNothing:
        break;
      case PlanKind::kSkip: {
        result.skipped.emplace_back(op.path, op.reason);
        // A link published earlier that now resolves outside (another link changed) must
        // not stay in the outbox: it goes as a delete would.
        auto it = snapshot_.find(op.path);
        if (it == snapshot_.end() || !it->second.in_outbox || !it->second.facts ||
            it->second.facts->kind != EntryKind::kSymlink) {
          break;
        }
        if (auto s = outbox_.remove(it->second.outbox_path); !s) {
          fail(op.path, s.error(), result);
          break;
        }
        JournalRecord r;
        r.op = JournalOp::kDelete;
        r.path = it->second.outbox_path;
        ++result.deletes;
        done.push_back(Pending{op.path, std::nullopt, {}, std::move(r)});
        break;
      }
      case PlanKind::kPut:
        put(op, result, staged, done);
        break;
      case PlanKind::kAppend:
        append(op, result, staged, done);
        break;
      case PlanKind::kSymlink: {
        SyncedEntry entry;
        entry.facts = op.facts;
        entry.in_outbox = true;
        entry.outbox_path = outbox_path(op.path);
        if (auto s = outbox_.stage_symlink(entry.outbox_path, op.facts->link_target); !s) {
          fail(op.path, s.error(), result);
          break;
        }
        JournalRecord r;
        r.op = JournalOp::kSymlink;
        r.path = entry.outbox_path;
        r.target = op.facts->link_target;
        staged.push_back(Pending{op.path, std::move(entry), {}, std::move(r)});
        break;
      }
      case PlanKind::kDelete:
        remove_entry(op.path, result, done, removed);
        break;
      case PlanKind::kRename: {
        auto it = snapshot_.find(op.from);
        if (it == snapshot_.end()) {
          put(op, result, staged, done);
          break;
        }
        SyncedEntry entry = it->second;
        entry.facts = op.facts;
        std::string to = outbox_path(op.path);
        // Journals the old name's delete and publishes the new name as a whole file.
        auto publish_whole = [&] {
          JournalRecord d;
          d.op = JournalOp::kDelete;
          d.path = entry.outbox_path;
          done.push_back(Pending{op.from, std::nullopt, {}, std::move(d)});
          PlannedOp as_put = op;
          as_put.kind = PlanKind::kPut;
          put(as_put, result, staged, done);
        };
        if (is_rewritable(op.from) || is_rewritable(op.path)) {
          // The outbox copy was rewritten by the rules of its old name (an editor's temp
          // file, such as sed -i's, not at all); under the new name it must be rewritten
          // by the new name's rules, so it is published whole and the old copy dropped.
          if (entry.in_outbox) {
            if (auto s = outbox_.remove(entry.outbox_path); !s && s.error().sys_errno != ENOENT) {
              fail(op.path, s.error(), result);
              break;
            }
          }
          publish_whole();
          break;
        }
        if (auto s = outbox_.rename(entry.outbox_path, to); !s) {
          if (s.error().sys_errno != ENOENT) {
            fail(op.path, s.error(), result);
            break;
          }
          // The outbox copy is missing: publish the new name whole, drop the old one.
          publish_whole();
          break;
        }
        JournalRecord r;
        r.op = JournalOp::kRename;
        r.from = entry.outbox_path;
        r.path = to;
        entry.outbox_path = to;
        ++result.renames;
        done.push_back(Pending{op.path, std::move(entry), op.from, std::move(r)});
        break;
      }
    }
  }

  b->set = outbox_.take_staged();
  // A held append record goes out before any other record of the same path, so the
  // journal keeps each path's operations in order.
  auto add = [&](const Pending& p, bool put) {
    for (const std::string* path : {&p.record->path, &p.record->from}) {
      if (path->empty()) continue;
      for (auto it = unjournaled_.begin(); it != unjournaled_.end(); ++it) {
        if (it->path == *path) {
          b->records.emplace_back(*it, std::string());
          unjournaled_.erase(it);
          break;
        }
      }
    }
    b->records.emplace_back(*p.record, put ? p.entry->outbox_path : std::string());
  };
  for (const Pending& p : done) {
    if (p.record) add(p, false);
  }
  for (const Pending& p : staged) {
    add(p, true);
    b->staged_paths.push_back(p.entry->outbox_path);
  }
  return b;
}

PublishResult Publisher::finish(Batch& b) {
  PublishResult& result = b.result;
  result.batches = 1;
  std::vector<Pending>& done = b.done;
  if (!b.staged.empty()) {
    for (Pending& p : b.staged) {
      if (b.visible.count(p.entry->outbox_path)) {
        ++result.files;
        done.push_back(std::move(p));
      } else {
        fail(p.live_path, b.commit_status.ok() ? Error{"commit", p.entry->outbox_path, EIO, "", ""} : b.commit_status.error(),
             result);
      }
    }
  }
  if (!b.journal_status.ok()) {
    // Still owed, ahead of anything held for the same log since (its appends follow).
    for (auto it = b.journaled.rbegin(); it != b.journaled.rend(); ++it) {
      if (it->op != JournalOp::kAppend) continue;
      if (JournalRecord* later = unjournaled_for(it->path)) {
        later->offset = it->offset;
      } else {
        unjournaled_.insert(unjournaled_.begin(), *it);
      }
    }
    // Without a durable record nothing counts as published: retry every path (a retried put
    // rewrites the same bytes, a retried append finds the size changed and puts whole).
    for (const Pending& p : done) fail(p.live_path, b.journal_status.error(), result);
    return std::move(result);
  }
  for (Pending& p : done) {
    if (!p.erase.empty()) snapshot_.erase(p.erase);
    if (p.applied) {
      // Updated when it was appended; a later append may have updated it again since.
    } else if (p.entry) {
      snapshot_[p.live_path] = std::move(*p.entry);
    } else {
      snapshot_.erase(p.live_path);
    }
    result.done.push_back(p.live_path);
  }
  return std::move(result);
}

PublishResult Publisher::publish(const std::vector<PlannedOp>& ops) {
  auto b = prepare(ops);
  pipeline_.commit_now(*b);
  return finish(*b);
}

PublishResult Publisher::submit(const std::vector<PlannedOp>& ops, std::function<void()> on_done) {
  auto b = prepare(ops);  // while the batches before are committed
  std::set<std::string> applied;
  for (const Pending& p : b->done) {
    if (p.applied) applied.insert(p.live_path);
  }
  for (const PlannedOp& op : ops) {
    for (const std::string* path : {&op.path, &op.from}) {
      if (path == &op.path && applied.count(op.path)) continue;  // appended: nothing left in flight
      if (!path->empty() && inflight_paths_.insert(*path).second) b->claimed.push_back(*path);
    }
  }
  pipeline_.submit(*b, std::move(on_done));
  inflight_.push_back(std::move(b));
  return collect_finished();
}

std::size_t Publisher::staged_in_flight() const {
  std::size_t n = 0;
  for (const auto& b : inflight_) n += b->staged.size();
  return n;
}

PublishResult Publisher::collect_finished() { return finish_front(pipeline_.committed()); }

PublishResult Publisher::collect_oldest() {
  if (inflight_.empty()) return {};
  return finish_front(pipeline_.wait_committed(1));
}

PublishResult Publisher::collect() {
  if (inflight_.empty()) return {};
  pipeline_.wait_committed(inflight_.size());
  return finish_front(inflight_.size());
}

PublishResult Publisher::finish_front(std::size_t n) {
  if (n == 0) return {};
  pipeline_.release(n);
  PublishResult merged;
  for (std::size_t i = 0; i < n; ++i) {
    Batch& b = *inflight_[i];
    for (const std::string& p : b.claimed) inflight_paths_.erase(p);
    merged.absorb(finish(b));
  }
  inflight_.erase(inflight_.begin(), inflight_.begin() + static_cast<std::ptrdiff_t>(n));
  return merged;
}

}  // namespace claude
