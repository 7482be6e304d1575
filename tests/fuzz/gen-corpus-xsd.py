#!/usr/bin/env python3
# Writes corpus-xsd/: client streams of xs_wire.h frames (binary, so they are generated here).
import os
import struct
import sys

T = dict(DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TRANSACTION_START=6,
         TRANSACTION_END=7, INTRODUCE=8, GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13,
         SET_PERMS=14, WATCH_EVENT=15, ERROR=16, RESET_WATCHES=21, DIRECTORY_PART=22)


def msg(kind, *args, req=1, tx=0, raw=None):
    body = raw if raw is not None else b"".join(a.encode() + b"\0" for a in args)
    if kind == "WRITE" and raw is None:
        body = args[0].encode() + b"\0" + args[1].encode()
    return struct.pack("<IIII", T[kind], req, tx, len(body)) + body


S = {
    "read-write": [msg("WRITE", "/local/domain/5/pool", "pool1", req=1), msg("READ", "/local/domain/5/pool", req=2),
                   msg("DIRECTORY", "/local/domain", req=3), msg("GET_PERMS", "/local/domain/5", req=4),
                   msg("RM", "/local/domain/5", req=5), msg("READ", "/local/domain/5/pool", req=6)],
    "relative": [msg("WRITE", "data/x", "1"), msg("READ", "data/x", req=2), msg("MKDIR", "device/vif", req=3),
                 msg("GET_DOMAIN_PATH", "5", req=4), msg("GET_DOMAIN_PATH", "65536", req=5)],
    "perms": [msg("MKDIR", "/local/domain/7"), msg("SET_PERMS", "/local/domain/7", "n0", "r7", req=2),
              msg("SET_PERMS", "/local/domain/7", "b7", req=3), msg("SET_PERMS", "/x", "q1", req=4),
              msg("SET_PERMS", "@introduceDomain", "n0", req=5), msg("GET_PERMS", "/local/domain/7", req=6)],
    "watches": [msg("WATCH", "@introduceDomain", "t1"), msg("WATCH", "/local/domain", "t2", req=2),
                msg("WATCH", "domain", "rel", req=3), msg("WATCH", "/local/domain", "t2", req=4),
                msg("WRITE", "/local/domain/1/pool", "p", req=5), msg("RM", "/local/domain/1", req=6),
                msg("UNWATCH", "/local/domain", "t2", req=7), msg("UNWATCH", "/nope", "t", req=8),
                msg("RESET_WATCHES", req=9, raw=b"")],
    "transaction": [msg("TRANSACTION_START", raw=b"\0"), msg("WRITE", "/t/a", "1", req=2, tx=1),
                    msg("MKDIR", "/t/b", req=3, tx=1), msg("READ", "/t/a", req=4, tx=1),
                    msg("SET_PERMS", "/t/a", "n0", "r1", req=5, tx=1), msg("RM", "/t/b", req=6, tx=1),
                    msg("TRANSACTION_END", "T", req=7, tx=1), msg("READ", "/t/a", req=8)],
    "transaction-conflict": [msg("TRANSACTION_START", raw=b"\0"), msg("READ", "/local", req=2, tx=1),
                             msg("WRITE", "/local/x", "outside", req=3), msg("WRITE", "/local/y", "in", req=4, tx=1),
                             msg("TRANSACTION_END", "T", req=5, tx=1), msg("TRANSACTION_START", raw=b"\0", req=6),
                             msg("TRANSACTION_END", "F", req=7, tx=2), msg("TRANSACTION_END", "T", req=8, tx=9),
                             msg("TRANSACTION_START", raw=b"\0", req=9, tx=3)],
    "directory-part": [msg("WRITE", "/d/%03d" % i, "v", req=i) for i in range(40)] +
                      [msg("DIRECTORY_PART", "/d", "0", req=100), msg("DIRECTORY_PART", "/d", "24", req=101),
                       msg("DIRECTORY_PART", "/d", "x", req=102), msg("DIRECTORY", "/d", req=103)],
    "bad-paths": [msg("READ", "//x"), msg("WRITE", "/a/", "v", req=2), msg("READ", "/a b", req=3),
                  msg("READ", "/", req=4), msg("RM", "/", req=5), msg("MKDIR", "/" + "x" * 3100, req=6),
                  msg("READ", req=7, raw=b"/local"), msg("READ", req=8, raw=b"/a\0/b\0"),
                  msg("INTRODUCE", "1", "2", "3", req=9), msg("WATCH_EVENT", "/x", "t", req=10)],
    "big-value": [msg("WRITE", "/big", "v" * 4000), msg("READ", "/big", req=2)],
    "oversized-header": [msg("READ", "/local"), struct.pack("<IIII", 2, 2, 0, 4097) + b"x" * 16],
    "partial": [msg("READ", "/local"), struct.pack("<IIII", 2, 2, 0, 20) + b"/loc"],
}

out = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "corpus-xsd")
os.makedirs(out, exist_ok=True)
for name, frames in S.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"".join(frames))
