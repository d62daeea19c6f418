#!/usr/bin/env bash
# bench/run.sh: loads Verge, nginx (as a reverse proxy) and a bare hyper server one after the
# other on loopback, in front of one nginx origin serving a static file, and prints req/s, p99
# latency and the ratios Verge / nginx and Verge / bare hyper. See bench/README.md.
#
#   bash bench/run.sh                       # both bodies, 10 s per measurement
#   DURATION=3 BODY=1k SKIP_VERGE=1 bash bench/run.sh
#
# Environment (defaults in brackets):
#   DURATION     seconds of load per measurement [10]
#   WARMUP       seconds of load before each measurement, not counted [1]
#   BODY         origin file sizes to test, from "1k 100k" [1k 100k]
#   CONNECTIONS  connections of wrk and h2load [32]
#   STREAMS      concurrent streams per HTTP/2 connection (h2load -m) [10]
#   THREADS      load generator threads (wrk -t, h2load -t) [1]
#   TARGETS      which servers to load, from "verge verge-fn verge-waf nginx nginx-modsec
#                bare" [verge nginx bare]; verge-fn is Verge with
#                bench/functions/viewer-request.js on every request, verge-waf Verge with the
#                web ACL bench/waf/acl.json, nginx-modsec nginx with ModSecurity and the OWASP
#                CRS (libnginx-mod-http-modsecurity, modsecurity-crs)
#   SKIP_VERGE   1: neither build nor load Verge [0]
#   VERGE_ARGS   extra arguments appended to `verge serve` []
#   VERGE_LOG    Verge's log filter during the runs [warn]
#   PIN          auto | 0: taskset the load generator and the server under test apart [auto]
#   LOAD_CPUS    CPUs of the load generator (and the origin) when pinned [0]
#   SERVER_CPUS  CPUs of the server under test when pinned [1]
#   ORIGIN_CPUS  CPUs of the origin nginx when pinned [LOAD_CPUS]
#   KEEP_TMP     1: keep the temporary directory (configs, logs) [0]
#
# Installs nginx, wrk, h2load (nghttp2-client), openssl and curl from Debian when missing
# (needs root), builds `verge` and the `bare_hyper` example in release mode, and writes the
# table to bench/out/results-<date>.txt with the raw tool output beside it. Every server it
# starts listens on 127.0.0.1 on ports picked free at run time and is stopped on exit; every load
# run is capped with `timeout`, so after the build the script ends in bounded time (it prints the
# estimate at start).

set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
BODY=${BODY:-1k 100k}
CONNECTIONS=${CONNECTIONS:-32}
STREAMS=${STREAMS:-10}
THREADS=${THREADS:-1}
TARGETS=${TARGETS:-verge nginx bare}
SKIP_VERGE=${SKIP_VERGE:-0}
VERGE_ARGS=${VERGE_ARGS:-}
PIN=${PIN:-auto}
LOAD_CPUS=${LOAD_CPUS:-0}
SERVER_CPUS=${SERVER_CPUS:-1}
ORIGIN_CPUS=${ORIGIN_CPUS:-$LOAD_CPUS}
KEEP_TMP=${KEEP_TMP:-0}

# Seconds a server gets to answer its first request after start.
READY_TIMEOUT=10

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPORT=(python3 "$ROOT/bench/report.py")

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- settings ------------------------------------------------------------------------------

for name in DURATION WARMUP CONNECTIONS STREAMS THREADS; do
    [[ ${!name} =~ ^[0-9]+$ && ${!name} -gt 0 ]] || die "$name must be a positive integer"
done
for body in $BODY; do
    [[ $body == 1k || $body == 100k ]] || die "BODY takes 1k and/or 100k, not '$body'"
done
for target in $TARGETS; do
    [[ $target =~ ^(verge|verge-fn|verge-waf|nginx|nginx-modsec|bare)$ ]] ||
        die "TARGETS takes verge, verge-fn, verge-waf, nginx, nginx-modsec, bare: '$target'"
