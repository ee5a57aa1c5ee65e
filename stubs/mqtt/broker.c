/* broker.c — the MQTT stub's lifecycle and its one poll() loop: listening socket, self-pipe for
 * stop(), per-connection non-blocking read/frame/decode and write buffers, and the timers
 * (CONNECT wait, keep alive, linger; session and Will timers live in session.c). Packet
 * semantics are in connect.c, publish.c and subscribe.c. Single-threaded: only stop() may be
 * called from another thread. The broker owns every connection; see broker.h for the rest. */
#include "broker.h"
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *const capabilities[] = {
    "mqtt-3.1.1", "mqtt-5.0", "qos1", "qos2", "retain", "wildcards", "will", "will-delay",
    "session", "topic-alias", "subscription-id", "shared-subscriptions", "keepalive", NULL,
};

int64_t pcs_mqb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pcs_mqb_vlog(const char *who, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "pcs stub mqtt%s: %s\n", who, msg);
}

void pcs_mqb_log(struct pcs_stub *b, const struct pcs_mqb_conn *c, const char *fmt, ...)
{
    if (!b->verbose)
        return;
    char who[16] = "";
    if (c)
        snprintf(who, sizeof who, " #%u", c->id);
    va_list ap;
    va_start(ap, fmt);
    pcs_mqb_vlog(who, fmt, ap);
    va_end(ap);
}

/* ---- frame builders ---- */

struct pcs_value *pcs_mqb_frame(const char *type)
{
    struct pcs_value *f = pcs_value_map();
    pcs_value_set(f, "type", pcs_value_str(type));
    return f;
}

void pcs_mqb_set_int(struct pcs_value *m, const char *k, int64_t i)
{
    pcs_value_set(m, k, pcs_value_int(i));
}

struct pcs_value *pcs_mqb_props(struct pcs_value *frame)
{
    struct pcs_value *p = pcs_value_get(frame, "properties");
    if (!p || p->type != PCS_V_MAP) {
        p = pcs_value_map();
        pcs_value_set(frame, "properties", p);
    }
    return p;
}

static void log_frame(struct pcs_stub *b, const struct pcs_mqb_conn *c, const char *dir,
                      const struct pcs_value *f)
{
    if (!b->verbose)
        return;
    struct pcs_buf t;
    pcs_buf_init(&t);
    pcs_value_to_text(f, &t, 300);
    pcs_mqb_log(b, c, "%s %s", dir, pcs_buf_cstr(&t));
    pcs_buf_free(&t);
}

/* ---- output ---- */

void pcs_mqb_send_raw(struct pcs_stub *b, struct pcs_mqb_conn *c, const void *p, size_t n)
{
    (void)b;
    if (c->state == C_NEW || c->state == C_ACTIVE)
        pcs_buf_append(&c->wbuf, p, n);
}

/* The oversize-* faults: per packet type, the fault adding a Reason String [0] or a User
 * Property [1] that no client Maximum Packet Size in the specs leaves room for. */
static const struct {
    const char *type;
    enum pcs_mqb_fault f[2];
} oversize[] = {
    {"CONNACK", {F_OVERSIZE_RS_CONNACK_V5, F_OVERSIZE_UP_CONNACK_V5}},
    {"PUBACK", {F_OVERSIZE_RS_PUBACK_V5, F_OVERSIZE_UP_PUBACK_V5}},
    {"PUBREC", {F_OVERSIZE_RS_PUBREC_V5, F_OVERSIZE_UP_PUBREC_V5}},
    {"PUBREL", {F_OVERSIZE_RS_PUBREL_V5, F_OVERSIZE_UP_PUBREL_V5}},
    {"PUBCOMP", {F_OVERSIZE_RS_PUBCOMP_V5, F_OVERSIZE_UP_PUBCOMP_V5}},
    {"SUBACK", {F_OVERSIZE_RS_SUBACK_V5, F_OVERSIZE_UP_SUBACK_V5}},
    {"UNSUBACK", {F_OVERSIZE_RS_UNSUBACK_V5, F_OVERSIZE_UP_UNSUBACK_V5}},
    {"DISCONNECT", {F_OVERSIZE_RS_DISCONNECT_V5, F_OVERSIZE_UP_DISCONNECT_V5}},
};

