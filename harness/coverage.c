/* coverage.c — counts which catalogue rules are cited and prints the `pcs coverage` report
 * (plain text or Markdown). It does not read specs or catalogues, and it does not judge whether
 * a citation is allowed (spec.c does). Arrays in a pcs_coverage are owned by it; names and
 * summaries point into the rulebook. */
#include "coverage.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"

static const char *const LEVEL_ORDER[] = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"};
static const char *const APPLIES_ORDER[] = {"server", "client", "both"};

/* Adds one testable rule to the tally named name, creating it in the right place: the fixed
 * names first in their order (present or not, they are seeded), others after in order met. */
static void tally(struct pcs_coverage_tally **t, size_t *n, const char *name, bool covered)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp((*t)[i].name, name) == 0)
            break;
    if (i == *n) {
        *t = pcs_xrealloc(*t, (*n + 1) * sizeof **t);
        (*t)[(*n)++] = (struct pcs_coverage_tally){name, 0, 0};
    }
    (*t)[i].total++;
    (*t)[i].covered += covered;
}

static void seed(struct pcs_coverage_tally **t, size_t *n, const char *const *names, size_t k)
{
    *t = pcs_xcalloc(k, sizeof **t);
    for (size_t i = 0; i < k; i++)
        (*t)[i] = (struct pcs_coverage_tally){names[i], 0, 0};
    *n = k;
}

/* Drops seeded names that no rule used, keeping the order. */
static void prune(struct pcs_coverage_tally *t, size_t *n)
{
    size_t w = 0;
    for (size_t i = 0; i < *n; i++)
        if (t[i].total)
            t[w++] = t[i];
    *n = w;
}

static bool cite_matches(const struct pcs_cited *c, const struct pcs_catalogue *cat)
{
    return (!c->protocol || strcmp(c->protocol, cat->protocol) == 0) &&
           (!c->version || strcmp(c->version, cat->version) == 0);
}

int pcs_coverage_compute(struct pcs_coverage *cov, const struct pcs_rulebook *rb,
                         const struct pcs_cited *cited, size_t n)
{
    memset(cov, 0, sizeof *cov);
    cov->ncats = rb ? rb->ncats : 0;
    cov->cats = pcs_xcalloc(cov->ncats ? cov->ncats : 1, sizeof *cov->cats);
    for (size_t i = 0; i < cov->ncats; i++) {
        cov->cats[i].cat = &rb->cats[i];
        cov->cats[i].hits = pcs_xcalloc(rb->cats[i].nrules ? rb->cats[i].nrules : 1,
                                        sizeof *cov->cats[i].hits);
    }

    for (size_t k = 0; k < n; k++) {
        const struct pcs_cited *c = &cited[k];
        bool found = false;
        for (size_t i = 0; c->rule_id && i < cov->ncats; i++) {
            const struct pcs_catalogue *cat = cov->cats[i].cat;
            if (!cite_matches(c, cat))
                continue;
            const struct pcs_rule *r = pcs_catalogue_rule(cat, c->rule_id);
            if (!r)
                continue;
            cov->cats[i].hits[r - cat->rules]++;
            found = true;
        }
        if (!found) {
            cov->unknown = pcs_xrealloc(cov->unknown, (cov->nunknown + 1) * sizeof *cov->unknown);
            cov->unknown[cov->nunknown++] = *c;
        }
    }

    for (size_t i = 0; i < cov->ncats; i++) {
        struct pcs_coverage_cat *cc = &cov->cats[i];
        seed(&cc->levels, &cc->nlevels, LEVEL_ORDER, sizeof LEVEL_ORDER / sizeof *LEVEL_ORDER);
        seed(&cc->applies, &cc->napplies, APPLIES_ORDER,
             sizeof APPLIES_ORDER / sizeof *APPLIES_ORDER);
        for (size_t j = 0; j < cc->cat->nrules; j++) {
            const struct pcs_rule *r = &cc->cat->rules[j];
            bool hit = cc->hits[j] > 0;
            if (!r->testable) {
                cc->excluded++;
                cc->excluded_cited += hit;
                continue;
            }
            cc->total++;
            cc->covered += hit;
            tally(&cc->levels, &cc->nlevels, r->level, hit);
            tally(&cc->applies, &cc->napplies, r->applies_to, hit);
        }
        prune(cc->levels, &cc->nlevels);
        prune(cc->applies, &cc->napplies);
    }
    return 0;
}

