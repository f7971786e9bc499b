#!/usr/bin/env bash
# `make bench`: measures the figures in BENCHMARKS.md on this machine (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
OUT=bench/out
rm -rf "$OUT"; mkdir -p "$OUT"
PORT=${BENCH_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
URL="http://127.0.0.1:$PORT/hook"
NOW=1795000000

cat > "$OUT/nginx.conf" <<CONF
worker_processes auto;
daemon on;
pid $PWD/$OUT/nginx.pid;
error_log $PWD/$OUT/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $PWD/$OUT/body;
  proxy_temp_path $PWD/$OUT/proxy;
  fastcgi_temp_path $PWD/$OUT/fastcgi;
  uwsgi_temp_path $PWD/$OUT/uwsgi;
  scgi_temp_path $PWD/$OUT/scgi;
  log_format arrival '\$msec \$uri';
  server {
    listen 127.0.0.1:$PORT;
    location / { return 200 '{"result":true}'; }
    # Arrival times for the lingering-pass benchmark (scripts/bench_linger.py).
    location /ev/ { access_log $PWD/$OUT/ev.log arrival; return 200 '{"result":true}'; }
    location /fail/ { access_log $PWD/$OUT/ev.log arrival; return 500 '{"result":false}'; }
  }
}
CONF
nginx -c "$PWD/$OUT/nginx.conf"
trap 'kill $(cat $OUT/nginx.pid) 2>/dev/null || true' EXIT
sleep 0.3

# ms OUTFILE CMD...: runs CMD with stdout to OUTFILE (stderr discarded), prints its wall time in seconds.
ms() { python3 -c 'import sys,time,subprocess; out=open(sys.argv[1],"w"); t=time.perf_counter(); r=subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL); print("%.3f" % (time.perf_counter()-t)); sys.exit(r.returncode)' "$@"; }

# BENCH_ONLY="notice" (or "core") runs only those sections; BENCH_QUICK=1 skips the slowest
# measurement (PostgreSQL cycles 65 s apart, about 6 minutes).
want() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm)"
echo "swift: $(swift --version 2>&1 | head -1)"

# notice_files: the notice bench's config (a group of 3 users reached by sms and weixin through
# HTTP gateways on the local nginx) and 10,000 alert events, in $OUT.
notice_files() {
python3 - "$OUT" "$PORT" $NOW <<'PY'
import json, sys
out, port, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(out + "/notice.yaml", "w") as f:
    f.write(f"""channels:
  sms: {{url: "http://127.0.0.1:{port}/sms", body: '{{"phones": {{{{ receivers|tojson }}}}, "text": {{{{ content|tojson }}}}}}'}}
  weixin: {{url: "http://127.0.0.1:{port}/weixin", body: '{{"to": {{{{ receivers|tojson }}}}, "title": {{{{ title|tojson }}}}, "text": {{{{ content|tojson }}}}}}'}}
users:
  u1: {{phone: "13800000001", weixin: wx1}}
  u2: {{phone: "13800000002", weixin: wx2}}
  u3: {{phone: "13800000003", weixin: wx3}}
user_groups:
  ops: {{users: [u1, u2, u3], notice_ways: {{default: [sms, weixin]}}}}
action_configs:
  - {{id: 1, name: ops notice, plugin_type: notice, execute_config: {{template_detail: {{notify_interval: 3600}}}}}}
""")
with open(out + "/events.jsonl", "w") as f:
    for i in range(10000):
        f.write(json.dumps({"signal": "abnormal",
            "alert": {"id": f"bench-{i}", "alert_name": f"CPU usage high on host-{i}", "strategy_id": 7, "severity": 2,
                      "status": "ABNORMAL", "begin_time": now, "latest_time": now, "event": {"bk_biz_id": 2},
                      "dimensions": [{"key": "ip", "value": f"10.0.{i // 256}.{i % 256}"}]},
            "strategy": {"id": 7, "name": "cpu high", "notice": {"id": 70, "config_id": 1, "signal": ["abnormal", "recovered"], "user_groups": ["ops"]}}}) + "\n")
PY
}

if want core; then
# 1. enqueue of 100,000 actions (median of 3 runs, each into a new database)
$BIN/fta-bench gen 100000 "$URL" > "$OUT/100k.jsonl"
for i in 1 2 3; do
  rm -f "$OUT"/enqueue.db*
  ms /dev/null $BIN/fta-tick enqueue --db "$OUT/enqueue.db" --now $NOW --log-level warning "$OUT/100k.jsonl"
