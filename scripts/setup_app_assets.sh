#!/usr/bin/env bash
# Pre-fill the front-end assets the browser app (symbiosim app) loads, so it works with no
# internet: Solara serves them from this cache instead of a CDN. Packages come from the npm
# registry with `npm pack` (no install scripts run). Idempotent: packages already present are kept.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CDN="$PWD/.solara-cdn"
PACKAGES=(
    @widgetti/solara-vuetify-app@10.1.1
    @widgetti/vue-grid-layout@2.3.13-alpha.2
    requirejs@2.3.6
    font-awesome@4.5.0
    mermaid@10.8.0
    katex@0.16.9
)
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the app's front-end assets cannot be pre-filled; 'symbiosim app' will need internet." >&2
    exit 1
fi
for spec in "${PACKAGES[@]}"; do
    [ -d "$CDN/$spec" ] && continue
    tmp=$(mktemp -d)
    file=$(cd "$tmp" && npm pack --silent "$spec")
    mkdir -p "$CDN/$spec.partial"
    tar xzf "$tmp/$file" -C "$CDN/$spec.partial" --strip-components=1
    mv "$CDN/$spec.partial" "$CDN/$spec"  # complete or absent, never half-written
    rm -rf "$tmp"
done
