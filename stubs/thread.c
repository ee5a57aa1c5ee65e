/* thread.c — runs a stub's serve() in a background pthread, for in-process spec runs and
 * tests. start() returns once the socket listens (create() binds synchronously); stop()
 * stops, joins and destroys. The returned pcs_stub_thread owns the stub instance. The same for
 * a stub's client actions: pcs_stub_client_thread owns its client. */
#include "stub.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct pcs_stub_thread {
    const struct pcs_stub_kind *kind;
    struct pcs_stub *stub;
    pthread_t th;
    int rc;                 /* serve()'s result */
};

static void *run(void *arg)
{
    struct pcs_stub_thread *t = arg;
    t->rc = t->kind->serve(t->stub);
    return NULL;
}

int pcs_stub_thread_start(const struct pcs_stub_kind *k, const struct pcs_stub_config *cfg,
                          struct pcs_stub_thread **out, struct pcs_diag *d)
{
    struct pcs_stub *s = NULL;
    int rc = k->create(cfg, &s, d);
    if (rc < 0)
        return rc;
    struct pcs_stub_thread *t = pcs_xcalloc(1, sizeof *t);
    t->kind = k;
    t->stub = s;
    int err = pthread_create(&t->th, NULL, run, t);
    if (err) {
        k->destroy(s);
        free(t);
        return pcs_diag_set(d, PCS_ERR_INTERNAL, NULL, "stub %s: pthread_create: %s", k->protocol,
                            strerror(err));
    }
    *out = t;
    return 0;
}

uint16_t pcs_stub_thread_port(const struct pcs_stub_thread *t)
{
    return t->kind->port(t->stub);
}

void pcs_stub_thread_stop(struct pcs_stub_thread *t)
{
    if (!t)
        return;
    t->kind->stop(t->stub);
    pthread_join(t->th, NULL);
    t->kind->destroy(t->stub);
    free(t);
}

struct pcs_stub_client_thread {
    const struct pcs_stub_kind *kind;
    struct pcs_stub_client *client;
    pthread_t th;
};

static void *run_client(void *arg)
{
    struct pcs_stub_client_thread *t = arg;
    t->kind->client_run(t->client);
    return NULL;
}

bool pcs_stub_has_action(const struct pcs_stub_kind *k, const char *action)
{
    for (const char *const *a = k && k->client_create ? k->actions : NULL; a && *a; a++)
        if (action && strcmp(*a, action) == 0)
            return true;
    return false;
}

int pcs_stub_client_start(const struct pcs_stub_kind *k, const struct pcs_stub_action *a,
                          struct pcs_stub_client_thread **out, struct pcs_diag *d)
{
    if (!pcs_stub_has_action(k, a->name))
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "stub %s has no client action '%s'",
                            k->protocol, a->name ? a->name : "");
    struct pcs_stub_client *c = NULL;
    int rc = k->client_create(a, &c, d);
    if (rc < 0)
        return rc;
    struct pcs_stub_client_thread *t = pcs_xcalloc(1, sizeof *t);
    t->kind = k;
    t->client = c;
    int err = pthread_create(&t->th, NULL, run_client, t);
    if (err) {
        k->client_destroy(c);
        free(t);
        return pcs_diag_set(d, PCS_ERR_INTERNAL, NULL, "stub %s client: pthread_create: %s",
                            k->protocol, strerror(err));
    }
    *out = t;
    return 0;
}

void pcs_stub_client_stop(struct pcs_stub_client_thread *t)
{
    if (!t)
        return;
    t->kind->client_stop(t->client);
    pthread_join(t->th, NULL);
    t->kind->client_destroy(t->client);
    free(t);
}
