/* broker.h — the built-in MQTT 3.1.1/5.0 broker (stub) and the state its files share: broker.c
 * (loop, I/O), connect.c, publish.c, subscribe.c, session.c, topic.c and faults.c. Frames go
 * through the mqtt codec's vtable only. Everything lives in one struct pcs_stub (no globals);
 * each struct says what it owns. Not a production broker: no TLS, auth or persistence. */
#ifndef PCS_STUBS_MQTT_BROKER_H
#define PCS_STUBS_MQTT_BROKER_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"
#include "stub.h"
#include "value.h"

extern const struct pcs_stub_kind pcs_mqtt_stub;

#define PCS_MQB_MAX_CONNS 1024
#define PCS_MQB_MAX_PACKET (1u << 20)      /* largest inbound packet; announced in 5.0 CONNACK */
#define PCS_MQB_MAX_WBUF (8u << 20)        /* a client this far behind is dropped */
#define PCS_MQB_MAX_QUEUE 10000            /* queued messages per session, newer dropped */
#define PCS_MQB_MAX_SESSIONS 4096          /* more: CONNACK server unavailable / server busy */
#define PCS_MQB_MAX_SUBS 1000              /* per session; more: SUBACK failure / quota exceeded */
#define PCS_MQB_MAX_RETAINED 10000         /* retained topics; more are not stored */
#define PCS_MQB_TOPIC_ALIAS_MAX 10         /* announced in CONNACK */
#define PCS_MQB_CONNECT_WAIT_MS 10000      /* time allowed between accept and CONNECT */
#define PCS_MQB_LINGER_MS 2000             /* drain time after our last bytes before close */
#define PCS_MQB_NEVER INT64_MAX

enum { PCS_MQB_V311 = 0, PCS_MQB_V5 = 1 };    /* = the codec's version index */

