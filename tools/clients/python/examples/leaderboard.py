#!/usr/bin/python3
"""Console leaderboard: the top 10 of one §9 board, redrawn on every board.*
update (whole values, at most one per 100 ms per board).

  leaderboard.py [--command EP] [--publish EP] [--server-key F --key F]
                 [--window all|week|month|quarter|year] [--scope org|centre:NAME|team:NAME|level:N]
                 [--once] [--seconds S]

Defaults: tools/run.sh's daemon (tcp://127.0.0.1:7601 and :7602), all/org."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ladder_client as lc  # noqa: E402

pb = lc.pb


def draw(board, tty):
    if tty:
        sys.stdout.write("\x1b[H\x1b[2J")
    print("%s — %d people" % (board.name, board.size))
    print("%4s  %-14s %-20s %6s %8s" % ("rank", "employee", "name", "level", "points"))
    for r in board.rows:
        print("%4d  %-14s %-20s %6d %8d" % (r.rank, r.employee_id, r.name[:20], r.level, r.points))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--command", default="tcp://127.0.0.1:7601")
    ap.add_argument("--publish", default="tcp://127.0.0.1:7602")
    ap.add_argument("--server-key"), ap.add_argument("--key")
    ap.add_argument("--window", default="all", choices=["all", "week", "month", "quarter", "year"])
    ap.add_argument("--scope", default="org")
    ap.add_argument("--once", action="store_true", help="print the board once and exit")
    ap.add_argument("--seconds", type=float, default=0)
    a = ap.parse_args()
    keys = {}
    if a.server_key and a.key:
        keys = {"server_key": lc.read_key(a.server_key), "secret_key": lc.read_key(a.key)}
    cli = lc.Client(a.command, principal="wallboard", roles=lc.ROLES["service"], **keys)
    kind, _, value = a.scope.partition(":")
    topic = "board.%s/%s%s" % (a.window, kind, (":" + value) if value else "")
    tty = sys.stdout.isatty() and not a.once
    sub = cli.ctx.socket(lc.zmq.SUB)
    sub.setsockopt(lc.zmq.SUBSCRIBE, topic.encode())
    if keys:
        sub.curve_serverkey, sub.curve_secretkey = keys["server_key"], keys["secret_key"]
        sub.curve_publickey = lc.zmq.curve_public(keys["secret_key"])
    sub.connect(a.publish)
    # the current value first (Clone pattern for a whole-value topic), then updates
    ok = cli.query("board", window=getattr(pb, "WINDOW_" + a.window.upper()),
                   scope=getattr(pb, "SCOPE_" + kind.upper()), scope_value=value, top=10)
    draw(ok.board, tty)
    if a.once:
        return 0
    end = time.monotonic() + a.seconds if a.seconds else None
    while not end or time.monotonic() < end:
        if sub.poll(200):
            _, body = sub.recv_multipart()
            u = pb.Update()
            u.ParseFromString(body)
            draw(u.board, tty)
    return 0


if __name__ == "__main__":
    sys.exit(main())