static void add_oversize(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *frame,
                         const char *type)
{
    for (size_t i = 0; type && i < sizeof oversize / sizeof oversize[0]; i++) {
        if (strcmp(type, oversize[i].type) != 0)
            continue;
        char big[201];
        memset(big, 'x', 200);
        big[200] = '\0';
        if (pcs_mqb_fault(b, c, oversize[i].f[0]))
            pcs_value_set(pcs_mqb_props(frame), "reason_string", pcs_value_str(big));
        if (pcs_mqb_fault(b, c, oversize[i].f[1])) {
            struct pcs_value *up = pcs_value_map(), *l = pcs_value_list();
            pcs_value_set(up, "key", pcs_value_str("pcs"));
            pcs_value_set(up, "value", pcs_value_str(big));
            pcs_value_push(l, up);
            pcs_value_set(pcs_mqb_props(frame), "user_property", l);
        }
    }
}

int pcs_mqb_send(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *frame)
{
    add_oversize(b, c, frame, pcs_value_get_str(frame, "type"));
    struct pcs_buf out;
    struct pcs_diag d;
    pcs_buf_init(&out);
    pcs_diag_clear(&d);
    int rc = b->proto->encode(c->codec, PCS_DIR_S2C, frame, &out, &d);
    const char *type = pcs_value_get_str(frame, "type");
    if (rc < 0) {
        pcs_mqb_log(b, c, "cannot encode %s: %s", type ? type : "?", d.msg);
    } else if (type && strcmp(type, "PUBLISH") == 0 && c->max_packet && out.len > c->max_packet &&
               !pcs_mqb_fault(b, c, F_PACKET_TOO_LARGE_SENT)) {
        pcs_mqb_log(b, c, "PUBLISH of %zu bytes dropped: client maximum_packet_size %u", out.len,
                    c->max_packet);
        rc = 1;
    } else {
        log_frame(b, c, ">", frame);
        pcs_mqb_send_raw(b, c, out.data, out.len);
    }
    pcs_buf_free(&out);
    pcs_value_free(frame);
    return rc;
}

int pcs_mqb_write_some(int fd, struct pcs_buf *w)
{
    while (w->len > 0) {
        ssize_t n = send(fd, w->data, w->len, MSG_NOSIGNAL);
        if (n > 0)
            pcs_buf_consume(w, (size_t)n);
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        else
            return -1;
    }
    return 0;
}

static void flush(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    if (pcs_mqb_write_some(c->fd, &c->wbuf) == 0)
        return;
    pcs_mqb_log(b, c, "write failed: %s", strerror(errno));
    pcs_mqb_conn_end(b, c, -1, true);
    c->state = C_DEAD;
}

/* ---- connection end ---- */

static void will_on_end(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_mqb_session *s,
                        bool with_will)
{
    struct pcs_mqb_will *w = c->will;
    c->will = NULL;
    if (!w && with_will && s && s->spent_will) {     /* the fault: MQTT-3.1.2-10 */
        w = s->spent_will;
        s->spent_will = NULL;
    }
    if (!w)
        return;
    if (!with_will) {
        pcs_mqb_will_free(w);
        return;
    }
    bool persists = s && (s->expiry_interval > 0 || pcs_mqb_fault(b, c, F_SESSION_EXPIRY_IGNORED));
    if (w->delay > 0 && persists && !pcs_mqb_fault(b, c, F_WILL_DELAY_IGNORED)) {
        pcs_mqb_will_free(s->will);
        s->will = w;
        s->will_at = b->now + (int64_t)w->delay * 1000;
        return;
    }
    if (s && pcs_mqb_fault(b, c, F_WILL_KEPT_AFTER_PUBLISH_V5)) {
        pcs_mqb_will_free(s->spent_will);           /* the fault: kept to publish again */
        s->spent_will = pcs_xcalloc(1, sizeof *s->spent_will);
        *s->spent_will = *w;
        pcs_mqb_msg_copy(&s->spent_will->msg, &w->msg);
    }
    pcs_mqb_will_publish(b, w);
}

static void session_on_end(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_mqb_session *s)
{
    s->conn = NULL;
    c->sess = NULL;
    for (struct pcs_mqb_out *o = s->head; o; o = o->next)
        o->sent_here = false;
    bool keep_zero = pcs_mqb_fault(b, c, F_SESSION_EXPIRY_IGNORED);
    if (s->expiry_interval == 0 && !keep_zero) {
        pcs_mqb_session_end(b, s);
        return;
    }
    if (s->expiry_interval == 0 || s->expiry_interval >= 0xFFFFFFFF)
        s->expires_at = PCS_MQB_NEVER;
    else
        s->expires_at = b->now + s->expiry_interval * 1000;
    if (s->will && s->will_at > s->expires_at)
        s->will_at = s->expires_at;
}

