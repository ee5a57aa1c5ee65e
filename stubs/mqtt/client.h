/* client.h — the built-in MQTT 3.1.1/5.0 client (the stub's client side) and the state its
 * files share: client.c (lifecycle, the one poll() loop, frame I/O), client_connect.c (the
 * CONNECT packet) and client_flow.c (what each action does with the packets it gets). One
 * struct pcs_stub_client per invoked action, owned by its thread; it owns every string and
 * buffer in it. Faults are the `client-*` entries of faults.c. Not a production client: one
 * connection, no TLS, no session resumption, no retransmission. */
#ifndef PCS_STUBS_MQTT_CLIENT_H
#define PCS_STUBS_MQTT_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

#define PCS_MQC_INFLIGHT 64            /* QoS>0 PUBLISHes outstanding at most (and in 3.1.1) */
#define PCS_MQC_QOS2_IN 64             /* inbound QoS 2 ids awaiting PUBREL */
#define PCS_MQC_KEEP_ALIVE 60          /* seconds, for actions that do not name one */
#define PCS_MQC_LINGER_MS 2000         /* after DISCONNECT: wait this long for the server's close */
#define PCS_MQC_HOLD_MS 300            /* *-out-of-order faults: how long an ack is held back */

enum pcs_mqc_action {
    A_PUBLISH,
    A_PUBLISH_RETAINED,
    A_PUBLISH_WILL,
    A_PUBLISH_LOGIN,
    A_PUBLISH_MANY,
    A_SUBSCRIBE,
    A_SUBSCRIBE_KEEPALIVE,
    A_UNSUBSCRIBE,
};

enum pcs_mqc_state {
    CL_WAIT_CONNACK,    /* CONNECT sent */
    CL_ACTIVE,          /* performing the action */
    CL_LINGER,          /* DISCONNECT sent and our side shut: waiting for the server's close */
    CL_DONE,            /* finished: the loop ends */
};

/* A QoS>0 PUBLISH we sent, not yet acknowledged. */
struct pcs_mqc_inflight {
    uint16_t id;
    bool qos2, released;       /* released: PUBREC came, PUBREL sent */
};

struct pcs_stub_client {
    const struct pcs_protocol *proto;   /* the mqtt codec */
    int fault;                          /* index into pcs_mqb_faults, F_NONE = none */
    int ver;                            /* PCS_MQB_V311 / PCS_MQB_V5 */
    int verbose;
    enum pcs_mqc_action act;
    /* the action's vars (owned) */
    char *client_id, *topic, *payload, *will_topic, *will_payload, *username, *password;
    int qos;
    int64_t count;                      /* messages to send / to receive (0 = no limit) */
    int keep_alive;                     /* seconds, sent in CONNECT */
    char *host;
    uint16_t port;
    /* I/O */
    int fd;
    int pipe_rd, pipe_wr;               /* self-pipe for stop() */
    volatile sig_atomic_t stopping;
    void *codec;                        /* the codec's per-connection state */
    struct pcs_buf rbuf, wbuf;
    enum pcs_mqc_state state;
    int64_t now, last_tx, linger_until; /* monotonic ms */
    int64_t keep_alive_ms;              /* in force: ours, or the server's (5.0) */
    /* what the server announced in CONNACK */
    int max_qos;
    bool retain_ok;
    uint32_t max_packet;                /* 0 = no limit */
    uint32_t recv_max;
    uint16_t alias_max;
    /* publishing */
    int64_t sent, finished;             /* messages sent; acknowledged (or QoS 0, or dropped) */
    uint16_t next_id;
    bool alias_known;                   /* the server has our alias for the topic */
    struct pcs_mqc_inflight inflight[PCS_MQC_INFLIGHT];
    size_t ninflight;
    /* subscribing */
    int64_t received;
    uint16_t qos2_in[PCS_MQC_QOS2_IN];
    size_t nqos2_in;
    uint16_t sub_id, unsub_id;
    bool subacked, unsubacked;
    /* *-out-of-order faults: one acknowledgement held back until held_until */
    struct pcs_value *held;
    int64_t held_until;
};

/* client.c: the client side of pcs_mqtt_stub (see struct pcs_stub_kind in stub.h) */
extern const char *const pcs_mqc_actions[];   /* indexed by enum pcs_mqc_action, NULL-ended */
int pcs_mqc_create(const struct pcs_stub_action *a, struct pcs_stub_client **out,
                   struct pcs_diag *d);
int pcs_mqc_run(struct pcs_stub_client *c);
void pcs_mqc_stop(struct pcs_stub_client *c);
void pcs_mqc_destroy(struct pcs_stub_client *c);
/* Is fault f (or its 3.1.1 twin) active on this client's version? */
bool pcs_mqc_fault(const struct pcs_stub_client *c, enum pcs_mqb_fault f);
/* Encodes frame (consumed) and queues it; 0 or a negative pcs_err. A PUBLISH larger than the
 * server's Maximum Packet Size is not sent (MQTT-3.2.2-15): returns 1. */
int pcs_mqc_send(struct pcs_stub_client *c, struct pcs_value *frame);
/* Queues bytes as they are (a packet a fault has rewritten). */
void pcs_mqc_send_raw(struct pcs_stub_client *c, const void *p, size_t n);
/* Sends DISCONNECT and closes our side (the disconnect faults bend this). */
void pcs_mqc_disconnect(struct pcs_stub_client *c);
void pcs_mqc_log(const struct pcs_stub_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* client_connect.c: sends CONNECT (and, for a fault, what comes before it). */
void pcs_mqc_connect(struct pcs_stub_client *c);

/* client_flow.c */
void pcs_mqc_on_frame(struct pcs_stub_client *c, const struct pcs_value *f);
/* Timers: keep alive and held acks. *next gets the earliest time something is due. */
void pcs_mqc_timers(struct pcs_stub_client *c, int64_t *next);
/* A copy of s with its first byte replaced by 0xFF, which never occurs in UTF-8. */
char *pcs_mqc_bad_utf8(const char *s);

#endif
