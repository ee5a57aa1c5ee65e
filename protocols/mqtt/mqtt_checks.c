/* mqtt_checks.c — the always-on MQTT rules (pcs_mqtt_checks), run on every decoded frame of
 * the implementation under test. One X-macro list gives each check its rule, versions, dirs,
 * packet types and summary; the engine skips the checks a frame is outside of, and a
 * generated wrapper does the same for direct callers, so the bodies only read the frame and
 * the state decode() updated. Structural errors are the decoder's, not these checks'.
 * No allocation. */
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

typedef int check_fn(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                     int type, const char *rule, int arg, struct pcs_diag *d);

static int ver(const struct pcs_mqtt_conn *c) { return c->version == PCS_MQTT_V5 ? 1 : 0; }

/* The packet type: decode()'s mark without a call, else pcs_mqtt_frame_type. */
static int frame_type(const struct pcs_value *f)
{
    return f && f->frame_index && f->frame_index < 16 ? f->frame_index : pcs_mqtt_frame_type(f);
}

static int fail(struct pcs_diag *d, const char *rule, int type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct pcs_diag *d, const char *rule, int type, const char *fmt, ...)
{
    char m[PCS_DIAG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return pcs_diag_set(d, PCS_ERR_MALFORMED, rule, "%s: %s",
                        type ? pcs_mqtt_ptypes[type].name : "frame", m);
}

static const struct pcs_value *props(const struct pcs_value *f)
{
    return pcs_value_get(f, "properties");
}

static const struct pcs_value *list(const struct pcs_value *f, const char *key)
{
    const struct pcs_value *l = pcs_value_get(f, key);
    return l && l->type == PCS_V_LIST ? l : NULL;
}

static size_t count(const struct pcs_value *f, const char *key)
{
    const struct pcs_value *l = list(f, key);
    return l ? l->u.c.n : 0;
}

/* The topic filters of a SUBSCRIBE or UNSUBSCRIBE, i-th or NULL past the end. */
static const struct pcs_value *filter(const struct pcs_value *f, int type, size_t i)
{
    const struct pcs_value *l =
        list(f, type == T(SUBSCRIBE) ? "subscriptions" : "topic_filters");
    if (!l || i >= l->u.c.n)
        return NULL;
    const struct pcs_value *x = l->u.c.items[i];
    if (x->type == PCS_V_MAP)
        x = pcs_value_get(x, "topic_filter");
    return x && x->type == PCS_V_STR ? x : NULL;
}

/* ---- connection order ---- */

static int first_connect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_value *f, int t, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)dir, (void)f, (void)arg;
    if (c->connects == 0)
        return fail(d, rule, t, "sent before CONNECT");
    return 0;
}

static int second_connect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_value *f, int t, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)dir, (void)f, (void)arg;
    if (c->connects > 1)
        return fail(d, rule, t, "CONNECT number %u on one connection", c->connects);
    return 0;
}

static int connack_first(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_value *f, int t, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)dir, (void)f, (void)arg;
    if (c->connacks == 0 && !(ver(c) && t == T(AUTH)))
        return fail(d, rule, t, "sent before CONNACK");
    return 0;
}

static int one_connack(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_value *f, int t, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)dir, (void)f, (void)arg;
    if (c->connacks > 1)
        return fail(d, rule, t, "CONNACK number %u on one connection", c->connacks);
    return 0;
}

static int after_disconnect(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_value *f, int t, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)f, (void)arg;
    unsigned n = c->disconnects[dir];
    if ((t != T(DISCONNECT) && n > 0) || (t == T(DISCONNECT) && n > 1))
        return fail(d, rule, t, "sent after DISCONNECT");
    return 0;
}

/* ---- packet identifiers ---- */

static int pid_nonzero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_value *f, int t, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (t == T(PUBLISH) && pcs_value_get_int(f, "qos", 0) == 0)
        return 0;
    if (pcs_value_get_int(f, "packet_id", -1) == 0)
        return fail(d, rule, t, "packet identifier is 0");
    return 0;
}

static int ack_pid_nonzero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                           const struct pcs_value *f, int t, const char *rule, int arg,
                           struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get_int(f, "packet_id", -1) == 0)
        return fail(d, rule, t, "packet identifier is 0, so it echoes no request");
    return 0;
}

