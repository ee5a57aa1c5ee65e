/* client.c — the MQTT stub client's lifecycle and its one poll() loop: reads the action's vars,
 * connects to the server, frames and decodes what arrives (client_flow.c acts on it), queues
 * and flushes what it sends, and runs the timers. Only client_stop may be called from another
 * thread. The client owns its socket, buffers and codec state; see client.h. */
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
#include <unistd.h>

const char *const pcs_mqc_actions[] = {
    [A_PUBLISH] = "publish",
    [A_PUBLISH_RETAINED] = "publish_retained",
    [A_PUBLISH_WILL] = "publish_will",
    [A_PUBLISH_LOGIN] = "publish_login",
    [A_PUBLISH_MANY] = "publish_many",
    [A_SUBSCRIBE] = "subscribe",
    [A_SUBSCRIBE_KEEPALIVE] = "subscribe_keepalive",
    [A_UNSUBSCRIBE] = "unsubscribe",
    NULL,
};

void pcs_mqc_log(const struct pcs_stub_client *c, const char *fmt, ...)
{
    if (!c->verbose)
        return;
    char who[48];
    snprintf(who, sizeof who, " client %s", pcs_mqc_actions[c->act]);
    va_list ap;
    va_start(ap, fmt);
    pcs_mqb_vlog(who, fmt, ap);
    va_end(ap);
}

bool pcs_mqc_fault(const struct pcs_stub_client *c, enum pcs_mqb_fault f)
{
    return pcs_mqb_fault_on(c->fault, c->ver, f);
}

/* ---- the action's vars ---- */

/* A var as text (an int is written out), or NULL when absent. */
static char *var_str(const struct pcs_value *vars, const char *key)
{
    const struct pcs_value *v = pcs_value_get(vars, key);
    if (!v)
        return NULL;
    if (v->type == PCS_V_STR || v->type == PCS_V_BYTES)
        return pcs_xstrndup(v->u.s.p, v->u.s.len);
    if (v->type == PCS_V_INT)
        return pcs_xasprintf("%lld", (long long)v->u.i);
    return NULL;
}

/* A var as an int (a string of digits is read), dflt when absent; -1 when not a number. */
static int64_t var_int(const struct pcs_value *vars, const char *key, int64_t dflt)
{
    const struct pcs_value *v = pcs_value_get(vars, key);
    if (!v)
        return dflt;
    if (v->type == PCS_V_INT)
        return v->u.i;
    if (v->type != PCS_V_STR || !v->u.s.len)
        return -1;
    char *end = NULL;
    long long n = strtoll(v->u.s.p, &end, 10);
    return *end ? -1 : n;
}

static int read_vars(struct pcs_stub_client *c, const struct pcs_value *vars, struct pcs_diag *d)
{
    c->client_id = var_str(vars, "client_id");
    c->topic = var_str(vars, "topic");
    c->payload = var_str(vars, "payload");
    c->will_topic = var_str(vars, "will_topic");
    c->will_payload = var_str(vars, "will_payload");
    c->username = var_str(vars, "username");
    c->password = var_str(vars, "password");
    int64_t qos = var_int(vars, "qos", 0);
    int64_t count = var_int(vars, "count", c->act == A_PUBLISH_MANY ? 1 : 0);
    int64_t ka = var_int(vars, "keepalive", PCS_MQC_KEEP_ALIVE);
    const char *bad = !c->topic                                           ? "a 'topic'"
                      : qos < 0 || qos > 2                                ? "'qos' 0, 1 or 2"
                      : count < 0                                         ? "a 'count' >= 0"
                      : ka < 0 || ka > 65535                              ? "'keepalive' 0..65535"
                      : c->act == A_PUBLISH_WILL && !c->will_topic        ? "a 'will_topic'"
                      : c->act == A_PUBLISH_LOGIN && !c->username         ? "a 'username'"
                                                                          : NULL;
    if (bad)
        return pcs_diag_set(d, PCS_ERR_INVALID, NULL, "stub mqtt client: %s needs %s",
                            pcs_mqc_actions[c->act], bad);
    if (!c->client_id)
        c->client_id = pcs_xstrdup("pcs-stub-client");
    if (!c->payload)
        c->payload = pcs_xstrdup("");
    if (c->act == A_PUBLISH_WILL && !c->will_payload)
        c->will_payload = pcs_xstrdup("");
    c->qos = c->act == A_PUBLISH_WILL ? 0 : (int)qos;
    c->count = c->act == A_PUBLISH_MANY || c->act == A_SUBSCRIBE ? count : 1;
    c->keep_alive = c->act == A_SUBSCRIBE_KEEPALIVE ? (int)ka : PCS_MQC_KEEP_ALIVE;
    return 0;
}

