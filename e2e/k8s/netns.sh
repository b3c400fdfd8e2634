#!/usr/bin/env bash
# Runs a command in a network namespace of its own in which all of 10.0.0.0/8 is local (an AnyIP
# route on lo). Kubernetes-mode e2e meshes need this: API validation refuses loopback addresses in
# EndpointSlices, so their pod IPs are 10.X.1.N, which Envoy and the sample apps must be able to
# bind. Nothing outside the namespace sees those addresses, and nothing is left behind.
set -euo pipefail
if [[ "${MAST_E2E_NETNS:-}" == 1 ]]; then exec "$@"; fi
export MAST_E2E_NETNS=1
# As root, a plain network namespace; otherwise one inside a user namespace that maps us to root.
userns=(); [[ $(id -u) == 0 ]] || userns=(--map-root-user)
exec unshare "${userns[@]}" --net -- bash -c 'ip link set lo up && ip route add local 10.0.0.0/8 dev lo && exec "$@"' netns "$@"
