#include "core/journal.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/byte_names.h"
#include "core/exclude_rules.h"
#include "core/json_syntax.h"
#include "core/manifest.h"
#include "core/path_names.h"
#include "core/sha256.h"

namespace claude {
namespace {

constexpr std::pair<JournalOp, std::string_view> kOpNames[] = {
    {JournalOp::kBegin, "begin"},   {JournalOp::kPut, "put"},
    {JournalOp::kAppend, "append"}, {JournalOp::kDelete, "delete"},
    {JournalOp::kRename, "rename"}, {JournalOp::kSymlink, "symlink"},
};

// One line of the journal into a record; the Error detail says what is wrong with it.
Result<JournalRecord> parse_record(std::string_view line) {
  auto bad = [](std::string what) { return Error{"", "", 0, std::move(what), ""}; };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return bad("not a JSON object");
  auto str = [&](const char* name, std::string& dest) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    dest = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* name, std::uint64_t& dest) -> bool {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    dest = it->get<std::uint64_t>();
    return true;
  };
  JournalRecord r;
  std::string op;
  if (!str("op", op)) return bad("field \"op\" is missing or not a string");
  auto known = std::find_if(std::begin(kOpNames), std::end(kOpNames),
                            [&](const auto& p) { return p.second == op; });
  if (known == std::end(kOpNames)) return bad("unknown op \"" + op + "\"");
  r.op = known->first;
  if (!num("seq", r.seq)) return bad("field \"seq\" is missing or not a non-negative integer");
  if (!str("time", r.time)) return bad("field \"time\" is missing or not a string");

  auto need_str = [&](const char* name, std::string& dest) -> Status {
    if (!str(name, dest)) return bad("field \"" + std::string(name) + "\" is missing or not a string");
    return Ok{};
  };
  auto need_num = [&](const char* name, std::uint64_t& dest) -> Status {
    if (!num(name, dest)) {
      return bad("field \"" + std::string(name) + "\" is missing or not a non-negative integer");
    }
    return Ok{};
  };
  // A name: "path", or "path_b64" when it is not UTF-8 (core/byte_names.h).
  auto need_name = [&](const char* name, std::string& dest) -> Status {
    auto got = get_name(j, name);
    if (!got) return bad(got.error().detail);
    if (!*got) return bad("field \"" + std::string(name) + "\" is missing or not a string");
    dest = std::move(**got);
    return Ok{};
  };
  auto need_path = [&](const char* name, std::string& dest) -> Status {
    if (Status s = need_name(name, dest); !s) return s;
    if (Status s = check_rel_name(dest, "read journal"); !s) {
      return bad("field \"" + std::string(name) + "\" \"" + dest + "\": " + s.error().detail);
    }
    return Ok{};
  };
  auto need_sha = [&]() -> Status {
    if (Status s = need_str("sha256", r.sha256); !s) return s;
    if (!is_sha256_hex(r.sha256)) return bad("field \"sha256\" is not 64 lowercase hex digits");
    return Ok{};
  };
  std::vector<Status> checks;
  switch (r.op) {
    case JournalOp::kBegin:
      checks = {need_str("format", r.format), need_str("run_id", r.run_id),
                need_str("trace_id", r.trace_id)};
      break;
    case JournalOp::kPut: {
      std::uint64_t mode = 0;
      checks = {need_path("path", r.path), need_num("size", r.size), need_sha(),
                need_num("mode", mode)};
      if (mode > 07777) checks.push_back(bad("field \"mode\" is not a permission value"));
      r.mode = static_cast<std::uint32_t>(mode);
      break;
    }
    case JournalOp::kAppend:
      checks = {need_path("path", r.path), need_num("offset", r.offset), need_num("size", r.size),
                need_sha()};
      if (checks[1] && checks[2] && r.offset > r.size) {
        checks.push_back(bad("\"offset\" is past \"size\""));
      }
      break;
    case JournalOp::kDelete:
      checks = {need_path("path", r.path)};
      break;
    case JournalOp::kRename:
      checks = {need_path("from", r.from), need_path("path", r.path)};
      break;
    case JournalOp::kSymlink:
      checks = {need_path("path", r.path), need_name("target", r.target)};
      if (checks[0] && checks[1] && !symlink_stays_inside(r.path, r.target)) {
        checks.push_back(bad("symlink target \"" + r.target + "\" leaves the tree"));
      }
      break;
  }
  for (const auto& s : checks) {
    if (!s) return s.error();
  }
  return r;
}

}  // namespace

