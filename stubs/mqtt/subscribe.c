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
        if (pcs_mqb_fault_v(b, s->version, F_RETAINED_FIRST_MATCH_ONLY))
            break;                                             /* the fault: MQTT-3.3.1-6 */
    }
    pcs_value_free(ids);
}

/* Should a (new or replaced) subscription get the retained messages now? */
static bool wants_retained(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_mqb_sub *sub,
                           bool existed)
{
    if (sub->share)
        return false;
    if (c->version == PCS_MQB_V311)                             /* the fault: MQTT-3.8.4-3 */
        return !(existed && pcs_mqb_fault(b, c, F_RETAINED_NOT_RESENT_ON_REPLACE_V5));
    if (sub->rh == 0 && existed && pcs_mqb_fault(b, c, F_RETAINED_NOT_RESENT_ON_REPLACE_V5))
        return false;                                           /* the fault: MQTT-3.8.4-4 */
    if (sub->rh == 0)
        return !pcs_mqb_fault(b, c, F_RETAIN_HANDLING_0_IGNORED_V5);   /* MQTT-3.3.1-9 */
    if (sub->rh == 1)
        return !existed || pcs_mqb_fault(b, c, F_RETAIN_HANDLING_1_IGNORED_V5); /* 3.3.1-10 */
    return pcs_mqb_fault(b, c, F_RETAIN_HANDLING_IGNORED);      /* MQTT-3.3.1-11 */
}

/* The accept-misplaced-hash/plus faults: a filter whose only fault is where '#' (or '+') is. */
static bool bad_filter_forgiven(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *text)
{
    bool hash = pcs_mqb_fault(b, c, F_ACCEPT_MISPLACED_HASH_V5);
    bool plus = pcs_mqb_fault(b, c, F_ACCEPT_MISPLACED_PLUS_V5);
    if (!text[0] || (!hash && !plus))
        return false;
    char *t = pcs_xstrdup(text);
    for (char *p = t; *p; p++)
        if ((*p == '#' && hash) || (*p == '+' && plus))
            *p = 'x';
    bool ok = pcs_mqb_topic_filter_valid(t);
    free(t);
    return ok;
}

/* The accept-*-share-name faults: takes an empty ShareName, or one holding '+' or '#', as a
 * share name (*name and *filter malloc'd, as pcs_mqb_topic_share_split gives them). */
static bool bad_share_forgiven(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *text,
                               char **name, char **filter)
{
    const char *n = text + 7, *slash = strchr(n, '/');
    if (!slash || slash[1] == '\0' || !pcs_mqb_topic_filter_valid(slash + 1))
        return false;
    bool ok = slash == n ? pcs_mqb_fault(b, c, F_ACCEPT_EMPTY_SHARE_NAME_V5)
                         : strcspn(n, "+#") < (size_t)(slash - n) &&
                               pcs_mqb_fault(b, c, F_ACCEPT_BAD_SHARE_NAME_V5);
    if (ok) {
        *name = pcs_xstrndup(n, (size_t)(slash - n));
        *filter = pcs_xstrdup(slash + 1);
    }
    return ok;
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
    if (sh < 0 && bad_share_forgiven(b, c, text, &share, &filter))
        sh = 1;                                   /* the faults: MQTT-4.8.2-1 / 4.8.2-2 */
    if (sh == 1 && no_local && !pcs_mqb_fault(b, c, F_ACCEPT_SHARED_NO_LOCAL_V5)) {  /* 3.8.3-4 */
        free(share);
        free(filter);
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return -1;
    }
    if (!text || sh < 0 ||
        (sh == 0 && !pcs_mqb_topic_filter_valid(text) && !bad_filter_forgiven(b, c, text)))
        return v5 ? RC_TOPIC_FILTER_INVALID : 0x80;
    if (qos == 2 && pcs_mqb_fault(b, c, F_SUBACK_REFUSES_QOS2_V5)) {
        free(share);                              /* the fault: MQTT-3.2.2-10 */
        free(filter);
        return RC_UNSPECIFIED;
    }
    struct pcs_mqb_sub *old = sub_find(c->sess, text);
    if (old && pcs_mqb_fault(b, c, F_SUBSCRIPTION_NOT_REPLACED_V5)) {
        free(share);                              /* the fault: MQTT-3.8.4-3 */
        free(filter);
        return (int)qos;
    }
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
    if (qos == 2 && pcs_mqb_fault(b, c, F_SUBACK_UNDEFINED_REASON_V5))
        return 0x03;                              /* the fault: MQTT-3.9.3-2 */
    if (pcs_mqb_fault(b, c, F_SUBACK_UNDERSTATES_QOS_V5))
        return 0;                                 /* the fault: MQTT-3.8.4-7 */
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
        if (i > 0 && pcs_mqb_fault(b, c, F_ONLY_FIRST_FILTER_SUBSCRIBED_V5)) {
            pcs_value_push(codes, pcs_value_int(pcs_value_get_int(subs->u.c.items[i], "qos", 0)));
            continue;                             /* the fault: MQTT-3.8.4-5 */
        }
        int rc = subscribe_one(b, c, subs->u.c.items[i], (uint32_t)sub_id);
        if (rc < 0) {
            pcs_value_free(codes);
            return;
        }
        pcs_value_push(codes, pcs_value_int(rc));
    }
    if (pcs_mqb_fault(b, c, F_SUBACK_WRONG_COUNT) || pcs_mqb_fault(b, c, F_SUBACK_WRONG_COUNT_V5))
        pcs_value_push(codes, pcs_value_clone(codes->u.c.items[codes->u.c.n - 1]));
    if (pcs_mqb_fault(b, c, F_SUBACK_CODES_REVERSED))
        pcs_value_reverse(codes);                 /* the fault: MQTT-3.9.3-1 */
    struct pcs_value *ack = pcs_mqb_frame("SUBACK");
    pcs_mqb_set_int(ack, "packet_id", pcs_mqb_fault(b, c, F_SUBACK_WRONG_ID) ? wrong_id(id) : id);
    pcs_value_set(ack, "reason_codes", codes);
    if (pcs_mqb_fault(b, c, F_NO_SUBACK_V5) || pcs_mqb_quota_blocks(b, c)) {
        pcs_value_free(ack);                      /* the faults: MQTT-3.8.4-1 / 4.9.0-3 */
        return;
    }
    pcs_mqb_send(b, c, ack);
}

