# vungmanh: common tasks. `make help` lists them.
# The container image needs a Docker (or compatible) engine; nothing else here does.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE     ?= ghcr.io/vungmanh/vungmanh
BIN       ?= bin/vungmanh
LDFLAGS   := -s -w -X github.com/vungmanh/vungmanh/internal/app.Version=$(VERSION)

.PHONY: help build test vet fmt lint bench docker chart-lint sample run clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build the static binary into bin/ (the Dockerfile's build command)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/vungmanh

test: ## run every test with the race detector (what CI runs)
	$(GO) test -race ./...

vet: ## go vet and the gofmt check of CI
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

fmt: ## gofmt every Go file
	gofmt -w $$(git ls-files '*.go')

bench: ## run the benchmark harness (bench/run.sh) and print its ratios
	./bench/run.sh

docker: ## build the container image (needs a Docker engine): make docker VERSION=1.2.3
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) .

chart-lint: ## render, strictly decode and lint the Helm chart (Go tests, no helm binary needed)
	$(GO) test ./charts/vungmanh

sample: build ## write the thai-binh-2024 sample snapshot into ./snapshot
	$(BIN) sample --profile thai-binh-2024 --out ./snapshot

run: build ## run the nightly job on the built-in sample, reports in ./reports
	$(BIN) run --snapshot sample://thai-binh-2024 --out ./reports

clean: ## remove built files
	rm -rf bin
