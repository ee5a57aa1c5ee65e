/* runner.h — runs one spec against one target and fills a case result: peers, steps,
 * always-on checks, verdict. One event loop per run; nothing shared with other runs but the
 * read-only spec, rulebook and target. */
#ifndef PCS_RUNNER_H
#define PCS_RUNNER_H

#include <signal.h>
#include <stdbool.h>

#include "result.h"
#include "rules.h"
#include "spec.h"
#include "target.h"

struct pcs_run_opts {
    struct pcs_target *target;
    const char *fault;              /* stub fault, or NULL */
    const struct pcs_rulebook *rb;
    double timeout_scale;           /* multiplies every deadline (default 1) */
    bool strict;                    /* SHOULD-level failures fail instead of warn */
    const char *repro;              /* "pcs run %s --target …": %s is the spec file */
    volatile sig_atomic_t *interrupted;   /* set by Ctrl-C: the run stops at the next wait */
    const char *capture_dir;        /* write <dir>/<spec id>.pcap, or NULL for none */
    int capture_mode;               /* enum pcs_capture_mode (AUTO honours $PCS_CAPTURE) */
};

/* Runs s and returns its result (never NULL; the caller owns it). */
struct pcs_case_result *pcs_run_spec(const struct pcs_spec *s, const struct pcs_run_opts *o);

#endif
