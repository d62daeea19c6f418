#!/usr/bin/env bash
# bench/cache.sh: cache hits and origin offload, Verge beside Varnish, nginx proxy_cache and a
# bare hyper server, on loopback in front of one nginx origin. See bench/README.md.
#
# 1. Hits: each cache is warmed with a few requests (the script checks that the second is
#    reported as a hit), then loaded with wrk (HTTP/1.1) and h2load (h2c, and h2 over TLS where
#    the server has TLS) for 1 KiB and 100 KiB objects; the bare server answers the same body
#    from memory, the ceiling. Prints req/s, p99 and the ratios Verge / Varnish, Verge / nginx
#    and Verge / bare.
# 2. Offload: each cache gets a small store (ZIPF_CACHE_MB, memory only for Verge) and a
#    Zipf-distributed workload over ZIPF_OBJECTS distinct objects, several times larger than the
#    store; prints the origin requests per 1000 viewer requests (lower is better).
#
#   bash bench/cache.sh                                   # everything, 10 s per run
#   DURATION=3 BODY=1k ZIPF=0 bash bench/cache.sh         # a quick look at hits only
#   TARGETS="varnish nginx" DURATION=2 bash bench/cache.sh  # no Rust build at all
#
# Environment (defaults in brackets):
#   DURATION     seconds of load per hit measurement [10]
#   WARMUP       seconds of load before each hit measurement, not counted [1]
#   BODY         object sizes for the hit runs, from "1k 100k" [1k 100k]
#   PROTOCOLS    from "http/1.1 h2c h2+tls" [http/1.1 h2c h2+tls]
#   CONNECTIONS  connections of wrk and h2load [32]
#   STREAMS      concurrent streams per HTTP/2 connection (h2load -m) [10]
#   THREADS      load generator threads (wrk -t, h2load -t) [1]
#   TARGETS      from "verge varnish nginx bare" [verge varnish nginx bare]
#   SKIP_VERGE   1: neither build nor load Verge [0]
#   VERGE_ARGS   extra arguments appended to `verge serve --config FILE` []
#   VERGE_LOG    Verge's log filter during the runs [warn]
#   VERGE_CACHE_POLICY  cache_policy of Verge's behavior; empty: the default policy, which
#                follows the origin's Cache-Control [] (e.g. CachingOptimized)
#   CACHE_MEMORY Verge's [cache] memory_size and Varnish's malloc store for the hit runs [256MiB]
#   CACHE_DISK   Verge's [cache] disk_size for the hit runs [1GiB]
#   ZIPF         1: run the offload measurement too; 0: hits only [1]
#   ZIPF_OBJECTS distinct objects of the offload workload [65536]
#   ZIPF_BODY    their size, 1k or 100k [1k]
#   ZIPF_ALPHA   Zipf exponent [1.0]
#   ZIPF_CACHE_MB  store of each cache in the offload run, MiB [16]
#   ZIPF_WARMUP_REQUESTS  requests before the measured run, not counted [200000]
#   ZIPF_REQUESTS  requests of the measured offload run [200000]
#   ZIPF_MAX_SECONDS  cap on each offload run's length [120]
#   PIN          auto | 0: taskset the load generator and the server under test apart [auto]
#   LOAD_CPUS    CPUs of the load generator (and the origin) when pinned [0]
#   SERVER_CPUS  CPUs of the server under test when pinned [1]
#   ORIGIN_CPUS  CPUs of the origin nginx when pinned [LOAD_CPUS]
#   KEEP_TMP     1: keep the temporary directory (configs, logs, caches) [0]
#
# Installs nginx, wrk, h2load (nghttp2-client), varnish, openssl and curl from Debian when
# missing (needs root), builds `verge` and the `bare_hyper` example in release mode when TARGETS
# names them, and writes both tables to bench/out/cache-<date>.txt with the raw tool output, the
# configurations and the logs in bench/out/cache-raw-<date>/. Every server listens on 127.0.0.1
# on ports picked free at run time and is stopped on exit; every load run is capped with
# `timeout`, so after the build the script ends in bounded time (it prints the estimate).

