/* connect.c — the stub broker's connection handshake and teardown: raw checks of a first
 * packet (protocol name/level, reserved flag) before decoding, CONNECT validation, client id
 * assignment, takeover, session resume/clean start, the Will, CONNACK, and DISCONNECT.
 * Packet flows after CONNACK are in publish.c / subscribe.c. Allocates only through the
 * session and conn structures (broker.h says who owns what). */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets into a raw CONNECT: where the protocol name starts and its length, the level byte. */
struct raw_connect {
    size_t hdr;        /* fixed header length */
    size_t rem;        /* remaining length */
    size_t name_len;
    size_t level_at;   /* index of the protocol level byte; flags follow */
};

static bool parse_raw(const struct pcs_buf *fr, struct raw_connect *r)
{
    size_t i = 1;
    uint32_t v = 0;
    for (; i < 5 && i < fr->len; i++) {
        v |= (uint32_t)(fr->data[i] & 0x7f) << (7 * (i - 1));
        if (!(fr->data[i] & 0x80))
            break;
    }
    if (i >= 5 || i >= fr->len)
        return false;
    r->hdr = i + 1;
    r->rem = v;
    if (fr->len < r->hdr + 2)
        return false;
    r->name_len = (size_t)fr->data[r->hdr] << 8 | fr->data[r->hdr + 1];
    r->level_at = r->hdr + 2 + r->name_len;
    return r->level_at + 1 < fr->len;   /* level and flags present */
}

/* Rewrites the frame's protocol name to "MQTT" (accept-bad-protocol-name). */
static void rewrite_name(struct pcs_buf *fr, const struct raw_connect *r)
{
    struct pcs_buf n;
    pcs_buf_init(&n);
    size_t rem = r->rem - r->name_len + 4;
    pcs_buf_putc(&n, fr->data[0]);
    do {
        uint8_t byte = rem & 0x7f;
        rem >>= 7;
        pcs_buf_putc(&n, byte | (rem ? 0x80 : 0));
    } while (rem);
    pcs_buf_append(&n, "\x00\x04MQTT", 6);
    pcs_buf_append(&n, fr->data + r->level_at, fr->len - r->level_at);
    pcs_buf_free(fr);
    *fr = n;
}

static void connack_raw_refuse(struct pcs_stub *b, struct pcs_mqb_conn *c, bool v5, uint8_t code)
{
    uint8_t v311[] = {0x20, 0x02, 0x00, code};
    uint8_t v50[] = {0x20, 0x03, 0x00, code, 0x00};
    if (pcs_mqb_fault(b, c, F_CONNACK_REASON_WITH_SESSION_PRESENT) && v5)
        v50[2] = 0x01;
    pcs_mqb_log(b, c, "CONNECT refused with 0x%02x", code);
    if (!v5 && pcs_mqb_fault(b, c, F_SESSION_PRESENT_ON_REFUSAL))
        v311[2] = 0x01;                              /* the fault: MQTT-3.2.2-4 */
    if (v5)
        pcs_mqb_send_raw(b, c, v50, sizeof v50);
    else
        pcs_mqb_send_raw(b, c, v311, sizeof v311);
    if (!v5 && pcs_mqb_fault(b, c, F_UNSUPPORTED_LEVEL_KEPT_OPEN))
        return;                                      /* the fault: MQTT-3.2.2-5 */
    if (!v5 && pcs_mqb_fault(b, c, F_PROCESS_AFTER_REFUSAL)) {
        c->version = PCS_MQB_V311;                   /* the fault: MQTT-3.1.4-5 */
        c->state = C_ACTIVE;
        return;
    }
    pcs_mqb_conn_end(b, c, -1, false);
}

