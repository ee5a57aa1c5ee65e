/* replay.c — the replay driver (capture → records → dissection → flow table → events) and the
 * `pcs replay` command on top of it: always-on checks on every decoded frame, the console
 * trace (-q: violations and summary only; -V: field trees), counts for the summary, and one
 * result case per flow for the JUnit/JSON reporters. Memory stays bounded: trace and
 * violation lines are streamed or capped, per-flow report data only exists with --junit/--json. */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frametext.h"
#include "loop.h"
#include "report.h"
#include "result.h"
#include "rules.h"

#define HELD_MAX 1000          /* violation lines listed after the trace */
#define FLOW_FINDINGS_MAX 100  /* findings kept per flow case */
#define FLOW_TRACE_MAX 200     /* trace lines kept per flow case */
#define PASS_CASES_MAX 10000   /* passing flows listed one by one in reports */
#define TYPES_MAX 128
#define RULES_MAX 256
#define FAILED_IDS_MAX 20

/* ---- the driver ---- */

int pcs_replay_stream(struct pcs_pcapread *r, const struct pcs_flows_config *cfg,
                      pcs_flows_fn fn, void *ud, struct pcs_replay_stats *st,
                      struct pcs_diag *d)
{
    struct pcs_flows_config dflt = {0};
    struct pcs_flows *ft = pcs_flows_new(cfg ? cfg : &dflt, fn, ud);
    memset(st, 0, sizeof *st);
    st->format = pcs_pcapread_format(r);
    pcs_time w0 = pcs_now();
    struct pcs_pcapread_packet pk;
    struct pcs_pcapread_l4 l4;
    int rc;
    while ((rc = pcs_pcapread_next(r, &pk, d)) == 1) {
        if (!st->packets++)
            st->first = pk.t;
        st->last = pk.t;
        st->bytes += pk.caplen;
        int w = pcs_pcapread_dissect(pk.linktype, pk.data, pk.caplen, &l4);
        if (w >= 0) {
            st->warn[w]++;
            continue;
        }
        st->tcp_udp++;
        pcs_flows_packet(ft, &l4, pk.t, pk.no);
    }
    pcs_flows_finish(ft, st->last, st->packets);
    st->flows = *pcs_flows_stats(ft);
    const uint64_t *rw = pcs_pcapread_warnings(r);
    for (int i = 0; i < PCS_PW_COUNT; i++)
        st->warn[i] += rw[i] + st->flows.warn[i];
    st->file_bytes = pcs_pcapread_offset(r);
    st->seconds = (double)(pcs_now() - w0) / 1e9;
    pcs_flows_free(ft);
    return rc < 0 ? rc : 0;
}

/* ---- the command: state ---- */

struct rflow {                 /* per OPENED flow (flow->user) */
    const struct pcs_flow *f;
    char ep[2][64];            /* "address:port" by side, written when first named (endpoint) */
    uint64_t violations;
    struct pcs_case_result *c; /* with --junit/--json */
    uint64_t dropped;          /* findings past FLOW_FINDINGS_MAX */
};

struct tcount {                /* frames per protocol and type */
    const struct pcs_protocol *p;
    int index;                 /* in p->frames, or -1 for a type the schema lacks */
    char name[24];
    uint64_t n;
};

struct rcount {                /* violations per rule (and catalogue) */
    char rule[PCS_DIAG_RULE_MAX];
    const struct pcs_protocol *p;
    int ver;
    const struct pcs_rule *ru;
    bool warning;
    uint64_t n;
};

struct rp {
    const struct pcs_replay_opts *o;
    FILE *out;
    struct pcs_rulebook rb;
    struct pcs_replay_stats st;
    struct pcs_buf line;
    struct tcount types[TYPES_MAX];
    size_t ntypes;
    const struct pcs_protocol *fast_p;  /* the protocol counted last, and its counters by */
    struct tcount *fast[64];            /* type index: found without a search */
    uint64_t types_other;
    struct rcount rules[RULES_MAX], spill;
    size_t nrules;
    uint64_t violations, failing, flows_failing, warn_only;
    uint64_t failed_ids[FAILED_IDS_MAX];
    struct pcs_buf held;
    size_t nheld, held_dropped;
    bool reports;
    struct pcs_run_result run;
    size_t pass_cases, pass_dropped;
};

