/* seen.c — which request keys may be in the store (shell.h, ld_seen_t).
 *
 * §12 deduplication asks the store's request-id index for every new request
 * id: an LMDB read that misses for nearly every request and cost 13 % of the
 * loop at saturation (perf, ladder-bench daemon). A Bloom filter over every
 * key ever written answers "certainly not there" for most of them without
 * the read; a "maybe" (a key written, or ~1 % of the others) still reads the
 * store. So the filter may only ever lack nothing:
 *   - it is built on the thread pool from one read transaction over the
 *     index (ld_store_request_keys), started only while no commit is in
 *     flight, so that every key submitted before it is in that transaction;
 *   - every key submitted from then on (ld_batches_submit) is kept aside
 *     (its hash) and added when the build is done, then added directly;
 *   - until a build is done, and while one runs again, every lookup reads
 *     the store. A key of a failed commit stays in the filter: a false
 *     "maybe", never a wrong "no".
 * Sized for twice the keys found (at least 2^20) at ~10 bits a key; past
 * that many it is rebuilt, larger, when the writer is next idle.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shell.h"

_Static_assert(sizeof(((ld_seen_t *)0)->hkey) == crypto_shorthash_KEYBYTES, "hkey size");

#define PROBES 7
#define MIN_KEYS (1u << 20)

static uint64_t key_hash(const ld_seen_t *f, const uint8_t *key, size_t len)
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, len, f->hkey);
    uint64_t x;
    memcpy(&x, h, sizeof x);
    return x;
}

/* A blocked filter: the key's hash picks one 512-bit block (one cache line)
 * and PROBES bits within it, 9 hash bits each: one cache miss per lookup,
 * for a false "maybe" rate of ~1.2 % at 10 bits a key instead of ~0.8 %. */
/* The bits within the block, mixed (splitmix64's step) so that they do not
 * repeat the bits that chose the block. */
static uint64_t in_block(uint64_t h)
{
    h = (h ^ h >> 30) * 0xbf58476d1ce4e5b9ull;
    return (h ^ h >> 27) * 0x94d049bb133111ebull;
}

static void bits_set(uint64_t *bits, uint64_t mask, uint64_t h)
{
    uint64_t *blk = bits + ((h & mask) >> 9) * 8, r = in_block(h);
    for (int i = 0; i < PROBES; i++, r >>= 9)
        blk[(r & 511) >> 6] |= 1ull << (r & 63);
}

static bool bits_test(const uint64_t *bits, uint64_t mask, uint64_t h)
{
    const uint64_t *blk = bits + ((h & mask) >> 9) * 8;
    uint64_t r = in_block(h);
    for (int i = 0; i < PROBES; i++, r >>= 9)
        if (!(blk[(r & 511) >> 6] & 1ull << (r & 63)))
            return false;
    return true;
}

/* --------------------------------------------------------- the build job -- */

static int size_cb(void *ctx, uint64_t n)
{
    ld_seen_t *f = ctx;
    uint64_t cap = 2 * n > MIN_KEYS ? 2 * n : MIN_KEYS, nbits = 512;
    while (nbits < 10 * cap)
        nbits *= 2;
    f->jbits = aligned_alloc(64, nbits / 8);
    if (f->jbits)
        memset(f->jbits, 0, nbits / 8);
    if (!f->jbits)
        return LD_ENOMEM;
    f->jmask = nbits - 1;
    f->jcap = cap;
    f->jn = 0;
    return 0;
}

static int key_cb(void *ctx, const uint8_t *key, size_t len)
{
    ld_seen_t *f = ctx;
    bits_set(f->jbits, f->jmask, key_hash(f, key, len));
    f->jn++;
    return 0;
}

static void build_cb(uv_work_t *w)
{
    server_t *s = ld_container_of(w, server_t, seen.work);
    ld_seen_t *f = &s->seen;
    f->jrc = ld_store_request_keys(s->store, size_cb, key_cb, f);
}

static void after_build_cb(uv_work_t *w, int status)
{
    server_t *s = ld_container_of(w, server_t, seen.work);
    ld_seen_t *f = &s->seen;
    (void)status;
    f->building = false;
    if (f->jrc) {
        ld_log(LD_LOG_WARN, "request-id filter not built; every id is looked up",
               "error=\"%s\"", ld_strerror(f->jrc));
        free(f->jbits);
        f->jbits = NULL;
        f->failed = true;
        return;
    }
    free(f->bits);
    f->bits = f->jbits, f->mask = f->jmask, f->cap = f->jcap, f->n = f->jn;
    f->jbits = NULL;
    for (size_t i = 0; i < f->nlive; i++)
        bits_set(f->bits, f->mask, f->live[i]);
    f->n += f->nlive;
    f->nlive = 0;
    f->ready = true;
    ld_log(LD_LOG_DEBUG, "request-id filter built", "keys=%llu capacity=%llu",
           (unsigned long long)f->n, (unsigned long long)f->cap);
}

/* Starts a build; the caller has checked that no commit is in flight. */
static void start_build(server_t *s)
{
    ld_seen_t *f = &s->seen;
    f->ready = f->failed = false;
    f->nlive = 0;
    int rc = uv_queue_work(s->loop, &f->work, build_cb, after_build_cb);
    if (rc) {
        ld_log(LD_LOG_WARN, "request-id filter not queued", "error=\"%s\"", uv_strerror(rc));
        f->failed = true;
        return;
    }
    f->building = true;
}

/* ------------------------------------------------------------ the loop -- */

int ld_seen_open(server_t *s)
{
    crypto_shorthash_keygen(s->seen.hkey);
    start_build(s); /* nothing is decided yet: every key is in the store */
    return 0;
}

void ld_seen_add(server_t *s, const uint8_t *key, size_t len)
{
    ld_seen_t *f = &s->seen;
    uint64_t h = key_hash(f, key, len);
    if (f->building) {
        f->live = ld_grow(f->live, &f->caplive, f->nlive + 1, sizeof *f->live);
        f->live[f->nlive++] = h;
    } else if (f->ready) {
        bits_set(f->bits, f->mask, h);
        f->n++;
    }
}

/* The block a key's bits are in is a cache miss (the filter is megabytes):
 * its line is fetched as soon as the hash is known, and the caller does
 * other work (the digest) before testing it. */
uint64_t ld_seen_hash(server_t *s, const uint8_t *key, size_t len)
{
    const ld_seen_t *f = &s->seen;
    uint64_t h = key_hash(f, key, len);
    if (f->ready)
        __builtin_prefetch(f->bits + ((h & f->mask) >> 9) * 8);
    return h;
}

bool ld_seen_maybe_hash(server_t *s, uint64_t h)
{
    const ld_seen_t *f = &s->seen;
    return !f->ready || bits_test(f->bits, f->mask, h);
}

void ld_seen_idle(server_t *s)
{
    ld_seen_t *f = &s->seen;
    if (f->building || s->stopping || s->batches.committing ||
        s->batches.lmdb_seq != s->batches.committed_seq) /* WAL: keys not yet in LMDB */
        return;
    if ((f->ready && f->n > f->cap) || f->failed)
        start_build(s); /* the keys submitted so far are all committed (or failed) */
}

void ld_seen_destroy(server_t *s)
{
    ld_seen_t *f = &s->seen;
    free(f->bits), free(f->jbits), free(f->live);
    memset(f, 0, sizeof *f);
}
