/* mqtt_schema.c — THE table of MQTT 3.1.1 and 5.0: packet types with their fixed-header
 * flag rules, fields in wire order (names are public API: add, never rename), the 5.0
 * property table (one X-macro list feeds both the codec's id table and the schema fields)
 * and one reason-code enum per packet type, as MQTT 5 allows a different set in each.
 * Pure static const data plus lookups; no allocation, no codec logic. */
#include "mqtt.h"

#include <string.h>

#define V0 PCS_VER(PCS_MQTT_V311)
#define V1 PCS_VER(PCS_MQTT_V5)
#define PK(t) PCS_MQTT_PK(PCS_MQTT_##t)
#define PK_WILL PCS_MQTT_PK_WILL

/* ---- reason / return codes ---- */

static const struct pcs_enum connack_311[] = {
    {"accepted", 0x00}, {"unacceptable_protocol_version", 0x01}, {"identifier_rejected", 0x02},
    {"server_unavailable", 0x03}, {"bad_username_or_password", 0x04}, {"not_authorized", 0x05},
    {NULL, 0},
};

static const struct pcs_enum connack_5[] = {
    {"success", 0x00}, {"unspecified_error", 0x80}, {"malformed_packet", 0x81},
    {"protocol_error", 0x82}, {"implementation_specific_error", 0x83},
    {"unsupported_protocol_version", 0x84}, {"client_identifier_not_valid", 0x85},
    {"bad_user_name_or_password", 0x86}, {"not_authorized", 0x87}, {"server_unavailable", 0x88},
    {"server_busy", 0x89}, {"banned", 0x8A}, {"bad_authentication_method", 0x8C},
    {"topic_name_invalid", 0x90}, {"packet_too_large", 0x95}, {"quota_exceeded", 0x97},
    {"payload_format_invalid", 0x99}, {"retain_not_supported", 0x9A},
    {"qos_not_supported", 0x9B}, {"use_another_server", 0x9C}, {"server_moved", 0x9D},
    {"connection_rate_exceeded", 0x9F},
    {NULL, 0},
};

/* PUBACK and PUBREC share one set. */
static const struct pcs_enum puback_5[] = {
    {"success", 0x00}, {"no_matching_subscribers", 0x10}, {"unspecified_error", 0x80},
    {"implementation_specific_error", 0x83}, {"not_authorized", 0x87},
    {"topic_name_invalid", 0x90}, {"packet_identifier_in_use", 0x91}, {"quota_exceeded", 0x97},
    {"payload_format_invalid", 0x99},
    {NULL, 0},
};

/* PUBREL and PUBCOMP share one set. */
static const struct pcs_enum pubrel_5[] = {
    {"success", 0x00}, {"packet_identifier_not_found", 0x92},
    {NULL, 0},
};

static const struct pcs_enum suback_311[] = {
    {"granted_qos_0", 0x00}, {"granted_qos_1", 0x01}, {"granted_qos_2", 0x02}, {"failure", 0x80},
    {NULL, 0},
};

static const struct pcs_enum suback_5[] = {
    {"granted_qos_0", 0x00}, {"granted_qos_1", 0x01}, {"granted_qos_2", 0x02},
    {"unspecified_error", 0x80}, {"implementation_specific_error", 0x83},
    {"not_authorized", 0x87}, {"topic_filter_invalid", 0x8F}, {"packet_identifier_in_use", 0x91},
    {"quota_exceeded", 0x97}, {"shared_subscriptions_not_supported", 0x9E},
    {"subscription_identifiers_not_supported", 0xA1},
    {"wildcard_subscriptions_not_supported", 0xA2},
    {NULL, 0},
};

static const struct pcs_enum unsuback_5[] = {
    {"success", 0x00}, {"no_subscription_existed", 0x11}, {"unspecified_error", 0x80},
    {"implementation_specific_error", 0x83}, {"not_authorized", 0x87},
    {"topic_filter_invalid", 0x8F}, {"packet_identifier_in_use", 0x91},
    {NULL, 0},
};

