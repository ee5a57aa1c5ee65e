/* mqtt_checks.c — the always-on MQTT rules (pcs_mqtt_checks), run on every decoded frame of
 * the implementation under test. One X-macro list gives each check its rule, versions, dirs,
 * packet types and summary; the engine skips the checks a frame is outside of, and a
 * generated wrapper does the same for direct callers. The bodies read only the connection
 * state, with the facts decode() left of the frame (c->last), never the frame value: replay
 * checks frames it builds no value for. Structural errors are the decoder's, not these
 * checks'. No allocation. */
#include "mqtt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define V0 PCS_VER(PCS_MQTT_V311)
#define V1 PCS_VER(PCS_MQTT_V5)
#define C2S PCS_DIRS_C2S
#define S2C PCS_DIRS_S2C
#define BOTH PCS_DIRS_BOTH
#define T(x) PCS_MQTT_##x
/* Packet types in a check's `types` mask (pcs_mqtt_frames is in type order: index = type-1). */
#define TY(x) PCS_FRAME_BIT(PCS_MQTT_##x - 1)
#define ANY 0
#define ALL (PCS_FRAME_BIT(15) - 1)
#define BUT(x) (ALL & ~TY(x))
#define PUBACKS (TY(PUBACK) | TY(PUBREC) | TY(PUBREL))
#define SUBS (TY(SUBSCRIBE) | TY(UNSUBSCRIBE))

static int ver(const struct pcs_mqtt_conn *c) { return c->version == PCS_MQTT_V5 ? 1 : 0; }

static int fail(struct pcs_diag *d, const char *rule, const struct pcs_mqtt_facts *k,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(struct pcs_diag *d, const char *rule, const struct pcs_mqtt_facts *k,
                const char *fmt, ...)
{
    char m[PCS_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return pcs_diag_set(d, PCS_ERR_MALFORMED, rule, "%s: %s",
                        k->type ? pcs_mqtt_ptypes[k->type].name : "frame", m);
}

static unsigned qos(const struct pcs_mqtt_facts *k) { return k->flags >> 1 & 3; }

/* A span for "%.*s". */
#define SPAN(s) (int)(s).n, (const char *)(s).p

/* The next topic filter of a SUBSCRIBE or UNSUBSCRIBE (its options byte in *opts, 0 for
 * UNSUBSCRIBE) from *at on; false past the last. decode() checked the layout. */
static bool next_filter(const struct pcs_mqtt_facts *k, size_t *at, struct pcs_mqtt_span *s,
                        uint8_t *opts)
{
    const uint8_t *p = k->items.p + *at;
    size_t rest = k->items.n - *at, opt = k->type == T(SUBSCRIBE);
    if (*at >= k->items.n || rest < 2 || rest < 2 + (size_t)(p[0] << 8 | p[1]) + opt)
        return false;
    *s = (struct pcs_mqtt_span){p + 2, (uint32_t)(p[0] << 8 | p[1])};
    *at += 2 + s->n + opt;
    *opts = opt ? p[2 + s->n] : 0;
    return true;
}

/* ---- connection order ---- */

static int first_connect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_mqtt_facts *k, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)dir, (void)arg;
    if (c->connects == 0)
        return fail(d, rule, k, "sent before CONNECT");
    return 0;
}

static int second_connect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_mqtt_facts *k, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)dir, (void)arg;
    if (c->connects > 1)
        return fail(d, rule, k, "CONNECT number %u on one connection", c->connects);
    return 0;
}

static int connack_first(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_mqtt_facts *k, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)dir, (void)arg;
    if (c->connacks == 0 && !(ver(c) && k->type == T(AUTH)))
        return fail(d, rule, k, "sent before CONNACK");
    return 0;
}

static int one_connack(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_mqtt_facts *k, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)dir, (void)arg;
    if (c->connacks > 1)
        return fail(d, rule, k, "CONNACK number %u on one connection", c->connacks);
    return 0;
}

static int after_disconnect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_mqtt_facts *k, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)arg;
    unsigned n = c->disconnects[dir];
    if ((k->type != T(DISCONNECT) && n > 0) || (k->type == T(DISCONNECT) && n > 1))
        return fail(d, rule, k, "sent after DISCONNECT");
    return 0;
}

/* ---- packet identifiers ---- */

static int pid_nonzero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_mqtt_facts *k, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (k->has_pid && k->pid == 0)
        return fail(d, rule, k, "packet identifier is 0");
    return 0;
}

