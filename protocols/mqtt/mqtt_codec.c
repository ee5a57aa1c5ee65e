/* mqtt_codec.c — MQTT 3.1.1 / 5.0 control packets ⇄ pcs_value maps, one whole packet at a
 * time (framing is mqtt_frame.c). Field names come from mqtt_schema.c, properties are driven
 * by its property table. Decoding never reads past len and reports malformed input with the
 * statement ID it breaks; encoding writes what it is told, even when the spec forbids it.
 * Decoded values and encoded bytes belong to the caller; nothing else is allocated.
 *
 *   fixed header   [type<<4 | flags] [Remaining Length: VBI, 1-4 bytes]
 *   strings        [len u16 BE] [len bytes of UTF-8]     binary data: same, any bytes
 *   5.0 properties [length: VBI] then {[id: VBI] [value by the id's wire type]}*
 *   CONNECT        "MQTT" level flags keep-alive u16 [props] client-id
 *                  [[will props] will-topic will-payload] [user name] [password]
 *   PUBLISH        topic [packet id if QoS>0] [props] payload-to-the-end
 *   PUBACK..       packet id [reason [props]]        (5.0: both may be left out)
 *   SUBSCRIBE      packet id [props] {filter options-byte}+
 */
#include "mqtt.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define V5 PCS_MQTT_V5
#define RV(ver, r311, r5) ((ver) == V5 ? (r5) : (r311))
#define TRY(x)                \
    do {                      \
        int rc_ = (x);        \
        if (rc_)              \
            return rc_;       \
    } while (0)

/* ======================================================================== UTF-8 */

int pcs_mqtt_utf8_check(const uint8_t *p, size_t n)
{
    int nul = 0;
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (n - i >= 8 && (memcpy(&w, p + i, 8), !(w & 0x8080808080808080u))) {
            /* eight ASCII bytes at once; a zero byte among them sets the high bit here */
            nul |= ((w - 0x0101010101010101u) & ~w & 0x8080808080808080u) != 0;
            i += 8;
            continue;
        }
        uint8_t c = p[i];
        if (c < 0x80) {
            nul |= c == 0;
            i++;
            continue;
        }
        size_t k;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            k = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return 1;  /* stray continuation byte, C0/C1 overlong lead, F5..FF */
        if (n - i <= k)
            return 1;  /* truncated sequence */
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 1;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 1;  /* overlong, beyond Unicode, surrogate */
        i += k + 1;
    }
    return nul ? 2 : 0;
}

/* ======================================================================== decoding */

/* Decoding reads the packet into c->last (the facts the checks read) and, when the caller asks
 * for one, into a value tree as well: every tree operation below is skipped when r->t is NULL. */
struct rd {
    const uint8_t *p;     /* the whole frame */
    size_t n, i;          /* end of the current region, cursor */
    int ver;              /* layout: PCS_MQTT_V311 or PCS_MQTT_V5 */
    const char *pkt;      /* packet name for messages */
    struct pcs_diag *d;
    struct pcs_mqtt_facts *k;   /* what is learnt of the packet */
    struct pcs_value *t;  /* the frame's tree (every value is made in its arena), or NULL */
};

enum skind { S_TEXT, S_TOPIC, S_PAIR };

static size_t left(const struct rd *r) { return r->n - r->i; }

