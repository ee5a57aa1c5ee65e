/* mqtt_codec_test.c — the MQTT codec through the vtable only: framing (need more / complete /
 * bad VBI), decoding of literal packets (the specs' own examples where they give them),
 * encode→decode round trips of every packet type in 3.1.1 and 5.0 (every 5.0 property),
 * malformed input citing its statement ID, and the Markdown schema doc.
 * Frame values are written in a tiny literal syntax parsed below: {k: v}, [a, b], 'str',
 * b'bytes', h'hex', 12, 0x1f, true, bareword. The always-on checks are mqtt_checks_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "mqtt/mqtt.h"
#include "protocol.h"
#include "schema_doc.h"

static const struct pcs_protocol *const P = &pcs_mqtt_protocol;

/* ---- tiny value literals ---- */

static const char *vp;

static void ws(void)
{
    while (*vp && isspace((unsigned char)*vp))
        vp++;
}

static struct pcs_value *pv(void);

static char *word(void)
{
    const char *s = vp;
    while (*vp && (isalnum((unsigned char)*vp) || strchr("_$/.+#-", *vp)))
        vp++;
    return strndup(s, (size_t)(vp - s));
}

static struct pcs_value *quoted(int kind)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    vp++;  /* opening quote */
    while (*vp && *vp != '\'')
        pcs_buf_putc(&b, (uint8_t)*vp++);
    assert_int_equal(*vp, '\'');
    vp++;
    struct pcs_value *v;
    if (kind == 'h') {
        struct pcs_buf h;
        pcs_buf_init(&h);
        pcs_buf_putc(&b, 0);
        th_hex(&h, (const char *)b.data);
        v = pcs_value_bytes(h.data, h.len);
        pcs_buf_free(&h);
    } else if (kind == 'b') {
        v = pcs_value_bytes(b.data, b.len);
    } else {
        v = pcs_value_strn((const char *)(b.data ? b.data : (uint8_t *)""), b.len);
    }
    pcs_buf_free(&b);
    return v;
}

static struct pcs_value *pv(void)
{
    ws();
    if (*vp == '{' || *vp == '[') {
        bool map = *vp++ == '{';
        struct pcs_value *c = map ? pcs_value_map() : pcs_value_list();
        for (ws(); *vp != (map ? '}' : ']'); ws()) {
            assert_true(*vp != 0);
            if (map) {
                char *k = word();
                ws();
                assert_int_equal(*vp, ':');
                vp++;
                pcs_value_set(c, k, pv());
                free(k);
            } else {
                pcs_value_push(c, pv());
            }
            ws();
            if (*vp == ',')
                vp++;
        }
        vp++;
        return c;
    }
    if (*vp == '\'')
        return quoted('s');
    if ((*vp == 'b' || *vp == 'h') && vp[1] == '\'') {
        int k = *vp++;
        return quoted(k);
    }
    if (isdigit((unsigned char)*vp) || *vp == '-') {
        char *end;
        long long x = strtoll(vp, &end, 0);
        vp = end;
        return pcs_value_int(x);
    }
    char *w = word();
    assert_true(w[0] != 0);
    struct pcs_value *v = strcmp(w, "true") == 0    ? pcs_value_bool(true)
                          : strcmp(w, "false") == 0 ? pcs_value_bool(false)
                                                    : pcs_value_str(w);
    free(w);
    return v;
}

static struct pcs_value *V(const char *text)
{
    vp = text;
    struct pcs_value *v = pv();
    ws();
    assert_int_equal(*vp, 0);
    return v;
}

/* ---- connection and codec helpers ---- */

static void *conn(const char *version)
{
    void *st = calloc(1, P->conn_state_size);
    assert_non_null(st);
    assert_int_equal(P->conn_init(st, version), 0);
    return st;
}

static void drop(void *st)
{
    P->conn_fini(st);
    free(st);
}

static struct pcs_value *dec(void *st, enum pcs_dir dir, const char *hex)
{
    struct pcs_buf b;
    struct pcs_diag d = {0};
    struct pcs_value *v = NULL;
    pcs_buf_init(&b);
    th_hex(&b, hex);
    int rc = P->decode(st, dir, b.data, b.len, &v, &d);
    if (rc)
        print_error("decode %s: %s [%s]\n", hex, d.msg, d.rule);
    assert_int_equal(rc, 0);
    assert_non_null(v);
    assert_int_equal(v->frame_index, b.data[0] >> 4);   /* the mark: 1 + index in the schema */
    pcs_buf_free(&b);
    return v;
}

static void expect_field(const struct pcs_value *v, const char *path, const char *literal)
{
    struct pcs_value *want = V(literal);
    const struct pcs_value *got = pcs_value_path(v, path);
    if (!pcs_value_equal(want, got)) {
        struct pcs_buf t;
        pcs_buf_init(&t);
        if (got)
            pcs_value_to_text(got, &t, 200);
        print_error("%s: want %s, got %s\n", path, literal, got ? pcs_buf_cstr(&t) : "(absent)");
        pcs_buf_free(&t);
        fail();
    }
    pcs_value_free(want);
}

/* Every key of v is a field of the schema in this version (nested tables too). */
static void schema_has(const struct pcs_field_schema *fields, const struct pcs_value *v, int ver,
                       bool top)
{
    assert_int_equal(v->type, PCS_V_MAP);
    for (size_t i = 0; i < v->u.c.n; i++) {
        const char *k = v->u.c.keys[i];
        if (top && strcmp(k, "type") == 0)
            continue;
        const struct pcs_field_schema *f = NULL;
        for (const struct pcs_field_schema *x = fields; x->name; x++)
            if (strcmp(x->name, k) == 0 && (!x->versions || x->versions & PCS_VER(ver)))
                f = x;
        if (!f)
            print_error("field %s not in the schema for version %d\n", k, ver);
        assert_non_null(f);
        const struct pcs_value *x = v->u.c.items[i];
        if (f->sub && x->type == PCS_V_MAP)
            schema_has(f->sub, x, ver, false);
        if (f->sub && x->type == PCS_V_LIST)
            for (size_t j = 0; j < x->u.c.n; j++)
                if (x->u.c.items[j]->type == PCS_V_MAP)
                    schema_has(f->sub, x->u.c.items[j], ver, false);
    }
}

/* encode(v) → decode → every field of v comes back, the result fits the schema, and encoding
 * the decoded value gives the same bytes. Returns the bytes' length. */
