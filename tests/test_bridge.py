#!/usr/bin/python3
"""ctest test_bridge: ladder-bridge against its own nats-server(s).

Each case starts ladderd (ipc endpoints in a temp dir), nats-server -js on free
loopback ports with temp store dirs (stopped by PID), a load of commands from
the Python client, and the bridge; then reads the stream back with nats_check
and compares it with ladderd's log: the exact list of messages (subject, event
seq, part) every event must give, in order, each once.

 1. kill -9 of the bridge at random points under load, restarted each time.
 2. a three-node JetStream cluster with an R3 stream; one node is killed with
    kill -9 mid-run.
 3. a durable pull consumer acks 40 events, stops, and a new process with the
    same durable continues at the next event.

usage: test_bridge.py LADDERD BRIDGE NATS_CHECK BUILD_DIR [--kills N] [--seed S]
"""
import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "clients", "python"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Rig:
    def __init__(self, a, work):
        self.a, self.work, self.procs = a, work, []

    def spawn(self, args, name):
        log = open(os.path.join(self.work, name + ".log"), "a")
        p = subprocess.Popen(args, stdout=log, stderr=log)
        self.procs.append(p)
        return p

    def nats(self, name, cluster=None):
        port = free_port()
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        args = ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", d, "-n", name]
        if cluster:
            cport, routes = cluster
            args += ["--cluster_name", "ladder", "--cluster", "nats://127.0.0.1:%d" % cport,
                     "--routes", ",".join("nats://127.0.0.1:%d" % r for r in routes)]
        p = self.spawn(args, name)
        return p, "nats://127.0.0.1:%d" % port

    def tail(self, name, n=15):
        try:
            with open(os.path.join(self.work, name + ".log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def wait_port(url, timeout=10):
    host, port = url.rsplit("/", 1)[1].split(":")
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection((host, int(port)), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nats-server on %s did not start" % url)


def dump(a, urls, stream="LADDER", mode="dump"):
    r = subprocess.run([a.nats_check, mode, urls, stream], capture_output=True, text=True, timeout=120)
    if r.returncode:
        raise AssertionError("nats_check dump: " + r.stderr)
    return [tuple(l.split()[1:]) for l in r.stdout.splitlines()]


def expected(lc, cli):
    """(subject, seq, part, msg-id) for every message the log must give, in order."""
    out = []
    for e in cli.events():
        topics = lc.event_topics(e)
        for i, t in enumerate(topics):
            suffix = "" if i == 0 else "." + t.split(".")[0]
            out.append(("ladder." + t, str(e.seq), "%d/%d" % (i + 1, len(topics)), "%d%s" % (e.seq, suffix)))
    return out


class Load(threading.Thread):
    """Commands from one client: hires, then points to random employees."""

    def __init__(self, lc, ep, seed):
        super().__init__(daemon=True)
        self.cli = lc.Client(ep, principal="boss", roles=lc.ROLES["manager"] | lc.ROLES["system"],
                             timeout=2.0, retries=10)
        self.rnd, self.stop, self.n = random.Random(seed), False, 0
        self.tag = "L%d" % seed

    def run(self):
        emps = []
        while not self.stop:
            if not emps or self.rnd.random() < 0.1:
                e = "%s-%d" % (self.tag, len(emps))
                self.cli.command({"hire": {"employee_id": e, "name": "Load", "team": "t", "centre": "c"}})
                emps.append(e)
            else:
                cmds = [{"adjust_points": {"employee_id": self.rnd.choice(emps), "amount": self.rnd.randint(1, 9),
                                           "reason": "load"}} for _ in range(self.rnd.randint(1, 4))]
                self.cli.command(*cmds)
            self.n += 1


def catch_up(a, lc, cli, urls, bridge_args, rig, want=None, timeout=60):
    """Waits until the stream's last message is the log's last, then reads it all."""
    want = want or expected(lc, cli)
    end = time.time() + timeout
    while time.time() < end:
        try:
            last = dump(a, urls, mode="last")
        except AssertionError:  # the stream is not there yet, or a node is electing
            last = []
        if last and last[-1] == want[-1]:
            break
        time.sleep(0.3)
    return want, dump(a, urls)


def start_ladderd(rig, a):
    cmd, pub = "ipc://%s/cmd" % rig.work, "ipc://%s/pub" % rig.work
    rig.spawn([a.ladderd, "--data", os.path.join(rig.work, "data"), "--command", cmd, "--publish", pub], "ladderd")
    return cmd, pub


def case_kills(a, lc):
    work = tempfile.mkdtemp(prefix="ladder-bridge-kill-")
    rig = Rig(a, work)
    try:
        cmd, pub = start_ladderd(rig, a)
        _, url = rig.nats("n1")
        wait_port(url)
        cli = lc.Client(cmd, timeout=2.0, retries=10)
        cli.stats()
        loads = [Load(lc, cmd, a.seed + i) for i in range(2)]
        for l in loads:
            l.start()
        rnd = random.Random(a.seed)
        bargs = [a.bridge, "--command", cmd, "--publish", pub, "--nats", url, "--page", "50"]
        for k in range(a.kills):
            time.sleep(rnd.uniform(0.1, 0.6))  # a backlog builds while the bridge is down
            b = rig.spawn(bargs, "bridge")
            time.sleep(rnd.uniform(0.02, 0.5))  # killed while catching up, or idle
            b.send_signal(signal.SIGKILL)
            b.wait()
        for l in loads:
            l.stop = True
        for l in loads:
            l.join()
        b = rig.spawn(bargs, "bridge")
        want, got = catch_up(a, lc, cli, url, bargs, rig)
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=10) == 0
        assert got == want, first_diff(got, want) + "\nbridge log:\n" + rig.tail("bridge")
        events = len({w[1] for w in want})
        resumes = [l for l in open(os.path.join(work, "bridge.log")) if 'msg="resuming"' in l]
        mid = sum(1 for l in resumes if "parts_done=0" not in l)
        print("test_bridge: %d kill -9 of the bridge under load: %d events -> %d messages, "
              "each once, in order, no gap (%d resumes, %d in the middle of an event's messages)"
              % (a.kills, events, len(got), len(resumes), mid))
    finally:
        rig.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def first_diff(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "message %d: got %s, want %s (got %d, want %d)" % (i + 1, g, w, len(got), len(want))
    return "got %d messages, want %d" % (len(got), len(want))


def case_cluster(a, lc):
    work = tempfile.mkdtemp(prefix="ladder-bridge-cluster-")
    rig = Rig(a, work)
    try:
        cmd, pub = start_ladderd(rig, a)
        cports = [free_port() for _ in range(3)]
        nodes = []
        for i in range(3):
            p, url = rig.nats("c%d" % (i + 1), (cports[i], [c for c in cports if c != cports[i]]))
            nodes.append((p, url))
        for _, url in nodes:
            wait_port(url)
        urls = ",".join(u for _, u in nodes)
        cli = lc.Client(cmd, timeout=2.0, retries=10)
        cli.stats()
        load = Load(lc, cmd, a.seed + 100)
        load.start()
        bargs = [a.bridge, "--command", cmd, "--publish", pub, "--nats", urls, "--replicas", "3", "--page", "100"]
        b = rig.spawn(bargs, "bridge")
        # wait until the R3 stream holds something, then kill one node mid-run
        end = time.time() + 60
        while time.time() < end:
            try:
                if len(dump(a, urls)) > 50:
                    break
            except AssertionError:
                pass
            time.sleep(0.5)
        victim = random.Random(a.seed).randrange(3)
        nodes[victim][0].send_signal(signal.SIGKILL)
        nodes[victim][0].wait()
        time.sleep(3)
        load.stop = True
        load.join()
        alive = ",".join(u for i, (_, u) in enumerate(nodes) if i != victim)
        want, got = catch_up(a, lc, cli, alive, bargs, rig, timeout=90)
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=10) == 0
        assert got == want, first_diff(got, want) + "\nbridge log:\n" + rig.tail("bridge")
        print("test_bridge: three-node cluster, R3 stream, node c%d killed mid-run: %d events -> "
              "%d messages, each once, in order" % (victim + 1, len({w[1] for w in want}), len(got)))
    finally:
        rig.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def case_durable(a, lc):
    work = tempfile.mkdtemp(prefix="ladder-bridge-durable-")
    rig = Rig(a, work)
    try:
        cmd, pub = start_ladderd(rig, a)
        _, url = rig.nats("d1")
        wait_port(url)
        cli = lc.Client(cmd, principal="boss", roles=lc.ROLES["manager"] | lc.ROLES["system"])
        for i in range(30):
            cli.command({"hire": {"employee_id": "d%d" % i, "name": "D", "team": "t", "centre": "c"}},
                        {"adjust_points": {"employee_id": "d%d" % i, "amount": 5, "reason": "x"}})
        b = rig.spawn([a.bridge, "--command", cmd, "--publish", pub, "--nats", url], "bridge")
        want, got = catch_up(a, lc, cli, url, None, rig)
        assert got == want, first_diff(got, want)

        def consume(n):
            r = subprocess.run([a.nats_check, "consume", url, "LADDER", "payroll", str(n)],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            return [int(x) for x in r.stdout.split()]

        first = consume(40)
        second = consume(20)
        assert first == list(range(1, 41)), first
        assert second == list(range(41, 61)), second
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=10) == 0
        print("test_bridge: durable consumer acked events 1-40, a new process continued at 41-60")
    finally:
        rig.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ladderd"), ap.add_argument("bridge"), ap.add_argument("nats_check"), ap.add_argument("build")
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    os.environ["LADDER_PB2_DIR"] = os.path.join(a.build, "python")
    import ladder_client as lc
    print("test_bridge: seed %d" % a.seed)
    for name, fn in (("kills", case_kills), ("durable", case_durable), ("cluster", case_cluster)):
        if not a.only or a.only == name:
            fn(a, lc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
