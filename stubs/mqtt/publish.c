/* publish.c — the stub broker's message flows: inbound PUBLISH (topic aliases, QoS 1/2
 * acknowledgements, duplicate QoS 2 suppression), routing to subscriptions (overlaps, no_local,
 * retain-as-published, subscription identifiers, shared round-robin) and each session's
 * outbound queue (packet ids, receive maximum, expiry, redelivery with DUP on resumption).
 * Queue entries are owned by their session; frames built here are handed to pcs_mqb_send. */
#include "broker.h"

#include <stdlib.h>
#include <string.h>

#define HOLD_MS 300   /* out-of-order fault: how long a lone QoS 1 message waits for a partner */

void pcs_mqb_out_free(struct pcs_mqb_out *o)
{
    pcs_mqb_msg_free(&o->m);
    free(o);
}

static uint16_t next_pid(uint16_t id) { return (uint16_t)(id == 0xFFFF ? 1 : id + 1); }

/* ---- inbound PUBLISH ---- */

/* Resolves the topic of an inbound PUBLISH through the connection's alias table.
 * Returns the topic (borrowed), or NULL after ending the connection. */
static const char *resolve_topic(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *topic,
                                 const struct pcs_value *props)
{
    struct pcs_value *a = props ? pcs_value_get(props, "topic_alias") : NULL;
    if (!a || a->type != PCS_V_INT || c->version != PCS_MQB_V5)
        return topic;
    if (a->u.i > PCS_MQB_TOPIC_ALIAS_MAX && pcs_mqb_fault(b, c, F_ACCEPT_TOPIC_ALIAS_ABOVE_MAX_V5))
        return topic;                               /* the fault: MQTT-4.13.1-1 (alias ignored) */
    bool zero_ok = pcs_mqb_fault(b, c, F_ACCEPT_TOPIC_ALIAS_ZERO);
    if ((a->u.i == 0 && !zero_ok) || a->u.i < 0 || a->u.i > PCS_MQB_TOPIC_ALIAS_MAX) {
        pcs_mqb_conn_end(b, c, RC_TOPIC_ALIAS_INVALID, true);
        return NULL;
    }
    char **slot = &c->alias[a->u.i];
    bool forget = pcs_mqb_fault(b, c, F_TOPIC_ALIAS_IGNORED);
    bool kept = c->sess && pcs_mqb_fault(b, c, F_TOPIC_ALIAS_KEPT_V5);
    if (topic[0]) {
        if (!forget) {
            free(*slot);
            *slot = pcs_xstrdup(topic);
        }
        if (kept) {                                 /* the fault: MQTT-3.3.2-7 */
            free(c->sess->alias[a->u.i]);
            c->sess->alias[a->u.i] = pcs_xstrdup(topic);
        }
        return topic;
    }
    if (!*slot && kept && c->sess->alias[a->u.i])
        return c->sess->alias[a->u.i];
    if (!*slot || forget) {
        pcs_mqb_log(b, c, "PUBLISH: unknown topic alias %lld", (long long)a->u.i);
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return NULL;
    }
    return *slot;
}

static void ack(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *type, int64_t id, int rc)
{
    struct pcs_value *f = pcs_mqb_frame(type);
    pcs_mqb_set_int(f, "packet_id", id);
    if (c->version == PCS_MQB_V5)
        pcs_mqb_set_int(f, "reason_code", rc);
    if (strcmp(type, "PUBREL") == 0 && pcs_mqb_fault(b, c, F_PUBREL_BAD_FLAGS))
        pcs_mqb_set_int(f, "flags", 0);
    pcs_mqb_send(b, c, f);
}

static bool qos2_pending(const struct pcs_mqb_session *s, uint16_t id)
{
    return (s->qos2_in[id >> 3] >> (id & 7)) & 1;
}

static void qos2_mark(struct pcs_mqb_session *s, uint16_t id, bool on)
{
    if (on)
        s->qos2_in[id >> 3] |= (uint8_t)(1u << (id & 7));
    else
        s->qos2_in[id >> 3] &= (uint8_t)~(1u << (id & 7));
}