/* Faults: the enum indexes pcs_mqb_faults[] (faults.c); F_NONE = no fault. */
enum pcs_mqb_fault {
    F_NONE = -1,
    F_CONNACK_NOT_FIRST = 0,
    F_SESSION_PRESENT_ON_CLEAN,
    F_SESSION_PRESENT_ON_CLEAN_V5,
    F_SESSION_NOT_RESUMED,
    F_SESSION_NOT_RESUMED_V5,
    F_ACCEPT_BAD_PROTOCOL_LEVEL,
    F_ACCEPT_BAD_PROTOCOL_NAME,
    F_ACCEPT_SECOND_CONNECT,
    F_ACCEPT_RESERVED_FLAG,
    F_ACCEPT_EMPTY_CLIENT_ID,
    F_NO_ASSIGNED_CLIENT_ID,
    F_PUBACK_WRONG_ID,
    F_PUBACK_WRONG_ID_V5,
    F_NO_PUBACK,
    F_NO_PUBREC,
    F_NO_PUBCOMP,
    F_NO_PUBCOMP_V5,
    F_PUBREL_BAD_FLAGS,
    F_SUBACK_WRONG_COUNT,
    F_SUBACK_WRONG_COUNT_V5,
    F_SUBACK_WRONG_ID,
    F_UNSUBACK_WRONG_ID,
    F_UNSUBACK_WRONG_ID_V5,
    F_NO_PINGRESP,
    F_RETAIN_NOT_STORED,
    F_RETAIN_FLAG_ON_LIVE,
    F_RETAIN_FLAG_ON_LIVE_V5,
    F_RETAIN_NOT_CLEARED,
    F_RETAIN_NOT_CLEARED_V5,
    F_WILL_NOT_SENT,
    F_WILL_SENT_AFTER_DISCONNECT,
    F_WILL_RETAIN_IGNORED,
    F_WILL_RETAIN_IGNORED_V5,
    F_KEEPALIVE_NOT_ENFORCED,
    F_KEEPALIVE_NOT_ENFORCED_V5,
    F_ACCEPT_MALFORMED_SUBSCRIBE,
    F_ACCEPT_WILDCARD_TOPIC_PUBLISH,
    F_OUTBOUND_PACKET_ID_ZERO,
    F_OUTBOUND_PACKET_ID_ZERO_V5,
    F_QOS_NOT_DOWNGRADED,
    F_QOS_NOT_DOWNGRADED_V5,
    F_PLUS_MATCHES_MULTIPLE_LEVELS,
    F_HASH_MATCHES_DOLLAR_TOPICS,
    F_UNSUBSCRIBE_IGNORED,
    F_OUT_OF_ORDER_DELIVERY,
    F_OUT_OF_ORDER_DELIVERY_V5,
    F_NO_REDELIVERY_DUP,
    F_QOS0_WITH_PACKET_ID,
    F_QOS0_WITH_PACKET_ID_V5,
    F_DUP_COPIED,
    F_QOS2_DUPLICATE_DELIVERY,
    F_QOS2_DUPLICATE_DELIVERY_V5,
    F_TOPIC_ALIAS_IGNORED,
    F_ACCEPT_TOPIC_ALIAS_ZERO,
    F_NO_SUBSCRIPTION_IDENTIFIER,
    F_NO_LOCAL_IGNORED,
    F_RETAIN_AS_PUBLISHED_IGNORED,
    F_RETAIN_HANDLING_IGNORED,
    F_WILL_DELAY_IGNORED,
    F_MESSAGE_EXPIRY_IGNORED,
    F_MESSAGE_EXPIRY_NOT_ADJUSTED,
    F_USER_PROPERTY_REORDERED,
    F_DISCONNECT_WRONG_REASON,
    F_RECEIVE_MAXIMUM_IGNORED,
    F_PACKET_TOO_LARGE_SENT,
    F_SESSION_EXPIRY_IGNORED,
    F_CONNACK_REASON_WITH_SESSION_PRESENT,
    F_NO_TAKEOVER_DISCONNECT_V5,
    F_ACCEPT_BAD_AUTH_METHOD,
    F_ACCEPT_NULL_CHAR,
    F_ACCEPT_NULL_CHAR_V5,
    F_ACCEPT_ILL_FORMED_UTF8,
    F_ACCEPT_ILL_FORMED_UTF8_V5,
    F_TAKEOVER_IGNORED,
    F_TAKEOVER_IGNORED_V5,
    F_ACCEPT_MALFORMED_UNSUBSCRIBE,
    F_ACCEPT_QOS3_PUBLISH,
    F_ACCEPT_MALFORMED_PUBREL,
    F_HASH_NOT_MULTI_LEVEL,
    F_HASH_NOT_MULTI_LEVEL_V5,
    F_ACCEPT_BAD_REMAINING_LENGTH,
    F_ACCEPT_BAD_REMAINING_LENGTH_V5,
    F_CONTENT_TYPE_NOT_FORWARDED,
    F_VBI_NOT_MINIMAL_V5,
    F_PINGRESP_BAD_FLAGS_V5,
    F_CONNACK_NO_PROPERTY_LENGTH_V5,
    F_CONNACK_RESERVED_BITS_V5,
    F_CONNACK_TWICE_V5,
    F_CONNACK_UNDEFINED_REASON_V5,
    F_REFUSED_KEPT_OPEN_V5,
    F_DISCONNECT_BEFORE_CONNACK_V5,
    F_CONNACK_ACCEPT_NONZERO_V5,
    F_PUBACK_UNDEFINED_REASON_V5,
    F_PUBREC_UNDEFINED_REASON_V5,
    F_PUBREL_UNDEFINED_REASON_V5,
    F_PUBCOMP_UNDEFINED_REASON_V5,
    F_SUBACK_UNDEFINED_REASON_V5,
    F_UNSUBACK_UNDEFINED_REASON_V5,
    F_UNSUBACK_REVERSED_V5,
    F_DISCONNECT_UNDEFINED_REASON_V5,
    F_DISCONNECT_SESSION_EXPIRY_V5,
    F_SENDS_AFTER_DISCONNECT_V5,
    F_DISCONNECT_WITHOUT_CLOSE_V5,
    F_QOS0_DUP_SET_V5,
    F_ACCEPT_MISPLACED_HASH_V5,
    F_ACCEPT_MISPLACED_PLUS_V5,
    F_ACCEPT_EMPTY_SHARE_NAME_V5,
    F_ACCEPT_BAD_SHARE_NAME_V5,
    F_ACCEPT_SHARED_NO_LOCAL_V5,
    F_ACCEPT_SUBSCRIBE_RESERVED_BITS_V5,
    F_ACCEPT_EMPTY_SUBSCRIBE_V5,
    F_ACCEPT_EMPTY_UNSUBSCRIBE_V5,
    F_NO_SUBACK_V5,
    F_NO_UNSUBACK_V5,
    F_SUBSCRIPTION_NOT_REPLACED_V5,
    F_RETAINED_NOT_RESENT_ON_REPLACE_V5,
    F_ONLY_FIRST_FILTER_SUBSCRIBED_V5,
    F_SUBACK_UNDERSTATES_QOS_V5,
    F_SUBACK_REFUSES_QOS2_V5,
    F_UNSUBSCRIBE_MATCHES_WILDCARD_V5,
    F_ONLY_FIRST_FILTER_UNSUBSCRIBED_V5,
    F_UNSUBSCRIBE_DROPS_INFLIGHT_V5,
    F_EMPTY_RETAINED_STORED_V5,
    F_NON_RETAINED_REPLACES_RETAINED_V5,
    F_RETAIN_HANDLING_0_IGNORED_V5,
    F_RETAIN_HANDLING_1_IGNORED_V5,
    F_USER_PROPERTY_DROPPED_V5,
    F_ACCEPT_ILL_FORMED_PAIR_V5,
    F_ACCEPT_EMPTY_TOPIC_V5,
    F_ACCEPT_NULL_IN_TOPIC_V5,
    F_TOPIC_MATCH_SUBSTITUTES_V5,
    F_TOPIC_ALIAS_KEPT_V5,
    F_SERVER_TOPIC_ALIAS_ZERO_V5,
    F_SERVER_TOPIC_ALIAS_ABOVE_MAX_V5,
    F_SERVER_TOPIC_ALIAS_UNREQUESTED_V5,
    F_PACKET_ID_REUSED_V5,
    F_PUBACK_ANY_ID_V5,
    F_QOS1_DUP_SUPPRESSED_V5,
    F_QOS2_ID_NOT_RELEASED_V5,
    F_PUBREL_NOT_RESENT_V5,
    F_PUBLISH_RESENT_AFTER_PUBREL_V5,
    F_PUBREC_ANY_ID_V5,
    F_REDELIVERY_NEW_PACKET_ID_V5,
    F_ERROR_PUBACK_REDELIVERED_V5,
    F_QUOTA_RELEASED_ON_PUBREC_V5,
    F_SEND_QUOTA_ONE_SHORT_V5,
    F_QUOTA_BLOCKS_CONTROL_V5,
    F_TOO_LARGE_KEPT_IN_FLIGHT_V5,
    F_CLEAN_START_KEEPS_SUBS_V5,
    F_CLEAN_START_KEEPS_QUEUE_V5,
    F_NO_SESSION_CREATED_V5,
    F_WILL_RETAIN_FORCED_V5,
    F_WILL_USER_PROPERTY_REORDERED_V5,
    F_WILL_KEPT_AFTER_PUBLISH_V5,
    F_WILL_PROPERTIES_DROPPED_V5,
    F_ACCEPT_MALFORMED_CONNECT_V5,
    F_PROCESS_AFTER_REFUSAL_V5,
    F_CLIENT_ID_CASE_INSENSITIVE_V5,
    F_REJECT_LONG_CLIENT_ID_V5,
    F_ASSIGNED_CLIENT_ID_REUSED_V5,
    F_ASSIGNED_CLIENT_ID_MISMATCH_V5,
    F_RESPONSE_INFO_UNREQUESTED_V5,
    F_REASON_STRING_UNREQUESTED_V5,
    F_AUTH_METHOD_UNREQUESTED_V5,
    F_BOM_STRIPPED_V5,
    F_SHARED_REFUSED_REDELIVERED_V5,
    F_SHARED_INFLIGHT_DROPPED_V5,
    F_SHARED_INFLIGHT_REROUTED_V5,
    /* 3.1.1 faults (plain names act on 3.1.1 connections only) */
    F_BOM_STRIPPED,
    F_PINGRESP_BAD_FLAGS,
    F_ACCEPT_BAD_PINGREQ_FLAGS,
    F_PACKET_ID_REUSED,
    F_CLEAN_SESSION_KEEPS_SUBS,
    F_RETAINED_DROPPED_WITH_SESSION,
    F_WILL_KEPT_AFTER_PUBLISH,
    F_WILL_KEPT_ACROSS_CONNECTIONS,
    F_WILL_RETAIN_FORCED,
    F_CLIENT_ID_CASE_INSENSITIVE,
    F_REJECT_LONG_CLIENT_ID,
    F_ASSIGNED_CLIENT_ID_REUSED,
    F_ID_REJECTED_KEPT_OPEN,
    F_ACCEPT_PASSWORD_WITHOUT_USERNAME,
    F_CLEAN_SESSION_KEEPS_QUEUE,
    F_CONNACK_ACCEPT_NONZERO,
    F_PROCESS_AFTER_REFUSAL,
    F_SESSION_PRESENT_ON_REFUSAL,
    F_UNSUPPORTED_LEVEL_KEPT_OPEN,
    F_CONNACK_ON_MALFORMED_CONNECT,
    F_QOS0_DUP_SET,
    F_RETAINED_FIRST_MATCH_ONLY,
    F_RETAINED_KEPT_ON_QOS0,
    F_EMPTY_RETAINED_STORED,
    F_NON_RETAINED_REPLACES_RETAINED,
    F_UNAUTHORIZED_PUBLISH_UNACKED,
    F_ACCEPT_BAD_SUBSCRIBE_OPTIONS,
    F_ACCEPT_EMPTY_SUBSCRIBE,
    F_NO_SUBACK,
    F_RETAINED_NOT_RESENT_ON_REPLACE,
    F_ONLY_FIRST_FILTER_SUBSCRIBED,
    F_SUBACK_UNDEFINED_REASON,
    F_ACCEPT_EMPTY_UNSUBSCRIBE,
    F_UNSUBSCRIBE_MATCHES_WILDCARD,
    F_UNSUBSCRIBE_DROPS_INFLIGHT,
    F_NO_UNSUBACK_WITHOUT_SUBSCRIPTION,
    F_ONLY_FIRST_FILTER_UNSUBSCRIBED,
    F_ACCEPT_BAD_DISCONNECT_FLAGS,
    F_QOS2_STATE_LOST,
    F_PUBREL_NOT_RESENT,
    F_OUT_OF_ORDER_QOS2,
    F_ACCEPT_MISPLACED_HASH,
    F_ACCEPT_MISPLACED_PLUS,
    F_ACCEPT_EMPTY_TOPIC,
    F_ACCEPT_NULL_IN_TOPIC,
    F_TOPIC_MATCH_SUBSTITUTES,
    F_OVERSIZE_RS_CONNACK_V5,
    F_OVERSIZE_UP_CONNACK_V5,
    F_OVERSIZE_RS_PUBACK_V5,
    F_OVERSIZE_UP_PUBACK_V5,
    F_OVERSIZE_RS_PUBREC_V5,
    F_OVERSIZE_UP_PUBREC_V5,
    F_OVERSIZE_RS_PUBREL_V5,
    F_OVERSIZE_UP_PUBREL_V5,
    F_OVERSIZE_RS_PUBCOMP_V5,
    F_OVERSIZE_UP_PUBCOMP_V5,
    F_OVERSIZE_RS_SUBACK_V5,
    F_OVERSIZE_UP_SUBACK_V5,
    F_OVERSIZE_RS_UNSUBACK_V5,
    F_OVERSIZE_UP_UNSUBACK_V5,
    F_OVERSIZE_RS_DISCONNECT_V5,
    F_OVERSIZE_UP_DISCONNECT_V5,
    F_ACCEPT_WILDCARD_RESPONSE_TOPIC_V5,
    F_ACCEPT_WILL_QOS3,
    F_ACCEPT_WILL_QOS3_V5,
    F_ACCEPT_DUPLICATE_PROPERTY_V5,
    F_ACCEPT_TOPIC_ALIAS_ABOVE_MAX_V5,
    F_ACCEPT_PACKET_TOO_LARGE_V5,
    F_SESSION_PRESENT_ON_NEW,
    F_QOS2_FIRST_SEND_DUP_V5,
    F_SUBACK_CODES_REVERSED,
    F_PAYLOAD_FORMAT_NOT_FORWARDED,
    F_RESPONSE_TOPIC_NOT_FORWARDED,
    F_CORRELATION_DATA_NOT_FORWARDED,
    /* client faults (client.c): the stub client breaks one rule */
    F_CL_PINGREQ_BEFORE_CONNECT,
    F_CL_WILL_DROPPED,
    F_CL_WILL_QOS_WITHOUT_WILL,
    F_CL_WILL_QOS_WITHOUT_WILL_V5,
    F_CL_WILL_RETAIN_WITHOUT_WILL,
    F_CL_WILL_RETAIN_WITHOUT_WILL_V5,
    F_CL_WILL_FIELDS_WITHOUT_WILL,
    F_CL_WILL_QOS3,
    F_CL_WILL_QOS3_V5,
    F_CL_USERNAME_WITHOUT_FLAG,
    F_CL_USERNAME_WITHOUT_FLAG_V5,
    F_CL_USERNAME_FLAG_ONLY,
    F_CL_USERNAME_FLAG_ONLY_V5,
    F_CL_PASSWORD_WITHOUT_FLAG,
    F_CL_PASSWORD_WITHOUT_FLAG_V5,
    F_CL_PASSWORD_FLAG_ONLY,
    F_CL_PASSWORD_FLAG_ONLY_V5,
    F_CL_PASSWORD_WITHOUT_USERNAME,
    F_CL_CLIENT_ID_NOT_FIRST,
    F_CL_NO_CLIENT_ID,
    F_CL_CLIENT_ID_BAD_UTF8,
    F_CL_WILL_TOPIC_BAD_UTF8,
    F_CL_WILL_TOPIC_BAD_UTF8_V5,
    F_CL_USERNAME_BAD_UTF8,
    F_CL_USERNAME_BAD_UTF8_V5,
    F_CL_NO_PINGREQ,
    F_CL_NO_PINGREQ_V5,
    F_CL_SERVER_KEEP_ALIVE_IGNORED_V5,
    F_CL_FILTER_BAD_UTF8,
    F_CL_UNSUB_FILTER_BAD_UTF8,
    F_CL_NO_CLOSE_AFTER_DISCONNECT,
    F_CL_NO_CLOSE_AFTER_DISCONNECT_V5,
    F_CL_PACKET_AFTER_DISCONNECT,
    F_CL_PACKET_AFTER_DISCONNECT_V5,
    F_CL_QOS0_DUP,
    F_CL_QOS1_DUP,
    F_CL_QOS1_DUP_V5,
    F_CL_PUBLISH_ID_ZERO,
    F_CL_PUBLISH_ID_ZERO_V5,
    F_CL_SUBSCRIBE_ID_ZERO,
    F_CL_SUBSCRIBE_ID_ZERO_V5,
    F_CL_PUBREL_WRONG_ID,
    F_CL_PUBREL_WRONG_ID_V5,
    F_CL_PUBACK_WRONG_ID,
    F_CL_PUBACK_WRONG_ID_V5,
    F_CL_PUBREC_WRONG_ID_V5,
    F_CL_NO_PUBCOMP,
    F_CL_NO_PUBCOMP_V5,
    F_CL_DUPLICATE_QOS2_UNACKED,
    F_CL_PUBACK_OUT_OF_ORDER,
    F_CL_PUBREC_OUT_OF_ORDER,
    F_CL_ABOVE_MAX_QOS_V5,
    F_CL_RETAIN_UNAVAILABLE_V5,
    F_CL_PACKET_TOO_LARGE_V5,
    F_CL_ALIAS_ABOVE_MAX_V5,
    F_CL_ALIAS_UNANNOUNCED_V5,
    F_CL_PUBLISH_SUB_ID_V5,
    F_CL_RECEIVE_MAX_IGNORED_V5,
    F_COUNT
};

