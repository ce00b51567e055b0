/* store.h — the LMDB event store: an append-only, hash-chained log of Events.
 *
 * Design: daemon/DESIGN.md, "The store". One LMDB environment in the data
 * directory, opened with MDB_NOTLS so read transactions may move between threads.
 *
 * On-disk layout (format version 4). All integers are big-endian so that
 * LMDB's default memcmp order is numeric order.
 *
 * | database  | key                                    | value                                  |
 * |-----------|----------------------------------------|----------------------------------------|
 * | events    | u64 seq (8 bytes), gapless from 1      | serialized ladder.v1.Event, as given   |
 * | streams   | stream name, 0x00, u64 first version   | u64 seq of each version from the first |
 * |           | of a chunk (1-based)                   | on: 1..LD_INDEX_CHUNK of them          |
 * | request_ids | request key (ld_store_request_key)   | u64 first seq, u32 count, 32-byte digest|
 * | meta      | "format"                               | u32 format version (= 4)               |
 * |           | "head"                                 | u64 head seq, 32-byte head hash        |
 * |           | "indexed"                              | u64: `streams` covers seqs <= this     |
 * | snapshots | name (UTF-8)                           | u64 seq, then the snapshot bytes       |
 *
 * Request keys (format 4): request ids are scoped per principal. A client's
 * key is the id, the principal, u8 principal length, 0x01; the daemon's own
 * (deadline) key is the id, 0x00. No client request can produce a key that
 * ends with 0x00, so no client can take a deadline's id. The id comes first
 * so that time-ordered ids (README) land on the index's last pages. Formats 2
 * and 3 kept them in `requests` as 0x01, u8 principal length, the principal,
 * the id (0x00, the id for the daemon's); a writer's open moves them to
 * `request_ids`, 65536 a transaction (a crash in between leaves format 3 and
 * every key in one of the two tables; the next writer goes on), the last
 * transaction dropping `requests` and writing format 4. A read-only open of
 * a format 2/3 store reads them where they are. The digest is
 * BLAKE2b-256 of the request's commands: a repeat with the same digest gets
 * the first outcome, a repeat with another digest is refused (LD_EREUSED).
 * Format 1 (global ids, no digest) is refused at open with a sentence saying so.
 *
 * Stream index (format 3): a stream's seqs in order, LD_INDEX_CHUNK to a
 * chunk, one LMDB value per chunk keyed by the chunk's first version; chunks
 * start at versions 1, 1 + LD_INDEX_CHUNK, 1 + 2 * LD_INDEX_CHUNK, ..., so the
 * chunk of any version is found by one exact lookup. Only a stream's last
 * chunk is ever rewritten (extended until full); earlier ones are written once. Format 2 kept one entry per (stream, version), which put
 * every event's entry on a random page. A writer opening a format 2 store
 * migrates it in one transaction (the old index is dropped, meta "indexed"
 * goes to 0 and the format to 3) and then rebuilds the index from the log,
 * 65536 events a transaction; a crash in between leaves a valid format 3
 * store whose unindexed tail the next open rebuilds. A read-only open of a
 * format 2 store reads it without its index (stream reads scan the log).
 *
 * Open checks (refused with a sentence naming the fault): a data.mdb of 0
 * bytes (only a directory without data.mdb starts a new store), a file
 * shorter than LMDB's last page, meta "head" beyond the last stored event,
 * and the hash chain of the tail: the events from the last snapshot's seq to
 * the head, ending in meta's head hash (the whole chain with verify_all).
 * Writers hold an exclusive flock on DIR/lock (holding the writer's PID) from
 * before anything is read until close; a second writer is refused with
 * "data directory DIR is in use by PID N". Read-only opens (offline tools)
 * take no lock, never create a file and refuse a missing or empty store.
 *
 * Hash chain: Event.prev_hash of seq n is BLAKE2b-256 (libsodium
 * crypto_generichash, 32 bytes, no key) of the stored bytes of seq n-1; seq 1
 * carries 32 zero bytes. meta "head" holds the hash of the last event's bytes,
 * so a change to the last event is detectable too.
 *
 * The stream index is written behind the log: each commit writes only
 * `events`, `request_ids` and `meta`; every index_every events (and at close, or
 * in ld_store_index_step's bounded steps) one transaction extends the chunks
 * of the streams of the events after "indexed", one stream after another.
 * Index pages are thus written once per index write rather than once per
 * commit. Until then the writer knows the versions of those streams
 * in memory (rebuilt at open from the events after "indexed"), and readers
 * of a stream scan that tail of the log after the index.
 *
 * Threads: one writer at a time (append, index_flush); wal_write on one
 * other thread beside it (it touches only DIR/wal and reads the head); snapshot_put and
 * snapshot_del may run beside it on another thread (LMDB takes their
 * transactions one at a time and they touch nothing else); any number of readers (scan, scan_stream, stream_version, request_get,
 * snapshot_get, head), which may run while the writer commits: each reads in
 * its own read transaction, and head reads under a lock the writer takes to
 * publish a commit. Map growth (on MDB_MAP_FULL) waits for readers to finish.
 */
