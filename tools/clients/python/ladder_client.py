"""ladder_client — a Python client for ladderd (proto/PROTOCOL.md says what it does).

Client: requests over a ZeroMQ DEALER, time-ordered request ids (48-bit
milliseconds + 80 random bits, like a ULID), retries that resend the same bytes
with the same id (ladderd answers a repeated id with the original reply, so a
retried command is applied once), a timeout per attempt, and a fresh socket
after a timeout (the "lazy pirate" pattern).

Subscriber: the Clone pattern on one topic prefix — subscribe first, take the
Snapshot (values and the last seq of every topic), apply updates newer than
what it holds, detect a gap when Update.prev_seq differs from the seq it holds
for that topic, fill the gap from ReadEvents filtered by topic, and re-check
every topic against a fresh Snapshot on start, on a timer and on demand
(sync()), which also covers ladderd restarts and lost trailing updates.

Stubs: ladder_pb2 is generated at build time (`cmake --build build` writes
build/python/ladder_pb2.py). It is found on sys.path, in $LADDER_PB2_DIR, or in
build/python of the source tree this file belongs to.
"""
import os
import sys
import time

import zmq


def _load_pb2():
    try:
        import ladder_pb2  # noqa: F401
        return ladder_pb2
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.environ.get("LADDER_PB2_DIR"), os.path.join(here, "..", "..", "..", "build", "python")):
        if d and os.path.exists(os.path.join(d, "ladder_pb2.py")):
            sys.path.insert(0, d)
            import ladder_pb2
            return ladder_pb2
    raise ImportError("ladder_pb2 not found: build the project (cmake --build build) "
                      "or set LADDER_PB2_DIR to the directory holding ladder_pb2.py")


pb = _load_pb2()

ROLES = {"employee": 1, "reviewer": 2, "manager": 4, "system": 8, "auditor": 16,
         "service": 32, "chair": 64}


class LadderError(Exception):
    """A reply with an Error: code (ErrorCode name), message, field, section."""

    def __init__(self, error):
        self.code = pb.ErrorCode.Name(error.code)
        self.message, self.field, self.section = error.message, error.field, error.section
        self.command_index = error.command_index
        super().__init__("%s: %s" % (self.code, self.message))


class Timeout(Exception):
    """No reply after every attempt."""


def new_request_id():
    """16 bytes: milliseconds since the epoch (48 bits, big-endian), then 80 random bits."""
    return (int(time.time() * 1000) & (2**48 - 1)).to_bytes(6, "big") + os.urandom(10)


def read_key(path):
    """The Z85 key on the first line of a key file (ladderctl keygen writes them)."""
    with open(path) as f:
        key = f.readline().strip()
    if len(key) != 40:
        raise ValueError("%s: expected a 40-character Z85 key" % path)
    return key.encode()


def _curve(sock, server_key, secret_key):
    if server_key and secret_key:
        sock.curve_serverkey = server_key
        sock.curve_secretkey = secret_key
        sock.curve_publickey = zmq.curve_public(secret_key)


