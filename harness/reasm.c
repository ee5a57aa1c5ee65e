/* reasm.c — in-order delivery of one TCP direction. Sequence numbers compare modulo 2^32
 * (signed difference), so streams that wrap past 2^32 need nothing special. Bytes at or before
 * `next` go straight to the callback from the caller's buffer (no copy); only segments ahead
 * of a hole are copied, into a sorted list bounded per direction and per pool. */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pcapread.h"

struct pcs_reasm_seg {
    struct pcs_reasm_seg *next;
    uint32_t seq, len;
    uint8_t data[];
};

static int32_t diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

void pcs_reasm_init(struct pcs_reasm *r, struct pcs_reasm_pool *pool)
{
    memset(r, 0, sizeof *r);
    r->pool = pool;
}

static void drop_all(struct pcs_reasm *r)
{
    while (r->ooo) {
        struct pcs_reasm_seg *s = r->ooo;
        r->ooo = s->next;
        free(s);
    }
    if (r->pool)
        r->pool->used -= r->ooo_bytes;
    r->ooo_bytes = 0;
    r->ooo_segs = 0;
}

void pcs_reasm_fini(struct pcs_reasm *r) { drop_all(r); }

static enum pcs_reasm_status end(struct pcs_reasm *r, enum pcs_reasm_status st)
{
    drop_all(r);
    r->done = true;
    return st;
}

/* Delivers the part of [seq, seq+n) that lies at or past next (seq <= next), up to a FIN. */
static void take(struct pcs_reasm *r, uint32_t seq, const uint8_t *p, size_t n, pcs_reasm_fn fn,
                 void *ud)
{
    if (r->fin && diff(seq + (uint32_t)n, r->fin_seq) > 0)
        n = diff(r->fin_seq, seq) > 0 ? (size_t)(r->fin_seq - seq) : 0;
    size_t skip = (size_t)(-(int64_t)diff(seq, r->next));
    if (skip >= n)
        return;                /* a retransmission of bytes delivered already */
    r->next += (uint32_t)(n - skip);
    r->delivered += n - skip;
    fn(ud, p + skip, n - skip);
}

static void drain(struct pcs_reasm *r, pcs_reasm_fn fn, void *ud)
{
    while (r->ooo && diff(r->ooo->seq, r->next) <= 0) {
        struct pcs_reasm_seg *s = r->ooo;
        r->ooo = s->next;
        r->ooo_segs--;
        r->ooo_bytes -= s->len;
        if (r->pool)
            r->pool->used -= s->len;
        take(r, s->seq, s->data, s->len, fn, ud);
        free(s);
    }
}

/* Holds a segment that lies past a hole; false when a bound forbids it. */
static bool hold(struct pcs_reasm *r, uint32_t seq, const uint8_t *p, size_t n)
{
    struct pcs_reasm_seg **at = &r->ooo;
    int32_t d = diff(seq, r->next);
    while (*at && diff((*at)->seq, r->next) < d)
        at = &(*at)->next;
    if (*at && (*at)->seq == seq && (*at)->len >= n)
        return true;           /* the same segment again */
    struct pcs_reasm_pool *pl = r->pool;
    if (pl && (r->ooo_segs + 1 > pl->max_segs || r->ooo_bytes + n > pl->max_dir ||
               pl->used + n > pl->max))
        return false;
    struct pcs_reasm_seg *s = pcs_xmalloc(sizeof *s + n);
    s->seq = seq;
    s->len = (uint32_t)n;
    memcpy(s->data, p, n);
    s->next = *at;
    *at = s;
    r->ooo_segs++;
    r->ooo_bytes += n;
    if (pl)
        pl->used += n;
    return true;
}

enum pcs_reasm_status pcs_reasm_push(struct pcs_reasm *r, uint8_t flags, uint32_t seq,
                                     const uint8_t *p, size_t n, pcs_reasm_fn fn, void *ud)
{
    if (r->done)
        return PCS_REASM_DONE;
    if (flags & PCS_TCP_RST)
        return end(r, PCS_REASM_RST);
    if (flags & PCS_TCP_SYN) {
        if (!r->synced) {
            r->next = seq + 1;
            r->synced = r->syn = true;
        }
        seq += 1;              /* bytes on a SYN follow its sequence number */
    }
    if (!r->synced) {
        if (n == 0 && !(flags & PCS_TCP_FIN))
            return PCS_REASM_OK;
        r->next = seq;
        r->synced = true;
    }
    if ((flags & PCS_TCP_FIN) && !r->fin) {
        r->fin = true;
        r->fin_seq = seq + (uint32_t)n;
    }
    if (n && diff(seq, r->next) <= 0) {
        take(r, seq, p, n, fn, ud);
        drain(r, fn, ud);
    } else if (n && !hold(r, seq, p, n)) {
        r->budget = true;
        return end(r, PCS_REASM_GAP);
    }
    if (r->fin && r->next == r->fin_seq)
        return end(r, PCS_REASM_FIN);
    return PCS_REASM_OK;
}

enum pcs_reasm_status pcs_reasm_finish(struct pcs_reasm *r)
{
    if (r->done)
        return PCS_REASM_DONE;
    bool hole = r->ooo_segs || (r->fin && r->next != r->fin_seq);
    return end(r, hole ? PCS_REASM_GAP : PCS_REASM_OK);
}
