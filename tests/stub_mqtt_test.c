/* stub_mqtt_test.c — the built-in MQTT broker (stubs/mqtt/) driven over real sockets: the stub
 * serves in a thread on 127.0.0.1:0, clients are plain blocking sockets with SO_RCVTIMEO
 * deadlines, frames go through pcs_mqtt_protocol's vtable. No sleeps: "nothing arrives" is
 * proved with a PINGREQ/PINGRESP barrier (the broker handles packets in order) or a deadline.
 * Covers both versions' handshakes, QoS flows, sessions, retained, wills, keep alive, 5.0
 * features, and that a handful of faults change behaviour. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "helpers.h"
#include "protocol.h"
#include "stub.h"
#include "value.h"

/* ---- the stub under test ---- */

static struct pcs_stub_thread *g_stub;
static uint16_t g_port;

static void start(const char *fault)
{
    const struct pcs_stub_kind *k = pcs_stub_find("mqtt");
    assert_non_null(k);
    struct pcs_stub_config cfg = {.host = "127.0.0.1", .port = 0, .fault = fault,
                                  .verbose = getenv("PCS_STUB_VERBOSE") != NULL};
    struct pcs_diag d;
    pcs_diag_clear(&d);
    int rc = pcs_stub_thread_start(k, &cfg, &g_stub, &d);
    if (rc)
        fail_msg("stub start: %s", d.msg);
    g_port = pcs_stub_thread_port(g_stub);
    assert_true(g_port > 0);
}

static int teardown(void **state)
{
    (void)state;
    pcs_stub_thread_stop(g_stub);
    g_stub = NULL;
    return 0;
}

/* ---- values ---- */

static struct pcs_value *I(int64_t i) { return pcs_value_int(i); }
static struct pcs_value *S(const char *s) { return pcs_value_str(s); }
static struct pcs_value *B(bool b) { return pcs_value_bool(b); }
static struct pcs_value *BY(const char *s) { return pcs_value_bytes(s, strlen(s)); }

static struct pcs_value *vmap(struct pcs_value *m, va_list ap)
{
    const char *k;
    while ((k = va_arg(ap, const char *)))
        pcs_value_set(m, k, va_arg(ap, struct pcs_value *));
    return m;
}

/* M("key", value, ..., NULL): a map. */
static struct pcs_value *M(const char *k, ...)
{
    struct pcs_value *m = pcs_value_map();
    if (!k)
        return m;
    va_list ap;
    va_start(ap, k);
    pcs_value_set(m, k, va_arg(ap, struct pcs_value *));
    vmap(m, ap);
    va_end(ap);
    return m;
}

/* F("TYPE", "key", value, ..., NULL): a frame. */
static struct pcs_value *F(const char *type, ...)
{
    struct pcs_value *m = pcs_value_map();
    pcs_value_set(m, "type", S(type));
    va_list ap;
    va_start(ap, type);
    vmap(m, ap);
    va_end(ap);
    return m;
}

/* L(v, ..., NULL): a list. */
static struct pcs_value *L(struct pcs_value *first, ...)
{
    struct pcs_value *l = pcs_value_list();
    va_list ap;
    va_start(ap, first);
    for (struct pcs_value *v = first; v; v = va_arg(ap, struct pcs_value *))
        pcs_value_push(l, v);
    va_end(ap);
    return l;
}

static int64_t gi(const struct pcs_value *f, const char *path)
{
    struct pcs_value *v = pcs_value_path(f, path);
    if (!v)
        fail_msg("no %s", path);
    if (v->type == PCS_V_BOOL)
        return v->u.b;
    assert_int_equal(v->type, PCS_V_INT);
    return v->u.i;
}

static const char *gs(const struct pcs_value *f, const char *path)
{
    struct pcs_value *v = pcs_value_path(f, path);
    if (!v)
        fail_msg("no %s", path);
    assert_true(v->type == PCS_V_STR || v->type == PCS_V_BYTES);
    return v->u.s.p;
}

/* ---- a client ---- */

static const struct pcs_protocol *P;

struct cl {
    int fd;
    void *st;                    /* codec state */
    struct pcs_buf rb;           /* bytes received, not yet framed */
    struct pcs_buf raw;          /* bytes of the last frame */
    struct pcs_value *last;      /* the last decoded frame (owned; freed by the next recv) */
    bool bad;                    /* the last frame did not decode */
    bool closed;
    uint16_t next_id;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cl_open(struct cl *c, const char *ver)
{
    memset(c, 0, sizeof *c);
    P = pcs_protocol_find("mqtt");
    assert_non_null(P);
    c->st = calloc(1, P->conn_state_size);
    assert_int_equal(P->conn_init(c->st, ver), 0);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->next_id = 1;
}

static void cl_close(struct cl *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    P->conn_fini(c->st);
    free(c->st);
    pcs_buf_free(&c->rb);
    pcs_buf_free(&c->raw);
    pcs_value_free(c->last);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void send_all(struct cl *c, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t k = send(c->fd, q, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        q += k;
        n -= (size_t)k;
    }
}

/* Encodes each frame (consumed) and sends them all in one write. */
static void cl_send_many(struct cl *c, struct pcs_value **fs, size_t n)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        struct pcs_diag d;
        pcs_diag_clear(&d);
        if (P->encode(c->st, PCS_DIR_C2S, fs[i], &b, &d) < 0)
            fail_msg("encode: %s", d.msg);
        pcs_value_free(fs[i]);
    }
    send_all(c, b.data, b.len);
    pcs_buf_free(&b);
}

static void cl_send(struct cl *c, struct pcs_value *f) { cl_send_many(c, &f, 1); }

static void cl_send_hex(struct cl *c, const char *hex)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    th_hex(&b, hex);
    send_all(c, b.data, b.len);
    pcs_buf_free(&b);
}

/* Next frame within ms: 1 (c->last, or c->bad with c->raw), 0 timeout, -1 closed. */
static int cl_next(struct cl *c, int ms)
{
    pcs_value_free(c->last);
    c->last = NULL;
    c->bad = false;
    int64_t deadline = now_ms() + ms;
    for (;;) {
        struct pcs_diag d;
        pcs_diag_clear(&d);
        ssize_t n = c->rb.len ? P->frame_length(c->st, c->rb.data, c->rb.len, &d) : 0;
        assert_true(n >= 0);
        if (n > 0 && (size_t)n <= c->rb.len) {
            c->raw.len = 0;
            pcs_buf_append(&c->raw, c->rb.data, (size_t)n);
            pcs_buf_consume(&c->rb, (size_t)n);
            if (P->decode(c->st, PCS_DIR_S2C, c->raw.data, c->raw.len, &c->last, &d) < 0)
                c->bad = true;
            return 1;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        uint8_t tmp[4096];
        ssize_t k = recv(c->fd, tmp, sizeof tmp, 0);
        if (k > 0) {
            pcs_buf_append(&c->rb, tmp, (size_t)k);
        } else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            c->closed = true;
            return -1;
        }
    }
}

static const char *type_of(const struct pcs_value *f)
{
    const char *t = f ? pcs_value_get_str(f, "type") : NULL;
    return t ? t : "?";
}

/* The next frame must be of this type; returns it (owned by c). */
static struct pcs_value *cl_expect(struct cl *c, const char *type, int ms)
{
    int r = cl_next(c, ms);
    if (r <= 0)
        fail_msg("expected %s, got %s", type, r == 0 ? "nothing (timeout)" : "close");
    if (c->bad)
        fail_msg("expected %s, got an undecodable frame (first byte 0x%02x)", type, c->raw.data[0]);
    if (strcmp(type_of(c->last), type) != 0) {
        struct pcs_buf t;
        pcs_buf_init(&t);
        pcs_value_to_text(c->last, &t, 300);
        fail_msg("expected %s, got %s", type, pcs_buf_cstr(&t));
    }
    return c->last;
}