static int qos0_no_pid(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_value *f, int t, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get_int(f, "qos", 0) == 0 && pcs_value_get(f, "packet_id"))
        return fail(d, rule, t, "QoS 0 with a packet identifier");
    return 0;
}

/* ---- PUBLISH ---- */

static int qos0_dup(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                    int t, const char *rule, int arg, struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get_int(f, "qos", 0) == 0 && pcs_value_get_bool(f, "dup", false))
        return fail(d, rule, t, "DUP 1 on a QoS 0 message");
    return 0;
}

static bool has_wildcard(const struct pcs_value *s)
{
    return s && s->type == PCS_V_STR && (memchr(s->u.s.p, '+', s->u.s.len) ||
                                         memchr(s->u.s.p, '#', s->u.s.len));
}

static int topic_no_wildcards(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                              const struct pcs_value *f, int t, const char *rule, int arg,
                              struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (has_wildcard(pcs_value_get(f, "topic")))
        return fail(d, rule, t, "topic name \"%s\" contains a wildcard",
                    pcs_value_get_str(f, "topic"));
    return 0;
}

static int response_topic_wild(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                               const struct pcs_value *f, int t, const char *rule, int arg,
                               struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    const struct pcs_value *p = t == T(PUBLISH) ? props(f) : pcs_value_get(f, "will_properties");
    if (has_wildcard(pcs_value_get(p, "response_topic")))
        return fail(d, rule, t, "Response Topic contains a wildcard");
    return 0;
}

static int topic_nonempty(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_value *f, int t, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (t == T(PUBLISH)) {
        const struct pcs_value *s = pcs_value_get(f, "topic");
        if (s && s->type == PCS_V_STR && s->u.s.len == 0 &&
            !pcs_value_get(props(f), "topic_alias"))
            return fail(d, rule, t, "empty topic name%s", ver(c) ? " without a Topic Alias" : "");
    } else {
        const struct pcs_value *s;
        for (size_t i = 0; (s = filter(f, t, i)); i++)
            if (s->u.s.len == 0)
                return fail(d, rule, t, "topic filter %zu is empty", i);
    }
    return 0;
}

static int client_subid(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                        const struct pcs_value *f, int t, const char *rule, int arg,
                        struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get(props(f), "subscription_identifier"))
        return fail(d, rule, t, "client sent a Subscription Identifier");
    return 0;
}

static int alias_zero(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                      const struct pcs_value *f, int t, const char *rule, int arg,
                      struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get_int(props(f), "topic_alias", -1) == 0)
        return fail(d, rule, t, "Topic Alias 0");
    return 0;
}

static int alias_max(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                     int t, const char *rule, int arg, struct pcs_diag *d)
{
    (void)arg;
    int64_t a = pcs_value_get_int(props(f), "topic_alias", -1);
    if (a > (int64_t)c->alias_max[dir])
        return fail(d, rule, t, "Topic Alias %lld above the Topic Alias Maximum %u",
                    (long long)a, c->alias_max[dir]);
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

static int max_packet(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                      int t, const char *rule, int arg, struct pcs_diag *d)
{
    (void)arg;
    if (!c->max_packet[dir] || c->last_len[dir] <= c->max_packet[dir])
        return 0;
    /* a Reason String or User Property the packet carries is what it had to leave out */
    const struct pcs_value *p = props(f);
    const char *const *o = t > 0 && t < 16 ? oversize_rules[t] : NULL;
    if (o && o[0] && pcs_value_get(p, "reason_string"))
        return fail(d, o[0], t, "%zu bytes with a Reason String, above the Maximum Packet Size %u",
                    c->last_len[dir], c->max_packet[dir]);
    if (o && o[1] && pcs_value_get(p, "user_property"))
        return fail(d, o[1], t, "%zu bytes with User Properties, above the Maximum Packet Size %u",
                    c->last_len[dir], c->max_packet[dir]);
    return fail(d, rule, t, "%zu bytes, above the Maximum Packet Size %u", c->last_len[dir],
                c->max_packet[dir]);
}

static int client_max_qos(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                          const struct pcs_value *f, int t, const char *rule, int arg,
                          struct pcs_diag *d)
{
    (void)arg;
    int64_t q = pcs_value_get_int(f, "qos", 0);
    if (q > c->max_qos[dir])
        return fail(d, rule, t, "QoS %lld above the server's Maximum QoS %u", (long long)q,
                    c->max_qos[dir]);
    return 0;
}

static int client_retain(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_value *f, int t, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)arg;
    if (!c->retain_ok[dir] && pcs_value_get_bool(f, "retain", false))
        return fail(d, rule, t, "RETAIN 1 although the server said Retain Available 0");
    return 0;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

static int has_filters(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                       const struct pcs_value *f, int t, const char *rule, int arg,
                       struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (count(f, t == T(SUBSCRIBE) ? "subscriptions" : "topic_filters") == 0)
        return fail(d, rule, t, "no topic filter");
    return 0;
}

/* arg '#' or '+': the wildcard fills a whole level ('#' also only as the last one). */
static int filter_wildcards(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_value *f, int t, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)c, (void)dir;
    const struct pcs_value *s;
    for (size_t i = 0; (s = filter(f, t, i)); i++) {
        const char *p = s->u.s.p;
        size_t n = s->u.s.len;
        for (size_t j = 0; j < n; j++) {
            if (p[j] != arg)
                continue;
            bool whole = (j == 0 || p[j - 1] == '/') && (j + 1 == n || p[j + 1] == '/');
            if (!whole || (arg == '#' && j + 1 != n))
                return fail(d, rule, t, "'%c' misplaced in topic filter \"%s\"", arg, p);
        }
    }
    return 0;
}