void pcs_mqb_conn_end(struct pcs_stub *b, struct pcs_mqb_conn *c, int reason, bool with_will)
{
    if (c->state != C_NEW && c->state != C_ACTIVE)
        return;
    if (reason >= 0 && c->version == PCS_MQB_V5 && c->state == C_ACTIVE) {
        struct pcs_value *f = pcs_mqb_frame("DISCONNECT");
        if (pcs_mqb_fault(b, c, F_DISCONNECT_UNDEFINED_REASON_V5))
            reason = 0x01;                                    /* the fault: MQTT-3.14.2-1 */
        pcs_mqb_set_int(f, "reason_code", reason);
        if (pcs_mqb_fault(b, c, F_DISCONNECT_SESSION_EXPIRY_V5))   /* the fault: MQTT-3.14.2-2 */
            pcs_mqb_set_int(pcs_mqb_props(f), "session_expiry_interval", 0);
        pcs_mqb_send(b, c, f);
        if (pcs_mqb_fault(b, c, F_SENDS_AFTER_DISCONNECT_V5))      /* the fault: MQTT-3.14.4-1 */
            pcs_mqb_send(b, c, pcs_mqb_frame("PINGRESP"));
        if (pcs_mqb_fault(b, c, F_DISCONNECT_WITHOUT_CLOSE_V5)) {  /* the fault: MQTT-3.14.4-2 */
            c->keep_alive_ms = 0;
            return;
        }
    }
    pcs_mqb_log(b, c, "closing (reason %d, will %s)", reason, with_will ? "yes" : "no");
    struct pcs_mqb_session *s = c->sess;
    c->state = C_CLOSING;
    c->deadline = b->now + PCS_MQB_LINGER_MS;
    will_on_end(b, c, s, with_will);
    if (s)
        session_on_end(b, c, s);
}

/* ---- input ---- */

/* Total length of the packet at p from its fixed header: 0 = need more, -1 = bad varint. */
static int64_t peek_total(const uint8_t *p, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 1; i < 5; i++) {
        if (i >= len)
            return 0;
        v |= (uint32_t)(p[i] & 0x7f) << (7 * (i - 1));
        if (!(p[i] & 0x80))
            return (int64_t)v + (int64_t)i + 1;
    }
    return -1;
}

static bool long_length_forgiven(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    return pcs_mqb_fault(b, c, F_ACCEPT_BAD_REMAINING_LENGTH) ||
           pcs_mqb_fault(b, c, F_ACCEPT_BAD_REMAINING_LENGTH_V5);
}

/* The accept-bad-remaining-length faults: rewrites a Remaining Length of more than 4 bytes at
 * the front of rb to the minimal encoding of its first 4 bytes' value (later bytes dropped).
 * Returns 1 when rewritten, 0 when the length is not complete yet, -1 when it runs on too long. */
static int shorten_length(struct pcs_buf *rb)
{
    size_t end = 1;
    while (end < rb->len && (rb->data[end] & 0x80) && end < 16)
        end++;
    if (end >= 16)
        return -1;
    if (end >= rb->len)
        return 0;
    uint32_t v = 0;
    for (size_t i = 1; i < 5; i++)
        v |= (uint32_t)(rb->data[i] & 0x7f) << (7 * (i - 1));
    struct pcs_buf n;
    pcs_buf_init(&n);
    pcs_buf_putc(&n, rb->data[0]);
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        pcs_buf_putc(&n, byte | (v ? 0x80 : 0));
    } while (v);
    pcs_buf_append(&n, rb->data + end + 1, rb->len - end - 1);
    pcs_buf_free(rb);
    *rb = n;
    return 1;
}

static int malformed_rc(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    return pcs_mqb_fault(b, c, F_DISCONNECT_WRONG_REASON) ? RC_UNSPECIFIED : RC_MALFORMED;
}

/* Is a wrong-flags fault active for this packet type (SUBSCRIBE, UNSUBSCRIBE, PUBREL)? */
static bool flags_forgiven(struct pcs_stub *b, struct pcs_mqb_conn *c, unsigned type)
{
    return (type == 8 && pcs_mqb_fault(b, c, F_ACCEPT_MALFORMED_SUBSCRIBE)) ||
           (type == 10 && pcs_mqb_fault(b, c, F_ACCEPT_MALFORMED_UNSUBSCRIBE)) ||
           (type == 6 && pcs_mqb_fault(b, c, F_ACCEPT_MALFORMED_PUBREL)) ||
           (type == 12 && pcs_mqb_fault(b, c, F_ACCEPT_BAD_PINGREQ_FLAGS)) ||
           (type == 14 && pcs_mqb_fault(b, c, F_ACCEPT_BAD_DISCONNECT_FLAGS));
}