/* A message as the broker holds it. Owns topic, payload and props. */
struct pcs_mqb_msg {
    char *topic;
    uint8_t *payload;
    size_t plen;
    int qos;
    bool retain;
    bool dup_in;               /* the publisher's DUP (only the dup-copied fault reads it) */
    bool shared;               /* delivered through a shared subscription (shared-* faults) */
    struct pcs_value *props;   /* 5.0 properties forwarded unchanged, or NULL */
    int64_t expiry_at;         /* monotonic ms when it expires, PCS_MQB_NEVER if no expiry */
    int64_t expiry_interval;   /* as received, seconds (-1 = none) */
    char *origin;              /* publisher's client id (no_local), may be NULL */
};

enum pcs_mqb_out_state { OUT_QUEUED, OUT_WAIT_ACK, OUT_WAIT_COMP };

/* One message on its way to a session's client; owned by the session's queue. */
struct pcs_mqb_out {
    struct pcs_mqb_out *next;
    struct pcs_mqb_msg m;      /* qos = delivery QoS, retain = the flag to send */
    enum pcs_mqb_out_state state;
    uint16_t packet_id;        /* valid once sent with QoS > 0 */
    bool sent_here;            /* transmitted on the current connection */
    int64_t hold_until;        /* out-of-order fault: held back until then (0 = not held) */
};

