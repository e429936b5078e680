# Numéro Vert — the two commands a new user needs are `make run` and `make test`.
GO ?= go
export CGO_ENABLED ?= 1
# The toolchain with the standard library's security fixes, fetched by the go command from the
# module proxy on first use (go.mod's toolchain line is ignored where GOTOOLCHAIN=local).
export GOTOOLCHAIN = go1.27.3

.PHONY: run build test lint lint-v vet vulncheck prompts bench bench-go bench-load fuzz fuzz-smoke clean screenshots axe

## run: start the hotline on embedded defaults (127.0.0.1:8080, ./data, ./keys, demo config).
## --init-keys creates ./keys only while ./data is empty (first run); later runs check that
## ./keys belongs to ./data. Without espeak-ng/sox the placeholder prompts are skipped.
run:
	@if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then \
		$(GO) run ./cmd/hotline prompts generate --locales locales --langs fr,en; \
	else \
		echo "note: espeak-ng or sox not installed: placeholder voice prompts skipped (voice calls read missing prompts with the provider's text-to-speech; docs/prompts.md)"; \
	fi
	$(GO) run ./cmd/hotline serve --init-keys

## build: put the binary at bin/hotline (with the prompt recordings present in locales/audio/)
build: prompts
	$(GO) build -o bin/hotline ./cmd/hotline

## prompts: placeholder voice prompts for French and English (espeak-ng + sox, 8 kHz mono PCM)
## in locales/audio/<lang>/; existing files (real recordings) are kept. Not committed: see docs/prompts.md.
prompts:
	$(GO) run ./cmd/hotline prompts generate --locales locales --langs fr,en

## test: vet, gofmt, lint the shipped menus, run every test with the race detector
## (committed fuzz corpora run as plain tests), then the exhaustive menu walk without the race
## detector (one goroutine, millions of steps: menus/exhaustive_test.go), then each fuzz target briefly
test: vet prompts lint
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^TestEveryScreenFitsUSSD$$' ./menus
	$(MAKE) --no-print-directory fuzz-smoke

# Fuzz targets, as package:Target. `go test -fuzz` takes one target in one package at a time.
FUZZ_TARGETS = \
	./gateway/africastalking:FuzzParse \
	./gateway/africastalking:FuzzNewInput \
	./gateway/africastalking:FuzzParseEnd \
	./gateway/africastalking:FuzzParseSMS \
	./gateway/africastalking:FuzzParseReport \
	./gateway/africastalking:FuzzParseCall \
	./gateway/twilio:FuzzParseSMS \
	./gateway/twilio:FuzzParseReport \
	./gateway/twilio:FuzzParseCall \
	./gateway/twilio:FuzzAuthenticate \
	./gateway/kannel:FuzzParseSMS \
	./gateway/kannel:FuzzParseReport \
	./gateway:FuzzSessionDecode \
	./menus:FuzzEngine \
	./menus:FuzzEngineState \
	./menus/gsm7:FuzzMeasure \
	./menus/gsm7:FuzzFold \
	./internal/po:FuzzPO