/* The connection must close within ms; a 5.0 DISCONNECT before is returned as its reason. */
static int cl_expect_closed(struct cl *c, int ms)
{
    int reason = -1;
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int left = (int)(deadline - now_ms());
        int r = cl_next(c, left > 0 ? left : 0);
        if (r < 0)
            return reason;
        if (r == 0)
            fail_msg("connection still open after %d ms", ms);
        if (!c->bad && strcmp(type_of(c->last), "DISCONNECT") == 0)
            reason = (int)pcs_value_get_int(c->last, "reason_code", 0);
        else
            fail_msg("expected close, got %s", c->bad ? "bad frame" : type_of(c->last));
    }
}

/* Barrier: PINGREQ, then frames until PINGRESP. Returns how many PUBLISHes came first. */
static int cl_ping(struct cl *c)
{
    cl_send(c, F("PINGREQ", NULL));
    int pubs = 0;
    for (;;) {
        struct pcs_value *f;
        int r = cl_next(c, 2000);
        if (r <= 0)
            fail_msg("no PINGRESP");
        f = c->last;
        if (strcmp(type_of(f), "PINGRESP") == 0)
            return pubs;
        if (strcmp(type_of(f), "PUBLISH") == 0)
            pubs++;
    }
}

/* Opens a connection and completes CONNECT/CONNACK; extra: more CONNECT fields (consumed). */
static struct pcs_value *cl_connect(struct cl *c, const char *ver, const char *cid, bool clean,
                                    struct pcs_value *extra)
{
    cl_open(c, ver);
    bool v5 = strcmp(ver, "5.0") == 0;
    struct pcs_value *f = F("CONNECT", "client_id", S(cid), v5 ? "clean_start" : "clean_session",
                            B(clean), "keep_alive", I(60), NULL);
    if (v5)
        pcs_value_set(f, "properties", M(NULL));
    for (size_t i = 0; extra && i < extra->u.c.n; i++) {
        if (strcmp(extra->u.c.keys[i], "properties") == 0) {
            struct pcs_value *p = pcs_value_get(f, "properties");
            const struct pcs_value *ep = extra->u.c.items[i];
            for (size_t j = 0; j < ep->u.c.n; j++)
                pcs_value_set(p, ep->u.c.keys[j], pcs_value_clone(ep->u.c.items[j]));
        } else {
            pcs_value_set(f, extra->u.c.keys[i], pcs_value_clone(extra->u.c.items[i]));
        }
    }
    pcs_value_free(extra);
    cl_send(c, f);
    return cl_expect(c, "CONNACK", 2000);
}

static void cl_connect_ok(struct cl *c, const char *ver, const char *cid, bool clean,
                          struct pcs_value *extra)
{
    struct pcs_value *ack = cl_connect(c, ver, cid, clean, extra);
    assert_int_equal(gi(ack, strcmp(ver, "5.0") == 0 ? "reason_code" : "return_code"), 0);
}

/* SUBSCRIBE to one filter at qos (opts: more subscription options, consumed), SUBACK codes. */
static struct pcs_value *cl_sub(struct cl *c, const char *filter, int qos, struct pcs_value *opts,
                                struct pcs_value *props)
{
    struct pcs_value *s = M("topic_filter", S(filter), "qos", I(qos), NULL);
    for (size_t i = 0; opts && i < opts->u.c.n; i++)
        pcs_value_set(s, opts->u.c.keys[i], pcs_value_clone(opts->u.c.items[i]));
    pcs_value_free(opts);
    uint16_t id = c->next_id++;
    struct pcs_value *f = F("SUBSCRIBE", "packet_id", I(id), "subscriptions", L(s, NULL), NULL);
    if (props)
        pcs_value_set(f, "properties", props);
    cl_send(c, f);
    struct pcs_value *ack = cl_expect(c, "SUBACK", 2000);
    assert_int_equal(gi(ack, "packet_id"), id);
    return ack;
}

static void cl_pub(struct cl *c, const char *topic, const char *payload, int qos, bool retain,
                   struct pcs_value *props)
{
    struct pcs_value *f = F("PUBLISH", "topic", S(topic), "qos", I(qos), "retain", B(retain),
                            "payload", BY(payload), NULL);
    uint16_t id = 0;
    if (qos > 0) {
        id = c->next_id++;
        pcs_value_set(f, "packet_id", I(id));
    }
    if (props)
        pcs_value_set(f, "properties", props);
    cl_send(c, f);
    if (qos == 1)
        assert_int_equal(gi(cl_expect(c, "PUBACK", 2000), "packet_id"), id);
    if (qos == 2) {
        assert_int_equal(gi(cl_expect(c, "PUBREC", 2000), "packet_id"), id);
        cl_send(c, F("PUBREL", "packet_id", I(id), NULL));
        assert_int_equal(gi(cl_expect(c, "PUBCOMP", 2000), "packet_id"), id);
    }
}

/* Expects a PUBLISH of topic/payload; returns it (owned by c). */
static struct pcs_value *cl_msg(struct cl *c, const char *topic, const char *payload)
{
    struct pcs_value *p = cl_expect(c, "PUBLISH", 2000);
    assert_string_equal(gs(p, "topic"), topic);
    assert_string_equal(gs(p, "payload"), payload);
    return p;
}

static void cl_ack(struct cl *c, const struct pcs_value *pub)
{
    int64_t qos = gi(pub, "qos"), id = qos ? gi(pub, "packet_id") : 0;
    if (qos == 1)
        cl_send(c, F("PUBACK", "packet_id", I(id), NULL));
    if (qos == 2) {
        cl_send(c, F("PUBREC", "packet_id", I(id), NULL));
        assert_int_equal(gi(cl_expect(c, "PUBREL", 2000), "packet_id"), id);
        cl_send(c, F("PUBCOMP", "packet_id", I(id), NULL));
    }
}

static void cl_disconnect(struct cl *c)
{
    cl_send(c, F("DISCONNECT", NULL));
    cl_close(c);
}

/* ---- handshake ---- */

static void test_connect_v311(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    struct pcs_value *ack = cl_connect(&c, "3.1.1", "c311", true, NULL);
    assert_int_equal(gi(ack, "return_code"), 0);
    assert_int_equal(gi(ack, "session_present"), 0);
    assert_int_equal(cl_ping(&c), 0);
    cl_disconnect(&c);
}

static void test_connect_v5(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    struct pcs_value *ack = cl_connect(&c, "5.0", "", true, NULL);
    assert_int_equal(gi(ack, "reason_code"), 0);
    assert_int_equal(gi(ack, "session_present"), 0);
    assert_int_equal(gi(ack, "properties.topic_alias_maximum"), 10);
    assert_int_equal(gi(ack, "properties.retain_available"), 1);
    assert_null(pcs_value_path(ack, "properties.maximum_qos"));
    assert_true(strlen(gs(ack, "properties.assigned_client_identifier")) > 0);
    cl_disconnect(&c);
}

