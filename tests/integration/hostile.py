#!/usr/bin/env python3
"""Malformed and hostile control-protocol requests against a real poold, for t-hostile.sh.

  hostile.py SOCK RO_SOCK FACTS  runs every case of cases() against poold's main socket SOCK
                                 and its read-only socket RO_SOCK; FACTS is a JSON file of
                                 the host t-hostile.sh set up (below). Prints one line per
                                 case and a summary; exits 1 if a case failed or fewer than
                                 MIN_KINDS ran
  hostile.py --seeds DIR         writes each case's request bytes to DIR/hostile-NAME (the
                                 proto fuzzer's seeds, tests/fuzz/corpus-proto), but for the
                                 cases SEEDS_SKIP names and those over SEED_MAX bytes

The host (t-hostile.sh): pool0 with cpus 0-1, pool1 with 2-3 and the guest web1 (weight
512, cap 150), the pool "empty" without pCPUs, the guest db1 in pool0. FACTS says
{"web1": {"domid": N, "vcpus": N}, "dom0": {"vcpus": N}} as xensim sees them.

Each case is (name, bytes, expected, id, desc, how):
  expected  an error class, OK (a "return"), or for "pipeline" a list of (class or OK, id)
  id        the id the reply must carry (compared with its JSON type), or NOID for none
  desc      what the error's desc must contain: it says what was wrong
  how       "main" (a line on the shared main connection), "ro" (on the read-only socket),
            "eof" (a fresh connection: the bytes, then EOF; one reply, then poold closes),
            "close" (a fresh connection: one reply, then poold closes), "bytewise" (a fresh
            connection, one byte per write), "abandon" (a fresh connection closed right after
            the bytes, nothing read), "pipeline" (a fresh connection, all lines in one write)
Nothing in the table may change poold's state: t-hostile.sh checks that afterwards.
"""
import json
import os
import socket
import sys
import time

OK = "answered ok"
NOID = object()
MIN_KINDS = 40
LINE_MAX = 65536  # POOLD_LINE_MAX, include/poold-protocol.h
# Cases that get no seed in tests/fuzz/corpus-proto: those the corpus has near enough
# already (array, typo, huge-int, pool-list, status; the read-only ones are well-formed
# commands, and the fuzzer has full access), and those over SEED_MAX bytes: the driver takes
# its mutants' length from the largest seed, and their decoding is that of a short seed.
SEEDS_SKIP = {"top-array", "envelope-typo", "create-ncpu-2pow64", "ok-pool-list", "id-int",
              "bytewise", "ro-pool-create", "ro-pool-modify", "ro-pool-destroy",
              "ro-pool-migrate", "ro-domain-set", "ro-log-level", "ro-pool-list"}
SEED_MAX = 4096
FACTS = {"web1": {"domid": 1, "vcpus": 2}, "dom0": {"vcpus": 4}}


def req(cmd, args=None, ident=NOID, raw_args=None):
    """One request line as bytes, in the order execute, arguments, id; UTF-8 as it is."""
    parts = ['"execute":' + json.dumps(cmd, ensure_ascii=False)]
    if raw_args is not None:
        parts.append('"arguments":' + raw_args)
    elif args is not None:
        parts.append('"arguments":' + json.dumps(args, ensure_ascii=False))
    if ident is not NOID:
        parts.append('"id":' + json.dumps(ident, ensure_ascii=False))
    return ("{" + ",".join(parts) + "}").encode()


