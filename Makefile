# Numéro Vert — the two commands a new user needs are `make run` and `make test`.
GO ?= go
export CGO_ENABLED ?= 1

.PHONY: run build test lint vet prompts bench bench-go bench-load fuzz fuzz-smoke clean screenshots

## run: start the hotline on embedded defaults (127.0.0.1:8080, ./data, ./keys, demo config)
run: prompts
	$(GO) run ./cmd/hotline serve

## build: put the binary at bin/hotline (with the prompt recordings present in locales/audio/)
build: prompts
	$(GO) build -o bin/hotline ./cmd/hotline

## prompts: placeholder voice prompts for French and English (espeak-ng + sox, 8 kHz mono PCM)
## in locales/audio/<lang>/; existing files (real recordings) are kept. Not committed: see docs/prompts.md.
prompts:
	$(GO) run ./cmd/hotline prompts generate --locales locales --langs fr,en

## test: vet, gofmt, lint the shipped menus, run every test with the race detector
## (committed fuzz corpora run as plain tests), then each fuzz target briefly
test: vet prompts lint
	$(GO) test -race -count=1 ./...
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
	./menus:FuzzEngine \
	./menus:FuzzEngineState \
	./menus/gsm7:FuzzMeasure \
	./menus/gsm7:FuzzFold

## fuzz-smoke: each fuzz target for FUZZ_SMOKE new inputs; part of `make test`.
## A count, not a duration: with a duration, a loaded machine can end a run with the
## toolchain's own "context deadline exceeded" instead of a finding.
FUZZ_SMOKE ?= 3000x
fuzz-smoke:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($(FUZZ_SMOKE))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_SMOKE) $$pkg >/tmp/hotline-fuzz.log 2>&1 || { cat /tmp/hotline-fuzz.log; exit 1; }; \
	done

## fuzz: each fuzz target for FUZZTIME (2m); new failing inputs land in testdata/fuzz/ to commit
FUZZTIME ?= 2m
fuzz:
	$(MAKE) --no-print-directory fuzz-smoke FUZZ_SMOKE=$(FUZZTIME)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

## lint: check the menu tree and every locale
lint:
	$(GO) run ./cmd/hotline menus lint

## bench: hot-path Go benchmarks, then the load run (real server vs bare Fiber, 100k open sessions)
bench: bench-go bench-load

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Loopback only: the load run starts its own servers on free 127.0.0.1 ports.
LOAD_CALLERS ?= 50
LOAD_SESSIONS ?= 3000
LOAD_OPEN ?= 100000
# The Redis mode is loaded too when LOAD_REDIS (default: $REDIS_URL) is set.
LOAD_REDIS ?= $(REDIS_URL)
bench-load: build
	bin/hotline simulate load --callers $(LOAD_CALLERS) --sessions $(LOAD_SESSIONS) --open $(LOAD_OPEN) $(if $(LOAD_REDIS),--redis $(LOAD_REDIS))

## screenshots: PNGs of the queue and the dashboard (headless Chromium) into docs/screenshots
screenshots:
	mkdir -p docs/screenshots
	SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -v ./casework/web

clean:
	rm -rf bin
