/* peer.c — virtual peers: connect/listen, read → frame → decode → event queue, encode → write.
 * I/O is non-blocking on the run's loop; every wait is bounded by the caller's deadline. */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static void on_io(struct pcs_loop *l, int fd, short revents, void *ud);
static void on_accept(struct pcs_loop *l, int fd, short revents, void *ud);

struct pcs_peer *pcs_peer_new(const char *name, const struct pcs_protocol *proto,
                              const char *version, bool server, struct pcs_loop *loop,
                              pcs_peer_event_fn fn, void *ud)
{
    struct pcs_peer *p = pcs_xcalloc(1, sizeof *p);
    p->name = pcs_xstrdup(name);
    p->proto = proto;
    p->version = version;
    p->server = server;
    p->out = server ? PCS_DIR_S2C : PCS_DIR_C2S;
    p->fd = p->listen_fd = -1;
    p->eof = true;
    p->loop = loop;
    p->on_event = fn;
    p->ud = ud;
    p->st = pcs_xcalloc(1, proto->conn_state_size ? proto->conn_state_size : 1);
    return p;
}

static void reset_codec(struct pcs_peer *p)
{
    if (p->proto->conn_fini)
        p->proto->conn_fini(p->st);
    memset(p->st, 0, p->proto->conn_state_size);
    p->proto->conn_init(p->st, p->version);
}

static void enqueue(struct pcs_peer *p, const struct pcs_event *ev)
{
    if (p->qlen == p->qcap) {
        if (p->qhead > 0) {
            memmove(p->q, p->q + p->qhead, (p->qlen - p->qhead) * sizeof *p->q);
            p->qlen -= p->qhead;
            p->qhead = 0;
        }
        if (p->qlen == p->qcap) {
            p->qcap = p->qcap ? p->qcap * 2 : 16;
            p->q = pcs_xrealloc(p->q, p->qcap * sizeof *p->q);
        }
    }
    p->q[p->qlen++] = *ev;
}

static void push(struct pcs_peer *p, struct pcs_event *ev, const uint8_t *bytes, size_t len)
{
    if (p->on_event)
        p->on_event(p, ev, false, bytes, len, p->ud);
    enqueue(p, ev);
}

void pcs_peer_replay_begin(struct pcs_peer *p, bool closed)
{
    while (pcs_peer_peek(p, 0))
        pcs_peer_pop(p);
    p->fd = -1;
    p->eof = closed;
    p->connections++;
}

void pcs_peer_queue(struct pcs_peer *p, const struct pcs_event *ev)
{
    struct pcs_event copy = *ev;
    copy.frame = pcs_value_clone(ev->frame);
    enqueue(p, &copy);
}

static void closed(struct pcs_peer *p, const char *why)
{
    if (p->fd >= 0) {
        pcs_loop_unwatch(p->loop, p->fd);
        close(p->fd);
        p->fd = -1;
    }
    if (p->eof)
        return;
    p->eof = true;
    p->connecting = false;
    struct pcs_event ev = {.kind = PCS_EV_CLOSED, .t = pcs_now()};
    snprintf(ev.diag.msg, sizeof ev.diag.msg, "%s", why);
    push(p, &ev, NULL, 0);
}

void pcs_peer_close(struct pcs_peer *p)
{
    if (p->fd >= 0) {
        pcs_loop_unwatch(p->loop, p->fd);
        close(p->fd);
        p->fd = -1;
    }
    p->eof = true;
    p->connecting = false;
}

void pcs_peer_free(struct pcs_peer *p)
{
    if (!p)
        return;
    pcs_peer_close(p);
    if (p->listen_fd >= 0) {
        pcs_loop_unwatch(p->loop, p->listen_fd);
        close(p->listen_fd);
    }
    if (p->proto->conn_fini)
        p->proto->conn_fini(p->st);
    free(p->st);
    for (size_t i = p->qhead; i < p->qlen; i++)
        pcs_value_free(p->q[i].frame);
    free(p->q);
    pcs_buf_free(&p->rx);
    free(p->name);
    free(p);
}

static void attach(struct pcs_peer *p, int fd)
{
    pcs_peer_close(p);
    reset_codec(p);
    p->fd = fd;
    p->eof = false;
    p->stream_broken = false;
    p->rx.len = 0;
    p->connections++;
    pcs_loop_watch(p->loop, fd, POLLIN, on_io, p);
}

int pcs_peer_connect(struct pcs_peer *p, const char *host, uint16_t port, pcs_time deadline,
                     struct pcs_diag *d)
{
    int fd = pcs_net_connect(host, port);
    if (fd < 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "cannot connect to %s:%u", host, port);
    for (;;) {
        pcs_time now = pcs_now();
        if (now >= deadline) {
            close(fd);
            return pcs_diag_set(d, PCS_ERR_TIMEOUT, NULL, "connect to %s:%u timed out", host,
                                port);
        }
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        int r = poll(&pf, 1, (int)((deadline - now) / 1000000) + 1);
        if (r == 1)
            break;
    }
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
        close(fd);
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "connect to %s:%u: %s", host, port,
                            strerror(err));
    }
    attach(p, fd);
    return 0;
}

int pcs_peer_listen(struct pcs_peer *p, struct pcs_diag *d)
{
    p->listen_fd = pcs_net_listen("127.0.0.1", 0, &p->listen_port);
    if (p->listen_fd < 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "peer %s: cannot listen: %s", p->name,
                            strerror(errno));
    pcs_loop_watch(p->loop, p->listen_fd, POLLIN, on_accept, p);
    return 0;
}

