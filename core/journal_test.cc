#include "core/journal.h"

#include <catch2/catch.hpp>

#include "core/sha256.h"

using claude::JournalOp;
using claude::JournalRecord;
using claude::ObservedEntry;
using claude::parse_journal;
using claude::RecoveryAction;
using claude::TreeState;
using namespace std::string_view_literals;

namespace {

JournalRecord begin(std::uint64_t seq) {
  JournalRecord r;
  r.seq = seq;
  r.op = JournalOp::kBegin;
  r.format = "claude-outbox/1";
  r.run_id = "run";
  r.trace_id = "trace";
  r.time = "2026-11-22T00:00:00Z";
  return r;
}

JournalRecord put(std::uint64_t seq, std::string path, std::string_view content,
                  std::uint32_t mode = 0644) {
  JournalRecord r;
  r.seq = seq;
  r.op = JournalOp::kPut;
  r.path = std::move(path);
  r.size = content.size();
  r.sha256 = claude::sha256_hex(content);
  r.mode = mode;
  r.time = "2026-11-22T00:00:01Z";
  return r;
}

JournalRecord append(std::uint64_t seq, std::string path, std::string_view before,
                     std::string_view after) {
  JournalRecord r;
  r.seq = seq;
  r.op = JournalOp::kAppend;
  r.path = std::move(path);
  r.offset = before.size();
  r.size = after.size();
  r.sha256 = claude::sha256_hex(after);
  r.time = "2026-11-22T00:00:02Z";
  return r;
}

JournalRecord simple(std::uint64_t seq, JournalOp op, std::string path, std::string other = "") {
  JournalRecord r;
  r.seq = seq;
  r.op = op;
  r.path = std::move(path);
  if (op == JournalOp::kRename) r.from = std::move(other);
  if (op == JournalOp::kSymlink) r.target = std::move(other);
  r.time = "2026-11-22T00:00:03Z";
  return r;
}

std::string text_of(const std::vector<JournalRecord>& records) {
  std::string text;
  for (const auto& r : records) text += claude::to_line(r);
  return text;
}

ObservedEntry file(std::string path, std::string_view content, std::uint64_t expected_size,
                   std::uint32_t mode = 0644) {
  ObservedEntry o;
  o.path = std::move(path);
  o.size = content.size();
  o.whole_sha256 = claude::sha256_hex(content);
  if (content.size() >= expected_size) o.prefix_sha256 = claude::sha256_hex(content.substr(0, expected_size));
  o.mode = mode;
  return o;
}

}  // namespace

TEST_CASE("journal records are single lines that parse back to the same records") {
  std::vector<JournalRecord> records = {
      begin(0),
      put(1, ".claude.json", "{}", 0600),
      put(2, "projects/-root/s.jsonl", "a\n"),
      append(3, "projects/-root/s.jsonl", "a\n", "a\nb\n"),
      simple(4, JournalOp::kRename, "agents/b.md", "agents/a.md"),
      simple(5, JournalOp::kDelete, "agents/b.md"),
      simple(6, JournalOp::kSymlink, "commands/l.md", "../agents/x.md"),
      begin(7),
  };
  std::string text = text_of(records);
  for (const auto& r : records) {
    std::string line = claude::to_line(r);
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
  }
  CHECK(claude::to_line(records[1]).starts_with(R"({"seq":1,"op":"put","path":".claude.json")"));
  bool torn = true;
  auto parsed = parse_journal(text, &torn);
  REQUIRE(parsed.ok());
  CHECK_FALSE(torn);
  CHECK(*parsed == records);
  CHECK(claude::next_seq(*parsed) == 8);
  CHECK(claude::next_seq({}) == 0);
}