static void test_connect_refusals(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    /* protocol level 3 → CONNACK 0x01, close (MQTT-3.1.2-2) */
    struct pcs_value *ack = cl_connect(&c, "3.1.1", "lvl", true, M("protocol_level", I(3), NULL));
    assert_int_equal(gi(ack, "return_code"), 1);
    cl_expect_closed(&c, 2000);
    cl_close(&c);
    /* empty client id with clean_session 0 → CONNACK 0x02 (MQTT-3.1.3-8) */
    ack = cl_connect(&c, "3.1.1", "", false, NULL);
    assert_int_equal(gi(ack, "return_code"), 2);
    cl_expect_closed(&c, 2000);
    cl_close(&c);
    /* unknown authentication method → CONNACK 0x8C */
    ack = cl_connect(&c, "5.0", "auth", true,
                     M("properties", M("authentication_method", S("x-none"), NULL), NULL));
    assert_int_equal(gi(ack, "reason_code"), 0x8C);
    assert_int_equal(gi(ack, "session_present"), 0);
    cl_expect_closed(&c, 2000);
    cl_close(&c);
    /* first packet not CONNECT → close (MQTT-3.1.0-1) */
    cl_open(&c, "3.1.1");
    cl_send(&c, F("PINGREQ", NULL));
    cl_expect_closed(&c, 2000);
    cl_close(&c);
    /* protocol name "MQTX" → close without CONNACK */
    cl_open(&c, "3.1.1");
    cl_send_hex(&c, "10 0c 00 04 4d 51 54 58 04 02 00 3c 00 00");
    cl_expect_closed(&c, 2000);
    cl_close(&c);
    /* reserved flag → close (3.1.1) */
    cl_open(&c, "3.1.1");
    cl_send_hex(&c, "10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 61");
    cl_expect_closed(&c, 2000);
    cl_close(&c);
}

static void test_second_connect_and_malformed(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "twice", true, NULL);
    cl_send(&c, F("CONNECT", "client_id", S("twice"), "clean_start", B(true),
                  "properties", M(NULL), NULL));
    assert_int_equal(cl_expect_closed(&c, 2000), 0x82);
    cl_close(&c);
    cl_connect_ok(&c, "5.0", "bad", true, NULL);
    cl_send_hex(&c, "82 02 00 01");     /* SUBSCRIBE without properties or payload */
    assert_int_equal(cl_expect_closed(&c, 2000), 0x81);
    cl_close(&c);
    cl_connect_ok(&c, "3.1.1", "bad311", true, NULL);
    cl_send_hex(&c, "80 06 00 01 00 01 61 00");   /* SUBSCRIBE with flags 0 */
    cl_expect_closed(&c, 2000);
    cl_close(&c);
}

/* ---- QoS flows ---- */

static void test_qos1_v311(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, pub;
    cl_connect_ok(&sub, "3.1.1", "sub", true, NULL);
    assert_int_equal(gi(cl_sub(&sub, "q/1", 1, NULL, NULL), "reason_codes.0"), 1);
    cl_connect_ok(&pub, "3.1.1", "pub", true, NULL);
    cl_pub(&pub, "q/1", "one", 1, false, NULL);
    struct pcs_value *p = cl_msg(&sub, "q/1", "one");
    assert_int_equal(gi(p, "qos"), 1);
    assert_int_equal(gi(p, "packet_id"), 1);
    assert_int_equal(gi(p, "dup"), 0);
    cl_ack(&sub, p);
    cl_pub(&pub, "q/1", "two", 2, false, NULL);     /* downgraded to granted 1 */
    p = cl_msg(&sub, "q/1", "two");
    assert_int_equal(gi(p, "qos"), 1);
    assert_int_equal(gi(p, "packet_id"), 2);
    cl_ack(&sub, p);
    cl_disconnect(&pub);
    cl_disconnect(&sub);
}

static void test_qos2_v5(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, pub;
    cl_connect_ok(&sub, "5.0", "sub5", true, NULL);
    assert_int_equal(gi(cl_sub(&sub, "q/2", 2, NULL, NULL), "reason_codes.0"), 2);
    cl_connect_ok(&pub, "5.0", "pub5", true, NULL);
    /* a re-sent QoS 2 PUBLISH before PUBREL is not delivered twice (MQTT-4.3.3-10) */
    struct pcs_value *f = F("PUBLISH", "topic", S("q/2"), "qos", I(2), "packet_id", I(9),
                            "payload", BY("x"), NULL);
    struct pcs_value *again = pcs_value_clone(f);
    pcs_value_set(again, "dup", B(true));
    cl_send(&pub, f);
    assert_int_equal(gi(cl_expect(&pub, "PUBREC", 2000), "packet_id"), 9);
    cl_send(&pub, again);
    assert_int_equal(gi(cl_expect(&pub, "PUBREC", 2000), "packet_id"), 9);
    cl_send(&pub, F("PUBREL", "packet_id", I(9), NULL));
    assert_int_equal(gi(cl_expect(&pub, "PUBCOMP", 2000), "packet_id"), 9);
    struct pcs_value *p = cl_msg(&sub, "q/2", "x");
    assert_int_equal(gi(p, "qos"), 2);
    cl_ack(&sub, p);
    assert_int_equal(gi(sub.last, "flags"), 2);
    assert_int_equal(cl_ping(&sub), 0);
    cl_disconnect(&pub);
    cl_disconnect(&sub);
}

static void test_qos0_downgrade(void **state)
{
    (void)state;
    start(NULL);
    struct cl c, pub;
    cl_connect_ok(&c, "3.1.1", "down", true, NULL);
    cl_sub(&c, "d", 0, NULL, NULL);
    cl_connect_ok(&pub, "3.1.1", "downpub", true, NULL);
    cl_pub(&pub, "d", "p", 2, false, NULL);
    struct pcs_value *p = cl_msg(&c, "d", "p");
    assert_int_equal(gi(p, "qos"), 0);
    assert_null(pcs_value_get(p, "packet_id"));
    cl_disconnect(&pub);
    cl_disconnect(&c);
}

/* ---- retained ---- */

static void test_retained(void **state)
{
    (void)state;
    start(NULL);
    struct cl pub, s1, s2;
    cl_connect_ok(&pub, "3.1.1", "rp", true, NULL);
    cl_connect_ok(&s1, "3.1.1", "rs1", true, NULL);
    cl_sub(&s1, "r/#", 1, NULL, NULL);
    cl_pub(&pub, "r/a", "v1", 1, true, NULL);
    cl_pub(&pub, "r/a", "v2", 1, true, NULL);            /* replaces v1 */
    struct pcs_value *p = cl_msg(&s1, "r/a", "v1");
    assert_int_equal(gi(p, "retain"), 0);                /* live: MQTT-3.3.1-9 */
    cl_ack(&s1, p);
    cl_ack(&s1, cl_msg(&s1, "r/a", "v2"));
    cl_connect_ok(&s2, "3.1.1", "rs2", true, NULL);
    cl_sub(&s2, "r/+", 2, NULL, NULL);
    p = cl_msg(&s2, "r/a", "v2");
    assert_int_equal(gi(p, "retain"), 1);                /* MQTT-3.3.1-8 */
    assert_int_equal(gi(p, "qos"), 1);
    cl_ack(&s2, p);
    cl_pub(&pub, "r/a", "", 0, true, NULL);              /* clears */
    cl_msg(&s2, "r/a", "");
    cl_close(&s2);
    cl_connect_ok(&s2, "3.1.1", "rs3", true, NULL);
    cl_sub(&s2, "r/+", 2, NULL, NULL);
    assert_int_equal(cl_ping(&s2), 0);
    cl_disconnect(&s2);
    cl_disconnect(&s1);
    cl_disconnect(&pub);
}