/* ---- sending ---- */

static void flush(struct pcs_stub_client *c)
{
    if (c->fd < 0 || pcs_mqb_write_some(c->fd, &c->wbuf) == 0)
        return;
    pcs_mqc_log(c, "write failed: %s", strerror(errno));
    c->state = CL_DONE;
}

void pcs_mqc_send_raw(struct pcs_stub_client *c, const void *p, size_t n)
{
    pcs_buf_append(&c->wbuf, p, n);
    c->last_tx = c->now;
    flush(c);
}

int pcs_mqc_send(struct pcs_stub_client *c, struct pcs_value *frame)
{
    struct pcs_buf out;
    struct pcs_diag d = {0};
    pcs_buf_init(&out);
    int rc = c->proto->encode(c->codec, PCS_DIR_C2S, frame, &out, &d);
    const char *type = pcs_value_get_str(frame, "type");
    if (rc < 0) {
        pcs_mqc_log(c, "cannot encode %s: %s", type ? type : "?", d.msg);
    } else if (type && strcmp(type, "PUBLISH") == 0 && c->max_packet && out.len > c->max_packet &&
               !pcs_mqc_fault(c, F_CL_PACKET_TOO_LARGE_V5)) {
        pcs_mqc_log(c, "PUBLISH of %zu bytes not sent: server maximum_packet_size %u", out.len,
                    c->max_packet);
        rc = 1;
    } else {
        pcs_mqc_log(c, "> %s", type ? type : "?");
        pcs_mqc_send_raw(c, out.data, out.len);
    }
    pcs_buf_free(&out);
    pcs_value_free(frame);
    return rc;
}

void pcs_mqc_disconnect(struct pcs_stub_client *c)
{
    pcs_mqc_send(c, pcs_mqb_frame("DISCONNECT"));
    if (pcs_mqc_fault(c, F_CL_PACKET_AFTER_DISCONNECT_V5))
        pcs_mqc_send(c, pcs_mqb_frame("PINGREQ"));       /* the fault: MQTT-3.14.4-2 / -1 */
    c->linger_until = c->now + PCS_MQC_LINGER_MS;
    c->state = CL_LINGER;
    if (pcs_mqc_fault(c, F_CL_NO_CLOSE_AFTER_DISCONNECT_V5)) {
        c->linger_until = PCS_MQB_NEVER;                  /* the fault: open until stopped */
        return;
    }
    flush(c);
    shutdown(c->fd, SHUT_WR);   /* then wait for the server's close: nothing is lost to a reset */
}

/* ---- receiving ---- */

static void process_input(struct pcs_stub_client *c)
{
    while (c->state != CL_DONE && c->rbuf.len > 0) {
        struct pcs_diag d = {0};
        ssize_t n = c->proto->frame_length(c->codec, c->rbuf.data, c->rbuf.len, &d);
        if (n == 0 || (n > 0 && (size_t)n > c->rbuf.len))
            return;
        struct pcs_value *f = NULL;
        if (n < 0 || c->proto->decode(c->codec, PCS_DIR_S2C, c->rbuf.data, (size_t)n, &f, &d)) {
            pcs_mqc_log(c, "malformed packet from the server: %s", d.msg);
            c->state = CL_DONE;
            return;
        }
        pcs_buf_consume(&c->rbuf, (size_t)n);
        pcs_mqc_log(c, "< %s", pcs_value_get_str(f, "type"));
        if (c->state != CL_LINGER)
            pcs_mqc_on_frame(c, f);
        pcs_value_free(f);
    }
}

static void on_readable(struct pcs_stub_client *c)
{
    uint8_t tmp[16384];
    for (int i = 0; i < 64 && c->state != CL_DONE; i++) {
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) {
            pcs_buf_append(&c->rbuf, tmp, (size_t)n);
            process_input(c);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        pcs_mqc_log(c, n == 0 ? "the server closed" : "read failed");
        c->state = CL_DONE;
    }
}

/* ---- the loop ---- */

