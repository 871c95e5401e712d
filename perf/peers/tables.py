#!/usr/bin/env python3
"""Renders compare_peers.sh's results (a TSV of section, server, load, requests/s, server CPU
us per request, p99 us, errors; one line per measurement) as markdown tables with each row's
ratio to coreloop's row, then checks issue #7's budgets. Repeated measurements of a row give
the best of each figure (on a shared machine other load only ever slows a run down, so the
best is the least disturbed) and the sum of the errors."""
import sys

BASE = {"echo": "coreloop protocols", "http": "coreloop-httpd"}
TITLE = {
    "echo": "Echo, 64-byte messages, loaded by coreloop-bench",
    "http": "HTTP/1.1 GET /plaintext",
}


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def ratio(value, base):
    return f"{value / base:.2f}" if value is not None and base else "n/a"


def best(values, pick):
    values = [v for v in values if v is not None]
    return pick(values) if values else None


def read(path):
    runs = {}
    with open(path) as f:
        for line in f:
            section, server, load, rate, cpu, p99, errors = line.rstrip("\n").split("\t")
            runs.setdefault((section, server, load), []).append(
                (number(rate), number(cpu), number(p99), errors))
    rows = []
    for (section, server, load), measured in runs.items():
        failed = [e for *_, e in measured if not e.isdigit()]
        errors = str(sum(int(e) for *_, e in measured if e.isdigit()))
        rows.append({"section": section, "server": server, "load": load,
                     "rate": best((m[0] for m in measured), max),
                     "cpu": best((m[1] for m in measured), min),
                     "p99": best((m[2] for m in measured), min),
                     "errors": errors + (f" ({len(failed)} failed)" if failed else "")})
    return rows


def find(rows, section, server, load):
    for r in rows:
        if (r["section"], r["server"], r["load"]) == (section, server, load):
            return r
    return None


def tables(rows):
    for section in ("echo", "http"):
        loads = list(dict.fromkeys(r["load"] for r in rows if r["section"] == section))
        if not loads:
            continue
        print(f"### {TITLE[section]}\n")
        print("| server | load | requests/s | vs coreloop | server CPU µs/request | vs coreloop "
              "| p99 µs | errors |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for load in loads:
            base = find(rows, section, BASE[section], load) or {}
            for r in (r for r in rows if r["section"] == section and r["load"] == load):
                rate = f"{r['rate']:.0f}" if r["rate"] is not None else "failed"
                cpu = f"{r['cpu']:.2f}" if r["cpu"] is not None else "n/a"
                p99 = f"{r['p99']:.0f}" if r["p99"] is not None else ""
                print(f"| {r['server']} | {load} | {rate} | {ratio(r['rate'], base.get('rate'))} "
                      f"| {cpu} | {ratio(r['cpu'], base.get('cpu'))} | {p99} | {r['errors']} |")
        print()


def budget(text, value, limit, at_least):
    if value is None:
        print(f"- {text}: not measured")
        return
    met = value >= limit if at_least else value <= limit
    print(f"- {text}: {value:.2f} ({'met' if met else 'NOT met'})")


def budgets(rows):
    lines = []
    for load in dict.fromkeys(r["load"] for r in rows if r["section"] == "echo"):
        ours = find(rows, "echo", "coreloop protocols", load)
        ref = find(rows, "echo", "io_uring loop", load)
        if ours and ref and ref["rate"] and ref["cpu"]:
            lines.append((f"echo {load}: coreloop / io_uring loop throughput (>= 0.95)",
                          ours["rate"] and ours["rate"] / ref["rate"], 0.95, True))
            lines.append((f"echo {load}: coreloop / io_uring loop CPU per message (<= 1.1)",
                          ours["cpu"] and ours["cpu"] / ref["cpu"], 1.1, False))
    ours = find(rows, "http", "coreloop-httpd", "wrk, 64 conns")
    nginx = find(rows, "http", "nginx", "wrk, 64 conns")
    if ours and nginx and nginx["rate"] and nginx["cpu"] and nginx["p99"]:
        lines.append(("http plaintext, 64 conns: coreloop-httpd / nginx throughput (>= 1.0)",
                      ours["rate"] and ours["rate"] / nginx["rate"], 1.0, True))
        lines.append(("http plaintext, 64 conns: coreloop-httpd / nginx CPU per request (<= 0.8)",
                      ours["cpu"] and ours["cpu"] / nginx["cpu"], 0.8, False))
        lines.append(("http plaintext, 64 conns: coreloop-httpd / nginx p99 latency (<= 1.0)",
                      ours["p99"] and ours["p99"] / nginx["p99"], 1.0, False))
    if lines:
        print("Budgets (issue #7):\n")
        for line in lines:
            budget(*line)


def main():
    rows = read(sys.argv[1])
    tables(rows)
    budgets(rows)


if __name__ == "__main__":
    main()
