/* mqtt.h — internal header of the MQTT 3.1.1 / 5.0 codec: the per-connection state that
 * decode() keeps for the always-on checks, the packet-type and property tables of
 * mqtt_schema.c, and the prototypes behind pcs_mqtt_protocol (mqtt.c).
 * Not for the engine: the engine only sees the vtable. Nothing here allocates; a decoded
 * value is owned by the caller of decode(). */
#ifndef PCS_MQTT_H
#define PCS_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

/* Version indexes into pcs_mqtt_protocol.versions. */
#define PCS_MQTT_V311 0
#define PCS_MQTT_V5 1

/* Control packet types (fixed header, high nibble). 0 is reserved in both versions, 15 is
 * reserved in 3.1.1 and AUTH in 5.0. */
enum pcs_mqtt_type {
    PCS_MQTT_CONNECT = 1,
    PCS_MQTT_CONNACK = 2,
    PCS_MQTT_PUBLISH = 3,
    PCS_MQTT_PUBACK = 4,
    PCS_MQTT_PUBREC = 5,
    PCS_MQTT_PUBREL = 6,
    PCS_MQTT_PUBCOMP = 7,
    PCS_MQTT_SUBSCRIBE = 8,
    PCS_MQTT_SUBACK = 9,
    PCS_MQTT_UNSUBSCRIBE = 10,
    PCS_MQTT_UNSUBACK = 11,
    PCS_MQTT_PINGREQ = 12,
    PCS_MQTT_PINGRESP = 13,
    PCS_MQTT_DISCONNECT = 14,
    PCS_MQTT_AUTH = 15,
};

/* The 5.0 properties: one list, expanded into pcs_mqtt_props (mqtt_schema.c) and the ids below.
 * X(id, name, wire, allowed-in mask, repeatable-in mask, doc): the masks are written with
 * PK(TYPE) and PK_WILL, which only mqtt_schema.c defines. The doc names every packet
 * the property is allowed in (a test keeps it honest). */