static double rel(const struct rp *rp, pcs_time t)
{
    return (double)(int64_t)(t - rp->st.first) / 1e9;
}

/* One side of the flow as "address:port" (C2S: the client), formatted when first asked for:
 * most flows are never named. */
static const char *endpoint(struct rflow *rf, enum pcs_dir side)
{
    char *s = rf->ep[side];
    if (!s[0])
        pcs_pcapread_addr(rf->f->family, rf->f->addr[side], rf->f->port[side], s, sizeof rf->ep[0]);
    return s;
}

static const char *sender(struct rflow *rf, enum pcs_dir dir) { return endpoint(rf, dir); }

static const char *receiver(struct rflow *rf, enum pcs_dir dir)
{
    return endpoint(rf, dir == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S);
}

static void flush_line(struct rp *rp)
{
    if (rp->line.len)
        fwrite(rp->line.data, 1, rp->line.len, rp->out);
    rp->line.len = 0;
}

/* ---- counting ---- */

/* The counter of a type (ti its index, -1 when the schema lacks it: then by f's name), NULL
 * when the table is full. */
static struct tcount *type_counter(struct rp *rp, const struct pcs_protocol *p, int ti,
                                   const struct pcs_value *f)
{
    const char *type = ti >= 0 ? p->frames[ti].name : pcs_value_get_str(f, "type");
    if (!type)
        type = "?";
    for (size_t i = 0; i < rp->ntypes; i++) {
        struct tcount *t = &rp->types[i];
        if (t->p == p && t->index == ti && (ti >= 0 || strcmp(t->name, type) == 0))
            return t;
    }
    if (rp->ntypes == TYPES_MAX)
        return NULL;
    struct tcount *t = &rp->types[rp->ntypes++];
    t->p = p;
    t->index = ti;
    snprintf(t->name, sizeof t->name, "%s", type);
    return t;
}

static void count_type(struct rp *rp, const struct pcs_protocol *p, int ti,
                       const struct pcs_value *f)
{
    bool fast = ti >= 0 && ti < 64;
    if (p != rp->fast_p) {
        rp->fast_p = p;
        memset(rp->fast, 0, sizeof rp->fast);
    }
    struct tcount *t = fast && rp->fast[ti] ? rp->fast[ti] : type_counter(rp, p, ti, f);
    if (!t) {
        rp->types_other++;
        return;
    }
    t->n++;
    if (fast)
        rp->fast[ti] = t;
}

static const struct pcs_rule *lookup_rule(const struct rp *rp, const struct pcs_protocol *p,
                                          int ver, const char *id)
{
    for (int v = 0; p->versions[v]; v++) {
        if (ver >= 0 && v != ver)
            continue;
        const struct pcs_catalogue *c = pcs_rulebook_catalogue(&rp->rb, p->name, p->versions[v]);
        const struct pcs_rule *ru = c ? pcs_catalogue_rule(c, id) : NULL;
        if (ru)
            return ru;
    }
    return NULL;
}

static struct rcount *count_rule(struct rp *rp, const struct pcs_flow *f, const char *rule)
{
    int ver = pcs_flow_version(f);
    for (size_t i = 0; i < rp->nrules; i++) {
        struct rcount *r = &rp->rules[i];
        if (r->p == f->proto && r->ver == ver && strcmp(r->rule, rule) == 0)
            return r;
    }
    /* past RULES_MAX: counted in no row, but the level is still right */
    struct rcount *r = rp->nrules < RULES_MAX ? &rp->rules[rp->nrules++] : &rp->spill;
    snprintf(r->rule, sizeof r->rule, "%s", rule);
    r->p = f->proto;
    r->ver = ver;
    r->ru = rule[0] ? lookup_rule(rp, f->proto, ver, rule) : NULL;
    r->warning = r->ru && !pcs_rule_is_mandatory(r->ru) && !rp->o->strict;
    r->n = 0;
    return r;
}

/* ---- violations ---- */

