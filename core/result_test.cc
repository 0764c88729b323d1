#include "core/result.h"

#include <cerrno>

#include <catch2/catch.hpp>

using claude::Error;

TEST_CASE("an error message names the operation, the file, errno and the fix") {
  Error e{"open", "/x/settings.json", ENOENT, "", "run claude-host stage again"};
  CHECK(e.message() == "open '/x/settings.json': No such file or directory — run claude-host stage again");
}

TEST_CASE("an error message with detail puts errno in parentheses") {
  Error e{"parse", "a.json", 0, "line 3: unexpected '}'", ""};
  CHECK(e.message() == "parse 'a.json': line 3: unexpected '}'");
  Error f{"write", "b", ENOSPC, "outbox full", ""};
  CHECK(f.message() == "write 'b': outbox full (No space left on device)");
}
