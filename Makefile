# qvrrun: the two commands people type are `make run` and `make test`.
# Both install missing Debian packages first (apt-get, as root or via sudo).

BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
# `make test` runs twice as many tests as cores: most end-to-end tests wait
# on fixed durations (a 1-minute soak mostly sleeps), and the latency-bound
# ones ("timing") run alone whatever this says (RUN_SERIAL). The ASan suite
# stays at one per core: under ASan the tests are CPU-bound.
TEST_JOBS  ?= $(shell echo $$(( $(JOBS) * 2 )))
CMAKE_ARGS ?=
SCENARIO   ?= scenarios/quickstart.lua

PKGS = build-essential cmake pkg-config liblua5.4-dev libcurl4-openssl-dev \
       libevent-dev libcjson-dev zlib1g-dev libmimalloc-dev gnuplot-nox \
       libjs-dygraphs
# chromium, chromium-driver, python3-selenium: the dashboard's browser test
TEST_PKGS = nginx-light python3 valgrind curl prometheus time \
       chromium chromium-driver python3-selenium

.PHONY: all deps test-deps build run test sanitize test-san tsan valgrind format format-check bench clean

all: build

deps:
	@bash tools/install-deps.sh $(PKGS)

test-deps:
	@bash tools/install-deps.sh $(PKGS) $(TEST_PKGS)

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	./$(BUILD)/qvrrun $(SCENARIO)

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

# ASan + UBSan build of everything, and the whole suite under it.
sanitize:
	cmake -S . -B $(BUILD_SAN) -DQVR_SANITIZE=ON -DQVR_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_SAN) -j $(JOBS)

# Latency-bound tests ("timing"), the 1-minute soaks and the threaded test
# (which `make tsan` runs under ThreadSanitizer) run only in the
# optimised build.
test-san: test-deps sanitize
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -E "timing|soak|threads"

# ThreadSanitizer: the multi-threaded end-to-end test and a threaded run
# stopped by an abort threshold, with a TSan build; any race report makes
# qvrrun exit 66 and the target fail.
BUILD_TSAN ?= build-tsan
tsan: test-deps
	cmake -S . -B $(BUILD_TSAN) -DQVR_TSAN=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_TSAN) -j $(JOBS) --target qvrrun
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" QVRRUN=$(CURDIR)/$(BUILD_TSAN)/qvrrun \
	    QVR_BIN_DIR=$(CURDIR)/$(BUILD_TSAN) QVR_TIMEOUT=300 bash tests/e2e/threads.sh
	@# the main thread stopping the workers on a failing abort threshold,
	@# while they feed its collector the answers' timing headers
	rc=0; TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 \
	    ./$(BUILD_TSAN)/qvrrun tests/e2e/scenarios/abort.lua --threads 2 --quiet \
	    --no-plots --force --out $(BUILD_TSAN)/tsan-abort -e TH=window -e USERS=20 \
	    --metrics-listen 127.0.0.1:0 \
	    >/dev/null || rc=$$?; \
	test $$rc -eq 99 || { echo "tsan: abort run exited $$rc (want 99)"; exit 1; }

# A short run against the in-process mock under valgrind: no leaks, no errors.
valgrind: test-deps build
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
	    ./$(BUILD)/qvrrun scenarios/quickstart.lua --duration 3s --quiet \
	    --force --out $(BUILD)/valgrind-run >/dev/null

FORMAT_FILES = $(wildcard core/*.c core/*.h) core/*/*.c core/*/*.h cli/*.c cli/*.h tests/unit/*.c tests/fixture/*.c tests/fuzz/*.c

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

bench: deps build
	bash bench/run-all.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_TSAN)
