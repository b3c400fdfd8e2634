#!/usr/bin/env bash
# One request through the kind sample's ingress gateway: GET /productpage must answer 200 and
# show that productpage called reviews through the mesh and reviews answered (the sample app,
# examples/app/echo.ts, returns JSON naming every downstream answer). Retries for up to
# SMOKE_TIMEOUT seconds (default 90) while Envoy receives its config.
#   KUBE_CONTEXT (default: kubectl's current context), LOCAL_PORT (default 18080).
set -euo pipefail
LOCAL_PORT=${LOCAL_PORT:-18080}
SMOKE_TIMEOUT=${SMOKE_TIMEOUT:-90}
kc() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }

log=$(mktemp)
kc -n istio-system port-forward service/istio-ingressgateway "$LOCAL_PORT:80" >"$log" 2>&1 &
pf=$!
trap 'kill "$pf" 2>/dev/null || true; rm -f "$log"' EXIT

url="http://127.0.0.1:$LOCAL_PORT/productpage"
deadline=$((SECONDS + SMOKE_TIMEOUT))
status='' body=''
while [ "$SECONDS" -lt "$deadline" ]; do
  if ! kill -0 "$pf" 2>/dev/null; then
    echo "smoke: kubectl port-forward exited:" >&2; cat "$log" >&2; exit 1
  fi
  body=$(curl -sS -m 5 -w '\n%{http_code}' "$url" 2>/dev/null || true)
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  # The answer's calls[] holds reviews' own answer: {"service":"reviews","version":"v1",...}.
  if [ "$status" = 200 ] && grep -q '"service":"reviews"' <<<"$body"; then
    version=$(grep -o '"service":"reviews","version":"v[0-9]*"' <<<"$body" | head -1 | sed 's/.*"version":"\(v[0-9]*\)"/\1/')
    echo "smoke: GET /productpage -> 200; productpage called reviews ($version) through the mesh"
    exit 0
  fi
  sleep 2
done
echo "smoke: GET $url did not answer 200 with reviews' answer within ${SMOKE_TIMEOUT}s (last status: ${status:-none})" >&2
echo "${body:0:2000}" >&2
exit 1
