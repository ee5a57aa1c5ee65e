/* client_flow.c — what the stub client does with each packet the server sends: CONNACK (its
 * limits are honoured from then on), the acknowledgements of what it published, and the
 * PUBLISHes it receives, each acknowledged per its QoS in arrival order. The publish actions
 * pipeline up to the server's Receive Maximum; the subscribe actions count what arrives.
 * When an action is done it sends DISCONNECT (client.c). Frames it builds are freed by
 * pcs_mqc_send; the held acknowledgement of the out-of-order faults is owned by the client. */
#include "client.h"

#include <stdlib.h>
#include <string.h>

static struct pcs_value *ack(const char *type, int64_t id)
{
    struct pcs_value *f = pcs_mqb_frame(type);
    pcs_mqb_set_int(f, "packet_id", id);
    return f;
}

static bool publishing(const struct pcs_stub_client *c) { return c->act <= A_PUBLISH_MANY; }

/* A new packet identifier, not in use by a message in flight. */
static uint16_t new_id(struct pcs_stub_client *c)
{
    for (int tries = 0; tries < 65536; tries++) {
        uint16_t id = ++c->next_id ? c->next_id : ++c->next_id;
        bool used = false;
        for (size_t i = 0; i < c->ninflight && !used; i++)
            used = c->inflight[i].id == id;
        if (!used)
            return id;
    }
    return 1;
}

/* ---- publishing ---- */

/* The PUBLISH of the next message, with the server's limits applied (or broken by a fault). */
static struct pcs_value *next_publish(struct pcs_stub_client *c, int *qos)
{
    bool v5 = c->ver == PCS_MQB_V5;
    struct pcs_value *f = pcs_mqb_frame("PUBLISH");
    *qos = c->qos;
    if (*qos > c->max_qos && !pcs_mqc_fault(c, F_CL_ABOVE_MAX_QOS_V5))
        *qos = c->max_qos;                                 /* MQTT-3.2.2-11 */
    bool retain = c->act == A_PUBLISH_RETAINED;
    if (!c->retain_ok && !pcs_mqc_fault(c, F_CL_RETAIN_UNAVAILABLE_V5))
        retain = false;                                    /* MQTT-3.2.2-14 */
    pcs_mqb_set_int(f, "qos", *qos);
    pcs_value_set(f, "retain", pcs_value_bool(retain));
    pcs_value_set(f, "dup", pcs_value_bool((*qos == 0 && pcs_mqc_fault(c, F_CL_QOS0_DUP)) ||
                                           (*qos == 1 && pcs_mqc_fault(c, F_CL_QOS1_DUP_V5))));
    int alias = 0;
    if (v5 && pcs_mqc_fault(c, F_CL_ALIAS_ABOVE_MAX_V5))
        alias = c->alias_max + 1;
    else if (v5 && (c->alias_max > 0 || pcs_mqc_fault(c, F_CL_ALIAS_UNANNOUNCED_V5)))
        alias = 1;
    pcs_value_set(f, "topic", pcs_value_str(alias && c->alias_known ? "" : c->topic));
    if (*qos > 0)
        pcs_mqb_set_int(f, "packet_id",
                        c->sent == 0 && pcs_mqc_fault(c, F_CL_PUBLISH_ID_ZERO_V5) ? 0 : new_id(c));
    if (alias)
        pcs_mqb_set_int(pcs_mqb_props(f), "topic_alias", alias);
    if (v5 && pcs_mqc_fault(c, F_CL_PUBLISH_SUB_ID_V5)) {
        struct pcs_value *ids = pcs_value_list();
        pcs_value_push(ids, pcs_value_int(1));
        pcs_value_set(pcs_mqb_props(f), "subscription_identifier", ids);
    }
    pcs_value_set(f, "payload", pcs_value_bytes(c->payload, strlen(c->payload)));
    c->alias_known |= alias != 0;
    return f;
}

static void check_done(struct pcs_stub_client *c)
{
    if (c->state != CL_ACTIVE || c->held)
        return;
    bool done = false;
    if (publishing(c))
        done = c->finished >= c->count && c->ninflight == 0;
    else if (c->act == A_SUBSCRIBE)
        done = c->count > 0 && c->received >= c->count && c->nqos2_in == 0;
    else if (c->act == A_UNSUBSCRIBE)
        done = c->subacked && c->unsubacked;
    if (done)
        pcs_mqc_disconnect(c);
}

/* Sends the next messages, as many as the server's Receive Maximum allows in flight. */
static void pump(struct pcs_stub_client *c)
{
    uint32_t limit = c->recv_max;
    if (limit > PCS_MQC_INFLIGHT || pcs_mqc_fault(c, F_CL_RECEIVE_MAX_IGNORED_V5))
        limit = PCS_MQC_INFLIGHT;
    while (c->state == CL_ACTIVE && c->sent < c->count && c->ninflight < limit) {
        int qos = 0;
        struct pcs_value *f = next_publish(c, &qos);
        uint16_t id = (uint16_t)pcs_value_get_int(f, "packet_id", 0);
        c->sent++;
        /* not sent (too large for the server, or not encodable): nothing to wait for */
        if (pcs_mqc_send(c, f) != 0 || qos == 0)
            c->finished++;
        else
            c->inflight[c->ninflight++] = (struct pcs_mqc_inflight){.id = id, .qos2 = qos == 2};
    }
    check_done(c);
}

