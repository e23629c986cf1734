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
B = f"{PREFIX}:{{{PREFIX}}}:"          # lobbyhub:{lobbyhub}:
OPS = ["claim", "release", "leave", "reap", "renew", "register", "set_rtt",
       "lobby_members", "user_seat", "lobby_page", "cluster_stats"]

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


def claim(lobby, user, conn, node, mx=10, mode="replace", name="", pub="PUBLISH"):
    return call("claim", pub, lobby, user, conn, node, mx, mode, name)


def release(conn, reason="left"):
    return call("release", "PUBLISH", conn, reason)


def register(node, timeout=600000, maxc=10000):
    return call("register", "PUBLISH", node, timeout, maxc)


def invariants(mx=10):
    return cli("EVAL", source("check_invariants", os.path.join(HERE)), 1, B, mx)


def seq_now():
    v = cli("GET", B + "seq")
    return int(v) if v else 0


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

    # A subscriber that records every presence event for the seq checks at the end.
    sub_out = tempfile.TemporaryFile(mode="w+")        # a file, not a pipe: a full pipe would stall it
    sub = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-p", PORT, "--json", "PSUBSCRIBE", B + "ch:lobby:*"],
                           stdout=sub_out, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.3)
    replies_seq = defaultdict(list)       # lobby -> seq numbers seen in claim/release replies

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
    s0 = seq_now()
    args = [call_args("claim", "PUBLISH", "arena", f"u{i:02}", f"c-arena-{i:02}", f"n{i % 3 + 1}", 10, "replace", "")
            for i in range(30)]
    res = parallel(args)
    st = Counter(r[0] for r in res)
    check(st == Counter({"ok": 10, "lobby_full": 20}), f"exactly 10 ok, 20 lobby_full: {dict(st)}")
    check(cli("HLEN", B + "lobby:arena") == 10, "lobby hash holds 10 seats")
    check(sum(cli("SCARD", B + f"nconns:n{k}") for k in (1, 2, 3)) == 10, "node sets hold 10 connections")
    oks = sorted(r[1] for r in res if r[0] == "ok")
    check(oks == list(range(s0 + 1, s0 + 11)), "10 distinct seq numbers, one per seat change")
    last = max(res, key=lambda r: r[1] if r[0] == "ok" else -1)
    check(sorted(last[2]) == sorted(cli("HKEYS", B + "lobby:arena")), "last claim's member list = the lobby")
    check(all(len(r[2]) == r[1] - s0 for r in res if r[0] == "ok"), "each reply's member list matches its seq")
    for r in res:
        if r[0] == "ok":
            replies_seq["arena"].append(r[1])
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
    check(all(release(c, "replaced")[0] == 0 for c in displaced[:5]), "releasing displaced connections changes nothing")
    check(cli("HGET", B + "lobby:solo", "same") == cur, "newer connection still seated")
    check(invariants() == [], "indexes consistent")

    scenario("30 concurrent connects of ONE user (reject)")
    res = parallel([call_args("claim", "PUBLISH", "solo2", "rej", f"c-rej-{i:02}", f"n{i % 3 + 1}", 10, "reject", "")
                    for i in range(30)])
    st = Counter(r[0] for r in res)
    check(st == Counter({"ok": 1, "duplicate_session": 29}), f"1 ok, 29 duplicate_session: {dict(st)}")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("replace inside the same full lobby")
    old = cli("HGET", B + "lobby:arena", "u03") or cli("HGET", B + "lobby:arena", cli("HKEYS", B + "lobby:arena")[0])
    user = cli("HGET", B + "conn:" + old, "user")
    old_node = cli("HGET", B + "conn:" + old, "node")
    s_before = seq_now()
    r = claim("arena", user, "c-arena-new", "n2", name="Zoe")
    check(r[0] == "ok", "full lobby admits the same user again")
    check(r[3:6] == [old, old_node, "arena"], f"reply names displaced conn/node/lobby {r[3:6]}")
    check(r[1] == s_before + 1, "one seat change (one seq)")
    check(cli("HLEN", B + "lobby:arena") == 10 and len(r[2]) == 10, "still 10 members")
    check(cli("HGET", B + "lobby:arena", user) == "c-arena-new", "seat now held by the new connection")
    check(cli("EXISTS", B + "conn:" + old) == 0 and cli("SISMEMBER", B + f"nconns:{old_node}", old) == 0,
          "old connection's entries gone")
    replies_seq["arena"].append(r[1])
    rr = release(old, "replaced")
    check(rr == [0, None, None, None, "replaced"], f"release of displaced conn does nothing and says why: {rr}")
    check(cli("HGET", B + "lobby:arena", user) == "c-arena-new" and cli("GET", B + "user:" + user) == "c-arena-new",
          "newer connection untouched")
    r = claim("arena", "outsider", "c-outsider", "n1")
    check(r == ["lobby_full"], "another user still gets lobby_full")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("replace across lobbies")
    r1 = claim("red", "mia", "c-mia-1", "n1")
    r2 = claim("blue", "mia", "c-mia-2", "n3")
    check(r1[0] == "ok" and r2[0] == "ok", "both claims admitted")
    check(r2[3:6] == ["c-mia-1", "n1", "red"], f"displaced conn/node/lobby reported {r2[3:6]}")
    check(cli("EXISTS", B + "lobby:red") == 0 and cli("ZSCORE", B + "lobbies", "red") is None,
          "old seat freed; empty lobby left the index")
    check(cli("HGET", B + "lobby:blue", "mia") == "c-mia-2", "new seat in blue")
    replies_seq["red"].append(r1[1])
    replies_seq["blue"].append(r2[1])
    check(release("c-mia-1")[0] == 0 and cli("GET", B + "user:mia") == "c-mia-2",
          "late release of the old connection keeps the new one")
    # target full: refused before anything changes
    for i in range(3):
        replies_seq["tiny"].append(claim("tiny", f"t{i}", f"c-t{i}", "n1", mx=3)[1])
    s_before = seq_now()
    r = claim("tiny", "mia", "c-mia-3", "n2", mx=3)
    check(r == ["lobby_full"] and seq_now() == s_before, "full target lobby refuses; nothing changed")
    check(cli("GET", B + "user:mia") == "c-mia-2" and cli("HGET", B + "lobby:blue", "mia") == "c-mia-2",
          "old seat kept when the move is refused")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("reject policy")
    s_before = seq_now()
    r = claim("green", "mia", "c-mia-4", "n1", mode="reject")
    check(r == ["duplicate_session"], "duplicate_session while the user is connected anywhere")
    check(seq_now() == s_before and cli("GET", B + "user:mia") == "c-mia-2", "nothing changed")
    r = claim("blue", "mia", "c-mia-5", "n1", mode="reject")
    check(r == ["duplicate_session"], "also in the same lobby")
    full = [claim("full2", f"f{i}", f"c-f{i}", "n1", mx=2)[0] for i in range(2)]
    r = claim("full2", "mia", "c-mia-6", "n1", mx=2, mode="reject")
    check(r == ["duplicate_session"], "duplicate is checked before capacity (SPEC §1 order)")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("release: exactly once, never the newer connection")
    r = claim("yellow", "ida", "c-ida-1", "n2")
    rr = release("c-ida-1", "stale")
    check(rr[0] == 1 and rr[1:3] == ["yellow", "ida"] and rr[3] == r[1] + 1 and rr[4] == "stale",
          f"first release frees it: {rr}")
    replies_seq["yellow"] += [r[1], rr[3]]
    check(release("c-ida-1", "stale") == [0, None, None, None, "stale"], "second release: nothing, says so")
    check(claim("yellow", "ida", "c-ida-1", "n2")[0] == "conn_closed", "a claim arriving after its release is refused")
    rr = release("c-never", "left")
    check(rr == [0, None, None, None, "unknown"], "release of an unknown id: nothing")
    check(claim("yellow", "ida", "c-never", "n2") == ["conn_closed", "released"],
          "... and a late claim for that id is refused (no leaked seat)")
    r = claim("yellow", "ida", "c-ida-2", "n2")
    check(claim("yellow", "ida", "c-ida-2", "n2")[0] == "exists", "a retried claim is idempotent ('exists')")
    replies_seq["yellow"].append(r[1])
    res = parallel([call_args("release", "PUBLISH", "c-ida-2", "left") for _ in range(10)])
    check(sum(x[0] for x in res) == 1, "10 concurrent releases of one connection: exactly one frees it")
    replies_seq["yellow"] += [x[3] for x in res if x[0] == 1]
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
        replies_seq[f"dl{i % 5}"].append(r[1])
    check(cli("SCARD", B + "nconns:dead") == 25, "25 seats on it")
    r = claim("arena", "d0", "c-d0-x", "n1", mode="reject")
    check(r == ["duplicate_session"], "while alive, its users count as connected")
    check(call("reap", "PUBLISH", "dead", 100) == [[], 0], "reap of a live node does nothing")
    wait_past(reg[1])
    check(claim("dl0", "newbie", "c-newbie", "dead") == ["node_expired"], "claim from the expired node: node_expired")
    check(cli("EXISTS", B + "conn:c-newbie") == 0, "... and no seat written")
    stats = call("cluster_stats")
    row = [x for x in stats[2] if x[0] == "dead"][0]
    check(row[5] == 0 and row[1] == 25, "cluster_stats shows it not alive, 25 seats pending")
    # reject-policy user whose old seat is on the dead node is admitted (seat freed as node_lost)
    r = claim("arena2", "d1", "c-d1-new", "n1", mode="reject")
    check(r[0] == "ok" and r[3] is None, "reject policy: a seat on a dead node does not block the user")
    replies_seq["arena2"].append(r[1])
    check(cli("GET", B + "gone:c-d1") == "node_lost", "that old seat was freed as node_lost")
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
    for row in rows:
        replies_seq[row[0]].append(row[3])
    check(call("reap", "PUBLISH", "dead", 1000) == [[], 0], "reap again: finds nothing")
    check(cli("ZSCORE", B + "nodes", "dead") is None and cli("EXISTS", B + "nconns:dead") == 0, "node entry gone")
    rn = call("renew", "dead", 400, 100)
    check(rn[0] == "reaped", f"renew of the reaped node: 'reaped' (not re-created): {rn}")
    check(cli("ZSCORE", B + "nodes", "dead") is None, "renew did not re-create it")
    check(call("renew", "ghost", 400, 100) == ["unknown"], "renew of a never-registered node: 'unknown'")
    # re-registration and reclaim of its still-open connections
    check(register("dead", timeout=15000)[0] == "registered", "register again")
    r = claim("dl2", "d2", "c-d2", "dead", mode="reclaim")
    check(r[0] == "ok", "reclaim of a live connection after being reaped: ok")
    replies_seq["dl2"].append(r[1])
    r = claim("dl1", "d1", "c-d1", "dead", mode="reclaim")
    check(r == ["duplicate_session"], "reclaim never displaces the user's newer connection")
    r = claim("dl3", "d3", "c-d3", "dead", mode="replace")
    check(r == ["conn_closed", "node_lost"], "a normal claim cannot reuse a reaped connection id")
    check(invariants() == [], "indexes consistent")

    scenario("restore after Redis lost its data: the lobby's limit is not checked, the leave script")
    check(register("rs1", timeout=15000)[0] == "registered", "register rs1")
    for i in range(2):
        check(claim("rsl", f"rs{i}", f"c-rs{i}", "rs1", mx=2)[0] == "ok", f"seat {i} of 2")
    check(claim("rsl", "rs8", "c-rs8", "rs1", mx=2, mode="reclaim") == ["lobby_full"], "reclaim into a full lobby: lobby_full")
    r = claim("rsl", "rs9", "c-rs9", "rs1", mx=2, mode="restore")
    check(r[0] == "ok" and len(r[2]) == 3, f"restore into a full lobby: seated, 3 members over a limit of 2: {r}")
    check(claim("rsl", "rs7", "c-rs7", "rs1", mx=2) == ["lobby_full"], "a newcomer is refused while over the limit")
    check(claim("rsl", "rs0", "c-rs0b", "rs1", mx=2, mode="restore") == ["duplicate_session"], "restore never displaces")
    check(call("register", "PUBLISH", "rs2", 15000, 100, "1")[0] == "registered", "register rs2 as restoring")
    row = [r for r in call("cluster_stats")[2] if r[0] == "rs2"][0]
    check(row[6] == 1, f"cluster_stats shows rs2 restoring: {row}")
    cli("HDEL", B + "node:rs2", "restoring")
    row = [r for r in call("cluster_stats")[2] if r[0] == "rs2"][0]
    check(row[6] == 0, f"restored once the flag is cleared: {row}")
    check(call("leave", "PUBLISH", "rs2") == 0, "leave of a node with no seats")
    check(call("leave", "PUBLISH", "rs1") == 3, "leave frees the node's 3 seats")
    check(cli("ZSCORE", B + "nodes", "rs1") is None and cli("EXISTS", B + "lobby:rsl") == 0, "node and lobby gone")
    check(invariants() == [], "indexes consistent")

    scenario("late renew (no reaper came yet), then a partial reap")
    reg = register("flaky", timeout=2000)
    for i in range(4):
        replies_seq["fl"].append(claim("fl", f"fl{i}", f"c-fl{i}", "flaky")[1])
    wait_past(reg[1])
    check(claim("fl", "fl9", "c-fl9", "flaky") == ["node_expired"], "expired: claims refused")
    rn = call("renew", "flaky", 2000, 10)
    check(rn[0] == "late" and rn[1] > reg[1], f"renew before any reaping: 'late', lease extended: {rn}")
    check(cli("HLEN", B + "lobby:fl") == 4, "its 4 seats kept")
    check(claim("fl", "fl9", "c-fl9", "flaky")[0] == "ok", "claims work again")
    replies_seq["fl"].append(seq_now())
    wait_past(rn[1])
    rp = call("reap", "PUBLISH", "flaky", 2)
    check(len(rp[0]) == 2 and rp[1] == 1, "a reaper frees 2 of 5 seats, then stops (limit 2)")
    replies_seq["fl"] += [x[3] for x in rp[0]]
    check(call("renew", "flaky", 2000, 10)[0] == "expired", "now renew answers 'expired'")
    r = register("flaky", timeout=15000)
    check(r[0] == "registered" and r[3] == 3, f"register frees the other 3 as node_lost, starts afresh: {r}")
    check(cli("EXISTS", B + "lobby:fl") == 0 and cli("HEXISTS", B + "node:flaky", "reaping") == 0, "lobby emptied, mark cleared")
    check(call("renew", "flaky", 15000, 10)[0] == "ok", "renew of the live node: ok")
    check(invariants() == [], "indexes consistent")

    # ------------------------------------------------------------------
    scenario("admin reads")
    r = call("lobby_members", "arena")
    members = {row[0]: row for row in r[1]}
    check(len(members) == 10 and r[0] == int(cli("HGET", B + "lseq", "arena")), "lobby_members: 10 rows and lseq")
    z = [row for row in r[1] if row[1] == "c-arena-new"][0]
    check(z[2] == "n2" and isinstance(z[3], int) and z[4] == "Zoe" and z[5] is None,
          f"row = user, conn, node, connected_at, name, rtt_ms(null): {z}")
    check(call("set_rtt", "c-arena-new", 42, "c-gone", 7) == 1, "set_rtt updates live conns only")
    check(cli("EXISTS", B + "conn:c-gone") == 0, "set_rtt did not create a hash for a gone conn")
    u = call("user_seat", z[0])
    check(u[:3] == ["c-arena-new", "arena", "n2"] and u[4] == "Zoe" and u[5] == 42, f"user_seat: {u}")
    check(call("user_seat", "nobody") == [], "user_seat of an absent user: []")
    check(call("lobby_members", "nowhere") == [0, []], "lobby_members of an empty lobby: [0, []]")
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
    replies = [parse(l) for o in outs for l in o.splitlines() if l.strip()]
    check(len(replies) == 600 and not any(isinstance(r, dict) for r in replies), "600 replies, no errors")
    mix = Counter(r[0] if isinstance(r[0], str) else ("released" if r[0] == 1 else "release-noop")
                  for r in replies if isinstance(r, list) and r and not isinstance(r[0], list))
    print(f"    mix: {dict(mix)}")
    wait_past(r4[1])                                   # r4 expires: its seats are reaped
    rp = call("reap", "PUBLISH", "", 1000)
    check(rp[1] == 0 and cli("ZSCORE", B + "nodes", "r4") is None, f"expired r4 reaped ({len(rp[0])} seats)")
    bad = [v for v in invariants(3) if not ("over capacity" in v and not v.startswith("lobby rl"))]
    check(bad == [], f"indexes consistent, no lobby over 3 {bad}")
    users = cli("KEYS", B + "user:ru*")
    check(len(users) == len(set(users)) <= 15, "at most one seat per user")

    # ------------------------------------------------------------------
    scenario("key layout")
    keys = cli("KEYS", "*")
    check(all(k.startswith(PREFIX + ":") for k in keys), f"all {len(keys)} keys start with the prefix")
    check(len({keyslot(k) for k in keys}) == 1, f"all keys in one slot ({keyslot(keys[0])} = slot of '{{{PREFIX}}}')")
    other = "game7:{game7}:"
    call("register", "PUBLISH", "x1", 15000, 10, base=other)
    call("claim", "PUBLISH", "L", "u", "c", "x1", 10, "replace", "", base=other)
    k2 = cli("KEYS", "game7*")
    check(len(k2) >= 5 and len({keyslot(k) for k in k2}) == 1 and keyslot(k2[0]) != keyslot(keys[0]),
          "another prefix: its own single slot")
    if server_major() >= 7:
        r = call("claim", "SPUBLISH", "L2", "u2", "c2", "x1", 10, "replace", "", base=other)
        check(r[0] == "ok", "SPUBLISH mode works (Redis 7)")
    else:                                              # the service itself always uses PUBLISH
        print("  skip SPUBLISH mode: Redis 7 only (sharded pub/sub)")
    r = cli(*call_args("claim", "PUBLISH", "L", "u", "c", "x1", 10, "replace", "", base="lobbyhub:"))
    check(isinstance(r, dict) and "KEYS[1]" in r["error"], "a base without a hash tag is refused")

    # ------------------------------------------------------------------
    scenario("presence events: commit order, seq per lobby")
    time.sleep(0.3)
    sub.terminate()
    sub.wait()
    sub_out.seek(0)
    out = sub_out.read()
    events = []
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("["):
            continue
        m = json.loads(line)
        if m[0] == "pmessage":
            ev = json.loads(m[3])
            events.append(ev if m[2] == B + "ch:lobby:" + ev["lobby"] else None)
    check(None not in events, "each event on its lobby's channel")
    events = [e for e in events if e]
    seqs = [e["seq"] for e in events]
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"{len(seqs)} events arrive in seq order, no duplicates")
    check(seqs[-1] == seq_now(), f"one event per seat change (last seq {seqs[-1]} = counter {seq_now()})")
    by_lobby = defaultdict(list)
    chain_ok = True
    for e in events:
        lst = by_lobby[e["lobby"]]
        if e["prev"] != (lst[-1]["seq"] if lst and not lst_empty(lst) else 0):
            chain_ok = False
            print("    broken chain", e, lst[-1] if lst else None)
        lst.append(e)
    check(chain_ok, "per lobby: prev = the lobby's previous seq (0 after it emptied): no gaps")
    mono = all(all(a["seq"] < b["seq"] for a, b in zip(l, l[1:])) for l in by_lobby.values())
    check(mono, f"per lobby: seq strictly increasing ({len(by_lobby)} lobbies)")
    ok_rep = all(set(v) <= {e["seq"] for e in by_lobby[k]} for k, v in replies_seq.items())
    check(ok_rep, "every seq returned by claim/release/reap matches an event of that lobby")
    same = [e for e in by_lobby["arena"] if e["ev"] == "replaced"]
    check(len(same) == 1 and same[0]["old_conn"] == old and same[0]["conn"] == "c-arena-new",
          "same-lobby replace: one 'replaced' event (no left/joined)")
    nl = [e for e in events if e.get("reason") == "node_lost" and e["node"] == "dead"]
    check(len(nl) == 25 and len({e["conn"] for e in nl}) == 25, "node_lost announced once per seat of the dead node")

    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


def lst_empty(lst):
    """True when the lobby became empty after the last event (its next event has prev = 0)."""
    return lst[-1]["count"] == 0


def quote(a):
    s = str(a).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s + '"'


if __name__ == "__main__":
    sys.exit(main())