static size_t roundtrip(const char *version, enum pcs_dir dir, const char *literal)
{
    void *a = conn(version), *b = conn(version);
    struct pcs_value *v = V(literal), *out = NULL;
    struct pcs_buf x, y;
    struct pcs_diag d = {0};
    pcs_buf_init(&x);
    pcs_buf_init(&y);
    int rc = P->encode(a, dir, v, &x, &d);
    if (rc)
        print_error("encode %s: %s\n", literal, d.msg);
    assert_int_equal(rc, 0);
    rc = P->decode(b, dir, x.data, x.len, &out, &d);
    if (rc)
        print_error("decode of %s: %s [%s]\n", literal, d.msg, d.rule);
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < v->u.c.n; i++) {
        if (!pcs_value_equal(v->u.c.items[i], pcs_value_get(out, v->u.c.keys[i]))) {
            struct pcs_buf t;
            pcs_buf_init(&t);
            pcs_value_to_text(out, &t, 0);
            print_error("%s: field %s differs after the round trip: %s\n", literal,
                        v->u.c.keys[i], pcs_buf_cstr(&t));
            pcs_buf_free(&t);
            fail();
        }
    }
    const struct pcs_frame_schema *fs = pcs_protocol_frame(P, pcs_value_get_str(out, "type"));
    assert_non_null(fs);
    schema_has(fs->fields, out, pcs_protocol_version_index(P, version), true);
    assert_int_equal(P->encode(b, dir, out, &y, &d), 0);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    size_t n = x.len;
    pcs_value_free(v);
    pcs_value_free(out);
    pcs_buf_free(&x);
    pcs_buf_free(&y);
    drop(a);
    drop(b);
    return n;
}

/* Encodes literal and compares with hex. */
static void encodes_to(const char *version, const char *literal, const char *hex)
{
    void *st = conn(version);
    struct pcs_value *v = V(literal);
    struct pcs_buf x, want;
    struct pcs_diag d = {0};
    pcs_buf_init(&x);
    pcs_buf_init(&want);
    th_hex(&want, hex);
    int rc = P->encode(st, PCS_DIR_C2S, v, &x, &d);
    if (rc)
        print_error("encode %s: %s\n", literal, d.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(x.len, want.len);
    assert_memory_equal(x.data, want.data, x.len);
    pcs_value_free(v);
    pcs_buf_free(&x);
    pcs_buf_free(&want);
    drop(st);
}

static void encode_fails(const char *version, const char *literal, int code, const char *msg)
{
    void *st = conn(version);
    struct pcs_value *v = V(literal);
    struct pcs_buf x;
    struct pcs_diag d = {0};
    pcs_buf_init(&x);
    assert_int_equal(P->encode(st, PCS_DIR_C2S, v, &x, &d), code);
    if (!strstr(d.msg, msg))
        print_error("message \"%s\" lacks \"%s\"\n", d.msg, msg);
    assert_non_null(strstr(d.msg, msg));
    pcs_value_free(v);
    pcs_buf_free(&x);
    drop(st);
}

/* ---- framing ---- */

static ssize_t flen(void *st, const char *hex, struct pcs_diag *d)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    th_hex(&b, hex);
    ssize_t n = P->frame_length(st, b.data ? b.data : (const uint8_t *)"", b.len, d);
    pcs_buf_free(&b);
    return n;
}

static void test_frame_length(void **state)
{
    (void)state;
    void *st = conn(NULL);
    struct pcs_diag d = {0};
    assert_int_equal(flen(st, "", &d), 0);
    assert_int_equal(flen(st, "c0", &d), 0);
    assert_int_equal(flen(st, "c0 00", &d), 2);
    assert_int_equal(flen(st, "c0 00 d0 00", &d), 2);          /* the next frame waits */
    assert_int_equal(flen(st, "30 05 00 01 61", &d), 7);       /* 2 of 5 body bytes short */
    assert_int_equal(flen(st, "30 05 00 01 61 62 63", &d), 7);
    assert_int_equal(flen(st, "30 80", &d), 0);                /* VBI continues */
    assert_int_equal(flen(st, "30 80 01", &d), 131);           /* 128 bytes announced */
    assert_int_equal(flen(st, "30 ff ff ff", &d), 0);
    assert_int_equal(flen(st, "30 ff ff ff ff 01", &d), PCS_ERR_MALFORMED);  /* VBI of 5 bytes */
    assert_string_equal(d.rule, "");
    assert_non_null(strstr(d.msg, "longer than 4 bytes"));
    /* 268,435,455 bytes announced: over the default 16 MiB limit */
    assert_int_equal(flen(st, "30 ff ff ff 7f", &d), PCS_ERR_MALFORMED);
    assert_non_null(strstr(d.msg, "exceeds the limit"));
    ((struct pcs_mqtt_conn *)st)->max_frame = SIZE_MAX;
    assert_int_equal(flen(st, "30 ff ff ff 7f 00", &d), 268435460);   /* allocates nothing */
    drop(st);
}

/* ---- decoding literal packets ---- */

static void test_decode_connect_311_example(void **state)
{
    (void)state;
    void *st = conn(NULL);
    /* the 3.1.1 spec's variable header example: "MQTT" level 4, flags 0xCE (user name,
     * password, Will QoS 1, Will flag, clean session), keep alive 10 */
    struct pcs_value *v = dec(st, PCS_DIR_C2S,
                              "10 19  00 04 4d 51 54 54  04  ce  00 0a"
                              "  00 01 63  00 01 77  00 01 6d  00 01 75  00 01 70");
    expect_field(v, "type", "CONNECT");
    expect_field(v, "protocol_name", "'MQTT'");
    expect_field(v, "protocol_level", "4");
    expect_field(v, "clean_session", "true");
    expect_field(v, "will_flag", "true");
    expect_field(v, "will_qos", "1");
    expect_field(v, "will_retain", "false");
    expect_field(v, "username_flag", "true");
    expect_field(v, "password_flag", "true");
    expect_field(v, "keep_alive", "10");
    expect_field(v, "client_id", "'c'");
    expect_field(v, "will_topic", "'w'");
    expect_field(v, "will_payload", "b'm'");
    expect_field(v, "username", "'u'");
    expect_field(v, "password", "b'p'");
    assert_null(pcs_value_get(v, "properties"));
    assert_int_equal(P->conn_version(st), 0);  /* learnt from level 4 */
    pcs_value_free(v);
    drop(st);
}

