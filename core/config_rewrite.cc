#include "core/config_rewrite.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "core/byte_names.h"
#include "core/formats.h"
#include "core/json_syntax.h"
#include "core/path_names.h"
#include "core/project_dir_name.h"

namespace claude {
namespace {

// ---- What kind of file, and which of its strings hold paths -------------------------

enum class FileKind { kOther, kClaudeJson, kSettings, kSessionLog, kHistory, kPlugins };

FileKind file_kind(std::string_view rel_path) {
  std::string_view name = base_name(rel_path);
  if (name == kClaudeJsonName) return FileKind::kClaudeJson;
  if (name == "settings.json" || name == "settings.local.json") return FileKind::kSettings;
  if (name.ends_with(".jsonl")) {
    return name == "history.jsonl" ? FileKind::kHistory : FileKind::kSessionLog;
  }
  if (rel_path.substr(0, 8) == "plugins/" && name.ends_with(".json")) return FileKind::kPlugins;
  return FileKind::kOther;
}

// kPath: the whole value is a path (PathMap::map_path). kText: a command or rule that
// may hold paths anywhere (PathMap::map_in_text).
enum class StringKind { kNone, kPath, kText };

// One open object or array while walking a document.
struct Frame {
  bool is_object = false;
  bool expect_key = false;
  bool key_decoded = false;    // the raw key had escapes: key_storage holds it decoded
  std::string_view raw_key;    // points into the document, which outlives the walk
  std::string key_storage;
  // The current key in an object, decoded. (Not a stored view into key_storage: frames
  // move when the stack grows.)
  std::string_view key() const { return key_decoded ? std::string_view(key_storage) : raw_key; }
};

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

// The kind of a string at the position described by frames (the top frame holds it: as
// a key when is_key, otherwise as the value of its current key or as an array element).
StringKind classify(FileKind kind, std::span<const Frame> f, bool is_key) {
  const std::size_t n = f.size();
  auto key_at = [&](std::size_t i) { return f[i].is_object ? f[i].key() : std::string_view(); };
  if (n == 0) return StringKind::kNone;
  switch (kind) {
    case FileKind::kClaudeJson: {
      if (n == 2 && is_key && key_at(0) == "projects" && f[1].is_object) return StringKind::kPath;
      if (is_key) return StringKind::kNone;
      if (n == 3 && key_at(0) == "githubRepoPaths" && !f[2].is_object) return StringKind::kPath;
      // mcpServers at the top level (base 1) or inside a project (base 3).
      std::size_t base = 0;
      if (key_at(0) == "mcpServers") {
        base = 1;
      } else if (n >= 3 && key_at(0) == "projects" && key_at(1).data() != nullptr &&
                 key_at(2) == "mcpServers") {
        base = 3;
      } else {
        return StringKind::kNone;
      }
      // f[base] is the servers object (key: server name); f[base+1] the server.
      if (n == base + 2 && f[base].is_object && f[base + 1].is_object) {
        std::string_view field = f[base + 1].key();
        if (field == "command") return StringKind::kText;
        if (field == "cwd") return StringKind::kPath;
        return StringKind::kNone;
      }
      if (n == base + 3 && f[base + 1].is_object) {
        std::string_view field = f[base + 1].key();
        if (field == "args" && !f[base + 2].is_object) return StringKind::kText;
        if (field == "env" && f[base + 2].is_object) return StringKind::kText;
      }
      return StringKind::kNone;
    }
    case FileKind::kSettings: {
      if (is_key) return StringKind::kNone;
      std::string_view top = key_at(0);
      if (n == 1 && is_one_of(top, {"apiKeyHelper", "awsAuthRefresh", "awsCredentialExport",
                                    "otelHeadersHelper"})) {
        return StringKind::kText;
      }
      if (top == "hooks" && n >= 2 && f[n - 1].is_object && f[n - 1].key() == "command") {
        return StringKind::kText;
      }
      if (top == "statusLine" && n == 2 && key_at(1) == "command") return StringKind::kText;
      if (top == "env" && n == 2 && f[1].is_object) return StringKind::kText;
      if (top == "permissions" && n == 3 && !f[2].is_object) {
        if (is_one_of(key_at(1), {"allow", "deny", "ask"})) return StringKind::kText;
        if (key_at(1) == "additionalDirectories") return StringKind::kPath;
      }
      return StringKind::kNone;
    }
    case FileKind::kSessionLog:
    case FileKind::kHistory: {
      if (is_key || !f[n - 1].is_object) return StringKind::kNone;
      std::string_view k = f[n - 1].key();
      if (is_one_of(k, {"cwd", "file_path", "notebook_path", "path", "filePath", "originalCwd",
                        "worktreePath", "persistedOutputPath"})) {
        return StringKind::kPath;
      }
      if (kind == FileKind::kHistory && n == 1 && k == "project") return StringKind::kPath;
      return StringKind::kNone;
    }
    case FileKind::kPlugins:
      if (!is_key && f[n - 1].is_object && is_one_of(f[n - 1].key(), {"installPath",
                                                                    "installLocation"})) {
        return StringKind::kPath;
      }
      return StringKind::kNone;
    case FileKind::kOther:
      return StringKind::kNone;
  }
  return StringKind::kNone;
}

// ---- JSON strings: decoding with a map back to the raw bytes, and escaping ---------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the inside of a JSON string (raw, without quotes; already validated). When
// offsets is given, (*offsets)[k] is the raw index where the escape or byte that produced
// decoded byte k starts, plus one final entry raw.size().
void decode_string(std::string_view raw, std::string& out, std::vector<std::uint32_t>* offsets) {
  out.clear();
  if (offsets) offsets->clear();
  std::size_t i = 0;
  while (i < raw.size()) {
    std::size_t start = i;
    std::size_t before = out.size();
    if (raw[i] != '\\') {
      out += raw[i++];
    } else if (i + 1 < raw.size()) {
      char e = raw[i + 1];
      i += 2;
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          for (int k = 0; k < 4 && i < raw.size(); ++k, ++i) {
            int h = hex_value(raw[i]);
            cp = (cp << 4) | static_cast<std::uint32_t>(h < 0 ? 0 : h);
          }
          // A high surrogate is followed by "\uDC00".."\uDFFF" (the validator checked).
          if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= raw.size() && raw[i] == '\\' &&
              raw[i + 1] == 'u') {
            std::uint32_t lo = 0;
            for (int k = 0; k < 4; ++k) {
              int h = hex_value(raw[i + 2 + k]);
              lo = (lo << 4) | static_cast<std::uint32_t>(h < 0 ? 0 : h);
            }
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          append_utf8(out, cp);
          break;
        }
        default: out += e; break;  // '"', '\\', '/'
      }
    } else {
      out += raw[i++];
    }
    if (offsets) {
      for (std::size_t k = before; k < out.size(); ++k) {
        offsets->push_back(static_cast<std::uint32_t>(start));
      }
    }
  }
  if (offsets) offsets->push_back(static_cast<std::uint32_t>(raw.size()));
}

