#!/usr/bin/env python3
"""`make bench` (BENCH_ONLY=linger): how late a lingering fta-tick pass delivers, on the real clock.

1. Latency: 1,000 alert events are ingested at random moments over 60 s, each by its own
   `fta-tick ingest` process, while one `fta-tick run --linger` pass runs. Each event creates a
   webhook to nginx, whose access log stamps the arrival ($msec). Latency = arrival - the moment
   the producer started the ingest command (so it includes that command's own start-up).
2. Retry timing: 1,000 webhooks that always fail once retried after 2 s (`retry_interval: 2`,
   no jitter), enqueued in bursts over 20 s; error = |(second arrival - first arrival) - 2 s|.
3. Idle CPU: a lingering pass with nothing due for 30 s; user + system CPU seconds / 30.

Usage: bench_linger.py BIN OUT PORT   (nginx must log /ev/ and /fail/ to OUT/ev.log)
"""
import json, os, random, resource, statistics, subprocess, sys, time

BIN, OUT, PORT = sys.argv[1], sys.argv[2], sys.argv[3]
TICK = os.path.join(BIN, "fta-tick")
LOG = os.path.join(OUT, "ev.log")


def arrivals():
    """path -> [arrival times], from nginx's access log."""
    out = {}
    for line in open(LOG):
        t, path = line.split()
        out.setdefault(path, []).append(float(t))
    return out


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def start_pass(db, config, runtime):
    return subprocess.Popen([TICK, "run", "--linger", "--max-runtime", str(runtime), "--db", db, "--config", config,
                             "--concurrency", "16", "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def latency(cron=False):
    db, config = os.path.join(OUT, "linger.db"), os.path.join(OUT, "linger.yaml")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f): os.remove(f)
    with open(config, "w") as f:
        f.write("""action_configs:
  - id: 20
    name: deliver
    plugin_type: webhook
    execute_config:
      template_detail:
        method: POST
        url: "http://127.0.0.1:%s/ev/{{ alert.id }}"
        body: {data_type: raw, content_type: json, content: '{"alert": "{{ alert.id }}"}'}
""" % PORT)
    open(LOG, "w").close()
    subprocess.run([TICK, "status", "--db", db], stdout=subprocess.DEVNULL, check=True)  # creates the file
    if cron:
        # For comparison: the pass cron starts every minute, draining what is due and exiting.
        def every_minute():
            for k in range(3):
                time.sleep(max(0, t_cron + 60 * k - time.time()))
                subprocess.run([TICK, "run", "--db", db, "--config", config, "--concurrency", "16", "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import threading
        t_cron = time.time() + 1.5 + random.Random(3).uniform(0, 60)
        p = threading.Thread(target=every_minute)
        p.start()
    else:
        p = start_pass(db, config, 75)
    time.sleep(1)
    random.seed(7)
    t0 = time.time() + 0.5
    moments = sorted(random.uniform(0, 60) for _ in range(1000))
    started = {}
    for i, m in enumerate(moments):
        delay = t0 + m - time.time()
        if delay > 0: time.sleep(delay)
        event = {"signal": "abnormal",
                 "alert": {"id": "e%d" % i, "strategy_id": 7, "severity": 1, "status": "ABNORMAL",
                           "begin_time": int(time.time()), "latest_time": int(time.time()), "event": {"bk_biz_id": 2}},
                 "strategy": {"id": 7, "name": "cpu high", "bk_biz_id": 2,
                              "actions": [{"id": 71, "config_id": 20, "signal": ["abnormal"], "options": {}}]}}
        started["/ev/e%d" % i] = time.time()
        subprocess.run([TICK, "ingest", "--db", db, "--config", config, "--log-level", "warning", "-"],
                       input=(json.dumps(event) + "\n").encode(), stdout=subprocess.DEVNULL, check=True)
    if cron:
        p.join()
    else:
        time.sleep(3)
        p.terminate(); p.wait()
    got = arrivals()
    lat = [got[path][0] - t for path, t in started.items() if path in got]
    missing = len(started) - len(lat)
    twice = sum(1 for path in started if len(got.get(path, [])) > 1)
    print("latency, event ingested -> webhook at nginx, 1000 events at random moments over 60 s, %s: " % ("a draining pass every minute" if cron else "one lingering pass") +
          "p50 %.3f s, p99 %.3f s, max %.3f s (%d missing, %d sent twice)" % (pct(lat, 0.5), pct(lat, 0.99), max(lat), missing, twice))


def retries():
    db = os.path.join(OUT, "retry.db")
    config = os.path.join(OUT, "retry.yaml")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f): os.remove(f)
    with open(config, "w") as f:
        f.write("tick: {retry_jitter: 0}\n")
    open(LOG, "w").close()
    subprocess.run([TICK, "status", "--db", db], stdout=subprocess.DEVNULL, check=True)
    p = start_pass(db, config, 40)
    time.sleep(1)
    for burst in range(50):
        lines = []
        for j in range(20):
            i = burst * 20 + j
            lines.append(json.dumps({
                "signal": "abnormal", "alerts": ["r%d" % i], "action_plugin": {"plugin_type": "webhook"},
                "action_config": {"id": 5, "name": "retry", "execute_config": {"template_detail": {
                    "method": "POST", "url": "http://127.0.0.1:%s/fail/r%d" % (PORT, i),
                    "failed_retry": {"is_enabled": True, "timeout": 5, "max_retry_times": 1, "retry_interval": 2}}}}}))
        subprocess.run([TICK, "enqueue", "--db", db, "--config", config, "--log-level", "warning", "-"],
                       input=("\n".join(lines) + "\n").encode(), stdout=subprocess.DEVNULL, check=True)
        time.sleep(0.4)
    time.sleep(5)
    p.terminate(); p.wait()
    got = arrivals()
    errors = [abs((t[1] - t[0]) - 2) for path, t in got.items() if path.startswith("/fail/") and len(t) == 2]
    print("retry timing, 1000 webhooks failing once, retry_interval 2 s, enqueued in 50 bursts over 20 s: "
          "|actual - due| p50 %.3f s, p99 %.3f s, max %.3f s (%d of 1000 retried exactly once)"
          % (pct(errors, 0.5), pct(errors, 0.99), max(errors), len(errors)))


def idle():
    db = os.path.join(OUT, "idle.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f): os.remove(f)
    subprocess.run([TICK, "status", "--db", db], stdout=subprocess.DEVNULL, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.time()
    subprocess.run([TICK, "run", "--linger", "--max-runtime", "34", "--db", db, "--log-level", "warning"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("idle lingering pass, nothing due, %.1f s (start-up included): %.3f CPU s = %.2f %% of one core" % (wall, cpu, cpu / wall * 100))


which = sys.argv[4:] or ["latency", "retries", "idle"]
for name in which:
    {"latency": latency, "retries": retries, "idle": idle, "cron": lambda: latency(cron=True)}[name]()
