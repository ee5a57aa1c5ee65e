/* target.c — targets: the stub, an address, or a process pcs starts (targets file), and the
 * spawning/killing of child processes by PID. Readiness is polled with a deadline; nothing
 * sleeps without one. */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "match.h"
#include "net.h"
#include "stub.h"
#include "yaml_load.h"

/* ---- loading ---- */

static char **str_list(const struct pcs_value *v, size_t *n)
{
    *n = 0;
    if (!v || v->type != PCS_V_LIST)
        return NULL;
    char **out = pcs_xcalloc(v->u.c.n + 1, sizeof *out);
    for (size_t i = 0; i < v->u.c.n; i++) {
        const struct pcs_value *it = v->u.c.items[i];
        struct pcs_buf b;
        pcs_buf_init(&b);
        if (it->type == PCS_V_STR)
            pcs_buf_append(&b, it->u.s.p, it->u.s.len);
        else
            pcs_value_to_json(it, &b);
        out[(*n)++] = pcs_xstrdup(pcs_buf_cstr(&b));
        pcs_buf_free(&b);
    }
    return out;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

static int bad(struct pcs_diag *d, const char *file, const struct pcs_value *at, const char *msg,
               const char *what)
{
    return pcs_diag_set(d, PCS_ERR_INVALID, NULL, "%s:%u:%u: %s%s", file, at ? at->line : 0,
                        at ? at->col : 0, msg, what ? what : "");
}

static const char *const target_keys[] = {"protocol", "versions", "role", "address", "start",
    "files", "ready", "capabilities", "actions", "version_vars", "via", NULL};

static int load_one(struct pcs_target *t, const char *file, const char *name,
                    const struct pcs_value *v, struct pcs_diag *d)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->observing, NULL);
    t->name = pcs_xstrdup(name);
    t->line = v->line;
    t->pid = -1;
    if (v->type != PCS_V_MAP)
        return bad(d, file, v, "a target is a map", NULL);
    for (size_t i = 0; i < v->u.c.n; i++) {
        bool known = false;
        for (size_t k = 0; target_keys[k]; k++)
            known |= strcmp(v->u.c.keys[i], target_keys[k]) == 0;
        if (!known)
            return bad(d, file, v->u.c.items[i], "unknown key in target: ", v->u.c.keys[i]);
    }
    const char *proto = pcs_value_get_str(v, "protocol");
    if (!proto)
        return bad(d, file, v, "target needs `protocol`", NULL);
    t->protocol = pcs_xstrdup(proto);
    t->versions = str_list(pcs_value_get(v, "versions"), &t->nversions);
    t->caps = str_list(pcs_value_get(v, "capabilities"), &t->ncaps);
    const char *role = pcs_value_get_str(v, "role");
    bool client = role && strcmp(role, "client") == 0;
    if (role && !client && strcmp(role, "server") != 0)
        return bad(d, file, pcs_value_get(v, "role"), "role is server or client", NULL);
    t->kind = client ? PCS_TK_CLIENT : PCS_TK_STARTED;
    t->start = str_list(pcs_value_get(v, "start"), &t->nstart);
    t->files = pcs_value_clone(pcs_value_get(v, "files"));
    t->actions = pcs_value_clone(pcs_value_get(v, "actions"));
    t->version_vars = pcs_value_clone(pcs_value_get(v, "version_vars"));
    const char *via = pcs_value_get_str(v, "via");
    if (via && !client)
        return bad(d, file, pcs_value_get(v, "via"), "`via` is for client targets", NULL);
    t->via = via ? pcs_xstrdup(via) : NULL;
    const char *addr = pcs_value_get_str(v, "address");
    t->address = pcs_xstrdup(addr ? addr : "127.0.0.1:${port}");
    t->ready_timeout = PCS_SEC(10);
    const struct pcs_value *ready = pcs_value_get(v, "ready");
    const char *rt = ready ? pcs_value_get_str(ready, "connect") : NULL;
    if (rt && pcs_parse_duration(rt, &t->ready_timeout))
        return bad(d, file, pcs_value_get(ready, "connect"), "bad duration", NULL);
    if (!client && t->nstart == 0 && strstr(t->address, "${port}"))
        return bad(d, file, v, "a server target needs `start` (or a fixed `address`)", NULL);
    if (client && (!t->actions || t->actions->type != PCS_V_MAP))
        return bad(d, file, v, "a client target needs `actions`", NULL);
    if (!client && t->nstart == 0) {
        t->kind = PCS_TK_ADDRESS;
        if (pcs_net_parse_hostport(t->address, &t->host, &t->port))
            return bad(d, file, pcs_value_get(v, "address"), "bad address: ", t->address);
    }
    return 0;
}