#ifndef LD_STORE_H
#define LD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder.pb-c.h"
#include "ld_error.h"

#define LD_STORE_FORMAT 4u
#define LD_INDEX_CHUNK 64 /* seqs per stream-index value (layout above) */
#define LD_HASH_LEN 32
#define LD_REQUEST_ID_MAX 64
#define LD_PRINCIPAL_MAX 64
#define LD_REQUEST_KEY_MAX (2 + LD_PRINCIPAL_MAX + LD_REQUEST_ID_MAX)
#define LD_STREAM_MAX 200
/* Expected stream version meaning "any". */
#define LD_VERSION_ANY UINT64_MAX

typedef struct ld_store ld_store_t;

typedef enum {
    LD_DURABILITY_FULL = 0,   /* fsync data and meta before commit returns (default) */
    LD_DURABILITY_NOMETASYNC, /* one fsync per commit (the data); the meta page is
                                 flushed by the next commit or ld_store_sync. Safe
                                 against kill -9; an OS crash or power loss before
                                 that flush rolls back the last commit(s) whole */
    LD_DURABILITY_NOSYNC,     /* no fsync: tests and benchmarks only */
} ld_durability_t;

typedef struct {
    ld_durability_t durability;
    size_t map_size; /* initial map size in bytes; 0 = 64 MiB. Grows on demand. */
    uint64_t index_every; /* events between stream-index flushes inside a commit;
                             0 = 65536, UINT64_MAX = never (the caller steps it) */
    bool read_only;       /* MDB_RDONLY, no lock, no file created; refuses a missing store */
    bool verify_all;      /* writers: verify the whole chain at open, not only the tail */
    bool wal;             /* writers: open the write-ahead log for ld_store_wal_write
                             (needs LD_DURABILITY_FULL) */
    const char *wal_from; /* writers: recover from this directory's write-ahead log
                             instead of DIR's own (ladderctl backup: the source's
                             log onto a copy of its LMDB; the same store, same key) */
} ld_store_options_t;

/* One request's events inside a group commit. The store fills in seq,
 * stream_version and prev_hash of each event, packs and hashes it. */
typedef struct {
    const uint8_t *request_key; /* NULL, or a key made by ld_store_request_key */
    size_t request_key_len;
    uint8_t digest[LD_HASH_LEN]; /* of the request's commands (see the layout) */
    Ladder__V1__Event **events;
    size_t n_events;
    const uint64_t *expected; /* NULL, or per event: the stream's version before it,
                                 0 for a new stream, LD_VERSION_ANY for no check */
    /* results */
    int rc;             /* 0, or LD_ECONFLICT / LD_EINVAL / LD_EREUSED (the key was used
                           for other commands: first result below): nothing of it written */
    bool duplicate;     /* same key and digest seen before: nothing written, first result below */
    uint64_t first_seq; /* seq of its first event (0 when it had none) */
    uint32_t count;
} ld_append_t;

