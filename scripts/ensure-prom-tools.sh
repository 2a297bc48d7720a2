#!/bin/sh
# Puts prometheus, promtool, alertmanager and amtool — at exactly the versions the pinned
# kube-prometheus-stack chart deploys — into .tools/bin, where infermon looks first.
#
# They are built from the Go modules in tools/prometheus and tools/alertmanager (versions and
# checksums pinned by their go.mod/go.sum) into a cache keyed by those files, so a second run,
# or another clone on the same machine, only links. Without Go, or when the build fails, the
# checks fall back to the tools on PATH (as root: Debian's packages), and this says so.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
bin="$root/.tools/bin"
cache_root="${INFERMON_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infermon/tools}"

# v0.314.0 of the Go module is Prometheus v3.14.0 (Prometheus 3 tags its module v0.3MM.P).
module_version() { awk -v m="$2" '$1 == m { print $2 }' "tools/$1/go.mod"; }
prom_mod=$(module_version prometheus github.com/prometheus/prometheus)
am_mod=$(module_version alertmanager github.com/prometheus/alertmanager)
prom_version=$(echo "$prom_mod" | sed -E 's/^v0\.([0-9])([0-9][0-9])\.([0-9]+)$/\1.\2.\3/; s/\.0([0-9])\./.\1./')
am_version=${am_mod#v}

build() { # build <module dir> <version> <out dir> <package>...
  dir=$1; version=$2; out=$3; shift 3  # then go build flags and packages
  flags="-s -w -X github.com/prometheus/common/version.Version=$version"
  flags="$flags -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.BuildUser=infermon"
  # remove_all_sd: only static, file and http discovery (infermon renders static_configs only)
  log="$out/build-$dir.log"
  (cd "tools/$dir" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -tags "remove_all_sd netgo" \
     -ldflags "$flags" -o "$out/" "$@") > "$log" 2>&1 || { grep -v '^go: downloading' "$log" >&2; return 1; }
  rm -f "$log"
}

# Alertmanager's server embeds its web UI (ui/app/dist), which is built with npm and not part
# of the Go module. The UI is not needed here: build from a copy of the module source with a
# one-page placeholder there, through a temporary go.mod that points the module at the copy.
alertmanager_source() {
  src=$1
  dir=$(cd tools/alertmanager && GOFLAGS=-mod=mod go mod download -json github.com/prometheus/alertmanager | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || return 1
  mkdir -p "$src" && cp -R "$dir" "$src/alertmanager" && chmod -R u+w "$src/alertmanager" &&
  mkdir -p "$src/alertmanager/ui/app/dist" &&
  echo '<!doctype html><title>Alertmanager</title><p>Web UI not included in this build.</p>' > "$src/alertmanager/ui/app/dist/index.html" &&
  cp tools/alertmanager/go.mod tools/alertmanager/go.sum "$src/" &&
  (cd tools/alertmanager && go mod edit -modfile "$src/go.mod" -replace "github.com/prometheus/alertmanager=$src/alertmanager")
}

have_pinned() { # the four binaries in $1 answer with the pinned versions
  "$1/promtool" --version 2>/dev/null | head -n1 | grep -q "version $prom_version " &&
  "$1/prometheus" --version 2>/dev/null | head -n1 | grep -q "version $prom_version " &&
  "$1/amtool" --version 2>/dev/null | head -n1 | grep -q "version $am_version " &&
  "$1/alertmanager" --version 2>/dev/null | head -n1 | grep -q "version $am_version "
}

key=$(cat tools/prometheus/go.mod tools/prometheus/go.sum tools/alertmanager/go.mod tools/alertmanager/go.sum \
      scripts/ensure-prom-tools.sh | sha256sum | cut -c1-16)
cached="$cache_root/$key/bin"

if ! have_pinned "$cached" && command -v go >/dev/null 2>&1; then
  echo "building Prometheus $prom_version and Alertmanager $am_version from their Go modules (once per machine; cache: $cached)…"
  start=$(date +%s)
  tmp="$cache_root/$key/bin.partial.$$"
  rm -rf "$tmp" && mkdir -p "$tmp" &&
  build prometheus "$prom_version" "$tmp" github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool &&
  alertmanager_source "$tmp/src" &&
  build alertmanager "$am_version" "$tmp" -modfile "$tmp/src/go.mod" \
    github.com/prometheus/alertmanager/cmd/alertmanager github.com/prometheus/alertmanager/cmd/amtool &&
  rm -rf "$tmp/src" &&
  rm -rf "$cached" && mv "$tmp" "$cached" &&
  echo "built in $(( $(date +%s) - start )) s" &&
  find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +  # builds of earlier pins
  rm -rf "$tmp"
fi

mkdir -p "$root/.tools"
if have_pinned "$cached"; then
  rm -rf "$bin" && ln -s "$cached" "$bin"
  echo "Prometheus tools: $("$bin/prometheus" --version 2>&1 | head -n1); $("$bin/promtool" --version 2>&1 | head -n1)"
  echo "Alertmanager tools: $("$bin/alertmanager" --version 2>&1 | head -n1); $("$bin/amtool" --version 2>&1 | head -n1)"
  exit 0
fi

# Fallback: whatever is on PATH, installing Debian's packages when we are root.
rm -rf "$bin"
if ! command -v promtool >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's prometheus and prometheus-alertmanager packages…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
  fi
fi
found=""
for t in prometheus promtool alertmanager amtool; do
  command -v "$t" >/dev/null 2>&1 && found="$found $t $("$t" --version 2>&1 | head -n1 | awk '{print $3}');"
done
echo "warning: could not build the pinned tools (Go missing or the build failed): checks run on what is on PATH:${found:- nothing} instead of Prometheus $prom_version / Alertmanager $am_version that the chart deploys; checks whose tool is missing are skipped" >&2
exit 0