/* One subscription. Owns filter and share. */
struct pcs_mqb_sub {
    char *text;                /* the filter as the client sent it (UNSUBSCRIBE compares it) */
    char *filter;              /* the filter proper ($share/<name>/ stripped) */
    char *share;               /* share name, or NULL */
    int qos;
    bool no_local, rap;
    int rh;
    uint32_t sub_id;           /* 0 = none */
};

/* A stored Will. Owns msg. */
struct pcs_mqb_will {
    struct pcs_mqb_msg msg;
    uint32_t delay;            /* will_delay_interval, seconds */
    int version;               /* of the connection that left it */
};

struct pcs_mqb_conn;

/* Session state, keyed by client id; lives in the broker's list, owns everything here. */
struct pcs_mqb_session {
    struct pcs_mqb_session *next;
    char *client_id;
    int version;                        /* of the last connection */
    struct pcs_mqb_conn *conn;          /* NULL while offline (not owned) */
    struct pcs_mqb_sub *subs;
    size_t nsubs, capsubs;
    struct pcs_mqb_out *head, *tail;    /* outbound messages in order */
    size_t qlen;
    uint8_t qos2_in[8192];              /* bitmap: inbound QoS 2 ids awaiting PUBREL */
    uint16_t next_id;
    bool issued_any;
    int64_t expiry_interval;            /* seconds; 0xFFFFFFFF = never */
    int64_t expires_at;                 /* while offline: monotonic ms, PCS_MQB_NEVER */
    struct pcs_mqb_will *will;          /* a delayed Will waiting for will_at */
    struct pcs_mqb_will *spent_will;    /* will-kept-after-publish fault: a published Will */
    char *alias[PCS_MQB_TOPIC_ALIAS_MAX + 1];   /* topic-alias-kept fault: the last aliases */
    int64_t will_at;
};

