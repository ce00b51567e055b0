/* shell.h — what ladderd's modules share (private to ladderd; the public entry
 * is server.h). One server_t per process, allocated by ld_server_run, embeds
 * one struct per module; each module owns the libuv handles embedded in its
 * struct and finds the server again with ld_container_of.
 *
 * The data flow, one file each:
 *   router.c     ROUTER and ZAP sockets, frames in, reply frames out
 *   requests.c   decode, validate, deduplicate (§12), decide commands
 *   reads.c      queries, Stats, Snapshot (Clone), ReadEvents after the commit
 *   history.c    Explain as_of and the Stats digest, folded on the thread pool
 *   batches.c    the group-commit pipeline, a failed commit and the reload
 *   background.c the writer's idle work: index steps, zeros ahead, idle sync
 *   publisher.c  per-event updates (held until commit), the PUB socket
 *   coalesce.c   coalesced boards/cases, the boards' catch-up
 *   seen.c       which request ids may be in the store (spares §12 lookups)
 *   deadlines.c  §7 deadlines fired by the system
 *   loop.c       start-up, the clock, signals, shutdown
 * DESIGN.md, "The write path" and "The read path".
 */
#ifndef LD_SHELL_H
#define LD_SHELL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "core.h"
#include "store.h"
#include "topics.h"
#include "wire.h"

#define LD_MAX_COMMANDS 1000
#define LD_DRAIN_MAX 256    /* requests per loop turn: commits' completions wait no longer */
#define LD_HIST 24
#define LD_HISTORY_KEEP 3   /* archived snapshots kept for history.c */
#define LD_INDEX_IDLE 4096  /* unindexed events worth an index write when quiet */
#define LD_INDEX_QUIET_MS 50 /* no commit submitted for this long: quiet */
#define LD_BOARDS_EAGER 64  /* batches of at most this many requests: the boards catch up in steps */
#define LD_BOARDS_STEP_US 20 /* a loop turn's share of the boards' catch-up (coalesce.c) */
#define LD_BOARDS_SLICE 4   /* boards published per loop turn in a round */
#define LD_RESERVE_AHEAD (4u << 20) /* written zeros kept past LMDB's last page */
#define LD_RESERVE_STEP (256u << 10) /* at most this much per idle slot */
#define LD_RESERVE_EVERY_MS 10
#define LD_RESERVE_BACKOFF_MS 10000 /* after a full disk */
#define LD_SYNC_QUIET_MS 2  /* nometasync: the idle sync waits for this much quiet */
#define LD_INDEX_STEP 2048 /* index entries per step (one transaction) */
#define LD_INDEX_FORCE (1u << 19) /* unindexed events that force a step between commits */

#define ld_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* One request of a batch: where its reply goes and what it decided. */
typedef struct {
    uint8_t ident[256];
    uint8_t ident_len;
    uint8_t rid[LD_REQUEST_ID_MAX];
    uint8_t rid_len;
    uint8_t key[LD_REQUEST_KEY_MAX]; /* the id scoped by principal (store.h) */
    uint8_t key_len;
    uint8_t digest[LD_HASH_LEN];     /* §12: of the request's commands */
    bool internal;          /* a deadline command of our own: no reply */
    bool has_events;
    long dup_of;            /* index of the same request id earlier in this batch */
    size_t ev_start, ev_end;
    uint64_t first_seq;     /* its first event's seq, kept at decide time: L writes the
                             * events (stream versions, seq reset on a retry) */
    size_t reply_off, reply_len;
    bool deferred;          /* ReadEvents: answered after the commit */
    bool sent;              /* answered at once: it showed committed state only */
    uint64_t from;
    uint32_t max;
    uint32_t n_commands;    /* commands decided (counted as accepted once committed) */
    uint32_t roles;                  /* of the principal: what ReadEvents may show (§1) */
    char who[LD_PRINCIPAL_MAX + 1];
    char stream[LD_STREAM_MAX + 1];
    /* ReadEvents filters (gap fill): body field numbers, stream and topic prefixes */
    bool filtered;
    uint64_t types[8];      /* bit set of Event.body field numbers < 512; all zero: any */
    char stream_prefix[LD_STREAM_MAX + 1];
    char topic_prefix[LD_TOPIC_MAX];
    char topic[LD_TOPIC_MAX];
} pending_t;