TEST_CASE("a torn last line is ignored and reported; other damage is an error with a line number") {
  std::string text = text_of({begin(0), put(1, "a", "x")});
  std::string torn_line = claude::to_line(put(2, "b", "y"));
  torn_line.pop_back();
  bool torn = false;
  auto parsed = parse_journal(text + torn_line.substr(0, 10), &torn);
  REQUIRE(parsed.ok());
  CHECK(torn);
  CHECK(parsed->size() == 2);
  // Even a complete-looking record without its '\n' was not fully appended.
  parsed = parse_journal(text + torn_line, &torn);
  REQUIRE(parsed.ok());
  CHECK(torn);
  CHECK(parsed->size() == 2);

  struct Case {
    std::string text;
    const char* mentions;
  };
  const Case cases[] = {
      {text + "garbage\n" + claude::to_line(put(3, "c", "z")), "line 3"},
      {text + "\n", "line 3"},
      {claude::to_line(put(0, "a", "x")), "begin"},
      {text_of({begin(0), put(1, "a", "x"), put(1, "b", "y")}), "seq 1"},
      {text_of({begin(0), put(1, "../x", "x")}), "'..'"},
      {text_of({begin(0), put(1, "/etc/x", "x")}), "absolute"},
      {text_of({begin(0), simple(1, JournalOp::kSymlink, "l", "../../out")}), "leaves the tree"},
      {R"({"seq":0,"op":"begin","format":"claude-outbox/2","run_id":"r","trace_id":"t","time":"x"})" "\n", "claude-outbox/2"},
      {R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})" "\n"
       R"({"seq":1,"op":"put","path":"a","size":1,"sha256":"00","mode":420,"time":"x"})" "\n", "sha256"},
      {R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})" "\n"
       R"({"seq":1,"op":"frobnicate","time":"x"})" "\n", "unknown op"},
      {R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})" "\n"
       R"({"seq":1,"op":"append","path":"a","offset":5,"size":4,"sha256":")" + claude::sha256_hex("") +
           R"(","time":"x"})" "\n", "offset"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = parse_journal(c.text, nullptr, "/outbox/journal.jsonl");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().path == "/outbox/journal.jsonl");
    CHECK(r.error().detail.find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("replaying the journal gives the expected tree, and replaying twice changes nothing") {
  std::vector<JournalRecord> records = {
      begin(0),
      put(1, "a/x.md", "x"),
      put(2, "a/y.md", "y"),
      put(3, "projects/-root/s.jsonl", "l1\n"),
      append(4, "projects/-root/s.jsonl", "l1\n", "l1\nl2\n"),
      simple(5, JournalOp::kRename, "b", "a"),  // a folder rename moves what is inside
      simple(6, JournalOp::kDelete, "b/y.md"),
      simple(7, JournalOp::kSymlink, "link", "b/x.md"),
      put(8, "c", "old"),
      simple(9, JournalOp::kRename, "c", "b/x.md"),  // replaces c
      begin(10),
      simple(11, JournalOp::kRename, "zz", "nothing-there"),
  };
  TreeState once;
  once.replay(records);
  REQUIRE(once.entries().size() == 3);
  REQUIRE(once.find("c") != nullptr);
  CHECK(once.find("c")->sha256 == claude::sha256_hex("x"));
  CHECK(once.find("b/x.md") == nullptr);
  CHECK(once.find("b/y.md") == nullptr);
  const auto* log = once.find("projects/-root/s.jsonl");
  REQUIRE(log != nullptr);
  CHECK(log->size == 6);
  CHECK(log->last_op == JournalOp::kAppend);
  CHECK(log->mode == 0644);  // kept from the put
  CHECK(once.find("link")->is_symlink);
  CHECK(once.find("zz") == nullptr);
  CHECK(once.last_seq() == 11);

  TreeState twice = once;
  twice.replay(records);
  CHECK(twice == once);
  // A prefix, then the whole journal (as a restart re-reading it does), equals once.
  TreeState prefix_then_all;
  prefix_then_all.replay(std::vector<JournalRecord>(records.begin(), records.begin() + 5));
  prefix_then_all.replay(records);
  CHECK(prefix_then_all == once);
}

TEST_CASE("recovery tells complete, torn and corrupt files apart") {
  const std::string log1 = "{\"a\":1}\n";
  const std::string log2 = log1 + "{\"b\":2}\n";
  TreeState expected;
  expected.replay({begin(0), put(1, "settings.json", "{\"v\":1}"), put(2, "p/s.jsonl", log1),
                   append(3, "p/s.jsonl", log1, log2), put(4, "p/t.jsonl", log1),
                   put(5, "p/u.jsonl", log2), put(6, "CLAUDE.md", "same"),
                   simple(7, JournalOp::kSymlink, "l", "CLAUDE.md"), put(8, "gone.md", "g"),
                   simple(9, JournalOp::kSymlink, "l2", "CLAUDE.md")});
  std::vector<ObservedEntry> observed = {
      file("settings.json", "{\"v\":2}", 7),                 // renamed in after its record
      file("p/s.jsonl", log2 + "{\"c\":", log2.size()),     // torn append
      file("p/t.jsonl", "", log1.size()),                   // shorter than journaled
      file("p/u.jsonl", "{\"X\":1}\n{\"b\":2}\n{\"c\":3}\n", log2.size()),  // prefix differs
      file("CLAUDE.md", "same", 4),
      file("new.md", "n", 0),                              // never journaled
      file("agents/.a.md.claude-init-tmp.1f", "partial", 0),
  };
  ObservedEntry link;
  link.path = "l";
  link.is_symlink = true;
  link.target = "CLAUDE.md";
  observed.push_back(link);
  link.path = "l2";
  link.target = "settings.json";  // re-pointed after its record
  observed.push_back(link);

  auto steps = claude::plan_recovery(expected, observed);
  std::map<std::string, claude::RecoveryStep> by_path;
  for (const auto& s : steps) by_path[s.path] = s;
  REQUIRE(by_path.size() == 10);
  CHECK(std::is_sorted(steps.begin(), steps.end(),
                       [](const auto& a, const auto& b) { return a.path < b.path; }));

  CHECK(by_path["settings.json"].action == RecoveryAction::kJournalAsPut);
  CHECK(by_path["settings.json"].record.op == JournalOp::kPut);
  CHECK(by_path["settings.json"].record.sha256 == claude::sha256_hex("{\"v\":2}"));
  CHECK(by_path["settings.json"].record.size == 7);
  CHECK(by_path["p/s.jsonl"].action == RecoveryAction::kTruncate);
  CHECK(by_path["p/s.jsonl"].truncate_to == log2.size());
  CHECK(by_path["p/t.jsonl"].action == RecoveryAction::kCorrupt);
  CHECK(by_path["p/t.jsonl"].detail.find("0 bytes") != std::string::npos);
  CHECK(by_path["p/u.jsonl"].action == RecoveryAction::kCorrupt);
  CHECK(by_path["CLAUDE.md"].action == RecoveryAction::kOk);
  CHECK(by_path["new.md"].action == RecoveryAction::kJournalAsPut);
  CHECK(by_path["agents/.a.md.claude-init-tmp.1f"].action == RecoveryAction::kStaleTemp);
  CHECK(by_path["l"].action == RecoveryAction::kOk);
  CHECK(by_path["l2"].action == RecoveryAction::kJournalAsSymlink);
  CHECK(by_path["l2"].record.target == "settings.json");
  CHECK(by_path["gone.md"].action == RecoveryAction::kJournalAsDelete);
  CHECK(by_path["gone.md"].record.op == JournalOp::kDelete);
  CHECK(claude::action_name(RecoveryAction::kTruncate) == "truncate");
}

TEST_CASE("after recovery's records are journaled, a second plan finds nothing to do") {
  TreeState expected;
  std::vector<JournalRecord> records = {begin(0), put(1, "a.json", "1"), put(2, "b.md", "b")};
  expected.replay(records);
  std::vector<ObservedEntry> observed = {file("a.json", "2", 1), file("c.md", "c", 0)};
  auto steps = claude::plan_recovery(expected, observed);
  std::uint64_t seq = claude::next_seq(records);
  for (auto& s : steps) {
    if (s.action == RecoveryAction::kOk) continue;
    REQUIRE((s.action == RecoveryAction::kJournalAsPut || s.action == RecoveryAction::kJournalAsDelete));
    s.record.seq = seq++;
    s.record.time = "2026-11-22T00:00:09Z";
    records.push_back(s.record);
  }
  auto reparsed = parse_journal(text_of(records));
  REQUIRE(reparsed.ok());
  TreeState after;
  after.replay(*reparsed);
  for (const auto& s : claude::plan_recovery(after, observed)) {
    INFO(s.path);
    CHECK(s.action == RecoveryAction::kOk);
  }
}

TEST_CASE("complete_json_lines counts the whole JSON lines a torn append left") {
  using claude::complete_json_lines;
  CHECK(complete_json_lines("") == 0);
  CHECK(complete_json_lines("{\"a\":1}") == 0);  // no newline yet: torn
  CHECK(complete_json_lines("{\"a\":1}\n") == 8);
  CHECK(complete_json_lines("{\"a\":1}\n{\"b\":2}\n{\"c\":") == 16);
  CHECK(complete_json_lines("{\"a\":1}\n{\"b\":\n") == 8);  // a line that is not JSON ends it
  CHECK(complete_json_lines("\n{\"a\":1}\n") == 0);         // an empty line is not a record
  CHECK(complete_json_lines("{\"a\":1}\n\0\0\0\n"sv) == 8);  // zeros from a lost block
  // A line the CLI wrote with a lone surrogate escape is whole, not torn.
  CHECK(complete_json_lines(R"({"t":"\ud800"})" "\n" R"({"t":"\udc00\ud800"})" "\n") == 36);
}

TEST_CASE("recovery journals whole lines past a log's journaled size and cuts only a torn rest") {
  const std::string log1 = "{\"a\":1}\n";
  const std::string log2 = log1 + "{\"b\":2}\n";
  TreeState expected;
  expected.replay({begin(0), put(1, "p/s.jsonl", log1), put(2, "p/t.jsonl", log1), put(3, "p/u.jsonl", log1),
                   put(4, "p/v.jsonl", log1), put(5, "notes.md", "n")});
  auto observe = [&](std::string path, std::string_view content) {
    ObservedEntry o;
    o.path = std::move(path);
    o.mode = 0644;
    claude::observe_content(content, expected.find(o.path), o);
    return o;
  };
  const std::string more = log2 + "{\"c\":3}\n";
  std::vector<ObservedEntry> observed = {
      observe("p/s.jsonl", more + "{\"d\":"),  // two whole lines, then a torn one
      observe("p/t.jsonl", more),              // two whole lines
      observe("p/u.jsonl", log1 + "{\"d\":"),  // only a torn line
      observe("p/v.jsonl", "{\"X\":1}\n" + std::string("{\"b\":2}\n")),  // the journaled bytes differ
      observe("notes.md", "n\n{\"x\":1}\n"),   // not a log: a whole put
  };
  std::map<std::string, claude::RecoveryStep> by_path;
  for (const auto& s : claude::plan_recovery(expected, observed)) by_path[s.path] = s;

  const auto& s = by_path["p/s.jsonl"];
  CHECK(s.action == RecoveryAction::kJournalAsAppend);
  CHECK(claude::action_name(s.action) == "journal-as-append");
  CHECK(s.truncate_to == more.size());
  CHECK(s.record.op == JournalOp::kAppend);
  CHECK(s.record.offset == log1.size());
  CHECK(s.record.size == more.size());
  CHECK(s.record.sha256 == claude::sha256_hex(more));
  CHECK(s.detail.find("torn") != std::string::npos);
  CHECK(by_path["p/t.jsonl"].action == RecoveryAction::kJournalAsAppend);
  CHECK(by_path["p/t.jsonl"].truncate_to == more.size());
  CHECK(by_path["p/u.jsonl"].action == RecoveryAction::kTruncate);
  CHECK(by_path["p/u.jsonl"].truncate_to == log1.size());
  CHECK(by_path["p/v.jsonl"].action == RecoveryAction::kCorrupt);
  CHECK(by_path["notes.md"].action == RecoveryAction::kJournalAsPut);

  // Journaling the step gives the state the file is in after the cut: replay agrees.
  TreeState after = expected;
  after.apply([&] { auto r = s.record; r.seq = 10; return r; }());
  const claude::ExpectedEntry* e = after.find("p/s.jsonl");
  REQUIRE(e);
  CHECK(e->size == more.size());
  CHECK(e->sha256 == claude::sha256_hex(more));
}

TEST_CASE("names are bytes: any path, source and target round-trip exactly through the journal") {
  // Random names of arbitrary bytes (never NUL, '/' only as a separator), and the cases the
  // kernel allows that UTF-8 does not: a lone Latin-1 byte, a truncated sequence, an
  // encoded surrogate, an overlong form.
  std::vector<std::string> names = {"caf\xe9", "a\xc3", "\xed\xa0\x80x", "\xc0\xaf", "\xff\xfe/\x80", "ok/caf\xc3\xa9",
                                     std::string(255, '\xfe')};
  std::uint64_t state = 7;
  for (int n = 0; n < 200; ++n) {
    std::string name;
    int len = 1 + static_cast<int>(state % 40);
    for (int k = 0; k < len; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      char c = static_cast<char>((state >> 33) & 0xff);
      if (c == '\0' || c == '/') c = 'x';
      name += c;
    }
    if (name == "." || name == "..") name += "x";
    names.push_back(name);
  }
  std::vector<JournalRecord> records = {begin(0)};
  std::uint64_t seq = 1;
  for (const std::string& name : names) {
    records.push_back(put(seq++, "d/" + name, "x"));
    records.push_back(simple(seq++, JournalOp::kRename, "e/" + name, "d/" + name));
    records.push_back(simple(seq++, JournalOp::kSymlink, "l/" + name, "../e/" + name));
    records.push_back(simple(seq++, JournalOp::kDelete, "e/" + name));
  }
  const std::string text = text_of(records);
  auto back = parse_journal(text);
  REQUIRE(back.ok());
  CHECK(*back == records);
  // A name that is not UTF-8 is carried under "_b64" only; UTF-8 names are written plainly.
  CHECK(claude::to_line(put(1, "caf\xe9", "x")).find(R"("path_b64":"Y2Fm6Q==")") != std::string::npos);
  CHECK(claude::to_line(put(1, "caf\xe9", "x")).find(R"("path":)") == std::string::npos);
  CHECK(claude::to_line(put(1, "caf\xc3\xa9", "x")).find("\"path\":\"caf\xc3\xa9\"") != std::string::npos);
}

TEST_CASE("a journal from before byte names still parses; bad _b64 fields are refused") {
  const std::string old =
      R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})" "\n"
      R"({"seq":1,"op":"put","path":"a/b.json","size":1,"sha256":")" + claude::sha256_hex("x") +
      R"(","mode":420,"time":"x"})" "\n";
  auto back = parse_journal(old);
  REQUIRE(back.ok());
  CHECK((*back)[1].path == "a/b.json");
  auto with = [&](const std::string& fields) {
    return R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})" "\n"
           R"({"seq":1,"op":"delete",)" + fields + R"(,"time":"x"})" "\n";
  };
  CHECK(parse_journal(with(R"("path_b64":"Y2Fm6Q==")"))->at(1).path == "caf\xe9");
  auto both = parse_journal(with(R"("path":"a","path_b64":"YQ==")"));
  REQUIRE_FALSE(both.ok());
  CHECK_THAT(both.error().detail, Catch::Contains("both"));
  CHECK_FALSE(parse_journal(with(R"("path_b64":"not base64!")")).ok());
  CHECK_FALSE(parse_journal(with(R"("path_b64":"Li4=")")).ok());  // ".." is still refused
}

TEST_CASE("a temp name always fits in 255 bytes and is recognised as ours") {
  for (std::size_t len : {1u, 200u, 225u, 226u, 240u, 254u, 255u}) {
    std::string name(len, 'n');
    std::string t = claude::temp_name(name, "0123456789ab");
    INFO(len);
    CHECK(t.size() <= claude::kMaxNameBytes);
    CHECK(claude::is_temp_name("dir/" + t));
    CHECK(t.front() == '.');
    CHECK(t.ends_with(".claude-init-tmp.0123456789ab"));
  }
  CHECK(claude::temp_name("a.json", "0123456789ab") == ".a.json.claude-init-tmp.0123456789ab");
  // Two long names differing only at their end get different temps.
  std::string a(255, 'x'), b(255, 'x');
  b.back() = 'y';
  CHECK(claude::temp_name(a, "0") != claude::temp_name(b, "0"));
}
