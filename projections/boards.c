/* boards.c — leaderboards (DOMAIN.md §9): points over all time and over the
 * current week (from the rules' week start), month, quarter and year, in the
 * rules' fixed UTC offset, for the organisation, a centre, a team or a level.
 *
 * Each board is a sorted sequence in blocks of at most LD_BLOCK entries (a
 * two-level B-tree): the block is found by a binary search over the blocks'
 * first keys (score and time; a query starts in a small top index), the
 * entry within it; counts before each block, summed from a dense array of
 * block sizes, give ranks. A rank query waits for few misses: the search's
 * lines and the block's are asked for at once, and an entry carries its
 * employee's name offset, so a row's name and record are fetched together.
 * On an all-time board the asker is found without the id index and its
 * record: the boards' own index of placed employees (bask_t) gives the
 * checked id and the key last placed in one line; a key that is not on the
 * board sends the query the record's way, so answers never depend on it
 * being current. Order: more points first, then whoever reached the score
 * first, then the employee id.
 *
 * Only the current period of each window has boards: the period of the
 * latest event's time (never a clock). An employee is on a window's boards
 * when their points there are of that period; at a roll-over the old
 * period's boards are dropped and the new ones fill as people earn points.
 *
 * Boards are derived and move in batches: evolve only notes an employee
 * (boards_remove before a change keeps where it stood, boards_insert after),
 * and boards_flush, called by every board query, moves the noted employees:
 * a few one by one; many (more than 1/128 of the organisation) in sorted
 * batches, one sort per window and one merge per board with its kept
 * entries; everyone, from nothing, after a snapshot load. Answers are
 * therefore exact at any moment; a rolled-back change is just one more
 * noted employee. Memory: 24 B an entry (core.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#if defined(__GNUC__)
#define prefetch(p) __builtin_prefetch(p)
#else
#define prefetch(p) ((void)(p))
#endif

_Static_assert(LD_BLOCK <= UINT16_MAX, "board_t.bcnt holds a block's count in 16 bits");

/* Asks for every line of a block at once: a search then waits for one miss,
 * not for one per step. */
static inline void block_prefetch(const bblock_t *blk)
{
    const char *p = (const char *)blk;
    for (size_t o = 0; o < sizeof *blk + LD_BLOCK * sizeof blk->e[0]; o += 64)
        prefetch(p + o);
}

int32_t ld_window_period(const ld_core_t *c, int window, int64_t at)
{
    const ld_rules_t *r = ld_cur_rules(c);
    int64_t start;
    switch (window) {
    case 1: start = ld_cal_week_start(at, r->utc_offset_min, r->week_start); break;
    case 2: start = ld_cal_month_start(at, r->utc_offset_min, 1); break;
    case 3: start = ld_cal_month_start(at, r->utc_offset_min, 3); break;
    case 4: start = ld_cal_month_start(at, r->utc_offset_min, 12); break;
    default: return 0;
    }
    return (int32_t)ld_cal_day_index(start, r->utc_offset_min) + 1; /* +1: 0 means "none" */
}

/* The board index (c->board_ix) maps (slot, value, period) to the board
 * that holds them: the boards are its rows. */
typedef struct {
    uint32_t slot, value;
    int32_t period;
} board_key_t;

static uint64_t board_hash(const board_key_t *k)
{
    return ld_mix64((uint64_t)(uint32_t)k->period << 32 | k->slot << 24 | k->value);
}

static bool board_eq(const void *ctx, uint32_t idx, const void *key)
{
    const board_t *b = &((const board_t *)ctx)[idx];
    const board_key_t *k = key;
    return b->slot == k->slot && b->value == k->value && b->period == k->period;
}

static void board_index(ld_core_t *c, uint32_t idx)
{
    const board_t *b = &c->boards[idx];
    board_key_t k = {b->slot, b->value, b->period};
    ld_table_put(&c->board_ix, board_hash(&k), &k, idx, board_eq, c->boards);
}

static uint32_t board_get(ld_core_t *c, uint32_t slot, uint32_t value, int32_t period, bool create)
{
    board_key_t k = {slot, value, period};
    uint32_t idx = ld_table_get(&c->board_ix, board_hash(&k), &k, board_eq, c->boards);
    if (idx != NONE)
        return idx;
    if (!create)
        return NONE;
    if (c->n_boards == c->boards_cap) {
        c->boards_cap = c->boards_cap ? c->boards_cap * 2 : 64;
        c->boards = ld_xrealloc(c->boards, c->boards_cap * sizeof *c->boards);
    }
    idx = (uint32_t)c->n_boards++;
    c->boards[idx] = (board_t){.slot = slot, .value = value, .period = period};
    board_index(c, idx);
    return idx;
}

/* ---------------------------------------------------------------- order -- */

/* <0: a ranks before b. More points first, then who reached the score
 * first, then the id (§9); equal only for the same employee. */
static inline int order(const ld_core_t *c, const bent_t *a, const bent_t *b)
{
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->emp == b->emp)
        return 0;
    uint64_t ka = c->bemp[a->emp].idkey, kb = c->bemp[b->emp].idkey;
    if (ka != kb) /* the ids' first 8 bytes decide, as strcmp would */
        return ka < kb ? -1 : 1;
    return strcmp(c->emps[a->emp].id, c->emps[b->emp].id) < 0 ? -1 : 1;
}

/* An id's first 8 bytes, big-endian, zero after its end (bemp_t.idkey). */
static uint64_t id_key(const char *s)
{
    const unsigned char *id = (const unsigned char *)s;
    uint64_t k = 0;
    for (int i = 0; i < 8; i++) {
        k = k << 8 | *id;
        if (*id)
            id++;
    }
    return k;
}

/* --------------------------------------------------- the askers' index -- */

/* Rehashes into cap entries (a power of two that holds the entries). */
static void bask_grow(ld_core_t *c, size_t cap)
{
    size_t mask = cap - 1;
    bask_t *t = aligned_alloc(64, cap * sizeof *t); /* no entry across two lines */
    if (!t)
        abort();
    memset(t, 0, cap * sizeof *t);
    for (size_t i = 0; i < c->bask_cap; i++) {
        const bask_t *a = &c->bask[i];
        if (!a->tag)
            continue;
        size_t j = ld_table_home(a->tag, mask);
        while (t[j].tag)
            j = (j + 1) & mask;
        t[j] = *a;
        c->bemp[a->emp].ask = (uint32_t)j;
    }
    free(c->bask);
    c->bask = t;
    c->bask_cap = cap;
}

