/* runner.c — one spec run: set up the target and the virtual peers, walk the steps in order
 * (send, expect a set of acceptable reactions, expect nothing for a window, invoke a client
 * action), run the always-on checks on every frame the implementation sends, and turn what
 * happened into a verdict with findings and a frame trace. Waits are event-driven with
 * deadlines. The run owns its loop, peers, variables and child processes. */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "capture.h"
#include "frametext.h"
#include "match.h"
#include "peer.h"
#include "replay_spec.h"
#include "stub.h"

#define MAX_CHILDREN 16

struct run {
    const struct pcs_spec *s;
    const struct pcs_run_opts *o;
    struct pcs_case_result *res;
    struct pcs_loop *loop;
    struct pcs_peer **peers;
    struct pcs_value *vars;
    struct pcs_stub_thread *stub;
    const char *host;
    uint16_t port;
    pcs_time t0, deadline;
    pid_t children[MAX_CHILDREN];
    size_t nchildren;
    struct pcs_stub_client_thread *clients[MAX_CHILDREN];   /* the stub's client actions */
    size_t nclients;
    bool stop;                       /* a step failed or errored: no further steps */
    const struct pcs_recording *rec; /* replaying a capture: no sockets, capture time */
    pcs_time cursor;                 /* replay: the capture time the steps have reached */
    bool *conn_used;                 /* replay: recorded connections handed out already */
    size_t *rec_conn;                /* replay, per peer: its current recorded connection
                                        (SIZE_MAX before its first) */
    size_t *rec_out;                 /* replay, per peer: next of its own frames to send */
    bool uniq_bound;                 /* replay: ${uniq} recovered from the capture */
    struct pcs_capture *cap;         /* this run's pcap, or NULL */
    uint32_t *cap_conn;              /* per peer: capture connection id of its connection */
    size_t *cap_seen;                /* per peer: p->connections when cap_conn was taken */
};

static pcs_time scaled(const struct run *r, uint64_t ns)
{
    double x = (double)ns * (r->o->timeout_scale > 0 ? r->o->timeout_scale : 1.0);
    return (pcs_time)x;
}

static double since(const struct run *r, pcs_time t) { return (double)(t - r->t0) / 1e9; }

/* The run's clock: the monotonic clock live, the capture's time in a replay. */
static pcs_time now(const struct run *r) { return r->rec ? r->cursor : pcs_now(); }

/* The spec's variables for one run: ${uniq}, then `vars` in order (each may use those above). */
static struct pcs_value *spec_vars(const struct pcs_spec *s, const char *uniq)
{
    struct pcs_value *vars = pcs_value_map();
    pcs_value_set(vars, "uniq", pcs_value_str(uniq));
    for (size_t i = 0; s->vars && i < s->vars->u.c.n; i++) {
        struct pcs_value *v = NULL;
        struct pcs_diag d = {0};
        if (pcs_template_apply(s->vars->u.c.items[i], vars, &v, &d) == 0)
            pcs_value_set(vars, s->vars->u.c.keys[i], v);
    }
    return vars;
}

/* ---- findings and verdicts ---- */

static const struct pcs_rule *rule_of(const struct run *r, const char *id)
{
    const struct pcs_catalogue *c =
        r->o->rb ? pcs_rulebook_catalogue(r->o->rb, r->s->protocol, r->s->version) : NULL;
    return c && id ? pcs_catalogue_rule(c, id) : NULL;
}

static void raise_verdict(struct run *r, enum pcs_verdict v)
{
    if (v > r->res->verdict)
        r->res->verdict = v;
}

/* A step or check did not hold: a finding citing rule (or the spec's first rule). */
static struct pcs_finding *finding(struct run *r, const char *rule, uint32_t line, uint32_t col,
                                   const char *message)
{
    if (!rule && r->s->nrules)
        rule = r->s->rules[0];
    const struct pcs_rule *ru = rule_of(r, rule);
    struct pcs_finding *f = pcs_case_add_finding(r->res, rule, ru ? ru->level : "MUST", message);
    if (ru && ru->summary)
        f->summary = pcs_xstrdup(ru->summary);
    if (ru && ru->applies_to)
        f->applies_to = pcs_xstrdup(ru->applies_to);
    f->file = pcs_xstrdup(r->s->file);
    f->line = (int)line;
    f->col = (int)col;
    f->warning = ru && !pcs_rule_is_mandatory(ru) && !r->o->strict;
    raise_verdict(r, f->warning ? PCS_WARN : PCS_FAIL);
    return f;
}

static void error(struct run *r, const char *fmt, const char *detail)
{
    char *msg = pcs_xasprintf(fmt, detail);
    if (!r->res->reason)
        r->res->reason = msg;
    else
        free(msg);
    raise_verdict(r, PCS_ERROR);
    r->stop = true;
}

/* ---- trace ---- */

