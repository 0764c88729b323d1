// libFuzzer target for the outbox journal and the stage manifest: parsing never crashes;
// what parses serializes back to the same records; replay is idempotent; the recovery
// planner accepts anything.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/journal.h"
#include "core/manifest.h"
#include "core/sha256.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// Records built from the input bytes: written with to_line, they parse back to the same
// records exactly when every path in them is one the journal accepts.
void check_written_records(std::string_view bytes) {
  std::vector<claude::JournalRecord> records;
  claude::JournalRecord b;
  b.op = claude::JournalOp::kBegin;
  b.format = "claude-outbox/1";
  b.time = "t";
  records.push_back(b);
  bool all_valid = true;
  std::size_t i = 0;
  while (i + 2 <= bytes.size()) {
    claude::JournalRecord r;
    r.seq = records.size();
    r.op = static_cast<claude::JournalOp>(1 + static_cast<unsigned char>(bytes[i]) % 5);
    std::size_t len = static_cast<unsigned char>(bytes[i + 1]) % 12;
    i += 2;
    // Names are bytes: any of them (a name that is not UTF-8 goes as "path_b64").
    r.path = std::string(bytes.substr(i, len));
    i += std::min(len, bytes.size() - i);
    r.from = r.path + "x";
    r.target = "../" + r.path;
    r.size = len * 3;
    r.offset = len;
    r.sha256 = claude::sha256_hex(r.path);
    r.mode = 0644;
    r.time = "2026-11-22T00:00:00Z";
    all_valid = all_valid && claude::check_rel_name(r.path, "x").ok();
    if (r.op == claude::JournalOp::kRename) all_valid = all_valid && claude::check_rel_name(r.from, "x").ok();
    if (r.op == claude::JournalOp::kSymlink) {
      all_valid = all_valid && claude::symlink_stays_inside(r.path, r.target);
    }
    records.push_back(r);
  }
  std::string text;
  for (const auto& r : records) text += claude::to_line(r);
  auto parsed = claude::parse_journal(text);
  require(parsed.ok() == all_valid);
  if (!parsed.ok()) return;
  require(parsed->size() == records.size());
  for (std::size_t k = 0; k < records.size(); ++k) {
    const auto& a = records[k];
    const auto& p = (*parsed)[k];
    require(a.op == p.op && a.seq == p.seq);
    if (a.op != claude::JournalOp::kBegin) require(a.path == p.path);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_written_records(input);

  // The input as the lines after a valid begin record, so that mutations explore records.
  std::string text = std::string(
      R"({"seq":0,"op":"begin","format":"claude-outbox/1","run_id":"r","trace_id":"t","time":"x"})"
      "\n");
  text += input;

  bool torn = false;
  auto records = claude::parse_journal(text, &torn);
  if (records.ok()) {
    std::string again;
    for (const auto& r : *records) again += claude::to_line(r);
    auto reparsed = claude::parse_journal(again);
    require(reparsed.ok() && *reparsed == *records);

    claude::TreeState once;
    once.replay(*records);
    claude::TreeState twice = once;
    twice.replay(*records);
    require(twice == once);

    // Observe every expected entry with content derived from the input.
    std::vector<claude::ObservedEntry> observed;
    for (const auto& [path, e] : once.entries()) {
      claude::ObservedEntry o;
      o.path = path;
      o.is_symlink = e.is_symlink && (path.size() % 2 == 0);
      o.size = e.size + path.size() % 3;
      o.whole_sha256 = claude::sha256_hex(path);
      o.prefix_sha256 = path.size() % 5 == 0 ? e.sha256 : "";
      o.target = e.target;
      observed.push_back(o);
    }
    auto steps = claude::plan_recovery(once, observed);
    require(steps.size() >= observed.size());

    // Whole lines found in the input past a journaled log's size are journaled, and the
    // record describes exactly the bytes kept (the cut file).
    for (const auto& [path, e] : once.entries()) {
      if (e.is_symlink) continue;
      std::string content(e.size, 'x');
      content += input;
      claude::ObservedEntry o;
      o.path = path;
      claude::observe_content(content, &e, o);
      require(o.lines_end == 0 || (o.lines_end > e.size && o.lines_end <= content.size() &&
                                   content[o.lines_end - 1] == '\n' &&
                                   o.lines_sha256 == claude::sha256_hex(std::string_view(content).substr(0, o.lines_end))));
      for (const auto& step : claude::plan_recovery(once, {o})) {
        if (step.action != claude::RecoveryAction::kJournalAsAppend) continue;
        require(step.truncate_to == o.lines_end && step.record.size == o.lines_end && step.record.offset == e.size);
      }
    }
  }

  (void)claude::parse_journal(input);
  auto manifest = claude::Manifest::parse(input, "manifest.json");
  if (manifest.ok()) {
    auto back = claude::Manifest::parse(manifest->to_json().dump(), "manifest.json");
    require(back.ok() && back->files == manifest->files && back->symlinks == manifest->symlinks &&
            back->mapping.mappings() == manifest->mapping.mappings());
    for (const auto& f : manifest->files) (void)claude::verify_entry(f, f.size, f.sha256);
  }
  return 0;
}
