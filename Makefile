# Thin wrapper around meson/ninja.  `make demo` and `make check` work on a
# fresh Debian machine as root.

BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=

.PHONY: all deps build build-asan demo check check-unit check-iotests bench clean install

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

demo: deps build
	./scripts/demo.sh $(BUILD)

check: deps
	$(MAKE) build MESON_OPTS="$(MESON_OPTS) $(if $(CI),--werror)"
	$(MAKE) build-asan MESON_OPTS="$(MESON_OPTS) $(if $(CI),--werror)"
	./tests/run-all.sh $(BUILD) $(ASAN_BUILD)

bench: deps build
	./scripts/bench.sh $(BUILD)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
