/* runner.c — one spec run: set up the target and the virtual peers, walk the steps in order
 * (send, expect a set of acceptable reactions, expect nothing for a window, invoke a client
 * action), run the always-on checks on every frame the implementation sends, and turn what
 * happened into a verdict with findings and a frame trace. Waits are event-driven with
 * deadlines. The run owns its loop, peers, variables and child processes. Replaying a spec
 * over a capture is in runner_replay.c, the client under test's actions in runner_client.c. */
#include "runner_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frametext.h"
#include "match.h"

/* The spec's variables for one run: ${uniq}, then `vars` in order (each may use those above). */
struct pcs_value *run_spec_vars(const struct pcs_spec *s, const char *uniq)
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

/* A step or check did not hold: a finding citing rule (or, inherited, the spec's first rule). */
static struct pcs_finding *finding(struct run *r, const char *rule, uint32_t line, uint32_t col,
                                   const char *message)
{
    bool inherited = !rule && r->s->nrules;
    if (inherited)
        rule = r->s->rules[0];
    const struct pcs_rule *ru = rule_of(r, rule);
    struct pcs_finding *f = pcs_case_add_finding(r->res, rule, ru ? ru->level : "MUST", message);
    if (ru && ru->summary)
        f->summary = pcs_xstrdup(ru->summary);
    if (ru && ru->applies_to)
        f->applies_to = pcs_xstrdup(ru->applies_to);
    f->rule_inherited = inherited;
    f->file = pcs_xstrdup(r->s->file);
    f->line = (int)line;
    f->col = (int)col;
    f->warning = ru && !pcs_rule_is_mandatory(ru) && !r->o->strict;
    raise_verdict(r, f->warning ? PCS_WARN : PCS_FAIL);
    return f;
}

/* An always-on check and the step that then fails often cite the same rule: that becomes one
 * finding, with the check's precise message and the step's place, expected and observed. */
static void merge_findings(struct pcs_case_result *c)
{
    for (size_t i = 0; i < c->nfindings;) {
        const struct pcs_finding *a = &c->findings[i];
        struct pcs_finding *b = NULL;
        for (size_t j = 0; a->line == 0 && a->rule && !b && j < c->nfindings; j++)
            if (c->findings[j].line > 0 && c->findings[j].rule &&
                strcmp(c->findings[j].rule, a->rule) == 0)
                b = &c->findings[j];
        if (!b) {
            i++;
            continue;
        }
        char *m = pcs_xasprintf("%s (%s)", a->message, b->message);
        free(b->message);
        b->message = m;
        b->rule_inherited = false;   /* the check names it */
        pcs_case_remove_finding(c, i);
    }
}

void run_error(struct run *r, const char *fmt, const char *detail)
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

void run_trace(struct run *r, const char *peer, char dir, const char *text)
{
    pcs_case_add_trace(r->res, since(r, now(r)), peer, dir, text);
}

/* ---- always-on checks on what the implementation sends ---- */

/* The implementation sent bytes that do not decode (d cites the rule they break). */
void run_malformed(struct run *r, const char *peer, const struct pcs_diag *d)
{
    char *m = pcs_xasprintf("%s sent a malformed frame: %s", peer, d->msg);
    struct pcs_finding *f = finding(r, d->rule[0] ? d->rule : NULL, 0, 0, m);
    f->observed = pcs_xstrdup(d->msg);
    free(m);
}

/* A frame from the implementation broke an always-on rule (d: the rule and what is wrong). */
void run_violation(struct run *r, const char *peer, const struct pcs_value *frame,
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
    run_trace(r, peer, '!', d->msg);
}

static void run_checks(struct run *r, struct pcs_peer *p, const struct pcs_event *ev)
{
    enum pcs_dir in = p->out == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    int ver = r->s->proto->conn_version ? r->s->proto->conn_version(p->st) : r->s->version_index;
    if (ver < 0)
        ver = r->s->version_index;
    if (ev->kind == PCS_EV_MALFORMED) {
        run_malformed(r, p->name, &ev->diag);
        return;
    }
    int ti = pcs_protocol_last_type(r->s->proto, p->st, ev->frame);
    for (const struct pcs_check *c = r->s->proto->checks; c && c->rule; c++) {
        struct pcs_diag d = {0};
        if (pcs_check_applies(c, ti, in, ver) && pcs_check_run(c, p->st, in, ev->frame, &d))
            run_violation(r, p->name, ev->frame, &d);
    }
}

/* ---- capture ---- */

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
            run_trace(r, "-", '!', d.msg);
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
    run_trace(r, p->name, sent ? '>' : '<', pcs_buf_cstr(&b));
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