static void test_decode_connect_5_example(void **state)
{
    (void)state;
    void *st = conn(NULL);
    /* the 5.0 spec's example: level 5, flags 0xC2, keep alive 10, Session Expiry 10 */
    struct pcs_value *v = dec(st, PCS_DIR_C2S,
                              "10 19  00 04 4d 51 54 54  05  c2  00 0a  05 11 00 00 00 0a"
                              "  00 01 63  00 01 75  00 01 70");
    expect_field(v, "protocol_level", "5");
    expect_field(v, "clean_start", "true");
    expect_field(v, "properties", "{session_expiry_interval: 10}");
    expect_field(v, "client_id", "'c'");
    expect_field(v, "username", "'u'");
    assert_null(pcs_value_get(v, "clean_session"));
    assert_int_equal(P->conn_version(st), 1);
    pcs_value_free(v);
    /* the connection now decodes 5.0 layouts */
    v = dec(st, PCS_DIR_S2C, "20 03 00 00 00");
    expect_field(v, "reason_code", "0");
    expect_field(v, "properties", "{}");
    pcs_value_free(v);
    drop(st);
}

static void test_decode_misc_311(void **state)
{
    (void)state;
    void *st = conn("3.1.1");
    struct pcs_value *v = dec(st, PCS_DIR_S2C, "20 02 01 00");
    expect_field(v, "session_present", "true");
    expect_field(v, "return_code", "0");
    expect_field(v, "ack_flags_reserved", "0");
    pcs_value_free(v);
    /* the 3.1.1 spec's PUBLISH example: topic "a/b", packet identifier 10 */
    v = dec(st, PCS_DIR_C2S, "32 07 00 03 61 2f 62 00 0a");
    expect_field(v, "qos", "1");
    expect_field(v, "topic", "'a/b'");
    expect_field(v, "packet_id", "10");
    expect_field(v, "payload", "b''");
    expect_field(v, "flags", "2");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_C2S, "82 0c 00 02 00 03 61 2f 62 01 00 01 63 02");
    expect_field(v, "subscriptions",
                 "[{topic_filter: 'a/b', qos: 1, reserved: 0}, {topic_filter: c, qos: 2, reserved: 0}]");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_S2C, "90 04 00 02 01 80");
    expect_field(v, "reason_codes", "[1, 0x80]");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_S2C, "b0 02 00 07");
    expect_field(v, "packet_id", "7");
    assert_null(pcs_value_get(v, "reason_codes"));
    pcs_value_free(v);
    v = dec(st, PCS_DIR_C2S, "c0 00");
    expect_field(v, "type", "PINGREQ");
    assert_int_equal(v->u.c.n, 2);  /* type, flags */
    pcs_value_free(v);
    v = dec(st, PCS_DIR_C2S, "e0 00");
    expect_field(v, "type", "DISCONNECT");
    pcs_value_free(v);
    drop(st);
}

static void test_decode_5_short_forms(void **state)
{
    (void)state;
    void *st = conn("5.0");
    struct pcs_value *v = dec(st, PCS_DIR_S2C, "40 02 00 01");  /* reason and props left out */
    expect_field(v, "reason_code", "0");
    expect_field(v, "properties", "{}");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_S2C, "50 03 00 01 10");                 /* reason only */
    expect_field(v, "reason_code", "0x10");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_C2S, "e0 00");
    expect_field(v, "reason_code", "0");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_S2C, "e0 01 8e");
    expect_field(v, "reason_code", "0x8e");
    pcs_value_free(v);
    v = dec(st, PCS_DIR_S2C, "f0 00");
    expect_field(v, "type", "AUTH");
    pcs_value_free(v);
    /* subscription identifier repeats in PUBLISH and is always a list; user properties keep
     * their wire order; a 3-byte non-minimal VBI is not used here */
    v = dec(st, PCS_DIR_S2C,
            "30 1a 00 01 74  15  0b 01  0b ff ff ff 7f  26 00 01 61 00 01 31  26 00 01 61 00 01 32"
            "  78");
    expect_field(v, "properties.subscription_identifier", "[1, 268435455]");
    expect_field(v, "properties.user_property",
                 "[{key: a, value: '1'}, {key: a, value: '2'}]");
    expect_field(v, "payload", "b'x'");
    pcs_value_free(v);
    /* UTF-8 that is well formed passes: U+00E9, U+20AC, U+1F600, BOM kept as is */
    v = dec(st, PCS_DIR_C2S, "30 10 00 0c c3 a9 e2 82 ac f0 9f 98 80 ef bb bf 00 00");
    assert_int_equal(pcs_value_get(v, "topic")->u.s.len, 12);
    pcs_value_free(v);
    /* control characters are SHOULD NOT: decoding accepts them */
    v = dec(st, PCS_DIR_C2S, "30 06 00 02 01 7f 00 00");
    pcs_value_free(v);
    drop(st);
}

/* ---- malformed input ---- */

struct bad_case {
    const char *version;
    enum pcs_dir dir;
    const char *hex;
    const char *rule;
    const char *msg;   /* substring of the message */
};

