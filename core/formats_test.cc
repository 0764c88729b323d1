#include "core/formats.h"

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

namespace claude {
namespace {

std::string architecture_md() {
  std::ifstream in(std::string(CLAUDE_SOURCE_DIR) + "/ARCHITECTURE.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("join_path puts a name of the contract under a folder", "[formats]") {
  CHECK(join_path("/runs/x", kOutboxDirName) == "/runs/x/outbox");
  CHECK(join_path(join_path("/runs/x/outbox", kTreeDirName), "a/b.json") ==
        "/runs/x/outbox/tree/a/b.json");
  CHECK(join_path(kReportsDirName, kRunReportName) == "reports/run.json");
  CHECK(join_path("", kJournalFileName) == "/journal.jsonl");
}

TEST_CASE("ARCHITECTURE.md describes every name and format version of the on-disk contract",
          "[formats]") {
  const std::string doc = architecture_md();
  REQUIRE_FALSE(doc.empty());
  // What the two binaries hand each other is documented where a reader of either looks.
  for (std::string_view name :
       {kStageFormat, kOutboxFormat, kEventsFormat, kMetricsFormat, kReportFormat, kStageDirName,
        kOutboxDirName, kInboxDirName, kTreeDirName, kManifestFileName, kNextTreeDirName,
        kJournalFileName, kReportsDirName, kRunReportName, kEventsReportName, kMetricsReportName,
        kCredentialsFileName, kClaudeJsonName, kTempMarker}) {
    INFO(name);
    CHECK(doc.find(name) != std::string::npos);
  }
  CHECK(doc.find("<stage>/" + std::string(kManifestFileName)) != std::string::npos);
  CHECK(doc.find("<outbox>/" + std::string(kJournalFileName)) != std::string::npos);
  CHECK(doc.find("<outbox>/" + std::string(kTreeDirName) + "/") != std::string::npos);
  CHECK(doc.find(std::string(kCredentialsFileName) + std::string(kInboxTempMarker) + "<16 hex>") !=
        std::string::npos);
}

}  // namespace claude