class Client:
    """Requests to ladderd. principal/roles are sent for unauthenticated loopback
    daemons; with CURVE (server_key + secret_key) the daemon takes them from the key."""

    def __init__(self, endpoint, principal="system", roles=ROLES["system"], timeout=5.0,
                 retries=3, server_key=None, secret_key=None, context=None):
        self.endpoint, self.principal, self.roles = endpoint, principal, roles
        self.timeout, self.retries = timeout, retries
        self.server_key, self.secret_key = server_key, secret_key
        self.ctx = context or zmq.Context.instance()
        self.sock = None
        self._connect()

    def _connect(self):
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        _curve(self.sock, self.server_key, self.secret_key)
        self.sock.connect(self.endpoint)

    def close(self):
        if self.sock is not None:
            self.sock.close(linger=0)
            self.sock = None

    def call(self, request, timeout=None, retries=None):
        """Sends a Request (a request id is added when it has none) and returns its
        Reply. Retries resend the same bytes; raises Timeout after the last try."""
        if not request.request_id:
            request.request_id = new_request_id()
        data = request.SerializeToString()
        timeout = self.timeout if timeout is None else timeout
        tries = 1 + (self.retries if retries is None else retries)
        for _ in range(tries):
            self.sock.send_multipart([b"", data])
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self.sock.poll(int(left * 1000) + 1):
                    break
                reply = pb.Reply()
                reply.ParseFromString(self.sock.recv_multipart()[-1])
                if reply.request_id != request.request_id:
                    continue
                if (reply.WhichOneof("outcome") == "error" and reply.error.code == pb.ERR_CONFLICT
                        and reply.error.field == "request_id"):
                    # §12: the same id is being committed right now; ask again for its outcome
                    time.sleep(0.05)
                    self.sock.send_multipart([b"", data])
                    deadline = time.monotonic() + timeout
                    continue
                return reply
            self._connect()  # the old socket may hold a stale connection
        raise Timeout("no reply from %s after %d tries of %.1f s" % (self.endpoint, tries, timeout))

    def _ok(self, request, **kw):
        reply = self.call(request, **kw)
        if reply.WhichOneof("outcome") != "ok":
            raise LadderError(reply.error)
        return reply.ok

    def request(self, principal=None, roles=None):
        """A new Request with this client's principal (or the one given)."""
        req = pb.Request(request_id=new_request_id())
        req.principal.id = self.principal if principal is None else principal
        req.principal.roles = self.roles if roles is None else roles
        return req

    def command(self, *commands, principal=None, roles=None, **kw):
        """Applies commands (pb.Command, or dicts like {"hire": {...}}) all or nothing;
        returns Ok (its seqs) or raises LadderError."""
        req = self.request(principal, roles)
        for c in commands:
            if isinstance(c, dict):
                c = pb.Command(**{k: v for k, v in c.items()})
            req.commands.append(c)
        return self._ok(req, **kw)

    def query(self, name, **fields):
        """Runs one query, e.g. query("employee", employee_id="e1"); returns Ok."""
        req = self.request()
        getattr(req.query, name).SetInParent()
        for k, v in fields.items():
            f = getattr(req.query, name)
            if isinstance(v, (list, tuple)):
                getattr(f, k).extend(v)
            else:
                setattr(f, k, v)
        return self._ok(req)

    def read_events(self, from_seq=1, max=1000, stream="", types=(), stream_prefix="",
                    topic_prefix="", topic=""):
        """One EventPage (events, next_seq: 0 at the head, head_seq)."""
        return self.query("read_events", from_seq=from_seq, max=max, stream=stream,
                          types=list(types), stream_prefix=stream_prefix,
                          topic_prefix=topic_prefix, topic=topic).events

    def events(self, from_seq=1, until_seq=0, **filters):
        """Every event from from_seq (to until_seq inclusive, 0: the head), paging."""
        seq = from_seq
        while True:
            page = self.read_events(from_seq=seq, **filters)
            for e in page.events:
                if until_seq and e.seq > until_seq:
                    return
                yield e
            if not page.next_seq or (until_seq and page.next_seq > until_seq):
                return
            seq = page.next_seq

    def snapshot(self, prefix=""):
        return self.query("snapshot", topic_prefix=prefix).snapshot

    def stats(self):
        return self.query("stats").stats


def event_topics(event):
    """The topics an event updates (the same mapping as ladderd: PROTOCOL.md)."""
    kind = event.WhichOneof("body")
    out = ["evt." + kind]
    body = getattr(event, kind)
    if kind in ("points_awarded", "points_adjusted"):
        out.append("points." + body.employee_id)
    elif (kind == "promoted" or (kind == "retention_year_closed" and not body.kept)
          or (kind == "appeal_decided" and body.overturned)):
        out.append("level." + body.employee_id)
    return out


def update_from_event(topic, event):
    """An Update rebuilt from a filled-in event (gap fill). level.* carries the
    level number only (no titles), points.* the delta only; evt.* the event."""
    u = pb.Update(topic=topic, seq=event.seq)
    kind = event.WhichOneof("body")
    body = getattr(event, kind)
    if topic.startswith("evt."):
        u.event.CopyFrom(event)
    elif topic.startswith("level."):
        u.level.employee_id = body.employee_id
        if kind == "promoted":
            u.level.from_level, u.level.level.level, u.level.cause = body.from_level, body.to_level, "promoted"
        elif kind == "retention_year_closed":
            u.level.from_level, u.level.level.level, u.level.cause = body.level, body.new_level, "demoted"
        else:
            u.level.from_level = body.restored_level - 1
            u.level.level.level, u.level.cause = body.restored_level, "appeal overturned"
    elif topic.startswith("points."):
        u.points.employee_id, u.points.delta = body.employee_id, body.amount
    return u