static const struct pcs_enum disconnect_5[] = {
    {"normal_disconnection", 0x00}, {"disconnect_with_will_message", 0x04},
    {"unspecified_error", 0x80}, {"malformed_packet", 0x81}, {"protocol_error", 0x82},
    {"implementation_specific_error", 0x83}, {"not_authorized", 0x87}, {"server_busy", 0x89},
    {"server_shutting_down", 0x8B}, {"keep_alive_timeout", 0x8D}, {"session_taken_over", 0x8E},
    {"topic_filter_invalid", 0x8F}, {"topic_name_invalid", 0x90},
    {"receive_maximum_exceeded", 0x93}, {"topic_alias_invalid", 0x94},
    {"packet_too_large", 0x95}, {"message_rate_too_high", 0x96}, {"quota_exceeded", 0x97},
    {"administrative_action", 0x98}, {"payload_format_invalid", 0x99},
    {"retain_not_supported", 0x9A}, {"qos_not_supported", 0x9B}, {"use_another_server", 0x9C},
    {"server_moved", 0x9D}, {"shared_subscriptions_not_supported", 0x9E},
    {"connection_rate_exceeded", 0x9F}, {"maximum_connect_time", 0xA0},
    {"subscription_identifiers_not_supported", 0xA1},
    {"wildcard_subscriptions_not_supported", 0xA2},
    {NULL, 0},
};

static const struct pcs_enum auth_5[] = {
    {"success", 0x00}, {"continue_authentication", 0x18}, {"re_authenticate", 0x19},
    {NULL, 0},
};

/* ---- packet types ---- */

#define FLAGS_RULES {"MQTT-2.2.2-2", "MQTT-2.1.3-1"}

const struct pcs_mqtt_ptype pcs_mqtt_ptypes[16] = {
    [0] = {NULL, 0, 0, {NULL, NULL}, {NULL, NULL}},
    [PCS_MQTT_CONNECT] = {"CONNECT", 0, 0, FLAGS_RULES, {NULL, NULL}},
    [PCS_MQTT_CONNACK] = {"CONNACK", 0, 0, FLAGS_RULES, {connack_311, connack_5}},
    [PCS_MQTT_PUBLISH] = {"PUBLISH", 0, -1, {"MQTT-3.3.1-4", "MQTT-3.3.1-4"}, {NULL, NULL}},
    [PCS_MQTT_PUBACK] = {"PUBACK", 0, 0, FLAGS_RULES, {NULL, puback_5}},
    [PCS_MQTT_PUBREC] = {"PUBREC", 0, 0, FLAGS_RULES, {NULL, puback_5}},
    [PCS_MQTT_PUBREL] = {"PUBREL", 0, 2, {"MQTT-3.6.1-1", "MQTT-3.6.1-1"}, {NULL, pubrel_5}},
    [PCS_MQTT_PUBCOMP] = {"PUBCOMP", 0, 0, FLAGS_RULES, {NULL, pubrel_5}},
    [PCS_MQTT_SUBSCRIBE] = {"SUBSCRIBE", 0, 2, {"MQTT-3.8.1-1", "MQTT-3.8.1-1"}, {NULL, NULL}},
    [PCS_MQTT_SUBACK] = {"SUBACK", 0, 0, FLAGS_RULES, {suback_311, suback_5}},
    [PCS_MQTT_UNSUBSCRIBE] = {"UNSUBSCRIBE", 0, 2, {"MQTT-3.10.1-1", "MQTT-3.10.1-1"},
                              {NULL, NULL}},
    [PCS_MQTT_UNSUBACK] = {"UNSUBACK", 0, 0, FLAGS_RULES, {NULL, unsuback_5}},
    [PCS_MQTT_PINGREQ] = {"PINGREQ", 0, 0, FLAGS_RULES, {NULL, NULL}},
    [PCS_MQTT_PINGRESP] = {"PINGRESP", 0, 0, FLAGS_RULES, {NULL, NULL}},
    [PCS_MQTT_DISCONNECT] = {"DISCONNECT", 0, 0, {"MQTT-3.14.1-1", "MQTT-3.14.1-1"},
                             {NULL, disconnect_5}},
    [PCS_MQTT_AUTH] = {"AUTH", V1, 0, {NULL, "MQTT-3.15.1-1"}, {NULL, auth_5}},
};

