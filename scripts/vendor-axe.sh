#!/usr/bin/env bash
# Vendor axe-core (the accessibility engine the browser suite injects into each page) from its npm
# package into tests/browser/vendor/axe-core/. Test-only: it is not under static/, so the site never
# serves it. The tarball fetched with `npm pack` is checked against the registry's sha512
# `dist.integrity` before anything is copied; the version and integrity go to VERSIONS.txt.
#
# To upgrade: change AXE_VERSION, re-run, run `make test-browser`, commit.
#
# Usage: scripts/vendor-axe.sh
set -euo pipefail

AXE_VERSION="4.14.1"  # newest stable axe-core when vendored

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$REPO_ROOT/tests/browser/vendor/axe-core"

log() { printf '[vendor-axe] %s\n' "$*"; }
die() { printf '[vendor-axe] ERROR: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
command -v node >/dev/null 2>&1 || die "node not found on PATH"

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vendor-axe.XXXXXX")"
trap 'rm -rf "$TMP_DIR"' EXIT

spec="axe-core@$AXE_VERSION"
log "npm pack $spec"
(cd "$TMP_DIR" && npm --loglevel=error pack --ignore-scripts "$spec" >/dev/null)
tarball="$TMP_DIR/axe-core-$AXE_VERSION.tgz"
[[ -f "$tarball" ]] || die "expected tarball not found: $tarball"

expected="$(npm --loglevel=error view "$spec" dist.integrity)"
[[ "$expected" == sha512-* ]] || die "no sha512 integrity from the registry for $spec: '$expected'"
actual="$(node -e '
    const h = require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1]));
    process.stdout.write("sha512-" + h.digest("base64"));
' "$tarball")"
[[ "$actual" == "$expected" ]] || die "integrity mismatch for $spec: registry=$expected tarball=$actual"
log "verified $spec $expected"

tar -xzf "$tarball" -C "$TMP_DIR"
for f in axe.min.js LICENSE; do [[ -f "$TMP_DIR/package/$f" ]] || die "missing from package: $f"; done

rm -rf "$TARGET"
mkdir -p "$TARGET"
install -m 0644 "$TMP_DIR/package/axe.min.js" "$TARGET/axe.min.js"
install -m 0644 "$TMP_DIR/package/LICENSE" "$TARGET/LICENSE"
{
    echo "# Vendored for the browser suite by scripts/vendor-axe.sh; do not edit by hand."
    echo "# integrity = npm registry dist.integrity of the package tarball (verified at vendoring time)."
    echo "# date: $(date -u +%Y-%m-%d)"
    echo
    printf '%-10s %-9s %s\n' "package" "version" "integrity"
    printf '%-10s %-9s %s\n' "axe-core" "$AXE_VERSION" "$expected"
} > "$TARGET/VERSIONS.txt"
log "wrote ${TARGET#"$REPO_ROOT"/}: axe.min.js, LICENSE, VERSIONS.txt"
