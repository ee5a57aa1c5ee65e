/* console.c — the human-readable report: one line per case, details below failures, an
 * optional "[n/total]" progress line, and the closing summary CI tooling greps for.
 * It writes only to con->out, allocates nothing, and never decides a verdict. ANSI codes are
 * written only when con->color (colours) or con->progress (the erasable status line). */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SGR_RESET "0"
#define SGR_BOLD "1"
#define SGR_DIM "2"

static const char *verdict_label(enum pcs_verdict v)
{
    static const char *const labels[] = {"PASS", "SKIP", "WARN", "FAIL", "ERROR"};
    return (unsigned)v <= PCS_ERROR ? labels[v] : "?";
}

static const char *verdict_sgr(enum pcs_verdict v)
{
    static const char *const sgr[] = {"32", "36", "33", "31", "35"};
    return (unsigned)v <= PCS_ERROR ? sgr[v] : SGR_BOLD;
}

static void sgr(const struct pcs_console *con, const char *code)
{
    if (con->color)
        fprintf(con->out, "\033[%sm", code);
}

/* Writes n bytes of s, with control characters (but tab) and bytes that are not UTF-8 shown as
 * \xNN, so that a hostile frame cannot move the cursor or change colours. */
static void put_clean(FILE *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = pcs_result_utf8(s + i, n - i, &cp);
        if (len == 0 || (cp < 0x20 && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            fprintf(out, "\\x%02x", (unsigned char)s[i]);
            i++;
            continue;
        }
        fwrite(s + i, 1, len, out);
        i += len;
    }
}

static void put_str(FILE *out, const char *s)
{
    if (s)
        put_clean(out, s, strlen(s));
}

static void format_time(double s, char *buf, size_t len)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    if (s < 1)
        snprintf(buf, len, "%.0f ms", s * 1000);
    else
        snprintf(buf, len, "%.2f s", s);
}

static void erase_progress(const struct pcs_console *con)
{
    if (con->progress)
        fputs("\r\033[K", con->out);
}

static void show_progress(const struct pcs_console *con)
{
    if (!con->progress || (con->total && con->done >= con->total))
        return;
    if (con->total)
        fprintf(con->out, "[%zu/%zu] running…", con->done + 1, con->total);
    else
        fprintf(con->out, "[%zu] running…", con->done + 1);
}

/* "FAIL  id" with the verdict coloured and padded to the width of "ERROR ". */
static void put_verdict_id(const struct pcs_console *con, enum pcs_verdict v, const char *id)
{
    const char *label = verdict_label(v);
    sgr(con, verdict_sgr(v));
    fputs(label, con->out);
    sgr(con, SGR_RESET);
    fprintf(con->out, "%*s", (int)(6 - strlen(label)), "");
    if (v >= PCS_FAIL)
        sgr(con, SGR_BOLD);
    put_str(con->out, id ? id : "(no id)");
    if (v >= PCS_FAIL)
        sgr(con, SGR_RESET);
}

static void case_line(const struct pcs_console *con, const struct pcs_case_result *c)
{
    char t[32];
    format_time(c->seconds, t, sizeof t);
    put_verdict_id(con, c->verdict, c->id);
    fprintf(con->out, "  (%s)", t);
    if (c->verdict == PCS_SKIP && c->reason) {
        fputs("  ", con->out);
        sgr(con, SGR_DIM);
        put_str(con->out, c->reason);
        sgr(con, SGR_RESET);
    }
    fputc('\n', con->out);
}

/* "    label: first line" and the following lines aligned under the first. */
static void put_multiline(const struct pcs_console *con, const char *label, const char *v)
{
    int width = fprintf(con->out, "    %s: ", label) - 4;
    if (!*v)
        fputc('\n', con->out);
    for (int first = 1; *v; first = 0) {
        size_t n = strcspn(v, "\n");
        if (!first)
            fprintf(con->out, "    %*s", width, "");
        put_clean(con->out, v, n);
        fputc('\n', con->out);
        v += n + (v[n] == '\n');
    }
}

static void put_location(const struct pcs_console *con, const struct pcs_finding *f)
{
    if (!f->file)
        return;
    fputs("    at ", con->out);
    put_str(con->out, f->file);
    if (f->line > 0)
        fprintf(con->out, ":%d", f->line);
    if (f->line > 0 && f->col > 0)
        fprintf(con->out, ":%d", f->col);
    fputc('\n', con->out);
}

