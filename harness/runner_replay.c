/* runner_replay.c — a spec replayed over a recorded capture (`pcs replay --spec`, and the
 * judging of an observed client): each peer takes the recorded connections in order of
 * appearance (or the one --peer names), send steps consume the peer's own recorded frames,
 * expect steps get the implementation's, and the capture's clock is the run's. */
#include "runner_int.h"

#include <stdlib.h>
#include <string.h>

#include "frametext.h"
#include "match.h"

static void rec_trace(struct run *r, const struct pcs_peer *p, const struct pcs_rec_event *e)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    if (e->closed)
        pcs_buf_printf(&b, e->from_peer ? "close%s" : "closed%s",
                       strcmp(e->diag.msg, "reset") == 0 ? " (reset)" : "");
    else if (e->malformed)
        pcs_buf_printf(&b, "malformed: %s", e->diag.msg);
    else
        pcs_frametext_frame(&b, e->frame);
    pcs_case_add_trace(r->res, since(r, e->t), p->name, e->from_peer ? '>' : '<',
                       pcs_buf_cstr(&b));
    r->res->trace[r->res->ntrace - 1].frame_no = e->packet;
    pcs_buf_free(&b);
}

void run_replay_begin(struct run *r)
{
    r->t0 = r->cursor = r->rec->n ? r->rec->conns[0].opened : 0;
    r->rec_conn = pcs_xcalloc(r->s->npeers, sizeof *r->rec_conn);
    for (size_t i = 0; i < r->s->npeers; i++)
        r->rec_conn[i] = SIZE_MAX;   /* no connection yet */
    r->rec_out = pcs_xcalloc(r->s->npeers, sizeof *r->rec_out);
    r->conn_used = pcs_xcalloc(r->rec->n + 1, sizeof *r->conn_used);
}

/* Is this connection named by --peer (so it is not handed out in order)? */
static bool claimed(const struct pcs_recording *rec, const char *endpoint)
{
    for (const char *const *m = rec->peer_map; m && m[0]; m += 2)
        if (strcmp(m[1], endpoint) == 0)
            return true;
    return false;
}

/* Hands p the next recorded connection, in order of appearance: what the implementation sent
 * goes to p's queue (as far as a live peer would have read: until pcs's side closed), with
 * its rule violations; what p sent waits for the send steps. */
int run_replay_connect(struct run *r, struct pcs_peer *p)
{
    size_t pi = peer_index(r, p);
    bool first = r->rec_conn[pi] == SIZE_MAX;
    const char *want = NULL;   /* --peer NAME=IP:PORT names a peer's first connection */
    for (const char *const *m = r->rec->peer_map; m && m[0] && first; m += 2)
        if (strcmp(m[0], p->name) == 0)
            want = m[1];
    size_t ci = 0;
    while (ci < r->rec->n &&
           (r->conn_used[ci] || (want ? strcmp(r->rec->conns[ci].endpoint, want) != 0
                                      : claimed(r->rec, r->rec->conns[ci].endpoint))))
        ci++;
    if (ci >= r->rec->n) {
        run_error(r, want ? "the capture holds no connection from %s" : "%s",
              want ? want : "the capture holds no further connection for this peer");
        return -1;
    }
    r->conn_used[ci] = true;
    const struct pcs_rec_conn *c = &r->rec->conns[ci];
    r->rec_conn[pi] = ci;
    r->rec_out[pi] = 0;
    size_t end = c->n;
    bool closed = false;
    for (size_t i = 0; i < c->n && end == c->n; i++) {
        if (c->ev[i].closed && c->ev[i].from_peer)
            end = i + 1;
        closed |= c->ev[i].closed && !c->ev[i].from_peer;
    }
    if (c->opened > r->cursor)
        r->cursor = c->opened;
    pcs_peer_replay_begin(p, closed);
    run_trace(r, p->name, '!', "connected");
    for (size_t i = 0; i < end; i++) {
        const struct pcs_rec_event *e = &c->ev[i];
        rec_trace(r, p, e);
        if (e->from_peer)
            continue;
        struct pcs_event ev = {.kind = e->closed      ? PCS_EV_CLOSED
                                       : e->malformed ? PCS_EV_MALFORMED
                                                      : PCS_EV_FRAME,
                               .t = e->t, .frame = e->frame, .diag = e->diag};
        pcs_peer_queue(p, &ev);
        pcs_time at = r->cursor;
        r->cursor = e->t;          /* notes on the frame carry its time */
        if (e->malformed)
            run_malformed(r, p->name, &e->diag);
        for (size_t k = 0; k < e->nviolations; k++)
            run_violation(r, p->name, e->frame, &e->violations[k]);
        r->cursor = at;
    }
    return 0;
}

