/* result.h — the result model: what a run found, spec by spec. The engine fills it; the
 * reporters (console, JUnit XML, JSON) read only it. Every string and array is owned by the
 * struct that holds it; pcs_case_free / pcs_run_free release them. */
#ifndef PCS_RESULT_H
#define PCS_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ordered by how bad they are: a case's verdict is the worst of its findings. */
enum pcs_verdict { PCS_PASS, PCS_SKIP, PCS_WARN, PCS_FAIL, PCS_ERROR };

const char *pcs_verdict_name(enum pcs_verdict v);   /* "pass", "skip", … */

/* One line of the frame trace: a frame or connection event at a peer. */
struct pcs_trace_entry {
    double t;              /* seconds since the case started */
    char *peer;            /* "c1" */
    char dir;              /* '>' sent by pcs, '<' received from the target, '!' event/note */
    char *text;            /* one line: "CONNACK {session_present: false, reason_code: 0}" */
    uint32_t frame_no;     /* frame number in the case's pcap, 0 if none */
};

/* A step or check that did not hold. */
struct pcs_finding {
    char *rule;            /* catalogue ID, e.g. "MQTT-3.2.0-1"; NULL for a harness error */
    bool rule_inherited;   /* the step named no rule: this is the spec's first */
    char *level;           /* "MUST", "SHOULD", … (NULL when no rule) */
    char *summary;         /* the rule's one-line summary, or NULL */
    char *file;            /* spec file, and the line/column of the step */
    int line, col;
    char *message;         /* one line: "expected CONNACK within 1s, got PUBLISH" */
    char *expected;        /* multi-line allowed: every acceptable reaction */
    char *observed;        /* what happened instead */
    bool warning;          /* SHOULD-level (warn unless --strict) */
    char *applies_to;      /* the rule's party: "server", "client", … or NULL (added) */
};

struct pcs_case_result {
    char *id;              /* spec id: "mqtt5/3.2/connack-first" */
    char *title;
    char *file;            /* spec path as given */
    char *protocol, *version, *target;
    char **rules; size_t nrules;
    enum pcs_verdict verdict;
    char *reason;          /* skip/error reason, or NULL */
    struct pcs_finding *findings; size_t nfindings;
    struct pcs_trace_entry *trace; size_t ntrace;
    char *pcap;            /* capture path, or NULL */
    char *repro;           /* shell command that reproduces only this case */
    double seconds;        /* wall time */
    double waited;         /* seconds blocked waiting: on the target's answers and for windows
                              the spec asks for; seconds - waited is pcs's own overhead */
};

struct pcs_run_result {
    char *name;            /* suite name for JUnit: "pcs" */
    struct pcs_case_result **cases; size_t ncases, cap;
    double seconds;
    bool interrupted;      /* Ctrl-C: cases holds what finished */
    char *timestamp;       /* ISO 8601 start time */
    char *hostname;
};

struct pcs_case_result *pcs_case_new(void);
void pcs_case_free(struct pcs_case_result *c);
/* Adds a finding (strings copied; any may be NULL) and returns it for further filling. */
struct pcs_finding *pcs_case_add_finding(struct pcs_case_result *c, const char *rule,
                                         const char *level, const char *message);
/* Removes and frees findings[i]; later findings move down one. */
void pcs_case_remove_finding(struct pcs_case_result *c, size_t i);
void pcs_case_add_trace(struct pcs_case_result *c, double t, const char *peer, char dir,
                        const char *text);
void pcs_run_add(struct pcs_run_result *r, struct pcs_case_result *c);   /* takes c */
void pcs_run_free(struct pcs_run_result *r);
/* Counts by verdict, indexed by enum pcs_verdict. */
void pcs_run_counts(const struct pcs_run_result *r, size_t counts[5]);

/* Added for the reporters. pcs_run_free releases what r holds (not r itself) and zeroes it. */
struct pcs_diag;
/* Length (1-4) of the well-formed UTF-8 sequence at s[0..n) with its code point in *cp, or 0
 * when s[0] does not start one (stray continuation, overlong form, surrogate, truncation). */
size_t pcs_result_utf8(const char *s, size_t n, uint32_t *cp);
/* Renders a document (render(buf, arg)) and writes it to path atomically: a temporary file
 * in the same folder, then rename. Creates missing parent folders. Returns 0 or PCS_ERR_IO
 * with d filled. Every reporter that writes a file goes through it. */
struct pcs_buf;
int pcs_result_write_doc(const char *path, void (*render)(struct pcs_buf *b, const void *arg),
                         const void *arg, struct pcs_diag *d);

#endif