/* arg 1: "$share/" has a non-empty ShareName; arg 2: ShareName has no '/', '+', '#' and is
 * followed by '/' and a topic filter. */
static int shared_filter(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                         const struct pcs_value *f, int t, const char *rule, int arg,
                         struct pcs_diag *d)
{
    (void)c, (void)dir;
    const struct pcs_value *s;
    for (size_t i = 0; (s = filter(f, t, i)); i++) {
        if (s->u.s.len < 7 || memcmp(s->u.s.p, "$share/", 7) != 0)
            continue;
        const char *name = s->u.s.p + 7, *end = s->u.s.p + s->u.s.len;
        const char *slash = memchr(name, '/', (size_t)(end - name));
        size_t nlen = (size_t)((slash ? slash : end) - name);
        if (arg == 1 && nlen == 0)
            return fail(d, rule, t, "empty ShareName in \"%s\"", s->u.s.p);
        if (arg == 2 && nlen &&
            (memchr(name, '+', nlen) || memchr(name, '#', nlen) || !slash || slash + 1 == end))
            return fail(d, rule, t, "bad shared subscription \"%s\"", s->u.s.p);
    }
    return 0;
}

static int shared_no_local(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                           const struct pcs_value *f, int t, const char *rule, int arg,
                           struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    const struct pcs_value *l = list(f, "subscriptions");
    for (size_t i = 0; l && i < l->u.c.n; i++) {
        const struct pcs_value *s = l->u.c.items[i];
        const char *tf = pcs_value_get_str(s, "topic_filter");
        if (tf && strncmp(tf, "$share/", 7) == 0 && pcs_value_get_bool(s, "no_local", false))
            return fail(d, rule, t, "No Local on shared subscription \"%s\"", tf);
    }
    return 0;
}

/* SUBACK or UNSUBACK: compares with the request remembered by packet id. */
static int ack_count(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                     int t, const char *rule, int arg, struct pcs_diag *d)
{
    (void)arg;
    if (c->ack_expect[dir] < 0)
        return 0;
    size_t n = count(f, "reason_codes");
    if (n != (size_t)c->ack_expect[dir])
        return fail(d, rule, t, "%zu reason codes for %d topic filters", n, c->ack_expect[dir]);
    return 0;
}

/* ---- reason codes ---- */

/* The packet's reason/return codes are in its type's table. */
static int reason_valid(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                        const struct pcs_value *f, int t, const char *rule, int arg,
                        struct pcs_diag *d)
{
    (void)dir, (void)arg;
    const struct pcs_enum *e = pcs_mqtt_reasons(t, ver(c));
    if (!e)
        return 0;
    const struct pcs_value *l = list(f, "reason_codes");
    if (l) {
        for (size_t i = 0; i < l->u.c.n; i++)
            if (l->u.c.items[i]->type == PCS_V_INT && !pcs_enum_name(e, l->u.c.items[i]->u.i))
                return fail(d, rule, t, "reason code 0x%02llx is not defined for %s",
                            (unsigned long long)l->u.c.items[i]->u.i, pcs_mqtt_ptypes[t].name);
        return 0;
    }
    int64_t code = pcs_value_get_int(f, ver(c) ? "reason_code" : "return_code", 0);
    if (!pcs_enum_name(e, code))
        return fail(d, rule, t, "reason code 0x%02llx is not defined for %s",
                    (unsigned long long)code, pcs_mqtt_ptypes[t].name);
    return 0;
}