/* Enters emp (its id hashed to tag) and notes where in bemp_t.ask. */
static void bask_put(ld_core_t *c, uint32_t emp, uint32_t tag, uint64_t idkey)
{
    if ((c->bask_n + 1) * 4 > c->bask_cap * 3)
        bask_grow(c, c->bask_cap ? c->bask_cap * 2 : 64);
    size_t mask = c->bask_cap - 1, i = ld_table_home(tag, mask);
    while (c->bask[i].tag)
        i = (i + 1) & mask;
    c->bask[i] = (bask_t){.tag = tag, .emp = emp, .idkey = idkey};
    c->bemp[emp].ask = (uint32_t)i;
    c->bask_n++;
}

/* Room for n entries at most 3/4 full, in one rehash (a build). */
static void bask_reserve(ld_core_t *c, size_t n)
{
    size_t cap = c->bask_cap ? c->bask_cap : 64;
    while (n * 4 > cap * 3)
        cap *= 2;
    if (cap > c->bask_cap)
        bask_grow(c, cap);
}

/* Takes entry i out; the entries after it shift back over the hole. */
static void bask_del(ld_core_t *c, size_t i)
{
    size_t mask = c->bask_cap - 1;
    for (size_t j = (i + 1) & mask; c->bask[j].tag; j = (j + 1) & mask) {
        size_t home = ld_table_home(c->bask[j].tag, mask);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            c->bask[i] = c->bask[j];
            c->bemp[c->bask[i].emp].ask = (uint32_t)i;
            i = j;
        }
    }
    c->bask[i].tag = 0;
    c->bask_n--;
}

/* The placed employee with this id, or NULL: the id key decides an id of
 * up to 7 bytes (its end is in it); a longer one is checked on its card. */
static const bask_t *bask_find(const ld_core_t *c, const char *id)
{
    if (!c->bask_cap)
        return NULL;
    size_t len = strlen(id), mask = c->bask_cap - 1;
    uint32_t tag = ld_table_tag(ld_hash_str(id, len));
    uint64_t k = id_key(id);
    for (size_t i = ld_table_home(tag, mask); c->bask[i].tag; i = (i + 1) & mask) {
        const bask_t *a = &c->bask[i];
        if (a->tag == tag && a->idkey == k &&
            (len < 8 || !strcmp(c->bcards + c->bemp[a->emp].card + 1 + 8, id + 8)))
            return a;
    }
    return NULL;
}

/* Notes emp's id key and row card (before any of its entries is placed)
 * and the all-time key it is placed with (m); returns the card's offset. */
static uint32_t emp_place(ld_core_t *c, const bimage_t *m)
{
    uint32_t emp = m->emp;
    if ((size_t)emp >= c->bemp_cap) {
        size_t cap = c->bemp_cap ? c->bemp_cap : 64;
        while (cap <= emp)
            cap *= 2;
        c->bemp = ld_xrealloc(c->bemp, cap * sizeof *c->bemp);
        memset(c->bemp + c->bemp_cap, 0, (cap - c->bemp_cap) * sizeof *c->bemp);
        c->bemp_cap = cap;
    }
    const emp_t *e = &c->emps[emp];
    bemp_t *be = &c->bemp[emp];
    if (!be->card) {
        const char *name = ld_emp_name(c, e);
        size_t il = strlen(e->id) + 1, nl = strlen(name) + 1;
        if (c->bcards_len + 1 + il + nl > c->bcards_cap) {
            size_t cap = c->bcards_cap ? c->bcards_cap : 4096;
            while (cap < c->bcards_len + 1 + il + nl)
                cap *= 2;
            c->bcards = ld_xrealloc(c->bcards, cap);
            c->bcards_cap = cap;
            if (!c->bcards_len)
                c->bcards_len = 1; /* offset 0 means "no card" */
        }
        be->card = (uint32_t)c->bcards_len;
        memcpy(c->bcards + c->bcards_len + 1, e->id, il);
        memcpy(c->bcards + c->bcards_len + 1 + il, name, nl);
        c->bcards_len += 1 + il + nl;
        be->idkey = id_key(e->id);
        bask_put(c, emp, ld_table_tag(ld_hash_str(e->id, il - 1)), be->idkey);
    }
    bask_t *a = &c->bask[be->ask];
    a->score = m->score[0];
    a->at = m->at[0];
    c->bcards[be->card] = (char)e->level;
    return be->card;
}

/* --------------------------------------------------------------- blocks -- */

static bblock_t *block_new(uint32_t cap)
{
    bblock_t *b = ld_xmalloc(sizeof *b + cap * sizeof b->e[0]);
    b->n = 0;
    b->cap = cap;
    return b;
}

static void board_clear(board_t *b)
{
    for (uint32_t j = 0; j < b->n_blocks; j++)
        free(b->blk[j]);
    free(b->blk), free(b->first), free(b->fkey), free(b->bcnt), free(b->prefix), free(b->top);
    b->blk = NULL, b->first = NULL, b->fkey = NULL, b->bcnt = NULL, b->prefix = NULL, b->top = NULL;
    b->size = b->n_blocks = b->cap_blocks = b->prefix_ok = b->n_top = b->top_cap = 0;
    b->top_ok = false;
}

static void set_first(board_t *b, uint32_t j, const bent_t *x)
{
    b->first[j] = *x;
    b->fkey[j] = (bkey_t){x->score, x->at};
    b->top_ok = false;
}

/* Makes room for a block at position j (j <= n_blocks). */
static void blocks_open(board_t *b, uint32_t j, bblock_t *blk)
{
    if (b->n_blocks == b->cap_blocks) {
        b->cap_blocks = b->cap_blocks ? b->cap_blocks * 2 : 4;
        b->blk = ld_xrealloc(b->blk, b->cap_blocks * sizeof *b->blk);
        b->first = ld_xrealloc(b->first, b->cap_blocks * sizeof *b->first);
        b->fkey = ld_xrealloc(b->fkey, b->cap_blocks * sizeof *b->fkey);
        b->bcnt = ld_xrealloc(b->bcnt, b->cap_blocks * sizeof *b->bcnt);
        b->prefix = ld_xrealloc(b->prefix, b->cap_blocks * sizeof *b->prefix);
    }
    uint32_t m = b->n_blocks - j;
    memmove(b->blk + j + 1, b->blk + j, m * sizeof *b->blk);
    memmove(b->first + j + 1, b->first + j, m * sizeof *b->first);
    memmove(b->fkey + j + 1, b->fkey + j, m * sizeof *b->fkey);
    memmove(b->bcnt + j + 1, b->bcnt + j, m * sizeof *b->bcnt);
    b->blk[j] = blk;
    b->bcnt[j] = (uint16_t)blk->n;
    if (blk->n)
        set_first(b, j, &blk->e[0]);
    b->n_blocks++;
    b->top_ok = false;
    if (b->prefix_ok > j)
        b->prefix_ok = j;
}

