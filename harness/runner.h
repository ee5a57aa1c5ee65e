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

/* A recorded run (replay_spec.c): the connections of a capture in order of appearance, each
 * with its events in capture order. Replaying a spec walks its steps over these instead of
 * sockets: sends consume the peer's recorded frames, expects take the target's, and time is
 * the capture's. */
struct pcs_rec_event {
    bool from_peer;              /* sent by the side pcs plays (else by the implementation) */
    bool closed;                 /* that side closed (FIN) or reset the connection */
    bool malformed;              /* frame is NULL, diag says why */
    pcs_time t;
    uint32_t packet;             /* record number in the capture */
    struct pcs_value *frame;     /* owned */
    struct pcs_diag diag;        /* malformed: why; closed: "fin" or "reset" */
    struct pcs_diag *violations; /* always-on check violations of this frame, in the state
                                    the connection had then */
    size_t nviolations;
};

struct pcs_rec_conn {
    struct pcs_rec_event *ev;
    size_t n, cap;
    char endpoint[64];           /* the address and port of the side pcs plays: "ip:port" */
    pcs_time opened;
    uint32_t packet;             /* record number of its first packet */
};

struct pcs_recording {
    struct pcs_rec_conn *conns;
    size_t n;
    const char *const *peer_map; /* pairs: peer name, endpoint of its first connection; NULL-ended */
};

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
    const struct pcs_recording *recording;   /* replay the spec over this, not the target */
    const char *uniq;               /* ${uniq} to use (a replay of an observed run), or NULL */
};

/* The command that reruns one spec as this run does — "pcs run %s --target … -v" — as a
 * format for pcs_run_opts.repro: %s stands for the spec file, every other '%' is doubled.
 * target "stub", and NULL for the others, leave their options out. Caller frees. */
char *pcs_repro_command(const char *target, const char *targets_file, const char *fault,
                        const char *rules_dir, double timeout_scale, bool strict);

/* Runs s and returns its result (never NULL; the caller owns it). A client target with `via`
 * is observed: its actions run against the real server while the traffic is captured live,
 * then the spec is judged on that capture as `pcs replay --spec` would. */
struct pcs_case_result *pcs_run_spec(const struct pcs_spec *s, const struct pcs_run_opts *o);

#endif
