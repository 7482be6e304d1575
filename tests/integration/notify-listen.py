#!/usr/bin/env python3
"""A stand-in for systemd's notify socket: prints each line poold sends, one per line, flushed."""
import socket
import sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        for line in sock.recv(65536).decode(errors="replace").splitlines():
            out.write(line + "\n")
