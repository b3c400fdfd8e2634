#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy at the versions
# pinned in tools/kube/go.mod, into ~/.cache/mast/k8s-<version>/ (outside the repo). A binary that is
# already there is kept, so a second run does nothing. KUBE_APISERVER_BIN,
# KUBE_CONTROLLER_MANAGER_BIN and ETCD_BIN name binaries to use instead; those are not built.
#
#   tools/kube/build.sh            build what is missing, print where the binaries are
#   tools/kube/build.sh --dir      print the cache directory only (the e2e harness computes the same)
#
# MAST_KUBE_CACHE overrides the cache root (default ~/.cache/mast).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

kube_version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { sub(/^v/, "", $3); print $3 }' go.mod)"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2; exit }' go.mod)"
[[ -n "$kube_version" && -n "$etcd_version" ]] || { echo "build.sh: cannot read the pinned versions from $here/go.mod" >&2; exit 1; }

out="${MAST_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mast}/k8s-$kube_version"
if [[ "${1:-}" == "--dir" ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"

major="${kube_version%%.*}"
minor="${kube_version#*.}"; minor="${minor%%.*}"
# What Kubernetes' own build (hack/lib/version.sh) stamps in, so /version reports the release and
# the apiserver's compatibility version matches it.
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=v$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

# -mod=readonly: go.sum is the pin; a build never rewrites go.mod.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

build() { # name package ldflags override-variable
  local name="$1" pkg="$2" ldflags="$3" override="$4"
  local bin="$out/$name"
  if [[ -n "${!override:-}" ]]; then
    [[ -x "${!override}" ]] || { echo "build.sh: $override=${!override} is not an executable file" >&2; exit 1; }
    echo "$name: using $override=${!override}"
    return
  fi
  if [[ -x "$bin" ]]; then
    echo "$name: cached $bin"
    return
  fi
  echo "$name: building $pkg into $bin (nice -n 19; several minutes on 2 cores)"
  local start=$SECONDS
  # Into a temporary name first, so an interrupted build never leaves a binary that looks cached.
  nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" "$pkg"
  mv -f "$bin.tmp.$$" "$bin"
  echo "$name: built in $((SECONDS - start)) s, $(du -m "$bin" | cut -f1) MiB"
}

build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags" KUBE_APISERVER_BIN
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$kube_ldflags" KUBE_CONTROLLER_MANAGER_BIN
build etcd go.etcd.io/etcd/server/v3 "-s -w" ETCD_BIN

echo "kubernetes v$kube_version, etcd $etcd_version: $out"
