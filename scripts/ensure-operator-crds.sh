#!/bin/sh
# Puts the monitoring.coreos.com CRDs of the Prometheus Operator release the pinned chart
# deploys (components/pins.yaml: kube-prometheus-stack.operator) into .tools/crds/<version>,
# so `infermon render` validates the operator's resources — ours, and the Prometheus and
# ThanosRuler the chart makes of our values — against the schemas the API server enforces.
# They come from the operator's Go module (example/prometheus-operator-crd), checksummed by
# the Go module proxy's sum database; without Go this says so and that check is skipped.
set -u
cd "$(dirname "$0")/.." || exit 1
version=$(awk '/^kube-prometheus-stack:/ { in_kps = 1 } in_kps && $1 == "operator:" { print $2; exit }' components/pins.yaml)
out=".tools/crds/$version"
[ -s "$out/monitoring.coreos.com_thanosrulers.yaml" ] && exit 0
if ! command -v go >/dev/null 2>&1; then
  echo "warning: Go not found: the operator CRDs $version are not fetched; \`infermon render\` skips the CRD schema check" >&2
  exit 0
fi
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
printf 'module infermon.invalid/crds\n\ngo 1.25\n' > "$tmp/go.mod"
dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$version" 2>/dev/null |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir/example/prometheus-operator-crd" ]; then
  echo "warning: could not download github.com/prometheus-operator/prometheus-operator@$version: the CRD schema check is skipped" >&2
  exit 0
fi
mkdir -p "$out.partial.$$" && cp "$dir"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml "$out.partial.$$/" &&
  chmod u+w "$out.partial.$$"/* && rm -rf "$out" && mv "$out.partial.$$" "$out" && echo "Operator CRDs: $version in $out"
