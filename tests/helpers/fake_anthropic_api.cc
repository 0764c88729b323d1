// A small stand-in for the Anthropic Messages API, for end-to-end tests only: it lets the
// real Claude Code CLI run a real headless session (and write a real session log) on a
// machine with no route to the real API. It listens on loopback only.
//
// It answers what the CLI sends when ANTHROPIC_BASE_URL points at it:
//   HEAD /                               reachability probe            -> 200
//   POST /v1/messages[?beta=true]        the conversation              -> SSE or JSON
//   POST /v1/messages/count_tokens       token estimate                -> {"input_tokens":N}
//   POST /v1/oauth/token                 OAuth refresh (grant_type refresh_token) -> a new
//                                        access/refresh token pair, expires_in --token-ttl
// Anything else is logged and answered 404, so a test can see what the CLI asked for.
//
// The OAuth refresh behaves like the real endpoint in what the CLI relies on: each refresh
// token is single-use (a reused or unknown one gets 400 {"error":"invalid_grant"}), and a
// new pair "sk-ant-oat01-standin-<n>" / "sk-ant-ort01-standin-<n>" is issued each time.
// --accept-refresh TOKEN (repeatable) names the refresh tokens the test seeded; only those
// and the ones issued here are known. The CLI reaches the endpoint only over https on a
// host name it knows (the OAuth URL cannot be pointed at loopback), so --tls-cert/--tls-key
// serve TLS (a test CA the CLI trusts through NODE_EXTRA_CA_CERTS; the test maps the host
// name to 127.0.0.1). Every request's log line carries "bearer": the Authorization token it
// sent (test tokens only), so a test sees which access token each request used.
// --refresh-delay-file F: while F exists, each refresh is answered after the number of
// milliseconds it holds (a refresh in flight, for races); its refresh token is appended to
// F.arrived when it arrives, before the wait.
//
// The conversation is scripted and stateless (decided from the request alone, so any
// number of sessions may share one server): when the request offers the Write tool and
// --write-path is set, and the last user turn is not a tool result, the answer is one
// tool_use of Write on that absolute path; otherwise it is a final text. Side requests
// the CLI makes without tools (titles, summaries) get the final text too.
//
// --script FILE scripts several tool uses instead: a JSON array of steps
// {"name": TOOL, "input": {...}}. Step i is the answer when the user's turn so far holds
// i tool results (counted back from the newest message to the user's prompt), so each
// prompt, a resumed session's included, runs the whole script once; past the last step,
// or when the request does not offer the step's tool, the answer is the final text.
// Every "{cwd}" in a step's strings becomes --cwd DIR (the session's working directory,
// so one script serves the host and a container).
//
// Usage: fake_anthropic_api [--port N] [--port-file F] [--write-path ABS]
//                           [--write-content TEXT] [--final-text TEXT] [--log F]
//                           [--script FILE] [--cwd DIR] [--dump-dir DIR]
//                           [--accept-refresh TOKEN]... [--token-ttl SECONDS]
//                           [--tls-cert PEM --tls-key PEM] [--refresh-delay-file F]
// Environment FAKE_API_WRITE_PATH / FAKE_API_LOG / FAKE_API_SCRIPT / FAKE_API_CWD stand
// in for the flags of the same name.
// It prints "fake_anthropic_api: listening on 127.0.0.1:PORT" once it accepts connections
// and runs until SIGTERM or SIGINT.