static void test_retain_v5_options(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "rv5", true, NULL);
    cl_pub(&c, "o/t", "keep", 1, true, NULL);
    /* retain_handling 2: nothing on subscribe */
    cl_sub(&c, "o/t", 1, M("retain_handling", I(2), "retain_as_published", B(true), NULL), NULL);
    assert_int_equal(cl_ping(&c), 0);
    /* retain_as_published: live message keeps retain=1 */
    cl_pub(&c, "o/t", "live", 1, true, NULL);
    struct pcs_value *p = cl_msg(&c, "o/t", "live");
    assert_int_equal(gi(p, "retain"), 1);
    cl_ack(&c, p);
    /* retain_handling 1 on an existing subscription: nothing; on a new one: the message */
    cl_sub(&c, "o/t", 1, M("retain_handling", I(1), NULL), NULL);
    assert_int_equal(cl_ping(&c), 0);
    cl_sub(&c, "o/+", 1, M("retain_handling", I(1), NULL), NULL);
    p = cl_msg(&c, "o/t", "live");
    assert_int_equal(gi(p, "retain"), 1);
    cl_ack(&c, p);
    /* no_local: own messages are not sent back */
    cl_sub(&c, "n/t", 1, M("no_local", B(true), NULL), NULL);
    cl_pub(&c, "n/t", "mine", 1, false, NULL);
    assert_int_equal(cl_ping(&c), 0);
    cl_disconnect(&c);
}

/* ---- wills ---- */

static struct pcs_value *will(const char *topic, const char *payload, bool retain,
                              struct pcs_value *wprops)
{
    struct pcs_value *m = M("will_flag", B(true), "will_topic", S(topic), "will_payload",
                            BY(payload), "will_qos", I(1), "will_retain", B(retain), NULL);
    if (wprops)
        pcs_value_set(m, "will_properties", wprops);
    return m;
}

static void test_will_v311(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, w;
    cl_connect_ok(&sub, "3.1.1", "wsub", true, NULL);
    cl_sub(&sub, "w/#", 1, NULL, NULL);
    /* DISCONNECT: no will (MQTT-3.14.4-3) */
    cl_connect_ok(&w, "3.1.1", "wc", true, will("w/a", "gone", false, NULL));
    cl_disconnect(&w);
    /* abnormal close: will (MQTT-3.1.2-8), retained since will_retain */
    cl_connect_ok(&w, "3.1.1", "wc", true, will("w/b", "lost", true, NULL));
    assert_int_equal(cl_ping(&sub), 0);
    cl_close(&w);
    struct pcs_value *p = cl_msg(&sub, "w/b", "lost");
    assert_int_equal(gi(p, "qos"), 1);
    cl_ack(&sub, p);
    assert_int_equal(cl_ping(&sub), 0);
    struct cl late;
    cl_connect_ok(&late, "3.1.1", "late", true, NULL);
    cl_sub(&late, "w/b", 0, NULL, NULL);
    assert_int_equal(gi(cl_msg(&late, "w/b", "lost"), "retain"), 1);
    cl_disconnect(&late);
    cl_disconnect(&sub);
}

static void test_will_v5(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, w;
    cl_connect_ok(&sub, "5.0", "wsub5", true, NULL);
    cl_sub(&sub, "w5/#", 1, NULL, NULL);
    /* DISCONNECT 0x04: will sent, with its properties in order */
    struct pcs_value *up = L(M("key", S("b"), "value", S("1"), NULL),
                             M("key", S("a"), "value", S("2"), NULL), NULL);
    cl_connect_ok(&w, "5.0", "w5", true,
                  will("w5/a", "bye", false, M("content_type", S("text/plain"),
                                                "user_property", up, NULL)));
    cl_send(&w, F("DISCONNECT", "reason_code", I(4), NULL));
    cl_close(&w);
    struct pcs_value *p = cl_msg(&sub, "w5/a", "bye");
    assert_string_equal(gs(p, "properties.content_type"), "text/plain");
    assert_string_equal(gs(p, "properties.user_property.0.key"), "b");
    assert_string_equal(gs(p, "properties.user_property.1.key"), "a");
    cl_ack(&sub, p);
    /* will delay 60 but session expiry 0: the session ends at once, and so the delay */
    cl_connect_ok(&w, "5.0", "w5d", true, will("w5/d", "now", false,
                  M("will_delay_interval", I(60), NULL)));
    cl_close(&w);
    cl_ack(&sub, cl_msg(&sub, "w5/d", "now"));
    cl_disconnect(&sub);
}

static void test_will_delay_v5(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, w;
    cl_connect_ok(&sub, "5.0", "wdsub", true, NULL);
    cl_sub(&sub, "wd/#", 1, NULL, NULL);
    struct pcs_value *x = will("wd/a", "delayed", false, M("will_delay_interval", I(60), NULL));
    pcs_value_set(x, "properties", M("session_expiry_interval", I(120), NULL));
    cl_connect_ok(&w, "5.0", "wd", true, x);
    cl_close(&w);
    assert_int_equal(cl_ping(&sub), 0);
    struct pcs_value *ack = cl_connect(&w, "5.0", "wd", false,
                                       M("properties", M("session_expiry_interval", I(0), NULL), NULL));
    assert_int_equal(gi(ack, "session_present"), 1);
    cl_disconnect(&w);
    assert_int_equal(cl_ping(&sub), 0);                 /* cancelled, never sent */
    /* will delay 1 s: sent after the delay, not before */
    x = will("wd/b", "after", false, M("will_delay_interval", I(1), NULL));
    pcs_value_set(x, "properties", M("session_expiry_interval", I(120), NULL));
    int64_t t0 = now_ms();
    cl_connect_ok(&w, "5.0", "wd2", true, x);
    cl_close(&w);
    assert_int_equal(cl_ping(&sub), 0);
    cl_msg(&sub, "wd/b", "after");
    assert_true(now_ms() - t0 >= 900);
    cl_disconnect(&sub);
}

static void test_keepalive(void **state)
{
    (void)state;
    start(NULL);
    struct cl sub, k;
    cl_connect_ok(&sub, "3.1.1", "ksub", true, NULL);
    cl_sub(&sub, "k/#", 0, NULL, NULL);
    struct pcs_value *x = will("k/w", "timeout", false, NULL);
    pcs_value_set(x, "keep_alive", I(1));
    int64_t t0 = now_ms();
    cl_connect_ok(&k, "3.1.1", "k", true, x);
    cl_expect_closed(&k, 2500);                         /* MQTT-3.1.2-24 */
    int64_t dt = now_ms() - t0;
    assert_true(dt >= 1000 && dt <= 2400);
    cl_close(&k);
    cl_msg(&sub, "k/w", "timeout");
    /* 5.0: DISCONNECT 0x8D first */
    cl_connect_ok(&k, "5.0", "k5", true, M("keep_alive", I(1), NULL));
    assert_int_equal(cl_expect_closed(&k, 2500), 0x8D);
    cl_close(&k);
    cl_disconnect(&sub);
}

/* ---- sessions ---- */