/* ---- properties (5.0): MQTT_PROPERTIES (mqtt.h) expanded into the table ---- */

#define PROP_ENTRY(id_, nm_, wire_, packets_, repeat_, doc_) \
    {id_, #nm_, PCS_MQTT_W_##wire_, packets_, repeat_},
const struct pcs_mqtt_prop pcs_mqtt_props[] = {
    MQTT_PROPERTIES(PROP_ENTRY){0, NULL, 0, 0, 0},
};

static const struct pcs_field_schema user_property_fields[] = {
    {.name = "key", .type = PCS_F_STR, .doc = "name of the user property"},
    {.name = "value", .type = PCS_F_STR, .doc = "value of the user property"},
    {.name = NULL},
};

/* Schema field of a property, by wire type. */
#define F_BYTE .type = PCS_F_INT, .min = 0, .max = 255
#define F_U16 .type = PCS_F_INT, .min = 0, .max = 65535
#define F_U32 .type = PCS_F_INT, .min = 0, .max = 4294967295LL
#define F_VBI .type = PCS_F_LIST, .item_type = PCS_F_INT, .min = 1, .max = PCS_MQTT_VBI_MAX
#define F_STR .type = PCS_F_STR
#define F_BIN .type = PCS_F_BYTES
#define F_PAIR .type = PCS_F_LIST, .sub = user_property_fields
#define FIELD_ENTRY(id_, nm_, wire_, packets_, repeat_, doc_) \
    {.name = #nm_, F_##wire_, .versions = V1, .doc = doc_},
static const struct pcs_field_schema property_fields[] = {
    MQTT_PROPERTIES(FIELD_ENTRY){.name = NULL},
};

/* ---- frames: fields in wire order ---- */

#define FLAGS_FIELD {.name = "flags", .type = PCS_F_INT, .min = 0, .max = 15, \
                     .doc = "fixed-header flags (low nibble); absent = the correct value"}
#define PROPS_FIELD(what) {.name = "properties", .type = PCS_F_MAP, .versions = V1, \
                           .sub = property_fields, .doc = "properties of the " what}
#define PID_FIELD(what) {.name = "packet_id", .type = PCS_F_INT, .min = 0, .max = 65535, \
                         .doc = what}
#define QOS_MAX 3