#ifdef FAKE_API_TLS
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace {

using json = nlohmann::json;

struct Options {
  int port = 0;  // 0: any free port, reported on stdout and in --port-file
  std::string port_file;
  std::string write_path;
  std::string write_content = "written by the stand-in API's scripted Write tool use\n";
  std::string final_text = "Done: the stand-in API finished the scripted session.";
  std::string log_path;
  json script = json::array();  // steps {"name", "input"} (see the top of this file)
  std::string cwd;
  std::string dump_dir;  // every /v1/messages body is saved here as NNNN.json (debugging)
  std::set<std::string> accepted_refresh;  // refresh tokens the test seeded
  long token_ttl_s = 3600;                 // expires_in of the access tokens issued
  std::string tls_cert, tls_key;           // both set: serve https
  std::string refresh_delay_file;          // holds a delay in ms for each refresh, while it exists
};

void usage_and_exit(const char* why) {
  std::fprintf(stderr,
               "fake_anthropic_api: %s\n"
               "usage: fake_anthropic_api [--port N] [--port-file F] [--write-path ABS]\n"
               "                          [--write-content TEXT] [--final-text TEXT] [--log F]\n"
               "                          [--script FILE] [--cwd DIR] [--dump-dir DIR]\n"
               "                          [--accept-refresh TOKEN]... [--token-ttl SECONDS]\n"
               "                          [--tls-cert PEM --tls-key PEM] [--refresh-delay-file F]\n",
               why);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  if (const char* e = std::getenv("FAKE_API_WRITE_PATH")) o.write_path = e;
  if (const char* e = std::getenv("FAKE_API_LOG")) o.log_path = e;
  std::string script_path;
  if (const char* e = std::getenv("FAKE_API_SCRIPT")) script_path = e;
  if (const char* e = std::getenv("FAKE_API_CWD")) o.cwd = e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_and_exit(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--port") {
      o.port = std::atoi(value().c_str());
    } else if (a == "--port-file") {
      o.port_file = value();
    } else if (a == "--write-path") {
      o.write_path = value();
    } else if (a == "--write-content") {
      o.write_content = value();
    } else if (a == "--final-text") {
      o.final_text = value();
    } else if (a == "--log") {
      o.log_path = value();
    } else if (a == "--script") {
      script_path = value();
    } else if (a == "--cwd") {
      o.cwd = value();
    } else if (a == "--dump-dir") {
      o.dump_dir = value();
    } else if (a == "--accept-refresh") {
      o.accepted_refresh.insert(value());
    } else if (a == "--token-ttl") {
      o.token_ttl_s = std::atol(value().c_str());
    } else if (a == "--tls-cert") {
      o.tls_cert = value();
    } else if (a == "--tls-key") {
      o.tls_key = value();
    } else if (a == "--refresh-delay-file") {
      o.refresh_delay_file = value();
    } else if (a == "--help" || a == "-h") {
      usage_and_exit("a stand-in for the Anthropic Messages API (tests only)");
    } else {
      usage_and_exit(("unknown argument " + a).c_str());
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) usage_and_exit("--tls-cert and --tls-key go together");
#ifndef FAKE_API_TLS
  if (!o.tls_cert.empty())
    usage_and_exit("--tls-cert: this build has no TLS (OpenSSL was not found when it was configured; "
                   "install libssl-dev and reconfigure)");
#endif
  if (o.token_ttl_s <= 0) usage_and_exit("--token-ttl must be a positive number of seconds");
  if (!o.write_path.empty() && o.write_path.front() != '/')
    usage_and_exit("--write-path must be absolute (the Write tool takes absolute paths)");
  if (!script_path.empty()) {
    std::ifstream in(script_path);
    if (!in) usage_and_exit(("cannot read the script " + script_path + ": " + std::strerror(errno)).c_str());
    json steps = json::parse(in, nullptr, /*allow_exceptions=*/false);
    bool ok = steps.is_array();
    for (const auto& step : ok ? steps : json::array())
      ok = ok && step.is_object() && step.contains("name") && step["name"].is_string() &&
           step.contains("input") && step["input"].is_object();
    if (!ok)
      usage_and_exit(("the script " + script_path +
                      " is not a JSON array of {\"name\": TOOL, \"input\": {...}} steps").c_str());
    o.script = std::move(steps);
  }
  return o;
}

// One JSON line per request, so tests can assert what the CLI really sent.
class RequestLog {
 public:
  explicit RequestLog(const std::string& path) {
    if (path.empty()) return;
    out_.open(path, std::ios::app);
    if (!out_) {
      std::fprintf(stderr, "fake_anthropic_api: cannot open log %s: %s\n", path.c_str(),
                   std::strerror(errno));
      std::exit(1);
    }
  }
  void write(const json& line) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!out_.is_open()) return;
    out_ << line.dump() << '\n';
    out_.flush();
  }

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

