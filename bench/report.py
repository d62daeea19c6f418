#!/usr/bin/env python3
"""Parsing and reporting for bench/run.sh (standard library only).

  report.py wrk OUTPUT              -> "req/s p99_ms errors" from wrk --latency output
  report.py h2load OUTPUT LOG       -> the same from h2load output and its --log-file
  report.py cpu-mark PID ORIGIN_PID -> "wall:server:origin:machine" CPU seconds so far
  report.py cpu-percent MARK MARK LOAD_SECONDS -> "server load origin other" CPU use, % of a core
  report.py idle SECONDS            -> % of all CPUs idle over the next SECONDS
  report.py table RESULTS.tsv       -> the results table with ratios to nginx and bare hyper

RESULTS.tsv rows: target, protocol, body, req/s, p99 ms, errors, then CPU use in % of one core of
the server, the load generator, the origin and everything else, then a note ("-" where a run did
not happen).
"""

import math
import os
import re
import sys
import time

# wrk prints durations with these units (see its format_time).
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}

TARGET_NAMES = {"verge": "Verge", "nginx": "nginx", "bare": "bare hyper"}


def fail(message):
    sys.exit(f"report.py: {message}")


def wrk(path):
    text = open(path).read()
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    if not rps or not p99:
        fail(f"{path}: no 'Requests/sec' or '99%' line (was wrk run with --latency?)")
    errors = 0
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non_ok:
        errors += int(non_ok.group(1))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       text)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    p99_ms = float(p99.group(1)) * UNIT_MS[p99.group(2)]
    print(f"{float(rps.group(1)):.0f} {p99_ms:.3f} {errors}")


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
        verge_cost, nginx_cost = cost_of("verge", protocol, body), cost_of("nginx", protocol, body)
        if verge_cost and nginx_cost:
            parts.append(f"CPU per request Verge / nginx = {verge_cost / nginx_cost:.2f}")
        if parts:
            print(f"  {protocol} {body}: " + ", ".join(parts))


def main(argv):
    commands = {"wrk": (wrk, 1), "h2load": (h2load, 2), "cpu-mark": (cpu_mark, 2),
                "cpu-percent": (cpu_percent, 3), "idle": (idle, 1), "table": (table, 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        fail(__doc__)
    command, _ = commands[argv[1]]
    command(*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