static const struct pcs_field_schema connect_fields[] = {
    FLAGS_FIELD,
    {.name = "protocol_name", .type = PCS_F_STR, .doc = "protocol name, default \"MQTT\""},
    {.name = "protocol_level", .type = PCS_F_INT, .min = 0, .max = 255,
     .doc = "protocol level, default 4 (3.1.1) or 5 (5.0)"},
    {.name = "clean_session", .type = PCS_F_BOOL, .versions = V0,
     .doc = "connect flag bit 1: discard any previous session (default true)"},
    {.name = "clean_start", .type = PCS_F_BOOL, .versions = V1,
     .doc = "connect flag bit 1: start a new session (default true)"},
    {.name = "will_flag", .type = PCS_F_BOOL,
     .doc = "connect flag bit 2; absent = whether a Will is given"},
    {.name = "will_qos", .type = PCS_F_INT, .min = 0, .max = QOS_MAX,
     .doc = "connect flag bits 4-3: QoS of the Will (3 is malformed)"},
    {.name = "will_retain", .type = PCS_F_BOOL, .doc = "connect flag bit 5: retain the Will"},
    {.name = "username_flag", .type = PCS_F_BOOL,
     .doc = "connect flag bit 7; absent = whether username is given"},
    {.name = "password_flag", .type = PCS_F_BOOL,
     .doc = "connect flag bit 6; absent = whether password is given"},
    {.name = "reserved_flag", .type = PCS_F_BOOL,
     .doc = "connect flag bit 0, must be 0 (default false)"},
    {.name = "keep_alive", .type = PCS_F_INT, .min = 0, .max = 65535,
     .doc = "keep alive in seconds (default 60)"},
    PROPS_FIELD("connection"),
    {.name = "client_id", .type = PCS_F_STR, .doc = "client identifier (default empty)"},
    {.name = "will_properties", .type = PCS_F_MAP, .versions = V1, .sub = property_fields,
     .doc = "properties of the Will message"},
    {.name = "will_topic", .type = PCS_F_STR, .doc = "topic of the Will message"},
    {.name = "will_payload", .type = PCS_F_BYTES, .doc = "payload of the Will message"},
    {.name = "username", .type = PCS_F_STR, .doc = "user name"},
    {.name = "password", .type = PCS_F_BYTES, .doc = "password (binary data)"},
    {.name = NULL},
};

static const struct pcs_field_schema connack_fields[] = {
    FLAGS_FIELD,
    {.name = "session_present", .type = PCS_F_BOOL,
     .doc = "acknowledge flag bit 0: the server had a session"},
    {.name = "ack_flags_reserved", .type = PCS_F_INT, .min = 0, .max = 127,
     .doc = "acknowledge flag bits 7-1, must be 0 (default 0)"},
    {.name = "return_code", .type = PCS_F_INT, .versions = V0, .enums = connack_311,
     .min = 0, .max = 255, .doc = "connect return code"},
    {.name = "reason_code", .type = PCS_F_INT, .versions = V1, .enums = connack_5, .min = 0,
     .max = 255, .doc = "connect reason code"},
    PROPS_FIELD("connection acknowledgement"),
    {.name = NULL},
};

static const struct pcs_field_schema publish_fields[] = {
    FLAGS_FIELD,
    {.name = "dup", .type = PCS_F_BOOL, .doc = "flag bit 3: this is a redelivery"},
    {.name = "qos", .type = PCS_F_INT, .min = 0, .max = QOS_MAX,
     .doc = "flag bits 2-1: QoS 0, 1 or 2 (3 is malformed but can be sent)"},
    {.name = "retain", .type = PCS_F_BOOL, .doc = "flag bit 0: retain the message"},
    {.name = "topic", .type = PCS_F_STR, .doc = "topic name"},
    PID_FIELD("packet identifier; present when QoS > 0 (encode: default 1)"),
    PROPS_FIELD("message"),
    {.name = "payload", .type = PCS_F_BYTES, .doc = "application message (rest of the packet)"},
    {.name = NULL},
};

#define ACK_FIELDS(arr_, table)                                                              \
    static const struct pcs_field_schema arr_[] = {                                          \
        FLAGS_FIELD,                                                                         \
        PID_FIELD("packet identifier of the PUBLISH it answers (encode: default 1)"),        \
        {.name = "reason_code", .type = PCS_F_INT, .versions = V1, .enums = table, .min = 0, \
         .max = 255, .doc = "reason code; omitted on the wire when 0 with no properties"},    \
        PROPS_FIELD("acknowledgement"),                                                      \
        {.name = NULL},                                                                      \
    }
ACK_FIELDS(puback_fields, puback_5);
ACK_FIELDS(pubrec_fields, puback_5);
ACK_FIELDS(pubrel_fields, pubrel_5);
ACK_FIELDS(pubcomp_fields, pubrel_5);

