# Spillway. `make test` is what CI runs (.ci/run; as root it includes the tests on real
# containers); `make demo` brings up the local fleet and runs the walkthrough. Everything heavy is cached under $(SPILLWAY_CACHE).
SHELL := /bin/bash
export SPILLWAY_CACHE ?= $(HOME)/.cache/spillway
TSX := node --import tsx
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js
TOPOLOGY ?= config/topologies/demo.yaml
STATE ?= .fleet/demo

# Where `make install-plugin` links kubectl-amc: kubectl finds plugins on PATH only.
PREFIX ?= $(HOME)/.local
PLUGIN_HINT = kubectl amc: run \`make install-plugin\` (links kubectl-amc into $(PREFIX)/bin; add it to PATH with \`export PATH=$(PREFIX)/bin:\$$PATH\`), then \`KUBECONFIG=$(STATE)/kubeconfigs/hub.yaml kubectl amc get pod -M -A\`

.PHONY: all deps tools image e2e-real e2e-real-run e2e-real-deps build lint typecheck unit e2e test fuzz chaos bench bench-scale bench-karmada fleet-up fleet-down fleet-status demo install-plugin clean

all: test

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
deps: node_modules/.package-lock.json

# The Go-built test tools (hack/build-tools.sh). TOOLS names which of them (kube kwok helm
# kubeconform node pause coredns); empty: the first four, what `make e2e` needs.
TOOLS ?=
tools:
	bash hack/build-tools.sh $(TOOLS)

# The Spillway image from the Dockerfile, without a Docker engine (buildah; root). Writes
# $(SPILLWAY_CACHE)/image/spillway-<version>.oci.tar (docs/development.md).
image:
	bash hack/build-image.sh

# Debian packages and cached binaries of the local fleet's real node (containerd, kubelet).
e2e-real-deps:
	bash hack/real-node-deps.sh

# Tests on real containers (the image above, the fleet's real node with containerd, kubelet
# and iptables): they need root. Part of `make test`: without root they are skipped with the
# reason printed, except under CI=true, where skipping would hide them: there it fails.
e2e-real: deps
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory e2e-real-run; \
	elif [ "$${CI:-}" = true ]; then \
	  echo "e2e-real: FAILED: CI=true but not root. The tests on real containers (e2e/**/*.real.test.ts) need root for buildah, containerd, kubelet and iptables; run CI as root." >&2; exit 1; \
	else \
	  echo "e2e-real: SKIPPED (not root): the tests on real containers (e2e/**/*.real.test.ts: the image built with buildah, the local fleet's real node with containerd, kubelet and iptables) need root; run \`sudo make e2e-real\`."; \
	fi

e2e-real-run: tools e2e-real-deps image
	$(JEST) --selectProjects real --runInBand --forceExit

build: deps
	npx tsc -p tsconfig.build.json

# The kubectl plugin on PATH (also: `npm install -g .`, which puts both bins in npm's prefix).
install-plugin: build
	chmod +x dist/src/cli/kubectl-amc.js
	mkdir -p $(PREFIX)/bin
	ln -sf $(CURDIR)/dist/src/cli/kubectl-amc.js $(PREFIX)/bin/kubectl-amc
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "$(PREFIX)/bin is not on PATH: export PATH=$(PREFIX)/bin:\$$PATH";; esac
	@echo "installed $(PREFIX)/bin/kubectl-amc; try: kubectl amc get pod -M -A"

lint: deps
	npx eslint .
	npx prettier --check .

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

unit: deps
	$(JEST) --selectProjects unit

# E2E passes jest more arguments, e.g. files: `make e2e E2E=e2e/charts`. CI (.ci/run) runs the
# chart tests, the only ones needing helm and kubeconform, after the others, while those two build.
E2E ?=
e2e: deps tools
	$(JEST) --selectProjects e2e --runInBand --forceExit $(E2E)

test: lint typecheck unit e2e e2e-real

# The long fuzz run, not part of `make test` (which runs the same tests with few cases):
# 10,000 generated policies per kind on a real API server (200 accepted ones per kind then
# created for real, in batches of 5, under the controllers running as their own processes),
# and 100,000 cases per scheduler property. Generated templates likewise (10,000), then 20
# batches of 5 accepted ones created and deleted under a fleet controller process. Each
# controller's memory after the middle and last batch must stay within 1.5x + 64 MiB of the
# first (e2e/fuzz/memory-bound.ts); `make test` only prints it.
# FUZZ_RUNS, FUZZ_LIVE, FUZZ_BATCHES and PROPERTY_RUNS override the counts.
FUZZ_RUNS ?= 10000
FUZZ_BATCHES ?= 20
FUZZ_LIVE ?= 200
PROPERTY_RUNS ?= 100000
fuzz: deps tools
	SPILLWAY_PROPERTY_RUNS=$(PROPERTY_RUNS) $(JEST) test/unit/scheduler --selectProjects unit
	SPILLWAY_FUZZ_RUNS=$(FUZZ_RUNS) SPILLWAY_FUZZ_LIVE=$(FUZZ_LIVE) SPILLWAY_FUZZ_BATCHES=$(FUZZ_BATCHES) SPILLWAY_FUZZ_MEMORY_CHECK=1 $(JEST) e2e/fuzz --selectProjects e2e --runInBand --forceExit

# The chaos suite (e2e/chaos/run.ts, docs/operations.md), not part of `make test` (which runs a
# short slice of it, e2e/chaos/slice.e2e.test.ts): 200 random operations over 20 workloads while
# controllers, API servers, etcd and the network fail; prints the invariants checked, the faults
# and the settle times, and fails on any violation. CHAOS_SEED and CHAOS_OPERATIONS override.
chaos: deps tools
	$(TSX) e2e/chaos/run.ts

bench: deps
	for b in $(filter-out bench/fleet-scale-many.bench.ts bench/karmada-side-by-side.bench.ts,$(wildcard bench/*.bench.ts)); do echo "== $$b"; $(TSX) --expose-gc $$b || exit 1; done

# The fleet at scale (not in `make test`; long): N workloads over 3 members with thousands of
# kwok nodes. BENCH_N=100 for a short run, BENCH_N=100,1000,3000 for the whole curve.
BENCH_N ?= 100,1000
bench-scale: deps tools
	BENCH_N=$(BENCH_N) $(TSX) bench/fleet-scale-many.bench.ts

# Spillway and Karmada side by side on one local fleet (not in `make test`; needs a Karmada
# checkout with vendor/, whose controller-manager, scheduler and webhook it builds once into the
# cache): placement differences, hub-scale latency, convergence of KARMADA_N workloads (a list such as
# 1000,3000 runs in stages), RSS and CPU.
# Without KARMADA_SRC it says what is missing and does nothing. docs/scheduling.md has a run.
KARMADA_N ?= 100
bench-karmada: deps tools
	BENCH_N=$(KARMADA_N) $(TSX) bench/karmada-side-by-side.bench.ts

fleet-up: deps tools
	$(TSX) e2e/fleet/cli.ts up --topology $(TOPOLOGY) --state $(STATE)

fleet-down: deps
	$(TSX) e2e/fleet/cli.ts down --state $(STATE)

fleet-status: deps
	$(TSX) e2e/fleet/cli.ts status --state $(STATE)

# The demo always starts from a fresh fleet, so it can be run again and again.
demo: deps tools
	$(TSX) e2e/fleet/cli.ts down --state $(STATE)
	$(TSX) e2e/fleet/cli.ts up --topology $(TOPOLOGY) --state $(STATE)
	$(TSX) e2e/demo/walkthrough.ts --state $(STATE)
	@echo "$(PLUGIN_HINT)"

clean:
	rm -rf dist coverage