## fuzz-smoke: each fuzz target for FUZZ_SMOKE new inputs; part of `make test`.
## A count, not a duration: with a duration, a loaded machine can end a run with the
## toolchain's own "context deadline exceeded" instead of a finding.
FUZZ_SMOKE ?= 3000x
fuzz-smoke:
	@logs=$$(mktemp -d "$${TMPDIR:-/tmp}/hotline-fuzz.XXXXXX"); \
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; log="$$logs/$$(echo "$${pkg#./}" | tr / -)-$$name.log"; \
		echo "fuzz $$name ($(FUZZ_SMOKE))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_SMOKE) $$pkg >"$$log" 2>&1 || { cat "$$log"; echo "fuzz log kept: $$log"; exit 1; }; \
	done; rm -rf "$$logs"

## fuzz: each fuzz target for FUZZTIME (2m); new failing inputs land in testdata/fuzz/ to commit
FUZZTIME ?= 2m
fuzz:
	$(MAKE) --no-print-directory fuzz-smoke FUZZ_SMOKE=$(FUZZTIME)

## axe: install axe-core, the accessibility rules the browser tests run on every page, with npm into
## a cache outside the repository (the tests skip without it, and fail under CI=true)
AXE_CORE_VERSION = 4.14.1
AXE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hotline/axe
axe:
	@grep -qs '"version": "$(AXE_CORE_VERSION)"' "$(AXE_DIR)/node_modules/axe-core/package.json" || \
		npm install --prefix "$(AXE_DIR)" --no-audit --no-fund --silent axe-core@$(AXE_CORE_VERSION)
	@echo "axe-core $(AXE_CORE_VERSION) in $(AXE_DIR)"

# Analysers, pinned and run with `go run` (nothing to install).
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK = golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB = golang.org/x/vulndb
VULNDB_VERSION = v0.0.0-20261105234957-e22db6528018

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## vulncheck: govulncheck on the called code, against a vulnerability database built here from the
## golang.org/x/vulndb module (the public endpoint is not reachable from every machine). The database
## is built once per VULNDB_VERSION into VULNDB_DIR, a cache outside the repository; never commit it.
VULNDB_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hotline/vulndb-$(VULNDB_VERSION)
vulncheck:
	@if [ ! -f "$(VULNDB_DIR)/index/db.json" ]; then \
		echo "vulncheck: building the database from $(VULNDB)@$(VULNDB_VERSION) into $(VULNDB_DIR)"; \
		src=$$($(GO) mod download -json $(VULNDB)@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
		[ -d "$$src/data/osv" ] || { echo "vulncheck: no data/osv in $(VULNDB)@$(VULNDB_VERSION)"; exit 1; }; \
		mkdir -p "$$(dirname "$(VULNDB_DIR)")" && tmp=$$(mktemp -d "$(VULNDB_DIR).XXXXXX") && \
		$(GO) run $(VULNDB)/cmd/indexdb@$(VULNDB_VERSION) -vulns "$$src/data/osv" -out "$$tmp/db" && \
		rm -rf "$(VULNDB_DIR)" && mv "$$tmp/db" "$(VULNDB_DIR)" && rmdir "$$tmp"; \
	fi
	$(GO) run $(GOVULNCHECK) -db file://$(VULNDB_DIR) ./...

## lint: check the menu tree and every locale; errors in full, warnings as counts per language
lint:
	@out=$$($(GO) run ./cmd/hotline menus lint --strict 2>&1); rc=$$?; \
	printf '%s\n' "$$out" | grep -v ': warning: ' || true; \
	printf '%s\n' "$$out" | awk -F: '/: warning: /{f=$$1; sub(/^audio\//,"",f); sub(/\/$$/,"",f); sub(/\.yaml$$/,"",f); n[f]++} \
		END{for(k in n) s=s sprintf(" %s %d", k, n[k]); if (s != "") print "lint warnings per language:" s " (make lint-v lists them)"}'; \
	exit $$rc

## lint-v: the menu linter with every warning
lint-v:
	$(GO) run ./cmd/hotline menus lint --strict

## bench: hot-path Go benchmarks, then the load run (cmd/hotline-load: real server vs bare Fiber in the
## same run, 50 and 200 callers, a lone caller, 100k open sessions), each figure printed against its goal
bench: bench-go bench-load

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Loopback only: the load run starts its own servers on free 127.0.0.1 ports.
# One run of each server per value of LOAD_CALLERS; the goals are judged at 50 and 200.
LOAD_CALLERS ?= 50,200
LOAD_SESSIONS ?= 2000
LOAD_LONE ?= 100
LOAD_OPEN ?= 100000
# LOAD_PROFILE=FILE writes the embedded server's CPU profile of the first run (go tool pprof -top bin/hotline FILE).
LOAD_PROFILE ?=
# The Redis mode is loaded too when LOAD_REDIS (default: $REDIS_URL) is set.
LOAD_REDIS ?= $(REDIS_URL)
bench-load: build
	$(GO) build -o bin/hotline-load ./cmd/hotline-load
	bin/hotline-load --hotline bin/hotline --callers $(LOAD_CALLERS) --sessions $(LOAD_SESSIONS) --lone $(LOAD_LONE) --open $(LOAD_OPEN) $(if $(LOAD_REDIS),--redis $(LOAD_REDIS)) $(if $(LOAD_PROFILE),--cpuprofile $(LOAD_PROFILE))

## screenshots: PNGs of the queue and the dashboard (headless Chromium) into docs/screenshots
screenshots:
	mkdir -p docs/screenshots
	SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -v ./casework/web

clean:
	rm -rf bin
