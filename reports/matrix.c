/* matrix.c — the implementation × spec matrix of `pcs matrix`: console, Markdown and JSON.
 * Reads only the result model (one pcs_run_result per target) and knows no protocol; it
 * decides no verdict. The console writer allocates only its row list; the file writers build
 * the document in memory, write it atomically and free everything they allocated. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "value.h"

#define PUT(b, lit) pcs_buf_append((b), (lit), sizeof(lit) - 1)

/* ---- rows and cells ---- */

/* A row: a spec id and the first case that has it (title, rules). */
struct row {
    const char *id;
    const struct pcs_case_result *first;
};

static const struct pcs_case_result *find_case(const struct pcs_run_result *r, size_t hint,
                                               const char *id)
{
    if (hint < r->ncases && strcmp(r->cases[hint]->id, id) == 0)
        return r->cases[hint];   /* every run lists the same specs in the same order */
    for (size_t i = 0; i < r->ncases; i++)
        if (strcmp(r->cases[i]->id, id) == 0)
            return r->cases[i];
    return NULL;
}

/* The union of the runs' spec ids, in the order they first appear. Caller frees *rows. */
static size_t rows_collect(const struct pcs_matrix *m, struct row **rows)
{
    size_t n = 0, cap = 0;
    *rows = NULL;
    for (size_t t = 0; t < m->ntargets; t++)
        for (size_t i = 0; i < m->runs[t].ncases; i++) {
            const struct pcs_case_result *c = m->runs[t].cases[i];
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strcmp((*rows)[k].id, c->id) == 0;
            if (seen)
                continue;
            if (n == cap)
                *rows = pcs_xrealloc(*rows, (cap = cap ? cap * 2 : 64) * sizeof **rows);
            (*rows)[n++] = (struct row){c->id, c};
        }
    return n;
}

static const struct pcs_case_result *cell(const struct pcs_matrix *m, size_t t, size_t r,
                                          const struct row *rows)
{
    return find_case(&m->runs[t], r, rows[r].id);
}

void pcs_matrix_counts(const struct pcs_matrix *m, size_t t, size_t counts[5])
{
    pcs_run_counts(&m->runs[t], counts);
}

bool pcs_matrix_ok(const struct pcs_matrix *m)
{
    struct row *rows;
    size_t n = rows_collect(m, &rows);
    bool ok = true;
    for (size_t r = 0; r < n && ok; r++)
        for (size_t t = 0; t < m->ntargets && ok; t++) {
            const struct pcs_case_result *c = cell(m, t, r, rows);
            ok = c && c->verdict != PCS_FAIL && c->verdict != PCS_ERROR;
        }
    free(rows);
    return ok;
}

/* The distinct rule IDs the findings of c cite, into out (room for c->nfindings). */
static size_t cited_rules(const struct pcs_case_result *c, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nfindings; i++) {
        const char *id = c->findings[i].rule;
        bool dup = !id;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(out[k], id) == 0;
        if (!dup)
            out[n++] = id;
    }
    return n;
}

/* One line saying why the cell is what it is: the error or skip reason, else the first
 * finding's message (or its rule's summary). */
static const char *cell_message(const struct pcs_case_result *c)
{
    if (c->reason && (c->verdict == PCS_ERROR || c->verdict == PCS_SKIP))
        return c->reason;
    for (size_t i = 0; i < c->nfindings; i++) {
        const struct pcs_finding *f = &c->findings[i];
        if (f->message || f->summary)
            return f->message ? f->message : f->summary;
    }
    return c->reason;
}

/* ---- console ---- */

static const char *cell_label(const struct pcs_case_result *c)
{
    static const char *const labels[] = {"pass", "skip", "warn", "FAIL", "ERROR"};
    if (!c)
        return "-";
    return (unsigned)c->verdict <= PCS_ERROR ? labels[c->verdict] : "?";
}

static void sgr(const struct pcs_console *con, const char *code)
{
    if (con->color)
        fprintf(con->out, "\033[%sm", code);
}

static const char *verdict_sgr(const struct pcs_case_result *c)
{
    static const char *const codes[] = {"32", "36", "33", "1;31", "1;35"};
    if (!c)
        return "2";
    return (unsigned)c->verdict <= PCS_ERROR ? codes[c->verdict] : "1";
}

/* Writes s as one line: control characters and bytes that are not UTF-8 as \xNN, so a hostile
 * frame quoted in a message cannot move the cursor or change colours. */
static void put_line_clean(FILE *out, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = pcs_result_utf8(s + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            fprintf(out, "\\x%02x", (unsigned char)s[i]);
            i++;
            continue;
        }
        fwrite(s + i, 1, len, out);
        i += len;
    }
}