static int ack_pid_nonzero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                           const struct pcs_mqtt_facts *k, const char *rule, int arg,
                           struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (k->has_pid && k->pid == 0)
        return fail(d, rule, k, "packet identifier is 0, so it echoes no request");
    return 0;
}

/* ---- PUBLISH ---- */

static int qos0_dup(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                    const struct pcs_mqtt_facts *k, const char *rule, int arg,
                    struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (qos(k) == 0 && (k->flags & 8))
        return fail(d, rule, k, "DUP 1 on a QoS 0 message");
    return 0;
}

static bool has_wildcard(struct pcs_mqtt_span s)
{
    return s.n && (memchr(s.p, '+', s.n) || memchr(s.p, '#', s.n));
}

static int topic_no_wildcards(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                              const struct pcs_mqtt_facts *k, const char *rule, int arg,
                              struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (has_wildcard(k->topic))
        return fail(d, rule, k, "topic name \"%.*s\" contains a wildcard", SPAN(k->topic));
    return 0;
}

static int response_topic_wild(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                               const struct pcs_mqtt_facts *k, const char *rule, int arg,
                               struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (has_wildcard(k->response_topic))
        return fail(d, rule, k, "Response Topic contains a wildcard");
    return 0;
}

static int topic_nonempty(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_mqtt_facts *k, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)dir, (void)arg;
    if (k->type == T(PUBLISH)) {
        if (k->topic.n == 0 && !pcs_mqtt_has(k, PCS_MQTT_P_topic_alias))
            return fail(d, rule, k, "empty topic name%s", ver(c) ? " without a Topic Alias" : "");
        return 0;
    }
    struct pcs_mqtt_span s;
    uint8_t o;
    size_t at = 0;
    for (unsigned i = 0; next_filter(k, &at, &s, &o); i++)
        if (s.n == 0)
            return fail(d, rule, k, "topic filter %u is empty", i);
    return 0;
}

static int client_subid(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                        const struct pcs_mqtt_facts *k, const char *rule, int arg,
                        struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_mqtt_has(k, PCS_MQTT_P_subscription_identifier))
        return fail(d, rule, k, "client sent a Subscription Identifier");
    return 0;
}

static int alias_zero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                      const struct pcs_mqtt_facts *k, const char *rule, int arg,
                      struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_mqtt_has(k, PCS_MQTT_P_topic_alias) && k->num[PCS_MQTT_P_topic_alias] == 0)
        return fail(d, rule, k, "Topic Alias 0");
    return 0;
}

static int alias_max(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                     const struct pcs_mqtt_facts *k, const char *rule, int arg,
                     struct pcs_diag *d)
{
    (void)arg;
    uint32_t a = k->num[PCS_MQTT_P_topic_alias];
    if (pcs_mqtt_has(k, PCS_MQTT_P_topic_alias) && a > c->alias_max[dir])
        return fail(d, rule, k, "Topic Alias %u above the Topic Alias Maximum %u", a,
                    c->alias_max[dir]);
    return 0;
}

/* The rules that forbid a Reason String [0] or User Properties [1] that push a packet of
 * this type past the receiver's Maximum Packet Size. */
static const char *const oversize_rules[16][2] = {
    [T(CONNACK)] = {"MQTT-3.2.2-19", "MQTT-3.2.2-20"},
    [T(PUBACK)] = {"MQTT-3.4.2-2", "MQTT-3.4.2-3"},
    [T(PUBREC)] = {"MQTT-3.5.2-2", "MQTT-3.5.2-3"},
    [T(PUBREL)] = {"MQTT-3.6.2-2", "MQTT-3.6.2-3"},
    [T(PUBCOMP)] = {"MQTT-3.7.2-2", "MQTT-3.7.2-3"},
    [T(SUBACK)] = {"MQTT-3.9.2-1", "MQTT-3.9.2-2"},
    [T(UNSUBACK)] = {"MQTT-3.11.2-1", "MQTT-3.11.2-2"},
    [T(DISCONNECT)] = {"MQTT-3.14.2-3", "MQTT-3.14.2-4"},
    [T(AUTH)] = {"MQTT-3.15.2-2", "MQTT-3.15.2-3"},
};