std::string_view op_name(JournalOp op) {
  for (const auto& [o, name] : kOpNames) {
    if (o == op) return name;
  }
  return "?";
}

std::string to_line(const JournalRecord& r) {
  // ordered_json keeps the fields in the order a person reads them.
  nlohmann::ordered_json j;
  j["seq"] = r.seq;
  j["op"] = op_name(r.op);
  switch (r.op) {
    case JournalOp::kBegin:
      j["format"] = r.format;
      j["run_id"] = r.run_id;
      j["trace_id"] = r.trace_id;
      break;
    case JournalOp::kPut:
      put_name(j, "path", r.path);
      j["size"] = r.size;
      j["sha256"] = r.sha256;
      j["mode"] = r.mode;
      break;
    case JournalOp::kAppend:
      put_name(j, "path", r.path);
      j["offset"] = r.offset;
      j["size"] = r.size;
      j["sha256"] = r.sha256;
      break;
    case JournalOp::kDelete:
      put_name(j, "path", r.path);
      break;
    case JournalOp::kRename:
      put_name(j, "from", r.from);
      put_name(j, "path", r.path);
      break;
    case JournalOp::kSymlink:
      put_name(j, "path", r.path);
      put_name(j, "target", r.target);
      break;
  }
  j["time"] = r.time;
  // Names that are not UTF-8 went under "_b64" keys; replace only keeps a bad byte in an
  // id from turning into an exception here.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

JournalParser::JournalParser(std::string_view file_name) : file_(file_name) {}

Result<JournalRecord> JournalParser::next(std::string_view line) {
  ++line_no_;
  auto fail = [&](const std::string& detail) {
    return Error{"read journal", file_, 0, "line " + std::to_string(line_no_) + ": " + detail,
                 "the outbox journal is damaged; keep the outbox for inspection and read back "
                 "with a fresh run"};
  };
  auto r = parse_record(line);
  if (!r) return fail(r.error().detail);
  if (!last_seq_ && r->op != JournalOp::kBegin) {
    return fail("the first record is \"" + std::string(op_name(r->op)) + "\", not \"begin\"");
  }
  if (r->op == JournalOp::kBegin && !reads_format(r->format, kOutboxFormat)) {
    return fail("format \"" + r->format + "\" is not one this version reads (" + std::string(kOutboxFormat) + ")");
  }
  if (last_seq_ && r->seq <= *last_seq_) {
    return fail("seq " + std::to_string(r->seq) + " does not follow " + std::to_string(*last_seq_));
  }
  last_seq_ = r->seq;
  return r;
}

Result<std::vector<JournalRecord>> parse_journal(std::string_view text, bool* torn_tail,
                                                 std::string_view file_name) {
  if (torn_tail) *torn_tail = false;
  std::vector<JournalRecord> records;
  JournalParser parser(file_name);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      // A kill during the append leaves a line without its '\n': the operation it would
      // record is found again by recovery, so the torn line is dropped.
      if (torn_tail) *torn_tail = true;
      break;
    }
    auto r = parser.next(text.substr(start, nl - start));
    if (!r) return r.error();
    records.push_back(std::move(*r));
    start = nl + 1;
  }
  return records;
}

std::uint64_t next_seq(const std::vector<JournalRecord>& records) {
  return records.empty() ? 0 : records.back().seq + 1;
}

void TreeState::replay(const std::vector<JournalRecord>& records) {
  for (const auto& r : records) apply(r);
}

