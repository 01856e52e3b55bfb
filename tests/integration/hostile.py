#!/usr/bin/env python3
"""hostile.py - throw hostile HTTP traffic at a dfs master and chunk server.

    hostile.py MASTER_ADDR CHUNK_ADDR SECRET_FILE [--count N]

Sends thousands of requests over raw sockets: unsigned, badly signed,
malformed HTTP, path traversal, oversized, truncated and slow ones, and
signed requests whose content is hostile.  Every answer must be a 4xx or a
closed connection; anything else (2xx, 3xx, 5xx, a reply that is not HTTP,
no reply in time) is a failure.  First, a few correctly signed requests
check that our signature is the daemons' (expected 2xx, counted apart as
"verify"): without that, every 401 below would prove nothing.

Prints a table of outcomes per server and category, and the first failures
in full; exits 1 on any failure.  Python standard library only.
"""
import argparse
import concurrent.futures
import hashlib
import re
import socket
import sys
import threading
import time

ROLE_IDS = {"master": 1, "chunkd": 2, "client": 3}
KDF_CONTEXT = b"dfsauth1"
STATUS_RE = re.compile(rb"HTTP/1\.[01] (\d{3})[ \r]")
TIMEOUT = 10.0  # seconds to wait for an answer that must come
# A request cut short (we half-close) may wait for the daemons' idle
# timeout (--idle-timeout): libmicrohttpd does not always notice the early
# EOF.  Closed by then is fine; open after it is a leak of connection
# slots.  main() sets it from --idle-timeout.
CUT_TIMEOUT = 40.0
MiB = 1024 * 1024
CHUNK_MAX = 4 * MiB  # cluster chunk size (tools/cluster default)


def bhex(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).hexdigest()


EMPTY_HASH = bhex(b"")


class Signer:
    """The X-Dfs-Auth header of common/auth.c, from the cluster secret."""

    def __init__(self, secret_hex):
        master = bytes.fromhex(secret_hex.strip())
        if len(master) != 32:
            raise ValueError("secret must be 32 bytes")
        # crypto_kdf_derive_from_key (libsodium's BLAKE2b KDF): salt is the
        # subkey id little-endian padded to 16, personal the 8-byte context.
        self.keys = {}
        for name, rid in ROLE_IDS.items():
            salt = rid.to_bytes(8, "little") + bytes(8)
            person = KDF_CONTEXT + bytes(8)
            self.keys[name] = hashlib.blake2b(
                b"", digest_size=32, key=master, salt=salt, person=person
            ).digest()

    def header(self, method, target, body_hash=EMPTY_HASH, role="client",
               ts=None, key_role=None):
        path, _, query = target.partition("?")
        ts = int(time.time()) if ts is None else ts
        msg = "%s\n%s\n%s\n%d\n%s" % (method, path, query, ts, body_hash)
        mac = bhex(msg.encode("latin-1"), self.keys[key_role or role])
        return "%s %d %s %s" % (role, ts, body_hash, mac)