/* Called for each event of a scan. data is valid only until the callback
 * returns. A non-zero return stops the scan and is returned by the scan. */
typedef int (*ld_event_cb)(void *ctx, uint64_t seq, const uint8_t *data, size_t len);

/* Opens or creates the store in directory path (created if missing, unless
 * read_only). A writer takes the directory's lock first (LD_EBUSY: in use).
 * Returns 0 and *out, or a negative code with a sentence in errbuf. */
int ld_store_open(ld_store_t **out, const char *path, const ld_store_options_t *opt,
                  char *errbuf, size_t errlen);

/* Closes the store and sets *s to NULL. Accepts NULL and *s == NULL. */
void ld_store_close(ld_store_t **s);

/* Appends reqs[0..n) in one write transaction (group commit). Returns 0 when the
 * transaction committed (each request's own outcome in its rc/duplicate fields),
 * or a negative code when nothing at all was written (I/O error, disk full).
 * Events must not set seq (0) unless it equals the seq the store assigns. */
int ld_store_append(ld_store_t *s, ld_append_t *reqs, size_t n);

/* Write-ahead log (store_wal.c; DESIGN.md, "The write-ahead log"). DIR/wal
 * holds one record per call: the requests' keys, digests and events as given
 * (seqs set by the caller, contiguous after the last record's), written at a
 * multiple of 4 KiB into written zeros and fdatasync'd before it returns. The
 * same requests must then be given to ld_store_append, in the same order
 * (another thread may do it while the next record is written); until then
 * LMDB does not have them. Every writer's open applies the records past
 * LMDB's head first (a torn last record is ignored), so what this returned 0
 * for survives a crash or a power loss. It waits when its record would go
 * over one that LMDB does not hold yet. Returns 0 or a negative code (then
 * the record may or may not be in the file: treat the store as failed). */
int ld_store_wal_write(ld_store_t *s, const ld_append_t *reqs, size_t n);

/* The LMDB writer behind the log failed: a ld_store_wal_write waiting for it
 * (and every later one that would) returns LD_EIO instead of waiting. */
void ld_store_wal_abort(ld_store_t *s);

/* Records of the write-ahead log the open applied to LMDB. */
uint64_t ld_store_wal_applied(ld_store_t *s);

/* Read-only opens: how many valid records of DIR/wal are past LMDB's head
 * (acknowledged events LMDB lacks until a writer opens the store), and the
 * last seq they hold in *last (may be NULL). */
uint64_t ld_store_wal_unapplied(ld_store_t *s, uint64_t *last);

/* Head of the log: last seq (0 when empty) and its hash (zeros when empty), as
 * of the last commit that returned. Safe while the writer commits. */
void ld_store_head(ld_store_t *s, uint64_t *seq, uint8_t hash[LD_HASH_LEN]);

/* Calls cb for events with seq >= from, at most max of them (0 = no limit). */
int ld_store_scan(ld_store_t *s, uint64_t from, uint64_t max, ld_event_cb cb, void *ctx);

/* Calls cb for events of one stream with version >= from_version, in order. */
int ld_store_scan_stream(ld_store_t *s, const char *stream, uint64_t from_version,
                         uint64_t max, ld_event_cb cb, void *ctx);

/* Current version of a stream (0 when it has no events). */
int ld_store_stream_version(ld_store_t *s, const char *stream, uint64_t *version);

/* Builds the requests-index key of request id rid (1..LD_REQUEST_ID_MAX bytes)
 * sent by principal (at most LD_PRINCIPAL_MAX bytes), or of the daemon's own
 * id when principal is NULL. Returns the key's length, or 0 on a bad length. */
size_t ld_store_request_key(uint8_t out[LD_REQUEST_KEY_MAX], const char *principal,
                            const uint8_t *rid, size_t len);