def cases(facts):
    web1 = facts["web1"]
    dom0_vcpus = facts["dom0"]["vcpus"]
    long_name = "n" * 10240
    t = []

    def add(name, data, expected, ident=NOID, desc="", how="main"):
        t.append((name, data, expected, ident, desc, how))

    # The envelope: what is not a request object at all.
    add("ok-pool-list", req("pool-list", ident=7), OK, 7)
    add("not-json", b"not json", "ProtocolError", desc="not JSON")
    add("top-array", b'[{"execute":"status"}]', "ProtocolError", desc="an array, not a JSON object")
    add("top-number", b"42", "ProtocolError", desc="an integer, not a JSON object")
    add("top-real", b"-0.5e3", "ProtocolError", desc="a number with a fraction, not")
    add("top-string", b'"status"', "ProtocolError", desc="a string, not a JSON object")
    add("top-null", b"null", "ProtocolError", desc="null, not a JSON object")
    add("top-bool", b"true", "ProtocolError", desc="a boolean, not a JSON object")
    add("empty-object", b"{}", "ProtocolError", desc='no "execute"')
    add("id-only", b'{"id":"x"}', "ProtocolError", "x", desc='no "execute"')
    add("two-objects", req("status") + b" " + req("status"), "ProtocolError", desc="not JSON")
    add("trailing-comma", b'{"execute":"status",}', "ProtocolError", desc="not JSON")
    add("single-quotes", b"{'execute':'status'}", "ProtocolError", desc="not JSON")
    add("envelope-typo", b'{"execute":"status","argumnets":{}}', "ProtocolError",
        desc="unknown member 'argumnets'")
    add("envelope-key-10k", ('{"execute":"status","%s":1}' % ("k" * 10240)).encode(),
        "ProtocolError", desc="unknown member 'kkkk")
    add("envelope-event", b'{"event":"pool-changed","data":{"pool":"pool1"}}', "ProtocolError",
        desc="unknown member")
    add("envelope-return", b'{"execute":"status","return":{}}', "ProtocolError",
        desc="unknown member 'return'")
    add("greeting-echoed", b'{"poold":{"protocol":1,"version":"0.1.0"}}', "ProtocolError",
        desc="unknown member 'poold'")
    add("bom", b"\xef\xbb\xbf" + req("status"), "ProtocolError", desc="not JSON")
    add("comment", req("status") + b" // status", "ProtocolError", desc="not JSON")
    add("nan", b'{"execute":"pool-create","arguments":{"name":"a","ncpu":NaN}}', "ProtocolError",
        desc="not JSON")
    add("infinity", b'{"execute":"domain-set","arguments":{"domain":1,"cap":-Infinity}}',
        "ProtocolError", desc="not JSON")
    add("whitespace-around", b" \t " + req("status", ident="ws") + b" \t ", OK, "ws")
    add("truncated-eof", b'{"execute":"pool-destroy","arguments":{"na', "ProtocolError",
        desc="not JSON", how="eof")
    add("line-at-limit", pad(req("status", ident="at-limit"), LINE_MAX), OK, "at-limit")
    add("line-at-limit-crlf", pad(req("status", ident="crlf"), LINE_MAX) + b"\r", OK, "crlf")
    add("line-over-limit", pad(req("status", ident="over"), LINE_MAX + 1), "ProtocolError",
        desc="longer than 65536 bytes", how="close")
    add("line-far-over-limit", b"{" + b" " * 70000 + b"}", "ProtocolError",
        desc="longer than 65536 bytes: connection closed", how="close")
    add("nul-in-string", b'{"execute":"sta\x00tus"}', "ProtocolError", desc="not JSON")
    add("nul-after-object", req("status") + b"\x00", "ProtocolError", desc="not JSON")
    add("nul-first", b"\x00" + req("status"), "ProtocolError", desc="not JSON")
    add("nul-escaped", b'{"execute":"pool-create","arguments":{"name":"a\\u0000b","ncpu":1}}',
        "ProtocolError", desc="not JSON")
    add("utf8-invalid", b'{"execute":"st\xff\xfeatus"}', "ProtocolError", desc="not JSON")
    add("utf8-overlong-slash",
        b'{"execute":"pool-create","arguments":{"name":"a\xc0\xafb","ncpu":1}}',
        "ProtocolError", desc="not JSON")
    add("utf8-lone-surrogate",
        b'{"execute":"pool-create","arguments":{"name":"\\ud800","ncpu":1}}', "ProtocolError",
        desc="not JSON")
    add("nested-10000", b"[" * 10000 + b"]" * 10000, "ProtocolError", desc="depth")
    add("nested-10000-in-id", b'{"execute":"status","id":' + b"[" * 10000 + b"]" * 10000 + b"}",
        "ProtocolError", desc="depth")
    add("nested-10000-unclosed", b'{"execute":"status","arguments":' + b"{\"a\":" * 10000,
        "ProtocolError", desc="not JSON")
    add("nul-escaped-key", b'{"execute":"status","arguments":{"a\\u0000b":1}}', "ProtocolError",
        desc="not JSON")
    add("duplicate-execute", b'{"execute":"status","execute":"pool-destroy"}', "ProtocolError",
        desc="duplicate")
    add("duplicate-argument",
        b'{"execute":"pool-create","arguments":{"name":"a","name":"pool1","ncpu":1}}',
        "ProtocolError", desc="duplicate")
    add("duplicate-id", b'{"execute":"status","id":1,"id":2}', "ProtocolError", desc="duplicate")

    # "execute" and "arguments" of the wrong type; commands that do not exist.
    for name, value, what in [("number", "5", "an integer"), ("null", "null", "null"),
                              ("array", '["status"]', "an array"),
                              ("object", '{"name":"status"}', "an object"),
                              ("bool", "false", "a boolean")]:
        add("execute-" + name, ('{"execute":%s,"id":"e"}' % value).encode(), "ProtocolError",
            "e", desc='"execute" must be a string, not ' + what)
    add("unknown-command", req("no-such"), "CommandNotFound", desc="no command 'no-such'")
    add("unknown-command-empty", req(""), "CommandNotFound", desc="no command ''")
    add("unknown-command-case", req("POOL-LIST"), "CommandNotFound", desc="POOL-LIST")
    add("unknown-command-10k", req("x" * 10240, ident=3), "CommandNotFound", 3,
        desc="no command 'xxxxxxxx")
    add("unknown-command-qmp", req("qmp_capabilities"), "CommandNotFound",
        desc="no command 'qmp_capabilities': query-commands lists them")
    add("unknown-command-escaped-nul", b'{"execute":"status\\u0000x"}', "ProtocolError",
        desc="not JSON")
    add("unknown-command-args", req("no-such", raw_args="7"), "ProtocolError",
        desc='"arguments" must be an object')
    for name, value, what in [("array", "[1]", "an array"), ("string", '"name=a"', "a string"),
                              ("null", "null", "null"), ("number", "1", "an integer")]:
        add("arguments-" + name, req("pool-list", raw_args=value, ident=[name]), "ProtocolError",
            [name], desc='"arguments" must be an object, not ' + what)
    for cmd in ("pool-list", "domain-list", "status", "subscribe", "query-commands", "top"):
        add("args-to-" + cmd, req(cmd, {"verbose": True}), "InvalidArgument",
            desc=cmd + " takes no arguments, but got 'verbose'")

    # Ids of every JSON type come back as they were sent.
    for name, ident in [("int", 12), ("negative", -9223372036854775808), ("max", 2**63 - 1),
                        ("real", 1.5), ("string", "r-1"), ("empty-string", ""), ("null", None),
                        ("true", True), ("false", False), ("array", [1, "two", None]),
                        ("object", {"k": [1, {"deep": True}], "n": None}),
                        ("unicode", "é€\U0001F600"), ("control", "a\nb\x01\x1b[0m"),
                        ("10k", "i" * 10240)]:
        add("id-" + name, req("status", ident=ident), OK, ident)
    # pool-list and domain-list replies are cached text with the id spliced in.
    for cmd in ("pool-list", "domain-list"):
        for name, ident in [("object", {"k": [1, {"deep": True}], "n": None}), ("null", None),
                            ("false", False), ("real", -2.5e-300),
                            ("control", "\"\\\n\u2028\x7f"), ("10k", "j" * 10240)]:
            add("id-%s-%s" % (name, cmd), req(cmd, ident=ident), OK, ident)
    add("id-nested-2000", b'{"execute":"status","id":' + b"[" * 2000 + b"]" * 2000 + b"}", OK,
        nest(2000))
    add("id-on-error", req("pool-destroy", {"name": "nosuch"}, {"k": [1]}), "NotFound",
        {"k": [1]}, desc='no pool named "nosuch"')
    add("id-2pow64", b'{"execute":"status","id":18446744073709551616}', "ProtocolError",
        desc="not JSON")

    # pool-create
    add("create-no-name", req("pool-create", {"ncpu": 1}), "InvalidArgument",
        desc="pool-create needs argument 'name'")
    add("create-name-int", req("pool-create", {"name": 5, "ncpu": 1}), "InvalidArgument",
        desc="argument 'name' of pool-create must be a string, not an integer")
    add("create-ncpu-string", req("pool-create", {"name": "a", "ncpu": "2"}), "InvalidArgument",
        desc="argument 'ncpu' of pool-create must be an integer, not a string")
    add("create-extra", req("pool-create", {"name": "a", "ncpu": 1, "bogus": 1}),
        "InvalidArgument", desc="pool-create has no argument 'bogus'")
    add("create-name-empty", req("pool-create", {"name": "", "ncpu": 1}), "InvalidArgument",
        desc='"" is not a valid pool name')
    add("create-name-10k", req("pool-create", {"name": long_name, "ncpu": 1}), "InvalidArgument",
        desc='"nnnnnnnn')
    add("create-name-slash", req("pool-create", {"name": "a/b", "ncpu": 1}), "InvalidArgument",
        desc='"a/b" is not a valid pool name')
    add("create-name-dotdot", req("pool-create", {"name": "../x", "ncpu": 1}),
        "InvalidArgument", desc="is not a valid pool name")
    add("create-name-newline", req("pool-create", {"name": "a\nb", "ncpu": 1}),
        "InvalidArgument", desc="is not a valid pool name")
    add("create-name-escape", req("pool-create", {"name": "\x1b[31mred", "ncpu": 1}),
        "InvalidArgument", desc="is not a valid pool name")
    add("create-name-space", req("pool-create", {"name": "a b", "ncpu": 1}), "InvalidArgument",
        desc='"a b" is not a valid pool name')
    # 2-byte characters past the length: the message's cut must not split one.
    add("create-name-utf8-long", req("pool-create", {"name": "a" + "é" * 40, "ncpu": 1}),
        "InvalidArgument", desc='"aéé')
    add("create-pool0", req("pool-create", {"name": "pool0", "ncpu": 1}), "AlreadyExists",
        desc='pool "pool0" already exists')
    add("create-existing", req("pool-create", {"name": "pool1", "ncpu": 1}), "AlreadyExists",
        desc='pool "pool1" already exists')
    add("create-ncpu-0", req("pool-create", {"name": "a", "ncpu": 0}), "InvalidArgument",
        desc="ncpu 0 is out of range")
    add("create-ncpu-negative", req("pool-create", {"name": "a", "ncpu": -1}), "InvalidArgument",
        desc="ncpu -1 is out of range")
    add("create-ncpu-huge", req("pool-create", {"name": "a", "ncpu": 2**63 - 1}),
        "InvalidArgument", desc="ncpu 9223372036854775807 is out of range")
    add("create-ncpu-2pow64", b'{"execute":"pool-create","arguments":{"name":"a",'
        b'"ncpu":18446744073709551616}}', "ProtocolError", desc="not JSON")
    add("create-ncpu-1e400", b'{"execute":"pool-create","arguments":{"name":"a","ncpu":1e400}}',
        "ProtocolError", desc="not JSON")
    add("create-ncpu-real", b'{"execute":"pool-create","arguments":{"name":"a","ncpu":1.0}}',
        "InvalidArgument", desc="must be an integer, not a number with a fraction")
    add("create-ncpu-bool", req("pool-create", {"name": "a", "ncpu": True}), "InvalidArgument",
        desc="must be an integer, not a boolean")
    add("create-ncpu-more-than-free", req("pool-create", {"name": "a", "ncpu": 2}), "NoFreeCpu",
        desc="not enough free pCPUs: 2 more wanted, but pool0 has 2 and must keep 1")
    add("create-ncpu-and-cpus", req("pool-create", {"name": "a", "ncpu": 1, "cpus": "1"}),
        "InvalidArgument", desc="not several")
    add("create-no-cpus", req("pool-create", {"name": "a"}), "InvalidArgument",
        desc="pool-create needs ncpu")
    add("create-nodes-and-cpus", req("pool-create", {"name": "a", "nodes": "0", "cpus": "1"}),
        "InvalidArgument", desc="not several")
    add("create-nodes-number", req("pool-create", {"name": "a", "nodes": 0}), "InvalidArgument",
        desc="nodes")
    add("create-nodes-past-host", req("pool-create", {"name": "a", "nodes": "7"}),
        "InvalidArgument", desc="node 7 is out of range: this host has 1 NUMA node (0-0)")
    add("create-nodes-letter", req("pool-create", {"name": "a", "nodes": "x"}), "InvalidArgument",
        desc="is not a node or a node range")
    add("create-cpus-node-item-past-host", req("pool-create", {"name": "a", "cpus": "node:99"}),
        "InvalidArgument", desc="node 99 is out of range")
    add("create-cpus-nodes-reversed", req("pool-create", {"name": "a", "cpus": "nodes:1-0"}),
        "InvalidArgument", desc="reversed node range")
    add("create-nodes-long", req("pool-create", {"name": "a", "nodes": "0," * 400 + "0"}),
        "InvalidArgument", desc="the node list is too long")
    for name, cpus, desc in [("open-range", "1-", "is not a cpu, a range"),
                             ("reversed", "3-1", "reversed range"),
                             ("letter", "a", '"a" in cpu list "a" is not a cpu'),
                             ("empty-item", "1,,2", "has an empty item"),
                             ("huge", "999999999", "cpu 999999999 is out of range"),
                             ("empty", "", "the cpu list is empty"),
                             ("negative", "-1", "is not a cpu, a range"),
                             ("past-host", "4", "cpu 4 is out of range: this host has 4"),
                             ("overflow", "1" * 40, "is out of range"),
                             ("only-excluded", "^1", 'pool "a" needs at least one pCPU'),
                             ("10k", "1," * 5000 + "x", '"x" in cpu list "1,1,1,'),
                             ("utf8", "\u00e9", '"\u00e9" in cpu list'),
                             ("control", "1\x1b", 'in cpu list "1\x1b" is not a cpu')]:
        add("create-cpus-" + name, req("pool-create", {"name": "a", "cpus": cpus}),
            "InvalidArgument", desc=desc)
    add("create-cpus-taken", req("pool-create", {"name": "a", "cpus": "2"}), "Busy",
        desc="cpu 2 is not free: it belongs to pool1")
    add("create-cpus-all-of-pool0", req("pool-create", {"name": "a", "cpus": "0-1"}),
        "NoFreeCpu", desc="pool0 must keep at least one pCPU")
    add("create-cap-negative", req("pool-create", {"name": "a", "ncpu": 1, "cap": -1}),
        "InvalidArgument", desc="cap -1 is out of range")
    add("create-cap-huge", req("pool-create", {"name": "a", "ncpu": 1, "cap": 401}),
        "InvalidArgument", desc="cap 401 is out of range: use 0..400")
    add("create-share-bad", req("pool-create", {"name": "a", "ncpu": 1, "share": "maybe"}),
        "InvalidArgument", desc='share "maybe" is unknown')

    # pool-modify
    add("modify-no-name", req("pool-modify", {"ncpu": 1}), "InvalidArgument",
        desc="pool-modify needs argument 'name'")
    add("modify-name-array", req("pool-modify", {"name": ["pool1"], "ncpu": 1}),
        "InvalidArgument", desc="must be a string, not an array")
    add("modify-extra", req("pool-modify", {"name": "pool1", "force": True}), "InvalidArgument",
        desc="pool-modify has no argument 'force'")
    add("modify-nothing", req("pool-modify", {"name": "pool1"}), "InvalidArgument",
        desc="say what to change")
    add("modify-name-empty", req("pool-modify", {"name": "", "cap": 0}), "NotFound",
        desc='no pool named ""')
    add("modify-name-10k", req("pool-modify", {"name": long_name, "cap": 0}), "NotFound",
        desc='no pool named "nnnn')
    add("modify-name-slash", req("pool-modify", {"name": "pool1/..", "cap": 0}), "NotFound",
        desc='no pool named "pool1/.."')
    add("modify-name-control", req("pool-modify", {"name": "pool1\n", "cap": 0}), "NotFound",
        desc="no pool named")
    add("modify-pool0-ncpu", req("pool-modify", {"name": "pool0", "ncpu": 1}), "Protected",
        desc="pool0 can't be resized")
    add("modify-take-pool0-last", req("pool-modify", {"name": "pool1", "cpus": "0-3"}),
        "NoFreeCpu", desc="pool0 must keep at least one pCPU")
    add("modify-take-pool0-all-by-count", req("pool-modify", {"name": "pool1", "ncpu": 4}),
        "NoFreeCpu", desc="not enough free pCPUs: 2 more wanted, but pool0 has 2")
    add("modify-empty-members", req("pool-modify", {"name": "pool1", "ncpu": 0}), "Busy",
        desc="pool1")
    add("modify-cpus-reversed", req("pool-modify", {"name": "pool1", "cpus": "3-1"}),
        "InvalidArgument", desc="reversed range")
    add("modify-cap-real", b'{"execute":"pool-modify","arguments":{"name":"pool1","cap":1e2}}',
        "InvalidArgument", desc="must be an integer, not a number with a fraction")
    add("modify-cap-huge", req("pool-modify", {"name": "pool1", "cap": 2**63 - 1}),
        "InvalidArgument", desc="is out of range")
    add("modify-cap-int-wrap", req("pool-modify", {"name": "pool1", "cap": 2**32 + 50}),
        "InvalidArgument", desc="cap 4294967346 is out of range")
    # A good cap with a bad size: neither is applied.
    add("modify-cap-with-bad-ncpu", req("pool-modify", {"name": "pool1", "cap": 50, "ncpu": 4}),
        "NoFreeCpu", desc="not enough free pCPUs")
    add("modify-share-bad", req("pool-modify", {"name": "pool1", "share": "AUTO"}),
        "InvalidArgument", desc='share "AUTO" is unknown')

    # pool-destroy
    add("destroy-pool0", req("pool-destroy", {"name": "pool0"}), "Protected",
        desc="pool0 can't be destroyed")
    add("destroy-pool0-force", req("pool-destroy", {"name": "pool0", "force": True}),
        "Protected", desc="pool0 can't be destroyed")
    add("destroy-pool0-escaped", b'{"execute":"pool-destroy","arguments":{"name":"\\u0070ool0"}}',
        "Protected", desc="pool0 can't be destroyed")
    add("destroy-name-int", req("pool-destroy", {"name": 0}), "InvalidArgument",
        desc="argument 'name' of pool-destroy must be a string, not an integer")
    add("destroy-busy", req("pool-destroy", {"name": "pool1"}), "Busy", desc="pool pool1 has 1")
    add("destroy-no-name", req("pool-destroy", {}), "InvalidArgument",
        desc="pool-destroy needs argument 'name'")
    add("destroy-force-string", req("pool-destroy", {"name": "pool1", "force": "yes"}),
        "InvalidArgument", desc="argument 'force' of pool-destroy must be a boolean")
    add("destroy-force-int", req("pool-destroy", {"name": "pool1", "force": 1}),
        "InvalidArgument", desc="must be a boolean, not an integer")
    add("destroy-extra", req("pool-destroy", {"name": "empty", "recursive": True}),
        "InvalidArgument", desc="pool-destroy has no argument 'recursive'")
    add("destroy-name-empty", req("pool-destroy", {"name": ""}), "NotFound",
        desc='no pool named ""')
    add("destroy-name-10k", req("pool-destroy", {"name": long_name}), "NotFound",
        desc='no pool named "nnnn')
    add("destroy-name-slash", req("pool-destroy", {"name": "/pool1"}), "NotFound",
        desc='no pool named "/pool1"')
    add("destroy-name-control", req("pool-destroy", {"name": "empty\r"}), "NotFound",
        desc="no pool named")
    add("destroy-name-case", req("pool-destroy", {"name": "POOL0"}), "NotFound",
        desc='no pool named "POOL0"')

    # pool-migrate
    add("migrate-dom0", req("pool-migrate", {"domain": 0, "pool": "pool1"}), "Protected",
        desc="domain 0 always stays in pool0")
    add("migrate-dom0-by-name", req("pool-migrate", {"domain": "Domain-0", "pool": "pool0"}),
        "Protected", desc="domain 0 always stays in pool0")
    add("migrate-dom0-as-00", req("pool-migrate", {"domain": "00", "pool": "pool1"}),
        "Protected", desc="domain 0 always stays in pool0")
    add("migrate-dom0-as-minus-0", b'{"execute":"pool-migrate","arguments":{"domain":-0,'
        b'"pool":"pool1"}}', "Protected", desc="domain 0 always stays in pool0")
    add("migrate-pool-slash", req("pool-migrate", {"domain": "web1", "pool": "pool1/x"}),
        "NotFound", desc='no pool named "pool1/x"')
    add("migrate-domid-11-digits", req("pool-migrate", {"domain": "00000000001", "pool": "pool0"}),
        "NotFound", desc='no domain "00000000001"')
    add("migrate-domid-wraps", req("pool-migrate", {"domain": str(2**32 + web1["domid"]),
                                                    "pool": "pool0"}),
        "NotFound", desc='no domain "%d"' % (2**32 + web1["domid"]))
    add("migrate-no-pool", req("pool-migrate", {"domain": "web1"}), "InvalidArgument",
        desc="pool-migrate needs argument 'pool'")
    add("migrate-no-domain", req("pool-migrate", {"pool": "pool0"}), "InvalidArgument",
        desc="pool-migrate needs argument 'domain'")
    add("migrate-domain-bool", req("pool-migrate", {"domain": True, "pool": "pool0"}),
        "InvalidArgument", desc="must be a domain name or domid, not a boolean")
    add("migrate-domain-real", req("pool-migrate", {"domain": 1.0, "pool": "pool0"}),
        "InvalidArgument", desc="not a number with a fraction")
    add("migrate-domid-negative", req("pool-migrate", {"domain": -1, "pool": "pool0"}),
        "InvalidArgument", desc="domid -1 is out of range")
    add("migrate-domid-reserved", req("pool-migrate", {"domain": 0x7ff0, "pool": "pool0"}),
        "InvalidArgument", desc="domid 32752 is out of range")
    add("migrate-domid-absent", req("pool-migrate", {"domain": 999, "pool": "pool0"}),
        "NotFound", desc='no domain "999"')
    add("migrate-pool-absent", req("pool-migrate", {"domain": "web1", "pool": "nosuch"}),
        "NotFound", desc='no pool named "nosuch"')
    add("migrate-pool-no-cpus", req("pool-migrate", {"domain": "web1", "pool": "empty"}),
        "NoFreeCpu", desc="pool empty has no pCPUs")
    add("migrate-domain-empty", req("pool-migrate", {"domain": "", "pool": "pool0"}),
        "InvalidArgument", desc="domain must be a name or a domid")
    add("migrate-domain-10k", req("pool-migrate", {"domain": long_name, "pool": "pool0"}),
        "InvalidArgument", desc="domain name is longer than 64 characters")
    add("migrate-domain-control", req("pool-migrate", {"domain": "web1\x07", "pool": "pool0"}),
        "NotFound", desc="no domain")
    add("migrate-pool-10k", req("pool-migrate", {"domain": "web1", "pool": long_name}),
        "NotFound", desc='no pool named "nnnn')
    add("migrate-extra", req("pool-migrate", {"domain": "web1", "pool": "pool0", "live": True}),
        "InvalidArgument", desc="pool-migrate has no argument 'live'")

    # domain-set
    add("set-dom0-nothing", req("domain-set", {"domain": 0}), "InvalidArgument",
        desc="needs weight or cap")
    add("set-dom0-cap-101", req("domain-set", {"domain": 0, "cap": 101 * dom0_vcpus}),
        "InvalidArgument", desc="cap %d is out of range for Domain-0" % (101 * dom0_vcpus))
    add("set-domid-absent", req("domain-set", {"domain": 999, "weight": 512}), "NotFound",
        desc='no domain "999"')
    add("set-domid-reserved", req("domain-set", {"domain": 0x7ff0, "weight": 512}),
        "InvalidArgument", desc="domid 32752 is out of range")
    add("set-weight-0", req("domain-set", {"domain": "web1", "weight": 0}), "InvalidArgument",
        desc="weight 0 is out of range")
    add("set-weight-65536", req("domain-set", {"domain": "web1", "weight": 65536}),
        "InvalidArgument", desc="weight 65536 is out of range")
    add("set-weight-negative", req("domain-set", {"domain": "web1", "weight": -1}),
        "InvalidArgument", desc="weight -1 is out of range")
    add("set-weight-int-wrap", req("domain-set", {"domain": "web1", "weight": 2**32 + 512}),
        "InvalidArgument", desc="weight 4294967808 is out of range")
    add("set-weight-string", req("domain-set", {"domain": "web1", "weight": "512"}),
        "InvalidArgument", desc="argument 'weight' of domain-set must be an integer")
    add("set-weight-null", req("domain-set", {"domain": "web1", "weight": None}),
        "InvalidArgument", desc="must be an integer, not null")
    add("set-cap-101", req("domain-set", {"domain": web1["domid"], "cap": 101 * web1["vcpus"]}),
        "InvalidArgument", desc="cap %d is out of range for web1" % (101 * web1["vcpus"]))
    add("set-cap-65536", req("domain-set", {"domain": "web1", "cap": 65536}), "InvalidArgument",
        desc="cap 65536 is out of range")
    add("set-cap-negative", req("domain-set", {"domain": "web1", "cap": -1}), "InvalidArgument",
        desc="cap -1 is out of range")
    # A good weight with a bad cap: neither is applied.
    add("set-weight-with-bad-cap",
        req("domain-set", {"domain": "web1", "weight": 100, "cap": 101 * web1["vcpus"]}),
        "InvalidArgument", desc="is out of range for web1")
    add("set-no-domain", req("domain-set", {"weight": 512}), "InvalidArgument",
        desc="domain-set needs argument 'domain'")
    add("set-domain-empty", req("domain-set", {"domain": "", "weight": 512}), "InvalidArgument",
        desc="domain must be a name or a domid")
    add("set-domain-10k", req("domain-set", {"domain": long_name, "weight": 512}),
        "InvalidArgument", desc="longer than 64 characters")
    add("set-domain-slash", req("domain-set", {"domain": "web1/..", "weight": 512}), "NotFound",
        desc='no domain "web1/.."')
    add("set-domain-utf8-long", req("domain-set", {"domain": "é" * 30 + "xyz", "weight": 512}),
        "NotFound", desc='no domain "éé')
    add("set-domain-control", req("domain-set", {"domain": "db1\n", "weight": 512}), "NotFound",
        desc="no domain")
    add("set-domid-huge", req("domain-set", {"domain": 2**40, "weight": 512}), "InvalidArgument",
        desc="domid 1099511627776 is out of range")
    add("set-extra", req("domain-set", {"domain": "web1", "weight": 512, "pool": "pool0"}),
        "InvalidArgument", desc="domain-set has no argument 'pool'")

    # log-level
    add("log-no-level", req("log-level", {}), "InvalidArgument",
        desc="log-level needs argument 'level'")
    add("log-level-int", req("log-level", {"level": 7}), "InvalidArgument",
        desc="argument 'level' of log-level must be a string, not an integer")
    add("log-level-unknown", req("log-level", {"level": "verbose"}), "InvalidArgument",
        desc="no log level 'verbose'")
    add("log-level-empty", req("log-level", {"level": ""}), "InvalidArgument",
        desc="no log level ''")
    add("log-level-10k", req("log-level", {"level": long_name}), "InvalidArgument",
        desc="no log level 'nnnn")
    add("log-level-upper", req("log-level", {"level": "DEBUG"}), "InvalidArgument",
        desc="no log level 'DEBUG'")
    add("log-level-newline", req("log-level", {"level": "err\n"}), "InvalidArgument",
        desc="no log level")
    add("log-level-slash", req("log-level", {"level": "err/debug"}), "InvalidArgument",
        desc="no log level 'err/debug'")
    add("log-level-extra", req("log-level", {"level": "info", "for": 10}), "InvalidArgument",
        desc="log-level has no argument 'for'")

    # Changes to what already is: answered, and nothing moves.
    add("noop-pool-cap", req("pool-modify", {"name": "pool1", "cap": 0}, "n1"), OK, "n1")
    add("noop-pool-cpus", req("pool-modify", {"name": "pool1", "cpus": "3,2"}, "n2"), OK, "n2")
    add("noop-domain-set", req("domain-set", {"domain": "web1", "weight": 512, "cap": 150}, "n3"),
        OK, "n3")
    add("noop-migrate", req("pool-migrate", {"domain": "web1", "pool": "pool1"}, "n4"), OK, "n4")
    add("noop-log-level", req("log-level", {"level": "debug"}, "n5"), OK, "n5")

    # The read-only socket: every mutating command is refused, whatever its arguments.
    for cmd, args in [("pool-create", {"name": "ro", "ncpu": 1}),
                      ("pool-modify", {"name": "pool1", "cap": 10}),
                      ("pool-destroy", {"name": "empty"}),
                      ("pool-migrate", {"domain": "db1", "pool": "pool1"}),
                      ("domain-set", {"domain": "db1", "weight": 1}),
                      ("log-level", {"level": "err"})]:
        add("ro-" + cmd, req(cmd, args, "ro"), "PermissionDenied", "ro",
            desc=cmd + " changes poold and this is the read-only socket", how="ro")
    add("ro-bad-arguments", req("pool-destroy", {"name": 5, "bogus": 1}), "PermissionDenied",
        desc="read-only socket", how="ro")
    add("ro-unknown-command", req("pool-wipe", ident=1), "CommandNotFound", 1,
        desc="no command 'pool-wipe'", how="ro")
    # Anyone may use this socket: a name it sends must not forge a line of poold's log.
    add("ro-log-forgery", req("x\npoold: pool pool0 destroyed (asked by uid 0, pid 1)"),
        "CommandNotFound", desc="no command 'x\npoold: pool pool0 destroyed", how="ro")
    add("ro-not-json", b"\xff{", "ProtocolError", desc="not JSON", how="ro")
    add("ro-pool-list", req("pool-list", ident="r"), OK, "r", how="ro")

    # Framing: many lines in one write, bytes one by one, lines cut short.
    good = [req("status", ident=1), req("pool-list", ident=2), req("domain-list", ident=3)]
    add("pipeline-bad-middle",
        b"\n".join(good + [b'{"execute":', req("pool-destroy", {"name": "pool0"}, 5),
                           req("query-commands", ident=6), b"", b"   ",
                           req("top", ident=7)]) + b"\n",
        [(OK, 1), (OK, 2), (OK, 3), ("ProtocolError", NOID), ("Protected", 5), (OK, 6),
         (OK, 7)], how="pipeline")
    many, want = [], []
    for i in range(100):
        if i % 10 == 5:
            many.append(req("pool-create", {"name": "p%d" % i, "ncpu": 0}, i))
            want.append(("InvalidArgument", i))
        else:
            many.append(req("pool-list" if i % 2 else "status", ident=i))
            want.append((OK, i))
    add("pipeline-100", b"\n".join(many) + b"\n", want, how="pipeline")
    add("pipeline-crlf-last-without-newline",
        req("status", ident="a") + b"\r\n" + req("no-such", ident="b"), [(OK, "a"),
                                                                         ("CommandNotFound", "b")],
        how="pipeline")
    many_eof = b"\n".join(many[:-1]) + b"\n" + many[-1]
    add("pipeline-100-eof", many_eof, want, how="pipeline")
    add("pipeline-subscribed",
        b"\n".join([req("subscribe", ident="s"), b"{", b"\r", b"\t",
                    req("pool-destroy", {"name": "pool0"}, "d"), req("status", ident="t")])
        + b"\n", [(OK, "s"), ("ProtocolError", NOID), ("Protected", "d"), (OK, "t")],
        how="pipeline")
    add("bytewise", req("pool-list", ident="slow") + b"\n", OK, "slow", how="bytewise")
    add("bytewise-bad", req("pool-destroy", {"name": "pool0"}, "slow-bad") + b"\n", "Protected",
        "slow-bad", desc="pool0 can't be destroyed", how="bytewise")
    add("half-line-close", b'{"execute":"pool-destroy","arguments":{"name":"po', None,
        how="abandon")
    add("request-then-close", req("pool-destroy", {"name": "pool1", "force": True}) + b"xx\n",
        None, how="abandon")
    add("listing-then-close", req("domain-list") + b"\n", None, how="abandon")
    return t


