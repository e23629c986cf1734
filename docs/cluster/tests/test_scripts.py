#!/usr/bin/env python3
"""Scenario tests for the lobbyhub seat-store Lua scripts.

Plain Python 3 stdlib; talks to Redis only through redis-cli (subprocess). Started by
../test-scripts.sh, which owns the redis-server process and passes its port in REDIS_PORT.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

PORT = os.environ["REDIS_PORT"]
HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "..", "..", "..", "src", "main", "resources", "cluster", "redis")
PREFIX = "lobbyhub"
B = f"{PREFIX}:{{{PREFIX}}}:v3:"       # lobbyhub:{lobbyhub}:v3:
OPS = ["claim", "release", "leave", "reap", "renew", "register", "set_rtt", "append",
       "lobby_members", "user_seat", "lobby_page", "cluster_stats", "lobby_state", "directory"]

passed, failed = 0, 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print(f"  ok   {what}")
    else:
        failed += 1
        print(f"  FAIL {what}")


def source(op, lua_dir=LUA):
    with open(os.path.join(LUA, "lib.lua")) as f:
        lib = f.read()
    with open(os.path.join(lua_dir, op + ".lua")) as f:
        return lib + "\n" + f.read()


def parse(out):
    out = out.strip()
    if out.startswith("error:") or out.startswith("(error)"):
        return {"error": out}
    return json.loads(out)


def cli_args(*args):
    return ["redis-cli", "-p", PORT, "--json", *[str(a) for a in args]]


def cli(*args):
    p = subprocess.run(cli_args(*args), capture_output=True, text=True)
    return parse(p.stdout + p.stderr)


SHA = {}


def load_all():
    for op in OPS:
        SHA[op] = cli("SCRIPT", "LOAD", source(op))


def call_args(op, *argv, base=B):
    return ("EVALSHA", SHA[op], 1, base, *argv)


def call(op, *argv, base=B):
    r = cli(*call_args(op, *argv, base=base))
    if isinstance(r, dict) and "NOSCRIPT" in r["error"]:       # the Java fallback, same here
        r = cli("EVAL", source(op), 1, base, *argv)
    return r


def server_major():
    """The major version of the Redis under test (INFO server's redis_version)."""
    out = subprocess.run(["redis-cli", "-p", PORT, "INFO", "server"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("redis_version:"):
            return int(line.split(":", 1)[1].split(".")[0])
    return 0


def parallel(arglists):
    """Starts one redis-cli process per call, all at once; returns replies in order."""
    procs = [subprocess.Popen(cli_args(*a), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for a in arglists]
    return [parse(p.communicate()[0]) for p in procs]


def pipelined(arglists):
    """Runs the calls in order through ONE redis-cli process (stdin); returns the replies."""
    text = "\n".join(" ".join(quote(a) for a in cmd) for cmd in arglists) + "\n"
    p = subprocess.run(["redis-cli", "-p", PORT, "--json"], input=text, capture_output=True, text=True)
    return [parse(l) for l in (p.stdout + p.stderr).splitlines() if l.strip()]


def claim(lobby, user, conn, node, mx=10, mode="replace", name="", pub="PUBLISH", base=B):
    return call("claim", pub, lobby, user, conn, node, mx, mode, name, base=base)


def release(conn, reason="left", hold=None, base=B):
    extra = [hold] if hold is not None else []
    return call("release", "PUBLISH", conn, reason, *extra, base=base)


def append_args(*messages, pub="PUBLISH", sent_at="", max_age="", base=B):
    """append's ARGV for messages (lobby, frame[, to, except, request, request_node]), with the log
    size and ttl a node would pass: what its register wrote to logcfg."""
    cfg = cli("HGETALL", base + "logcfg")
    args = [pub, sent_at, max_age, cfg.get("size", 0), cfg.get("ttl", 300000)]
    for m in messages:
        args += list(m) + [""] * (6 - len(m))
    return args


def append(lobby, frame, to="", exclude="", request="", request_node="", pub="PUBLISH", base=B):
    return call("append", *append_args((lobby, frame, to, exclude, request, request_node), pub=pub, base=base), base=base)


def register(node, timeout=600000, maxc=10000, log=None, base=B):
    """log = (history size, history ttl ms): the two ARGV every node sends; None leaves them out."""
    extra = ["", log[0], log[1]] if log else []
    return call("register", "PUBLISH", node, timeout, maxc, *extra, base=base)


def invariants(mx=10, base=B):
    return cli("EVAL", source("check_invariants", os.path.join(HERE)), 1, base, mx)


def off_now(lobby, base=B):
    """The lobby log's last offset (0 when it has no llog hash)."""
    v = cli("HGET", base + "llog:" + lobby, "o")
    return int(v) if v else 0


def epoch_of(lobby, base=B):
    return cli("HGET", base + "llog:" + lobby, "e")


def stored(lobby, base=B):
    """The lobby's stream: [(id, m as text, f), ...]."""
    rows = cli("XRANGE", base + "log:" + lobby, "-", "+")
    out = []
    for sid, fields in rows:
        kv = dict(zip(fields[0::2], fields[1::2]))
        out.append((sid, kv.get("m"), kv.get("f")))
    return out


class Events:
    """Records every message on the lobby channels of base B, from a redis-cli PSUBSCRIBE that
    writes to a file (not a pipe: a full pipe would stall it); read() parses what came so far."""

    def __init__(self):
        fd, self.path = tempfile.mkstemp(prefix="lobbyhub-events-")
        os.close(fd)
        self.out = open(self.path, "a")
        self.proc = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-p", PORT, "--json", "PSUBSCRIBE",
                                      B + "ch:lobby:*"], stdout=self.out, stderr=subprocess.DEVNULL, text=True)
        for _ in range(50):                            # wait for the subscription's confirmation
            with open(self.path) as f:
                if "psubscribe" in f.read():
                    return
            time.sleep(0.1)

    def read(self):
        """[(lobby, entry dict or None if malformed, frame, m as text), ...] in arrival order."""
        with open(self.path) as f:
            text = f.read()
        events = []
        chan = B + "ch:lobby:"
        for line in text.splitlines():
            line = line.strip()
            if not line.startswith("["):
                continue
            msg = json.loads(line)
            if msg[0] != "pmessage":
                continue
            lobby = msg[2][len(chan):] if msg[2].startswith(chan) else None
            payload = msg[3]
            entry, frame, m = None, None, None
            if payload.startswith("L") and "\n" in payload:
                m, frame = payload[1:].split("\n", 1)
                try:
                    entry = json.loads(m)
                except ValueError:
                    entry = None
            events.append((lobby, entry, frame, m))
        return events

    def of(self, lobby, count, timeout=3.0):
        """Waits until `count` entries of the lobby arrived (or timeout); returns that lobby's."""
        end = time.time() + timeout
        while True:
            got = [e for e in self.read() if e[0] == lobby]
            if len(got) >= count or time.time() > end:
                return got
            time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.out.close()
        os.unlink(self.path)


def crc16(data: bytes) -> int:                       # CRC16-XMODEM, as Redis Cluster uses
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def keyslot(key: str) -> int:
    k = key.encode()
    s = k.find(b"{")
    if s >= 0:
        e = k.find(b"}", s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    return crc16(k) % 16384


def wait_past(deadline_ms):
    """Sleeps until Redis TIME is past deadline_ms (the scripts' only clock), running a script at
    least twice a second meanwhile, as live nodes do: time that no script saw pass is a pause, and
    a pause moves every deadline (see the scenario "a pause nobody saw")."""
    while True:
        now = call("cluster_stats")[0]
        if now > deadline_ms:
            return
        time.sleep(min(0.4, (deadline_ms - now) / 1000 + 0.01))


def scenario(title):
    print(f"\n== {title}")


def main():
    cli("FLUSHALL")
    load_all()
    check(all(isinstance(SHA[o], str) and len(SHA[o]) == 40 for o in OPS), "all scripts load (SCRIPT LOAD)")

    # A subscriber that records every lobby log entry published, for the offset checks at the end.
    events = Events()
    replies_off = defaultdict(list)       # lobby -> (offset, epoch or None) from claim/release/reap replies

    # ------------------------------------------------------------------
    scenario("NOSCRIPT fallback")
    cli("SCRIPT", "FLUSH")
    r = cli(*call_args("cluster_stats"))
    check(isinstance(r, dict) and "NOSCRIPT" in r["error"], "EVALSHA after SCRIPT FLUSH answers NOSCRIPT")
    r = call("cluster_stats")
    check(isinstance(r, list) and len(r) == 3, "EVAL of the same text works (fallback)")
    load_all()

    # ------------------------------------------------------------------
    scenario("30 concurrent claims, 10-seat lobby, 3 nodes")
    for n in ("n1", "n2", "n3"):
        check(register(n)[0] == "registered", f"register {n}")
    check(cli("EXISTS", B + "logcfg") == 0, "register without log settings writes no logcfg (log size 0)")
    o0 = off_now("arena")
    args = [call_args("claim", "PUBLISH", "arena", f"u{i:02}", f"c-arena-{i:02}", f"n{i % 3 + 1}", 10, "replace", "")
            for i in range(30)]
    res = parallel(args)
    st = Counter(r[0] for r in res)
    check(st == Counter({"ok": 10, "lobby_full": 20}), f"exactly 10 ok, 20 lobby_full: {dict(st)}")
    check(cli("HLEN", B + "lobby:arena") == 10, "lobby hash holds 10 seats")
    check(sum(cli("SCARD", B + f"nconns:n{k}") for k in (1, 2, 3)) == 10, "node sets hold 10 connections")
    oks = [r for r in res if r[0] == "ok"]
    check(sorted(r[1] for r in oks) == list(range(o0 + 1, o0 + 11)),
          "the 10 ok claims got 10 consecutive offsets of lobby arena, one per seat change")
    check(off_now("arena") == o0 + 10, "the 20 refused claims did not move the offset")
    epoch = epoch_of("arena")
    check(isinstance(epoch, str) and epoch.isdigit() and all(r[8] == epoch for r in oks),
          f"every reply carries the lobby log's epoch {epoch}")
    check(all(r[7] == r[1] for r in oks), "a new seat begins at its claim's offset (seat_at = offset)")
    last = max(oks, key=lambda r: r[1])
    check(sorted(last[2]) == sorted(cli("HKEYS", B + "lobby:arena")), "last claim's member list = the lobby")
    check(all(len(r[2]) == r[1] - o0 for r in oks), "each reply's member list matches its offset")
    check(cli("EXISTS", B + "log:arena") == 0, "no logcfg: offsets are counted, no stream is kept")
    check(cli("PTTL", B + "llog:arena") == -1, "the seated lobby's llog hash has no TTL")
    for r in oks:
        replies_off["arena"].append((r[1], r[8]))
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("30 concurrent connects of ONE user (replace, 3 nodes)")
    res = parallel([call_args("claim", "PUBLISH", "solo", "same", f"c-same-{i:02}", f"n{i % 3 + 1}", 10, "replace", "")
                    for i in range(30)])
    check(all(r[0] == "ok" for r in res), "all 30 admitted (replace)")
    check(sum(1 for r in res if r[3] is None) == 1, "exactly one found no older connection")
    displaced = [r[3] for r in res if r[3]]
    check(len(displaced) == 29 and len(set(displaced)) == 29, "each other one displaced a different older connection")
    cur = cli("GET", B + "user:same")
    check(cur not in displaced and cli("HLEN", B + "lobby:solo") == 1, f"one seat left, held by the undisplaced {cur}")
    check(sorted(r[1] for r in res) == list(range(1, 31)) and off_now("solo") == 30,
          "30 seat changes (1 joined, 29 replaced): offsets 1..30 of lobby solo")
    check(all(r[7] == 1 for r in res), "seat_at stays 1 (the joined entry) through the 29 same-user replaces")
    for r in res:
        replies_off["solo"].append((r[1], r[8]))
    o_solo = off_now("solo")
    check(all(release(c, "replaced")[0] == 0 for c in displaced[:5]), "releasing displaced connections changes nothing")
    check(cli("HGET", B + "lobby:solo", "same") == cur and off_now("solo") == o_solo,
          "newer connection still seated, offset did not move")
    check(invariants() == [], "indexes consistent")

    scenario("30 concurrent connects of ONE user (reject)")
    res = parallel([call_args("claim", "PUBLISH", "solo2", "rej", f"c-rej-{i:02}", f"n{i % 3 + 1}", 10, "reject", "")
                    for i in range(30)])
    st = Counter(r[0] for r in res)
    check(st == Counter({"ok": 1, "duplicate_session": 29}), f"1 ok, 29 duplicate_session: {dict(st)}")
    check(off_now("solo2") == 1, "one seat change: offset 1 of lobby solo2")
    replies_off["solo2"] += [(r[1], r[8]) for r in res if r[0] == "ok"]
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("replace inside the same full lobby")
    old = cli("HGET", B + "lobby:arena", "u03") or cli("HGET", B + "lobby:arena", cli("HKEYS", B + "lobby:arena")[0])
    user = cli("HGET", B + "conn:" + old, "user")
    old_node = cli("HGET", B + "conn:" + old, "node")
    old_seat_at = int(cli("HGET", B + "conn:" + old, "seat_at"))
    o_before = off_now("arena")
    r = claim("arena", user, "c-arena-new", "n2", name="Zoe")
    check(r[0] == "ok", "full lobby admits the same user again")
    check(r[3:6] == [old, old_node, "arena"], f"reply names displaced conn/node/lobby {r[3:6]}")
    check(r[1] == o_before + 1 and off_now("arena") == o_before + 1, "one seat change: the lobby's offset grew by one")
    check(r[7] == old_seat_at and r[8] == epoch, f"seat_at kept from the old connection ({old_seat_at}), same epoch")
    check(cli("HLEN", B + "lobby:arena") == 10 and len(r[2]) == 10, "still 10 members")
    check(cli("HGET", B + "lobby:arena", user) == "c-arena-new", "seat now held by the new connection")
    check(cli("EXISTS", B + "conn:" + old) == 0 and cli("SISMEMBER", B + f"nconns:{old_node}", old) == 0,
          "old connection's entries gone")
    replies_off["arena"].append((r[1], r[8]))
    rr = release(old, "replaced")
    check(rr == [0, None, None, None, "replaced"], f"release of displaced conn does nothing and says why: {rr}")
    check(cli("HGET", B + "lobby:arena", user) == "c-arena-new" and cli("GET", B + "user:" + user) == "c-arena-new",
          "newer connection untouched")
    r = claim("arena", "outsider", "c-outsider", "n1")
    check(r == ["lobby_full"] and off_now("arena") == o_before + 1, "another user still gets lobby_full; offset unmoved")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("replace across lobbies")
    r1 = claim("red", "mia", "c-mia-1", "n1")
    o_red = off_now("red")
    r2 = claim("blue", "mia", "c-mia-2", "n3")
    check(r1[0] == "ok" and r2[0] == "ok", "both claims admitted")
    check(r2[3:6] == ["c-mia-1", "n1", "red"], f"displaced conn/node/lobby reported {r2[3:6]}")
    check(cli("EXISTS", B + "lobby:red") == 0 and cli("ZSCORE", B + "lobbies", "red") is None,
          "old seat freed; empty lobby left the index")
    check(off_now("red") == o_red + 1 and r2[1] == 1, "one entry in each lobby: left in red, joined in blue")
    check(0 < cli("PTTL", B + "llog:red") <= 300000, "the emptied lobby's llog hash expires (default TTL 300 s)")
    check(cli("HGET", B + "lobby:blue", "mia") == "c-mia-2", "new seat in blue")
    replies_off["red"].append((r1[1], r1[8]))
    replies_off["blue"].append((r2[1], r2[8]))
    check(release("c-mia-1")[0] == 0 and cli("GET", B + "user:mia") == "c-mia-2",
          "late release of the old connection keeps the new one")
    # target full: refused before anything changes
    for i in range(3):
        r = claim("tiny", f"t{i}", f"c-t{i}", "n1", mx=3)
        replies_off["tiny"].append((r[1], r[8]))
    o_tiny, o_blue = off_now("tiny"), off_now("blue")
    r = claim("tiny", "mia", "c-mia-3", "n2", mx=3)
    check(r == ["lobby_full"] and off_now("tiny") == o_tiny and off_now("blue") == o_blue,
          "full target lobby refuses; nothing changed (no offset moved)")
    check(cli("GET", B + "user:mia") == "c-mia-2" and cli("HGET", B + "lobby:blue", "mia") == "c-mia-2",
          "old seat kept when the move is refused")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("reject policy")
    o_blue = off_now("blue")
    r = claim("green", "mia", "c-mia-4", "n1", mode="reject")
    check(r == ["duplicate_session"], "duplicate_session while the user is connected anywhere")
    check(off_now("green") == 0 and off_now("blue") == o_blue and cli("GET", B + "user:mia") == "c-mia-2",
          "nothing changed (no log for green, blue's offset unmoved)")
    r = claim("blue", "mia", "c-mia-5", "n1", mode="reject")
    check(r == ["duplicate_session"], "also in the same lobby")
    full = [claim("full2", f"f{i}", f"c-f{i}", "n1", mx=2) for i in range(2)]
    replies_off["full2"] += [(x[1], x[8]) for x in full]
    r = claim("full2", "mia", "c-mia-6", "n1", mx=2, mode="reject")
    check(r == ["duplicate_session"], "duplicate is checked before capacity (SPEC §1 order)")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("release: exactly once, never the newer connection")
    r = claim("yellow", "ida", "c-ida-1", "n2")
    rr = release("c-ida-1", "stale")
    check(rr[0] == 1 and rr[1:3] == ["yellow", "ida"] and rr[3] == r[1] + 1 and rr[4] == "stale",
          f"first release frees it: {rr}")
    replies_off["yellow"] += [(r[1], r[8]), (rr[3], None)]
    o_yellow = off_now("yellow")
    check(release("c-ida-1", "stale") == [0, None, None, None, "stale"] and off_now("yellow") == o_yellow,
          "second release: nothing, says so")
    check(claim("yellow", "ida", "c-ida-1", "n2")[0] == "conn_closed", "a claim arriving after its release is refused")
    rr = release("c-never", "left")
    check(rr == [0, None, None, None, "unknown"], "release of an unknown id: nothing")
    check(claim("yellow", "ida", "c-never", "n2") == ["conn_closed", "released"],
          "... and a late claim for that id is refused (no leaked seat)")
    r = claim("yellow", "ida", "c-ida-2", "n2")
    replies_off["yellow"].append((r[1], r[8]))
    append("yellow", '{"type":"chat","text":"between"}')     # the lobby's log moves on after the claim
    rx = claim("yellow", "ida", "c-ida-2", "n2")
    check(rx[0] == "exists" and rx[1] == off_now("yellow") == r[1] + 1,
          f"a retried claim is idempotent ('exists', the lobby's current offset): {rx}")
    check(rx[3:6] == [None, None, None] and rx[6] == r[6] and rx[7] == r[1] and rx[8] == r[8],
          "'exists' keeps connected_at, seat_at = the first claim's offset, same epoch")
    res = parallel([call_args("release", "PUBLISH", "c-ida-2", "left") for _ in range(10)])
    check(sum(x[0] for x in res) == 1, "10 concurrent releases of one connection: exactly one frees it")
    check(off_now("yellow") == r[1] + 2, "... one seat change: the offset grew by one")
    replies_off["yellow"] += [(x[3], None) for x in res if x[0] == 1]
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("a pause nobody saw (Redis frozen, or unreachable from every node) moves deadlines")
    reg = register("paused", timeout=3000)
    now = call("cluster_stats")[0]
    cli("SET", B + "clock", now - 10000)
    check(call("reap", "PUBLISH", "", 100)[0] == [], "after a 10 s pause nobody saw, the 3 s lease is not reaped")
    moved = int(float(cli("ZSCORE", B + "nodes", "paused"))) - reg[1]
    check(9900 <= moved <= 10100, f"its deadline moved by the unseen time ({moved} ms)")
    now = call("cluster_stats")[0]
    check(call("reap", "PUBLISH", "", 100)[0] == [] and
          int(float(cli("ZSCORE", B + "nodes", "paused"))) - reg[1] == moved, "time that scripts saw moves nothing")
    call("leave", "PUBLISH", "paused")

    # ------------------------------------------------------------------
    scenario("lease expiry and reaping")
    reg = register("dead", timeout=3000)
    check(reg[0] == "registered", "register node 'dead' with a 3 s lease")
    for i in range(25):
        r = claim(f"dl{i % 5}", f"d{i}", f"c-d{i}", "dead")
        replies_off[f"dl{i % 5}"].append((r[1], r[8]))
    check(cli("SCARD", B + "nconns:dead") == 25, "25 seats on it")
    r = claim("arena", "d0", "c-d0-x", "n1", mode="reject")
    check(r == ["duplicate_session"], "while alive, its users count as connected")
    check(call("reap", "PUBLISH", "dead", 100) == [[], 0, 0], "reap of a live node does nothing")
    wait_past(reg[1])
    o_dl0 = off_now("dl0")
    check(claim("dl0", "newbie", "c-newbie", "dead") == ["node_expired"], "claim from the expired node: node_expired")
    check(cli("EXISTS", B + "conn:c-newbie") == 0 and off_now("dl0") == o_dl0, "... and no seat written, offset unmoved")
    stats = call("cluster_stats")
    row = [x for x in stats[2] if x[0] == "dead"][0]
    check(row[5] == 0 and row[1] == 25, "cluster_stats shows it not alive, 25 seats pending")
    # reject-policy user whose old seat is on the dead node is admitted (seat freed as node_lost)
    o_dl1 = off_now("dl1")
    r = claim("arena2", "d1", "c-d1-new", "n1", mode="reject")
    check(r[0] == "ok" and r[3] is None, "reject policy: a seat on a dead node does not block the user")
    replies_off["arena2"].append((r[1], r[8]))
    check(cli("GET", B + "gone:c-d1") == "node_lost", "that old seat was freed as node_lost")
    check(off_now("dl1") == o_dl1 + 2, "... two entries in its lobby dl1: left, and owner_changed (d1 owned it)")
    rn = call("renew", "dead", 400, 100)
    check(rn[0] == "expired", "renew once its seats are being freed: 'expired', not renewed")
    check(float(cli("ZSCORE", B + "nodes", "dead")) == reg[1], "deadline unchanged")
    # batched reap, then two concurrent reapers
    b1 = call("reap", "PUBLISH", "dead", 10)
    check(len(b1[0]) == 10 and b1[1] == 1, "reap limit 10: 10 seats, more = 1")
    res = parallel([call_args("reap", "PUBLISH", "", 1000) for _ in range(2)])
    rows = [row for x in res for row in x[0]] + b1[0]
    conns = [row[2] for row in rows]
    check(len(conns) == 24 and len(set(conns)) == 24, "two concurrent reapers + first batch: 24 seats, each once")
    check(all(x[1] == 0 for x in res), "both report more = 0")
    check(all(row[4] == "dead" and cli("HGET", B + "lobby:" + row[0], row[1]) is None for row in rows),
          "reap rows = lobby, user, conn, offset, node: those seats are gone")
    per_lobby = defaultdict(list)
    for row in rows:
        per_lobby[row[0]].append(row[3])
        replies_off[row[0]].append((row[3], None))
    # Between them, only the owner_changed of an owner reaped before the lobby's last seat.
    check(all(len(set(v)) == len(v) and max(v) == off_now(k) and min(v) >= off_now(k) - 2 * len(v) + 2
              for k, v in per_lobby.items()),
          "per lobby, the reaped seats' offsets are its last entries (owner changes between them)")
    check(call("reap", "PUBLISH", "dead", 1000) == [[], 0, 0], "reap again: finds nothing")
    check(cli("ZSCORE", B + "nodes", "dead") is None and cli("EXISTS", B + "nconns:dead") == 0, "node entry gone")
    rn = call("renew", "dead", 400, 100)
    check(rn[0] == "reaped", f"renew of the reaped node: 'reaped' (not re-created): {rn}")
    check(cli("ZSCORE", B + "nodes", "dead") is None, "renew did not re-create it")
    check(call("renew", "ghost", 400, 100) == ["unknown"], "renew of a never-registered node: 'unknown'")
    # re-registration and reclaim of its still-open connections
    check(register("dead", timeout=15000)[0] == "registered", "register again")
    o_dl2 = off_now("dl2")
    r = claim("dl2", "d2", "c-d2", "dead", mode="reclaim")
    check(r[0] == "ok" and r[1] == o_dl2 + 1, "reclaim of a live connection after being reaped: ok, next offset")
    replies_off["dl2"].append((r[1], r[8]))
    r = claim("dl1", "d1", "c-d1", "dead", mode="reclaim")
    check(r == ["duplicate_session"], "reclaim never displaces the user's newer connection")
    r = claim("dl3", "d3", "c-d3", "dead", mode="replace")
    check(r == ["conn_closed", "node_lost"], "a normal claim cannot reuse a reaped connection id")
    check(invariants() == [], "indexes consistent")

    scenario("restore after Redis lost its data: the lobby's limit is not checked, the leave script")
    check(register("rs1", timeout=15000)[0] == "registered", "register rs1")
    for i in range(2):
        r = claim("rsl", f"rs{i}", f"c-rs{i}", "rs1", mx=2)
        check(r[0] == "ok", f"seat {i} of 2")
        replies_off["rsl"].append((r[1], r[8]))
    check(claim("rsl", "rs8", "c-rs8", "rs1", mx=2, mode="reclaim") == ["lobby_full"], "reclaim into a full lobby: lobby_full")
    r = claim("rsl", "rs9", "c-rs9", "rs1", mx=2, mode="restore")
    check(r[0] == "ok" and len(r[2]) == 3, f"restore into a full lobby: seated, 3 members over a limit of 2: {r}")
    replies_off["rsl"].append((r[1], r[8]))
    check(claim("rsl", "rs7", "c-rs7", "rs1", mx=2) == ["lobby_full"], "a newcomer is refused while over the limit")
    check(claim("rsl", "rs0", "c-rs0b", "rs1", mx=2, mode="restore") == ["duplicate_session"], "restore never displaces")
    check(call("register", "PUBLISH", "rs2", 15000, 100, "1")[0] == "registered", "register rs2 as restoring")
    row = [r for r in call("cluster_stats")[2] if r[0] == "rs2"][0]
    check(row[6] == 1, f"cluster_stats shows rs2 restoring: {row}")
    cli("HDEL", B + "node:rs2", "restoring")
    row = [r for r in call("cluster_stats")[2] if r[0] == "rs2"][0]
    check(row[6] == 0, f"restored once the flag is cleared: {row}")
    check(call("leave", "PUBLISH", "rs2") == 0, "leave of a node with no seats")
    o_rsl = off_now("rsl")
    check(call("leave", "PUBLISH", "rs1") == 3, "leave frees the node's 3 seats")
    check(cli("ZSCORE", B + "nodes", "rs1") is None and cli("EXISTS", B + "lobby:rsl") == 0, "node and lobby gone")
    check(o_rsl + 3 <= off_now("rsl") <= o_rsl + 5 and cli("PTTL", B + "llog:rsl") > 0,
          "3 entries (left, shutdown), each owner freed before the last seat handing over; the llog hash now expires")
    check(invariants() == [], "indexes consistent")

    scenario("late renew (no reaper came yet), then a partial reap")
    reg = register("flaky", timeout=2000)
    for i in range(4):
        r = claim("fl", f"fl{i}", f"c-fl{i}", "flaky")
        replies_off["fl"].append((r[1], r[8]))
    wait_past(reg[1])
    check(claim("fl", "fl9", "c-fl9", "flaky") == ["node_expired"], "expired: claims refused")
    rn = call("renew", "flaky", 2000, 10)
    check(rn[0] == "late" and rn[1] > reg[1], f"renew before any reaping: 'late', lease extended: {rn}")
    check(cli("HLEN", B + "lobby:fl") == 4, "its 4 seats kept")
    r = claim("fl", "fl9", "c-fl9", "flaky")
    check(r[0] == "ok" and r[1] == 5, "claims work again (offset 5)")
    replies_off["fl"].append((r[1], r[8]))
    wait_past(rn[1])
    rp = call("reap", "PUBLISH", "flaky", 2)
    check(len(rp[0]) == 2 and rp[1] == 1, "a reaper frees 2 of 5 seats, then stops (limit 2)")
    check(sorted(x[3] for x in rp[0]) in ([6, 7], [6, 8], [7, 8]),
          "their entries: offsets 6 to 8 of lobby fl (an owner_changed between when fl0 went)")
    replies_off["fl"] += [(x[3], None) for x in rp[0]]
    check(call("renew", "flaky", 2000, 10)[0] == "expired", "now renew answers 'expired'")
    r = register("flaky", timeout=15000)
    check(r[0] == "registered" and r[3] == 3, f"register frees the other 3 as node_lost, starts afresh: {r}")
    check(10 <= off_now("fl") <= 13, "... 3 more entries (and owner changes): lobby fl at offset 10 to 13")
    check(cli("EXISTS", B + "lobby:fl") == 0 and cli("HEXISTS", B + "node:flaky", "reaping") == 0, "lobby emptied, mark cleared")
    check(call("renew", "flaky", 15000, 10)[0] == "ok", "renew of the live node: ok")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("admin reads")
    r = call("lobby_members", "arena")
    members = {row[0]: row for row in r[1]}
    check(len(members) == 10 and r[0] == off_now("arena") and r[2] == epoch_of("arena") and r[3][0] in members,
          "lobby_members: 10 rows, the lobby's offset and epoch, and its state (owned by a member)")
    z = [row for row in r[1] if row[1] == "c-arena-new"][0]
    check(z[2] == "n2" and isinstance(z[3], int) and z[4] == "Zoe" and z[5] is None,
          f"row = user, conn, node, connected_at, name, rtt_ms(null): {z}")
    check(call("set_rtt", "c-arena-new", 42, "c-gone", 7) == 1, "set_rtt updates live conns only")
    check(cli("EXISTS", B + "conn:c-gone") == 0, "set_rtt did not create a hash for a gone conn")
    u = call("user_seat", z[0])
    check(u[:3] == ["c-arena-new", "arena", "n2"] and u[4] == "Zoe" and u[5] == 42, f"user_seat: {u}")
    check(call("user_seat", "nobody") == [], "user_seat of an absent user: []")
    r = call("lobby_members", "nowhere")
    check(r == [0, [], None, None], f"lobby_members of a lobby that never had a log: [0, [], null, null]: {r}")
    r = call("lobby_members", "red")
    check(r == [off_now("red"), [], epoch_of("red"), None] and r[0] > 0,
          f"lobby_members of an emptied lobby: no rows, its log's offset and epoch kept: {r}")
    for i in range(25):
        claim(f"pg-{i:02}", f"pgu{i}", f"c-pg{i}", "n3")
    want = cli("ZRANGEBYLEX", B + "lobbies", "-", "+")
    got, cur, pages = [], "", 0
    while True:
        p = call("lobby_page", cur, 7)
        pages += 1
        got += p[0]
        if p[1] is None:
            break
        cur = p[1]
    check([g[0] for g in got] == want and want == sorted(want), f"lobby_page: {pages} pages of 7, code order, complete")
    counts = {g[0]: g[1] for g in got}
    check(counts["arena"] == 10 and counts["pg-00"] == 1, "member counts")
    stats = call("cluster_stats")
    alive = {x[0]: x for x in stats[2] if x[5] == 1}
    total = sum(x[1] for x in alive.values())
    check(total == len(cli("KEYS", B + "conn:*")), f"cluster_stats: connections over live nodes = seats ({total})")
    check(stats[1] == len(want), "active_lobbies = index size")
    check(all(x[3] >= 0 for x in stats[2]), "last_seen_ms >= 0")

    # ------------------------------------------------------------------
    scenario("randomized: 600 ops over 4 nodes, 6 lobbies of 3, 15 users")
    random.seed(7)
    register("r1"); register("r2"); register("r3"); r4 = register("r4", timeout=4000)
    live, n_conn = [], 0
    lines = []
    for i in range(600):
        x = random.random()
        if x < 0.55 or not live:
            n_conn += 1
            c = f"rc{n_conn}"
            live.append(c)
            lines.append(call_args("claim", "PUBLISH", f"rl{random.randrange(6)}", f"ru{random.randrange(15)}", c,
                                   f"r{random.randrange(4) + 1}", 3, random.choice(["replace", "replace", "reject"]), ""))
        elif x < 0.95:
            c = live.pop(random.randrange(len(live))) if random.random() < 0.8 else f"rc{random.randrange(n_conn) + 1}"
            lines.append(call_args("release", "PUBLISH", c, "left"))
        else:
            lines.append(call_args("reap", "PUBLISH", "", 5))
    # three concurrent redis-cli processes, each running a third of the ops in order
    chunks = [lines[k::3] for k in range(3)]
    procs = []
    for ch in chunks:
        text = "\n".join(" ".join(quote(a) for a in cmd) for cmd in ch) + "\n"
        p = subprocess.Popen(["redis-cli", "-p", PORT, "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        procs.append((p, text))
    outs = [p.communicate(t)[0] for p, t in procs]
    per_chunk = [[parse(l) for l in o.splitlines() if l.strip()] for o in outs]
    replies = [r for rs in per_chunk for r in rs]
    check(len(replies) == 600 and not any(isinstance(r, dict) for r in replies), "600 replies, no errors")
    mix = Counter(r[0] if isinstance(r[0], str) else ("released" if r[0] == 1 else "release-noop")
                  for r in replies if isinstance(r, list) and r and not isinstance(r[0], list))
    print(f"    mix: {dict(mix)}")
    for ch, rs in zip(chunks, per_chunk):
        for cmd, r in zip(ch, rs):
            if not isinstance(r, list):
                continue
            if r[0] == "ok":                           # claim: its lobby is the call's ARGV[2]
                replies_off[cmd[5]].append((r[1], r[8]))
            elif r[0] == 1:                            # release
                replies_off[r[1]].append((r[3], None))
            elif isinstance(r[0], list):               # reap
                for row in r[0]:
                    replies_off[row[0]].append((row[3], None))
    wait_past(r4[1])                                   # r4 expires: its seats are reaped
    rp = call("reap", "PUBLISH", "", 1000)
    check(rp[1] == 0 and cli("ZSCORE", B + "nodes", "r4") is None, f"expired r4 reaped ({len(rp[0])} seats)")
    for row in rp[0]:
        replies_off[row[0]].append((row[3], None))
    bad = [v for v in invariants(3) if not ("over capacity" in v and not v.startswith("lobby rl"))]
    check(bad == [], f"indexes consistent, no lobby over 3 {bad}")
    users = cli("KEYS", B + "user:ru*")
    check(len(users) == len(set(users)) <= 15, "at most one seat per user")

    # ------------------------------------------------------------------
    lobby_log_scenario(events, replies_off)

    # ------------------------------------------------------------------
    held_seats_scenario(replies_off)

    # ------------------------------------------------------------------
    scenario("key layout")
    keys = cli("KEYS", "*")
    check(all(k.startswith(B) for k in keys), f"all {len(keys)} keys start with the versioned base {B}")
    check(len({keyslot(k) for k in keys}) == 1, f"all keys in one slot ({keyslot(keys[0])} = slot of '{{{PREFIX}}}')")
    check(any(k.startswith(B + "log:") for k in keys) and any(k.startswith(B + "llog:") for k in keys),
          "... the lobby logs (log:, llog:) included")
    other = "game7:{game7}:v2:"
    call("register", "PUBLISH", "x1", 15000, 10, "", 5, 60000, base=other)
    call("claim", "PUBLISH", "L", "u", "c", "x1", 10, "replace", "", base=other)
    append("L", '{"type":"chat"}', base=other)
    k2 = cli("KEYS", "game7*")
    check(len(k2) >= 7 and all(k.startswith(other) for k in k2) and len({keyslot(k) for k in k2}) == 1
          and keyslot(k2[0]) != keyslot(keys[0]), f"another prefix ({other}): its own single slot, {len(k2)} keys")
    check(off_now("L", base=other) == 2 and len(stored("L", base=other)) == 2, "... with its own lobby log")
    if server_major() >= 7:
        r = call("claim", "SPUBLISH", "L2", "u2", "c2", "x1", 10, "replace", "", base=other)
        check(r[0] == "ok", "SPUBLISH mode works (Redis 7)")
    else:                                              # the service itself always uses PUBLISH
        print("  skip SPUBLISH mode: Redis 7 only (sharded pub/sub)")
    r = cli(*call_args("claim", "PUBLISH", "L", "u", "c", "x1", 10, "replace", "", base="lobbyhub:"))
    check(isinstance(r, dict) and "KEYS[1]" in r["error"], "a base without a hash tag is refused")

    # ------------------------------------------------------------------
    scenario("lobby log entries on the channels: one order per lobby, offsets +1 within an epoch")
    time.sleep(0.3)
    evs = events.read()
    events.stop()
    check(all(lobby is not None and e is not None for lobby, e, _, _ in evs),
          f"all {len(evs)} messages are 'L' + entry JSON + '\\n' + frame, on a lobby channel")
    evs = [(lobby, e, f) for lobby, e, f, _ in evs if lobby is not None and e is not None]
    old_fields = [e for _, e, _ in evs if {"seq", "prev", "t", "lobby"} & set(e)]
    check(old_fields == [], "no entry has seq, prev, t or lobby (the channel names the lobby)")
    check(all((f == "") == (e["ev"] not in ("msg", "lobby", "mprops")) for _, e, f in evs),
          "seat changes carry an empty frame, messages their frame, lobby state changes their properties")
    by_lobby = defaultdict(list)
    for lobby, e, f in evs:
        by_lobby[lobby].append(e)
    gaps = []
    for lobby, lst in by_lobby.items():
        seen_epochs = set()
        prev = None
        for e in lst:
            if prev is not None and e["e"] == prev["e"]:
                if e["o"] != prev["o"] + 1:
                    gaps.append((lobby, prev["o"], e["o"], e["e"]))
            else:                                      # a lobby's first entry, or a new epoch
                if e["o"] != 1 or e["e"] in seen_epochs:
                    gaps.append((lobby, None, e["o"], e["e"]))
                seen_epochs.add(e["e"])
            prev = e
    check(gaps == [], f"per lobby: offsets 1, 2, 3, ... in arrival order, +1 each within an epoch "
                      f"(no gap, no duplicate; {len(by_lobby)} lobbies, {len(evs)} entries) {gaps[:5]}")
    behind = [l for l, lst in by_lobby.items() if (lst[-1]["o"], lst[-1]["e"]) != (off_now(l), epoch_of(l))]
    check(behind == [], f"per lobby: the last entry seen is the lobby's offset and epoch (one entry per change) {behind}")
    check(set(by_lobby) >= set(replies_off), "every lobby with a change has entries")
    seen = {(l, e["o"], e["e"]) for l, lst in by_lobby.items() for e in lst}
    seen_o = {(l, e["o"]) for l, lst in by_lobby.items() for e in lst}
    missing = [(l, o, ep) for l, v in replies_off.items() for o, ep in v
               if ((l, o, ep) not in seen if ep is not None else (l, o) not in seen_o)]
    check(missing == [], f"every offset returned by claim/release/reap matches an entry of that lobby {missing[:5]}")
    wrong = replay(by_lobby)
    check(wrong == [], f"per lobby and epoch, joined/left/replaced replay to the members, count = their number {wrong[:3]}")
    same = [e for e in by_lobby["arena"] if e["ev"] == "replaced"]
    check(len(same) == 1 and same[0]["old_conn"] == old and same[0]["conn"] == "c-arena-new"
          and same[0]["old_node"] == old_node and same[0]["node"] == "n2" and same[0]["count"] == 10,
          "same-lobby replace: one 'replaced' entry (no left/joined) with old_conn/old_node")
    solo = Counter(e["ev"] for e in by_lobby["solo"])
    check(solo == Counter({"joined": 1, "replaced": 29}), f"one user's 30 connects: 1 joined, 29 replaced {dict(solo)}")
    nl = [e for _, e, _ in evs if e.get("reason") == "node_lost" and e["node"] == "dead"]
    check(len(nl) == 25 and len({e["conn"] for e in nl}) == 25, "node_lost announced once per seat of the dead node")

    # ------------------------------------------------------------------
    lobby_state_scenario()
    stale_stream_scenario()
    directory_scenario()

    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


def lobby_log_scenario(events, replies_off):
    scenario("the lobby log")
    L = "lg"
    r = register("n1", log=(5, 60000))
    check(r[0] == "renewed" and cli("HGETALL", B + "logcfg") == {"size": "5", "ttl": "60000"},
          "register with log size 5, ttl 60000 writes logcfg (and renews the live node)")
    c1 = claim(L, "la", "c-la", "n1")
    E = c1[8]
    check(c1[0] == "ok" and c1[1] == 1 and c1[7] == 1 and isinstance(E, str) and E.isdigit(),
          f"first claim: offset 1, seat_at 1, a new epoch {E}")
    f1, f2 = '{"type":"chat","from":"la","text":"hi"}', '{"type":"dm","text":"psst"}'
    a1 = append(L, f1, exclude="la")
    check(a1 == [2], f"append: reply [offset 2]: {a1}")
    c2 = claim(L, "lb", "c-lb", "n2")
    check(c2[0] == "ok" and c2[1] == 3 and c2[8] == E, "a claim after it: offset 3, same epoch")
    a2 = append(L, f2, to="lb", request="req-1", request_node="n1")
    check(a2 == [4], f"a direct message: offset 4: {a2}")
    rr = release("c-la")
    check(rr == [1, L, "la", 5, "left"], f"release: offset 5: {rr}")
    replies_off[L] += [(1, E), (3, E), (5, E), (2, E), (4, E)]
    got = stored(L)
    check([g[0] for g in got] == ["1-0", "2-0", "3-0", "4-0", "5-0", "6-0"],
          f"XRANGE ids are <offset>-0: {[g[0] for g in got]}")
    ms = [json.loads(g[1]) for g in got]
    check([m["o"] for m in ms] == [1, 2, 3, 4, 5, 6] and all(m["e"] == E for m in ms),
          "each stored entry carries its offset (o) and epoch (e)")
    check([m["ev"] for m in ms] == ["joined", "msg", "joined", "msg", "left", "owner"],
          "messages and seat changes interleave in one offset order; the owner's leaving hands the lobby over")
    check(ms[5] == {"ev": "owner", "user": "lb", "previous": "la", "o": 6, "e": E},
          f"owner entry: the member seated longest gets the lobby: {ms[5]}")
    check([g[2] for g in got] == ["", f1, "", f2, "", ""], "f = a message's frame, '' for a seat change")
    check(ms[1] == {"ev": "msg", "x": "la", "o": 2, "e": E}, f"lobby message: x = the excluded user, no to: {ms[1]}")
    check(ms[3] == {"ev": "msg", "to": "lb", "r": "req-1", "rn": "n1", "o": 4, "e": E},
          f"direct message: to, r, rn, no x: {ms[3]}")
    check(ms[0] == {"ev": "joined", "user": "la", "conn": "c-la", "node": "n1", "count": 1, "o": 1, "e": E},
          f"joined entry: ev, user, conn, node, count: {ms[0]}")
    check(ms[4] == {"ev": "left", "user": "la", "conn": "c-la", "node": "n1", "reason": "left", "count": 1,
                    "o": 5, "e": E}, f"left entry: ev, user, conn, node, reason, count: {ms[4]}")
    pub = events.of(L, 6)
    check([(p[3], p[2]) for p in pub] == [(g[1], g[2]) for g in got],
          "the published entries are the stored ones (same entry JSON, same frame, same order)")

    check(append(L, "") == [-1] and isinstance(append(L, f1, pub="POST"), dict) and off_now(L) == 6,
          "append answers -1 for an empty frame and refuses a bad pub; offset unmoved")
    check(isinstance(call("append", "PUBLISH", "", "", 5, 60000, L, f1), dict) and off_now(L) == 6,
          "... and refuses a message with arguments missing")
    o0 = off_now(L)
    res = parallel([call_args("append", *append_args((L, f'{{"n":{i}}}'))) for i in range(10)] +
                   [call_args("claim", "PUBLISH", L, f"lp{i}", f"c-lp{i}", "n1", 10, "replace", "") for i in range(5)])
    offs = sorted([x[0] for x in res[:10]] + [x[1] for x in res[10:]])
    check(offs == list(range(o0 + 1, o0 + 16)), "10 appends and 5 claims at once: 15 consecutive offsets, one each")
    replies_off[L] += [(x[1], x[8]) for x in res[10:]] + [(x[0], E) for x in res[:10]]

    # One call, many messages (a node sends those waiting on its connection together).
    o0, ox = off_now(L), off_now("lx")
    res = call("append", *append_args((L, '{"k":1}'), ("lx", '{"k":2}'), (L, ""), (L, '{"k":3}', "lb", "", "r9", "n1")))
    check(res == [o0 + 1, ox + 1, -1, o0 + 2], f"messages of one call: each its lobby's next offset, -1 for the bad one: {res}")
    got = {g[0]: (json.loads(g[1]), g[2]) for g in stored(L)}
    check(got[f"{o0 + 2}-0"] == ({"ev": "msg", "to": "lb", "r": "r9", "rn": "n1", "o": o0 + 2, "e": E}, '{"k":3}'),
          f"... each stored with its own entry and frame: {got.get(f'{o0 + 2}-0')}")
    replies_off[L] += [(o0 + 1, E), (o0 + 2, E)]
    replies_off["lx"].append((ox + 1, cli("HGET", B + "llog:lx", "e")))
    check(cli("PTTL", B + "llog:lx") > 0, "... a lobby without a seat: its log's hash expires")
    late = call("append", *append_args((L, '{"k":4}'), (L, '{"k":5}'), sent_at=1, max_age=2000))
    check(late == [0, 0] and off_now(L) == o0 + 2, f"sent long before it reached Redis: all refused, nothing appended: {late}")
    esc = 'q"uo\\te\nnl'
    append(L, '{"k":6}', to=esc)
    last = json.loads(stored(L)[-1][1])
    check(last["to"] == esc, f"a user id that needs escaping is stored as JSON: {stored(L)[-1][1]}")
    replies_off[L].append((o0 + 3, E))

    cfg = cli("CONFIG", "GET", "stream-node-max-entries")
    node_max = int(cfg["stream-node-max-entries"] if isinstance(cfg, dict) else cfg[1]) or 100
    n = node_max + 20
    o0 = off_now(L)
    res = pipelined([call_args("append", *append_args((L, f'{{"bulk":{i}}}'))) for i in range(n)])
    check([x[0] for x in res] == list(range(o0 + 1, o0 + n + 1)), f"{n} appends in a row: offsets {o0 + 1}..{o0 + n}")
    top = off_now(L)
    ids = [g[0] for g in stored(L)]
    check(5 <= len(ids) <= 5 + node_max and cli("XLEN", B + "log:" + L) == len(ids),
          f"trimmed to about 5: {len(ids)} of {top} kept (MAXLEN ~ drops whole nodes: 5 <= n <= 5 + {node_max})")
    check(ids == [f"{o}-0" for o in range(top - len(ids) + 1, top + 1)], "it keeps the newest, consecutive up to the last")
    pt = cli("PTTL", B + "log:" + L)
    check(0 < pt <= 60000, f"the stream expires within the ttl: PTTL {pt}")
    check(cli("PTTL", B + "llog:" + L) == -1, "the llog hash has no TTL while the lobby has seats")

    for c in ["c-lb"] + [f"c-lp{i}" for i in range(4)]:
        replies_off[L].append((release(c)[3], E))
    check(cli("PTTL", B + "llog:" + L) == -1, "... still none with one seat left")
    rr = release("c-lp4")
    replies_off[L].append((rr[3], E))
    pt = cli("PTTL", B + "llog:" + L)
    check(rr[0] == 1 and 0 < pt <= 60000, f"the lobby emptied: its llog hash now expires (PTTL {pt})")
    check(cli("ZSCORE", B + "lobbies", L) is None and call("lobby_members", L) == [rr[3], [], E, None],
          "lobby_members of the emptied lobby: no rows, offset and epoch kept")
    r = claim(L, "ld", "c-ld", "n3")
    check(r[1] == rr[3] + 1 and r[8] == E and r[7] == r[1] and cli("PTTL", B + "llog:" + L) == -1,
          "seated again within the ttl: the log goes on (next offset, same epoch), TTL removed")
    replies_off[L].append((r[1], r[8]))
    rr = release("c-ld")
    replies_off[L].append((rr[3], E))

    # As a Redis that lost its data (or a lobby log whose ttl ran out): no llog hash, no stream.
    cli("DEL", B + "llog:" + L, B + "log:" + L)
    r = claim(L, "le", "c-le", "n1")
    E2 = r[8]
    check(r[0] == "ok" and r[1] == 1 and r[7] == 1 and isinstance(E2, str) and E2 != E,
          f"log lost: the next entry starts at offset 1 in a different epoch ({E} -> {E2})")
    replies_off[L].append((r[1], E2))
    a = append(L, f1)
    check(a == [2], f"append in the new epoch: [2]: {a}")
    replies_off[L].append((2, E2))
    check([g[0] for g in stored(L)] == ["1-0", "2-0"] and all(json.loads(g[1])["e"] == E2 for g in stored(L)),
          "the new stream holds only the new epoch's entries")

    # history size 0: offsets still counted, nothing more kept
    register("n1", log=(0, 60000))
    check(cli("HGET", B + "logcfg", "size") == "0", "register with log size 0 rewrites logcfg")
    a = append(L, f2)
    check(a == [3] and [g[0] for g in stored(L)] == ["1-0", "2-0"], "size 0: offset 3 counted, nothing stored")
    replies_off[L].append((3, E2))
    rr = release("c-le")
    replies_off[L].append((rr[3], E2))
    pub = events.of(L, 5 + 15 + 3 + n + 8 + 4)
    check([p[1]["o"] for p in pub if p[1]["e"] == E2] == [1, 2, 3, 4], "all four entries of the new epoch were published")
    check(invariants() == [], "indexes consistent")


def held_seats_scenario(replies_off):
    """SPEC §10 in Redis: a held seat, its return on another node, freeing, expiry, node death, drain."""
    scenario("held seats: away, back on another node (full lobby, reject policy), freed, expired once")
    for i in range(3):
        r = claim("hs", f"h{i}", f"c-h{i}", "n1", mx=3)
        replies_off["hs"].append((r[1], r[8]))
    o = off_now("hs")
    r = release("c-h0", "dropped", 60000)
    check(r == [2, "hs", "h0", o + 1, "dropped"], f"a release with hold_ms holds the seat: {r}")
    replies_off["hs"].append((r[3], None))
    check(cli("HGET", B + "conn:c-h0", "away") == "dropped" and cli("SISMEMBER", B + "nconns:n1", "c-h0") == 0
          and cli("HGET", B + "lobby:hs", "h0") == "c-h0", "held: away = dropped, off its node, still seated")
    until = int(float(cli("ZSCORE", B + "holds", "c-h0")))
    now = call("cluster_stats")[0]
    check(59000 <= until - now <= 60000, f"its deadline is Redis time + hold_ms ({until - now} ms)")
    check(release("c-h0", "dropped", 60000) == [0, None, None, None, "away"], "holding it again changes nothing")
    check(claim("hs", "x", "c-hx", "n2", mx=3) == ["lobby_full"], "the held seat counts: a newcomer finds it full")
    m = call("lobby_members", "hs")
    row = [x for x in m[1] if x[0] == "h0"][0]
    check(row[6] == until and row[7] == "dropped" and all(x[6] is None for x in m[1] if x[0] != "h0"),
          "lobby_members: away_until and the reason for the held seat only")
    check(call("user_seat", "h0")[6] == until, "user_seat: away_until")
    check(invariants() == [], "indexes consistent")
    r = claim("hs", "h0", "c-h0b", "n2", mx=3, mode="reject")
    check(r[0] == "ok" and r[9] == "returned" and r[3] == "c-h0" and r[5] == "hs",
          f"back on another node, in a full lobby, with reject: returned, naming the held seat {r[:6]} {r[9]}")
    check(r[7] < r[1] and r[10] == [], f"... keeping its seat_at ({r[7]}), nobody away now")
    replies_off["hs"].append((r[1], r[8]))
    check(cli("ZSCORE", B + "holds", "c-h0") is None and cli("GET", B + "gone:c-h0") == "back",
          "the hold is gone, the old connection id tombstoned 'back'")
    check(invariants() == [], "indexes consistent")

    release("c-h1", "stale", 60000)
    r = claim("hs-other", "h1", "c-h1b", "n1", mx=3)
    check(r[0] == "ok" and r[9] == "freed" and r[3] is None, f"connecting to another lobby frees the held seat: {r[9]}")
    check(cli("HGET", B + "lobby:hs", "h1") is None and cli("GET", B + "gone:c-h1") == "left",
          "... freed as left in the old lobby")
    replies_off["hs-other"].append((r[1], r[8]))
    release("c-h2", "slow_consumer", 60000)
    r = claim("hs", "y", "c-hy", "n1", mx=3)
    check(r[0] == "ok" and r[10] == ["h2"], f"a newcomer's claim lists the away members: {r[10]}")
    r = release("c-h2", "kicked")
    check(r[0] == 1 and r[4] == "kicked", "a release without hold_ms (a kick) frees a held seat")
    check(invariants() == [], "indexes consistent")

    release("c-h0b", "dropped", 300)
    release("c-hy", "stale", 300)
    wait_past(call("cluster_stats")[0] + 350)
    res = parallel([call_args("reap", "PUBLISH", "", 1000) for _ in range(3)])
    check(sum(x[2] for x in res) == 2, f"three concurrent reapers end the two expired holds once: {[x[2] for x in res]}")
    check(cli("HLEN", B + "lobby:hs") == 0 and cli("GET", B + "gone:c-hy") == "stale",
          "... with the reasons they were held for")
    check(invariants() == [], "indexes consistent")

    scenario("held seats: a lost node's members are away (node_lost); its reclaim brings them back")
    reg = register("frozen", timeout=1000)
    for i in range(4):
        claim("hn", f"fz{i}", f"c-fz{i}", "frozen")
    wait_past(reg[1])
    rp = call("reap", "PUBLISH", "frozen", 100, 20000)
    check(len(rp[0]) == 4 and all(cli("HGET", B + "conn:" + row[2], "away") == "node_lost" for row in rp[0]),
          "reap with hold_ms: the 4 seats are held as node_lost")
    check(cli("HLEN", B + "lobby:hn") == 4 and cli("ZSCORE", B + "nodes", "frozen") is None,
          "... still seated, the node forgotten")
    check(register("frozen", timeout=60000)[0] == "registered", "the node registers again")
    r = claim("hn", "fz0", "c-fz0", "frozen", mode="reclaim")
    check(r[0] == "ok" and r[9] == "returned" and r[3] == "c-fz0", f"its open connection reclaims the held seat: {r[:4]}")
    check(cli("SISMEMBER", B + "nconns:frozen", "c-fz0") == 1 and cli("HGET", B + "conn:c-fz0", "away") is None,
          "... back on the node")
    r = claim("hn", "fz1", "c-fz1-new", "n2")
    check(r[0] == "ok" and r[9] == "returned", "another member comes back through another node")
    check(invariants() == [], "indexes consistent")
    check(call("leave", "PUBLISH", "frozen", 20000) == 1, "a draining node's leave holds its seat left (shutdown)")
    check(cli("HGET", B + "conn:c-fz0", "away") == "shutdown", "... away as shutdown")
    check(invariants() == [], "indexes consistent")

    scenario("held seats: a node registering again mid-reap holds the seats left of its old life")
    reg = register("half", timeout=1000)
    for i in range(3):
        claim("hh", f"hh{i}", f"c-hh{i}", "half")
    wait_past(reg[1])
    check(len(call("reap", "PUBLISH", "half", 1, 20000)[0]) == 1, "a reap of one seat begins")
    r = call("register", "PUBLISH", "half", 60000, 100, "", "", "", 20000)
    check(r[0] == "registered" and r[3] == 2, f"register again: the two seats left are taken care of {r}")
    check(all(cli("HGET", B + f"conn:c-hh{i}", "away") == "node_lost" for i in range(3)),
          "... held as node_lost like the reaped one, not freed")
    check(invariants() == [], "indexes consistent")

    scenario("held seats: a pause nobody saw moves the holds' deadlines")
    release("c-fz1-new", "dropped", 5000)
    before = int(float(cli("ZSCORE", B + "holds", "c-fz1-new")))
    cli("SET", B + "clock", call("cluster_stats")[0] - 10000)
    call("cluster_stats")
    moved = int(float(cli("ZSCORE", B + "holds", "c-fz1-new"))) - before
    check(9900 <= moved <= 10100, f"the hold's deadline moved by the unseen time ({moved} ms)")

    scenario("held seats: a dead node's seat in the same lobby is taken over silently when seats are held")
    reg = register("gone-node", timeout=1000)
    claim("hq", "q0", "c-q0", "gone-node")
    wait_past(reg[1])
    o = off_now("hq")
    r = call("claim", "PUBLISH", "hq", "q0", "c-q0b", "n1", 10, "reject", "", 20000)
    check(r[0] == "ok" and r[3] == "c-q0" and r[9] is None, f"admitted in reject mode, taking over the seat: {r[:4]}")
    check(off_now("hq") == o + 1, "one entry: the seat taken over, no node_lost leave")
    check(invariants() == [], "indexes consistent")


def state(lobby_code):
    return call("lobby_state", "PUBLISH", "get", lobby_code)[1]


def update(lobby_code, by, locked="", vis="", mx="", props="", expected=""):
    return call("lobby_state", "PUBLISH", "update", lobby_code, by, locked, vis, mx, props, expected)


def lobby_state_scenario():
    scenario("lobby state: owner, settings with check-and-set, member properties, kick, lock, own capacity")
    S = "st"
    check(claim(S, "sa", "c-sa", "n1")[0] == "ok", "first member seated")
    r = claim(S, "sb", "c-sb", "n2")
    check(r[11] == ["sa", 0, "private", 10, "{}", 0, [], 0], f"a claim answers the state: the first member owns it {r[11]}")
    check(update(S, "sb", locked="1") == ["not_owner"], "an update from a member who does not own it: not_owner")
    r = update(S, "sa", locked="1", vis="public", mx="3", props='{"mode":"duel"}', expected="0")
    check(r == ["ok", ["sa", 1, "public", 3, '{"mode":"duel"}', 1, [], 0]], f"the owner's update at version 0: {r}")
    check(update(S, "sa", locked="0", expected="0") == ["version_conflict"] and state(S)[1] == 1,
          "again at version 0: version_conflict, still locked")
    res = parallel([call_args("lobby_state", "PUBLISH", "update", S, "sa", "", "", "", f'{{"n":{i}}}', "1")
                    for i in range(10)])
    check(sorted(x[0] for x in res) == ["ok"] + ["version_conflict"] * 9 and state(S)[5] == 2,
          "10 writers at once with expected version 1: exactly one wins, version 2")
    check(claim(S, "sc", "c-sc", "n1") == ["lobby_locked"], "locked: a newcomer is refused")
    r = claim(S, "sb", "c-sb2", "n1")
    check(r[0] == "ok" and r[3] == "c-sb", "... a seated user's replacement gets in")
    r = update(S, "", locked="0")
    check(r[0] == "ok" and r[1][1] == 0 and r[1][5] == 3, "the game backend unlocks it (no owner needed), version 3")
    check(claim(S, "sc", "c-sc", "n1")[0] == "ok", "unlocked: admitted")
    check(claim(S, "sd", "c-sd", "n1") == ["lobby_full"], "the lobby's own capacity (3) is full: lobby_full")
    r = call("lobby_state", "PUBLISH", "member", S, "sc", '{"ready":true}')
    check(r[0] == "ok" and r[1][6] == ["sc", '{"ready":true}'], f"member properties kept as written: {r}")
    check(call("lobby_state", "PUBLISH", "member", S, "nobody", "{}") == ["not_member"], "properties of a non-member")
    check(call("lobby_state", "PUBLISH", "kick", S, "sb", "sc") == ["not_owner"], "a kick by a non-owner: not_owner")
    check(call("lobby_state", "PUBLISH", "kick", S, "sa", "nobody") == ["not_member"], "a kick of a non-member")
    r = call("lobby_state", "PUBLISH", "kick", S, "sa", "sc")
    check(r[0] == "ok" and r[1][6] == [] and cli("GET", B + "gone:c-sc") == "kicked",
          "the owner's kick frees the seat as kicked; its properties go")
    check(claim(S, "sc", "c-sc2", "n1") == ["forbidden"], "the kicked user stays out: forbidden")
    check(call("lobby_state", "PUBLISH", "owner", S, "nobody") == ["not_member"], "owner: not a member")
    check(call("lobby_state", "PUBLISH", "owner", "st-empty", "sa") == ["no_lobby"], "owner of a lobby with no seat")
    r = release("c-sb2", "dropped", hold=60000)
    check(r[0] == 2, "sb's connection ends and its seat is held")
    release("c-sa")
    check(state(S)[0] == "sb", "the owner left: sb, seated longest (held seat included), owns the lobby")
    release("c-sb2")
    check(state(S) is None and cli("EXISTS", B + "lkicked:" + S) == 0 and cli("EXISTS", B + "lmprops:" + S) == 0,
          "with the last seat the state goes, the kicked list with it")
    check(claim(S, "sc", "c-sc3", "n1")[0] == "ok" and state(S)[0] == "sc", "a new first member owns it afresh")
    check(invariants() == [], "indexes consistent")


def quick(user, props, code="", ttl=15000, only=None, mx=10):
    q = {"m": {k: [v] for k, v in props.items()}, "space": True}
    if only is not None:
        q["only"] = only
    new = json.dumps({"code": code, "vis": "public", "max": mx, "props": json.dumps({k: v[2:] for k, v in props.items()}),
                      "tok": props}) if code else ""
    return call("directory", "PUBLISH", "quick", user, ttl, json.dumps(q), new)


def directory_scenario():
    scenario("directory: 100 quick joins at once fill exactly 10 lobbies; reservations count, pass, expire once")
    props = {"mode": "s:race"}
    q = json.dumps({"m": {"mode": ["s:race"]}, "space": True})
    res = parallel([call_args("directory", "PUBLISH", "quick", f"qj{i}", 15000, q,
                              json.dumps({"code": f"race{i}", "vis": "public", "max": 10, "props": '{"mode":"race"}',
                                          "tok": props})) for i in range(100)])
    per = Counter(r[1] for r in res if r[0] == "placed")
    check(len(per) == 10 and set(per.values()) == {10} and sum(r[2] for r in res) == 10,
          f"10 lobbies of 10 reservations, 10 made: {dict(per)}")
    bad = invariants()
    check(bad == [], f"indexes consistent after the race {bad[:3]}")
    L = res[0][1]
    again = quick("qj0", props)
    check(again[:3] == ["placed", L, 0] and 0 < again[3] <= 15000, f"asking again: the same reservation {again}")
    check(claim(L, "stranger", "c-str", "n1") == ["lobby_full"], "reservations count: a stranger is refused lobby_full")
    update(L, "", locked="1")
    r = claim(L, "qj0", "c-qj0", "n1")
    check(r[0] == "ok" and "qj0" in r[2], "a reserved player gets into its full, locked lobby")
    check(quick("qj0", props)[:4] == ["placed", L, 0, 0], "a seated player gets its lobby back, reserved_ms 0")
    check(cli("ZSCORE", B + "resv", "qj0") is None, "its reservation is taken")
    other = next(f"qj{i}" for i, r in enumerate(res) if r[1] == L and i != 0)
    check(call("directory", "PUBLISH", "cancel", other) == ["ok", 1] and state(L)[7] == 8,
          "an admin kick cancels one: 8 reservations left")

    scenario("directory: an unused reservation ends silently and its lobby with it")
    made = quick("lonely", {"mode": "s:alone"}, code="alone1", ttl=150)
    check(made == ["placed", "alone1", 1, 150], f"made for it: {made}")
    ev = Events()
    try:
        wait_past(int(cli("ZSCORE", B + "resv", "lonely")))
        call("reap", "PUBLISH", "", 1000)
        check(state("alone1") is None and cli("ZSCORE", B + "lpublic", "alone1") is None
              and cli("ZSCORE", B + "lobbies", "alone1") is None, "expired: the lobby made for it is gone")
        check(ev.of("alone1", 1, timeout=0.5) == [], "nothing was published about it")
    finally:
        ev.stop()
    check(invariants() == [], "indexes consistent")


def stale_stream_scenario():
    """A stream that outlives its llog hash (the hash lost, the stream not), then the lobby is used
    again. A message to an emptied lobby renews both TTLs, so they go together. Separate key base."""
    scenario("a message to an emptied lobby keeps its log's hash as long as its stream; a stream that outlived it")
    P = "probe:{probe}:v2:"
    call("register", "PUBLISH", "pn", 15000, 10, "", 5, 1000, base=P)
    r = claim("pl", "pu1", "pc1", "pn", base=P)
    release("pc1", base=P)                             # empty: llog hash and stream expire in 1 s
    time.sleep(0.5)
    a = append("pl", '{"type":"notice"}', base=P)      # e.g. the game backend's message
    hash_ttl, stream_ttl = cli("PTTL", P + "llog:pl"), cli("PTTL", P + "log:pl")
    check(r[0] == "ok" and a[0] == 3 and 500 < hash_ttl <= 1000 and 500 < stream_ttl <= 1000,
          f"the message renewed the TTL of both the llog hash ({hash_ttl} ms) and the stream ({stream_ttl} ms)")
    cli("DEL", P + "llog:pl")                          # the hash lost, the stream (entries up to 3-0) not
    check(cli("EXISTS", P + "log:pl") == 1, "setup: the stream outlived its llog hash")
    r = claim("pl", "pu2", "pc2", "pn", base=P)
    check(isinstance(r, list) and r[0] == "ok" and r[1] == 1,
          f"the next claim is admitted at offset 1 of a new epoch: {r}")
    ids = [g[0] for g in stored("pl", base=P)]
    check(ids[-1:] == ["1-0"], f"... and its entry is kept in the lobby's stream: {ids}")
    check(invariants(base=P) == [], f"indexes consistent {invariants(base=P)}")


def replay(by_lobby):
    """Rebuilds each lobby's members from its entries, per epoch (each starts from an empty lobby
    here); returns the entries that do not fit."""
    wrong = []
    for lobby, lst in by_lobby.items():
        members, ep = {}, None
        for e in lst:
            if e["e"] != ep:
                members, ep = {}, e["e"]
            ev = e["ev"]
            if ev == "msg":
                continue
            if ev == "owner":                          # lobby state: the new owner holds a seat
                if e["user"] not in members:
                    wrong.append((lobby, e))
                continue
            if ev in ("lobby", "mprops"):
                continue
            if ev == "joined":
                ok = e["user"] not in members
                members[e["user"]] = e["conn"]
            elif ev == "left":
                ok = members.get(e["user"]) == e["conn"]
                members.pop(e["user"], None)
            elif ev in ("replaced", "back"):
                ok = members.get(e["user"]) == e["old_conn"]
                members[e["user"]] = e["conn"]
            elif ev == "away":
                ok = members.get(e["user"]) == e["conn"] and e.get("hold_ms", 0) > 0
            else:
                ok = False
            if not ok or e["count"] != len(members):
                wrong.append((lobby, e))
    return wrong


def quote(a):
    s = str(a).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s + '"'


if __name__ == "__main__":
    sys.exit(main())