static void test_session_v311(void **state)
{
    (void)state;
    start(NULL);
    struct cl s, pub;
    struct pcs_value *ack = cl_connect(&s, "3.1.1", "persist", false, NULL);
    assert_int_equal(gi(ack, "session_present"), 0);
    cl_sub(&s, "s/t", 1, NULL, NULL);
    cl_connect_ok(&pub, "3.1.1", "spub", true, NULL);
    cl_pub(&pub, "s/t", "m1", 1, false, NULL);
    struct pcs_value *p = cl_msg(&s, "s/t", "m1");       /* not acknowledged */
    int64_t id = gi(p, "packet_id");
    cl_close(&s);
    cl_pub(&pub, "s/t", "m2", 1, false, NULL);           /* queued while offline */
    cl_pub(&pub, "s/t", "m0", 0, false, NULL);           /* QoS 0: may be dropped */
    ack = cl_connect(&s, "3.1.1", "persist", false, NULL);
    assert_int_equal(gi(ack, "session_present"), 1);
    p = cl_msg(&s, "s/t", "m1");                          /* MQTT-4.4.0-1 */
    assert_int_equal(gi(p, "dup"), 1);
    assert_int_equal(gi(p, "packet_id"), id);
    cl_ack(&s, p);
    p = cl_msg(&s, "s/t", "m2");    /* dup depends on whether the old socket took it first */
    assert_true(gi(p, "packet_id") != id);
    cl_ack(&s, p);
    assert_int_equal(cl_ping(&s), 0);
    cl_disconnect(&s);
    ack = cl_connect(&s, "3.1.1", "persist", true, NULL);  /* clean: session dropped */
    assert_int_equal(gi(ack, "session_present"), 0);
    cl_disconnect(&s);
    ack = cl_connect(&s, "3.1.1", "persist", false, NULL);
    assert_int_equal(gi(ack, "session_present"), 0);
    cl_disconnect(&s);
    cl_disconnect(&pub);
}

static void test_takeover_v5(void **state)
{
    (void)state;
    start(NULL);
    struct cl a, b;
    cl_connect_ok(&a, "5.0", "same", true, NULL);
    cl_connect_ok(&b, "5.0", "same", true, NULL);
    assert_int_equal(cl_expect_closed(&a, 2000), 0x8E);
    cl_close(&a);
    assert_int_equal(cl_ping(&b), 0);
    cl_disconnect(&b);
}

/* ---- 5.0 features ---- */

static void test_topic_alias(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "alias", true, NULL);
    cl_sub(&c, "al/#", 0, NULL, NULL);
    cl_pub(&c, "al/x", "one", 0, false, M("topic_alias", I(3), NULL));
    cl_msg(&c, "al/x", "one");
    cl_pub(&c, "", "two", 1, false, M("topic_alias", I(3), NULL));
    struct pcs_value *p = cl_msg(&c, "al/x", "two");
    assert_null(pcs_value_path(p, "properties.topic_alias"));
    cl_pub(&c, "al/y", "bad", 0, false, M("topic_alias", I(11), NULL));
    assert_int_equal(cl_expect_closed(&c, 2000), 0x94);
    cl_close(&c);
    cl_connect_ok(&c, "5.0", "alias0", true, NULL);
    cl_pub(&c, "al/y", "bad", 0, false, M("topic_alias", I(0), NULL));
    assert_int_equal(cl_expect_closed(&c, 2000), 0x94);
    cl_close(&c);
}

static void test_subscription_ids(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "sid", true, NULL);
    cl_sub(&c, "i/+", 1, NULL, M("subscription_identifier", I(7), NULL));
    cl_sub(&c, "i/#", 0, NULL, M("subscription_identifier", I(9), NULL));
    cl_pub(&c, "i/a", "x", 1, false, NULL);
    struct pcs_value *p = cl_msg(&c, "i/a", "x");        /* once, max QoS, both ids */
    assert_int_equal(gi(p, "qos"), 1);
    struct pcs_value *ids = pcs_value_path(p, "properties.subscription_identifier");
    assert_non_null(ids);
    assert_int_equal(ids->u.c.n, 2);
    assert_int_equal(ids->u.c.items[0]->u.i + ids->u.c.items[1]->u.i, 16);
    cl_ack(&c, p);
    assert_int_equal(cl_ping(&c), 0);
    cl_disconnect(&c);
}

static void test_wildcards_and_unsubscribe(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "wild", true, NULL);
    struct pcs_value *ack = cl_sub(&c, "#", 0, NULL, NULL);
    assert_int_equal(gi(ack, "reason_codes.0"), 0);
    ack = cl_sub(&c, "a/#/b", 0, NULL, NULL);
    assert_int_equal(gi(ack, "reason_codes.0"), 0x8F);
    cl_pub(&c, "$SYS/x", "no", 0, false, NULL);          /* MQTT-4.7.2-1 */
    assert_int_equal(cl_ping(&c), 0);
    cl_pub(&c, "a/b/c", "yes", 0, false, NULL);
    cl_msg(&c, "a/b/c", "yes");
    cl_send(&c, F("UNSUBSCRIBE", "packet_id", I(50), "topic_filters", L(S("#"), S("zz"), NULL),
                  NULL));
    struct pcs_value *u = cl_expect(&c, "UNSUBACK", 2000);
    assert_int_equal(gi(u, "packet_id"), 50);
    assert_int_equal(gi(u, "reason_codes.0"), 0);
    assert_int_equal(gi(u, "reason_codes.1"), 0x11);
    cl_pub(&c, "a/b/c", "gone", 0, false, NULL);
    assert_int_equal(cl_ping(&c), 0);
    cl_sub(&c, "p/+/q", 0, NULL, NULL);
    cl_pub(&c, "p/x/y/q", "no", 0, false, NULL);
    cl_pub(&c, "p//q", "yes", 0, false, NULL);
    cl_msg(&c, "p//q", "yes");
    cl_pub(&c, "bad/+", "x", 0, false, NULL);            /* wildcard in a topic name */
    assert_int_equal(cl_expect_closed(&c, 2000), 0x90);
    cl_close(&c);
    /* 3.1.1: invalid filter → 0x80 */
    cl_connect_ok(&c, "3.1.1", "wild311", true, NULL);
    ack = cl_sub(&c, "x+", 1, NULL, NULL);
    assert_int_equal(gi(ack, "reason_codes.0"), 0x80);
    cl_disconnect(&c);
}

static void test_properties_forwarded(void **state)
{
    (void)state;
    start(NULL);
    struct cl c;
    cl_connect_ok(&c, "5.0", "props", true, NULL);
    cl_sub(&c, "pp", 1, NULL, NULL);
    struct pcs_value *up = L(M("key", S("z"), "value", S("1"), NULL),
                             M("key", S("a"), "value", S("2"), NULL),
                             M("key", S("z"), "value", S("3"), NULL), NULL);
    cl_pub(&c, "pp", "body", 1, false,
           M("payload_format_indicator", I(1), "content_type", S("text/plain"),
             "response_topic", S("resp/1"), "correlation_data", BY("cd"),
             "message_expiry_interval", I(100), "user_property", up, NULL));
    struct pcs_value *p = cl_msg(&c, "pp", "body");
    assert_int_equal(gi(p, "properties.payload_format_indicator"), 1);
    assert_string_equal(gs(p, "properties.content_type"), "text/plain");
    assert_string_equal(gs(p, "properties.response_topic"), "resp/1");
    assert_string_equal(gs(p, "properties.correlation_data"), "cd");
    int64_t e = gi(p, "properties.message_expiry_interval");
    assert_true(e > 0 && e <= 100);
    assert_string_equal(gs(p, "properties.user_property.0.value"), "1");
    assert_string_equal(gs(p, "properties.user_property.1.value"), "2");
    assert_string_equal(gs(p, "properties.user_property.2.value"), "3");
    cl_ack(&c, p);
    cl_disconnect(&c);
}

static void test_receive_maximum_and_packet_size(void **state)
{
    (void)state;
    start(NULL);
    struct cl s, pub;
    cl_connect_ok(&s, "5.0", "rm", true,
                  M("properties", M("receive_maximum", I(1), "maximum_packet_size", I(64), NULL),
                    NULL));
    cl_sub(&s, "rm", 1, NULL, NULL);
    cl_connect_ok(&pub, "5.0", "rmpub", true, NULL);
    cl_pub(&pub, "rm", "a", 1, false, NULL);
    cl_pub(&pub, "rm", "b", 1, false, NULL);
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    cl_pub(&pub, "rm", big, 0, false, NULL);             /* too large for the client: dropped */
    struct pcs_value *p = cl_msg(&s, "rm", "a");
    int64_t id = gi(p, "packet_id");
    assert_int_equal(cl_ping(&s), 0);                   /* "b" waits: quota 0 */
    cl_send(&s, F("PUBACK", "packet_id", I(id), NULL));
    cl_ack(&s, cl_msg(&s, "rm", "b"));
    assert_int_equal(cl_ping(&s), 0);
    cl_disconnect(&s);
    cl_disconnect(&pub);
}