/* Fixed-header flags every packet but PUBLISH must carry (MQTT-2.2.2-1 / 2.1.3-1). */
static bool flags_ok(struct pcs_stub *b, struct pcs_mqb_conn *c, uint8_t first)
{
    unsigned type = first >> 4, flags = first & 0x0f;
    if (type == 3 || flags_forgiven(b, c, type))
        return true;
    unsigned want = (type == 6 || type == 8 || type == 10) ? 2 : 0;
    return flags == want;
}

/* Rewrites the string whose length prefix is at off: bytes for which bad() holds become
 * with. Returns whether one did (false also when off does not hold a whole string). */
static bool patch_string(struct pcs_buf *fr, size_t off, bool (*bad)(uint8_t), uint8_t with)
{
    if (off + 2 > fr->len)
        return false;
    size_t n = (size_t)fr->data[off] << 8 | fr->data[off + 1];
    if (n > fr->len - off - 2)
        return false;
    bool changed = false;
    for (uint8_t *p = fr->data + off + 2; p < fr->data + off + 2 + n; p++)
        if (bad(*p)) {
            *p = with;
            changed = true;
        }
    return changed;
}

static bool is_nul(uint8_t c) { return c == 0; }
static bool is_non_ascii(uint8_t c) { return c >= 0x80; }

static void put_vbi(struct pcs_buf *o, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        pcs_buf_putc(o, byte | (v ? 0x80 : 0));
    } while (v);
}