int pcs_mqb_connect_precheck(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_buf *fr)
{
    struct raw_connect r;
    if (!parse_raw(fr, &r))
        return 0;                                  /* the decoder will call it malformed */
    const uint8_t *name = fr->data + r.hdr + 2;
    if (r.name_len != 4 || memcmp(name, "MQTT", 4) != 0) {
        if (!pcs_mqb_fault(b, c, F_ACCEPT_BAD_PROTOCOL_NAME)) {   /* MQTT-3.1.2-1 */
            pcs_mqb_log(b, c, "protocol name is not MQTT");
            pcs_mqb_conn_end(b, c, -1, false);
            return 1;
        }
        rewrite_name(fr, &r);
        if (!parse_raw(fr, &r))
            return 0;
    }
    uint8_t *level = fr->data + r.level_at;
    if (*level != 4 && *level != 5) {
        if (!pcs_mqb_fault(b, c, F_ACCEPT_BAD_PROTOCOL_LEVEL)) {  /* MQTT-3.1.2-2 */
            /* The client's layout is unknown for a level that is no MQTT version: answer as
             * 3.1.1 does (MQTT-3.1.2-2: CONNACK 0x01), which is also what 5.0 clients of a
             * server without 5.0 read. */
            connack_raw_refuse(b, c, false, 0x01);
            return 1;
        }
        *level = *level < 5 ? 4 : 5;
    }
    c->version = *level == 5 ? PCS_MQB_V5 : PCS_MQB_V311;
    uint8_t *flags = level + 1;
    if (*flags & 0x01) {                           /* MQTT-3.1.2-3 */
        if (!pcs_mqb_fault(b, c, F_ACCEPT_RESERVED_FLAG)) {
            pcs_mqb_log(b, c, "CONNECT reserved flag is 1");
            if (c->version == PCS_MQB_V5)
                connack_raw_refuse(b, c, true, RC_MALFORMED);
            else
                pcs_mqb_conn_end(b, c, -1, false);
            return 1;
        }
        *flags &= (uint8_t)~0x01;
    }
    if ((*flags & 0x18) == 0x18 && (pcs_mqb_fault(b, c, F_ACCEPT_WILL_QOS3) ||
                                    pcs_mqb_fault(b, c, F_ACCEPT_WILL_QOS3_V5)))
        *flags &= (uint8_t)~0x10;       /* the fault: MQTT-4.8.0-1 / 4.13.1-1 (Will QoS 3 as 1) */
    return 0;
}

/* ---- CONNECT ---- */

static void connack_refuse(struct pcs_stub *b, struct pcs_mqb_conn *c, int rc311, int rc5)
{
    if (pcs_mqb_fault(b, c, F_CONNACK_UNDEFINED_REASON_V5))
        rc5 = 0x8D;                                  /* the fault: MQTT-3.2.2-8 */
    bool disc = pcs_mqb_fault(b, c, F_DISCONNECT_BEFORE_CONNACK_V5);   /* MQTT-3.14.0-1 */
    struct pcs_value *f = pcs_mqb_frame(disc ? "DISCONNECT" : "CONNACK");
    bool sp = c->version == PCS_MQB_V5 && pcs_mqb_fault(b, c, F_CONNACK_REASON_WITH_SESSION_PRESENT);
    if (c->version == PCS_MQB_V311 && pcs_mqb_fault(b, c, F_SESSION_PRESENT_ON_REFUSAL))
        sp = true;                                   /* the fault: MQTT-3.2.2-4 */
    if (!disc)
        pcs_value_set(f, "session_present", pcs_value_bool(sp));
    if (c->version == PCS_MQB_V5)
        pcs_mqb_set_int(f, "reason_code", rc5);
    else
        pcs_mqb_set_int(f, "return_code", rc311);
    pcs_mqb_send(b, c, f);
    if (pcs_mqb_fault(b, c, F_REFUSED_KEPT_OPEN_V5))
        return;                                      /* the fault: MQTT-4.13.2-1 */
    pcs_mqb_conn_end(b, c, -1, false);
}