static void test_shared(void **state)
{
    (void)state;
    start(NULL);
    struct cl a, b, pub;
    cl_connect_ok(&a, "5.0", "sha", true, NULL);
    cl_connect_ok(&b, "5.0", "shb", true, NULL);
    cl_sub(&a, "$share/g/sh/t", 0, NULL, NULL);
    cl_sub(&b, "$share/g/sh/t", 0, NULL, NULL);
    cl_connect_ok(&pub, "5.0", "shp", true, NULL);
    cl_pub(&pub, "sh/t", "1", 1, false, NULL);
    cl_pub(&pub, "sh/t", "2", 1, false, NULL);
    assert_int_equal(cl_ping(&a) + cl_ping(&b), 2);
    assert_int_equal(gi(cl_sub(&a, "$share/g/x", 0, M("no_local", B(false), NULL), NULL),
                        "reason_codes.0"), 0);
    cl_send(&a, F("SUBSCRIBE", "packet_id", I(77), "subscriptions",
                  L(M("topic_filter", S("$share/g/y"), "qos", I(0), "no_local", B(true), NULL),
                    NULL), NULL));
    assert_int_equal(cl_expect_closed(&a, 2000), 0x82);  /* MQTT-3.8.3-4 */
    cl_close(&a);
    cl_disconnect(&b);
    cl_disconnect(&pub);
}

/* ---- faults ---- */

static void test_fault_table(void **state)
{
    (void)state;
    const struct pcs_stub_kind *k = pcs_stub_find("mqtt");
    assert_non_null(k);
    assert_null(pcs_stub_find("nope"));
    size_t n = 0;
    for (const struct pcs_stub_fault *f = k->faults; f->name; f++, n++) {
        assert_ptr_equal(pcs_stub_fault_find(k, f->name), f);
        assert_true(strncmp(f->rule, "MQTT-", 5) == 0);
        assert_non_null(f->doc);
    }
    assert_true(n >= 50);
    assert_null(pcs_stub_fault_find(k, "no-such-fault"));
    struct pcs_stub_config cfg = {.host = "127.0.0.1", .fault = "no-such-fault"};
    struct pcs_stub *s = NULL;
    struct pcs_diag d;
    assert_int_equal(k->create(&cfg, &s, &d), PCS_ERR_NOTFOUND);
}

static void test_fault_connack_not_first(void **state)
{
    (void)state;
    start("connack-not-first");
    struct cl c;
    cl_open(&c, "3.1.1");
    cl_send(&c, F("CONNECT", "client_id", S("x"), "clean_session", B(true), NULL));
    cl_expect(&c, "PINGRESP", 2000);
    cl_expect(&c, "CONNACK", 2000);
    cl_close(&c);
}

static void test_fault_no_puback(void **state)
{
    (void)state;
    start("no-puback");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "np", true, NULL);
    cl_send(&c, F("PUBLISH", "topic", S("t"), "qos", I(1), "packet_id", I(5), "payload", BY("x"),
                  NULL));
    cl_send(&c, F("PINGREQ", NULL));
    cl_expect(&c, "PINGRESP", 2000);                    /* no PUBACK before it */
    cl_close(&c);
}

static void test_fault_suback_wrong_id(void **state)
{
    (void)state;
    start("suback-wrong-id");
    struct cl c;
    cl_connect_ok(&c, "5.0", "sw", true, NULL);
    cl_send(&c, F("SUBSCRIBE", "packet_id", I(10), "subscriptions",
                  L(M("topic_filter", S("t"), "qos", I(0), NULL), NULL), NULL));
    assert_int_equal(gi(cl_expect(&c, "SUBACK", 2000), "packet_id"), 11);
    cl_close(&c);
}

static void test_fault_hash_dollar(void **state)
{
    (void)state;
    start("hash-matches-dollar-topics");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "hd", true, NULL);
    cl_sub(&c, "#", 0, NULL, NULL);
    cl_pub(&c, "$SYS/x", "leak", 0, false, NULL);
    cl_msg(&c, "$SYS/x", "leak");
    cl_close(&c);
}

static void test_fault_pubrel_bad_flags(void **state)
{
    (void)state;
    start("pubrel-bad-flags");
    struct cl c, pub;
    cl_connect_ok(&c, "5.0", "pr", true, NULL);
    cl_sub(&c, "t", 2, NULL, NULL);
    cl_connect_ok(&pub, "5.0", "prpub", true, NULL);
    cl_pub(&pub, "t", "x", 2, false, NULL);
    cl_close(&pub);
    struct pcs_value *p = cl_msg(&c, "t", "x");
    cl_send(&c, F("PUBREC", "packet_id", I(gi(p, "packet_id")), NULL));
    assert_int_equal(cl_next(&c, 2000), 1);
    assert_true(c.bad);                                 /* our decoder rejects it */
    assert_int_equal(c.raw.data[0], 0x60);
    cl_close(&c);
}

static void test_fault_disconnect_wrong_reason(void **state)
{
    (void)state;
    start("disconnect-wrong-reason");
    struct cl c;
    cl_connect_ok(&c, "5.0", "dw", true, NULL);
    cl_send_hex(&c, "82 02 00 01");
    assert_int_equal(cl_expect_closed(&c, 2000), 0x80);
    cl_close(&c);
}

static void test_fault_retain_flag_on_live(void **state)
{
    (void)state;
    start("retain-flag-on-live");
    struct cl c, c5;
    cl_connect_ok(&c, "3.1.1", "rl", true, NULL);
    cl_connect_ok(&c5, "5.0", "rl5", true, NULL);
    cl_sub(&c, "t", 0, NULL, NULL);
    cl_sub(&c5, "t", 0, NULL, NULL);
    cl_pub(&c, "t", "x", 0, true, NULL);
    assert_int_equal(gi(cl_msg(&c, "t", "x"), "retain"), 1);
    assert_int_equal(gi(cl_msg(&c5, "t", "x"), "retain"), 0);   /* 5.0 connection unaffected */
    cl_close(&c);
    cl_close(&c5);
}

static void test_fault_out_of_order(void **state)
{
    (void)state;
    start("out-of-order-delivery");
    struct cl s, pub;
    cl_connect_ok(&s, "3.1.1", "oo", true, NULL);
    cl_sub(&s, "t", 1, NULL, NULL);
    cl_connect_ok(&pub, "3.1.1", "oop", true, NULL);
    cl_pub(&pub, "t", "1", 1, false, NULL);
    cl_pub(&pub, "t", "2", 1, false, NULL);
    cl_ack(&s, cl_msg(&s, "t", "2"));
    cl_ack(&s, cl_msg(&s, "t", "1"));
    cl_close(&s);
    cl_close(&pub);
}

static void test_fault_no_redelivery_dup(void **state)
{
    (void)state;
    start("no-redelivery-dup");
    struct cl s;
    cl_connect_ok(&s, "5.0", "nd", true,
                  M("properties", M("session_expiry_interval", I(60), NULL), NULL));
    cl_sub(&s, "t", 1, NULL, NULL);
    cl_pub(&s, "t", "x", 1, false, NULL);
    cl_msg(&s, "t", "x");
    cl_close(&s);
    struct pcs_value *ack = cl_connect(&s, "5.0", "nd", false, NULL);
    assert_int_equal(gi(ack, "session_present"), 1);
    assert_int_equal(gi(cl_msg(&s, "t", "x"), "dup"), 0);
    cl_close(&s);
}