#define MQTT_PROPERTIES(X)                                                                      \
    X(0x01, payload_format_indicator, BYTE, PK(PUBLISH) | PK_WILL, 0,                          \
      "0 = unspecified bytes, 1 = UTF-8 payload (PUBLISH, Will)")                               \
    X(0x02, message_expiry_interval, U32, PK(PUBLISH) | PK_WILL, 0,                            \
      "lifetime of the message in seconds (PUBLISH, Will)")                                     \
    X(0x03, content_type, STR, PK(PUBLISH) | PK_WILL, 0,                                       \
      "MIME-like description of the payload (PUBLISH, Will)")                                   \
    X(0x08, response_topic, STR, PK(PUBLISH) | PK_WILL, 0,                                     \
      "topic name for a response message (PUBLISH, Will)")                                      \
    X(0x09, correlation_data, BIN, PK(PUBLISH) | PK_WILL, 0,                                   \
      "bytes that tie a response to its request (PUBLISH, Will)")                               \
    X(0x0B, subscription_identifier, VBI, PK(PUBLISH) | PK(SUBSCRIBE), PK(PUBLISH),            \
      "identifiers 1..268435455 of the subscription; always a list, repeats in PUBLISH "        \
      "(PUBLISH, SUBSCRIBE)")                                                                   \
    X(0x11, session_expiry_interval, U32, PK(CONNECT) | PK(CONNACK) | PK(DISCONNECT), 0,       \
      "seconds the session outlives the connection (CONNECT, CONNACK, DISCONNECT)")             \
    X(0x12, assigned_client_identifier, STR, PK(CONNACK), 0,                                   \
      "client identifier the server assigned (CONNACK)")                                        \
    X(0x13, server_keep_alive, U16, PK(CONNACK), 0,                                            \
      "keep alive in seconds the client must use instead of its own (CONNACK)")                 \
    X(0x15, authentication_method, STR, PK(CONNECT) | PK(CONNACK) | PK(AUTH), 0,               \
      "name of the extended authentication method (CONNECT, CONNACK, AUTH)")                    \
    X(0x16, authentication_data, BIN, PK(CONNECT) | PK(CONNACK) | PK(AUTH), 0,                 \
      "method-specific authentication bytes (CONNECT, CONNACK, AUTH)")                          \
    X(0x17, request_problem_information, BYTE, PK(CONNECT), 0,                                 \
      "0 = send Reason String / User Property only where allowed without asking (CONNECT)")     \
    X(0x18, will_delay_interval, U32, PK_WILL, 0,                                              \
      "seconds to wait before publishing the Will (Will)")                                      \
    X(0x19, request_response_information, BYTE, PK(CONNECT), 0,                                \
      "1 = ask the server for Response Information (CONNECT)")                                  \
    X(0x1A, response_information, STR, PK(CONNACK), 0,                                         \
      "basis for building response topics (CONNACK)")                                           \
    X(0x1C, server_reference, STR, PK(CONNACK) | PK(DISCONNECT), 0,                            \
      "another server the client may use (CONNACK, DISCONNECT)")                                \
    X(0x1F, reason_string, STR,                                                                 \
      PK(CONNACK) | PK(PUBACK) | PK(PUBREC) | PK(PUBREL) | PK(PUBCOMP) | PK(SUBACK) |           \
          PK(UNSUBACK) | PK(DISCONNECT) | PK(AUTH),                                             \
      0,                                                                                        \
      "human-readable diagnostic (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, "           \
      "UNSUBACK, DISCONNECT, AUTH)")                                                            \
    X(0x21, receive_maximum, U16, PK(CONNECT) | PK(CONNACK), 0,                                \
      "most QoS 1/2 PUBLISHes the sender accepts unacknowledged (CONNECT, CONNACK)")            \
    X(0x22, topic_alias_maximum, U16, PK(CONNECT) | PK(CONNACK), 0,                            \
      "highest Topic Alias the sender accepts (CONNECT, CONNACK)")                              \
    X(0x23, topic_alias, U16, PK(PUBLISH), 0, "number standing for the topic name (PUBLISH)")   \
    X(0x24, maximum_qos, BYTE, PK(CONNACK), 0, "highest QoS the server supports (CONNACK)")     \
    X(0x25, retain_available, BYTE, PK(CONNACK), 0,                                            \
      "0 = the server does not support retained messages (CONNACK)")                            \
    X(0x26, user_property, PAIR,                                                                \
      PK(CONNECT) | PK(CONNACK) | PK(PUBLISH) | PK_WILL | PK(PUBACK) | PK(PUBREC) |             \
          PK(PUBREL) | PK(PUBCOMP) | PK(SUBSCRIBE) | PK(SUBACK) | PK(UNSUBSCRIBE) |             \
          PK(UNSUBACK) | PK(DISCONNECT) | PK(AUTH),                                             \
      0xFFFFu,                                                                                  \
      "list of {key, value} string pairs in wire order (CONNECT, CONNACK, PUBLISH, Will, "      \
      "PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, "             \
      "DISCONNECT, AUTH)")                                                                      \
    X(0x27, maximum_packet_size, U32, PK(CONNECT) | PK(CONNACK), 0,                            \
      "largest packet in bytes the sender accepts (CONNECT, CONNACK)")                          \
    X(0x28, wildcard_subscription_available, BYTE, PK(CONNACK), 0,                             \
      "0 = wildcard subscriptions are not supported (CONNACK)")                                 \
    X(0x29, subscription_identifier_available, BYTE, PK(CONNACK), 0,                           \
      "0 = subscription identifiers are not supported (CONNACK)")                               \
    X(0x2A, shared_subscription_available, BYTE, PK(CONNACK), 0,                               \
      "0 = shared subscriptions are not supported (CONNACK)")

#define PCS_MQTT_PROP_ID(id_, nm_, ...) PCS_MQTT_P_##nm_ = id_,
enum pcs_mqtt_prop_id { MQTT_PROPERTIES(PCS_MQTT_PROP_ID) PCS_MQTT_P_LIMIT };
#undef PCS_MQTT_PROP_ID

#define PCS_MQTT_MAX_FRAME_DEFAULT ((size_t)16 << 20)  /* 16 MiB */
#define PCS_MQTT_VBI_MAX 268435455u                      /* largest 4-byte Variable Byte Integer */
#define PCS_MQTT_PENDING 32                              /* SUBSCRIBE/UNSUBSCRIBE remembered per dir */

/* A SUBSCRIBE or UNSUBSCRIBE waiting for its SUBACK / UNSUBACK. */
struct pcs_mqtt_pending {
    uint16_t packet_id;
    uint16_t count;          /* topic filters in the request */
    uint8_t type;            /* PCS_MQTT_SUBSCRIBE or PCS_MQTT_UNSUBSCRIBE, 0 = free slot */
};

/* Bytes of the packet decode() accepted last: valid only while its caller's buffer is, which
 * is as long as the checks that read them run (right after decode). */
struct pcs_mqtt_span {
    const uint8_t *p;
    uint32_t n;
};

/* What decode() read of the packet it accepted last: all that the always-on checks and the
 * state updates look at, so neither needs the frame value (replay need not build one). */