enum pcs_mqb_cstate { C_NEW, C_ACTIVE, C_CLOSING, C_DRAIN, C_DEAD };

/* One client connection; owned by the broker's conns[]. Owns its buffers, codec state, will. */
struct pcs_mqb_conn {
    int fd;
    unsigned id;                        /* for logs */
    enum pcs_mqb_cstate state;
    int version;                        /* PCS_MQB_V311 / V5, -1 before CONNECT */
    void *codec;                        /* the mqtt codec's per-connection state */
    struct pcs_buf rbuf, wbuf;
    struct pcs_mqb_session *sess;       /* not owned */
    struct pcs_mqb_will *will;
    int64_t last_rx, keep_alive_ms;     /* keep_alive_ms 0 = off */
    int64_t deadline;                   /* C_NEW: CONNECT by; C_CLOSING/C_DRAIN: close by */
    uint32_t recv_max;                  /* the client's receive_maximum */
    uint32_t max_packet;                /* the client's maximum_packet_size, 0 = none */
    uint32_t inflight;                  /* QoS>0 PUBLISHes unacknowledged on this connection */
    bool connect_expiry_zero;           /* CONNECT had session expiry 0 (DISCONNECT may not raise it) */
    char *alias[PCS_MQB_TOPIC_ALIAS_MAX + 1];
};

