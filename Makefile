# fta: the two commands a new user runs are `make run` and `make test`.
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: run test bench build release deps clean install

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# Builds release binaries, creates demo/fta.db with demo actions against a local receiver,
# runs passes and shows `fta-tick status`.
run: release
	@scripts/demo.sh

# Installs what the tests need, checks the layering (docs/architecture.md), builds once, runs
# the whole suite. The tests start their own receivers on 127.0.0.1 and stop them.
test: deps
	@scripts/check-layers.sh
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

bench:
	@scripts/deps.sh bench
	$(SWIFT) build $(RELEASE_FLAGS)
	@scripts/bench.sh

PREFIX ?= /usr/local
install: release
	install -m 0755 .build/release/fta-tick .build/release/fta-sync .build/release/fta-rota .build/release/fta-replay $(PREFIX)/bin/

clean:
	rm -rf .build demo bench/out
