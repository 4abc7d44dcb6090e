# The two commands: `make run` and `make test`. Both install missing Debian packages, configure
# and build Release into build/ (ccache if present, -j = cores); idempotent and fast when nothing
# changed.

BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE    ?= cmake
DEMO_DIR ?= data/demo
CLI       = $(BUILD)/app/cospace-cli
GUI       = $(BUILD)/app/cospace

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all setup configure build run test demo package clean

all: build

setup:
	@bash packaging/setup-deps.sh

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

clean:
	rm -rf $(BUILD)