static int max_packet(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                      const struct pcs_mqtt_facts *k, const char *rule, int arg,
                      struct pcs_diag *d)
{
    (void)arg;
    if (!c->max_packet[dir] || c->last_len[dir] <= c->max_packet[dir])
        return 0;
    /* a Reason String or User Property the packet carries is what it had to leave out */
    const char *const *o = oversize_rules[k->type & 15];
    if (o[0] && pcs_mqtt_has(k, PCS_MQTT_P_reason_string))
        return fail(d, o[0], k, "%zu bytes with a Reason String, above the Maximum Packet Size %u",
                    c->last_len[dir], c->max_packet[dir]);
    if (o[1] && pcs_mqtt_has(k, PCS_MQTT_P_user_property))
        return fail(d, o[1], k, "%zu bytes with User Properties, above the Maximum Packet Size %u",
                    c->last_len[dir], c->max_packet[dir]);
    return fail(d, rule, k, "%zu bytes, above the Maximum Packet Size %u", c->last_len[dir],
                c->max_packet[dir]);
}

static int client_max_qos(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_mqtt_facts *k, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)arg;
    if (qos(k) > c->max_qos[dir])
        return fail(d, rule, k, "QoS %u above the server's Maximum QoS %u", qos(k),
                    c->max_qos[dir]);
    return 0;
}

static int client_retain(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_mqtt_facts *k, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)arg;
    if (!c->retain_ok[dir] && (k->flags & 1))
        return fail(d, rule, k, "RETAIN 1 although the server said Retain Available 0");
    return 0;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

/* arg '#' or '+': the wildcard fills a whole level ('#' also only as the last one). */
static int filter_wildcards(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_mqtt_facts *k, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)c, (void)dir;
    struct pcs_mqtt_span s;
    uint8_t o;
    size_t at = 0;
    while (next_filter(k, &at, &s, &o)) {
        for (size_t j = 0; j < s.n; j++) {
            if (s.p[j] != arg)
                continue;
            bool whole = (j == 0 || s.p[j - 1] == '/') && (j + 1 == s.n || s.p[j + 1] == '/');
            if (!whole || (arg == '#' && j + 1 != s.n))
                return fail(d, rule, k, "'%c' misplaced in topic filter \"%.*s\"", arg, SPAN(s));
        }
    }
    return 0;
}

/* arg 1: "$share/" has a non-empty ShareName; arg 2: ShareName has no '/', '+', '#' and is
 * followed by '/' and a topic filter. */
static int shared_filter(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_mqtt_facts *k, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)c, (void)dir;
    struct pcs_mqtt_span s;
    uint8_t o;
    size_t at = 0;
    while (next_filter(k, &at, &s, &o)) {
        if (s.n < 7 || memcmp(s.p, "$share/", 7) != 0)
            continue;
        const uint8_t *name = s.p + 7, *end = s.p + s.n;
        const uint8_t *slash = memchr(name, '/', (size_t)(end - name));
        size_t nlen = (size_t)((slash ? slash : end) - name);
        if (arg == 1 && nlen == 0)
            return fail(d, rule, k, "empty ShareName in \"%.*s\"", SPAN(s));
        if (arg == 2 && nlen &&
            (memchr(name, '+', nlen) || memchr(name, '#', nlen) || !slash || slash + 1 == end))
            return fail(d, rule, k, "bad shared subscription \"%.*s\"", SPAN(s));
    }
    return 0;
}

static int shared_no_local(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                           const struct pcs_mqtt_facts *k, const char *rule, int arg,
                           struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    struct pcs_mqtt_span s;
    uint8_t o;
    size_t at = 0;
    while (next_filter(k, &at, &s, &o))
        if (s.n >= 7 && memcmp(s.p, "$share/", 7) == 0 && (o & 0x04))
            return fail(d, rule, k, "No Local on shared subscription \"%.*s\"", SPAN(s));
    return 0;
}

/* SUBACK or UNSUBACK: compares with the request remembered by packet id. */
static int ack_count(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                     const struct pcs_mqtt_facts *k, const char *rule, int arg,
                     struct pcs_diag *d)
{
    (void)arg;
    if (c->ack_expect[dir] < 0 || k->nitems == (unsigned)c->ack_expect[dir])
        return 0;
    return fail(d, rule, k, "%u reason codes for %d topic filters", k->nitems, c->ack_expect[dir]);
}

/* ---- reason codes ---- */

/* The packet's reason/return codes are in its type's table: SUBACK's and UNSUBACK's list,
 * else its one code. */
