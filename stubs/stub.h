/* stub.h — built-in reference implementations ("stubs") that pcs tests against by default.
 * A stub owns its small serve loop; it runs in a thread of pcs (one fresh stub per spec run)
 * or in the foreground as `pcs stub <protocol>`. A stub may also play the client: for a
 * `target: client` spec each `invoke` step runs one of its client actions in a thread against
 * pcs's virtual server. Each stub lists named faults, each breaking exactly one rule on
 * purpose, so every spec can be shown to fail. */
#ifndef PCS_STUB_H
#define PCS_STUB_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "value.h"

struct pcs_stub_fault {
    const char *name;       /* "connack-not-first" */
    const char *rule;       /* the catalogue ID it breaks */
    const char *doc;        /* one line: what the stub does wrong */
};

struct pcs_stub_config {
    const char *host;       /* listen address, "127.0.0.1" */
    uint16_t port;          /* 0 = pick a free port */
    const char *fault;      /* NULL, or a name from the stub's fault table */
    int verbose;            /* log connections and frames to stderr */
};

struct pcs_stub;            /* one running instance; opaque */

/* One client action to perform (the `invoke` step of a client spec). Borrowed: the client
 * copies what it needs in client_create. */
struct pcs_stub_action {
    const char *name;               /* "publish", "subscribe", … */
    const struct pcs_value *vars;   /* the step's `with:` map (strings and ints), may be NULL */
    const char *version;            /* protocol version to speak, "5.0" */
    const char *host;               /* the server to connect to, "127.0.0.1" */
    uint16_t port;
    const char *fault;              /* NULL, or a name from the stub's fault table */
    int verbose;                    /* log frames to stderr */
};

struct pcs_stub_client;     /* one running client action; opaque */

struct pcs_stub_kind {
    const char *protocol;                 /* "mqtt" */
    const struct pcs_stub_fault *faults;  /* ends with {NULL} */
    const char *const *capabilities;      /* what the stub claims, NULL-terminated */
    /* Binds and listens; returns 0 and *out, or a negative pcs_err with d filled. */
    int (*create)(const struct pcs_stub_config *cfg, struct pcs_stub **out, struct pcs_diag *d);
    uint16_t (*port)(const struct pcs_stub *s);   /* the bound port */
    /* Serves until stop() is called (from any thread). Returns 0 or a negative pcs_err. */
    int (*serve)(struct pcs_stub *s);
    void (*stop)(struct pcs_stub *s);             /* thread-safe, async-signal-safe */
    void (*destroy)(struct pcs_stub *s);          /* after serve returned */
    /* The client side; all NULL when the stub cannot play a client. */
    const char *const *actions;           /* client action names, NULL-terminated */
    /* Checks the action and its vars (unknown action, missing var: PCS_ERR_INVALID; unknown
     * fault: PCS_ERR_NOTFOUND) and returns 0 and *out; nothing is connected yet. */
    int (*client_create)(const struct pcs_stub_action *a, struct pcs_stub_client **out,
                         struct pcs_diag *d);
    /* Connects and performs the action until it is done, the server closes, or client_stop
     * is called (from any thread). Returns 0 or a negative pcs_err. */
    int (*client_run)(struct pcs_stub_client *c);
    void (*client_stop)(struct pcs_stub_client *c);      /* thread-safe */
    void (*client_destroy)(struct pcs_stub_client *c);   /* after client_run returned */
};

/* The stub registry (registry.c): one line per protocol. */
const struct pcs_stub_kind *pcs_stub_find(const char *protocol);
const struct pcs_stub_fault *pcs_stub_fault_find(const struct pcs_stub_kind *k, const char *name);

/* A stub serving in a background thread (thread.c). */
struct pcs_stub_thread;
int pcs_stub_thread_start(const struct pcs_stub_kind *k, const struct pcs_stub_config *cfg,
                          struct pcs_stub_thread **out, struct pcs_diag *d);
uint16_t pcs_stub_thread_port(const struct pcs_stub_thread *t);
void pcs_stub_thread_stop(struct pcs_stub_thread *t);      /* stops, joins and frees */

/* A stub client action running in a background thread (thread.c). start() returns once the
 * action is checked (the connection is made in the thread); stop() stops, joins and frees. */
struct pcs_stub_client_thread;
int pcs_stub_client_start(const struct pcs_stub_kind *k, const struct pcs_stub_action *a,
                          struct pcs_stub_client_thread **out, struct pcs_diag *d);
void pcs_stub_client_stop(struct pcs_stub_client_thread *t);
/* Does the stub play a client with this action? */
bool pcs_stub_has_action(const struct pcs_stub_kind *k, const char *action);

#endif
