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
# the whole suite on SQLite files, then the end-to-end tests again on PostgreSQL: a throw-away
# cluster on a free port of 127.0.0.1 (scripts/pg-cluster.sh), each test in a database of its
# own (FTA_TEST_POSTGRES). The cluster is stopped whatever happens; the target fails when
# either leg failed. The tests start their own receivers on 127.0.0.1 and stop them.
# Absolute: scripts/pg-cluster.sh hands DIR to the server as its socket folder (-k), which the
# server resolves from its data folder.
PG_TEST_DIR = $(CURDIR)/.build/pg-test
PG_TEST_FILTER = EndToEndTests

test: deps
	@scripts/check-layers.sh
	$(SWIFT) build --build-tests
	@sqlite=0; pg=0; \
	echo "== tests on SQLite"; \
	$(SWIFT) test --skip-build --disable-swift-testing || sqlite=$$?; \
	port=$$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	trap 'scripts/pg-cluster.sh stop $(PG_TEST_DIR)' EXIT; \
	trap 'scripts/pg-cluster.sh stop $(PG_TEST_DIR); exit 130' INT TERM; \
	echo "== tests on PostgreSQL (cluster in $(PG_TEST_DIR), port $$port)"; \
	if url=$$(scripts/pg-cluster.sh start $(PG_TEST_DIR) $$port); then \
	  FTA_TEST_POSTGRES=$$url $(SWIFT) test --skip-build --disable-swift-testing --filter '$(PG_TEST_FILTER)' || pg=$$?; \
	else \
	  echo "make test: cannot start a PostgreSQL cluster (scripts/pg-cluster.sh)"; pg=1; \
	fi; \
	echo "== SQLite leg: exit $$sqlite; PostgreSQL leg: exit $$pg"; \
	[ $$sqlite -eq 0 ] && [ $$pg -eq 0 ]

bench:
	@scripts/deps.sh bench
	$(SWIFT) build $(RELEASE_FLAGS)
	@scripts/bench.sh

PREFIX ?= /usr/local
install: release
	install -m 0755 .build/release/fta-tick .build/release/fta-sync .build/release/fta-rota .build/release/fta-replay $(PREFIX)/bin/

clean:
	rm -rf .build demo bench/out