static void event_text(struct pcs_buf *b, const struct pcs_event *ev, const uint8_t *bytes,
                       size_t len)
{
    switch (ev->kind) {
    case PCS_EV_FRAME:
        pcs_frametext_frame(b, ev->frame);
        break;
    case PCS_EV_MALFORMED:
        if (bytes) {
            struct pcs_value *raw = pcs_value_bytes(bytes, len);
            pcs_buf_append(b, "raw ", 4);
            pcs_value_to_text(raw, b, 200);
            pcs_value_free(raw);
            if (ev->diag.msg[0])
                pcs_buf_printf(b, " (%s)", ev->diag.msg);
        } else {
            pcs_buf_printf(b, "malformed %zu bytes: %s%s%s%s", ev->len, ev->diag.msg,
                           ev->diag.rule[0] ? " [" : "", ev->diag.rule, ev->diag.rule[0] ? "]" : "");
        }
        break;
    case PCS_EV_CLOSED:
        pcs_buf_printf(b, "closed%s%s", ev->diag.msg[0] ? ": " : "", ev->diag.msg);
        break;
    }
}

static void trace(struct run *r, const char *peer, char dir, const char *text)
{
    pcs_case_add_trace(r->res, since(r, now(r)), peer, dir, text);
}

/* ---- always-on checks on what the implementation sends ---- */

/* The implementation sent bytes that do not decode (d cites the rule they break). */
static void malformed(struct run *r, const char *peer, const struct pcs_diag *d)
{
    char *m = pcs_xasprintf("%s sent a malformed frame: %s", peer, d->msg);
    struct pcs_finding *f = finding(r, d->rule[0] ? d->rule : NULL, 0, 0, m);
    f->observed = pcs_xstrdup(d->msg);
    free(m);
}

/* A frame from the implementation broke an always-on rule (d: the rule and what is wrong). */
static void violation(struct run *r, const char *peer, const struct pcs_value *frame,
                      const struct pcs_diag *d)
{
    const char *expected = d->rule;
    for (const struct pcs_check *c = r->s->proto->checks; c && c->rule; c++)
        if (strcmp(c->rule, d->rule) == 0 && c->summary) {
            expected = c->summary;
            break;
        }
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_frametext_frame(&b, frame);
    struct pcs_finding *f = finding(r, d->rule, 0, 0, d->msg);
    f->observed = pcs_xstrdup(pcs_buf_cstr(&b));
    f->expected = pcs_xstrdup(expected);
    pcs_buf_free(&b);
    trace(r, peer, '!', d->msg);
}

static void run_checks(struct run *r, struct pcs_peer *p, const struct pcs_event *ev)
{
    enum pcs_dir in = p->out == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    int ver = r->s->proto->conn_version ? r->s->proto->conn_version(p->st) : r->s->version_index;
    if (ver < 0)
        ver = r->s->version_index;
    if (ev->kind == PCS_EV_MALFORMED) {
        malformed(r, p->name, &ev->diag);
        return;
    }
    int ti = pcs_protocol_frame_index(r->s->proto, ev->frame);
    for (const struct pcs_check *c = r->s->proto->checks; c && c->rule; c++) {
        if (!pcs_check_applies(c, ti, in, ver))
            continue;
        struct pcs_diag d = {0};
        if (c->fn(p->st, in, ev->frame, &d) == 0)
            continue;
        if (!d.rule[0])
            snprintf(d.rule, sizeof d.rule, "%s", c->rule);
        violation(r, p->name, ev->frame, &d);
    }
}

/* ---- capture ---- */

static size_t peer_index(const struct run *r, const struct pcs_peer *p)
{
    size_t i = 0;
    while (r->peers[i] != p)
        i++;
    return i;
}

/* The capture connection of p's current connection, reporting it when it is new. */
static uint32_t cap_conn(struct run *r, struct pcs_peer *p)
{
    if (!r->cap)
        return 0;
    size_t i = peer_index(r, p);
    if (r->cap_seen[i] != p->connections && p->fd >= 0) {
        r->cap_seen[i] = p->connections;
        r->cap_conn[i] = pcs_capture_conn_fd(r->cap, p->fd, !p->server, pcs_now());
    }
    return r->cap_conn[i];
}

/* pcs is about to close p's connection: a frame ref of its FIN, or 0. */
static uint32_t cap_closing(struct run *r, struct pcs_peer *p)
{
    if (!r->cap || p->fd < 0 || p->eof)
        return 0;
    return pcs_capture_closed(r->cap, cap_conn(r, p), p->out, false, pcs_now());
}

/* After the target is up (its port known) and before any step. */
static void cap_open(struct run *r)
{
    struct pcs_diag d = {0};
    if (!r->o->capture_dir ||
        pcs_capture_open(&r->cap, r->o->capture_dir, r->s->id, r->o->capture_mode, &d)) {
        if (d.code)
            trace(r, "-", '!', d.msg);
        return;
    }
    r->cap_conn = pcs_xcalloc(r->s->npeers, sizeof *r->cap_conn);
    r->cap_seen = pcs_xcalloc(r->s->npeers, sizeof *r->cap_seen);
    if (r->port)
        pcs_capture_watch_port(r->cap, r->port, &d);
    for (size_t i = 0; i < r->s->npeers; i++)
        if (r->peers[i]->server)
            pcs_capture_watch_port(r->cap, r->peers[i]->listen_port, &d);
}

