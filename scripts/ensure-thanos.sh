#!/bin/sh
# Puts thanos — at exactly the version the pinned kube-prometheus-stack chart deploys — into
# .tools/bin, for `infermon verify` of a stack with prometheus.globalView: thanos (sidecars,
# Query and Ruler run there for real). Built from the Go module in tools/thanos (version,
# replace directives and checksums pinned by its go.mod/go.sum) into a cache keyed by those
# files, so a second run, or another clone on the same machine, only links. Without Go, or
# when the build fails, this says so and the sharded verification reports thanos missing.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
cache_root="${INFERMON_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infermon/tools}-thanos"
version=$(awk '$1 == "github.com/thanos-io/thanos" { print $2 }' tools/thanos/go.mod)
version=${version#v}
key=$(cat tools/thanos/go.mod tools/thanos/go.sum scripts/ensure-thanos.sh | sha256sum | cut -c1-16)
cached="$cache_root/$key/thanos"

have_pinned() { "$1" --version 2>&1 | head -n1 | grep -q "version $version "; }

# --background: build while the caller goes on (`make test` runs the tests meanwhile; a
# verification that needs thanos waits for the build named in .tools/thanos/build.pid)
if [ "${1:-}" = "--background" ] && ! have_pinned "$cached" && command -v go >/dev/null 2>&1; then
  mkdir -p "$root/.tools/thanos"
  nohup nice -n 19 sh "$0" > "$root/.tools/thanos/build.log" 2>&1 &  # the tests keep their CPU
  echo $! > "$root/.tools/thanos/build.pid"
  echo "building Thanos $version from its Go module in the background (log: .tools/thanos/build.log)"
  exit 0
fi

if ! have_pinned "$cached" && command -v go >/dev/null 2>&1; then
  echo "building Thanos $version from its Go module (once per machine; cache: $cached)…"
  start=$(date +%s)
  tmp="$cache_root/$key.partial.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  flags="-s -w -X github.com/prometheus/common/version.Version=$version -X github.com/prometheus/common/version.Branch=HEAD"
  flags="$flags -X github.com/prometheus/common/version.BuildUser=infermon"
  # the tags of thanos' release builds (.promu.yml): its gRPC codec relies on slicelabels' layout
  if (cd tools/thanos && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -tags "netgo slicelabels" -ldflags "$flags" -o "$tmp/" \
        github.com/thanos-io/thanos/cmd/thanos) > "$tmp/build.log" 2>&1; then
    mkdir -p "$cache_root/$key" && mv "$tmp/thanos" "$cached" &&
    echo "built in $(( $(date +%s) - start )) s" &&
    find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +  # builds of earlier pins
  else
    grep -v '^go: downloading' "$tmp/build.log" >&2
  fi
  rm -rf "$tmp"
fi

mkdir -p "$root/.tools/thanos"
if have_pinned "$cached"; then
  rm -f "$root/.tools/thanos/thanos" && ln -s "$cached" "$root/.tools/thanos/thanos" && rm -f "$root/.tools/thanos/build.pid"
  echo "Thanos: $("$cached" --version 2>&1 | head -n1)"
  exit 0
fi
rm -f "$root/.tools/thanos/build.pid"
echo "warning: could not build Thanos $version (Go missing or the build failed): \`infermon verify\` of a stack with prometheus.globalView: thanos reports it missing" >&2
exit 0