/* A CONNECT that breaks section 3.1's format: 5.0 answers CONNACK 0x81, 3.1.1 just closes. */
static void connect_malformed(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *why)
{
    pcs_mqb_log(b, c, "CONNECT: %s", why);
    if (c->version == PCS_MQB_V5)
        connack_refuse(b, c, 0, RC_MALFORMED);
    else
        pcs_mqb_conn_end(b, c, -1, false);
}

static const char *validate_flags(const struct pcs_mqb_conn *c, const struct pcs_value *f)
{
    bool will = pcs_value_get_bool(f, "will_flag", pcs_value_get(f, "will_topic") != NULL);
    int64_t wq = pcs_value_get_int(f, "will_qos", 0);
    bool wr = pcs_value_get_bool(f, "will_retain", false);
    if (!will && (wq != 0 || wr))
        return "will QoS/retain set without will flag";
    if (wq > 2)
        return "will QoS 3";
    const char *wt = pcs_value_get_str(f, "will_topic");
    if (will && (!wt || !pcs_mqb_topic_name_valid(wt)))
        return "will topic missing or not a valid topic name";
    bool user = pcs_value_get_bool(f, "username_flag", pcs_value_get(f, "username") != NULL);
    bool pass = pcs_value_get_bool(f, "password_flag", pcs_value_get(f, "password") != NULL);
    if (c->version == PCS_MQB_V311 && pass && !user)
        return "password flag without user name flag";
    return NULL;
}

/* Checks 5.0 CONNECT properties; returns a CONNACK reason code, 0 when fine. */
static int v5_props(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_value *p)
{
    if (!p)
        return 0;
    if (pcs_value_get(p, "authentication_method") && !pcs_mqb_fault(b, c, F_ACCEPT_BAD_AUTH_METHOD))
        return RC_BAD_AUTH_METHOD;                 /* MQTT-4.12.0-1: we know no method */
    struct pcs_value *rm = pcs_value_get(p, "receive_maximum");
    if (rm && rm->type == PCS_V_INT) {
        if (rm->u.i == 0)
            return RC_PROTOCOL_ERROR;
        c->recv_max = (uint32_t)rm->u.i;
    }
    struct pcs_value *mp = pcs_value_get(p, "maximum_packet_size");
    if (mp && mp->type == PCS_V_INT) {
        if (mp->u.i == 0)
            return RC_PROTOCOL_ERROR;
        c->max_packet = (uint32_t)mp->u.i;
    }
    return 0;
}

static char *assign_client_id(struct pcs_stub *b)
{
    for (;;) {
        char *id = pcs_xasprintf("pcs-%u-%u", b->port, ++b->next_auto_id);
        if (!pcs_mqb_session_find(b, id))
            return id;
        free(id);
    }
}