done > "$OUT/enqueue.times"
python3 -c "import statistics; t=[float(x) for x in open('$OUT/enqueue.times')]; m=statistics.median(t); b=len(open('$OUT/100k.jsonl','rb').readline()); print('enqueue, full %d-byte webhook lines: 100000 rows, median %.3f s of %s = %.0f rows/s' % (b, m, ', '.join('%.3f' % x for x in t), 100000/m))"

# 1a. what SQLite itself needs for these rows: INSERT ... SELECT of the enqueued rows into an
#     empty file with the same schema, with the commit (sqlite3 shell, synchronous=FULL)
rm -f "$OUT"/floor.db*
sqlite3 "$OUT/floor.db" "PRAGMA page_size=8192; PRAGMA journal_mode=WAL;" >/dev/null
sqlite3 "$OUT/enqueue.db" .schema | sqlite3 "$OUT/floor.db"
# An action is two rows (docs/schema.md, action_detail): both tables are copied.
cols=$(sqlite3 "$OUT/enqueue.db" "SELECT group_concat(name, ', ') FROM pragma_table_info('action_instance') WHERE name != 'id'")
s=$(ms /dev/null sqlite3 "$OUT/floor.db" "PRAGMA synchronous=FULL; PRAGMA cache_size=-32768; ATTACH '$OUT/enqueue.db' AS src; BEGIN IMMEDIATE; INSERT INTO action_instance ($cols) SELECT $cols FROM src.action_instance; INSERT INTO action_detail SELECT * FROM src.action_detail; COMMIT;")
python3 -c "print('sqlite alone: INSERT ... SELECT of the same 100000 rows with commit: %s s = %.1f us/row' % ('$s', float('$s') * 10))"
rm -f "$OUT"/floor.db*

# 1b. the same with the smallest useful webhook line (size sensitivity; not the headline figure)
$BIN/fta-bench gen-min 100000 "$URL" > "$OUT/100k-min.jsonl"
for i in 1 2 3; do
  rm -f "$OUT"/enqueue-min.db*
  ms /dev/null $BIN/fta-tick enqueue --db "$OUT/enqueue-min.db" --now $NOW --log-level warning "$OUT/100k-min.jsonl"
done > "$OUT/enqueue-min.times"
rm -f "$OUT"/enqueue-min.db*
python3 -c "import statistics; t=[float(x) for x in open('$OUT/enqueue-min.times')]; m=statistics.median(t); b=len(open('$OUT/100k-min.jsonl','rb').readline()); print('enqueue, minimal %d-byte lines: 100000 rows, median %.3f s of %s = %.0f rows/s' % (b, m, ', '.join('%.3f' % x for x in t), 100000/m))"

# 2. one pass over 10,000 webhooks with --concurrency 32, beside the ceiling measured in the
#    same run (sequential POSTs over one reused handle); three rounds, medians reported
$BIN/fta-bench gen 10000 "$URL" > "$OUT/10k.jsonl"
for i in 1 2 3; do
  $BIN/fta-bench ceiling "$URL" 10000 >> "$OUT/ceiling.txt"
  rm -f "$OUT"/pass.db*
  $BIN/fta-tick enqueue --db "$OUT/pass.db" --now $NOW --log-level warning "$OUT/10k.jsonl" >/dev/null
  ms "$OUT/pass-$i.json" $BIN/fta-tick run --db "$OUT/pass.db" --now $NOW --concurrency 32 --batch 1000 --log-level warning --json >> "$OUT/pass.times"
done
python3 - "$OUT" <<'PY'
import json, re, statistics, sys
out = sys.argv[1]
ceilings = [float(re.search(r"= (\d+) req/s", l).group(1)) for l in open(out + "/ceiling.txt")]
times = [float(x) for x in open(out + "/pass.times")]
runs = [json.load(open("%s/pass-%d.json" % (out, i))) for i in (1, 2, 3)]
assert all(r["succeeded"] == 10000 for r in runs), runs
rates = [10000 / t for t in times]
print("pass: 10000 webhooks, --concurrency 32, all success: %s actions/s end to end (median %.0f)" % (", ".join("%.0f" % r for r in rates), statistics.median(rates)))
print("ceiling, same run: %s req/s sequential over one reused handle (median %.0f)" % (", ".join("%.0f" % c for c in ceilings), statistics.median(ceilings)))
PY
$BIN/fta-bench claim-record 10000 "$OUT/claim.db"

