/* flows.c — flow table (chained hash on the 5-tuple, LRU list for eviction), protocol choice
 * and framing of reassembled bytes. Bytes that arrive in order are framed and decoded straight
 * from the packet; only the tail of a frame that continues in a later packet is copied (pend).
 * A direction whose start was not captured is decoded only if its first frame decodes and
 * passes the always-on checks; that is also how flows on unknown ports are claimed (probe).
 * Closed flows stay as small zombies (no codec state, no buffers) to absorb late packets. */
#include "flows.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MAX 4096         /* bytes held while a start is unproved or a protocol unknown */

enum { P_KNOWN = 1, P_PROBING, P_NONE };

struct pcs_flows {
    struct pcs_flows_config cfg;
    pcs_flows_fn fn;
    void *ud;
    struct pcs_reasm_pool pool;
    struct pcs_flow **tab;
    size_t mask, max_buckets;  /* buckets - 1; grown up to max_buckets (see grow) */
    struct pcs_flow *head, *tail;   /* LRU: head is evicted first */
    struct pcs_flows_stats st;
    struct plan *plans;        /* per protocol: which checks apply to what (see plan_for) */
    struct pcs_flow *recent;   /* the flow lookup found last, or NULL */
    size_t nplans;
    /* the packet being handled */
    pcs_time t;
    uint64_t packet;
    struct pcs_flow *cf;
    enum pcs_dir cdir;
};

/* ---- table ---- */

