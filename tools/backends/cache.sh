# Sourced by build.sh and zipkin.sh: the steps every third-party backend shares before it is built
# or downloaded. An override variable (JAEGER_BIN, ZIPKIN_JAR, ...) names a file to use instead,
# and nothing is fetched; otherwise the file lives in the cache, $backends_cache/<name>-<version>/
# (~/.cache/mast/ unless MAST_BACKENDS_CACHE or XDG_CACHE_HOME say otherwise), outside the repo,
# and one already there is kept. With --bin each step prints the path and fetches nothing (the e2e
# harness asks for the path this way). Each function exits the script when it has settled the matter.

backends_cache="${MAST_BACKENDS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mast}"

# use_override SCRIPT NAME VAR TEST MODE: when $VAR is set, check it with `test TEST` (-x for an
# executable, -f for a file), then print it (--bin) or say it is used, and exit 0.
use_override() {
  local script="$1" name="$2" var="$3" check="$4" mode="$5"
  [[ -n "${!var:-}" ]] || return 0
  local what="an executable file"; [[ "$check" == -f ]] && what="a file"
  test "$check" "${!var}" || { echo "$script: $var=${!var} is not $what" >&2; exit 1; }
  [[ "$mode" == --bin ]] && { echo "${!var}"; exit 0; }
  echo "$name: using $var=${!var}"
  exit 0
}

# use_cached NAME FILE TEST MODE: print FILE and exit (--bin); say it is cached and exit 0 when it
# passes `test TEST`; else make its directory and return, for the caller to fetch it.
use_cached() {
  local name="$1" file="$2" check="$3" mode="$4"
  [[ "$mode" == --bin ]] && { echo "$file"; exit 0; }
  if test "$check" "$file"; then
    echo "$name: cached $file"
    exit 0
  fi
  mkdir -p "$(dirname "$file")"
}