static void put_padded(const struct pcs_console *con, const char *s, int width)
{
    put_line_clean(con->out, s);
    int pad = width - (int)strlen(s);
    fprintf(con->out, "%*s", pad > 0 ? pad : 0, "");
}

static int column_width(const char *target)
{
    int w = (int)strlen(target);
    return w < 5 ? 5 : w;
}

static int id_width(const struct row *rows, size_t n)
{
    int w = 4;   /* "spec" */
    for (size_t r = 0; r < n; r++)
        if ((int)strlen(rows[r].id) > w)
            w = (int)strlen(rows[r].id);
    return w;
}

static void console_header(const struct pcs_console *con, const struct pcs_matrix *m, int idw)
{
    sgr(con, "1");
    put_padded(con, "spec", idw);
    for (size_t t = 0; t < m->ntargets; t++) {
        fputs("  ", con->out);
        put_padded(con, m->targets[t], t + 1 < m->ntargets ? column_width(m->targets[t]) : 0);
    }
    sgr(con, "0");
    fputc('\n', con->out);
}

static void console_row(const struct pcs_console *con, const struct pcs_matrix *m,
                        const struct row *rows, size_t r, int idw)
{
    put_padded(con, rows[r].id, idw);
    for (size_t t = 0; t < m->ntargets; t++) {
        const struct pcs_case_result *c = cell(m, t, r, rows);
        const char *label = cell_label(c);
        fputs("  ", con->out);
        sgr(con, verdict_sgr(c));
        fputs(label, con->out);
        sgr(con, "0");
        if (t + 1 < m->ntargets)
            fprintf(con->out, "%*s", column_width(m->targets[t]) - (int)strlen(label), "");
    }
    fputc('\n', con->out);
}

static void console_rule(const struct pcs_console *con, const struct pcs_matrix *m, int idw)
{
    int w = idw;
    for (size_t t = 0; t < m->ntargets; t++)
        w += 2 + column_width(m->targets[t]);
    for (int i = 0; i < w; i++)
        fputc('-', con->out);
    fputc('\n', con->out);
}

static void console_counts(const struct pcs_console *con, const struct pcs_matrix *m, int idw)
{
    static const enum pcs_verdict order[] = {PCS_PASS, PCS_FAIL, PCS_WARN, PCS_SKIP, PCS_ERROR};
    for (size_t k = 0; k < 5; k++) {
        put_padded(con, pcs_verdict_name(order[k]), idw);
        for (size_t t = 0; t < m->ntargets; t++) {
            size_t n[5];
            pcs_matrix_counts(m, t, n);
            int w = t + 1 < m->ntargets ? column_width(m->targets[t]) : 0;
            fprintf(con->out, "  %-*zu", w, n[order[k]]);
        }
        fputc('\n', con->out);
    }
}

static void console_findings_of(const struct pcs_console *con, const struct pcs_case_result *c,
                                 const char *target, int idw, int tw)
{
    bool reason = c->verdict == PCS_ERROR && (c->reason || !c->nfindings);
    for (size_t i = 0; i < c->nfindings + reason; i++) {
        const struct pcs_finding *f = i < c->nfindings ? &c->findings[i] : NULL;
        put_padded(con, c->id, idw);
        fputs("  ", con->out);
        put_padded(con, target, tw);
        fputs("  ", con->out);
        sgr(con, "1");
        put_line_clean(con->out, f && f->rule ? f->rule : pcs_verdict_name(c->verdict));
        sgr(con, "0");
        fputs(": ", con->out);
        const char *msg = f ? (f->message ? f->message : f->summary) : c->reason;
        put_line_clean(con->out, msg ? msg : "(no message)");
        fputc('\n', con->out);
    }
}

static void console_findings(const struct pcs_console *con, const struct pcs_matrix *m,
                             const struct row *rows, size_t n, int idw)
{
    int tw = 0;
    for (size_t t = 0; t < m->ntargets; t++)
        if ((int)strlen(m->targets[t]) > tw)
            tw = (int)strlen(m->targets[t]);
    bool header = false;
    for (size_t r = 0; r < n; r++)
        for (size_t t = 0; t < m->ntargets; t++) {
            const struct pcs_case_result *c = cell(m, t, r, rows);
            if (!c || c->verdict < PCS_WARN)
                continue;
            if (!header)
                fputs("\nNot passing (spec, target, rule: message):\n", con->out);
            header = true;
            console_findings_of(con, c, m->targets[t], idw, tw);
        }
}