std::atomic<unsigned> g_counter{0};
// Ids are unique across server runs (the start time in them): a resumed session's earlier
// messages came from another run, and the CLI joins messages and tool uses by id.
const unsigned long long g_started_ms = static_cast<unsigned long long>(
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());

std::string next_id(const char* prefix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_fake%013llx%07u", prefix, g_started_ms, g_counter.fetch_add(1) + 1);
  return buf;
}

bool offers_tool(const json& req, const std::string& name) {
  auto it = req.find("tools");
  if (it == req.end() || !it->is_array()) return false;
  for (const auto& t : *it)
    if (t.is_object() && t.value("name", "") == name) return true;
  return false;
}

// True when the newest user turn carries a tool_result: the scripted tool use is done.
bool last_turn_is_tool_result(const json& req) {
  auto it = req.find("messages");
  if (it == req.end() || !it->is_array() || it->empty()) return false;
  const json& last = it->back();
  if (last.value("role", "") != "user") return false;
  auto content = last.find("content");
  if (content == last.end() || !content->is_array()) return false;
  for (const auto& block : *content)
    if (block.is_object() && block.value("type", "") == "tool_result") return true;
  return false;
}

// How many tool results the user's current turn holds: user messages carrying a
// tool_result, counted back from the newest to the first one without (the prompt).
size_t tool_results_this_turn(const json& req) {
  auto it = req.find("messages");
  if (it == req.end() || !it->is_array()) return 0;
  size_t n = 0;
  for (auto m = it->rbegin(); m != it->rend(); ++m) {
    if (!m->is_object() || m->value("role", "") != "user") continue;
    bool has_result = false;
    auto content = m->find("content");
    if (content != m->end() && content->is_array())
      for (const auto& block : *content)
        if (block.is_object() && block.value("type", "") == "tool_result") has_result = true;
    if (!has_result) break;
    ++n;
  }
  return n;
}

// A step's input with every "{cwd}" in its strings replaced by the working directory.
json with_cwd(const json& v, const std::string& cwd) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    for (size_t at = s.find("{cwd}"); at != std::string::npos; at = s.find("{cwd}", at + cwd.size()))
      s.replace(at, 5, cwd);
    return s;
  }
  if (v.is_array() || v.is_object()) {
    json out = v;
    for (auto& x : out) x = with_cwd(x, cwd);
    return out;
  }
  return v;
}

// The text of the newest message's failed tool result (is_error), cut to 300 bytes; empty
// when its tool uses succeeded: a test sees that a scripted tool use was refused.
std::string last_tool_error(const json& req) {
  auto it = req.find("messages");
  if (it == req.end() || !it->is_array() || it->empty() || !it->back().is_object()) return "";
  auto content = it->back().find("content");
  if (content == it->back().end() || !content->is_array()) return "";
  for (const auto& block : *content) {
    if (!block.is_object() || block.value("type", "") != "tool_result" || !block.value("is_error", false))
      continue;
    const json& c = block.contains("content") ? block["content"] : json("");
    std::string text = c.is_string() ? c.get<std::string>() : c.dump();
    return text.empty() ? "error" : text.substr(0, 300);
  }
  return "";
}

// Rough and deterministic: the CLI uses it only for display and budgeting.
int estimate_tokens(const std::string& body) { return static_cast<int>(body.size() / 4) + 1; }