void TreeState::apply(const JournalRecord& r) {
  if (last_seq_ && r.seq <= *last_seq_) return;  // already applied: replay is idempotent
  last_seq_ = r.seq;
  auto erase_tree = [&](const std::string& path) {
    entries_.erase(path);
    auto it = entries_.lower_bound(path + "/");
    while (it != entries_.end() && is_under(it->first, path)) it = entries_.erase(it);
  };
  switch (r.op) {
    case JournalOp::kBegin:
      break;
    case JournalOp::kPut:
      erase_tree(r.path);
      entries_[r.path] = ExpectedEntry{false, r.size, r.sha256, r.mode, "", JournalOp::kPut};
      break;
    case JournalOp::kAppend: {
      ExpectedEntry& e = entries_[r.path];
      e.is_symlink = false;
      e.target.clear();
      e.size = r.size;
      e.sha256 = r.sha256;
      e.last_op = JournalOp::kAppend;
      break;
    }
    case JournalOp::kDelete:
      erase_tree(r.path);
      break;
    case JournalOp::kRename: {
      if (r.from == r.path) break;
      std::vector<std::pair<std::string, ExpectedEntry>> moved;
      for (auto it = entries_.find(r.from); it != entries_.end() && it->first == r.from;) {
        moved.emplace_back(r.path, it->second);
        it = entries_.erase(it);
      }
      auto it = entries_.lower_bound(r.from + "/");
      while (it != entries_.end() && is_under(it->first, r.from)) {
        moved.emplace_back(r.path + it->first.substr(r.from.size()), it->second);
        it = entries_.erase(it);
      }
      if (moved.empty()) break;  // nothing there (already moved): the rename is a no-op
      erase_tree(r.path);
      for (auto& [path, entry] : moved) entries_[path] = std::move(entry);
      break;
    }
    case JournalOp::kSymlink:
      erase_tree(r.path);
      entries_[r.path] = ExpectedEntry{true, 0, "", 0, r.target, JournalOp::kSymlink};
      break;
  }
}

const ExpectedEntry* TreeState::find(std::string_view path) const {
  auto it = entries_.find(std::string(path));
  return it == entries_.end() ? nullptr : &it->second;
}

bool is_appended_log(std::string_view rel_path, const ExpectedEntry& expected) {
  return !expected.is_symlink && (rel_path.ends_with(".jsonl") || expected.last_op == JournalOp::kAppend);
}

std::size_t complete_json_lines(std::string_view tail) {
  std::size_t end = 0;
  for (;;) {
    std::size_t nl = tail.find('\n', end);
    if (nl == std::string_view::npos) return end;
    std::string_view line = tail.substr(end, nl - end);
    if (line.empty() || !is_json_document(line)) return end;
    end = nl + 1;
  }
}

void observe_log_tail(const ExpectedEntry& expected, Sha256 at_prefix, std::string_view tail,
                      ObservedEntry& o) {
  if (tail.empty() || !is_appended_log(o.path, expected)) return;
  std::size_t n = complete_json_lines(tail);
  if (n == 0) return;
  at_prefix.update(tail.substr(0, n));
  o.lines_end = expected.size + n;
  o.lines_sha256 = at_prefix.hex_digest();
}

void observe_content(std::string_view content, const ExpectedEntry* expected, ObservedEntry& o) {
  o.size = content.size();
  o.whole_sha256 = sha256_hex(content);
  if (!expected || expected->is_symlink || content.size() < expected->size) return;
  Sha256 at_prefix;
  at_prefix.update(content.substr(0, expected->size));
  o.prefix_sha256 = at_prefix.hex_digest();
  observe_log_tail(*expected, at_prefix, content.substr(expected->size), o);
}

std::string temp_name(std::string_view name, std::string_view unique) {
  std::string out = ".";
  const std::size_t fixed = 1 + kTempMarker.size() + unique.size();
  if (fixed + name.size() <= kMaxNameBytes) {
    out.append(name);
  } else {
    const std::size_t keep = kMaxNameBytes - fixed - 17;  // '~' and 16 hex digits
    out.append(name.substr(0, keep)).append("~").append(sha256_hex(name).substr(0, 16));
  }
  out.append(kTempMarker).append(unique);
  return out;
}

bool is_temp_name(std::string_view rel_path) {
  return base_name(rel_path).find(kTempMarker) != std::string_view::npos;
}

std::string_view action_name(RecoveryAction action) {
  switch (action) {
    case RecoveryAction::kOk: return "ok";
    case RecoveryAction::kJournalAsPut: return "journal-as-put";
    case RecoveryAction::kJournalAsSymlink: return "journal-as-symlink";
    case RecoveryAction::kJournalAsDelete: return "journal-as-delete";
    case RecoveryAction::kJournalAsAppend: return "journal-as-append";
    case RecoveryAction::kTruncate: return "truncate";
    case RecoveryAction::kStaleTemp: return "stale-temp";
    case RecoveryAction::kCorrupt: return "corrupt";
  }
  return "?";
}