static const struct bad_case bad_cases[] = {
    /* fixed header */
    {"3.1.1", PCS_DIR_C2S, "c0", "", "shorter than a fixed header"},
    {"3.1.1", PCS_DIR_C2S, "00 00", "", "reserved control packet type 0"},
    {"3.1.1", PCS_DIR_C2S, "f0 00", "", "reserved control packet type 15"},
    {"3.1.1", PCS_DIR_C2S, "c0 80 80 80 80 00", "", "longer than 4 bytes"},
    {"5.0", PCS_DIR_C2S, "c0 80 00", "MQTT-1.5.5-1", "not minimally encoded"},
    {"3.1.1", PCS_DIR_C2S, "c0 01", "", "Remaining Length is 1 but 0 bytes"},
    {"3.1.1", PCS_DIR_C2S, "c0 00 00", "", "Remaining Length is 0 but 1 bytes"},
    {"3.1.1", PCS_DIR_C2S, "c0 01 00", "", "unexpected bytes"},
    {"3.1.1", PCS_DIR_C2S, "c1 00", "MQTT-2.2.2-2", "PINGREQ: reserved flags are 0x1"},
    {"5.0", PCS_DIR_C2S, "c1 00", "MQTT-2.1.3-1", "reserved flags"},
    {"3.1.1", PCS_DIR_C2S, "60 02 00 01", "MQTT-3.6.1-1", "PUBREL: reserved flags are 0x0"},
    {"3.1.1", PCS_DIR_C2S, "80 06 00 01 00 01 61 00", "MQTT-3.8.1-1", "SUBSCRIBE"},
    {"3.1.1", PCS_DIR_C2S, "a0 05 00 01 00 01 61", "MQTT-3.10.1-1", "UNSUBSCRIBE"},
    {"3.1.1", PCS_DIR_C2S, "e2 00", "MQTT-3.14.1-1", "DISCONNECT"},
    {"5.0", PCS_DIR_C2S, "f1 00", "MQTT-3.15.1-1", "AUTH"},
    {"3.1.1", PCS_DIR_C2S, "36 05 00 01 61 00 01", "MQTT-3.3.1-4", "PUBLISH: QoS 3 in fixed header"},
    /* strings */
    {"3.1.1", PCS_DIR_C2S, "30 04 00 02 c0 80", "MQTT-1.5.3-1", "topic name is not well-formed"},
    {"5.0", PCS_DIR_C2S, "30 05 00 02 c0 80 00", "MQTT-1.5.4-1", "not well-formed UTF-8"},
    {"5.0", PCS_DIR_C2S, "30 06 00 03 ed a0 80 00", "MQTT-1.5.4-1", "UTF-8"},       /* surrogate */
    {"3.1.1", PCS_DIR_C2S, "30 05 00 03 e0 80 af", "MQTT-1.5.3-1", "UTF-8"},       /* overlong */
    {"3.1.1", PCS_DIR_C2S, "30 03 00 01 ff", "MQTT-1.5.3-1", "UTF-8"},             /* invalid byte */
    {"3.1.1", PCS_DIR_C2S, "30 04 00 02 e2 82", "MQTT-1.5.3-1", "UTF-8"},          /* truncated seq */
    {"3.1.1", PCS_DIR_C2S, "30 06 00 04 f4 90 80 80", "MQTT-1.5.3-1", "UTF-8"},    /* > U+10FFFF */
    {"3.1.1", PCS_DIR_C2S, "30 04 00 02 61 00", "MQTT-4.7.3-2", "contains U+0000"},
    {"3.1.1", PCS_DIR_C2S, "30 03 00 05 61", "MQTT-3.3.2-1", "overruns the packet"},
    {"3.1.1", PCS_DIR_C2S, "30 01 00", "MQTT-3.3.2-1", "topic name is truncated"},
    {"3.1.1", PCS_DIR_C2S, "32 04 00 01 61 00", "MQTT-2.3.1-1", "packet identifier is truncated"},
    {"5.0", PCS_DIR_C2S, "30 03 00 01 61", "MQTT-2.2.2-1", "properties length is missing"},
    /* CONNECT */
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 58 04 02 00 3c 00 00", "MQTT-3.1.2-1",
     "protocol name \"MQTX\""},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 03 00 3c 00 00", "MQTT-3.1.2-3",
     "reserved connect flag"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 1e 00 3c 00 00", "MQTT-3.1.2-14", "Will QoS 3"},
    {NULL, PCS_DIR_C2S, "10 0d 00 04 4d 51 54 54 05 1e 00 3c 00 00 00", "MQTT-3.1.2-12",
     "Will QoS 3"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 0a 00 3c 00 00", "MQTT-3.1.2-13",
     "Will QoS 1 with Will Flag 0"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 22 00 3c 00 00", "MQTT-3.1.2-15",
     "Will Retain"},
    {NULL, PCS_DIR_C2S, "10 0d 00 04 4d 51 54 54 05 22 00 3c 00 00 00", "MQTT-3.1.2-13",
     "Will Retain"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 42 00 3c 00 00", "MQTT-3.1.2-22",
     "Password Flag"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 82 00 3c 00 00", "MQTT-3.1.2-19",
     "user name is missing"},
    {NULL, PCS_DIR_C2S, "10 0d 00 04 4d 51 54 54 05 82 00 3c 00 00 00", "MQTT-3.1.2-17",
     "user name is missing"},
    {NULL, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 04 06 00 3c 00 00", "MQTT-3.1.2-9",
     "will topic is missing"},
    {NULL, PCS_DIR_C2S, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 00 00 00", "MQTT-3.1.2-18",
     "bytes after the last payload field"},
    {NULL, PCS_DIR_C2S, "10 0a 00 04 4d 51 54 54 04 02 00 3c", "MQTT-3.1.3-3",
     "client identifier is missing"},
    {NULL, PCS_DIR_C2S, "10 07 00 04 4d 51 54 54 04", "MQTT-3.1.4-1", "connect flags is missing"},
    /* properties (5.0) */
    {"5.0", PCS_DIR_S2C, "20 04 00 00 05 11", "", "properties length 5 overruns"},
    {"5.0", PCS_DIR_S2C, "20 05 00 00 02 7f 00", "", "unknown property identifier 0x7f"},
    {"5.0", PCS_DIR_S2C, "20 05 00 00 02 23 00", "", "property topic_alias is not allowed in CONNACK"},
    {"5.0", PCS_DIR_S2C, "20 07 00 00 04 24 01 24 01", "", "maximum_qos appears more than once"},
    {"5.0", PCS_DIR_C2S, "82 0b 00 01 04 0b 01 0b 02 00 01 61 00", "",
     "subscription_identifier appears more than once"},
    {"5.0", PCS_DIR_S2C, "20 05 00 00 02 13 00", "", "server_keep_alive is truncated"},
    {"5.0", PCS_DIR_C2S, "30 08 00 01 74 04 0b 80 80 00", "MQTT-1.5.5-1", "not minimally encoded"},
    {"5.0", PCS_DIR_S2C, "20 04 00 00 81 00", "MQTT-1.5.5-1", "properties length is not minimally"},
    {"5.0", PCS_DIR_S2C, "20 09 00 00 06 26 00 01 ff 00 00", "MQTT-1.5.7-1", "user_property key"},
    {"5.0", PCS_DIR_S2C, "20 08 00 00 05 1f 00 02 61 00", "MQTT-1.5.4-2", "reason_string contains U+0000"},
    {"5.0", PCS_DIR_S2C, "20 02 00 00", "MQTT-2.2.2-1", "properties length is missing"},
    /* SUBSCRIBE / UNSUBSCRIBE */
    {"3.1.1", PCS_DIR_C2S, "82 02 00 01", "MQTT-3.8.3-3", "no topic filter"},
    {"5.0", PCS_DIR_C2S, "82 03 00 01 00", "MQTT-3.8.3-2", "no topic filter"},
    {"3.1.1", PCS_DIR_C2S, "82 05 00 01 00 01 61", "MQTT-3.8.3-3", "subscription options is missing"},
    {"3.1.1", PCS_DIR_C2S, "82 06 00 01 00 01 61 04", "MQTT-3-8.3-4", "reserved bits"},
    {"3.1.1", PCS_DIR_C2S, "82 06 00 01 00 01 61 03", "MQTT-3-8.3-4", "QoS 3"},
    {"5.0", PCS_DIR_C2S, "82 07 00 01 00 00 01 61 40", "MQTT-3.8.3-5", "reserved subscription option"},
    {"5.0", PCS_DIR_C2S, "82 07 00 01 00 00 01 61 03", "", "Maximum QoS 3"},
    {"5.0", PCS_DIR_C2S, "82 07 00 01 00 00 01 61 30", "", "Retain Handling 3"},
    {"3.1.1", PCS_DIR_C2S, "82 06 00 01 00 01 00 00", "MQTT-4.7.3-2", "topic filter contains U+0000"},
    {"3.1.1", PCS_DIR_C2S, "82 05 00 01 00 03 61", "MQTT-3.8.3-1", "overruns"},
    {"3.1.1", PCS_DIR_C2S, "a2 02 00 01", "MQTT-3.10.3-2", "no topic filter"},
    {"3.1.1", PCS_DIR_C2S, "a2 03 00 01 00", "MQTT-3.10.3-1", "topic filter is truncated"},
    /* acknowledgements */
    {"3.1.1", PCS_DIR_S2C, "40 01 00", "", "packet identifier is truncated"},
    {"3.1.1", PCS_DIR_S2C, "40 03 00 01 00", "", "unexpected bytes"},
    {"3.1.1", PCS_DIR_S2C, "20 01 00", "", "return code is missing"},
    {"3.1.1", PCS_DIR_S2C, "e0 01 00", "", "unexpected bytes"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        void *st = conn(c->version);
        struct pcs_buf b;
        struct pcs_diag d = {0};
        struct pcs_value *v = (struct pcs_value *)1;
        pcs_buf_init(&b);
        th_hex(&b, c->hex);
        int rc = P->decode(st, c->dir, b.data, b.len, &v, &d);
        if (rc != PCS_ERR_MALFORMED || strcmp(d.rule, c->rule) != 0 || !strstr(d.msg, c->msg))
            print_error("case %zu (%s): rc %d rule \"%s\" msg \"%s\"; want \"%s\" \"%s\"\n", i,
                        c->hex, rc, d.rule, d.msg, c->rule, c->msg);
        assert_int_equal(rc, PCS_ERR_MALFORMED);
        assert_null(v);
        assert_string_equal(d.rule, c->rule);
        assert_non_null(strstr(d.msg, c->msg));
        assert_true(d.offset <= b.len);
        pcs_buf_free(&b);
        drop(st);
    }
}