static void test_fault_qos0_with_packet_id(void **state)
{
    (void)state;
    start("qos0-with-packet-id-v5");
    struct cl s;
    cl_connect_ok(&s, "5.0", "q0", true, NULL);
    cl_sub(&s, "t", 0, NULL, NULL);
    cl_pub(&s, "t", "x", 0, false, NULL);
    assert_int_equal(cl_next(&s, 2000), 1);
    /* 30 len 00 01 't' [00 01] props... : 2 more bytes than a correct QoS 0 PUBLISH */
    assert_int_equal(s.raw.len, 2 + 3 + 2 + 1 + 1);
    cl_close(&s);
}

static void test_fault_session_expiry_ignored(void **state)
{
    (void)state;
    start("session-expiry-ignored");
    struct cl s;
    cl_connect_ok(&s, "5.0", "se", true, NULL);
    cl_disconnect(&s);
    struct pcs_value *ack = cl_connect(&s, "5.0", "se", false, NULL);
    assert_int_equal(gi(ack, "session_present"), 1);
    cl_close(&s);
}

static void test_fault_no_pingresp(void **state)
{
    (void)state;
    start("no-pingresp");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "npr", true, NULL);
    cl_send(&c, F("PINGREQ", NULL));
    assert_int_equal(cl_next(&c, 500), 0);             /* a window, not a sleep */
    cl_close(&c);
}

static void test_fault_accept_second_connect(void **state)
{
    (void)state;
    start("accept-second-connect");
    struct cl c;
    cl_connect_ok(&c, "5.0", "twice", true, NULL);
    cl_send(&c, F("CONNECT", "client_id", S("twice"), "clean_start", B(true),
                  "properties", M(NULL), NULL));
    assert_int_equal(cl_ping(&c), 0);                   /* still open */
    cl_close(&c);
}

static void test_fault_session_present_on_clean(void **state)
{
    (void)state;
    start("session-present-on-clean");
    struct cl c;
    assert_int_equal(gi(cl_connect(&c, "3.1.1", "spc", true, NULL), "session_present"), 1);
    cl_close(&c);
    assert_int_equal(gi(cl_connect(&c, "5.0", "spc5", true, NULL), "session_present"), 0);
    cl_close(&c);
}

static void test_fault_accept_bad_protocol_level(void **state)
{
    (void)state;
    start("accept-bad-protocol-level");
    struct cl c;
    struct pcs_value *ack = cl_connect(&c, "3.1.1", "lvl", true, M("protocol_level", I(3), NULL));
    assert_int_equal(gi(ack, "return_code"), 0);
    cl_close(&c);
}

/* The Will's client is taken over: the Will (if any) is routed before the new CONNACK. */
static int will_on_takeover(const char *ver)
{
    struct cl sub, w, w2;
    cl_connect_ok(&sub, ver, "wsub", true, NULL);
    cl_sub(&sub, "w/#", 0, NULL, NULL);
    cl_connect_ok(&w, ver, "wc", true, will("w/x", "bye", false, NULL));
    cl_connect_ok(&w2, ver, "wc", true, NULL);
    int n = cl_ping(&sub);
    cl_close(&w);
    cl_close(&w2);
    cl_close(&sub);
    return n;
}

static void test_will_on_takeover(void **state)
{
    (void)state;
    start(NULL);
    assert_int_equal(will_on_takeover("3.1.1"), 1);
    assert_int_equal(will_on_takeover("5.0"), 1);
}

static void test_fault_will_not_sent(void **state)
{
    (void)state;
    start("will-not-sent");
    assert_int_equal(will_on_takeover("3.1.1"), 0);
}

static void test_fault_will_sent_after_disconnect(void **state)
{
    (void)state;
    start("will-sent-after-disconnect");
    struct cl sub, w;
    cl_connect_ok(&sub, "3.1.1", "wsub", true, NULL);
    cl_sub(&sub, "w/#", 0, NULL, NULL);
    cl_connect_ok(&w, "3.1.1", "wc", true, will("w/x", "bye", false, NULL));
    cl_disconnect(&w);
    cl_msg(&sub, "w/x", "bye");
    cl_close(&sub);
}

static void test_fault_retain_not_cleared(void **state)
{
    (void)state;
    start("retain-not-cleared");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "rnc", true, NULL);
    cl_pub(&c, "t", "v", 1, true, NULL);
    cl_pub(&c, "t", "", 1, true, NULL);
    cl_sub(&c, "t", 0, NULL, NULL);
    cl_msg(&c, "t", "v");
    cl_close(&c);
}

static void test_fault_topic_alias_ignored(void **state)
{
    (void)state;
    start("topic-alias-ignored");
    struct cl c;
    cl_connect_ok(&c, "5.0", "tai", true, NULL);
    cl_pub(&c, "a/x", "one", 0, false, M("topic_alias", I(1), NULL));
    cl_pub(&c, "", "two", 0, false, M("topic_alias", I(1), NULL));
    assert_int_equal(cl_expect_closed(&c, 2000), 0x82);
    cl_close(&c);
}

static void test_fault_no_subscription_identifier(void **state)
{
    (void)state;
    start("no-subscription-identifier");
    struct cl c;
    cl_connect_ok(&c, "5.0", "nsi", true, NULL);
    cl_sub(&c, "t", 0, NULL, M("subscription_identifier", I(5), NULL));
    cl_pub(&c, "t", "x", 0, false, NULL);
    assert_null(pcs_value_path(cl_msg(&c, "t", "x"), "properties.subscription_identifier"));
    cl_close(&c);
}

static void test_fault_receive_maximum_ignored(void **state)
{
    (void)state;
    start("receive-maximum-ignored");
    struct cl s, pub;
    cl_connect_ok(&s, "5.0", "rmi", true,
                  M("properties", M("receive_maximum", I(1), NULL), NULL));
    cl_sub(&s, "t", 1, NULL, NULL);
    cl_connect_ok(&pub, "5.0", "rmip", true, NULL);
    cl_pub(&pub, "t", "a", 1, false, NULL);
    cl_pub(&pub, "t", "b", 1, false, NULL);
    assert_int_equal(cl_ping(&s), 2);
    cl_close(&s);
    cl_close(&pub);
}

static void test_fault_user_property_reordered(void **state)
{
    (void)state;
    start("user-property-reordered");
    struct cl c;
    cl_connect_ok(&c, "5.0", "upr", true, NULL);
    cl_sub(&c, "t", 0, NULL, NULL);
    cl_pub(&c, "t", "x", 0, false,
           M("user_property", L(M("key", S("k"), "value", S("1"), NULL),
                                M("key", S("k"), "value", S("2"), NULL), NULL), NULL));
    assert_string_equal(gs(cl_msg(&c, "t", "x"), "properties.user_property.0.value"), "2");
    cl_close(&c);
}

static void test_fault_keepalive_not_enforced(void **state)
{
    (void)state;
    start("keepalive-not-enforced-v5");
    struct cl c;
    cl_connect_ok(&c, "5.0", "kne", true, M("keep_alive", I(1), NULL));
    assert_int_equal(cl_next(&c, 2000), 0);             /* still open after 2 s of silence */
    assert_false(c.closed);
    cl_close(&c);
}

