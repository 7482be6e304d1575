#!/usr/bin/env python3
"""A stand-in for journald's native socket: one JSON object per datagram, appended to a file.

usage: fake-journald.py SOCKET OUT
The native protocol: FIELD=value lines, or FIELD, newline, a 64-bit little-endian length, the
value and a newline for values with newlines; large messages come as a memfd (SCM_RIGHTS).
"""
import array
import json
import os
import socket
import struct
import sys


def parse(data):
    fields = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode(errors="replace")
    return fields


sock_path, out_path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
with open(out_path, "a", buffering=1) as out:
    while True:
        fds = array.array("i")
        msg, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4 * fds.itemsize))
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:len(cdata) - len(cdata) % fds.itemsize])
        for fd in fds:
            msg = os.pread(fd, 1 << 24, 0)
            os.close(fd)
        out.write(json.dumps(parse(msg)) + "\n")