/* ---- round trips ---- */

static void test_roundtrip_311(void **state)
{
    (void)state;
    const char *v = "3.1.1";
    roundtrip(v, PCS_DIR_C2S,
              "{type: CONNECT, flags: 0, protocol_name: 'MQTT', protocol_level: 4, "
              "clean_session: true, will_flag: true, will_qos: 2, will_retain: true, "
              "username_flag: true, password_flag: true, reserved_flag: false, keep_alive: 30, "
              "client_id: 'c1', will_topic: 'w/t', will_payload: b'bye', username: 'u', "
              "password: h'00 ff'}");
    roundtrip(v, PCS_DIR_C2S, "{type: CONNECT, clean_session: false, client_id: ''}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: CONNACK, flags: 0, session_present: true, ack_flags_reserved: 0, "
              "return_code: 5}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: PUBLISH, flags: 0xb, dup: true, qos: 1, retain: true, topic: 'a/b', "
              "packet_id: 65535, payload: b'hello'}");
    roundtrip(v, PCS_DIR_S2C, "{type: PUBLISH, qos: 0, topic: 't', payload: b''}");
    roundtrip(v, PCS_DIR_S2C, "{type: PUBLISH, qos: 2, topic: 't', packet_id: 9, payload: b'x'}");
    roundtrip(v, PCS_DIR_S2C, "{type: PUBACK, flags: 0, packet_id: 1}");
    roundtrip(v, PCS_DIR_S2C, "{type: PUBREC, packet_id: 2}");
    roundtrip(v, PCS_DIR_C2S, "{type: PUBREL, flags: 2, packet_id: 3}");
    roundtrip(v, PCS_DIR_S2C, "{type: PUBCOMP, packet_id: 4}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: SUBSCRIBE, flags: 2, packet_id: 5, subscriptions: ["
              "{topic_filter: 'a/+', qos: 0, reserved: 0}, {topic_filter: '#', qos: 2, reserved: 0}]}");
    roundtrip(v, PCS_DIR_S2C, "{type: SUBACK, packet_id: 5, reason_codes: [0, 1, 2, 0x80]}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: UNSUBSCRIBE, flags: 2, packet_id: 6, topic_filters: ['a/+', 'b']}");
    roundtrip(v, PCS_DIR_S2C, "{type: UNSUBACK, packet_id: 6}");
    assert_int_equal(roundtrip(v, PCS_DIR_C2S, "{type: PINGREQ, flags: 0}"), 2);
    assert_int_equal(roundtrip(v, PCS_DIR_S2C, "{type: PINGRESP}"), 2);
    assert_int_equal(roundtrip(v, PCS_DIR_C2S, "{type: DISCONNECT}"), 2);
}