/* After the peers are closed and the stub stopped: the pcap path, and frame refs in the
 * trace turned into frame numbers. */
static void cap_finish(struct run *r)
{
    if (!r->cap)
        return;
    struct pcs_diag d = {0};
    const char *path = pcs_capture_finish(r->cap, &d);
    if (path)
        r->res->pcap = pcs_xstrdup(path);
    for (size_t i = 0; i < r->res->ntrace; i++)
        r->res->trace[i].frame_no = pcs_capture_frame_no(r->cap, r->res->trace[i].frame_no);
    pcs_capture_free(r->cap);
    free(r->cap_conn);
    free(r->cap_seen);
}

static void on_event(struct pcs_peer *p, const struct pcs_event *ev, bool sent,
                     const uint8_t *bytes, size_t len, void *ud)
{
    struct run *r = ud;
    struct pcs_buf b;
    pcs_buf_init(&b);
    event_text(&b, ev, sent ? bytes : NULL, len);
    trace(r, p->name, sent ? '>' : '<', pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    enum pcs_dir in = p->out == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    uint32_t conn = cap_conn(r, p);
    uint32_t *frame_no = &r->res->trace[r->res->ntrace - 1].frame_no;   /* a ref until the end */
    if (ev->kind == PCS_EV_CLOSED)
        *frame_no = pcs_capture_closed(r->cap, conn, in, strcmp(ev->diag.msg, "reset") == 0, ev->t);
    else if (bytes && len)
        *frame_no = pcs_capture_data(r->cap, conn, sent ? p->out : in, bytes, len, ev->t);
    if (!sent && ev->kind != PCS_EV_CLOSED)
        run_checks(r, p, ev);
}

/* ---- waiting ---- */

static bool interrupted(const struct run *r)
{
    return r->o->interrupted && *r->o->interrupted;
}

/* One turn of the loop; the time blocked in it counts as waiting (on the target, or for a
 * window the spec asks for), so what is left of a case's wall time is pcs's own overhead. */
static void wait_once(struct run *r, pcs_time deadline)
{
    pcs_time t = pcs_now();
    pcs_loop_run_once(r->loop, deadline);
    r->res->waited += (double)(pcs_now() - t) / 1e9;
}

/* Runs the loop until the peer has an event at queue index i or the deadline passes. */
static const struct pcs_event *wait_event(struct run *r, struct pcs_peer *p, size_t i,
                                          pcs_time deadline)
{
    if (r->rec) {   /* every recorded event is queued already: it came in time, or not */
        const struct pcs_event *ev = pcs_peer_peek(p, i);
        if (ev && ev->t <= deadline) {
            if (ev->t > r->cursor)
                r->cursor = ev->t;
            return ev;
        }
        if (deadline > r->cursor && (ev || !pcs_peer_done(p)))
            r->cursor = deadline;
        return NULL;
    }
    for (;;) {
        const struct pcs_event *ev = pcs_peer_peek(p, i);
        if (ev || pcs_peer_done(p) || interrupted(r))
            return ev;
        pcs_time now = pcs_now();
        if (now >= deadline)
            return NULL;
        wait_once(r, deadline);
    }
}

static pcs_time step_deadline(struct run *r, uint64_t within)
{
    pcs_time d = now(r) + scaled(r, within ? within : PCS_SEC(2));
    return d < r->deadline ? d : r->deadline;
}

/* ---- steps ---- */

/* ---- replay: recorded connections instead of sockets ---- */

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
static int replay_connect(struct run *r, struct pcs_peer *p)
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
        error(r, want ? "the capture holds no connection from %s" : "%s",
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
    trace(r, p->name, '!', "connected");
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
            malformed(r, p->name, &e->diag);
        for (size_t k = 0; k < e->nviolations; k++)
            violation(r, p->name, e->frame, &e->violations[k]);
        r->cursor = at;
    }
    return 0;
}

/* Replays: ${uniq} of the recorded run, recovered from the first frame pcs sent — a `with`
 * string written with ${uniq} is split around it and matched against the recorded value. */
static void bind_uniq(struct run *r, const struct pcs_step *st, const struct pcs_value *frame)
{
    struct pcs_value *probe = spec_vars(r->s, "\x01"), *with = NULL;
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
        r->vars = spec_vars(r->s, uniq);
        r->uniq_bound = true;
    }
    free(uniq);
    pcs_value_free(with);
    pcs_value_free(probe);
}

/* Replays: ${uniq} of the recorded run, from what the client under test sent after an invoke
 * step (its `with` names fields such as client_id and topic). */
static void bind_uniq_invoked(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    const struct pcs_rec_conn *c = &r->rec->conns[r->rec_conn[peer_index(r, p)]];
    for (size_t i = 0; i < c->n && !r->uniq_bound; i++)
        if (!c->ev[i].from_peer && c->ev[i].frame)
            bind_uniq(r, st, c->ev[i].frame);
}

