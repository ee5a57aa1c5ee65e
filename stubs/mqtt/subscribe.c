/* subscribe.c — the stub broker's SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK: option checks,
 * filter validity, shared filters ($share/<name>/<filter>, 5.0 only), replacing an identical
 * subscription, subscription identifiers and retained-message delivery per retain_handling.
 * Subscriptions are owned by the session's subs array; this file adds and removes them. */
#include "broker.h"

#include <stdlib.h>
#include <string.h>

void pcs_mqb_sub_free(struct pcs_mqb_sub *s)
{
    free(s->text);
    free(s->filter);
    free(s->share);
    memset(s, 0, sizeof *s);
}

static uint16_t wrong_id(int64_t id) { return (uint16_t)(id >= 0xFFFF ? 1 : id + 1); }

static struct pcs_mqb_sub *sub_find(struct pcs_mqb_session *s, const char *text)
{
    for (size_t i = 0; i < s->nsubs; i++)
        if (strcmp(s->subs[i].text, text) == 0)
            return &s->subs[i];
    return NULL;
}

/* Adds or replaces (MQTT-3.8.4-3) a subscription; *existed tells which. Takes filter/share. */
static struct pcs_mqb_sub *sub_put(struct pcs_mqb_session *s, const char *text, char *filter,
                                   char *share, bool *existed)
{
    struct pcs_mqb_sub *sub = sub_find(s, text);
    *existed = sub != NULL;
    if (sub) {
        pcs_mqb_sub_free(sub);
    } else {
        if (s->nsubs == s->capsubs) {
            s->capsubs = s->capsubs ? 2 * s->capsubs : 8;
            s->subs = pcs_xrealloc(s->subs, s->capsubs * sizeof *s->subs);
        }
        sub = &s->subs[s->nsubs++];
    }
    memset(sub, 0, sizeof *sub);
    sub->text = pcs_xstrdup(text);
    sub->filter = filter;
    sub->share = share;
    return sub;
}

static void deliver_retained(struct pcs_stub *b, struct pcs_mqb_session *s,
                             const struct pcs_mqb_sub *sub)
{
    struct pcs_value *ids = pcs_value_list();
    if (sub->sub_id)
        pcs_value_push(ids, pcs_value_int(sub->sub_id));
    unsigned match_faults = pcs_mqb_match_faults(b, s->version);
    bool keep = pcs_mqb_fault_v(b, s->version, F_QOS_NOT_DOWNGRADED) ||
                pcs_mqb_fault_v(b, s->version, F_QOS_NOT_DOWNGRADED_V5);
    bool stale_ok = pcs_mqb_fault_v(b, s->version, F_MESSAGE_EXPIRY_IGNORED);
    for (struct pcs_mqb_retained *r = b->retained; r; r = r->next) {
        if ((r->msg.expiry_at <= b->now && !stale_ok) ||
            !pcs_mqb_topic_match(sub->filter, r->msg.topic, match_faults))
            continue;
        int qos = keep || r->msg.qos < sub->qos ? r->msg.qos : sub->qos;
        pcs_mqb_enqueue(b, s, &r->msg, qos, true, ids);        /* MQTT-3.3.1-8 */
    }
    pcs_value_free(ids);
}

/* Should a (new or replaced) subscription get the retained messages now? */
static bool wants_retained(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_mqb_sub *sub,
                           bool existed)
{
    if (sub->share)
        return false;
    if (c->version == PCS_MQB_V311 || sub->rh == 0)
        return true;                                            /* MQTT-3.3.1-9 */
    if (sub->rh == 1)
        return !existed;                                        /* MQTT-3.3.1-10 */
    return pcs_mqb_fault(b, c, F_RETAIN_HANDLING_IGNORED);      /* MQTT-3.3.1-11 */
}

/* One topic filter of a SUBSCRIBE: returns its SUBACK code, or -1 after ending the connection. */
static int subscribe_one(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_value *item,
                         uint32_t sub_id)
{
    bool v5 = c->version == PCS_MQB_V5;
    const char *text = pcs_value_get_str(item, "topic_filter");
    int64_t qos = pcs_value_get_int(item, "qos", 0);
    int64_t rh = pcs_value_get_int(item, "retain_handling", 0);
    if (qos < 0 || qos > 2 || rh < 0 || rh > 2 || pcs_value_get_int(item, "reserved", 0) != 0) {
        pcs_mqb_conn_end(b, c, RC_MALFORMED, true);              /* MQTT-3-8.3-4 / 3.8.3-5 */
        return -1;
    }
    bool no_local = v5 && pcs_value_get_bool(item, "no_local", false);
    char *share = NULL, *filter = NULL;
    int sh = v5 && text ? pcs_mqb_topic_share_split(text, &share, &filter) : 0;
    if (sh == 1 && no_local) {                                  /* MQTT-3.8.3-4 */
        free(share);
        free(filter);
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return -1;
    }
    if (!text || sh < 0 || (sh == 0 && !pcs_mqb_topic_filter_valid(text)))
        return v5 ? RC_TOPIC_FILTER_INVALID : 0x80;
    if (c->sess->nsubs >= PCS_MQB_MAX_SUBS && !sub_find(c->sess, text)) {
        free(share);
        free(filter);
        return v5 ? RC_QUOTA_EXCEEDED : 0x80;
    }
    bool existed;
    struct pcs_mqb_sub *sub = sub_put(c->sess, text, sh ? filter : pcs_xstrdup(text), share,
                                      &existed);
    sub->qos = (int)qos;
    sub->no_local = no_local;
    sub->rap = v5 && pcs_value_get_bool(item, "retain_as_published", false);
    sub->rh = v5 ? (int)rh : 0;
    sub->sub_id = sub_id;
    if (wants_retained(b, c, sub, existed))
        deliver_retained(b, c->sess, sub);
    return (int)qos;
}

