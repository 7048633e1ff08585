#!/usr/bin/env bash
# Vendor front-end assets from their npm packages into static/vendor/.
#
# Reproducible: exact versions are pinned below, each tarball fetched with
# `npm pack` is checked against the registry's sha512 `dist.integrity` before
# anything is copied. Nothing is loaded from a CDN at runtime.
#
# Idempotent: static/vendor/htmx/, static/vendor/katex/ and
# static/vendor/VERSIONS.txt are removed and rebuilt on every run.
#
# To upgrade: change the versions below, re-run, review the diff, commit.
#
# Usage: scripts/vendor-assets.sh
set -euo pipefail

HTMX_VERSION="2.0.11"    # newest stable htmx.org 2.x
KATEX_VERSION="0.16.47"  # newest stable katex 0.16.x
HTMX_WS_VERSION="2.0.4"  # htmx-ext-ws, the websocket extension for htmx 2 (the tutor panel)

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"
HTMX_DIR="$VENDOR_DIR/htmx"
KATEX_DIR="$VENDOR_DIR/katex"
VERSIONS_FILE="$VENDOR_DIR/VERSIONS.txt"

log() { printf '[vendor-assets] %s\n' "$*"; }
die() { printf '[vendor-assets] ERROR: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
command -v node >/dev/null 2>&1 || die "node not found on PATH"
command -v tar >/dev/null 2>&1 || die "tar not found on PATH"

NPM=(npm --loglevel=error)

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vendor-assets.XXXXXX")"
cleanup() { rm -rf "$TMP_DIR"; }
trap cleanup EXIT

# sha512 of a file in npm's SRI form: "sha512-<base64>"
sri_sha512() {
    node -e '
        const fs = require("fs"), crypto = require("crypto");
        const h = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1]));
        process.stdout.write("sha512-" + h.digest("base64"));
    ' "$1"
}

# ---------------------------------------------------------------------------
# 1. Fetch the tarballs and verify them against the registry's integrity.
# ---------------------------------------------------------------------------
log "npm pack htmx.org@$HTMX_VERSION katex@$KATEX_VERSION htmx-ext-ws@$HTMX_WS_VERSION (in $TMP_DIR)"
(
    cd "$TMP_DIR"
    "${NPM[@]}" pack --ignore-scripts --pack-destination "$TMP_DIR" \
        "htmx.org@$HTMX_VERSION" "katex@$KATEX_VERSION" "htmx-ext-ws@$HTMX_WS_VERSION" >/dev/null
)

declare -A INTEGRITY=()
for spec in "htmx.org@$HTMX_VERSION" "katex@$KATEX_VERSION" "htmx-ext-ws@$HTMX_WS_VERSION"; do
    name="${spec%@*}"
    version="${spec##*@}"
    tarball="$TMP_DIR/$name-$version.tgz"
    [[ -f "$tarball" ]] || die "expected tarball not found: $tarball"

    expected="$("${NPM[@]}" view "$spec" dist.integrity)"
    [[ "$expected" == sha512-* ]] || die "no sha512 integrity from registry for $spec: '$expected'"
    actual="$(sri_sha512 "$tarball")"
    [[ "$actual" == "$expected" ]] \
        || die "integrity mismatch for $spec: registry=$expected tarball=$actual"
    log "verified $spec $expected"
    INTEGRITY[$name]="$expected"

    mkdir -p "$TMP_DIR/$name"
    tar -xzf "$tarball" -C "$TMP_DIR/$name"
done

HTMX_PKG="$TMP_DIR/htmx.org/package"
KATEX_PKG="$TMP_DIR/katex/package"
WS_PKG="$TMP_DIR/htmx-ext-ws/package"

for f in \
    "$HTMX_PKG/dist/htmx.min.js" "$HTMX_PKG/LICENSE" \
    "$KATEX_PKG/dist/katex.min.js" "$KATEX_PKG/dist/katex.min.css" \
    "$KATEX_PKG/dist/contrib/auto-render.min.js" "$KATEX_PKG/LICENSE" "$WS_PKG/dist/ws.min.js" "$WS_PKG/LICENSE"; do
    [[ -f "$f" ]] || die "missing from package: ${f#"$TMP_DIR"/}"
done
[[ -d "$KATEX_PKG/dist/fonts" ]] || die "missing from package: katex/package/dist/fonts"