set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
BODY=${BODY:-1k 100k}
PROTOCOLS=${PROTOCOLS:-http/1.1 h2c h2+tls}
CONNECTIONS=${CONNECTIONS:-32}
STREAMS=${STREAMS:-10}
THREADS=${THREADS:-1}
TARGETS=${TARGETS:-verge varnish nginx bare}
SKIP_VERGE=${SKIP_VERGE:-0}
VERGE_ARGS=${VERGE_ARGS:-}
VERGE_CACHE_POLICY=${VERGE_CACHE_POLICY:-}
CACHE_MEMORY=${CACHE_MEMORY:-256MiB}
CACHE_DISK=${CACHE_DISK:-1GiB}
ZIPF=${ZIPF:-1}
ZIPF_OBJECTS=${ZIPF_OBJECTS:-65536}
ZIPF_BODY=${ZIPF_BODY:-1k}
ZIPF_ALPHA=${ZIPF_ALPHA:-1.0}
ZIPF_CACHE_MB=${ZIPF_CACHE_MB:-16}
ZIPF_WARMUP_REQUESTS=${ZIPF_WARMUP_REQUESTS:-200000}
ZIPF_REQUESTS=${ZIPF_REQUESTS:-200000}
ZIPF_MAX_SECONDS=${ZIPF_MAX_SECONDS:-120}
PIN=${PIN:-auto}
LOAD_CPUS=${LOAD_CPUS:-0}
SERVER_CPUS=${SERVER_CPUS:-1}
ORIGIN_CPUS=${ORIGIN_CPUS:-$LOAD_CPUS}
KEEP_TMP=${KEEP_TMP:-0}

# Seconds a server gets to answer its first request after start (Varnish compiles its VCL with
# the C compiler first).
READY_TIMEOUT=20

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPORT=(python3 "$ROOT/bench/report.py")

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- settings ------------------------------------------------------------------------------

for name in DURATION WARMUP CONNECTIONS STREAMS THREADS ZIPF_OBJECTS ZIPF_CACHE_MB \
    ZIPF_WARMUP_REQUESTS ZIPF_REQUESTS ZIPF_MAX_SECONDS; do
    [[ ${!name} =~ ^[0-9]+$ && ${!name} -gt 0 ]] || die "$name must be a positive integer"
done
[[ $ZIPF_ALPHA =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "ZIPF_ALPHA must be a number like 1.0"
[[ $ZIPF == 0 || $ZIPF == 1 ]] || die "ZIPF takes 0 or 1"
for body in $BODY $ZIPF_BODY; do
    [[ $body == 1k || $body == 100k ]] || die "BODY and ZIPF_BODY take 1k or 100k, not '$body'"
done
for protocol in $PROTOCOLS; do
    [[ $protocol =~ ^(http/1\.1|h2c|h2\+tls)$ ]] ||
        die "PROTOCOLS takes http/1.1, h2c, h2+tls: '$protocol'"
done
for target in $TARGETS; do
    [[ $target =~ ^(verge|varnish|nginx|bare)$ ]] ||
        die "TARGETS takes verge, varnish, nginx, bare: '$target'"
done
if [[ $SKIP_VERGE == 1 ]]; then
    TARGETS=$(tr ' ' '\n' <<<"$TARGETS" | grep -vx verge | tr '\n' ' ' || true)
fi
wants() { [[ " $TARGETS " == *" $1 "* ]]; }

body_bytes() { case $1 in 1k) echo 1024 ;; 100k) echo 102400 ;; esac; }

# --- tools ---------------------------------------------------------------------------------

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if wants varnish; then command -v varnishd >/dev/null || missing+=(varnish); fi
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
nginx -V 2>&1 | grep -q -- --with-http_stub_status_module ||
    die "this nginx has no stub_status module, which counts the origin's requests"