def pad(line, size):
    """The request line with spaces before its closing brace, to size bytes."""
    assert line.endswith(b"}") and len(line) <= size
    return line[:-1] + b" " * (size - len(line)) + b"}"


def nest(depth):
    v = []
    for _ in range(depth - 1):
        v = [v]
    return v


def same(a, b):
    """Equal as JSON, types included (Python has True == 1 == 1.0)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""
        greeting = self.reply()
        if not isinstance(greeting, dict) or greeting.get("poold", {}).get("protocol") != 1:
            raise AssertionError("bad greeting %r" % greeting)

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        """The next line poold sent, without its newline; None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                if self.buf:
                    raise AssertionError("EOF inside a line: %r" % self.buf[:200])
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        """The next message that is not an event, decoded; None at EOF."""
        while True:
            line = self.line()
            if line is None:
                return None
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def close(self):
        self.s.close()


def check(reply, expected, ident, desc):
    """What is wrong with a reply, or None."""
    if reply is None:
        return "no reply: the connection closed"
    if not isinstance(reply, dict):
        return "reply is not an object: %r" % (reply,)
    if ident is NOID and "id" in reply:
        return "reply has an id, none was sent: %r" % (reply["id"],)
    if ident is not NOID and ("id" not in reply or not same(reply["id"], ident)):
        return "id %s, want %s" % (json.dumps(reply.get("id"))[:80], json.dumps(ident)[:80])
    if expected == OK:
        if "return" not in reply or "error" in reply:
            return "want a return, got %s" % json.dumps(reply)[:300]
        return None
    err = reply.get("error")
    if not isinstance(err, dict) or "return" in reply:
        return "want %s, got %s" % (expected, json.dumps(reply)[:300])
    if err.get("class") != expected:
        return "class %s, want %s (%s)" % (err.get("class"), expected, err.get("desc"))
    if not isinstance(err.get("desc"), str) or not err["desc"]:
        return "no desc"
    if desc not in err["desc"]:
        return "desc %r does not say %r" % (err["desc"][:300], desc)
    return None