static const struct pcs_field_schema subscription_fields[] = {
    {.name = "topic_filter", .type = PCS_F_STR, .doc = "topic filter, may hold wildcards"},
    {.name = "qos", .type = PCS_F_INT, .min = 0, .max = QOS_MAX,
     .doc = "options bits 1-0: maximum QoS requested"},
    {.name = "no_local", .type = PCS_F_BOOL, .versions = V1,
     .doc = "options bit 2: do not receive own publications"},
    {.name = "retain_as_published", .type = PCS_F_BOOL, .versions = V1,
     .doc = "options bit 3: keep the RETAIN flag when forwarding"},
    {.name = "retain_handling", .type = PCS_F_INT, .versions = V1, .min = 0, .max = 3,
     .doc = "options bits 5-4: 0 send retained, 1 only if new, 2 never"},
    {.name = "reserved", .type = PCS_F_INT, .min = 0, .max = 63,
     .doc = "reserved option bits (7-2 in 3.1.1, 7-6 in 5.0), must be 0 (default 0)"},
    {.name = NULL},
};

static const struct pcs_field_schema subscribe_fields[] = {
    FLAGS_FIELD,
    PID_FIELD("packet identifier (encode: default 1)"),
    PROPS_FIELD("subscription request"),
    {.name = "subscriptions", .type = PCS_F_LIST, .sub = subscription_fields,
     .doc = "topic filters with their options, at least one"},
    {.name = NULL},
};

/* reason_codes appears twice: the 3.1.1 and the 5.0 enum tables differ. */
static const struct pcs_field_schema suback_fields[] = {
    FLAGS_FIELD,
    PID_FIELD("packet identifier of the SUBSCRIBE it answers (encode: default 1)"),
    PROPS_FIELD("subscription acknowledgement"),
    {.name = "reason_codes", .type = PCS_F_LIST, .item_type = PCS_F_INT, .versions = V0,
     .enums = suback_311, .min = 0, .max = 255,
     .doc = "one return code per topic filter, in request order"},
    {.name = "reason_codes", .type = PCS_F_LIST, .item_type = PCS_F_INT, .versions = V1,
     .enums = suback_5, .min = 0, .max = 255,
     .doc = "one reason code per topic filter, in request order"},
    {.name = NULL},
};

static const struct pcs_field_schema unsubscribe_fields[] = {
    FLAGS_FIELD,
    PID_FIELD("packet identifier (encode: default 1)"),
    PROPS_FIELD("unsubscribe request"),
    {.name = "topic_filters", .type = PCS_F_LIST, .item_type = PCS_F_STR,
     .doc = "topic filters to remove, at least one"},
    {.name = NULL},
};

static const struct pcs_field_schema unsuback_fields[] = {
    FLAGS_FIELD,
    PID_FIELD("packet identifier of the UNSUBSCRIBE it answers (encode: default 1)"),
    PROPS_FIELD("unsubscribe acknowledgement"),
    {.name = "reason_codes", .type = PCS_F_LIST, .item_type = PCS_F_INT, .versions = V1,
     .enums = unsuback_5, .min = 0, .max = 255,
     .doc = "one reason code per topic filter, in request order"},
    {.name = NULL},
};

static const struct pcs_field_schema empty_fields[] = {
    FLAGS_FIELD,
    {.name = NULL},
};

static const struct pcs_field_schema disconnect_fields[] = {
    FLAGS_FIELD,
    {.name = "reason_code", .type = PCS_F_INT, .versions = V1, .enums = disconnect_5, .min = 0,
     .max = 255, .doc = "disconnect reason code; omitted on the wire when 0 with no properties"},
    PROPS_FIELD("disconnection"),
    {.name = NULL},
};

static const struct pcs_field_schema auth_fields[] = {
    FLAGS_FIELD,
    {.name = "reason_code", .type = PCS_F_INT, .versions = V1, .enums = auth_5, .min = 0,
     .max = 255, .doc = "authenticate reason code; omitted on the wire when 0 with no properties"},
    PROPS_FIELD("authentication exchange"),
    {.name = NULL},
};

