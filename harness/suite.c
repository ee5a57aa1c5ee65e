/* suite.c — see suite.h. Workers take the next spec index from a shared counter; results land
 * in the slot of their spec so reports keep spec order whatever finished first. */
#include "suite.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int pcs_specs_load(struct pcs_specs *out, char *const *args, size_t nargs,
                   const char *rules_dir, struct pcs_rulebook *rb, FILE *err)
{
    memset(out, 0, sizeof *out);
    struct pcs_diag d = {0};
    char **paths = NULL;
    size_t npaths = 0;
    if (pcs_spec_collect(args, nargs, &paths, &npaths, &d)) {
        fprintf(err, "pcs: %s\n", d.msg);
        return PCS_ERR_INVALID;
    }
    if (npaths == 0) {
        fprintf(err, "pcs: no spec files found\n");
        free(paths);
        return PCS_ERR_INVALID;
    }
    if (!rb->cats) {
        char dir[4096];
        if (rules_dir)
            snprintf(dir, sizeof dir, "%s", rules_dir);
        else
            pcs_rulebook_locate(paths[0], dir, sizeof dir);
        if (pcs_rulebook_load(rb, dir, &d)) {
            fprintf(err, "pcs: %s\n", d.msg);
            for (size_t i = 0; i < npaths; i++)
                free(paths[i]);
            free(paths);
            return PCS_ERR_INVALID;
        }
    }
    int rc = 0;
    out->s = pcs_xcalloc(npaths, sizeof *out->s);
    for (size_t i = 0; i < npaths; i++) {
        struct pcs_spec *s = NULL;
        pcs_diag_clear(&d);
        if (pcs_spec_load(paths[i], rb, &s, &d)) {
            fprintf(err, "%s\n", d.msg);
            rc = PCS_ERR_INVALID;
        } else {
            out->s[out->n++] = s;
        }
        free(paths[i]);
    }
    free(paths);
    /* ids are unique across the suite */
    for (size_t i = 0; i < out->n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->s[i]->id, out->s[j]->id) == 0) {
                fprintf(err, "%s:%u:1: duplicate spec id '%s' (also in %s)\n", out->s[i]->file,
                        out->s[i]->id_line, out->s[i]->id, out->s[j]->file);
                rc = PCS_ERR_INVALID;
            }
    return rc;
}

void pcs_specs_free(struct pcs_specs *s)
{
    for (size_t i = 0; i < s->n; i++)
        pcs_spec_free(s->s[i]);
    free(s->s);
    memset(s, 0, sizeof *s);
}

static bool any_glob(char **globs, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], id, 0) == 0)
            return true;
    return false;
}

/* FNV-1a of the id: the same spec lands in the same shard on every machine. */
static uint32_t stable_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

void pcs_specs_filter(struct pcs_specs *s, const struct pcs_filter *f)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *id = s->s[i]->id;
        bool keep = (!f->nonly || any_glob(f->only, f->nonly, id)) &&
                    !any_glob(f->skip, f->nskip, id) &&
                    (!f->shard_n || stable_hash(id) % f->shard_n == f->shard_k - 1);
        if (keep)
            s->s[kept++] = s->s[i];
        else
            pcs_spec_free(s->s[i]);
    }
    s->n = kept;
}

/* How long a spec waits on purpose, as far as its steps say: expect_none windows and
 * deadlines set above the default (keep alive, will delay, expiry). An estimate for ordering. */
static uint64_t planned_wait(const struct pcs_spec *s)
{
    uint64_t ns = 0;
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct pcs_step *st = &s->steps[i];
        if (st->kind == PCS_STEP_EXPECT_NONE || st->within_ns > PCS_SEC(2))
            ns += st->within_ns;
    }
    return ns;
}

/* The order workers take specs in: the longest waits first, so that with -j N they overlap
 * with the many short specs instead of trailing at the end. Reports keep the spec order. */
static size_t *run_order(const struct pcs_specs *specs)
{
    size_t *order = pcs_xcalloc(specs->n + 1, sizeof *order);
    uint64_t *wait = pcs_xcalloc(specs->n + 1, sizeof *wait);
    for (size_t i = 0; i < specs->n; i++) {
        wait[i] = planned_wait(specs->s[i]);
        size_t j = i;   /* insertion sort, stable: equal waits keep the spec order */
        while (j > 0 && wait[order[j - 1]] < wait[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    free(wait);
    return order;
}

struct work {
    const struct pcs_specs *specs;
    const size_t *order;
    const struct pcs_run_opts *o;
    struct pcs_console *con;
    struct pcs_case_result **slots;
    size_t next;
    pthread_mutex_t lock;
};

static void *worker(void *arg)
{
    struct work *w = arg;
    for (;;) {
        size_t k = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
        if (k >= w->specs->n || (w->o->interrupted && *w->o->interrupted))
            return NULL;
        size_t i = w->order[k];
        struct pcs_case_result *c = pcs_run_spec(w->specs->s[i], w->o);
        pthread_mutex_lock(&w->lock);
        w->slots[i] = c;
        if (w->con)
            pcs_console_case(w->con, c);
        pthread_mutex_unlock(&w->lock);
    }
}

void pcs_suite_run(const struct pcs_specs *specs, const struct pcs_run_opts *o, unsigned jobs,
                   struct pcs_console *con, struct pcs_run_result *run)
{
    size_t *order = run_order(specs);
    struct work w = {.specs = specs, .order = order, .o = o, .con = con};
    w.slots = pcs_xcalloc(specs->n + 1, sizeof *w.slots);
    pthread_mutex_init(&w.lock, NULL);
    if (jobs < 1)
        jobs = 1;
    if (jobs > specs->n)
        jobs = specs->n ? (unsigned)specs->n : 1;
    pthread_t *th = pcs_xcalloc(jobs, sizeof *th);
    unsigned started = 0;
    while (started + 1 < jobs && pthread_create(&th[started], NULL, worker, &w) == 0)
        started++;
    worker(&w);   /* this thread is a worker too */
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    for (size_t i = 0; i < specs->n; i++)
        if (w.slots[i])
            pcs_run_add(run, w.slots[i]);
    run->interrupted = o->interrupted && *o->interrupted;
    free(w.slots);
    free(order);
    pthread_mutex_destroy(&w.lock);
}
