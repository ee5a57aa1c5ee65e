/* result.c — the result model (constructors, free, counts, verdict names) plus two helpers the
 * reporters share: a strict UTF-8 step and an atomic file write. It renders nothing itself.
 * A case owns its strings and arrays; a run owns its cases; the *_free functions release them. */
#include "result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"

const char *pcs_verdict_name(enum pcs_verdict v)
{
    static const char *const names[] = {"pass", "skip", "warn", "fail", "error"};
    if ((unsigned)v >= sizeof names / sizeof names[0])
        return "unknown";
    return names[v];
}

static char *dup_or_null(const char *s) { return s ? pcs_xstrdup(s) : NULL; }

struct pcs_case_result *pcs_case_new(void)
{
    return pcs_xcalloc(1, sizeof(struct pcs_case_result));
}

static void finding_free(struct pcs_finding *f)
{
    free(f->rule);
    free(f->level);
    free(f->summary);
    free(f->file);
    free(f->message);
    free(f->expected);
    free(f->observed);
    free(f->applies_to);
}

static void case_free_arrays(struct pcs_case_result *c)
{
    for (size_t i = 0; i < c->nrules; i++)
        free(c->rules[i]);
    free(c->rules);
    for (size_t i = 0; i < c->nfindings; i++)
        finding_free(&c->findings[i]);
    free(c->findings);
    for (size_t i = 0; i < c->ntrace; i++) {
        free(c->trace[i].peer);
        free(c->trace[i].text);
    }
    free(c->trace);
}

void pcs_case_free(struct pcs_case_result *c)
{
    if (!c)
        return;
    case_free_arrays(c);
    free(c->id);
    free(c->title);
    free(c->file);
    free(c->protocol);
    free(c->version);
    free(c->target);
    free(c->reason);
    free(c->pcap);
    free(c->repro);
    free(c);
}

struct pcs_finding *pcs_case_add_finding(struct pcs_case_result *c, const char *rule,
                                         const char *level, const char *message)
{
    c->findings = pcs_xrealloc(c->findings, (c->nfindings + 1) * sizeof *c->findings);
    struct pcs_finding *f = &c->findings[c->nfindings++];
    memset(f, 0, sizeof *f);
    f->rule = dup_or_null(rule);
    f->level = dup_or_null(level);
    f->message = dup_or_null(message);
    return f;
}

void pcs_case_remove_finding(struct pcs_case_result *c, size_t i)
{
    finding_free(&c->findings[i]);
    memmove(&c->findings[i], &c->findings[i + 1], (c->nfindings - i - 1) * sizeof *c->findings);
    c->nfindings--;
}

void pcs_case_add_trace(struct pcs_case_result *c, double t, const char *peer, char dir,
                        const char *text)
{
    c->trace = pcs_xrealloc(c->trace, (c->ntrace + 1) * sizeof *c->trace);
    struct pcs_trace_entry *e = &c->trace[c->ntrace++];
    memset(e, 0, sizeof *e);
    e->t = t;
    e->peer = dup_or_null(peer);
    e->dir = dir;
    e->text = dup_or_null(text);
}

void pcs_run_add(struct pcs_run_result *r, struct pcs_case_result *c)
{
    if (r->ncases == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->cases = pcs_xrealloc(r->cases, r->cap * sizeof *r->cases);
    }
    r->cases[r->ncases++] = c;
}

void pcs_run_free(struct pcs_run_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ncases; i++)
        pcs_case_free(r->cases[i]);
    free(r->cases);
    free(r->name);
    free(r->timestamp);
    free(r->hostname);
    memset(r, 0, sizeof *r);
}

void pcs_run_counts(const struct pcs_run_result *r, size_t counts[5])
{
    for (int v = 0; v < 5; v++)
        counts[v] = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        enum pcs_verdict v = r->cases[i]->verdict;
        counts[(unsigned)v <= PCS_ERROR ? v : PCS_ERROR]++;
    }
}

/* ---- UTF-8 ---- */

static size_t seq_len(unsigned char b, uint32_t *cp)
{
    if (b < 0x80) { *cp = b; return 1; }
    if (b >= 0xc2 && b <= 0xdf) { *cp = b & 0x1f; return 2; }
    if (b >= 0xe0 && b <= 0xef) { *cp = b & 0x0f; return 3; }
    if (b >= 0xf0 && b <= 0xf4) { *cp = b & 0x07; return 4; }
    return 0;
}

size_t pcs_result_utf8(const char *s, size_t n, uint32_t *cp)
{
    uint32_t v;
    size_t len = n ? seq_len((unsigned char)s[0], &v) : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (b & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* ---- atomic write ---- */

static int io_error(struct pcs_diag *d, const char *what, const char *path)
{
    return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s %s: %s", what, path, strerror(errno));
}

/* mkdir -p of the folder part of path (everything before the last '/'). */
static int make_parents(const char *path, struct pcs_diag *d)
{
    char *dir = pcs_xstrdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash) {
        *slash = 0;
        size_t n = strlen(dir);
        for (size_t i = 1; rc == 0 && i <= n; i++) {
            if (dir[i] != '/' && dir[i] != 0)
                continue;
            dir[i] = 0;
            if (mkdir(dir, 0777) != 0 && errno != EEXIST)
                rc = io_error(d, "cannot create folder", dir);
            dir[i] = i < n ? '/' : 0;
        }
    }
    free(dir);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

static int write_file(const char *path, const char *data, size_t len, struct pcs_diag *d)
{
    int rc = make_parents(path, d);
    if (rc)
        return rc;
    char *tmp = pcs_xasprintf("%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = io_error(d, "cannot create", tmp);
        free(tmp);
        return rc;
    }
    if (write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0)
        rc = io_error(d, "cannot write", tmp);
    if (close(fd) != 0 && rc == 0)
        rc = io_error(d, "cannot write", tmp);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = io_error(d, "cannot rename to", path);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int pcs_result_write_doc(const char *path, void (*render)(struct pcs_buf *b, const void *arg),
                         const void *arg, struct pcs_diag *d)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    render(&b, arg);
    int rc = write_file(path, (const char *)b.data, b.len, d);
    pcs_buf_free(&b);
    return rc;
}