static void sub_remove(struct pcs_mqb_session *s, struct pcs_mqb_sub *sub)
{
    size_t i = (size_t)(sub - s->subs);
    pcs_mqb_sub_free(sub);
    memmove(&s->subs[i], &s->subs[i + 1], (s->nsubs - i - 1) * sizeof *s->subs);
    s->nsubs--;
}

/* The unsubscribe-matches-wildcard fault: removes every subscription whose filter matches text
 * read as a topic name; returns whether it removed one. */
static bool unsubscribe_matching(struct pcs_mqb_session *s, const char *text)
{
    bool any = false;
    for (size_t i = 0; i < s->nsubs;) {
        if (strcmp(s->subs[i].text, text) == 0 || pcs_mqb_topic_match(s->subs[i].filter, text, 0)) {
            sub_remove(s, &s->subs[i]);
            any = true;
        } else {
            i++;
        }
    }
    return any;
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
        bool found = sub != NULL;
        bool keep = i > 0 && pcs_mqb_fault(b, c, F_ONLY_FIRST_FILTER_UNSUBSCRIBED_V5);
        if (t->type == PCS_V_STR && !keep && pcs_mqb_fault(b, c, F_UNSUBSCRIBE_MATCHES_WILDCARD_V5))
            found = unsubscribe_matching(c->sess, t->u.s.p);   /* the fault: MQTT-3.10.4-1 */
        else if (sub && !keep && !pcs_mqb_fault(b, c, F_UNSUBSCRIBE_IGNORED))
            sub_remove(c->sess, sub);                           /* MQTT-3.10.4-1 */
        if (found && pcs_mqb_fault(b, c, F_UNSUBSCRIBE_DROPS_INFLIGHT_V5))
            pcs_mqb_drop_inflight(b, c->sess, t->u.s.p, false);  /* the fault: 3.10.4-3 */
        int rc = found ? RC_SUCCESS : RC_NO_SUBSCRIPTION_EXISTED;
        if (rc == RC_SUCCESS && pcs_mqb_fault(b, c, F_UNSUBACK_UNDEFINED_REASON_V5))
            rc = 0x01;                                          /* the fault: MQTT-3.11.3-2 */
        pcs_value_push(codes, pcs_value_int(rc));
    }
    if (pcs_mqb_fault(b, c, F_UNSUBACK_REVERSED_V5))
        pcs_value_reverse(codes);                 /* the fault: MQTT-3.11.3-1 */
    bool none = true;
    for (size_t i = 0; i < codes->u.c.n; i++)
        none = none && codes->u.c.items[i]->u.i == RC_NO_SUBSCRIPTION_EXISTED;
    if (none && pcs_mqb_fault(b, c, F_NO_UNSUBACK_WITHOUT_SUBSCRIPTION)) {
        pcs_value_free(codes);                                  /* the fault: MQTT-3.10.4-5 */
        return;
    }
    bool wrong = pcs_mqb_fault(b, c, F_UNSUBACK_WRONG_ID) ||
                 pcs_mqb_fault(b, c, F_UNSUBACK_WRONG_ID_V5);
    struct pcs_value *ack = pcs_mqb_frame("UNSUBACK");
    pcs_mqb_set_int(ack, "packet_id", wrong ? wrong_id(id) : id);
    if (c->version == PCS_MQB_V5)
        pcs_value_set(ack, "reason_codes", codes);
    else
        pcs_value_free(codes);
    if (pcs_mqb_fault(b, c, F_REASON_STRING_UNREQUESTED_V5))   /* the fault: MQTT-3.1.2-29 */
        pcs_value_set(pcs_mqb_props(ack), "reason_string", pcs_value_str("pcs stub"));
    if (pcs_mqb_fault(b, c, F_NO_UNSUBACK_V5)) {
        pcs_value_free(ack);                                    /* the fault: MQTT-3.10.4-4 */
        return;
    }
    pcs_mqb_send(b, c, ack);
}