# 3. empty pass, on an empty table and on 1,000,000 finished rows
$BIN/fta-tick status --db "$OUT/empty.db" >/dev/null
python3 - "$BIN/fta-tick" "$OUT/empty.db" <<'PY'
import subprocess, sys, time, statistics
ts = []
for _ in range(30):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "run", "--db", sys.argv[2], "--log-level", "warning"], check=True); ts.append(time.perf_counter() - t)
print("empty pass, empty table: median %.1f ms, max %.1f ms over 30 runs" % (statistics.median(ts) * 1e3, max(ts) * 1e3))
PY
$BIN/fta-bench gen 1000000 "$URL" > "$OUT/1m.jsonl"
$BIN/fta-tick enqueue --db "$OUT/big.db" --now $NOW --log-level warning "$OUT/1m.jsonl" >/dev/null
rm -f "$OUT/1m.jsonl"
sqlite3 "$OUT/big.db" "UPDATE action_instance SET status='success', due_at=NULL, end_time=create_time; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
python3 - "$BIN/fta-tick" "$OUT/big.db" <<'PY'
import subprocess, sys, time, statistics
ts = []
for _ in range(30):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "run", "--db", sys.argv[2], "--log-level", "warning"], check=True); ts.append(time.perf_counter() - t)
print("empty pass, 1,000,000 finished rows: median %.1f ms, max %.1f ms over 30 runs" % (statistics.median(ts) * 1e3, max(ts) * 1e3))
PY
rm -f "$OUT"/big.db*