struct Reply {
  json content_block;          // the one block of the answer, complete
  std::string stop_reason;     // "tool_use" or "end_turn"
};

Reply scripted_reply(const Options& o, const json& req) {
  if (!o.script.empty()) {
    size_t step = tool_results_this_turn(req);
    if (step < o.script.size() && offers_tool(req, o.script[step]["name"])) {
      const json& s = o.script[step];
      return {{{"type", "tool_use"}, {"id", next_id("toolu")}, {"name", s["name"]},
               {"input", with_cwd(s["input"], o.cwd)}},
              "tool_use"};
    }
    return {{{"type", "text"}, {"text", o.final_text}}, "end_turn"};
  }
  if (!o.write_path.empty() && offers_tool(req, "Write") && !last_turn_is_tool_result(req)) {
    json input = {{"file_path", o.write_path}, {"content", o.write_content}};
    return {{{"type", "tool_use"}, {"id", next_id("toolu")}, {"name", "Write"}, {"input", input}},
            "tool_use"};
  }
  return {{{"type", "text"}, {"text", o.final_text}}, "end_turn"};
}

std::string sse_event(const char* name, const json& data) {
  return std::string("event: ") + name + "\ndata: " + data.dump() + "\n\n";
}

// The whole stream at once: the CLI parses events, not timing, and one write keeps the
// server simple.
std::string sse_stream(const std::string& model, int input_tokens, const Reply& r) {
  json usage = {{"input_tokens", input_tokens},
                {"output_tokens", 1},
                {"cache_creation_input_tokens", 0},
                {"cache_read_input_tokens", 0}};
  json message = {{"id", next_id("msg")},   {"type", "message"},     {"role", "assistant"},
                  {"model", model},         {"content", json::array()},
                  {"stop_reason", nullptr}, {"stop_sequence", nullptr}, {"usage", usage}};
  std::string out = sse_event("message_start", {{"type", "message_start"}, {"message", message}});
  json start_block = r.content_block;
  json delta;
  if (start_block["type"] == "tool_use") {
    std::string partial = start_block["input"].dump();
    start_block["input"] = json::object();
    delta = {{"type", "input_json_delta"}, {"partial_json", partial}};
  } else {
    std::string text = start_block["text"];
    start_block["text"] = "";
    delta = {{"type", "text_delta"}, {"text", text}};
  }
  out += sse_event("content_block_start",
                   {{"type", "content_block_start"}, {"index", 0}, {"content_block", start_block}});
  out += sse_event("ping", {{"type", "ping"}});
  out += sse_event("content_block_delta",
                   {{"type", "content_block_delta"}, {"index", 0}, {"delta", delta}});
  out += sse_event("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
  out += sse_event("message_delta",
                   {{"type", "message_delta"},
                    {"delta", {{"stop_reason", r.stop_reason}, {"stop_sequence", nullptr}}},
                    {"usage", {{"output_tokens", 12}}}});
  out += sse_event("message_stop", {{"type", "message_stop"}});
  return out;
}

json whole_message(const std::string& model, int input_tokens, const Reply& r) {
  return {{"id", next_id("msg")},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", json::array({r.content_block})},
          {"stop_reason", r.stop_reason},
          {"stop_sequence", nullptr},
          {"usage", {{"input_tokens", input_tokens}, {"output_tokens", 12}}}};
}

// Single-use refresh tokens, as the real endpoint: each one refreshes once.
class RefreshTokens {
 public:
  explicit RefreshTokens(std::set<std::string> seeded) : live_(std::move(seeded)) {}
  // The new pair for a live refresh token (which dies), or nothing: invalid_grant.
  bool rotate(const std::string& refresh, std::string* access_out, std::string* refresh_out, unsigned* n_out) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.erase(refresh) == 0) return false;
    unsigned n = ++issued_;
    *access_out = "sk-ant-oat01-standin-" + std::to_string(n);
    *refresh_out = "sk-ant-ort01-standin-" + std::to_string(n);
    live_.insert(*refresh_out);
    *n_out = n;
    return true;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> live_;
  unsigned issued_ = 0;
};