int pcs_targets_load(struct pcs_targets *ts, const char *path, struct pcs_diag *d)
{
    memset(ts, 0, sizeof *ts);
    struct pcs_value *doc;
    int rc = pcs_yaml_load_file(path, &doc, d);
    if (rc)
        return rc;
    ts->file = pcs_xstrdup(path);
    const struct pcs_value *list = pcs_value_get(doc, "targets");
    if (!list || list->type != PCS_V_MAP) {
        rc = bad(d, path, doc, "a targets file has a `targets` map", NULL);
        goto out;
    }
    ts->t = pcs_xcalloc(list->u.c.n, sizeof *ts->t);
    char *abs = realpath(path, NULL);
    char *slash = abs ? strrchr(abs, '/') : NULL;
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < list->u.c.n; i++) {
        rc = load_one(&ts->t[ts->n++], path, list->u.c.keys[i], list->u.c.items[i], d);
        ts->t[ts->n - 1].base = pcs_xstrdup(abs ? abs : ".");
        if (rc)
            break;
    }
    free(abs);
    for (size_t i = 0; !rc && i < ts->n; i++) {   /* `via` names a server target */
        struct pcs_target *t = &ts->t[i];
        if (!t->via)
            continue;
        t->via_target = pcs_targets_find(ts, t->via);
        if (!t->via_target || t->via_target->kind != PCS_TK_STARTED)
            rc = pcs_diag_set(d, PCS_ERR_INVALID, NULL,
                              "%s:%u:1: target %s: `via: %s` is not a server target pcs starts",
                              path, t->line, t->name, t->via);
    }
out:
    pcs_value_free(doc);
    if (rc)
        pcs_targets_free(ts);
    return rc;
}

void pcs_target_fini(struct pcs_target *t)
{
    pcs_target_stop(t);
    free(t->name);
    free(t->protocol);
    free_list(t->versions, t->nversions);
    free(t->host);
    free(t->address);
    free_list(t->start, t->nstart);
    pcs_value_free(t->files);
    free_list(t->caps, t->ncaps);
    pcs_value_free(t->actions);
    pcs_value_free(t->version_vars);
    free(t->workdir);
    free(t->base);
    free(t->via);
    pthread_mutex_destroy(&t->lock);
    pthread_mutex_destroy(&t->observing);
}

void pcs_target_free(struct pcs_target *t)
{
    if (!t)
        return;
    pcs_target_fini(t);
    free(t);
}

void pcs_targets_free(struct pcs_targets *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        pcs_target_fini(&ts->t[i]);
    free(ts->t);
    free(ts->file);
    memset(ts, 0, sizeof *ts);
}

struct pcs_target *pcs_targets_find(struct pcs_targets *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].name, name) == 0)
            return &ts->t[i];
    return NULL;
}

int pcs_target_make(const char *spec, struct pcs_target **out, struct pcs_diag *d)
{
    struct pcs_target *t = pcs_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_init(&t->observing, NULL);
    t->pid = -1;
    t->name = pcs_xstrdup(spec);
    if (strcmp(spec, "stub") == 0) {
        t->kind = PCS_TK_STUB;
    } else {
        t->kind = PCS_TK_ADDRESS;
        if (pcs_net_parse_hostport(spec, &t->host, &t->port) || t->port == 0) {
            pcs_target_free(t);
            return pcs_diag_set(d, PCS_ERR_INVALID, NULL,
                                "unknown target '%s': not 'stub', HOST:PORT or a name in the "
                                "targets file", spec);
        }
    }
    *out = t;
    return 0;
}

/* ---- capabilities ---- */

