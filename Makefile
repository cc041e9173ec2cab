# evalroom. `make run` brings up the whole system locally with demo data;
# `make test` runs every test. Both install what they need when missing.
SHELL := /bin/bash
GO := $(shell deploy/local/go.sh)
APT_TEST := postgresql postgresql-contrib redis-server ffmpeg pkg-config libx264-dev libvpx-dev libopus-dev chromium chromium-driver fonts-wqy-microhei prometheus
GOTEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: all build run stop test test-short vet bench config-doc deps

all: build

deps:
	@deploy/local/deps.sh $(APT_TEST)

build:
	$(GO) build -o bin/ ./cmd/...

run: deps build
	@deploy/local/run.sh

stop:
	@deploy/local/stack.sh stop

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test $(GOTEST_FLAGS) ./... 2>&1 | tee .test.log; \
	  status=$${PIPESTATUS[0]}; \
	  echo "packages: $$(grep -c "^ok " .test.log) passed, $$(grep -c "^FAIL\s" .test.log) failed"; \
	  rm -f .test.log; exit $$status

test-short: deps
	$(GO) test -short ./...

# Benchmarks behind BENCHMARKS.md (slow: they seed 100,000 experts).
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 200x -timeout 60m ./expertpool/...

# Prints the configuration reference that README.md must contain.
config-doc:
	@$(GO) run ./cmd/evalroomctl config-doc