static void on_accept(struct pcs_loop *l, int fd, short revents, void *ud)
{
    (void)l;
    (void)revents;
    struct pcs_peer *p = ud;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    /* frames go out as the steps send them: Nagle would hold a second one until the client's
     * delayed ACK of the first */
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    attach(p, c);
}

/* Frames and decodes everything complete in rx. */
static void decode_rx(struct pcs_peer *p)
{
    enum pcs_dir in = p->out == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    size_t off = 0;
    while (!p->stream_broken && off < p->rx.len) {
        struct pcs_event ev = {.kind = PCS_EV_FRAME, .t = pcs_now()};
        ssize_t n = p->proto->frame_length(p->st, p->rx.data + off, p->rx.len - off, &ev.diag);
        if (n == 0 || (n > 0 && (size_t)n > p->rx.len - off))
            break;
        if (n < 0) {
            ev.kind = PCS_EV_MALFORMED;
            ev.len = p->rx.len - off;
            p->stream_broken = true;
            push(p, &ev, p->rx.data + off, ev.len);
            off = p->rx.len;
            break;
        }
        ev.len = (size_t)n;
        if (p->proto->decode(p->st, in, p->rx.data + off, (size_t)n, &ev.frame, &ev.diag))
            ev.kind = PCS_EV_MALFORMED;
        push(p, &ev, p->rx.data + off, (size_t)n);
        off += (size_t)n;
    }
    pcs_buf_consume(&p->rx, off);
}

static void on_io(struct pcs_loop *l, int fd, short revents, void *ud)
{
    (void)l;
    (void)fd;
    struct pcs_peer *p = ud;
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    for (int rounds = 0; rounds < 16; rounds++) {
        pcs_buf_reserve(&p->rx, 65536);
        ssize_t n = recv(p->fd, p->rx.data + p->rx.len, 65536, 0);
        if (n > 0) {
            /* ACK at once: a target that leaves Nagle on (Mosquitto) would otherwise hold
             * its next small write until our delayed ACK, 40 ms later. Not sticky: every read. */
            int one = 1;
            setsockopt(p->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            if (!p->stream_broken)
                p->rx.len += (size_t)n;
            decode_rx(p);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        closed(p, n == 0 ? "" : errno == ECONNRESET ? "reset" : strerror(errno));
        return;
    }
}

/* Reports each frame in bytes as sent and keeps the codec state in step with what we sent;
 * bytes that do not frame or decode (send_raw) are reported as one malformed event. */
static void report_sent(struct pcs_peer *p, const uint8_t *bytes, size_t len)
{
    size_t off = 0;
    while (off < len) {
        struct pcs_event ev = {.kind = PCS_EV_FRAME, .t = pcs_now()};
        ssize_t n = p->proto->frame_length(p->st, bytes + off, len - off, &ev.diag);
        if (n <= 0 || (size_t)n > len - off ||
            p->proto->decode(p->st, p->out, bytes + off, (size_t)n, &ev.frame, &ev.diag)) {
            ev.kind = PCS_EV_MALFORMED;
            n = (ssize_t)(len - off);
        }
        ev.len = (size_t)n;
        if (p->on_event)
            p->on_event(p, &ev, true, bytes + off, (size_t)n, p->ud);
        pcs_value_free(ev.frame);
        off += (size_t)n;
    }
}

int pcs_peer_send(struct pcs_peer *p, const uint8_t *bytes, size_t len, pcs_time deadline,
                  struct pcs_diag *d)
{
    report_sent(p, bytes, len);
    if (p->fd < 0)
        return pcs_diag_set(d, PCS_ERR_CLOSED, NULL, "peer %s is not connected", p->name);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(p->fd, bytes + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            pcs_time now = pcs_now();
            if (now >= deadline)
                return pcs_diag_set(d, PCS_ERR_TIMEOUT, NULL, "send blocked until deadline");
            struct pollfd pf = {.fd = p->fd, .events = POLLOUT};
            poll(&pf, 1, (int)((deadline - now) / 1000000) + 1);
            continue;
        }
        int e = errno;
        /* the target closed: what it sent before closing is still to be read */
        on_io(p->loop, p->fd, POLLIN, p);
        if (p->fd >= 0)
            closed(p, e == ECONNRESET ? "reset" : strerror(e));
        return pcs_diag_set(d, PCS_ERR_CLOSED, NULL, "send: %s", strerror(e));
    }
    return 0;
}

int pcs_peer_send_frame(struct pcs_peer *p, const struct pcs_value *frame, pcs_time deadline,
                        struct pcs_diag *d)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    int rc = p->proto->encode(p->st, p->out, frame, &b, d);
    if (rc == 0)
        rc = pcs_peer_send(p, b.data, b.len, deadline, d);
    else if (rc != PCS_ERR_NOMEM)
        rc = PCS_ERR_INVALID;
    pcs_buf_free(&b);
    return rc;
}

const struct pcs_event *pcs_peer_peek(const struct pcs_peer *p, size_t i)
{
    return p->qhead + i < p->qlen ? &p->q[p->qhead + i] : NULL;
}

void pcs_peer_pop(struct pcs_peer *p)
{
    if (p->qhead < p->qlen)
        pcs_value_free(p->q[p->qhead++].frame);
    if (p->qhead == p->qlen)
        p->qhead = p->qlen = 0;
}

bool pcs_peer_done(const struct pcs_peer *p)
{
    return p->qhead == p->qlen && p->eof && p->listen_fd < 0;
}
