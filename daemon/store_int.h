/* store_int.h — what the store's files share (store.c: open, close, map and
 * transactions; store_index.c: the stream index and stream versions;
 * store_append.c: the packer and the append path; store_read.c: scans,
 * verification, snapshots and request keys). Not for use outside the store:
 * store.h is its contract. */
#ifndef LADDER_STORE_INT_H
#define LADDER_STORE_INT_H

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnv.h"
#include "wire.h"

#define VCACHE_SLOTS 65536u
#define VCACHE_NAME 46

/* A remembered stream version. Only names that fit are cached. */
typedef struct {
 uint64_t h;
 uint64_t version;
 uint8_t len;
 char name[VCACHE_NAME];
} vslot_t;

/* Per-append table: stream -> version, over the streams this append touched. */
typedef struct {
 const char *name; /* points into an event; valid during the append */
 size_t len;
 uint64_t h;
 uint64_t version;
 uint64_t loaded;   /* the version before this append */
 struct tslot *t;   /* its slot in `tail` (NULL: none yet); see tail_reserve */
 uint32_t gen;      /* the append that filled this slot (s->btab_gen) */
} bslot_t;

/* An event of the append being written: its stream's slot, for the tail. */
typedef struct {
 bslot_t *b;
 uint64_t seq, version;
} eslot_t;

/* Versions of the streams written since the last index flush (complete).
 * The name's first TAIL_PRE bytes are kept in the slot too, so that a
 * lookup compares them without visiting the name's own allocation. */
#define TAIL_PRE 36
typedef struct tslot {
 uint64_t h;
 uint64_t version;
 char *name;
 uint32_t len;
 char pre[TAIL_PRE];
} tslot_t;

/* The write-ahead log (store_wal.c). */
#define LD_WAL_ALIGN 4096u            /* records start at multiples of this */
#define LD_WAL_SIZE (8u << 20)        /* written zeros at creation */
#define LD_WAL_WRAP (4u << 20)        /* past this offset, back to 0 when LMDB has caught up */
#define LD_WAL_KEY 16u                /* meta "walkey": the store's own key for its records */
typedef struct ld_wal ld_wal_t;

struct ld_store {
 MDB_env *env;
 ld_wal_t *wal;           /* NULL unless opened with the write-ahead log */
 uint64_t wal_applied;    /* records the open applied from it */
 uint64_t wal_unapplied;  /* read-only: valid records past LMDB's head in DIR/wal */
 uint64_t wal_last;       /* read-only: the last seq they hold */
 bool wal_aborted;        /* ld_store_wal_abort: no writer waits for LMDB any more */
 bool wal_keyed;          /* meta "walkey" exists: wal_key holds it */
 uint8_t wal_key[LD_WAL_KEY]; /* keys every record's hash: another store's records never verify */
 bool read_only;
 int lock_fd;             /* DIR/lock, flocked while a writer has the store open */
 MDB_dbi events, streams, requests, meta, snapshots;
 /* `requests` is "request_ids" (format 4). A read-only open of a format 2 or 3
  * store reads "requests" (the principal-first keys) instead: req_v3. */
 bool req_v3;
 bool req_both;      /* ... and "request_ids" too: a writer's migration was cut short */
 bool req_migrate;   /* a writer opened a format 2/3 store: keys move at open */
 MDB_dbi requests_v3;
 pthread_rwlock_t resize; /* readers hold it shared; growth holds it exclusive */
 size_t map_size;
 pthread_mutex_t head_lock; /* head_seq/head_hash: the writer sets them, anyone reads */
 pthread_cond_t head_cond;  /* broadcast when they move */
 uint64_t head_seq;
 uint8_t head_hash[LD_HASH_LEN];
 vslot_t *vcache;
 bslot_t *btab;
 size_t btab_cap;
 uint32_t btab_gen;  /* slots of other appends are empty */
 bslot_t **bused;    /* the slots this append filled */
 size_t bused_n;
 eslot_t *eslot;
 size_t eslot_cap, eslot_n;
 tslot_t *tail;
 size_t tail_cap, tail_n;
 uint64_t tail_gen; /* counts tail_clear calls: slots seen before are gone */
 uint64_t indexed_seq, index_every;
 bool no_index; /* a format 2 store opened read-only: its index is not read */
    /* events after indexed_seq, in seq order; names point into `tail` */
 struct pend { uint64_t seq, version; const char *name; size_t len; } *pend;
 size_t pend_n, pend_cap, pend_start;
    /* Event packer (see packer_init): per body case, Event's descriptor cut
     * down to the envelope fields and that one body member */
 ld_cutdesc_t pk_cut; /* wire.h's cut descriptors of Event */
 bool pk_envelope;   /* Event's envelope is the one env_fields lists */
 size_t pk_body_off; /* offset of the body union in Ladder__V1__Event */
 struct pend *ibuf;     /* scratch for index writes: entries by stream */
 struct igroup *gbuf;   /* and their runs, one per stream */
 uint32_t *egrp;        /* each entry's run */
 uint32_t *gtab;        /* name address -> run + 1 */
 size_t icap, gtcap;
};

/* LMDB's codes (positive errno or MDB_*) to ours. */
static inline int from_mdb(int rc)
{
 switch (rc) {
 case MDB_SUCCESS: return LD_OK;
 case MDB_NOTFOUND: return LD_ENOTFOUND;
 case MDB_MAP_FULL: return LD_EMAPFULL;
 case MDB_MAP_RESIZED: return LD_EMAPFULL;
 case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID: return LD_ECORRUPT;
 case MDB_VERSION_MISMATCH: return LD_EFORMAT;
 case ENOMEM: return LD_ENOMEM;
 case ENOSPC: case EDQUOT: return LD_ENOSPC;
 case EAGAIN: case EBUSY: return LD_EBUSY;
 case EINVAL: return LD_EINVAL;
    }
 return LD_EIO;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
 for (int i = 7; i >= 0; i--, v >>= 8)
 p[i] = (uint8_t)v;
}