/* Replays: a send step takes the next frame the peer sent on its recorded connection. */
static void replay_send(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    size_t pi = peer_index(r, p);
    const struct pcs_rec_conn *c = &r->rec->conns[r->rec_conn[pi]];
    size_t i = r->rec_out[pi];
    while (i < c->n && !(c->ev[i].from_peer && !c->ev[i].closed))
        i++;
    if (i >= c->n) {
        trace(r, p->name, '!', "the capture has no more frames from this peer");
        return;
    }
    r->rec_out[pi] = i + 1;
    if (c->ev[i].t > r->cursor)
        r->cursor = c->ev[i].t;
    if (!r->uniq_bound && st->kind == PCS_STEP_SEND && c->ev[i].frame)
        bind_uniq(r, st, c->ev[i].frame);
}

static int ensure_connected(struct run *r, struct pcs_peer *p)
{
    if (r->rec)
        return p->connections ? 0 : replay_connect(r, p);
    if (p->server || p->fd >= 0 || p->connections > 0)
        return 0;
    struct pcs_diag d = {0};
    if (pcs_peer_connect(p, r->host, r->port, step_deadline(r, PCS_SEC(5)), &d)) {
        error(r, "%s", d.msg);
        return -1;
    }
    trace(r, p->name, '!', "connected");
    cap_conn(r, p);
    return 0;
}

static bool ignored(const struct run *r, const struct pcs_step *st, const struct pcs_event *ev)
{
    if (ev->kind != PCS_EV_FRAME)
        return false;
    const char *type = pcs_value_get_str(ev->frame, "type");
    for (size_t i = 0; type && i < st->nignore; i++)
        if (strcmp(st->ignore[i], type) == 0)
            return true;
    for (size_t i = 0; type && i < r->s->nignore; i++)
        if (strcmp(r->s->ignore[i], type) == 0)
            return true;
    return false;
}

static bool alt_holds(struct run *r, const struct pcs_expect_alt *a, const struct pcs_event *ev,
                      struct pcs_buf *why)
{
    if (strcmp(a->frame, "closed") == 0)
        return ev->kind == PCS_EV_CLOSED;
    if (ev->kind != PCS_EV_FRAME)
        return false;
    const char *type = pcs_value_get_str(ev->frame, "type");
    if (!type || strcmp(type, a->frame) != 0)
        return false;
    struct pcs_value *pat = NULL;
    struct pcs_diag d = {0};
    if (pcs_template_apply(a->match, r->vars, &pat, &d)) {
        pcs_buf_printf(why, "%s", d.msg);
        return false;
    }
    bool ok = pcs_match(pat, ev->frame, "", why);
    pcs_value_free(pat);
    return ok;
}

static void describe_alts(struct pcs_buf *b, const struct pcs_step *st)
{
    for (size_t i = 0; i < st->nalts; i++) {
        if (i)
            pcs_buf_append(b, "\nor ", 4);
        pcs_buf_printf(b, "%s", st->alts[i].frame);
        if (st->alts[i].match) {
            pcs_buf_putc(b, ' ');
            pcs_value_to_text(st->alts[i].match, b, 300);
        }
    }
}

static void save_vars(struct run *r, const struct pcs_step *st, const struct pcs_expect_alt *a,
                      const struct pcs_event *ev)
{
    for (size_t i = 0; a->save && i < a->save->u.c.n; i++) {
        const struct pcs_value *path = a->save->u.c.items[i];
        const struct pcs_value *v =
            path->type == PCS_V_STR ? pcs_value_path(ev->frame, path->u.s.p) : NULL;
        if (!v) {
            char *m = pcs_xasprintf("cannot save '%s': the frame has no field '%s'",
                                    a->save->u.c.keys[i],
                                    path->type == PCS_V_STR ? path->u.s.p : "?");
            finding(r, st->rule, a->line, a->col, m);
            free(m);
            r->stop = true;
            return;
        }
        pcs_value_set(r->vars, a->save->u.c.keys[i], pcs_value_clone(v));
    }
}

/* Nothing acceptable arrived in time: a finding, unless the spec's own deadline cut the wait
 * short (then the spec could not be run to its end: an error). */
static void expect_timeout(struct run *r, const struct pcs_step *st, const struct pcs_peer *p)
{
    if (r->deadline <= now(r)) {
        char secs[32];
        snprintf(secs, sizeof secs, "%.3g", (double)scaled(r, r->s->timeout_ns) / 1e9);
        error(r, "the spec's timeout (%ss) ran out", secs);
        return;
    }
    struct pcs_buf exp;
    pcs_buf_init(&exp);
    describe_alts(&exp, st);
    char *m = pcs_xasprintf("expected %s within %.3gs; nothing arrived",
                            st->nalts == 1 ? st->alts[0].frame : "one of the reactions",
                            (double)scaled(r, st->within_ns ? st->within_ns : PCS_SEC(2)) / 1e9);
    struct pcs_finding *f = finding(r, st->rule, st->line, st->col, m);
    f->expected = pcs_xstrdup(pcs_buf_cstr(&exp));
    f->observed = pcs_xstrdup(p->eof && p->connections ? "nothing (connection closed)" : "nothing");
    free(m);
    pcs_buf_free(&exp);
    r->stop = true;
}

