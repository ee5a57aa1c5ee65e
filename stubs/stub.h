/* stub.h — built-in reference implementations ("stubs") that pcs tests against by default.
 * A stub owns its small serve loop; it runs in a thread of pcs (one fresh stub per spec run)
 * or in the foreground as `pcs stub <protocol>`. Each stub lists named faults, each breaking
 * exactly one rule on purpose, so every spec can be shown to fail. */
#ifndef PCS_STUB_H
#define PCS_STUB_H

#include <stdint.h>

#include "diag.h"

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

#endif