static struct pcs_mqc_inflight *inflight(struct pcs_stub_client *c, int64_t id)
{
    for (size_t i = 0; i < c->ninflight; i++)
        if (c->inflight[i].id == id)
            return &c->inflight[i];
    return NULL;
}

static void finish(struct pcs_stub_client *c, struct pcs_mqc_inflight *m)
{
    *m = c->inflight[--c->ninflight];
    c->finished++;
}

static void on_pub_ack(struct pcs_stub_client *c, const char *type, const struct pcs_value *f)
{
    int64_t id = pcs_value_get_int(f, "packet_id", -1);
    bool failed = pcs_value_get_int(f, "reason_code", 0) >= 0x80;
    struct pcs_mqc_inflight *m = inflight(c, id);
    if (!m)
        return;
    if (strcmp(type, "PUBACK") == 0 && !m->qos2)
        finish(c, m);
    else if (strcmp(type, "PUBREC") == 0 && m->qos2 && failed)
        finish(c, m);
    else if (strcmp(type, "PUBREC") == 0 && m->qos2) {
        m->released = true;
        pcs_mqc_send(c, ack("PUBREL", pcs_mqc_fault(c, F_CL_PUBREL_WRONG_ID_V5) ? id + 1 : id));
    } else if (strcmp(type, "PUBCOMP") == 0 && m->released)
        finish(c, m);
    pump(c);
}

/* ---- receiving ---- */

/* Sends an acknowledgement of a received PUBLISH; the out-of-order faults hold one back and
 * send it after the next. */
static void send_ack(struct pcs_stub_client *c, struct pcs_value *a, enum pcs_mqb_fault swap)
{
    if (!pcs_mqc_fault(c, swap)) {
        pcs_mqc_send(c, a);
        return;
    }
    if (!c->held) {
        c->held = a;                                       /* the fault: MQTT-4.6.0-2 / -3 */
        c->held_until = c->now + PCS_MQC_HOLD_MS;
        return;
    }
    pcs_mqc_send(c, a);
    pcs_mqc_send(c, c->held);
    c->held = NULL;
}

static bool qos2_pending(const struct pcs_stub_client *c, int64_t id, size_t *at)
{
    for (size_t i = 0; i < c->nqos2_in; i++)
        if (c->qos2_in[i] == id) {
            *at = i;
            return true;
        }
    return false;
}

static void on_publish(struct pcs_stub_client *c, const struct pcs_value *f)
{
    int64_t qos = pcs_value_get_int(f, "qos", 0), id = pcs_value_get_int(f, "packet_id", 0);
    size_t at = 0;
    if (qos == 1) {
        int64_t aid = pcs_mqc_fault(c, F_CL_PUBACK_WRONG_ID_V5) ? id + 1 : id;
        send_ack(c, ack("PUBACK", aid), F_CL_PUBACK_OUT_OF_ORDER);
    } else if (qos == 2 && qos2_pending(c, id, &at)) {
        if (!pcs_mqc_fault(c, F_CL_DUPLICATE_QOS2_UNACKED))   /* else the fault: MQTT-4.5.0-2 */
            pcs_mqc_send(c, ack("PUBREC", id));               /* a duplicate: not counted again */
        return;
    } else if (qos == 2) {
        if (c->nqos2_in < PCS_MQC_QOS2_IN)
            c->qos2_in[c->nqos2_in++] = (uint16_t)id;
        int64_t aid = pcs_mqc_fault(c, F_CL_PUBREC_WRONG_ID_V5) ? id + 1 : id;
        send_ack(c, ack("PUBREC", aid), F_CL_PUBREC_OUT_OF_ORDER);
    }
    c->received++;
    check_done(c);
}

static void on_pubrel(struct pcs_stub_client *c, const struct pcs_value *f)
{
    int64_t id = pcs_value_get_int(f, "packet_id", 0);
    size_t at = 0;
    if (qos2_pending(c, id, &at))
        c->qos2_in[at] = c->qos2_in[--c->nqos2_in];
    if (!pcs_mqc_fault(c, F_CL_NO_PUBCOMP_V5))                 /* else the fault: MQTT-4.3.3-2 / -11 */
        pcs_mqc_send(c, ack("PUBCOMP", id));
    check_done(c);
}

/* ---- CONNACK and the start of the action ---- */