static void blocks_close(board_t *b, uint32_t j)
{
    free(b->blk[j]);
    uint32_t m = b->n_blocks - j - 1;
    memmove(b->blk + j, b->blk + j + 1, m * sizeof *b->blk);
    memmove(b->first + j, b->first + j + 1, m * sizeof *b->first);
    memmove(b->fkey + j, b->fkey + j + 1, m * sizeof *b->fkey);
    memmove(b->bcnt + j, b->bcnt + j + 1, m * sizeof *b->bcnt);
    b->n_blocks--;
    b->top_ok = false;
    if (b->prefix_ok > j)
        b->prefix_ok = j;
}

/* A query's search starts in a small index: the first key of every
 * LD_TOP-th block (some KB, so it stays cached), then reads four lines of
 * fkey and one block: two pages instead of a binary search's dozen.
 * Rebuilt by the first query after the blocks changed (a flush does not
 * keep it). */
#define LD_TOP 16

static void top_fill(board_t *b)
{
    if (b->top_ok)
        return;
    uint32_t n = (b->n_blocks + LD_TOP - 1) / LD_TOP;
    if (n > b->top_cap) {
        b->top_cap = n + n / 2 + 4;
        b->top = ld_xrealloc(b->top, b->top_cap * sizeof *b->top);
    }
    for (uint32_t t = 0; t < n; t++)
        b->top[t] = b->fkey[t * LD_TOP];
    b->n_top = n;
    b->top_ok = true;
}

/* Whether block key k (of first entry f) is not after x. */
static inline bool key_le(const ld_core_t *c, const bkey_t *k, const bent_t *f, const bent_t *x)
{
    if (k->score != x->score)
        return k->score > x->score;
    if (k->at != x->at)
        return k->at < x->at;
    return order(c, f, x) <= 0;
}

/* The block that holds (or would hold) x: the last whose first entry is not
 * after x, or block 0. With `query`, through the top index, and the lines
 * of the LD_TOP blocks it leaves are asked for at once (keys and pointers). */
