/* json.c — the machine-readable report: the whole result model as one JSON document
 * {"pcs":1,"summary":{…},"cases":[…]}, one case per line. It interprets nothing (counts are
 * by verdict, unlike the console's CI line); bytes that are not UTF-8 become U+FFFD.
 * It builds the document in memory, writes it atomically and frees everything it allocated. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "value.h"

#define PUT(b, lit) pcs_buf_append((b), (lit), sizeof(lit) - 1)

/* ---- scalars ---- */

void pcs_json_text(struct pcs_buf *b, const char *s)
{
    if (!s) {
        PUT(b, "null");
        return;
    }
    struct pcs_buf clean;
    pcs_buf_init(&clean);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = pcs_result_utf8(s + i, n - i, &cp);
        if (len)
            pcs_buf_append(&clean, s + i, len);
        else
            PUT(&clean, "\xef\xbf\xbd");
        i += len ? len : 1;
    }
    pcs_json_string(b, (const char *)clean.data, clean.len);
    pcs_buf_free(&clean);
}

static void jnum(struct pcs_buf *b, double v)
{
    pcs_buf_printf(b, "%.3f", isfinite(v) ? v : 0.0);
}

/* ,"key": — every member but the first of an object starts with one. */
static void key(struct pcs_buf *b, const char *k, bool first)
{
    if (!first)
        pcs_buf_putc(b, ',');
    pcs_buf_printf(b, "\"%s\":", k);
}

static void kstr(struct pcs_buf *b, const char *k, const char *v)
{
    key(b, k, false);
    pcs_json_text(b, v);
}

/* ---- a case ---- */

static void finding(struct pcs_buf *b, const struct pcs_finding *f)
{
    key(b, "rule", true);
    pcs_json_text(b, f->rule);
    pcs_buf_printf(b, ",\"rule_inherited\":%s", f->rule_inherited ? "true" : "false");
    kstr(b, "level", f->level);
    kstr(b, "applies_to", f->applies_to);
    kstr(b, "summary", f->summary);
    kstr(b, "file", f->file);
    pcs_buf_printf(b, ",\"line\":%d,\"col\":%d", f->line, f->col);
    kstr(b, "message", f->message);
    kstr(b, "expected", f->expected);
    kstr(b, "observed", f->observed);
    pcs_buf_printf(b, ",\"warning\":%s", f->warning ? "true" : "false");
}

static void trace_entry(struct pcs_buf *b, const struct pcs_trace_entry *e)
{
    char dir[2] = {e->dir == '<' || e->dir == '>' ? e->dir : '!', 0};
    key(b, "t", true);
    jnum(b, e->t);
    kstr(b, "peer", e->peer);
    kstr(b, "dir", dir);
    kstr(b, "text", e->text);
    key(b, "frame", false);
    if (e->frame_no)
        pcs_buf_printf(b, "%u", (unsigned)e->frame_no);
    else
        PUT(b, "null");
}

static void rules(struct pcs_buf *b, const struct pcs_case_result *c)
{
    key(b, "rules", false);
    pcs_buf_putc(b, '[');
    for (size_t i = 0; i < c->nrules; i++) {
        if (i)
            pcs_buf_putc(b, ',');
        pcs_json_text(b, c->rules[i]);
    }
    pcs_buf_putc(b, ']');
}

static void findings(struct pcs_buf *b, const struct pcs_case_result *c)
{
    key(b, "findings", false);
    pcs_buf_putc(b, '[');
    for (size_t i = 0; i < c->nfindings; i++) {
        if (i)
            pcs_buf_putc(b, ',');
        pcs_buf_putc(b, '{');
        finding(b, &c->findings[i]);
        pcs_buf_putc(b, '}');
    }
    pcs_buf_putc(b, ']');
}

static void trace(struct pcs_buf *b, const struct pcs_case_result *c)
{
    key(b, "trace", false);
    pcs_buf_putc(b, '[');
    for (size_t i = 0; i < c->ntrace; i++) {
        if (i)
            pcs_buf_putc(b, ',');
        pcs_buf_putc(b, '{');
        trace_entry(b, &c->trace[i]);
        pcs_buf_putc(b, '}');
    }
    pcs_buf_putc(b, ']');
}

static void one_case(struct pcs_buf *b, const struct pcs_case_result *c)
{
    pcs_buf_putc(b, '{');
    key(b, "id", true);
    pcs_json_text(b, c->id);
    kstr(b, "title", c->title);
    kstr(b, "file", c->file);
    kstr(b, "protocol", c->protocol);
    kstr(b, "version", c->version);
    kstr(b, "target", c->target);
    rules(b, c);
    kstr(b, "verdict", pcs_verdict_name(c->verdict));
    kstr(b, "reason", c->reason);
    key(b, "seconds", false);
    jnum(b, c->seconds);
    key(b, "waited", false);
    jnum(b, c->waited);
    findings(b, c);
    trace(b, c);
    kstr(b, "pcap", c->pcap);
    kstr(b, "repro", c->repro);
    pcs_buf_putc(b, '}');
}

/* ---- the document ---- */

static void summary(struct pcs_buf *b, const struct pcs_run_result *r)
{
    size_t n[5];
    pcs_run_counts(r, n);
    pcs_buf_printf(b,
                   "\"summary\":{\"total\":%zu,\"passed\":%zu,\"failed\":%zu,\"warned\":%zu,"
                   "\"skipped\":%zu,\"errors\":%zu,\"seconds\":",
                   r->ncases, n[PCS_PASS], n[PCS_FAIL], n[PCS_WARN], n[PCS_SKIP], n[PCS_ERROR]);
    jnum(b, r->seconds);
    pcs_buf_printf(b, ",\"interrupted\":%s}", r->interrupted ? "true" : "false");
}

static void document(struct pcs_buf *b, const void *arg)
{
    const struct pcs_run_result *r = arg;
    PUT(b, "{\"pcs\":1");
    kstr(b, "name", r->name);
    kstr(b, "timestamp", r->timestamp);
    kstr(b, "hostname", r->hostname);
    PUT(b, ",\n");
    summary(b, r);
    PUT(b, ",\n\"cases\":[");
    for (size_t i = 0; i < r->ncases; i++) {
        if (i)
            pcs_buf_putc(b, ',');
        pcs_buf_putc(b, '\n');
        one_case(b, r->cases[i]);
    }
    PUT(b, "\n]}\n");
}

int pcs_report_json(const struct pcs_run_result *r, const char *path, struct pcs_diag *d)
{
    return pcs_result_write_doc(path, document, r, d);
}