# Pinning, as in run.sh: load generator and origin on LOAD_CPUS, the server under test apart.
PIN_LOAD=() PIN_SERVER=() PIN_ORIGIN=()
if [[ $PIN == auto ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_LOAD=(taskset -c "$LOAD_CPUS")
    PIN_SERVER=(taskset -c "$SERVER_CPUS")
    PIN_ORIGIN=(taskset -c "$ORIGIN_CPUS")
fi
SERVER_WORKERS=$("${PIN_SERVER[@]}" python3 -c 'import os; print(len(os.sched_getaffinity(0)))')

# --- build ---------------------------------------------------------------------------------

cd "$ROOT"
VERGE_PROBLEM=
if wants verge || wants bare; then
    TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    VERGE_BIN=$TARGET_DIR/release/verge
    BARE_BIN=$TARGET_DIR/release/examples/bare_hyper
    if wants verge; then
        log "building verge and bare_hyper (release)"
        if ! cargo build --release -p verge --bin verge --example bare_hyper; then
            VERGE_PROBLEM="build failed"
            log "verge did not build: measuring without it"
            wants bare && cargo build --release -p verge --example bare_hyper
        fi
    else
        log "building bare_hyper (release)"
        cargo build --release -p verge --example bare_hyper
    fi
fi

# --- scratch space and cleanup -------------------------------------------------------------

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/out
RAW=$OUT/cache-raw-$STAMP
mkdir -p "$RAW"
WORK=$(mktemp -d -t verge-cache-bench.XXXXXX)
# nginx workers and Varnish's worker process run as unprivileged users when started by root:
# they must reach the files.
chmod 755 "$WORK"
HITS=$WORK/hits.tsv
ZIPF_ROWS=$WORK/zipf.tsv
: >"$HITS"
: >"$ZIPF_ROWS"

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

# Prints N ports that were free a moment ago (a server that loses one fails its readiness check).
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
chmod a+r "$WORK/tls/key.pem"

nginx_common() {
    cat <<EOF
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
EOF
}

# Inside http {}: keep-alive without a request cap and temp paths inside the prefix.
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

run_nginx() {
    nginx -t -q -p "$1" -e "$1/error.log" -c "$1/nginx.conf" ||
        die "nginx rejected $1/nginx.conf"
    start "$1/stdout.log" "${@:2}" nginx -p "$1" -e "$1/error.log" -c "$1/nginx.conf"
}

# The origin marks every object cacheable for an hour and serves any /obj/<n> from one file, so
# the offload workload can ask for many distinct objects. stub_status counts its requests.
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
        add_header Cache-Control "max-age=3600";
        location /obj/ {
            try_files /$ZIPF_BODY.txt =404;
        }
        location = /_origin_status {
            stub_status;
        }
    }
}
EOF
} >"$ORIGIN/nginx.conf"
run_nginx "$ORIGIN" "${PIN_ORIGIN[@]}"
ORIGIN_PID=$STARTED
wait_ready "http://127.0.0.1:$ORIGIN_PORT/1k.txt" "$ORIGIN_PID" ||
    die "the origin nginx did not start: $(tail -5 "$ORIGIN/error.log" 2>/dev/null)"
log "origin nginx on 127.0.0.1:$ORIGIN_PORT"

# Requests the origin has received so far, including this status request.
origin_requests() {
    curl -fs --max-time 5 -o "$WORK/status" "http://127.0.0.1:$ORIGIN_PORT/_origin_status" &&
        "${REPORT[@]}" stub-requests "$WORK/status"
}

# --- the caches ----------------------------------------------------------------------------
# Each start_<target> starts one server with a store of the given size and sets PID, HTTP_PORT
# (HTTP/1.1), H2C_PORT and TLS_PORT (empty where the server has no such listener), or returns 1
# after saying why. Servers log to $RAW/<name>.log.

PID='' HTTP_PORT='' H2C_PORT='' TLS_PORT=''
# Where the current server keeps its state, for stored_objects.
VERGE_ADMIN='' VARNISH_STATE='' NGINX_CACHE=''

# Verge from a generated config file: one distribution for every host, the origin above, the
# default behavior with VERGE_CACHE_POLICY (or the default policy). Arguments: label,
# memory_size, disk_size.
start_verge() {
    local label=$1 memory=$2 disk=$3 admin_port policy=''
    local dir=$WORK/verge-$label
    [[ -z $VERGE_PROBLEM ]] || { log "verge: $VERGE_PROBLEM"; return 1; }
    read -r HTTP_PORT TLS_PORT admin_port <<<"$(free_ports 3)"
    VERGE_ADMIN=127.0.0.1:$admin_port
    H2C_PORT=$HTTP_PORT
    [[ -z $VERGE_CACHE_POLICY ]] || policy=", cache_policy = \"$VERGE_CACHE_POLICY\""
    mkdir -p "$dir/data"
    cat >"$dir/verge.toml" <<EOF
# Written by bench/cache.sh.
[node]
pop = "bench1"
data_dir = "$dir/data"
admin = "127.0.0.1:$admin_port"

[[listeners]]
address = "127.0.0.1:$HTTP_PORT"

[[listeners]]
address = "127.0.0.1:$TLS_PORT"
tls = true

[cache]
memory_size = "$memory"
disk_size = "$disk"

[[distributions]]
id = "bench"
domains = ["*"]
default_cache_behavior = { target_origin = "origin"$policy }

[[distributions.origins]]
id = "origin"
domain_name = "127.0.0.1"
http_port = $ORIGIN_PORT
protocol_policy = "http-only"
EOF
    cp "$dir/verge.toml" "$RAW/verge-$label.toml"
    # shellcheck disable=SC2086 # VERGE_ARGS is a list of words
    VERGE_LOG=${VERGE_LOG:-warn} start "$RAW/verge-$label.log" "${PIN_SERVER[@]}" "$VERGE_BIN" \
        serve --config "$dir/verge.toml" $VERGE_ARGS
    PID=$STARTED
    if ! wait_ready "http://127.0.0.1:$HTTP_PORT/1k.txt" "$PID"; then
        log "verge exited or did not answer within ${READY_TIMEOUT}s; its log ends with:"
        tail -n 20 "$RAW/verge-$label.log" >&2 || true
        stop "$PID"
        return 1
    fi
    log "verge on 127.0.0.1:$HTTP_PORT (TLS $TLS_PORT), memory $memory, disk $disk"
}

