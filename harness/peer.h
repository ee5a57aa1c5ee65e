/* peer.h — a virtual peer: one end of a connection that pcs plays (a client connecting to a
 * server under test, or a server a client under test connects to). It frames and decodes what
 * arrives into a queue of events, encodes what a spec sends, and reports every event to the
 * run through a callback (trace, always-on checks). The peer owns its fds, codec state, buffers
 * and queued events. */
#ifndef PCS_PEER_H
#define PCS_PEER_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "protocol.h"

enum pcs_event_kind { PCS_EV_FRAME, PCS_EV_MALFORMED, PCS_EV_CLOSED };

struct pcs_event {
    enum pcs_event_kind kind;
    pcs_time t;
    struct pcs_value *frame;     /* FRAME: decoded value (owned) */
    struct pcs_diag diag;        /* MALFORMED: what is wrong; CLOSED: "reset" or "" */
    size_t len;                  /* bytes on the wire */
};

struct pcs_peer;
/* Called for each event as it arrives (before it is queued) and for each frame sent
 * (sent = true, kind FRAME or MALFORMED for raw bytes that do not decode). */
typedef void (*pcs_peer_event_fn)(struct pcs_peer *p, const struct pcs_event *ev, bool sent,
                                  const uint8_t *bytes, size_t len, void *ud);

struct pcs_peer {
    char *name;
    const struct pcs_protocol *proto;
    const char *version;
    bool server;                 /* listens; the implementation under test is a client */
    enum pcs_dir out;            /* direction of what this peer sends */
    int listen_fd;
    uint16_t listen_port;
    int fd;                      /* -1 when not connected */
    bool connecting;
    bool eof;                    /* the connection closed (or was never opened) */
    bool stream_broken;          /* framing failed: later bytes are not decoded */
    void *st;                    /* codec state of the current connection */
    struct pcs_buf rx;
    struct pcs_event *q;
    size_t qhead, qlen, qcap;    /* queue: q[qhead .. qlen) */
    struct pcs_loop *loop;
    pcs_peer_event_fn on_event;
    void *ud;
    size_t connections;          /* opened so far */
};

struct pcs_peer *pcs_peer_new(const char *name, const struct pcs_protocol *proto,
                              const char *version, bool server, struct pcs_loop *loop,
                              pcs_peer_event_fn fn, void *ud);
void pcs_peer_free(struct pcs_peer *p);

/* Client peers: opens a new connection to host:port (closing any old one), waiting until it
 * is established or the deadline passes. Returns 0, PCS_ERR_IO (refused) or PCS_ERR_TIMEOUT. */
int pcs_peer_connect(struct pcs_peer *p, const char *host, uint16_t port, pcs_time deadline,
                     struct pcs_diag *d);
/* Server peers: listens on 127.0.0.1 (free port in listen_port); connections are accepted
 * by the loop. */
int pcs_peer_listen(struct pcs_peer *p, struct pcs_diag *d);
void pcs_peer_close(struct pcs_peer *p);
/* Writes bytes (all of them, or until the deadline). The bytes are also decoded to keep the
 * codec state in step and to report the frame. Returns 0 or PCS_ERR_CLOSED / PCS_ERR_TIMEOUT. */
int pcs_peer_send(struct pcs_peer *p, const uint8_t *bytes, size_t len, pcs_time deadline,
                  struct pcs_diag *d);
/* Encodes a frame value and sends it. PCS_ERR_INVALID when it cannot be encoded. */
int pcs_peer_send_frame(struct pcs_peer *p, const struct pcs_value *frame, pcs_time deadline,
                        struct pcs_diag *d);

/* Replays: a recorded connection instead of a socket. Empties the queue and counts a new
 * connection; `closed` says whether the recording ends with the implementation closing it. */
void pcs_peer_replay_begin(struct pcs_peer *p, bool closed);
/* Replays: queues a recorded event (the frame is copied), without reporting it. */
void pcs_peer_queue(struct pcs_peer *p, const struct pcs_event *ev);

/* The queue: events not consumed yet. peek(i) is the i-th unconsumed event or NULL. */
const struct pcs_event *pcs_peer_peek(const struct pcs_peer *p, size_t i);
void pcs_peer_pop(struct pcs_peer *p);   /* drops the first event */
/* true when no further events can arrive (closed, nothing queued, not listening). */
bool pcs_peer_done(const struct pcs_peer *p);

#endif
