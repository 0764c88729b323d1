#include "core/json_merge.h"

namespace claude {
namespace {

using nlohmann::json;
using Opt = std::optional<json>;

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

bool is_object(const Opt& v) { return v && v->is_object(); }
bool is_array(const Opt& v) { return v && v->is_array(); }

// True when `prefix` is a prefix of the array `whole`.
bool array_starts_with(const json& whole, const json& prefix) {
  if (whole.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (whole[i] != prefix[i]) return false;
  return true;
}

Opt merge_value(const Opt& base, const Opt& ours, const Opt& theirs, const std::string& pointer,
                std::vector<MergeConflict>& conflicts);

json merge_objects(const json& base, const json& ours, const json& theirs, const std::string& pointer,
                   std::vector<MergeConflict>& conflicts) {
  json out = json::object();
  auto lookup = [](const json& obj, const std::string& key) -> Opt {
    auto it = obj.find(key);
    if (it == obj.end()) return std::nullopt;
    return *it;
  };
  auto merge_key = [&](const std::string& key) {
    Opt merged = merge_value(lookup(base, key), lookup(ours, key), lookup(theirs, key),
                             pointer + "/" + escape_pointer_token(key), conflicts);
    if (merged) out[key] = std::move(*merged);
  };
  for (const auto& item : ours.items()) merge_key(item.key());
  for (const auto& item : theirs.items())
    if (!ours.contains(item.key())) merge_key(item.key());
  // Keys present only in base were deleted on both sides: nothing to keep.
  return out;
}

Opt merge_value(const Opt& base, const Opt& ours, const Opt& theirs, const std::string& pointer,
                std::vector<MergeConflict>& conflicts) {
  if (ours == theirs) return ours;
  if (base == ours) return theirs;
  if (base == theirs) return ours;
  // Both sides changed, differently.
  if (is_object(ours) && is_object(theirs) && (!base || base->is_object())) {
    static const json kEmpty = json::object();
    return merge_objects(base ? *base : kEmpty, *ours, *theirs, pointer, conflicts);
  }
  if (is_array(ours) && is_array(theirs) && (!base || base->is_array())) {
    static const json kEmptyArray = json::array();
    const json& b = base ? *base : kEmptyArray;
    if (array_starts_with(*ours, b) && array_starts_with(*theirs, b)) {
      json out = *ours;
      // Their appended elements, minus those we appended too (each of ours matches at
      // most one of theirs, so a value both sides appended twice stays twice).
      std::vector<bool> used(ours->size(), false);
      for (size_t i = b.size(); i < theirs->size(); ++i) {
        bool found = false;
        for (size_t j = b.size(); j < ours->size(); ++j) {
          if (!used[j] && (*ours)[j] == (*theirs)[i]) {
            used[j] = true;
            found = true;
            break;
          }
        }
        if (!found) out.push_back((*theirs)[i]);
      }
      return out;
    }
  }
  conflicts.push_back(MergeConflict{pointer, base, ours, theirs});
  return theirs;
}

}  // namespace

JsonMergeResult merge_json_three_way(const Opt& base, const Opt& ours, const Opt& theirs) {
  JsonMergeResult result;
  result.merged = merge_value(base, ours, theirs, "", result.conflicts);
  return result;
}

nlohmann::json conflict_to_json(const MergeConflict& conflict) {
  json out = {{"pointer", conflict.pointer}};
  auto put = [&](const char* name, const Opt& v) {
    out[name] = v ? *v : json(nullptr);
    if (!v) out[std::string(name) + "_absent"] = true;
  };
  put("base", conflict.base);
  put("ours", conflict.ours);
  put("theirs", conflict.theirs);
  return out;
}

}  // namespace claude