static void test_fault_accept_wildcard_topic_publish(void **state)
{
    (void)state;
    start("accept-wildcard-topic-publish");
    struct cl c;
    cl_connect_ok(&c, "5.0", "awt", true, NULL);
    cl_pub(&c, "a/+", "x", 1, false, NULL);
    assert_int_equal(cl_ping(&c), 0);
    cl_close(&c);
}

static void test_fault_no_assigned_client_id(void **state)
{
    (void)state;
    start("no-assigned-client-id");
    struct cl c;
    struct pcs_value *ack = cl_connect(&c, "5.0", "", true, NULL);
    assert_int_equal(gi(ack, "reason_code"), 0);
    assert_null(pcs_value_path(ack, "properties.assigned_client_identifier"));
    cl_close(&c);
}

static void test_fault_accept_null_char(void **state)
{
    (void)state;
    start("accept-null-char");
    struct cl c;
    cl_open(&c, "3.1.1");
    cl_send_hex(&c, "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 61 00 62");   /* client id a\0b */
    assert_int_equal(gi(cl_expect(&c, "CONNACK", 2000), "return_code"), 0);
    cl_close(&c);
}

static void test_fault_accept_ill_formed_utf8(void **state)
{
    (void)state;
    start("accept-ill-formed-utf8-v5");
    struct cl c;
    cl_connect_ok(&c, "5.0", "ill", true, NULL);
    cl_sub(&c, "pcs/#", 0, NULL, NULL);
    cl_send_hex(&c, "30 0c 00 07 70 63 73 2f ed a0 80 00 68 69");  /* topic "pcs/" ED A0 80 */
    cl_msg(&c, "pcs/???", "hi");
    cl_close(&c);
}

static void test_fault_takeover_ignored(void **state)
{
    (void)state;
    start("takeover-ignored");
    struct cl a, b;
    cl_connect_ok(&a, "3.1.1", "same", true, NULL);
    cl_connect_ok(&b, "3.1.1", "same", true, NULL);
    assert_int_equal(cl_ping(&a), 0);                   /* the old connection is still open */
    assert_int_equal(cl_ping(&b), 0);
    cl_close(&a);
    cl_disconnect(&b);
}

static void test_fault_accept_malformed_unsubscribe(void **state)
{
    (void)state;
    start("accept-malformed-unsubscribe");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "amu", true, NULL);
    cl_send_hex(&c, "a0 07 00 01 00 03 61 2f 62");      /* UNSUBSCRIBE with flags 0 */
    assert_int_equal(gi(cl_expect(&c, "UNSUBACK", 2000), "packet_id"), 1);
    cl_close(&c);
}

static void test_fault_accept_qos3_publish(void **state)
{
    (void)state;
    start("accept-qos3-publish");
    struct cl c;
    cl_connect_ok(&c, "5.0", "q3", true, NULL);
    cl_send_hex(&c, "36 0a 00 03 61 2f 62 00 01 00 68 69");   /* PUBLISH QoS 3, id 1 */
    assert_int_equal(gi(cl_expect(&c, "PUBACK", 2000), "packet_id"), 1);
    cl_close(&c);
}

static void test_fault_accept_malformed_pubrel(void **state)
{
    (void)state;
    start("accept-malformed-pubrel");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "amp", true, NULL);
    cl_send(&c, F("PUBLISH", "topic", S("t"), "qos", I(2), "packet_id", I(1), "payload", BY("x"),
                  NULL));
    cl_expect(&c, "PUBREC", 2000);
    cl_send_hex(&c, "60 02 00 01");                     /* PUBREL with flags 0 */
    assert_int_equal(gi(cl_expect(&c, "PUBCOMP", 2000), "packet_id"), 1);
    cl_close(&c);
}

static void test_fault_hash_not_multi_level(void **state)
{
    (void)state;
    start("hash-not-multi-level");
    struct cl c;
    cl_connect_ok(&c, "3.1.1", "hnm", true, NULL);
    cl_sub(&c, "a/#", 0, NULL, NULL);
    cl_pub(&c, "a", "parent", 0, false, NULL);
    cl_pub(&c, "a/b/c", "deep", 0, false, NULL);
    cl_pub(&c, "a/b", "one", 0, false, NULL);
    cl_msg(&c, "a/b", "one");                           /* only the one-level topic matched */
    assert_int_equal(cl_ping(&c), 0);
    cl_close(&c);
}

static void test_fault_accept_bad_remaining_length(void **state)
{
    (void)state;
    start("accept-bad-remaining-length-v5");
    struct cl c;
    cl_connect_ok(&c, "5.0", "abr", true, NULL);
    cl_send_hex(&c, "c0 80 80 80 80 01");               /* PINGREQ, 5-byte Remaining Length */
    cl_expect(&c, "PINGRESP", 2000);
    cl_close(&c);
}

static void test_fault_content_type_not_forwarded(void **state)
{
    (void)state;
    start("content-type-not-forwarded");
    struct cl c;
    cl_connect_ok(&c, "5.0", "ctn", true, NULL);
    cl_sub(&c, "t", 0, NULL, NULL);
    cl_pub(&c, "t", "x", 0, false,
           M("content_type", S("text/plain"), "response_topic", S("r"), NULL));
    struct pcs_value *p = cl_msg(&c, "t", "x");
    assert_null(pcs_value_path(p, "properties.content_type"));
    assert_string_equal(gs(p, "properties.response_topic"), "r");
    cl_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_table),
#define T(f) cmocka_unit_test_teardown(f, teardown)
        T(test_connect_v311),
        T(test_connect_v5),
        T(test_connect_refusals),
        T(test_second_connect_and_malformed),
        T(test_qos1_v311),
        T(test_qos2_v5),
        T(test_qos0_downgrade),
        T(test_retained),
        T(test_retain_v5_options),
        T(test_will_v311),
        T(test_will_v5),
        T(test_will_delay_v5),
        T(test_keepalive),
        T(test_session_v311),
        T(test_takeover_v5),
        T(test_topic_alias),
        T(test_subscription_ids),
        T(test_wildcards_and_unsubscribe),
        T(test_properties_forwarded),
        T(test_receive_maximum_and_packet_size),
        T(test_shared),
        T(test_fault_connack_not_first),
        T(test_fault_no_puback),
        T(test_fault_suback_wrong_id),
        T(test_fault_hash_dollar),
        T(test_fault_pubrel_bad_flags),
        T(test_fault_disconnect_wrong_reason),
        T(test_fault_retain_flag_on_live),
        T(test_fault_out_of_order),
        T(test_fault_no_redelivery_dup),
        T(test_fault_qos0_with_packet_id),
        T(test_fault_session_expiry_ignored),
        T(test_fault_no_pingresp),
        T(test_fault_accept_second_connect),
        T(test_fault_session_present_on_clean),
        T(test_fault_accept_bad_protocol_level),
        T(test_will_on_takeover),
        T(test_fault_will_not_sent),
        T(test_fault_will_sent_after_disconnect),
        T(test_fault_retain_not_cleared),
        T(test_fault_topic_alias_ignored),
        T(test_fault_no_subscription_identifier),
        T(test_fault_receive_maximum_ignored),
        T(test_fault_user_property_reordered),
        T(test_fault_keepalive_not_enforced),
        T(test_fault_accept_wildcard_topic_publish),
        T(test_fault_no_assigned_client_id),
        T(test_fault_accept_null_char),
        T(test_fault_accept_ill_formed_utf8),
        T(test_fault_takeover_ignored),
        T(test_fault_accept_malformed_unsubscribe),
        T(test_fault_accept_qos3_publish),
        T(test_fault_accept_malformed_pubrel),
        T(test_fault_hash_not_multi_level),
        T(test_fault_accept_bad_remaining_length),
        T(test_fault_content_type_not_forwarded),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