/* Builds the broker's message from an inbound PUBLISH; props are cloned minus topic_alias. */
static void msg_from_publish(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_value *f,
                             const char *topic, struct pcs_mqb_msg *m)
{
    memset(m, 0, sizeof *m);
    m->topic = pcs_xstrdup(topic);
    struct pcs_value *pl = pcs_value_get(f, "payload");
    size_t n = pl && (pl->type == PCS_V_BYTES || pl->type == PCS_V_STR) ? pl->u.s.len : 0;
    m->payload = pcs_xmalloc(n ? n : 1);
    if (n)
        memcpy(m->payload, pl->u.s.p, n);
    m->plen = n;
    m->qos = (int)pcs_value_get_int(f, "qos", 0);
    m->retain = pcs_value_get_bool(f, "retain", false);
    m->dup_in = pcs_value_get_bool(f, "dup", false);
    m->origin = c->sess ? pcs_xstrdup(c->sess->client_id) : NULL;
    m->expiry_at = PCS_MQB_NEVER;
    m->expiry_interval = -1;
    struct pcs_value *p = pcs_value_get(f, "properties");
    if (c->version == PCS_MQB_V5 && p && p->type == PCS_V_MAP && p->u.c.n) {
        m->props = pcs_value_clone(p);
        pcs_value_free(pcs_value_take(m->props, "topic_alias"));
        m->expiry_interval = pcs_value_get_int(m->props, "message_expiry_interval", -1);
        if (m->expiry_interval >= 0)
            m->expiry_at = b->now + m->expiry_interval * 1000;
    }
}

/* Checks of an inbound PUBLISH after alias resolution; false after ending the connection. */
static bool publish_ok(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_value *f,
                       const char *topic)
{
    bool v5 = c->version == PCS_MQB_V5;
    int64_t qos = pcs_value_get_int(f, "qos", 0);
    struct pcs_value *p = pcs_value_get(f, "properties");
    if (qos < 0 || qos > 2) {                                    /* MQTT-3.3.1-4 */
        pcs_mqb_conn_end(b, c, RC_MALFORMED, true);
        return false;
    }
    if (!topic[0] && pcs_mqb_fault(b, c, F_ACCEPT_EMPTY_TOPIC_V5))
        return true;                                             /* the fault: MQTT-4.7.3-1 */
    if (!topic[0]) {
        pcs_mqb_conn_end(b, c, v5 ? RC_PROTOCOL_ERROR : -1, true);
        return false;
    }
    if (!pcs_mqb_topic_name_valid(topic) &&
        !pcs_mqb_fault(b, c, F_ACCEPT_WILDCARD_TOPIC_PUBLISH)) {  /* MQTT-3.3.2-2 */
        pcs_mqb_log(b, c, "PUBLISH: wildcard in topic name %s", topic);
        pcs_mqb_conn_end(b, c, RC_TOPIC_NAME_INVALID, true);
        return false;
    }
    if (v5 && p && pcs_value_get(p, "subscription_identifier")) { /* MQTT-3.3.4-6 */
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return false;
    }
    const char *rt = v5 && p ? pcs_value_get_str(p, "response_topic") : NULL;
    if (rt && !pcs_mqb_topic_name_valid(rt) &&
        !pcs_mqb_fault(b, c, F_ACCEPT_WILDCARD_RESPONSE_TOPIC_V5)) {   /* MQTT-3.3.2-14 */
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return false;
    }
    return true;
}