/* A held update: topic and body in the batch blob, or (evt.*, points.*)
 * what it is made of, packed only when it is sent to a subscriber. */
typedef enum { LD_UPDATE_PACKED = 0, LD_UPDATE_EVENT, LD_UPDATE_POINTS } ld_update_kind_t;
typedef struct {
    size_t topic_off, topic_len, body_off, body_len;
    ld_update_kind_t kind;
    size_t ev;              /* EVENT, POINTS: its event's index in the batch */
    uint64_t prev_seq;
    int64_t total, since_level, in_year, delta; /* POINTS, as decided */
} update_t;

/* The request ids of a batch (open addressing on their hash). */
typedef struct {
    uint64_t *h;            /* request-id hash, 0 = empty */
    uint32_t *idx;
    size_t cap, n;
} ridmap_t;

/* A batch's place in the pipeline (batches.c). */
enum { LD_B_FREE, LD_B_CUR, LD_B_WRITING, LD_B_ACKED, LD_B_LMDB };
/* Batches: one collecting, one being written; with the WAL also those
 * acknowledged and waiting for (or in) the LMDB commit behind it. */
#define LD_BATCHES 32
#define LD_LMDB_EVERY_MS 10 /* WAL: at most one LMDB commit (L) per this many ms */

/* One group commit: requests, their events, replies and updates, all held. */
typedef struct {
    int state;              /* LD_B_* */
    uint64_t gen;           /* WAL: the order in which batches were acknowledged */
    ld_out_t *out;
    pending_t *p;
    size_t n, cap;
    update_t *u;
    size_t nu, capu;
    uint8_t *blob;
    size_t blen, bcap;
    ld_append_t *apps;
    size_t napps, capapps;
    ridmap_t rids;
    int rc;
    uint64_t t_submit;
} batch_t;

/* A board whose top changed since it was last published (§9, board.*). */
typedef struct {
    char value[LD_STREAM_MAX + 1]; /* a team or centre (§1: at most 64 bytes), a level or a category */
    uint8_t window, scope;
    uint64_t seq;
} dirty_t;

/* Prometheus-style bucket bounds of the commit latency, microseconds (/metrics). */
#define LD_COMMIT_LE_US {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, \
                         250000, 500000, 1000000, 2500000, 5000000, 10000000}
#define LD_COMMIT_BUCKETS 16
#define LD_ERROR_CODES 320 /* ErrorCode values are < 320 (the proto's bands) */

typedef struct {
    uint64_t requests, commands, queries, errors, batches, events;
    uint64_t batch_hist[LD_HIST], commit_hist[LD_HIST];
    uint64_t replayed_at_start;
    uint64_t unsent_replies, unsent_updates;
    uint64_t peers_dropped, peer_requests_discarded; /* issue 10 item 7 */
    _Atomic uint64_t peer_queue_bytes;  /* all peers; the I/O thread subtracts */
    uint64_t subscriptions_refused, subscriptions;  /* issue 10 item 8 */
    /* for ladder-web's /metrics (issue 15) */
    uint64_t commands_accepted, refused[LD_ERROR_CODES];
    uint64_t commit_le[LD_COMMIT_BUCKETS + 1], commit_sum_us;
    uint64_t snapshot_ns;   /* when the last snapshot was written (or start-up) */
    int64_t subscribers;    /* PUB peers, from the socket monitor */
} stats_t;

/* router.c: what libzmq holds for one ROUTER peer (issue 10 item 7). */
#define LD_PEER_SLOTS 4096      /* peers tracked at once (power of two) */
#define LD_PEER_PROBE 64        /* slots looked at for one routing id */
typedef struct {
    uint8_t ident[256];
    uint8_t ident_len;          /* 0: free */
    bool dropped;               /* over the bound: replies dropped, requests discarded */
    uint64_t discarded;         /* requests discarded since it was dropped */
    _Atomic uint64_t queued;    /* reply bytes not yet written out by libzmq */
} ld_peer_t;

typedef struct {
    void *zctx, *sock;
    ld_peer_t *peers;       /* LD_PEER_SLOTS; freed after the context ends */
    ld_auth_t *auth;        /* CURVE keys and principals; NULL without --keys */
    void *zap;              /* the ZAP handler (REP on inproc://zeromq.zap.01) */
    uv_poll_t poll, zap_poll;
    uv_idle_t idle;         /* resumes a drain cut at LD_DRAIN_MAX */
    bool poll_inited, zap_poll_inited, idle_inited;
    uint64_t unsent_logged_ns;
} ld_router_t;