/* A retained message; owned by the broker's list. */
struct pcs_mqb_retained {
    struct pcs_mqb_retained *next;
    struct pcs_mqb_msg msg;
};

/* A shared-subscription round-robin counter, keyed by share name + filter. */
struct pcs_mqb_share_rr {
    struct pcs_mqb_share_rr *next;
    char *key;
    unsigned counter;
};

struct pcs_stub {
    const struct pcs_protocol *proto;   /* the mqtt codec, found by name */
    int verbose;
    enum pcs_mqb_fault fault;
    int lfd;                            /* listening socket */
    uint16_t port;
    int pipe_rd, pipe_wr;               /* self-pipe for stop() */
    volatile sig_atomic_t stopping;
    struct pcs_mqb_conn *conns[PCS_MQB_MAX_CONNS];
    size_t nconns;
    unsigned next_conn_id;
    unsigned next_auto_id;
    struct pcs_mqb_session *sessions;
    size_t nsessions, nretained;
    struct pcs_mqb_retained *retained;
    struct pcs_mqb_share_rr *shares;
    int64_t now;                        /* monotonic ms at the top of this loop iteration */
};

/* broker.c */
int64_t pcs_mqb_now_ms(void);
/* Encodes frame (consumed) for c and queues the bytes; returns 0 or a negative pcs_err.
 * A PUBLISH larger than the client's maximum_packet_size is dropped: returns 1. */