bool pcs_target_supports(const struct pcs_target *t, const struct pcs_spec *s, char *why,
                         size_t whylen)
{
    if (t->protocol && strcmp(t->protocol, s->protocol) != 0) {
        snprintf(why, whylen, "target %s speaks %s, not %s", t->name, t->protocol, s->protocol);
        return false;
    }
    bool client = t->kind == PCS_TK_CLIENT;
    if (t->kind == PCS_TK_STUB && s->target == PCS_TARGET_CLIENT) {   /* the stub's client */
        const struct pcs_stub_kind *k = pcs_stub_find(s->protocol);
        for (size_t i = 0; i < s->nsteps; i++) {
            const char *a = s->steps[i].action;
            if (s->steps[i].kind == PCS_STEP_INVOKE && !pcs_stub_has_action(k, a)) {
                snprintf(why, whylen, "the built-in %s stub has no client action '%s'",
                         s->protocol, a);
                return false;
            }
        }
        return true;
    }
    if (client != (s->target == PCS_TARGET_CLIENT)) {
        snprintf(why, whylen, "spec tests a %s; target %s is a %s",
                 s->target == PCS_TARGET_CLIENT ? "client" : "server", t->name,
                 client ? "client" : "server");
        return false;
    }
    if (t->nversions) {
        bool ok = false;
        for (size_t i = 0; i < t->nversions; i++)
            ok |= strcmp(t->versions[i], s->version) == 0;
        if (!ok) {
            snprintf(why, whylen, "target %s does not implement %s %s", t->name, s->protocol,
                     s->version);
            return false;
        }
    }
    for (size_t i = 0; client && i < s->nsteps; i++) {
        const char *a = s->steps[i].action;
        if (s->steps[i].kind == PCS_STEP_INVOKE && !pcs_value_get(t->actions, a)) {
            snprintf(why, whylen, "target %s has no action '%s'", t->name, a);
            return false;
        }
    }
    if (t->kind == PCS_TK_STUB || t->kind == PCS_TK_ADDRESS)
        return true;   /* the stub claims everything its specs need; addresses are trusted */
    for (size_t i = 0; i < s->nrequires; i++) {
        bool ok = false;
        for (size_t j = 0; j < t->ncaps; j++)
            ok |= strcmp(t->caps[j], s->requires[i]) == 0;
        if (!ok) {
            snprintf(why, whylen, "target %s lacks capability '%s'", t->name, s->requires[i]);
            return false;
        }
    }
    return true;
}

/* ---- processes ---- */

