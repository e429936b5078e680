# Numéro Vert — the two commands a new user needs are `make run` and `make test`.
GO ?= go
export CGO_ENABLED ?= 1

.PHONY: run build test lint vet bench clean screenshots

## run: start the hotline on embedded defaults (127.0.0.1:8080, ./data, ./keys, demo config)
run:
	$(GO) run ./cmd/hotline serve

## build: put the binary at bin/hotline
build:
	$(GO) build -o bin/hotline ./cmd/hotline

## test: vet, gofmt, lint the shipped menus, and run every test with the race detector
test: vet lint
	$(GO) test -race -count=1 ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

## lint: check the menu tree and every locale
lint:
	$(GO) run ./cmd/hotline menus lint

## bench: hot-path benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## screenshots: PNGs of the queue and the dashboard (headless Chromium) into docs/screenshots
screenshots:
	mkdir -p docs/screenshots
	SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' -v ./casework/web

clean:
	rm -rf bin