// Appends s as the inside of a JSON string the way JSON.stringify writes it (the form
// Claude Code writes), except that '/' becomes "\/" when escape_slash is set.
void append_escaped(std::string& out, std::string_view s, bool escape_slash) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '/':
        out += escape_slash ? "\\/" : "/";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
}

// ---- The walker --------------------------------------------------------------------

// Walks the raw bytes of one JSON document (already validated), keeping the stack of open
// containers with their current keys. For every string token it asks
// classify(open frames, is_key) and hands the marked ones to
// on_string(kind, raw_inside, begin, end), where [begin, end) is the raw span of the
// inside of the string. Iterative, so deep nesting cannot overflow the stack; frames are
// reused between documents, so walking many lines allocates almost nothing.
class Walker {
 public:
  template <class Classify, class OnString>
  void walk(std::string_view doc, Classify&& classify_string, OnString&& on_string) {
    depth_ = 0;
    std::size_t i = 0;
    const std::size_t n = doc.size();
    while (i < n) {
      char c = doc[i];
      switch (c) {
        case '{':
        case '[': {
          if (depth_ == frames_.size()) frames_.emplace_back();
          Frame& f = frames_[depth_++];
          f.is_object = c == '{';
          f.expect_key = f.is_object;
          f.raw_key = std::string_view();
          f.key_decoded = false;
          ++i;
          break;
        }
        case '}':
        case ']':
          if (depth_ > 0) --depth_;
          ++i;
          break;
        case ',':
          if (depth_ > 0 && frames_[depth_ - 1].is_object) frames_[depth_ - 1].expect_key = true;
          ++i;
          break;
        case ':':
          if (depth_ > 0) frames_[depth_ - 1].expect_key = false;
          ++i;
          break;
        case '"': {
          std::size_t begin = i + 1;
          std::size_t end = string_end(doc, begin);
          std::string_view raw = doc.substr(begin, end - begin);
          bool is_key =
              depth_ > 0 && frames_[depth_ - 1].is_object && frames_[depth_ - 1].expect_key;
          StringKind sk = classify_string(std::span<const Frame>(frames_.data(), depth_), is_key);
          if (sk != StringKind::kNone) on_string(sk, raw, begin, end);
          if (is_key) set_key(frames_[depth_ - 1], raw);
          i = end + 1;
          break;
        }
        default:
          ++i;  // whitespace, numbers, true/false/null: nothing to do
      }
    }
  }