# varnishd in the foreground with the built-in VCL plus a one-hour TTL, a malloc store of the
# given size and HTTP/2 (h2c by prior knowledge) switched on. Arguments: label, size as
# varnishd's -s takes it (256m).
start_varnish() {
    local label=$1 size=$2 jail=()
    local dir=$WORK/varnish-$label
    VARNISH_STATE=$dir/state
    read -r HTTP_PORT <<<"$(free_ports 1)"
    H2C_PORT=$HTTP_PORT TLS_PORT=''
    mkdir -p "$dir"
    cat >"$dir/bench.vcl" <<EOF
vcl 4.1;

backend origin {
    .host = "127.0.0.1";
    .port = "$ORIGIN_PORT";
}

sub vcl_backend_response {
    set beresp.ttl = 1h;
}
EOF
    cp "$dir/bench.vcl" "$RAW/varnish-$label.vcl"
    # As root varnishd drops to its own users (the package's varnish and vcache); otherwise it
    # cannot switch users and runs unjailed as whoever started it.
    [[ $(id -u) == 0 ]] || jail=(-j none)
    start "$RAW/varnish-$label.log" "${PIN_SERVER[@]}" varnishd -F "${jail[@]}" \
        -n "$VARNISH_STATE" -f "$dir/bench.vcl" -a "127.0.0.1:$HTTP_PORT" -T none \
        -s "malloc,$size" -p feature=+http2
    PID=$STARTED
    if ! wait_ready "http://127.0.0.1:$HTTP_PORT/1k.txt" "$PID"; then
        log "varnishd exited or did not answer within ${READY_TIMEOUT}s; its log ends with:"
        tail -n 20 "$RAW/varnish-$label.log" >&2 || true
        stop "$PID"
        return 1
    fi
    log "varnish on 127.0.0.1:$HTTP_PORT (h2c on the same port), malloc $size"
}

# nginx with proxy_cache in the scratch directory: cached responses are files, read through the
# page cache. Arguments: label, max_size.
start_nginx() {
    local label=$1 max_size=$2 h2c_listen='' tls_listen=''
    local dir=$WORK/nginx-$label
    NGINX_CACHE=$dir/cache
    read -r HTTP_PORT H2C_PORT TLS_PORT <<<"$(free_ports 3)"
    if ((NGINX_H2)); then
        # nginx 1.22 speaks h2c only by prior knowledge, on a port of its own.
        h2c_listen="listen 127.0.0.1:$H2C_PORT http2;"
        tls_listen="listen 127.0.0.1:$TLS_PORT ssl http2;"
    else
        H2C_PORT='' TLS_PORT=''
    fi
    mkdir -p "$dir"
    {
        echo "worker_processes $SERVER_WORKERS;"
        nginx_common "$dir"
        echo "http {"
        nginx_http_common "$dir"
        cat <<EOF
    # Debian's packaged nginx.conf turns sendfile on; it serves cached files of plain HTTP.
    sendfile on;
    # One key takes about 128 bytes of the zone: 32 MiB hold far more keys than any run makes,
    # so only max_size limits what stays cached.
    proxy_cache_path $NGINX_CACHE levels=1:2 keys_zone=bench:32m max_size=$max_size inactive=1h
                     use_temp_path=off;
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$HTTP_PORT;
        $h2c_listen
        $tls_listen
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
            proxy_cache_valid 200 1h;
            proxy_cache_lock on;
            add_header X-Cache-Status \$upstream_cache_status;
        }
    }
}
EOF
    } >"$dir/nginx.conf"
    cp "$dir/nginx.conf" "$RAW/nginx-$label.conf"
    run_nginx "$dir" "${PIN_SERVER[@]}"
    PID=$STARTED
    if ! wait_ready "http://127.0.0.1:$HTTP_PORT/1k.txt" "$PID"; then
        log "nginx proxy_cache did not start: $(tail -5 "$dir/error.log" 2>/dev/null)"
        stop "$PID"
        return 1
    fi
    log "nginx proxy_cache on 127.0.0.1:$HTTP_PORT (h2c ${H2C_PORT:-none}," \
        "TLS ${TLS_PORT:-none}), max_size $max_size, $SERVER_WORKERS worker(s)"
}

