#!/usr/bin/env bash
# The real backends the telemetry and rate-limit e2e tests talk to, as users run them:
#
#   tools/backends/build.sh jaeger      Jaeger (github.com/jaegertracing/jaeger/cmd/jaeger), built
#                                       from the Go module proxy at JAEGER_VERSION below
#   tools/backends/build.sh ratelimit   envoyproxy/ratelimit (src/service_cmd), built the same way
#                                       at RATELIMIT_VERSION below
#   tools/backends/build.sh redis       Debian's redis-server, installed with apt-get if missing
#   tools/backends/build.sh NAME --bin  print the binary's path only (the e2e harness computes the
#                                       same in e2e/harness/backends.ts), build nothing
#
# Go binaries land in ~/.cache/mast/<name>-<version>/<name> (outside the repo; MAST_BACKENDS_CACHE
# overrides the root); one that is already there is kept, so a second run builds nothing.
# JAEGER_BIN, RATELIMIT_BIN and REDIS_SERVER_BIN name binaries to use instead; those are not built.
# The override and cache steps are cache.sh's, which zipkin.sh shares.
#
# Each module is built inside its own downloaded tree (`go build` in the module cache directory),
# so its own go.mod, replace directives and go.sum decide every dependency: Jaeger's go.mod has a
# `replace`, which `go install pkg@version` refuses. Builds run at nice 10 under
# flock /tmp/mast-go.lock (one Go build at a time on the shared machine), into a temporary name
# first so an interrupted build never looks cached.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

JAEGER_VERSION=v1.76.0
# No tagged release of envoyproxy/ratelimit exists on the module proxy (the project publishes
# images named by commit); this is main as of 2026-01-22. Istio's samples/ratelimit pins image
# 30a4ce1a (2024-08-01), whose short hash the proxy will not resolve; the config format it reads
# (domain/descriptors YAML, Redis URL env) is the same.
RATELIMIT_VERSION=v1.4.1-0.20260122083618-3fb702589d36

name="${1:?usage: build.sh jaeger|ratelimit|redis [--bin]}"
mode="${2:-build}"

case "$name" in
  jaeger)
    override=JAEGER_BIN module=github.com/jaegertracing/jaeger version=$JAEGER_VERSION pkg=./cmd/jaeger
    ldflags="-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$version"
    ;;
  ratelimit)
    override=RATELIMIT_BIN module=github.com/envoyproxy/ratelimit version=$RATELIMIT_VERSION pkg=./src/service_cmd
    ldflags="-s -w"
    ;;
  redis)
    use_override build.sh redis-server REDIS_SERVER_BIN -x "$mode"
    bin="$(command -v redis-server || true)"
    if [[ "$mode" == --bin ]]; then echo "${bin:-redis-server}"; exit 0; fi
    if [[ -z "$bin" ]]; then
      echo "redis-server: installing Debian's redis-server with apt-get"
      # Debian's package starts a system redis on 6379 where systemd runs; the tests start their own.
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >/dev/null \
        || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >/dev/null; }
      bin="$(command -v redis-server)"
    fi
    echo "redis-server: $bin ($("$bin" --version | head -1))"
    exit 0
    ;;
  *) echo "build.sh: unknown backend '$name' (jaeger, ratelimit, redis)" >&2; exit 2 ;;
esac

use_override build.sh "$name" "$override" -x "$mode"
bin="$backends_cache/$name-$version/$name"
use_cached "$name" "$bin" -x "$mode"

dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
[[ -d "$dir" ]] || { echo "build.sh: go mod download $module@$version gave no directory" >&2; exit 1; }
echo "$name: building $module@$version $pkg into $bin (nice -n 10, one Go build at a time; minutes on 2 cores)"
start=$SECONDS
(
  cd "$dir"
  # -mod=readonly: the module's go.sum is the pin; -buildvcs=false: the module cache has no VCS.
  GOFLAGS="-mod=readonly -buildvcs=false" flock /tmp/mast-go.lock \
    nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" "$pkg"
)
mv -f "$bin.tmp.$$" "$bin"
echo "$name: built in $((SECONDS - start)) s, $(du -m "$bin" | cut -f1) MiB: $bin"