static void test_roundtrip_5(void **state)
{
    (void)state;
    const char *v = "5.0";
    roundtrip(v, PCS_DIR_C2S,
              "{type: CONNECT, flags: 0, protocol_name: 'MQTT', protocol_level: 5, "
              "clean_start: true, will_flag: true, will_qos: 1, will_retain: false, "
              "username_flag: true, password_flag: true, reserved_flag: false, keep_alive: 0, "
              "properties: {session_expiry_interval: 4294967295, receive_maximum: 10, "
              "maximum_packet_size: 1024, topic_alias_maximum: 5, request_response_information: 1, "
              "request_problem_information: 0, user_property: [{key: k, value: v}], "
              "authentication_method: 'SCRAM-SHA-1', authentication_data: h'01 02'}, "
              "client_id: 'c5', will_properties: {will_delay_interval: 5, "
              "payload_format_indicator: 1, message_expiry_interval: 60, content_type: 'text/plain', "
              "response_topic: 'r/t', correlation_data: b'id', user_property: [{key: a, value: b}]}, "
              "will_topic: 'w', will_payload: b'gone', username: 'u', password: b'p'}");
    roundtrip(v, PCS_DIR_C2S, "{type: CONNECT, client_id: 'x', properties: {}}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: CONNACK, flags: 0, session_present: false, ack_flags_reserved: 0, "
              "reason_code: 0x9c, properties: {session_expiry_interval: 0, "
              "assigned_client_identifier: 'auto-1', server_keep_alive: 20, "
              "authentication_method: 'm', authentication_data: b'd', response_information: 'ri', "
              "server_reference: 'other:1883', reason_string: 'moved', receive_maximum: 65535, "
              "topic_alias_maximum: 0, maximum_qos: 1, retain_available: 0, "
              "user_property: [{key: x, value: y}, {key: x, value: z}], "
              "maximum_packet_size: 268435460, wildcard_subscription_available: 0, "
              "subscription_identifier_available: 1, shared_subscription_available: 0}}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: PUBLISH, flags: 4, dup: false, qos: 2, retain: false, topic: '', packet_id: 77, "
              "properties: {payload_format_indicator: 0, message_expiry_interval: 3600, "
              "topic_alias: 3, response_topic: 'resp', correlation_data: h'', "
              "user_property: [{key: '', value: ''}], subscription_identifier: [1, 16384, 268435455], "
              "content_type: 'json'}, payload: b'{}'}");
    roundtrip(v, PCS_DIR_C2S, "{type: PUBLISH, topic: 't', properties: {}, payload: b''}");
    /* acknowledgements: short form (reason 0, no properties), reason only, long form */
    assert_int_equal(roundtrip(v, PCS_DIR_S2C,
                               "{type: PUBACK, packet_id: 1, reason_code: 0, properties: {}}"), 4);
    assert_int_equal(roundtrip(v, PCS_DIR_S2C,
                               "{type: PUBACK, packet_id: 1, reason_code: 0x10, properties: {}}"), 5);
    roundtrip(v, PCS_DIR_S2C,
              "{type: PUBREC, packet_id: 2, reason_code: 0x80, properties: {reason_string: 'no', "
              "user_property: [{key: a, value: b}]}}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: PUBREL, flags: 2, packet_id: 3, reason_code: 0x92, properties: {}}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: PUBCOMP, packet_id: 4, reason_code: 0, properties: {reason_string: 'ok'}}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: SUBSCRIBE, flags: 2, packet_id: 5, properties: {subscription_identifier: [7], "
              "user_property: [{key: a, value: b}]}, subscriptions: ["
              "{topic_filter: 'a/#', qos: 1, no_local: true, retain_as_published: true, "
              "retain_handling: 2, reserved: 0}, {topic_filter: '$share/g/x', qos: 0, "
              "no_local: false, retain_as_published: false, retain_handling: 0, reserved: 0}]}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: SUBACK, packet_id: 5, properties: {reason_string: 'partial'}, "
              "reason_codes: [1, 0x9e, 0xa2]}");
    roundtrip(v, PCS_DIR_C2S,
              "{type: UNSUBSCRIBE, packet_id: 6, properties: {user_property: [{key: a, value: b}]}, "
              "topic_filters: ['a/#']}");
    roundtrip(v, PCS_DIR_S2C,
              "{type: UNSUBACK, packet_id: 6, properties: {}, reason_codes: [0, 0x11]}");
    roundtrip(v, PCS_DIR_C2S, "{type: PINGREQ}");
    roundtrip(v, PCS_DIR_S2C, "{type: PINGRESP}");
    assert_int_equal(roundtrip(v, PCS_DIR_C2S,
                               "{type: DISCONNECT, reason_code: 0, properties: {}}"), 2);
    roundtrip(v, PCS_DIR_C2S,
              "{type: DISCONNECT, reason_code: 4, properties: {session_expiry_interval: 0, "
              "reason_string: 'bye', user_property: [{key: a, value: b}], server_reference: 's'}}");
    roundtrip(v, PCS_DIR_S2C, "{type: DISCONNECT, reason_code: 0x8b, properties: {}}");
    assert_int_equal(roundtrip(v, PCS_DIR_S2C, "{type: AUTH, reason_code: 0, properties: {}}"), 2);
    roundtrip(v, PCS_DIR_C2S,
              "{type: AUTH, reason_code: 0x19, properties: {authentication_method: 'm', "
              "authentication_data: b'more', reason_string: 'r', user_property: [{key: a, value: b}]}}");
}

/* Every property of the table, in the first packet that allows it, survives a round trip. */
static void test_roundtrip_every_property(void **state)
{
    (void)state;
    static const char *const sample[] = {
        [PCS_MQTT_W_BYTE] = "1", [PCS_MQTT_W_U16] = "513", [PCS_MQTT_W_U32] = "70000",
        [PCS_MQTT_W_VBI] = "[300]", [PCS_MQTT_W_STR] = "'s'", [PCS_MQTT_W_BIN] = "h'00'",
        [PCS_MQTT_W_PAIR] = "[{key: k, value: v}]",
    };
    size_t n = 0;
    for (const struct pcs_mqtt_prop *p = pcs_mqtt_props; p->name; p++, n++) {
        char lit[512];
        int t = 1;
        while (t < 16 && !(p->packets & PCS_MQTT_PK(t)))
            t++;
        if (t == 16)  /* Will Properties only */
            snprintf(lit, sizeof lit,
                     "{type: CONNECT, will_topic: w, will_properties: {%s: %s}}", p->name,
                     sample[p->wire]);
        else if (t == PCS_MQTT_SUBSCRIBE)
            snprintf(lit, sizeof lit,
                     "{type: SUBSCRIBE, properties: {%s: %s}, subscriptions: [{topic_filter: a}]}",
                     p->name, sample[p->wire]);
        else
            snprintf(lit, sizeof lit, "{type: %s, properties: {%s: %s}}", pcs_mqtt_ptypes[t].name,
                     p->name, sample[p->wire]);
        roundtrip("5.0", PCS_DIR_C2S, lit);
    }
    assert_int_equal(n, 27);
}