static struct pcs_mqb_will *make_will(struct pcs_stub *b, const struct pcs_mqb_conn *c,
                                      const struct pcs_value *f, const char *cid)
{
    if (!pcs_value_get_bool(f, "will_flag", pcs_value_get(f, "will_topic") != NULL))
        return NULL;
    struct pcs_mqb_will *w = pcs_xcalloc(1, sizeof *w);
    w->version = c->version;
    w->msg.topic = pcs_xstrdup(pcs_value_get_str(f, "will_topic"));
    struct pcs_value *pl = pcs_value_get(f, "will_payload");
    size_t n = pl && (pl->type == PCS_V_BYTES || pl->type == PCS_V_STR) ? pl->u.s.len : 0;
    w->msg.payload = pcs_xmalloc(n ? n : 1);
    if (n)
        memcpy(w->msg.payload, pl->u.s.p, n);
    w->msg.plen = n;
    w->msg.qos = (int)pcs_value_get_int(f, "will_qos", 0);
    w->msg.retain = pcs_value_get_bool(f, "will_retain", false);
    w->msg.origin = pcs_xstrdup(cid);
    w->msg.expiry_at = PCS_MQB_NEVER;
    w->msg.expiry_interval = -1;
    struct pcs_value *wp = pcs_value_get(f, "will_properties");
    if (c->version == PCS_MQB_V5 && wp && wp->type == PCS_V_MAP) {
        w->msg.props = pcs_value_clone(wp);
        struct pcs_value *d = pcs_value_take(w->msg.props, "will_delay_interval");
        if (d && d->type == PCS_V_INT)
            w->delay = (uint32_t)d->u.i;
        pcs_value_free(d);
        w->msg.expiry_interval = pcs_value_get_int(w->msg.props, "message_expiry_interval", -1);
        struct pcs_value *up = pcs_value_get(w->msg.props, "user_property");
        if (up && up->type == PCS_V_LIST && pcs_mqb_fault(b, c, F_WILL_USER_PROPERTY_REORDERED_V5))
            for (size_t i = 0, j = up->u.c.n ? up->u.c.n - 1 : 0; i < j; i++, j--) {
                struct pcs_value *t = up->u.c.items[i];   /* the fault: MQTT-3.1.3-10 */
                up->u.c.items[i] = up->u.c.items[j];
                up->u.c.items[j] = t;
            }
        if (pcs_mqb_fault(b, c, F_WILL_PROPERTIES_DROPPED_V5)) {
            pcs_value_free(w->msg.props);             /* the fault: MQTT-3.1.2-7 */
            w->msg.props = NULL;
            w->msg.expiry_interval = -1;
        }
    }
    if (pcs_mqb_fault(b, c, F_WILL_RETAIN_FORCED_V5))
        w->msg.retain = true;                         /* the fault: MQTT-3.1.2-14 */
    return w;
}

/* Disconnects another connection holding cid (MQTT-3.1.4-2 / 3.1.4-3). */
static void take_over(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *cid)
{
    struct pcs_mqb_session *s = pcs_mqb_session_find(b, cid);
    if (!s || !s->conn || s->conn == c)
        return;
    struct pcs_mqb_conn *old = s->conn;
    bool ignore = pcs_mqb_fault(b, c, F_TAKEOVER_IGNORED) ||
                  pcs_mqb_fault(b, c, F_TAKEOVER_IGNORED_V5);
    if (ignore) {                                   /* the fault: MQTT-3.1.4-2 / 3.1.4-3 */
        pcs_mqb_log(b, old, "not taken over by #%u: stays open without a session", c->id);
        old->sess = NULL;                           /* the session follows the new connection */
        s->conn = NULL;
        return;
    }
    pcs_mqb_log(b, old, "taken over by #%u", c->id);
    int rc = pcs_mqb_fault(b, old, F_NO_TAKEOVER_DISCONNECT_V5) ? -1 : RC_SESSION_TAKEN_OVER;
    pcs_mqb_conn_end(b, old, rc, true);
}

/* The clean-start-keeps-* faults: of an old session keep only its subscriptions (subs) or only
 * its queued messages (!subs), and its Will, as if they belonged to a new one. */
static void keep_part(struct pcs_mqb_session *s, bool subs)
{
    if (!subs) {
        for (size_t i = 0; i < s->nsubs; i++)
            pcs_mqb_sub_free(&s->subs[i]);
        s->nsubs = 0;
        return;
    }
    while (s->head) {
        struct pcs_mqb_out *o = s->head;
        s->head = o->next;
        pcs_mqb_out_free(o);
    }
    s->tail = NULL;
    s->qlen = 0;
}

/* The connection takes the session over: nothing of it has been sent on this connection. */
static void bind_session(struct pcs_mqb_conn *c, struct pcs_mqb_session *s, int64_t expiry)
{
    s->version = c->version;
    s->expiry_interval = expiry;
    s->expires_at = PCS_MQB_NEVER;
    s->conn = c;
    c->sess = s;
    c->inflight = 0;
    for (struct pcs_mqb_out *o = s->head; o; o = o->next)
        o->sent_here = false;
}