# The bare server answers every path with the file's contents. Arguments: body.
start_bare() {
    read -r HTTP_PORT TLS_PORT <<<"$(free_ports 2)"
    H2C_PORT=$HTTP_PORT
    start "$RAW/bare-$1.log" "${PIN_SERVER[@]}" "$BARE_BIN" \
        --listen "127.0.0.1:$HTTP_PORT" --body "$WORK/www/$1.txt" \
        --tls-listen "127.0.0.1:$TLS_PORT" --tls-cert "$WORK/tls/cert.pem" \
        --tls-key "$WORK/tls/key.pem"
    PID=$STARTED
    if ! wait_ready "http://127.0.0.1:$HTTP_PORT/" "$PID"; then
        log "bare_hyper did not start: $(tail -5 "$RAW/bare-$1.log")"
        stop "$PID"
        return 1
    fi
}

# The note for the rows of a target that did not start.
start_problem() {
    if [[ $1 == verge && -n $VERGE_PROBLEM ]]; then echo "$VERGE_PROBLEM"; else
        echo "did not start, see its log"; fi
}

# --- hit measurement -----------------------------------------------------------------------

record() { # fields of one row of $1
    local file=$1 IFS=$'\t'
    shift
    echo "$*" >>"$file"
}

# target protocol body note
skip_row() { record "$HITS" "$1" "$2" "$3" - - - - - - - - - "$4"; }

cpu_mark() { "${REPORT[@]}" cpu-mark "$1" "$ORIGIN_PID"; }

# The URL and curl flags of PROTOCOL on the current server, in URL and CURL_FLAGS; 1 when the
# server has no listener for it.
protocol_url() { # protocol path
    case $1 in
    http/1.1) URL="http://127.0.0.1:$HTTP_PORT$2" CURL_FLAGS=(--http1.1) ;;
    h2c)
        [[ -n $H2C_PORT ]] || return 1
        URL="http://127.0.0.1:$H2C_PORT$2" CURL_FLAGS=(--http2-prior-knowledge)
        ;;
    h2+tls)
        [[ -n $TLS_PORT ]] || return 1
        # 127.0.0.1 on the wire, `localhost` in SNI and :authority, as in run.sh.
        URL="https://localhost:$TLS_PORT$2"
        CURL_FLAGS=(--http2 --resolve "localhost:$TLS_PORT:127.0.0.1")
        ;;
    esac
}

# Sends three requests for URL and keeps their headers in FILE; sets WARM to "hit" when
# the second and third were reported as hits by the target's own header, "MISS" otherwise, "-"
# for the bare server. Fails when an answer is not 200 with the whole body over the protocol.
# Arguments: target url expected-bytes file curl-flags...
warm_up() {
    local target=$1 url=$2 bytes=$3 file=$4 got want_version=2 n
    shift 4
    [[ $1 == --http1.1 ]] && want_version=1.1
    : >"$file"
    for n in 1 2 3; do
        got=$(curl -sk -D "$WORK/headers.$n" -o /dev/null --max-time 5 \
            -w '%{http_code} %{size_download} %{http_version}' "$@" "$url") || true
        if [[ $got != "200 $bytes $want_version" ]]; then
            log "$url answered '$got' (status, bytes, HTTP version)," \
                "wanted 200, $bytes bytes, HTTP/$want_version"
            return 1
        fi
        { echo "# request $n: $url"; cat "$WORK/headers.$n"; } >>"$file"
    done
    WARM=hit
    for n in 2 3; do
        case $target in
        verge) grep -qi '^x-cache: Hit from verge' "$WORK/headers.$n" || WARM=MISS ;;
        varnish) grep -Eqi '^x-varnish: [0-9]+ [0-9]+' "$WORK/headers.$n" || WARM=MISS ;;
        nginx) grep -qi '^x-cache-status: HIT' "$WORK/headers.$n" || WARM=MISS ;;
        *) WARM=- ;;
        esac
    done
    [[ $WARM != MISS ]] ||
        log "$target did not report a hit on the second request for $url (see $file)"
}

# Runs one bounded load command and records its row with the requests the origin received
# meanwhile. Arguments: output file, target, protocol, body, report.py parser and its files,
# --, command...
load() {
    local out=$1 target=$2 protocol=$3 body=$4 parser=()
    local before after origin_before origin_after result usage user system
    shift 4
    while [[ $1 != -- ]]; do parser+=("$1"); shift; done
    shift
    local TIMEFORMAT='%U %S'
    origin_before=$(origin_requests)
    before=$(cpu_mark "$PID")
    if { time timeout $((WARMUP + DURATION + 30)) "${PIN_LOAD[@]}" "$@" >"$out" 2>&1; } \
        2>"$WORK/time"; then
        after=$(cpu_mark "$PID")
        origin_after=$(origin_requests)
        if result=$("${REPORT[@]}" "${parser[@]}"); then
            read -r user system <"$WORK/time"
            usage=$("${REPORT[@]}" cpu-percent "$before" "$after" \
                "$(python3 -c "print($user + $system)")")
            # result is "rps p99 errors", usage "server load origin other"; the status request
            # itself is the one origin request to take away.
            # shellcheck disable=SC2086
            record "$HITS" "$target" "$protocol" "$body" $result $usage \
                $((origin_after - origin_before - 1)) "$WARM" ""
            return
        fi
    fi
    record "$HITS" "$target" "$protocol" "$body" - - - - - - - - "$WARM" \
        "$1 failed, see $(basename "$out")"
}