def request(method, target, headers=(), body=b"", host=True, length=True):
    """Bytes of one HTTP/1.1 request; target and headers are latin-1."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    lines = [method.encode("latin-1") + b" " + target + b" HTTP/1.1"]
    if host:
        lines.append(b"Host: 127.0.0.1")
    for h in headers:
        lines.append(h.encode("latin-1") if isinstance(h, str) else h)
    if length and (body or method in ("PUT", "POST")):
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def read_statuses(sock, want=1):
    """Final statuses of up to `want` replies (1xx skipped), or 'closed'."""
    buf = b""
    while True:
        found = [int(m.group(1)) for m in STATUS_RE.finditer(buf)]
        found = [s for s in found if s >= 200]
        if len(found) >= want:
            return found
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            if found:
                return found
            return "closed" if not buf else "malformed"
        buf += data
        if len(buf) > 64 * 1024 and not found:
            return "malformed"


def exchange(addr, data, more=(), half_close=False, timeout=None, want=1):
    """Send data (then each piece of `more`) and read the answer(s)."""
    if timeout is None:
        timeout = CUT_TIMEOUT if half_close else TIMEOUT
    try:
        sock = socket.create_connection(addr, timeout=timeout)
    except OSError as e:
        return "connect-failed: %s" % e
    try:
        try:
            sock.sendall(data)
            for piece in more:
                sock.sendall(piece)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except socket.timeout:
            return "timeout"
        except OSError:
            pass  # the server may answer and close before taking it all
        return read_statuses(sock, want)
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error: %s" % e
    finally:
        sock.close()


class Tally:
    """Outcome counts per (server, category) and the first failures."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.bad = {}  # failures per (server, category)
        self.failures = []
        self.nfail = 0

    def add(self, server, category, outcome, what, ok_codes=None):
        if isinstance(outcome, list):
            for o in outcome:
                self.add(server, category, o, what, ok_codes)
            return
        if isinstance(outcome, int):
            cls = "%dxx" % (outcome // 100)
            good = (400 <= outcome < 500) if ok_codes is None \
                else outcome in ok_codes
        else:
            cls = outcome.split(":")[0]
            good = outcome == "closed"
        with self.lock:
            key = (server, category)
            row = self.counts.setdefault(key, {})
            row[cls] = row.get(cls, 0) + 1
            self.bad.setdefault(key, 0)
            if not good:
                self.bad[key] += 1
                self.nfail += 1
                if len(self.failures) < 40:
                    self.failures.append("%s %s: %s -> %s" %
                                         (server, category, what, outcome))

    def total(self):
        return sum(sum(r.values()) for r in self.counts.values())

    def print_table(self):
        cols = ["4xx", "closed", "2xx", "3xx", "5xx", "1xx", "timeout",
                "malformed", "error", "connect-failed"]
        used = [c for c in cols
                if any(c in r for r in self.counts.values())]
        # FAILED counts the outcomes that were not allowed (e.g. a 5xx
        # column may hold the 505 allowed for an unknown HTTP version)
        print("%-7s %-14s %7s" % ("server", "category", "total") +
              "".join(" %9s" % c for c in used) + " %9s" % "FAILED")
        for key, row in sorted(self.counts.items()):
            print("%-7s %-14s %7d" % (key[0], key[1], sum(row.values())) +
                  "".join(" %9d" % row.get(c, 0) for c in used) +
                  " %9d" % self.bad.get(key, 0))


# ---- the hostile requests --------------------------------------------------
# Each generator yields (category, what, kwargs for exchange); what is a
# short description for the failure list.

MASTER_ROUTES = [("POST", "/v1/fs/lookup"), ("POST", "/v1/fs/mkdir"),
                 ("POST", "/v1/fs/unlink"), ("POST", "/v1/fs/commit"),
                 ("GET", "/v1/cluster/info"), ("GET", "/v1/cluster/status"),
                 ("GET", "/v1/cluster/nodes"), ("GET", "/v1/cluster/statfs"),
                 ("POST", "/v1/node/heartbeat"), ("POST", "/v1/node/report")]
FAKE_ID = bhex(b"no such chunk")
CHUNK_ROUTES = [("GET", "/v1/chunk/" + FAKE_ID),
                ("HEAD", "/v1/chunk/" + FAKE_ID),
                ("PUT", "/v1/chunk/" + FAKE_ID),
                ("DELETE", "/v1/chunk/" + FAKE_ID),
                ("POST", "/v1/sync"), ("GET", "/v1/status")]
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH",
           "TRACE", "BREW"]


def gen_unsigned(routes):
    for method in METHODS:
        for _, path in routes:
            body = b'{"parent":1,"name":"x"}' if method in ("PUT", "POST") \
                else b""
            yield "unsigned", "%s %s" % (method, path), \
                dict(data=request(method, path, body=body))
    for path in ["/", "/v1", "/v1/", "/v1/fs/", "/v1/fs/nosuchop",
                 "/v2/cluster/info", "/index.html", "*"]:
        yield "unsigned", "GET " + path, dict(data=request("GET", path))


def gen_bad_auth(signer, routes):
    now = int(time.time())
    good = signer.header("GET", "/v1/cluster/info")
    role, ts, bh, mac = good.split(" ")
    values = [
        "", " ", "garbage", "client", "client 1", "client %d %s" % (now, bh),
        "client %d %s %s extra" % (now, bh, mac),
        "client  %d %s %s" % (now, bh, mac),
        "client %d %s %s " % (now, bh, mac),
        "root %d %s %s" % (now, bh, mac),
        "none %d %s %s" % (now, bh, mac),
        "CLIENT %d %s %s" % (now, bh, mac),
        "client -%d %s %s" % (now, bh, mac),
        "client 99999999999999999999999 %s %s" % (bh, mac),
        "client 0x10 %s %s" % (bh, mac),
        "client %d %s %s" % (now, bh[:63], mac),
        "client %d %s %s" % (now, bh.upper(), mac),
        "client %d %s %s" % (now, bh, mac[:63]),
        "client %d %s %s" % (now, bh, mac + "0"),
        "client %d %s %s" % (now, bh, "zz" * 32),
        "client %d %s %s" % (now, bh, "0" * 64),
        "client %d %s %s" % (now, "g" * 64, mac),
        "client %d %s %s" % (now - 10000, bh, mac),
        "client %d %s %s" % (now, bh, mac[:-1] + ("0" if mac[-1] != "0"
                                                  else "1")),
        "x" * 8192,
        "client %d %s %s%s" % (now, bh, mac, " " * 4000),
        "client\t%d\t%s\t%s" % (now, bh, mac),
    ]
    for i, v in enumerate(values):
        for method, path in routes:
            hdr = "X-Dfs-Auth: " + v
            yield "bad-auth", "%s %s auth#%d" % (method, path, i), \
                dict(data=request(method, path, headers=[hdr]))
    # the header twice, NUL and high bytes inside
    for method, path in routes:
        other = signer.header(method, path + "/other")
        yield "bad-auth", "%s %s two headers" % (method, path), dict(
            data=request(method, path, headers=["X-Dfs-Auth: " + other,
                                                "X-Dfs-Auth: garbage"]))
        yield "bad-auth", "%s %s NUL in header" % (method, path), dict(
            data=request(method, path,
                         headers=[b"X-Dfs-Auth: client\x00" + good.encode()]))
        yield "bad-auth", "%s %s high bytes" % (method, path), dict(
            data=request(method, path,
                         headers=[b"X-Dfs-Auth: \xff\xfe" + good.encode()]))


