#include "core/json_syntax.h"

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using claude::is_json_document;
using claude::json_syntax_error;

TEST_CASE("lone and reversed surrogate escapes are JSON, as JSON.parse reads them") {
  // JSON.stringify("\ud800") writes "\ud800": nlohmann refuses it, JavaScript does not.
  for (const char* doc : {R"({"k":"\ud800"})", R"({"k":"a\udfffb"})", R"(["\udc00\ud800"])",
                          R"({"\uD83D":1})", R"("\ud83d\ude00")", R"({"k":"\ud800\u0041"})"}) {
    INFO(doc);
    CHECK(is_json_document(doc));
  }
  CHECK_FALSE(nlohmann::json::accept(R"({"k":"\ud800"})"));  // why this validator exists
}

TEST_CASE("the grammar is RFC 8259's: what JSON.parse refuses is refused with its place") {
  struct Case {
    const char* doc;
    const char* what;
    std::size_t byte;
  };
  for (const Case& c : {Case{"", "empty", 0},
                        Case{"  \n", "empty", 3},
                        Case{"{\"a\":1,}", "string key", 7},
                        Case{"[1,]", "not a JSON value", 3},
                        Case{"{\"a\" 1}", "':'", 5},
                        Case{"{\"a\":1", "cut short", 6},
                        Case{"[\"x", "unterminated", 3},
                        Case{"\"\\x\"", "unknown escape", 2},
                        Case{"\"\\u12g4\"", "four hex", 5},
                        Case{"\"a\tb\"", "control character", 2},
                        Case{"01", "after the JSON value", 1},
                        Case{"-", "without digits", 1},
                        Case{"1.", "after '.'", 2},
                        Case{"1e+", "exponent", 3},
                        Case{"tru", "not a JSON value", 0},
                        Case{"{} {}", "after the JSON value", 3},
                        Case{"\xEF\xBB\xBF", "empty", 3},
                        Case{"[1 2]", "',' or ']'", 3},
                        Case{"{\"a\":1 \"b\":2}", "',' or '}'", 7},
                        Case{"NaN", "not a JSON value", 0}}) {
    INFO(c.doc);
    auto e = json_syntax_error(c.doc);
    REQUIRE(e);
    CHECK_THAT(e->what, Catch::Contains(c.what));
    CHECK(e->byte == c.byte);
  }
  auto e = json_syntax_error("{\n  \"a\": [1,\n  ]\n}");
  REQUIRE(e);
  CHECK(e->line == 3);
  CHECK(e->column == 3);
  CHECK_THAT(e->message(), Catch::StartsWith("line 3 column 3 (byte 15): "));
}

TEST_CASE("valid documents pass, bytes inside strings taken as they are") {
  for (const char* doc :
       {"{}", "[]", " 0 ", "-0.5e-3", "1E9", "true", "null", "\"\"",
        R"({"a":[{"b":null}],"c":"\/\"\\\b\f\n\r\t"})", "{\"caf\xc3\xa9\":\"\xff\xfe bytes\"}",
        "\r\n\t[ 1 , 2 ]\r\n", "\xEF\xBB\xBF{}"}) {
    INFO(doc);
    CHECK(is_json_document(doc));
  }
}

TEST_CASE("a NUL byte is not the end of the document (nlohmann takes it as one)") {
  const std::string_view zeros("{\"a\":1}\0\0\0", 10);  // a file cut by a crash, zero-filled
  CHECK(nlohmann::json::accept(zeros.begin(), zeros.end()));
  auto e = json_syntax_error(zeros);
  REQUIRE(e);
  CHECK(e->byte == 7);
}

TEST_CASE("nesting far deeper than any recursive parser takes is checked without recursion") {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  CHECK(is_json_document(deep));
  deep.pop_back();
  auto e = json_syntax_error(deep);
  REQUIRE(e);
  CHECK(e->byte == deep.size());
}

TEST_CASE(
    "on generated documents the validator agrees with nlohmann's where nlohmann has an answer") {
  // Agreement on everything without \u escapes of surrogates (the only deliberate difference).
  const char* pieces[] = {"{",      "}",    "[",    "]", ",",       ":", "\"k\"",      "1",
                          "-2.5e3", "true", "null", " ", "\"\\n\"", "x", "\"\\u0041\""};
  std::uint64_t state = 12345;
  for (int n = 0; n < 20000; ++n) {
    std::string doc;
    int len = 1 + static_cast<int>(state % 9);
    for (int k = 0; k < len; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      doc += pieces[(state >> 33) % (sizeof pieces / sizeof *pieces)];
    }
    INFO(doc);
    CHECK(is_json_document(doc) == nlohmann::json::accept(doc));
  }
}