#define C2S PCS_DIRS_C2S
#define S2C PCS_DIRS_S2C
#define BOTH PCS_DIRS_BOTH

const struct pcs_frame_schema pcs_mqtt_frames[] = {
    {"CONNECT", 0, C2S, connect_fields, "client asks to open a session"},
    {"CONNACK", 0, S2C, connack_fields, "server answers CONNECT"},
    {"PUBLISH", 0, BOTH, publish_fields, "application message"},
    {"PUBACK", 0, BOTH, puback_fields, "QoS 1 acknowledgement"},
    {"PUBREC", 0, BOTH, pubrec_fields, "QoS 2 delivery, part 1: received"},
    {"PUBREL", 0, BOTH, pubrel_fields, "QoS 2 delivery, part 2: release"},
    {"PUBCOMP", 0, BOTH, pubcomp_fields, "QoS 2 delivery, part 3: complete"},
    {"SUBSCRIBE", 0, C2S, subscribe_fields, "client subscribes to topic filters"},
    {"SUBACK", 0, S2C, suback_fields, "server answers SUBSCRIBE"},
    {"UNSUBSCRIBE", 0, C2S, unsubscribe_fields, "client removes subscriptions"},
    {"UNSUBACK", 0, S2C, unsuback_fields, "server answers UNSUBSCRIBE"},
    {"PINGREQ", 0, C2S, empty_fields, "keep-alive ping"},
    {"PINGRESP", 0, S2C, empty_fields, "answer to PINGREQ"},
    {"DISCONNECT", 0, BOTH, disconnect_fields,
     "orderly close (client to server in 3.1.1; either side in 5.0)"},
    {"AUTH", V1, BOTH, auth_fields, "extended authentication exchange"},
    {.name = NULL},
};

/* ---- lookups ---- */

const struct pcs_mqtt_prop *pcs_mqtt_prop_by_id(uint32_t id)
{
    for (const struct pcs_mqtt_prop *p = pcs_mqtt_props; p->name; p++)
        if (p->id == id)
            return p;
    return NULL;
}

const struct pcs_mqtt_prop *pcs_mqtt_prop_by_name(const char *name)
{
    for (const struct pcs_mqtt_prop *p = pcs_mqtt_props; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* Asked of frames that carry no codec mark (built as values), so the name's length and a letter
 * or two pick the one candidate, and a single strcmp confirms it. */
int pcs_mqtt_type_by_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    int t = 0;
    if (n < 4)
        return 0;
    switch (name[0]) {
    case 'A': t = PCS_MQTT_AUTH; break;
    case 'D': t = PCS_MQTT_DISCONNECT; break;
    case 'C': t = n == 7 && name[4] == 'E' ? PCS_MQTT_CONNECT : PCS_MQTT_CONNACK; break;
    case 'S': t = n == 9 ? PCS_MQTT_SUBSCRIBE : PCS_MQTT_SUBACK; break;
    case 'U': t = n == 11 ? PCS_MQTT_UNSUBSCRIBE : PCS_MQTT_UNSUBACK; break;
    case 'P':
        if (name[1] == 'I')
            t = n == 7 ? PCS_MQTT_PINGREQ : PCS_MQTT_PINGRESP;
        else if (n == 7)
            t = name[3] == 'L' ? PCS_MQTT_PUBLISH : PCS_MQTT_PUBCOMP;
        else if (n == 6)
            t = name[5] == 'K' ? PCS_MQTT_PUBACK : name[5] == 'C' ? PCS_MQTT_PUBREC : PCS_MQTT_PUBREL;
        break;
    }
    return t && strcmp(pcs_mqtt_ptypes[t].name, name) == 0 ? t : 0;
}

const struct pcs_enum *pcs_mqtt_reasons(int type, int version)
{
    if (type < 1 || type > 15 || version < 0 || version > 1)
        return NULL;
    return pcs_mqtt_ptypes[type].reasons[version];
}
