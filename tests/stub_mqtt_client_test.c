/* stub_mqtt_client_test.c — the built-in MQTT client (stubs/mqtt/client*.c) driven over a real
 * socket: the test listens on 127.0.0.1:0 and plays the server with blocking reads bounded by
 * SO_RCVTIMEO; frames go through pcs_mqtt_protocol's vtable. Covers checking an action's vars,
 * a QoS 1 publish and a subscribe in 3.1.1, honouring CONNACK limits in 5.0, and a fault. */
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "protocol.h"
#include "stub.h"
#include "value.h"

static const struct pcs_protocol *P;

/* The server side of one test: listening socket, accepted connection, codec state. */
struct srv {
    int lfd, fd;
    uint16_t port;
    void *st;
    struct pcs_buf rb;
    struct pcs_stub_client_thread *client;
};

static void srv_listen(struct srv *s, const char *version)
{
    P = pcs_protocol_find("mqtt");
    assert_non_null(P);
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    socklen_t l = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    s->st = calloc(1, P->conn_state_size);
    P->conn_init(s->st, version);
    pcs_buf_init(&s->rb);
}

/* Starts the stub client for action with vars (a map, consumed) and accepts its connection. */
static void start(struct srv *s, const char *version, const char *action, struct pcs_value *vars,
                  const char *fault)
{
    srv_listen(s, version);
    struct pcs_stub_action a = {.name = action, .vars = vars, .version = version,
                                .host = "127.0.0.1", .port = s->port, .fault = fault};
    struct pcs_diag d = {0};
    if (pcs_stub_client_start(pcs_stub_find("mqtt"), &a, &s->client, &d))
        fail_msg("client start: %s", d.msg);
    pcs_value_free(vars);
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    s->fd = accept(s->lfd, NULL, NULL);
    assert_true(s->fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void stop(struct srv *s)
{
    if (s->fd >= 0)
        close(s->fd);
    pcs_stub_client_stop(s->client);   /* bounded: the client sees the close, or the stop */
    close(s->lfd);
    P->conn_fini(s->st);
    free(s->st);
    pcs_buf_free(&s->rb);
}

/* The next frame from the client (caller frees); NULL when the connection closed. A frame
 * that does not decode fails the test, unless d is given: then NULL with d filled. */
static struct pcs_value *recv_frame(struct srv *s, struct pcs_diag *d_out)
{
    for (;;) {
        struct pcs_diag d = {0};
        ssize_t n = s->rb.len ? P->frame_length(s->st, s->rb.data, s->rb.len, &d) : 0;
        if (n > 0 && (size_t)n <= s->rb.len) {
            struct pcs_value *f = NULL;
            int rc = P->decode(s->st, PCS_DIR_C2S, s->rb.data, (size_t)n, &f, &d);
            pcs_buf_consume(&s->rb, (size_t)n);
            if (rc && d_out) {
                *d_out = d;
                return NULL;
            }
            if (rc)
                fail_msg("client sent a malformed frame: %s", d.msg);
            return f;
        }
        uint8_t tmp[4096];
        ssize_t r = recv(s->fd, tmp, sizeof tmp, 0);
        if (r < 0)
            fail_msg("nothing from the client within 5s");
        if (r == 0)
            return NULL;
        pcs_buf_append(&s->rb, tmp, (size_t)r);
    }
}

static struct pcs_value *expect(struct srv *s, const char *type)
{
    struct pcs_value *f = recv_frame(s, NULL);
    if (!f)
        fail_msg("expected %s, the connection closed", type);
    assert_string_equal(pcs_value_get_str(f, "type"), type);
    return f;
}

/* F("TYPE", "key", value, ..., NULL): a frame, sent and freed. */
static void send_frame(struct srv *s, const char *type, ...)
{
    struct pcs_value *f = pcs_value_map();
    pcs_value_set(f, "type", pcs_value_str(type));
    va_list ap;
    va_start(ap, type);
    for (const char *k; (k = va_arg(ap, const char *));)
        pcs_value_set(f, k, va_arg(ap, struct pcs_value *));
    va_end(ap);
    struct pcs_buf b;
    struct pcs_diag d = {0};
    pcs_buf_init(&b);
    assert_int_equal(P->encode(s->st, PCS_DIR_S2C, f, &b, &d), 0);
    assert_int_equal(send(s->fd, b.data, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
    pcs_buf_free(&b);
    pcs_value_free(f);
}

static struct pcs_value *vars(const char *k, ...)
{
    struct pcs_value *m = pcs_value_map();
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const char *))
        pcs_value_set(m, k, va_arg(ap, struct pcs_value *));
    va_end(ap);
    return m;
}

#define S(x) pcs_value_str(x)
#define I(x) pcs_value_int(x)

static int64_t gi(const struct pcs_value *f, const char *path)
{
    const struct pcs_value *v = pcs_value_path(f, path);
    if (!v)
        fail_msg("no %s", path);
    return v->type == PCS_V_BOOL ? v->u.b : v->u.i;
}

/* ---- tests ---- */

static void test_actions_checked(void **state)
{
    (void)state;
    const struct pcs_stub_kind *k = pcs_stub_find("mqtt");
    assert_true(pcs_stub_has_action(k, "publish_many"));
    assert_false(pcs_stub_has_action(k, "teleport"));
    struct pcs_stub_client_thread *t = NULL;
    struct pcs_diag d = {0};
    struct pcs_value *v = vars("qos", I(1), NULL);
    struct pcs_stub_action a = {.name = "publish", .vars = v, .version = "3.1.1", .port = 1};
    assert_int_equal(pcs_stub_client_start(k, &a, &t, &d), PCS_ERR_INVALID);   /* no topic */
    assert_non_null(strstr(d.msg, "topic"));
    pcs_value_set(v, "topic", S("t"));
    a.fault = "no-such-fault";
    assert_int_equal(pcs_stub_client_start(k, &a, &t, &d), PCS_ERR_NOTFOUND);
    a.fault = NULL;
    a.name = "teleport";
    assert_int_equal(pcs_stub_client_start(k, &a, &t, &d), PCS_ERR_UNSUPPORTED);
    pcs_value_free(v);
}

static void test_publish_qos1_311(void **state)
{
    (void)state;
    struct srv s;
    start(&s, "3.1.1", "publish",
          vars("client_id", S("c-1"), "topic", S("a/b"), "payload", S("hi"), "qos", I(1), NULL),
          NULL);
    struct pcs_value *f = expect(&s, "CONNECT");
    assert_string_equal(pcs_value_get_str(f, "client_id"), "c-1");
    assert_int_equal(gi(f, "clean_session"), 1);
    assert_int_equal(gi(f, "will_flag"), 0);
    pcs_value_free(f);
    send_frame(&s, "CONNACK", "return_code", I(0), NULL);
    f = expect(&s, "PUBLISH");
    assert_int_equal(gi(f, "qos"), 1);
    assert_int_equal(gi(f, "dup"), 0);
    int64_t id = gi(f, "packet_id");
    assert_true(id > 0);
    pcs_value_free(f);
    send_frame(&s, "PUBACK", "packet_id", I(id), NULL);
    pcs_value_free(expect(&s, "DISCONNECT"));
    assert_null(recv_frame(&s, NULL));   /* then it closes */
    stop(&s);
}

static void test_subscribe_acks_311(void **state)
{
    (void)state;
    struct srv s;
    start(&s, "3.1.1", "subscribe",
          vars("client_id", S("c-2"), "topic", S("a/#"), "qos", I(2), "count", I(1), NULL), NULL);
    pcs_value_free(expect(&s, "CONNECT"));
    send_frame(&s, "CONNACK", "return_code", I(0), NULL);
    struct pcs_value *f = expect(&s, "SUBSCRIBE");
    assert_int_equal(gi(f, "subscriptions.0.qos"), 2);
    struct pcs_value *codes = pcs_value_list();
    pcs_value_push(codes, I(2));
    send_frame(&s, "SUBACK", "packet_id", I(gi(f, "packet_id")), "reason_codes", codes, NULL);
    pcs_value_free(f);
    send_frame(&s, "PUBLISH", "topic", S("a/x"), "qos", I(2), "packet_id", I(9), "payload",
               S("m"), NULL);
    f = expect(&s, "PUBREC");
    assert_int_equal(gi(f, "packet_id"), 9);
    pcs_value_free(f);
    send_frame(&s, "PUBREL", "packet_id", I(9), NULL);
    f = expect(&s, "PUBCOMP");
    assert_int_equal(gi(f, "packet_id"), 9);
    pcs_value_free(f);
    pcs_value_free(expect(&s, "DISCONNECT"));   /* count 1 reached, the flow complete */
    stop(&s);
}

static void test_connack_limits_v5(void **state)
{
    (void)state;
    struct srv s;
    start(&s, "5.0", "publish_retained",
          vars("client_id", S("c-3"), "topic", S("a"), "payload", S("kept"), "qos", I(2), NULL),
          NULL);
    pcs_value_free(expect(&s, "CONNECT"));
    struct pcs_value *props = vars("maximum_qos", I(1), "retain_available", I(0),
                                   "topic_alias_maximum", I(5), NULL);
    send_frame(&s, "CONNACK", "reason_code", I(0), "properties", props, NULL);
    struct pcs_value *f = expect(&s, "PUBLISH");
    assert_int_equal(gi(f, "qos"), 1);
    assert_int_equal(gi(f, "retain"), 0);
    assert_int_equal(gi(f, "properties.topic_alias"), 1);
    assert_string_equal(pcs_value_get_str(f, "topic"), "a");
    pcs_value_free(f);
    stop(&s);
}

static void test_fault_no_client_id(void **state)
{
    (void)state;
    struct srv s;
    start(&s, "5.0", "publish", vars("topic", S("a"), NULL), "client-no-client-id");
    struct pcs_diag d = {0};
    assert_null(recv_frame(&s, &d));
    assert_string_equal(d.rule, "MQTT-3.1.3-3");
    stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions_checked),
        cmocka_unit_test(test_publish_qos1_311),
        cmocka_unit_test(test_subscribe_acks_311),
        cmocka_unit_test(test_connack_limits_v5),
        cmocka_unit_test(test_fault_no_client_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