pid_t pcs_spawn(char *const *argv, const char *cwd, const char *log, struct pcs_diag *d)
{
    int err[2];
    if (pipe2(err, O_CLOEXEC)) {
        pcs_diag_set(d, PCS_ERR_IO, NULL, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(err[0]);
        close(err[1]);
        pcs_diag_set(d, PCS_ERR_IO, NULL, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        if (cwd && chdir(cwd) != 0)
            _exit(127);
        execvp(argv[0], argv);
        int e = errno;
        if (write(err[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(err[1]);
    int e = 0;
    ssize_t n = read(err[0], &e, sizeof e);   /* EOF on successful exec (CLOEXEC) */
    close(err[0]);
    if (n == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        pcs_diag_set(d, PCS_ERR_IO, NULL, "cannot run %s: %s", argv[0], strerror(e));
        return -1;
    }
    return pid;
}

bool pcs_wait_exit(pid_t pid, pcs_time deadline)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);   /* readable once the process exits */
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            if (pfd >= 0)
                close(pfd);
            return true;
        }
        pcs_time now = pcs_now();
        if (now >= deadline) {
            if (pfd >= 0)
                close(pfd);
            return false;
        }
        int ms = (int)((deadline - now) / 1000000) + 1;
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        /* without a pidfd (old kernels), look again every 5 ms until the deadline */
        poll(pfd >= 0 ? &p : NULL, pfd >= 0, pfd >= 0 ? ms : (ms < 5 ? ms : 5));
    }
}

void pcs_kill(pid_t pid, pcs_time grace)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    if (!pcs_wait_exit(pid, pcs_now() + grace)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

bool pcs_target_alive(struct pcs_target *t)
{
    if (t->pid <= 0)
        return false;
    int st;
    pid_t r = waitpid(t->pid, &st, WNOHANG);
    if (r == 0)
        return true;
    t->pid = -1;
    return false;
}

void pcs_target_stop(struct pcs_target *t)
{
    if (t->pid > 0)
        pcs_kill(t->pid, PCS_MS(2000));
    t->pid = -1;
}

static struct pcs_value *target_vars(const struct pcs_target *t)
{
    struct pcs_value *v = pcs_value_map();
    pcs_value_set(v, "port", pcs_value_int(t->port));
    pcs_value_set(v, "dir", pcs_value_str(t->workdir ? t->workdir : "."));
    pcs_value_set(v, "host", pcs_value_str(t->host ? t->host : "127.0.0.1"));
    pcs_value_set(v, "targets_dir", pcs_value_str(t->base ? t->base : "."));
    return v;
}

static int expand(const char *tmpl, const struct pcs_value *vars, char **out,
                  struct pcs_diag *d)
{
    struct pcs_value *s = pcs_value_str(tmpl), *r;
    int rc = pcs_template_apply(s, vars, &r, d);
    pcs_value_free(s);
    if (rc)
        return rc;
    struct pcs_buf b;
    pcs_buf_init(&b);
    if (r->type == PCS_V_STR)
        pcs_buf_append(&b, r->u.s.p, r->u.s.len);
    else
        pcs_value_to_json(r, &b);
    *out = pcs_xstrdup(pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    pcs_value_free(r);
    return 0;
}

static int write_files(struct pcs_target *t, const struct pcs_value *vars, struct pcs_diag *d)
{
    for (size_t i = 0; t->files && t->files->type == PCS_V_MAP && i < t->files->u.c.n; i++) {
        const struct pcs_value *c = t->files->u.c.items[i];
        char *text;
        int rc = expand(c->type == PCS_V_STR ? c->u.s.p : "", vars, &text, d);
        if (rc)
            return rc;
        char *path = pcs_xasprintf("%s/%s", t->workdir, t->files->u.c.keys[i]);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        free(text);
        if (!f) {
            rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: %s", path, strerror(errno));
            free(path);
            return rc;
        }
        free(path);
    }
    return 0;
}

static int start_locked(struct pcs_target *t, struct pcs_diag *d)
{
    if (!t->workdir) {
        char tmpl[] = "/tmp/pcs-target-XXXXXX";
        if (!mkdtemp(tmpl))
            return pcs_diag_set(d, PCS_ERR_IO, NULL, "mkdtemp: %s", strerror(errno));
        t->workdir = pcs_xstrdup(tmpl);
    }
    free(t->host);
    t->host = NULL;
    t->port = pcs_net_free_port();
    struct pcs_value *vars = target_vars(t);
    char *addr = NULL;
    int rc = expand(t->address, vars, &addr, d);
    if (!rc && pcs_net_parse_hostport(addr, &t->host, &t->port))
        rc = pcs_diag_set(d, PCS_ERR_INVALID, NULL, "target %s: bad address %s", t->name, addr);
    free(addr);
    if (!rc)
        rc = write_files(t, vars, d);
    char **argv = pcs_xcalloc(t->nstart + 1, sizeof *argv);
    for (size_t i = 0; !rc && i < t->nstart; i++)
        rc = expand(t->start[i], vars, &argv[i], d);
    pcs_value_free(vars);
    if (!rc) {
        char *log = pcs_xasprintf("%s/output.log", t->workdir);
        t->pid = pcs_spawn(argv, t->workdir, log, d);
        free(log);
        if (t->pid < 0)
            rc = d->code ? d->code : PCS_ERR_IO;
    }
    free_list(argv, t->nstart);
    if (rc)
        return rc;
    /* ready: the port accepts a connection before the deadline */
    pcs_time deadline = pcs_now() + t->ready_timeout;
    while (pcs_now() < deadline) {
        if (!pcs_target_alive(t))
            return pcs_diag_set(d, PCS_ERR_IO, NULL,
                                "target %s exited during start-up (see %s/output.log)", t->name,
                                t->workdir);
        if (pcs_net_probe(t->host, t->port, PCS_MS(200)) == 0)
            return 0;
        poll(NULL, 0, 10);   /* not yet listening: try again until the deadline */
    }
    pcs_target_stop(t);
    return pcs_diag_set(d, PCS_ERR_TIMEOUT, NULL, "target %s not accepting on %s:%u within %.1fs",
                        t->name, t->host, t->port, (double)t->ready_timeout / 1e9);
}

int pcs_target_ensure(struct pcs_target *t, struct pcs_diag *d)
{
    if (t->kind != PCS_TK_STARTED)
        return 0;
    pthread_mutex_lock(&t->lock);
    int rc = 0;
    if (!pcs_target_alive(t)) {
        if (t->restarts++ > 3)
            rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "target %s keeps dying; not restarted again",
                              t->name);
        else
            rc = start_locked(t, d);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int pcs_target_action_argv(const struct pcs_target *t, const char *action,
                           const struct pcs_value *vars, char ***argv, struct pcs_diag *d)
{
    const struct pcs_value *tmpl = pcs_value_get(t->actions, action);
    if (!tmpl || tmpl->type != PCS_V_LIST || tmpl->u.c.n == 0)
        return pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "target %s has no action '%s'", t->name,
                            action);
    char **out = pcs_xcalloc(tmpl->u.c.n + 1, sizeof *out);
    for (size_t i = 0; i < tmpl->u.c.n; i++) {
        const struct pcs_value *a = tmpl->u.c.items[i];
        int rc = a->type == PCS_V_STR ? expand(a->u.s.p, vars, &out[i], d) : 0;
        if (a->type != PCS_V_STR) {
            struct pcs_buf b;
            pcs_buf_init(&b);
            pcs_value_to_json(a, &b);
            out[i] = pcs_xstrdup(pcs_buf_cstr(&b));
            pcs_buf_free(&b);
        }
        if (rc) {
            free_list(out, i);
            return rc;
        }
    }
    *argv = out;
    return 0;
}