/* Finds, resumes or starts cid's session; returns whether a session was resumed. */
static bool attach_session(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *cid, bool clean,
                           int64_t expiry)
{
    struct pcs_mqb_session *s = pcs_mqb_session_find(b, cid);
    bool drop = pcs_mqb_fault(b, c, F_SESSION_NOT_RESUMED) ||
                pcs_mqb_fault(b, c, F_SESSION_NOT_RESUMED_V5);
    bool keep_subs = clean && pcs_mqb_fault(b, c, F_CLEAN_START_KEEPS_SUBS_V5);
    bool keep_queue = clean && pcs_mqb_fault(b, c, F_CLEAN_START_KEEPS_QUEUE_V5);
    if (s && (keep_subs || keep_queue)) {
        keep_part(s, keep_subs);                   /* the faults: MQTT-3.1.2-4 / 3.1.4-4 */
        bind_session(c, s, expiry);
        return false;
    }
    if (s && (clean || drop)) {
        pcs_mqb_session_end(b, s);
        s = NULL;
    }
    bool present = s != NULL;
    if (s && pcs_mqb_fault(b, c, F_QOS2_STATE_LOST))   /* the fault: MQTT-4.1.0-1 */
        memset(s->qos2_in, 0, sizeof s->qos2_in);
    if (s && pcs_mqb_fault(b, c, F_SHARED_INFLIGHT_DROPPED_V5))
        pcs_mqb_drop_inflight(b, s, NULL, false);   /* the fault: MQTT-4.8.2-4 */
    if (s) {
        pcs_mqb_will_free(s->will);                /* reconnected in time: MQTT-3.1.3-9 */
        s->will = NULL;
    } else {
        s = pcs_mqb_session_new(b, cid);
    }
    bind_session(c, s, expiry);
    return present;
}

static void send_connack(struct pcs_stub *b, struct pcs_mqb_conn *c, bool present,
                         const char *assigned)
{
    if (pcs_mqb_fault(b, c, F_CONNACK_NOT_FIRST))
        pcs_mqb_send(b, c, pcs_mqb_frame("PINGRESP"));
    struct pcs_value *f = pcs_mqb_frame("CONNACK");
    pcs_value_set(f, "session_present", pcs_value_bool(present));
    if (c->version == PCS_MQB_V311) {
        pcs_mqb_set_int(f, "return_code",        /* the fault: MQTT-3.1.4-4 */
                        pcs_mqb_fault(b, c, F_CONNACK_ACCEPT_NONZERO) ? 0x03 : 0);
        pcs_mqb_send(b, c, f);
        return;
    }
    if (pcs_mqb_fault(b, c, F_CONNACK_NO_PROPERTY_LENGTH_V5)) {
        uint8_t raw[] = {0x20, 0x02, present ? 0x01 : 0x00, 0x00};   /* the fault: 2.2.2-1 */
        pcs_mqb_send_raw(b, c, raw, sizeof raw);
        pcs_value_free(f);
        return;
    }
    pcs_mqb_set_int(f, "reason_code",
                    pcs_mqb_fault(b, c, F_CONNACK_ACCEPT_NONZERO_V5) ? RC_UNSPECIFIED : 0);
    if (pcs_mqb_fault(b, c, F_CONNACK_RESERVED_BITS_V5))
        pcs_mqb_set_int(f, "ack_flags_reserved", 1);     /* the fault: MQTT-3.2.2-1 */
    struct pcs_value *p = pcs_mqb_props(f);
    if (assigned && pcs_mqb_fault(b, c, F_ASSIGNED_CLIENT_ID_MISMATCH_V5)) {
        char *other = pcs_xasprintf("%s-x", assigned);  /* the fault: MQTT-3.1.3-7 */
        pcs_value_set(p, "assigned_client_identifier", pcs_value_str(other));
        free(other);
    } else if (assigned && !pcs_mqb_fault(b, c, F_NO_ASSIGNED_CLIENT_ID))
        pcs_value_set(p, "assigned_client_identifier", pcs_value_str(assigned));
    if (pcs_mqb_fault(b, c, F_RESPONSE_INFO_UNREQUESTED_V5))   /* the fault: MQTT-3.1.2-28 */
        pcs_value_set(p, "response_information", pcs_value_str("pcs/responses"));
    if (pcs_mqb_fault(b, c, F_AUTH_METHOD_UNREQUESTED_V5))     /* the fault: MQTT-4.12.0-6 */
        pcs_value_set(p, "authentication_method", pcs_value_str("pcs-auth"));
    pcs_mqb_set_int(p, "topic_alias_maximum", PCS_MQB_TOPIC_ALIAS_MAX);
    pcs_mqb_set_int(p, "retain_available", 1);
    pcs_mqb_set_int(p, "maximum_packet_size", PCS_MQB_MAX_PACKET);
    pcs_mqb_set_int(p, "wildcard_subscription_available", 1);
    pcs_mqb_set_int(p, "subscription_identifier_available", 1);
    pcs_mqb_set_int(p, "shared_subscription_available", 1);
    struct pcs_value *again = pcs_mqb_fault(b, c, F_CONNACK_TWICE_V5) ? pcs_value_clone(f) : NULL;
    pcs_mqb_send(b, c, f);
    if (again)
        pcs_mqb_send(b, c, again);                         /* the fault: MQTT-3.2.0-2 */
}