# Warms up and loads the current server with one body over every protocol. Arguments: target
# body.
measure_body() {
    local target=$1 body=$2 protocol name out requests=$WORK/h2load-requests.log
    for protocol in $PROTOCOLS; do
        if ! protocol_url "$protocol" "/$body.txt"; then
            skip_row "$target" "$protocol" "$body" "no $protocol listener"
            continue
        fi
        name=$target-${protocol//[\/+.]/}-$body
        out=$RAW/$name.txt
        if ! warm_up "$target" "$URL" "$(body_bytes "$body")" "$RAW/$name.headers" \
            "${CURL_FLAGS[@]}" -k; then
            skip_row "$target" "$protocol" "$body" "bad answer to curl, see stderr"
            continue
        fi
        log "$target: $protocol, $body body, ${DURATION}s ($WARM on warm-up)"
        case $protocol in
        http/1.1)
            timeout $((WARMUP + 10)) "${PIN_LOAD[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" \
                -d"${WARMUP}s" "$URL" >/dev/null || true
            load "$out" "$target" "$protocol" "$body" wrk "$out" -- \
                wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$URL"
            ;;
        h2c)
            load "$out" "$target" "$protocol" "$body" h2load "$out" "$requests" -- \
                h2load -c"$CONNECTIONS" -m"$STREAMS" -t"$THREADS" -D "$DURATION" \
                --warm-up-time="$WARMUP" --log-file="$requests" "$URL"
            ;;
        h2+tls)
            load "$out" "$target" "$protocol" "$body" h2load "$out" "$requests" -- \
                h2load -c"$CONNECTIONS" -m"$STREAMS" -t"$THREADS" -D "$DURATION" \
                --warm-up-time="$WARMUP" --connect-to="127.0.0.1:$TLS_PORT" \
                --log-file="$requests" "$URL"
            ;;
        esac
        rm -f "$requests"
    done
}

skip_target() { # target note
    local body protocol
    for body in $BODY; do
        for protocol in $PROTOCOLS; do skip_row "$1" "$protocol" "$body" "$2"; done
    done
}

hits_target() {
    local target=$1 body
    case $target in
    verge) start_verge hits "$CACHE_MEMORY" "$CACHE_DISK" ;;
    varnish) start_varnish hits "$(varnish_size "$CACHE_MEMORY")" ;;
    nginx) start_nginx hits "$(nginx_size "$CACHE_DISK")" ;;
    bare)
        # The bare server holds one body, so it is started once per body.
        for body in $BODY; do
            if start_bare "$body"; then
                measure_body bare "$body"
                stop "$PID"
            else
                for protocol in $PROTOCOLS; do
                    skip_row bare "$protocol" "$body" "did not start, see bare-$body.log"
                done
            fi
        done
        return
        ;;
    esac || { skip_target "$target" "$(start_problem "$target")"; return; }
    for body in $BODY; do measure_body "$target" "$body"; done
    stop "$PID"
}

