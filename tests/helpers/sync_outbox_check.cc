// sync_outbox_check OUTBOX [--live LIVE] [--allow-unjournaled]
// Verifies an outbox the way `claude-host readback` relies on it: the journal parses and
// replays; every journaled file is there with its size and sha256; every file in tree/
// (temp files aside) is journaled; every .json parses; every line of every .jsonl is
// complete JSON. With --live, the outbox tree must also equal the live tree (same files,
// same bytes; logs up to their last newline; excluded names ignored) — for runs without
// path mapping. Prints one line per problem and exits 1 when there is any.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/exclude_rules.h"
#include "core/formats.h"
#include "core/journal.h"
#include "core/sha256.h"

namespace fs = std::filesystem;
using namespace claude;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, fs::path> files_under(const fs::path& root, const ExcludeRules* excludes) {
  std::map<std::string, fs::path> out;
  if (!fs::exists(root)) return out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = it->path().lexically_relative(root).generic_string();  // never resolves links
    if (excludes && excludes->excluded(rel, it->is_directory() && !it->is_symlink())) {
      if (it->is_directory() && !it->is_symlink()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || it->is_regular_file()) out[rel] = it->path();
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sync_outbox_check OUTBOX [--live LIVE] [--allow-unjournaled]\n";
    return 2;
  }
  fs::path outbox = argv[1];
  fs::path live;
  bool allow_unjournaled = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--live" && i + 1 < argc) live = argv[++i];
    else if (a == "--allow-unjournaled") allow_unjournaled = true;
  }
  int problems = 0;
  auto problem = [&](const std::string& what) {
    if (++problems <= 20) std::cout << "problem: " << what << "\n";
  };

  bool torn = false;
  const std::filesystem::path journal = outbox / kJournalFileName;
  auto records = parse_journal(slurp(journal), &torn, journal.string());
  if (!records) {
    std::cout << "problem: " << records.error().message() << "\n";
    return 1;
  }
  if (torn) problem("journal.jsonl ends with a torn line");
  TreeState state;
  state.replay(*records);

  auto tree = files_under(outbox / kTreeDirName, nullptr);
  for (const auto& [path, want] : state.entries()) {
    auto it = tree.find(path);
    if (it == tree.end()) {
      problem("journaled but missing: " + path);
      continue;
    }
    if (want.is_symlink) {
      if (!fs::is_symlink(it->second) || fs::read_symlink(it->second).string() != want.target) {
        problem("symlink differs from its journal: " + path);
      }
      continue;
    }
    std::string content = slurp(it->second);
    if (content.size() != want.size || sha256_hex(content) != want.sha256) {
      problem("content differs from its journal: " + path + " (size " + std::to_string(content.size()) +
              ", journaled " + std::to_string(want.size) + ")");
    }
  }
  for (const auto& [path, where] : tree) {
    if (is_temp_name(path)) continue;
    if (!state.find(path) && !allow_unjournaled) problem("in the tree but not journaled: " + path);
    if (fs::is_symlink(where)) continue;
    std::string content = slurp(where);
    if (path.ends_with(".json") && !nlohmann::json::accept(content)) problem("does not parse: " + path);
    if (path.ends_with(".jsonl")) {
      if (!content.empty() && content.back() != '\n') problem("last line incomplete: " + path);
      std::istringstream lines(content);
      std::string line;
      while (std::getline(lines, line)) {
        if (!nlohmann::json::accept(line)) {
          problem("a line that is not JSON in " + path);
          break;
        }
      }
    }
  }

  if (!live.empty()) {
    ExcludeRules excludes = ExcludeRules::defaults();
    auto live_files = files_under(live, &excludes);
    for (const auto& [path, where] : live_files) {
      auto it = tree.find(path);
      if (fs::is_symlink(where)) {
        std::string target = fs::read_symlink(where).string();
        bool inside = !target.empty() && target[0] != '/' && target.find("..") == std::string::npos;
        if (inside && (it == tree.end() || !fs::is_symlink(it->second))) problem("link not synced: " + path);
        if (!inside && it != tree.end()) problem("link leaving the tree was synced: " + path);
        continue;
      }
      if (!fs::is_regular_file(where)) continue;  // FIFOs and the like are never synced
      std::string want = slurp(where);
      if (path.ends_with(".jsonl")) want.resize(want.rfind('\n') == std::string::npos ? 0 : want.rfind('\n') + 1);
      if (it == tree.end()) {
        problem("not in the outbox: " + path);
      } else if (slurp(it->second) != want) {
        problem("outbox differs from live: " + path);
      }
    }
    for (const auto& [path, where] : tree) {
      if (!is_temp_name(path) && !live_files.count(path)) problem("in the outbox but gone from live: " + path);
    }
  }
  if (problems > 20) std::cout << "... " << problems << " problems in all\n";
  if (problems == 0) std::cout << "outbox ok: " << state.entries().size() << " entries, " << records->size() << " journal records\n";
  return problems == 0 ? 0 : 1;
}