/* ev is none of the acceptable reactions: a finding listing them all, then what came. */
static void expect_mismatch(struct run *r, const struct pcs_step *st, const struct pcs_event *ev,
                            const struct pcs_buf *why)
{
    struct pcs_buf exp, obs;
    pcs_buf_init(&exp);
    pcs_buf_init(&obs);
    describe_alts(&exp, st);
    event_text(&obs, ev, NULL, 0);
    if (why->len)
        pcs_buf_printf(&obs, "\n%.*s", (int)why->len, (const char *)why->data);
    char *m = pcs_xasprintf("expected %s; got %s",
                            st->nalts == 1 ? st->alts[0].frame : "one of the reactions",
                            ev->kind == PCS_EV_FRAME    ? pcs_value_get_str(ev->frame, "type")
                            : ev->kind == PCS_EV_CLOSED ? "the connection closed"
                                                        : "a malformed frame");
    struct pcs_finding *f = finding(r, st->rule, st->line, st->col, m);
    f->expected = pcs_xstrdup(pcs_buf_cstr(&exp));
    f->observed = pcs_xstrdup(pcs_buf_cstr(&obs));
    free(m);
    pcs_buf_free(&exp);
    pcs_buf_free(&obs);
    r->stop = true;
}

static void step_expect(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    pcs_time deadline = step_deadline(r, st->within_ns);
    /* a connection that closed earlier stays closed: `expect: closed` holds again */
    static const struct pcs_event still_closed = {.kind = PCS_EV_CLOSED};
    for (;;) {
        const struct pcs_event *ev = wait_event(r, p, 0, deadline);
        if (interrupted(r))
            return;
        if (!ev && pcs_peer_done(p) && p->connections)
            ev = &still_closed;
        if (!ev) {
            expect_timeout(r, st, p);
            return;
        }
        if (ignored(r, st, ev)) {
            pcs_peer_pop(p);
            continue;
        }
        struct pcs_buf why;
        pcs_buf_init(&why);
        size_t i;
        for (i = 0; i < st->nalts; i++) {
            why.len = 0;
            if (alt_holds(r, &st->alts[i], ev, &why))
                break;
        }
        if (i == st->nalts)
            expect_mismatch(r, st, ev, &why);
        else if (ev->kind == PCS_EV_FRAME)
            save_vars(r, st, &st->alts[i], ev);
        pcs_buf_free(&why);
        pcs_peer_pop(p);
        return;
    }
}

static bool listed(const struct pcs_step *st, const struct pcs_event *ev)
{
    const char *type = ev->kind == PCS_EV_CLOSED ? "closed"
                       : ev->kind == PCS_EV_FRAME ? pcs_value_get_str(ev->frame, "type")
                                                  : NULL;
    for (size_t i = 0; type && i < st->nnone; i++)
        if (strcmp(st->none[i], type) == 0)
            return true;
    return false;
}

static void step_expect_none(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    pcs_time start = now(r);
    pcs_time end = start + scaled(r, st->within_ns);
    if (end > r->deadline)
        end = r->deadline;
    size_t seen = 0;
    for (;;) {
        const struct pcs_event *ev = wait_event(r, p, seen, end);
        if (!ev && pcs_peer_done(p) && p->connections && seen == 0) {
            static const struct pcs_event still_closed = {.kind = PCS_EV_CLOSED};
            if (listed(st, &still_closed))
                ev = &still_closed;
        }
        if (!ev) {
            if (!pcs_peer_done(p) && !interrupted(r) && now(r) < end)
                continue;
            break;
        }
        if (listed(st, ev)) {
            struct pcs_buf obs;
            pcs_buf_init(&obs);
            event_text(&obs, ev, NULL, 0);
            char when[48] = "it had arrived before the window opened";
            if (ev->t >= start)
                snprintf(when, sizeof when, "after %.3fs", (double)(ev->t - start) / 1e9);
            char *m = pcs_xasprintf("expected no %s for %.3gs; got one %s", st->none[0],
                                    (double)scaled(r, st->within_ns) / 1e9, when);
            struct pcs_finding *f = finding(r, st->rule, st->line, st->col, m);
            struct pcs_buf exp;
            pcs_buf_init(&exp);
            pcs_buf_append(&exp, "none of:", 8);
            for (size_t i = 0; i < st->nnone; i++)
                pcs_buf_printf(&exp, " %s", st->none[i]);
            f->expected = pcs_xstrdup(pcs_buf_cstr(&exp));
            f->observed = pcs_xstrdup(pcs_buf_cstr(&obs));
            pcs_buf_free(&exp);
            pcs_buf_free(&obs);
            free(m);
            r->stop = true;
            return;
        }
        seen++;
    }
    /* a window the spec asks for: wait it out, even if the peer is quiet or closed */
    if (r->rec)
        r->cursor = end;
    while (!r->rec && !interrupted(r) && pcs_now() < end)
        wait_once(r, end);
}