std::vector<RecoveryStep> plan_recovery(const TreeState& expected,
                                        const std::vector<ObservedEntry>& observed) {
  std::map<std::string_view, const ObservedEntry*> seen;
  for (const auto& o : observed) seen[o.path] = &o;

  std::vector<RecoveryStep> steps;
  auto journal_observed = [&](const ObservedEntry& o) {
    RecoveryStep s;
    s.path = o.path;
    s.record.path = o.path;
    if (o.is_symlink) {
      s.action = RecoveryAction::kJournalAsSymlink;
      s.record.op = JournalOp::kSymlink;
      s.record.target = o.target;
    } else {
      s.action = RecoveryAction::kJournalAsPut;
      s.record.op = JournalOp::kPut;
      s.record.size = o.size;
      s.record.sha256 = o.whole_sha256;
      s.record.mode = o.mode;
    }
    return s;
  };

  for (const auto& [path, o] : seen) {
    if (is_temp_name(path)) {
      steps.push_back({std::string(path), RecoveryAction::kStaleTemp, {}, 0, ""});
      continue;
    }
    const ExpectedEntry* e = expected.find(path);
    if (!e) {
      // Renamed into place, then killed before the record: complete, so journal it.
      steps.push_back(journal_observed(*o));
      continue;
    }
    if (e->is_symlink || o->is_symlink) {
      if (e->is_symlink && o->is_symlink && e->target == o->target) {
        steps.push_back({std::string(path), RecoveryAction::kOk, {}, 0, ""});
      } else {
        steps.push_back(journal_observed(*o));
      }
      continue;
    }
    if (o->size == e->size && o->whole_sha256 == e->sha256) {
      steps.push_back({std::string(path), RecoveryAction::kOk, {}, 0, ""});
      continue;
    }
    if (!is_appended_log(path, *e)) {
      steps.push_back(journal_observed(*o));
      continue;
    }
    if (o->size > e->size && o->prefix_sha256 == e->sha256 && o->lines_end > e->size &&
        o->lines_end <= o->size && !o->lines_sha256.empty()) {
      RecoveryStep s{std::string(path), RecoveryAction::kJournalAsAppend, {}, o->lines_end, ""};
      s.record.op = JournalOp::kAppend;
      s.record.path = o->path;
      s.record.offset = e->size;
      s.record.size = o->lines_end;
      s.record.sha256 = o->lines_sha256;
      s.detail = std::to_string(o->lines_end - e->size) + " bytes of whole lines past the journaled size " +
                 std::to_string(e->size);
      if (o->size > o->lines_end) s.detail += ", then " + std::to_string(o->size - o->lines_end) + " torn bytes";
      steps.push_back(std::move(s));
      continue;
    }
    if (o->size > e->size && o->prefix_sha256 == e->sha256) {
      RecoveryStep s{std::string(path), RecoveryAction::kTruncate, {}, e->size, ""};
      s.detail = std::to_string(o->size - e->size) + " bytes past the journaled size " +
                 std::to_string(e->size);
      steps.push_back(std::move(s));
      continue;
    }
    RecoveryStep s{std::string(path), RecoveryAction::kCorrupt, {}, 0, ""};
    s.detail = o->size < e->size
                   ? "the log has " + std::to_string(o->size) + " bytes, the journal says " +
                         std::to_string(e->size)
                   : "the first " + std::to_string(e->size) +
                         " bytes of the log differ from what the journal recorded";
    steps.push_back(std::move(s));
  }
  for (const auto& [path, e] : expected.entries()) {
    if (seen.count(path)) continue;
    // Unlinked, then killed before the record.
    RecoveryStep s{path, RecoveryAction::kJournalAsDelete, {}, 0, ""};
    s.record.op = JournalOp::kDelete;
    s.record.path = path;
    steps.push_back(std::move(s));
  }
  std::sort(steps.begin(), steps.end(),
            [](const RecoveryStep& a, const RecoveryStep& b) { return a.path < b.path; });
  return steps;
}

}  // namespace claude