static int bad(struct rd *r, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct rd *r, const char *rule, const char *fmt, ...)
{
    char m[PCS_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    pcs_diag_set(r->d, PCS_ERR_MALFORMED, rule, "%s: %s", r->pkt, m);
    if (r->d)
        r->d->offset = r->i;
    return PCS_ERR_MALFORMED;
}

static int u8(struct rd *r, uint8_t *v, const char *what, const char *rule)
{
    if (left(r) < 1)
        return bad(r, rule, "%s is missing", what);
    *v = r->p[r->i++];
    return 0;
}

static int u16(struct rd *r, uint16_t *v, const char *what, const char *rule)
{
    if (left(r) < 2)
        return bad(r, rule, "%s is %s", what, left(r) ? "truncated" : "missing");
    *v = (uint16_t)(r->p[r->i] << 8 | r->p[r->i + 1]);
    r->i += 2;
    return 0;
}

static int u32(struct rd *r, uint32_t *v, const char *what, const char *rule)
{
    if (left(r) < 4)
        return bad(r, rule, "%s is %s", what, left(r) ? "truncated" : "missing");
    const uint8_t *p = r->p + r->i;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    r->i += 4;
    return 0;
}

static int vbi(struct rd *r, uint32_t *v, const char *what, const char *rule)
{
    size_t used = 0;
    bool minimal = false;
    int e = pcs_mqtt_vbi_get(r->p + r->i, left(r), v, &used, &minimal);
    if (e == PCS_MQTT_VBI_MORE)
        return bad(r, rule, "%s is %s", what, left(r) ? "truncated" : "missing");
    if (e == PCS_MQTT_VBI_LONG)
        return bad(r, "", "%s is longer than 4 bytes", what);
    if (!minimal && r->ver == V5)
        return bad(r, "MQTT-1.5.5-1", "%s is not minimally encoded", what);
    r->i += used;
    return 0;
}

/* Length-prefixed field: sets *s past the prefix, or fails citing rule. */
static int lp(struct rd *r, struct pcs_mqtt_span *s, const char *what, const char *rule)
{
    uint16_t n = 0;
    TRY(u16(r, &n, what, rule));
    if (left(r) < n) {
        r->i -= 2;
        return bad(r, rule, "%s of %u bytes overruns the packet (%zu bytes left)", what, n,
                   left(r) - 2);
    }
    *s = (struct pcs_mqtt_span){r->p + r->i, n};
    r->i += n;
    return 0;
}

/* A UTF-8 string field: *s its bytes; *out (when a tree is built) its value. */
static int str(struct rd *r, const char *what, const char *rule, enum skind k,
               struct pcs_mqtt_span *s, struct pcs_value **out)
{
    TRY(lp(r, s, what, rule));
    int u = pcs_mqtt_utf8_check(s->p, s->n);
    bool pair = k == S_PAIR && r->ver == V5;
    if (u) {
        r->i -= s->n + 2u;
        if (u == 1)
            return bad(r, pair ? "MQTT-1.5.7-1" : RV(r->ver, "MQTT-1.5.3-1", "MQTT-1.5.4-1"),
                       "%s is not well-formed UTF-8", what);
        return bad(r, pair ? "MQTT-1.5.7-1"
                      : k == S_TOPIC ? "MQTT-4.7.3-2"
                                     : RV(r->ver, "MQTT-1.5.3-2", "MQTT-1.5.4-2"),
                   "%s contains U+0000", what);
    }
    *out = r->t ? pcs_tree_strn(r->t, (const char *)s->p, s->n) : NULL;
    return 0;
}

static int bin(struct rd *r, const char *what, const char *rule, struct pcs_value **out)
{
    struct pcs_mqtt_span s = {0};
    TRY(lp(r, &s, what, rule));
    *out = r->t ? pcs_tree_bytes(r->t, s.p, s.n) : NULL;
    return 0;
}

static struct pcs_value *tree_int(struct rd *r, int64_t i)
{
    return r->t ? pcs_tree_int(r->t, i) : NULL;
}

/* One property value by its wire type: *num an integer's value, *s a string's bytes. */
static int prop_value(struct rd *r, const struct pcs_mqtt_prop *p, uint32_t *num,
                      struct pcs_mqtt_span *s, struct pcs_value **v)
{
    uint8_t b = 0;
    uint16_t h = 0;
    struct pcs_value *k = NULL, *x = NULL;
    switch (p->wire) {
    case PCS_MQTT_W_BYTE:
        TRY(u8(r, &b, p->name, ""));
        *num = b;
        break;
    case PCS_MQTT_W_U16:
        TRY(u16(r, &h, p->name, ""));
        *num = h;
        break;
    case PCS_MQTT_W_U32:
        TRY(u32(r, num, p->name, ""));
        break;
    case PCS_MQTT_W_VBI:
        TRY(vbi(r, num, p->name, ""));
        break;
    case PCS_MQTT_W_STR:
        return str(r, p->name, "", S_TEXT, s, v);
    case PCS_MQTT_W_BIN:
        return bin(r, p->name, "", v);
    case PCS_MQTT_W_PAIR:
        TRY(str(r, "user_property key", "", S_PAIR, s, &k));
        TRY(str(r, "user_property value", "", S_PAIR, s, &x));
        if (r->t) {
            *v = pcs_tree_map(r->t);
            pcs_tree_set(r->t, *v, "key", k);
            pcs_tree_set(r->t, *v, "value", x);
        }
        return 0;
    default:
        return bad(r, "", "internal: property %s has no wire type", p->name);
    }
    *v = tree_int(r, *num);
    return 0;
}

/* A 5.0 property block for packet type pt (0 = Will Properties): its ids into the facts
 * (the packet's integers too), its map into *out. */
static int props(struct rd *r, unsigned pt, struct pcs_value **out)
{
    const char *label = pt ? "properties" : "will properties";
    uint32_t plen = 0;
    if (!left(r))
        return bad(r, "MQTT-2.2.2-1", "%s length is missing", label);
    TRY(vbi(r, &plen, "properties length", ""));
    if (plen > left(r))
        return bad(r, "", "%s length %u overruns the packet (%zu bytes left)", label, plen,
                   left(r));
    struct rd s = *r;
    s.n = r->i + plen;
    struct pcs_value *m = r->t ? pcs_tree_map(r->t) : NULL;
    uint64_t seen = 0;
    while (s.i < s.n) {
        size_t at = s.i;
        uint32_t id = 0;
        TRY(vbi(&s, &id, "property identifier", ""));
        const struct pcs_mqtt_prop *p = pcs_mqtt_prop_by_id(id);
        if (!p) {
            s.i = at;   /* errors point at the identifier */
            return bad(&s, "", "unknown property identifier 0x%02x in %s", id, label);
        }
        if (!(p->packets & (1u << pt))) {
            s.i = at;
            return bad(&s, "", "property %s is not allowed in %s", p->name,
                       pt ? r->pkt : "Will Properties");
        }
        if ((seen >> p->id & 1) && !(p->repeat & (1u << pt))) {
            s.i = at;
            return bad(&s, "", "property %s appears more than once in %s", p->name, label);
        }
        seen |= (uint64_t)1 << p->id;
        uint32_t num = 0;
        struct pcs_mqtt_span sp = {0};
        struct pcs_value *v = NULL;
        TRY(prop_value(&s, p, &num, &sp, &v));
        if (pt)
            r->k->num[p->id] = num;
        if (p->id == PCS_MQTT_P_response_topic)
            r->k->response_topic = sp;
        if (!m)
            continue;
        if (p->wire == PCS_MQTT_W_PAIR || p->wire == PCS_MQTT_W_VBI) {
            struct pcs_value *l = pcs_value_get(m, p->name);
            if (!l) {
                l = pcs_tree_list(r->t);
                pcs_tree_set(r->t, m, p->name, l);
            }
            pcs_tree_push(r->t, l, v);
        } else {
            pcs_tree_set(r->t, m, p->name, v);
        }
    }
    *(pt ? &r->k->props : &r->k->will_props) = seen;
    r->i = s.n;
    *out = m;
    return 0;
}

/* Adds key → v to m when a tree is built — small helpers to keep decoders flat. Keys are
 * literals (borrowed). */
static void put(struct rd *r, struct pcs_value *m, const char *k, struct pcs_value *v)
{
    if (m)
        pcs_tree_set(r->t, m, k, v);
}
static void put_i(struct rd *r, struct pcs_value *m, const char *k, int64_t i)
{
    if (m)
        put(r, m, k, pcs_tree_int(r->t, i));
}
static void put_b(struct rd *r, struct pcs_value *m, const char *k, bool b)
{
    if (m)
        put(r, m, k, pcs_tree_bool(r->t, b));
}

static int field_str(struct rd *r, struct pcs_value *m, const char *key, const char *what,
                     const char *rule, enum skind k, struct pcs_mqtt_span *s)
{
    struct pcs_mqtt_span ignored = {0};
    struct pcs_value *v = NULL;
    TRY(str(r, what, rule, k, s ? s : &ignored, &v));
    put(r, m, key, v);
    return 0;
}

static int field_bin(struct rd *r, struct pcs_value *m, const char *key, const char *what,
                     const char *rule)
{
    struct pcs_value *v = NULL;
    TRY(bin(r, what, rule, &v));
    put(r, m, key, v);
    return 0;
}

static int field_props(struct rd *r, struct pcs_value *m, const char *key, unsigned pt)
{
    struct pcs_value *v = NULL;
    TRY(props(r, pt, &v));
    put(r, m, key, v);
    return 0;
}

static int field_pid(struct rd *r, struct pcs_value *m, const char *rule)
{
    TRY(u16(r, &r->k->pid, "packet identifier", rule));
    r->k->has_pid = true;
    put_i(r, m, "packet_id", r->k->pid);
    return 0;
}

/* Copies a protocol name into out for a message, printable ASCII only. */
static const char *printable(struct pcs_mqtt_span s, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < s.n && j + 1 < cap; i++) {
        unsigned char c = s.p[i];
        out[j++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    out[j] = 0;
    return out;
}

static bool span_is(struct pcs_mqtt_span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static int d_connect(struct rd *r, struct pcs_value *m, bool hdr_minimal)
{
    struct pcs_mqtt_span name = {0};
    TRY(field_str(r, m, "protocol_name", "protocol name", "MQTT-3.1.4-1", S_TEXT, &name));
    uint8_t level = 0, fl = 0;
    TRY(u8(r, &level, "protocol level", "MQTT-3.1.4-1"));
    if (!span_is(name, "MQTT") && !span_is(name, "MQIsdp")) {
        char buf[40];
        r->i--;
        return bad(r, "MQTT-3.1.2-1", "protocol name \"%s\" is not \"MQTT\"",
                   printable(name, buf, sizeof buf));
    }
    r->k->level = level;
    put_i(r, m, "protocol_level", level);
    /* known levels pick the layout; an unknown one is read as the connection's version */
    if (level == 5 || level == 4 || level == 3)
        r->ver = level == 5 ? V5 : PCS_MQTT_V311;
    if (r->ver == V5 && !hdr_minimal) {
        r->i = 1;
        return bad(r, "MQTT-1.5.5-1", "Remaining Length is not minimally encoded");
    }
    TRY(u8(r, &fl, "connect flags", "MQTT-3.1.4-1"));
    bool will = fl & 0x04, wret = fl & 0x20, uf = fl & 0x80, pf = fl & 0x40;
    unsigned wqos = fl >> 3 & 3;
    r->i--;
    if (fl & 0x01)
        return bad(r, "MQTT-3.1.2-3", "reserved connect flag (bit 0) is 1");
    if (!will && wqos)
        return bad(r, RV(r->ver, "MQTT-3.1.2-13", "MQTT-3.1.2-11"),
                   "Will QoS %u with Will Flag 0", wqos);
    if (!will && wret)
        return bad(r, RV(r->ver, "MQTT-3.1.2-15", "MQTT-3.1.2-13"), "Will Retain with Will Flag 0");
    if (wqos == 3)
        return bad(r, RV(r->ver, "MQTT-3.1.2-14", "MQTT-3.1.2-12"), "Will QoS 3");
    if (r->ver != V5 && pf && !uf)
        return bad(r, "MQTT-3.1.2-22", "Password Flag 1 with User Name Flag 0");
    r->i++;
    put_b(r, m, r->ver == V5 ? "clean_start" : "clean_session", fl & 0x02);
    put_b(r, m, "will_flag", will);
    put_i(r, m, "will_qos", wqos);
    put_b(r, m, "will_retain", wret);
    put_b(r, m, "username_flag", uf);
    put_b(r, m, "password_flag", pf);
    put_b(r, m, "reserved_flag", false);
    uint16_t ka = 0;
    TRY(u16(r, &ka, "keep alive", "MQTT-3.1.4-1"));
    put_i(r, m, "keep_alive", ka);
    if (r->ver == V5)
        TRY(field_props(r, m, "properties", PCS_MQTT_CONNECT));
    TRY(field_str(r, m, "client_id", "client identifier", "MQTT-3.1.3-3", S_TEXT, NULL));
    if (will) {
        if (r->ver == V5)
            TRY(field_props(r, m, "will_properties", 0));
        TRY(field_str(r, m, "will_topic", "will topic", "MQTT-3.1.2-9", S_TOPIC, NULL));
        TRY(field_bin(r, m, "will_payload", "will payload", "MQTT-3.1.2-9"));
    }
    if (uf)
        TRY(field_str(r, m, "username", "user name", RV(r->ver, "MQTT-3.1.2-19", "MQTT-3.1.2-17"),
                      S_TEXT, NULL));
    if (pf)
        TRY(field_bin(r, m, "password", "password", RV(r->ver, "MQTT-3.1.2-21", "MQTT-3.1.2-19")));
    if (left(r))
        return bad(r,
                   !uf   ? RV(r->ver, "MQTT-3.1.2-18", "MQTT-3.1.2-16")
                   : !pf ? RV(r->ver, "MQTT-3.1.2-20", "MQTT-3.1.2-18")
                         : "MQTT-3.1.4-1",
                   "%zu bytes after the last payload field", left(r));
    return 0;
}

static int d_connack(struct rd *r, struct pcs_value *m)
{
    TRY(u8(r, &r->k->ack_flags, "acknowledge flags", ""));
    TRY(u8(r, &r->k->code, RV(r->ver, "return code", "reason code"), ""));
    put_b(r, m, "session_present", r->k->ack_flags & 1);
    put_i(r, m, "ack_flags_reserved", r->k->ack_flags >> 1);
    put_i(r, m, RV(r->ver, "return_code", "reason_code"), r->k->code);
    if (r->ver == V5)
        TRY(field_props(r, m, "properties", PCS_MQTT_CONNACK));
    return 0;
}

static int d_publish(struct rd *r, struct pcs_value *m, unsigned flags)
{
    unsigned qos = flags >> 1 & 3;
    put_b(r, m, "dup", flags & 8);
    put_i(r, m, "qos", qos);
    put_b(r, m, "retain", flags & 1);
    TRY(field_str(r, m, "topic", "topic name", "MQTT-3.3.2-1", S_TOPIC, &r->k->topic));
    if (qos)
        TRY(field_pid(r, m, RV(r->ver, "MQTT-2.3.1-1", "")));
    if (r->ver == V5)
        TRY(field_props(r, m, "properties", PCS_MQTT_PUBLISH));
    if (m)
        put(r, m, "payload", pcs_tree_bytes(r->t, r->p + r->i, left(r)));
    r->i = r->n;
    return 0;
}

/* 5.0 tail of PUBACK..PUBCOMP, DISCONNECT, AUTH: [reason code [properties]]. */
static int reason_tail(struct rd *r, struct pcs_value *m, unsigned type)
{
    if (left(r))
        TRY(u8(r, &r->k->code, "reason code", ""));
    put_i(r, m, "reason_code", r->k->code);
    if (left(r))
        return field_props(r, m, "properties", type);
    if (m)
        put(r, m, "properties", pcs_tree_map(r->t));
    return 0;
}

static int d_ack(struct rd *r, struct pcs_value *m, unsigned type)
{
    TRY(field_pid(r, m, ""));
    return r->ver == V5 ? reason_tail(r, m, type) : 0;
}

/* The rest of the packet is its list of items (topic filters, codes): remembered whole. */
static void items_begin(struct rd *r)
{
    r->k->items = (struct pcs_mqtt_span){r->p + r->i, (uint32_t)left(r)};
}

static int d_subscribe(struct rd *r, struct pcs_value *m)
{
    TRY(field_pid(r, m, ""));
    if (r->ver == V5)
        TRY(field_props(r, m, "properties", PCS_MQTT_SUBSCRIBE));
    struct pcs_value *subs = r->t ? pcs_tree_list(r->t) : NULL;
    put(r, m, "subscriptions", subs);
    const char *need = RV(r->ver, "MQTT-3.8.3-3", "MQTT-3.8.3-2");
    items_begin(r);
    while (left(r)) {
        struct pcs_value *s = r->t ? pcs_tree_map(r->t) : NULL;
        if (s)
            pcs_tree_push(r->t, subs, s);
        TRY(field_str(r, s, "topic_filter", "topic filter", "MQTT-3.8.3-1", S_TOPIC, NULL));
        uint8_t o = 0;
        TRY(u8(r, &o, "subscription options", need));
        r->i--;
        unsigned qos = o & 3;
        if (r->ver != V5 && (o >> 2 || qos == 3))
            return bad(r, "MQTT-3-8.3-4", "requested QoS byte is 0x%02x (reserved bits or QoS 3)",
                       o);
        if (r->ver == V5 && o >> 6)
            return bad(r, "MQTT-3.8.3-5", "reserved subscription option bits are 0x%x", o >> 6);
        if (r->ver == V5 && qos == 3)
            return bad(r, "", "Maximum QoS 3 in subscription options");
        if (r->ver == V5 && (o >> 4 & 3) == 3)
            return bad(r, "", "Retain Handling 3 in subscription options");
        r->i++;
        r->k->nitems++;
        put_i(r, s, "qos", qos);
        if (r->ver == V5) {
            put_b(r, s, "no_local", o & 0x04);
            put_b(r, s, "retain_as_published", o & 0x08);
            put_i(r, s, "retain_handling", o >> 4 & 3);
        }
        put_i(r, s, "reserved", r->ver == V5 ? o >> 6 : o >> 2);
    }
    if (!r->k->nitems)
        return bad(r, need, "no topic filter in the payload");
    return 0;
}

static int d_codes(struct rd *r, struct pcs_value *m)
{
    items_begin(r);
    r->k->nitems = (uint16_t)(left(r) > 65535 ? 65535 : left(r));
    if (m) {
        struct pcs_value *l = pcs_tree_list(r->t);
        for (size_t i = r->i; i < r->n; i++)
            pcs_tree_push(r->t, l, pcs_tree_int(r->t, r->p[i]));
        put(r, m, "reason_codes", l);
    }
    r->i = r->n;
    return 0;
}

static int d_suback(struct rd *r, struct pcs_value *m, unsigned type)
{
    TRY(field_pid(r, m, ""));
    if (r->ver != V5)
        return type == PCS_MQTT_SUBACK ? d_codes(r, m) : 0;
    TRY(field_props(r, m, "properties", type));
    return d_codes(r, m);
}

static int d_unsubscribe(struct rd *r, struct pcs_value *m)
{
    TRY(field_pid(r, m, ""));
    if (r->ver == V5)
        TRY(field_props(r, m, "properties", PCS_MQTT_UNSUBSCRIBE));
    struct pcs_value *l = r->t ? pcs_tree_list(r->t) : NULL, *f = NULL;
    put(r, m, "topic_filters", l);
    items_begin(r);
    while (left(r)) {
        struct pcs_mqtt_span s = {0};
        TRY(str(r, "topic filter", "MQTT-3.10.3-1", S_TOPIC, &s, &f));
        if (l)
            pcs_tree_push(r->t, l, f);
        r->k->nitems++;
    }
    if (!r->k->nitems)
        return bad(r, "MQTT-3.10.3-2", "no topic filter in the payload");
    return 0;
}

/* Facts announced by a packet, learnt by decode and encode alike (idempotent): k is what was
 * read of it (decode) or written (encode). */
static void learn(struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_mqtt_facts *k)
{
    int other = !dir;
    switch (k->type) {
    case PCS_MQTT_CONNECT:
        if (c->version < 0) {
            if (k->level == 5)
                c->version = V5;
            else if (k->level == 3 || k->level == 4)
                c->version = PCS_MQTT_V311;
        }
        c->alias_max[other] = (uint16_t)(pcs_mqtt_has(k, PCS_MQTT_P_topic_alias_maximum)
                                             ? k->num[PCS_MQTT_P_topic_alias_maximum] : 0);
        c->max_packet[other] = pcs_mqtt_has(k, PCS_MQTT_P_maximum_packet_size)
                                   ? k->num[PCS_MQTT_P_maximum_packet_size] : 0;
        break;
    case PCS_MQTT_CONNACK:
        c->alias_max[other] = (uint16_t)(pcs_mqtt_has(k, PCS_MQTT_P_topic_alias_maximum)
                                             ? k->num[PCS_MQTT_P_topic_alias_maximum] : 0);
        c->max_packet[other] = pcs_mqtt_has(k, PCS_MQTT_P_maximum_packet_size)
                                   ? k->num[PCS_MQTT_P_maximum_packet_size] : 0;
        c->max_qos[other] = (uint8_t)(pcs_mqtt_has(k, PCS_MQTT_P_maximum_qos)
                                          ? k->num[PCS_MQTT_P_maximum_qos] : 2);
        c->retain_ok[other] = !pcs_mqtt_has(k, PCS_MQTT_P_retain_available) ||
                              k->num[PCS_MQTT_P_retain_available] != 0;
        break;
    case PCS_MQTT_SUBSCRIBE:
    case PCS_MQTT_UNSUBSCRIBE:
        pcs_mqtt_pending_add(c, dir, k->type, k->has_pid ? k->pid : 1, k->nitems);
        break;
    default:
        break;
    }
}

int pcs_mqtt_decode(void *st, enum pcs_dir dir, const uint8_t *f, size_t len,
                    struct pcs_value **out, struct pcs_diag *d)
{
    struct pcs_mqtt_conn *c = st;
    struct pcs_mqtt_facts *k = &c->last;
    if (out)
        *out = NULL;
    dir = dir == PCS_DIR_S2C ? PCS_DIR_S2C : PCS_DIR_C2S;
    struct rd r = {.p = f, .n = len, .i = 0, .ver = c->version == V5 ? V5 : PCS_MQTT_V311,
                   .pkt = "packet", .d = d, .k = k};
    /* every field but num[] (read only where props says): nothing of an earlier packet stays */
    memset(k, 0, offsetof(struct pcs_mqtt_facts, num));
    memset(&k->topic, 0, sizeof *k - offsetof(struct pcs_mqtt_facts, topic));
    if (len < 2)
        return bad(&r, "", "%zu bytes are shorter than a fixed header", len);
    unsigned type = f[0] >> 4, flags = f[0] & 15;
    if (type == 0 || (type == PCS_MQTT_AUTH && c->version != V5))
        return bad(&r, "", "reserved control packet type %u", type);
    const struct pcs_mqtt_ptype *pt = &pcs_mqtt_ptypes[type];
    r.pkt = pt->name;
    r.i = 1;
    uint32_t rl = 0;
    size_t used = 0;
    bool minimal = false;
    int e = pcs_mqtt_vbi_get(f + 1, len - 1, &rl, &used, &minimal);
    if (e == PCS_MQTT_VBI_LONG)
        return bad(&r, "", "Remaining Length is longer than 4 bytes");
    if (e == PCS_MQTT_VBI_MORE)
        return bad(&r, "", "Remaining Length is truncated");
    if (!minimal && r.ver == V5)
        return bad(&r, "MQTT-1.5.5-1", "Remaining Length is not minimally encoded");
    r.i = 1 + used;
    if (rl != len - r.i)
        return bad(&r, "", "Remaining Length is %u but %zu bytes follow the fixed header", rl,
                   len - r.i);
    r.i = 0;
    if (pt->flags >= 0 && flags != (unsigned)pt->flags)
        return bad(&r, pt->flags_rule[r.ver], "reserved flags are 0x%x, must be 0x%x", flags,
                   (unsigned)pt->flags);
    if (type == PCS_MQTT_PUBLISH && (flags >> 1 & 3) == 3)
        return bad(&r, "MQTT-3.3.1-4", "QoS 3 in fixed header");
    r.i = 1 + used;
    if (type == PCS_MQTT_CONNACK && c->foreign_level && rl == 2)
        r.ver = PCS_MQTT_V311;

    struct pcs_value *m = r.t = out ? pcs_value_tree(len) : NULL;
    if (m) {
        put(&r, m, "type", pcs_tree_lit(r.t, pt->name));
        put_i(&r, m, "flags", flags);
    }
    int rc = 0;
    switch (type) {
    case PCS_MQTT_CONNECT: rc = d_connect(&r, m, minimal); break;
    case PCS_MQTT_CONNACK: rc = d_connack(&r, m); break;
    case PCS_MQTT_PUBLISH: rc = d_publish(&r, m, flags); break;
    case PCS_MQTT_PUBACK:
    case PCS_MQTT_PUBREC:
    case PCS_MQTT_PUBREL:
    case PCS_MQTT_PUBCOMP: rc = d_ack(&r, m, type); break;
    case PCS_MQTT_SUBSCRIBE: rc = d_subscribe(&r, m); break;
    case PCS_MQTT_SUBACK:
    case PCS_MQTT_UNSUBACK: rc = d_suback(&r, m, type); break;
    case PCS_MQTT_UNSUBSCRIBE: rc = d_unsubscribe(&r, m); break;
    case PCS_MQTT_DISCONNECT:
    case PCS_MQTT_AUTH:
        if (r.ver == V5)
            rc = reason_tail(&r, m, type);
        break;
    default: break;  /* PINGREQ, PINGRESP: no variable header */
    }
    if (!rc && left(&r))
        rc = bad(&r, "", "%zu unexpected bytes after the last field", left(&r));
    if (rc) {
        pcs_value_free(m);
        k->type = 0;
        return rc;
    }

    k->type = (uint8_t)type;
    k->flags = (uint8_t)flags;
    k->layout = (uint8_t)r.ver;
    learn(c, dir, k);
    c->frames[dir]++;
    c->last_len[dir] = len;
    if (type == PCS_MQTT_CONNECT) {
        c->foreign_level = k->level < 3 || k->level > 5;
        c->connects++;
    }
    else if (type == PCS_MQTT_CONNACK)
        c->connacks++;
    else if (type == PCS_MQTT_DISCONNECT)
        c->disconnects[dir]++;
    else if (type == PCS_MQTT_SUBACK || type == PCS_MQTT_UNSUBACK)
        c->ack_expect[dir] = pcs_mqtt_pending_take(
            c, !dir, type == PCS_MQTT_SUBACK ? PCS_MQTT_SUBSCRIBE : PCS_MQTT_UNSUBSCRIBE,
            k->has_pid ? k->pid : 0);
    if (m) {
        m->frame_index = (uint16_t)type;   /* 1 + index in pcs_mqtt_frames (type order) */
        *out = m;
    }
    return 0;
}

/* ======================================================================== encoding */

struct wr {
    const char *pkt;
    int ver;
    struct pcs_diag *d;
};

static int inval(struct wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int inval(struct wr *w, const char *fmt, ...)
{
    char m[PCS_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return pcs_diag_set(w->d, PCS_ERR_INVALID, NULL, "%s: %s", w->pkt, m);
}

/* An int from an int, a bool, or (with en) an enum name; in 0..max. */
static int to_int(struct wr *w, const struct pcs_value *v, const char *what, int64_t max,
                  const struct pcs_enum *en, int64_t *out)
{
    int64_t x = 0;
    if (v->type == PCS_V_INT)
        x = v->u.i;
    else if (v->type == PCS_V_BOOL)
        x = v->u.b;
    else if (v->type == PCS_V_STR && en) {
        if (pcs_enum_value(en, v->u.s.p, &x))
            return inval(w, "%s: unknown name \"%s\"", what, v->u.s.p);
    } else
        return inval(w, "%s must be an integer%s, not %s", what, en ? " or a name" : "",
                     pcs_value_type_name(v->type));
    if (x < 0 || x > max)
        return inval(w, "%s = %lld is out of range 0..%lld", what, (long long)x, (long long)max);
    *out = x;
    return 0;
}

static int g_int(struct wr *w, const struct pcs_value *m, const char *key, int64_t dflt,
                 int64_t max, const struct pcs_enum *en, int64_t *out)
{
    const struct pcs_value *v = pcs_value_get(m, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    return to_int(w, v, key, max, en, out);
}

static int g_bool(struct wr *w, const struct pcs_value *m, const char *key, bool dflt, bool *out)
{
    const struct pcs_value *v = pcs_value_get(m, key);
    if (!v)
        *out = dflt;
    else if (v->type == PCS_V_BOOL)
        *out = v->u.b;
    else if (v->type == PCS_V_INT && (v->u.i == 0 || v->u.i == 1))
        *out = v->u.i;
    else
        return inval(w, "%s must be a bool", key);
    return 0;
}

/* A string or bytes value of at most 65535 bytes, written with its length prefix. */
static int put_lp(struct wr *w, struct pcs_buf *b, const struct pcs_value *v, const char *what)
{
    if (v->type != PCS_V_STR && v->type != PCS_V_BYTES)
        return inval(w, "%s must be a string or bytes, not %s", what,
                     pcs_value_type_name(v->type));
    if (v->u.s.len > 65535)
        return inval(w, "%s is %zu bytes, more than 65535", what, v->u.s.len);
    pcs_buf_put_u16(b, (uint16_t)v->u.s.len);
    pcs_buf_append(b, v->u.s.p, v->u.s.len);
    return 0;
}

static int g_lp(struct wr *w, struct pcs_buf *b, const struct pcs_value *m, const char *key,
                const char *dflt)
{
    const struct pcs_value *v = pcs_value_get(m, key);
    if (v)
        return put_lp(w, b, v, key);
    size_t n = strlen(dflt);
    pcs_buf_put_u16(b, (uint16_t)n);
    pcs_buf_append(b, dflt, n);
    return 0;
}

/* Every key of m must be a field of the schema in this version. */
static int known(struct wr *w, const struct pcs_value *m, const struct pcs_field_schema *fields,
                 const char *where, bool top)
{
    if (!m || m->type != PCS_V_MAP)
        return inval(w, "%s must be a map", where);
    for (size_t i = 0; i < m->u.c.n; i++) {
        const char *k = m->u.c.keys[i];
        bool ok = top && strcmp(k, "type") == 0;
        for (const struct pcs_field_schema *f = fields; !ok && f->name; f++)
            ok = strcmp(f->name, k) == 0 && (!f->versions || f->versions & PCS_VER(w->ver));
        if (!ok)
            return inval(w, "unknown field \"%s\" in %s for MQTT %s", k, where,
                         pcs_mqtt_protocol.versions[w->ver]);
    }
    return 0;
}

static int e_prop(struct wr *w, struct pcs_buf *b, const struct pcs_mqtt_prop *p,
                  const struct pcs_value *v)
{
    static const int64_t max[] = {
        [PCS_MQTT_W_BYTE] = 255, [PCS_MQTT_W_U16] = 65535, [PCS_MQTT_W_U32] = 4294967295LL,
        [PCS_MQTT_W_VBI] = PCS_MQTT_VBI_MAX,
    };
    int64_t x = 0;
    switch (p->wire) {
    case PCS_MQTT_W_BYTE:
    case PCS_MQTT_W_U16:
    case PCS_MQTT_W_U32:
        TRY(to_int(w, v, p->name, max[p->wire], NULL, &x));
        pcs_mqtt_vbi_put(b, p->id);
        if (p->wire == PCS_MQTT_W_BYTE)
            pcs_buf_putc(b, (uint8_t)x);
        else if (p->wire == PCS_MQTT_W_U16)
            pcs_buf_put_u16(b, (uint16_t)x);
        else
            pcs_buf_put_u32(b, (uint32_t)x);
        return 0;
    case PCS_MQTT_W_VBI:
        if (v->type == PCS_V_LIST) {
            for (size_t i = 0; i < v->u.c.n; i++)
                TRY(e_prop(w, b, p, v->u.c.items[i]));
            return 0;
        }
        TRY(to_int(w, v, p->name, max[p->wire], NULL, &x));
        pcs_mqtt_vbi_put(b, p->id);
        pcs_mqtt_vbi_put(b, (uint32_t)x);
        return 0;
    case PCS_MQTT_W_STR:
    case PCS_MQTT_W_BIN:
        pcs_mqtt_vbi_put(b, p->id);
        return put_lp(w, b, v, p->name);
    case PCS_MQTT_W_PAIR:
        if (v->type == PCS_V_LIST) {
            for (size_t i = 0; i < v->u.c.n; i++)
                TRY(e_prop(w, b, p, v->u.c.items[i]));
            return 0;
        }
        if (v->type != PCS_V_MAP)
            return inval(w, "user_property must be a list of {key, value} maps");
        const struct pcs_value *k = pcs_value_get(v, "key"), *x2 = pcs_value_get(v, "value");
        if (!k || !x2 || v->u.c.n != 2)
            return inval(w, "user_property items must be {key, value} maps");
        pcs_mqtt_vbi_put(b, p->id);
        TRY(put_lp(w, b, k, "user_property key"));
        return put_lp(w, b, x2, "user_property value");
    }
    return inval(w, "internal: property %s has no wire type", p->name);
}

/* Property block from map m (NULL = empty), written with its length. */
static int e_props(struct wr *w, struct pcs_buf *out, const struct pcs_value *m)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    int rc = 0;
    if (m && m->type != PCS_V_MAP)
        rc = inval(w, "properties must be a map");
    for (size_t i = 0; !rc && m && i < m->u.c.n; i++) {
        const struct pcs_mqtt_prop *p = pcs_mqtt_prop_by_name(m->u.c.keys[i]);
        rc = p ? e_prop(w, &b, p, m->u.c.items[i])
               : inval(w, "unknown property \"%s\"", m->u.c.keys[i]);
    }
    if (!rc && b.len > PCS_MQTT_VBI_MAX)
        rc = inval(w, "properties of %zu bytes do not fit a Variable Byte Integer", b.len);
    if (!rc) {
        pcs_mqtt_vbi_put(out, (uint32_t)b.len);
        pcs_buf_append(out, b.data, b.len);
    }
    pcs_buf_free(&b);
    return rc;
}

static int e_pid(struct wr *w, struct pcs_buf *b, const struct pcs_value *m)
{
    int64_t pid = 0;
    TRY(g_int(w, m, "packet_id", 1, 65535, NULL, &pid));
    pcs_buf_put_u16(b, (uint16_t)pid);
    return 0;
}

static const struct pcs_field_schema *fields_of(int type)
{
    return pcs_mqtt_frames[type - 1].fields;
}

static int e_connect(struct wr *w, struct pcs_buf *b, const struct pcs_value *m)
{
    int64_t level = 0, wqos = 0, ka = 0;
    bool clean = false, wflag = false, wret = false, uflag = false, pflag = false, resv = false;
    bool has_will = pcs_value_get(m, "will_topic") || pcs_value_get(m, "will_payload") ||
                    pcs_value_get(m, "will_properties");
    const struct pcs_value *user = pcs_value_get(m, "username"), *pass = pcs_value_get(m, "password");
    TRY(g_int(w, m, "protocol_level", w->ver == V5 ? 5 : 4, 255, NULL, &level));
    TRY(g_bool(w, m, w->ver == V5 ? "clean_start" : "clean_session", true, &clean));
    TRY(g_bool(w, m, "will_flag", has_will, &wflag));
    TRY(g_int(w, m, "will_qos", 0, 3, NULL, &wqos));
    TRY(g_bool(w, m, "will_retain", false, &wret));
    TRY(g_bool(w, m, "username_flag", user != NULL, &uflag));
    TRY(g_bool(w, m, "password_flag", pass != NULL, &pflag));
    TRY(g_bool(w, m, "reserved_flag", false, &resv));
    TRY(g_int(w, m, "keep_alive", 60, 65535, NULL, &ka));
    TRY(g_lp(w, b, m, "protocol_name", "MQTT"));
    pcs_buf_putc(b, (uint8_t)level);
    pcs_buf_putc(b, (uint8_t)(uflag << 7 | pflag << 6 | wret << 5 | wqos << 3 | wflag << 2 |
                              clean << 1 | resv));
    pcs_buf_put_u16(b, (uint16_t)ka);
    if (w->ver == V5)
        TRY(e_props(w, b, pcs_value_get(m, "properties")));
    TRY(g_lp(w, b, m, "client_id", ""));
    if (wflag || has_will) {
        if (w->ver == V5)
            TRY(e_props(w, b, pcs_value_get(m, "will_properties")));
        TRY(g_lp(w, b, m, "will_topic", ""));
        TRY(g_lp(w, b, m, "will_payload", ""));
    }
    if (user)
        TRY(put_lp(w, b, user, "username"));
    if (pass)
        TRY(put_lp(w, b, pass, "password"));
    return 0;
}

static int e_connack(struct wr *w, struct pcs_buf *b, const struct pcs_value *m)
{
    bool sp = false;
    int64_t resv = 0, code = 0;
    TRY(g_bool(w, m, "session_present", false, &sp));
    TRY(g_int(w, m, "ack_flags_reserved", 0, 127, NULL, &resv));
    TRY(g_int(w, m, w->ver == V5 ? "reason_code" : "return_code", 0, 255,
              pcs_mqtt_reasons(PCS_MQTT_CONNACK, w->ver), &code));
    pcs_buf_putc(b, (uint8_t)(resv << 1 | sp));
    pcs_buf_putc(b, (uint8_t)code);
    if (w->ver == V5)
        TRY(e_props(w, b, pcs_value_get(m, "properties")));
    return 0;
}

static int e_publish(struct wr *w, struct pcs_buf *b, const struct pcs_value *m, int64_t *fl)
{
    bool dup = false, ret = false;
    int64_t qos = 0;
    TRY(g_bool(w, m, "dup", false, &dup));
    TRY(g_bool(w, m, "retain", false, &ret));
    TRY(g_int(w, m, "qos", *fl >= 0 ? (*fl >> 1 & 3) : 0, 3, NULL, &qos));
    if (*fl < 0)
        *fl = dup << 3 | qos << 1 | ret;
    TRY(g_lp(w, b, m, "topic", ""));
    if (qos > 0 || pcs_value_get(m, "packet_id"))
        TRY(e_pid(w, b, m));
    if (w->ver == V5)
        TRY(e_props(w, b, pcs_value_get(m, "properties")));
    const struct pcs_value *pl = pcs_value_get(m, "payload");
    if (pl && pl->type != PCS_V_STR && pl->type != PCS_V_BYTES)
        return inval(w, "payload must be a string or bytes");
    if (pl)
        pcs_buf_append(b, pl->u.s.p, pl->u.s.len);
    return 0;
}

/* 5.0 [reason code [properties]], both left out when 0 and empty. */
static int e_reason_tail(struct wr *w, struct pcs_buf *b, const struct pcs_value *m, int type)
{
    int64_t code = 0;
    TRY(g_int(w, m, "reason_code", 0, 255, pcs_mqtt_reasons(type, V5), &code));
    const struct pcs_value *p = pcs_value_get(m, "properties");
    bool has_props = p && !(p->type == PCS_V_MAP && p->u.c.n == 0);
    if (code || has_props)
        pcs_buf_putc(b, (uint8_t)code);
    if (has_props)
        TRY(e_props(w, b, p));
    return 0;
}

static int e_list(struct wr *w, const struct pcs_value *m, const char *key,
                  const struct pcs_value **out)
{
    const struct pcs_value *l = pcs_value_get(m, key);
    if (l && l->type != PCS_V_LIST)
        return inval(w, "%s must be a list", key);
    *out = l;
    return 0;
}

static int e_subscribe(struct wr *w, struct pcs_buf *b, const struct pcs_value *m)
{
    const struct pcs_value *l = NULL;
    TRY(e_pid(w, b, m));
    if (w->ver == V5)
        TRY(e_props(w, b, pcs_value_get(m, "properties")));
    TRY(e_list(w, m, "subscriptions", &l));
    const struct pcs_field_schema *sub = pcs_schema_field(fields_of(PCS_MQTT_SUBSCRIBE),
                                                          "subscriptions")->sub;
    for (size_t i = 0; l && i < l->u.c.n; i++) {
        const struct pcs_value *s = l->u.c.items[i];
        int64_t qos = 0, rh = 0, resv = 0;
        bool nl = false, rap = false;
        TRY(known(w, s, sub, "a subscription", false));
        const struct pcs_value *f = pcs_value_get(s, "topic_filter");
        if (!f)
            return inval(w, "subscription %zu has no topic_filter", i);
        TRY(put_lp(w, b, f, "topic_filter"));
        TRY(g_int(w, s, "qos", 0, 3, NULL, &qos));
        TRY(g_bool(w, s, "no_local", false, &nl));
        TRY(g_bool(w, s, "retain_as_published", false, &rap));
        TRY(g_int(w, s, "retain_handling", 0, 3, NULL, &rh));
        TRY(g_int(w, s, "reserved", 0, w->ver == V5 ? 3 : 63, NULL, &resv));
        pcs_buf_putc(b, (uint8_t)(w->ver == V5
                                      ? resv << 6 | rh << 4 | rap << 3 | nl << 2 | qos
                                      : resv << 2 | qos));
    }
    return 0;
}

static int e_codes(struct wr *w, struct pcs_buf *b, const struct pcs_value *m, int type)
{
    const struct pcs_value *l = NULL;
    TRY(e_list(w, m, "reason_codes", &l));
    for (size_t i = 0; l && i < l->u.c.n; i++) {
        int64_t x = 0;
        TRY(to_int(w, l->u.c.items[i], "reason_codes item", 255,
                   pcs_mqtt_reasons(type, w->ver), &x));
        pcs_buf_putc(b, (uint8_t)x);
    }
    return 0;
}

static int e_unsubscribe(struct wr *w, struct pcs_buf *b, const struct pcs_value *m)
{
    const struct pcs_value *l = NULL;
    TRY(e_pid(w, b, m));
    if (w->ver == V5)
        TRY(e_props(w, b, pcs_value_get(m, "properties")));
    TRY(e_list(w, m, "topic_filters", &l));
    for (size_t i = 0; l && i < l->u.c.n; i++)
        TRY(put_lp(w, b, l->u.c.items[i], "topic_filters item"));
    return 0;
}

/* Layout version for an encoded frame: a CONNECT's protocol_level when it is 3, 4 or 5; a
 * 3.1.1-layout CONNACK after a CONNECT of an unknown level; else the connection's, else what
 * a CONNECT's fields imply (clean_start, properties → 5.0). */
static int enc_version(const struct pcs_mqtt_conn *c, int type, const struct pcs_value *m)
{
    const struct pcs_value *lv = pcs_value_get(m, "protocol_level");
    if (type == PCS_MQTT_CONNECT && lv && lv->type == PCS_V_INT && lv->u.i >= 3 && lv->u.i <= 5)
        return lv->u.i == 5 ? V5 : PCS_MQTT_V311;  /* as decode: known levels pick the layout */
    if (type == PCS_MQTT_CONNACK && c->foreign_level && pcs_value_get(m, "return_code"))
        return PCS_MQTT_V311;   /* as decode: the answer to a CONNECT of an unknown level */
    if (c->version >= 0)
        return c->version;
    if (type != PCS_MQTT_CONNECT)
        return PCS_MQTT_V311;
    return pcs_value_get(m, "clean_start") || pcs_value_get(m, "properties") ||
                   pcs_value_get(m, "will_properties")
               ? V5
               : PCS_MQTT_V311;
}

/* What learn() needs of a frame value about to be sent: what decoding its bytes would read. */
static void facts_of(const struct pcs_value *m, int type, int ver, struct pcs_mqtt_facts *k)
{
    memset(k, 0, sizeof *k);
    k->type = (uint8_t)type;
    k->level = (uint8_t)pcs_value_get_int(m, "protocol_level", ver == V5 ? 5 : 4);
    const struct pcs_value *pid = pcs_value_get(m, "packet_id");
    k->has_pid = pid && pid->type == PCS_V_INT;
    k->pid = k->has_pid ? (uint16_t)pid->u.i : 0;
    const struct pcs_value *l =
        pcs_value_get(m, type == PCS_MQTT_SUBSCRIBE ? "subscriptions" : "topic_filters");
    if (l && l->type == PCS_V_LIST)
        k->nitems = (uint16_t)(l->u.c.n > 65535 ? 65535 : l->u.c.n);
    const struct pcs_value *p = pcs_value_get(m, "properties");
    for (size_t i = 0; p && p->type == PCS_V_MAP && i < p->u.c.n; i++) {
        const struct pcs_mqtt_prop *d = pcs_mqtt_prop_by_name(p->u.c.keys[i]);
        const struct pcs_value *v = p->u.c.items[i];
        if (d && (v->type == PCS_V_INT || v->type == PCS_V_BOOL)) {
            k->props |= (uint64_t)1 << d->id;
            k->num[d->id] = (uint32_t)(v->type == PCS_V_INT ? v->u.i : v->u.b);
        }
    }
}

int pcs_mqtt_encode(void *st, enum pcs_dir dir, const struct pcs_value *frame,
                    struct pcs_buf *out, struct pcs_diag *d)
{
    struct pcs_mqtt_conn *c = st;
    struct wr w = {.pkt = "frame", .ver = PCS_MQTT_V311, .d = d};
    if (!frame || frame->type != PCS_V_MAP)
        return inval(&w, "a frame must be a map");
    const char *tn = pcs_value_get_str(frame, "type");
    int type = pcs_mqtt_type_by_name(tn);
    if (!type)
        return inval(&w, "unknown MQTT packet type \"%s\"", tn ? tn : "(none)");
    w.pkt = pcs_mqtt_ptypes[type].name;
    w.ver = enc_version(c, type, frame);
    if (type == PCS_MQTT_AUTH && w.ver != V5)
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "AUTH: not in MQTT 3.1.1");
    TRY(known(&w, frame, fields_of(type), "the frame", true));

    int64_t fl = -1;
    if (pcs_value_get(frame, "flags"))
        TRY(g_int(&w, frame, "flags", 0, 15, NULL, &fl));
    struct pcs_buf b;
    pcs_buf_init(&b);
    int rc = 0;
    switch (type) {
    case PCS_MQTT_CONNECT: rc = e_connect(&w, &b, frame); break;
    case PCS_MQTT_CONNACK: rc = e_connack(&w, &b, frame); break;
    case PCS_MQTT_PUBLISH: rc = e_publish(&w, &b, frame, &fl); break;
    case PCS_MQTT_PUBACK:
    case PCS_MQTT_PUBREC:
    case PCS_MQTT_PUBREL:
    case PCS_MQTT_PUBCOMP:
        rc = e_pid(&w, &b, frame);
        if (!rc && w.ver == V5)
            rc = e_reason_tail(&w, &b, frame, type);
        break;
    case PCS_MQTT_SUBSCRIBE: rc = e_subscribe(&w, &b, frame); break;
    case PCS_MQTT_SUBACK:
    case PCS_MQTT_UNSUBACK:
        rc = e_pid(&w, &b, frame);
        if (!rc && w.ver == V5)
            rc = e_props(&w, &b, pcs_value_get(frame, "properties"));
        if (!rc && (type == PCS_MQTT_SUBACK || w.ver == V5))
            rc = e_codes(&w, &b, frame, type);
        break;
    case PCS_MQTT_UNSUBSCRIBE: rc = e_unsubscribe(&w, &b, frame); break;
    case PCS_MQTT_DISCONNECT:
    case PCS_MQTT_AUTH:
        if (w.ver == V5)
            rc = e_reason_tail(&w, &b, frame, type);
        break;
    default: break;
    }
    if (!rc && b.len > PCS_MQTT_VBI_MAX)
        rc = inval(&w, "%zu bytes do not fit in a Remaining Length", b.len);
    if (!rc) {
        if (fl < 0)
            fl = pcs_mqtt_ptypes[type].flags;
        pcs_buf_putc(out, (uint8_t)(type << 4 | fl));
        pcs_mqtt_vbi_put(out, (uint32_t)b.len);
        pcs_buf_append(out, b.data, b.len);
        struct pcs_mqtt_facts k;
        facts_of(frame, type, w.ver, &k);
        learn(c, dir == PCS_DIR_S2C ? PCS_DIR_S2C : PCS_DIR_C2S, &k);
    }
    pcs_buf_free(&b);
    return rc;
}