def printable(text):
    """Text for the terminal: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def desc_of(reply):
    """The desc of an error reply, for the case's line; "" for anything else."""
    if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
        return str(reply["error"].get("desc", ""))
    return ""


def run_case(main, paths, case):
    """Runs one case; returns (what is wrong or None, the error's desc, the main connection)."""
    name, data, expected, ident, desc, how = case
    if how == "main":
        main.send(data + b"\n")
        r = main.reply()
        return check(r, expected, ident, desc), desc_of(r), main
    if how == "ro":
        c = Conn(paths[1])
        c.send(data + b"\n")
        r = c.reply()
        c.close()
        return check(r, expected, ident, desc), desc_of(r), main
    c = Conn(paths[0])
    try:
        if how in ("eof", "close"):
            c.send(data if how == "eof" else data + b"\n")
            if how == "eof":
                c.s.shutdown(socket.SHUT_WR)
            r = c.reply()
            why = check(r, expected, ident, desc)
            if why is None and c.line() is not None:
                why = "the connection stayed open after the reply"
            return why, desc_of(r), main
        if how == "bytewise":
            for i in range(len(data)):
                c.send(data[i:i + 1])
                time.sleep(0.002)
            r = c.reply()
            return check(r, expected, ident, desc), desc_of(r), main
        if how == "abandon":
            c.send(data)
            return None, "", main
        if how == "pipeline":
            c.send(data)
            if not data.endswith(b"\n"):
                c.s.shutdown(socket.SHUT_WR)
            for i, (cls, rid) in enumerate(expected):
                why = check(c.reply(), cls, rid, "")
                if why is not None:
                    return "reply %d: %s" % (i + 1, why), "", main
            c.s.settimeout(0.3)
            try:
                extra = c.line()
            except socket.timeout:
                extra = None
                if not data.endswith(b"\n"):
                    return "the connection stayed open after EOF and the replies", "", main
            if extra is not None:
                return "a reply more than the requests: %r" % extra[:200], "", main
            return None, "", main
        raise AssertionError("unknown how " + how)
    finally:
        c.close()