static int ensure_connected(struct run *r, struct pcs_peer *p)
{
    if (r->rec)
        return p->connections ? 0 : run_replay_connect(r, p);
    if (p->server || p->fd >= 0 || p->connections > 0)
        return 0;
    struct pcs_diag d = {0};
    if (pcs_peer_connect(p, r->host, r->port, step_deadline(r, PCS_SEC(5)), &d)) {
        run_error(r, "%s", d.msg);
        return -1;
    }
    run_trace(r, p->name, '!', "connected");
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
        run_error(r, "the spec's timeout (%ss) ran out", secs);
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
        run_replay_send(r, st, p);
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
        run_trace(r, p->name, '!', d.msg);   /* the target closed first; later steps judge that */
    } else if (rc) {
        char *m = pcs_xasprintf("%s:%u:%u: %s", r->s->file, st->line, st->col, d.msg);
        run_error(r, "cannot send: %s", m);
        free(m);
    }
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
            run_trace(r, p->name, '!', "invoke: not run again (the capture holds its traffic)");
            if (!r->uniq_bound && ensure_connected(r, p) == 0)
                run_replay_invoked(r, st, p);
        } else
            run_invoke(r, st, p->name, p->listen_port);
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
        run_trace(r, p->name, '>', "close");
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
            run_error(r, "no built-in stub for protocol %s", r->s->protocol);
            return -1;
        }
        if (r->s->target == PCS_TARGET_CLIENT)
            return 0;   /* the stub plays the client: invoke steps start it */
        struct pcs_stub_config cfg = {.host = "127.0.0.1", .port = 0, .fault = r->o->fault};
        if (pcs_stub_thread_start(k, &cfg, &r->stub, &d)) {
            run_error(r, "stub: %s", d.msg);
            return -1;
        }
        r->host = "127.0.0.1";
        r->port = pcs_stub_thread_port(r->stub);
        return 0;
    }
    case PCS_TK_STARTED:
        if (pcs_target_ensure(t, &d)) {
            run_error(r, "%s", d.msg);
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

void run_make_vars(struct run *r)
{
    if (r->o->uniq) {
        r->vars = run_spec_vars(r->s, r->o->uniq);
        return;
    }
    static volatile unsigned counter;
    unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    char uniq[48];
    snprintf(uniq, sizeof uniq, "%ld-%u-%04x", (long)getpid(), n, (unsigned)(pcs_now() & 0xffff));
    r->vars = run_spec_vars(r->s, uniq);
}

void run_fill_header(struct run *r)
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

/* Appends " opt value" with '%' doubled (the command is a format). */
static void repro_opt(struct pcs_buf *b, const char *opt, const char *value)
{
    if (!value)
        return;
    pcs_buf_printf(b, " %s ", opt);
    for (const char *p = value; *p; p++) {
        if (*p == '%')
            pcs_buf_putc(b, '%');
        pcs_buf_putc(b, (uint8_t)*p);
    }
}

char *pcs_repro_command(const char *target, const char *targets_file, const char *fault,
                        const char *rules_dir, double timeout_scale, bool strict)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_buf_printf(&b, "pcs run %%s");
    repro_opt(&b, "--target", target && strcmp(target, "stub") != 0 ? target : NULL);
    repro_opt(&b, "--targets", targets_file);
    repro_opt(&b, "--fault", fault);
    repro_opt(&b, "--rules", rules_dir);
    if (timeout_scale != 1.0)
        pcs_buf_printf(&b, " --timeout-scale %g", timeout_scale);
    pcs_buf_printf(&b, "%s -v", strict ? " --strict" : "");
    char *s = pcs_xstrdup(pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    return s;
}

struct pcs_case_result *pcs_run_spec(const struct pcs_spec *s, const struct pcs_run_opts *o)
{
    if (!o->recording && o->target->via_target)
        return run_observe(s, o);
    struct run r = {.s = s, .o = o, .res = pcs_case_new(), .t0 = pcs_now(), .rec = o->recording};
    if (r.rec)
        run_replay_begin(&r);
    r.deadline = r.t0 + scaled(&r, s->timeout_ns ? s->timeout_ns : PCS_SEC(10));
    run_fill_header(&r);
    char why[256];
    if (!r.rec && !pcs_target_supports(o->target, s, why, sizeof why)) {
        r.res->verdict = PCS_SKIP;
        r.res->reason = pcs_xstrdup(why);
        return r.res;
    }
    r.loop = pcs_loop_new();
    run_make_vars(&r);
    r.peers = pcs_xcalloc(s->npeers, sizeof *r.peers);
    bool server_peers = s->target == PCS_TARGET_CLIENT;
    for (size_t i = 0; i < s->npeers; i++) {
        const char *ver = s->peers[i].version ? s->peers[i].version : s->version;
        r.peers[i] = pcs_peer_new(s->peers[i].name, s->proto, ver, server_peers, r.loop,
                                  on_event, &r);
        struct pcs_diag d = {0};
        if (server_peers && !r.rec && pcs_peer_listen(r.peers[i], &d))
            run_error(&r, "%s", d.msg);
    }
    if (!r.stop && !r.rec)
        setup_target(&r);
    if (!r.stop && !r.rec)
        cap_open(&r);
    for (size_t i = 0; i < s->nsteps && !r.stop && !interrupted(&r); i++)
        run_step(&r, &s->steps[i]);
    if (interrupted(&r))
        run_error(&r, "%s", "interrupted");
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
    run_replay_finish(&r);
    merge_findings(r.res);
    free(r.peers);
    pcs_loop_free(r.loop);
    pcs_value_free(r.vars);
    r.res->seconds = since(&r, now(&r));
    return r.res;
}