# ---------------------------------------------------------------------------
# 2. Clear the targets and copy.
# ---------------------------------------------------------------------------
log "clearing $HTMX_DIR, $KATEX_DIR and $VERSIONS_FILE"
rm -rf "$HTMX_DIR" "$KATEX_DIR"
rm -f "$VERSIONS_FILE"
mkdir -p "$HTMX_DIR" "$KATEX_DIR/fonts" "$KATEX_DIR/contrib"

copy() {  # copy SRC DEST with normalised permissions
    install -m 0644 "$1" "$2"
    log "  ${2#"$REPO_ROOT"/}"
}

log "copying htmx.org $HTMX_VERSION"
copy "$HTMX_PKG/dist/htmx.min.js" "$HTMX_DIR/htmx.min.js"
copy "$HTMX_PKG/LICENSE"          "$HTMX_DIR/LICENSE"
mkdir -p "$HTMX_DIR/ext-ws"
copy "$WS_PKG/dist/ws.min.js"     "$HTMX_DIR/ext-ws/ws.min.js"
copy "$WS_PKG/LICENSE"            "$HTMX_DIR/ext-ws/LICENSE"

log "copying katex $KATEX_VERSION"
copy "$KATEX_PKG/dist/katex.min.js"               "$KATEX_DIR/katex.min.js"
copy "$KATEX_PKG/dist/katex.min.css"              "$KATEX_DIR/katex.min.css"
copy "$KATEX_PKG/dist/contrib/auto-render.min.js" "$KATEX_DIR/contrib/auto-render.min.js"
copy "$KATEX_PKG/LICENSE"                         "$KATEX_DIR/LICENSE"

# Fonts: katex.min.css references woff2, woff AND ttf for every face. All three
# are kept: ManifestStaticFilesStorage rewrites every url() in the CSS and
# collectstatic fails if any referenced file is missing, so dropping woff/ttf
# would break deployment even though browsers only ever fetch the woff2.
font_count=0
for font in "$KATEX_PKG"/dist/fonts/*; do
    case "$font" in
        *.woff2|*.woff|*.ttf)
            install -m 0644 "$font" "$KATEX_DIR/fonts/"
            font_count=$((font_count + 1))
            ;;
    esac
done
log "  static/vendor/katex/fonts/ ($font_count files: woff2, woff, ttf)"

# ---------------------------------------------------------------------------
# 3. Check that every url() in katex.min.css resolves to a vendored file.
# ---------------------------------------------------------------------------
url_total=0
url_missing=0
while IFS= read -r url; do
    url="${url#url(}"; url="${url%)}"
    url="${url#[\"\']}"; url="${url%[\"\']}"
    case "$url" in data:*|http:*|https:*|//*|\#*) continue ;; esac
    url_total=$((url_total + 1))
    path="${url%%[?#]*}"
    if [[ ! -f "$KATEX_DIR/$path" ]]; then
        printf '[vendor-assets] MISSING: katex.min.css -> %s\n' "$url" >&2
        url_missing=$((url_missing + 1))
    fi
done < <(grep -o 'url([^)]*)' "$KATEX_DIR/katex.min.css")
[[ "$url_missing" -eq 0 ]] || die "$url_missing of $url_total url() references in katex.min.css are missing"
log "katex.min.css: all $url_total url() references resolve"

# ---------------------------------------------------------------------------
# 4. Record versions and integrity.
# ---------------------------------------------------------------------------
{
    echo "# Vendored front-end assets. Generated by scripts/vendor-assets.sh; do not edit by hand."
    echo "# integrity = npm registry dist.integrity of the package tarball (verified at vendoring time)."
    echo "# date: $(date -u +%Y-%m-%d)"
    echo
    printf '%-10s %-9s %s\n' "package" "version" "integrity"
    printf '%-10s %-9s %s\n' "htmx.org" "$HTMX_VERSION" "${INTEGRITY[htmx.org]}"
    printf '%-10s %-9s %s\n' "katex" "$KATEX_VERSION" "${INTEGRITY[katex]}"
    printf '%-10s %-9s %s\n' "htmx-ext-ws" "$HTMX_WS_VERSION" "${INTEGRITY[htmx-ext-ws]}"
} > "$VERSIONS_FILE"
chmod 0644 "$VERSIONS_FILE"
log "wrote ${VERSIONS_FILE#"$REPO_ROOT"/}"

log "done: $(find "$HTMX_DIR" "$KATEX_DIR" "$VERSIONS_FILE" -type f | wc -l) files, $(du -sh "$VENDOR_DIR" | cut -f1) in static/vendor/"