 private:
  // The index of the closing quote of a string whose inside starts at begin.
  static std::size_t string_end(std::string_view doc, std::size_t begin) {
    std::size_t i = begin;
    while (i < doc.size()) {
      const void* hit = std::memchr(doc.data() + i, '"', doc.size() - i);
      if (!hit) return doc.size();
      std::size_t q = static_cast<std::size_t>(static_cast<const char*>(hit) - doc.data());
      // The quote is escaped when an odd number of backslashes precede it.
      std::size_t bs = 0;
      while (q - bs > begin && doc[q - bs - 1] == '\\') ++bs;
      if (bs % 2 == 0) return q;
      i = q + 1;
    }
    return doc.size();
  }

  static void set_key(Frame& f, std::string_view raw) {
    f.raw_key = raw;
    f.key_decoded = raw.find('\\') != std::string_view::npos;
    if (f.key_decoded) decode_string(raw, f.key_storage, nullptr);
  }

  std::vector<Frame> frames_;  // frames_[0, depth_) are open
  std::size_t depth_ = 0;
};

// Decodes a JSON string's inside only when it has escapes.
std::string_view decoded_view(std::string_view raw, std::string& buffer,
                              std::vector<std::uint32_t>* offsets) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  decode_string(raw, buffer, offsets);
  return buffer;
}

// ---- Rewriting ---------------------------------------------------------------------

// Rewrites documents with one PathMap and direction, reusing its buffers.
class Rewriter {
 public:
  Rewriter(const PathMap& map, Direction dir, const RewriteOptions& options)
      : map_(map), dir_(dir), free_text_(options.free_text), spellings_(options.spellings.get()) {
    for (const auto& m : map.mappings()) {
      needles_.push_back(dir == Direction::kToContainer ? m.host : m.container);
    }
    has_home_ = map.home() != nullptr;  // "~/..." paths hold no prefix literally
  }

  // False when no string in text can hold a mapped prefix: none of the prefixes appears
  // literally and there is no "\/" or "\u" that could spell one.
  bool might_change(std::string_view text) const {
    if (needles_.empty()) return false;
    // "~/..." (a lone "~" always maps to itself); "~\/..." when '/' is escaped.
    if (has_home_ && (text.find("~/") != std::string_view::npos ||
                      text.find("~\\/") != std::string_view::npos)) {
      return true;
    }
    if (text.find("\\/") != std::string_view::npos) return true;
    if (text.find("\\u") != std::string_view::npos) return true;
    for (const auto& n : needles_) {
      if (text.find(n) != std::string_view::npos) return true;
    }
    return false;
  }

  // Appends doc (one valid JSON document) to out with its path strings rewritten.
  void rewrite(std::string_view doc, FileKind kind, std::string& out) {
    std::size_t copied = 0;
    walker_.walk(
        doc,
        [&](std::span<const Frame> frames, bool is_key) {
          StringKind sk = classify(kind, frames, is_key);
          if (sk == StringKind::kNone && free_text_ && !is_key) sk = StringKind::kText;
          return sk;
        },
        [&](StringKind sk, std::string_view raw, std::size_t begin, std::size_t end) {
          if (raw.find('/') == std::string_view::npos && raw.find("\\u") == std::string_view::npos) {
            return;  // a path needs a '/', raw or spelled \u002f
          }
          const bool record = spellings_ != nullptr && dir_ == Direction::kToContainer &&
                              (kind == FileKind::kClaudeJson || kind == FileKind::kSettings);
          if (spellings_ != nullptr && dir_ == Direction::kToHost && !spellings_->empty()) {
            if (auto host = spellings_->host_spelling(raw)) {
              out.append(doc.substr(copied, begin - copied));
              out.append(*host);
              copied = end;
              return;
            }
          }
          const bool escaped = raw.find('\\') != std::string_view::npos;
          std::string_view text = decoded_view(raw, decoded_, &offsets_);
          std::vector<PathMap::Edit> edits = map_.edits(text, dir_, sk == StringKind::kPath);
          if (edits.empty()) {
            if (record) spellings_->note(raw, raw, false);
            return;
          }
          out.append(doc.substr(copied, begin - copied));
          const std::size_t inside = out.size();
          bool respelled = false;
          std::size_t raw_copied = 0;
          for (const auto& e : edits) {
            respelled = respelled || e.respelled;
            std::size_t rb = escaped ? offsets_[e.begin] : e.begin;
            std::size_t re = escaped ? offsets_[e.end] : e.end;
            out.append(raw.substr(raw_copied, rb - raw_copied));
            // Keep the writer's style for '/' so that mapping back gives the same bytes.
            bool escape_slash = raw.substr(rb, re - rb).find("\\/") != std::string_view::npos;
            append_escaped(out, e.replacement, escape_slash);
            raw_copied = re;
          }
          out.append(raw.substr(raw_copied));
          if (record) spellings_->note(std::string_view(out).substr(inside), raw, respelled);
          copied = end;
        });
    out.append(doc.substr(copied));
  }

