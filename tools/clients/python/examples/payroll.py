#!/usr/bin/python3
"""Payroll listener: prints every level change (promotion, demotion, appeal
overturned) exactly once, in order per employee, with the salary grade — across
lost PUB messages and ladderd restarts (gap fill from the log).

  payroll.py [--command EP] [--publish EP] [--server-key F --key F] [--from-snapshot]
             [--count N] [--seconds S]

Defaults: tools/run.sh's daemon (tcp://127.0.0.1:7601 and :7602)."""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ladder_client as lc  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--command", default="tcp://127.0.0.1:7601")
    ap.add_argument("--publish", default="tcp://127.0.0.1:7602")
    ap.add_argument("--server-key"), ap.add_argument("--key")
    ap.add_argument("--count", type=int, default=0, help="stop after N changes (0: never)")
    ap.add_argument("--seconds", type=float, default=0, help="stop after S seconds (0: never)")
    a = ap.parse_args()
    keys = {}
    if a.server_key and a.key:
        keys = {"server_key": lc.read_key(a.server_key), "secret_key": lc.read_key(a.key)}
    cli = lc.Client(a.command, principal="payroll", roles=lc.ROLES["service"], **keys)
    seen = [0]

    def on_level(u, filled):
        lv = u.level
        grade = ("salary grade %d" % lv.level.salary_grade) if lv.level.salary_grade else \
            "salary grade: ask GetEmployee"  # a filled-in change carries the level number only
        print("seq %-8d %-12s level %d -> %d  %-18s %s%s" % (
            u.seq, lv.employee_id, lv.from_level, lv.level.level, lv.cause, grade,
            "  (recovered from the log)" if filled else ""), flush=True)
        seen[0] += 1

    sub = lc.Subscriber(cli, a.publish, "level.", on_level)
    sub.sync()
    print("payroll: following level changes from seq %d (%d employees held)"
          % (max(sub.held.values(), default=0), len(sub.held)), flush=True)
    end = time.monotonic() + a.seconds if a.seconds else None
    sub.run(stop=lambda: (a.count and seen[0] >= a.count) or (end and time.monotonic() > end))
    return 0


if __name__ == "__main__":
    sys.exit(main())
