/* runner_client.c — the client under test: an invoke step runs one of its actions (the
 * built-in stub's client in a thread, or the target's argv as a process), and a client target
 * with `via` is observed talking to a real server, then judged on the capture. */
#include "runner_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "match.h"
#include "replay_spec.h"

/* Runs an invoke step's action in the built-in stub's client, in a thread, against the
 * peer at 127.0.0.1:port, speaking version ver. */
static void invoke_stub(struct run *r, const struct pcs_step *st, const char *peer, uint16_t port,
                        const char *ver)
{
    struct pcs_value *with = NULL;
    struct pcs_diag d = {0};
    struct pcs_stub_client_thread *t = NULL;
    int rc = pcs_template_apply(st->with, r->vars, &with, &d);
    if (!rc && r->nclients >= MAX_CHILDREN)
        rc = pcs_diag_set(&d, PCS_ERR_INVALID, NULL, "too many client actions");
    if (!rc) {
        struct pcs_stub_action a = {.name = st->action, .vars = with, .version = ver,
                                    .host = "127.0.0.1", .port = port, .fault = r->o->fault};
        char *m = pcs_xasprintf("invoke %s: the built-in client%s%s", st->action,
                                r->o->fault ? ", fault " : "", r->o->fault ? r->o->fault : "");
        run_trace(r, peer, '!', m);
        free(m);
        rc = pcs_stub_client_start(pcs_stub_find(r->s->protocol), &a, &t, &d);
    }
    pcs_value_free(with);
    if (rc) {
        run_error(r, "invoke: %s", d.msg);
        return;
    }
    r->clients[r->nclients++] = t;
}

void run_invoke(struct run *r, const struct pcs_step *st, const char *peer, uint16_t port)
{
    /* the version the peer speaks (its own, else the spec's) */
    const char *ver = r->s->peers[st->peer].version ? r->s->peers[st->peer].version : r->s->version;
    if (r->o->target->kind == PCS_TK_STUB) {
        invoke_stub(r, st, peer, port, ver);
        return;
    }
    /* the target's argv for the action, from the spec's vars, the target's vars for the
     * version, where to connect and the step's `with` */
    struct pcs_value *vars = pcs_value_clone(r->vars), *with = NULL;
    struct pcs_diag d = {0};
    const struct pcs_value *vv = pcs_value_get(r->o->target->version_vars, ver);
    for (size_t i = 0; vv && vv->type == PCS_V_MAP && i < vv->u.c.n; i++)
        pcs_value_set(vars, vv->u.c.keys[i], pcs_value_clone(vv->u.c.items[i]));
    pcs_value_set(vars, "port", pcs_value_int(port));
    pcs_value_set(vars, "host", pcs_value_str("127.0.0.1"));
    pcs_value_set(vars, "version", pcs_value_str(ver));
    pcs_value_set(vars, "targets_dir",   /* scripts kept beside the targets file */
                  pcs_value_str(r->o->target->base ? r->o->target->base : "."));
    char **argv = NULL;
    int rc = pcs_template_apply(st->with, r->vars, &with, &d);
    for (size_t i = 0; !rc && with && i < with->u.c.n; i++)
        pcs_value_set(vars, with->u.c.keys[i], pcs_value_clone(with->u.c.items[i]));
    if (!rc)
        rc = pcs_target_action_argv(r->o->target, st->action, vars, &argv, &d);
    pcs_value_free(vars);
    pcs_value_free(with);
    if (rc) {
        run_error(r, "invoke: %s", d.msg);
        return;
    }
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_buf_printf(&b, "invoke %s:", st->action);
    for (size_t i = 0; argv[i]; i++)
        pcs_buf_printf(&b, " %s", argv[i]);
    run_trace(r, peer, '!', pcs_buf_cstr(&b));
    pcs_buf_free(&b);
    pid_t pid = r->nchildren < MAX_CHILDREN ? pcs_spawn(argv, NULL, NULL, &d) : -1;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    if (pid < 0) {
        run_error(r, "invoke: %s", d.msg[0] ? d.msg : "too many client processes");
        return;
    }
    r->children[r->nchildren++] = pid;
}

/* Runs the spec's invoke steps against the `via` server while capturing its port live, waits
 * (until the spec's deadline) for the clients to finish, and judges the spec on the capture. */
struct pcs_case_result *run_observe(const struct pcs_spec *s, const struct pcs_run_opts *o)
{
    struct run r = {.s = s, .o = o, .res = pcs_case_new(), .t0 = pcs_now()};
    r.deadline = r.t0 + scaled(&r, s->timeout_ns ? s->timeout_ns : PCS_SEC(10));
    run_fill_header(&r);
    run_make_vars(&r);
    struct pcs_target *srv = o->target->via_target;
    pthread_mutex_lock(&srv->observing);   /* one capture of its port at a time */
    struct pcs_diag d = {0};
    struct pcs_capture *cap = NULL;
    char *dir = o->capture_dir ? pcs_xstrdup(o->capture_dir) : NULL;
    char tmp[] = "/tmp/pcs-observe-XXXXXX";
    if (!dir && mkdtemp(tmp))
        dir = pcs_xstrdup(tmp);
    char why[256];
    if (!pcs_target_supports(o->target, s, why, sizeof why)) {
        r.res->verdict = PCS_SKIP;
        r.res->reason = pcs_xstrdup(why);
    } else if (pcs_target_ensure(srv, &d)) {
        run_error(&r, "%s", d.msg);
    } else if (!pcs_capture_live_permitted()) {
        run_error(&r, "%s", "observing a client needs live capture (root or CAP_NET_RAW)");
    } else if (pcs_capture_open(&cap, dir, s->id, PCS_CAPTURE_LIVE, &d) ||
               pcs_capture_watch_port(cap, srv->port, &d)) {
        run_error(&r, "capture: %s", d.msg);
    } else {
        for (size_t i = 0; i < s->nsteps && !r.stop; i++)
            if (s->steps[i].kind == PCS_STEP_INVOKE)
                run_invoke(&r, &s->steps[i], s->peers[s->steps[i].peer].name, srv->port);
        for (size_t i = 0; i < r.nchildren; i++)
            if (!pcs_wait_exit(r.children[i], r.deadline))
                pcs_kill(r.children[i], PCS_MS(500));
    }
    const char *pcap = cap ? pcs_capture_finish(cap, &d) : NULL;
    pthread_mutex_unlock(&srv->observing);
    if (pcap && !r.stop) {   /* judge the spec on what was captured */
        struct pcs_recording rec;
        if (pcs_recording_load(&rec, pcap, s, &d) == 0) {
            struct pcs_run_opts ro = *o;
            ro.recording = &rec;
            ro.uniq = pcs_value_get_str(r.vars, "uniq");
            struct pcs_case_result *judged = pcs_run_spec(s, &ro);
            free(judged->target);
            judged->target = pcs_xstrdup(o->target->name);
            pcs_case_free(r.res);
            r.res = judged;
        } else {
            run_error(&r, "reading the capture: %s", d.msg);
        }
        pcs_recording_free(&rec);
    }
    if (pcap && !r.res->pcap && o->capture_dir)
        r.res->pcap = pcs_xstrdup(pcap);
    pcs_capture_free(cap);
    if (!o->capture_dir && dir) {   /* no capture wanted: the scratch one goes */
        char *f = pcs_capture_path(dir, s->id);
        unlink(f);
        free(f);
        rmdir(dir);
    }
    free(dir);
    pcs_value_free(r.vars);
    r.res->seconds = (double)(pcs_now() - r.t0) / 1e9;
    return r.res;
}
