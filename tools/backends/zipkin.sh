#!/usr/bin/env bash
# Zipkin's own server and UI (io.zipkin:zipkin-server, the `-exec.jar` Zipkin publishes on Maven
# Central), for `make screenshot` when Jaeger's UI cannot be had: the Jaeger built from its Go module
# serves a placeholder page, and jaeger-ui's build is on no registry reachable here.
#
#   tools/backends/zipkin.sh         download the pinned jar into ~/.cache/mast/zipkin-<version>/
#                                    (MAST_BACKENDS_CACHE overrides the root), checked against the
#                                    .sha512 Maven Central publishes beside it; kept once there
#   tools/backends/zipkin.sh --bin   print the jar's path only, download nothing
#
# ZIPKIN_JAR names a jar to use instead; it is not downloaded. Runs with `java -jar` (Java 17+).
# The override and cache steps are cache.sh's, which build.sh shares.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"

ZIPKIN_VERSION=3.6.1
mode="${1:-fetch}"

use_override zipkin.sh zipkin ZIPKIN_JAR -f "$mode"
jar="$backends_cache/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
use_cached zipkin "$jar" -f "$mode"
url="https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
echo "zipkin: downloading $url"
# Into a temporary name first, so an interrupted or corrupt download never looks cached.
curl -fsSL -o "$jar.part" "$url"
want="$(curl -fsSL "$url.sha512" | awk '{print $1}')"
got="$(sha512sum "$jar.part" | awk '{print $1}')"
if [[ "$want" != "$got" ]]; then
  rm -f "$jar.part"
  echo "zipkin.sh: SHA-512 of $url is $got, Maven Central publishes $want" >&2
  exit 1
fi
mv "$jar.part" "$jar"
echo "zipkin: $jar (SHA-512 checked against Maven Central's)"
