/* faults.c — the MQTT stub's named faults: each breaks exactly one catalogue rule on purpose
 * (`pcs stub mqtt --fault NAME`, or a spec run's fault option) so every spec can be shown to
 * fail. Where 3.1.1 and 5.0 number a rule differently there are two entries, the 5.0 one
 * suffixed -v5, each acting only on its version's connections. Static data; owns nothing. */
#include "broker.h"

#include <string.h>

#define V311 (1u << PCS_MQB_V311)
#define V5 (1u << PCS_MQB_V5)

const struct pcs_stub_fault pcs_mqb_faults[F_COUNT + 1] = {
    [F_CONNACK_NOT_FIRST] = {"connack-not-first", "MQTT-3.2.0-1",
        "sends PINGRESP before CONNACK"},
    [F_SESSION_PRESENT_ON_CLEAN] = {"session-present-on-clean", "MQTT-3.2.2-1",
        "3.1.1: CONNACK session_present=1 for a clean session"},
    [F_SESSION_PRESENT_ON_CLEAN_V5] = {"session-present-on-clean-v5", "MQTT-3.2.2-2",
        "5.0: CONNACK session_present=1 for clean_start=1"},
    [F_SESSION_NOT_RESUMED] = {"session-not-resumed", "MQTT-3.2.2-2",
        "3.1.1: drops a stored session on resumption and answers session_present=0"},
    [F_SESSION_NOT_RESUMED_V5] = {"session-not-resumed-v5", "MQTT-3.2.2-3",
        "5.0: drops a stored session on resumption and answers session_present=0"},
    [F_ACCEPT_BAD_PROTOCOL_LEVEL] = {"accept-bad-protocol-level", "MQTT-3.1.2-2",
        "accepts an unsupported protocol level (treats <5 as 4, >5 as 5)"},
    [F_ACCEPT_BAD_PROTOCOL_NAME] = {"accept-bad-protocol-name", "MQTT-3.1.2-1",
        "accepts a CONNECT whose protocol name is not \"MQTT\""},
    [F_ACCEPT_SECOND_CONNECT] = {"accept-second-connect", "MQTT-3.1.0-2",
        "ignores a second CONNECT instead of closing the connection"},
    [F_ACCEPT_RESERVED_FLAG] = {"accept-reserved-flag", "MQTT-3.1.2-3",
        "accepts a CONNECT whose reserved flag bit is 1"},
    [F_ACCEPT_EMPTY_CLIENT_ID] = {"accept-empty-client-id", "MQTT-3.1.3-8",
        "3.1.1: accepts an empty client id with clean_session=0"},
    [F_NO_ASSIGNED_CLIENT_ID] = {"no-assigned-client-id", "MQTT-3.2.2-16",
        "5.0: accepts an empty client id but omits assigned_client_identifier"},
    [F_PUBACK_WRONG_ID] = {"puback-wrong-id", "MQTT-2.3.1-6",
        "3.1.1: PUBACK carries the PUBLISH's packet id + 1"},
    [F_PUBACK_WRONG_ID_V5] = {"puback-wrong-id-v5", "MQTT-2.2.1-5",
        "5.0: PUBACK carries the PUBLISH's packet id + 1"},
    [F_NO_PUBACK] = {"no-puback", "MQTT-3.3.4-1",
        "never answers a QoS 1 PUBLISH with PUBACK"},
    [F_NO_PUBREC] = {"no-pubrec", "MQTT-3.3.4-1",
        "never answers a QoS 2 PUBLISH with PUBREC"},
    [F_NO_PUBCOMP] = {"no-pubcomp", "MQTT-4.3.3-2",
        "3.1.1: never answers PUBREL with PUBCOMP"},
    [F_NO_PUBCOMP_V5] = {"no-pubcomp-v5", "MQTT-4.3.3-11",
        "5.0: never answers PUBREL with PUBCOMP"},
    [F_PUBREL_BAD_FLAGS] = {"pubrel-bad-flags", "MQTT-3.6.1-1",
        "sends PUBREL with fixed-header flags 0 instead of 2"},
    [F_SUBACK_WRONG_COUNT] = {"suback-wrong-count", "MQTT-3.8.4-5",
        "3.1.1: SUBACK has one return code more than the SUBSCRIBE had filters"},
    [F_SUBACK_WRONG_COUNT_V5] = {"suback-wrong-count-v5", "MQTT-3.8.4-6",
        "5.0: SUBACK has one reason code more than the SUBSCRIBE had filters"},
    [F_SUBACK_WRONG_ID] = {"suback-wrong-id", "MQTT-3.8.4-2",
        "SUBACK carries the SUBSCRIBE's packet id + 1"},
    [F_UNSUBACK_WRONG_ID] = {"unsuback-wrong-id", "MQTT-3.10.4-4",
        "3.1.1: UNSUBACK carries the UNSUBSCRIBE's packet id + 1"},
    [F_UNSUBACK_WRONG_ID_V5] = {"unsuback-wrong-id-v5", "MQTT-3.10.4-5",
        "5.0: UNSUBACK carries the UNSUBSCRIBE's packet id + 1"},
    [F_NO_PINGRESP] = {"no-pingresp", "MQTT-3.12.4-1",
        "never answers PINGREQ"},
    [F_RETAIN_NOT_STORED] = {"retain-not-stored", "MQTT-3.3.1-5",
        "forwards PUBLISH with retain=1 but never stores it"},
    [F_RETAIN_FLAG_ON_LIVE] = {"retain-flag-on-live", "MQTT-3.3.1-9",
        "3.1.1: forwards live messages with the publisher's retain flag"},
    [F_RETAIN_FLAG_ON_LIVE_V5] = {"retain-flag-on-live-v5", "MQTT-3.3.1-12",
        "5.0: keeps retain=1 on live messages for retain_as_published=0 subscriptions"},
    [F_RETAIN_NOT_CLEARED] = {"retain-not-cleared", "MQTT-3.3.1-10",
        "3.1.1: a retained PUBLISH with empty payload does not clear the retained message"},
    [F_RETAIN_NOT_CLEARED_V5] = {"retain-not-cleared-v5", "MQTT-3.3.1-6",
        "5.0: a retained PUBLISH with empty payload does not clear the retained message"},
    [F_WILL_NOT_SENT] = {"will-not-sent", "MQTT-3.1.2-8",
        "never publishes the Will"},
    [F_WILL_SENT_AFTER_DISCONNECT] = {"will-sent-after-disconnect", "MQTT-3.14.4-3",
        "publishes the Will even after a normal DISCONNECT"},
    [F_WILL_RETAIN_IGNORED] = {"will-retain-ignored", "MQTT-3.1.2-17",
        "3.1.1: publishes a will_retain=1 Will as non-retained"},
    [F_WILL_RETAIN_IGNORED_V5] = {"will-retain-ignored-v5", "MQTT-3.1.2-15",
        "5.0: publishes a will_retain=1 Will as non-retained"},
    [F_KEEPALIVE_NOT_ENFORCED] = {"keepalive-not-enforced", "MQTT-3.1.2-24",
        "3.1.1: never closes a client silent for 1.5 x keep_alive"},
    [F_KEEPALIVE_NOT_ENFORCED_V5] = {"keepalive-not-enforced-v5", "MQTT-3.1.2-22",
        "5.0: never closes a client silent for 1.5 x keep_alive"},
    [F_ACCEPT_MALFORMED_SUBSCRIBE] = {"accept-malformed-subscribe", "MQTT-3.8.1-1",
        "accepts SUBSCRIBE whose fixed-header flags are not 0x2"},
    [F_ACCEPT_WILDCARD_TOPIC_PUBLISH] = {"accept-wildcard-topic-publish", "MQTT-3.3.2-2",
        "accepts and forwards a PUBLISH whose topic holds + or #"},
    [F_OUTBOUND_PACKET_ID_ZERO] = {"outbound-packet-id-zero", "MQTT-2.3.1-1",
        "3.1.1: the first QoS>0 PUBLISH it sends a session has packet id 0"},
    [F_OUTBOUND_PACKET_ID_ZERO_V5] = {"outbound-packet-id-zero-v5", "MQTT-2.2.1-4",
        "5.0: the first QoS>0 PUBLISH it sends a session has packet id 0"},
    [F_QOS_NOT_DOWNGRADED] = {"qos-not-downgraded", "MQTT-3.8.4-6",
        "3.1.1: delivers at the publish QoS even above the granted QoS"},
    [F_QOS_NOT_DOWNGRADED_V5] = {"qos-not-downgraded-v5", "MQTT-3.8.4-8",
        "5.0: delivers at the publish QoS even above the granted QoS"},
    [F_PLUS_MATCHES_MULTIPLE_LEVELS] = {"plus-matches-multiple-levels", "MQTT-3.3.2-3",
        "a trailing '+' in a filter matches one or more levels"},
    [F_HASH_MATCHES_DOLLAR_TOPICS] = {"hash-matches-dollar-topics", "MQTT-4.7.2-1",
        "filters starting with # or + match topics starting with $"},
    [F_UNSUBSCRIBE_IGNORED] = {"unsubscribe-ignored", "MQTT-3.10.4-2",
        "answers UNSUBSCRIBE but keeps the subscription"},
    [F_OUT_OF_ORDER_DELIVERY] = {"out-of-order-delivery", "MQTT-4.6.0-6",
        "3.1.1: swaps consecutive QoS 1 messages to a subscriber (holds one up to 300 ms)"},
    [F_OUT_OF_ORDER_DELIVERY_V5] = {"out-of-order-delivery-v5", "MQTT-4.6.0-5",
        "5.0: swaps consecutive QoS 1 messages to a subscriber (holds one up to 300 ms)"},
    [F_NO_REDELIVERY_DUP] = {"no-redelivery-dup", "MQTT-3.3.1-1",
        "redelivers unacknowledged PUBLISHes on session resumption with dup=0"},
    [F_QOS0_WITH_PACKET_ID] = {"qos0-with-packet-id", "MQTT-2.3.1-5",
        "3.1.1: outbound QoS 0 PUBLISH carries a packet id"},
    [F_QOS0_WITH_PACKET_ID_V5] = {"qos0-with-packet-id-v5", "MQTT-2.2.1-2",
        "5.0: outbound QoS 0 PUBLISH carries a packet id"},
    [F_DUP_COPIED] = {"dup-copied", "MQTT-3.3.1-3",
        "copies the publisher's DUP flag onto forwarded QoS>0 PUBLISHes"},
    [F_QOS2_DUPLICATE_DELIVERY] = {"qos2-duplicate-delivery", "MQTT-4.3.3-2",
        "3.1.1: forwards a re-sent QoS 2 PUBLISH again before PUBREL"},
    [F_QOS2_DUPLICATE_DELIVERY_V5] = {"qos2-duplicate-delivery-v5", "MQTT-4.3.3-10",
        "5.0: forwards a re-sent QoS 2 PUBLISH again before PUBREL"},
    [F_TOPIC_ALIAS_IGNORED] = {"topic-alias-ignored", "MQTT-3.3.2-12",
        "5.0: forgets inbound topic aliases (an alias-only PUBLISH is a protocol error)"},
    [F_ACCEPT_TOPIC_ALIAS_ZERO] = {"accept-topic-alias-zero", "MQTT-4.13.1-1",
        "5.0: accepts topic_alias 0 instead of DISCONNECT 0x94"},
    [F_NO_SUBSCRIPTION_IDENTIFIER] = {"no-subscription-identifier", "MQTT-3.3.4-3",
        "5.0: omits subscription identifiers from delivered PUBLISHes"},
    [F_NO_LOCAL_IGNORED] = {"no-local-ignored", "MQTT-3.8.3-3",
        "5.0: sends a client its own messages despite no_local=1"},
    [F_RETAIN_AS_PUBLISHED_IGNORED] = {"retain-as-published-ignored", "MQTT-3.3.1-13",
        "5.0: clears retain on live messages even for retain_as_published=1"},
    [F_RETAIN_HANDLING_IGNORED] = {"retain-handling-ignored", "MQTT-3.3.1-11",
        "5.0: sends retained messages for retain_handling=2"},
    [F_WILL_DELAY_IGNORED] = {"will-delay-ignored", "MQTT-3.1.2-8",
        "5.0: publishes the Will at once, ignoring will_delay_interval"},
    [F_MESSAGE_EXPIRY_IGNORED] = {"message-expiry-ignored", "MQTT-3.3.2-5",
        "5.0: delivers expired messages (message_expiry_interval 0)"},
    [F_MESSAGE_EXPIRY_NOT_ADJUSTED] = {"message-expiry-not-adjusted", "MQTT-3.3.2-6",
        "5.0: forwards message_expiry_interval unchanged after the message waited"},
    [F_USER_PROPERTY_REORDERED] = {"user-property-reordered", "MQTT-3.3.2-18",
        "5.0: forwards user properties in reverse order"},
    [F_DISCONNECT_WRONG_REASON] = {"disconnect-wrong-reason", "MQTT-3.14.1-1",
        "5.0: answers a malformed packet with DISCONNECT 0x80 instead of 0x81"},
    [F_RECEIVE_MAXIMUM_IGNORED] = {"receive-maximum-ignored", "MQTT-3.3.4-9",
        "5.0: sends more unacknowledged QoS>0 PUBLISHes than the client's receive_maximum"},
    [F_PACKET_TOO_LARGE_SENT] = {"packet-too-large-sent", "MQTT-3.1.2-24",
        "5.0: sends PUBLISHes larger than the client's maximum_packet_size"},
    [F_SESSION_EXPIRY_IGNORED] = {"session-expiry-ignored", "MQTT-4.1.0-2",
        "5.0: keeps the session after disconnect although session_expiry_interval is 0"},
    [F_CONNACK_REASON_WITH_SESSION_PRESENT] = {"connack-reason-with-session-present",
        "MQTT-3.2.2-6", "5.0: a CONNACK with a non-zero reason code has session_present=1"},
    [F_NO_TAKEOVER_DISCONNECT_V5] = {"no-takeover-disconnect-v5", "MQTT-3.1.4-3",
        "5.0: closes a taken-over connection without DISCONNECT 0x8E"},
    [F_ACCEPT_BAD_AUTH_METHOD] = {"accept-bad-auth-method", "MQTT-4.12.0-1",
        "5.0: accepts a CONNECT with an unknown authentication_method"},
    [F_ACCEPT_NULL_CHAR] = {"accept-null-char", "MQTT-1.5.3-2",
        "3.1.1: accepts a string holding U+0000 (read as '_') instead of closing"},
    [F_ACCEPT_NULL_CHAR_V5] = {"accept-null-char-v5", "MQTT-1.5.4-2",
        "5.0: accepts a string holding U+0000 (read as '_') instead of closing"},
    [F_ACCEPT_ILL_FORMED_UTF8] = {"accept-ill-formed-utf8", "MQTT-1.5.3-1",
        "3.1.1: accepts an ill-formed UTF-8 string (its non-ASCII bytes read as '?')"},
    [F_ACCEPT_ILL_FORMED_UTF8_V5] = {"accept-ill-formed-utf8-v5", "MQTT-1.5.4-1",
        "5.0: accepts an ill-formed UTF-8 string (its non-ASCII bytes read as '?')"},
    [F_TAKEOVER_IGNORED] = {"takeover-ignored", "MQTT-3.1.4-2",
        "3.1.1: keeps the old connection open when its client id connects again"},
    [F_TAKEOVER_IGNORED_V5] = {"takeover-ignored-v5", "MQTT-3.1.4-3",
        "5.0: keeps the old connection open when its client id connects again"},
    [F_ACCEPT_MALFORMED_UNSUBSCRIBE] = {"accept-malformed-unsubscribe", "MQTT-3.10.1-1",
        "accepts UNSUBSCRIBE whose fixed-header flags are not 0x2"},
    [F_ACCEPT_QOS3_PUBLISH] = {"accept-qos3-publish", "MQTT-3.3.1-4",
        "accepts a PUBLISH with both QoS bits set (read as QoS 1)"},
    [F_ACCEPT_MALFORMED_PUBREL] = {"accept-malformed-pubrel", "MQTT-3.6.1-1",
        "accepts PUBREL whose fixed-header flags are not 0x2"},
    [F_HASH_NOT_MULTI_LEVEL] = {"hash-not-multi-level", "MQTT-4.5.0-1",
        "3.1.1: a trailing '#' matches exactly one level (not the parent, not deeper)"},
    [F_HASH_NOT_MULTI_LEVEL_V5] = {"hash-not-multi-level-v5", "MQTT-4.5.0-1",
        "5.0: a trailing '#' matches exactly one level (not the parent, not deeper)"},
    [F_ACCEPT_BAD_REMAINING_LENGTH] = {"accept-bad-remaining-length", "MQTT-4.8.0-1",
        "3.1.1: accepts a Remaining Length longer than 4 bytes (drops bits past the 4th)"},
    [F_ACCEPT_BAD_REMAINING_LENGTH_V5] = {"accept-bad-remaining-length-v5", "MQTT-4.13.1-1",
        "5.0: accepts a Remaining Length longer than 4 bytes (drops bits past the 4th)"},
    [F_CONTENT_TYPE_NOT_FORWARDED] = {"content-type-not-forwarded", "MQTT-3.3.2-20",
        "5.0: drops content_type from forwarded PUBLISHes"},
    [F_COUNT] = {NULL, NULL, NULL},
};

