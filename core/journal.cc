#include "core/journal.h"

namespace claude {

std::string_view op_name(JournalOp) { return "put"; }
std::string to_line(const JournalRecord&) { return "{}\n"; }
Result<std::vector<JournalRecord>> parse_journal(std::string_view, bool*, std::string_view) {
  return std::vector<JournalRecord>{};
}
std::uint64_t next_seq(const std::vector<JournalRecord>&) { return 0; }
void TreeState::replay(const std::vector<JournalRecord>& records) {
  for (const auto& r : records) apply(r);
}
void TreeState::apply(const JournalRecord&) {}
const ExpectedEntry* TreeState::find(std::string_view) const { return nullptr; }
std::string_view action_name(RecoveryAction) { return "ok"; }
std::vector<RecoveryStep> plan_recovery(const TreeState&, const std::vector<ObservedEntry>&) {
  return {};
}
bool is_temp_name(std::string_view) { return false; }

}  // namespace claude
