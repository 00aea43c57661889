#!/usr/bin/env bash
# Gateway load benchmark: staunch next to nginx, same backends, same client.
#
# Measures with wrk, in one run:
#   direct             client -> backend
#   nginx              client -> nginx (reverse proxy, keepalive upstream,
#                      setting the X-Forwarded-* fields staunch sets) -> backend
#   staunch            client -> staunch (reverse-proxy route) -> backend
#   the same three with one connection, one request at a time (the latency
#                      a proxy adds, with the cores not saturated)
#   direct, N % 503    client -> a backend answering 503 to N % of requests (no retry)
#   nginx, N % 503     nginx with proxy_next_upstream over TRIES upstream entries
#   staunch, N % 503   staunch with a route of TRIES backend entries and
#                      [retry] max_attempts = TRIES: a retry goes at once to
#                      an entry the request has not tried yet (failover
#                      delay 0), and breakers that a 15 % 503 rate does not
#                      open (failure rate 0.5 over at least 50 calls)
# and prints one markdown table (rps, latency p50/p90/p99, success rate,
# upstream requests per client request) plus a description of the machine.
#
# Not part of CI. Needs apt-get (Debian/Ubuntu) when wrk or nginx is missing,
# and cargo. Everything listens on 127.0.0.1 only; every process started here
# is stopped on exit.
#
# Settings (environment variables, defaults in brackets):
#   BENCH_DURATION      measured wrk run per case [5s]
#   BENCH_WARMUP        unmeasured wrk run before each case, 0 to skip [1s]
#   BENCH_THREADS       wrk threads [2]
#   BENCH_CONNECTIONS   wrk connections [32]
#   BENCH_FAIL_RATE     share of 503s in the fault cases [0.15]
#   BENCH_TRIES         attempts per request in the fault cases, for both
#                       proxies: upstream entries, proxy_next_upstream_tries,
#                       staunch route backends and [retry] max_attempts [4].
#                       With independent 15 % failures, 3 tries succeed at
#                       most 99.66 % of the time; 99.9 % needs 4 (99.95 %,
#                       at 1.18 upstream requests per request).
#   BENCH_FAULT_BACKENDS  backend processes behind the fault cases; the
#                       TRIES upstream entries cycle over them [2]
#   BENCH_BASE_PORT     first of the loopback ports used [18080]
#   BENCH_NGINX_MAX_FAILS  nginx max_fails per server; 0 turns off nginx's
#                       passive health checks, which would otherwise take a
#                       server out for 10 s after a single 503 [0]
#   BENCH_STAUNCH_RETRY TOML lines for staunch's [retry] section, in both
#                       staunch configs [max_attempts = TRIES, base_delay =
#                       "1ms"]; set to "" to leave the section out (the
#                       gateway's defaults: 3 attempts, 100 ms, 200 ms).
#                       Multi-line values are fine, e.g.
#                       BENCH_STAUNCH_RETRY=$'max_attempts = 3\nbase_delay = "100ms"'
#   BENCH_STAUNCH_EXTRA TOML appended to both staunch configs, starting with a
#                       section header [$'[circuit_breaker]\nfailure_threshold =
#                       false\nfailure_rate = 0.5\nmin_calls = 50': the default
#                       rule, 5 failures in 60 s, would open every entry within
#                       a second at 15 % 503s]
#   BENCH_STAUNCH_LOG   staunch log filter [warn]
#   BENCH_BACKEND_WORKERS  tokio workers per backend process [one per core]
#   BENCH_KEEP          1 keeps the temporary directory (configs, logs) [0]
#   CARGO_TARGET_DIR    honoured by the build step
#
# Example: BENCH_DURATION=10s BENCH_CONNECTIONS=64 bench/gateway.sh

set -euo pipefail

DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-1s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
FAIL_RATE=${BENCH_FAIL_RATE:-0.15}
TRIES=${BENCH_TRIES:-4}
FAULT_BACKENDS=${BENCH_FAULT_BACKENDS:-2}
BASE_PORT=${BENCH_BASE_PORT:-18080}
NGINX_MAX_FAILS=${BENCH_NGINX_MAX_FAILS:-0}
DEFAULT_STAUNCH_RETRY="max_attempts = $TRIES"$'\nbase_delay = "1ms"'
DEFAULT_STAUNCH_EXTRA=$'[circuit_breaker]\nfailure_threshold = false\nfailure_rate = 0.5\nmin_calls = 50'
STAUNCH_RETRY=${BENCH_STAUNCH_RETRY-$DEFAULT_STAUNCH_RETRY}
STAUNCH_EXTRA=${BENCH_STAUNCH_EXTRA-$DEFAULT_STAUNCH_EXTRA}
STAUNCH_LOG_FILTER=${BENCH_STAUNCH_LOG:-warn}
BACKEND_WORKERS=${BENCH_BACKEND_WORKERS:-}
KEEP=${BENCH_KEEP:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CORES=$(nproc)

log() { printf '[gateway.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for spec in "BENCH_TRIES:$TRIES" "BENCH_FAULT_BACKENDS:$FAULT_BACKENDS" \
    "BENCH_THREADS:$THREADS" "BENCH_CONNECTIONS:$CONNECTIONS" "BENCH_BASE_PORT:$BASE_PORT"; do
    name=${spec%%:*} value=${spec#*:}
    [[ $value =~ ^[1-9][0-9]*$ ]] || die "invalid value for $name: '$value' (allowed: a positive integer)"
done
[[ $NGINX_MAX_FAILS =~ ^[0-9]+$ ]] ||
    die "invalid value for BENCH_NGINX_MAX_FAILS: '$NGINX_MAX_FAILS' (allowed: 0 or a positive integer)"
((TRIES <= 10)) || die "invalid value for BENCH_TRIES: $TRIES (allowed: 1 to 10)"
((BASE_PORT + 8 + FAULT_BACKENDS <= 65535)) || die "invalid value for BENCH_BASE_PORT: $BASE_PORT (allowed: 1 to $((65527 - FAULT_BACKENDS)))"
awk -v r="$FAIL_RATE" 'BEGIN { exit !(r ~ /^[0-9]*\.?[0-9]+$/ && r >= 0 && r <= 1) }' ||
    die "invalid value for BENCH_FAIL_RATE: '$FAIL_RATE' (allowed: 0 to 1)"
for spec in "BENCH_DURATION:$DURATION" "BENCH_WARMUP:$WARMUP"; do
    name=${spec%%:*} value=${spec#*:}
    [[ $value =~ ^[0-9]+[smh]?$ ]] || die "invalid value for $name: '$value' (allowed: wrk durations such as 5s, 1m, 0)"
done

# --- ports -------------------------------------------------------------------
PORT_NGINX_CLEAN=$BASE_PORT
PORT_NGINX_FAULT=$((BASE_PORT + 1))
PORT_STAUNCH_CLEAN=$((BASE_PORT + 2))
PORT_STAUNCH_CLEAN_ADMIN=$((BASE_PORT + 3))
PORT_STAUNCH_FAULT=$((BASE_PORT + 4))
PORT_STAUNCH_FAULT_ADMIN=$((BASE_PORT + 5))
PORT_BACKEND_CLEAN=$((BASE_PORT + 6))
FAULT_PORTS=()
for ((i = 0; i < FAULT_BACKENDS; i++)); do FAULT_PORTS+=($((BASE_PORT + 7 + i))); done
ALL_BACKEND_PORTS=("$PORT_BACKEND_CLEAN" "${FAULT_PORTS[@]}")
# The fault cases' upstream list: TRIES entries cycling over the fault backends.
FAULT_ENTRIES=()
for ((i = 0; i < TRIES; i++)); do FAULT_ENTRIES+=("${FAULT_PORTS[i % FAULT_BACKENDS]}"); done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for port in "$PORT_NGINX_CLEAN" "$PORT_NGINX_FAULT" "$PORT_STAUNCH_CLEAN" "$PORT_STAUNCH_CLEAN_ADMIN" \
    "$PORT_STAUNCH_FAULT" "$PORT_STAUNCH_FAULT_ADMIN" "${ALL_BACKEND_PORTS[@]}"; do
    ! port_open "$port" || die "port 127.0.0.1:$port is in use; choose other ports with BENCH_BASE_PORT"
done

# --- processes and cleanup ---------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/staunch-gateway-bench.XXXXXX")
PIDS=()
POLICY_RC_CREATED=0
SUDO=()
if (($(id -u) != 0)); then SUDO=(sudo); fi

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((POLICY_RC_CREATED)); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a command in the background, output to $WORK/NAME.log.
start() {
    local name=$1
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=($!)
}

# nginx_forwarded_fields: the X-Forwarded-* fields staunch sets on a reverse
# route, set by nginx too, so that both proxies forward the same request and
# the backend parses the same fields behind either.
nginx_forwarded_fields() {
    echo "            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
    echo "            proxy_set_header X-Forwarded-Host \$http_host;"
    echo "            proxy_set_header X-Forwarded-Proto \$scheme;"
}

wait_port() {
    local port=$1 name=$2 pid=$3
    for _ in $(seq 300); do
        port_open "$port" && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited before listening on $port"; }
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "$name is not listening on 127.0.0.1:$port after 30 s"
}

# --- tools ---------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]} with apt-get"
    # Keep the nginx package from starting its system service on port 80.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    if ! { "${SUDO[@]}" apt-get update &&
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } \
        >"$WORK/apt.log" 2>&1; then
        cat "$WORK/apt.log" >&2
        die "apt-get could not install ${missing[*]}"
    fi
    if ((POLICY_RC_CREATED)); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- build ---------------------------------------------------------------------
log "building release binaries"
(cd "$ROOT" && cargo build --release --quiet -p staunch-gateway --bin staunch --example bench_backend)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    grep -o '"target_directory":"[^"]*"' | awk 'NR == 1' | sed 's/^"target_directory":"//; s/"$//')
STAUNCH_BIN=$TARGET_DIR/release/staunch
BACKEND_BIN=$TARGET_DIR/release/examples/bench_backend
[[ -x $STAUNCH_BIN && -x $BACKEND_BIN ]] || die "built binaries not found under $TARGET_DIR/release"

# --- backends ------------------------------------------------------------------
backend_args=()
if [[ -n $BACKEND_WORKERS ]]; then backend_args+=(--workers "$BACKEND_WORKERS"); fi
start backend-clean "$BACKEND_BIN" --listen "127.0.0.1:$PORT_BACKEND_CLEAN" --fail-rate 0 --seed 1 "${backend_args[@]}"
wait_port "$PORT_BACKEND_CLEAN" backend-clean "${PIDS[-1]}"
for ((i = 0; i < FAULT_BACKENDS; i++)); do
    start "backend-fault-$i" "$BACKEND_BIN" --listen "127.0.0.1:${FAULT_PORTS[i]}" \
        --fail-rate "$FAIL_RATE" --seed $((i + 2)) "${backend_args[@]}"
    wait_port "${FAULT_PORTS[i]}" "backend-fault-$i" "${PIDS[-1]}"
done

# --- nginx ---------------------------------------------------------------------
mkdir -p "$WORK/nginx/tmp"
{
    echo "worker_processes $CORES;"
    echo "pid $WORK/nginx/nginx.pid;"
    echo "error_log $WORK/nginx/error.log warn;"
    echo "daemon off;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "    access_log off;"
    for kind in client_body proxy fastcgi uwsgi scgi; do
        echo "    ${kind}_temp_path $WORK/nginx/tmp/$kind;"
    done
    echo "    upstream clean {"
    echo "        server 127.0.0.1:$PORT_BACKEND_CLEAN max_fails=$NGINX_MAX_FAILS;"
    echo "        keepalive 64;"
    echo "    }"
    echo "    upstream fault {"
    for port in "${FAULT_ENTRIES[@]}"; do
        echo "        server 127.0.0.1:$port max_fails=$NGINX_MAX_FAILS;"
    done
    echo "        keepalive 64;"
    echo "    }"
    echo "    server {"
    echo "        listen 127.0.0.1:$PORT_NGINX_CLEAN;"
    echo "        location / {"
    echo "            proxy_pass http://clean;"
    echo "            proxy_http_version 1.1;"
    echo "            proxy_set_header Connection \"\";"
    nginx_forwarded_fields
    echo "        }"
    echo "    }"
    echo "    server {"
    echo "        listen 127.0.0.1:$PORT_NGINX_FAULT;"
    echo "        location / {"
    echo "            proxy_pass http://fault;"
    echo "            proxy_http_version 1.1;"
    echo "            proxy_set_header Connection \"\";"
    nginx_forwarded_fields
    echo "            proxy_next_upstream error timeout http_503;"
    echo "            proxy_next_upstream_tries $TRIES;"
    echo "        }"
    echo "    }"
    echo "}"
} >"$WORK/nginx/nginx.conf"
"$NGINX" -t -q -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" ||
    die "nginx refused $WORK/nginx/nginx.conf"
start nginx "$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf"
NGINX_PID=${PIDS[-1]}
wait_port "$PORT_NGINX_CLEAN" nginx "${PIDS[-1]}"
wait_port "$PORT_NGINX_FAULT" nginx "${PIDS[-1]}"

# --- staunch -------------------------------------------------------------------
# staunch_config LISTEN ADMIN RETRY_TOML PORT...: one route "/" over PORT...
staunch_config() {
    local listen=$1 admin=$2 retry=$3
    shift 3
    echo "[gateway]"
    echo "listen = \"127.0.0.1:$listen\""
    echo "admin_listen = \"127.0.0.1:$admin\""
    if [[ -n $retry ]]; then
        echo
        echo "[retry]"
        echo "$retry"
    fi
    echo
    echo "[[routes]]"
    echo "prefix = \"/\""
    echo "backends = ["
    local n=0 port
    for port in "$@"; do
        n=$((n + 1))
        echo "    { id = \"backend-$n-port-$port\", url = \"http://127.0.0.1:$port\" },"
    done
    echo "]"
    if [[ -n $STAUNCH_EXTRA ]]; then
        echo
        echo "$STAUNCH_EXTRA"
    fi
}

RETRY_TOML=$STAUNCH_RETRY
if [[ -n $RETRY_TOML ]]; then
    RETRY_NOTE="[retry] ${RETRY_TOML//$'\n'/; }"
else
    RETRY_NOTE="the gateway's [retry] defaults"
fi
if [[ -n $STAUNCH_EXTRA ]]; then
    RETRY_NOTE+="; ${STAUNCH_EXTRA//$'\n'/ }"
fi
staunch_config "$PORT_STAUNCH_CLEAN" "$PORT_STAUNCH_CLEAN_ADMIN" "$RETRY_TOML" "$PORT_BACKEND_CLEAN" \
    >"$WORK/staunch-clean.toml"
staunch_config "$PORT_STAUNCH_FAULT" "$PORT_STAUNCH_FAULT_ADMIN" "$RETRY_TOML" "${FAULT_ENTRIES[@]}" \
    >"$WORK/staunch-fault.toml"
for kind in clean fault; do
    "$STAUNCH_BIN" check-config "$WORK/staunch-$kind.toml" >"$WORK/staunch-$kind.effective.toml" 2>&1 ||
        { cat "$WORK/staunch-$kind.effective.toml" >&2; die "staunch refused $WORK/staunch-$kind.toml"; }
done

declare -A STAUNCH_PID
for kind in clean fault; do
    port_var=PORT_STAUNCH_${kind^^} admin_var=PORT_STAUNCH_${kind^^}_ADMIN
    start "staunch-$kind" env STAUNCH_LOG="$STAUNCH_LOG_FILTER" "$STAUNCH_BIN" serve \
        --config "$WORK/staunch-$kind.toml" \
        --listen "127.0.0.1:${!port_var}" --admin-listen "127.0.0.1:${!admin_var}"
    STAUNCH_PID[$kind]=${PIDS[-1]}
    wait_port "${!port_var}" "staunch-$kind" "${PIDS[-1]}"
done

# --- measuring -----------------------------------------------------------------
# wrk prints its own report; this adds one exact, machine-readable line.
cat >"$WORK/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%.0f duration=%.0f status=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f p50=%.0f p90=%.0f p99=%.0f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
LUA

reset_backends() {
    local port
    for port in "${ALL_BACKEND_PORTS[@]}"; do
        curl -fsS -X POST "http://127.0.0.1:$port/__reset" >/dev/null
    done
}

backend_total() {
    local port total=0 count
    for port in "${ALL_BACKEND_PORTS[@]}"; do
        count=$(curl -fsS "http://127.0.0.1:$port/__count")
        total=$((total + count))
    done
    echo "$total"
}

ROWS=()
declare -A RESULT
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# proxy_cpu_ticks PID: user + system CPU time, in clock ticks, of PID (all
# its threads) and of its child processes (nginx's workers).
proxy_cpu_ticks() {
    local pid total=0 ticks
    for pid in "$1" $(pgrep -P "$1" || true); do
        ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + ticks))
    done
    echo "$total"
}