class Subscriber:
    """Clone-pattern subscriber to one topic prefix (evt., level., points.; board.
    and cases. carry whole values and need no gap fill).

    handler(update, filled) is called once per update, per topic in seq order:
    filled is True for updates rebuilt from the log by gap fill. held[topic] is
    the seq of the last update handled (or taken from the snapshot)."""

    def __init__(self, client, pub_endpoint, prefix, handler, resync_s=5.0, rcvhwm=None):
        self.client, self.prefix, self.handler = client, prefix, handler
        self.resync_s = resync_s
        self.held = {}
        self.values = {}
        self.gaps = 0
        self.pub_endpoint, self.rcvhwm = pub_endpoint, rcvhwm
        self.sub = None
        self._next_sync = 0.0
        self._snapshot_taken = False
        self.reconnect()

    def reconnect(self):
        """A fresh SUB socket (what was queued on the old one is dropped); the next
        poll() re-syncs with a Snapshot, filling whatever was missed meanwhile."""
        if self.sub is not None:
            self.sub.close(linger=0)
        self.sub = self.client.ctx.socket(zmq.SUB)
        self.sub.linger = 0
        if self.rcvhwm is not None:
            self.sub.rcvhwm = self.rcvhwm
        _curve(self.sub, self.client.server_key, self.client.secret_key)
        self.sub.setsockopt(zmq.SUBSCRIBE, self.prefix.encode())
        self.sub.connect(self.pub_endpoint)
        self._next_sync = 0.0

    def close(self):
        """Closes the SUB socket; poll() does nothing until reconnect()."""
        if self.sub is not None:
            self.sub.close(linger=0)
            self.sub = None

    def _fill(self, topic, upto):
        """Handles the updates of topic with held < seq < upto from the log."""
        start = self.held.get(topic, 0) + 1
        for e in self.client.events(from_seq=start, until_seq=upto - 1 if upto else 0, topic=topic):
            if e.seq > self.held.get(topic, 0):
                self._handle(update_from_event(topic, e), True)

    def _handle(self, u, filled):
        self.held[u.topic] = u.seq
        self.values[u.topic] = u
        self.handler(u, filled)

    def sync(self):
        """Takes a Snapshot and fills every topic that is behind it. The first
        call adopts the snapshot's values as the starting state."""
        snap = self.client.snapshot(self.prefix)
        if not self._snapshot_taken:
            for u in snap.updates:
                self.values[u.topic] = u
            for t in snap.last:
                self.held[t.topic] = t.seq
            self._snapshot_taken = True
        else:
            for t in snap.last:
                if t.seq > self.held.get(t.topic, 0):
                    self.gaps += 1
                    self._fill(t.topic, t.seq + 1)
        self._next_sync = time.monotonic() + self.resync_s

    def on_message(self, topic, body):
        """Applies one PUB message: skip what is held, fill a gap, then handle."""
        u = pb.Update()
        u.ParseFromString(body)
        held = self.held.get(u.topic, 0)
        if u.seq <= held:
            return  # already in the snapshot or filled
        if u.prev_seq != held and not u.topic.startswith(("board.", "cases.")):
            self.gaps += 1
            self._fill(u.topic, u.seq)
        self._handle(u, False)

    def poll(self, timeout_s=0.1):
        """Receives and applies what arrives within timeout_s; syncs when due.
        Returns how many PUB messages were read."""
        if self.sub is None:
            return 0
        if not self._snapshot_taken or time.monotonic() >= self._next_sync:
            self.sync()
        n = 0
        if self.sub.poll(int(timeout_s * 1000)):
            while True:
                try:
                    topic, body = self.sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self.on_message(topic.decode(), body)
                n += 1
        return n

    def run(self, stop=lambda: False):
        """Polls until stop() is true; a daemon that is down is retried."""
        while not stop():
            try:
                self.poll(0.2)
            except Timeout:
                time.sleep(0.5)