/* Version a fault acts on; entries not listed act on both. Keyed by enum, not by position. */
static const unsigned fault_versions[F_COUNT] = {
    [F_SESSION_PRESENT_ON_CLEAN] = V311,   [F_SESSION_PRESENT_ON_CLEAN_V5] = V5,
    [F_SESSION_NOT_RESUMED] = V311,        [F_SESSION_NOT_RESUMED_V5] = V5,
    [F_ACCEPT_EMPTY_CLIENT_ID] = V311,     [F_NO_ASSIGNED_CLIENT_ID] = V5,
    [F_PUBACK_WRONG_ID] = V311,            [F_PUBACK_WRONG_ID_V5] = V5,
    [F_NO_PUBCOMP] = V311,                 [F_NO_PUBCOMP_V5] = V5,
    [F_SUBACK_WRONG_COUNT] = V311,         [F_SUBACK_WRONG_COUNT_V5] = V5,
    [F_UNSUBACK_WRONG_ID] = V311,          [F_UNSUBACK_WRONG_ID_V5] = V5,
    [F_RETAIN_FLAG_ON_LIVE] = V311,        [F_RETAIN_FLAG_ON_LIVE_V5] = V5,
    [F_RETAIN_NOT_CLEARED] = V311,         [F_RETAIN_NOT_CLEARED_V5] = V5,
    [F_WILL_RETAIN_IGNORED] = V311,        [F_WILL_RETAIN_IGNORED_V5] = V5,
    [F_KEEPALIVE_NOT_ENFORCED] = V311,     [F_KEEPALIVE_NOT_ENFORCED_V5] = V5,
    [F_OUTBOUND_PACKET_ID_ZERO] = V311,    [F_OUTBOUND_PACKET_ID_ZERO_V5] = V5,
    [F_QOS_NOT_DOWNGRADED] = V311,         [F_QOS_NOT_DOWNGRADED_V5] = V5,
    [F_OUT_OF_ORDER_DELIVERY] = V311,      [F_OUT_OF_ORDER_DELIVERY_V5] = V5,
    [F_QOS0_WITH_PACKET_ID] = V311,        [F_QOS0_WITH_PACKET_ID_V5] = V5,
    [F_QOS2_DUPLICATE_DELIVERY] = V311,    [F_QOS2_DUPLICATE_DELIVERY_V5] = V5,
    [F_NO_TAKEOVER_DISCONNECT_V5] = V5,
    [F_TOPIC_ALIAS_IGNORED] = V5,          [F_ACCEPT_TOPIC_ALIAS_ZERO] = V5,
    [F_NO_SUBSCRIPTION_IDENTIFIER] = V5,   [F_NO_LOCAL_IGNORED] = V5,
    [F_RETAIN_AS_PUBLISHED_IGNORED] = V5,  [F_RETAIN_HANDLING_IGNORED] = V5,
    [F_WILL_DELAY_IGNORED] = V5,           [F_MESSAGE_EXPIRY_IGNORED] = V5,
    [F_MESSAGE_EXPIRY_NOT_ADJUSTED] = V5,  [F_USER_PROPERTY_REORDERED] = V5,
    [F_DISCONNECT_WRONG_REASON] = V5,      [F_RECEIVE_MAXIMUM_IGNORED] = V5,
    [F_PACKET_TOO_LARGE_SENT] = V5,        [F_SESSION_EXPIRY_IGNORED] = V5,
    [F_CONNACK_REASON_WITH_SESSION_PRESENT] = V5, [F_ACCEPT_BAD_AUTH_METHOD] = V5,
    [F_ACCEPT_NULL_CHAR] = V311,           [F_ACCEPT_NULL_CHAR_V5] = V5,
    [F_ACCEPT_ILL_FORMED_UTF8] = V311,     [F_ACCEPT_ILL_FORMED_UTF8_V5] = V5,
    [F_TAKEOVER_IGNORED] = V311,           [F_TAKEOVER_IGNORED_V5] = V5,
    [F_HASH_NOT_MULTI_LEVEL] = V311,       [F_HASH_NOT_MULTI_LEVEL_V5] = V5,
    [F_ACCEPT_BAD_REMAINING_LENGTH] = V311, [F_ACCEPT_BAD_REMAINING_LENGTH_V5] = V5,
    [F_CONTENT_TYPE_NOT_FORWARDED] = V5,
};

