/* client_connect.c — the stub client's CONNECT: Client Identifier, Keep Alive, a clean start,
 * the Will (publish_will) and user name and password (publish_login), built as a value and
 * encoded by the codec. The CONNECT faults bend the value (flags without their fields, fields
 * without their flags, ill-formed strings) or, for the payload order, the encoded bytes.
 *
 *   fixed header | "MQTT" level flags keep-alive | 5.0: properties | Client Identifier, …
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

char *pcs_mqc_bad_utf8(const char *s)
{
    char *b = pcs_xasprintf("?%s", s && s[0] ? s + 1 : "");
    b[0] = (char)0xFF;
    return b;
}

static void set_str(struct pcs_value *f, const char *key, const char *s, bool bad)
{
    if (!bad) {
        pcs_value_set(f, key, pcs_value_str(s));
        return;
    }
    char *b = pcs_mqc_bad_utf8(s);   /* the faults: MQTT-3.1.3-4, -10/-11, -11/-12 */
    pcs_value_set(f, key, pcs_value_str(b));
    free(b);
}

static void set_bool(struct pcs_value *f, const char *key, bool b)
{
    pcs_value_set(f, key, pcs_value_bool(b));
}

/* Will fields: the action's Will, or what a Will fault puts in a CONNECT without one. */
static void will(struct pcs_stub_client *c, struct pcs_value *f)
{
    if (c->act == A_PUBLISH_WILL && !pcs_mqc_fault(c, F_CL_WILL_DROPPED)) {
        set_bool(f, "will_flag", true);
        set_str(f, "will_topic", c->will_topic, pcs_mqc_fault(c, F_CL_WILL_TOPIC_BAD_UTF8_V5));
        pcs_value_set(f, "will_payload", pcs_value_bytes(c->will_payload, strlen(c->will_payload)));
        pcs_mqb_set_int(f, "will_qos", pcs_mqc_fault(c, F_CL_WILL_QOS3_V5) ? 3 : 0);
        set_bool(f, "will_retain", false);
        return;
    }
    if (pcs_mqc_fault(c, F_CL_WILL_QOS_WITHOUT_WILL_V5))
        pcs_mqb_set_int(f, "will_qos", 1);
    if (pcs_mqc_fault(c, F_CL_WILL_RETAIN_WITHOUT_WILL_V5))
        set_bool(f, "will_retain", true);
    if (pcs_mqc_fault(c, F_CL_WILL_FIELDS_WITHOUT_WILL)) {
        pcs_value_set(f, "will_topic", pcs_value_str(c->topic));
        pcs_value_set(f, "will_payload", pcs_value_bytes("gone", 4));
    }
    set_bool(f, "will_flag", false);
}

/* User name and password (publish_login), and the faults that split flags from fields. */
static void login(struct pcs_stub_client *c, struct pcs_value *f)
{
    bool user = c->act == A_PUBLISH_LOGIN, pass = user && c->password;
    bool put_user = user, put_pass = pass;
    if (pcs_mqc_fault(c, F_CL_USERNAME_WITHOUT_FLAG_V5)) {
        set_bool(f, "username_flag", false);      /* the user name stays, the password goes */
        set_bool(f, "password_flag", false);
        put_pass = false;
    } else if (pcs_mqc_fault(c, F_CL_USERNAME_FLAG_ONLY_V5)) {
        set_bool(f, "username_flag", true);       /* the flags stay, neither field */
        set_bool(f, "password_flag", pass);
        put_user = put_pass = false;
    } else if (pcs_mqc_fault(c, F_CL_PASSWORD_WITHOUT_FLAG_V5)) {
        set_bool(f, "password_flag", false);
    } else if (pcs_mqc_fault(c, F_CL_PASSWORD_FLAG_ONLY_V5)) {
        set_bool(f, "password_flag", true);
        put_pass = false;
    } else if (pcs_mqc_fault(c, F_CL_PASSWORD_WITHOUT_USERNAME) && pass) {
        put_user = false;
    }
    if (put_user)
        set_str(f, "username", c->username, pcs_mqc_fault(c, F_CL_USERNAME_BAD_UTF8_V5));
    if (put_pass)
        pcs_value_set(f, "password", pcs_value_bytes(c->password, strlen(c->password)));
}