static inline uint64_t get_be64(const uint8_t *p)
{
 uint64_t v = 0;
 for (int i = 0; i < 8; i++)
 v = v << 8 | p[i];
 return v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
 for (int i = 3; i >= 0; i--, v >>= 8)
 p[i] = (uint8_t)v;
}

static inline uint32_t get_be32(const uint8_t *p)
{
 return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FNV-1a, 64 bit: the tables here are small and keys are short names. */
static inline uint64_t hash_name(const char *s, size_t n)
{
 return ld_fnv1a(s, n, LD_FNV_BASIS) | 1; /* 0 marks an empty slot */
}

static inline void errf(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
 if (buf && len)
 snprintf(buf, len, fmt, a, b);
}


/* A request id's value: first seq (8), count (4), digest of its commands. */
#define REQ_VAL (12 + LD_HASH_LEN)

typedef int (*tail_fn)(void *ctx, uint64_t seq, const char *stream, size_t len, uint64_t version);

/* Shared by the store's files (store.c, store_index.c, store_append.c,
 * store_read.c); each is defined in the file named beside it. */
int ld_st_grow_map(ld_store_t *s);  /* store.c */
int ld_st_read_begin(ld_store_t *s, MDB_txn **txn);  /* store.c */
void ld_st_read_end(ld_store_t *s, MDB_txn *txn);  /* store.c */
bool ld_st_valid_request_key(const uint8_t *k, size_t n);  /* store_append.c */
/* Format 4's key k in format 2/3's layout (principal first); 0 if k is not a key. */
size_t ld_st_request_key_v3(uint8_t out[LD_REQUEST_KEY_MAX], const uint8_t *k, size_t n);  /* store_append.c */
/* Format 2/3's key k in format 4's layout (id first); 0 if k is not one. */
size_t ld_st_request_key_v4(uint8_t out[LD_REQUEST_KEY_MAX], const uint8_t *k, size_t n);  /* store_append.c */
int ld_st_valid_stream(const char *name, size_t len);  /* store_append.c */
int ld_st_packer_init(ld_store_t *s);  /* store_append.c */
int ld_st_btab_find(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, bslot_t **out);  /* store_index.c */
int ld_st_btab_reserve(ld_store_t *s, size_t events);  /* store_index.c */
/* ld_st_btab_find with the name's hash h from ld_st_btab_prefetch. */
int ld_st_btab_find_h(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, uint64_t h, bslot_t **out);  /* store_index.c */
uint64_t ld_st_btab_prefetch(const ld_store_t *s, const char *name, size_t len);  /* store_index.c */
uint64_t ld_st_chunk_first(uint64_t v);  /* store_index.c */
void ld_st_index_advance(ld_store_t *s, size_t done);  /* store_index.c */
long ld_st_index_chunk(ld_store_t *s, MDB_txn *txn, size_t max);  /* store_index.c */
int ld_st_lmdb_stream_version(ld_store_t *s, MDB_txn *txn, const char *name, size_t len, uint64_t *version);  /* store_index.c */
void ld_st_pend_add(ld_store_t *s, uint64_t seq, const char *name, size_t len, uint64_t version);  /* store_index.c */
void ld_st_tail_clear(ld_store_t *s);  /* store_index.c */
tslot_t *ld_st_tail_put(ld_store_t *s, tslot_t *e, const char *name, size_t len, uint64_t h, uint64_t v);  /* store_index.c */
int ld_st_tail_rebuild(ld_store_t *s);  /* store_index.c */
int ld_st_walk_tail(ld_store_t *s, MDB_txn *txn, uint64_t indexed, tail_fn fn, void *ctx);  /* store_index.c */
void ld_st_vcache_put(ld_store_t *s, const char *name, size_t len, uint64_t h, uint64_t v);  /* store_index.c */
size_t ld_st_event_size(const ld_store_t *s, const Ladder__V1__Event *ev);  /* store_append.c */
size_t ld_st_event_pack(const ld_store_t *s, const Ladder__V1__Event *ev, uint8_t *out);  /* store_append.c */
/* Opens (creating with size bytes of written zeros) DIR/wal for writing. */
int ld_st_wal_open(ld_wal_t **out, const char *dir, uint64_t size);  /* store_wal.c */
/* Loads meta "walkey" (s->wal_keyed); with create, makes one (random, in a
 * synced transaction) when the store has none. 0 or a negative code. */
int ld_st_wal_key(ld_store_t *s, bool create);  /* store_wal.c */
void ld_st_wal_close(ld_wal_t **w);  /* store_wal.c */
/* Applies DIR/wal's records past LMDB's head (none: no file); *applied counts them. */
/* Read-only opens: valid records of DIR/wal past LMDB's head (*n) and their
 * last seq; a log that exists but cannot be read is an error (errbuf says why). */
int ld_st_wal_unapplied(ld_store_t *s, const char *dir, uint64_t *n, uint64_t *last,
                        char *errbuf, size_t errlen); /* store_wal.c */
int ld_st_wal_recover(ld_store_t *s, const char *dir, uint64_t *applied, char *errbuf, size_t errlen);  /* store_wal.c */
int ld_st_verify_range(ld_store_t *s, uint64_t from, uint64_t *bad_seq, char *why, size_t whylen);  /* store_read.c */

#endif