static int connect_to(struct pcs_stub_client *c)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", c->port);
    if (getaddrinfo(c->host, port, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            c->fd = fd;
        else if (fd >= 0)
            close(fd);
    }
    freeaddrinfo(res);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

static void poll_once(struct pcs_stub_client *c, int64_t next)
{
    struct pollfd pfd[2] = {
        {.fd = c->pipe_rd, .events = POLLIN},
        {.fd = c->fd, .events = (short)(POLLIN | (c->wbuf.len ? POLLOUT : 0))},
    };
    int64_t wait = next - pcs_mqb_now_ms();
    if (wait < 0)
        wait = 0;
    if (wait > 1000)
        wait = 1000;
    if (poll(pfd, 2, (int)wait) <= 0 || pfd[0].revents)
        return;
    c->now = pcs_mqb_now_ms();
    if (pfd[1].revents & POLLOUT)
        flush(c);
    if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
        on_readable(c);
}

int pcs_mqc_run(struct pcs_stub_client *c)
{
    c->now = pcs_mqb_now_ms();
    if (connect_to(c) < 0) {
        pcs_mqc_log(c, "cannot connect to %s:%u", c->host, c->port);
        return PCS_ERR_IO;
    }
    pcs_mqc_connect(c);
    while (!c->stopping && c->state != CL_DONE) {
        c->now = pcs_mqb_now_ms();
        int64_t next = c->now + 1000;
        pcs_mqc_timers(c, &next);
        if (c->state == CL_LINGER && c->now >= c->linger_until)
            c->state = CL_DONE;
        else if (c->state == CL_LINGER && c->linger_until < next)
            next = c->linger_until;
        if (c->state != CL_DONE)
            poll_once(c, next);
    }
    return 0;
}

/* ---- the kind's functions ---- */

void pcs_mqc_destroy(struct pcs_stub_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    close(c->pipe_rd);
    close(c->pipe_wr);
    if (c->codec)
        c->proto->conn_fini(c->codec);
    free(c->codec);
    pcs_buf_free(&c->rbuf);
    pcs_buf_free(&c->wbuf);
    pcs_value_free(c->held);
    free(c->client_id);
    free(c->topic);
    free(c->payload);
    free(c->will_topic);
    free(c->will_payload);
    free(c->username);
    free(c->password);
    free(c->host);
    free(c);
}

int pcs_mqc_create(const struct pcs_stub_action *a, struct pcs_stub_client **out,
                   struct pcs_diag *d)
{
    const struct pcs_protocol *proto = pcs_protocol_find("mqtt");
    if (!proto)
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "stub mqtt: no mqtt codec in this build");
    int act = -1;
    for (int i = 0; pcs_mqc_actions[i] && act < 0; i++)
        if (a->name && strcmp(a->name, pcs_mqc_actions[i]) == 0)
            act = i;
    if (act < 0)
        return pcs_diag_set(d, PCS_ERR_INVALID, NULL, "stub mqtt client: unknown action '%s'",
                            a->name ? a->name : "");
    int fault = F_NONE;
    if (a->fault && a->fault[0] && (fault = pcs_mqb_fault_lookup(a->fault)) < 0)
        return pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "stub mqtt: unknown fault '%s'", a->fault);
    bool v5 = a->version && strcmp(a->version, "5.0") == 0;
    if (a->version && !v5 && strcmp(a->version, "3.1.1") != 0)
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "stub mqtt client: no version %s",
                            a->version);
    struct pcs_stub_client *c = pcs_xcalloc(1, sizeof *c);
    c->proto = proto;
    c->fault = fault;
    c->ver = v5 ? PCS_MQB_V5 : PCS_MQB_V311;
    c->verbose = a->verbose;
    c->act = (enum pcs_mqc_action)act;
    c->fd = c->pipe_rd = c->pipe_wr = -1;
    c->host = pcs_xstrdup(a->host && a->host[0] ? a->host : "127.0.0.1");
    c->port = a->port;
    pcs_buf_init(&c->rbuf);
    pcs_buf_init(&c->wbuf);
    int p[2];
    int rc = read_vars(c, a->vars, d);
    if (rc == 0 && pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "stub mqtt client: pipe: %s", strerror(errno));
    if (rc < 0) {
        pcs_mqc_destroy(c);
        return rc;
    }
    c->pipe_rd = p[0];
    c->pipe_wr = p[1];
    c->codec = pcs_xcalloc(1, proto->conn_state_size ? proto->conn_state_size : 1);
    proto->conn_init(c->codec, v5 ? "5.0" : "3.1.1");
    *out = c;
    return 0;
}


void pcs_mqc_stop(struct pcs_stub_client *c)
{
    c->stopping = 1;
    ssize_t r = write(c->pipe_wr, "x", 1);
    (void)r;
}