static size_t vbi_get(const uint8_t *p, size_t n, uint32_t *v)
{
    *v = 0;
    for (size_t i = 0; i < 4 && i < n; i++) {
        *v |= (uint32_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

static void vbi_put(struct pcs_buf *b, uint32_t v)
{
    do {
        uint8_t x = v & 0x7F;
        v >>= 7;
        pcs_buf_putc(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

/* The client-id-not-first and no-client-id faults: moves the Client Identifier of the
 * encoded CONNECT in pkt to the end of the payload, or drops it. */
static void move_client_id(struct pcs_stub_client *c, struct pcs_buf *pkt, bool drop)
{
    uint32_t rl = 0, plen = 0;
    size_t h = 1 + vbi_get(pkt->data + 1, pkt->len - 1, &rl), off = h + 10;
    if (c->ver == PCS_MQB_V5 && off < pkt->len)
        off += vbi_get(pkt->data + off, pkt->len - off, &plen) + plen;
    if (off + 2 > pkt->len)
        return;
    size_t idlen = 2 + ((size_t)pkt->data[off] << 8 | pkt->data[off + 1]);
    struct pcs_buf body, out;
    pcs_buf_init(&body);
    pcs_buf_init(&out);
    pcs_buf_append(&body, pkt->data + h, off - h);
    pcs_buf_append(&body, pkt->data + off + idlen, pkt->len - off - idlen);
    if (!drop)
        pcs_buf_append(&body, pkt->data + off, idlen);
    pcs_buf_putc(&out, pkt->data[0]);
    vbi_put(&out, (uint32_t)body.len);
    pcs_buf_append(&out, body.data, body.len);
    pcs_buf_free(&body);
    pcs_buf_free(pkt);
    *pkt = out;
}

void pcs_mqc_connect(struct pcs_stub_client *c)
{
    if (pcs_mqc_fault(c, F_CL_PINGREQ_BEFORE_CONNECT))
        pcs_mqc_send(c, pcs_mqb_frame("PINGREQ"));      /* the fault: MQTT-3.1.0-1 */
    struct pcs_value *f = pcs_mqb_frame("CONNECT");
    set_bool(f, c->ver == PCS_MQB_V5 ? "clean_start" : "clean_session", true);
    pcs_mqb_set_int(f, "keep_alive", c->keep_alive);
    set_str(f, "client_id", c->client_id, pcs_mqc_fault(c, F_CL_CLIENT_ID_BAD_UTF8));
    will(c, f);
    login(c, f);
    struct pcs_buf pkt;
    struct pcs_diag d = {0};
    pcs_buf_init(&pkt);
    if (c->proto->encode(c->codec, PCS_DIR_C2S, f, &pkt, &d) < 0) {
        pcs_mqc_log(c, "cannot encode CONNECT: %s", d.msg);
        c->state = CL_DONE;
    } else {
        if (pcs_mqc_fault(c, F_CL_CLIENT_ID_NOT_FIRST) || pcs_mqc_fault(c, F_CL_NO_CLIENT_ID))
            move_client_id(c, &pkt, pcs_mqc_fault(c, F_CL_NO_CLIENT_ID));
        pcs_mqc_log(c, "> CONNECT");
        pcs_mqc_send_raw(c, pkt.data, pkt.len);
        c->state = CL_WAIT_CONNACK;
        c->keep_alive_ms = (int64_t)c->keep_alive * 1000;
    }
    pcs_buf_free(&pkt);
    pcs_value_free(f);
}
