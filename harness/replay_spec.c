/* replay_spec.c — turns a capture into a pcs_recording (replay.h streams it: every flow is
 * decoded as the spec's protocol and version; each frame from the implementation is checked
 * by the always-on rules in the state the connection had then) and runs the spec over it.
 * The recording owns its frames and violations; pcs_recording_free releases them. */
#include "replay_spec.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "rules.h"
#include "spec.h"

struct builder {
    struct pcs_recording *rec;
    enum pcs_dir peer_side;      /* direction of what pcs's peers sent */
};

static struct pcs_rec_event *add(struct pcs_rec_conn *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->ev = pcs_xrealloc(c->ev, c->cap * sizeof *c->ev);
    }
    struct pcs_rec_event *e = &c->ev[c->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static void conn_free(struct pcs_rec_conn *c)
{
    for (size_t j = 0; j < c->n; j++) {
        pcs_value_free(c->ev[j].frame);
        free(c->ev[j].violations);
    }
    free(c->ev);
}

static void on_violation(void *ud, const struct pcs_check *c, const struct pcs_diag *d)
{
    struct pcs_rec_event *e = ud;
    e->violations = pcs_xrealloc(e->violations, (e->nviolations + 1) * sizeof *e->violations);
    (void)c;
    e->violations[e->nviolations++] = *d;
}

static void on_event(struct pcs_flow_event *ev, void *ud)
{
    struct builder *b = ud;
    struct pcs_recording *rec = b->rec;
    if (ev->kind == PCS_FLOW_OPENED) {
        /* a TCP connection open before the capture began (the end of an earlier one on the
         * same server port, say) is no spec's: every spec connection starts with its SYN */
        if (ev->flow->l4 == 6 && !ev->flow->syn)
            return;
        rec->conns = pcs_xrealloc(rec->conns, (rec->n + 1) * sizeof *rec->conns);
        struct pcs_rec_conn *c = &rec->conns[rec->n++];
        memset(c, 0, sizeof *c);
        const struct pcs_flow *f = ev->flow;
        c->opened = f->first;
        char ip[INET6_ADDRSTRLEN] = "?";
        inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->addr[b->peer_side], ip, sizeof ip);
        snprintf(c->endpoint, sizeof c->endpoint, f->family == 6 ? "[%s]:%u" : "%s:%u", ip,
                 f->port[b->peer_side]);
        ev->flow->user = (void *)(uintptr_t)rec->n;   /* index + 1: conns may move */
        return;
    }
    if (!ev->flow->user || ev->kind == PCS_FLOW_CLOSED || ev->kind == PCS_FLOW_GAP)
        return;
    struct pcs_rec_conn *c = &rec->conns[(uintptr_t)ev->flow->user - 1];
    struct pcs_rec_event *e = add(c);
    e->from_peer = ev->dir == b->peer_side;
    e->t = ev->t;
    e->packet = (uint32_t)ev->packet;
    e->diag = ev->diag;
    e->closed = ev->kind == PCS_FLOW_FIN;
    e->malformed = ev->kind == PCS_FLOW_MALFORMED;
    if (ev->kind == PCS_FLOW_FRAME) {
        e->frame = ev->frame;
        ev->frame = NULL;
        if (!e->from_peer)
            pcs_flows_check(ev->flow, ev->dir, e->frame, on_violation, e);
    }
}

int pcs_recording_load(struct pcs_recording *rec, const char *file, const struct pcs_spec *s,
                       struct pcs_diag *d)
{
    memset(rec, 0, sizeof *rec);
    struct pcs_pcapread *r;
    int rc = pcs_pcapread_open(file, &r, d);
    if (rc)
        return rc;
    struct pcs_flows_config cfg = {.fallback = s->proto, .version = s->version, .no_probe = true};
    struct builder b = {.rec = rec,
                        .peer_side = s->target == PCS_TARGET_CLIENT ? PCS_DIR_S2C : PCS_DIR_C2S};
    struct pcs_replay_stats st;
    rc = pcs_replay_stream(r, &cfg, on_event, &b, &st, d);
    pcs_pcapread_free(r);
    return rc;
}

void pcs_recording_free(struct pcs_recording *rec)
{
    for (size_t i = 0; i < rec->n; i++)
        conn_free(&rec->conns[i]);
    free(rec->conns);
    memset(rec, 0, sizeof *rec);
}

int pcs_replay_spec(const struct pcs_replay_spec_opts *o)
{
    struct pcs_rulebook rb = {0};
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    char dir[4096];
    if (o->rules_dir)
        snprintf(dir, sizeof dir, "%s", o->rules_dir);
    else
        pcs_rulebook_locate(o->spec, dir, sizeof dir);
    if (pcs_rulebook_load(&rb, dir, &d) || pcs_spec_load(o->spec, &rb, &s, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        pcs_rulebook_free(&rb);
        return 2;
    }
    struct pcs_recording rec;
    int rc = pcs_recording_load(&rec, o->file, s, &d);
    rec.peer_map = o->peer_map;
    for (const char *const *m = o->peer_map; !rc && m && m[0]; m += 2) {
        size_t i = 0;
        while (i < s->npeers && strcmp(s->peers[i].name, m[0]) != 0)
            i++;
        if (i == s->npeers)
            rc = pcs_diag_set(&d, PCS_ERR_INVALID, NULL, "--peer %s: the spec has no peer %s",
                              m[0], m[0]);
    }
    if (rc) {
        fprintf(stderr, "pcs: %s\n", d.msg);
        pcs_recording_free(&rec);
        pcs_spec_free(s);
        pcs_rulebook_free(&rb);
        return 2;
    }
    struct pcs_target replay = {.name = (char *)"replay", .kind = PCS_TK_ADDRESS};
    char *repro = pcs_xasprintf("pcs replay %s --spec %%s", o->file);
    struct pcs_run_opts ro = {.target = &replay, .rb = &rb, .timeout_scale = 1.0,
                              .strict = o->strict, .repro = repro, .recording = &rec};
    struct pcs_run_result run = {.name = pcs_xstrdup("pcs-replay")};
    struct pcs_case_result *c = pcs_run_spec(s, &ro);
    c->pcap = pcs_xstrdup(o->file);
    pcs_run_add(&run, c);
    pcs_console_case(o->con, c);
    pcs_console_summary(o->con, &run);
    rc = c->verdict == PCS_FAIL || c->verdict == PCS_ERROR ? 1 : 0;
    if ((o->junit && pcs_report_junit(&run, o->junit, &d)) ||
        (o->json && pcs_report_json(&run, o->json, &d))) {
        fprintf(stderr, "pcs: %s\n", d.msg);
        rc = 3;
    }
    pcs_run_free(&run);
    free(repro);
    pcs_recording_free(&rec);
    pcs_spec_free(s);
    pcs_rulebook_free(&rb);
    return rc;
}