# measure KEY LABEL PORT [PROXY_PID]: with PROXY_PID, the proxy's CPU time
# per request is measured too (what the proxy costs, whatever share of the
# cores the other processes took meanwhile).
measure() {
    local key=$1 label=$2 port=$3 proxy_pid=${4:-} url="http://127.0.0.1:$3/" out line
    log "case: $label"
    # One plain request first, so a broken path fails loudly instead of
    # producing a table of errors.
    curl -sS -o /dev/null "$url" || die "$label: $url does not answer"
    if [[ ! ${WARMUP%[smh]} =~ ^0+$ ]]; then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
    fi
    reset_backends
    local ticks_before=0 ticks_after=0
    if [[ -n $proxy_pid ]]; then ticks_before=$(proxy_cpu_ticks "$proxy_pid"); fi
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/report.lua" "$url")
    if [[ -n $proxy_pid ]]; then ticks_after=$(proxy_cpu_ticks "$proxy_pid"); fi
    local upstream
    upstream=$(backend_total)
    printf '%s\n' "$out" >"$WORK/wrk-$key.txt"
    line=$(grep '^BENCH ' <<<"$out") || die "$label: no result line from wrk"
    local requests duration status connect read write timeout p50 p90 p99
    for field in ${line#BENCH }; do
        case ${field%%=*} in
        requests | duration | status | connect | read | write | timeout | p50 | p90 | p99)
            printf -v "${field%%=*}" '%s' "${field#*=}"
            ;;
        esac
    done
    # Two-space separated fields, consumed by the table below.
    ROWS+=("$(awk -v label="$label" -v n="$requests" -v us="$duration" -v st="$status" \
        -v c="$connect" -v r="$read" -v w="$write" -v p50="$p50" -v p90="$p90" -v p99="$p99" \
        -v up="$upstream" -v proxy="$proxy_pid" -v ticks=$((ticks_after - ticks_before)) -v hz="$CLK_TCK" 'BEGIN {
            rps = n / (us / 1e6)
            attempted = n + c + r + w
            ok = attempted > 0 ? 100 * (n - st) / attempted : 0
            ratio = n > 0 ? up / n : 0
            cpu = (proxy != "" && n > 0) ? sprintf("%.1f µs", ticks / hz * 1e6 / n) : "–"
            cpu_raw = (proxy != "" && n > 0) ? ticks / hz * 1e6 / n : 0
            printf "| %s | %.0f | %.2f ms | %.2f ms | %.2f ms | %.3f %% | %.3f | %s |", label, rps, p50 / 1000, p90 / 1000, p99 / 1000, ok, ratio, cpu
            printf "\t%.0f\t%.0f\t%.4f\t%.4f\t%.2f\n", rps, p99, ok, ratio, cpu_raw
        }')")
    RESULT[$key]=${ROWS[-1]#*$'\t'}
    if ((connect + read + write + timeout > 0)); then
        log "$label: socket errors connect=$connect read=$read write=$write timeout=$timeout"
    fi
}

# measure_light KEY LABEL PORT: latency with one connection and one request
# at a time. Under the full load above the cores are saturated and the
# percentiles are mostly the scheduler's; here they show what a proxy adds.
LIGHT_ROWS=()
declare -A LIGHT
measure_light() {
    local key=$1 label=$2 url="http://127.0.0.1:$3/" out line
    log "case: $label, one connection"
    out=$(wrk -t1 -c1 -d"$DURATION" --latency -s "$WORK/report.lua" "$url")
    line=$(grep '^BENCH ' <<<"$out") || die "$label: no result line from wrk"
    local requests duration connect read write timeout p50 p90 p99
    for field in ${line#BENCH }; do
        case ${field%%=*} in
        requests | duration | connect | read | write | timeout | p50 | p90 | p99)
            printf -v "${field%%=*}" '%s' "${field#*=}"
            ;;
        esac
    done
    if ((connect + read + write + timeout > 0)); then
        log "$label, one connection: socket errors connect=$connect read=$read write=$write timeout=$timeout"
    fi
    LIGHT[$key]=$p99
    LIGHT_ROWS+=("$(awk -v label="$label" -v n="$requests" -v us="$duration" \
        -v p50="$p50" -v p90="$p90" -v p99="$p99" 'BEGIN {
            printf "| %s | %.0f | %.3f ms | %.3f ms | %.3f ms |", label, n / (us / 1e6), p50 / 1000, p90 / 1000, p99 / 1000
        }')")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PCT=$(awk -v r="$FAIL_RATE" 'BEGIN { printf "%g", r * 100 }')
measure direct "direct" "$PORT_BACKEND_CLEAN"
measure nginx "nginx" "$PORT_NGINX_CLEAN" "$NGINX_PID"
measure staunch "staunch" "$PORT_STAUNCH_CLEAN" "${STAUNCH_PID[clean]}"
measure_light direct "direct" "$PORT_BACKEND_CLEAN"
measure_light nginx "nginx" "$PORT_NGINX_CLEAN"
measure_light staunch "staunch" "$PORT_STAUNCH_CLEAN"
measure direct_fault "direct, $PCT % 503 (no retry)" "${FAULT_PORTS[0]}"
measure nginx_fault "nginx, $PCT % 503" "$PORT_NGINX_FAULT" "$NGINX_PID"
measure staunch_fault "staunch, $PCT % 503" "$PORT_STAUNCH_FAULT" "${STAUNCH_PID[fault]}"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# What staunch's engine did in the fault case (warm-up included).
FAULT_SUMMARY=$(curl -fsS "http://127.0.0.1:$PORT_STAUNCH_FAULT_ADMIN/api/v1/metrics/retries" || true)
FAULT_DENIED=$(grep -o '"denied":[0-9]*' <<<"$FAULT_SUMMARY" | awk -F: 'NR == 1 { print $2 }')
FAULT_OPENED=$(grep -o '"breaker_events":[0-9]*' <<<"$FAULT_SUMMARY" | awk -F: 'NR == 1 { print $2 }')

# --- report --------------------------------------------------------------------
# Best effort: a missing tool leaves a field empty, never stops the report.
CPU_MODEL=$( (lscpu 2>/dev/null || true) | sed -n 's/^Model name: *//p' | awk 'NR == 1')
[[ -n $CPU_MODEL ]] || CPU_MODEL=$( (grep -m1 '^model name' /proc/cpuinfo || true) | sed 's/^model name\s*: //')
NGINX_VERSION=$( ("$NGINX" -v 2>&1 || true) | sed 's/^nginx version: //')
WRK_VERSION=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $1, $2 }')
fault_list=$(printf '127.0.0.1:%s, ' "${FAULT_ENTRIES[@]}")

echo
echo "| case | rps | p50 | p90 | p99 | success % | upstream req / req | proxy CPU / req |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for row in "${ROWS[@]}"; do echo "${row%%$'\t'*}"; done
echo
echo "One connection, one request at a time (-t1 -c1 -d$DURATION):"
echo
echo "| case | rps | p50 | p90 | p99 |"
echo "| --- | ---: | ---: | ---: | ---: |"
for row in "${LIGHT_ROWS[@]}"; do echo "$row"; done
echo
echo "Machine: $CORES cores, $CPU_MODEL, Linux $(uname -r)."
echo "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER."
echo "Client: $WRK_VERSION, -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP) on 127.0.0.1;" \
    "backends: hyper 1 (bench_backend example); $NGINX_VERSION, $CORES workers, keepalive 64."
echo "Fault cases: each backend answers 503 to $PCT % of requests (seeded);" \
    "$TRIES upstream entries (${fault_list%, }) over $FAULT_BACKENDS processes;" \
    "nginx proxy_next_upstream error timeout http_503, tries $TRIES, max_fails $NGINX_MAX_FAILS;" \
    "staunch retry: $RETRY_NOTE."
echo "staunch in the fault case (whole run): ${FAULT_DENIED:-?} retries refused by the retry budget," \
    "${FAULT_OPENED:-?} circuit breaker openings (admin API /api/v1/metrics/retries)."
awk -v r="$FAIL_RATE" -v t="$TRIES" 'BEGIN {
    printf "With independent failures, %d tries give at best %.3f %% success at %.3f upstream req / req.\n", t, 100 * (1 - r ^ t), (r < 1 ? (1 - r ^ t) / (1 - r) : t)
}'
echo "Upstream req / req: backend requests counted during the run divided by" \
    "the client's completed requests (requests in flight at the end add at most $CONNECTIONS)."
