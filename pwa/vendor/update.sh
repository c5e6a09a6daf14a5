#!/usr/bin/env bash
# Refresh the vendored files from the npm registry (needs Node.js/npm; the app itself does not).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
(cd "$tmp" && npm pack -q idb@8.0.4 >/dev/null && tar xzf idb-8.0.4.tgz)
cp "$tmp/package/build/index.js" idb-8.0.4.js
rm -rf "$tmp"
echo "vendored idb 8.0.4"
