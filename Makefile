# rawnet build, test and bench entry points. `make help` lists them.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/rawnet/rawnet/internal/cli.Version=$(VERSION)
FUZZTIME  ?= 5s
SOAK      ?= 60s
SCALE_CONNS ?= 100000
MODELS_WORKS ?= none;cpu:20us;sleep:1ms;sleep:5ms@1%
MODELS_CONNS ?= 1,50,500,5000
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test race vet fuzz lint bench models scale multihost hostile soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## build echo-tcp, echo-udp, echo-bench and relay-tcp into bin/
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

test: vet race fuzz ## vet, race-detector tests over everything, short fuzzing

vet: ## go vet for Linux, and for macOS and FreeBSD so the non-Linux twins cannot drift
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=freebsd $(GO) vet ./...

race: ## race-detector tests over every package
	$(GO) test -race -count=1 -timeout 8m ./...

fuzz: ## run every fuzz target for FUZZTIME (default 5s)
	@scripts/fuzz.sh $(FUZZTIME)

lint: vet ## go vet plus staticcheck (installed into bin/ at a pinned version)
	@test -x $(BIN)/staticcheck || GOBIN=$(CURDIR)/$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(BIN)/staticcheck ./...

bench: build ## run the default comparison matrix (about 11 minutes: every engine and the C reference, TCP and UDP) into out/bench-<timestamp>
	$(BIN)/echo-bench matrix --bin $(BIN)

models: build ## which model for which handler: std, threads, epoll, uring (where the kernel allows io_uring), pool (and pool-g, its goroutine workers) and gnet under MODELS_WORKS (none, cpu:20us, sleep:1ms, sleep:5ms@1%) at MODELS_CONNS (1 to 5,000) connections, ping-pong, 3 repeats of 1.5 s; about 15 minutes on 2 CPUs, into out/models-<timestamp>
	@engines=std,threads,epoll,pool,gnet; \
	if $(BIN)/echo-tcp --list-engines 2>/dev/null | grep -qx uring; then engines=std,threads,epoll,uring,pool,gnet; \
	else echo "models: uring left out: $$($(BIN)/echo-tcp --list-engines 2>&1 >/dev/null | head -1)"; fi; \
	set -x; $(BIN)/echo-bench matrix --bin $(BIN) --engines $$engines --variant 'pool-g=pool --worker-kind goroutine' --works '$(MODELS_WORKS)' \
		--conns $(MODELS_CONNS) --sizes 64 --depths 1 --udp-conns none --idle-conns 0 \
		--repeats 3 --duration 1500ms --warmup 500ms --drain-timeout 30s --out out/models-$$(date +%Y%m%d-%H%M%S)

scale: build ## hold SCALE_CONNS connections on the epoll engine (half idle, half at one message a second) and report server memory; past one process's nofile limit (raising it needs CAP_SYS_RESOURCE) servers and clients split into processes sharing the port with SO_REUSEPORT
	$(BIN)/echo-bench scale --bin $(BIN) --conns $(SCALE_CONNS)

multihost: build ## (root) two load generators, each in a network namespace of its own, against echo-tcp in a third, started together, their HdrHistogram logs merged into one result (out/multihost-<timestamp>)
	scripts/multihost.sh

hostile: ## every hostile case against every engine; writes hostile/RESULTS.md and README's table (namespace cases need root)
	RAWNET_HOSTILE=full RAWNET_HOSTILE_RESULTS=RESULTS.md $(GO) test -count=1 -timeout 30m ./hostile
	@scripts/readme-results.sh

soak: ## mixed clients per engine for SOAK each (default 60s); memory, goroutines and fds must stay flat
	RAWNET_SOAK=$(SOAK) $(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./hostile

clean: ## remove bin/ and out/
	rm -rf $(BIN) out
