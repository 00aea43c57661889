#!/usr/bin/env bash
# Loads the admin dashboard of a running gateway (with traffic) in headless
# Chromium, saves a screenshot, and checks that the DOM shows the breaker
# table with the expected states. Installs chromium with apt when absent.
#
#   scripts/dashboard-check.sh [OUT_DIR]      (default: target/dashboard-check)
#
# Exit status 0 when every check passed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/dashboard-check}
mkdir -p "$OUT"
log() { echo "dashboard-check: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
if [[ -z $browser ]]; then
    log "installing chromium with apt"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    browser=chromium
fi

log "building the demo gateway"
(cd "$ROOT" && cargo build --quiet -p staunch-gateway --example dashboard_demo)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DEMO=$TARGET_DIR/debug/examples/dashboard_demo

PROFILE=$(mktemp -d)
DEMO_OUT=$OUT/demo.log
DEMO_PID=""
cleanup() {
    if [[ -n $DEMO_PID ]]; then kill "$DEMO_PID" 2>/dev/null || true; wait "$DEMO_PID" 2>/dev/null || true; fi
    rm -rf "$PROFILE"
}
trap cleanup EXIT

"$DEMO" >"$DEMO_OUT" 2>&1 &
DEMO_PID=$!
URL=""
for _ in $(seq 1 100); do
    URL=$(sed -n 's/^ADMIN //p' "$DEMO_OUT" | head -n1)
    [[ -n $URL ]] && break
    kill -0 "$DEMO_PID" 2>/dev/null || die "the demo gateway stopped: $(cat "$DEMO_OUT")"
    sleep 0.1
done
[[ -n $URL ]] || die "the demo gateway did not print its admin address"
log "dashboard at $URL/"

FLAGS=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run
    --user-data-dir="$PROFILE" --virtual-time-budget=8000 --window-size=1280,1100)
"$browser" "${FLAGS[@]}" --dump-dom "$URL/" >"$OUT/dom.html" 2>"$OUT/chromium.log" ||
    die "chromium --dump-dom failed: $(tail -n5 "$OUT/chromium.log")"
"$browser" "${FLAGS[@]}" --screenshot="$OUT/dashboard.png" "$URL/" >>"$OUT/chromium.log" 2>&1 ||
    die "chromium --screenshot failed: $(tail -n5 "$OUT/chromium.log")"
[[ -s $OUT/dashboard.png ]] || die "no screenshot written"

failures=0
check() {
    local what=$1 pattern=$2
    if grep -Eq "$pattern" "$OUT/dom.html"; then
        log "ok: $what"
    else
        log "missing: $what"
        failures=$((failures + 1))
    fi
}
check "the page loaded its data" '<body[^>]*data-loaded="true"'
check "breaker table" '<table id="breakers"'
check "healthy is closed" '<tr[^>]*data-id="healthy"[^>]*data-state="closed"'
check "flaky is open" '<tr[^>]*data-id="flaky"[^>]*data-state="open"'
check "gone is open" '<tr[^>]*data-id="gone"[^>]*data-state="open"'
check "proxy-eu is isolated" '<tr[^>]*data-id="proxy-eu"[^>]*data-state="isolated"'
check "a reset button per breaker" '<button[^>]*class="reset"'
check "retries chart drawn" '<svg id="attempts-chart"[^>]*>.*<rect'
check "per-endpoint latency table" '<tr data-endpoint="healthy"'
if grep -q "not-shown" "$OUT/dom.html"; then
    log "proxy credentials appear in the page"
    failures=$((failures + 1))
fi
rows=$(grep -o '<tr class="state-[a-z_]*"' "$OUT/dom.html" | wc -l)
log "breaker rows: $rows; screenshot: $OUT/dashboard.png"
[[ $failures -eq 0 ]] || die "$failures check(s) failed; DOM in $OUT/dom.html"
log "PASS"