static void subscribe(struct pcs_stub_client *c)
{
    struct pcs_value *f = pcs_mqb_frame("SUBSCRIBE");
    c->sub_id = new_id(c);
    pcs_mqb_set_int(f, "packet_id", pcs_mqc_fault(c, F_CL_SUBSCRIBE_ID_ZERO_V5) ? 0 : c->sub_id);
    struct pcs_value *s = pcs_value_map(), *l = pcs_value_list();
    char *bad = pcs_mqc_fault(c, F_CL_FILTER_BAD_UTF8) ? pcs_mqc_bad_utf8(c->topic) : NULL;
    pcs_value_set(s, "topic_filter", pcs_value_str(bad ? bad : c->topic));
    pcs_mqb_set_int(s, "qos", c->qos);
    pcs_value_push(l, s);
    pcs_value_set(f, "subscriptions", l);
    pcs_mqc_send(c, f);
    free(bad);
    if (c->act != A_UNSUBSCRIBE)
        return;
    f = pcs_mqb_frame("UNSUBSCRIBE");   /* at once, as mosquitto_sub -U does */
    c->unsub_id = new_id(c);
    pcs_mqb_set_int(f, "packet_id", c->unsub_id);
    bad = pcs_mqc_fault(c, F_CL_UNSUB_FILTER_BAD_UTF8) ? pcs_mqc_bad_utf8(c->topic) : NULL;
    l = pcs_value_list();
    pcs_value_push(l, pcs_value_str(bad ? bad : c->topic));
    pcs_value_set(f, "topic_filters", l);
    pcs_mqc_send(c, f);
    free(bad);
}

static void on_connack(struct pcs_stub_client *c, const struct pcs_value *f)
{
    bool v5 = c->ver == PCS_MQB_V5;
    if (pcs_value_get_int(f, v5 ? "reason_code" : "return_code", 0) != 0) {
        pcs_mqc_log(c, "connection refused");
        c->state = CL_DONE;
        return;
    }
    const struct pcs_value *p = pcs_value_get(f, "properties");
    c->max_qos = (int)pcs_value_get_int(p, "maximum_qos", 2);
    c->retain_ok = pcs_value_get_int(p, "retain_available", 1) != 0;
    c->max_packet = (uint32_t)pcs_value_get_int(p, "maximum_packet_size", 0);
    c->recv_max = (uint32_t)pcs_value_get_int(p, "receive_maximum", 65535);
    c->alias_max = (uint16_t)pcs_value_get_int(p, "topic_alias_maximum", 0);
    int64_t ska = pcs_value_get_int(p, "server_keep_alive", -1);
    if (ska >= 0 && !pcs_mqc_fault(c, F_CL_SERVER_KEEP_ALIVE_IGNORED_V5))
        c->keep_alive_ms = ska * 1000;                     /* MQTT-3.2.2-21 */
    c->state = CL_ACTIVE;
    if (publishing(c))
        pump(c);
    else
        subscribe(c);
}

void pcs_mqc_on_frame(struct pcs_stub_client *c, const struct pcs_value *f)
{
    const char *type = pcs_value_get_str(f, "type");
    if (!type)
        return;
    if (c->state == CL_WAIT_CONNACK) {
        if (strcmp(type, "CONNACK") == 0)
            on_connack(c, f);
        else if (strcmp(type, "DISCONNECT") == 0)
            c->state = CL_DONE;
        return;
    }
    if (strcmp(type, "PUBLISH") == 0)
        on_publish(c, f);
    else if (strcmp(type, "PUBREL") == 0)
        on_pubrel(c, f);
    else if (!strcmp(type, "PUBACK") || !strcmp(type, "PUBREC") || !strcmp(type, "PUBCOMP"))
        on_pub_ack(c, type, f);
    else if (strcmp(type, "SUBACK") == 0 || strcmp(type, "UNSUBACK") == 0) {
        int64_t id = pcs_value_get_int(f, "packet_id", -1);
        c->subacked |= type[0] == 'S' && id == c->sub_id;
        c->unsubacked |= type[0] == 'U' && id == c->unsub_id;
        check_done(c);
    } else if (strcmp(type, "DISCONNECT") == 0) {
        c->state = CL_DONE;                                /* the server ends it: we close */
    }
}

void pcs_mqc_timers(struct pcs_stub_client *c, int64_t *next)
{
    if (c->held && c->now >= c->held_until) {
        pcs_mqc_send(c, c->held);
        c->held = NULL;
        check_done(c);
    } else if (c->held && c->held_until < *next) {
        *next = c->held_until;
    }
    bool live = c->state == CL_WAIT_CONNACK || c->state == CL_ACTIVE;
    if (!live || c->keep_alive_ms <= 0 || pcs_mqc_fault(c, F_CL_NO_PINGREQ_V5))
        return;                                            /* the fault: MQTT-3.1.2-23 / -20 */
    int64_t due = c->last_tx + c->keep_alive_ms;           /* MQTT-3.1.2-23 / -20 */
    if (c->now >= due) {
        pcs_mqc_send(c, pcs_mqb_frame("PINGREQ"));
        due = c->last_tx + c->keep_alive_ms;
    }
    if (due < *next)
        *next = due;
}