static void add_finding(struct rp *rp, struct rflow *rf, const struct pcs_flow_event *ev,
                        const struct rcount *rc, const char *msg, const char *expected)
{
    struct pcs_case_result *c = rf->c;
    if (c->nfindings >= FLOW_FINDINGS_MAX) {
        rf->dropped++;
        return;
    }
    struct pcs_finding *fd = pcs_case_add_finding(c, rc->rule[0] ? rc->rule : NULL,
                                                  rc->ru ? rc->ru->level : "MUST", msg);
    if (rc->ru && rc->ru->summary)
        fd->summary = pcs_xstrdup(rc->ru->summary);
    if (rc->ru && rc->ru->applies_to)
        fd->applies_to = pcs_xstrdup(rc->ru->applies_to);
    fd->file = pcs_xstrdup(rp->o->file);
    fd->line = ev->packet <= INT32_MAX ? (int)ev->packet : 0;
    fd->warning = rc->warning;
    if (expected)
        fd->expected = pcs_xstrdup(expected);
    struct pcs_buf b;
    pcs_buf_init(&b);
    if (ev->frame)
        pcs_frametext_frame(&b, ev->frame);
    else
        pcs_buf_printf(&b, "%zu bytes that do not decode", ev->len);
    fd->observed = pcs_xstrdup(pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    enum pcs_verdict v = rc->warning ? PCS_WARN : PCS_FAIL;
    if (v > c->verdict)
        c->verdict = v;
}

static void hold(struct rp *rp, const char *text, size_t n)
{
    if (rp->o->quiet) {
        fwrite(text, 1, n, rp->out);
        return;
    }
    if (rp->nheld >= HELD_MAX) {
        rp->held_dropped++;
        return;
    }
    pcs_buf_append(&rp->held, text, n);
    rp->nheld++;
}

static void violation(struct rp *rp, const struct pcs_flow_event *ev, const char *rule,
                      const char *msg, const char *expected)
{
    struct rflow *rf = ev->flow->user;
    struct rcount *rc = count_rule(rp, ev->flow, rule);
    rc->n++;
    rp->violations++;
    if (rc->warning) {
        rp->warn_only++;
    } else {
        rp->failing++;
        if (!rf->violations && rp->flows_failing < FAILED_IDS_MAX)
            rp->failed_ids[rp->flows_failing] = ev->flow->id;
        if (!rf->violations++)
            rp->flows_failing++;
    }
    const char *level = rc->ru ? rc->ru->level : rule[0] ? "?" : "-";
    const char *red = rp->o->color ? "\033[31m" : "", *off = rp->o->color ? "\033[0m" : "";
    if (!rp->o->quiet) {
        pcs_buf_printf(&rp->line, "      %s! %s [%s] %s%s\n", red, rule[0] ? rule : "(no rule)",
                       level, msg, off);
    }
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_buf_printf(&b, "#%" PRIu64 " f%" PRIu64 " %s > %s %s%s [%s]%s %s\n", ev->packet,
                   ev->flow->id, sender(rf, ev->dir), receiver(rf, ev->dir), red,
                   rule[0] ? rule : "(no rule)", level, off, msg);
    hold(rp, (const char *)b.data, b.len);
    pcs_buf_free(&b);
    if (rf->c)
        add_finding(rp, rf, ev, rc, msg, expected);
}

struct check_ctx {
    struct rp *rp;
    const struct pcs_flow_event *ev;
};

static void on_check(void *ud, const struct pcs_check *c, const struct pcs_diag *d)
{
    struct check_ctx *cx = ud;
    violation(cx->rp, cx->ev, d->rule, d->msg, c->summary ? c->summary : c->rule);
}

/* ---- events ---- */

static void trace_add(struct rp *rp, struct rflow *rf, const struct pcs_flow_event *ev)
{
    struct pcs_case_result *c = rf->c;
    if (!c || c->ntrace >= FLOW_TRACE_MAX)
        return;
    struct pcs_buf b;
    pcs_buf_init(&b);
    if (ev->kind == PCS_FLOW_FRAME)
        pcs_frametext_frame(&b, ev->frame);
    else
        pcs_buf_printf(&b, "%s%s", ev->kind == PCS_FLOW_MALFORMED ? "malformed: " : "",
                       ev->diag.msg);
    pcs_case_add_trace(c, rel(rp, ev->t), ev->dir == PCS_DIR_C2S ? "client" : "server", '<',
                       pcs_buf_cstr(&b));
    c->trace[c->ntrace - 1].frame_no = ev->packet <= UINT32_MAX ? (uint32_t)ev->packet : 0;
    pcs_buf_free(&b);
}

static void line_head(struct rp *rp, const struct pcs_flow_event *ev, struct rflow *rf)
{
    pcs_buf_printf(&rp->line, "#%" PRIu64 " %.6f f%" PRIu64 " %s > %s ", ev->packet,
                   rel(rp, ev->t), ev->flow->id, sender(rf, ev->dir), receiver(rf, ev->dir));
}

static void on_opened(struct rp *rp, struct pcs_flow *f)
{
    struct rflow *rf = pcs_xcalloc(1, sizeof *rf);
    rf->f = f;
    f->user = rf;
    if (!rp->reports)
        return;
    struct pcs_case_result *c = rf->c = pcs_case_new();
    c->id = pcs_xasprintf("replay/%" PRIu64, f->id);
    c->title = pcs_xasprintf("flow %" PRIu64 ": %s > %s (%s)", f->id,
                             endpoint(rf, PCS_DIR_C2S), endpoint(rf, PCS_DIR_S2C), f->proto->name);
    c->file = pcs_xstrdup(rp->o->file);
    c->protocol = pcs_xstrdup(f->proto->name);
    c->target = pcs_xstrdup(endpoint(rf, PCS_DIR_S2C));
    c->pcap = pcs_xstrdup(rp->o->file);
}

static void drop_trace(struct pcs_case_result *c)
{
    for (size_t i = 0; i < c->ntrace; i++) {
        free(c->trace[i].peer);
        free(c->trace[i].text);
    }
    free(c->trace);
    c->trace = NULL;
    c->ntrace = 0;
}

static void case_done(struct rp *rp, struct pcs_flow *f, struct rflow *rf)
{
    struct pcs_case_result *c = rf->c;
    int ver = pcs_flow_version(f);
    c->version = pcs_xstrdup(ver >= 0 ? f->proto->versions[ver] : "unknown");
    c->seconds = (double)(f->last - f->first) / 1e9;
    if (rf->dropped)
        c->reason = pcs_xasprintf("%" PRIu64 " more violations not listed", rf->dropped);
    if (c->verdict == PCS_PASS && rp->pass_cases >= PASS_CASES_MAX) {
        rp->pass_dropped++;
        pcs_case_free(c);
        return;
    }
    if (c->verdict == PCS_PASS) {
        rp->pass_cases++;
        drop_trace(c);         /* a passing flow's trace is not worth its memory */
    }
    pcs_run_add(&rp->run, c);
}

static void on_frame(struct rp *rp, struct pcs_flow_event *ev, struct rflow *rf)
{
    count_type(rp, ev->flow->proto, ev->type, ev->frame);
    if (!rp->o->quiet) {
        line_head(rp, ev, rf);
        pcs_frametext_frame(&rp->line, ev->frame);
        pcs_buf_putc(&rp->line, '\n');
        if (rp->o->tree)
            pcs_frametext_tree(&rp->line, ev->frame, 6);
    }
    trace_add(rp, rf, ev);
    struct check_ctx cx = {rp, ev};
    pcs_flows_check(ev->flow, ev->dir, ev->frame, on_check, &cx);
}

static void on_malformed(struct rp *rp, struct pcs_flow_event *ev, struct rflow *rf)
{
    if (!rp->o->quiet) {
        line_head(rp, ev, rf);
        pcs_buf_printf(&rp->line, "malformed %zu bytes\n", ev->len);
    }
    trace_add(rp, rf, ev);
    char msg[PCS_DIAG_MSG_MAX + 32];
    snprintf(msg, sizeof msg, "malformed frame: %s", ev->diag.msg);
    violation(rp, ev, ev->diag.rule, msg, "a well-formed frame");
}

static void on_event(struct pcs_flow_event *ev, void *ud)
{
    struct rp *rp = ud;
    if (ev->kind == PCS_FLOW_OPENED) {
        on_opened(rp, ev->flow);
        return;
    }
    struct rflow *rf = ev->flow->user;
    switch (ev->kind) {
    case PCS_FLOW_FRAME: on_frame(rp, ev, rf); break;
    case PCS_FLOW_MALFORMED: on_malformed(rp, ev, rf); break;
    case PCS_FLOW_GAP:
        if (!rp->o->quiet) {
            line_head(rp, ev, rf);
            pcs_buf_printf(&rp->line, "~ %s (%s)\n", ev->diag.msg,
                           pcs_pcapread_warn_name(ev->warn));
        }
        trace_add(rp, rf, ev);
        break;
    case PCS_FLOW_CLOSED:
        if (!rp->o->quiet)
            pcs_buf_printf(&rp->line, "#%" PRIu64 " %.6f f%" PRIu64 " closed: %s (%" PRIu64
                           " frames)\n", ev->packet, rel(rp, ev->t), ev->flow->id,
                           ev->diag.msg, ev->flow->frames);
        if (rf->c)
            case_done(rp, ev->flow, rf);
        free(rf);
        ev->flow->user = NULL;
        break;
    default: break;
    }
    if (rp->line.len > 65536 || ev->kind == PCS_FLOW_CLOSED)
        flush_line(rp);
}

/* ---- summary ---- */

static void print_types(struct rp *rp)
{
    for (size_t i = 0; pcs_protocols[i]; i++) {
        const struct pcs_protocol *p = pcs_protocols[i];
        uint64_t total = 0;
        for (size_t j = 0; j < rp->ntypes; j++)
            total += rp->types[j].p == p ? rp->types[j].n : 0;
        if (!total)
            continue;
        fprintf(rp->out, "  %-8s %" PRIu64 ":", p->name, total);
        for (size_t j = 0; j < rp->ntypes; j++)
            if (rp->types[j].p == p)
                fprintf(rp->out, " %s %" PRIu64, rp->types[j].name, rp->types[j].n);
        fputc('\n', rp->out);
    }
    if (rp->types_other)
        fprintf(rp->out, "  other types: %" PRIu64 "\n", rp->types_other);
}

static void print_rules(struct rp *rp)
{
    for (size_t i = 0; i < rp->nrules; i++) {
        const struct rcount *r = &rp->rules[i];
        int v = r->ver;
        fprintf(rp->out, "  %-16s %-9s %-8" PRIu64 " %s %s%s%s\n",
                r->rule[0] ? r->rule : "(no rule)", r->ru ? r->ru->level : "?", r->n,
                r->p->name, v >= 0 ? r->p->versions[v] : "?", r->ru && r->ru->summary ? "  " : "",
                r->ru && r->ru->summary ? r->ru->summary : "");
    }
}

static void print_summary(struct rp *rp)
{
    const struct pcs_replay_stats *s = &rp->st;
    FILE *o = rp->out;
    if (!rp->o->quiet && rp->nheld) {
        fprintf(o, "\nviolations:\n");
        fwrite(rp->held.data, 1, rp->held.len, o);
    }
    if (rp->held_dropped)
        fprintf(o, "… and %zu more violations (counted below)\n", rp->held_dropped);
    double span = s->packets ? (double)(int64_t)(s->last - s->first) / 1e9 : 0;
    double mb = (double)s->file_bytes / 1e6;
    fprintf(o, "\nsummary of %s (%s)\n", rp->o->file, s->format);
    fprintf(o, "  packets  %" PRIu64 " (%" PRIu64 " bytes captured, %" PRIu64
            " TCP/UDP), %.6f s of traffic\n", s->packets, s->bytes, s->tcp_udp, span);
    fprintf(o, "  flows    %" PRIu64 " seen, %" PRIu64 " decoded, %zu held at most\n",
            s->flows.flows, s->flows.decoded, s->flows.peak_live);
    fprintf(o, "  frames   %" PRIu64 " decoded, %" PRIu64 " malformed\n", s->flows.frames,
            s->flows.malformed);
    print_types(rp);
    fprintf(o, "  violations %" PRIu64 " (%" PRIu64 " failing, %" PRIu64
            " SHOULD-level) in %" PRIu64 " flows\n", rp->violations, rp->failing,
            rp->warn_only, rp->flows_failing);
    print_rules(rp);
    fprintf(o, "  warnings");
    bool any = false;
    for (int i = 0; i < PCS_PW_COUNT; i++)
        if (s->warn[i]) {
            fprintf(o, "%s %s %" PRIu64, any ? "," : "", pcs_pcapread_warn_name(i), s->warn[i]);
            any = true;
        }
    fprintf(o, "%s\n", any ? "" : " none");
    fprintf(o, "  read     %.1f MB in %.3f s (%.0f MB/s, %.0f frames/s)\n", mb, s->seconds,
            s->seconds > 0 ? mb / s->seconds : 0,
            s->seconds > 0 ? (double)(s->flows.frames + s->flows.malformed) / s->seconds : 0);
    if (rp->flows_failing) {
        fprintf(o, "  failing flows:");
        for (uint64_t i = 0; i < rp->flows_failing && i < FAILED_IDS_MAX; i++)
            fprintf(o, " f%" PRIu64, rp->failed_ids[i]);
        fprintf(o, "%s\n", rp->flows_failing > FAILED_IDS_MAX ? " …" : "");
    }
    fprintf(o, "%s\n", rp->failing ? "FAIL: always-on rule violations found"
                                   : "PASS: no always-on rule violated");
}

/* ---- the command ---- */

static void load_rules(struct rp *rp)
{
    char dir[4096];
    struct pcs_diag d = {0};
    if (rp->o->no_rules)
        return;
    if (rp->o->rules_dir)
        snprintf(dir, sizeof dir, "%s", rp->o->rules_dir);
    else if (pcs_rulebook_locate(".", dir, sizeof dir))
        return;
    if (pcs_rulebook_load(&rp->rb, dir, &d)) {
        fprintf(rp->o->err, "pcs: warning: rules not loaded (%s): levels unknown\n", d.msg);
        pcs_rulebook_free(&rp->rb);
        memset(&rp->rb, 0, sizeof rp->rb);
    }
}

static int write_reports(struct rp *rp)
{
    if (rp->pass_dropped) {
        struct pcs_case_result *c = pcs_case_new();
        c->id = pcs_xstrdup("replay/other-flows");
        c->title = pcs_xasprintf("%zu more flows passed (not listed one by one)",
                                 rp->pass_dropped);
        c->file = pcs_xstrdup(rp->o->file);
        pcs_run_add(&rp->run, c);
    }
    rp->run.name = pcs_xstrdup("pcs replay");
    char ts[32];
    time_t now = time(NULL);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", localtime(&now));
    rp->run.timestamp = pcs_xstrdup(ts);
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    rp->run.hostname = pcs_xstrdup(host);
    rp->run.seconds = rp->st.seconds;
    struct pcs_diag d = {0};
    int rc = 0;
    if (rp->o->junit && pcs_report_junit(&rp->run, rp->o->junit, &d))
        rc = 3;
    if (!rc && rp->o->json && pcs_report_json(&rp->run, rp->o->json, &d))
        rc = 3;
    if (rc)
        fprintf(rp->o->err, "pcs: %s\n", d.msg);
    return rc;
}

int pcs_replay_run(const struct pcs_replay_opts *o)
{
    struct pcs_diag d = {0};
    struct pcs_pcapread *r = NULL;
    int rc = o->mem ? pcs_pcapread_open_mem(o->mem, o->memlen, &r, &d)
                    : pcs_pcapread_open(o->file, &r, &d);
    if (rc) {
        fprintf(o->err, "pcs: %s\n", d.msg);
        return 2;
    }
    struct rp *rp = pcs_xcalloc(1, sizeof *rp);
    rp->o = o;
    rp->out = o->out;
    rp->reports = o->junit || o->json;
    load_rules(rp);
    struct pcs_flows_config cfg = o->limits;
    cfg.map = o->map;
    cfg.nmap = o->nmap;
    cfg.no_values = o->quiet && !rp->reports;   /* nothing prints or keeps a frame's fields */
    rc = pcs_replay_stream(r, &cfg, on_event, rp, &rp->st, &d);
    flush_line(rp);
    pcs_pcapread_free(r);
    print_summary(rp);
    int exit = rp->failing ? 1 : 0;
    if (rc) {
        fprintf(o->err, "pcs: %s\n", d.msg);
        exit = 2;
    }
    if (rp->reports && write_reports(rp))
        exit = 3;
    pcs_run_free(&rp->run);
    pcs_buf_free(&rp->line);
    pcs_buf_free(&rp->held);
    pcs_rulebook_free(&rp->rb);
    free(rp);
    return exit;
}