static int reason_valid(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                        const struct pcs_mqtt_facts *k, const char *rule, int arg,
                        struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    const struct pcs_enum *e = pcs_mqtt_reasons(k->type, k->layout);   /* the codes of the
                                                                         * layout it came in */
    if (!e)
        return 0;
    bool list = k->type == T(SUBACK) || k->type == T(UNSUBACK);
    for (size_t i = 0; i < (list ? k->items.n : 1); i++) {
        uint8_t code = list ? k->items.p[i] : k->code;
        if (!pcs_enum_name(e, code))
            return fail(d, rule, k, "reason code 0x%02x is not defined for %s", code,
                        pcs_mqtt_ptypes[k->type].name);
    }
    return 0;
}

/* ---- CONNACK, DISCONNECT ---- */

static int connack_sp(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                      const struct pcs_mqtt_facts *k, const char *rule, int arg,
                      struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (k->code != 0 && (k->ack_flags & 1))
        return fail(d, rule, k, "Session Present 1 with code 0x%02x", k->code);
    return 0;
}

static int connack_reserved(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_mqtt_facts *k, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (k->ack_flags >> 1)
        return fail(d, rule, k, "reserved acknowledge flag bits are 0x%x", k->ack_flags >> 1);
    return 0;
}

static int server_disc_expiry(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                              const struct pcs_mqtt_facts *k, const char *rule, int arg,
                              struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_mqtt_has(k, PCS_MQTT_P_session_expiry_interval))
        return fail(d, rule, k, "server sent a Session Expiry Interval");
    return 0;
}

/* ---- the table ---- */