// The Bearer token of the request ("" when none): logged so a test sees which access
// token each request carried.
std::string bearer_of(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  return auth.compare(0, prefix.size(), prefix) == 0 ? auth.substr(prefix.size()) : "";
}

httplib::Server* g_server = nullptr;

// Signals are waited for on a thread (sigwait), not handled: the server's stop() is not
// async-signal-safe.
void stop_on_signal(sigset_t set) {
  int sig = 0;
  sigwait(&set, &sig);
  if (g_server) g_server->stop();
}

}  // namespace

int main(int argc, char** argv) {
  Options opts = parse_options(argc, argv);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread, so all inherit it
  signal(SIGPIPE, SIG_IGN);                   // a client hanging up must not kill us

  RequestLog log(opts.log_path);
  std::unique_ptr<httplib::Server> server_owner;
#ifdef FAKE_API_TLS
  if (!opts.tls_cert.empty()) {
    server_owner = std::make_unique<httplib::SSLServer>(opts.tls_cert.c_str(), opts.tls_key.c_str());
    if (!server_owner->is_valid()) {
      std::fprintf(stderr, "fake_anthropic_api: cannot load the TLS certificate %s or key %s (PEM files)\n",
                   opts.tls_cert.c_str(), opts.tls_key.c_str());
      return 1;
    }
  }
#endif
  if (!server_owner) server_owner = std::make_unique<httplib::Server>();
  httplib::Server& server = *server_owner;
  g_server = &server;
  RefreshTokens refresh_tokens(opts.accepted_refresh);

  server.Options(R"(.*)", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("fake_anthropic_api\n", "text/plain");
  });

  server.Post("/v1/messages/count_tokens", [&](const httplib::Request& req, httplib::Response& res) {
    int tokens = estimate_tokens(req.body);
    res.set_content(json{{"input_tokens", tokens}}.dump(), "application/json");
  });

  // The OAuth token endpoint, refresh grant only (the CLI posts JSON).
  server.Post("/v1/oauth/token", [&](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    auto invalid = [&](const char* error, const char* why) {
      res.status = 400;
      res.set_content(json{{"error", error}, {"error_description", why}}.dump(), "application/json");
      res.set_header("x-stand-in-oauth", error);
    };
    if (body.is_discarded() || !body.is_object() || body.value("grant_type", "") != "refresh_token" ||
        !body.contains("refresh_token") || !body["refresh_token"].is_string()) {
      invalid("invalid_request", "only grant_type refresh_token with a refresh_token is served");
      return;
    }
    std::string presented = body["refresh_token"].get<std::string>();
    if (!opts.refresh_delay_file.empty()) {
      std::ifstream delay(opts.refresh_delay_file);
      long ms = 0;
      if (delay >> ms && ms > 0) {
        std::ofstream(opts.refresh_delay_file + ".arrived", std::ios::app) << presented << '\n';
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
    }
    res.set_header("x-stand-in-refresh-token", presented);
    std::string access, refresh;
    unsigned n = 0;
    if (!refresh_tokens.rotate(presented, &access, &refresh, &n)) {
      invalid("invalid_grant", "Invalid refresh token");
      return;
    }
    res.set_header("x-stand-in-oauth", "refreshed");
    res.set_header("x-stand-in-issued-access", access);
    res.set_header("x-stand-in-issued-refresh", refresh);
    json scope = body.contains("scope") && body["scope"].is_string() ? body["scope"] : json("user:inference");
    res.set_content(json{{"token_type", "Bearer"},
                         {"access_token", access},
                         {"refresh_token", refresh},
                         {"expires_in", opts.token_ttl_s},
                         {"scope", scope}}
                        .dump(),
                    "application/json");
  });

  server.Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      res.status = 400;
      res.set_content(
          R"({"type":"error","error":{"type":"invalid_request_error","message":"body is not JSON"}})",
          "application/json");
      return;
    }
    if (!opts.dump_dir.empty()) {
      static std::atomic<unsigned> dumped{0};
      char name[32];
      std::snprintf(name, sizeof name, "/%04u.json", dumped.fetch_add(1) + 1);
      std::ofstream(opts.dump_dir + name) << req.body;
    }
    std::string model = body.value("model", "claude-stand-in");
    bool stream = body.value("stream", false);
    int tokens = estimate_tokens(req.body);
    Reply reply = scripted_reply(opts, body);
    // Read back by the logger below, so that one line describes the whole exchange.
    res.set_header("x-stand-in-reply", reply.content_block.value("type", "") + " " +
                                           reply.content_block.value("name", ""));
    res.set_header("x-stand-in-model", model);
    if (std::string error = last_tool_error(body); !error.empty()) {
      for (char& c : error)  // a header value: printable ASCII only
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
      res.set_header("x-stand-in-tool-error", error);
    }
    auto messages = body.find("messages");
    res.set_header("x-stand-in-messages",
                   std::to_string(messages != body.end() && messages->is_array() ? messages->size() : 0));
    res.set_header("x-stand-in-stream", stream ? "true" : "false");
    res.set_header("request-id", next_id("req"));
    if (stream) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(sse_stream(model, tokens, reply), "text/event-stream");
    } else {
      res.set_content(whole_message(model, tokens, reply).dump(), "application/json");
    }
  });

  // HEAD / is answered by httplib from the GET handler above. Every request, answered or
  // not (404), is one log line; "messages" is how many the conversation sent held (more
