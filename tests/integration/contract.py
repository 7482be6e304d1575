#!/usr/bin/env python3
"""The JSON contract of poolctl(8), read from the man page, checked against real replies.

poolctl(8) documents every member of every reply under "JSON REPLIES" and of
every event under "EVENTS": a subsection (.SS) per command, event or shared
object, and in it one field per .TP paragraph whose first line is
`\\fBname\\fR (type)`. The types: string, integer, number, boolean, object,
"NAME object", "array of integers", "array of NAME objects", each optionally
followed by "or null".

  contract.py MAN --list            prints the fields as the page has them
  contract.py MAN DIR               checks DIR/reply-CMD.json for every command
                                    documented, DIR/error.json against "error", and
                                    every line of DIR/events.jsonl; every documented
                                    event must be among them. Exit 1 on any difference.
"""
import json
import os
import re
import sys

FIELD = re.compile(r"^\\fB([a-z_]+)\\fR \((.+)\)$")


def unroff(s):
    return s.strip().strip('"').replace("\\-", "-")


def parse(path):
    """Returns {"JSON REPLIES": {section: {field: type}}, "EVENTS": {...}}."""
    out = {"JSON REPLIES": {}, "EVENTS": {}}
    part = sec = None
    tp = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH "):
                part = unroff(line[4:])
                sec = None
                continue
            if part not in out:
                continue
            if line.startswith(".SS "):
                sec = unroff(line[4:])
                if sec in out[part]:
                    sys.exit(f"poolctl(8): {part}: section {sec} twice")
                out[part][sec] = {}
                continue
            if line == ".TP":
                tp = True
                continue
            if tp and sec is not None:
                m = FIELD.match(line)
                if m:
                    if m.group(1) in out[part][sec]:
                        sys.exit(f"poolctl(8): {sec}: {m.group(1)} twice")
                    out[part][sec][m.group(1)] = m.group(2)
            tp = False
    return out


class Checker:
    def __init__(self, spec):
        # Objects may be named in either part; a command and an event may share a name.
        self.objects = {}
        for part in spec.values():
            for name, fields in part.items():
                if name.endswith(" object"):
                    self.objects[name[: -len(" object")]] = fields
        self.errors = []

    def fail(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def value(self, where, v, t):
        if t.endswith(" or null"):
            if v is None:
                return
            t = t[: -len(" or null")]
        if t.startswith("array of "):
            if not isinstance(v, list):
                return self.fail(where, f"is {json.dumps(v)[:60]}, not an array")
            elem = t[len("array of "):]
            elem = {"integers": "integer", "strings": "string"}.get(elem, elem)
            if elem.endswith(" objects"):
                elem = elem[: -len("s")]
            for i, e in enumerate(v):
                self.value(f"{where}[{i}]", e, elem)
            return
        if t.endswith(" object"):
            name = t[: -len(" object")]
            if name not in self.objects:
                return self.fail(where, f"poolctl(8) names no '{name} object'")
            return self.obj(where, v, self.objects[name])
        ok = {
            "string": lambda x: isinstance(x, str),
            "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
            "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "boolean": lambda x: isinstance(x, bool),
            "object": lambda x: isinstance(x, dict),
        }.get(t)
        if ok is None:
            return self.fail(where, f"poolctl(8) gives an unknown type '{t}'")
        if not ok(v):
            self.fail(where, f"is {json.dumps(v)[:60]}, not {t}")

    def obj(self, where, v, fields):
        if not isinstance(v, dict):
            return self.fail(where, f"is {json.dumps(v)[:60]}, not an object")
        for k in sorted(set(v) - set(fields)):
            self.fail(where, f"member '{k}' is not in poolctl(8)")
        for k in sorted(set(fields) - set(v)):
            self.fail(where, f"member '{k}' of poolctl(8) is missing")
        for k in sorted(set(v) & set(fields)):
            self.value(f"{where}.{k}", v[k], fields[k])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    spec = parse(sys.argv[1])
    if sys.argv[2] == "--list":
        for part, secs in spec.items():
            for sec, fields in secs.items():
                for k, t in fields.items():
                    print(f"{part}\t{sec}\t{k}\t{t}")
        return 0
    d = sys.argv[2]
    c = Checker(spec)
    replies = {k: v for k, v in spec["JSON REPLIES"].items() if not k.endswith(" object")}
    events = {k: v for k, v in spec["EVENTS"].items() if not k.endswith(" object")}
    # A page that parsed to nothing must not pass.
    if len(replies) < 10 or len(events) < 5 or "event" not in c.objects:
        sys.exit(f"poolctl(8): too little found: {sorted(replies)} {sorted(events)}")
    for name, fields in replies.items():
        f = os.path.join(d, "error.json" if name == "error" else f"reply-{name}.json")
        if not os.path.exists(f):
            c.fail(name, f"documented, but the test made no {os.path.basename(f)}")
            continue
        with open(f, encoding="utf-8") as fh:
            c.obj(name, json.load(fh), fields)
    for f in os.listdir(d):
        m = re.match(r"reply-(.+)\.json$", f)
        if m and m.group(1) not in replies:
            c.fail(m.group(1), "a reply of a command poolctl(8) does not document")
    seen = set()
    with open(os.path.join(d, "events.jsonl"), encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            ev = json.loads(line)
            where = f"event {i} ({ev.get('event')})"
            c.obj(where, ev, c.objects["event"])
            if ev.get("event") not in events:
                c.fail(where, "an event poolctl(8) does not document")
                continue
            seen.add(ev["event"])
            c.obj(f"{where}.data", ev.get("data"), events[ev["event"]])
    for name in sorted(set(events) - seen):
        c.fail(name, "documented, but the test saw no such event")
    for e in c.errors:
        print("contract:", e, file=sys.stderr)
    print(f"contract: {len(replies)} replies, {len(seen)} events, {len(c.errors)} differences")
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())
