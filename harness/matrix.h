/* matrix.h — `pcs matrix`: the same specs run against several targets in turn (each turn is a
 * `pcs run`: pcs_suite_run with its own pcs_run_opts; a target pcs started is stopped when its
 * turn ends), then the implementation × spec matrix on the console and optionally as Markdown
 * and JSON (reports/matrix.c). Owns nothing beyond the call; the caller owns the options. */
#ifndef PCS_MATRIX_H
#define PCS_MATRIX_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "suite.h"

struct pcs_matrix_opts {
    char *const *specs; size_t nspecs;   /* files, folders or globs */
    const char *targets;                 /* "stub,mosquitto,127.0.0.1:1883" */
    const char *targets_file;            /* NULL: ci/targets.yaml when a name needs it */
    const struct pcs_filter *filter;     /* --only / --skip / --shard */
    const char *rules_dir;               /* NULL: found next to the specs */
    const char *md, *json;               /* report paths, or NULL */
    const char *capture_dir;             /* pcaps go to <capture_dir>/<target>/; NULL: none */
    unsigned jobs;                       /* -j per target */
    double timeout_scale;
    bool strict;
    bool color;                          /* ANSI colours on out */
    bool progress;                       /* a status line on out while running (TTY) */
    volatile sig_atomic_t *interrupted;  /* Ctrl-C: stop, report what finished */
    FILE *out, *err;
};

/* Runs the matrix and returns the exit status: 0 every cell pass, warn or skip; 1 some cell
 * fail or error, or not run (interrupted); 2 usage or spec error (nothing ran); 3 a report
 * could not be written. */
int pcs_matrix_run(const struct pcs_matrix_opts *o);

#endif
