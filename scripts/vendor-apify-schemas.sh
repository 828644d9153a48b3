#!/usr/bin/env bash
# Vendor Apify's official JSON Schemas for Actor definition files.
#
# Downloads the npm package @apify/json_schemas at a pinned version, checks the
# tarball against the integrity the npm registry publishes, and copies the JSON
# Schema files it ships (package/schemas/*.json, byte for byte) plus its LICENSE
# (Apache-2.0, which asks redistributors to pass it on) into
# crates/forge-core/data/apify-json-schemas/, with a SOURCE.json recording where they came
# from: package, version, tarball URL, npm integrity (sha512) and shasum, and the
# sha256 of every vendored file.
#
# These are the schemas Apify's own tooling validates with (the package's
# src/validations.js compiles them with Ajv2019); tests/tests/actor_definitions.rs
# validates every actors/*/.actor/*.json against them, offline.
#
# Usage:
#   scripts/vendor-apify-schemas.sh           (re)vendor; idempotent, a no-op when up to date
#   scripts/vendor-apify-schemas.sh --check   exit 1 if the vendored files differ from the
#                                             pinned package; exit 0 with a message when npm
#                                             or the network is unavailable
#
# To move to a newer release, change VERSION below, run the script, run
# `cargo test -p forge-tests --test actor_definitions` and review the diff.
#
# Needs: bash, npm (and its node), tar, sha256sum, jq.

set -euo pipefail

PACKAGE="@apify/json_schemas"
VERSION="1.0.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/crates/forge-core/data/apify-json-schemas"
REL_DEST="${DEST#"$ROOT"/}"

mode="vendor"
case "${1:-}" in
    "") ;;
    --check) mode="check" ;;
    -h | --help)
        sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac

# In --check mode a missing tool or an unreachable registry must not block an offline
# machine: say so and succeed. When vendoring, it is an error.
unavailable() {
    if [[ "$mode" == "check" ]]; then
        echo "vendor-apify-schemas: $1; skipping the check of $REL_DEST" >&2
        exit 0
    fi
    echo "vendor-apify-schemas: $1" >&2
    exit 2
}

# The gist of a failed npm command: its first few error lines.
npm_errors() {
    grep '^npm error' "$1" | head -n 4 | sed 's/^/  /' >&2 || true
}

for tool in npm node tar sha256sum jq; do
    command -v "$tool" >/dev/null 2>&1 || unavailable "'$tool' is not installed"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Fail fast without a network rather than retrying for minutes.
export npm_config_fetch_retries=1
export npm_config_fetch_timeout=30000
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

# What the registry says the tarball is.
if ! npm view "$PACKAGE@$VERSION" dist --json >"$work/dist.json" 2>"$work/npm-view.err"; then
    npm_errors "$work/npm-view.err"
    unavailable "cannot query the npm registry for $PACKAGE@$VERSION"
fi
integrity="$(jq -er '.integrity' "$work/dist.json")"
shasum="$(jq -er '.shasum' "$work/dist.json")"
tarball_url="$(jq -er '.tarball' "$work/dist.json")"

# Fetch it (npm verifies the integrity itself; it is checked again below).
mkdir "$work/pack"
if ! (cd "$work/pack" && npm pack "$PACKAGE@$VERSION" --json >"$work/pack.json" 2>"$work/npm-pack.err"); then
    npm_errors "$work/npm-pack.err"
    unavailable "cannot download $PACKAGE@$VERSION with npm pack"
fi
tgz="$work/pack/$(jq -er '.[0].filename' "$work/pack.json")"

# Subresource-integrity form, as npm publishes it (node is there whenever npm is).
actual="$(node -e '
const fs = require("fs"), crypto = require("crypto");
const digest = crypto.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64");
process.stdout.write("sha512-" + digest);
' "$tgz")"
if [[ "$actual" != "$integrity" ]]; then
    echo "vendor-apify-schemas: integrity mismatch for $tgz" >&2
    echo "  registry: $integrity" >&2
    echo "  download: $actual" >&2
    exit 2
fi

mkdir "$work/unpacked"
tar -xzf "$tgz" -C "$work/unpacked"
pkg="$work/unpacked/package"
got_version="$(jq -er '.version' "$pkg/package.json")"
if [[ "$got_version" != "$VERSION" ]]; then
    echo "vendor-apify-schemas: tarball holds version $got_version, expected $VERSION" >&2
    exit 2
fi

# Stage exactly what should be in $DEST.
stage="$work/stage"
mkdir "$stage"
shopt -s nullglob
schemas=("$pkg"/schemas/*.json)
shopt -u nullglob
if ((${#schemas[@]} == 0)); then
    echo "vendor-apify-schemas: $PACKAGE@$VERSION ships no schemas/*.json" >&2
    exit 2
fi
for f in "${schemas[@]}"; do
    jq -e . "$f" >/dev/null || {
        echo "vendor-apify-schemas: $(basename "$f") is not valid JSON" >&2
        exit 2
    }
    cp "$f" "$stage/"
done
cp "$pkg/LICENSE" "$stage/LICENSE"

# SOURCE.json: deterministic (no timestamps), so --check can compare bytes.
(
    cd "$stage"
    for f in $(LC_ALL=C ls); do
        jq -n --arg path "$f" --arg sha256 "$(sha256sum "$f" | cut -d' ' -f1)" \
            '{path: $path, sha256: $sha256}'
    done
) | jq -s \
    --arg package "$PACKAGE" \
    --arg version "$VERSION" \
    --arg tarball "$tarball_url" \
    --arg integrity "$integrity" \
    --arg shasum "$shasum" \
    --arg license "$(jq -r '.license // ""' "$pkg/package.json")" \
    --arg gitHead "$(jq -r '.gitHead // ""' "$pkg/package.json")" \
    '{
        package: $package,
        version: $version,
        tarball: $tarball,
        integrity: $integrity,
        shasum: $shasum,
        license: $license,
        repository: "https://github.com/apify/apify-shared-js (packages/json_schemas)",
        gitHead: $gitHead,
        copiedFrom: "package/schemas/*.json and package/LICENSE, unchanged",
        generatedBy: "scripts/vendor-apify-schemas.sh",
        files: .
    }' >"$stage/SOURCE.json"

if [[ -d "$DEST" ]] && diff -r "$stage" "$DEST" >/dev/null 2>&1; then
    echo "$REL_DEST is up to date with $PACKAGE@$VERSION"
    exit 0
fi

if [[ "$mode" == "check" ]]; then
    echo "$REL_DEST differs from $PACKAGE@$VERSION:" >&2
    if [[ -d "$DEST" ]]; then
        diff -rq "$stage" "$DEST" | sed "s|$stage|<package>|g; s|$DEST|$REL_DEST|g; s/^/  /" >&2 || true
    else
        echo "  $REL_DEST does not exist" >&2
    fi
    echo "run scripts/vendor-apify-schemas.sh to re-vendor" >&2
    exit 1
fi

mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.tmp"
cp -R "$stage" "$DEST.tmp"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "vendored $PACKAGE@$VERSION into $REL_DEST:"
(cd "$DEST" && LC_ALL=C ls | sed 's/^/  /')