void pcs_coverage_free(struct pcs_coverage *cov)
{
    if (!cov)
        return;
    for (size_t i = 0; i < cov->ncats; i++) {
        free(cov->cats[i].hits);
        free(cov->cats[i].levels);
        free(cov->cats[i].applies);
    }
    free(cov->cats);
    free(cov->unknown);
    memset(cov, 0, sizeof *cov);
}

/* ---- printing ---- */

static void pct(char *buf, size_t len, size_t covered, size_t total)
{
    if (total)
        snprintf(buf, len, "%.1f%%", 100.0 * (double)covered / (double)total);
    else
        snprintf(buf, len, "-");
}

static void print_tallies_text(FILE *out, const char *label, const struct pcs_coverage_tally *t,
                               size_t n)
{
    fprintf(out, "  %-12s", label);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s %zu/%zu", i ? "   " : "", t[i].name, t[i].covered, t[i].total);
    fputc('\n', out);
}

/* A role's share: rules that apply to it alone plus those that apply to both sides. */
static void print_role(FILE *out, const struct pcs_coverage_cat *cc, const char *role)
{
    size_t covered = 0, total = 0;
    for (size_t i = 0; i < cc->napplies; i++)
        if (strcmp(cc->applies[i].name, role) == 0 || strcmp(cc->applies[i].name, "both") == 0) {
            covered += cc->applies[i].covered;
            total += cc->applies[i].total;
        }
    char p[16];
    pct(p, sizeof p, covered, total);
    fprintf(out, "%s%s+both %zu/%zu (%s)", strcmp(role, "server") ? "   " : "", role, covered,
            total, p);
}

static void print_tallies_md(FILE *out, const char *head, const struct pcs_coverage_tally *t,
                             size_t n)
{
    char p[16];
    fprintf(out, "| %s | covered | total | %% |\n|---|---:|---:|---:|\n", head);
    for (size_t i = 0; i < n; i++) {
        pct(p, sizeof p, t[i].covered, t[i].total);
        fprintf(out, "| %s | %zu | %zu | %s |\n", t[i].name, t[i].covered, t[i].total, p);
    }
    fputc('\n', out);
}

/* The uncovered testable rules, grouped by section in order of first appearance. */
static void print_uncovered(FILE *out, const struct pcs_coverage_cat *cc, bool md)
{
    const struct pcs_catalogue *c = cc->cat;
    size_t missing = cc->total - cc->covered;
    if (md)
        fprintf(out, "### Uncovered (%zu)\n\n", missing);
    else
        fprintf(out, "  uncovered (%zu):\n", missing);
    if (!missing) {
        if (md)
            fprintf(out, "None.\n\n");
        return;
    }
    size_t idw = 0, lvw = 0, apw = 0;
    for (size_t j = 0; j < c->nrules; j++) {
        size_t a = strlen(c->rules[j].id), b = strlen(c->rules[j].level),
               e = strlen(c->rules[j].applies_to);
        idw = a > idw ? a : idw;
        lvw = b > lvw ? b : lvw;
        apw = e > apw ? e : apw;
    }
    for (size_t j = 0; j < c->nrules; j++) {
        const char *sec = c->rules[j].section;
        bool seen = false, any = false;
        for (size_t k = 0; k < j && !seen; k++)
            seen = strcmp(c->rules[k].section, sec) == 0;
        if (seen)
            continue;   /* section already printed */
        for (size_t k = j; k < c->nrules; k++) {
            const struct pcs_rule *r = &c->rules[k];
            if (strcmp(r->section, sec) != 0 || !r->testable || cc->hits[k])
                continue;
            if (!any) {
                if (md)
                    fprintf(out, "#### %s\n\n", sec);
                else
                    fprintf(out, "    %s\n", sec);
                any = true;
            }
            if (md)
                fprintf(out, "- `%s` %s, %s: %s\n", r->id, r->level, r->applies_to, r->summary);
            else
                fprintf(out, "      %-*s  %-*s  %-*s  %s\n", (int)idw, r->id, (int)lvw, r->level,
                        (int)apw, r->applies_to, r->summary);
        }
        if (any && md)
            fputc('\n', out);
    }
}