/* ---- encoding details ---- */

static void test_encode(void **state)
{
    (void)state;
    encodes_to("3.1.1", "{type: PUBLISH, qos: 3, topic: a, packet_id: 1}", "36 05 00 01 61 00 01");
    encodes_to("3.1.1", "{type: PUBLISH, flags: 0xf, qos: 0, topic: a}", "3f 03 00 01 61");
    encodes_to("3.1.1", "{type: PUBLISH, qos: 0, topic: a, packet_id: 0}", "30 05 00 01 61 00 00");
    encodes_to("3.1.1", "{type: PUBREL, flags: 0, packet_id: 1}", "60 02 00 01");
    encodes_to("3.1.1", "{type: PINGREQ, flags: 1}", "c1 00");
    encodes_to("3.1.1", "{type: CONNACK, return_code: not_authorized}", "20 02 00 05");
    encodes_to("5.0", "{type: CONNACK, reason_code: banned, session_present: true}",
               "20 03 01 8a 00");
    encodes_to("5.0", "{type: PUBACK, packet_id: 1, reason_code: no_matching_subscribers}",
               "40 03 00 01 10");
    encodes_to("5.0", "{type: SUBACK, packet_id: 1, reason_codes: [granted_qos_1, 0x80]}",
               "90 05 00 01 00 01 80");
    encodes_to("3.1.1", "{type: SUBACK, packet_id: 1, reason_codes: [failure]}", "90 03 00 01 80");
    encodes_to("5.0", "{type: DISCONNECT, reason_code: disconnect_with_will_message}", "e0 01 04");
    encodes_to("5.0", "{type: PUBLISH, topic: t, properties: {subscription_identifier: 2}}",
               "30 06 00 01 74 02 0b 02");
    encodes_to("5.0", "{type: PUBLISH, topic: 'x', payload: 'text'}", "30 08 00 01 78 00 74 65 78 74");
    /* CONNECT: derived flags; sending a reserved flag and a bad level on purpose */
    encodes_to("3.1.1", "{type: CONNECT, client_id: a, username: u}",
               "10 10 00 04 4d 51 54 54 04 82 00 3c 00 01 61 00 01 75");
    encodes_to("3.1.1", "{type: CONNECT, protocol_level: 9, reserved_flag: true, keep_alive: 0, "
                        "clean_session: false}",
               "10 0c 00 04 4d 51 54 54 09 01 00 00 00 00");
    encodes_to("3.1.1", "{type: SUBSCRIBE, packet_id: 2, subscriptions: [{topic_filter: a, qos: 3, reserved: 1}]}",
               "82 06 00 02 00 01 61 07");
    encodes_to("3.1.1", "{type: SUBSCRIBE, packet_id: 2, subscriptions: []}", "82 02 00 02");

    encode_fails("3.1.1", "{type: PUBLISH, topic: a, properties: {}}", PCS_ERR_INVALID,
                 "unknown field \"properties\"");
    encode_fails("5.0", "{type: PUBLISH, topic: a, properties: {nope: 1}}", PCS_ERR_INVALID,
                 "unknown property \"nope\"");
    encode_fails("5.0", "{type: PUBACK, reason_code: nope}", PCS_ERR_INVALID, "unknown name");
    encode_fails("5.0", "{type: PUBACK, packet_id: 65536}", PCS_ERR_INVALID, "out of range");
    encode_fails("5.0", "{type: PUBLISH, topic: 5}", PCS_ERR_INVALID, "must be a string");
    encode_fails("5.0", "{type: PUBLISH, topic: a, properties: {topic_alias: 70000}}",
                 PCS_ERR_INVALID, "out of range");
    encode_fails("5.0", "{type: SUBSCRIBE, subscriptions: [{qos: 1}]}", PCS_ERR_INVALID,
                 "no topic_filter");
    encode_fails("5.0", "{type: NOPE}", PCS_ERR_INVALID, "unknown MQTT packet type");
    encode_fails("3.1.1", "{type: AUTH}", PCS_ERR_UNSUPPORTED, "AUTH");
    encode_fails("3.1.1", "{type: PUBLISH, flags: 16}", PCS_ERR_INVALID, "out of range");
}

static void test_version_learning(void **state)
{
    (void)state;
    void *st = conn(NULL);
    assert_int_equal(P->conn_version(st), -1);
    /* unknown: frames decode as 3.1.1 */
    struct pcs_value *v = dec(st, PCS_DIR_S2C, "20 02 00 00");
    expect_field(v, "return_code", "0");
    pcs_value_free(v);
    /* an encoded CONNECT with clean_start teaches 5.0 */
    struct pcs_buf b;
    struct pcs_diag d = {0};
    pcs_buf_init(&b);
    v = V("{type: CONNECT, clean_start: true, client_id: a}");
    assert_int_equal(P->encode(st, PCS_DIR_C2S, v, &b, &d), 0);
    assert_int_equal(P->conn_version(st), 1);
    assert_int_equal(b.data[8], 5);  /* protocol level */
    pcs_value_free(v);
    pcs_buf_free(&b);
    drop(st);
    /* "MQIsdp" level 3 decodes with the 3.1.1 layout */
    st = conn(NULL);
    v = dec(st, PCS_DIR_C2S, "10 10 00 06 4d 51 49 73 64 70 03 02 00 3c 00 02 63 31");
    expect_field(v, "protocol_level", "3");
    assert_int_equal(P->conn_version(st), 0);
    pcs_value_free(v);
    drop(st);
    /* an unsupported level decodes (the server must answer it) and teaches nothing */
    st = conn(NULL);
    v = dec(st, PCS_DIR_C2S, "10 0c 00 04 4d 51 54 54 06 02 00 3c 00 00");
    expect_field(v, "protocol_level", "6");
    assert_int_equal(P->conn_version(st), -1);
    pcs_value_free(v);
    drop(st);
    /* a 5.0 connection sends an unknown level with the 5.0 layout, and reads it back so */
    st = conn("5.0");
    v = V("{type: CONNECT, protocol_level: 6, clean_start: true, properties: {}, client_id: a}");
    pcs_buf_init(&b);
    assert_int_equal(P->encode(st, PCS_DIR_C2S, v, &b, &d), 0);
    pcs_value_free(v);
    v = dec(st, PCS_DIR_C2S, "10 0e 00 04 4d 51 54 54 06 02 00 3c 00 00 01 61");
    expect_field(v, "clean_start", "true");
    expect_field(v, "properties", "{}");
    assert_memory_equal(b.data, "\x10\x0e\x00\x04MQTT\x06\x02\x00\x3c\x00\x00\x01" "a", 16);
    pcs_value_free(v);
    pcs_buf_free(&b);
    drop(st);
    st = calloc(1, P->conn_state_size);
    assert_int_equal(P->conn_init(st, "4.0"), PCS_ERR_INVALID);
    free(st);
}

