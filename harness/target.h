/* target.h — what a spec runs against: the built-in stub (default), an address given with
 * --target HOST:PORT, or an implementation that pcs starts itself from a targets file
 * (ci/targets.yaml): argv (never a shell string), files to write first, readiness, capabilities,
 * and for clients under test the argv of each action. A pcs_target owns all its strings; the
 * process it starts is stopped by pcs_target_stop (by PID). */
#ifndef PCS_TARGET_H
#define PCS_TARGET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "loop.h"
#include "spec.h"
#include "value.h"

enum pcs_target_kind {
    PCS_TK_STUB,       /* a fresh built-in stub per spec run, in a thread */
    PCS_TK_ADDRESS,    /* something already running at host:port */
    PCS_TK_STARTED,    /* a process pcs starts (once per run, restarted if it dies) */
    PCS_TK_CLIENT,         /* a client under test: actions run per `invoke` step */
};

struct pcs_target {
    char *name;
    char *protocol;                  /* NULL: any protocol (stub, address) */
    char **versions; size_t nversions;   /* none listed: every version */
    enum pcs_target_kind kind;
    char *host; uint16_t port;       /* where the server under test listens */
    char *address;                   /* template "127.0.0.1:${port}" (started targets) */
    char **start; size_t nstart;     /* argv templates */
    struct pcs_value *files;         /* file name → content template, written into workdir */
    pcs_time ready_timeout;
    char **caps; size_t ncaps;
    struct pcs_value *actions;       /* action → argv list (client targets) */
    struct pcs_value *version_vars;  /* version → {var: value} for templates */
    uint32_t line;                   /* where it is defined in the targets file */
    char *base;                      /* absolute folder of the targets file: ${targets_dir} */
    char *via;                       /* client targets: the server target (in the same file) it
                                        talks to; pcs only observes their traffic */
    struct pcs_target *via_target;   /* resolved `via` */
    pthread_mutex_t observing;       /* held while a run captures this server's port: two runs
                                        at once would see each other's connections */
    /* run time */
    pid_t pid;
    char *workdir;
    int restarts;
    pthread_mutex_t lock;
};

struct pcs_targets {
    char *file;
    struct pcs_target *t; size_t n;
};

/* Loads a targets file. Returns 0 or PCS_ERR_INVALID / PCS_ERR_IO ("file:line:col: …"). */
int pcs_targets_load(struct pcs_targets *ts, const char *path, struct pcs_diag *d);
void pcs_targets_free(struct pcs_targets *ts);
struct pcs_target *pcs_targets_find(struct pcs_targets *ts, const char *name);

/* Builds the stub target or an address target ("HOST:PORT"). Caller frees with
 * pcs_target_free. Returns 0 or PCS_ERR_INVALID. */
int pcs_target_make(const char *spec, struct pcs_target **out, struct pcs_diag *d);
void pcs_target_free(struct pcs_target *t);
void pcs_target_fini(struct pcs_target *t);   /* frees members only */

/* Can this target run the spec? Returns NULL if so, else the reason to skip (static or
 * allocated into why). */
bool pcs_target_supports(const struct pcs_target *t, const struct pcs_spec *s, char *why,
                         size_t whylen);

/* Started targets: start when not running (thread-safe), wait until ready. Returns 0, or a
 * negative pcs_err with d saying why (exit status, readiness timeout). */
int pcs_target_ensure(struct pcs_target *t, struct pcs_diag *d);
bool pcs_target_alive(struct pcs_target *t);
void pcs_target_stop(struct pcs_target *t);

/* Client targets: builds the argv of an action from its template with vars (a map).
 * Returns 0 and a NULL-terminated argv (caller frees each and the array), or an error. */
int pcs_target_action_argv(const struct pcs_target *t, const char *action,
                           const struct pcs_value *vars, char ***argv, struct pcs_diag *d);

/* Waits until pid exits or the deadline passes (it is not killed). true when it exited. */
bool pcs_wait_exit(pid_t pid, pcs_time deadline);
/* Spawns argv with stdin from /dev/null, stdout/stderr appended to log (or /dev/null).
 * Returns the pid or -1 with d filled. */
pid_t pcs_spawn(char *const *argv, const char *cwd, const char *log, struct pcs_diag *d);
/* SIGTERM, then SIGKILL if it has not exited within grace. Reaps it. */
void pcs_kill(pid_t pid, pcs_time grace);

#endif