/* batches.c */
typedef struct {
    batch_t b[LD_BATCHES];  /* without the WAL only the first two are used */
    batch_t *cur, *writing;
    bool wal;               /* --durability wal: W acknowledges, L writes LMDB behind */
    bool busy;              /* the LMDB writer is taken: a commit (without the WAL), L,
                               an index step or zeros */
    bool failed;            /* WAL: a W or L failed; no batch is submitted again */
    bool committing;        /* a group commit of batch writing is in flight (W) */
    uv_work_t work;
    uv_work_t lwork;        /* WAL: L, the LMDB commit of acknowledged batches */
    uv_timer_t ltimer;      /* ... at most one per LD_LMDB_EVERY_MS */
    bool ltimer_inited;
    uint64_t lmdb_ns;       /* ... when the last one started */
    ld_append_t *lapps;     /* ... their requests, oldest first */
    size_t nlapps, caplapps;
    int lrc;
    uint64_t gen;
    uv_check_t check;       /* submits the batch decided in a loop turn */
    bool check_inited;
    uv_timer_t index_timer; /* the stream index waits for a quiet log */
    bool index_timer_inited;
    uint64_t last_submit_ns;
    uv_work_t index_work;   /* the stream index, when the writer is idle */
    int index_rc;
    uint64_t index_t0;
    uv_work_t reserve_work; /* zeros ahead of LMDB's last page, when the writer is idle */
    int reserve_rc;
    uint64_t reserve_ns;    /* the last one started (pushed ahead after a failure) */
    uv_work_t sync_work;    /* nometasync: the meta page, when the writer is idle */
    uv_timer_t sync_timer;  /* ... for LD_SYNC_QUIET_MS */
    bool sync_timer_inited;
    bool syncing;
    int sync_rc;
    uint64_t snap_seq;
    uint64_t committed_seq; /* last seq whose commit has returned to the loop */
    uint64_t lmdb_seq;      /* last seq LMDB holds (= committed_seq without the WAL) */
} ld_batches_t;

/* publisher.c */
typedef struct {
    void *sock;
    void *monitor;          /* PAIR on the PUB socket's monitor: counts subscribers */
    uv_poll_t monitor_poll;
    uv_timer_t timer;       /* publishes dirty boards, at most every 100 ms */
    uint64_t next_ms;       /* the next round's delay: 100 ms, or 20x the last round's cost */
    uint64_t avg_batch;     /* requests per batch x 16, a moving average (catch-up) */
    uv_idle_t step;         /* the boards catch up, a step a loop turn */
    bool step_inited;
    bool timer_inited;
    dirty_t *dirty;         /* changed since the round being published began */
    size_t ndirty, capdirty;
    dirty_t *round;         /* the round being published, LD_BOARDS_SLICE a turn */
    size_t nround, capround, round_at;
    uint64_t round_ns;      /* what its slices took so far */
    uint64_t unsent_logged_ns;
    ld_topics_t *topics;    /* last seq per evt/level/points topic, as decided (prev_seq) */
    ld_topics_t *shown;     /* last publication per board/cases topic in this process */
    ld_cutdesc_t evcut;     /* Event's descriptor cut per body member (evt.* bodies) */
    uint8_t *pack;          /* scratch for an update packed as it is sent */
    size_t cappack;
} ld_publisher_t;

/* subs.c: PUB subscriptions per origin (issue 10 item 8) */
#define LD_SUBS_TOTAL 100000    /* distinct (origin, topic) subscriptions applied at once */
typedef struct {
    uint64_t k1, k2, v1, v2;    /* k1 0: empty, 1: deleted */
} ld_subslot_t;
typedef struct {
    ld_subslot_t *s;
    size_t cap, n, dead;
} ld_submap_t;
typedef struct {
    ld_submap_t pairs, origins, topics;
    bool curve;                 /* origins include the CURVE User-Id */
    uv_poll_t poll;             /* the XPUB's ZMQ_FD */
    uv_timer_t timer;           /* drains edges consumed by publishing */
    bool poll_inited, timer_inited;
    uint64_t refused_logged_ns;
} ld_subs_t;

/* history.c */
typedef struct {
    size_t jobs;            /* folds on the thread pool, and those waiting for LMDB */
    struct job *waiting, *waiting_last; /* WAL: reads of events LMDB does not have yet */
    bool snapshotting;      /* a periodic snapshot job is running */
} ld_history_t;

