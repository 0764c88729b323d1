#include "hostside/progress_bar.h"

#include <catch2/catch.hpp>

using claude::host::ProgressBar;

TEST_CASE("the progress bar shows the share done, in MiB", "[progress_bar]") {
  CHECK(ProgressBar::render("staging", 512ull << 20, 1024ull << 20, 10) ==
        "staging [#####.....]  50%  512.0/1024.0 MiB");
  CHECK(ProgressBar::render("x", 0, 0, 4) == "x [....]   0%  0.0/0.0 MiB");
  CHECK(ProgressBar::render("x", 9, 4, 4) == "x [####] 100%  0.0/0.0 MiB");
}