# Verge's sizes ("256MiB", "1GiB", "16MiB") in varnishd's and nginx's spelling ("256m").
size_mib() { python3 -c "
import sys
text = sys.argv[1].strip().lower()
units = {'kib': 1 / 1024, 'mib': 1, 'gib': 1024, 'k': 1 / 1024, 'm': 1, 'g': 1024}
for unit, factor in units.items():
    if text.endswith(unit):
        print(max(1, int(float(text[: -len(unit)]) * factor)))
        break
else:
    sys.exit('size ' + sys.argv[1] + ': use KiB, MiB or GiB')
" "$1"; }
varnish_size() { echo "$(size_mib "$1")m"; }
nginx_size() { echo "$(size_mib "$1")m"; }

# --- offload measurement -------------------------------------------------------------------

# The wrk script: each request draws a rank from the Zipf CDF (one cumulative probability per
# line, rank 1 first) with a seeded generator, so every cache sees the same sequence of paths,
# and asks for /obj/<rank>. Each thread stops after its share of the requests; wrk itself waits
# out its -d duration unless interrupted, so the last thread to finish sends it SIGINT, upon
# which wrk prints its summary over the time actually run.
write_zipf_lua() {
    cat >"$1" <<'EOF'
-- Written by bench/cache.sh: Zipf-distributed object paths for wrk.
-- wrk -s zipf.lua URL -- CDF_FILE REQUESTS_PER_THREAD SEED THREADS DONE_FILE
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end

function init(args)
    cdf = {}
    for line in io.lines(args[1]) do
        cdf[#cdf + 1] = tonumber(line)
    end
    objects = #cdf
    remaining = tonumber(args[2])
    math.randomseed(tonumber(args[3]) * 1000 + thread_number)
    thread_count = tonumber(args[4])
    done_file = args[5]
end

function request()
    local u, low, high = math.random(), 1, objects
    -- The first rank whose cumulative probability reaches u.
    while low < high do
        local middle = math.floor((low + high) / 2)
        if cdf[middle] < u then low = middle + 1 else high = middle end
    end
    return wrk.format("GET", "/obj/" .. low)
end

function response(status, headers, body)
    remaining = remaining - 1
    if remaining ~= 0 then
        return
    end
    -- Threads share nothing but the file system: each appends a line, and the one that sees
    -- them all ends the run. popen's shell is wrk's child, so $PPID is wrk. The signal ends
    -- wrk's wait only when the main thread takes it, which is certain once the others have
    -- exited: it is sent again every 0.2 s until wrk is gone.
    local done = io.open(done_file, "a")
    done:write("done\n")
    done:close()
    local finished = 0
    for _ in io.lines(done_file) do
        finished = finished + 1
    end
    if finished >= thread_count then
        io.popen("(for i in 1 2 3 4 5 6 7 8 9 10; do kill -INT $PPID || break; sleep 0.2; "
            .. "done) >/dev/null 2>&1 &"):close()
    end
    wrk.thread:stop()
end
EOF
}

# One bounded wrk run of the Zipf workload against the current server. Arguments: output file,
# total requests, seed.
zipf_run() {
    local per_thread=$((($2 + THREADS - 1) / THREADS)) done_file=$WORK/zipf-done
    rm -f "$done_file"
    timeout $((ZIPF_MAX_SECONDS + 30)) "${PIN_LOAD[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"${ZIPF_MAX_SECONDS}s" -s "$WORK/zipf.lua" "http://127.0.0.1:$HTTP_PORT/" \
        -- "$WORK/zipf-cdf.txt" "$per_thread" "$3" "$THREADS" "$done_file" >"$1" 2>&1
}

# Objects the current cache holds, by its own count: Verge's verge_cache_entries (all tiers),
# Varnish's MAIN.n_object, the files in nginx's cache directory; "-" when unknown.
stored_objects() {
    local count=
    case $1 in
    verge)
        count=$(curl -fs --max-time 5 "http://$VERGE_ADMIN/metrics" |
            awk '/^verge_cache_entries[{ ]/ { n += $NF; seen = 1 } END { if (seen) print n }') ||
            true
        ;;
    varnish)
        count=$(varnishstat -n "$VARNISH_STATE" -1 -f MAIN.n_object 2>/dev/null |
            awk '{ print $2 }') || true
        ;;
    nginx) count=$(find "$NGINX_CACHE" -type f | wc -l) ;;
    esac
    echo "${count:--}"
}

zipf_target() {
    local target=$1 size=${ZIPF_CACHE_MB} got before after result
    case $target in
    verge) start_verge zipf "${size}MiB" 0 ;;
    varnish) start_varnish zipf "${size}m" ;;
    nginx) start_nginx zipf "${size}m" ;;
    esac || {
        record "$ZIPF_ROWS" "$target" - - - - - "$(start_problem "$target")"
        return
    }
    got=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' \
        "http://127.0.0.1:$HTTP_PORT/obj/1") || true
    if [[ $got != "200 $(body_bytes "$ZIPF_BODY")" ]]; then
        record "$ZIPF_ROWS" "$target" - - - - - "/obj/1 answered '$got'"
        stop "$PID"
        return
    fi

    log "$target: offload, $ZIPF_WARMUP_REQUESTS warm-up requests"
    zipf_run "$RAW/$target-zipf-warmup.txt" "$ZIPF_WARMUP_REQUESTS" 1 ||
        log "$target: the offload warm-up run failed, see $target-zipf-warmup.txt"
    log "$target: offload, $ZIPF_REQUESTS measured requests"
    before=$(origin_requests)
    if zipf_run "$RAW/$target-zipf.txt" "$ZIPF_REQUESTS" 2 &&
        after=$(origin_requests) &&
        result=$("${REPORT[@]}" wrk-count "$RAW/$target-zipf.txt"); then
        local viewer errors rps
        read -r viewer errors rps <<<"$result"
        record "$ZIPF_ROWS" "$target" "$viewer" $((after - before - 1)) "$rps" "$errors" \
            "$(stored_objects "$target")" ""
    else
        record "$ZIPF_ROWS" "$target" - - - - - "wrk failed, see $target-zipf.txt"
    fi
    stop "$PID"
}