/* Looks up a request key. Returns 0 with its first seq, count and digest (when
 * digest is not NULL), LD_ENOTFOUND, or another negative code on a store error. */
int ld_store_request_get(ld_store_t *s, const uint8_t *key, size_t len,
                         uint64_t *first_seq, uint32_t *count, uint8_t digest[LD_HASH_LEN]);

/* Calls size_cb with the number of request keys, then key_cb with each, in
 * one read transaction (what was committed when it began). A non-zero return
 * of a callback stops the walk and is returned. Reader: any thread. */
int ld_store_request_keys(ld_store_t *s, int (*size_cb)(void *ctx, uint64_t n),
                          int (*key_cb)(void *ctx, const uint8_t *key, size_t len), void *ctx);

/* Walks the hash chain from seq 1 to the head. Returns 0, or LD_ECORRUPT with
 * *bad_seq set to the first seq whose stored bytes are not what was appended
 * (when a link fails, the earlier event is named unless the link differs from
 * the hash in only a few bytes, i.e. the later event's prev_hash was edited). */
int ld_store_verify(ld_store_t *s, uint64_t *bad_seq, char *why, size_t whylen);

/* Stores a snapshot under name, replacing any earlier one. */
int ld_store_snapshot_put(ld_store_t *s, const char *name, uint64_t seq,
                          const void *data, size_t len);

/* Reads a snapshot. Returns 0 with *data (caller frees) or LD_ENOTFOUND. */
int ld_store_snapshot_get(ld_store_t *s, const char *name, uint64_t *seq,
                          void **data, size_t *len);

/* Calls fn(ctx, seq, data, len) on the snapshot stored under name, read in
 * place from the map (no copy: data lives only during the call, inside one
 * read transaction). Returns fn's result, or LD_ENOTFOUND. */
typedef int (*ld_snapshot_fn)(void *ctx, uint64_t seq, const void *data, size_t len);
int ld_store_snapshot_view(ld_store_t *s, const char *name, ld_snapshot_fn fn, void *ctx);

#define LD_SNAPSHOT_NAME 64

/* Removes the snapshot stored under name. Returns 0 or LD_ENOTFOUND. Writer. */
int ld_store_snapshot_del(ld_store_t *s, const char *name);

/* Fills names[0..*n) with the names that start with prefix (and are shorter
 * than LD_SNAPSHOT_NAME), in byte order, at most max of them. Reader. */
int ld_store_snapshot_names(ld_store_t *s, const char *prefix, char (*names)[LD_SNAPSHOT_NAME],
                            size_t max, size_t *n);

/* Writes the stream index up to the head now (also done every index_every
 * events and at close). Writer thread only. */
int ld_store_index_flush(ld_store_t *s);

/* Writes the index entries of at most max of the oldest unindexed events in
 * one transaction: a caller with short idle slots (ladderd) bounds how long a
 * commit can wait behind the index. Writer thread only. Returns 0 or a code. */
int ld_store_index_step(ld_store_t *s, size_t max);

/* Events whose stream-index entries are not written yet. Writer thread, or
 * any thread while no write runs. */
size_t ld_store_index_pending(ld_store_t *s);

/* Flushes the data file (fdatasync) now. Takes no lock and may run while the
 * writer commits: under LD_DURABILITY_NOMETASYNC it makes the last commit's
 * meta page durable without waiting for the next commit. */
int ld_store_sync(ld_store_t *s);

/* Keeps at least ahead bytes of written zeros past LMDB's last page in the
 * data file (never past the map), adding at most step bytes per call. A commit
 * then writes inside the file: its fdatasync flushes data only, with no journal
 * commit for a new file size (about half the cost of an append, measured).
 * The zeros become durable with the next sync or commit. On a full disk it
 * gives the space back (LD_ENOSPC). Writer thread only. Returns 0 or a code. */
int ld_store_reserve(ld_store_t *s, size_t ahead, size_t step);

/* Current map size in bytes (it grows on demand). */
size_t ld_store_map_size(ld_store_t *s);

#endif