TRAVERSAL = [
    "/v1/chunk/../../etc/passwd", "/v1/chunk/..%2f..%2fetc%2fpasswd",
    "/v1/chunk/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/v1/chunk/%2e%2e",
    "/v1/chunk/" + FAKE_ID[:63], "/v1/chunk/" + FAKE_ID + "0",
    "/v1/chunk/" + FAKE_ID.upper(), "/v1/chunk/" + FAKE_ID[:62] + "%00",
    "/v1/chunk/" + FAKE_ID[:63] + "%00", "/v1/chunk/%00",
    "/v1/chunk/" + FAKE_ID + "/../" + FAKE_ID, "/v1/chunk/",
    "/v1/chunk//" + FAKE_ID[:63], "/v1/chunk/" + FAKE_ID[:2] + "/" +
    FAKE_ID[2:4] + "/" + FAKE_ID, "/v1/chunk/" + "a" * 5000,
    "/v1/chunk/" + "%41" * 3000, "/" + "../" * 500 + "etc/passwd",
    "/v1/fs/../../../etc/passwd", "/v1/fs/%2e%2e/lookup",
    "/v1/cluster/info/../../../../etc/shadow", "/v1/fs/lookup%00",
    "/v1/chunk/" + "g" * 64, "/v1/chunk/" + " " * 64,
    "/v1/chunk/" + FAKE_ID + "?sync=1&sync=../../x",
]


def gen_traversal(signer, methods):
    for path in TRAVERSAL:
        for method in methods:
            body = b"{}" if method in ("PUT", "POST") else b""
            yield "traversal", "%s %s" % (method, path[:80]), \
                dict(data=request(method, path, body=body))
            # signed, so the route itself has to refuse the path
            hdr = "X-Dfs-Auth: " + signer.header(method, path, bhex(body))
            yield "traversal-sig", "%s %s" % (method, path[:80]), \
                dict(data=request(method, path, headers=[hdr], body=body))


