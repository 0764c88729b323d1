#include "core/change_coalescer.h"

#include <algorithm>

namespace claude {

void ChangeCoalescer::set_due(const std::string& path, Pending& entry,
                              SyncClock::time_point due) {
  auto range = by_due_.equal_range(entry.due);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == path) {
      by_due_.erase(it);
      break;
    }
  }
  entry.due = due;
  by_due_.emplace(due, path);
}

void ChangeCoalescer::note(const std::string& path, Urgency urgency, SyncClock::time_point now) {
  auto it = pending_.find(path);
  if (it == pending_.end()) {
    SyncClock::time_point due = urgency == Urgency::kNow ? now : now + config_.settle;
    due = std::min(due, now + config_.cap);
    pending_.emplace(path, Pending{now, due});
    by_due_.emplace(due, path);
    return;
  }
  Pending& entry = it->second;
  // A kNow hint makes the path due at once. A kSettle hint (the file is being written
  // again) pushes the due time to `settle` after it, but never past `cap` counted from the
  // first pending hint, so a file that is never quiet is still published every cap.
  SyncClock::time_point due = urgency == Urgency::kNow
                                  ? std::min(entry.due, now)
                                  : std::min(now + config_.settle, entry.first_seen + config_.cap);
  if (due != entry.due) set_due(path, entry, due);
}

void ChangeCoalescer::retry_at(const std::string& path, SyncClock::time_point at,
                               SyncClock::time_point first_seen) {
  auto it = pending_.find(path);
  if (it == pending_.end()) {
    pending_.emplace(path, Pending{first_seen, at});
    by_due_.emplace(at, path);
    return;
  }
  it->second.first_seen = std::min(it->second.first_seen, first_seen);
  if (at < it->second.due) set_due(path, it->second, at);
}

std::optional<SyncClock::time_point> ChangeCoalescer::next_due() const {
  if (by_due_.empty()) return std::nullopt;
  return by_due_.begin()->first;
}

std::vector<ChangeCoalescer::Taken> ChangeCoalescer::take_due(SyncClock::time_point now,
                                                              std::size_t limit) {
  std::vector<Taken> out;
  while (!by_due_.empty() && out.size() < limit && by_due_.begin()->first <= now) {
    auto node = by_due_.begin();
    auto it = pending_.find(node->second);
    out.push_back(Taken{node->second, it->second.first_seen});
    pending_.erase(it);
    by_due_.erase(node);
  }
  return out;
}

std::vector<ChangeCoalescer::Taken> ChangeCoalescer::take_all() {
  std::vector<Taken> out;
  out.reserve(pending_.size());
  for (auto& [path, entry] : pending_) out.push_back(Taken{path, entry.first_seen});
  pending_.clear();
  by_due_.clear();
  return out;
}

std::optional<SyncClock::time_point> ChangeCoalescer::oldest_first_seen() const {
  std::optional<SyncClock::time_point> oldest;
  for (const auto& [path, entry] : pending_) {
    if (!oldest || entry.first_seen < *oldest) oldest = entry.first_seen;
  }
  return oldest;
}

}  // namespace claude
