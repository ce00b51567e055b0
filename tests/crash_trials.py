#!/usr/bin/python3
"""Crash trials: ladderd under pipelined load from several clients is SIGKILLed
at a random moment, again and again on the same data directory.

After each kill it restarts ladderd and checks:
  * every acknowledged request is in the log with the seqs it was acknowledged
    with (its request id answers with them again, and the events at those seqs
    carry that request id);
  * no batch is partially visible: every request id found in the log has all of
    its events (each command here makes exactly one event);
  * the hash chain verifies (`ladderctl verify`);
  * the state ladderd rebuilt (snapshot + tail) is byte-equal to a fresh fold of
    the log (`stats --digest` against `verify --digest`).

usage: crash_trials.py LADDERD LADDERCTL PROTO_DIR [--trials N] [--seed S]
                       [--durability full|wal|nometasync]
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import zmq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ladderd")
    ap.add_argument("ladderctl")
    ap.add_argument("proto_dir")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--durability", default=None,
                    help="ladderd's --durability (default: ladderd's own default)")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="ladder-crash-")
    try:
        subprocess.run(["protoc", "--python_out=" + work, "-I" + args.proto_dir,
                        os.path.join(args.proto_dir, "ladder.proto")], check=True)
        sys.path.insert(0, work)
        import ladder_pb2 as pb
        return run(args, rnd, work, pb)
    finally:
        for p in DAEMONS:  # a failed check must not leave its ladderd behind
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


DAEMONS = []  # every ladderd started


def digest_of(text):
    for line in text.splitlines():
        if line.startswith("state digest: "):
            return line[len("state digest: "):].strip()
    return ""


def run(args, rnd, work, pb):
    data = os.path.join(work, "data")
    cmd_ep, pub_ep = "ipc://%s/cmd" % work, "ipc://%s/pub" % work
    ctx = zmq.Context()
    log = open(os.path.join(work, "ladderd.log"), "a")

    def start():
        extra = ["--durability", args.durability] if args.durability else []
        p = subprocess.Popen([args.ladderd, "--data", data, "--command", cmd_ep,
                              "--publish", pub_ep, "--snapshot-every", "2000"] + extra,
                             stdout=subprocess.DEVNULL, stderr=log)
        DAEMONS.append(p)
        return p

    def ctl(*a):
        return subprocess.run([args.ladderctl, "--endpoint", cmd_ep, "--timeout", "20000"] + list(a),
                              capture_output=True, text=True)

    def call(sock, req):
        sock.send_multipart([b"", req.SerializeToString()])
        r = pb.Reply()
        r.ParseFromString(sock.recv_multipart()[-1])
        return r

    def wait_ready(p):
        # a ladderd that died while starting fails at once, with its log's
        # tail (the work dir goes with the test), instead of a stats with a
        # 20 s timeout asked of it a hundred times over
        for _ in range(100):
            if p.poll() is not None:
                log.flush()
                with open(os.path.join(work, "ladderd.log")) as f:
                    sys.stderr.write("".join(f.readlines()[-30:]))
                raise SystemExit("ladderd exited with %d while starting" % p.returncode)
            if subprocess.run([args.ladderctl, "--endpoint", cmd_ep, "--timeout", "1000",
                               "stats"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit("ladderd did not come up")

    proc = start()
    wait_ready(proc)
    sent = {}        # rid -> number of commands (one event each)
    sent_bytes = {}  # rid -> the request as sent
    acked = {}       # rid -> seqs acknowledged
    lock = threading.Lock()
    total_acked = 0
    employees = []
    counts = {}      # rid -> events in the log, for the part of the log checked so far
    logged = {}      # rid -> the seqs of its events in the log
    checked = 1      # the next seq to read

    for trial in range(args.trials):
        stop = threading.Event()

        def client(k):
            s = ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(cmd_ep)
            n, inflight = 0, 0
            crnd = random.Random(args.seed * 1000 + trial * 10 + k)
            while not stop.is_set():
                while inflight < 32:
                    rid = "t%d-c%d-%d" % (trial, k, n)
                    n += 1
                    r = pb.Request(request_id=rid.encode())
                    r.principal.id, r.principal.roles = "boss", pb.ROLE_MANAGER
                    cmds = crnd.randint(1, 5)
                    for j in range(cmds):
                        c = r.commands.add()
                        if not employees or crnd.random() < 0.3:
                            c.hire.employee_id = "%s-%d" % (rid, j)
                            c.hire.name = "Crash"
                        else:
                            c.adjust_points.employee_id = crnd.choice(employees)
                            c.adjust_points.amount = crnd.randint(1, 20)
                            c.adjust_points.reason = "load"
                    raw = r.SerializeToString()
                    with lock:
                        sent[rid] = cmds
                        sent_bytes[rid] = raw
                    s.send_multipart([b"", raw], zmq.NOBLOCK)
                    inflight += 1
                if s.poll(50):
                    while True:
                        try:
                            f = s.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        inflight -= 1
                        rep = pb.Reply()
                        rep.ParseFromString(f[-1])
                        if rep.WhichOneof("outcome") == "ok":
                            with lock:
                                acked[rep.request_id.decode()] = list(rep.ok.seqs)
            s.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.15, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()

        proc = start()
        wait_ready(proc)
        check = ctx.socket(zmq.DEALER)
        check.setsockopt(zmq.LINGER, 0)
        check.setsockopt(zmq.RCVTIMEO, 20000)
        check.connect(cmd_ep)
        digest = digest_of(ctl("stats", "--digest").stdout)
        # no partial batch: count the events of every request id written since
        # the last check (at a restart nothing is in flight, so batches are whole)
        frm = checked
        while True:
            q = pb.Request()
            q.query.read_events.from_seq, q.query.read_events.max = frm, 1000
            page = call(check, q).ok.events
            for e in page.events:
                rid = e.request_id.decode()
                counts[rid] = counts.get(rid, 0) + 1
                logged.setdefault(rid, []).append(e.seq)
                if e.HasField("employee_hired") and e.employee_hired.employee_id not in employees:
                    employees.append(e.employee_hired.employee_id)
            if page.events:
                checked = page.events[-1].seq + 1
            if not page.next_seq:
                break
            frm = page.next_seq
        for rid, n in counts.items():
            if rid.startswith("t") and n != sent.get(rid, -1):
                raise SystemExit("trial %d: %s has %d of its %s events" % (trial, rid, n, sent.get(rid)))
        for rid in acked:
            if counts.get(rid, 0) != len(acked[rid]):
                raise SystemExit("trial %d: acknowledged %s missing from the log" % (trial, rid))
            if logged.get(rid) != acked[rid]:
                raise SystemExit("trial %d: acknowledged %s at %s, the log has it at %s"
                                 % (trial, rid, acked[rid], logged.get(rid)))
        # read from the log first: a repeat of a lost request would write it again
        # every request acknowledged in this trial answers with the same seqs
        # (a repeat writes nothing); the last trial checks them all
        with lock:
            items = [(r, q) for r, q in acked.items()
                     if trial == args.trials - 1 or r.startswith("t%d-" % trial)]
        for rid, seqs in items:
            # the same request again (the same commands: a request id reused
            # for other commands is refused, §12)
            r = pb.Request()
            r.ParseFromString(sent_bytes[rid])
            rep = call(check, r)
            if rep.WhichOneof("outcome") != "ok" or list(rep.ok.seqs) != seqs:
                raise SystemExit("trial %d: acknowledged %s at %s, now %s" % (trial, rid, seqs, rep))
        check.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        v = ctl("verify", "--data", data, "--digest")
        if v.returncode != 0 or ": ok" not in v.stdout:
            raise SystemExit("trial %d: verify failed: %s %s" % (trial, v.stdout, v.stderr))
        fold = digest_of(v.stdout)
        if not digest or digest != fold:
            raise SystemExit("trial %d: restarted state %s != fresh fold %s" % (trial, digest, fold))
        total_acked = len(acked)
        print("trial %d: %d requests acknowledged so far, %d in the log; chain ok; state = fold"
              % (trial, total_acked, len(counts)))
        sys.stdout.flush()
        proc = start()
        wait_ready(proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    print("crash trials: %d kills, %d acknowledged requests, 0 lost" % (args.trials, total_acked))
    return 0


if __name__ == "__main__":
    sys.exit(main())