bool pcs_mqb_fault_v(const struct pcs_stub *b, int version, enum pcs_mqb_fault f)
{
    if (b->fault != f || f == F_NONE)
        return false;
    unsigned mask = fault_versions[f];
    if (!mask || version < 0)
        return true;
    return (mask & (1u << version)) != 0;
}

bool pcs_mqb_fault(const struct pcs_stub *b, const struct pcs_mqb_conn *c, enum pcs_mqb_fault f)
{
    return pcs_mqb_fault_v(b, c ? c->version : -1, f);
}

int pcs_mqb_fault_lookup(const char *name)
{
    for (int i = 0; i < F_COUNT; i++)
        if (strcmp(pcs_mqb_faults[i].name, name) == 0)
            return i;
    return -1;
}

bool pcs_mqb_fault_refused(const struct pcs_stub *b, const struct pcs_mqb_conn *c,
                           enum pcs_mqb_fault f, const struct pcs_diag *d)
{
    return pcs_mqb_fault(b, c, f) && strcmp(d->rule, pcs_mqb_faults[f].rule) == 0;
}

unsigned pcs_mqb_match_faults(const struct pcs_stub *b, int version)
{
    unsigned m = 0;
    if (pcs_mqb_fault_v(b, version, F_PLUS_MATCHES_MULTIPLE_LEVELS))
        m |= PCS_MQB_MATCH_PLUS_MULTI;
    if (pcs_mqb_fault_v(b, version, F_HASH_MATCHES_DOLLAR_TOPICS))
        m |= PCS_MQB_MATCH_HASH_DOLLAR;
    if (pcs_mqb_fault_v(b, version, F_HASH_NOT_MULTI_LEVEL) ||
        pcs_mqb_fault_v(b, version, F_HASH_NOT_MULTI_LEVEL_V5))
        m |= PCS_MQB_MATCH_HASH_ONE;
    return m;
}
