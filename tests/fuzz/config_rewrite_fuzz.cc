// libFuzzer target: the config rewrite never crashes, keeps valid JSON valid, and maps
// host -> container -> host back to the same bytes whenever the input satisfies the
// documented precondition (no container prefix already in it, no \u escapes that could
// spell a prefix). Host prefixes have one component, so a replaced prefix is always
// written either plainly or with its '/' escaped, never a mix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/config_rewrite.h"
#include "core/json_syntax.h"
#include "core/project_dir_name.h"

namespace {

const claude::PathMap& fuzz_map() {
  static const claude::PathMap map =
      *claude::PathMap::create({{"/h", "/Cz"}, {"/k", "/Cy/w"}, {"/h/p", "/Cx"}});
  return map;
}

// JSON as the CLI reads it (lone surrogate escapes included): what the rewriter accepts.
bool is_valid_json(std::string_view s) { return claude::is_json_document(s); }

void require(bool ok) {
  if (!ok) std::abort();
}

// The input as the inside of a JSON string: valid UTF-8 kept, other bytes dropped,
// quotes, backslashes and control characters escaped.
std::string as_json_string(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto b = static_cast<unsigned char>(in[i]);
    if (b == '"' || b == '\\') {
      out += '\\';
      out += static_cast<char>(b);
    } else if (b < 0x20) {
      out += b == '\n' ? "\\n" : "\\t";
    } else if (b < 0x80) {
      out += static_cast<char>(b);
    } else {
      std::size_t len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
      if (len > 0 && i + len <= in.size()) {
        std::string cp(in.substr(i, len));
        if (nlohmann::json::accept("\"" + cp + "\"")) {
          out += cp;
          i += len - 1;
        }
      }
    }
  }
  return out;
}

void check_round_trip(std::string_view rel, std::string_view input,
                      const claude::RewriteOptions& options) {
  const claude::PathMap& map = fuzz_map();
  auto container = claude::rewrite_content(rel, input, map, claude::Direction::kToContainer, options);
  const bool is_json_file = rel.ends_with(".json");
  if (!container.ok()) {
    require(is_json_file && !is_valid_json(input));
    return;
  }
  if (is_json_file) require(is_valid_json(*container));
  const bool round_trip_applies = input.find("Cz") == std::string_view::npos &&
                                  input.find("Cy") == std::string_view::npos &&
                                  input.find("Cx") == std::string_view::npos &&
                                  input.find("\\u") == std::string_view::npos;
  auto host = claude::rewrite_content(rel, *container, map, claude::Direction::kToHost, options);
  require(host.ok());
  if (round_trip_applies) require(*host == input);

  // Appended chunks give the same bytes as the whole file.
  if (rel.ends_with(".jsonl")) {
    std::size_t cut = input.rfind('\n');
    std::string_view complete =
        cut == std::string_view::npos ? std::string_view() : input.substr(0, cut + 1);
    std::string lines = claude::rewrite_jsonl_lines(complete, map, claude::Direction::kToContainer,
                                                    rel == "history.jsonl", options);
    require(std::string_view(*container).substr(0, lines.size()) == lines);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const kNames[] = {".claude.json",  "settings.json",
                                       "projects/p/s.jsonl", "history.jsonl",
                                       "plugins/installed_plugins.json", "CLAUDE.md"};
  std::string_view rel = kNames[data[0] % 6];
  claude::RewriteOptions options;
  options.free_text = (data[0] / 6) % 2 == 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  check_round_trip(rel, input, options);

  // Raw bytes seldom form JSON with paths in the right places, so the input also goes
  // into the path-bearing fields of a template document of each kind.
  std::string v = as_json_string(input);
  const std::string claude_json =
      "{\"projects\":{\"/h" + v + "\":{\"mcpServers\":{\"a\":{\"command\":\"" + v + " /k" + v +
      "\",\"args\":[\"--d=/h/p" + v + "\"],\"cwd\":\"/h" + v + "\",\"env\":{\"P\":\"/k:" + v +
      "\"}}}}},\"note\":\"/h" + v + "\"}";
  check_round_trip(".claude.json", claude_json, options);
  const std::string settings = "{\"permissions\":{\"allow\":[\"Bash(/h" + v +
                               ":*)\"]},\"hooks\":{\"E\":[{\"hooks\":[{\"command\":\"" + v +
                               "\"}]}]}}";
  check_round_trip("settings.json", settings, options);
  const std::string log = "{\"cwd\":\"/h/p" + v +
                          "\",\"message\":{\"content\":[{\"input\":{\"file_path\":\"" + v +
                          "\"}}]},\"x\":\"/k " + v + "\"}\n" + std::string(input) + "\n";
  check_round_trip("projects/p/s.jsonl", log, options);

  // Folder names: never crash.
  claude::ProjectDirMapper dirs(fuzz_map());
  dirs.learn_from_content(rel, input);
  std::string name = claude::project_dir_name(input.substr(0, 300));
  dirs.learn(std::string("/h/") + std::string(input.substr(0, 250)));
  (void)dirs.map_dir_name(name, claude::Direction::kToContainer);
  (void)dirs.map_rel_path(std::string("projects/") + name + "/x", claude::Direction::kToHost);
  return 0;
}
