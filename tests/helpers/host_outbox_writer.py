#!/usr/bin/env python3
"""Writes a claude-outbox/1 outbox the way claude-init does, for the claude-host tests:
every change is published into tree/ (temp file, rename) and then journaled.

  host_outbox_writer.py OUTBOX begin RUN_ID TRACE_ID
  host_outbox_writer.py OUTBOX put REL SOURCE_FILE [MODE_OCTAL]
  host_outbox_writer.py OUTBOX put-text REL TEXT [MODE_OCTAL]
  host_outbox_writer.py OUTBOX append REL TEXT        (TEXT is appended as is; use $'..\\n')
  host_outbox_writer.py OUTBOX delete REL
  host_outbox_writer.py OUTBOX report-event JSON       (reports/events.jsonl)
  host_outbox_writer.py OUTBOX report-metric JSON      (reports/metrics.jsonl)
  host_outbox_writer.py OUTBOX run-report JSON         (reports/run.json)
"""
import hashlib
import json
import os
import sys
import time


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def next_seq(outbox):
    path = os.path.join(outbox, "journal.jsonl")
    if not os.path.exists(path):
        return 0
    seq = -1
    with open(path) as f:
        for line in f:
            if line.endswith("\n"):
                seq = max(seq, json.loads(line)["seq"])
    return seq + 1


def journal(outbox, record):
    record = dict(record)
    record["seq"] = next_seq(outbox)
    record.setdefault("time", now())
    with open(os.path.join(outbox, "journal.jsonl"), "a") as f:
        f.write(json.dumps(record, separators=(",", ":")) + "\n")
        f.flush()
        os.fsync(f.fileno())


def publish(outbox, rel, data, mode):
    dest = os.path.join(outbox, "tree", rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = os.path.join(os.path.dirname(dest), "." + os.path.basename(dest) + ".claude-init-tmp." + os.urandom(6).hex())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.write(fd, data)
    os.fchmod(fd, mode)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, dest)
    journal(outbox, {"op": "put", "path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mode": mode})


def main():
    outbox, op = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    os.makedirs(os.path.join(outbox, "tree"), exist_ok=True)
    if op == "begin":
        journal(outbox, {"op": "begin", "format": "claude-outbox/1", "run_id": args[0], "trace_id": args[1]})
    elif op in ("put", "put-text"):
        rel = args[0]
        data = open(args[1], "rb").read() if op == "put" else args[1].encode()
        mode = int(args[2], 8) if len(args) > 2 else 0o644
        publish(outbox, rel, data, mode)
    elif op == "append":
        rel, text = args[0], args[1].encode()
        dest = os.path.join(outbox, "tree", rel)
        if not os.path.exists(dest):
            publish(outbox, rel, text, 0o600)
            return
        offset = os.path.getsize(dest)
        with open(dest, "ab") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        whole = open(dest, "rb").read()
        journal(outbox, {"op": "append", "path": rel, "offset": offset, "size": len(whole),
                         "sha256": hashlib.sha256(whole).hexdigest()})
    elif op == "delete":
        # A seeded file the container deletes was never published: only the record.
        target = os.path.join(outbox, "tree", args[0])
        if os.path.isdir(target) and not os.path.islink(target):
            import shutil
            shutil.rmtree(target)
        elif os.path.lexists(target):
            os.unlink(target)
        journal(outbox, {"op": "delete", "path": args[0]})
    elif op in ("report-event", "report-metric"):
        os.makedirs(os.path.join(outbox, "reports"), exist_ok=True)
        name = "events.jsonl" if op == "report-event" else "metrics.jsonl"
        with open(os.path.join(outbox, "reports", name), "a") as f:
            f.write(json.dumps(json.loads(args[0])) + "\n")
    elif op == "run-report":
        os.makedirs(os.path.join(outbox, "reports"), exist_ok=True)
        with open(os.path.join(outbox, "reports", "run.json"), "w") as f:
            f.write(args[0])
    else:
        sys.exit("unknown op " + op)


if __name__ == "__main__":
    main()