/* Reads the variable byte integer at *at into *v and moves *at past it; false if cut short. */
static bool get_vbi(const struct pcs_buf *fr, size_t *at, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4 && *at < fr->len; i++) {
        uint8_t byte = fr->data[(*at)++];
        *v |= (uint32_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

/* The accept-duplicate-property fault: cuts the property block of the 5.0 PUBLISH in fr at
 * offset cut (the repeated property), fixing Property Length and Remaining Length. Returns
 * whether it did (false when cut is not inside the block). */
static bool cut_publish_props(struct pcs_buf *fr, size_t cut)
{
    size_t at = 1;
    uint32_t rem, plen;
    if (!get_vbi(fr, &at, &rem) || at + 2 > fr->len)
        return false;
    size_t hdr = at;
    at += 2 + ((size_t)fr->data[at] << 8 | fr->data[at + 1]);   /* Topic Name */
    if (fr->data[0] & 0x06)
        at += 2;                                                /* Packet Identifier */
    size_t plen_at = at;
    if (at >= fr->len || !get_vbi(fr, &at, &plen) || plen > fr->len - at || cut < at ||
        cut >= at + plen)
        return false;
    size_t end = at + plen;
    struct pcs_buf body, n;
    pcs_buf_init(&body);
    pcs_buf_append(&body, fr->data + hdr, plen_at - hdr);
    put_vbi(&body, (uint32_t)(cut - at));
    pcs_buf_append(&body, fr->data + at, cut - at);
    pcs_buf_append(&body, fr->data + end, fr->len - end);
    pcs_buf_init(&n);
    pcs_buf_putc(&n, fr->data[0]);
    put_vbi(&n, (uint32_t)body.len);
    pcs_buf_append(&n, body.data, body.len);
    pcs_buf_free(&body);
    pcs_buf_free(fr);
    *fr = n;
    return true;
}

/* The accept-* faults: rewrites fr so the decoder takes what it refused (d says why).
 * Returns true when fr changed and decoding should be tried again. */
static bool forgive(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_buf *fr,
                    const struct pcs_diag *d)
{
    unsigned type = fr->data[0] >> 4;
    unsigned want = (type == 6 || type == 8 || type == 10) ? 2 : 0;
    if (flags_forgiven(b, c, type) && (fr->data[0] & 0x0f) != want) {
        fr->data[0] = (uint8_t)(type << 4 | want); /* the fault: pretend the flags were right */
        return true;
    }
    if (type == 3 && (fr->data[0] & 0x06) == 0x06 && pcs_mqb_fault(b, c, F_ACCEPT_QOS3_PUBLISH)) {
        fr->data[0] &= (uint8_t)~0x04;             /* the fault: QoS 3 read as QoS 1 */
        return true;
    }
    if (pcs_mqb_fault_refused(b, c, F_ACCEPT_NULL_CHAR, d) ||
        pcs_mqb_fault_refused(b, c, F_ACCEPT_NULL_CHAR_V5, d))
        return patch_string(fr, d->offset, is_nul, '_');         /* the fault: U+0000 kept */
    if (pcs_mqb_fault_refused(b, c, F_ACCEPT_ILL_FORMED_UTF8, d) ||
        pcs_mqb_fault_refused(b, c, F_ACCEPT_ILL_FORMED_UTF8_V5, d) ||
        pcs_mqb_fault_refused(b, c, F_ACCEPT_ILL_FORMED_PAIR_V5, d))
        return patch_string(fr, d->offset, is_non_ascii, '?');   /* the fault: bad UTF-8 kept */
    if (pcs_mqb_fault_refused(b, c, F_ACCEPT_BAD_SUBSCRIBE_OPTIONS, d) && d->offset < fr->len) {
        uint8_t q = fr->data[d->offset] & 0x03;    /* the fault: MQTT-3-8.3-4 (3 read as 2) */
        fr->data[d->offset] = q == 3 ? 2 : q;
        return true;
    }
    if (pcs_mqb_fault(b, c, F_ACCEPT_PASSWORD_WITHOUT_USERNAME) && type == 1 &&
        strcmp(d->rule, "MQTT-3.1.2-22") == 0 && d->offset < fr->len) {
        fr->data[d->offset] ^= 0xc0;               /* the fault: the password read as user name */
        return true;
    }
    if (pcs_mqb_fault_refused(b, c, F_ACCEPT_NULL_IN_TOPIC_V5, d))
        return patch_string(fr, d->offset, is_nul, '_');         /* the fault: U+0000 kept */
    if (pcs_mqb_fault_refused(b, c, F_ACCEPT_SUBSCRIBE_RESERVED_BITS_V5, d) &&
        d->offset < fr->len && (fr->data[d->offset] & 0xc0)) {
        fr->data[d->offset] &= 0x3f;               /* the fault: reserved option bits ignored */
        return true;
    }
    if (pcs_mqb_fault(b, c, F_ACCEPT_MALFORMED_CONNECT_V5) && type == 1 &&
        strcmp(d->rule, "MQTT-3.1.2-11") == 0 && d->offset < fr->len) {
        fr->data[d->offset] &= (uint8_t)~0x18;     /* the fault: Will QoS without Will Flag */
        return true;
    }
    /* the decoder cites no rule for a repeated property: its refusal is known by the message */
    if (type == 3 && pcs_mqb_fault(b, c, F_ACCEPT_DUPLICATE_PROPERTY_V5) &&
        strstr(d->msg, "appears more than once"))
        return cut_publish_props(fr, d->offset);   /* the fault: MQTT-4.13.1-1 */
    return false;
}

static int decode(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_buf *fr,
                  struct pcs_value **out, struct pcs_diag *d)
{
    int rc = b->proto->decode(c->codec, PCS_DIR_C2S, fr->data, fr->len, out, d);
    for (int tries = 0; rc < 0 && tries < 16 && forgive(b, c, fr, d); tries++) {
        pcs_diag_clear(d);
        rc = b->proto->decode(c->codec, PCS_DIR_C2S, fr->data, fr->len, out, d);
    }
    return rc;
}

static void pingresp(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    if (pcs_mqb_fault(b, c, F_NO_PINGRESP) || pcs_mqb_quota_blocks(b, c))
        return;
    if (pcs_mqb_fault(b, c, F_VBI_NOT_MINIMAL_V5))            /* the fault: MQTT-1.5.5-1 */
        pcs_mqb_send_raw(b, c, "\xd0\x80\x00", 3);
    else if (pcs_mqb_fault(b, c, F_PINGRESP_BAD_FLAGS_V5))    /* the fault: MQTT-2.1.3-1 */
        pcs_mqb_send_raw(b, c, "\xd1\x00", 2);
    else
        pcs_mqb_send(b, c, pcs_mqb_frame("PINGRESP"));
}

/* The accept-empty-(un)subscribe faults: answers a SUBSCRIBE / UNSUBSCRIBE the decoder refused
 * for having no topic filter with an acknowledgement holding no reason codes. */
static bool empty_request_forgiven(struct pcs_stub *b, struct pcs_mqb_conn *c,
                                   const struct pcs_buf *fr, const struct pcs_diag *d)
{
    unsigned type = fr->data[0] >> 4;
    bool sub = type == 8 && pcs_mqb_fault_refused(b, c, F_ACCEPT_EMPTY_SUBSCRIBE_V5, d);
    bool unsub = type == 10 && pcs_mqb_fault_refused(b, c, F_ACCEPT_EMPTY_UNSUBSCRIBE_V5, d);
    size_t i = 1;
    while (i < fr->len && (fr->data[i] & 0x80))
        i++;
    if ((!sub && !unsub) || i + 2 >= fr->len)
        return false;
    struct pcs_value *ack = pcs_mqb_frame(sub ? "SUBACK" : "UNSUBACK");
    pcs_mqb_set_int(ack, "packet_id", fr->data[i + 1] << 8 | fr->data[i + 2]);
    pcs_value_set(ack, "reason_codes", pcs_value_list());
    pcs_mqb_send(b, c, ack);
    return true;
}

static void dispatch(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f)
{
    const char *t = pcs_value_get_str(f, "type");
    if (!t)
        t = "?";
    if (strcmp(t, "CONNECT") == 0)
        pcs_mqb_on_connect(b, c, f);
    else if (strcmp(t, "PUBLISH") == 0)
        pcs_mqb_on_publish(b, c, f);
    else if (!strcmp(t, "PUBACK") || !strcmp(t, "PUBREC") || !strcmp(t, "PUBREL") ||
             !strcmp(t, "PUBCOMP"))
        pcs_mqb_on_ack(b, c, t, f);
    else if (strcmp(t, "SUBSCRIBE") == 0)
        pcs_mqb_on_subscribe(b, c, f);
    else if (strcmp(t, "UNSUBSCRIBE") == 0)
        pcs_mqb_on_unsubscribe(b, c, f);
    else if (strcmp(t, "PINGREQ") == 0) {
        pingresp(b, c);
    } else if (strcmp(t, "DISCONNECT") == 0)
        pcs_mqb_on_disconnect(b, c, f);
    else
        pcs_mqb_conn_end(b, c, RC_PROTOCOL_ERROR, true);   /* AUTH, or a server-only packet */
}

static void handle_frame(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_buf *fr)
{
    c->last_rx = b->now;
    if (c->state == C_NEW) {
        if ((fr->data[0] >> 4) != 1) {                     /* MQTT-3.1.0-1 */
            pcs_mqb_log(b, c, "first packet is not CONNECT (0x%02x)", fr->data[0]);
            pcs_mqb_conn_end(b, c, -1, false);
            return;
        }
        if (pcs_mqb_connect_precheck(b, c, fr))
            return;
    } else if (!flags_ok(b, c, fr->data[0])) {
        pcs_mqb_log(b, c, "bad fixed-header flags 0x%02x", fr->data[0]);
        pcs_mqb_conn_end(b, c, malformed_rc(b, c), true);
        return;
    }
    struct pcs_value *f = NULL;
    struct pcs_diag d;
    pcs_diag_clear(&d);
    if (decode(b, c, fr, &f, &d) < 0 || !f) {
        pcs_mqb_log(b, c, "malformed: %s [%s]", d.msg, d.rule);
        if (empty_request_forgiven(b, c, fr, &d))
            return;
        if (c->state == C_NEW && pcs_mqb_fault(b, c, F_CONNACK_ON_MALFORMED_CONNECT))
            pcs_mqb_send_raw(b, c, "\x20\x02\x00\x03", 4);  /* the fault: MQTT-3.2.2-6 */
        pcs_mqb_conn_end(b, c, c->state == C_NEW ? -1 : malformed_rc(b, c), true);
        return;
    }
    log_frame(b, c, "<", f);
    dispatch(b, c, f);
    pcs_value_free(f);
}

static void process_input(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    struct pcs_buf fr;
    pcs_buf_init(&fr);
    while ((c->state == C_NEW || c->state == C_ACTIVE) && c->rbuf.len > 0) {
        int64_t total = peek_total(c->rbuf.data, c->rbuf.len);
        if (total < 0 && long_length_forgiven(b, c)) {
            int r = shorten_length(&c->rbuf);       /* the fault: MQTT-4.8.0-1 / 4.13.1-1 */
            if (r == 0)
                break;
            if (r > 0)
                continue;
        }
        bool oversize_ok = c->version == PCS_MQB_V5 &&   /* the fault: MQTT-4.13.1-1 */
                           pcs_mqb_fault(b, c, F_ACCEPT_PACKET_TOO_LARGE_V5);
        if (total < 0 || (total > PCS_MQB_MAX_PACKET && !oversize_ok)) {
            pcs_mqb_log(b, c, total < 0 ? "bad remaining length" : "packet too large");
            pcs_mqb_conn_end(b, c, total < 0 ? malformed_rc(b, c) : RC_PACKET_TOO_LARGE, true);
            break;
        }
        struct pcs_diag d;
        pcs_diag_clear(&d);
        ssize_t n = b->proto->frame_length(c->codec, c->rbuf.data, c->rbuf.len, &d);
        if (n < 0) {
            pcs_mqb_log(b, c, "cannot frame: %s", d.msg);
            pcs_mqb_conn_end(b, c, malformed_rc(b, c), true);
            break;
        }
        if (n == 0 || (size_t)n > c->rbuf.len)
            break;
        fr.len = 0;
        pcs_buf_append(&fr, c->rbuf.data, (size_t)n);
        pcs_buf_consume(&c->rbuf, (size_t)n);
        handle_frame(b, c, &fr);
    }
    pcs_buf_free(&fr);
}

static void on_readable(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    uint8_t tmp[16384];
    for (int i = 0; i < 64; i++) {            /* bounded per iteration: fairness */
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            if (c->state == C_DRAIN || c->state == C_CLOSING)
                continue;                     /* lingering: discard */
            pcs_buf_append(&c->rbuf, tmp, (size_t)n);
            process_input(b, c);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (c->state == C_NEW || c->state == C_ACTIVE)
            pcs_mqb_log(b, c, n == 0 ? "peer closed" : "read failed");
        pcs_mqb_conn_end(b, c, -1, true);
        if (n == 0 && c->state == C_CLOSING)
            flush(b, c);                      /* a half-closed peer may still read our last bytes */
        c->state = C_DEAD;
        return;
    }
}

/* ---- connections ---- */

static void conn_free(struct pcs_stub *b, struct pcs_mqb_conn *c)
{
    if (c->sess)
        c->sess->conn = NULL;
    close(c->fd);
    b->proto->conn_fini(c->codec);
    free(c->codec);
    pcs_buf_free(&c->rbuf);
    pcs_buf_free(&c->wbuf);
    pcs_mqb_will_free(c->will);
    for (size_t i = 0; i <= PCS_MQB_TOPIC_ALIAS_MAX; i++)
        free(c->alias[i]);
    free(c);
}

static void accept_all(struct pcs_stub *b)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(b->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (b->nconns >= PCS_MQB_MAX_CONNS) {
            pcs_mqb_log(b, NULL, "too many connections: refused");
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct pcs_mqb_conn *c = pcs_xcalloc(1, sizeof *c);
        c->fd = fd;
        c->id = ++b->next_conn_id;
        c->state = C_NEW;
        c->version = -1;
        c->codec = pcs_xcalloc(1, b->proto->conn_state_size ? b->proto->conn_state_size : 1);
        b->proto->conn_init(c->codec, NULL);
        c->last_rx = b->now;
        c->deadline = b->now + PCS_MQB_CONNECT_WAIT_MS;
        c->recv_max = 65535;
        b->conns[b->nconns++] = c;
        pcs_mqb_log(b, c, "accepted");
    }
}

static void conn_timer(struct pcs_stub *b, struct pcs_mqb_conn *c, int64_t *next)
{
    int64_t at = PCS_MQB_NEVER;
    if (c->state == C_NEW || c->state == C_CLOSING || c->state == C_DRAIN) {
        at = c->deadline;
    } else if (c->state == C_ACTIVE && c->keep_alive_ms > 0 &&
               !pcs_mqb_fault(b, c, F_KEEPALIVE_NOT_ENFORCED) &&
               !pcs_mqb_fault(b, c, F_KEEPALIVE_NOT_ENFORCED_V5)) {
        at = c->last_rx + c->keep_alive_ms * 3 / 2;   /* MQTT-3.1.2-24 / 3.1.2-22 */
    }
    if (at > b->now) {
        if (at < *next)
            *next = at;
        return;
    }
    if (c->state == C_ACTIVE) {
        pcs_mqb_log(b, c, "keep alive expired");
        pcs_mqb_conn_end(b, c, RC_KEEP_ALIVE_TIMEOUT, true);
    } else if (c->state == C_NEW) {
        pcs_mqb_conn_end(b, c, -1, false);
        c->state = C_DEAD;
    } else {
        c->state = C_DEAD;
    }
}

/* Moves connections along: timers, queued output, lingering close, reaping. */
static int64_t housekeeping(struct pcs_stub *b)
{
    int64_t next = b->now + 1000;
    for (size_t i = 0; i < b->nconns; i++)
        conn_timer(b, b->conns[i], &next);
    pcs_mqb_session_timers(b, &next);
    for (struct pcs_mqb_session *s = b->sessions; s; s = s->next)
        pcs_mqb_pump(b, s, &next);
    for (size_t i = 0; i < b->nconns; i++) {
        struct pcs_mqb_conn *c = b->conns[i];
        if (c->state == C_ACTIVE && c->wbuf.len > PCS_MQB_MAX_WBUF)
            pcs_mqb_conn_end(b, c, -1, true);
        if (c->state != C_DEAD && c->state != C_DRAIN)
            flush(b, c);
        if (c->state == C_CLOSING && c->wbuf.len == 0) {
            shutdown(c->fd, SHUT_WR);
            c->state = C_DRAIN;
        }
    }
    for (size_t i = 0; i < b->nconns;) {
        if (b->conns[i]->state == C_DEAD) {
            pcs_mqb_log(b, b->conns[i], "closed");
            conn_free(b, b->conns[i]);
            b->conns[i] = b->conns[--b->nconns];
        } else {
            i++;
        }
    }
    return next;
}

/* ---- the kind's functions ---- */

static int listen_on(const struct pcs_stub_config *cfg, int *fd_out, uint16_t *port_out,
                     struct pcs_diag *d)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", cfg->port);
    const char *host = cfg->host && cfg->host[0] ? cfg->host : "127.0.0.1";
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "stub mqtt: %s: %s", host, gai_strerror(gai));
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "stub mqtt: cannot listen on %s:%u: %s", host,
                            cfg->port, strerror(err));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