# 4. peak RSS of a pass over 100,000 due actions
/usr/bin/time -f "%M %e" -o "$OUT/rss.txt" $BIN/fta-tick run --db "$OUT/enqueue.db" --now $NOW --concurrency 32 --batch 1000 --max-runtime 600 --log-level warning --json 2>/dev/null > "$OUT/rss.json"
python3 -c "import json; kb,s=open('$OUT/rss.txt').read().split(); r=json.load(open('$OUT/rss.json')); print('pass over 100,000 due actions: peak RSS %.1f MB, %d succeeded in %s s (%.0f actions/s)' % (int(kb)/1024, r['succeeded'], s, r['succeeded']/float(s)))"
rm -f "$OUT"/*.jsonl
fi

if want notice; then
# 5. alert events to notices: ingest 10,000 events (a group of 3 users reached by sms and weixin
#    through HTTP gateways on the local nginx), then one pass delivering every notice
notice_files
for i in 1 2 3; do
  rm -f "$OUT"/notice.db*
  ms /dev/null $BIN/fta-tick ingest --db "$OUT/notice.db" --config "$OUT/notice.yaml" --now $NOW --log-level warning "$OUT/events.jsonl" >> "$OUT/ingest.times"
  ms "$OUT/notice-$i.json" $BIN/fta-tick run --db "$OUT/notice.db" --config "$OUT/notice.yaml" --now $NOW --concurrency 32 --batch 1000 --max-runtime 600 --log-level warning --json >> "$OUT/notice.times"
  sqlite3 "$OUT/notice.db" "SELECT count(*) FROM action_instance WHERE is_parent_action = 0 AND status = 'success'" > "$OUT/notice-ok-$i.txt"
done
python3 - "$OUT" <<'PY'
import statistics, sys
out = sys.argv[1]
ing = [float(x) for x in open(out + "/ingest.times")]
run = [float(x) for x in open(out + "/notice.times")]
ok = [int(open("%s/notice-ok-%d.txt" % (out, i)).read()) for i in (1, 2, 3)]
assert all(n == 60000 for n in ok), ok
mi, mr = statistics.median(ing), statistics.median(run)
print("ingest: 10000 events -> 70000 rows (parent + 3 receivers x 2 ways): %s s, median %.0f events/s" % (", ".join("%.2f" % t for t in ing), 10000 / mi))
print("pass: 60000 notices (20000 merged gateway requests), all success: %s s, median %.0f notices/s" % (", ".join("%.2f" % t for t in run), 60000 / mr))
tot = [a + b for a, b in zip(ing, run)]
print("end to end (ingest + pass): median %.0f notices/s" % (60000 / statistics.median(tot)))
PY
rm -f "$OUT"/notice.db*
fi

if want sync; then
# 6. fta-sync: export of 100,000 actions to the Elasticsearch fixture (Tests/Support/es_fixture.py),
#    beside the fixture's own ceiling (the same NDJSON posted by fta-bench, no database work)
$BIN/fta-bench gen 100000 "$URL" > "$OUT/sync.jsonl"
rm -f "$OUT"/sync.db*
$BIN/fta-tick enqueue --db "$OUT/sync.db" --now $NOW --log-level warning "$OUT/sync.jsonl" >/dev/null
rm -f "$OUT/sync.jsonl"
sqlite3 "$OUT/sync.db" "UPDATE action_instance SET status = CASE id % 2 WHEN 0 THEN 'success' ELSE 'failure' END, end_time = create_time + 5, change_seq = id; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
python3 Tests/Support/es_fixture.py 0 > "$OUT/es.port" &
ES_PID=$!
trap 'kill $(cat $OUT/nginx.pid) 2>/dev/null || true; kill $ES_PID 2>/dev/null || true' EXIT
sleep 0.5
ES="http://127.0.0.1:$(head -1 "$OUT/es.port")"
printf 'elasticsearch:\n  url: %s\n' "$ES" > "$OUT/sync.yaml"
$BIN/fta-sync --db "$OUT/sync.db" --config "$OUT/sync.yaml" --now $NOW --dry-run --log-level warning > "$OUT/sync.ndjson" 2>/dev/null
for i in 1 2 3; do
  curl -s -X POST "$ES/_fixture/reset" >/dev/null
  $BIN/fta-bench es-ceiling "$ES" "$OUT/sync.ndjson" >> "$OUT/es-ceiling.txt"
  curl -s -X POST "$ES/_fixture/reset" >/dev/null
  cp "$OUT/sync.db" "$OUT/sync-run.db"
  ms "$OUT/sync-$i.json" $BIN/fta-sync --db "$OUT/sync-run.db" --config "$OUT/sync.yaml" --now $NOW --max-runtime 600 --log-level warning --json >> "$OUT/sync.times"
  rm -f "$OUT"/sync-run.db*
done
kill $ES_PID 2>/dev/null || true
python3 - "$OUT" <<'PY'
import json, re, statistics, sys
out = sys.argv[1]
ceil = [float(re.search(r"= (\d+) docs/s", l).group(1)) for l in open(out + "/es-ceiling.txt")]
times = [float(x) for x in open(out + "/sync.times")]
runs = [json.load(open("%s/sync-%d.json" % (out, i))) for i in (1, 2, 3)]
assert all(r["exported"] == 100000 for r in runs), runs
rates = [100000 / t for t in times]
print("fta-sync: 100000 actions exported (gzip bulk of 500): %s docs/s (median %.0f)" % (", ".join("%.0f" % r for r in rates), statistics.median(rates)))
print("fixture ceiling, same run: %s docs/s sequential bulk posts of the same NDJSON, uncompressed (median %.0f)" % (", ".join("%.0f" % c for c in ceil), statistics.median(ceil)))
PY
rm -f "$OUT"/sync.db* "$OUT"/sync.ndjson
fi

if want rota; then
# 7. fta-rota: one full pass for 1,000 duty groups x 3 rules (each group its own rules: a daily
#    09:00 handoff between 4 people, a weekly auto rotation of 2 of 6 people, weekday business
#    hours), rules effective since 2026-01-05 so every new snapshot is first replayed ~320 days;
#    then the pass 25 days later that writes the next batch, and a pass with nothing to do.
python3 - "$OUT/rota.json" <<'PY'
import json, sys
rules, groups = [], {}
for g in range(1000):
    base = g * 3
    people = [{"id": "u%d_%d" % (g, i), "type": "user", "display_name": "User %d/%d" % (g, i)} for i in range(6)]
    rules.append({"id": base + 1, "name": "g%d daily" % g, "category": "handoff", "effective_time": "2026-01-05 00:00:00",
                  "duty_arranges": [{"duty_users": [[p] for p in people[:4]],
                                     "duty_time": [{"work_type": "daily", "work_time": ["09:00--09:00"]}]}]})
    rules.append({"id": base + 2, "name": "g%d weekly" % g, "category": "handoff", "effective_time": "2026-01-05 00:00:00",
                  "duty_arranges": [{"duty_users": [people], "group_type": "auto", "group_number": 2,
                                     "duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5, 6, 7], "work_time": ["00:00--23:59"]}]}]})
    rules.append({"id": base + 3, "name": "g%d office" % g, "category": "regular", "effective_time": "2026-01-05 00:00:00",
                  "duty_arranges": [{"duty_users": [people[4:]],
                                     "duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5], "work_time": ["09:00--18:00"]}]}]})
    groups["g%d" % g] = {"duty_rules": [base + 1, base + 2, base + 3], "timezone": "Europe/Berlin" if g % 2 else "Asia/Shanghai"}
json.dump({"duty_rules": rules, "user_groups": groups}, open(sys.argv[1], "w"))
PY
rm -f "$OUT"/rota-base.db*
$BIN/fta-rota import --db "$OUT/rota-base.db" --now $NOW --log-level warning "$OUT/rota.json" >/dev/null
sqlite3 "$OUT/rota-base.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
for i in 1 2 3; do
  rm -f "$OUT"/rota-run.db*; cp "$OUT/rota-base.db" "$OUT/rota-run.db"
  ms "$OUT/rota-first-$i.json" $BIN/fta-rota run --db "$OUT/rota-run.db" --now $NOW --log-level warning --json >> "$OUT/rota-first.times"
  ms "$OUT/rota-next-$i.json" $BIN/fta-rota run --db "$OUT/rota-run.db" --now $((NOW + 25 * 86400)) --log-level warning --json >> "$OUT/rota-next.times"
  ms "$OUT/rota-idle-$i.json" $BIN/fta-rota run --db "$OUT/rota-run.db" --now $((NOW + 25 * 86400 + 60)) --log-level warning --json >> "$OUT/rota-idle.times"
done
python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
for name, label in (("first", "first pass (3000 snapshots with replay, 30-day batches)"), ("next", "pass 25 days later (next batches)"), ("idle", "pass with nothing to do")):
    t = [float(x) for x in open("%s/rota-%s.times" % (out, name))]
    runs = [json.load(open("%s/rota-%s-%d.json" % (out, name, i))) for i in (1, 2, 3)]
    assert all(r["groups"] == 1000 for r in runs), runs
    print("fta-rota %s: 1000 groups x 3 rules, %d plans written: %s s (median %.3f s)" % (label, runs[0]["plans_written"], ", ".join("%.3f" % x for x in t), statistics.median(t)))
PY
rm -f "$OUT"/rota-*.db* "$OUT"/rota.json
fi

if want linger; then
# 8. a lingering pass on the real clock: delivery latency, retry timing, idle CPU
python3 scripts/bench_linger.py "$BIN" "$OUT" "$PORT"
fi

if want postgres; then
# 9. PostgreSQL beside SQLite: a throw-away local cluster over TCP on 127.0.0.1 (fsync off, as in the tests)
PGDIR="$PWD/$OUT/pg"; PGPORT=$((PORT + 1))
PGURL=$(scripts/pg-cluster.sh start "$PGDIR" "$PGPORT")
trap 'kill $(cat $OUT/nginx.pid) 2>/dev/null || true; scripts/pg-cluster.sh stop "$PGDIR"' EXIT
pgdb() { psql -q "$PGURL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null; echo "${PGURL%/postgres}/$1"; }
# claim + record without network, 10,000 actions, 3 runs each backend
for i in 1 2 3; do
  rm -f "$OUT"/cr.db*; $BIN/fta-bench claim-record 10000 "$OUT/cr.db" | sed 's/^/sqlite: /'
  $BIN/fta-bench claim-record 10000 "$(pgdb cr$i)" | sed 's/^/postgres: /'
done
# Dropped once measured, so that autovacuum of their dead rows does not run under the next figures.
pgdrop() { psql -q "$PGURL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }
pgdrop cr1; pgdrop cr2; pgdrop cr3
# 4 processes over 40,000 rows
U=$(pgdb four)
$BIN/fta-bench gen 40000 "$URL" > "$OUT/40k.jsonl"
$BIN/fta-tick enqueue --db "$U" --now $NOW --log-level warning "$OUT/40k.jsonl" > /dev/null
t0=$(date +%s.%N)
for w in 1 2 3 4; do $BIN/fta-bench claim-record 0 "$U" > "$OUT/four-$w.txt" & done; wait
t1=$(date +%s.%N)
python3 - "$OUT" "$t0" "$t1" <<'PY'
import re, sys
out, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n = [int(re.search(r"without network: (\d+) actions", open("%s/four-%d.txt" % (out, w)).read()).group(1)) for w in (1, 2, 3, 4)]
print("postgres, 4 processes claim+record 40000 rows: claimed %s = %d, %.2f s wall = %.0f actions/s" % ("+".join(map(str, n)), sum(n), t1 - t0, sum(n) / (t1 - t0)))
PY
psql -At "$U" -c "SELECT 'postgres, 4 processes: rows not success once: ' || count(*) FILTER (WHERE status != 'success' OR execute_times != 1) || ' of ' || count(*) FROM action_instance"
pgdrop four
# enqueue of 100,000 full lines, 3 runs into new databases
[ -f "$OUT/100k.jsonl" ] || $BIN/fta-bench gen 100000 "$URL" > "$OUT/100k.jsonl"
for i in 1 2 3; do
  U=$(pgdb enq$i); $BIN/fta-tick status --db "$U" > /dev/null
  echo "postgres enqueue 100000: $(ms /dev/null $BIN/fta-tick enqueue --db "$U" --now $NOW --log-level warning "$OUT/100k.jsonl") s"
  pgdrop enq$i
  rm -f "$OUT"/enq.db*
  echo "sqlite enqueue 100000: $(ms /dev/null $BIN/fta-tick enqueue --db "$OUT/enq.db" --now $NOW --log-level warning "$OUT/100k.jsonl") s"
done
rm -f "$OUT"/enq.db*
# an empty pass, connect included, 10 runs
U=$(pgdb empty); $BIN/fta-tick status --db "$U" > /dev/null
for i in $(seq 10); do ms /dev/null $BIN/fta-tick run --db "$U" --log-level warning; done > "$OUT/empty.times"
python3 -c "import statistics; t=[float(x) for x in open('$OUT/empty.times')]; print('postgres empty pass (connect included): median %.3f s of %s' % (statistics.median(t), ', '.join('%.3f' % x for x in t)))"
rm -f "$OUT"/empty.db*; $BIN/fta-tick status --db "$OUT/empty.db" > /dev/null
for i in $(seq 10); do ms /dev/null $BIN/fta-tick run --db "$OUT/empty.db" --log-level warning; done > "$OUT/empty-sqlite.times"
python3 -c "import statistics; t=[float(x) for x in open('$OUT/empty-sqlite.times')]; print('sqlite empty pass: median %.3f s of %s' % (statistics.median(t), ', '.join('%.3f' % x for x in t)))"
rm -f "$OUT"/empty.db*
# 5 cycles of 100,000 insert + claim + record, shipped autovacuum settings
$BIN/fta-bench cycles 100000 "$(pgdb cycles)" 5 | sed 's/^/postgres back to back, /'
pgdrop cycles
# the same with 65 s between cycles (more than autovacuum's default 60 s nap): what vacuum keeps
[ -n "${BENCH_QUICK:-}" ] || $BIN/fta-bench cycles 100000 "$(pgdb cycles)" 5 65 | sed 's/^/postgres 65 s apart, /'
scripts/pg-cluster.sh stop "$PGDIR"
trap 'kill $(cat $OUT/nginx.pid) 2>/dev/null || true' EXIT
fi

if want throughput; then
# 10. throughput of a pass (BENCHMARKS.md "Throughput"): with BENCH_OLD=DIR (binaries of an older
#     build), old and new run in turn and each figure is reported with the ratio.
notice_files
TPGDIR="$PWD/$OUT/pgt"; TPGURL=$(scripts/pg-cluster.sh start "$TPGDIR" $((PORT + 2)))
trap 'kill $(cat $OUT/nginx.pid) 2>/dev/null || true; scripts/pg-cluster.sh stop "$TPGDIR"' EXIT
python3 scripts/bench_throughput.py "$BIN" "$OUT" "$PORT" ${BENCH_OLD:+--old "$BENCH_OLD"} --pg "$TPGURL"
scripts/pg-cluster.sh stop "$TPGDIR"
fi