static void step_send(struct run *r, const struct pcs_step *st, struct pcs_peer *p)
{
    if (ensure_connected(r, p))
        return;
    if (r->rec) {
        replay_send(r, st, p);
        return;
    }
    struct pcs_diag d = {0};
    int rc;
    if (st->kind == PCS_STEP_SEND_RAW) {
        rc = pcs_peer_send(p, st->raw.data, st->raw.len, step_deadline(r, PCS_SEC(5)), &d);
    } else {
        struct pcs_value *with = NULL;
        rc = pcs_template_apply(st->with, r->vars, &with, &d);
        if (rc == 0) {
            struct pcs_value *frame = pcs_value_map();
            pcs_value_set(frame, "type", pcs_value_str(st->frame));
            for (size_t i = 0; with && i < with->u.c.n; i++)
                pcs_value_set(frame, with->u.c.keys[i], pcs_value_clone(with->u.c.items[i]));
            rc = pcs_peer_send_frame(p, frame, step_deadline(r, PCS_SEC(5)), &d);
            pcs_value_free(frame);
        }
        pcs_value_free(with);
    }
    if (rc == PCS_ERR_CLOSED) {
        trace(r, p->name, '!', d.msg);   /* the target closed first; later steps judge that */
    } else if (rc) {
        char *m = pcs_xasprintf("%s:%u:%u: %s", r->s->file, st->line, st->col, d.msg);
        error(r, "cannot send: %s", m);
        free(m);
    }
}

/* Runs an invoke step's action in the built-in stub's client, in a thread, against the
 * peer at 127.0.0.1:port. */
static void invoke_stub(struct run *r, const struct pcs_step *st, const char *peer, uint16_t port)
{
    struct pcs_value *with = NULL;
    struct pcs_diag d = {0};
    const char *ver = r->s->peers[st->peer].version ? r->s->peers[st->peer].version : r->s->version;
    struct pcs_stub_client_thread *t = NULL;
    int rc = pcs_template_apply(st->with, r->vars, &with, &d);
    if (!rc && r->nclients >= MAX_CHILDREN)
        rc = pcs_diag_set(&d, PCS_ERR_INVALID, NULL, "too many client actions");
    if (!rc) {
        struct pcs_stub_action a = {.name = st->action, .vars = with, .version = ver,
                                    .host = "127.0.0.1", .port = port, .fault = r->o->fault};
        char *m = pcs_xasprintf("invoke %s: the built-in client%s%s", st->action,
                                r->o->fault ? ", fault " : "", r->o->fault ? r->o->fault : "");
        trace(r, peer, '!', m);
        free(m);
        rc = pcs_stub_client_start(pcs_stub_find(r->s->protocol), &a, &t, &d);
    }
    pcs_value_free(with);
    if (rc) {
        error(r, "invoke: %s", d.msg);
        return;
    }
    r->clients[r->nclients++] = t;
}