/* The bom-stripped fault: t without a leading EF BB BF on any level (malloc'd). */
static char *strip_bom(const char *t)
{
    char *r = pcs_xstrdup(t), *w = r;
    for (const char *p = t; *p;) {
        if ((p == t || p[-1] == '/') && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    return r;
}

void pcs_mqb_on_publish(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    const char *topic = pcs_value_get_str(f, "topic");
    topic = resolve_topic(b, c, topic ? topic : "", pcs_value_get(f, "properties"));
    if (!topic || !publish_ok(b, c, f, topic) || !c->sess)
        return;
    if (strncmp(topic, "$SYS/", 5) == 0 && pcs_mqb_fault(b, c, F_UNAUTHORIZED_PUBLISH_UNACKED))
        return;                                    /* the fault: MQTT-3.3.5-2 */
    char *unbom = pcs_mqb_fault(b, c, F_BOM_STRIPPED_V5) ? strip_bom(topic) : NULL;
    if (unbom)
        topic = unbom;                             /* the fault: MQTT-1.5.4-3 */
    int64_t qos = pcs_value_get_int(f, "qos", 0);
    uint16_t id = (uint16_t)pcs_value_get_int(f, "packet_id", 0);
    bool dup2 = qos == 2 && qos2_pending(c->sess, id) &&
                !pcs_mqb_fault(b, c, F_QOS2_DUPLICATE_DELIVERY) &&
                !pcs_mqb_fault(b, c, F_QOS2_DUPLICATE_DELIVERY_V5);
    if (qos == 1 && pcs_mqb_fault(b, c, F_QOS1_DUP_SUPPRESSED_V5)) {
        dup2 = pcs_value_get_bool(f, "dup", false) && qos2_pending(c->sess, id);
        qos2_mark(c->sess, id, true);              /* the fault: MQTT-4.3.2-5 */
    }
    if (!dup2) {                                   /* MQTT-4.3.3-10: no duplicate onward */
        struct pcs_mqb_msg m;
        msg_from_publish(b, c, f, topic, &m);
        if (m.retain || pcs_mqb_fault(b, c, F_NON_RETAINED_REPLACES_RETAINED_V5))
            pcs_mqb_retain_store(b, &m, c->version);   /* the fault: MQTT-3.3.1-8 */
        pcs_mqb_route(b, &m);
        pcs_mqb_msg_free(&m);
    }
    free(unbom);
    bool wrong = pcs_mqb_fault(b, c, F_PUBACK_WRONG_ID) || pcs_mqb_fault(b, c, F_PUBACK_WRONG_ID_V5);
    if (qos == 1 && !pcs_mqb_fault(b, c, F_NO_PUBACK))
        ack(b, c, "PUBACK", wrong ? next_pid(id) : id,
            pcs_mqb_fault(b, c, F_PUBACK_UNDEFINED_REASON_V5) ? 0x01 : RC_SUCCESS);
    if (qos == 2) {
        qos2_mark(c->sess, id, true);
        if (!pcs_mqb_fault(b, c, F_NO_PUBREC))
            ack(b, c, "PUBREC", id,
                pcs_mqb_fault(b, c, F_PUBREC_UNDEFINED_REASON_V5) ? 0x01 : RC_SUCCESS);
    }
}

/* ---- acknowledgements ---- */

static void route_shared(struct pcs_stub *b, const struct pcs_mqb_msg *m);

static struct pcs_mqb_out **find_sent(struct pcs_mqb_session *s, uint16_t id,
                                      enum pcs_mqb_out_state st, int qos)
{
    for (struct pcs_mqb_out **pp = &s->head; *pp; pp = &(*pp)->next) {
        struct pcs_mqb_out *o = *pp;
        if (o->state == st && o->packet_id == id && (qos < 0 || o->m.qos == qos))
            return pp;
    }
    return NULL;
}

static void unlink_out(struct pcs_mqb_session *s, struct pcs_mqb_out **pp)
{
    struct pcs_mqb_out *o = *pp;
    *pp = o->next;
    if (s->tail == o) {
        s->tail = NULL;
        for (struct pcs_mqb_out *t = s->head; t; t = t->next)
            s->tail = t;
    }
    s->qlen--;
    pcs_mqb_out_free(o);
}

static void completed(struct pcs_mqb_conn *c, struct pcs_mqb_session *s, struct pcs_mqb_out **pp)
{
    if ((*pp)->sent_here && c->inflight > 0)
        c->inflight--;
    unlink_out(s, pp);
}

/* The oldest message of QoS qos sent on this connection and awaiting its first answer. */
static struct pcs_mqb_out **oldest_sent(struct pcs_mqb_session *s, int qos)
{
    for (struct pcs_mqb_out **pp = &s->head; *pp; pp = &(*pp)->next)
        if ((*pp)->state == OUT_WAIT_ACK && (*pp)->sent_here && (*pp)->m.qos == qos)
            return pp;
    return NULL;
}

static void on_pubrec(struct pcs_stub *b, struct pcs_mqb_conn *c, uint16_t id, int64_t rc)
{
    struct pcs_mqb_session *s = c->sess;
    struct pcs_mqb_out **pp = find_sent(s, id, OUT_WAIT_ACK, 2);
    if (!pp && pcs_mqb_fault(b, c, F_PUBREC_ANY_ID_V5))
        pp = oldest_sent(s, 2);                     /* the fault: MQTT-4.3.3-3 */
    if (pp && rc >= 0x80) {
        completed(c, s, pp);                        /* MQTT-4.4.0-2: no retransmission */
        return;
    }
    if (pp) {
        (*pp)->state = OUT_WAIT_COMP;
        if (pcs_mqb_fault(b, c, F_QUOTA_RELEASED_ON_PUBREC_V5) && (*pp)->sent_here &&
            c->inflight > 0)
            c->inflight--;                          /* the fault: MQTT-4.9.0-2 */
    }
    bool known = pp || find_sent(s, id, OUT_WAIT_COMP, -1);
    ack(b, c, "PUBREL", id,
        !known ? RC_PACKET_ID_NOT_FOUND
               : pcs_mqb_fault(b, c, F_PUBREL_UNDEFINED_REASON_V5) ? 0x01 : RC_SUCCESS);
    if (pp && pcs_mqb_fault(b, c, F_PUBREL_NOT_RESENT_V5))
        completed(c, s, pp);                        /* the fault: MQTT-4.3.3-5 */
}

static void on_pubrel(struct pcs_stub *b, struct pcs_mqb_conn *c, uint16_t id)
{
    bool known = qos2_pending(c->sess, id);
    if (!pcs_mqb_fault(b, c, F_QOS2_ID_NOT_RELEASED_V5))   /* the fault: MQTT-4.3.3-12 */
        qos2_mark(c->sess, id, false);
    if (pcs_mqb_fault(b, c, F_NO_PUBCOMP) || pcs_mqb_fault(b, c, F_NO_PUBCOMP_V5))
        return;
    ack(b, c, "PUBCOMP", id,
        !known ? RC_PACKET_ID_NOT_FOUND
               : pcs_mqb_fault(b, c, F_PUBCOMP_UNDEFINED_REASON_V5) ? 0x01 : RC_SUCCESS);
}

void pcs_mqb_on_ack(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *type,
                    struct pcs_value *f)
{
    if (!c->sess)
        return;
    uint16_t id = (uint16_t)pcs_value_get_int(f, "packet_id", 0);
    int64_t rc = pcs_value_get_int(f, "reason_code", 0);
    struct pcs_mqb_out **pp;
    if (strcmp(type, "PUBACK") == 0) {
        pp = find_sent(c->sess, id, OUT_WAIT_ACK, 1);
        if (!pp && pcs_mqb_fault(b, c, F_PUBACK_ANY_ID_V5))
            pp = oldest_sent(c->sess, 1);                   /* the fault: MQTT-4.3.2-3 */
        if (pp && rc >= 0x80 && (*pp)->m.shared &&
            pcs_mqb_fault(b, c, F_SHARED_REFUSED_REDELIVERED_V5))
            route_shared(b, &(*pp)->m);                     /* the fault: MQTT-4.8.2-6 */
        if (pp && !(rc >= 0x80 && pcs_mqb_fault(b, c, F_ERROR_PUBACK_REDELIVERED_V5)))
            completed(c, c->sess, pp);                      /* else the fault: 4.4.0-2 */
    } else if (strcmp(type, "PUBREC") == 0) {
        on_pubrec(b, c, id, rc);
    } else if (strcmp(type, "PUBCOMP") == 0) {
        pp = find_sent(c->sess, id, OUT_WAIT_COMP, -1);
        if (pp && pcs_mqb_fault(b, c, F_QUOTA_RELEASED_ON_PUBREC_V5))
            unlink_out(c->sess, pp);                        /* released at PUBREC already */
        else if (pp)
            completed(c, c->sess, pp);
    } else {
        on_pubrel(b, c, id);
    }
    int64_t next = PCS_MQB_NEVER;
    if (c->sess && c->state == C_ACTIVE)
        pcs_mqb_pump(b, c->sess, &next);   /* a freed slot goes to the next message at once */
}

/* ---- routing ---- */

void pcs_mqb_enqueue(struct pcs_stub *b, struct pcs_mqb_session *s, const struct pcs_mqb_msg *m,
                     int qos, bool retain, const struct pcs_value *sub_ids)
{
    if (s->qlen >= PCS_MQB_MAX_QUEUE) {
        pcs_mqb_log(b, s->conn, "queue of %s full: message dropped", s->client_id);
        return;
    }
    struct pcs_mqb_out *o = pcs_xcalloc(1, sizeof *o);
    pcs_mqb_msg_copy(&o->m, m);
    o->m.qos = qos;
    o->m.retain = retain;
    o->state = OUT_QUEUED;
    bool ids = sub_ids && sub_ids->u.c.n > 0 && !pcs_mqb_fault_v(b, s->version,
                                                                 F_NO_SUBSCRIPTION_IDENTIFIER);
    if (ids) {
        if (!o->m.props)
            o->m.props = pcs_value_map();
        pcs_value_set(o->m.props, "subscription_identifier", pcs_value_clone(sub_ids));
    }
    if (s->tail)
        s->tail->next = o;
    else
        s->head = o;
    s->tail = o;
    s->qlen++;
}

/* Does filter match topic for subscriber session s (the matching faults of its version)? */
static bool matches(struct pcs_stub *b, const struct pcs_mqb_session *s, const char *filter,
                    const char *topic)
{
    return pcs_mqb_topic_match(filter, topic, pcs_mqb_match_faults(b, s->version));
}

/* Delivery QoS and retain flag for subscriber session s (version rules and faults). */
static int deliver_qos(struct pcs_stub *b, const struct pcs_mqb_session *s, int pub, int granted)
{
    bool keep = pcs_mqb_fault_v(b, s->version, F_QOS_NOT_DOWNGRADED) ||
                pcs_mqb_fault_v(b, s->version, F_QOS_NOT_DOWNGRADED_V5);
    return keep || pub < granted ? pub : granted;
}

static bool live_retain(struct pcs_stub *b, const struct pcs_mqb_session *s, bool pub, bool rap)
{
    if (s->version == PCS_MQB_V311)                 /* MQTT-3.3.1-9 */
        return pub && pcs_mqb_fault_v(b, s->version, F_RETAIN_FLAG_ON_LIVE);
    if (pcs_mqb_fault_v(b, s->version, F_RETAIN_AS_PUBLISHED_IGNORED))
        return false;
    if (pcs_mqb_fault_v(b, s->version, F_RETAIN_FLAG_ON_LIVE_V5))
        return pub;
    return pub && rap;                              /* MQTT-3.3.1-12 / 3.3.1-13 */
}

static void route_session(struct pcs_stub *b, struct pcs_mqb_session *s, const struct pcs_mqb_msg *m)
{
    int best = -1;
    bool rap = false;
    struct pcs_value *ids = pcs_value_list();
    bool own = m->origin && strcmp(m->origin, s->client_id) == 0;
    for (size_t i = 0; i < s->nsubs; i++) {
        const struct pcs_mqb_sub *sub = &s->subs[i];
        if (sub->share || !matches(b, s, sub->filter, m->topic))
            continue;
        if (sub->no_local && own && !pcs_mqb_fault_v(b, s->version, F_NO_LOCAL_IGNORED))
            continue;                               /* MQTT-3.8.3-3 */
        if (sub->qos > best)
            best = sub->qos;
        rap |= sub->rap;
        if (sub->sub_id)
            pcs_value_push(ids, pcs_value_int(sub->sub_id));
    }
    if (best >= 0) {
        int qos = deliver_qos(b, s, m->qos, best);
        if (s->conn || qos > 0)                     /* offline: QoS 0 is not kept */
            pcs_mqb_enqueue(b, s, m, qos, live_retain(b, s, m->retain, rap), ids);
    }
    pcs_value_free(ids);
}

struct share_cand {
    struct pcs_mqb_session *s;
    const struct pcs_mqb_sub *sub;
};

static unsigned *share_counter(struct pcs_stub *b, const char *key)
{
    struct pcs_mqb_share_rr *r = b->shares;
    while (r && strcmp(r->key, key) != 0)
        r = r->next;
    if (!r) {
        r = pcs_xcalloc(1, sizeof *r);
        r->key = pcs_xstrdup(key);
        r->next = b->shares;
        b->shares = r;
    }
    return &r->counter;
}

/* Collects the subscriptions of one share group (same share name and filter). */
static size_t share_members(struct pcs_stub *b, const struct pcs_mqb_sub *g,
                            struct share_cand **out)
{
    size_t n = 0;
    for (struct pcs_mqb_session *s = b->sessions; s; s = s->next)
        for (size_t i = 0; i < s->nsubs; i++) {
            const struct pcs_mqb_sub *sub = &s->subs[i];
            if (!sub->share || strcmp(sub->share, g->share) || strcmp(sub->filter, g->filter))
                continue;
            *out = pcs_xrealloc(*out, (n + 1) * sizeof **out);
            (*out)[n++] = (struct share_cand){s, sub};
        }
    return n;
}

/* Shared subscriptions: one member of each matching group gets the message, round-robin. */
static void route_shared(struct pcs_stub *b, const struct pcs_mqb_msg *m)
{
    struct pcs_buf done;           /* "name\nfilter\n" of groups already served */
    pcs_buf_init(&done);
    for (struct pcs_mqb_session *s = b->sessions; s; s = s->next)
        for (size_t i = 0; i < s->nsubs; i++) {
            const struct pcs_mqb_sub *g = &s->subs[i];
            if (!g->share || !matches(b, s, g->filter, m->topic))
                continue;
            char *key = pcs_xasprintf("\n%s\n%s\n", g->share, g->filter);
            if (done.len && strstr(pcs_buf_cstr(&done), key)) {
                free(key);
                continue;
            }
            pcs_buf_append(&done, key, strlen(key));
            struct share_cand *cand = NULL;
            size_t n = share_members(b, g, &cand);
            unsigned *ctr = share_counter(b, key);
            struct share_cand pick = cand[(*ctr)++ % n];
            struct pcs_value *ids = pcs_value_list();
            if (pick.sub->sub_id)
                pcs_value_push(ids, pcs_value_int(pick.sub->sub_id));
            int qos = deliver_qos(b, pick.s, m->qos, pick.sub->qos);
            struct pcs_mqb_msg sm = *m;             /* shallow: enqueue copies it */
            sm.shared = true;
            pcs_mqb_enqueue(b, pick.s, &sm, qos, live_retain(b, pick.s, m->retain, pick.sub->rap),
                            ids);
            pcs_value_free(ids);
            free(cand);
            free(key);
        }
    pcs_buf_free(&done);
}

void pcs_mqb_route(struct pcs_stub *b, const struct pcs_mqb_msg *m)
{
    for (struct pcs_mqb_session *s = b->sessions; s; s = s->next)
        route_session(b, s, m);
    route_shared(b, m);
}

/* ---- outbound ---- */

static bool pid_in_use(const struct pcs_mqb_session *s, uint16_t id)
{
    for (const struct pcs_mqb_out *o = s->head; o; o = o->next)
        if (o->state != OUT_QUEUED && o->packet_id == id)
            return true;
    return false;
}

static uint16_t alloc_pid(struct pcs_stub *b, struct pcs_mqb_session *s)
{
    bool zero = pcs_mqb_fault_v(b, s->version, F_OUTBOUND_PACKET_ID_ZERO) ||
                pcs_mqb_fault_v(b, s->version, F_OUTBOUND_PACKET_ID_ZERO_V5);
    if (zero && !s->issued_any) {
        s->issued_any = true;
        return 0;
    }
    if (pcs_mqb_fault_v(b, s->version, F_PACKET_ID_REUSED_V5))
        return 1;                                   /* the fault: MQTT-4.3.2-1 / 4.3.3-1 */
    s->issued_any = true;
    for (int i = 0; i < 65535; i++) {
        uint16_t id = s->next_id ? s->next_id : 1;
        s->next_id = next_pid(id);
        if (!pid_in_use(s, id))
            return id;
    }
    return s->next_id;   /* unreachable: receive maximum bounds what is in flight */
}

/* Remaining message expiry in seconds (rounded up), or -1 when the message has no expiry. */
static int64_t remaining_expiry(const struct pcs_stub *b, const struct pcs_mqb_msg *m)
{
    if (m->expiry_interval < 0)
        return -1;
    int64_t left = m->expiry_at - b->now;
    return left <= 0 ? 0 : (left + 999) / 1000;
}

static struct pcs_value *outbound_props(struct pcs_stub *b, struct pcs_mqb_conn *c,
                                        const struct pcs_mqb_msg *m)
{
    if (!m->props)
        return NULL;
    struct pcs_value *p = pcs_value_clone(m->props);
    int64_t left = remaining_expiry(b, m);
    if (left >= 0 && !pcs_mqb_fault(b, c, F_MESSAGE_EXPIRY_NOT_ADJUSTED))
        pcs_mqb_set_int(p, "message_expiry_interval", left);   /* MQTT-3.3.2-6 */
    /* the faults: MQTT-3.3.2-20, -4, -15, -16 */
    static const struct { enum pcs_mqb_fault f; const char *prop; } dropped[] = {
        {F_CONTENT_TYPE_NOT_FORWARDED, "content_type"},
        {F_PAYLOAD_FORMAT_NOT_FORWARDED, "payload_format_indicator"},
        {F_RESPONSE_TOPIC_NOT_FORWARDED, "response_topic"},
        {F_CORRELATION_DATA_NOT_FORWARDED, "correlation_data"},
    };
    for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
        if (pcs_mqb_fault(b, c, dropped[i].f))
            pcs_value_free(pcs_value_take(p, dropped[i].prop));
    struct pcs_value *up = pcs_value_get(p, "user_property");
    if (up && up->type == PCS_V_LIST && up->u.c.n > 0 &&
        pcs_mqb_fault(b, c, F_USER_PROPERTY_DROPPED_V5))
        pcs_value_free(up->u.c.items[--up->u.c.n]);          /* the fault: MQTT-3.3.2-17 */
    if (pcs_mqb_fault(b, c, F_USER_PROPERTY_REORDERED))
        pcs_value_reverse(up);                                 /* the fault: MQTT-3.3.2-18 */
    return p;
}

/* Sends o's PUBLISH; returns 1 when it was dropped as too large, 0 sent, <0 error. */
static int transmit(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_mqb_session *s,
                    struct pcs_mqb_out *o, bool dup)
{
    struct pcs_value *f = pcs_mqb_frame("PUBLISH");
    if (o->state == OUT_QUEUED && o->m.qos > 0) {
        o->packet_id = alloc_pid(b, s);
        dup = (o->m.dup_in && pcs_mqb_fault(b, c, F_DUP_COPIED)) ||
              (o->m.qos == 2 && pcs_mqb_fault(b, c, F_QOS2_FIRST_SEND_DUP_V5));   /* MQTT-4.3.3-2 */
    }
    if (o->m.qos == 0 && pcs_mqb_fault(b, c, F_QOS0_DUP_SET_V5))
        dup = true;                                 /* the fault: MQTT-3.3.1-2 */
    pcs_value_set(f, "dup", pcs_value_bool(dup));
    pcs_mqb_set_int(f, "qos", o->m.qos);
    pcs_value_set(f, "retain", pcs_value_bool(o->m.retain));
    pcs_value_set(f, "topic", pcs_value_str(o->m.topic));
    bool pid0 = pcs_mqb_fault(b, c, F_QOS0_WITH_PACKET_ID) ||
                pcs_mqb_fault(b, c, F_QOS0_WITH_PACKET_ID_V5);
    if (o->m.qos > 0)
        pcs_mqb_set_int(f, "packet_id", o->packet_id);
    else if (pid0)
        pcs_mqb_set_int(f, "packet_id", 1);
    if (c->version == PCS_MQB_V5) {
        struct pcs_value *p = outbound_props(b, c, &o->m);
        int alias = pcs_mqb_fault(b, c, F_SERVER_TOPIC_ALIAS_ZERO_V5)        ? 0
                    : pcs_mqb_fault(b, c, F_SERVER_TOPIC_ALIAS_ABOVE_MAX_V5)  ? 65535
                    : pcs_mqb_fault(b, c, F_SERVER_TOPIC_ALIAS_UNREQUESTED_V5) ? 1
                                                                               : -1;
        if (alias >= 0) {                           /* the faults: 3.3.2-8, 3.3.2-11, 3.1.2-27 */
            if (!p)
                p = pcs_value_map();
            pcs_mqb_set_int(p, "topic_alias", alias);
        }
        if (p)
            pcs_value_set(f, "properties", p);
    }
    pcs_value_set(f, "payload", pcs_value_bytes(o->m.payload, o->m.plen));
    return pcs_mqb_send(b, c, f);
}

static bool expired(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_mqb_out *o)
{
    return o->m.expiry_at <= b->now && !pcs_mqb_fault(b, c, F_MESSAGE_EXPIRY_IGNORED);
}

static bool quota_left(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    uint32_t quota = c->recv_max;
    if (pcs_mqb_fault(b, c, F_SEND_QUOTA_ONE_SHORT_V5))
        quota--;                                    /* the fault: MQTT-4.9.0-1 */
    return c->inflight < quota || pcs_mqb_fault(b, c, F_RECEIVE_MAXIMUM_IGNORED);
}

bool pcs_mqb_quota_blocks(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    return pcs_mqb_fault(b, c, F_QUOTA_BLOCKS_CONTROL_V5) && c->inflight >= c->recv_max;
}

void pcs_mqb_drop_inflight(struct pcs_stub *b, struct pcs_mqb_session *s, const char *filter,
                           bool reroute)
{
    struct pcs_mqb_out **pp = &s->head;
    while (*pp) {
        struct pcs_mqb_out *o = *pp;
        bool pick = o->state != OUT_QUEUED &&
                    (filter ? pcs_mqb_topic_match(filter, o->m.topic, 0) : o->m.shared);
        if (!pick) {
            pp = &o->next;
            continue;
        }
        if (reroute)
            route_shared(b, &o->m);
        if (s->conn && o->sent_here && s->conn->inflight > 0)
            s->conn->inflight--;
        unlink_out(s, pp);
    }
}

/* Out-of-order faults: swaps o with the next queued message of its QoS, or holds o a while
 * waiting for one. Returns false when o must wait. */
static bool reorder(struct pcs_stub *b, struct pcs_mqb_session *s, struct pcs_mqb_out **pp,
                    int64_t *next)
{
    struct pcs_mqb_out *o = *pp, *n = o->next;
    if (o->hold_until < 0)
        return true;
    if (n && n->state == OUT_QUEUED && n->m.qos == o->m.qos) {
        o->next = n->next;
        n->next = o;
        *pp = n;
        if (s->tail == n)
            s->tail = o;
        o->hold_until = n->hold_until = -1;        /* swapped once: never again */
        return true;
    }
    if (o->hold_until == 0)
        o->hold_until = b->now + HOLD_MS;
    if (b->now >= o->hold_until)
        return true;
    if (o->hold_until < *next)
        *next = o->hold_until;
    return false;
}

/* One queued message: send it if allowed. Returns 0 sent/kept, 1 unlinked, -1 stop. */
static int pump_queued(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_mqb_session *s,
                       struct pcs_mqb_out **pp, int64_t *next)
{
    if (expired(b, c, *pp)) {                                  /* MQTT-3.3.2-5 */
        unlink_out(s, pp);
        return 1;
    }
    if ((*pp)->m.qos > 0 && !quota_left(b, c))
        return -1;                                             /* MQTT-3.3.4-9 */
    bool ooo = pcs_mqb_fault(b, c, F_OUT_OF_ORDER_DELIVERY) ||
               pcs_mqb_fault(b, c, F_OUT_OF_ORDER_DELIVERY_V5);
    int ooo_qos = ooo ? 1 : pcs_mqb_fault(b, c, F_OUT_OF_ORDER_QOS2) ? 2 : 0;  /* MQTT-4.6.0-5 */
    if (ooo_qos && (*pp)->m.qos == ooo_qos && !reorder(b, s, pp, next))
        return -1;
    struct pcs_mqb_out *o = *pp;
    int rc = transmit(b, c, s, o, false);
    if (rc == 1 && o->m.qos > 0 && pcs_mqb_fault(b, c, F_TOO_LARGE_KEPT_IN_FLIGHT_V5))
        rc = 0;                                                /* the fault: MQTT-3.1.2-25 */
    if (o->m.qos == 0 || rc != 0) {
        unlink_out(s, pp);                                     /* MQTT-3.1.2-25 when too large */
        return 1;
    }
    o->state = OUT_WAIT_ACK;
    o->sent_here = true;
    c->inflight++;
    return 0;
}

/* An in-flight message from before the connection: resend it (MQTT-4.4.0-1). */
static int pump_resend(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_mqb_session *s,
                       struct pcs_mqb_out *o)
{
    if (!quota_left(b, c))
        return -1;
    if (o->state == OUT_WAIT_ACK && pcs_mqb_fault(b, c, F_REDELIVERY_NEW_PACKET_ID_V5))
        o->packet_id = alloc_pid(b, s);                        /* the fault: MQTT-4.4.0-1 */
    if (o->state == OUT_WAIT_ACK || pcs_mqb_fault(b, c, F_PUBLISH_RESENT_AFTER_PUBREL_V5))
        transmit(b, c, s, o, !pcs_mqb_fault(b, c, F_NO_REDELIVERY_DUP));  /* MQTT-3.3.1-1 */
    else
        ack(b, c, "PUBREL", o->packet_id, RC_SUCCESS);
    o->sent_here = true;
    c->inflight++;
    return 0;
}

void pcs_mqb_pump(struct pcs_stub *b, struct pcs_mqb_session *s, int64_t *next)
{
    struct pcs_mqb_conn *c = s->conn;
    if (!c || c->state != C_ACTIVE)
        return;
    struct pcs_mqb_out **pp = &s->head;
    while (*pp && c->state == C_ACTIVE) {
        struct pcs_mqb_out *o = *pp;
        int r = 0;
        if (o->state == OUT_QUEUED)
            r = pump_queued(b, c, s, pp, next);
        else if (!o->sent_here)
            r = pump_resend(b, c, s, o);
        if (r < 0)
            break;
        if (r == 0)
            pp = &(*pp)->next;
    }
}
