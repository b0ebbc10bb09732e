# Thin wrapper around meson/ninja.  `make demo` and `make check` work on a
# fresh Debian machine as root.

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_OPTS ?=
# Fuzzing time per target: `make fuzz` and the smoke run of `make check`.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 12

.PHONY: all deps build build-asan demo check check-unit check-iotests bench clean install
.PHONY: fuzz-deps fuzz-build fuzz fuzz-smoke check-corpus bench-deps

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined \
	    -Db_lundef=false $(MESON_OPTS)

build-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# libFuzzer targets (tests/fuzz): clang with ASan and UBSan.
fuzz-deps:
	./scripts/install-deps.sh fuzz

$(FUZZ_BUILD)/build.ninja: | fuzz-deps
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true \
	    -Db_sanitize=address,undefined -Db_lundef=false $(MESON_OPTS)

fuzz-build: fuzz-deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)

fuzz: fuzz-build
	./tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	./tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS)

# Every tool command over the corrupted-image corpus (tests/corpus).
check-corpus: build-asan
	./tests/corpus/run-corpus.sh $(ASAN_BUILD)

demo: deps build
	./scripts/demo.sh $(BUILD)

check: deps
	$(MAKE) build MESON_OPTS="$(MESON_OPTS) $(if $(CI),--werror)"
	$(MAKE) build-asan MESON_OPTS="$(MESON_OPTS) $(if $(CI),--werror)"
	./tests/run-all.sh $(BUILD) $(ASAN_BUILD)
	./tests/check-install.sh $(BUILD)
	./tests/corpus/run-corpus.sh $(ASAN_BUILD)
	$(MAKE) fuzz-smoke

# BENCH_OUT=docs/performance-results.md also writes the report (and its
# plot beside it); BENCH_SIZE_MIB, BENCH_RUNS etc.: see scripts/bench.sh.
bench-deps:
	./scripts/install-deps.sh bench

bench: bench-deps build
	./scripts/bench.sh $(BUILD)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