static void console_totals(const struct pcs_console *con, const struct pcs_matrix *m, size_t n)
{
    size_t sum[5] = {0};
    for (size_t t = 0; t < m->ntargets; t++) {
        size_t c[5];
        pcs_matrix_counts(m, t, c);
        for (int v = 0; v < 5; v++)
            sum[v] += c[v];
    }
    fputc('\n', con->out);
    if (m->interrupted)
        fputs("interrupted: the cells marked - did not run\n", con->out);
    fprintf(con->out,
            "pcs matrix: %zu targets x %zu specs: %zu pass, %zu fail, %zu warn, %zu skip, "
            "%zu error (%.2fs)\n",
            m->ntargets, n, sum[PCS_PASS], sum[PCS_FAIL], sum[PCS_WARN], sum[PCS_SKIP],
            sum[PCS_ERROR], isfinite(m->seconds) ? m->seconds : 0.0);
}

void pcs_matrix_console(const struct pcs_console *con, const struct pcs_matrix *m)
{
    struct row *rows;
    size_t n = rows_collect(m, &rows);
    int idw = id_width(rows, n);
    console_header(con, m, idw);
    for (size_t r = 0; r < n; r++)
        console_row(con, m, rows, r, idw);
    console_rule(con, m, idw);
    console_counts(con, m, idw);
    fputs("\nlegend: pass; FAIL a MUST-level rule broken; warn only SHOULD-level rules broken;\n"
          "        skip not applicable to the target; ERROR could not run; - not run\n",
          con->out);
    console_findings(con, m, rows, n, idw);
    console_totals(con, m, n);
    fflush(con->out);
    free(rows);
}

/* ---- Markdown ---- */

/* Text for a table cell or list item: '|' escaped, line breaks as spaces. */
static void md_text(struct pcs_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            PUT(b, "\\|");
        else if (*s == '\n' || *s == '\r')
            pcs_buf_putc(b, ' ');
        else
            pcs_buf_putc(b, (uint8_t)*s);
    }
}

static void md_code(struct pcs_buf *b, const char *s)
{
    pcs_buf_putc(b, '`');
    md_text(b, s);
    pcs_buf_putc(b, '`');
}

/* "| first | target … |" and its rule line; align is each target column's ("---|"). */
static void md_head(struct pcs_buf *b, const struct pcs_matrix *m, const char *first,
                    const char *align)
{
    pcs_buf_printf(b, "| %s |", first);
    for (size_t t = 0; t < m->ntargets; t++) {
        pcs_buf_putc(b, ' ');
        md_text(b, m->targets[t]);
        PUT(b, " |");
    }
    PUT(b, "\n|---|");
    for (size_t t = 0; t < m->ntargets; t++)
        pcs_buf_printf(b, "%s", align);
}

static void md_table(struct pcs_buf *b, const struct pcs_matrix *m, const struct row *rows,
                     size_t n)
{
    md_head(b, m, "spec", "---|");
    pcs_buf_putc(b, '\n');
    for (size_t r = 0; r < n; r++) {
        PUT(b, "| ");
        md_code(b, rows[r].id);
        PUT(b, " |");
        for (size_t t = 0; t < m->ntargets; t++) {
            const struct pcs_case_result *c = cell(m, t, r, rows);
            bool bad = c && c->verdict >= PCS_FAIL;
            pcs_buf_printf(b, " %s%s%s |", bad ? "**" : "", c ? pcs_verdict_name(c->verdict) : "-",
                           bad ? "**" : "");
        }
        pcs_buf_putc(b, '\n');
    }
}

static void md_counts(struct pcs_buf *b, const struct pcs_matrix *m)
{
    pcs_buf_putc(b, '\n');
    md_head(b, m, "verdict", "---:|");
    static const enum pcs_verdict order[] = {PCS_PASS, PCS_FAIL, PCS_WARN, PCS_SKIP, PCS_ERROR};
    for (size_t k = 0; k < 5; k++) {
        pcs_buf_printf(b, "\n| %s |", pcs_verdict_name(order[k]));
        for (size_t t = 0; t < m->ntargets; t++) {
            size_t c[5];
            pcs_matrix_counts(m, t, c);
            pcs_buf_printf(b, " %zu |", c[order[k]]);
        }
    }
    pcs_buf_putc(b, '\n');
}