static int mqtt_create(const struct pcs_stub_config *cfg, struct pcs_stub **out,
                       struct pcs_diag *d)
{
    const struct pcs_protocol *proto = pcs_protocol_find("mqtt");
    if (!proto)
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "stub mqtt: no mqtt codec in this build");
    int fault = F_NONE;
    if (cfg->fault && cfg->fault[0] && (fault = pcs_mqb_fault_lookup(cfg->fault)) < 0)
        return pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "stub mqtt: unknown fault '%s'", cfg->fault);
    int lfd = -1;
    uint16_t port = 0;
    int rc = listen_on(cfg, &lfd, &port, d);
    if (rc < 0)
        return rc;
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        close(lfd);
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "stub mqtt: pipe: %s", strerror(errno));
    }
    struct pcs_stub *b = pcs_xcalloc(1, sizeof *b);
    b->proto = proto;
    b->verbose = cfg->verbose;
    b->fault = (enum pcs_mqb_fault)fault;
    b->lfd = lfd;
    b->port = port;
    b->pipe_rd = p[0];
    b->pipe_wr = p[1];
    b->now = pcs_mqb_now_ms();
    pcs_mqb_log(b, NULL, "listening on %s:%u%s%s", cfg->host ? cfg->host : "127.0.0.1", port,
                cfg->fault ? ", fault " : "", cfg->fault ? cfg->fault : "");
    *out = b;
    return 0;
}

