#!/usr/bin/env bash
# make e2e-kind: Mast's image and manifests/ on a kind cluster, the bookinfo sample of
# examples/kind/ with Envoy sidecars, then tools/kind/smoke.sh (one request through the ingress
# gateway). Needs docker (with a running engine), kind and kubectl; reuses the cluster if present.
#   KIND_CLUSTER (default mast-e2e), MAST_IMAGE (default mast:dev, as manifests/deployment.yaml),
#   ENVOY_IMAGE (default envoyproxy/envoy:v1.36.4, as the Makefile's ENVOY_VERSION).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER=${KIND_CLUSTER:-mast-e2e}
IMAGE=${MAST_IMAGE:-mast:dev}
ENVOY_IMAGE=${ENVOY_IMAGE:-envoyproxy/envoy:v1.36.4}
SAMPLE_NS=default
SAMPLE_DEPLOYMENTS=(productpage-v1 details-v1 reviews-v1 reviews-v2 reviews-v3 ratings-v1)

missing=()
for tool in docker kind kubectl curl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make e2e-kind: missing on PATH: ${missing[*]} (it needs docker, kind, kubectl and curl)." >&2
  echo "  The rest of the suite needs none of them: make test, make test-k8s." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "make e2e-kind: docker is on PATH but no Docker engine answers ('docker info' failed)." >&2
  exit 1
fi

step() { printf '\n== %s\n' "$*"; }
kc() { kubectl --context "kind-$CLUSTER" "$@"; }

step "kind cluster $CLUSTER"
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "reusing kind cluster $CLUSTER"
else
  kind create cluster --name "$CLUSTER" --wait 120s
fi

step "image $IMAGE"
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"
docker image inspect "$ENVOY_IMAGE" >/dev/null 2>&1 || docker pull "$ENVOY_IMAGE"
kind load docker-image "$ENVOY_IMAGE" --name "$CLUSTER"

step "kubectl apply -k manifests/"
existed=false
kc -n mast-system get deployment mast >/dev/null 2>&1 && existed=true
kc apply -k manifests/
# Same tag, new image: a reused cluster only runs it after a restart.
if $existed; then kc -n mast-system rollout restart deployment/mast; fi
if ! kc -n mast-system rollout status deployment/mast --timeout=180s; then
  kc -n mast-system get pods -o wide >&2 || true
  kc -n mast-system logs deployment/mast --all-containers --tail=40 >&2 || true
  exit 1
fi

step "bookinfo sample (examples/kind/)"
kc apply -f examples/kind/ingress-gateway.yaml
# A Pod mounts only ConfigMaps of its own namespace: copy the sidecar bootstrap next to the sample.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Its three keys: the bootstrap and the SDS files naming the Pod's root and token.
for key in envoy.json xds-ca.sds.yaml xds-token.sds.yaml; do
  kc -n mast-system get configmap mast-sidecar-bootstrap -o go-template="{{index .data \"$key\"}}" >"$tmp/$key"
done
# The sidecars trust Mast's roots on 15012: the bundle the leader keeps in mast-ca-root-cert.
for i in $(seq 1 60); do
  kc -n mast-system get configmap mast-ca-root-cert -o go-template='{{index .data "root-cert.pem"}}' >"$tmp/root-cert.pem" 2>/dev/null && [ -s "$tmp/root-cert.pem" ] && break
  [ "$i" -lt 60 ] || { echo "no mast-ca-root-cert ConfigMap after 2 minutes" >&2; exit 1; }
  sleep 2
done
for ns in "$SAMPLE_NS" istio-system; do
  kc -n "$ns" create configmap mast-sidecar-bootstrap --from-file="$tmp/envoy.json" \
    --from-file="$tmp/xds-ca.sds.yaml" --from-file="$tmp/xds-token.sds.yaml" \
    --dry-run=client -o yaml | kc apply -f -
  kc -n "$ns" create configmap mast-ca-root-cert --from-file=root-cert.pem="$tmp/root-cert.pem" \
    --dry-run=client -o yaml | kc apply -f -
done
kc apply -f examples/kind/bookinfo.yaml
# VirtualService writes go through Mast's validating webhook (failurePolicy Fail), which is only
# trusted once the Lease holder has injected its CA: retry for a while.
for i in $(seq 1 30); do
  if kc -n "$SAMPLE_NS" apply -f examples/bookinfo/bookinfo-gateway.yaml; then break; fi
  [ "$i" -lt 30 ] || exit 1
  sleep 2
done
kc -n istio-system rollout status deployment/istio-ingressgateway --timeout=180s
for d in "${SAMPLE_DEPLOYMENTS[@]}"; do kc -n "$SAMPLE_NS" rollout status "deployment/$d" --timeout=180s; done

step "smoke check"
KUBE_CONTEXT="kind-$CLUSTER" tools/kind/smoke.sh
