#!/usr/bin/env python3
"""Parsing and reporting for bench/run.sh and bench/cache.sh (standard library only).

  report.py wrk OUTPUT              -> "req/s p99_ms errors" from wrk --latency output
  report.py h2load OUTPUT LOG       -> the same from h2load output and its --log-file
  report.py cpu-mark PID ORIGIN_PID -> "wall:server:origin:machine" CPU seconds so far
  report.py cpu-percent MARK MARK LOAD_SECONDS -> "server load origin other" CPU use, % of a core
  report.py idle SECONDS            -> % of all CPUs idle over the next SECONDS
  report.py table RESULTS.tsv       -> the results table with ratios to nginx and bare hyper

RESULTS.tsv rows: target, protocol, body, req/s, p99 ms, errors, then CPU use in % of one core of
the server, the load generator, the origin and everything else, then a note ("-" where a run did
not happen).

For bench/cache.sh:

  report.py wrk-count OUTPUT        -> "requests errors req/s" from wrk output
  report.py stub-requests FILE      -> the request counter of an nginx stub_status page
  report.py zipf-cdf N ALPHA OUT    -> writes the Zipf(ALPHA) CDF over ranks 1..N, one a line
  report.py zipf-bound N ALPHA K    -> origin requests per 1000 of a cache always holding the
                                       K most popular of N objects (the best any cache can do)
  report.py cache-table HITS.tsv    -> the cache hit table with ratios to Varnish, nginx, bare
  report.py zipf-table ZIPF.tsv N ALPHA K -> the origin offload table, with that bound

HITS.tsv rows: as RESULTS.tsv up to the CPU columns, then the requests the origin received during
the run, the warm-up check ("hit", "MISS" or "-") and a note. ZIPF.tsv rows: target, viewer
requests, origin requests, req/s, errors, objects stored at the end, note.
"""

import math
import os
import re
import sys
import time

# wrk prints durations with these units (see its format_time).
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}

TARGET_NAMES = {"verge": "Verge", "verge-fn": "Verge + function", "verge-waf": "Verge + web ACL",
                "nginx": "nginx", "nginx-modsec": "nginx + ModSecurity", "bare": "bare hyper"}

# bench/cache.sh's nginx is a caching proxy, and it adds Varnish.
CACHE_NAMES = {"verge": "Verge", "varnish": "Varnish", "nginx": "nginx proxy_cache",
               "bare": "bare hyper"}


def fail(message):
    sys.exit(f"report.py: {message}")


def wrk(path):
    text = open(path).read()
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    if not rps or not p99:
        fail(f"{path}: no 'Requests/sec' or '99%' line (was wrk run with --latency?)")
    errors = wrk_errors(text)
    p99_ms = float(p99.group(1)) * UNIT_MS[p99.group(2)]
    print(f"{float(rps.group(1)):.0f} {p99_ms:.3f} {errors}")


def wrk_errors(text):
    """wrk's socket errors plus its non-2xx/3xx answers."""
    errors = 0
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_ok:
        errors += int(non_ok.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       text)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return errors