/* The 5.0 subscription identifier of a SUBSCRIBE: 0 = none, -1 = invalid. */
static int64_t subscription_id(const struct pcs_value *f)
{
    struct pcs_value *p = pcs_value_get(f, "properties");
    struct pcs_value *v = p ? pcs_value_get(p, "subscription_identifier") : NULL;
    if (v && v->type == PCS_V_LIST)
        v = v->u.c.n == 1 ? v->u.c.items[0] : NULL;
    else if (!v)
        return 0;
    if (!v || v->type != PCS_V_INT || v->u.i < 1 || v->u.i > 268435455)
        return -1;
    return v->u.i;
}

void pcs_mqb_on_subscribe(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    bool v5 = c->version == PCS_MQB_V5;
    int64_t id = pcs_value_get_int(f, "packet_id", 0);
    struct pcs_value *subs = pcs_value_get(f, "subscriptions");
    int64_t sub_id = v5 ? subscription_id(f) : 0;
    if (!c->sess || !subs || subs->type != PCS_V_LIST || subs->u.c.n == 0 || sub_id < 0) {
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);        /* MQTT-3.8.3-3 / 3.8.3-2 */
        return;
    }
    struct pcs_value *codes = pcs_value_list();
    for (size_t i = 0; i < subs->u.c.n; i++) {
        int rc = subscribe_one(b, c, subs->u.c.items[i], (uint32_t)sub_id);
        if (rc < 0) {
            pcs_value_free(codes);
            return;
        }
        pcs_value_push(codes, pcs_value_int(rc));
    }
    if (pcs_mqb_fault(b, c, F_SUBACK_WRONG_COUNT) || pcs_mqb_fault(b, c, F_SUBACK_WRONG_COUNT_V5))
        pcs_value_push(codes, pcs_value_clone(codes->u.c.items[codes->u.c.n - 1]));
    struct pcs_value *ack = pcs_mqb_frame("SUBACK");
    pcs_mqb_set_int(ack, "packet_id", pcs_mqb_fault(b, c, F_SUBACK_WRONG_ID) ? wrong_id(id) : id);
    pcs_value_set(ack, "reason_codes", codes);
    pcs_mqb_send(b, c, ack);
}

static void sub_remove(struct pcs_mqb_session *s, struct pcs_mqb_sub *sub)
{
    size_t i = (size_t)(sub - s->subs);
    pcs_mqb_sub_free(sub);
    memmove(&s->subs[i], &s->subs[i + 1], (s->nsubs - i - 1) * sizeof *s->subs);
    s->nsubs--;
}

void pcs_mqb_on_unsubscribe(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    int64_t id = pcs_value_get_int(f, "packet_id", 0);
    struct pcs_value *tf = pcs_value_get(f, "topic_filters");
    if (!c->sess || !tf || tf->type != PCS_V_LIST || tf->u.c.n == 0) {
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);        /* MQTT-3.10.3-2 */
        return;
    }
    struct pcs_value *codes = pcs_value_list();
    for (size_t i = 0; i < tf->u.c.n; i++) {
        const struct pcs_value *t = tf->u.c.items[i];
        struct pcs_mqb_sub *sub = t->type == PCS_V_STR ? sub_find(c->sess, t->u.s.p) : NULL;
        if (sub && !pcs_mqb_fault(b, c, F_UNSUBSCRIBE_IGNORED))
            sub_remove(c->sess, sub);                           /* MQTT-3.10.4-1 */
        pcs_value_push(codes, pcs_value_int(sub ? RC_SUCCESS : RC_NO_SUBSCRIPTION_EXISTED));
    }
    bool wrong = pcs_mqb_fault(b, c, F_UNSUBACK_WRONG_ID) ||
                 pcs_mqb_fault(b, c, F_UNSUBACK_WRONG_ID_V5);
    struct pcs_value *ack = pcs_mqb_frame("UNSUBACK");
    pcs_mqb_set_int(ack, "packet_id", wrong ? wrong_id(id) : id);
    if (c->version == PCS_MQB_V5)
        pcs_value_set(ack, "reason_codes", codes);
    else
        pcs_value_free(codes);
    pcs_mqb_send(b, c, ack);
}