def run(paths, facts_path):
    with open(facts_path) as f:
        facts = json.load(f)
    table = cases(facts)
    names = [c[0] for c in table]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("duplicate case names: %s" % sorted(dup))
    main = Conn(paths[0])
    passed, failed = 0, []
    start = time.monotonic()
    for case in table:
        got = ""
        try:
            why, got, main = run_case(main, paths, case)
        except (OSError, ValueError, AssertionError) as exc:
            why = "%s: %s" % (type(exc).__name__, exc)
        if why is None:
            # Still answering on the shared connection, and in order.
            main.send(req("status", ident="after-" + case[0]) + b"\n")
            why = check(main.reply(), OK, "after-" + case[0], "")
            if why is not None:
                why = "poold did not answer the next status: " + why
        exp = case[2]
        shown = exp if isinstance(exp, str) else ("no reply" if exp is None else
                                                  "%d replies" % len(exp))
        if why is None:
            passed += 1
            print("ok   %-36s %s%s" % (case[0], shown, (": " + printable(got)[:90]) if got else ""))
        else:
            failed.append(case[0])
            print("FAIL %-36s %s: %s" % (case[0], shown, why))
            try:
                main.close()
                main = Conn(paths[0])
            except OSError as exc:
                print("FAIL cannot reconnect: %s" % exc)
                break
    print("hostile: %d kinds, %d passed, %d failed%s in %.1f s" %
          (len(table), passed, len(failed), (": " + " ".join(failed)) if failed else "",
           time.monotonic() - start))
    if failed or len(table) < MIN_KINDS:
        sys.exit(1)


def seeds(directory):
    n = 0
    for name, data, _exp, _id, _desc, _how in cases(FACTS):
        if name in SEEDS_SKIP or len(data) > SEED_MAX:
            continue
        with open(os.path.join(directory, "hostile-" + name), "wb") as f:
            f.write(data)
        n += 1
    print("wrote %d seeds to %s" % (n, directory))


if __name__ == "__main__":
    sys.setrecursionlimit(20000)  # ids nested 2,000 deep, decoded and compared
    if len(sys.argv) == 3 and sys.argv[1] == "--seeds":
        seeds(sys.argv[2])
    elif len(sys.argv) == 4:
        run(sys.argv[1:3], sys.argv[3])
    else:
        sys.exit(__doc__)