  // Appends text to out with every complete line rewritten when it is JSON; other lines
  // and a trailing partial line are copied unchanged.
  void rewrite_lines(std::string_view text, FileKind kind, std::string& out) {
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) break;
      std::string_view line = text.substr(start, nl - start);
      if (might_change(line) && is_json_document(line)) {
        rewrite(line, kind, out);
      } else {
        out.append(line);
      }
      out += '\n';
      start = nl + 1;
    }
    out.append(text.substr(start));
  }

 private:
  const PathMap& map_;
  Direction dir_;
  bool free_text_;
  SpellingMemo* spellings_;  // may be null
  std::vector<std::string_view> needles_;
  bool has_home_ = false;
  Walker walker_;
  std::string decoded_;
  std::vector<std::uint32_t> offsets_;
};

// An Error naming the file and where its JSON stops parsing.
Error parse_error(std::string_view rel_path, const JsonSyntaxError& e) {
  return Error{"rewrite paths in", std::string(rel_path), 0, "invalid JSON at " + e.message(),
               "fix the file (or restore it from a backup) and try again"};
}

}  // namespace

void SpellingMemo::note(std::string_view container_raw, std::string_view host_raw, bool respelled) {
  if (!respelled) {
    plain_.emplace(container_raw);
    return;
  }
  auto [it, inserted] = respelled_.try_emplace(std::string(container_raw), host_raw);
  // Two host spellings of one container string: neither can be told from the other.
  if (!inserted && it->second != host_raw) plain_.emplace(container_raw);
}

std::optional<std::string_view> SpellingMemo::host_spelling(std::string_view container_raw) const {
  auto it = respelled_.find(std::string(container_raw));
  if (it == respelled_.end() || plain_.contains(it->first)) return std::nullopt;
  return std::string_view(it->second);
}

bool is_rewritable(std::string_view rel_path) { return file_kind(rel_path) != FileKind::kOther; }

bool teaches_spellings(std::string_view rel_path) {
  FileKind kind = file_kind(rel_path);
  return kind == FileKind::kClaudeJson || kind == FileKind::kSettings;
}

Result<std::string> rewrite_content(std::string_view rel_path, std::string_view content,
                                    const PathMap& map, Direction dir,
                                    const RewriteOptions& options) {
  FileKind kind = file_kind(rel_path);
  if (kind == FileKind::kOther) return std::string(content);
  Rewriter rewriter(map, dir, options);
  std::string out;
  out.reserve(content.size() + content.size() / 16 + 64);
  if (kind == FileKind::kSessionLog || kind == FileKind::kHistory) {
    rewriter.rewrite_lines(content, kind, out);
    return out;
  }
  if (auto bad = json_syntax_error(content)) return parse_error(rel_path, *bad);
  // Recording spellings sees every path string: a container string that a host string
  // already is literally makes a recorded one ambiguous.
  const bool recording = options.spellings && dir == Direction::kToContainer &&
                         (kind == FileKind::kClaudeJson || kind == FileKind::kSettings);
  if (!recording && !rewriter.might_change(content)) return std::string(content);
  rewriter.rewrite(content, kind, out);
  return out;
}

std::string rewrite_jsonl_lines(std::string_view complete_lines, const PathMap& map,
                                Direction dir, bool is_history, const RewriteOptions& options) {
  Rewriter rewriter(map, dir, options);
  std::string out;
  out.reserve(complete_lines.size() + complete_lines.size() / 16 + 64);
  rewriter.rewrite_lines(complete_lines, is_history ? FileKind::kHistory : FileKind::kSessionLog,
                         out);
  return out;
}

// ---- Project folder names ------------------------------------------------------------

