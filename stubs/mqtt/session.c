/* session.c — the stub broker's durable state: sessions keyed by client id (subscriptions,
 * outbound queue, inbound QoS 2 ids, delayed Will, expiry), the retained-message store and
 * Will publication. No I/O here: delivering goes through publish.c's queues.
 * The broker owns the session and retained lists; each entry owns its strings and values. */
#include "broker.h"

#include <stdlib.h>
#include <string.h>

void pcs_mqb_msg_free(struct pcs_mqb_msg *m)
{
    free(m->topic);
    free(m->payload);
    free(m->origin);
    pcs_value_free(m->props);
    memset(m, 0, sizeof *m);
}

void pcs_mqb_msg_copy(struct pcs_mqb_msg *dst, const struct pcs_mqb_msg *src)
{
    *dst = *src;
    dst->topic = pcs_xstrdup(src->topic);
    dst->payload = pcs_xmalloc(src->plen ? src->plen : 1);
    if (src->plen)
        memcpy(dst->payload, src->payload, src->plen);
    dst->origin = src->origin ? pcs_xstrdup(src->origin) : NULL;
    dst->props = src->props ? pcs_value_clone(src->props) : NULL;
}

void pcs_mqb_will_free(struct pcs_mqb_will *w)
{
    if (!w)
        return;
    pcs_mqb_msg_free(&w->msg);
    free(w);
}

struct pcs_mqb_session *pcs_mqb_session_find(struct pcs_stub *b, const char *client_id)
{
    for (struct pcs_mqb_session *s = b->sessions; s; s = s->next)
        if (strcmp(s->client_id, client_id) == 0)
            return s;
    return NULL;
}

struct pcs_mqb_session *pcs_mqb_session_new(struct pcs_stub *b, const char *client_id)
{
    struct pcs_mqb_session *s = pcs_xcalloc(1, sizeof *s);
    s->client_id = pcs_xstrdup(client_id);
    s->next_id = 1;
    s->expires_at = PCS_MQB_NEVER;
    s->next = b->sessions;
    b->sessions = s;
    b->nsessions++;
    return s;
}

static void session_free(struct pcs_mqb_session *s)
{
    for (size_t i = 0; i < s->nsubs; i++)
        pcs_mqb_sub_free(&s->subs[i]);
    free(s->subs);
    while (s->head) {
        struct pcs_mqb_out *o = s->head;
        s->head = o->next;
        pcs_mqb_out_free(o);
    }
    pcs_mqb_will_free(s->will);
    pcs_mqb_will_free(s->spent_will);
    for (size_t i = 0; i <= PCS_MQB_TOPIC_ALIAS_MAX; i++)
        free(s->alias[i]);
    free(s->client_id);
    free(s);
}

/* The retained-dropped-with-session fault: deletes the retained messages cid published. */
static void drop_retained_of(struct pcs_stub *b, const char *cid)
{
    for (struct pcs_mqb_retained **pp = &b->retained; *pp;) {
        struct pcs_mqb_retained *r = *pp;
        if (!r->msg.origin || strcmp(r->msg.origin, cid) != 0) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        pcs_mqb_msg_free(&r->msg);
        free(r);
        b->nretained--;
    }
}

void pcs_mqb_session_end(struct pcs_stub *b, struct pcs_mqb_session *s)
{
    for (struct pcs_mqb_session **pp = &b->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            b->nsessions--;
            break;
        }
    }
    if (pcs_mqb_fault_v(b, s->version, F_SHARED_INFLIGHT_REROUTED_V5))
        pcs_mqb_drop_inflight(b, s, NULL, true);    /* the fault: MQTT-4.8.2-5 */
    if (s->conn)
        s->conn->sess = NULL;
    struct pcs_mqb_will *w = s->will;
    s->will = NULL;
    pcs_mqb_log(b, NULL, "session %s ended", s->client_id);
    if (pcs_mqb_fault_v(b, s->version, F_RETAINED_DROPPED_WITH_SESSION))
        drop_retained_of(b, s->client_id);          /* the fault: MQTT-3.1.2.7 */
    session_free(s);
    if (w)
        pcs_mqb_will_publish(b, w);   /* the session ended before the Will delay did */
}

