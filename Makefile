# The README's commands. Everything goes through CMake; this file only names the steps.
#   make demo   the whole product on a sandboxed demo home (installs what it needs)
#   make test   every test: unit, integration, ASan+UBSan, fuzz, end-to-end with Docker
#   make hostile-table   run the hostile-input corpus and rewrite its table in tests/README.md
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build build-asan build-fuzz test test-fast test-asan test-fuzz test-e2e hostile-table demo bench image format tidy clean

all: build

deps:
	scripts/install-deps.sh all

build:
	scripts/install-deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCLAUDE_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

build-asan:
	scripts/install-deps.sh build
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCLAUDE_WERROR=ON -DCLAUDE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

build-fuzz:
	scripts/install-deps.sh build
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCLAUDE_FUZZ=ON -DFUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $$(ls tests/fuzz/*_fuzz.cc | xargs -n1 basename | sed 's/\.cc$$//' | tr '\n' ' ')

# Unit and integration tests on the release build.
test-fast: build
	ctest --test-dir $(BUILD) -L 'unit|integration' --output-on-failure

# A 16 MiB quarantine of freed blocks (ASan's default is 256 MiB): the tests' memory
# bounds, scaled under ASan (tests/CMakeLists.txt), would otherwise measure the quarantine.
test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=16 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) -L 'unit|integration' --output-on-failure

test-fuzz: build-fuzz
	ctest --test-dir $(FUZZ_BUILD) -L fuzz --output-on-failure

test-e2e: build
	scripts/install-deps.sh docker
	ctest --test-dir $(BUILD) -L e2e --output-on-failure

test: test-fast test-asan test-fuzz test-e2e

# The hostile-input corpus (tests/hostile): every case, then its table in tests/README.md
# rewritten between the markers from what each case got (failing cases are listed as such).
hostile-table: build
	rm -rf $(BUILD)/hostile-results
	-HOSTILE_RESULTS=$(abspath $(BUILD))/hostile-results ctest --test-dir $(BUILD) -L hostile -j 2 --output-on-failure
	python3 tests/hostile/corpus.py table tests/README.md $(BUILD)/hostile-results

image: build
	scripts/install-deps.sh docker
	docker/build-image.sh

demo: build
	scripts/install-deps.sh docker
	scripts/demo.sh

bench: build
	scripts/install-deps.sh bench
	bench/run.sh

format:
	clang-format -i core/*.h core/*.cc entrypoint/*.h entrypoint/*.cc hostside/*.h hostside/*.cc tests/helpers/*.cc

tidy: build
	clang-tidy -p $(BUILD) core/*.cc entrypoint/*.cc hostside/*.cc

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