static uint32_t ep_hash(const uint8_t *a, uint16_t port)
{
    uint64_t w[2];
    memcpy(w, a, 16);
    uint64_t h = (w[0] * 0x9e3779b97f4a7c15ull) ^ (w[1] * 0xc2b2ae3d27d4eb4full) ^
                 ((uint64_t)port * 0x165667b19e3779f9ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(h ^ (h >> 32));
}

/* Symmetric in the two endpoints, so both directions find the same bucket. */
static uint32_t key_hash(const struct pcs_pcapread_l4 *p)
{
    return (ep_hash(p->src, p->sport) + ep_hash(p->dst, p->dport)) ^ p->proto;
}

static bool ep_eq(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
    return pa == pb && memcmp(a, b, 16) == 0;
}

/* Is f the flow of packet p? Sets *dir. Reads only the flow's first fields. */
static bool same_flow(const struct pcs_flow *f, const struct pcs_pcapread_l4 *p,
                      enum pcs_dir *dir)
{
    if (f->l4 != p->proto || f->family != p->family)
        return false;
    if (ep_eq(f->addr[0], f->port[0], p->src, p->sport) &&
        ep_eq(f->addr[1], f->port[1], p->dst, p->dport)) {
        *dir = PCS_DIR_C2S;
        return true;
    }
    if (ep_eq(f->addr[1], f->port[1], p->src, p->sport) &&
        ep_eq(f->addr[0], f->port[0], p->dst, p->dport)) {
        *dir = PCS_DIR_S2C;
        return true;
    }
    return false;
}

/* The flow of packet p, or NULL; *h is set to p's hash either way. */
static struct pcs_flow *lookup(struct pcs_flows *ft, const struct pcs_pcapread_l4 *p,
                               uint32_t *h, enum pcs_dir *dir)
{
    /* a segment's ACK, the next segment, a PUBLISH's acknowledgement: the flow of the last
     * packet is often the flow of this one, and then neither the hash nor the bucket is
     * needed */
    if (ft->recent && same_flow(ft->recent, p, dir)) {
        *h = ft->recent->hash;
        return ft->recent;
    }
    *h = key_hash(p);
    for (struct pcs_flow *f = ft->tab[*h & ft->mask]; f; f = f->hnext)
        if (f->hash == *h && same_flow(f, p, dir))
            return ft->recent = f;
    return NULL;
}

static void lru_unlink(struct pcs_flows *ft, struct pcs_flow *f)
{
    *(f->lprev ? &f->lprev->lnext : &ft->head) = f->lnext;
    *(f->lnext ? &f->lnext->lprev : &ft->tail) = f->lprev;
    f->lprev = f->lnext = NULL;
}

static void lru_tail(struct pcs_flows *ft, struct pcs_flow *f)
{
    f->lprev = ft->tail;
    *(ft->tail ? &ft->tail->lnext : &ft->head) = f;
    ft->tail = f;
}

static void lru_head(struct pcs_flows *ft, struct pcs_flow *f)
{
    f->lnext = ft->head;
    *(ft->head ? &ft->head->lprev : &ft->tail) = f;
    ft->head = f;
}

/* ---- events ---- */

static void emit(struct pcs_flows *ft, struct pcs_flow_event *ev)
{
    ev->t = ft->t;
    ev->packet = ft->packet;
    ft->fn(ev, ft->ud);
    pcs_value_free(ev->frame);
}

static void pend_drop(struct pcs_flows *ft, struct pcs_flow_dir *D, size_t n)
{
    ft->pool.used -= n;
    pcs_buf_consume(&D->pend, n);
    if (!D->pend.len && D->pend.cap > 16384) {
        pcs_buf_free(&D->pend);
        pcs_buf_init(&D->pend);
    }
}

/* The direction decodes no further: a GAP event (once) saying why. */
static void end_dir(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                    enum pcs_pcapread_warn w, const char *why)
{
    struct pcs_flow_dir *D = &f->d[dir];
    if (D->ended)
        return;
    D->ended = true;
    pend_drop(ft, D, D->pend.len);
    ft->st.warn[w]++;
    struct pcs_flow_event ev = {.kind = PCS_FLOW_GAP, .flow = f, .dir = dir, .warn = w};
    snprintf(ev.diag.msg, sizeof ev.diag.msg, "%s", why);
    emit(ft, &ev);
}

/* ---- checks ---- */

/* Which of a protocol's checks apply to a frame of type index ti (-1 unknown) sent in dir on
 * a connection of version index ver (-1 unknown): one NULL-terminated set per combination,
 * worked out when first needed, so a frame meets only its own checks. */
struct plan {
    const struct pcs_protocol *p;
    int ntypes, nvers;
    const struct pcs_check ***sets;    /* [((ti + 1) * 2 + dir) * (nvers + 1) + ver + 1] */
};

static const struct pcs_check *const *plan_for(struct pcs_flows *ft,
                                               const struct pcs_protocol *p, int ti,
                                               enum pcs_dir dir, int ver)
{
    struct plan *pl = NULL;
    for (size_t i = 0; i < ft->nplans && !pl; i++)
        if (ft->plans[i].p == p)
            pl = &ft->plans[i];
    if (!pl) {
        ft->plans = pcs_xrealloc(ft->plans, (ft->nplans + 1) * sizeof *ft->plans);
        pl = &ft->plans[ft->nplans++];
        pl->p = p;
        for (pl->ntypes = 0; p->frames && p->frames[pl->ntypes].name; pl->ntypes++)
            ;
        for (pl->nvers = 0; p->versions && p->versions[pl->nvers]; pl->nvers++)
            ;
        pl->sets = pcs_xcalloc((size_t)(pl->ntypes + 1) * 2 * (size_t)(pl->nvers + 1),
                               sizeof *pl->sets);
    }
    if (ti < -1 || ti >= pl->ntypes || ver < -1 || ver >= pl->nvers || (unsigned)dir > 1)
        return NULL;
    const struct pcs_check ***set =
        &pl->sets[((size_t)(ti + 1) * 2 + dir) * (size_t)(pl->nvers + 1) + (size_t)(ver + 1)];
    if (!*set) {
        size_t n = 0;
        for (const struct pcs_check *c = p->checks; c && c->rule; c++)
            n += pcs_check_applies(c, ti, dir, ver);
        *set = pcs_xcalloc(n + 1, sizeof **set);
        n = 0;
        for (const struct pcs_check *c = p->checks; c && c->rule; c++)
            if (pcs_check_applies(c, ti, dir, ver))
                (*set)[n++] = c;
    }
    return (const struct pcs_check *const *)*set;
}

static void plans_free(struct pcs_flows *ft)
{
    for (size_t i = 0; i < ft->nplans; i++) {
        struct plan *pl = &ft->plans[i];
        for (size_t k = 0; k < (size_t)(pl->ntypes + 1) * 2 * (size_t)(pl->nvers + 1); k++)
            free(pl->sets[k]);
        free(pl->sets);
    }
    free(ft->plans);
}

/* Clears a diagnostic but for its buffers' first bytes: one is set up for every frame, and
 * clearing 400 bytes each time shows. */
static void diag_reset(struct pcs_diag *d)
{
    d->code = 0;
    d->rule[0] = d->msg[0] = 0;
    d->offset = 0;
}

/* Runs check c on the frame: 1 and fn told when it finds a violation. d is shared by all the
 * checks of a frame (one that passes leaves it alone). */
static inline unsigned one_check(const struct pcs_check *c, void *st, enum pcs_dir dir,
                                 const struct pcs_value *frame, struct pcs_diag *d,
                                 pcs_flows_check_fn fn, void *ud)
{
    if (pcs_check_run(c, st, dir, frame, d) == 0)
        return 0;
    if (fn)
        fn(ud, c, d);
    diag_reset(d);
    return 1;
}

static unsigned run_checks(struct pcs_flows *ft, const struct pcs_protocol *p, void *st,
                           enum pcs_dir dir, const struct pcs_value *frame,
                           pcs_flows_check_fn fn, void *ud)
{
    int ver = p->conn_version ? p->conn_version(st) : -1;
    int ti = pcs_protocol_last_type(p, st, frame);   /* once per frame, not per check */
    const struct pcs_check *const *set = plan_for(ft, p, ti, dir, ver);
    unsigned n = 0;
    struct pcs_diag d;
    diag_reset(&d);
    if (set) {
        for (; *set; set++)
            n += one_check(*set, st, dir, frame, &d, fn, ud);
        return n;
    }
    for (const struct pcs_check *c = p->checks; c && c->rule; c++)   /* out of the plan's range */
        if (pcs_check_applies(c, ti, dir, ver))
            n += one_check(c, st, dir, frame, &d, fn, ud);
    return n;
}

unsigned pcs_flows_check(const struct pcs_flow *f, enum pcs_dir dir,
                         const struct pcs_value *frame, pcs_flows_check_fn fn, void *ud)
{
    if (!f->proto || !f->st)
        return 0;
    return run_checks(f->ft, f->proto, f->st, dir, frame, fn, ud);
}

int pcs_flow_version(const struct pcs_flow *f)
{
    return f->proto && f->st && f->proto->conn_version ? f->proto->conn_version(f->st) : -1;
}

/* ---- framing ---- */

static void midstream(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir)
{
    char why[160];
    snprintf(why, sizeof why, "start of the stream not captured and its first bytes are not "
             "a %s frame: not decoded", f->proto->name);
    end_dir(ft, f, dir, PCS_PW_MIDSTREAM, why);
    if (dir == PCS_DIR_C2S)    /* without the client's start the codec state is unknown */
        end_dir(ft, f, PCS_DIR_S2C, PCS_PW_MIDSTREAM, why);
}

/* A zeroed event but for its diagnostic's buffers (diag_reset). */
static void frame_event(struct pcs_flow_event *ev, struct pcs_flow *f, enum pcs_dir dir)
{
    size_t at = offsetof(struct pcs_flow_event, diag), past = at + sizeof ev->diag;
    memset(ev, 0, at);
    memset((char *)ev + past, 0, sizeof *ev - past);
    diag_reset(&ev->diag);
    ev->kind = PCS_FLOW_FRAME;
    ev->flow = f;
    ev->dir = dir;
    ev->type = -1;
}

static void one_frame(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                      const uint8_t *b, size_t n)
{
    struct pcs_flow_event ev;
    frame_event(&ev, f, dir);
    ev.bytes = b;
    ev.len = n;
    int rc = f->proto->decode(f->st, dir, b, n, ft->cfg.no_values ? NULL : &ev.frame, &ev.diag);
    if (rc) {
        pcs_value_free(ev.frame);
        ev.frame = NULL;
    } else {
        ev.type = pcs_protocol_last_type(f->proto, f->st, ev.frame);
    }
    if (f->d[dir].probe) {
        f->d[dir].probe = false;
        if (rc || run_checks(ft, f->proto, f->st, dir, ev.frame, NULL, NULL)) {
            pcs_value_free(ev.frame);
            midstream(ft, f, dir);
            return;
        }
    }
    if (rc) {
        ev.kind = PCS_FLOW_MALFORMED;
        ft->st.malformed++;
    } else {
        ft->st.frames++;
    }
    ev.frame_no = ++f->frames;
    emit(ft, &ev);
}

/* Frames and decodes every whole frame in b; returns the bytes used. A framing error ends
 * the direction (MALFORMED with the rest of b). */
static size_t frames(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                     const uint8_t *b, size_t n)
{
    struct pcs_flow_dir *D = &f->d[dir];
    size_t off = 0;
    while (off < n && !D->ended) {
        struct pcs_diag d;
        diag_reset(&d);
        ssize_t k = f->proto->frame_length(f->st, b + off, n - off, &d);
        if (k == 0 || (k > 0 && (size_t)k > n - off))
            break;
        if (k < 0) {
            if (D->probe) {
                midstream(ft, f, dir);
                return n;
            }
            struct pcs_flow_event ev = {.kind = PCS_FLOW_MALFORMED, .flow = f, .dir = dir,
                                        .diag = d, .bytes = b + off, .len = n - off,
                                        .frame_no = ++f->frames};
            ft->st.malformed++;
            D->ended = true;
            emit(ft, &ev);
            return n;
        }
        one_frame(ft, f, dir, b + off, (size_t)k);
        off += (size_t)k;
    }
    return off;
}

static bool pend_add(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                     const uint8_t *p, size_t n)
{
    struct pcs_flow_dir *D = &f->d[dir];
    bool probing = D->probe || f->pstate == P_PROBING;
    size_t lim = probing ? PROBE_MAX : ft->cfg.max_dir;
    if (D->pend.len + n > lim || ft->pool.used + n > ft->pool.max) {
        if (f->pstate == P_PROBING)
            return false;
        if (D->probe)
            midstream(ft, f, dir);
        else
            end_dir(ft, f, dir, PCS_PW_BUDGET,
                    "frame larger than the replay buffer limit: not decoded further");
        return false;
    }
    pcs_buf_append(&D->pend, p, n);
    ft->pool.used += n;
    return true;
}

static void pend_frames(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir)
{
    struct pcs_flow_dir *D = &f->d[dir];
    size_t used = frames(ft, f, dir, D->pend.data, D->pend.len);
    if (!D->ended)
        pend_drop(ft, D, used);
}

/* In-order bytes of a decoded direction. A frame begun in an earlier packet is completed in
 * pend first (only the bytes it lacks are copied) and decoded from there; whole frames are
 * decoded straight from p; the start of one that continues later goes to pend. */
static void stream(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                   const uint8_t *p, size_t n)
{
    struct pcs_flow_dir *D = &f->d[dir];
    while (D->pend.len && !D->ended) {
        struct pcs_diag d;
        d.code = 0;
        ssize_t k = f->proto->frame_length(f->st, D->pend.data, D->pend.len, &d);
        if (k < 0 || (k > 0 && (size_t)k <= D->pend.len)) {
            pend_frames(ft, f, dir);   /* whole frames held (a probe's), or a framing error */
            continue;
        }
        if (!n)
            return;
        size_t need = k > 0 ? (size_t)k - D->pend.len : 64;   /* 64: header incomplete */
        size_t take = need < n ? need : n;
        if (!pend_add(ft, f, dir, p, take))
            return;
        p += take;
        n -= take;
        if (k > 0 && take < need)
            return;                    /* the frame goes on in a later packet */
        if (k > 0) {                   /* pend holds exactly the frame now */
            one_frame(ft, f, dir, D->pend.data, (size_t)k);
            if (!D->ended)
                pend_drop(ft, D, (size_t)k);
        }
    }
    if (D->ended || !n)
        return;
    size_t used = frames(ft, f, dir, p, n);
    if (!D->ended && used < n)
        pend_add(ft, f, dir, p + used, n - used);
}

/* ---- protocol choice ---- */

static bool transport_ok(const struct pcs_protocol *p, uint8_t l4)
{
    return l4 == 6 ? p->transport == PCS_TCP && p->frame_length : p->transport == PCS_UDP;
}

static const struct pcs_protocol *by_port(const struct pcs_flows *ft, uint16_t port, uint8_t l4)
{
    for (size_t i = 0; i < ft->cfg.nmap; i++)
        if (ft->cfg.map[i].port == port && transport_ok(ft->cfg.map[i].proto, l4))
            return ft->cfg.map[i].proto;
    for (size_t i = 0; pcs_protocols[i]; i++)
        if (pcs_protocols[i]->default_port == port && transport_ok(pcs_protocols[i], l4))
            return pcs_protocols[i];
    return ft->cfg.fallback && transport_ok(ft->cfg.fallback, l4) ? ft->cfg.fallback : NULL;
}

static void start(struct pcs_flows *ft, struct pcs_flow *f, const struct pcs_protocol *p)
{
    f->proto = p;
    f->st = pcs_xcalloc(1, p->conn_state_size ? p->conn_state_size : 1);
    p->conn_init(f->st, ft->cfg.version);
    f->pstate = P_KNOWN;
    f->opened = true;
    ft->st.decoded++;
    struct pcs_flow_event ev = {.kind = PCS_FLOW_OPENED, .flow = f};
    emit(ft, &ev);
}

static void undecoded(struct pcs_flows *ft, struct pcs_flow *f)
{
    f->pstate = P_NONE;
    ft->st.warn[PCS_PW_UNDECODED]++;
    for (int i = 0; i < 2; i++)
        pend_drop(ft, &f->d[i], f->d[i].pend.len);
}

/* Does protocol p claim these first client bytes? 1 yes, 0 no, -1 not enough bytes yet. */
static int claims(struct pcs_flows *ft, const struct pcs_protocol *p, const struct pcs_buf *b)
{
    void *st = pcs_xcalloc(1, p->conn_state_size ? p->conn_state_size : 1);
    p->conn_init(st, NULL);
    struct pcs_diag d = {0};
    int r = -1;
    ssize_t k = p->frame_length(st, b->data, b->len, &d);
    if (k < 0 || (size_t)k > b->len)
        r = k < 0 ? 0 : -1;
    else if (k > 0) {
        struct pcs_value *v = NULL;
        r = p->decode(st, PCS_DIR_C2S, b->data, (size_t)k, &v, &d) == 0 &&
            run_checks(ft, p, st, PCS_DIR_C2S, v, NULL, NULL) == 0;
        pcs_value_free(v);
    }
    if (p->conn_fini)
        p->conn_fini(st);
    free(st);
    return r;
}

static void claimed(struct pcs_flows *ft, struct pcs_flow *f, const struct pcs_protocol *p)
{
    struct pcs_buf held[2] = {f->d[0].pend, f->d[1].pend};
    for (int i = 0; i < 2; i++) {
        ft->pool.used -= held[i].len;
        pcs_buf_init(&f->d[i].pend);
    }
    start(ft, f, p);
    f->d[PCS_DIR_C2S].probe = false;   /* the probe proved the client's start */
    for (int i = 0; i < 2; i++) {
        if (held[i].len)
            stream(ft, f, (enum pcs_dir)i, held[i].data, held[i].len);
        pcs_buf_free(&held[i]);
    }
}

/* While the protocol is unknown: hold the bytes, try each protocol on the client's. */
static void probe_bytes(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                        const uint8_t *p, size_t n)
{
    if (!pend_add(ft, f, dir, p, n)) {
        undecoded(ft, f);
        return;
    }
    if (dir != PCS_DIR_C2S)
        return;
    bool wait = false;
    for (size_t i = 0; pcs_protocols[i]; i++) {
        if (!transport_ok(pcs_protocols[i], f->l4))
            continue;
        int r = claims(ft, pcs_protocols[i], &f->d[dir].pend);
        if (r == 1) {
            claimed(ft, f, pcs_protocols[i]);
            return;
        }
        wait |= r < 0;
    }
    if (!wait)
        undecoded(ft, f);
}

/* Reassembled bytes (reasm callback). */
static void on_bytes(void *ud, const uint8_t *p, size_t n)
{
    struct pcs_flows *ft = ud;
    struct pcs_flow *f = ft->cf;
    enum pcs_dir dir = ft->cdir;
    struct pcs_flow_dir *D = &f->d[dir];
    if (D->ended)
        return;
    if (D->r.delivered == n)   /* the direction's first bytes */
        D->probe = !D->r.syn;
    if (f->pstate == P_PROBING)
        probe_bytes(ft, f, dir, p, n);
    else if (f->pstate == P_KNOWN)
        stream(ft, f, dir, p, n);
}

/* ---- flow life ---- */

static void finish_dir(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir)
{
    struct pcs_flow_dir *D = &f->d[dir];
    if (f->l4 == 6 && pcs_reasm_finish(&D->r) == PCS_REASM_GAP && f->pstate == P_KNOWN)
        end_dir(ft, f, dir, PCS_PW_GAP, "bytes of the stream were not captured: not decoded "
                "further");
    if (D->pend.len && f->pstate == P_KNOWN)
        end_dir(ft, f, dir, PCS_PW_INCOMPLETE, "the stream ended inside a frame");
}

static void release(struct pcs_flows *ft, struct pcs_flow *f)
{
    for (int i = 0; i < 2; i++) {
        pcs_reasm_fini(&f->d[i].r);
        ft->pool.used -= f->d[i].pend.len;
        pcs_buf_free(&f->d[i].pend);
        pcs_buf_init(&f->d[i].pend);
    }
    if (f->st) {
        if (f->proto->conn_fini)
            f->proto->conn_fini(f->st);
        free(f->st);
        f->st = NULL;
    }
}

/* The flow ends: last events, then it stays as a zombie at the LRU head. */
static void close_flow(struct pcs_flows *ft, struct pcs_flow *f, const char *why)
{
    if (f->closed)
        return;
    for (int i = 0; i < 2; i++)
        finish_dir(ft, f, (enum pcs_dir)i);
    if (f->pstate == P_PROBING && (f->d[0].pend.len || f->d[1].pend.len))
        ft->st.warn[PCS_PW_UNDECODED]++;
    f->closed = true;
    if (f->opened) {
        struct pcs_flow_event ev = {.kind = PCS_FLOW_CLOSED, .flow = f};
        snprintf(ev.diag.msg, sizeof ev.diag.msg, "%s", why);
        emit(ft, &ev);
    }
    release(ft, f);
    lru_unlink(ft, f);
    lru_head(ft, f);
}

static void remove_flow(struct pcs_flows *ft, struct pcs_flow *f)
{
    struct pcs_flow **at = &ft->tab[f->hash & ft->mask];
    while (*at != f)
        at = &(*at)->hnext;
    *at = f->hnext;
    if (ft->recent == f)
        ft->recent = NULL;
    lru_unlink(ft, f);
    release(ft, f);
    free(f);
    ft->st.live--;
}

static void evict(struct pcs_flows *ft)
{
    struct pcs_flow *f = ft->head;
    if (!f->closed && f->opened)
        ft->st.warn[PCS_PW_EVICTED]++;
    close_flow(ft, f, "evicted");
    remove_flow(ft, f);
}

/* Doubles the buckets (up to two per flow the table may hold). The table grows with the
 * flows held rather than being sized for the most it may hold: a small one stays in cache,
 * and finding a packet's bucket is the one memory access every packet makes. */
static void grow(struct pcs_flows *ft)
{
    size_t n = (ft->mask + 1) * 2;
    if (n > ft->max_buckets)
        return;
    struct pcs_flow **tab = pcs_xcalloc(n, sizeof *tab);
    for (size_t i = 0; i <= ft->mask; i++)
        for (struct pcs_flow *f = ft->tab[i], *next; f; f = next) {
            next = f->hnext;
            f->hnext = tab[f->hash & (n - 1)];
            tab[f->hash & (n - 1)] = f;
        }
    free(ft->tab);
    ft->tab = tab;
    ft->mask = n - 1;
}

static struct pcs_flow *create(struct pcs_flows *ft, const struct pcs_pcapread_l4 *p,
                               uint32_t h, enum pcs_dir *dir)
{
    if (ft->st.live >= ft->cfg.max_flows)
        evict(ft);
    uint8_t fl = p->proto == 6 ? p->tcp_flags : 0;
    bool sender_client;
    if (fl & PCS_TCP_SYN)
        sender_client = !(fl & PCS_TCP_ACK);
    else
        sender_client = by_port(ft, p->dport, p->proto) || !by_port(ft, p->sport, p->proto);
    struct pcs_flow *f = pcs_xcalloc(1, sizeof *f);
    f->ft = ft;
    f->id = ++ft->st.flows;
    f->family = p->family;
    f->l4 = p->proto;
    int c = sender_client ? 0 : 1;
    memcpy(f->addr[c], p->src, 16);
    memcpy(f->addr[1 - c], p->dst, 16);
    f->port[c] = p->sport;
    f->port[1 - c] = p->dport;
    f->first = ft->t;
    f->syn = (fl & PCS_TCP_SYN) != 0;
    f->hash = h;
    for (int i = 0; i < 2; i++)
        pcs_reasm_init(&f->d[i].r, &ft->pool);
    if (ft->st.live >= ft->mask)
        grow(ft);
    f->hnext = ft->tab[h & ft->mask];
    ft->tab[h & ft->mask] = f;
    lru_tail(ft, f);
    if (++ft->st.live > ft->st.peak_live)
        ft->st.peak_live = ft->st.live;
    *dir = sender_client ? PCS_DIR_C2S : PCS_DIR_S2C;
    const struct pcs_protocol *proto = by_port(ft, f->port[PCS_DIR_S2C], f->l4);
    if (proto)
        start(ft, f, proto);
    else
        f->pstate = !ft->cfg.no_probe && f->l4 == 6 ? P_PROBING : P_NONE;
    return f;
}

/* ---- packets ---- */

/* dir's side closed or reset: one event per side, after every byte it sent. */
static void tell_fin(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir, const char *why)
{
    if (!f->opened || f->closed || f->d[dir].fin_told)
        return;
    f->d[dir].fin_told = true;
    struct pcs_flow_event ev = {.kind = PCS_FLOW_FIN, .flow = f, .dir = dir};
    snprintf(ev.diag.msg, sizeof ev.diag.msg, "%s", why);
    emit(ft, &ev);
}

static void tcp_packet(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                       const struct pcs_pcapread_l4 *p)
{
    struct pcs_flow_dir *D = &f->d[dir];
    uint8_t fl = p->tcp_flags;
    if (f->pstate == P_NONE)
        return;                /* nobody decodes it: no reassembly either */
    if (fl & PCS_TCP_RST) {
        tell_fin(ft, f, dir, "reset");
        close_flow(ft, f, "reset");
        return;
    }
    ft->cf = f;
    ft->cdir = dir;
    bool cut = p->paylen < p->wirelen;
    enum pcs_reasm_status s = pcs_reasm_push(&D->r, cut ? fl & ~PCS_TCP_FIN : fl, p->seq,
                                             p->payload, p->paylen, on_bytes, ft);
    if (cut && (fl & PCS_TCP_FIN) && s == PCS_REASM_OK)   /* the FIN is past the lost bytes */
        s = pcs_reasm_push(&D->r, PCS_TCP_FIN, p->seq + p->wirelen, NULL, 0, on_bytes, ft);
    if (s == PCS_REASM_GAP && f->pstate == P_KNOWN)
        end_dir(ft, f, dir, D->r.budget ? PCS_PW_BUDGET : PCS_PW_GAP,
                D->r.budget ? "too many bytes held out of order: not decoded further"
                            : "bytes of the stream were not captured: not decoded further");
    if (s == PCS_REASM_FIN && D->pend.len && f->pstate == P_KNOWN)
        end_dir(ft, f, dir, PCS_PW_INCOMPLETE, "the stream ended inside a frame");
    if (s == PCS_REASM_FIN || D->r.done)
        tell_fin(ft, f, dir, "fin");
    if (f->d[0].r.done && f->d[1].r.done)
        close_flow(ft, f, "fin");
}

static void udp_packet(struct pcs_flows *ft, struct pcs_flow *f, enum pcs_dir dir,
                       const struct pcs_pcapread_l4 *p)
{
    if (f->pstate != P_KNOWN || !p->paylen)
        return;
    if (p->paylen < p->wirelen) {
        ft->st.warn[PCS_PW_INCOMPLETE]++;
        return;
    }
    one_frame(ft, f, dir, p->payload, p->paylen);
}

void pcs_flows_packet(struct pcs_flows *ft, const struct pcs_pcapread_l4 *p, pcs_time t,
                      uint64_t packet)
{
    if (p->proto != 6 && p->proto != 17)
        return;
    if (p->proto == 6 && !p->paylen && !(p->tcp_flags & (PCS_TCP_SYN | PCS_TCP_FIN | PCS_TCP_RST)))
        return;   /* a bare ACK changes nothing a flow holds: not even looked up */
    ft->t = t;
    ft->packet = packet;
    uint32_t h = 0;
    enum pcs_dir dir = PCS_DIR_C2S;
    struct pcs_flow *f = lookup(ft, p, &h, &dir);
    uint8_t fl = p->proto == 6 ? p->tcp_flags : 0;
    bool syn = (fl & (PCS_TCP_SYN | PCS_TCP_ACK)) == PCS_TCP_SYN;
    if (f && syn && (f->closed || (f->d[dir].r.syn && f->d[dir].r.next != p->seq + 1))) {
        close_flow(ft, f, "fin");          /* a new connection on the same 5-tuple */
        remove_flow(ft, f);
        f = NULL;
    }
    if (!f) {
        if (!p->paylen && !(fl & PCS_TCP_SYN))
            return;            /* nothing to start a flow on (a late ACK, a stray RST) */
        f = create(ft, p, h, &dir);
    }
    f->packets++;
    f->bytes += p->paylen;
    f->last = t;
    if (f->closed)
        return;
    if (ft->tail != f) {       /* most recently active: the LRU tail */
        lru_unlink(ft, f);
        lru_tail(ft, f);
    }
    if (p->proto == 6)
        tcp_packet(ft, f, dir, p);
    else
        udp_packet(ft, f, dir, p);
}

/* ---- table life ---- */

struct pcs_flows *pcs_flows_new(const struct pcs_flows_config *cfg, pcs_flows_fn fn, void *ud)
{
    struct pcs_flows *ft = pcs_xcalloc(1, sizeof *ft);
    ft->cfg = *cfg;
    if (!ft->cfg.max_flows)
        ft->cfg.max_flows = 16384;
    if (!ft->cfg.max_buffered)
        ft->cfg.max_buffered = (size_t)24 << 20;
    if (!ft->cfg.max_dir)
        ft->cfg.max_dir = (size_t)16 << 20;
    if (!ft->cfg.max_segs)
        ft->cfg.max_segs = 1024;
    ft->pool = (struct pcs_reasm_pool){.max = ft->cfg.max_buffered, .max_dir = ft->cfg.max_dir,
                                       .max_segs = ft->cfg.max_segs};
    ft->max_buckets = 64;
    while (ft->max_buckets < ft->cfg.max_flows * 2)
        ft->max_buckets <<= 1;
    ft->tab = pcs_xcalloc(64, sizeof *ft->tab);
    ft->mask = 63;
    ft->fn = fn;
    ft->ud = ud;
    return ft;
}

static int by_id(const void *a, const void *b)
{
    const struct pcs_flow *x = *(const struct pcs_flow *const *)a;
    const struct pcs_flow *y = *(const struct pcs_flow *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

void pcs_flows_finish(struct pcs_flows *ft, pcs_time t, uint64_t packet)
{
    ft->t = t;
    ft->packet = packet;
    struct pcs_flow **live = pcs_xmalloc((ft->st.live + 1) * sizeof *live);
    size_t n = 0;
    for (struct pcs_flow *f = ft->head; f; f = f->lnext)
        if (!f->closed)
            live[n++] = f;
    qsort(live, n, sizeof *live, by_id);
    for (size_t i = 0; i < n; i++)
        close_flow(ft, live[i], "end of capture");
    free(live);
}

void pcs_flows_free(struct pcs_flows *ft)
{
    if (!ft)
        return;
    while (ft->head)
        remove_flow(ft, ft->head);
    plans_free(ft);
    free(ft->tab);
    free(ft);
}

const struct pcs_flows_stats *pcs_flows_stats(const struct pcs_flows *ft) { return &ft->st; }

int pcs_flows_parse_map(const char *arg, struct pcs_flows_map *out, struct pcs_diag *d)
{
    char *end;
    long port = strtol(arg, &end, 10);
    if (end == arg || *end != '=' || port < 1 || port > 65535)
        return pcs_diag_set(d, PCS_ERR_INVALID, NULL,
                            "--decode-as wants PORT=PROTOCOL (e.g. 8883=mqtt), not '%s'", arg);
    out->port = (uint16_t)port;
    out->proto = pcs_protocol_find(end + 1);
    if (!out->proto)
        return pcs_diag_set(d, PCS_ERR_INVALID, NULL, "--decode-as: unknown protocol '%s'",
                            end + 1);
    return 0;
}
