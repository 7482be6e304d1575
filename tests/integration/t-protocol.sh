#!/bin/bash
# The control protocol on the wire: greeting, errors by class, limits, events.
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

s, f = connect()
cases = [
    ('{"execute": "pool-list", "id": 7}', None, 7),
    ('not json', "ProtocolError", None),
    ('[1, 2]', "ProtocolError", None),
    ('{"id": "x"}', "ProtocolError", "x"),
    ('{"execute": 5}', "ProtocolError", None),
    ('{"execute": "no-such"}', "CommandNotFound", None),
    ('{"execute": "pool-create", "arguments": {"name": "a"}}', "InvalidArgument", None),
    ('{"execute": "pool-create", "arguments": {"name": "a", "ncpu": "2"}}', "InvalidArgument", None),
    ('{"execute": "pool-create", "arguments": {"name": "a", "ncpu": 1, "bogus": 1}}', "InvalidArgument", None),
    ('{"execute": "pool-list", "arguments": [1]}', "ProtocolError", None),
    ('{"execute": "pool-destroy", "arguments": {"name": "nosuch"}, "id": {"k": [1]}}', "NotFound", {"k": [1]}),
    ('{"execute": "pool-destroy", "arguments": {"name": "pool0"}}', "Protected", None),
    ('{"execute": "pool-create", "arguments": {"name": "a", "ncpu": 4}}', "NoFreeCpu", None),
]
for line, cls, ident in cases:
    r = ask(f, line)
    if cls is None:
        assert "return" in r, (line, r)
    else:
        assert r.get("error", {}).get("class") == cls, (line, r)
        assert r["error"]["desc"], (line, r)
    if ident is not None:
        assert r.get("id") == ident, (line, r)
    print("ok:", line, "->", cls or "return")

# Events reach a subscriber.
s2, f2 = connect()
assert "return" in ask(f2, '{"execute": "subscribe"}')
assert "return" in ask(f, '{"execute": "pool-create", "arguments": {"name": "a", "ncpu": 1}}')
ev = json.loads(f2.readline())
assert ev["event"] == "pool-changed" and ev["data"]["pool"] == "a", ev
assert "seconds" in ev["timestamp"], ev
print("ok: event", ev["event"])

# A line over the limit is an error and the connection closes.
f.write(b"{" + b" " * 70000 + b"}\n")
r = f.readline()
assert json.loads(r)["error"]["class"] == "ProtocolError", r
assert f.readline() == b"", "connection not closed"
print("ok: long line refused")

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