struct pcs_mqtt_facts {
    uint8_t type, flags;         /* fixed header; type 0 = no packet accepted yet */
    uint8_t layout;              /* the version it was read in: PCS_MQTT_V311 or PCS_MQTT_V5 (a
                                  * CONNACK to a CONNECT of an unknown level is read as 3.1.1) */
    uint8_t level;               /* CONNECT protocol level */
    uint8_t ack_flags;           /* CONNACK acknowledge flags */
    uint8_t code;                /* CONNACK return/reason code; the reason code of PUBACK..PUBCOMP,
                                  * DISCONNECT, AUTH (0 when left out) */
    bool has_pid;
    uint16_t pid;                /* packet identifier, when has_pid */
    uint64_t props, will_props;  /* bit id: the property is in the packet's / the Will's block */
    uint32_t num[PCS_MQTT_P_LIMIT]; /* integer properties of `props`, by id (a repeated one: the
                                  * last); meaningful only where the bit in `props` is set */
    struct pcs_mqtt_span topic;  /* PUBLISH topic name */
    struct pcs_mqtt_span response_topic; /* PUBLISH Response Topic, or the CONNECT Will's */
    struct pcs_mqtt_span items;  /* SUBSCRIBE / UNSUBSCRIBE payload (topic filters, with options
                                  * in SUBSCRIBE); SUBACK / UNSUBACK codes, one byte each */
    uint16_t nitems;             /* topic filters or codes in items */
};

/* Does the packet decode() accepted last carry property id (in its own block)? */
static inline bool pcs_mqtt_has(const struct pcs_mqtt_facts *k, enum pcs_mqtt_prop_id id)
{
    return k->props >> id & 1;
}

/* Per-connection state (pcs_protocol.conn_state_size bytes). Plain data, no heap.
 * Arrays indexed [dir] hold facts about packets SENT in that direction. decode() updates all
 * of it; encode() updates only what an announcement sets (version, limits from CONNECT and
 * CONNACK, pending SUBSCRIBE counts), so decoding the same bytes again changes nothing. */
struct pcs_mqtt_conn {
    int version;                 /* PCS_MQTT_V311, PCS_MQTT_V5, or -1 while unknown */
    size_t max_frame;            /* decoder limit on one whole packet; larger ones are malformed */
    unsigned connects;           /* CONNECT packets decoded */
    unsigned connacks;           /* CONNACK packets decoded */
    bool foreign_level;          /* the CONNECT asked for a level other than 3, 4 or 5: the
                                  * server cannot know the client's layout, so a 2-byte CONNACK
                                  * is read in the 3.1.1 layout */
    unsigned frames[2];          /* packets decoded */
    unsigned disconnects[2];     /* DISCONNECT packets decoded */
    size_t last_len[2];          /* size in bytes of the packet decoded last */
    uint16_t alias_max[2];       /* highest Topic Alias the sender may use (receiver announced) */
    uint32_t max_packet[2];      /* largest packet the sender may send, 0 = no limit announced */
    uint8_t max_qos[2];          /* highest PUBLISH QoS the sender may use (CONNACK maximum_qos) */
    bool retain_ok[2];           /* sender may set RETAIN (CONNACK retain_available) */
    int ack_expect[2];           /* filter count of the request the last SUBACK/UNSUBACK answers,
                                  * -1 = unknown */
    struct pcs_mqtt_pending pending[2][PCS_MQTT_PENDING];
    unsigned pending_next[2];
    struct pcs_mqtt_facts last;  /* the packet decode() accepted last (what the checks read) */
};

/* ---- mqtt_schema.c: the tables ---- */

/* Wire types of MQTT 5.0 properties. */
enum pcs_mqtt_wire {
    PCS_MQTT_W_BYTE,
    PCS_MQTT_W_U16,
    PCS_MQTT_W_U32,
    PCS_MQTT_W_VBI,
    PCS_MQTT_W_STR,
    PCS_MQTT_W_BIN,
    PCS_MQTT_W_PAIR,
};

/* Bit of a packet type in a property's `packets` mask; bit 0 stands for the CONNECT payload's
 * Will Properties. */
#define PCS_MQTT_PK(t) (1u << (t))
#define PCS_MQTT_PK_WILL (1u << 0)

struct pcs_mqtt_prop {
    uint8_t id;
    const char *name;            /* snake_case: the key in a `properties` map */
    enum pcs_mqtt_wire wire;
    uint32_t packets;            /* PCS_MQTT_PK mask of where it is allowed */
    uint32_t repeat;             /* PCS_MQTT_PK mask of where it may appear more than once */
};