/* seen.c: a Bloom filter of the request keys written (§12 lookups) */
typedef struct {
    uint64_t *bits;         /* NULL until built */
    uint64_t mask, n, cap;  /* bits - 1; keys in it; keys it is sized for */
    uint64_t *live;         /* hashes of keys submitted while a build runs */
    size_t nlive, caplive;
    bool building, ready, failed;
    uv_work_t work;
    uint64_t *jbits, jmask, jn, jcap; /* the build job's result */
    int jrc;
    uint8_t hkey[16];       /* crypto_shorthash_KEYBYTES */
} ld_seen_t;

/* deadlines.c */
typedef struct {
    uv_timer_t timer;
    bool timer_inited;
} ld_deadlines_t;

typedef struct {
    ld_config_t cfg;
    uv_loop_t *loop;
    ld_store_t *store;
    ld_core_t *core;
    ld_out_t *qout;         /* scratch for query answers */
    ld_router_t router;
    ld_batches_t batches;
    ld_publisher_t publisher;
    ld_deadlines_t deadlines;
    ld_history_t history;
    ld_seen_t seen;
    ld_subs_t subs;
    uv_signal_t sigint, sigterm;
    bool stopping;
    bool deadlines_due;     /* a decision since deadlines were last fired (batches.c) */
    bool clock_moved;       /* AdvanceClock in the request being decided */
    int signals;
    int exit_code;          /* set by ld_server_fail */
    bool signals_inited;
    int64_t manual_now, last_now;
    uint64_t started_ns;
    stats_t st;
} server_t;

static inline uint64_t ld_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void ld_hist_add(uint64_t *h, uint64_t v)
{
    int b = 0;
    while (v > 1 && b < LD_HIST - 1) {
        v >>= 1;
        b++;
    }
    h[b]++;
}

/* loop.c */
/* Returns the decision time in ms: never before what is already recorded. */
int64_t ld_server_now(server_t *s);
/* Stops the loop for good after error rc (logged by the caller); ld_server_run
 * then returns exit_code. */
void ld_server_fail(server_t *s, int exit_code, int rc);

/* router.c */
/* Creates the ZeroMQ context, the ZAP handler (with --keys) and the ROUTER;
 * starts polling it. Returns 0 or a negative code (logged). */
int ld_router_open(server_t *s);
/* Returns a bound socket of type on ep with the shell's options, or NULL (logged). */
void *ld_router_socket(server_t *s, int type, const char *ep);
/* Reads and handles requests while the ROUTER is readable (bounded per call). */
void ld_router_drain(server_t *s);
/* Sends p's held reply (or its duplicate's) to its client; nothing for internal
 * ones. Returns 0, or LD_EIO when ZeroMQ would not take it (counted in Stats
 * as unsent_replies and logged). */
int ld_router_reply(server_t *s, const batch_t *b, const pending_t *p);
/* Sends reply bytes to the client ident. Returns 0, or LD_EIO (counted, logged). */
int ld_router_send(server_t *s, const uint8_t *ident, size_t ident_len, const void *reply,
                   size_t len);
/* Stops reading requests (shutdown). */
void ld_router_stop(server_t *s);
/* Closes the router's libuv handles (the loop runs their close callbacks). */
void ld_router_close(server_t *s);
/* Closes the sockets, the keys and the context; idempotent. Publisher socket first. */
void ld_router_destroy(server_t *s);

/* requests.c */
/* Handles one request frame: decode, deduplicate, decide or answer; the reply is held. */
void ld_requests_handle(server_t *s, const uint8_t *ident, size_t ident_len,
                        const uint8_t *data, size_t len, const char *user);
/* Answers a message whose frames are not [identity][empty][request]. */
void ld_requests_bad_frames(server_t *s, const uint8_t *ident, size_t ident_len, int nframes);
/* Decides the commands of req into the current batch, all or nothing; p gets the reply. */
void ld_requests_commands(server_t *s, pending_t *p, Ladder__V1__Request *req);
/* §12: BLAKE2b-256 of req's commands, each packed after its length. */
void ld_requests_digest(const Ladder__V1__Request *req, uint8_t out[LD_HASH_LEN]);
/* Adds a request to batch b for the client ident; the reply is set later. */
pending_t *ld_requests_new(batch_t *b, const uint8_t *ident, size_t ident_len);
/* Sets p's reply to r, packed into b's blob. */
void ld_requests_set_reply(batch_t *b, pending_t *p, const Ladder__V1__Reply *r);
/* Sends p's reply now if it shows only committed state (no decision of this
 * loop is waiting for its commit); otherwise it stays held with its batch. */
