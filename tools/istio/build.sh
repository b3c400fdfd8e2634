#!/usr/bin/env bash
# Builds istioctl (istio.io/istio/istioctl/cmd/istioctl) from the Go module proxy at the Istio
# revision pinned in tools/istio/revision, into ~/.cache/mast/istio-<revision>/istioctl (outside
# the repo). A binary that is already there is kept, so a second run builds nothing. ISTIOCTL_BIN
# names a binary to use instead; it is not built. The differential test
# test/conformance/istio-validate.test.ts runs `istioctl validate` as the oracle for what Istio
# accepts.
#
#   tools/istio/build.sh            build istioctl if missing, print where it is
#   tools/istio/build.sh --bin      print the binary's path only (the test computes the same)
#
# MAST_ISTIO_CACHE overrides the cache root (default ~/.cache/mast).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
revision="$(tr -d '[:space:]' < "$here/revision")"
[[ -n "$revision" ]] || { echo "build.sh: $here/revision is empty" >&2; exit 1; }

if [[ -n "${ISTIOCTL_BIN:-}" ]]; then
  [[ -x "$ISTIOCTL_BIN" ]] || { echo "build.sh: ISTIOCTL_BIN=$ISTIOCTL_BIN is not an executable file" >&2; exit 1; }
  [[ "${1:-}" == "--bin" ]] && { echo "$ISTIOCTL_BIN"; exit 0; }
  echo "istioctl: using ISTIOCTL_BIN=$ISTIOCTL_BIN"
  exit 0
fi

out="${MAST_ISTIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mast}/istio-$revision"
bin="$out/istioctl"
if [[ "${1:-}" == "--bin" ]]; then
  echo "$bin"
  exit 0
fi
if [[ -x "$bin" ]]; then
  echo "istioctl: cached $bin"
  exit 0
fi
mkdir -p "$out"

# `go install pkg@version` builds in Istio's own module graph (its go.mod has no replace
# directives, and its go.sum pins every dependency), so no wrapper module is needed. It installs
# into GOBIN under the package's name: a private temporary GOBIN, moved into place only when the
# build has finished, so an interrupted build never leaves a binary that looks cached.
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "istioctl: building istio.io/istio/istioctl/cmd/istioctl@$revision into $bin (nice -n 19; several minutes on 2 cores)"
start=$SECONDS
GOBIN="$tmp" GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath" nice -n 19 \
  go install -ldflags "-s -w" "istio.io/istio/istioctl/cmd/istioctl@$revision"
mv -f "$tmp/istioctl" "$bin"
echo "istioctl: built in $((SECONDS - start)) s, $(du -m "$bin" | cut -f1) MiB: $bin"