/* ---- schema ---- */

static void test_schema(void **state)
{
    (void)state;
    assert_string_equal(P->name, "mqtt");
    assert_int_equal(P->default_port, 1883);
    assert_int_equal(pcs_protocol_version_index(P, "5.0"), 1);
    for (int t = 1; t < 16; t++) {
        assert_string_equal(pcs_mqtt_frames[t - 1].name, pcs_mqtt_ptypes[t].name);
        const struct pcs_field_schema *f = pcs_mqtt_frames[t - 1].fields;
        assert_string_equal(f[0].name, "flags");
        for (; f->name; f++)
            assert_non_null(f->doc);
    }
    assert_null(pcs_mqtt_frames[15].name);
    /* each property's doc names every packet that allows it */
    const struct pcs_field_schema *props =
        pcs_schema_field(pcs_protocol_frame(P, "PUBLISH")->fields, "properties")->sub;
    for (const struct pcs_mqtt_prop *p = pcs_mqtt_props; p->name; p++) {
        const struct pcs_field_schema *f = pcs_schema_field(props, p->name);
        assert_non_null(f);
        for (int t = 1; t < 16; t++)
            if (p->packets & PCS_MQTT_PK(t) && !strstr(f->doc, pcs_mqtt_ptypes[t].name)) {
                print_error("%s doc lacks %s\n", p->name, pcs_mqtt_ptypes[t].name);
                fail();
            }
        if (p->packets & PCS_MQTT_PK_WILL)
            assert_non_null(strstr(f->doc, "Will"));
    }
    /* checks cite catalogue IDs */
    for (const struct pcs_check *c = P->checks; c->rule; c++) {
        assert_true(strncmp(c->rule, "MQTT-", 5) == 0);
        assert_non_null(c->fn);
        assert_true(c->dirs != 0);
        assert_true(c->types < PCS_FRAME_BIT(15));   /* only the 15 packet types */
    }
    /* frames built by hand have no mark: their type is looked up by name */
    for (int t = 1; t < 16; t++) {
        struct pcs_value *v = pcs_value_map();
        pcs_value_set(v, "type", pcs_value_str(pcs_mqtt_ptypes[t].name));
        assert_int_equal(pcs_protocol_frame_index(P, v), t - 1);
        pcs_value_free(v);
    }
}

static void test_schema_markdown(void **state)
{
    (void)state;
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_schema_markdown(P, &b);
    const char *md = pcs_buf_cstr(&b);
    assert_non_null(strstr(md, "# mqtt frames"));
    assert_non_null(strstr(md, "## CONNACK"));
    assert_non_null(strstr(md, "## AUTH"));
    assert_non_null(strstr(md, "`reason_code`"));
    assert_non_null(strstr(md, "`bad_user_name_or_password`=0x86"));
    assert_non_null(strstr(md, "### properties fields"));
    assert_non_null(strstr(md, "`user_property`"));
    assert_non_null(strstr(md, "### user_property fields"));
    assert_non_null(strstr(md, "### subscriptions fields"));
    /* the property table is rendered once */
    const char *first = strstr(md, "`shared_subscription_available`");
    assert_non_null(first);
    assert_null(strstr(first + 1, "`shared_subscription_available`"));
    pcs_buf_free(&b);
}

/* The string check reads ASCII eight bytes at a time: it must agree with a byte-by-byte
 * reading of RFC 3629 on strings where every kind of byte lands at every offset. */
static int utf8_reference(const uint8_t *p, size_t n)
{
    int nul = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            nul |= c == 0;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            k = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07, min = 0x10000;
        else
            return 1;
        if (n - i <= k)
            return 1;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 1;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 1;
        i += k + 1;
    }
    return nul ? 2 : 0;
}

static void test_utf8_words(void **state)
{
    (void)state;
    static const uint8_t pieces[][4] = {
        {'a'}, {'/'}, {0}, {0x7f}, {0xc3, 0xa9}, {0xe2, 0x82, 0xac}, {0xf0, 0x9f, 0x98, 0x80},
        {0x80}, {0xc0, 0x80}, {0xed, 0xa0, 0x80}, {0xff}, {0xe2, 0x82},
    };
    static const size_t lens[] = {1, 1, 1, 1, 2, 3, 4, 1, 2, 3, 1, 2};
    uint32_t seed = 1;
    size_t bad = 0, nul = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t s[64];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        size_t ascii = seed >> 16 & 15;   /* an ASCII run, then mostly ASCII pieces */
        while (n < ascii)
            s[n] = (uint8_t)('a' + n % 26), n++;
        while (n < 40) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            size_t k = r % 8 ? 0 : 1 + r / 8 % 11;   /* 1 in 8 pieces is not 'a' */
            memcpy(s + n, pieces[k], lens[k]);
            n += lens[k];
            if (r % 5 == 0)
                break;
        }
        int want = utf8_reference(s, n);
        assert_int_equal(pcs_mqtt_utf8_check(s, n), want);
        bad += want == 1;
        nul += want == 2;
    }
    assert_true(bad > 1000 && nul > 100);   /* both failures were exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_length),
        cmocka_unit_test(test_utf8_words),
        cmocka_unit_test(test_decode_connect_311_example),
        cmocka_unit_test(test_decode_connect_5_example),
        cmocka_unit_test(test_decode_misc_311),
        cmocka_unit_test(test_decode_5_short_forms),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_roundtrip_311),
        cmocka_unit_test(test_roundtrip_5),
        cmocka_unit_test(test_roundtrip_every_property),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_version_learning),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_schema_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
