#!/usr/bin/env python3
"""What SQLite spends to update one action row, by the row's width (BENCHMARKS.md, "Sixth round").

usage: sqlite_update_cost.py DB [VARIANT...]   (all five when none is named)

DB is an fta SQLite database with at least 1,000 action rows (for example one `fta-tick ingest`
of the bench's notice events). Each variant runs 1,000 single-row statements in one transaction
on a copy, under `valgrind --tool=callgrind`, and prints the instructions SQLite's byte-code
engine (`sqlite3VdbeExec`, inclusive) spent per statement:

  record   the outcome UPDATE with its change number looked up by sub-query (Schema.nextChange),
           as the record wrote it before b923c47
  bound    the same with the change number bound, as the record writes it since
  status   an UPDATE of `status` alone
  log      the outcome's `action_log` INSERT
  narrow   an UPDATE of `status` alone in a table of six of the row's columns (id, status,
           lease_token, due_at, ex_data, outputs)
"""
import os, re, shutil, sqlite3, subprocess, sys, tempfile

LATEST = "SELECT change_seq FROM action_instance WHERE change_seq IS NOT NULL ORDER BY change_seq DESC LIMIT 1"
RECORD = """UPDATE action_instance SET status = ?1, failure_type = ?2, ex_data = ?3, outputs = ?4, end_time = ?5,
    due_at = ?6, next_step = ?7, execute_times = ?8, update_time = ?9, lease_owner = NULL, lease_expires_at = NULL,
    deadline_at = coalesce(?10, deadline_at), change_seq = {seq}
    WHERE id = ?11 AND lease_token = ?12 AND due_at IS NOT NULL"""
OUTPUTS = '{"message":"[warning] alert: CPU usage high","retry_times":1,"title":"[warning] alert"}'
EX_DATA = '{"message":"sms sent (one message to 3 receivers): {\\"result\\":true}"}'
LOG = 'round 1 finished: success: sms sent (one message to 3 receivers): {"result":true}'


def run(variant, path):
    """The statements of `variant` on the database at `path` (a copy), in one transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -8192", "temp_store = MEMORY"):
        db.execute("PRAGMA " + pragma)
    ids = [r[0] for r in db.execute("SELECT id FROM action_instance WHERE due_at IS NOT NULL ORDER BY id LIMIT 1000")]
    if len(ids) < 1000:
        raise SystemExit("%s: %d due action rows, need 1,000" % (path, len(ids)))
    db.execute("BEGIN IMMEDIATE")
    for n, i in enumerate(ids):
        if variant in ("record", "bound"):
            seq = "coalesce((%s), 0) + 1" % LATEST if variant == "record" else "?13"
            args = ["success", "", EX_DATA, OUTPUTS, 1795000001, None, "execute", 1, 1795000001, None, i, 0]
            db.execute(RECORD.format(seq=seq), args + ([] if variant == "record" else [1_000_000 + n]))
        elif variant == "status":
            db.execute("UPDATE action_instance SET status = ? WHERE id = ?", ("success", i))
        elif variant == "log":
            db.execute("INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, ?, ?, ?)", (1795000001, i, "execute", 20, LOG))
        elif variant == "narrow":
            db.execute("UPDATE narrow SET status = ? WHERE id = ?", ("success", i))
    db.execute("COMMIT")


def engine_instructions(out):
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True, text=True, check=True).stdout
    total = 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) .*\bsqlite3VdbeExec ", line)
        if m: total = max(total, int(m.group(1).replace(",", "")))
    return total


if len(sys.argv) == 4 and sys.argv[1] == "--variant":
    run(sys.argv[2], sys.argv[3])
    sys.exit(0)
if len(sys.argv) < 2:
    raise SystemExit(__doc__)
with tempfile.TemporaryDirectory() as tmp:
    for variant in sys.argv[2:] or ("record", "bound", "status", "log", "narrow"):
        copy = os.path.join(tmp, "copy.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(copy + suffix): os.remove(copy + suffix)
        shutil.copy(sys.argv[1], copy)
        if variant == "narrow":
            # The narrow table is made outside the measured run.
            db = sqlite3.connect(copy, isolation_level=None)
            db.execute("CREATE TABLE narrow (id INTEGER PRIMARY KEY, status TEXT NOT NULL, lease_token INTEGER NOT NULL, "
                       "due_at INTEGER, ex_data TEXT NOT NULL, outputs TEXT NOT NULL)")
            db.execute("INSERT INTO narrow SELECT id, status, lease_token, due_at, ex_data, outputs FROM action_instance")
            db.close()
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, sys.executable, __file__, "--variant",
                        variant, copy], check=True, stderr=subprocess.DEVNULL)
        print("%-7s %6.0f instructions per statement" % (variant, engine_instructions(out) / 1000))
