# Canvass. `make run` serves the default questionnaire with demo cases on the
# embedded store; `make test` runs every check CI runs.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GO ?= go

.PHONY: build run deps test lint bench drill gobench fuzz clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/canvass .

run: build
	./bin/canvass serve --demo

# The browser tests drive Debian's Chromium, and check every page with
# axe-core from npm (package.json); the race tests and the drill run
# FerretDB over Debian's PostgreSQL too; the export's syntax tests run the
# R script with R and the SPSS syntax with PSPP; the bounce mailbox's tests
# read a real IMAP server, Debian's Dovecot. Install what is missing.
deps: node_modules/axe-core/axe.min.js
	@missing=; \
	command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$CANVASS_CHROMIUM" ] || missing="chromium"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v Rscript >/dev/null || missing="$$missing r-base-core"; \
	command -v pspp >/dev/null || missing="$$missing pspp"; \
	[ -x /usr/sbin/dovecot ] || missing="$$missing dovecot-imapd"; \
	[ -z "$$missing" ] || { \
	  echo "installing$$missing for the tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "run as root, or: sudo apt-get install$$missing" >&2; exit 1; fi; }

# npm ci installs exactly what package-lock.json names, again whenever it changes.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

test: deps lint
	$(GO) test -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod is not tidy: run go mod tidy"; exit 1; }
	$(GO) vet ./...

# One table of this build on this machine, measured in one run (see
# README, Benchmarks): BENCH=quick for reduced sizes, BENCH_OUT for the
# JSON lines. Errors found make it fail.
BENCH ?=
BENCH_OUT ?= bin/bench.json
bench: build
	./bin/canvass bench --json $(BENCH_OUT)$(if $(filter quick,$(BENCH)), --quick)

# The fault drill (README, Fault drill): three instances on a shared store,
# on SQLite and, where it is installed, on PostgreSQL; an instance killed
# and the store stopped mid-load. It fails unless nothing acknowledged was
# lost and every check passed.
drill: build
	./bin/canvass drill

# Every Go benchmark, beside the code it measures.
gobench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A short run of every fuzz target; FUZZTIME=10m for a longer one.
FUZZTIME ?= 15s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