static uint32_t block_for(const ld_core_t *c, board_t *b, const bent_t *x, bool query)
{
    uint32_t lo = 1, hi = b->n_blocks; /* answer in [lo-1, hi) */
    if (query && b->n_blocks > 2 * LD_TOP) {
        top_fill(b);
        uint32_t tlo = 1, thi = b->n_top; /* the last top block not after x */
        while (tlo < thi) {
            uint32_t mid = tlo + (thi - tlo) / 2;
            if (key_le(c, &b->top[mid], &b->first[mid * LD_TOP], x))
                tlo = mid + 1;
            else
                thi = mid;
        }
        lo = (tlo - 1) * LD_TOP + 1;
        hi = tlo * LD_TOP < b->n_blocks ? tlo * LD_TOP : b->n_blocks;
        for (uint32_t j = lo - 1; j < hi; j += 64 / sizeof *b->fkey)
            prefetch(&b->fkey[j]);
        prefetch(&b->fkey[hi - 1]);
        for (uint32_t j = lo - 1; j < hi; j += 64 / sizeof *b->blk)
            prefetch(&b->blk[j]);
        prefetch(&b->blk[hi - 1]);
        prefetch(&b->prefix[lo - 1]); /* the rank's count, read after the block */
        prefetch(&b->prefix[hi - 1]);
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_le(c, &b->fkey[mid], &b->first[mid], x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* First position in blk whose entry is not before x. */
static uint32_t lower(const ld_core_t *c, const bblock_t *blk, const bent_t *x)
{
    uint32_t lo = 0, hi = blk->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (order(c, &blk->e[mid], x) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void board_put(ld_core_t *c, board_t *b, const bent_t *x)
{
    b->size++;
    if (!b->n_blocks) {
        bblock_t *blk = block_new(8);
        blk->e[blk->n++] = *x;
        blocks_open(b, 0, blk);
        return;
    }
    uint32_t j = block_for(c, b, x, false);
    bblock_t *blk = b->blk[j];
    if (blk->n == LD_BLOCK) {
        /* split in halves; x goes to whichever half it belongs in */
        bblock_t *r = block_new(LD_BLOCK);
        r->n = LD_BLOCK / 2;
        memcpy(r->e, blk->e + LD_BLOCK / 2, r->n * sizeof r->e[0]);
        blk->n = LD_BLOCK / 2;
        b->bcnt[j] = LD_BLOCK / 2;
        blocks_open(b, j + 1, r);
        if (order(c, x, &r->e[0]) > 0)
            blk = r, j++;
    } else if (blk->n == blk->cap) {
        uint32_t cap = blk->cap * 2 < LD_BLOCK ? blk->cap * 2 : LD_BLOCK;
        blk = ld_xrealloc(blk, sizeof *blk + cap * sizeof blk->e[0]);
        blk->cap = cap;
        b->blk[j] = blk;
    }
    uint32_t p = lower(c, blk, x);
    memmove(blk->e + p + 1, blk->e + p, (blk->n - p) * sizeof blk->e[0]);
    blk->e[p] = *x;
    blk->n++;
    b->bcnt[j] = (uint16_t)blk->n;
    if (p == 0)
        set_first(b, j, x);
    if (b->prefix_ok > j + 1)
        b->prefix_ok = j + 1;
}

/* Takes x (which is on the board) out; small neighbours merge, so a board's
 * blocks stay at least a quarter full on average. */
static void board_take(ld_core_t *c, board_t *b, const bent_t *x)
{
    if (!b->n_blocks)
        return;
    uint32_t j = block_for(c, b, x, false);
    bblock_t *blk = b->blk[j];
    uint32_t p = lower(c, blk, x);
    if (p == blk->n || blk->e[p].emp != x->emp)
        return; /* not there: nothing to take */
    b->size--;
    memmove(blk->e + p, blk->e + p + 1, (blk->n - p - 1) * sizeof blk->e[0]);
    blk->n--;
    b->bcnt[j] = (uint16_t)blk->n;
    if (b->prefix_ok > j + 1)
        b->prefix_ok = j + 1;
    if (!blk->n) {
        blocks_close(b, j);
        return;
    }
    if (p == 0)
        set_first(b, j, &blk->e[0]);
    if (blk->n < LD_BLOCK / 4 && j + 1 < b->n_blocks &&
        blk->n + b->blk[j + 1]->n <= LD_BLOCK * 3 / 4) {
        bblock_t *r = b->blk[j + 1];
        if (blk->cap < blk->n + r->n) {
            blk = ld_xrealloc(blk, sizeof *blk + LD_BLOCK * sizeof blk->e[0]);
            blk->cap = LD_BLOCK;
            b->blk[j] = blk;
        }
        memcpy(blk->e + blk->n, r->e, r->n * sizeof r->e[0]);
        blk->n += r->n;
        b->bcnt[j] = (uint16_t)blk->n;
        blocks_close(b, j + 1);
        if (b->prefix_ok > j)
            b->prefix_ok = j;
    }
}

static void prefix_fill(board_t *b, uint32_t upto)
{
    uint32_t j = b->prefix_ok;
    if (j >= upto)
        return;
    uint32_t acc = j ? b->prefix[j - 1] + b->bcnt[j - 1] : 0;
    for (; j < upto; j++) {
        b->prefix[j] = acc;
        acc += b->bcnt[j];
    }
    b->prefix_ok = upto;
}

/* 1-based rank of x on the board, 0 when it is not on it; *bj, *bp: where. */
static uint32_t board_rank(ld_core_t *c, board_t *b, const bent_t *x, uint32_t *bj, uint32_t *bp)
{
    if (!b->n_blocks)
        return 0;
    uint32_t j = block_for(c, b, x, true);
    const bblock_t *blk = b->blk[j];
    block_prefetch(blk);
    uint32_t p = lower(c, blk, x);
    if (p == blk->n || blk->e[p].emp != x->emp)
        return 0;
    if (b->prefix_ok <= j)
        prefix_fill(b, j + 1);
    *bj = j, *bp = p;
    return b->prefix[j] + p + 1;
}

/* The block holding 1-based rank k (k <= size). */
static uint32_t block_at(board_t *b, uint32_t k)
{
    prefix_fill(b, b->n_blocks);
    uint32_t lo = 0, hi = b->n_blocks; /* last block with prefix < k */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->prefix[mid] < k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static const bent_t *board_at(board_t *b, uint32_t k)
{
    uint32_t j = block_at(b, k);
    return &b->blk[j]->e[k - 1 - b->prefix[j]];
}

/* ----------------------------------------------------------- membership -- */

static uint32_t scope_value(const emp_t *e, int scope)
{
    return scope == 1 ? e->centre : scope == 2 ? e->team : scope == 3 ? e->level : 0;
}

/* Where the employee belongs now. */
static void image_of(const ld_core_t *c, uint32_t emp, bimage_t *m)
{
    memset(m, 0, sizeof *m);
    m->emp = emp;
    if (emp >= c->g.n_emps || (c->emps[emp].flags & EF_LEFT))
        return;
    const emp_t *e = &c->emps[emp];
    m->on = 1;
    for (int s = 0; s < LD_SCOPES; s++)
        m->value[s] = scope_value(e, s);
    m->score[0] = e->points_total;
    m->at[0] = e->score_at_ms;
    for (int w = 1; w < LD_WINDOWS; w++) {
        m->period[w] = e->win_period[w - 1];
        m->score[w] = e->win_score[w - 1];
        m->at[w] = e->pts_at_ms;
    }
}

/* Whether the image stands on window w's boards: every employee on the
 * all-time ones, on a window's only with points in its current period. */
static inline bool on_window(const ld_core_t *c, const bimage_t *m, int w)
{
    return m->on && (!w || m->period[w] == c->bperiod[w]);
}

/* Puts the image's entries on (add) or takes them off its boards. */
static void image_apply(ld_core_t *c, const bimage_t *m, bool add)
{
    if (!m->on)
        return;
    uint32_t card = add ? emp_place(c, m) : 0;
    for (int w = 0; w < LD_WINDOWS; w++) {
        if (!on_window(c, m, w))
            continue;
        bent_t x = {m->score[w], m->at[w], m->emp, card};
        for (int s = 0; s < LD_SCOPES; s++) {
            uint32_t bi = board_get(c, (uint32_t)(w * LD_SCOPES + s), m->value[s], m->period[w], add);
            if (bi == NONE)
                continue;
            if (add)
                board_put(c, &c->boards[bi], &x);
            else
                board_take(c, &c->boards[bi], &x);
        }
    }
}

static void note(ld_core_t *c, uint32_t emp, bool before)
{
    if (!c->boards_built)
        return; /* the next flush builds everything */
    if ((size_t)emp >= c->bdirty_cap) {
        size_t cap = c->bdirty_cap ? c->bdirty_cap : 64;
        while (cap <= emp)
            cap *= 2;
        c->bdirty = ld_xrealloc(c->bdirty, cap * sizeof *c->bdirty);
        memset(c->bdirty + c->bdirty_cap, 0, (cap - c->bdirty_cap) * sizeof *c->bdirty);
        c->bdirty_cap = cap;
    }
    if (c->bdirty[emp])
        return; /* the image of the last flush is already kept */
    if (c->n_bimg == c->bimg_cap) {
        c->bimg_cap = c->bimg_cap ? c->bimg_cap * 2 : 64;
        c->bimg = ld_xrealloc(c->bimg, c->bimg_cap * sizeof *c->bimg);
    }
    bimage_t *m = &c->bimg[c->n_bimg++];
    if (before) {
        image_of(c, emp, m);
    } else {
        memset(m, 0, sizeof *m); /* noted only after: a hire, on no board before */
        m->emp = emp;
    }
    c->bdirty[emp] = (uint32_t)c->n_bimg;
}

void ld_boards_remove(ld_core_t *c, uint32_t emp) { note(c, emp, true); }
void ld_boards_insert(ld_core_t *c, uint32_t emp) { note(c, emp, false); }

void ld_boards_drop(ld_core_t *c, uint32_t emp)
{
    if ((size_t)emp < c->bemp_cap && c->bemp[emp].card) {
        bask_del(c, c->bemp[emp].ask);
        c->bemp[emp].card = 0; /* the index may next hold someone else */
    }
    if (!c->boards_built)
        return;
    bimage_t m;
    if ((size_t)emp < c->bdirty_cap && c->bdirty[emp]) {
        bimage_t *d = &c->bimg[c->bdirty[emp] - 1];
        m = *d;
        d->emp = NONE;
        c->bdirty[emp] = 0;
    } else {
        image_of(c, emp, &m);
    }
    image_apply(c, &m, false);
}

/* Points earned at `at`: the employee's window scores move into the period
 * of `at` (a new period starts from zero). The caller has touched the emp and
 * called boards_remove; it calls boards_insert after. */
/* Issue 17: every window's period is a function of the local day and the
 * rules' offset and week start; thousands of points events in a row fall on
 * one day, so the calendar arithmetic (7% of a replay) runs once a day. */
static const int32_t *window_periods(ld_core_t *c, int64_t at)
{
    const ld_rules_t *r = ld_cur_rules(c);
    int64_t day = ld_cal_day_index(at, r->utc_offset_min);
    if (!c->wmemo.ok || c->wmemo.day != day || c->wmemo.offset_min != r->utc_offset_min ||
        c->wmemo.week_start != r->week_start) {
        for (int w = 1; w < LD_WINDOWS; w++)
            c->wmemo.p[w] = ld_window_period(c, w, at);
        c->wmemo.day = day, c->wmemo.offset_min = r->utc_offset_min;
        c->wmemo.week_start = r->week_start, c->wmemo.ok = true;
    }
    return c->wmemo.p;
}

void ld_boards_add_points(ld_core_t *c, uint32_t emp, int64_t amount, int64_t at)
{
    emp_t *e = &c->emps[emp];
    const int32_t *period = window_periods(c, at);
    for (int w = 1; w < LD_WINDOWS; w++) {
        int32_t p = period[w];
        if (e->win_period[w - 1] != p) {
            e->win_period[w - 1] = p;
            e->win_score[w - 1] = 0;
        }
        e->win_score[w - 1] += amount;
    }
    e->pts_at_ms = at;
}

/* ------------------------------------------------------- batch catch-up -- */

/* A flush that moves many employees (or builds everything) works window by
 * window: the moved employees' new entries are sorted once in §9 order, cut
 * into each board's share in that order, and merged with the board's kept
 * entries (those of employees not moved) in one pass that writes fresh
 * blocks. A board nobody left or joined is not read at all. */
typedef struct {
    bent_t x;
    uint32_t img; /* index of the employee's image */
} went_t;

/* The catch-up's scratch, kept in the core between flushes (bounded by
 * the organisation: a few entries per employee moved; given back after a
 * catch-up that moved most of them, see dirty_clear). */
struct ld_bscratch {
    went_t *ents, *tmp;
    uint32_t *bix;      /* per entry: its board of the scope being cut */
    bent_t *join;
    size_t ents_cap;
    uint32_t *cnt;      /* per board: entries joining it, then where they end */
    uint8_t *touched;   /* per board: somebody leaves or joins it */
    size_t boards_cap;
    void *merged;       /* a board's old blocks, while it is rewritten */
    size_t merged_cap;
    bimage_t *now;      /* the moved employees' images after */
    size_t now_cap;
    bblock_t **pool;    /* full-size blocks freed by the merges, reused */
    size_t n_pool, pool_cap;
};
typedef struct ld_bscratch batch_t;

static void scratch_free(ld_core_t *c)
{
    batch_t *bt = c->bscratch;
    if (!bt)
        return;
    for (size_t i = 0; i < bt->n_pool; i++)
        free(bt->pool[i]);
    free(bt->pool);
    free(bt->ents), free(bt->tmp), free(bt->bix), free(bt->join), free(bt->cnt), free(bt->touched);
    free(bt->merged), free(bt->now);
    free(bt);
    c->bscratch = NULL;
}

static batch_t *scratch(ld_core_t *c, size_t k)
{
    if (!c->bscratch)
        c->bscratch = ld_xcalloc(1, sizeof *c->bscratch);
    batch_t *bt = c->bscratch;
    if (k + 1 > bt->ents_cap) {
        size_t cap = k + k / 4 + 64;
        free(bt->ents), free(bt->tmp), free(bt->bix), free(bt->join), free(bt->now);
        bt->ents = ld_xmalloc(cap * sizeof *bt->ents);
        bt->tmp = ld_xmalloc(cap * sizeof *bt->tmp);
        bt->bix = ld_xmalloc(cap * sizeof *bt->bix);
        bt->join = ld_xmalloc(cap * sizeof *bt->join);
        bt->now = ld_xmalloc(cap * sizeof *bt->now);
        bt->ents_cap = cap;
    }
    return bt;
}

/* Board indexes of one slot's recent scope values (most are few: a
 * handful of centres and levels, some hundreds of teams). */
#define MEMO 1024
typedef struct {
    uint32_t value[MEMO], bi[MEMO];
} memo_t;

static inline uint32_t memo_get(ld_core_t *c, memo_t *m, uint32_t slot, uint32_t value,
                                int32_t period, bool create)
{
    uint32_t h = (value * 2654435761u) >> 22;
    if (m->value[h] == value)
        return m->bi[h];
    uint32_t bi = board_get(c, slot, value, period, create);
    if (bi != NONE)
        m->value[h] = value, m->bi[h] = bi;
    return bi;
}

static void went_sort(const ld_core_t *c, went_t *v, went_t *tmp, size_t n)
{
    went_t *src = v, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            if (mid < hi && order(c, &src[mid - 1].x, &src[mid].x) > 0) {
                while (i < mid && j < hi)
                    dst[k++] = order(c, &src[j].x, &src[i].x) < 0 ? src[j++] : src[i++];
            }
            memcpy(dst + k, src + i, (mid - i) * sizeof *src);
            k += mid - i;
            memcpy(dst + k, src + j, (hi - j) * sizeof *src);
        }
        went_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

static void pool_give(batch_t *bt, bblock_t *blk)
{
    if (blk->cap != LD_BLOCK) {
        free(blk);
        return;
    }
    if (bt->n_pool == bt->pool_cap) {
        bt->pool_cap = bt->pool_cap ? bt->pool_cap * 2 : 64;
        bt->pool = ld_xrealloc(bt->pool, bt->pool_cap * sizeof *bt->pool);
    }
    bt->pool[bt->n_pool++] = blk;
}

/* Appends x to the board being written (blocks filled to 7/8). */
static inline void emit(batch_t *bt, board_t *b, bblock_t **cur, const bent_t *x)
{
    if (!*cur || (*cur)->n == LD_BLOCK * 7 / 8) {
        if (*cur)
            blocks_open(b, b->n_blocks, *cur);
        *cur = bt->n_pool ? bt->pool[--bt->n_pool] : block_new(LD_BLOCK);
        (*cur)->n = 0;
    }
    (*cur)->e[(*cur)->n++] = *x;
}

/* The board becomes its kept entries (of employees not noted since the
 * last flush) merged with join[0..nj), which is sorted: one pass, written
 * straight into fresh blocks. */
static void board_merge(ld_core_t *c, batch_t *bt, board_t *b, const bent_t *join, size_t nj)
{
    uint32_t nold = b->n_blocks;
    if (nold > bt->merged_cap) {
        bt->merged_cap = nold + nold / 2 + 16;
        free(bt->merged);
        bt->merged = ld_xmalloc(bt->merged_cap * sizeof(bblock_t *));
    }
    bblock_t **olds = (bblock_t **)bt->merged;
    if (nold) /* an empty board may have no block array at all */
        memcpy(olds, b->blk, nold * sizeof *olds);
    b->n_blocks = 0;
    b->prefix_ok = 0;
    b->top_ok = false;
    bblock_t *cur = NULL;
    size_t n = 0, ij = 0;
    for (uint32_t j = 0; j < nold; j++) {
        bblock_t *blk = olds[j];
        for (uint32_t p = 0; p < blk->n; p++) {
            const bent_t *e = &blk->e[p];
            if ((size_t)e->emp < c->bdirty_cap && c->bdirty[e->emp])
                continue; /* moved: it joins again from join[] if it still belongs */
            while (ij < nj && order(c, &join[ij], e) < 0)
                emit(bt, b, &cur, &join[ij++]), n++;
            emit(bt, b, &cur, e), n++;
        }
        pool_give(bt, blk);
    }
    while (ij < nj)
        emit(bt, b, &cur, &join[ij++]), n++;
    if (cur) {
        if (b->n_blocks == 0 && cur->n * 2 < LD_BLOCK) { /* a small board: no more than it needs */
            bblock_t *small = block_new(cur->n < 8 ? 8 : cur->n);
            memcpy(small->e, cur->e, cur->n * sizeof cur->e[0]);
            small->n = cur->n;
            pool_give(bt, cur);
            cur = small;
        }
        blocks_open(b, b->n_blocks, cur);
    }
    b->size = (uint32_t)n;
}

/* Moves every noted employee (img[0..k): their images before; NONE-emp ones
 * skipped) to where they stand now, or, with no boards yet, places img's
 * employees. */
static void batch_place(ld_core_t *c, const bimage_t *old, bimage_t *img, size_t k)
{
    batch_t *bt = scratch(c, k);
    for (size_t i = 0; i < k; i++) {
        /* a first placement enters the askers' index at a random line:
         * it is asked for 8 employees ahead (a build places everyone) */
        const bimage_t *a = i + 8 < k ? &img[i + 8] : NULL;
        if (a && a->on && c->bask_cap && (a->emp >= c->bemp_cap || !c->bemp[a->emp].card)) {
            const char *id = c->emps[a->emp].id;
            uint32_t tag = ld_table_tag(ld_hash_str(id, strlen(id)));
            prefetch(&c->bask[ld_table_home(tag, c->bask_cap - 1)]);
        }
        if (img[i].on)
            img[i].card = emp_place(c, &img[i]);
    }
    for (int w = 0; w < LD_WINDOWS; w++) {
        size_t n = 0;
        for (size_t i = 0; i < k; i++)
            if (on_window(c, &img[i], w))
                bt->ents[n++] = (went_t){{img[i].score[w], img[i].at[w], img[i].emp, img[i].card}, (uint32_t)i};
        went_sort(c, bt->ents, bt->tmp, n);
        for (int s = 0; s < LD_SCOPES; s++) {
            uint32_t slot = (uint32_t)(w * LD_SCOPES + s);
            memo_t memo;
            memset(memo.value, 0xff, sizeof memo.value);
            for (size_t i = 0; i < n; i++)
                bt->bix[i] = memo_get(c, &memo, slot, img[bt->ents[i].img].value[s], c->bperiod[w], true);
            size_t nb = c->n_boards;
            if (nb + 1 > bt->boards_cap) {
                bt->boards_cap = nb + nb / 2 + 64;
                bt->cnt = ld_xrealloc(bt->cnt, bt->boards_cap * sizeof *bt->cnt);
                bt->touched = ld_xrealloc(bt->touched, bt->boards_cap);
            }
            memset(bt->cnt, 0, (nb + 1) * sizeof *bt->cnt);
            memset(bt->touched, 0, nb + 1);
            for (size_t i = 0; i < n; i++)
                bt->cnt[bt->bix[i]]++, bt->touched[bt->bix[i]] = 1;
            for (size_t i = 0; old && i < k; i++) {
                if (old[i].emp == NONE || !on_window(c, &old[i], w))
                    continue;
                uint32_t bi = memo_get(c, &memo, slot, old[i].value[s], c->bperiod[w], false);
                if (bi != NONE)
                    bt->touched[bi] = 1;
            }
            /* cut: each board's share, in order, at [start, start + count) */
            uint32_t acc = 0;
            for (size_t b = 0; b < nb; b++) {
                uint32_t m = bt->cnt[b];
                bt->cnt[b] = acc;
                acc += m;
            }
            for (size_t i = 0; i < n; i++)
                bt->join[bt->cnt[bt->bix[i]]++] = bt->ents[i].x;
            /* cnt[b] is now the end of b's share; the start is the previous end */
            uint32_t start = 0;
            for (size_t b = 0; b < nb; b++) {
                uint32_t end = bt->cnt[b];
                if (bt->touched[b])
                    board_merge(c, bt, &c->boards[b], bt->join + start, end - start);
                start = end;
            }
        }
    }
}

/* ------------------------------------------------------------- periods -- */

/* A window's current period is the one of the latest event (the greatest
 * at_ms, so never a clock): GetBoard names no other, so boards of earlier
 * periods are dropped at the roll-over and the boards stay one set per
 * window, however long the history. */
static void cur_periods(const ld_core_t *c, int32_t p[LD_WINDOWS])
{
    p[0] = 0;
    for (int w = 1; w < LD_WINDOWS; w++)
        p[w] = ld_window_period(c, w, c->g.last_at_ms);
}

/* Frees the boards of periods that are no longer current and re-indexes
 * the rest. */
static void boards_compact(ld_core_t *c)
{
    size_t k = 0;
    ld_table_free(&c->board_ix);
    for (size_t i = 0; i < c->n_boards; i++) {
        board_t *b = &c->boards[i];
        if (b->period != c->bperiod[b->slot / LD_SCOPES]) {
            board_clear(b);
            continue;
        }
        c->boards[k] = *b;
        board_index(c, (uint32_t)k);
        k++;
    }
    c->n_boards = k;
}

static void boards_forget(ld_core_t *c)
{
    for (size_t i = 0; i < c->n_boards; i++)
        board_clear(&c->boards[i]);
    c->n_boards = 0;
    ld_table_free(&c->board_ix);
}

/* Builds every board from the employees. */
static void boards_build(ld_core_t *c)
{
    boards_forget(c);
    cur_periods(c, c->bperiod);
    size_t n = c->g.n_emps;
    bimage_t *img = scratch(c, n)->now;
    for (uint32_t i = 0; i < n; i++)
        image_of(c, i, &img[i]);
    bask_reserve(c, n); /* everyone placed: no rehash on the way */
    batch_place(c, NULL, img, n);
}

/* Forgets the noted employees. The scratch of a catch-up that moved most
 * of the organisation (a build, a replay's first query) goes back; a
 * smaller one stays for the next flush (fresh pages cost more than the
 * work). */
static void dirty_clear(ld_core_t *c, size_t k)
{
    for (size_t i = 0; i < c->n_bimg; i++)
        if (c->bimg[i].emp != NONE)
            c->bdirty[c->bimg[i].emp] = 0;
    c->n_bimg = 0;
    if (k > c->g.n_emps / 2 + 4096) {
        free(c->bimg);
        c->bimg = NULL;
        c->bimg_cap = 0;
        scratch_free(c);
    }
}

void ld_boards_flush(ld_core_t *c)
{
    if (c->boards_built && !c->n_bimg && c->bperiod_at == c->g.last_at_ms &&
        c->bperiod_rules == c->g.n_rules)
        return; /* nothing moved, no new period: the boards are current */
    c->bperiod_at = c->g.last_at_ms;
    c->bperiod_rules = c->g.n_rules;
    int32_t cur[LD_WINDOWS];
    cur_periods(c, cur);
    bool back = false, roll = false;
    for (int w = 1; w < LD_WINDOWS && c->boards_built; w++) {
        back |= cur[w] < c->bperiod[w]; /* an undone roll-over: rare, rebuilt */
        roll |= cur[w] > c->bperiod[w];
    }
    if (!c->boards_built || back) {
        boards_build(c);
        c->boards_built = true;
        dirty_clear(c, c->g.n_emps);
        return;
    }
    if (roll) {
        /* everyone on a new period's boards earned points since the last
         * flush, so is noted: the new boards start empty */
        memcpy(c->bperiod, cur, sizeof cur);
        boards_compact(c);
    }
    size_t k = c->n_bimg;
    if (k > c->g.n_emps / 128 + 4) { /* a merge costs ~ the boards' size, a move ~ 40 searches */
        bimage_t *now = scratch(c, k)->now;
        for (size_t i = 0; i < k; i++) {
            if (c->bimg[i].emp == NONE)
                now[i] = (bimage_t){.emp = NONE};
            else
                image_of(c, c->bimg[i].emp, &now[i]);
        }
        batch_place(c, c->bimg, now, k);
    } else {
        for (size_t i = 0; i < k; i++) {
            bimage_t *m = &c->bimg[i];
            if (m->emp == NONE)
                continue;
            image_apply(c, m, false);
            bimage_t now;
            image_of(c, m->emp, &now);
            image_apply(c, &now, true);
        }
    }
    dirty_clear(c, k);
}

/* A bounded part of a flush, for a caller that spreads the catch-up over
 * idle moments: the last `max` noted employees move one by one (taken from
 * the end, so the others' image indexes stay valid). An undone roll-over
 * rebuilds everything, as a flush does; boards never built are left for the
 * first query, which builds them. Every board query still flushes first,
 * and the order of moves does not change the boards' content (§9's order is
 * total), so answers are the same whatever was stepped before. */
size_t ld_core_boards_step(ld_core_t *c, size_t max)
{
    if (!c->boards_built || !c->n_bimg || !max)
        return c->n_bimg; /* not built (nothing noted): the first query builds all */
    int32_t cur[LD_WINDOWS];
    cur_periods(c, cur);
    bool back = false, roll = false;
    for (int w = 1; w < LD_WINDOWS; w++) {
        back |= cur[w] < c->bperiod[w];
        roll |= cur[w] > c->bperiod[w];
    }
    if (back) {
        ld_boards_flush(c);
        return 0;
    }
    c->bperiod_at = c->g.last_at_ms;
    c->bperiod_rules = c->g.n_rules;
    if (roll) {
        memcpy(c->bperiod, cur, sizeof cur);
        boards_compact(c);
    }
    size_t k = c->n_bimg < max ? c->n_bimg : max;
    for (size_t i = c->n_bimg - k; i < c->n_bimg; i++) {
        bimage_t *m = &c->bimg[i];
        if (m->emp == NONE)
            continue;
        image_apply(c, m, false);
        bimage_t now;
        image_of(c, m->emp, &now);
        image_apply(c, &now, true);
        c->bdirty[m->emp] = 0;
    }
    c->n_bimg -= k;
    return c->n_bimg;
}

void ld_boards_rebuild(ld_core_t *c)
{
    boards_forget(c);
    for (size_t i = 0; i < c->n_bimg; i++)
        if (c->bimg[i].emp != NONE)
            c->bdirty[c->bimg[i].emp] = 0;
    c->n_bimg = 0;
    c->boards_built = false;
}

void ld_boards_free(ld_core_t *c)
{
    boards_forget(c);
    scratch_free(c);
    free(c->boards);
    free(c->bdirty);
    free(c->bemp);
    free(c->bask);
    free(c->bcards);
    free(c->bimg);
}

/* ---------------------------------------------------------------- query -- */

static const char *const window_names[] = {"all", "week", "month", "quarter", "year"};
static const char *const scope_names[] = {"org", "centre", "team", "level"};


static void add_row(ld_core_t *c, ld_out_t *out, Ladder__V1__Board *b, const bent_t *x,
                    uint32_t rank)
{
    const char *card = c->bcards + x->card; /* level, id, name (bemp_t) */
    Ladder__V1__BoardRow *row = ld_body_new(out, &ladder__v1__board_row__descriptor);
    row->rank = rank;
    row->employee_id = ld_ostr(out, card + 1);
    row->name = ld_ostr(out, card + 2 + strlen(card + 1));
    row->points = x->score;
    row->level = (uint8_t)card[0];
    b->rows[b->n_rows++] = row;
}

int ld_boards_query(ld_core_t *c, const Ladder__V1__GetBoard *q, int64_t now, ld_out_t *out,
                 Ladder__V1__Board **res)
{
    if (q->window > 4 || q->scope > 3)
        return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.window",
                      "§9: unknown window or scope");
    uint32_t slot = q->window * LD_SCOPES + q->scope, value = 0;
    const char *sv = q->scope_value ? q->scope_value : "";
    if (q->scope == 1 || q->scope == 2) {
        value = ld_intern_find(c, sv);
        if (!*sv)
            return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.scope_value",
                          "§9: a %s board needs its name in scope_value", scope_names[q->scope]);
    } else if (q->scope == 3) {
        char *end;
        unsigned long l = strtoul(sv, &end, 10);
        if (!*sv || *end || l >= LD_LEVELS)
            return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_INVALID, "§9", "board.scope_value",
                          "§9: a level board needs a level 0 to 5 in scope_value");
        value = (uint32_t)l;
    }
    ld_boards_flush(c);
    int32_t period = ld_window_period(c, (int)q->window, now);
    uint32_t bi = value == NONE ? NONE : board_get(c, slot, value, period, false);
    board_t *bd = bi == NONE ? NULL : &c->boards[bi];
    Ladder__V1__Board *b = ld_body_new(out, &ladder__v1__board__descriptor);
    char name[96]; /* "<window>/<scope>[:<value>]", value cut at 60 bytes */
    size_t nl = 0, vl = 0;
    while (q->scope && vl < 60 && sv[vl])
        vl++;
    for (const char *t = window_names[q->window]; *t;)
        name[nl++] = *t++;
    name[nl++] = '/';
    for (const char *t = scope_names[q->scope]; *t;)
        name[nl++] = *t++;
    if (q->scope)
        name[nl++] = ':';
    memcpy(name + nl, sv, vl);
    name[nl + vl] = 0;
    b->name = ld_ostr(out, name);
    if (q->window) {
        const ld_rules_t *r = ld_cur_rules(c);
        b->window_start_ms = ((int64_t)period - 1) * 86400000LL - (int64_t)r->utc_offset_min * 60000;
    }
    uint32_t size = bd ? bd->size : 0;
    b->size = size;
    uint32_t top = q->top ? q->top : (q->around && *q->around ? 0 : 10);
    if (top > 1000)
        top = 1000;
    uint32_t radius = q->radius ? q->radius : 2;
    if (radius > 100)
        radius = 100;
    uint32_t first = 1, last = top < size ? top : size;
    uint32_t around_rank = 0, aj = 0, ap = 0;
    if (q->around && *q->around) {
        if (bd && !q->window) {
            /* an all-time board: the asker's key from the boards' own
             * index (not the id index and the record, two misses in a row);
             * found on the board exactly when placed there with it, since
             * entries carry their employee */
            const bask_t *a = bask_find(c, q->around);
            if (a) {
                bent_t x = {a->score, a->at, a->emp, 0};
                around_rank = board_rank(c, bd, &x, &aj, &ap);
            }
        }
        if (!around_rank) {
            uint32_t e = ld_emp_find(c, q->around);
            if (e == NONE)
                return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "§1", "board.around",
                              "§1: no employee %s", q->around);
            bimage_t m;
            image_of(c, e, &m);
            uint32_t w = q->window;
            if (bd && m.on && m.period[w] == bd->period && m.value[q->scope] == value) {
                bent_t x = {m.score[w], m.at[w], e, 0};
                around_rank = board_rank(c, bd, &x, &aj, &ap);
            }
        }
        if (!around_rank)
            return ld_refuse(c, LADDER__V1__ERROR_CODE__ERR_NOT_FOUND, "§9", "board.around",
                          "§9: %s is not on board %s (no points in this period)", q->around, name);
        if (!top) {
            first = around_rank > radius ? around_rank - radius : 1;
            last = around_rank + radius < size ? around_rank + radius : size;
        }
    }
    size_t cap = (last >= first ? last - first + 1 : 0) + 2 * radius + 2;
    b->rows = ld_arena_alloc(&out->arena, cap * sizeof *b->rows);
    if (size && first <= last && last - first < 8 && bd) {
        /* a few rows (an asker and neighbours): their employees are fetched
         * together, so the misses overlap instead of queueing */
        const bent_t *ents[8];
        uint32_t j, p, n = 0;
        if (around_rank && first <= around_rank && around_rank - first <= radius) {
            j = aj, p = ap;
            uint32_t k = around_rank - first;
            while (k > p) {
                k -= p + 1;
                j--;
                p = bd->blk[j]->n - 1;
            }
            p -= k;
        } else {
            j = block_at(bd, first);
            p = first - 1 - bd->prefix[j];
        }
        for (uint32_t k = first; k <= last; k++) {
            while (p == bd->blk[j]->n)
                j++, p = 0;
            ents[n] = &bd->blk[j]->e[p++];
            const char *card = c->bcards + ents[n]->card;
            prefetch(card), prefetch(card + 63); /* a card may span two lines */
            n++;
        }
        for (uint32_t k = 0; k < n; k++)
            add_row(c, out, b, ents[k], first + k);
    } else if (size && first <= last) {
        /* one search, then along the blocks */
        uint32_t j, p;
        if (around_rank && first <= around_rank && around_rank - first <= radius) {
            /* from the asker's own position, back to the first row */
            j = aj, p = ap;
            uint32_t k = around_rank - first;
            while (k > p) {
                k -= p + 1;
                j--;
                p = bd->blk[j]->n - 1;
            }
            p -= k;
        } else {
            j = block_at(bd, first);
            p = first - 1 - bd->prefix[j];
        }
        for (uint32_t k = first; k <= last; k++) {
            while (p == bd->blk[j]->n)
                j++, p = 0;
            add_row(c, out, b, &bd->blk[j]->e[p++], k);
        }
    }
    if (top && around_rank > last) /* top N plus the asker's own row */
        add_row(c, out, b, board_at(bd, around_rank), around_rank);
    *res = b;
    return 0;
}
