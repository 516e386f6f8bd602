#!/usr/bin/env bash
# The type-check and the lint of `npm test`, side by side: each is single-threaded, and together
# they take the time of the slower one on a two-core runner. Fails when either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent typecheck &
typecheck=$!
npm run --silent lint &
lint=$!
status=0
wait "$typecheck" || { echo "static checks: the type-check failed" >&2; status=1; }
wait "$lint" || { echo "static checks: the lint failed" >&2; status=1; }
exit "$status"
