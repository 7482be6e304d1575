#!/usr/bin/env python3
"""A hostile stand-in for poold's control socket, to test that poolctl is a careful client.

usage: fake-poold.py SOCKET DIR [--no-accept]

For each connection it reads DIR/mode (one word) and DIR/reply (raw bytes,
sent as they are), so a test can change what the next connection gets:

  nogreet       accept and say nothing
  greet-silent  greet, then read the request and never answer
  reply         greet, read the request, send the reply bytes, then stay silent
  reply-close   greet, read the request, send the reply bytes, then close
  greeting      send the reply bytes in place of the greeting, then stay silent
  events        greet, answer the request with an empty return, then send each
                line of the reply bytes 1.5 s apart, then close

With --no-accept it listens with a backlog that one connection of its own
fills, and never accepts: connect() from anyone else blocks.
"""
import os
import socket
import sys
import threading
import time

GREETING = b'{"poold": {"protocol": 1, "version": "0.1.0"}}\n'


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def drain(conn):
    """Reads until the client goes away, answering nothing."""
    while conn.recv(65536):
        pass


def serve(conn, ctl):
    with open(os.path.join(ctl, "mode")) as f:
        mode = f.read().strip()
    with open(os.path.join(ctl, "reply"), "rb") as f:
        reply = f.read()
    try:
        if mode == "nogreet":
            drain(conn)
            return
        if mode == "greeting":
            conn.sendall(reply)
            drain(conn)
            return
        conn.sendall(GREETING)
        if read_line(conn) is None:
            return
        if mode == "greet-silent":
            drain(conn)
        elif mode in ("reply", "reply-close"):
            conn.sendall(reply)
            if mode == "reply":
                drain(conn)
        elif mode == "events":
            conn.sendall(b'{"return": {}, "id": 1}\n')
            for line in reply.splitlines(keepends=True):
                time.sleep(1.5)
                conn.sendall(line)
        else:
            sys.exit("fake-poold: unknown mode %r" % mode)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        conn.close()


def main():
    path, ctl = sys.argv[1], sys.argv[2]
    no_accept = "--no-accept" in sys.argv[3:]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    srv.listen(0)
    if no_accept:
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        filler.connect(path + ".tmp")
    # Only now visible: a test that waits for the socket finds it ready.
    os.rename(path + ".tmp", path)
    if no_accept:
        while True:
            time.sleep(3600)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, ctl), daemon=True).start()


if __name__ == "__main__":
    main()