def gen_malformed(path):
    raw = [
        b"GARBAGE\r\n\r\n", b"GET\r\n\r\n",
        b"GET " + path + b"\r\n\r\n",
        b"GET " + path + b" HTTP/1.1\r\n\r\n",  # no Host
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        b"GET  " + path + b"  HTTP/1.1\r\nHost: x\r\n\r\n",
        b"get " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://127.0.0.1" + path + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET " + path + b" HTTP/1.1\nHost: x\n\n",
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"A" * 300000
        + b"\r\n\r\n",
        b"GET /" + b"a" * 300000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" +
        b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
        b"\xff\xfe\xfd " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for i, r in enumerate(raw):
        yield "malformed", "raw#%d" % i, dict(data=r)
    # empty lines before a request are allowed (RFC 9112 2.2), so these
    # just wait; then our EOF must close them
    for r in (b"\x00\x01\x02\x03\r\n\r\n", b"\r\n\r\n", b"\r\n" * 10000):
        yield "malformed", "blank %r" % r[:8], dict(data=r, half_close=True)
    # 505 is the HTTP answer to an unknown version: a refusal, not a fault
    yield "malformed", "HTTP/9.9", dict(
        data=b"GET " + path + b" HTTP/9.9\r\nHost: x\r\n\r\n",
        ok=(400, 505))
    yield "malformed", "HTTP/2.0", dict(
        data=b"GET " + path + b" HTTP/2.0\r\nHost: x\r\n\r\n",
        ok=(400, 505))
    cls = [b"-1", b"99999999999999999999", b"1e3", b" 5", b"0x10", b"5, 5",
           b"18446744073709551616", b"18446744073709551615", b"abc", b""]
    for i, cl in enumerate(cls):
        yield "malformed", "Content-Length %r" % cl, dict(
            data=b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: " + cl + b"\r\n\r\n{}", half_close=True)
    yield "malformed", "two Content-Lengths", dict(
        data=b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2"
        b"\r\nContent-Length: 40\r\n\r\n{}", half_close=True)
    yield "malformed", "chunked and Content-Length", dict(
        data=b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2"
        b"\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        half_close=True)
    for i, chunked in enumerate([b"zz\r\n{}\r\n0\r\n\r\n",
                                 b"ffffffffffffffffffff\r\n{}\r\n",
                                 b"-2\r\n{}\r\n0\r\n\r\n",
                                 b"2\r\n{}XX0\r\n\r\n"]):
        yield "malformed", "bad chunked #%d" % i, dict(
            data=b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunked, half_close=True)
    yield "malformed", "Transfer-Encoding: gzip", dict(
        data=b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: gzip\r\n\r\n{}", half_close=True)


def gen_truncated(signer, put_path, json_path):
    for cl in (10, 1000, 4 * MiB):
        body = b"x" * 5
        yield "truncated", "unsigned PUT CL=%d" % cl, dict(
            data=request("PUT", put_path, length=False,
                         headers=["Content-Length: %d" % cl]) + body,
            half_close=True)
    # signed: the body passes authentication and starts being stored
    cid = put_path.rsplit("/", 1)[1]
    for cl, sent in ((4 * MiB, MiB), (1000, 999), (1, 0)):
        hdr = "X-Dfs-Auth: " + signer.header("PUT", put_path, cid)
        yield "truncated", "signed PUT %d of %d" % (sent, cl), dict(
            data=request("PUT", put_path, length=False,
                         headers=[hdr, "Content-Length: %d" % cl]) +
            b"\0" * sent, half_close=True)
    body = b'{"parent":1,"name":"truncated-should-not-exist","mode":16877,' \
        b'"uid":0,"gid":0}'
    hdr = "X-Dfs-Auth: " + signer.header("POST", json_path, bhex(body))
    yield "truncated", "signed JSON cut", dict(
        data=request("POST", json_path, length=False,
                     headers=[hdr, "Content-Length: %d" % len(body)]) +
        body[:-1], half_close=True)
    hdr = "X-Dfs-Auth: " + signer.header("PUT", put_path, cid)
    yield "truncated", "signed chunked PUT cut", dict(
        data=request("PUT", put_path, length=False,
                     headers=[hdr, "Transfer-Encoding: chunked"]) +
        b"10000\r\n" + b"\0" * 0x8000, half_close=True)


def pieces(total, size=256 * 1024):
    block = b"\xa5" * size
    for _ in range(total // size):
        yield block


def gen_oversized(signer, put_path, json_path, json_limit):
    if put_path:
        yield from gen_oversized_put(signer, put_path)
    yield from gen_oversized_json(signer, json_path, json_limit)


def gen_oversized_put(signer, put_path):
    cid = put_path.rsplit("/", 1)[1]
    big = CHUNK_MAX + MiB
    yield "oversized", "unsigned PUT 5 MiB", dict(
        data=request("PUT", put_path, length=False,
                     headers=["Content-Length: %d" % big]),
        more=pieces(big))
    hdr = "X-Dfs-Auth: " + signer.header("PUT", put_path, cid)
    yield "oversized", "signed PUT 5 MiB", dict(
        data=request("PUT", put_path, length=False,
                     headers=[hdr, "Content-Length: %d" % big]),
        more=pieces(big), ok=(413,))
    yield "oversized", "signed PUT CL=2^63", dict(
        data=request("PUT", put_path, length=False,
                     headers=[hdr, "Content-Length: %d" % 2**63]), ok=(413,))
    # chunked: no length to refuse up front; the limit must hold as it comes
    for end in (b"0\r\n\r\n", None):
        more = [b"40000\r\n" + p + b"\r\n"
                for p in pieces(CHUNK_MAX + 2 * MiB)]
        if end:
            more.append(end)
        yield "oversized", "signed chunked PUT 6 MiB%s" % (
            "" if end else " cut"), dict(
            data=request("PUT", put_path, length=False,
                         headers=[hdr, "Transfer-Encoding: chunked"]),
            more=more, half_close=end is None)


def gen_oversized_json(signer, json_path, json_limit):
    if json_path:
        body_len = json_limit + MiB
        hdr = "X-Dfs-Auth: " + signer.header("POST", json_path, EMPTY_HASH)
        yield "oversized", "signed JSON 2 MiB", dict(
            data=request("POST", json_path, length=False,
                         headers=[hdr, "Content-Length: %d" % body_len]),
            more=pieces(body_len), ok=(413,))
        more = [b"40000\r\n" + p + b"\r\n" for p in pieces(body_len)]
        more.append(b"0\r\n\r\n")
        yield "oversized", "signed chunked JSON 2 MiB", dict(
            data=request("POST", json_path, length=False,
                         headers=[hdr, "Transfer-Encoding: chunked"]),
            more=more)
        yield "oversized", "unsigned JSON 2 MiB", dict(
            data=request("POST", json_path, length=False,
                         headers=["Content-Length: %d" % body_len]),
            more=pieces(body_len))


def signed(signer, method, path, body=b"", role="client", **kw):
    hdr = "X-Dfs-Auth: " + signer.header(method, path, bhex(body), role, **kw)
    return request(method, path, headers=[hdr], body=body)


BAD_NAMES = ["", ".", "..", "a/b", "/", "../x", "x" * 256, "y" * 5000,
             "x" * 255 + "\u00e9"]


def fs_bodies():
    """(op, body) pairs that must all be refused by the master."""
    out = []
    for name in BAD_NAMES:
        n = '"%s"' % name
        out += [("mkdir", '{"parent":1,"name":%s,"mode":16877,"uid":0,'
                 '"gid":0}' % n),
                ("mknod", '{"parent":1,"name":%s,"mode":33188,"uid":0,'
                 '"gid":0,"rdev":0}' % n),
                ("symlink", '{"parent":1,"name":%s,"target":"/etc/passwd",'
                 '"uid":0,"gid":0}' % n),
                ("rename", '{"parent":1,"name":%s,"newparent":1,'
                 '"newname":"z","flags":0}' % n),
                ("rename", '{"parent":1,"name":"nonexistent","newparent":1,'
                 '"newname":%s,"flags":0}' % n),
                ("link", '{"ino":1,"newparent":1,"newname":%s}' % n),
                ("unlink", '{"parent":1,"name":%s}' % n),
                ("rmdir", '{"parent":1,"name":%s}' % n)]
    mk = '{"parent":1,"name":"hostile-%s","mode":16877,"uid":0,"gid":0}'
    out += [
        ("mkdir", mk.replace('"parent":1', '"parent":"1"') % "a"),
        ("mkdir", mk.replace('"parent":1', '"parent":-1') % "b"),
        ("mkdir", mk.replace('"parent":1', '"parent":1.5') % "c"),
        ("mkdir", mk.replace('"parent":1',
                             '"parent":99999999999999999999999') % "d"),
        ("mkdir", mk.replace('"parent":1', '"parent":18446744073709551615')
         % "e"),
        ("mkdir", mk.replace('"parent":1', '"parent":null') % "f"),
        ("mkdir", mk.replace('"parent":1', '"parent":[1]') % "g"),
        ("mkdir", mk.replace('"uid":0', '"uid":-1') % "h"),
        ("mkdir", mk.replace('"uid":0', '"uid":4294967296') % "i"),
        ("mkdir", mk.replace('"mode":16877', '"mode":"rwx"') % "j"),
        ("mkdir", mk.replace('"gid":0', '"gid":true') % "k"),
        ("mkdir", mk.replace(',"gid":0', "") % "l"),
        ("mkdir", mk.replace('"name":"hostile-%s"', '"name":7') % ()),
        ("mkdir", (mk % "m")[:-1]),
        ("mkdir", (mk % "n") + "garbage"),
        ("mkdir", (mk % "o") + (mk % "p")),
        ("mkdir", "[" + (mk % "q") + "]"),
        ("mkdir", '"just a string"'), ("mkdir", "null"), ("mkdir", ""),
        ("mkdir", "{}"), ("mkdir", "{" * 100000), ("mkdir", "[" * 100000),
        ("mkdir", '{"a":' * 50000 + "1" + "}" * 50000),
        ("mkdir", "[" * 100000 + "]" * 100000),
        ("mkdir", mk.replace("hostile-%s", "hostile-\\u0000x")),
        ("mkdir", mk.replace("hostile-%s", "hostile-\\u0000/x")),
        ("mkdir", mk.replace("hostile-%s", "..\\u0000x")),
        ("mkdir", "{'parent':1}"), ("mkdir", "{parent:1}"),
        ("mkdir", mk.replace(":", ": NaN, \"x\":") % "s"),
        ("setattr", '{"ino":1,"set":4294967296}'),
        ("setattr", '{"ino":1,"set":8}'),  # size bit without a size
        ("setattr", '{"ino":0,"set":0}'),
        ("setattr", '{"ino":99999999,"set":0}'),
        ("getattr", '{"ino":-5}'), ("getattr", '{"ino":"1"}'),
        ("getattr", '{"ino":1e400}'), ("getattr", '{"ino":0}'),
        ("readdir", '{"ino":1,"cookie":-1,"limit":10}'),
        ("readdir", '{"ino":1,"cookie":0,"limit":-1}'),
        ("readdir", '{"ino":99999999,"cookie":0,"limit":100}'),
        ("readlink", '{"ino":1}'), ("readlink", '{}'),
        ("chunks", '{"ino":1}'), ("chunks", '{"ino":99999999}'),
        ("commit", '{"ino":1,"size":0,"chunks":[]}'),  # a directory
        ("commit", '{"ino":99999999,"size":0,"chunks":[]}'),
        ("commit", '{"ino":"x","size":0,"chunks":[]}'),
        ("commit", '{"ino":1,"size":-1,"chunks":[]}'),
        ("commit", '{"ino":1,"size":0,"chunks":{}}'),
        ("commit", '{"ino":1,"size":0,"chunks":[{"index":-1}]}'),
        ("commit", '{"ino":1,"size":0,"chunks":[' + "[" * 10000 + "]"),
        ("lookup", '{"parent":1,"name":"\\ud800\\udc00\\ud800"}'),
        ("lookup", '{"parent":99999999,"name":"x"}'),
        ("nosuchop", "{}"), ("", "{}"), ("lookup/../mkdir", mk % "t"),
        # a batch's own shape is checked; its ops answer one by one
        ("batch", "{}"), ("batch", '{"ops":"x"}'), ("batch", '{"ops":{}}'),
        ("batch", '{"ops":[1]}'), ("batch", '{"ops":[{"op":"getattr"},7]}'),
        ("batch", '{"ops":[' + ",".join(['{"op":"getattr","ino":1}'] * 300)
         + "]}"),
    ]
    return out


def gen_signed_master(signer):
    for op, body in fs_bodies():
        path = "/v1/fs/" + op
        data = body.encode("utf-8", "surrogatepass")
        yield "signed-json", "%s %s" % (op, body[:60]), \
            dict(data=signed(signer, "POST", path, data))
    # invalid UTF-8 where JSON expects structure, and inside a looked-up name
    for body in [b'{"parent":1,"name":"x"}\xff', b'\xfe{"parent":1}',
                 b'{"parent":1,"name":"\xc3"', b'{"par\xffent":1,"name":"x"}']:
        yield "signed-json", "bad utf-8 %r" % body[:30], dict(
            data=signed(signer, "POST", "/v1/fs/mkdir", body))
    yield "signed-json", "lookup latin-1 name", dict(data=signed(
        signer, "POST", "/v1/fs/lookup", b'{"parent":1,"name":"\xe9\xff"}'))
    # roles: a client may not heartbeat, report; nobody may POST info
    hb = b'{"node_id":"x","addr":"127.0.0.1:1","zone":"","capacity":1,' \
        b'"free":1,"chunk_count":0}'
    yield "signed-role", "client heartbeat", dict(
        data=signed(signer, "POST", "/v1/node/heartbeat", hb), ok=(403,))
    yield "signed-role", "client report", dict(
        data=signed(signer, "POST", "/v1/node/report",
                    b'{"node_id":"x","chunks":[]}'), ok=(403,))
    yield "signed-role", "chunkd mkdir", dict(
        data=signed(signer, "POST", "/v1/fs/mkdir",
                    b'{"parent":1,"name":"hostile-role","mode":16877,'
                    b'"uid":0,"gid":0}', role="chunkd"), ok=(403,))
    # hostile heartbeats from a chunkd role: all structurally invalid
    for body in [b"{}", b'{"node_id":7}', b'{"node_id":"","addr":""}',
                 b'{"node_id":"x","addr":"127.0.0.1:1","zone":"",'
                 b'"capacity":-1,"free":1,"chunk_count":0}',
                 b'{"node_id":"x","addr":"127.0.0.1:1","zone":"",'
                 b'"capacity":"big","free":1,"chunk_count":0}',
                 b"[" * 100000, b'{"node_id":"x","chunks":"all"}']:
        for route in ("/v1/node/heartbeat", "/v1/node/report"):
            yield "signed-json", "chunkd %s %r" % (route, body[:40]), dict(
                data=signed(signer, "POST", route, body, role="chunkd"))
    # drain: only a client may, and only a node that exists
    yield "signed-role", "chunkd drain", dict(
        data=signed(signer, "POST", "/v1/cluster/drain",
                    b'{"node":"x","drain":true}', role="chunkd"), ok=(403,))
    for body in [b"{}", b'{"node":7,"drain":true}', b'{"node":"x"}',
                 b'{"node":"x","drain":"yes"}', b'{"node":"","drain":true}',
                 b'{"node":"nosuchnode","drain":true}',
                 b'{"node":"ab","drain":true}', b'{"node":"%","drain":true}',
                 b'{"node":"' + b"a" * 5000 + b'","drain":true}']:
        yield "signed-json", "drain %r" % body[:40], dict(
            data=signed(signer, "POST", "/v1/cluster/drain", body))
    # a well-formed heartbeat with a bad "added" list: refused as a whole
    # (node "x" must not be registered, nothing recorded)
    many = b"[" + b",".join([b'"' + FAKE_ID.encode() + b'"'] * 1025) + b"]"
    for key in (b"added", b"failed"):
        for ids in [b'"all"', b"[7]", b'["zz"]', b'["' + b"g" * 64 + b'"]',
                    b"{}", many]:
            body = hb[:-1] + b',"' + key + b'":' + ids + b"}"
            yield "signed-json", "chunkd heartbeat %s %r" % (
                key.decode(), ids[:30]), dict(data=signed(
                    signer, "POST", "/v1/node/heartbeat", body, role="chunkd"))
    for body, what in [(b"x", "GET with a body not signed")]:
        hdr = "X-Dfs-Auth: " + signer.header("GET", "/v1/cluster/info")
        yield "signed-misc", what, dict(data=request(
            "GET", "/v1/cluster/info", headers=[hdr, "Content-Length: 1"],
            length=False) + body)
    yield from gen_signed_misc(signer, "GET", "/v1/cluster/status")


def gen_signed_misc(signer, method, path):
    """Valid signatures used where they do not fit."""
    other = path + "x"
    cases = [
        ("stale", signer.header(method, path, ts=int(time.time()) - 301)),
        ("future", signer.header(method, path, ts=int(time.time()) + 400)),
        ("other path", signer.header(method, other)),
        ("other method", signer.header("DELETE", path)),
        ("with query", signer.header(method, path + "?a=1")),
        ("role swapped", signer.header(method, path, role="master",
                                       key_role="client")),
    ]
    for what, hdr in cases:
        yield "signed-misc", what, dict(
            data=request(method, path, headers=["X-Dfs-Auth: " + hdr]),
            ok=(401,))
    hdr = signer.header(method, path)
    yield "signed-misc", "query added", dict(
        data=request(method, path + "?a=1", headers=["X-Dfs-Auth: " + hdr]),
        ok=(401,))


def gen_signed_chunk(signer):
    path = "/v1/chunk/" + FAKE_ID
    yield "signed-role", "client DELETE", dict(
        data=signed(signer, "DELETE", path), ok=(403,))
    yield "signed-role", "chunkd DELETE", dict(
        data=signed(signer, "DELETE", path, role="chunkd"), ok=(403,))
    # PUT bodies that do not hash to the id
    for body in (b"", b"hello", b"\0" * 100000):
        yield "signed-put", "body signed, wrong id (%d B)" % len(body), dict(
            data=signed(signer, "PUT", path, body), ok=(400,))
        hdr = "X-Dfs-Auth: " + signer.header("PUT", path, FAKE_ID)
        yield "signed-put", "id signed, wrong body (%d B)" % len(body), dict(
            data=request("PUT", path, headers=[hdr], body=body), ok=(400,))
    # the id's hash but someone else's body, sent with sync
    hdr = "X-Dfs-Auth: " + signer.header("PUT", path + "?sync=1", FAKE_ID)
    yield "signed-put", "wrong body, sync=1", dict(data=request(
        "PUT", path + "?sync=1", headers=[hdr], body=b"hostile"), ok=(400,))
    yield "signed-get", "absent chunk", dict(data=signed(signer, "GET", path),
                                             ok=(404,))
    for rng in ["bytes=5-1", "bytes=-0", "bytes=99999999999-", "bytes=a-b",
                "bytes=0-1,2-3", "items=0-1", "bytes=" + "9" * 40 + "-"]:
        hdr = "X-Dfs-Auth: " + signer.header("GET", path)
        yield "signed-get", "Range " + rng, dict(data=request(
            "GET", path, headers=[hdr, "Range: " + rng]))
    for body in [b"{}x", b'{"chunks":"x"}', b'{"chunks":[1,2]}',
                 b'{"chunks":["../../etc/passwd"]}', b"[" * 100000,
                 b'{"chunks":["' + FAKE_ID.upper().encode() + b'"]}',
                 b'{"chunks":[' + b'"x",' * 50000 + b'"x"]}', b"\xff"]:
        yield "signed-json", "sync %r" % body[:40], dict(
            data=signed(signer, "POST", "/v1/sync", body))
    yield from gen_signed_misc(signer, "GET", "/v1/status")


# ---- running them ----------------------------------------------------------

def run_all(tally, groups, workers=16):
    """groups: (server name, address, cases); all run in one pool."""
    def one(server, addr, case):
        cat, what, kw = case
        ok = kw.pop("ok", None)
        outcome = exchange(addr, **kw)
        tally.add(server, cat, outcome, what, ok)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(one, server, addr, c)
                   for server, addr, cases in groups for c in cases]
        for f in futures:
            f.result()


def repeat_to(cases, count):
    """The list of case factories, cycled until about `count` requests."""
    out = []
    while len(out) < count:
        out += list(cases())
    return out


def pipeline(tally, server, addr, path, n=100):
    data = b"".join(request("GET", path).replace(b"Connection: close\r\n", b"")
                    for _ in range(n - 1)) + request("GET", path)
    outcome = exchange(addr, data, want=n)
    if isinstance(outcome, list):  # the server may close after any answer
        outcome += ["closed"] * (n - len(outcome))
    tally.add(server, "pipelined", outcome, "%d pipelined GET %s" % (n, path))


def slow(tally, server, addr, path, conns=40, seconds=5):
    """Connections that dribble their headers; others must not wait."""
    req = request("GET", path)
    results = []

    def dribble():
        try:
            sock = socket.create_connection(addr, timeout=TIMEOUT)
        except OSError as e:
            results.append("connect-failed: %s" % e)
            return
        try:
            for i in range(seconds):
                sock.sendall(req[i:i + 1])
                time.sleep(1)
            sock.sendall(req[seconds:])
            results.append(read_statuses(sock))
        except socket.timeout:
            results.append("timeout")
        except OSError as e:
            results.append("closed" if isinstance(
                e, (ConnectionResetError, BrokenPipeError)) else
                "error: %s" % e)
        finally:
            sock.close()

    threads = [threading.Thread(target=dribble) for _ in range(conns)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    worst = 0.0
    for _ in range(10):  # while they dribble, a normal request is prompt
        t0 = time.monotonic()
        outcome = exchange(addr, req, timeout=2.0)
        worst = max(worst, time.monotonic() - t0)
        tally.add(server, "during-slow", outcome, "GET %s while %d slow "
                  "connections are open" % (path, conns), (401,))
        time.sleep(0.2)
    for t in threads:
        t.join()
    for r in results:
        tally.add(server, "slow", r, "GET %s dribbled over %d s"
                  % (path, seconds), (401,))
    print("%s: slowest normal request while %d connections dribbled: "
          "%.3f s" % (server, conns, worst))


def verify(tally, signer, master, chunk):
    """Our signature must be the daemons', or the rest proves nothing."""
    checks = [("master", master, "/v1/cluster/info"),
              ("master", master, "/v1/cluster/status"),
              ("chunk", chunk, "/v1/status")]
    for server, addr, path in checks:
        outcome = exchange(addr, signed(signer, "GET", path))
        tally.add(server, "verify", outcome, "signed GET " + path, (200,))
        if outcome != [200]:
            print("hostile.py: signed GET %s on %s answered %s, expected 200:"
                  " the signature here does not match common/auth.c"
                  % (path, server, outcome), file=sys.stderr)
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("master")
    ap.add_argument("chunk")
    ap.add_argument("secret_file")
    ap.add_argument("--count", type=int, default=2000,
                    help="requests per server per cycled group (default "
                    "2000)")
    ap.add_argument("--idle-timeout", type=float, default=30.0,
                    help="the daemons' --idle-timeout, seconds (default 30)")
    args = ap.parse_args()
    global CUT_TIMEOUT
    CUT_TIMEOUT = args.idle_timeout + 10.0

    def addr(s):
        host, _, port = s.rpartition(":")
        return host.strip("[]"), int(port)

    master, chunk = addr(args.master), addr(args.chunk)
    with open(args.secret_file) as f:
        signer = Signer(f.read())
    tally = Tally()
    t0 = time.monotonic()
    if not verify(tally, signer, master, chunk):
        tally.print_table()
        return 1

    m_routes, c_routes = MASTER_ROUTES, CHUNK_ROUTES
    put_path = "/v1/chunk/" + FAKE_ID
    groups = [
        ("master", master, lambda: gen_unsigned(m_routes)),
        ("chunk", chunk, lambda: gen_unsigned(c_routes)),
        ("master", master, lambda: gen_bad_auth(signer, m_routes)),
        ("chunk", chunk, lambda: gen_bad_auth(signer, c_routes)),
    ]
    run_all(tally, [(server, a, repeat_to(gen, args.count // 2))
                    for server, a, gen in groups])
    once = [
        ("master", master, gen_traversal(signer, ["GET", "POST"])),
        ("chunk", chunk, gen_traversal(signer, ["GET", "PUT", "DELETE"])),
        ("master", master, gen_malformed(b"/v1/fs/lookup")),
        ("chunk", chunk, gen_malformed(b"/v1/sync")),
        ("master", master, gen_signed_master(signer)),
        ("chunk", chunk, gen_signed_chunk(signer)),
        ("master", master, gen_truncated(signer, put_path, "/v1/fs/mkdir")),
        ("chunk", chunk, gen_truncated(signer, put_path, "/v1/sync")),
    ]
    # the cut-short ones may each wait out the idle timeout: run together
    run_all(tally, once, workers=64)
    run_all(tally, [
        ("chunk", chunk, gen_oversized(signer, put_path, "/v1/sync", MiB)),
        ("master", master, gen_oversized(signer, None, "/v1/fs/lookup", MiB))],
        workers=8)
    for server, a, path in (("master", master, "/v1/cluster/status"),
                            ("chunk", chunk, "/v1/status")):
        for _ in range(5):
            pipeline(tally, server, a, path)
    threads = [threading.Thread(target=slow, args=(tally, s, a, p))
               for s, a, p in (("master", master, "/v1/cluster/status"),
                               ("chunk", chunk, "/v1/status"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the daemons still answer properly after all that
    ok = verify(tally, signer, master, chunk)

    tally.print_table()
    n_verify = sum(sum(r.values()) for (s, c), r in tally.counts.items()
                   if c == "verify")
    print("%d hostile requests, %d signed verification requests, %.1f s" %
          (tally.total() - n_verify, n_verify, time.monotonic() - t0))
    if tally.nfail or not ok:
        print("%d FAILURES (first %d):" % (tally.nfail, len(tally.failures)))
        for f in tally.failures:
            print("  " + f)
        return 1
    print("every hostile request got a 4xx or a closed connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
