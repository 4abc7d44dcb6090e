# The two commands: `make run` and `make test`. Both install missing Debian packages, configure
# and build Release into build/ (ccache if present, -j = cores); idempotent and fast when nothing
# changed.

BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE    ?= cmake
DEMO_DIR ?= data/demo
CLI       = $(BUILD)/app/cospace-cli
GUI       = $(BUILD)/app/cospace

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the cache;
# NOHASHDIR keeps the working directory out of the key of builds with debug info (test-asan).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup bench-setup configure build run test demo package clean fuzz test-asan test-tsan crash-test

all: build

setup:
	@bash packaging/setup-deps.sh

# The benchmarks' peers (umap-learn, scikit-learn, FAISS and torch from Python): bench/README.md.
bench-setup: setup
	@bash packaging/setup-deps.sh packaging/bench-packages.txt

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

configure: setup $(BUILD)/CMakeCache.txt

build: configure
	$(CMAKE) --build $(BUILD) -j $(JOBS)

# The emoji demo comes from the npm registry; when it cannot be reached, the offline shapes
# demo stands in. Both are prepared once and re-used.
demo: build
	@if [ ! -f $(DEMO_DIR)/emoji/captions.tsv ] && [ ! -f $(DEMO_DIR)/shapes/captions.tsv ]; then \
	  $(CLI) demo emoji $(DEMO_DIR)/emoji || \
	  { echo "make: emoji demo unavailable (npm registry unreachable?); generating the shapes demo"; \
	    $(CLI) demo shapes $(DEMO_DIR)/shapes --count 2000 --seed 1; }; \
	fi

run: demo
	@if [ -f $(DEMO_DIR)/emoji/captions.tsv ]; then d=$(DEMO_DIR)/emoji; else d=$(DEMO_DIR)/shapes; fi; \
	exec $(GUI) --dataset $$d

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

package: build
	cd $(BUILD) && cpack -G DEB

# The crash-consistency harness with many rounds (make test runs 4 per kind): SIGKILL of embed and
# train runs and of workspace saves at seeded random moments, plus the full-disk cases (tmpfs, root).
CRASH_ROUNDS ?= 40
CRASH_SEED   ?= 1
crash-test: build
	cd $(BUILD) && COSPACE_CRASH_ROUNDS=$(CRASH_ROUNDS) COSPACE_CRASH_SEED=$(CRASH_SEED) \
	  ctest --output-on-failure -R tst_crashconsistency --timeout 3600

# Sanitizer runs (README "Reliability"): core, cospace-cli and the non-GUI tests built with
# AddressSanitizer + UndefinedBehaviorSanitizer (all of those tests; CI runs it) or ThreadSanitizer
# (the tests of the threaded embedding pipeline and trainer). Suppressions: tests/sanitizers/.
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
TSAN_TESTS ?= tst_embedstore|tst_trainer

test-asan: setup
	@[ -f $(ASAN_BUILD)/CMakeCache.txt ] || $(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCOSPACE_SANITIZE=address,undefined -DCOSPACE_BUILD_GUI=OFF
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

test-tsan: setup
	@[ -f $(TSAN_BUILD)/CMakeCache.txt ] || $(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCOSPACE_SANITIZE=thread -DCOSPACE_BUILD_GUI=OFF
	$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && ctest --output-on-failure -R '$(TSAN_TESTS)'

# libFuzzer targets for the parsers of outside data (tests/fuzz, README "Reliability"): a separate
# clang + ASan/UBSan build of the Torch-free parsers only. Each target runs FUZZ_SECONDS on its corpus
# (grown in $(FUZZ_BUILD)/corpus/<target>, seeded by tests/fuzz/make_seeds.sh); crashing inputs land in
# $(FUZZ_BUILD)/artifacts/<target>/; tests/fuzz/<target>.dict, when there is one, lists tokens worth
# trying. Fails if any target finds a crash, leak, hang or sanitizer report.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= captionfile texttokenizer cliptokenizer npy workspace imagedecode sharedspaceconfig runfolder clipbundle \
                safetensors torchpickle heifdecode shards thumbnail
FUZZ_NICE    ?= nice -n 5

fuzz: setup
	@command -v clang++ >/dev/null || { echo "fuzz: needs clang: apt-get install clang libclang-rt-14-dev"; exit 1; }
	@[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || CC=clang CXX=clang++ $(CMAKE) -S . -B $(FUZZ_BUILD) \
	  -DCOSPACE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	bash tests/fuzz/make_seeds.sh $(FUZZ_BUILD)/seeds
	@failed=; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t $(FUZZ_BUILD)/logs; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s, log $(FUZZ_BUILD)/logs/$$t.log"; \
	  if UBSAN_OPTIONS=print_stacktrace=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $(FUZZ_NICE) $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t \
	       -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	       -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	       $$([ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict) \
	       $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t > $(FUZZ_BUILD)/logs/$$t.log 2>&1; then \
	    grep -E '^stat::number_of_executed_units' $(FUZZ_BUILD)/logs/$$t.log || true; \
	  else \
	    tail -n 40 $(FUZZ_BUILD)/logs/$$t.log; failed="$$failed $$t"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_BUILD)/artifacts/)"; exit 1; fi; \
	echo "fuzz: all targets ran $(FUZZ_SECONDS) s without a finding"

clean:
	rm -rf $(BUILD)