done
if [[ $SKIP_VERGE == 1 ]]; then
    TARGETS=$(tr ' ' '\n' <<<"$TARGETS" | grep -vxE 'verge|verge-fn|verge-waf' | tr '\n' ' ' || true)
fi

body_bytes() { case $1 in 1k) echo 1024 ;; 100k) echo 102400 ;; esac; }

# --- tools ---------------------------------------------------------------------------------

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if [[ " $TARGETS " == *" nginx-modsec "* ]]; then
    [[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ]] ||
        missing+=(libnginx-mod-http-modsecurity)
    [[ -f /usr/share/modsecurity-crs/owasp-crs.load ]] || missing+=(modsecurity-crs)
fi
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root or apt-get install them"
    log "installing ${missing[*]}"
    apt-get update -qq
    # Where nginx-light is not packaged, plain nginx has the modules we need.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            "${missing[@]/nginx-light/nginx}" >/dev/null
fi
NGINX_H2=1
nginx -V 2>&1 | grep -q -- --with-http_v2_module || NGINX_H2=0

# Pinning: on a small machine the load generator and the server under test would otherwise
# fight for the same cores. The origin shares the load generator's CPUs by default, so that the
# proxy under test has its CPUs to itself.
PIN_LOAD=() PIN_SERVER=() PIN_ORIGIN=()
if [[ $PIN == auto ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_LOAD=(taskset -c "$LOAD_CPUS")
    PIN_SERVER=(taskset -c "$SERVER_CPUS")
    PIN_ORIGIN=(taskset -c "$ORIGIN_CPUS")
fi
# Workers for the nginx proxy: as many as the CPUs the server under test may use, which is also
# what tokio's multi-threaded runtime picks for Verge and the bare server (it reads affinity).
SERVER_WORKERS=$("${PIN_SERVER[@]}" python3 -c 'import os; print(len(os.sched_getaffinity(0)))')

# --- build ---------------------------------------------------------------------------------

cd "$ROOT"
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
VERGE_BIN=$TARGET_DIR/release/verge
BARE_BIN=$TARGET_DIR/release/examples/bare_hyper
VERGE_PROBLEM=
if [[ " $TARGETS " == *" verge"* ]]; then
    log "building verge and bare_hyper (release)"
    if ! cargo build --release -p verge --bin verge --example bare_hyper; then
        VERGE_PROBLEM="build failed"
        log "verge did not build: measuring without it"
        cargo build --release -p verge --example bare_hyper
    fi
else
    log "building bare_hyper (release)"
    cargo build --release -p verge --example bare_hyper
fi

# --- scratch space and cleanup -------------------------------------------------------------

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/out
RAW=$OUT/raw-$STAMP
mkdir -p "$RAW"
WORK=$(mktemp -d -t verge-bench.XXXXXX)
# nginx workers run as nobody when started by root: they must reach the files.
chmod 755 "$WORK"
RESULTS=$WORK/results.tsv
: >"$RESULTS"

SERVER_PIDS=()

# Stops one server: TERM, up to 5 s of grace, then KILL.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
    if [[ $KEEP_TMP == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a server in the background; its pid is in $STARTED. Arguments: log file, command...
start() {
    local logfile=$1
    shift
    "$@" >"$logfile" 2>&1 &
    STARTED=$!
    SERVER_PIDS+=("$STARTED")
}

stop() {
    stop_pid "$1"
    local kept=() pid
    for pid in "${SERVER_PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    SERVER_PIDS=("${kept[@]}")
}

# Prints N ports that were free a moment ago. Another program could take one before our server
# binds it; that server then fails its readiness check, which says so.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# Waits until URL answers 2xx, while PID lives, for at most READY_TIMEOUT seconds.
wait_ready() {
    local url=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -fsk -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    return 1
}

# --- origin, certificate -------------------------------------------------------------------

mkdir -p "$WORK/www" "$WORK/tls"
for body in 1k 100k; do
    head -c "$(body_bytes $body)" /dev/zero | tr '\0' 'v' >"$WORK/www/$body.txt"
done
chmod -R a+rX "$WORK/www"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null

# The part of an nginx configuration that every instance shares; $1 is its prefix directory.
nginx_common() {
    cat <<EOF
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}

# Inside http {}: keep-alive without a request cap (the default of 1000 would make nginx, but
# not Verge, reconnect during the run) and temp paths inside the prefix.
nginx_http_common() {
    cat <<EOF
    access_log off;
    default_type text/plain;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
EOF
}

# Checks and starts the nginx configured in $1/nginx.conf, under the command words that follow
# (a taskset prefix, or none).
run_nginx() {
    nginx -t -q -p "$1" -e "$1/error.log" -c "$1/nginx.conf" ||
        die "nginx rejected $1/nginx.conf"
    start "$1/stdout.log" "${@:2}" nginx -p "$1" -e "$1/error.log" -c "$1/nginx.conf"
}

read -r ORIGIN_PORT <<<"$(free_ports 1)"
ORIGIN=$WORK/origin
mkdir -p "$ORIGIN"
{
    echo "worker_processes 1;"
    nginx_common "$ORIGIN"
    echo "http {"
    nginx_http_common "$ORIGIN"
    cat <<EOF
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$ORIGIN_PORT;
        root $WORK/www;
        # Pass-through is measured: no proxy may store these (a file seconds old would
        # otherwise be heuristically fresh for a fraction of a second in Verge's cache).
        add_header Cache-Control "no-store";
    }
}
EOF
} >"$ORIGIN/nginx.conf"
run_nginx "$ORIGIN" "${PIN_ORIGIN[@]}"
ORIGIN_PID=$STARTED
wait_ready "http://127.0.0.1:$ORIGIN_PORT/1k.txt" "$ORIGIN_PID" ||
    die "the origin nginx did not start: $(tail -5 "$ORIGIN/error.log" 2>/dev/null)"
log "origin nginx on 127.0.0.1:$ORIGIN_PORT"

# --- measurement ---------------------------------------------------------------------------

# Appends one row to the results. Arguments: target protocol body rps p99 errors, CPU % of the
# server, load generator, origin and the rest, note.
record() {
    local IFS=$'\t'
    echo "$*" >>"$RESULTS"
}

# CPU use during a run: `cpu_mark PID` before and after, then `cpu_use BEFORE AFTER
# LOAD_SECONDS` prints the CPU use of the server, of the load generator, of the origin and of
# everything else, in % of one core.
cpu_mark() { "${REPORT[@]}" cpu-mark "$1" "$ORIGIN_PID"; }
cpu_use() { "${REPORT[@]}" cpu-percent "$@"; }

# Checks that URL serves the whole body over the given curl protocol flag before loading it.
check_body() { # url expected-bytes curl-flags...
    local got
    got=$(curl -sk -o /dev/null --max-time 5 -w '%{http_code} %{size_download} %{http_version}' \
        "${@:3}" "$1") || true
    [[ $got == "200 $2 "* ]] && return 0
    log "$1 answered '$got' (status, bytes, HTTP version), wanted 200 and $2 bytes"
    return 1
}

# Runs one load command, bounded by `timeout`, and records its row: req/s, p99 and errors from
# the parser, then CPU use (see cpu_use). Arguments: output file, target, protocol, body, server
# pid, report.py parser and its files, --, command...
load() {
    local out=$1 target=$2 protocol=$3 body=$4 pid=$5 parser=()
    local before after usage result user system
    shift 5
    while [[ $1 != -- ]]; do parser+=("$1"); shift; done
    shift
    local TIMEFORMAT='%U %S'
    before=$(cpu_mark "$pid")
    if { time timeout $((WARMUP + DURATION + 30)) "${PIN_LOAD[@]}" "$@" >"$out" 2>&1; } \
        2>"$WORK/time"; then
        after=$(cpu_mark "$pid")
        if result=$("${REPORT[@]}" "${parser[@]}"); then
            read -r user system <"$WORK/time"
            usage=$(cpu_use "$before" "$after" "$(python3 -c "print($user + $system)")")
            # result is "rps p99 errors", usage "server load origin other"
            # shellcheck disable=SC2086
            record "$target" "$protocol" "$body" $result $usage ""
            return
        fi
    fi
    record "$target" "$protocol" "$body" - - - - - - - "$1 failed, see $(basename "$out")"
}

# HTTP/1.1 keep-alive load with wrk, after an unrecorded warm-up run. Arguments: target body url
# server-pid.
measure_wrk() {
    local target=$1 body=$2 url=$3 pid=$4 out="$RAW/$1-http1-$2.txt"
    if ! check_body "$url" "$(body_bytes "$body")" --http1.1; then
        record "$target" http/1.1 "$body" - - - - - - - "bad answer to curl, see stderr"
        return
    fi
    timeout $((WARMUP + 10)) "${PIN_LOAD[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"${WARMUP}s" -H "User-Agent: verge-bench/1 (wrk)" "$url" >/dev/null || true
    # A User-Agent as every browser sends (wrk sends none, which AWS's Common rule set blocks).
    load "$out" "$target" http/1.1 "$body" "$pid" wrk "$out" -- \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -H "User-Agent: verge-bench/1 (wrk)" "$url"
}

# HTTP/2 over TLS load with h2load. It connects to 127.0.0.1 but names `localhost` in SNI and
# :authority, as a real viewer names its host. Arguments: target body port path server-pid.
measure_h2load() {
    local target=$1 body=$2 port=$3 path=$4 pid=$5 out="$RAW/$1-h2tls-$2.txt"
    local requests="$WORK/h2load-requests.log" url="https://localhost:$port$path"
    if ! check_body "$url" "$(body_bytes "$body")" --http2 \
        --resolve "localhost:$port:127.0.0.1"; then
        record "$target" h2+tls "$body" - - - - - - - "bad answer to curl, see stderr"
        return
    fi
    load "$out" "$target" h2+tls "$body" "$pid" h2load "$out" "$requests" -- \
        h2load -c"$CONNECTIONS" -m"$STREAMS" -t"$THREADS" -D "$DURATION" \
        --warm-up-time="$WARMUP" --connect-to="127.0.0.1:$port" --log-file="$requests" "$url"
    rm -f "$requests"
}

# Loads one started server with every body and protocol. Arguments: target http-port tls-port
# (empty: no TLS listener) server-pid.
measure_all() {
    local target=$1 http_port=$2 tls_port=$3 pid=$4 body
    for body in $BODY; do
        log "$target: HTTP/1.1, $body body, ${DURATION}s"
        measure_wrk "$target" "$body" "http://127.0.0.1:$http_port/$body.txt" "$pid"
        if [[ -n $tls_port ]]; then
            log "$target: HTTP/2 over TLS, $body body, ${DURATION}s"
            measure_h2load "$target" "$body" "$tls_port" "/$body.txt" "$pid"
        else
            record "$target" h2+tls "$body" - - - - - - - "no HTTP/2 in this nginx build"
        fi
    done
}

skip_all() { # target note
    local body
    for body in $BODY; do
        record "$1" http/1.1 "$body" - - - - - - - "$2"
        record "$1" h2+tls "$body" - - - - - - - "$2"
    done
}

# Verge with the benchmark web ACL (bench/waf/acl.json: AWS's Common, Known-bad-inputs and
# SQL database managed groups and a rate-based rule) evaluating every request.
bench_verge-waf() {
    VERGE_ARGS="$VERGE_ARGS --web-acl $ROOT/bench/waf/acl.json" \
        VERGE_TARGET=verge-waf bench_verge
}

# nginx's proxy with ModSecurity 3 and the OWASP Core Rule Set from Debian, blocking.
bench_nginx-modsec() {
    local module=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
    if [[ ! -f $module || ! -f /usr/share/modsecurity-crs/owasp-crs.load ]]; then
        skip_all nginx-modsec "libnginx-mod-http-modsecurity or modsecurity-crs missing"
        return
    fi
    local rules=$WORK/modsec/rules.conf
    mkdir -p "$WORK/modsec"
    # Debian's recommended settings, then blocking mode without the audit log, then the CRS as
    # Debian's owasp-crs.load lists it (libmodsecurity 3 has no IncludeOptional).
    {
        echo "Include /etc/nginx/modsecurity.conf"
        echo "SecRuleEngine On"
        echo "SecAuditEngine Off"
        echo "Include /etc/modsecurity/crs/crs-setup.conf"
        local optional
        for optional in /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf \
            /usr/share/modsecurity-crs/rules/*.conf \
            /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf; do
            [[ -f $optional ]] && echo "Include $optional"
        done
    } >"$rules"
    NGINX_TARGET=nginx-modsec NGINX_MAIN="load_module $module;" \
        NGINX_SERVER="modsecurity on; modsecurity_rules_file $rules;" bench_nginx
}

# Verge with a viewer-request function on every request.
bench_verge-fn() {
    VERGE_ARGS="$VERGE_ARGS --viewer-request $ROOT/bench/functions/viewer-request.js" \
        VERGE_TARGET=verge-fn bench_verge
}

bench_verge() {
    local target=${VERGE_TARGET:-verge}
    if [[ -n $VERGE_PROBLEM ]]; then
        skip_all "$target" "$VERGE_PROBLEM"
        return
    fi
    local http_port tls_port admin_port data=$WORK/$target-data
    read -r http_port tls_port admin_port <<<"$(free_ports 3)"
    # Warnings only, as nginx's error_log here; Verge writes no access log unless asked.
    # shellcheck disable=SC2086 # VERGE_ARGS is a list of words
    VERGE_LOG=${VERGE_LOG:-warn} start "$RAW/$target.log" "${PIN_SERVER[@]}" "$VERGE_BIN" serve \
        --origin "http://127.0.0.1:$ORIGIN_PORT" --listen "127.0.0.1:$http_port" \
        --tls-listen "127.0.0.1:$tls_port" --admin "127.0.0.1:$admin_port" --data-dir "$data" \
        $VERGE_ARGS
    local pid=$STARTED
    if ! wait_ready "http://127.0.0.1:$http_port/1k.txt" "$pid"; then
        log "verge exited or did not answer within ${READY_TIMEOUT}s;" \
            "its log ($RAW/$target.log) ends with:"
        tail -n 20 "$RAW/$target.log" >&2 || true
        stop "$pid"
        skip_all "$target" "did not start, see $target.log"
        return
    fi
    log "$target on 127.0.0.1:$http_port (TLS $tls_port, admin $admin_port)"
    measure_all "$target" "$http_port" "$tls_port" "$pid"
    stop "$pid"
}

bench_nginx() {
    local target=${NGINX_TARGET:-nginx}
    local http_port tls_port dir=$WORK/$target-proxy listen_tls=
    read -r http_port tls_port <<<"$(free_ports 2)"
    mkdir -p "$dir"
    if ((NGINX_H2)); then
        listen_tls="listen 127.0.0.1:$tls_port ssl http2;"
    else
        tls_port=
    fi
    {
        echo "${NGINX_MAIN:-}"
        echo "worker_processes $SERVER_WORKERS;"
        nginx_common "$dir"
        echo "http {"
        nginx_http_common "$dir"
        cat <<EOF
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$http_port;
        $listen_tls
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ${NGINX_SERVER:-}
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } >"$dir/nginx.conf"
    run_nginx "$dir" "${PIN_SERVER[@]}"
    local pid=$STARTED
    wait_ready "http://127.0.0.1:$http_port/1k.txt" "$pid" ||
        die "the proxy nginx did not start: $(tail -5 "$dir/error.log" 2>/dev/null)"
    log "$target proxy on 127.0.0.1:$http_port (TLS ${tls_port:-none}), $SERVER_WORKERS worker(s)"
    measure_all "$target" "$http_port" "$tls_port" "$pid"
    stop "$pid"
    cp "$dir/nginx.conf" "$RAW/$target-proxy.conf"
}

# The bare server answers every path with one body, so it is started once per body size.
bench_bare() {
    local body http_port tls_port pid saved_body=$BODY
    for body in $saved_body; do
        read -r http_port tls_port <<<"$(free_ports 2)"
        start "$RAW/bare-$body.log" "${PIN_SERVER[@]}" "$BARE_BIN" \
            --listen "127.0.0.1:$http_port" --body "$WORK/www/$body.txt" \
            --tls-listen "127.0.0.1:$tls_port" --tls-cert "$WORK/tls/cert.pem" \
            --tls-key "$WORK/tls/key.pem"
        pid=$STARTED
        wait_ready "http://127.0.0.1:$http_port/" "$pid" ||
            die "bare_hyper did not start: $(tail -5 "$RAW/bare-$body.log")"
        BODY=$body measure_all bare "$http_port" "$tls_port" "$pid"
        stop "$pid"
    done
}

# Other work on the machine (a compile, say) skews every number: measure it, and say so.
IDLE=$("${REPORT[@]}" idle 1)
((IDLE >= 90)) || log "warning: the machine is only ${IDLE}% idle before the runs; numbers" \
    "will be lower and noisier than on a quiet machine"

runs=0
for _ in $TARGETS; do for _ in $BODY; do runs=$((runs + 2)); done; done
log "about $((runs * (DURATION + WARMUP + 2) + 10))s of load: $runs runs of ${DURATION}s," \
    "$CONNECTIONS connections, pinning: ${PIN_SERVER[*]:-none}"

for target in $TARGETS; do
    "bench_$target"
done

# --- report --------------------------------------------------------------------------------

cp "$ORIGIN/nginx.conf" "$RAW/nginx-origin.conf"
cp "$RESULTS" "$RAW/results.tsv"
RESULT_FILE=$OUT/results-$STAMP.txt
{
    echo "Verge load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
        "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        "$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '(with local changes)')"
    echo "machine: $(nproc) CPUs, $(uname -r); $(nginx -v 2>&1 | sed 's/.*: //');" \
        "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(h2load --version | head -1)"
    echo "load: ${DURATION}s per run after ${WARMUP}s warm-up, $CONNECTIONS connections," \
        "$THREADS thread(s), h2load $STREAMS streams per connection"
    if ((${#PIN_SERVER[@]})); then
        echo "pinning: load generator on CPU $LOAD_CPUS, origin on CPU $ORIGIN_CPUS," \
            "server under test on CPU $SERVER_CPUS ($SERVER_WORKERS worker(s))"
    else
        echo "pinning: none; server under test with $SERVER_WORKERS worker(s)"
    fi
    echo "machine idle before the runs: ${IDLE}% (below 90%: other work skews the numbers)"
    echo "p99: wrk --latency (HTTP/1.1); nearest rank over h2load --log-file times (h2+tls)"
    echo "cpu %, load %, origin %, other %: CPU time during the run of the server under test,"
    echo "  of wrk or h2load, of the origin and of anything else; 100 = one core;" \
        "us/req: the server's CPU per request"
    echo
    "${REPORT[@]}" table "$RESULTS"
} | tee "$RESULT_FILE"
log "wrote $RESULT_FILE (raw output in $RAW)"
