#!/usr/bin/python3
"""ctest python_client: ladder_client against a real ladderd.

 - Stats gives the server's and the contract's version.
 - ReadEvents filters: by type, by stream prefix, by topic prefix; a bad type is
   ERR_INVALID naming read_events.types[0].
 - A retried command (same request id) is applied once.
 - Gap detection across a kill -9 and restart of ladderd with PUB messages lost
   (updates dropped in the subscriber, a tiny RCVHWM, and everything published
   while the subscriber is disconnected): a subscriber to `level.` only ends
   with every level change exactly once and in order, and one to `points.`
   with every points change exactly once, in order, summing to each total; the
   prev_seq chain is the same before and after the restart.

usage: test_client.py LADDERD BUILD_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

T0 = 1767542400000  # 2026-01-05 00:00 +08:00


def main():
    ladderd, build = sys.argv[1], sys.argv[2]
    os.environ["LADDER_PB2_DIR"] = os.path.join(build, "python")
    import ladder_client as lc
    pb = lc.pb
    work = tempfile.mkdtemp(prefix="ladder-pyclient-")
    cmd_ep, pub_ep = "ipc://%s/cmd" % work, "ipc://%s/pub" % work
    procs = []

    def start():
        log = open(os.path.join(work, "ladderd.log"), "a")
        p = subprocess.Popen([ladderd, "--data", os.path.join(work, "data"), "--command", cmd_ep,
                              "--publish", pub_ep, "--clock", "manual"], stderr=log)
        procs.append(p)
        return p

    try:
        proc = start()
        cli = lc.Client(cmd_ep, principal="boss", roles=lc.ROLES["manager"] | lc.ROLES["system"],
                        timeout=1.0, retries=20)
        st = cli.stats()
        assert st.server_version.startswith("0."), st.server_version
        assert st.contract_version.startswith("ladder.v1 sha256:"), st.contract_version
        print("python_client: server %s, contract %s" % (st.server_version, st.contract_version))

        level_seen, points_seen = [], []
        drop = {"n": 0}

        def lossy(sub):
            # drops every third PUB message before the subscriber sees it
            real = sub.on_message

            def on_message(topic, body):
                drop["n"] += 1
                if drop["n"] % 3 == 0:
                    return
                real(topic, body)
            sub.on_message = on_message
            return sub

        lsub = lossy(lc.Subscriber(cli, pub_ep, "level.", lambda u, f: level_seen.append((u.topic, u.seq, u.prev_seq, f, u.level.level.level)), rcvhwm=1))
        psub = lossy(lc.Subscriber(cli, pub_ep, "points.", lambda u, f: points_seen.append((u.topic, u.seq, u.points.delta, f)), rcvhwm=1))
        time.sleep(0.3)
        lsub.sync()  # the Clone snapshot first: empty here, so every change is handled
        psub.sync()

        def pump():
            lsub.poll(0.01)
            psub.poll(0.01)

        cli.command({"advance_clock": {"to_ms": T0}})
        staff = ["e%d" % i for i in range(1, 13)]
        for emp in staff + ["author"]:
            cli.command({"hire": {"employee_id": emp, "name": "Lin Mei", "team": "gamma", "centre": "south"}})
        for i in range(20):
            c = pb.Command()
            s = c.submit_case
            s.submission_id, s.case_id, s.author_id = "s%d" % i, "case%d" % i, "author"
            s.content.kind = pb.CASE_KIND_TEXT
            s.content.title = "Roaming charges"
            s.content.root.customer_says = "Why was I charged for roaming at home?"
            s.content.root.reply.text = "Your phone joined a border network."
            cli.command(c, principal="author", roles=lc.ROLES["employee"])
            for rev in ("m1", "m2", "m3"):
                cli.command({"review_case": {"submission_id": "s%d" % i, "reviewer_id": rev,
                                             "verdict": pb.VERDICT_APPROVE, "amount": 25,
                                             "level": 1, "category": "roaming"}},
                            principal=rev, roles=lc.ROLES["manager"])

        # a retried command: the same request id twice is applied once
        req = cli.request()
        req.commands.add().adjust_points.CopyFrom(pb.AdjustPoints(employee_id="e1", amount=7, reason="retry"))
        r1, r2 = cli.call(req), cli.call(req)
        assert r1.ok.seqs and list(r1.ok.seqs) == list(r2.ok.seqs), (r1, r2)
        assert cli.query("employee", employee_id="e1").employee.points_total == 7

        # §4 v2: people study the training half; the exam draws from the test half
        ranking = cli.query("case_ranking", level=1, category="roaming").case_ranking
        training = [r.case_id for r in ranking.rows if r.half == pb.HALF_TRAINING]
        assert training and len(training) < 20, ranking
        promoted = {}

        def promote(emp):
            cli.command({"adjust_points": {"employee_id": emp, "amount": 375, "reason": "backlog"}})
            pump()
            cli.command({"adjust_points": {"employee_id": emp, "amount": 375, "reason": "backlog"}})
            cli.command({"complete_task": {"employee_id": emp, "task_id": "level-0"}})
            cli.command({"record_query_test": {"employee_id": emp, "total_ms": 135500}})
            cli.command(*[{"study_case": {"employee_id": emp, "case_id": c}} for c in training],
                        principal=emp, roles=lc.ROLES["employee"])
            cli.command({"draw_exam": {"exam_id": "x-" + emp, "employee_id": emp}})
            ok = cli.command({"grade_exam": {"exam_id": "x-" + emp, "scores": [85] * 10}})
            promoted[emp] = ok.seqs[1]
            pump()

        for emp in staff[:4]:
            promote(emp)
        for _ in range(5):
            pump()

        def restart_keeps_chain(sig):
            """prev_seq of the first points.e1 update after a restart is the seq of
            the last one before it (rebuilt from the log, or the topics snapshot)."""
            nonlocal proc
            before = [e.seq for e in cli.events(topic_prefix="points.e1")
                      if "points.e1" in lc.event_topics(e)][-1]
            proc.send_signal(sig)
            proc.wait()
            proc = start()
            raw = cli.ctx.socket(lc.zmq.SUB)
            raw.setsockopt(lc.zmq.SUBSCRIBE, b"points.e1")
            raw.rcvtimeo = 5000
            raw.connect(pub_ep)
            cli.stats()
            time.sleep(0.3)
            ok = cli.command({"adjust_points": {"employee_id": "e1", "amount": 1, "reason": "chain"}})
            u = pb.Update()
            u.ParseFromString(raw.recv_multipart()[1])
            raw.close()
            assert u.seq == ok.seqs[0] and u.prev_seq == before, (sig, u.seq, u.prev_seq, before)
            print("python_client: after %s the first points.e1 update (seq %d) has prev_seq %d, "
                  "its last before the stop" % (signal.Signals(sig).name, u.seq, u.prev_seq))

        restart_keeps_chain(signal.SIGTERM)  # a clean stop writes the topics snapshot
        # the chain before the kill: the last points_adjusted seq
        last_adj = [e.seq for e in cli.events(types=["points_adjusted"])][-1]
        lsub.close()  # the level subscriber is away across the kill and restart
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = start()
        # published while the level subscriber is away: lost on PUB for it
        for emp in staff[4:8]:
            promote(emp)
        lsub.reconnect()
        first_after = next(cli.events(from_seq=last_adj + 1, types=["points_adjusted"]))
        for emp in staff[8:10]:
            promote(emp)
        restart_keeps_chain(signal.SIGKILL)  # rebuilt from the snapshot and the log after it
        for emp in staff[10:]:
            promote(emp)
        deadline = time.time() + 5
        while time.time() < deadline:
            pump()
        lsub.sync()
        psub.sync()

        # ReadEvents filters
        evs = list(cli.events(types=["promoted"]))
        assert [e.seq for e in evs] == sorted(promoted.values()), evs
        evs = list(cli.events(stream_prefix="emp/e1"))
        assert evs and all(e.stream.startswith("emp/e1") for e in evs), evs
        assert {e.stream for e in evs} >= {"emp/e1", "emp/e10"}, {e.stream for e in evs}
        evs = list(cli.events(topic_prefix="level.e1"))
        assert [e.seq for e in evs] == sorted([promoted["e1"], promoted["e10"], promoted["e11"], promoted["e12"]])
        assert [e.seq for e in cli.events(topic="level.e1")] == [promoted["e1"]]
        pts = [e for e in cli.events(topic="points.e1")]
        assert pts and all(e.WhichOneof("body") in ("points_adjusted", "points_awarded")
                           and getattr(e, e.WhichOneof("body")).employee_id == "e1" for e in pts), pts
        assert [e.seq for e in cli.events(topic="evt.promoted", stream_prefix="emp/e1")] == \
            sorted([promoted["e1"], promoted["e10"], promoted["e11"], promoted["e12"]])
        try:
            cli.read_events(types=["no_such_event"])
            raise AssertionError("a bad type was accepted")
        except lc.LadderError as e:
            assert e.code == "ERR_INVALID" and e.field == "read_events.types[0]", e

        # level.: every change exactly once, in order, with the promoted seqs
        got = sorted((t, s) for t, s, _, _, _ in level_seen)
        want = sorted(("level." + e, s) for e, s in promoted.items())
        assert got == want, (got, want)
        assert [s for _, s, _, _, _ in level_seen if True] and all(l == 1 for *_, l in level_seen)
        filled = sum(1 for x in level_seen if x[3])
        assert filled >= 4, level_seen  # at least the four promoted while it was away
        # points.: exactly once, in order per topic, summing to each total
        by_topic = {}
        for t, s, d, _ in points_seen:
            by_topic.setdefault(t, []).append((s, d))
        for emp in staff:
            seqs = [s for s, _ in by_topic["points." + emp]]
            assert seqs == sorted(set(seqs)), (emp, seqs)
            log_seqs = [e.seq for e in cli.events(topic="points." + emp)]
            assert log_seqs == [e.seq for e in cli.events(topic_prefix="points." + emp)
                                if "points." + emp in lc.event_topics(e)]
            assert seqs == log_seqs, (emp, seqs, log_seqs)
            total = cli.query("employee", employee_id=emp).employee.points_total
            assert sum(d for _, d in by_topic["points." + emp]) == total, emp
        # the prev chain crosses the restart: ask a fresh subscriber-less snapshot
        snap = cli.snapshot("evt.points_adjusted")
        assert [t.topic for t in snap.last] == ["evt.points_adjusted"], snap.last
        # the first evt.points_adjusted update after the restart pointed back before it
        sub = lc.Subscriber(cli, pub_ep, "evt.points_adjusted", lambda u, f: None)
        time.sleep(0.3)
        sub.sync()
        cli.command({"adjust_points": {"employee_id": "e1", "amount": 1, "reason": "chain"}})
        seen = []
        sub.handler = lambda u, f: seen.append((u.seq, u.prev_seq, f))
        t_end = time.time() + 5
        while not seen and time.time() < t_end:
            sub.poll(0.1)
        assert seen and seen[0][1] == snap.last[0].seq and not seen[0][2], (seen, snap.last)
        # the examples, as documented (README), against this daemon
        ex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")
        out = subprocess.run([sys.executable, os.path.join(ex, "leaderboard.py"), "--command", cmd_ep,
                              "--publish", pub_ep, "--once"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        assert out.startswith("all/org — 13 people") and "   1  e1 " in out, out
        pay = subprocess.Popen([sys.executable, os.path.join(ex, "payroll.py"), "--command", cmd_ep,
                                "--publish", pub_ep, "--count", "1", "--seconds", "30"],
                               stdout=subprocess.PIPE, text=True)
        assert pay.stdout.readline().startswith("payroll: following level changes"), "payroll"
        time.sleep(0.3)
        cli.command({"hire": {"employee_id": "e13", "name": "Zhao Lei", "team": "gamma", "centre": "south"}})
        promote("e13")
        line = pay.stdout.readline()
        assert pay.wait(timeout=30) == 0
        assert ("seq %-8d e13" % promoted["e13"]) in line and "level 0 -> 1  promoted" in line \
            and "salary grade" in line, line
        print("python_client: examples: leaderboard printed all/org; payroll printed: " + line.strip())
        print("python_client: first points_adjusted after the kill at seq %d" % first_after.seq)
        print("python_client: %d level changes exactly once (%d filled), %d points changes "
              "exactly once, gaps detected: level %d points %d, PUB messages dropped: %d"
              % (len(level_seen), filled, len(points_seen), lsub.gaps, psub.gaps, drop["n"] // 3))
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
