#!/usr/bin/env python3
"""Abusive clients of poold's control socket, for t-abuse.sh; each prints one JSON line.

  abuse.py idle SOCK N             connects N clients that send nothing; prints how many
                                   were greeted (held) and refused, then holds them until
                                   killed
  abuse.py stuck SOCK GO OUT       subscribes, reads nothing until the file GO exists, then
                                   reads to EOF; writes what it got and its last event to OUT
  abuse.py slow SOCK OUT           asks for domain-list and reads the reply 2 KiB every 5 ms
  abuse.py latency SOCK STOP OUT   asks for status every 20 ms until the file STOP exists, one
                                   connection each; writes the worst and median times (connect
                                   to reply)
  abuse.py events SOCK N          N log-level requests (info, debug, ...) on one connection,
                                   the replies read as they come: N log-level-changed events
"""
import json
import os
import signal
import socket
import statistics
import sys
import threading
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def idle(path, n):
    held, refused, socks = 0, 0, []
    for _ in range(n):
        s = connect(path)
        f = s.makefile("rb")
        line = f.readline()
        if b'"poold"' in line:
            held += 1
            socks.append((s, f))
        elif b"TooManyClients" in line:
            refused += 1
            s.close()
        else:
            sys.exit(f"neither a greeting nor TooManyClients: {line!r}")
    print(json.dumps({"held": held, "refused": refused}), flush=True)
    signal.pause()


def stuck(path, go, out):
    s = connect(path)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b'{"execute": "subscribe"}\n')
    assert "return" in json.loads(f.readline())
    while not os.path.exists(go):
        time.sleep(0.05)
    s.settimeout(30)
    events, last, tail = 0, None, b""
    for line in f:
        if not line.endswith(b"\n"):
            tail = line
            break
        msg = json.loads(line)
        if "event" in msg:
            events += 1
            last = msg
    with open(out, "w") as o:
        json.dump({"events": events, "last": last, "cut": len(tail)}, o)


def slow(path, out):
    s = connect(path)
    f = s.makefile("rb")
    f.readline()
    t0 = time.monotonic()
    s.sendall(b'{"execute": "domain-list"}\n')
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(2048)
        if not chunk:
            sys.exit("EOF in the middle of the listing")
        buf += chunk
        time.sleep(0.005)
    reply = json.loads(buf)
    with open(out, "w") as o:
        json.dump({"bytes": len(buf), "domains": len(reply["return"]["domains"]),
                   "seconds": round(time.monotonic() - t0, 2)}, o)


def latency(path, stop, out):
    times, errors = [], 0
    while not os.path.exists(stop):
        t0 = time.monotonic()
        try:
            s = connect(path)
            f = s.makefile("rb")
            f.readline()
            s.sendall(b'{"execute": "status"}\n')
            r = json.loads(f.readline())
            s.close()
            if "return" not in r:
                errors += 1
                continue
        except OSError:
            errors += 1
            continue
        times.append((time.monotonic() - t0) * 1000)
        time.sleep(0.02)
    with open(out, "w") as o:
        json.dump({"n": len(times), "errors": errors, "worst_ms": round(max(times), 1),
                   "median_ms": round(statistics.median(times), 1)}, o)


def events(path, n):
    s = connect(path)
    f = s.makefile("rb")
    f.readline()
    failed = []

    def replies():
        for _ in range(n):
            msg = json.loads(f.readline())
            if "return" not in msg:
                failed.append(msg)

    t0 = time.monotonic()
    t = threading.Thread(target=replies)
    t.start()
    s.sendall(b"".join(json.dumps({"execute": "log-level", "arguments": {
        "level": ("info", "debug")[i % 2]}}).encode() + b"\n" for i in range(n)))
    t.join()
    if failed:
        sys.exit(f"log-level refused: {failed[0]}")
    print(json.dumps({"requests": n, "seconds": round(time.monotonic() - t0, 2)}))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["idle"] and len(a) == 3:
        idle(a[1], int(a[2]))
    elif a[:1] == ["stuck"] and len(a) == 4:
        stuck(a[1], a[2], a[3])
    elif a[:1] == ["slow"] and len(a) == 3:
        slow(a[1], a[2])
    elif a[:1] == ["latency"] and len(a) == 4:
        latency(a[1], a[2], a[3])
    elif a[:1] == ["events"] and len(a) == 3:
        events(a[1], int(a[2]))
    else:
        sys.exit(__doc__)
