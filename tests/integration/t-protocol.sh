#!/bin/bash
# The control protocol on the wire: greeting, events, the client limit (its malformed
# requests, errors by class and the line limit: t-hostile).
. "$(dirname "$0")/lib.sh"

start_xensim 1x4x1 1 credit2
start_poold

python3 - "$T/poold.sock" <<'PY'
import json, socket, sys

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rwb", buffering=0)
    greeting = json.loads(f.readline())
    assert greeting["poold"]["protocol"] == 1, greeting
    return s, f

def ask(f, line):
    f.write(line.encode() + b"\n")
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            return msg

# Malformed requests, their classes and ids: hostile.py's table (t-hostile).
s, f = connect()

# Events reach a subscriber.
s2, f2 = connect()
assert "return" in ask(f2, '{"execute": "subscribe"}')
assert "return" in ask(f, '{"execute": "pool-create", "arguments": {"name": "a", "ncpu": 1}}')
ev = json.loads(f2.readline())
assert ev["event"] == "pool-changed" and ev["data"]["pool"] == "a", ev
assert "seconds" in ev["timestamp"], ev
print("ok: event", ev["event"])

# The client limit.
socks = []
for i in range(70):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    socks.append(c.makefile("rb"))
refused = 0
for c in socks:
    line = c.readline()
    if b"TooManyClients" in line:
        refused += 1
assert refused >= 70 - 64, refused
print("ok: client limit, refused", refused)
PY
pc status >/dev/null || fail "poold unusable after the limits test"
echo "PASS"