/* A catalogue's path as a reader of the report wants it: relative to the current folder when
 * it lies below it (a report written into a project holds no machine's absolute paths). */
static const char *shown(const char *path)
{
    char *cwd = getcwd(NULL, 0);
    size_t n = cwd ? strlen(cwd) : 0;
    const char *s = path;
    if (n && strncmp(path, cwd, n) == 0 && path[n] == '/')
        s = path + n + 1;
    free(cwd);
    return s;
}

static void print_cat(FILE *out, const struct pcs_coverage_cat *cc, bool list_uncovered, bool md)
{
    const struct pcs_catalogue *c = cc->cat;
    char p[16];
    pct(p, sizeof p, cc->covered, cc->total);
    if (md) {
        fprintf(out, "## %s %s\n\n", c->protocol, c->version);
        if (c->source)
            fprintf(out, "Source: %s (`%s`)\n\n", c->source, shown(c->file));
        fprintf(out, "**%zu / %zu testable rules covered (%s)**; %zu of %zu rules excluded "
                     "(`testable: false`)",
                cc->covered, cc->total, p, cc->excluded, c->nrules);
        if (cc->excluded_cited)
            fprintf(out, ", %zu of them cited anyway", cc->excluded_cited);
        fprintf(out, ".\n\n");
        print_tallies_md(out, "level", cc->levels, cc->nlevels);
        print_tallies_md(out, "applies to", cc->applies, cc->napplies);
        fprintf(out, "By role: ");
        print_role(out, cc, "server");
        print_role(out, cc, "client");
        fprintf(out, "\n\n");
    } else {
        fprintf(out, "%s %s: %zu/%zu testable rules covered (%s), %zu of %zu excluded "
                     "(testable: false)",
                c->protocol, c->version, cc->covered, cc->total, p, cc->excluded, c->nrules);
        if (cc->excluded_cited)
            fprintf(out, ", %zu of them cited anyway", cc->excluded_cited);
        fputc('\n', out);
        if (c->source)
            fprintf(out, "  %-12s%s (%s)\n", "source", c->source, shown(c->file));
        print_tallies_text(out, "level", cc->levels, cc->nlevels);
        print_tallies_text(out, "applies_to", cc->applies, cc->napplies);
        fprintf(out, "  %-12s", "by role");
        print_role(out, cc, "server");
        print_role(out, cc, "client");
        fputc('\n', out);
    }
    if (list_uncovered)
        print_uncovered(out, cc, md);
}

int pcs_coverage_print(FILE *out, const struct pcs_coverage *cov, bool list_uncovered,
                       bool markdown)
{
    if (markdown)
        fprintf(out, "# Rule coverage\n\n");
    for (size_t i = 0; i < cov->ncats; i++) {
        if (i && !markdown)
            fputc('\n', out);
        print_cat(out, &cov->cats[i], list_uncovered, markdown);
    }
    if (cov->nunknown) {
        if (markdown)
            fprintf(out, "## Cited but in no catalogue (%zu)\n\n", cov->nunknown);
        else
            fprintf(out, "\ncited but in no catalogue (%zu):\n", cov->nunknown);
        for (size_t k = 0; k < cov->nunknown; k++) {
            const struct pcs_cited *c = &cov->unknown[k];
            fprintf(out, markdown ? "- %s %s `%s`\n" : "  %s %s %s\n",
                    c->protocol ? c->protocol : "*", c->version ? c->version : "*",
                    c->rule_id ? c->rule_id : "(none)");
        }
        if (markdown)
            fputc('\n', out);
    }
    if (fflush(out) != 0 || ferror(out))
        return PCS_ERR_IO;
    return 0;
}

int pcs_coverage_report(FILE *out, const struct pcs_rulebook *rb, const struct pcs_cited *cited,
                        size_t n, bool list_uncovered, bool markdown)
{
    struct pcs_coverage cov;
    pcs_coverage_compute(&cov, rb, cited, n);
    int rc = pcs_coverage_print(out, &cov, list_uncovered, markdown);
    pcs_coverage_free(&cov);
    return rc;
}
