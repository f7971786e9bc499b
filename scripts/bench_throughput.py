#!/usr/bin/env python3
"""Throughput of a pass (BENCHMARKS.md "Throughput"): CPU per webhook, actions/s beside the
HTTP ceiling, notices end to end, peak RSS over 100,000 actions, enqueue rows/s, and the
webhook pass on PostgreSQL. With an old build directory, each figure is measured for the old
and the new binaries in turn (interleaved) and reported as medians with the ratio.

usage: bench_throughput.py BIN OUT PORT [--old DIR] [--pg URL] [--rounds N]
"""
import argparse, json, os, re, shutil, statistics, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("bin"); p.add_argument("out"); p.add_argument("port")
p.add_argument("--old"); p.add_argument("--pg"); p.add_argument("--rounds", type=int, default=5)
a = p.parse_args()
NOW = "1795000000"
URL = "http://127.0.0.1:%s/hook" % a.port
builds = [("new", a.bin)] + ([("old", a.old)] if a.old else [])


def timed(cmd, stdout=subprocess.DEVNULL):
    """Wall seconds, CPU seconds (user + sys of the command and its children) and peak RSS (KB)."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    u, s, m = r.stderr.strip().split("\n")[-1].split()
    return wall, float(u) + float(s), int(m)


def fresh(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix): os.remove(path + suffix)


def pgdb(name):
    admin = a.pg
    subprocess.run(["psql", "-q", admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name, "-c", "CREATE DATABASE %s" % name],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return admin.rsplit("/", 1)[0] + "/" + name


def report(label, unit, values, better="lower"):
    """values: {build: [numbers]}; prints medians and new/old."""
    med = {b: statistics.median(v) for b, v in values.items()}
    parts = ["%s %s (%s)" % (b, fmt(med[b], unit), ", ".join(fmt(x, "") for x in values[b])) for b, _ in builds if b in values]
    ratio = " ratio new/old %.2f" % (med["new"] / med["old"]) if "old" in med and med["old"] else ""
    print("%s: %s;%s" % (label, "; ".join(parts), ratio))


def fmt(x, unit):
    return ("%.0f" % x if x >= 100 else "%.3g" % x) + ((" " + unit) if unit else "")


out = a.out
subprocess.run([a.bin + "/fta-bench", "gen", "10000", URL], stdout=open(out + "/t10k.jsonl", "w"), check=True)
subprocess.run([a.bin + "/fta-bench", "gen", "100000", URL], stdout=open(out + "/t100k.jsonl", "w"), check=True)

# 1. one pass over 10,000 webhooks, --concurrency 32, beside the ceiling
cpu, rate, ceiling = {}, {}, []
for _ in range(a.rounds):
    c = subprocess.run([a.bin + "/fta-bench", "ceiling", URL, "10000"], capture_output=True, text=True, check=True).stdout
    ceiling.append(float(re.search(r"= (\d+) req/s", c).group(1)))
    for b, d in builds:
        db = out + "/t.db"; fresh(db)
        subprocess.run([d + "/fta-tick", "enqueue", "--db", db, "--now", NOW, "--log-level", "warning", out + "/t10k.jsonl"], check=True, stdout=subprocess.DEVNULL)
        wall, c, _ = timed([d + "/fta-tick", "run", "--db", db, "--now", NOW, "--concurrency", "32", "--batch", "1000", "--log-level", "warning"])
        ok = subprocess.run(["sqlite3", db, "SELECT count(*) FROM action_instance WHERE status = 'success'"], capture_output=True, text=True).stdout.strip()
        assert ok == "10000", ok
        cpu.setdefault(b, []).append(c / 10000 * 1e6)
        rate.setdefault(b, []).append(10000 / wall)
report("CPU per webhook, pass over 10,000 (user + sys / N)", "µs", cpu)
report("pass over 10,000 webhooks, --concurrency 32", "actions/s", rate, "higher")
print("ceiling, same run: sequential POSTs over one reused handle: median %.0f req/s (%s)" % (statistics.median(ceiling), ", ".join("%.0f" % x for x in ceiling)))

# 2. notices end to end: ingest 10,000 events (60,000 notices) + one pass
cfg = open(out + "/notice.yaml").read() if os.path.exists(out + "/notice.yaml") else None
if cfg:
    e2e, cpu = {}, {}
    for _ in range(3):
        for b, d in builds:
            db = out + "/n.db"; fresh(db)
            w1, c1, _ = timed([d + "/fta-tick", "ingest", "--db", db, "--config", out + "/notice.yaml", "--now", NOW, "--log-level", "warning", out + "/events.jsonl"])
            w2, c2, _ = timed([d + "/fta-tick", "run", "--db", db, "--config", out + "/notice.yaml", "--now", NOW, "--concurrency", "32", "--batch", "1000", "--max-runtime", "600", "--log-level", "warning"])
            ok = subprocess.run(["sqlite3", db, "SELECT count(*) FROM action_instance WHERE is_parent_action = 0 AND status = 'success'"], capture_output=True, text=True).stdout.strip()
            assert ok == "60000", ok
            e2e.setdefault(b, []).append(60000 / (w1 + w2))
            cpu.setdefault(b, []).append((c1 + c2) / 60000 * 1e6)
    report("notices end to end (ingest 10,000 events + pass, 60,000 notices)", "notices/s", e2e, "higher")
    report("CPU per notice, ingest + pass", "µs", cpu)

# 3. peak RSS of a pass over 100,000 due webhooks; enqueue of 100,000 rows
rss, enq = {}, {}
for r in range(3):
    for b, d in builds:
        db = out + "/e.db"; fresh(db)
        wall, _, _ = timed([d + "/fta-tick", "enqueue", "--db", db, "--now", NOW, "--log-level", "warning", out + "/t100k.jsonl"])
        enq.setdefault(b, []).append(100000 / wall)
        if r == 0:
            _, _, m = timed([d + "/fta-tick", "run", "--db", db, "--now", NOW, "--concurrency", "32", "--batch", "1000", "--max-runtime", "600", "--log-level", "warning"])
            rss.setdefault(b, []).append(m / 1024)
report("enqueue of 100,000 webhook lines", "rows/s", enq, "higher")
report("peak RSS, pass over 100,000 due webhooks", "MB", rss)
fresh(out + "/e.db"); fresh(out + "/t.db"); fresh(out + "/n.db")

# 4. the webhook pass on PostgreSQL
if a.pg:
    cpu, rate = {}, {}
    for r in range(3):
        for b, d in builds:
            url = pgdb("tp%d%s" % (r, b))
            subprocess.run([d + "/fta-tick", "enqueue", "--db", url, "--now", NOW, "--log-level", "warning", out + "/t10k.jsonl"], check=True, stdout=subprocess.DEVNULL)
            wall, c, _ = timed([d + "/fta-tick", "run", "--db", url, "--now", NOW, "--concurrency", "32", "--batch", "1000", "--log-level", "warning"])
            cpu.setdefault(b, []).append(c / 10000 * 1e6)
            rate.setdefault(b, []).append(10000 / wall)
            subprocess.run(["psql", "-q", a.pg, "-c", "DROP DATABASE tp%d%s WITH (FORCE)" % (r, b)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report("PostgreSQL: CPU per webhook of fta-tick, pass over 10,000", "µs", cpu)
    report("PostgreSQL: pass over 10,000 webhooks, --concurrency 32", "actions/s", rate, "higher")
