#!/usr/bin/env bash
# Builds one Istio program from the Go module proxy at the Istio revision pinned in
# tools/istio/revision, into ~/.cache/mast/istio-<revision>/<program> (outside the repo). A binary
# that is already there is kept, so a second run builds nothing. The programs:
#
#   istioctl         istio.io/istio/istioctl/cmd/istioctl (ISTIOCTL_BIN overrides): the oracle of
#                    test/conformance/istio-validate.test.ts (`istioctl validate`); `make istioctl`.
#   pilot-discovery  istio.io/istio/pilot/cmd/pilot-discovery, i.e. istiod (PILOT_DISCOVERY_BIN
#                    overrides): a target of the xDS load bench (bench/lib/istiod.ts); `make pilot-discovery`.
#
#   tools/istio/build.sh [PROGRAM]          build PROGRAM (default istioctl) if missing, print where it is
#   tools/istio/build.sh [PROGRAM] --bin    print the binary's path only (the callers compute the same)
#
# The override variable names a binary to use instead; it is not built.
# MAST_ISTIO_CACHE overrides the cache root (default ~/.cache/mast).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
revision="$(tr -d '[:space:]' < "$here/revision")"
[[ -n "$revision" ]] || { echo "build.sh: $here/revision is empty" >&2; exit 1; }

program=istioctl
if [[ $# -gt 0 && "$1" != --* ]]; then program="$1"; shift; fi
case "$program" in
  istioctl) pkg=istio.io/istio/istioctl/cmd/istioctl; override_var=ISTIOCTL_BIN ;;
  pilot-discovery) pkg=istio.io/istio/pilot/cmd/pilot-discovery; override_var=PILOT_DISCOVERY_BIN ;;
  *) echo "build.sh: unknown program '$program' (istioctl or pilot-discovery)" >&2; exit 2 ;;
esac
override="${!override_var:-}"

if [[ -n "$override" ]]; then
  [[ -x "$override" ]] || { echo "build.sh: $override_var=$override is not an executable file" >&2; exit 1; }
  [[ "${1:-}" == "--bin" ]] && { echo "$override"; exit 0; }
  echo "$program: using $override_var=$override"
  exit 0
fi

out="${MAST_ISTIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mast}/istio-$revision"
bin="$out/$program"
if [[ "${1:-}" == "--bin" ]]; then
  echo "$bin"
  exit 0
fi
if [[ -x "$bin" ]]; then
  echo "$program: cached $bin"
  exit 0
fi
mkdir -p "$out"

# `go install pkg@version` builds in Istio's own module graph (its go.mod has no replace
# directives, and its go.sum pins every dependency), so no wrapper module is needed. It installs
# into GOBIN under the package's name: a private temporary GOBIN, moved into place only when the
# build has finished, so an interrupted build never leaves a binary that looks cached.
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "$program: building $pkg@$revision into $bin (nice -n 19; several minutes on 2 cores)"
start=$SECONDS
GOBIN="$tmp" GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath" nice -n 19 \
  go install -ldflags "-s -w" "$pkg@$revision"
mv -f "$tmp/$program" "$bin"
echo "$program: built in $((SECONDS - start)) s, $(du -m "$bin" | cut -f1) MiB: $bin"
