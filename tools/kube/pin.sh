#!/usr/bin/env bash
# Re-pins tools/kube/go.mod to another published Kubernetes release:
#
#   tools/kube/pin.sh 1.36.3
#
# k8s.io/kubernetes requires each of its staging modules (k8s.io/api, k8s.io/client-go, ...) at
# v0.0.0 and replaces it with ./staging/..., which a dependent module cannot use; this writes one
# `replace` per staging module to its published v0.<minor>.<patch>, requires the release, adds the
# three binaries as `tool`s (so `go mod tidy` keeps every package they need) with etcd at the
# version that release's go.mod names, and tidies. Then `make kube-bins` builds it.
set -euo pipefail

version="${1:?usage: pin.sh KUBERNETES_VERSION (e.g. 1.36.3)}"
version="${version#v}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

kmod="$(go mod download -json "k8s.io/kubernetes@v$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
[[ -f "$kmod" ]] || { echo "pin.sh: no go.mod for k8s.io/kubernetes@v$version" >&2; exit 1; }
staging="$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$kmod" | sort -u)"
etcd="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v3\./ { print $2; exit }' "$kmod")"
[[ -n "$staging" && -n "$etcd" ]] || { echo "pin.sh: cannot read the staging modules or etcd version from $kmod" >&2; exit 1; }

{
  echo "// A wrapper module that pins one Kubernetes release, so the e2e harness can build kube-apiserver,"
  echo "// kube-controller-manager (and etcd, a dependency of the same release) from the Go module proxy."
  echo "// k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/...,"
  echo "// which a dependent module cannot use: each is replaced here with its published v0.x release."
  echo "// Written by pin.sh; see README.md."
  echo "module mast.local/tools/kube"
  echo
  echo "go $(awk '$1 == "go" { print $2; exit }' "$kmod")"
  echo
  echo "require k8s.io/kubernetes v$version"
  echo
  echo "replace ("
  for m in $staging; do echo "	$m => $m v0.${version#*.}"; done
  echo ")"
} > go.mod
rm -f go.sum
# Each package at an explicit version: `go get PKG` alone means PKG@upgrade, the newest release.
go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$version" "k8s.io/kubernetes/cmd/kube-controller-manager@v$version"
go get -tool "go.etcd.io/etcd/server/v3@$etcd"
go mod tidy
echo "pinned Kubernetes v$version and etcd $etcd; now: make kube-bins"