void ld_requests_release(server_t *s, batch_t *b, pending_t *p);
/* Sets p's reply to an error with code, § and field; counts it. */
void ld_requests_error(server_t *s, batch_t *b, pending_t *p, int code, const char *section,
                       const char *field, uint32_t index, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* reads.c */
/* Packs the ReadEvents reply of p (its page and filters) from the committed
 * log into *out (caller frees). Reads the store only: any thread. */
void ld_reads_events(ld_store_t *st, const pending_t *p, uint8_t **out, size_t *len);
/* Answers query q into p (ReadEvents is deferred until the batch commits). */
void ld_reads_query(server_t *s, pending_t *p, Ladder__V1__Query *q);

/* history.c */
/* Answers Explain with as_of (§11) for p from the log, on the thread pool. */
void ld_history_explain(server_t *s, pending_t *p, const Ladder__V1__Query *q);
/* Answers ReadEvents for p (from, max, stream) from the committed log, on
 * the thread pool; p is answered by the job, not with its batch. */
void ld_history_read_events(server_t *s, pending_t *p);
/* Answers Stats for p with view (its counters now) and the digest of the
 * committed state, folded on the thread pool. */
void ld_history_digest(server_t *s, pending_t *p, const Ladder__V1__StatsView *v,
                       const uint64_t *bh, const uint64_t *ch);
/* Writes the periodic snapshot at seq (committed) from a fold on the thread
 * pool; the loop and commits do not wait for it. At most one at a time. */
void ld_history_snapshot(server_t *s, uint64_t seq);
/* Stores c (the state at seq) as "core" and as an archived copy, keeping the
 * last LD_HISTORY_KEEP copies; *len is its size. Returns 0 or a negative code. */
int ld_history_write_snapshot(ld_store_t *st, const ld_core_t *c, uint64_t seq, size_t *len);
/* LMDB has caught up to s->batches.lmdb_seq: starts the reads that waited. */
void ld_history_lmdb(server_t *s);
/* Writes the archive name of a snapshot at seq whose last event is at ms. */
int ld_history_name(char *buf, size_t len, uint64_t seq, int64_t ms);

/* batches.c */
/* Sets up the two batches and the per-turn submit; returns 0 or a negative code. */
int ld_batches_open(server_t *s);
/* Sends the current batch to the writer unless one is in flight or it is empty. */
void ld_batches_submit(server_t *s);
/* Writes a snapshot of the live state on the loop now, when it equals the log
 * and (without force) snapshot_every events are past the last: the clean stop.
 * The periodic ones are written off the loop (ld_history_snapshot). */
void ld_batches_snapshot(server_t *s, bool force);
/* The writer is free: submits the waiting batch (after one index step when
 * the unindexed tail is at its bound, unless after_index), else starts the
 * background work; then the idle sync, deadlines and a drain. */
void ld_batches_idle(server_t *s, bool after_index);
/* Closes the batches' handles. */
void ld_batches_close(server_t *s);
/* With the WAL, the newest batch acknowledged but not yet published (in
 * the log, not yet in LMDB); NULL when none, always without the WAL. */
batch_t *ld_batches_unpublished(server_t *s);
/* Nothing decided, in flight or waiting for LMDB: the loop may stop. */
bool ld_batches_quiet(server_t *s);
/* Frees the batches; idempotent. */
void ld_batches_destroy(server_t *s);
/* Grows *p to hold need items of size; aborts on allocation failure. */
void *ld_grow(void *p, size_t *cap, size_t need, size_t size);
/* Copies data into b's blob; returns its offset. */
size_t ld_batch_put(batch_t *b, const void *data, size_t len);
/* Packs m into b's blob; returns its offset, *len its size. */
size_t ld_batch_pack(batch_t *b, const ProtobufCMessage *m, size_t *len);

/* background.c */
/* Sets up the index and sync timers; returns 0 or a negative code. */
int ld_background_open(server_t *s);
/* One step of the stream index on the writer, if it is free and enough waits. */
void ld_background_index(server_t *s);
/* Arms the index step for when the log has been quiet for LD_INDEX_QUIET_MS. */
void ld_background_arm_index(server_t *s);
/* Writes zeros ahead of LMDB's last page on the free writer (at most every
 * LD_RESERVE_EVERY_MS); returns whether it started. */
bool ld_background_reserve(server_t *s);
/* nometasync: (re)arms the idle sync of the last meta page. */
void ld_background_sync(server_t *s);
/* Closes the timers. */
void ld_background_close(server_t *s);

/* publisher.c */
/* Binds the PUB socket and sets up the board timer; returns 0 or a negative code. */
int ld_publisher_open(server_t *s);
/* Builds and holds the updates of events [from, to) of batch b. */
void ld_publisher_hold(server_t *s, batch_t *b, size_t from, size_t to);
/* Publishes committed batch b's updates and marks its boards and cases dirty. */
void ld_publisher_committed(server_t *s, batch_t *b);
/* Rebuilds the per-topic last seqs from the store (after a failed commit); 0 or a code. */
int ld_publisher_reload(server_t *s);
/* Publishes one update now (PUB drops at a subscriber's high-water mark by
 * design; what ZeroMQ refuses outright is counted in Stats and logged). */
void ld_publisher_send(server_t *s, const void *topic, size_t tlen, const void *body, size_t blen);
/* Holds update u on topic in batch b, published once b has committed. */
void ld_publisher_add(batch_t *b, const char *topic, const Ladder__V1__Update *u);

/* coalesce.c */
/* Sets up the boards' timers; returns 0 or a negative code. */
int ld_coalesce_open(server_t *s);
/* Marks the 20 boards employee emp stands on as changed at seq. */
void ld_coalesce_employee(server_t *s, const char *emp, uint64_t seq);
/* Marks the 5 boards of one level (a level left: the employee is off them now). */
void ld_coalesce_level(server_t *s, uint32_t level, uint64_t seq);
/* Marks the case partition of case_id as changed at seq. */
void ld_coalesce_case(server_t *s, const char *case_id, uint64_t seq);
/* Closes the boards' timers. */
void ld_coalesce_close(server_t *s);
/* After a batch was submitted or answered (batch: its requests, averaged):
 * the boards catch up, a bounded step per loop turn, while anyone is noted,
 * unless batches are large (a saturated loop: then only the rounds do). */
void ld_coalesce_kick(server_t *s, size_t batch);
/* Closes the publisher's handles. */
void ld_publisher_close(server_t *s);
/* Closes the PUB socket and frees the dirty list; idempotent. */
void ld_publisher_destroy(server_t *s);

/* subs.c */
/* Polls the publishing XPUB for (un)subscriptions; returns 0 or a negative code. */
int ld_subs_open(server_t *s);
/* Applies or refuses every (un)subscription waiting on the XPUB. */
void ld_subs_drain(server_t *s);
/* Forgets every subscription counted (the last subscriber left); frees the maps. */
void ld_subs_reset(server_t *s);
/* Closes the subscriptions' handles. */
void ld_subs_close(server_t *s);

/* seen.c */
/* Starts building the filter from the store (before any request is decided). */
int ld_seen_open(server_t *s);
/* Notes a key submitted for writing. */
void ld_seen_add(server_t *s, const uint8_t *key, size_t len);
/* The key's hash for ld_seen_maybe_hash; starts fetching its bits. */
uint64_t ld_seen_hash(server_t *s, const uint8_t *key, size_t len);
/* False only when the key of hash h was certainly never written (no lookup needed). */
bool ld_seen_maybe_hash(server_t *s, uint64_t h);
/* The writer is idle: rebuilds a full or failed filter (no commit in flight). */
void ld_seen_idle(server_t *s);
/* Frees the filter; idempotent. */
void ld_seen_destroy(server_t *s);

/* deadlines.c */
/* Sets up the deadline timer; returns 0 or a negative code. */
int ld_deadlines_open(server_t *s);
/* §7: decides every retention year and appeal window due now into the current batch. */
void ld_deadlines_fire(server_t *s);
/* Arms the timer for the next deadline (system clock only). */
void ld_deadlines_arm(server_t *s);
/* Stops the timer (shutdown). */
void ld_deadlines_stop(server_t *s);
/* Closes the timer handle. */
void ld_deadlines_close(server_t *s);

#endif
