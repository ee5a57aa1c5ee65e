/* runner_int.h — inside the runner: the state of one spec run, shared by the step engine
 * (runner.c), replaying a spec over a recorded capture (runner_replay.c), and the client under
 * test's actions and observation (runner_client.c). Not for use outside those three files. */
#ifndef PCS_RUNNER_INT_H
#define PCS_RUNNER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "peer.h"
#include "runner.h"
#include "stub.h"

#define MAX_CHILDREN 16

struct run {
    const struct pcs_spec *s;
    const struct pcs_run_opts *o;
    struct pcs_case_result *res;
    struct pcs_loop *loop;
    struct pcs_peer **peers;
    struct pcs_value *vars;
    struct pcs_stub_thread *stub;
    const char *host;
    uint16_t port;
    pcs_time t0, deadline;
    pid_t children[MAX_CHILDREN];
    size_t nchildren;
    struct pcs_stub_client_thread *clients[MAX_CHILDREN];   /* the stub's client actions */
    size_t nclients;
    bool stop;                       /* a step failed or errored: no further steps */
    const struct pcs_recording *rec; /* replaying a capture: no sockets, capture time */
    pcs_time cursor;                 /* replay: the capture time the steps have reached */
    bool *conn_used;                 /* replay: recorded connections handed out already */
    size_t *rec_conn;                /* replay, per peer: its current recorded connection
                                        (SIZE_MAX before its first) */
    size_t *rec_out;                 /* replay, per peer: next of its own frames to send */
    bool uniq_bound;                 /* replay: ${uniq} recovered from the capture */
    struct pcs_capture *cap;         /* this run's pcap, or NULL */
    uint32_t *cap_conn;              /* per peer: capture connection id of its connection */
    size_t *cap_seen;                /* per peer: p->connections when cap_conn was taken */
};

static inline pcs_time scaled(const struct run *r, uint64_t ns)
{
    double x = (double)ns * (r->o->timeout_scale > 0 ? r->o->timeout_scale : 1.0);
    return (pcs_time)x;
}

static inline double since(const struct run *r, pcs_time t) { return (double)(t - r->t0) / 1e9; }

/* The run's clock: the monotonic clock live, the capture's time in a replay. */
static inline pcs_time now(const struct run *r) { return r->rec ? r->cursor : pcs_now(); }

/* Index of p in r->peers. */
static inline size_t peer_index(const struct run *r, const struct pcs_peer *p)
{
    size_t i = 0;
    while (r->peers[i] != p)
        i++;
    return i;
}

/* ---- the step engine (runner.c) ---- */

/* The spec's vars with ${uniq} bound. */
struct pcs_value *run_spec_vars(const struct pcs_spec *s, const char *uniq);
void run_make_vars(struct run *r);
void run_fill_header(struct run *r);
/* The run cannot go on: the verdict becomes error with this reason (fmt has one %s). */
void run_error(struct run *r, const char *fmt, const char *detail);
void run_trace(struct run *r, const char *peer, char dir, const char *text);
/* Findings for a malformed frame and for an always-on rule violation of the implementation. */
void run_malformed(struct run *r, const char *peer, const struct pcs_diag *d);
void run_violation(struct run *r, const char *peer, const struct pcs_value *frame,
                   const struct pcs_diag *d);

/* ---- replay (runner_replay.c) ---- */

/* Sets up a replay over r->rec: the capture's clock, from its first connection. */
void run_replay_begin(struct run *r);
/* Hands p its next recorded connection; 0, or -1 with the run in error. */
int run_replay_connect(struct run *r, struct pcs_peer *p);
/* A send step: takes the peer's next recorded frame (and recovers ${uniq} from it). */
void run_replay_send(struct run *r, const struct pcs_step *st, struct pcs_peer *p);
/* An invoke step: recovers ${uniq} from what the client under test sent. */
void run_replay_invoked(struct run *r, const struct pcs_step *st, struct pcs_peer *p);
/* Puts the trace in capture order and frees the replay state. */
void run_replay_finish(struct run *r);

/* ---- the client under test (runner_client.c) ---- */

/* An invoke step: the stub's client action in a thread, or the target's argv, against
 * 127.0.0.1:port. */
void run_invoke(struct run *r, const struct pcs_step *st, const char *peer, uint16_t port);
/* A client target with `via`: runs its actions against the real server, captures, judges. */
struct pcs_case_result *run_observe(const struct pcs_spec *s, const struct pcs_run_opts *o);

#endif