int pcs_mqb_send(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *frame);
void pcs_mqb_send_raw(struct pcs_stub *b, struct pcs_mqb_conn *c, const void *p, size_t n);
/* Ends a connection: 5.0 DISCONNECT with reason (when >= 0 and CONNACK was sent), then Will
 * handling (with_will), session detach, flush, close. */
void pcs_mqb_conn_end(struct pcs_stub *b, struct pcs_mqb_conn *c, int reason, bool with_will);
void pcs_mqb_log(struct pcs_stub *b, const struct pcs_mqb_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes as much of w to the non-blocking fd as it takes now: 0 (all written, or the socket
 * is full) or -1 (errno says why). Shared by the broker's and the client's connections. */
int pcs_mqb_write_some(int fd, struct pcs_buf *w);
/* One line to stderr: "pcs stub mqtt<who>: <message>" (the broker's and the client's logs). */
void pcs_mqb_vlog(const char *who, const char *fmt, va_list ap);

/* Frame builders (broker.c). */
struct pcs_value *pcs_mqb_frame(const char *type);
void pcs_mqb_set_int(struct pcs_value *m, const char *k, int64_t i);
struct pcs_value *pcs_mqb_props(struct pcs_value *frame);   /* gets or adds `properties` */

/* faults.c */
extern const struct pcs_stub_fault pcs_mqb_faults[F_COUNT + 1];   /* ends with {NULL} */
/* Is fault f active, and does it act on connection c's version? c may be NULL (any version). */
bool pcs_mqb_fault(const struct pcs_stub *b, const struct pcs_mqb_conn *c, enum pcs_mqb_fault f);
bool pcs_mqb_fault_v(const struct pcs_stub *b, int version, enum pcs_mqb_fault f);
/* The same for an active fault index (F_NONE = none): the stub client's faults. A 3.1.1 fault
 * with a 5.0 twin answers to the twin's name on 3.1.1 connections. */
bool pcs_mqb_fault_on(int active, int version, enum pcs_mqb_fault f);
int pcs_mqb_fault_lookup(const char *name);   /* index, or -1 */
/* Did the decoder refuse a packet (d) for exactly the rule of fault f, active on c? */
bool pcs_mqb_fault_refused(const struct pcs_stub *b, const struct pcs_mqb_conn *c,
                           enum pcs_mqb_fault f, const struct pcs_diag *d);
/* The PCS_MQB_MATCH_* faults that act on matching for a subscriber of this version. */
unsigned pcs_mqb_match_faults(const struct pcs_stub *b, int version);

/* topic.c */
bool pcs_mqb_topic_name_valid(const char *t);
bool pcs_mqb_topic_filter_valid(const char *f);
/* Matching faults, as bits of pcs_mqb_topic_match's faults argument (0 = match correctly). */
enum {
    PCS_MQB_MATCH_PLUS_MULTI = 1u << 0,   /* a trailing '+' matches one or more levels */
    PCS_MQB_MATCH_HASH_DOLLAR = 1u << 1,  /* a first-level wildcard matches '$' topics */
    PCS_MQB_MATCH_HASH_ONE = 1u << 2,     /* '#' matches exactly one level */
    PCS_MQB_MATCH_SUBST = 1u << 3,        /* non-ASCII bytes all read as '?' */
};
/* Does filter match topic? faults: PCS_MQB_MATCH_* bits. */
bool pcs_mqb_topic_match(const char *filter, const char *topic, unsigned faults);
/* Splits "$share/NAME/FILTER": 1 and *name and *filter (malloc'd), 0 if not shared, -1 invalid. */
int pcs_mqb_topic_share_split(const char *f, char **name, char **filter);

/* session.c */
struct pcs_mqb_session *pcs_mqb_session_find(struct pcs_stub *b, const char *client_id);
struct pcs_mqb_session *pcs_mqb_session_new(struct pcs_stub *b, const char *client_id);
/* Ends a session: publishes its delayed Will, frees it and unlinks it. */
void pcs_mqb_session_end(struct pcs_stub *b, struct pcs_mqb_session *s);
void pcs_mqb_session_timers(struct pcs_stub *b, int64_t *next);
void pcs_mqb_msg_free(struct pcs_mqb_msg *m);
void pcs_mqb_msg_copy(struct pcs_mqb_msg *dst, const struct pcs_mqb_msg *src);
void pcs_mqb_will_free(struct pcs_mqb_will *w);
/* Publishes (and frees) a Will. */
void pcs_mqb_will_publish(struct pcs_stub *b, struct pcs_mqb_will *w);
/* Stores, replaces or (empty payload) clears the retained message of m's topic;
 * version: the publisher's, for the retain faults. */
void pcs_mqb_retain_store(struct pcs_stub *b, const struct pcs_mqb_msg *m, int version);
void pcs_mqb_free_all(struct pcs_stub *b);

/* connect.c */
void pcs_mqb_on_connect(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f);
void pcs_mqb_on_disconnect(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f);
/* Pre-decode checks of a first packet (raw bytes): may rewrite the frame for a fault.
 * Returns 0 to go on, 1 when the connection was answered and ended. */
int pcs_mqb_connect_precheck(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_buf *frame);

/* publish.c */
void pcs_mqb_on_publish(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f);
void pcs_mqb_on_ack(struct pcs_stub *b, struct pcs_mqb_conn *c, const char *type,
                    struct pcs_value *f);
/* Delivers m to every matching subscription (no_local compares m->origin). */
void pcs_mqb_route(struct pcs_stub *b, const struct pcs_mqb_msg *m);
/* Adds a copy of m to s's queue with delivery QoS qos, retain flag and subscription ids. */
void pcs_mqb_enqueue(struct pcs_stub *b, struct pcs_mqb_session *s, const struct pcs_mqb_msg *m,
                     int qos, bool retain, const struct pcs_value *sub_ids);
/* Sends what the session's connection may receive now; *next gets the earliest hold time. */
void pcs_mqb_pump(struct pcs_stub *b, struct pcs_mqb_session *s, int64_t *next);
void pcs_mqb_out_free(struct pcs_mqb_out *o);
/* quota-blocks-control-packets fault: is c's send quota used up, so answers are held back? */
bool pcs_mqb_quota_blocks(struct pcs_stub *b, struct pcs_mqb_conn *c);
/* Unlinks s's messages in flight (sent, not yet acknowledged): those whose topic filter
 * matches, or (filter NULL) those delivered through a shared subscription; reroute: offers
 * each to the shared subscription groups again first. For the faults that break this. */
void pcs_mqb_drop_inflight(struct pcs_stub *b, struct pcs_mqb_session *s, const char *filter,
                           bool reroute);

/* subscribe.c */
void pcs_mqb_on_subscribe(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f);
void pcs_mqb_on_unsubscribe(struct pcs_stub *b, struct pcs_mqb_conn *c, struct pcs_value *f);
void pcs_mqb_sub_free(struct pcs_mqb_sub *s);

/* 5.0 reason codes the broker sends. */
enum {
    RC_SUCCESS = 0x00,
    RC_NO_SUBSCRIPTION_EXISTED = 0x11,
    RC_DISCONNECT_WITH_WILL = 0x04,
    RC_UNSPECIFIED = 0x80,
    RC_MALFORMED = 0x81,
    RC_PROTOCOL_ERROR = 0x82,
    RC_UNSUPPORTED_VERSION = 0x84,
    RC_CLIENT_ID_NOT_VALID = 0x85,
    RC_BAD_AUTH_METHOD = 0x8C,
    RC_KEEP_ALIVE_TIMEOUT = 0x8D,
    RC_SESSION_TAKEN_OVER = 0x8E,
    RC_TOPIC_FILTER_INVALID = 0x8F,
    RC_TOPIC_NAME_INVALID = 0x90,
    RC_PACKET_ID_NOT_FOUND = 0x92,
    RC_TOPIC_ALIAS_INVALID = 0x94,
    RC_PACKET_TOO_LARGE = 0x95,
    RC_QUOTA_EXCEEDED = 0x97,
    RC_SERVER_BUSY = 0x89,
    RC_SHARED_NOT_SUPPORTED = 0x9E,
};

#endif