/* "- `id` — fail — MQTT-1, MQTT-2: message" */
static void md_item(struct pcs_buf *b, const struct pcs_case_result *c)
{
    const char **rules = pcs_xcalloc(c->nfindings + 1, sizeof *rules);
    size_t nr = cited_rules(c, rules);
    PUT(b, "- ");
    md_code(b, c->id);
    pcs_buf_printf(b, " — %s", pcs_verdict_name(c->verdict));
    for (size_t i = 0; i < nr; i++) {
        if (i)
            PUT(b, ", ");
        else
            PUT(b, " — ");
        md_text(b, rules[i]);
    }
    const char *msg = cell_message(c);
    if (msg) {
        PUT(b, ": ");
        md_text(b, msg);
    }
    pcs_buf_putc(b, '\n');
    free(rules);
}

static void md_target(struct pcs_buf *b, const struct pcs_matrix *m, size_t t,
                      const struct row *rows, size_t n)
{
    PUT(b, "\n## ");
    md_text(b, m->targets[t]);
    PUT(b, "\n\n");
    size_t listed = 0, ran = 0;
    for (size_t r = 0; r < n; r++) {
        const struct pcs_case_result *c = cell(m, t, r, rows);
        ran += c != NULL;
        if (!c || c->verdict < PCS_WARN)
            continue;
        md_item(b, c);
        listed++;
    }
    if (!listed)
        pcs_buf_printf(b, "Every spec that ran (%zu) passed or was skipped.\n", ran);
}

static void md_document(struct pcs_buf *b, const void *arg)
{
    const struct pcs_matrix *m = arg;
    struct row *rows;
    size_t n = rows_collect(m, &rows);
    PUT(b, "# pcs matrix\n\n");
    if (m->interrupted)
        PUT(b, "Interrupted: cells marked - did not run.\n\n");
    md_table(b, m, rows, n);
    md_counts(b, m);
    for (size_t t = 0; t < m->ntargets; t++)
        md_target(b, m, t, rows, n);
    free(rows);
}

int pcs_matrix_markdown(const struct pcs_matrix *m, const char *path, struct pcs_diag *d)
{
    return pcs_result_write_doc(path, md_document, m, d);
}

/* ---- JSON ---- */


static void jlist(struct pcs_buf *b, const char *const *items, size_t n)
{
    pcs_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            pcs_buf_putc(b, ',');
        pcs_json_text(b, items[i]);
    }
    pcs_buf_putc(b, ']');
}

static void json_cell(struct pcs_buf *b, const struct pcs_case_result *c)
{
    const char **rules = pcs_xcalloc(c->nfindings + 1, sizeof *rules);
    size_t nr = cited_rules(c, rules);
    PUT(b, "{\"verdict\":");
    pcs_json_text(b, pcs_verdict_name(c->verdict));
    PUT(b, ",\"rules\":");
    jlist(b, rules, nr);
    PUT(b, ",\"message\":");
    pcs_json_text(b, c->verdict == PCS_PASS ? NULL : cell_message(c));
    pcs_buf_putc(b, '}');
    free(rules);
}

static void json_row(struct pcs_buf *b, const struct pcs_matrix *m, const struct row *rows,
                     size_t r)
{
    const struct pcs_case_result *first = rows[r].first;
    PUT(b, "{\"id\":");
    pcs_json_text(b, first->id);
    PUT(b, ",\"title\":");
    pcs_json_text(b, first->title);
    PUT(b, ",\"rules\":");
    jlist(b, (const char *const *)first->rules, first->nrules);
    PUT(b, ",\"results\":{");
    bool any = false;
    for (size_t t = 0; t < m->ntargets; t++) {
        const struct pcs_case_result *c = cell(m, t, r, rows);
        if (!c)
            continue;
        if (any)
            pcs_buf_putc(b, ',');
        any = true;
        pcs_json_text(b, m->targets[t]);
        pcs_buf_putc(b, ':');
        json_cell(b, c);
    }
    PUT(b, "}}");
}

static void json_document(struct pcs_buf *b, const void *arg)
{
    const struct pcs_matrix *m = arg;
    struct row *rows;
    size_t n = rows_collect(m, &rows);
    PUT(b, "{\"pcs\":1,\"targets\":");
    jlist(b, m->targets, m->ntargets);
    pcs_buf_printf(b, ",\"interrupted\":%s,\"seconds\":%.3f,\n\"specs\":[",
                   m->interrupted ? "true" : "false", isfinite(m->seconds) ? m->seconds : 0.0);
    for (size_t r = 0; r < n; r++) {
        if (r)
            pcs_buf_putc(b, ',');
        pcs_buf_putc(b, '\n');
        json_row(b, m, rows, r);
    }
    PUT(b, "\n]}\n");
    free(rows);
}

int pcs_matrix_json(const struct pcs_matrix *m, const char *path, struct pcs_diag *d)
{
    return pcs_result_write_doc(path, json_document, m, d);
}