/* "  rule ID (LEVEL, party): summary" — or the bare message for a finding without a rule. */
static void put_finding_head(const struct pcs_console *con, const struct pcs_finding *f)
{
    const char *text = f->summary ? f->summary : f->message;
    fputs("  ", con->out);
    if (f->rule) {
        fputs("rule ", con->out);
        sgr(con, SGR_BOLD);
        put_str(con->out, f->rule);
        sgr(con, SGR_RESET);
        if (f->level || f->applies_to)
            fprintf(con->out, " (%s%s%s)", f->level ? f->level : "",
                    f->level && f->applies_to ? ", " : "", f->applies_to ? f->applies_to : "");
        fputs(text ? ": " : "", con->out);
    }
    put_str(con->out, text ? text : (f->rule ? "" : "(no message)"));
    fputc('\n', con->out);
}

static void put_finding(const struct pcs_console *con, const struct pcs_finding *f)
{
    put_finding_head(con, f);
    if (f->summary && f->message) {
        fputs("    ", con->out);
        put_str(con->out, f->message);
        fputc('\n', con->out);
    }
    put_location(con, f);
    if (f->expected)
        put_multiline(con, "expected", f->expected);
    if (f->observed)
        put_multiline(con, "observed", f->observed);
}

static void put_trace(const struct pcs_console *con, const struct pcs_case_result *c)
{
    for (size_t i = 0; i < c->ntrace; i++) {
        const struct pcs_trace_entry *e = &c->trace[i];
        fprintf(con->out, "  +%.3fs ", isfinite(e->t) ? e->t : 0.0);
        put_str(con->out, e->peer ? e->peer : "-");
        fprintf(con->out, " %c ", e->dir == '<' || e->dir == '>' ? e->dir : '!');
        if (e->frame_no)   /* the frame's number in the pcap, as Wireshark shows it */
            fprintf(con->out, "#%u ", (unsigned)e->frame_no);
        put_str(con->out, e->text);
        fputc('\n', con->out);
    }
}

static void put_labelled(const struct pcs_console *con, const char *label, const char *v)
{
    if (!v)
        return;
    fprintf(con->out, "  %s: ", label);
    put_str(con->out, v);
    fputc('\n', con->out);
}

void pcs_console_details(const struct pcs_console *con, const struct pcs_case_result *c)
{
    if (c->verdict == PCS_ERROR)
        put_labelled(con, "error", c->reason ? c->reason : "(no reason given)");
    for (size_t i = 0; i < c->nfindings; i++)
        put_finding(con, &c->findings[i]);
    put_trace(con, c);
    put_labelled(con, "capture", c->pcap);
    put_labelled(con, "reproduce", c->repro);
}

void pcs_console_case(struct pcs_console *con, const struct pcs_case_result *c)
{
    erase_progress(con);
    case_line(con, c);
    if (c->verdict >= PCS_WARN)
        pcs_console_details(con, c);
    else if (con->verbose)
        put_trace(con, c);
    con->done++;
    show_progress(con);
    fflush(con->out);
}

/* The ids of failed and errored cases, each with the command that reruns it alone. */
static void list_failures(const struct pcs_console *con, const struct pcs_run_result *r)
{
    int header = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const struct pcs_case_result *c = r->cases[i];
        if (c->verdict < PCS_FAIL)
            continue;
        if (!header++)
            fputs("Failed:\n", con->out);
        fputs("  ", con->out);
        put_verdict_id(con, c->verdict, c->id);
        fputc('\n', con->out);
        if (c->repro) {
            fputs("        ", con->out);
            put_str(con->out, c->repro);
            fputc('\n', con->out);
        }
    }
    if (header)
        fputc('\n', con->out);
}

void pcs_console_summary(struct pcs_console *con, const struct pcs_run_result *r)
{
    size_t n[5];
    pcs_run_counts(r, n);
    erase_progress(con);
    fputc('\n', con->out);
    list_failures(con, r);
    if (r->interrupted && con->total > r->ncases)
        fprintf(con->out, "interrupted: %zu of %zu cases ran\n", r->ncases, con->total);
    else if (r->interrupted)
        fprintf(con->out, "interrupted: %zu cases ran\n", r->ncases);
    fprintf(con->out, "pcs: %zu passed, %zu failed, %zu skipped\n", n[PCS_PASS] + n[PCS_WARN],
            n[PCS_FAIL] + n[PCS_ERROR], n[PCS_SKIP]);
    fprintf(con->out, "(%zu warned, %zu error%s; %.2fs)\n", n[PCS_WARN], n[PCS_ERROR],
            n[PCS_ERROR] == 1 ? "" : "s", isfinite(r->seconds) ? r->seconds : 0.0);
    fflush(con->out);
}