// than one on the first turn of a resumed session); "tool-error" is the text of a tool
// result the CLI sent back as failed (a refused or failed tool use).
  server.set_logger([&](const httplib::Request& req, const httplib::Response& res) {
    json line = {{"method", req.method}, {"path", req.path}, {"status", res.status}};
    if (req.has_param("beta")) line["beta"] = req.get_param_value("beta");
    if (std::string b = bearer_of(req); !b.empty()) line["bearer"] = b;
    if (req.has_header("x-api-key")) line["api-key"] = true;
    {
      using namespace std::chrono;
      line["t_ms"] = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }
    for (const char* h : {"x-stand-in-reply", "x-stand-in-model", "x-stand-in-stream", "x-stand-in-messages",
                          "x-stand-in-tool-error", "x-stand-in-oauth", "x-stand-in-refresh-token",
                          "x-stand-in-issued-access", "x-stand-in-issued-refresh"})
      if (res.has_header(h)) line[h + std::strlen("x-stand-in-")] = res.get_header_value(h);
    log.write(line);
  });

  int port = opts.port;
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "fake_anthropic_api: cannot listen on 127.0.0.1:%d: %s (pick another --port)\n",
                 opts.port, std::strerror(errno));
    return 1;
  }
  if (!opts.port_file.empty()) {
    // Written after bind, renamed into place, so a reader never sees a half-written port.
    std::string tmp = opts.port_file + ".tmp";
    {
      std::ofstream pf(tmp);
      pf << port << '\n';
      if (!pf) {
        std::fprintf(stderr, "fake_anthropic_api: cannot write %s: %s\n", tmp.c_str(), std::strerror(errno));
        return 1;
      }
    }
    if (std::rename(tmp.c_str(), opts.port_file.c_str()) != 0) {
      std::fprintf(stderr, "fake_anthropic_api: cannot rename %s to %s: %s\n", tmp.c_str(),
                   opts.port_file.c_str(), std::strerror(errno));
      return 1;
    }
  }
  std::printf("fake_anthropic_api: listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);

  std::thread waiter(stop_on_signal, set);
  waiter.detach();
  server.listen_after_bind();
  return 0;
}