echo "Proxy CPU / req: the proxy's user + system time during the run (all its threads," \
    "nginx's workers included; clock ticks of 1/$CLK_TCK s) divided by the completed requests."

# Goals, read off the rows above.
IFS=$'\t' read -r d_rps d_p99 _ _ _ <<<"${RESULT[direct]}"
IFS=$'\t' read -r n_rps _ _ _ n_cpu <<<"${RESULT[nginx]}"
IFS=$'\t' read -r s_rps s_p99 _ _ s_cpu <<<"${RESULT[staunch]}"
IFS=$'\t' read -r _ _ sf_ok sf_ratio _ <<<"${RESULT[staunch_fault]}"
echo
awk -v drps="$d_rps" -v dp99="$d_p99" -v nrps="$n_rps" -v srps="$s_rps" -v sp99="$s_p99" \
    -v ok="$sf_ok" -v ratio="$sf_ratio" -v ncpu="$n_cpu" -v scpu="$s_cpu" \
    -v ld="${LIGHT[direct]}" -v ln="${LIGHT[nginx]}" -v ls="${LIGHT[staunch]}" 'BEGIN {
    printf "Goals: staunch rps / nginx rps = %.2f (goal >= 1.00: %s", srps / nrps, (srps >= nrps ? "met" : "not met")
    if (ncpu > 0 && scpu > 0) printf "; CPU per request staunch %.1f µs, nginx %.1f µs", scpu, ncpu
    printf "); "
    # A p99 below the direct one is noise: nothing measurable was added.
    sadd = ls > ld ? ls - ld : 0
    nadd = ln > ld ? ln - ld : 0
    printf "p99 added over direct, one connection: staunch %.3f ms, nginx %.3f ms (goal <= 1 ms: %s); ", sadd / 1000, nadd / 1000, (sadd <= 1000 ? "met" : "not met")
    printf "under full load staunch p99 %.2f ms, direct %.2f ms; ", sp99 / 1000, dp99 / 1000
    printf "fault success %.3f %% (goal >= 99.9 %%: %s), upstream load %.3fx (goal <= 1.2x: %s).\n", ok, (ok >= 99.9 ? "met" : "not met"), ratio, (ratio <= 1.2 ? "met" : "not met")
}'