/* Runs the client under test's argv for an invoke step; it connects to 127.0.0.1:port. */
static void step_invoke(struct run *r, const struct pcs_step *st, const char *peer, uint16_t port)
{
    if (r->o->target->kind == PCS_TK_STUB) {
        invoke_stub(r, st, peer, port);
        return;
    }
    struct pcs_value *vars = pcs_value_clone(r->vars), *with = NULL;
    struct pcs_diag d = {0};
    const struct pcs_value *vv = pcs_value_get(r->o->target->version_vars, r->s->version);
    for (size_t i = 0; vv && vv->type == PCS_V_MAP && i < vv->u.c.n; i++)
        pcs_value_set(vars, vv->u.c.keys[i], pcs_value_clone(vv->u.c.items[i]));
    pcs_value_set(vars, "port", pcs_value_int(port));
    pcs_value_set(vars, "host", pcs_value_str("127.0.0.1"));
    pcs_value_set(vars, "version", pcs_value_str(r->s->version));
    char **argv = NULL;
    int rc = pcs_template_apply(st->with, r->vars, &with, &d);
    for (size_t i = 0; !rc && with && i < with->u.c.n; i++)
        pcs_value_set(vars, with->u.c.keys[i], pcs_value_clone(with->u.c.items[i]));
    if (!rc)
        rc = pcs_target_action_argv(r->o->target, st->action, vars, &argv, &d);
    pcs_value_free(vars);
    pcs_value_free(with);
    if (rc) {
        error(r, "invoke: %s", d.msg);
        return;
    }
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_buf_printf(&b, "invoke %s:", st->action);
    for (size_t i = 0; argv[i]; i++)
        pcs_buf_printf(&b, " %s", argv[i]);
    trace(r, peer, '!', pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    pid_t pid = r->nchildren < MAX_CHILDREN ? pcs_spawn(argv, NULL, NULL, &d) : -1;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    if (pid < 0) {
        error(r, "invoke: %s", d.msg[0] ? d.msg : "too many client processes");
        return;
    }
    r->children[r->nchildren++] = pid;
}

static void run_step(struct run *r, const struct pcs_step *st)
{
    struct pcs_peer *p = r->peers[st->peer];
    switch (st->kind) {
    case PCS_STEP_SEND:
    case PCS_STEP_SEND_RAW:
        step_send(r, st, p);
        break;
    case PCS_STEP_EXPECT:
    case PCS_STEP_EXPECT_ANY:
        if (ensure_connected(r, p) == 0)
            step_expect(r, st, p);
        break;
    case PCS_STEP_EXPECT_NONE:
        if (ensure_connected(r, p) == 0)
            step_expect_none(r, st, p);
        break;
    case PCS_STEP_INVOKE:
        if (r->rec) {
            trace(r, p->name, '!', "invoke: not run again (the capture holds its traffic)");
            if (!r->uniq_bound && ensure_connected(r, p) == 0)
                bind_uniq_invoked(r, st, p);
        } else
            step_invoke(r, st, p->name, p->listen_port);
        break;
    case PCS_STEP_CONNECT:
        cap_closing(r, p);
        p->connections = 0;
        if (r->cap)
            r->cap_seen[st->peer] = 0;
        pcs_peer_close(p);
        ensure_connected(r, p);
        break;
    case PCS_STEP_CLOSE: {
        uint32_t ref = cap_closing(r, p);
        pcs_peer_close(p);
        trace(r, p->name, '>', "close");
        r->res->trace[r->res->ntrace - 1].frame_no = ref;
        break;
    }
    }
}

/* ---- set-up and tear-down ---- */

static int setup_target(struct run *r)
{
    struct pcs_target *t = r->o->target;
    struct pcs_diag d = {0};
    switch (t->kind) {
    case PCS_TK_STUB: {
        const struct pcs_stub_kind *k = pcs_stub_find(r->s->protocol);
        if (!k) {
            error(r, "no built-in stub for protocol %s", r->s->protocol);
            return -1;
        }
        if (r->s->target == PCS_TARGET_CLIENT)
            return 0;   /* the stub plays the client: invoke steps start it */
        struct pcs_stub_config cfg = {.host = "127.0.0.1", .port = 0, .fault = r->o->fault};
        if (pcs_stub_thread_start(k, &cfg, &r->stub, &d)) {
            error(r, "stub: %s", d.msg);
            return -1;
        }
        r->host = "127.0.0.1";
        r->port = pcs_stub_thread_port(r->stub);
        return 0;
    }
    case PCS_TK_STARTED:
        if (pcs_target_ensure(t, &d)) {
            error(r, "%s", d.msg);
            return -1;
        }
        /* fall through */
    case PCS_TK_ADDRESS:
        r->host = t->host;
        r->port = t->port;
        return 0;
    case PCS_TK_CLIENT:
        return 0;
    }
    return 0;
}

static void make_vars(struct run *r)
{
    if (r->o->uniq) {
        r->vars = spec_vars(r->s, r->o->uniq);
        return;
    }
    static volatile unsigned counter;
    unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    char uniq[48];
    snprintf(uniq, sizeof uniq, "%ld-%u-%04x", (long)getpid(), n, (unsigned)(pcs_now() & 0xffff));
    r->vars = spec_vars(r->s, uniq);
}

static void fill_header(struct run *r)
{
    const struct pcs_spec *s = r->s;
    struct pcs_case_result *c = r->res;
    c->id = pcs_xstrdup(s->id);
    c->title = pcs_xstrdup(s->title);
    c->file = pcs_xstrdup(s->file);
    c->protocol = pcs_xstrdup(s->protocol);
    c->version = pcs_xstrdup(s->version);
    c->target = pcs_xstrdup(r->o->target->name);
    c->rules = pcs_xcalloc(s->nrules + 1, sizeof *c->rules);
    for (size_t i = 0; i < s->nrules; i++)
        c->rules[c->nrules++] = pcs_xstrdup(s->rules[i]);
    if (r->o->repro)
        c->repro = pcs_xasprintf(r->o->repro, s->file);
}

static int by_time(const void *a, const void *b)
{
    const struct pcs_trace_entry *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* Replays: the trace in capture order (connections were handed out as steps reached them). */
static void replay_finish(struct run *r)
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

/* ---- observing a client that talks to a real server ---- */

/* Runs the spec's invoke steps against the `via` server while capturing its port live, waits
 * (until the spec's deadline) for the clients to finish, and judges the spec on the capture. */
static struct pcs_case_result *observe(const struct pcs_spec *s, const struct pcs_run_opts *o)
{
    struct run r = {.s = s, .o = o, .res = pcs_case_new(), .t0 = pcs_now()};
    r.deadline = r.t0 + scaled(&r, s->timeout_ns ? s->timeout_ns : PCS_SEC(10));
    fill_header(&r);
    make_vars(&r);
    struct pcs_target *srv = o->target->via_target;
    pthread_mutex_lock(&srv->observing);   /* one capture of its port at a time */
    struct pcs_diag d = {0};
    struct pcs_capture *cap = NULL;
    char *dir = o->capture_dir ? pcs_xstrdup(o->capture_dir) : NULL;
    char tmp[] = "/tmp/pcs-observe-XXXXXX";
    if (!dir && mkdtemp(tmp))
        dir = pcs_xstrdup(tmp);
    char why[256];
    if (!pcs_target_supports(o->target, s, why, sizeof why)) {
        r.res->verdict = PCS_SKIP;
        r.res->reason = pcs_xstrdup(why);
    } else if (pcs_target_ensure(srv, &d)) {
        error(&r, "%s", d.msg);
    } else if (!pcs_capture_live_permitted()) {
        error(&r, "%s", "observing a client needs live capture (root or CAP_NET_RAW)");
    } else if (pcs_capture_open(&cap, dir, s->id, PCS_CAPTURE_LIVE, &d) ||
               pcs_capture_watch_port(cap, srv->port, &d)) {
        error(&r, "capture: %s", d.msg);
    } else {
        for (size_t i = 0; i < s->nsteps && !r.stop; i++)
            if (s->steps[i].kind == PCS_STEP_INVOKE)
                step_invoke(&r, &s->steps[i], s->peers[s->steps[i].peer].name, srv->port);
        for (size_t i = 0; i < r.nchildren; i++)
            if (!pcs_wait_exit(r.children[i], r.deadline))
                pcs_kill(r.children[i], PCS_MS(500));
    }
    const char *pcap = cap ? pcs_capture_finish(cap, &d) : NULL;
    pthread_mutex_unlock(&srv->observing);
    if (pcap && !r.stop) {   /* judge the spec on what was captured */
        struct pcs_recording rec;
        if (pcs_recording_load(&rec, pcap, s, &d) == 0) {
            struct pcs_run_opts ro = *o;
            ro.recording = &rec;
            ro.uniq = pcs_value_get_str(r.vars, "uniq");
            struct pcs_case_result *judged = pcs_run_spec(s, &ro);
            free(judged->target);
            judged->target = pcs_xstrdup(o->target->name);
            pcs_case_free(r.res);
            r.res = judged;
        } else {
            error(&r, "reading the capture: %s", d.msg);
        }
        pcs_recording_free(&rec);
    }
    if (pcap && !r.res->pcap && o->capture_dir)
        r.res->pcap = pcs_xstrdup(pcap);
    pcs_capture_free(cap);
    if (!o->capture_dir && dir) {   /* no capture wanted: the scratch one goes */
        char *f = pcs_capture_path(dir, s->id);
        unlink(f);
        free(f);
        rmdir(dir);
    }
    free(dir);
    pcs_value_free(r.vars);
    r.res->seconds = (double)(pcs_now() - r.t0) / 1e9;
    return r.res;
}

struct pcs_case_result *pcs_run_spec(const struct pcs_spec *s, const struct pcs_run_opts *o)
{
    if (!o->recording && o->target->via_target)
        return observe(s, o);
    struct run r = {.s = s, .o = o, .res = pcs_case_new(), .t0 = pcs_now(), .rec = o->recording};
    if (r.rec) {   /* the capture's clock, from its first connection */
        r.t0 = r.cursor = r.rec->n ? r.rec->conns[0].opened : 0;
        r.rec_conn = pcs_xcalloc(s->npeers, sizeof *r.rec_conn);
        for (size_t i = 0; i < s->npeers; i++)
            r.rec_conn[i] = SIZE_MAX;   /* no connection yet */
        r.rec_out = pcs_xcalloc(s->npeers, sizeof *r.rec_out);
        r.conn_used = pcs_xcalloc(r.rec->n + 1, sizeof *r.conn_used);
    }
    r.deadline = r.t0 + scaled(&r, s->timeout_ns ? s->timeout_ns : PCS_SEC(10));
    fill_header(&r);
    char why[256];
    if (!r.rec && !pcs_target_supports(o->target, s, why, sizeof why)) {
        r.res->verdict = PCS_SKIP;
        r.res->reason = pcs_xstrdup(why);
        return r.res;
    }
    r.loop = pcs_loop_new();
    make_vars(&r);
    r.peers = pcs_xcalloc(s->npeers, sizeof *r.peers);
    bool server_peers = s->target == PCS_TARGET_CLIENT;
    for (size_t i = 0; i < s->npeers; i++) {
        const char *ver = s->peers[i].version ? s->peers[i].version : s->version;
        r.peers[i] = pcs_peer_new(s->peers[i].name, s->proto, ver, server_peers, r.loop,
                                  on_event, &r);
        struct pcs_diag d = {0};
        if (server_peers && !r.rec && pcs_peer_listen(r.peers[i], &d))
            error(&r, "%s", d.msg);
    }
    if (!r.stop && !r.rec)
        setup_target(&r);
    if (!r.stop && !r.rec)
        cap_open(&r);
    for (size_t i = 0; i < s->nsteps && !r.stop && !interrupted(&r); i++)
        run_step(&r, &s->steps[i]);
    if (interrupted(&r))
        error(&r, "%s", "interrupted");
    for (size_t i = 0; i < s->npeers; i++) {
        cap_closing(&r, r.peers[i]);
        pcs_peer_free(r.peers[i]);
    }
    for (size_t i = 0; i < r.nchildren; i++)
        pcs_kill(r.children[i], PCS_MS(500));
    for (size_t i = 0; i < r.nclients; i++)
        pcs_stub_client_stop(r.clients[i]);
    if (r.stub)
        pcs_stub_thread_stop(r.stub);
    cap_finish(&r);
    replay_finish(&r);
    free(r.peers);
    pcs_loop_free(r.loop);
    pcs_value_free(r.vars);
    r.res->seconds = since(&r, now(&r));
    return r.res;
}
