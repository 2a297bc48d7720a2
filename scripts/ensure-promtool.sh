#!/bin/sh
# promtool validates the rendered scrape configs and (later) rule files. It comes with
# Debian's `prometheus` package. Installed when missing and we are root; otherwise the
# checks that need it are skipped with a reason.
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "promtool not found: installing Debian's prometheus package…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    && { echo "promtool installed: $(promtool --version 2>&1 | head -n1)"; exit 0; }
  echo "warning: installing prometheus failed; promtool checks will be skipped" >&2
  exit 0
fi
echo "warning: promtool is not on PATH and this is not root: promtool checks will be skipped" \
     "(install Debian's 'prometheus' package to run them)" >&2
exit 0
