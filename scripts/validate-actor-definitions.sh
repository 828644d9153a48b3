#!/usr/bin/env bash
# Validate every Actor definition (actors/*/.actor/*.json) with Apify's own validators from npm:
# @apify/json_schemas (actor.json, dataset, output and key-value store schemas) and
# @apify/input_schema's validateInputSchema (input schemas), plus schemas/pay_per_event.schema.json
# for pay_per_event.json. What is checked, and how, is described in tools/apify-validate/validate.mjs.
#
# Idempotent: `npm ci` runs only when tools/apify-validate/node_modules is missing or was installed
# from another package-lock.json (a stamp in node_modules holds the lockfile's sha256), so a
# second run costs only the validation itself (well under a second).
#
# Usage: scripts/validate-actor-definitions.sh
# Exit status: 0 valid; 1 problems (each printed as "<file> <JSON pointer>: <message>");
#              2 the check could not run (no node/npm, npm ci failed).
# Needs: node >= 20 and npm; sha256sum. (@apify/json_schemas 1.0.1 declares node >= 22 and works
# on 20; npm prints an EBADENGINE warning and installs it.)

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL="$ROOT/tools/apify-validate"
STAMP="$TOOL/node_modules/.installed-from-lockfile.sha256"

for cmd in node npm sha256sum; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "validate-actor-definitions: '$cmd' is not installed (Node.js 20 or newer is needed)" >&2
        exit 2
    fi
done

lock_sum="$(sha256sum "$TOOL/package-lock.json" | cut -d' ' -f1)"
if [[ ! -d "$TOOL/node_modules" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$lock_sum" ]]; then
    echo "validate-actor-definitions: npm ci in tools/apify-validate (node $(node --version), npm $(npm --version 2>/dev/null))"
    start=$SECONDS
    # Fail fast without a network rather than retrying for minutes.
    if ! (cd "$TOOL" && npm ci --no-audit --no-fund --loglevel=error \
        --fetch-retries=1 --fetch-timeout=60000 --update-notifier=false); then
        echo "validate-actor-definitions: npm ci failed in tools/apify-validate" >&2
        exit 2
    fi
    echo "$lock_sum" >"$STAMP"
    echo "validate-actor-definitions: installed in $((SECONDS - start)) s"
fi

exec node "$TOOL/validate.mjs" "$ROOT"