# --- runs ----------------------------------------------------------------------------------

IDLE=$("${REPORT[@]}" idle 1)
((IDLE >= 90)) || log "warning: the machine is only ${IDLE}% idle before the runs; numbers" \
    "will be lower and noisier than on a quiet machine"

runs=0
for target in $TARGETS; do
    for _ in $BODY; do
        for protocol in $PROTOCOLS; do
            [[ $target == varnish && $protocol == h2+tls ]] || runs=$((runs + 1))
        done
    done
done
zipf_targets=$(tr ' ' '\n' <<<"$TARGETS" | grep -vx bare | tr '\n' ' ' || true)
log "about $((runs * (DURATION + WARMUP + 2) + 10))s of hit load: $runs runs of ${DURATION}s," \
    "$CONNECTIONS connections, pinning: ${PIN_SERVER[*]:-none}"
if ((ZIPF)) && [[ -n ${zipf_targets// /} ]]; then
    log "then the offload runs: $ZIPF_WARMUP_REQUESTS + $ZIPF_REQUESTS requests for each of" \
        "$zipf_targets(at most $((2 * ZIPF_MAX_SECONDS))s each)"
fi

for target in $TARGETS; do
    hits_target "$target"
done

RESIDENT=$((ZIPF_CACHE_MB * 1048576 / $(body_bytes "$ZIPF_BODY")))
if ((ZIPF)) && [[ -n ${zipf_targets// /} ]]; then
    "${REPORT[@]}" zipf-cdf "$ZIPF_OBJECTS" "$ZIPF_ALPHA" "$WORK/zipf-cdf.txt"
    write_zipf_lua "$WORK/zipf.lua"
    cp "$WORK/zipf.lua" "$RAW/zipf.lua"
    for target in $zipf_targets; do
        zipf_target "$target"
    done
fi

# --- report --------------------------------------------------------------------------------

cp "$ORIGIN/nginx.conf" "$RAW/nginx-origin.conf"
cp "$HITS" "$RAW/hits.tsv"
cp "$ZIPF_ROWS" "$RAW/zipf.tsv"
RESULT_FILE=$OUT/cache-$STAMP.txt
{
    echo "Verge cache benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
        "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        "$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '(with local changes)')"
    echo "machine: $(nproc) CPUs, $(uname -r); $(nginx -v 2>&1 | sed 's/.*: //');" \
        "$(varnishd -V 2>&1 | head -1 | cut -d' ' -f2 | tr -d '(')" \
        "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(h2load --version | head -1)"
    echo "load: ${DURATION}s per run after ${WARMUP}s warm-up, $CONNECTIONS connections," \
        "$THREADS thread(s), h2load $STREAMS streams per connection"
    if ((${#PIN_SERVER[@]})); then
        echo "pinning: load generator on CPU $LOAD_CPUS, origin on CPU $ORIGIN_CPUS," \
            "server under test on CPU $SERVER_CPUS ($SERVER_WORKERS worker(s))"
    else
        echo "pinning: none; server under test with $SERVER_WORKERS worker(s)"
    fi
    echo "caches for the hit runs: Verge memory $CACHE_MEMORY, disk $CACHE_DISK," \
        "policy ${VERGE_CACHE_POLICY:-default, following the origin Cache-Control};" \
        "Varnish malloc $(varnish_size "$CACHE_MEMORY"); nginx max_size $(nginx_size "$CACHE_DISK")"
    echo "machine idle before the runs: ${IDLE}% (below 90%: other work skews the numbers)"
    echo
    echo "Cache hits"
    echo
    "${REPORT[@]}" cache-table "$HITS"
    if [[ -s $ZIPF_ROWS ]]; then
        echo
        echo "Origin offload: $ZIPF_OBJECTS objects of $ZIPF_BODY, Zipf alpha $ZIPF_ALPHA," \
            "${ZIPF_CACHE_MB} MiB per cache (Verge memory only, Varnish malloc, nginx max_size);"
        echo "$ZIPF_WARMUP_REQUESTS warm-up requests, then $ZIPF_REQUESTS measured, over" \
            "$CONNECTIONS connections"
        echo
        "${REPORT[@]}" zipf-table "$ZIPF_ROWS" "$ZIPF_OBJECTS" "$ZIPF_ALPHA" "$RESIDENT"
    fi
} | tee "$RESULT_FILE"
log "wrote $RESULT_FILE (raw output in $RAW)"
