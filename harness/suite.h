/* suite.h — a whole run: load and validate every spec first (a malformed one stops the run
 * with exit 2 before anything runs), filter (--only/--skip/--shard), run them on -j N worker
 * threads, report each case as it finishes, and write JUnit/JSON at the end — also after
 * Ctrl-C, with what finished. */
#ifndef PCS_SUITE_H
#define PCS_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "runner.h"
#include "spec.h"

struct pcs_specs {
    struct pcs_spec **s;
    size_t n;
};

struct pcs_filter {
    char **only; size_t nonly;       /* id globs: keep a spec that matches any */
    char **skip; size_t nskip;       /* id globs: drop a spec that matches any */
    unsigned shard_k, shard_n;       /* keep specs whose stable hash % n == k-1 (n = 0: all) */
};

/* Collects and loads every spec under args. On a bad spec prints "file:line:col: message"
 * for each and returns PCS_ERR_INVALID (exit 2). */
int pcs_specs_load(struct pcs_specs *out, char *const *args, size_t nargs,
                   const char *rules_dir, struct pcs_rulebook *rb, FILE *err);
void pcs_specs_free(struct pcs_specs *s);
/* Removes the specs the filter drops (their structs are freed). */
void pcs_specs_filter(struct pcs_specs *s, const struct pcs_filter *f);

/* Runs every spec with jobs threads; fills run (cases in spec order). */
void pcs_suite_run(const struct pcs_specs *specs, const struct pcs_run_opts *o, unsigned jobs,
                   struct pcs_console *con, struct pcs_run_result *run);

#endif