/* ---- CONNACK, DISCONNECT ---- */

static int connack_sp(const struct pcs_mqtt_conn *c, enum pcs_dir dir, const struct pcs_value *f,
                      int t, const char *rule, int arg, struct pcs_diag *d)
{
    (void)dir, (void)arg;
    int64_t code = pcs_value_get_int(f, ver(c) ? "reason_code" : "return_code", 0);
    if (code != 0 && pcs_value_get_bool(f, "session_present", false))
        return fail(d, rule, t, "Session Present 1 with code 0x%02llx",
                    (unsigned long long)code);
    return 0;
}

static int connack_reserved(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                            const struct pcs_value *f, int t, const char *rule, int arg,
                            struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    int64_t r = pcs_value_get_int(f, "ack_flags_reserved", 0);
    if (r)
        return fail(d, rule, t, "reserved acknowledge flag bits are 0x%llx",
                    (unsigned long long)r);
    return 0;
}

static int server_disc_expiry(const struct pcs_mqtt_conn *c, enum pcs_dir dir,
                              const struct pcs_value *f, int t, const char *rule, int arg,
                              struct pcs_diag *d)
{
    (void)c, (void)dir, (void)arg;
    if (pcs_value_get(props(f), "session_expiry_interval"))
        return fail(d, rule, t, "server sent a Session Expiry Interval");
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
    X(qos0_pid_311, "MQTT-2.3.1-5", V0, BOTH, TY(PUBLISH), qos0_no_pid, 0,                      \
      "a QoS 0 PUBLISH has no packet identifier")                                               \
    X(qos0_pid_5, "MQTT-2.2.1-2", V1, BOTH, TY(PUBLISH), qos0_no_pid, 0,                        \
      "a QoS 0 PUBLISH has no packet identifier")                                               \
    X(qos0_dup, "MQTT-3.3.1-2", 0, BOTH, TY(PUBLISH), qos0_dup, 0,                              \
      "DUP is 0 on a QoS 0 PUBLISH")                                                            \
    X(topic_wild, "MQTT-3.3.2-2", 0, BOTH, TY(PUBLISH), topic_no_wildcards, 0,                  \
      "a PUBLISH topic name has no wildcards")                                                  \
    X(topic_empty, "MQTT-4.7.3-1", 0, BOTH, TY(PUBLISH) | SUBS, topic_nonempty, 0,              \
      "topic names and filters are not empty (5.0: unless a Topic Alias stands in)")            \
    X(sub_filters_311, "MQTT-3.8.3-3", V0, C2S, TY(SUBSCRIBE), has_filters, 0,                  \
      "SUBSCRIBE has at least one topic filter")                                                \
    X(sub_filters_5, "MQTT-3.8.3-2", V1, C2S, TY(SUBSCRIBE), has_filters, 0,                    \
      "SUBSCRIBE has at least one topic filter")                                                \
    X(unsub_filters, "MQTT-3.10.3-2", 0, C2S, TY(UNSUBSCRIBE), has_filters, 0,                  \
      "UNSUBSCRIBE has at least one topic filter")                                              \
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
        const struct pcs_mqtt_conn *c = st;                                                    \
        int t = frame_type(f);                                                                 \
        if ((unsigned)dir > 1 || (vers && !((vers) & PCS_VER(ver(c)))) ||                      \
            !((dirs) & (1u << dir)) || (types && !(t && ((types) & PCS_FRAME_BIT(t - 1)))))    \
            return 0;                                                                          \
        return fn(c, dir, f, t, rule, arg, d);                                                 \
    }
MQTT_CHECKS(WRAP)

#define ENTRY(name, rule, vers, dirs, types, fn, arg, summary)                                 \
    {rule, vers, dirs, summary, c_##name, types},
const struct pcs_check pcs_mqtt_checks[] = {
    MQTT_CHECKS(ENTRY){.rule = NULL},
};
