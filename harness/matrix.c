/* matrix.c — see matrix.h. Loads the specs once, resolves every target name first (a bad name
 * stops the matrix with exit 2 before anything runs), then gives each target a turn: one
 * pcs_suite_run, its results kept as that target's column. Owns the specs, rulebook, targets
 * and runs it makes, and frees them before returning. */
#include "matrix.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "report.h"
#include "rules.h"
#include "target.h"

enum { EXIT_PASS = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

/* One column: a target and what ran against it. */
struct column {
    char *name;
    struct pcs_target *own;   /* made here (stub, HOST:PORT) and freed here, else NULL */
    struct pcs_target *t;     /* own, or a target of the targets file */
    struct pcs_run_result run;
};

struct state {
    const struct pcs_matrix_opts *o;
    struct pcs_rulebook rb;
    struct pcs_specs specs;
    struct pcs_targets file;
    struct column *cols;
    size_t ncols;
};

/* ---- targets ---- */

static bool is_builtin(const char *name)
{
    return strcmp(name, "stub") == 0 || strchr(name, ':') != NULL;
}

/* Splits "a,b,c" into columns; refuses an empty or repeated name. */
static int split_names(struct state *st)
{
    const char *s = st->o->targets;
    while (s) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        char *name = pcs_xstrndup(s, n);
        for (size_t i = 0; i < st->ncols && *name; i++)
            if (strcmp(st->cols[i].name, name) == 0) {
                fprintf(st->o->err, "pcs: --target names '%s' twice\n", name);
                free(name);
                return EXIT_USAGE;
            }
        if (!*name) {
            fprintf(st->o->err, "pcs: --target wants names separated by commas, not '%s'\n",
                    st->o->targets);
            free(name);
            return EXIT_USAGE;
        }
        st->cols = pcs_xrealloc(st->cols, (st->ncols + 1) * sizeof *st->cols);
        st->cols[st->ncols++] = (struct column){.name = name};
        s = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* The targets file, as `pcs run` finds it: --targets, else ci/targets.yaml when some name is
 * neither `stub` nor HOST:PORT. */
static int load_file(struct state *st)
{
    const char *path = st->o->targets_file;
    for (size_t i = 0; !path && i < st->ncols; i++)
        if (!is_builtin(st->cols[i].name) && access("ci/targets.yaml", R_OK) == 0)
            path = "ci/targets.yaml";
    struct pcs_diag d = {0};
    if (path && pcs_targets_load(&st->file, path, &d)) {
        fprintf(st->o->err, "%s\n", d.msg);
        return EXIT_USAGE;
    }
    return 0;
}

static int resolve_targets(struct state *st)
{
    int rc = split_names(st);
    if (rc || (rc = load_file(st)))
        return rc;
    for (size_t i = 0; i < st->ncols; i++) {
        struct column *c = &st->cols[i];
        c->t = st->file.n ? pcs_targets_find(&st->file, c->name) : NULL;
        struct pcs_diag d = {0};
        if (!c->t && pcs_target_make(c->name, &c->own, &d)) {
            fprintf(st->o->err, "pcs: %s\n", d.msg);
            return EXIT_USAGE;
        }
        if (!c->t)
            c->t = c->own;
    }
    return 0;
}

/* ---- one turn ---- */

/* Progress: the suite reports each finished case to a console. Ours writes into a sink whose
 * write hook runs at the console's fflush after every case (on a worker thread, under the
 * suite's lock) and redraws one status line on the terminal instead. */
struct progress {
    struct pcs_console con;   /* what the suite writes to: out is the sink */
    FILE *tty;                /* where the status line goes, or NULL */
    const char *target;
    size_t turn, nturns;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    struct progress *p = cookie;
    (void)buf;
    if (p->tty && p->con.done < p->con.total) {
        fprintf(p->tty, "\r\033[K[%zu/%zu] %s: %zu/%zu specs…", p->turn + 1, p->nturns,
                p->target, p->con.done + 1, p->con.total);
        fflush(p->tty);
    }
    return (ssize_t)n;
}

static void turn_line(const struct state *st, size_t i, double seconds)
{
    const struct column *c = &st->cols[i];
    size_t n[5];
    pcs_run_counts(&c->run, n);
    if (st->o->progress)
        fputs("\r\033[K", st->o->out);
    fprintf(st->o->out, "[%zu/%zu] %s: %zu specs, %zu not passing (%.2fs)%s\n", i + 1, st->ncols,
            c->name, c->run.ncases, n[PCS_FAIL] + n[PCS_WARN] + n[PCS_ERROR], seconds,
            c->run.interrupted ? ", interrupted" : "");
    fflush(st->o->out);
}

static void run_turn(struct state *st, size_t i)
{
    const struct pcs_matrix_opts *o = st->o;
    struct column *c = &st->cols[i];
    char *repro = pcs_repro_command(c->name, o->targets_file, NULL, o->rules_dir,
                                    o->timeout_scale, o->strict);
    char *dir = o->capture_dir ? pcs_xasprintf("%s/%s", o->capture_dir, c->name) : NULL;
    struct pcs_run_opts ro = {.target = c->t, .rb = &st->rb, .timeout_scale = o->timeout_scale,
                              .strict = o->strict, .repro = repro,
                              .interrupted = o->interrupted, .capture_dir = dir,
                              .capture_mode = PCS_CAPTURE_AUTO};
    struct progress p = {.con = {.total = st->specs.n}, .tty = o->progress ? o->out : NULL,
                         .target = c->name, .turn = i, .nturns = st->ncols};
    p.con.out = fopencookie(&p, "w", (cookie_io_functions_t){.write = sink_write});
    c->run.name = pcs_xstrdup(c->name);
    sink_write(&p, NULL, 0);
    pcs_time t0 = pcs_now();
    pcs_suite_run(&st->specs, &ro, o->jobs, p.con.out ? &p.con : NULL, &c->run);
    c->run.seconds = (double)(pcs_now() - t0) / 1e9;
    if (p.con.out)
        fclose(p.con.out);
    pcs_target_stop(c->t);   /* its turn is over: a started server goes now */
    if (c->t->via_target)
        pcs_target_stop(c->t->via_target);
    turn_line(st, i, c->run.seconds);
    free(dir);
    free(repro);
}

/* ---- reports and exit status ---- */

static int report(struct state *st, double seconds)
{
    const struct pcs_matrix_opts *o = st->o;
    const char **names = pcs_xcalloc(st->ncols + 1, sizeof *names);
    struct pcs_run_result *runs = pcs_xcalloc(st->ncols + 1, sizeof *runs);
    bool interrupted = o->interrupted && *o->interrupted;
    for (size_t i = 0; i < st->ncols; i++) {
        names[i] = st->cols[i].name;
        runs[i] = st->cols[i].run;   /* a shallow view: the columns keep owning the cases */
    }
    struct pcs_matrix m = {.targets = names, .runs = runs, .ntargets = st->ncols,
                           .interrupted = interrupted, .seconds = seconds};
    struct pcs_console con = {.out = o->out, .color = o->color};
    fputc('\n', o->out);
    pcs_matrix_console(&con, &m);
    int rc = pcs_matrix_ok(&m) && !interrupted ? EXIT_PASS : EXIT_FAILED;
    struct pcs_diag d = {0};
    if (o->md && pcs_matrix_markdown(&m, o->md, &d)) {
        fprintf(o->err, "pcs: %s\n", d.msg);
        rc = EXIT_INTERNAL;
    }
    pcs_diag_clear(&d);
    if (o->json && pcs_matrix_json(&m, o->json, &d)) {
        fprintf(o->err, "pcs: %s\n", d.msg);
        rc = EXIT_INTERNAL;
    }
    free(runs);
    free(names);
    return rc;
}

static void state_free(struct state *st)
{
    for (size_t i = 0; i < st->ncols; i++) {
        pcs_run_free(&st->cols[i].run);
        pcs_target_free(st->cols[i].own);
        free(st->cols[i].name);
    }
    free(st->cols);
    pcs_targets_free(&st->file);
    pcs_specs_free(&st->specs);
    pcs_rulebook_free(&st->rb);
}

static int prepare(struct state *st)
{
    const struct pcs_matrix_opts *o = st->o;
    if (!o->targets || !*o->targets) {
        fprintf(o->err, "pcs: matrix needs --target NAME,NAME,... (stub, HOST:PORT or names "
                        "in the targets file)\n");
        return EXIT_USAGE;
    }
    if (o->nspecs == 0) {
        fprintf(o->err, "pcs: matrix needs specs (files, folders or globs)\n");
        return EXIT_USAGE;
    }
    if (pcs_specs_load(&st->specs, o->specs, o->nspecs, o->rules_dir, &st->rb, o->err))
        return EXIT_USAGE;
    if (o->filter)
        pcs_specs_filter(&st->specs, o->filter);
    return resolve_targets(st);
}

int pcs_matrix_run(const struct pcs_matrix_opts *o)
{
    struct state st = {.o = o};
    int rc = prepare(&st);
    if (rc) {
        state_free(&st);
        return rc;
    }
    const char *notice = o->capture_dir ? pcs_capture_mode_notice(PCS_CAPTURE_AUTO) : NULL;
    if (notice)
        fprintf(o->err, "pcs: %s\n", notice);
    pcs_time t0 = pcs_now();
    for (size_t i = 0; i < st.ncols && !(o->interrupted && *o->interrupted); i++)
        run_turn(&st, i);
    rc = report(&st, (double)(pcs_now() - t0) / 1e9);
    state_free(&st);
    return rc;
}
