#!/usr/bin/env python3
"""A webhook receiver on loopback for the alert tests.

  host_webhook_receiver.py PORT_FILE LOG_FILE [FAIL_FIRST_N]

Listens on 127.0.0.1 on a free port (written to PORT_FILE once listening), appends every
POST as one JSON line {"path","content_type","body"} to LOG_FILE, answers 200 — or 500 to
the first FAIL_FIRST_N requests, to exercise retries. Stops on SIGTERM.
"""
import http.server
import json
import signal
import sys

port_file, log_file = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = {"n": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        seen["n"] += 1
        status = 500 if seen["n"] <= fail_first else 200
        with open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                "status": status, "body": json.loads(body)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