/* Client id checks; returns the id to use (malloc'd), or NULL when the CONNECT was refused. */
static char *client_id(struct pcs_stub *b, struct pcs_mqb_conn *c, const struct pcs_value *f,
                       bool clean, bool *assigned)
{
    const char *cid = pcs_value_get_str(f, "client_id");
    *assigned = false;
    if (cid && cid[0] && strlen(cid) >= 20 && pcs_mqb_fault(b, c, F_REJECT_LONG_CLIENT_ID_V5)) {
        connack_refuse(b, c, 0x02, RC_CLIENT_ID_NOT_VALID);   /* the fault: MQTT-3.1.3-5 */
        return NULL;
    }
    if (cid && cid[0] && pcs_mqb_fault(b, c, F_CLIENT_ID_CASE_INSENSITIVE_V5)) {
        char *low = pcs_xstrdup(cid);                          /* the fault: MQTT-3.1.3-2 */
        for (char *p = low; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        return low;
    }
    if (cid && cid[0])
        return pcs_xstrdup(cid);
    if (c->version == PCS_MQB_V311 && !clean && !pcs_mqb_fault(b, c, F_ACCEPT_EMPTY_CLIENT_ID)) {
        connack_refuse(b, c, 0x02, RC_CLIENT_ID_NOT_VALID);   /* MQTT-3.1.3-8 */
        return NULL;
    }
    *assigned = true;
    if (pcs_mqb_fault(b, c, F_ASSIGNED_CLIENT_ID_REUSED_V5))
        return pcs_xasprintf("pcs-%u-0", b->port);            /* the fault: MQTT-3.1.3-6 */
    return assign_client_id(b);
}

void pcs_mqb_on_connect(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    if (c->state == C_ACTIVE) {                              /* MQTT-3.1.0-2 */
        if (!pcs_mqb_fault(b, c, F_ACCEPT_SECOND_CONNECT))
            pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
        return;
    }
    int vi = b->proto->conn_version ? b->proto->conn_version(c->codec) : -1;
    if (vi >= 0)
        c->version = vi;
    const char *bad = validate_flags(c, f);
    if (bad) {
        connect_malformed(b, c, bad);
        return;
    }
    bool v5 = c->version == PCS_MQB_V5;
    bool clean = pcs_value_get_bool(f, v5 ? "clean_start" : "clean_session", false);
    struct pcs_value *props = v5 ? pcs_value_get(f, "properties") : NULL;
    int rc = v5 ? v5_props(b, c, props) : 0;
    bool go_on = rc && pcs_mqb_fault(b, c, F_PROCESS_AFTER_REFUSAL_V5);
    if (go_on) {                                   /* the fault: MQTT-3.1.4-6 */
        struct pcs_value *no = pcs_mqb_frame("CONNACK");
        pcs_mqb_set_int(no, "reason_code", rc);
        pcs_mqb_send(b, c, no);
    } else if (rc) {
        connack_refuse(b, c, 0, rc);
        return;
    }
    bool assigned;
    char *cid = client_id(b, c, f, clean, &assigned);
    if (!cid)
        return;
    int64_t expiry = v5 ? pcs_value_get_int(props, "session_expiry_interval", 0)
                        : (clean ? 0 : 0xFFFFFFFF);
    if (!pcs_mqb_session_find(b, cid) && b->nsessions >= PCS_MQB_MAX_SESSIONS) {
        connack_refuse(b, c, 0x03, RC_SERVER_BUSY);
        free(cid);
        return;
    }
    take_over(b, c, cid);
    bool present = attach_session(b, c, cid, clean, expiry);
    if (!clean && !present && pcs_mqb_fault(b, c, F_NO_SESSION_CREATED_V5)) {
        pcs_mqb_session_end(b, c->sess);             /* the fault: MQTT-3.1.2-6 */
    }
    if (clean && (pcs_mqb_fault(b, c, F_SESSION_PRESENT_ON_CLEAN) ||
                  pcs_mqb_fault(b, c, F_SESSION_PRESENT_ON_CLEAN_V5)))
        present = true;
    if (!clean && !present && pcs_mqb_fault(b, c, F_SESSION_PRESENT_ON_NEW))
        present = true;                              /* the fault: MQTT-3.2.2-3 */
    c->connect_expiry_zero = expiry == 0;
    c->will = make_will(b, c, f, cid);
    if (c->will && c->sess && pcs_mqb_fault(b, c, F_WILL_KEPT_ACROSS_CONNECTIONS)) {
        struct pcs_mqb_session *s = c->sess;         /* the fault: MQTT-3.1.2-12 */
        pcs_mqb_will_free(s->spent_will);
        s->spent_will = pcs_xcalloc(1, sizeof *s->spent_will);
        *s->spent_will = *c->will;
        pcs_mqb_msg_copy(&s->spent_will->msg, &c->will->msg);
    }
    c->keep_alive_ms = pcs_value_get_int(f, "keep_alive", 0) * 1000;
    if (!go_on)
        send_connack(b, c, present, assigned ? cid : NULL);
    c->state = C_ACTIVE;
    pcs_mqb_log(b, c, "client %s connected (%s, session %s)", cid, v5 ? "5.0" : "3.1.1",
                present ? "resumed" : "new");
    free(cid);
}

/* ---- DISCONNECT ---- */

void pcs_mqb_on_disconnect(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    bool v5 = c->version == PCS_MQB_V5;
    int64_t rc = v5 ? pcs_value_get_int(f, "reason_code", 0) : 0;
    struct pcs_value *p = v5 ? pcs_value_get(f, "properties") : NULL;
    struct pcs_value *se = p ? pcs_value_get(p, "session_expiry_interval") : NULL;
    if (se && se->type == PCS_V_INT && c->sess) {
        if (c->connect_expiry_zero && se->u.i != 0) {        /* 5.0 section 3.14.2.2.2 */
            pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);
            return;
        }
        c->sess->expiry_interval = se->u.i;
    }
    bool with_will = (v5 && rc == RC_DISCONNECT_WITH_WILL) ||
                     pcs_mqb_fault(b, c, F_WILL_SENT_AFTER_DISCONNECT);
    pcs_mqb_conn_end(b, c, -1, with_will);
}
