/* coverage.h — `pcs coverage`: which catalogue rules some spec (or always-on check) cites.
 * Counts, per catalogue, covered/total testable rules overall, per level and per applies_to;
 * rules marked testable: false leave the denominator and are counted as excluded. Knows no
 * protocol and loads nothing: the caller gathers citations. A pcs_coverage owns its arrays but
 * points into the rulebook and the citation list, which must outlive it. */
#ifndef PCS_COVERAGE_H
#define PCS_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rules.h"

/* One citation of a rule by a spec. version NULL: it counts in every catalogue of the protocol
 * that holds the ID; protocol NULL: in every catalogue. An alias counts for its main ID. */
struct pcs_cited {
    const char *protocol, *version, *rule_id;
};

struct pcs_coverage_tally {
    const char *name;            /* "MUST", "server", … (points into the rulebook) */
    size_t covered, total;       /* testable rules only */
};

struct pcs_coverage_cat {
    const struct pcs_catalogue *cat;
    size_t *hits;                /* per rule of cat: how many citations name it */
    size_t covered, total;       /* testable rules cited at least once / testable rules */
    size_t excluded;             /* rules with testable: false */
    size_t excluded_cited;       /* of those, how many some spec cites all the same */
    struct pcs_coverage_tally *levels;    /* MUST, MUST NOT, SHOULD, SHOULD NOT, MAY, others */
    size_t nlevels;
    struct pcs_coverage_tally *applies;   /* server, client, both, then others as they come */
    size_t napplies;
};

struct pcs_coverage {
    struct pcs_coverage_cat *cats;   /* one per catalogue of the rulebook, in its order */
    size_t ncats;
    struct pcs_cited *unknown;       /* citations no catalogue holds (copies of the entries) */
    size_t nunknown;
};

/* Fills cov (overwritten; free with pcs_coverage_free). Returns 0. */
int pcs_coverage_compute(struct pcs_coverage *cov, const struct pcs_rulebook *rb,
                         const struct pcs_cited *cited, size_t n);
void pcs_coverage_free(struct pcs_coverage *cov);

/* Prints cov: per catalogue the totals, per level and per applies_to, the excluded count, then
 * (list_uncovered) the uncovered testable IDs grouped by section, one line each with level,
 * applies_to and summary; last, citations of unknown IDs. markdown: headings, tables and
 * lists instead of aligned text. Returns 0 or PCS_ERR_IO when writing to out failed. */
int pcs_coverage_print(FILE *out, const struct pcs_coverage *cov, bool list_uncovered,
                       bool markdown);

/* compute + print + free in one call. Returns 0 or PCS_ERR_IO. */
int pcs_coverage_report(FILE *out, const struct pcs_rulebook *rb, const struct pcs_cited *cited,
                        size_t n, bool list_uncovered, bool markdown);

#endif