static uint16_t mqtt_port(const struct pcs_stub *b) { return b->port; }

static void poll_once(struct pcs_stub *b, int64_t next)
{
    static const size_t fixed = 2;
    struct pollfd pfd[PCS_MQB_MAX_CONNS + 2];
    size_t n = b->nconns;
    pfd[0] = (struct pollfd){.fd = b->pipe_rd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = b->lfd, .events = POLLIN};
    for (size_t i = 0; i < n; i++) {
        struct pcs_mqb_conn *c = b->conns[i];
        short ev = c->state == C_CLOSING ? 0 : POLLIN;
        if (c->wbuf.len && c->state != C_DRAIN)
            ev |= POLLOUT;
        pfd[i + fixed] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    int64_t wait = next - pcs_mqb_now_ms();
    if (wait < 0)
        wait = 0;
    if (wait > 1000)
        wait = 1000;
    if (poll(pfd, n + fixed, (int)wait) <= 0)
        return;
    b->now = pcs_mqb_now_ms();
    if (pfd[0].revents)
        return;
    for (size_t i = 0; i < n; i++) {
        struct pcs_mqb_conn *c = b->conns[i];
        short re = pfd[i + fixed].revents;
        if (re & POLLOUT)
            flush(b, c);
        if ((re & (POLLIN | POLLHUP | POLLERR)) && c->state != C_DEAD)
            on_readable(b, c);
    }
    if (pfd[1].revents & POLLIN)
        accept_all(b);
}

static int mqtt_serve(struct pcs_stub *b)
{
    while (!b->stopping) {
        b->now = pcs_mqb_now_ms();
        int64_t next = housekeeping(b);
        poll_once(b, next);
    }
    return 0;
}

static void mqtt_stop(struct pcs_stub *b)
{
    b->stopping = 1;
    ssize_t r = write(b->pipe_wr, "x", 1);
    (void)r;
}

static void mqtt_destroy(struct pcs_stub *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nconns; i++)
        conn_free(b, b->conns[i]);
    pcs_mqb_free_all(b);
    close(b->lfd);
    close(b->pipe_rd);
    close(b->pipe_wr);
    free(b);
}

const struct pcs_stub_kind pcs_mqtt_stub = {
    .protocol = "mqtt",
    .faults = pcs_mqb_faults,
    .capabilities = capabilities,
    .create = mqtt_create,
    .port = mqtt_port,
    .serve = mqtt_serve,
    .stop = mqtt_stop,
    .destroy = mqtt_destroy,
    .actions = pcs_mqc_actions,
    .client_create = pcs_mqc_create,
    .client_run = pcs_mqc_run,
    .client_stop = pcs_mqc_stop,
    .client_destroy = pcs_mqc_destroy,
};
