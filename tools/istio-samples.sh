#!/usr/bin/env bash
# Prints the directory of Istio's own bookinfo task YAML (samples/bookinfo/networking), fetched
# unchanged from the Go module proxy at the revision pinned in tools/istio/revision, so tests and the
# demo apply Istio's files as Istio ships them without this repository carrying copies.
set -euo pipefail
ISTIO_REVISION="$(tr -d '[:space:]' < "$(dirname "${BASH_SOURCE[0]}")/istio/revision")"
dir=$(cd / && go mod download -json "istio.io/istio@${ISTIO_REVISION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$dir/samples/bookinfo/networking" ] || { echo "istio samples not found under '$dir'" >&2; exit 1; }
echo "$dir/samples/bookinfo/networking"