void pcs_mqb_session_timers(struct pcs_stub *b, int64_t *next)
{
    struct pcs_mqb_session *s = b->sessions, *nx;
    for (; s; s = nx) {
        nx = s->next;
        if (s->will && s->will_at <= b->now) {
            struct pcs_mqb_will *w = s->will;
            s->will = NULL;
            pcs_mqb_will_publish(b, w);
            nx = s->next;           /* routing may not unlink sessions, but be safe */
        } else if (s->will && s->will_at < *next) {
            *next = s->will_at;
        }
        if (!s->conn && s->expires_at <= b->now) {
            pcs_mqb_session_end(b, s);
            nx = b->sessions;       /* the list changed under us: rescan (bounded: one fewer) */
            continue;
        }
        if (!s->conn && s->expires_at < *next)
            *next = s->expires_at;
    }
}

void pcs_mqb_will_publish(struct pcs_stub *b, struct pcs_mqb_will *w)
{
    if (pcs_mqb_fault_v(b, w->version, F_WILL_NOT_SENT)) {
        pcs_mqb_will_free(w);
        return;
    }
    bool ignore_retain = pcs_mqb_fault_v(b, w->version, F_WILL_RETAIN_IGNORED) ||
                         pcs_mqb_fault_v(b, w->version, F_WILL_RETAIN_IGNORED_V5);
    if (ignore_retain)
        w->msg.retain = false;
    if (w->msg.expiry_interval >= 0)
        w->msg.expiry_at = b->now + w->msg.expiry_interval * 1000;
    pcs_mqb_log(b, NULL, "will published on %s", w->msg.topic);
    if (w->msg.retain)
        pcs_mqb_retain_store(b, &w->msg, w->version);
    pcs_mqb_route(b, &w->msg);
    pcs_mqb_will_free(w);
}

static struct pcs_mqb_retained **retained_slot(struct pcs_stub *b, const char *topic)
{
    struct pcs_mqb_retained **pp = &b->retained;
    while (*pp && strcmp((*pp)->msg.topic, topic) != 0)
        pp = &(*pp)->next;
    return pp;
}

void pcs_mqb_retain_store(struct pcs_stub *b, const struct pcs_mqb_msg *m, int version)
{
    struct pcs_mqb_retained **pp = retained_slot(b, m->topic);
    bool store_empty = !*pp && pcs_mqb_fault_v(b, version, F_EMPTY_RETAINED_STORED_V5);
    if (m->plen == 0 && !store_empty) {                 /* else the fault: MQTT-3.3.1-7 */
        bool keep = pcs_mqb_fault_v(b, version, F_RETAIN_NOT_CLEARED) ||
                    pcs_mqb_fault_v(b, version, F_RETAIN_NOT_CLEARED_V5);
        if (*pp && !keep) {
            struct pcs_mqb_retained *r = *pp;
            *pp = r->next;
            pcs_mqb_msg_free(&r->msg);
            free(r);
            b->nretained--;
        }
        return;
    }
    if (pcs_mqb_fault_v(b, version, F_RETAIN_NOT_STORED))
        return;
    if (*pp && m->qos == 0 && pcs_mqb_fault_v(b, version, F_RETAINED_KEPT_ON_QOS0))
        return;                                     /* the fault: MQTT-3.3.1-7 */
    struct pcs_mqb_retained *r = *pp;
    if (!r) {
        if (b->nretained >= PCS_MQB_MAX_RETAINED) {
            pcs_mqb_log(b, NULL, "retained store full: %s not stored", m->topic);
            return;
        }
        r = pcs_xcalloc(1, sizeof *r);
        *pp = r;
        b->nretained++;
    } else {
        pcs_mqb_msg_free(&r->msg);
    }
    pcs_mqb_msg_copy(&r->msg, m);
    r->msg.retain = true;
}

void pcs_mqb_free_all(struct pcs_stub *b)
{
    while (b->sessions) {
        struct pcs_mqb_session *s = b->sessions;
        b->sessions = s->next;
        if (s->conn)
            s->conn->sess = NULL;
        session_free(s);
    }
    while (b->retained) {
        struct pcs_mqb_retained *r = b->retained;
        b->retained = r->next;
        pcs_mqb_msg_free(&r->msg);
        free(r);
    }
    while (b->shares) {
        struct pcs_mqb_share_rr *r = b->shares;
        b->shares = r->next;
        free(r->key);
        free(r);
    }
}
