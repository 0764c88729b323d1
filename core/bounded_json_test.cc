#include "core/bounded_json.h"

#include <catch2/catch.hpp>

using claude::parse_bounded_json;

namespace {
std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
}  // namespace

TEST_CASE("a document within the bounds parses as nlohmann would parse it", "[bounded_json]") {
  auto j = parse_bounded_json(R"({"a":[1,{"b":null}],"c":"x"})", "f.json", 1024);
  REQUIRE(j.ok());
  CHECK(*j == nlohmann::json::parse(R"({"a":[1,{"b":null}],"c":"x"})"));
  auto deep_enough = parse_bounded_json(nested(512), "f.json", 1 << 20);
  REQUIRE(deep_enough.ok());
}

TEST_CASE("a document nested 100 000 deep is refused, naming the file, without recursion", "[bounded_json]") {
  auto j = parse_bounded_json(nested(100000), "/x/.claude.json", 1 << 20);
  REQUIRE_FALSE(j.ok());
  CHECK(j.error().path == "/x/.claude.json");
  CHECK(j.error().detail.find("nested deeper than 512") != std::string::npos);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(100000, '}');
  CHECK_FALSE(parse_bounded_json(objects, "o.json", 1 << 20).ok());
  CHECK_FALSE(parse_bounded_json(nested(513), "f.json", 1 << 20).ok());
}

TEST_CASE("a document larger than the bound or not JSON is refused with the reason", "[bounded_json]") {
  auto big = parse_bounded_json(std::string(100, ' ') + "1", "big.json", 50);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().detail.find("larger than 50 bytes") != std::string::npos);
  auto bad = parse_bounded_json("{\"a\":", "bad.json", 50);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().detail == "not valid JSON");
}
