/* reasm.h — TCP reassembly of one direction of a connection, sans-IO: segments (sequence
 * number, flags, bytes) go in, the stream's bytes come out in order, each exactly once,
 * through a callback. It buffers out-of-order segments within bounds and reports a gap
 * (bytes that will never come) as the end of the direction, never as wrong bytes. It knows
 * no files, flows or protocols; it owns copies of the out-of-order segments it holds. */
#ifndef PCS_REASM_H
#define PCS_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Memory bounds, shared by every direction that points at the same pool. */
struct pcs_reasm_pool {
    size_t used;               /* bytes held out of order, all directions */
    size_t max;                /* bound on `used` */
    size_t max_dir;            /* bound per direction */
    unsigned max_segs;         /* out-of-order segments per direction */
};

/* What pcs_reasm_push / pcs_reasm_finish report. */
enum pcs_reasm_status {
    PCS_REASM_OK = 0,          /* more may come */
    PCS_REASM_FIN,             /* every byte up to the FIN delivered: the direction is done */
    PCS_REASM_RST,             /* reset: done (a hole left behind is not reported) */
    PCS_REASM_GAP,             /* bytes missing for good (or a bound hit): done */
    PCS_REASM_DONE,            /* it was done already; the segment was ignored */
};

struct pcs_reasm_seg;

struct pcs_reasm {
    uint32_t next;             /* sequence number of the next byte to deliver */
    uint32_t fin_seq;          /* sequence number of the FIN, when fin */
    bool synced;               /* next is known */
    bool syn;                  /* synced on a SYN: the stream's first byte is known */
    bool fin, done;
    bool budget;               /* the gap was a bound, not a hole at the end */
    uint64_t delivered;        /* bytes handed out */
    struct pcs_reasm_seg *ooo; /* out-of-order segments, by sequence number */
    size_t ooo_bytes;
    unsigned ooo_segs;
    struct pcs_reasm_pool *pool;   /* borrowed */
};

/* Called with each run of in-order bytes (borrowed for the call). */
typedef void (*pcs_reasm_fn)(void *ud, const uint8_t *p, size_t n);

void pcs_reasm_init(struct pcs_reasm *r, struct pcs_reasm_pool *pool);
/* Frees held segments (and gives their bytes back to the pool). */
void pcs_reasm_fini(struct pcs_reasm *r);
/* One segment (flags: PCS_TCP_*). A direction without a SYN starts at its first segment that
 * carries bytes or a FIN. Delivers what became contiguous, then reports the state. */
enum pcs_reasm_status pcs_reasm_push(struct pcs_reasm *r, uint8_t flags, uint32_t seq,
                                     const uint8_t *p, size_t n, pcs_reasm_fn fn, void *ud);
/* The stream will get no more segments (end of capture, flow evicted): GAP when bytes are
 * held past a hole or a FIN was seen past what arrived, else OK (or DONE). Then done. */
enum pcs_reasm_status pcs_reasm_finish(struct pcs_reasm *r);

#endif