def wrk_count(path):
    """Completed requests, errors and req/s of a wrk run (one without --latency will do)."""
    text = open(path).read()
    total = re.search(r"^\s*(\d+) requests in ", text, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not total or not rps:
        fail(f"{path}: no 'requests in' or 'Requests/sec' line")
    print(f"{total.group(1)} {wrk_errors(text)} {float(rps.group(1)):.0f}")


def stub_requests(path):
    """The third number of stub_status's third line: requests since nginx started."""
    lines = open(path).read().splitlines()
    if len(lines) < 3 or len(lines[2].split()) != 3:
        fail(f"{path}: not an nginx stub_status page")
    print(int(lines[2].split()[2]))


def zipf_weights(objects, alpha):
    return [1.0 / rank ** alpha for rank in range(1, objects + 1)]


def zipf_cdf(objects, alpha, out_path):
    """P(rank <= k) for k = 1..N; the last line is exactly 1 so a draw in [0, 1) always lands."""
    objects, alpha = int(objects), float(alpha)
    if objects < 1 or alpha < 0:
        fail("zipf-cdf wants N >= 1 and ALPHA >= 0")
    weights = zipf_weights(objects, alpha)
    total = sum(weights)
    running = 0.0
    with open(out_path, "w") as out:
        for weight in weights[:-1]:
            running += weight
            out.write(f"{running / total:.12g}\n")
        out.write("1\n")


def zipf_bound_value(objects, alpha, resident):
    """The share of requests outside the K most popular objects, per 1000: the origin requests of
    a cache that always held exactly those, with no per-object overhead and no cold start."""
    weights = zipf_weights(int(objects), float(alpha))
    resident = max(0, min(int(resident), len(weights)))
    return 1000 * (1 - sum(weights[:resident]) / sum(weights))


def zipf_bound(objects, alpha, resident):
    print(f"{zipf_bound_value(objects, alpha, resident):.1f}")


def read_rows(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def print_aligned(lines, left):
    """Prints rows of cells in columns: those whose index is in LEFT left-aligned."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        cells = [cell.ljust(w) if i in left else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(line, widths))]
        print("  ".join(cells).rstrip())


def cache_table(path):
    rows = read_rows(path)

    def rps_of(target, protocol, body):
        for row in rows:
            if row[:3] == [target, protocol, body] and row[3] != "-":
                return float(row[3])
        return None

    references = ("varnish", "nginx", "bare")
    header = ["target", "protocol", "body", "req/s", "p99 ms", "errors", "cpu %", "us/req",
              "load %", "origin %", "other %", "origin req", "warm-up"]
    header += [f"/ {reference}" for reference in references] + ["note"]
    lines = [header]
    for row in rows:
        target, protocol, body, rps, p99, errors, cpu, load, origin, other = row[:10]
        origin_requests, warm, note = row[10:13]
        ratios = []
        for reference in references:
            base = rps_of(reference, protocol, body)
            ratios.append(f"{float(rps) / base:.2f}" if rps != "-" and base else "-")
        cost = f"{float(cpu) / 100 * 1e6 / float(rps):.1f}" if "-" not in (cpu, rps) else "-"
        name = CACHE_NAMES.get(target, target)
        lines.append([name, protocol, body, rps, p99, errors, cpu, cost, load, origin, other,
                      origin_requests, warm, *ratios, note])
    print_aligned(lines, left={0, 1, 2, 12, len(header) - 1})

    print()
    print("Every row but the bare server's is a cache hit: 'warm-up' says whether the second of")
    print("three requests before the run was reported as a hit, and 'origin req' counts the")
    print("requests the origin received during the run (0 when every request was a hit).")
    print("Ratios are this row's req/s over Varnish's, nginx's or the bare server's for the same")
    print("protocol and body. Targets: Verge / Varnish >= 1.00, Verge / nginx >= 1.00,")
    print("Verge / bare >= 0.80. A server well under 100 cpu % per core it was given was not the")
    print("bottleneck: compare us/req (its CPU per request) instead. Rows with other % above 10")
    print("shared the machine with other work: run them again.")
    targets = (("varnish", "Varnish", 1.0), ("nginx", "nginx", 1.0), ("bare", "bare", 0.8))
    for protocol, body in dict.fromkeys((r[1], r[2]) for r in rows):
        verge = rps_of("verge", protocol, body)
        if not verge:
            continue
        parts = []
        for reference, name, goal in targets:
            base = rps_of(reference, protocol, body)
            if base:
                verdict = "met" if verge / base >= goal else "below"
                parts.append(f"Verge / {name} = {verge / base:.2f} ({verdict} {goal:.2f})")
        if parts:
            print(f"  {protocol} {body}: " + ", ".join(parts))


def zipf_table(path, objects, alpha, resident):
    rows = read_rows(path)
    header = ["target", "viewer req", "origin req", "origin per 1000", "req/s", "errors",
              "objects at end", "note"]
    lines = [header]
    for target, viewer, origin, rps, errors, stored, note in rows:
        per_1000 = "-"
        if "-" not in (viewer, origin) and int(viewer) > 0:
            per_1000 = f"{1000 * int(origin) / int(viewer):.1f}"
        lines.append([CACHE_NAMES.get(target, target), viewer, origin, per_1000, rps, errors,
                      stored, note])
    print_aligned(lines, left={0, 7})
    print()
    print("origin per 1000: origin requests per 1000 viewer requests in the measured run, after")
    print("a warm-up run of the same distribution; lower is better. A cache that always held the")
    print(f"{resident} most popular objects (its size over the body size, with no overhead) would")
    print(f"send {zipf_bound_value(objects, alpha, resident):.1f} per 1000: no cache of that size "
          "can do better.")
    print("objects at end: what the cache held after the run, by its own count (Verge's")
    print("verge_cache_entries, Varnish's MAIN.n_object, nginx's files); more objects than its")
    print(f"size allows ({resident} of this body) means it overran its limit during the run.")


def h2load(path, log_path):
    text = open(path).read()
    rps = re.search(r"^finished in [\d.]+\w*, ([\d.]+) req/s", text, re.M)
    counts = re.search(r"^requests: .* (\d+) failed, \d+ errored, (\d+) timeout", text, re.M)
    if not rps or not counts:
        fail(f"{path}: no 'finished in' or 'requests:' line")

    # Column 3 of h2load's log file: microseconds from request start to end of response.
    times = []
    with open(log_path) as log:
        for line in log:
            fields = line.split("\t")
            if len(fields) >= 3:
                times.append(int(fields[2]))
    if not times:
        fail(f"{log_path}: no requests logged")
    times.sort()
    # Nearest-rank percentile.
    p99_us = times[max(0, math.ceil(0.99 * len(times)) - 1)]
    errors = int(counts.group(1)) + int(counts.group(2))
    print(f"{float(rps.group(1)):.0f} {p99_us / 1000:.3f} {errors}")


def cpu_mark(server_pid, origin_pid):
    """Wall clock, CPU seconds of the server and of the origin (each with its direct children,
    such as nginx's workers) and CPU seconds of the whole machine, so far."""

    def parent_and_ticks(stat):
        # Fields after the parenthesised command name; ppid, utime and stime are fields 4, 14, 15.
        rest = stat[stat.rindex(")") + 2 :].split()
        return rest[1], int(rest[11]) + int(rest[12])

    server = origin = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent, used = parent_and_ticks(f.read())
        except (OSError, ValueError, IndexError):
            continue
        if server_pid in (entry, parent):
            server += used
        elif origin_pid in (entry, parent):
            origin += used
    hz = os.sysconf("SC_CLK_TCK")
    print(f"{time.time():.3f}:{server / hz:.2f}:{origin / hz:.2f}:{busy_ticks() / hz:.2f}")


def busy_ticks():
    """Ticks all CPUs spent on anything but idle and iowait."""
    with open("/proc/stat") as f:
        # First line: "cpu" then user nice system idle iowait irq softirq steal ...
        fields = [int(n) for n in f.readline().split()[1:9]]
    return sum(fields) - fields[3] - fields[4]


def cpu_percent(before, after, load_seconds):
    """From two cpu-mark outputs and the load generator's CPU seconds, in % of one core: the
    server's use, the load generator's, the origin's, and the rest of the machine's, which should
    stay near 0 on a quiet machine."""
    start, end = (list(map(float, mark.split(":"))) for mark in (before, after))
    wall, server, origin, busy = (b - a for a, b in zip(start, end))
    load = float(load_seconds)
    other = max(0.0, busy - server - origin - load)
    print(" ".join(f"{seconds / wall * 100:.0f}" for seconds in (server, load, origin, other)))


def idle(seconds):
    def sample():
        with open("/proc/stat") as f:
            fields = [int(n) for n in f.readline().split()[1:9]]
        return fields[3] + fields[4], sum(fields)

    idle_0, total_0 = sample()
    time.sleep(float(seconds))
    idle_1, total_1 = sample()
    print(f"{(idle_1 - idle_0) / max(1, total_1 - total_0) * 100:.0f}")


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(line.rstrip("\n").split("\t"))

    def row_of(target, protocol, body):
        for row in rows:
            if row[:3] == [target, protocol, body] and row[3] != "-":
                return row
        return None

    def rps_of(target, protocol, body):
        row = row_of(target, protocol, body)
        return float(row[3]) if row else None

    def cost_of(target, protocol, body):
        row = row_of(target, protocol, body)
        return float(row[6]) / float(row[3]) if row and row[6] != "-" else None

    header = ["target", "protocol", "body", "req/s", "p99 ms", "errors", "cpu %", "us/req"]
    header += ["load %", "origin %", "other %", "/ nginx", "/ bare", "note"]
    lines = [header]
    for target, protocol, body, rps, p99, errors, cpu, load, origin, other, note in rows:
        ratios = []
        for reference in ("nginx", "bare"):
            base = rps_of(reference, protocol, body)
            ratios.append(f"{float(rps) / base:.2f}" if rps != "-" and base else "-")
        # The server's CPU time per request: its cost, whichever side was the bottleneck.
        cost = f"{float(cpu) / 100 * 1e6 / float(rps):.1f}" if "-" not in (cpu, rps) else "-"
        name = TARGET_NAMES.get(target, target)
        row = [name, protocol, body, rps, p99, errors, cpu, cost, load, origin, other, *ratios]
        row.append(note)
        lines.append(row)

    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = [cell.ljust(w) if i in (0, 1, 2, 13) else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(line, widths))]
        print("  ".join(cells).rstrip())

    print()
    print("Ratios are this row's req/s divided by nginx's or the bare server's for the same")
    print("protocol and body. Targets: Verge / nginx >= 1.00 (pass-through);")
    print("Verge / bare >= 0.80 (cache hits, once Verge caches). A server well under 100 cpu %")
    print("was not the bottleneck: then compare its CPU per request (us/req, lower is better).")
    print("Rows with other % above 10 shared the machine with other work: run them again.")
    for protocol, body in dict.fromkeys((r[1], r[2]) for r in rows):
        verge = rps_of("verge", protocol, body)
        nginx = rps_of("nginx", protocol, body)
        bare = rps_of("bare", protocol, body)
        parts = []
        if verge and nginx:
            parts.append(f"Verge / nginx = {verge / nginx:.2f}")
        if verge and bare:
            parts.append(f"Verge / bare = {verge / bare:.2f}")
        with_function = rps_of("verge-fn", protocol, body)
        if verge and with_function:
            parts.append(f"Verge with function / without = {with_function / verge:.2f}")
        with_acl = rps_of("verge-waf", protocol, body)
        if verge and with_acl:
            parts.append(f"Verge with web ACL / without = {with_acl / verge:.2f}")
        modsec = rps_of("nginx-modsec", protocol, body)
        if with_acl and modsec:
            parts.append(f"Verge + web ACL / nginx + ModSecurity = {with_acl / modsec:.2f}")
        cost_acl, cost_modsec = (cost_of("verge-waf", protocol, body),
                                 cost_of("nginx-modsec", protocol, body))
        if cost_acl and cost_modsec:
            parts.append(f"CPU per request Verge + web ACL / nginx + ModSecurity = "
                         f"{cost_acl / cost_modsec:.2f}")
        verge_cost, nginx_cost = cost_of("verge", protocol, body), cost_of("nginx", protocol, body)
        if verge_cost and nginx_cost:
            parts.append(f"CPU per request Verge / nginx = {verge_cost / nginx_cost:.2f}")
        if parts:
            print(f"  {protocol} {body}: " + ", ".join(parts))


def main(argv):
    commands = {"wrk": (wrk, 1), "h2load": (h2load, 2), "cpu-mark": (cpu_mark, 2),
                "cpu-percent": (cpu_percent, 3), "idle": (idle, 1), "table": (table, 1),
                "wrk-count": (wrk_count, 1), "stub-requests": (stub_requests, 1),
                "zipf-cdf": (zipf_cdf, 3), "zipf-bound": (zipf_bound, 3),
                "cache-table": (cache_table, 1), "zipf-table": (zipf_table, 4)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        fail(__doc__)
    command, _ = commands[argv[1]]
    command(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