/* Replays: ${uniq} of the recorded run, recovered from the first frame pcs sent — a `with`
 * string written with ${uniq} is split around it and matched against the recorded value. */
static void bind_uniq(struct run *r, const struct pcs_step *st, const struct pcs_value *frame)
{
    struct pcs_value *probe = run_spec_vars(r->s, "\x01"), *with = NULL;
    struct pcs_diag d = {0};
    char *uniq = NULL;
    if (pcs_template_apply(st->with, probe, &with, &d) == 0 && with && with->type == PCS_V_MAP)
        for (size_t i = 0; !uniq && i < with->u.c.n; i++) {
            const struct pcs_value *w = with->u.c.items[i];
            const char *rec = pcs_value_get_str(frame, with->u.c.keys[i]);
            const char *hole = w->type == PCS_V_STR ? strchr(w->u.s.p, '\x01') : NULL;
            if (!rec || !hole)
                continue;
            size_t pre = (size_t)(hole - w->u.s.p), post = strlen(hole + 1), n = strlen(rec);
            if (n > pre + post && strncmp(rec, w->u.s.p, pre) == 0 &&
                strcmp(rec + n - post, hole + 1) == 0)
                uniq = pcs_xstrndup(rec + pre, n - pre - post);
        }
    if (uniq) {
        pcs_value_free(r->vars);
        r->vars = run_spec_vars(r->s, uniq);
        r->uniq_bound = true;
    }
    free(uniq);
    pcs_value_free(with);
    pcs_value_free(probe);
}

/* Replays: ${uniq} of the recorded run, from what the client under test sent after an invoke
 * step (its `with` names fields such as client_id and topic). */
void run_replay_invoked(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    const struct pcs_rec_conn *c = &r->rec->conns[r->rec_conn[peer_index(r, p)]];
    for (size_t i = 0; i < c->n && !r->uniq_bound; i++)
        if (!c->ev[i].from_peer && c->ev[i].frame)
            bind_uniq(r, st, c->ev[i].frame);
}

/* Replays: a send step takes the next frame the peer sent on its recorded connection. */
void run_replay_send(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    size_t pi = peer_index(r, p);
    const struct pcs_rec_conn *c = &r->rec->conns[r->rec_conn[pi]];
    size_t i = r->rec_out[pi];
    while (i < c->n && !(c->ev[i].from_peer && !c->ev[i].closed))
        i++;
    if (i >= c->n) {
        run_trace(r, p->name, '!', "the capture has no more frames from this peer");
        return;
    }
    r->rec_out[pi] = i + 1;
    if (c->ev[i].t > r->cursor)
        r->cursor = c->ev[i].t;
    if (!r->uniq_bound && st->kind == PCS_STEP_SEND && c->ev[i].frame)
        bind_uniq(r, st, c->ev[i].frame);
}

static int by_time(const void *a, const void *b)
{
    const struct pcs_trace_entry *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* Replays: the trace in capture order (connections were handed out as steps reached them). */
void run_replay_finish(struct run *r)
{
    if (!r->rec)
        return;
    /* a stable sort: entries at the same time keep their order */
    for (size_t i = 1; i < r->res->ntrace; i++)
        for (size_t j = i; j > 0 && by_time(&r->res->trace[j - 1], &r->res->trace[j]) > 0; j--) {
            struct pcs_trace_entry t = r->res->trace[j];
            r->res->trace[j] = r->res->trace[j - 1];
            r->res->trace[j - 1] = t;
        }
    free(r->rec_conn);
    free(r->rec_out);
    free(r->conn_used);
}