/* Per packet type (index = type, 0..15): name, fixed-header flag rule, reason codes. */
struct pcs_mqtt_ptype {
    const char *name;            /* NULL for type 0 */
    uint32_t versions;           /* PCS_VER mask, 0 = both */
    int flags;                   /* required fixed-header flags, -1 = PUBLISH's dup/qos/retain */
    const char *flags_rule[2];   /* rule a wrong flags value breaks, per version */
    const struct pcs_enum *reasons[2]; /* return/reason codes per version, NULL = none */
};

extern const struct pcs_mqtt_ptype pcs_mqtt_ptypes[16];
extern const struct pcs_mqtt_prop pcs_mqtt_props[];       /* ends with {.name = NULL} */
extern const struct pcs_frame_schema pcs_mqtt_frames[];   /* index = type - 1 */
extern const struct pcs_check pcs_mqtt_checks[];          /* mqtt_checks.c */

/* Property by id or name, NULL when unknown. */
const struct pcs_mqtt_prop *pcs_mqtt_prop_by_id(uint32_t id);
const struct pcs_mqtt_prop *pcs_mqtt_prop_by_name(const char *name);
/* Packet type by name (version-independent), 0 when unknown. */
int pcs_mqtt_type_by_name(const char *name);
/* Reason/return-code table of a packet type in a version (0 or 1), NULL if it has none. */
const struct pcs_enum *pcs_mqtt_reasons(int type, int version);

/* ---- mqtt_frame.c: fixed header and Variable Byte Integers ---- */

/* Results of pcs_mqtt_vbi_get besides 0. */
#define PCS_MQTT_VBI_MORE 1          /* buffer ends inside the integer */
#define PCS_MQTT_VBI_LONG 2          /* continuation bit set on the 4th byte */

/* Reads a Variable Byte Integer at p[0..len). Returns 0 with *val, *used and *minimal set,
 * PCS_MQTT_VBI_MORE or PCS_MQTT_VBI_LONG. minimal may be NULL. */
int pcs_mqtt_vbi_get(const uint8_t *p, size_t len, uint32_t *val, size_t *used, bool *minimal);
/* Appends v (<= PCS_MQTT_VBI_MAX) as a minimal Variable Byte Integer. */
void pcs_mqtt_vbi_put(struct pcs_buf *b, uint32_t v);
size_t pcs_mqtt_vbi_size(uint32_t v);
/* vtable frame_length: the packet's total length once the fixed header is whole (it may be
 * more than len), 0 while the header is incomplete, or PCS_ERR_MALFORMED (VBI over 4 bytes,
 * packet over st->max_frame). */
ssize_t pcs_mqtt_frame_length(void *st, const uint8_t *buf, size_t len, struct pcs_diag *d);

/* ---- mqtt_codec.c ---- */

/* vtable decode: 0 or PCS_ERR_MALFORMED (d->rule = the statement broken, "" if none). */
int pcs_mqtt_decode(void *st, enum pcs_dir dir, const uint8_t *frame, size_t len,
                    struct pcs_value **out, struct pcs_diag *d);
/* vtable encode: 0, or PCS_ERR_INVALID for what cannot be represented (unknown frame, field
 * or enum name, wrong value type, out-of-range width), PCS_ERR_UNSUPPORTED for AUTH in 3.1.1. */
int pcs_mqtt_encode(void *st, enum pcs_dir dir, const struct pcs_value *frame,
                    struct pcs_buf *out, struct pcs_diag *d);
/* Well-formedness of an MQTT string: 0 ok, 1 ill-formed UTF-8 or surrogate, 2 has U+0000. */
int pcs_mqtt_utf8_check(const uint8_t *p, size_t n);

/* ---- mqtt.c: connection state ---- */

int pcs_mqtt_conn_init(void *st, const char *version);   /* 0 or PCS_ERR_INVALID */
void pcs_mqtt_conn_fini(void *st);
int pcs_mqtt_conn_version(const void *st);
/* Records a SUBSCRIBE/UNSUBSCRIBE sent in dir; takes the one an ack in the other direction
 * answers (returns its filter count, -1 if unknown). Used by decode and encode. */
void pcs_mqtt_pending_add(struct pcs_mqtt_conn *c, enum pcs_dir dir, int type, uint16_t pid,
                          uint16_t count);
int pcs_mqtt_pending_take(struct pcs_mqtt_conn *c, enum pcs_dir dir, int type, uint16_t pid);

extern const struct pcs_protocol pcs_mqtt_protocol;

#endif