ProjectDirMapper::ProjectDirMapper(PathMap map) : map_(std::move(map)) {}

void ProjectDirMapper::learn(std::string_view abs_path) {
  if (abs_path.empty() || abs_path[0] != '/') return;
  auto& paths = learned_[project_dir_name(abs_path)];
  if (std::find(paths.begin(), paths.end(), abs_path) == paths.end()) {
    paths.emplace_back(abs_path);
  }
}

void ProjectDirMapper::learn_from_content(std::string_view rel_path, std::string_view content) {
  FileKind kind = file_kind(rel_path);
  Walker walker;
  std::string buffer;
  auto learn_raw = [&](StringKind, std::string_view raw, std::size_t, std::size_t) {
    learn(decoded_view(raw, buffer, nullptr));
  };
  if (kind == FileKind::kClaudeJson) {
    if (!is_json_document(content)) return;
    walker.walk(
        content,
        [](std::span<const Frame> f, bool is_key) {
          return f.size() == 2 && is_key && f[0].is_object && f[0].key() == "projects" &&
                         f[1].is_object
                     ? StringKind::kPath
                     : StringKind::kNone;
        },
        learn_raw);
    return;
  }
  if (kind != FileKind::kSessionLog) return;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t nl = content.find('\n', start);
    if (nl == std::string_view::npos) break;  // an incomplete line may still be written
    std::string_view line = content.substr(start, nl - start);
    start = nl + 1;
    if (line.find("\"cwd\"") == std::string_view::npos) continue;
    if (!is_json_document(line)) continue;
    walker.walk(
        line,
        [](std::span<const Frame> f, bool is_key) {
          return f.size() == 1 && !is_key && f[0].is_object && f[0].key() == "cwd"
                     ? StringKind::kPath
                     : StringKind::kNone;
        },
        learn_raw);
  }
}

std::string ProjectDirMapper::map_dir_name(std::string_view name, Direction dir) const {
  // Learned paths first: encode the mapped path, as the CLI will.
  if (auto it = learned_.find(std::string(name)); it != learned_.end()) {
    const std::string* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& p : it->second) {
      auto m = map_.longest_match(p, dir);
      if (!m || !map_.map_path(p, dir)) continue;  // no pair, or one it would not map back through
      if (!best || m->from.size() > best_len || (m->from.size() == best_len && p < *best)) {
        best = &p;
        best_len = m->from.size();
      }
    }
    if (best) return project_dir_name(*map_.map_path(*best, dir));
  }
  // Best effort for names not learned: swap the encoded prefix at a '-' boundary. A
  // hashed name cannot be re-hashed without the path it came from.
  if (name.size() > kMaxProjectDirNameLength) return std::string(name);
  const bool to_container = dir == Direction::kToContainer;
  std::vector<PathMapping> pairs = map_.mappings();
  std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
    return (to_container ? a.host : a.container).size() >
           (to_container ? b.host : b.container).size();
  });
  for (const auto& pair : pairs) {
    const std::string& from = to_container ? pair.host : pair.container;
    const std::string& to = to_container ? pair.container : pair.host;
    std::string enc_from = from == "/" ? std::string() : project_dir_name(from);
    std::string enc_to = to == "/" ? std::string() : project_dir_name(to);
    if (name.compare(0, enc_from.size(), enc_from) != 0) continue;
    std::string_view rest = name.substr(enc_from.size());  // "" or "-..." for a real match
    if (from == "/" ? rest.empty() || rest[0] != '-' : !rest.empty() && rest[0] != '-') continue;
    std::string out = enc_to;
    if (rest.empty()) {
      if (out.empty()) out = "-";  // "/"
    } else if (rest == "-" && from == "/") {
      if (out.empty()) out = "-";
    } else {
      out += rest;
    }
    if (out.size() > kMaxProjectDirNameLength) return std::string(name);
    return out;
  }
  return std::string(name);
}

std::string ProjectDirMapper::map_rel_path(std::string_view rel_path, Direction dir) const {
  constexpr std::string_view kProjects = "projects/";
  if (rel_path.substr(0, kProjects.size()) != kProjects) return std::string(rel_path);
  std::string_view rest = rel_path.substr(kProjects.size());
  std::size_t slash = rest.find('/');
  std::string_view name = rest.substr(0, slash);
  if (name.empty()) return std::string(rel_path);
  std::string out(kProjects);
  out += map_dir_name(name, dir);
  if (slash != std::string_view::npos) out += rest.substr(slash);
  return out;
}

}  // namespace claude
