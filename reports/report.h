/* report.h — the reporters. Each reads only the result model (result.h) and writes one
 * format; none knows a protocol. Writers return 0 or a negative pcs_err with d filled. */
#ifndef PCS_REPORT_H
#define PCS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "result.h"

struct pcs_console {
    FILE *out;
    bool color;            /* ANSI colours (off when NO_COLOR is set or out is not a TTY) */
    bool progress;         /* "[12/48]" counter line rewritten in place (TTY only) */
    bool verbose;          /* -v: frame trace for every case, not only failures */
    size_t total;          /* number of cases expected, for the progress counter */
    size_t done;
};

/* One line per case (verdict, id, time), and for a failure: every finding with rule, spec
 * file:line, expected vs observed, the frame trace, the pcap and the repro command. */
void pcs_console_case(struct pcs_console *con, const struct pcs_case_result *c);
/* Final summary: "48 passed, 2 failed, 1 skipped, 0 errors in 1.23s" and the failed ids. */
void pcs_console_summary(struct pcs_console *con, const struct pcs_run_result *r);

/* JUnit XML as Jenkins reads it (validates against junit-10.xsd): one testsuite per
 * protocol+version, testcase name = spec id, classname = protocol.version.section,
 * <failure> for fail, <error> for error, <skipped> for skip, properties pcs.rule / pcs.warn,
 * system-out with the trace and [[ATTACHMENT|pcap]]. */
int pcs_report_junit(const struct pcs_run_result *r, const char *path, struct pcs_diag *d);
/* JSON with the same content. */
int pcs_report_json(const struct pcs_run_result *r, const char *path, struct pcs_diag *d);
/* Appends s as a JSON string (bytes that are not UTF-8 become U+FFFD), or null for NULL. */
struct pcs_buf;
void pcs_json_text(struct pcs_buf *b, const char *s);

/* Added: the block pcs_console_case prints below a warn/fail/error line (the error reason,
 * every finding, the frame trace, capture and reproduce lines), without the case line itself.
 * The JUnit writer uses it, colour off, as the text of <failure> and <error>. */
void pcs_console_details(const struct pcs_console *con, const struct pcs_case_result *c);

/* The matrix (pcs matrix): the same specs run against several targets, one run result per
 * target. Rows are the spec ids in the order the runs first list them; a cell whose run lacks
 * that spec (Ctrl-C came first) is "not run". The reporters (reports/matrix.c) only read m. */
struct pcs_matrix {
    const char *const *targets;          /* column names */
    const struct pcs_run_result *runs;   /* runs[i]: the cases of targets[i] */
    size_t ntargets;
    bool interrupted;                    /* some target did not run every spec */
    double seconds;
};
/* The console matrix: a header row of targets, one row per spec with a (coloured) cell per
 * target, a legend, count rows per verdict, then "id  target  rule: message" for every finding
 * of a fail, warn or error cell and a closing line with the totals. */
void pcs_matrix_console(const struct pcs_console *con, const struct pcs_matrix *m);
/* The same as a Markdown table, then per target the specs that did not pass with their
 * verdict and cited rules. */
int pcs_matrix_markdown(const struct pcs_matrix *m, const char *path, struct pcs_diag *d);
/* {"targets":[…],"interrupted":…,"specs":[{"id","title","rules","results":{target:
 * {"verdict","rules":[…],"message"}}}]}; a cell not run is absent from "results". */
int pcs_matrix_json(const struct pcs_matrix *m, const char *path, struct pcs_diag *d);
/* Counts by verdict of column t (enum pcs_verdict), and whether every cell ran and is pass,
 * warn or skip. */
void pcs_matrix_counts(const struct pcs_matrix *m, size_t t, size_t counts[5]);
bool pcs_matrix_ok(const struct pcs_matrix *m);

#endif