/* X(name, rule, versions, dirs, types, fn, arg, summary) */
#define MQTT_CHECKS(X)                                                                          \
    X(first_connect, "MQTT-3.1.0-1", 0, C2S, BUT(CONNECT), first_connect, 0,                    \
      "the client's first packet is CONNECT")                                                   \
    X(second_connect, "MQTT-3.1.0-2", 0, C2S, TY(CONNECT), second_connect, 0,                   \
      "a client sends CONNECT only once per connection")                                        \
    X(connack_first, "MQTT-3.2.0-1", 0, S2C, BUT(CONNACK), connack_first, 0,                    \
      "the server's first packet is CONNACK (5.0: AUTH may come before it)")                    \
    X(one_connack, "MQTT-3.2.0-2", V1, S2C, TY(CONNACK), one_connack, 0,                        \
      "a server sends at most one CONNACK")                                                     \
    X(after_disc_311, "MQTT-3.14.4-2", V0, C2S, ANY, after_disconnect, 0,                       \
      "nothing follows the client's DISCONNECT")                                                \
    X(after_disc_5, "MQTT-3.14.4-1", V1, BOTH, ANY, after_disconnect, 0,                        \
      "nothing follows a DISCONNECT")                                                           \
    X(pid_311, "MQTT-2.3.1-1", V0, BOTH, TY(PUBLISH) | SUBS, pid_nonzero, 0,                    \
      "SUBSCRIBE, UNSUBSCRIBE and QoS>0 PUBLISH carry a non-zero packet identifier")            \
    X(pid_5_client, "MQTT-2.2.1-3", V1, C2S, TY(PUBLISH) | SUBS, pid_nonzero, 0,                \
      "client SUBSCRIBE, UNSUBSCRIBE and QoS>0 PUBLISH carry a non-zero packet identifier")     \
    X(pid_5_server, "MQTT-2.2.1-4", V1, S2C, TY(PUBLISH) | SUBS, pid_nonzero, 0,                \
      "server QoS>0 PUBLISH carries a non-zero packet identifier")                              \
    X(pub_ack_pid_311, "MQTT-2.3.1-6", V0, BOTH, PUBACKS, ack_pid_nonzero, 0,                   \
      "PUBACK, PUBREC, PUBREL echo a (non-zero) PUBLISH packet identifier")                     \
    X(pub_ack_pid_5, "MQTT-2.2.1-5", V1, BOTH, PUBACKS | TY(PUBCOMP), ack_pid_nonzero, 0,       \
      "PUBACK, PUBREC, PUBREL, PUBCOMP echo a (non-zero) PUBLISH packet identifier")            \
    X(sub_ack_pid_311, "MQTT-2.3.1-7", V0, S2C, TY(SUBACK) | TY(UNSUBACK), ack_pid_nonzero, 0,  \
      "SUBACK, UNSUBACK echo a (non-zero) request packet identifier")                           \
    X(sub_ack_pid_5, "MQTT-2.2.1-6", V1, S2C, TY(SUBACK) | TY(UNSUBACK), ack_pid_nonzero, 0,    \
      "SUBACK, UNSUBACK echo a (non-zero) request packet identifier")                           \
    X(qos0_dup, "MQTT-3.3.1-2", 0, BOTH, TY(PUBLISH), qos0_dup, 0,                              \
      "DUP is 0 on a QoS 0 PUBLISH")                                                            \
    X(topic_wild, "MQTT-3.3.2-2", 0, BOTH, TY(PUBLISH), topic_no_wildcards, 0,                  \
      "a PUBLISH topic name has no wildcards")                                                  \
    X(topic_empty, "MQTT-4.7.3-1", 0, BOTH, TY(PUBLISH) | SUBS, topic_nonempty, 0,              \
      "topic names and filters are not empty (5.0: unless a Topic Alias stands in)")            \
    X(hash_311, "MQTT-4.7.1-2", V0, C2S, SUBS, filter_wildcards, '#',                           \
      "'#' fills the last level of a topic filter")                                             \
    X(hash_5, "MQTT-4.7.1-1", V1, C2S, SUBS, filter_wildcards, '#',                             \
      "'#' fills the last level of a topic filter")                                             \
    X(plus_311, "MQTT-4.7.1-3", V0, C2S, SUBS, filter_wildcards, '+',                           \
      "'+' fills a whole level of a topic filter")                                              \
    X(plus_5, "MQTT-4.7.1-2", V1, C2S, SUBS, filter_wildcards, '+',                             \
      "'+' fills a whole level of a topic filter")                                              \
    X(share_name, "MQTT-4.8.2-1", V1, C2S, SUBS, shared_filter, 1,                              \
      "a shared subscription has a non-empty ShareName")                                        \
    X(share_form, "MQTT-4.8.2-2", V1, C2S, SUBS, shared_filter, 2,                              \
      "a ShareName has no '/', '+', '#' and is followed by '/' and a filter")                   \
    X(share_no_local, "MQTT-3.8.3-4", V1, C2S, TY(SUBSCRIBE), shared_no_local, 0,               \
      "No Local is not set on a shared subscription")                                           \
    X(suback_count_311, "MQTT-3.8.4-5", V0, S2C, TY(SUBACK), ack_count, 0,                      \
      "SUBACK has one return code per SUBSCRIBE topic filter")                                  \
    X(suback_count_5, "MQTT-3.8.4-6", V1, S2C, TY(SUBACK), ack_count, 0,                        \
      "SUBACK has one reason code per SUBSCRIBE topic filter")                                  \
    X(unsuback_count, "MQTT-3.11.3-2", V1, S2C, TY(UNSUBACK), ack_count, 0,                     \
      "UNSUBACK has one reason code per UNSUBSCRIBE topic filter")                              \
    X(alias_zero, "MQTT-3.3.2-8", V1, BOTH, TY(PUBLISH), alias_zero, 0,                         \
      "Topic Alias is never 0")                                                                 \
    X(alias_client, "MQTT-3.3.2-9", V1, C2S, TY(PUBLISH), alias_max, 0,                         \
      "client Topic Alias within the server's Topic Alias Maximum")                             \
    X(alias_server, "MQTT-3.3.2-11", V1, S2C, TY(PUBLISH), alias_max, 0,                        \
      "server Topic Alias within the client's Topic Alias Maximum")                             \
    X(max_packet_client, "MQTT-3.2.2-15", V1, C2S, ANY, max_packet, 0,                          \
      "client packets within the server's Maximum Packet Size")                                 \
    X(max_packet_server, "MQTT-3.1.2-24", V1, S2C, ANY, max_packet, 0,                          \
      "server packets within the client's Maximum Packet Size")                                 \
    X(client_max_qos, "MQTT-3.2.2-11", V1, C2S, TY(PUBLISH), client_max_qos, 0,                 \
      "client PUBLISH QoS within the server's Maximum QoS")                                     \
    X(client_retain, "MQTT-3.2.2-14", V1, C2S, TY(PUBLISH), client_retain, 0,                   \
      "no RETAIN from the client when the server has Retain Available 0")                       \
    X(client_subid, "MQTT-3.3.4-6", V1, C2S, TY(PUBLISH), client_subid, 0,                      \
      "a client PUBLISH has no Subscription Identifier")                                        \
    X(response_topic, "MQTT-3.3.2-14", V1, BOTH, TY(PUBLISH) | TY(CONNECT), response_topic_wild, 0,\
      "a Response Topic has no wildcards")                                                      \
    X(rc_suback_311, "MQTT-3.9.3-2", V0, S2C, TY(SUBACK), reason_valid, 0,                      \
      "SUBACK return codes are 0x00, 0x01, 0x02 or 0x80")                                       \
    X(rc_connack, "MQTT-3.2.2-8", V1, S2C, TY(CONNACK), reason_valid, 0,                        \
      "CONNACK uses a defined Connect Reason Code")                                             \
    X(rc_puback, "MQTT-3.4.2-1", V1, BOTH, TY(PUBACK), reason_valid, 0,                         \
      "PUBACK uses a defined reason code")                                                      \
    X(rc_pubrec, "MQTT-3.5.2-1", V1, BOTH, TY(PUBREC), reason_valid, 0,                         \
      "PUBREC uses a defined reason code")                                                      \
    X(rc_pubrel, "MQTT-3.6.2-1", V1, BOTH, TY(PUBREL), reason_valid, 0,                         \
      "PUBREL uses a defined reason code")                                                      \
    X(rc_pubcomp, "MQTT-3.7.2-1", V1, BOTH, TY(PUBCOMP), reason_valid, 0,                       \
      "PUBCOMP uses a defined reason code")                                                     \
    X(rc_suback_5, "MQTT-3.9.3-2", V1, S2C, TY(SUBACK), reason_valid, 0,                        \
      "SUBACK uses defined Subscribe reason codes")                                             \
    X(rc_unsuback, "MQTT-3.11.3-2", V1, S2C, TY(UNSUBACK), reason_valid, 0,                     \
      "UNSUBACK uses defined Unsubscribe reason codes")                                         \
    X(rc_disconnect, "MQTT-3.14.2-1", V1, BOTH, TY(DISCONNECT), reason_valid, 0,                \
      "DISCONNECT uses a defined reason code")                                                  \
    X(rc_auth, "MQTT-3.15.2-1", V1, BOTH, TY(AUTH), reason_valid, 0,                            \
      "AUTH uses a defined Authenticate reason code")                                           \
    X(connack_sp_311, "MQTT-3.2.2-4", V0, S2C, TY(CONNACK), connack_sp, 0,                      \
      "Session Present is 0 with a non-zero CONNACK return code")                               \
    X(connack_sp_5, "MQTT-3.2.2-6", V1, S2C, TY(CONNACK), connack_sp, 0,                        \
      "Session Present is 0 with a non-zero CONNACK reason code")                               \
    X(connack_reserved, "MQTT-3.2.2-1", V1, S2C, TY(CONNACK), connack_reserved, 0,              \
      "CONNACK acknowledge flag bits 7-1 are 0")                                                \
    X(server_disc_expiry, "MQTT-3.14.2-2", V1, S2C, TY(DISCONNECT), server_disc_expiry, 0,      \
      "a server DISCONNECT has no Session Expiry Interval")

#define WRAP(name, rule, vers, dirs, types, fn, arg, summary)                                  \
    static int c_##name(void *st, enum pcs_dir dir, const struct pcs_value *f,                 \
                        struct pcs_diag *d)                                                    \
    {                                                                                          \
        (void)f;                                                                               \
        const struct pcs_mqtt_conn *c = st;                                                    \
        const struct pcs_mqtt_facts *k = &c->last;                                             \
        if ((unsigned)dir > 1 || !k->type || (vers && !((vers) & PCS_VER(ver(c)))) ||          \
            !((dirs) & (1u << dir)) || (types && !((types) & PCS_FRAME_BIT(k->type - 1))))     \
            return 0;                                                                          \
        return fn(c, dir, k, rule, arg, d);                                                    \
    }
MQTT_CHECKS(WRAP)

#define ENTRY(name, rule, vers, dirs, types, fn, arg, summary)                                 \
    {rule, vers, dirs, summary, c_##name, types},
const struct pcs_check pcs_mqtt_checks[] = {
    MQTT_CHECKS(ENTRY){.rule = NULL},
};
