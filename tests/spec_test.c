/* spec_test.c — the spec loader against the real MQTT schema: one test per kind of error a user
 * can make (each checks the exact "file:line:col: message"), a full round trip of DESIGN.md's
 * example, durations, and collecting spec files from files, folders and globs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "helpers.h"
#include "rules.h"
#include "spec.h"

/* Five lines; the next line of a test's text is line 6. */
#define HDR                                                                                   \
    "pcs: 1\nid: mqtt5/3.2/test\nprotocol: mqtt\nversion: \"5.0\"\ntitle: A test spec\n"

/* A rulebook made by hand: mqtt 5.0 with two rules. */
static struct pcs_rule fake_rules[] = {
    {.id = "MQTT-3.2.0-1", .section = "3.2", .level = "MUST", .applies_to = "server"},
    {.id = "MQTT-4.13.1-1", .section = "4.13", .level = "MUST", .applies_to = "both"},
};
static struct pcs_catalogue fake_cat = {
    .file = "mqtt-5.0.yaml", .protocol = "mqtt", .version = "5.0", .rules = fake_rules,
    .nrules = 2};
static const struct pcs_rulebook fake_rb = {.dir = "fake", .cats = &fake_cat, .ncats = 1};

static const char *last_path;

static int load(const char *text, const struct pcs_rulebook *rb, struct pcs_spec **s,
                struct pcs_diag *d)
{
    last_path = th_tmpfile("s.yaml", text);
    return pcs_spec_load(last_path, rb, s, d);
}

/* Loading text fails with "<path>:" + want (a prefix of the message). */
static void assert_spec_err_rb(const char *text, const struct pcs_rulebook *rb, const char *want)
{
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    int rc = load(text, rb, &s, &d);
    if (rc != PCS_ERR_INVALID)
        fail_msg("rc %d (%s), want an error '%s'", rc, d.msg, want);
    assert_null(s);
    assert_string_equal(d.rule, "");
    char full[512];
    snprintf(full, sizeof full, "%s:%s", last_path, want);
    if (strncmp(d.msg, full, strlen(full)) != 0)
        fail_msg("got  '%s'\nwant '%s…'", d.msg, full);
}

static void assert_spec_err(const char *text, const char *want)
{
    assert_spec_err_rb(text, &fake_rb, want);
}

static struct pcs_spec *load_ok(const char *text)
{
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    if (load(text, &fake_rb, &s, &d))
        fail_msg("unexpected error: %s", d.msg);
    assert_non_null(s);
    return s;
}

static void test_yaml_syntax_error(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n   with: {a: 1}\n",
                    "8:4: did not find expected '-' indicator");
    assert_spec_err(HDR "title: again\nsteps: []\n", "6:1: duplicate key 'title'");
    assert_spec_err(HDR "steps: [{send: PINGREQ}]\n---\nmore: 1\n", "7:1: a second YAML document");
}

static void test_unknown_top_key(void **state)
{
    (void)state;
    assert_spec_err(HDR "bogus:\n  x: 1\nsteps:\n  - send: PINGREQ\n",
                    "6:1: unknown key 'bogus' at the top level (allowed: pcs, id, protocol,");
}

static void test_unknown_step_key(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    match: {client_id: x}\n",
                    "8:5: unknown key 'match' in a send step (allowed: send, peer, with, rule)");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    for: 1s\n",
                    "8:5: unknown key 'for' in an expect step");
    assert_spec_err(HDR "steps:\n  - {expect_none: PUBLISH, for: 1s, within: 1s}\n",
                    "7:37: unknown key 'within' in an expect_none step");
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    expect: CONNACK\n",
                    "8:5: a step does one thing, but this one has 'send' and 'expect'");
    assert_spec_err(HDR "steps:\n  - peer: c1\n",
                    "7:5: a step needs one of send, send_raw, expect");
    assert_spec_err(HDR "peers: {c1: {version: \"5.0\", colour: red}}\nsteps: [{send: PINGREQ}]\n",
                    "6:30: unknown key 'colour' in peer 'c1' (allowed: version, options)");
    assert_spec_err(HDR "steps:\n  - expect_any:\n      - {expect: closed, within: 1s}\n",
                    "8:26: unknown key 'within' in an expect_any alternative");
}

static void test_wrong_type(void **state)
{
    (void)state;
    assert_spec_err(HDR "tags: connect\nsteps: [{send: PINGREQ}]\n",
                    "6:7: tags must be a list, not a string");
    assert_spec_err(HDR "rules: [3]\nsteps: [{send: PINGREQ}]\n",
                    "6:9: rules must be a list of strings, not of ints");
    assert_spec_err("pcs: 1\nid: x/y\nprotocol: mqtt\nversion: 5\ntitle: t\nsteps: []\n",
                    "4:10: version must be a quoted string, e.g. \"5.0\"");
    assert_spec_err("pcs: 2\nid: x/y\n", "1:6: pcs must be 1");
    assert_spec_err(HDR "steps: {send: PINGREQ}\n", "6:8: steps must be a list, not a map");
    assert_spec_err(HDR "steps: []\n", "6:8: steps must not be empty");
    assert_spec_err(HDR "target: both\nsteps: [{send: PINGREQ}]\n",
                    "6:9: target must be server or client, not 'both'");
    assert_spec_err("pcs: 1\nid: has space\n", "2:5: id must not contain spaces");
    assert_spec_err("pcs: 1\nid: a/b\nprotocol: smtp\n", "3:11: unknown protocol 'smtp'");
    assert_spec_err("pcs: 1\nid: a/b\nprotocol: mqtt\nversion: \"4.0\"\n",
                    "4:10: unknown version '4.0' for mqtt (known: 3.1.1, 5.0)");
    assert_spec_err("- just\n- a list\n", "1:1: a spec must be a map");
}

static void test_unknown_frame(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNAK\n",
                    "7:11: unknown frame type 'CONNAK' for mqtt (known: CONNECT, CONNACK,");
    assert_spec_err(HDR "steps:\n  - expect: opened\n", "7:13: unknown frame type 'opened'");
    assert_spec_err(HDR "steps:\n  - send: closed\n", "7:11: unknown frame type 'closed'");
    assert_spec_err(HDR "ignore: [PONG]\nsteps: [{send: PINGREQ}]\n",
                    "6:10: unknown frame type 'PONG'");
    assert_spec_err(HDR "steps:\n  - {expect: PINGRESP, ignore: [PUBLISH, NOPE]}\n",
                    "7:42: unknown frame type 'NOPE'");
}

static void test_frame_wrong_version(void **state)
{
    (void)state;
    assert_spec_err("pcs: 1\nid: mqtt3/x/y\nprotocol: mqtt\nversion: \"3.1.1\"\ntitle: t\n"
                    "steps:\n  - send: AUTH\n",
                    "7:11: frame type 'AUTH' does not exist in mqtt 3.1.1");
    /* the peer's version decides, not the spec's */
    assert_spec_err(HDR "peers:\n  c1: {}\n  old: {version: \"3.1.1\"}\nsteps:\n"
                        "  - {send: AUTH, peer: c1}\n  - {expect: AUTH, peer: old}\n",
                    "11:14: frame type 'AUTH' does not exist in mqtt 3.1.1");
}

static void test_unknown_field(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {client_id: a, colour: red}\n",
                    "8:26: unknown field 'colour' in CONNECT for mqtt 5.0");
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {clean_session: true}\n",
                    "8:12: unknown field 'clean_session' in CONNECT for mqtt 5.0 (it exists in "
                    "another version)");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    match:\n      properties:\n"
                        "        max_qos: 1\n",
                    "10:9: unknown field 'properties.max_qos' in CONNACK for mqtt 5.0");
    assert_spec_err(HDR "steps:\n  - send: SUBSCRIBE\n    with:\n      subscriptions:\n"
                        "        - {topic_filter: a, qos: 1}\n        - {topic: b}\n",
                    "11:12: unknown field 'subscriptions.1.topic' in SUBSCRIBE");
    assert_spec_err(HDR "steps:\n  - send: PINGREQ\n    with: {type: PINGREQ}\n",
                    "8:12: 'type' is implied by the step (PINGREQ): remove it");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    save: {q: properties.nope}\n",
                    "8:15: unknown field 'nope' in save path 'properties.nope' for CONNACK");
    assert_spec_err(HDR "steps:\n  - expect: closed\n    match: {reason_code: 0}\n",
                    "8:5: 'closed' has no fields: remove 'match'");
}

static void test_wrong_field_type(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {clean_start: \"yes\"}\n",
                    "8:25: CONNECT.clean_start must be a bool (true or false), not a string");
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {keep_alive: true}\n",
                    "8:24: CONNECT.keep_alive must be an int, not a bool");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    match: {properties: 3}\n",
                    "8:25: CONNACK.properties must be a map, not an int");
    assert_spec_err(HDR "steps:\n  - expect: SUBACK\n    match: {reason_codes: 0}\n",
                    "8:27: SUBACK.reason_codes must be a list, not an int");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    match: {session_present: {range: [0, 1]}}\n",
                    "8:30: range applies to int fields; CONNACK.session_present is a bool");
    assert_spec_err(HDR "steps:\n  - expect: PUBLISH\n    match: {topic: {regex: \"a(\"}}\n",
                    "8:28: bad regex 'a(': ");
    assert_spec_err(HDR "steps:\n  - expect: PUBLISH\n    match: {qos: {range: [2, 1]}}\n",
                    "8:26: range [2, 1] is empty");
    assert_spec_err(HDR "steps:\n  - send: PUBLISH\n    with: {qos: {in: [0, 1]}}\n",
                    "8:17: {in: …} is a match pattern; 'with' takes plain values");
    assert_spec_err(HDR "steps:\n  - expect: PUBLISH\n    match: {qos: {in: [0, x]}}\n",
                    "8:27: PUBLISH.qos must be an int, not a string");
    assert_spec_err(HDR "steps:\n  - {expect: PUBLISH, within: 2}\n",
                    "7:31: bad duration '2' (use e.g. 300ms, 2s)");
}

static void test_bad_enum_name(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    match: {reason_code: sucess}\n",
                    "8:26: unknown name 'sucess' for CONNACK.reason_code (names: success, "
                    "unspecified_error,");
    assert_spec_err(HDR "steps:\n  - send: DISCONNECT\n    with: {reason_code: bye}\n",
                    "8:25: unknown name 'bye' for DISCONNECT.reason_code");
    assert_spec_err(HDR "steps:\n  - expect: DISCONNECT\n    match: {reason_code: {in: [protocol_error, oops]}}\n",
                    "8:48: unknown name 'oops' for DISCONNECT.reason_code");
}

static void test_unknown_rule(void **state)
{
    (void)state;
    assert_spec_err(HDR "rules: [MQTT-3.2.0-1, MQTT-9.9.9-9]\nsteps: [{send: PINGREQ}]\n",
                    "6:23: unknown rule ID 'MQTT-9.9.9-9' for mqtt 5.0");
    assert_spec_err(HDR "steps:\n  - expect: CONNACK\n    rule: MQTT-3.2.0-2\n",
                    "8:11: unknown rule ID 'MQTT-3.2.0-2' for mqtt 5.0");
    /* a version without a catalogue: every ID is unknown */
    assert_spec_err("pcs: 1\nid: a/b\nprotocol: mqtt\nversion: \"3.1.1\"\ntitle: t\n"
                    "rules: [MQTT-3.2.0-1]\nsteps: [{send: PINGREQ}]\n",
                    "6:9: unknown rule ID 'MQTT-3.2.0-1' for mqtt 3.1.1 (no rule catalogue");
    /* no rulebook: rule IDs go unchecked */
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(load(HDR "rules: [ANYTHING-1]\nsteps: [{send: PINGREQ, rule: X}]\n", NULL,
                          &s, &d), 0);
    assert_string_equal(s->rules[0], "ANYTHING-1");
    assert_string_equal(s->steps[0].rule, "X");
    pcs_spec_free(s);
}

static void test_undefined_peer(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: PINGREQ\n    peer: c9\n",
                    "8:11: undefined peer 'c9' (peers: c1)");
    assert_spec_err(HDR "peers: {a: {}, b: {}}\nsteps:\n  - connect: c\n",
                    "8:14: undefined peer 'c' (peers: a, b)");
    assert_spec_err(HDR "peers: {a: {}, b: {}}\nsteps:\n  - send: PINGREQ\n",
                    "8:5: this step needs 'peer:' (the spec declares 2 peers)");
    assert_spec_err(HDR "peers: {}\nsteps: [{send: PINGREQ}]\n", "6:8: peers must name at least");
}

static void test_undefined_variable(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {client_id: \"c-${nope}\"}\n",
                    "8:23: undefined variable 'nope'");
    assert_spec_err(HDR "vars: {a: \"${b}\", b: x}\nsteps: [{send: PINGREQ}]\n",
                    "6:11: undefined variable 'b'");
    assert_spec_err(HDR "steps:\n  - send: CONNECT\n    with: {client_id: \"${uniq\"}\n",
                    "8:23: unterminated '${' in '${uniq'");
    assert_spec_err(HDR "steps:\n  - invoke: publish\n    with: {topic: [\"${t}\"]}\n",
                    "8:20: undefined variable 't'");
}

static void test_saved_variable_before_save(void **state)
{
    (void)state;
    const char *text = HDR "steps:\n"
                           "  - send: PUBLISH\n"
                           "    with: {topic: t, qos: \"${q}\"}\n"
                           "  - expect: CONNACK\n"
                           "    save: {q: properties.maximum_qos}\n";
    assert_spec_err(text, "8:27: undefined variable 'q'");
    /* the same use after the save is fine, and skips the type check */
    struct pcs_spec *s = load_ok(HDR "steps:\n"
                                     "  - expect: CONNACK\n"
                                     "    save: {q: properties.maximum_qos, rc: reason_code}\n"
                                     "  - send: PUBLISH\n"
                                     "    with: {topic: t, qos: \"${q}\"}\n");
    assert_string_equal(pcs_value_get_str(s->steps[1].with, "qos"), "${q}");
    assert_string_equal(pcs_value_get_str(s->steps[0].alts[0].save, "q"),
                        "properties.maximum_qos");
    pcs_spec_free(s);
}

static void test_bad_duration(void **state)
{
    (void)state;
    assert_spec_err(HDR "timeout: 5\nsteps: [{send: PINGREQ}]\n",
                    "6:10: bad duration '5' (use e.g. 300ms, 2s)");
    assert_spec_err(HDR "timeout: 0s\nsteps: [{send: PINGREQ}]\n", "6:10: bad duration '0s'");
    assert_spec_err(HDR "steps:\n  - expect_none: PUBLISH\n    for: 3 days\n",
                    "8:10: bad duration '3 days'");
    uint64_t ns = 0;
    assert_int_equal(pcs_parse_duration("250us", &ns), 0);
    assert_int_equal(ns, 250000);
    assert_int_equal(pcs_parse_duration("300ms", &ns), 0);
    assert_int_equal(ns, 300000000);
    assert_int_equal(pcs_parse_duration("2s", &ns), 0);
    assert_int_equal(ns, 2000000000);
    assert_int_equal(pcs_parse_duration("1.5s", &ns), 0);
    assert_int_equal(ns, 1500000000);
    assert_int_equal(pcs_parse_duration("1m", &ns), 0);
    assert_int_equal(ns, 60000000000ULL);
    const char *bad[] = {"", "s", "5", "-1s", "1.s", ".5s", "1h", "2 s", "0ms", "1sec",
                         "99999999999999999999s", NULL};
    for (size_t i = 0; bad[i]; i++)
        if (pcs_parse_duration(bad[i], &ns) != PCS_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
}

static void test_bad_hex(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - send_raw: \"c0 0g 00\"\n",
                    "7:20: bad hex in send_raw at 'g'");
    assert_spec_err(HDR "steps:\n  - send_raw: c0 0g 00\n", "7:19: bad hex in send_raw at 'g'");
    assert_spec_err(HDR "steps:\n  - send_raw: |\n      c0 00   # PINGREQ\n      e0 0x\n",
                    "9:11: bad hex in send_raw at 'x'");
}

static void test_missing_required_key(void **state)
{
    (void)state;
    assert_spec_err("pcs: 1\nid: a/b\nprotocol: mqtt\nversion: \"5.0\"\nsteps: [{send: PINGREQ}]\n",
                    "1:1: missing required key 'title'");
    assert_spec_err(HDR "tags: []\n", "1:1: missing required key 'steps'");
    assert_spec_err("id: a/b\n", "1:1: missing required key 'pcs'");
    assert_spec_err(HDR "steps:\n  - expect_none: PUBLISH\n",
                    "7:5: missing required key 'for' in an expect_none step");
    assert_spec_err(HDR "steps:\n  - expect_any:\n      - {match: {reason_code: 0}}\n",
                    "8:9: missing required key 'expect' in an expect_any alternative");
}

static void test_expect_any_empty(void **state)
{
    (void)state;
    assert_spec_err(HDR "steps:\n  - expect_any: []\n",
                    "7:17: expect_any needs at least one alternative");
    assert_spec_err(HDR "steps:\n  - expect_none: []\n    for: 1s\n",
                    "7:18: expect_none needs at least one frame type");
}

/* DESIGN.md's example, plus a few more kinds. */
static const char *const EXAMPLE =
    "pcs: 1\n"
    "id: mqtt5/3.2/connack-first\n"
    "protocol: mqtt\n"
    "version: \"5.0\"\n"
    "title: The server's first packet is CONNACK\n"
    "rules: [MQTT-3.2.0-1]\n"
    "requires: []\n"
    "tags: [connect]\n"
    "timeout: 5s\n"
    "target: server\n"
    "peers:\n"
    "  c1: {}\n"
    "  c2: { version: \"3.1.1\", options: {tls: false} }\n"
    "vars: { topic: \"pcs/${uniq}/t\" }\n"
    "ignore: [PINGRESP]\n"
    "steps:\n"
    "  - send: CONNECT\n"
    "    peer: c1\n"
    "    with: { client_id: \"c1-${uniq}\", clean_start: true, keep_alive: 30 }\n"
    "  - expect: CONNACK\n"
    "    peer: c1\n"
    "    within: 1s\n"
    "    rule: MQTT-3.2.0-1\n"
    "    match: { reason_code: success, session_present: false, properties: {maximum_qos: {range: [0, 1]}} }\n"
    "    save: { max_qos: properties.maximum_qos }\n"
    "  - send_raw: \"c0 01 00\"\n"
    "    peer: c1\n"
    "  - expect_any:\n"
    "      - { expect: DISCONNECT, match: { reason_code: { in: [0x81, protocol_error] } } }\n"
    "      - { expect: closed }\n"
    "    peer: c1\n"
    "    within: 1s\n"
    "    rule: MQTT-4.13.1-1\n"
    "  - expect_none: [PUBLISH, closed]\n"
    "    peer: c2\n"
    "    for: 300ms\n"
    "  - send: DISCONNECT\n"
    "    peer: c1\n"
    "    with: { reason_code: normal_disconnection }\n"
    "  - expect: PUBLISH\n"
    "    peer: c1\n"
    "    ignore: [PUBACK]\n"
    "    match: { topic: \"${topic}\", payload: hi, retain: absent, qos: {not: 2} }\n"
    "  - invoke: publish\n"
    "    peer: c1\n"
    "    with: { topic: \"${topic}\", qos: \"${max_qos}\" }\n"
    "  - close: c2\n"
    "  - connect: c2\n";

static void test_round_trip(void **state)
{
    (void)state;
    struct pcs_spec *s = load_ok(EXAMPLE);
    assert_string_equal(s->id, "mqtt5/3.2/connack-first");
    assert_int_equal(s->id_line, 2);
    assert_string_equal(s->protocol, "mqtt");
    assert_non_null(s->proto);
    assert_string_equal(s->version, "5.0");
    assert_int_equal(s->version_index, 1);
    assert_string_equal(s->title, "The server's first packet is CONNACK");
    assert_true(s->nrules == 1 && strcmp(s->rules[0], "MQTT-3.2.0-1") == 0);
    assert_int_equal(s->nrequires, 0);
    assert_true(s->ntags == 1 && strcmp(s->tags[0], "connect") == 0);
    assert_int_equal(s->timeout_ns, 5000000000ULL);
    assert_int_equal(s->target, PCS_TARGET_SERVER);
    assert_int_equal(s->npeers, 2);
    assert_string_equal(s->peers[0].name, "c1");
    assert_string_equal(s->peers[0].version, "5.0");
    assert_string_equal(s->peers[1].name, "c2");
    assert_string_equal(s->peers[1].version, "3.1.1");
    assert_false(pcs_value_path(s->peers[1].opts, "options.tls")->u.b);
    assert_string_equal(pcs_value_get_str(s->vars, "topic"), "pcs/${uniq}/t");
    assert_true(s->nignore == 1 && strcmp(s->ignore[0], "PINGRESP") == 0);
    assert_int_equal(s->nsteps, 10);

    const struct pcs_step *st = &s->steps[0];
    assert_int_equal(st->kind, PCS_STEP_SEND);
    assert_int_equal(st->line, 17);
    assert_int_equal(st->col, 5);
    assert_string_equal(st->frame, "CONNECT");
    assert_int_equal(pcs_value_get_int(st->with, "keep_alive", 0), 30);
    assert_null(st->rule);

    st = &s->steps[1];
    assert_int_equal(st->kind, PCS_STEP_EXPECT);
    assert_int_equal(st->nalts, 1);
    assert_string_equal(st->alts[0].frame, "CONNACK");
    assert_int_equal(st->within_ns, 1000000000ULL);
    assert_string_equal(st->rule, "MQTT-3.2.0-1");
    const struct pcs_value *rc = pcs_value_get(st->alts[0].match, "reason_code");
    assert_int_equal(rc->type, PCS_V_INT);   /* "success" became 0 */
    assert_int_equal(rc->u.i, 0);
    assert_int_equal(rc->line, 24);
    assert_int_equal(pcs_value_path(st->alts[0].match, "properties.maximum_qos.range.1")->u.i, 1);

    st = &s->steps[2];
    assert_int_equal(st->kind, PCS_STEP_SEND_RAW);
    assert_int_equal(st->raw.len, 3);
    assert_memory_equal(st->raw.data, "\xc0\x01\x00", 3);

    st = &s->steps[3];
    assert_int_equal(st->kind, PCS_STEP_EXPECT_ANY);
    assert_int_equal(st->nalts, 2);
    assert_string_equal(st->alts[0].frame, "DISCONNECT");
    const struct pcs_value *in = pcs_value_path(st->alts[0].match, "reason_code.in");
    assert_true(in->u.c.n == 2 && in->u.c.items[0]->u.i == 0x81 && in->u.c.items[1]->u.i == 0x82);
    assert_string_equal(st->alts[1].frame, "closed");
    assert_null(st->alts[1].match);
    assert_int_equal(st->within_ns, 1000000000ULL);

    st = &s->steps[4];
    assert_int_equal(st->kind, PCS_STEP_EXPECT_NONE);
    assert_int_equal(st->peer, 1);
    assert_true(st->nnone == 2 && strcmp(st->none[1], "closed") == 0);
    assert_int_equal(st->within_ns, 300000000ULL);

    st = &s->steps[5];   /* with keeps enum names as written: the encoder takes them */
    assert_string_equal(pcs_value_get_str(st->with, "reason_code"), "normal_disconnection");

    st = &s->steps[6];
    assert_true(st->nignore == 1 && strcmp(st->ignore[0], "PUBACK") == 0);
    assert_int_equal(st->within_ns, 2000000000ULL);   /* the default */
    assert_int_equal(pcs_value_get(st->alts[0].match, "payload")->type, PCS_V_BYTES);
    assert_string_equal(pcs_value_get_str(st->alts[0].match, "retain"), "absent");
    assert_string_equal(pcs_value_get_str(st->alts[0].match, "topic"), "${topic}");

    st = &s->steps[7];
    assert_int_equal(st->kind, PCS_STEP_INVOKE);
    assert_string_equal(st->action, "publish");
    st = &s->steps[8];
    assert_true(st->kind == PCS_STEP_CLOSE && st->peer == 1);
    st = &s->steps[9];
    assert_true(st->kind == PCS_STEP_CONNECT && st->peer == 1);
    pcs_spec_free(s);
}

static void test_defaults(void **state)
{
    (void)state;
    struct pcs_spec *s = load_ok(HDR "target: client\nsteps:\n  - send: PINGREQ\n"
                                     "  - expect: PINGRESP\n");
    assert_int_equal(s->timeout_ns, 10000000000ULL);
    assert_int_equal(s->target, PCS_TARGET_CLIENT);
    assert_int_equal(s->npeers, 1);
    assert_string_equal(s->peers[0].name, "c1");
    assert_string_equal(s->peers[0].version, "5.0");
    assert_null(s->peers[0].opts);
    assert_null(s->vars);
    assert_true(s->steps[0].peer == 0 && s->steps[1].peer == 0);
    assert_int_equal(s->steps[1].within_ns, 2000000000ULL);
    pcs_spec_free(s);
    /* version-specific fields follow the peer's version */
    s = load_ok(HDR "peers: {new: {}, old: {version: \"3.1.1\"}}\nsteps:\n"
                    "  - {send: CONNECT, peer: old, with: {clean_session: true}}\n"
                    "  - {expect: CONNACK, peer: old, match: {return_code: accepted}}\n"
                    "  - {expect: SUBACK, peer: new, match: {reason_codes: {contains: [granted_qos_1]}}}\n"
                    "  - {expect: SUBACK, peer: old, match: {reason_codes: [failure]}}\n");
    assert_int_equal(pcs_value_get_int(s->steps[1].alts[0].match, "return_code", -1), 0);
    assert_int_equal(pcs_value_path(s->steps[2].alts[0].match, "reason_codes.contains.0")->u.i, 1);
    assert_int_equal(pcs_value_path(s->steps[3].alts[0].match, "reason_codes.0")->u.i, 0x80);
    pcs_spec_free(s);
}

static void test_io_error(void **state)
{
    (void)state;
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_spec_load("/nonexistent/s.yaml", NULL, &s, &d), PCS_ERR_IO);
    assert_null(s);
    assert_string_equal(d.msg, "/nonexistent/s.yaml: cannot read: No such file or directory");
}

static void touch(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void sub(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

static void test_collect(void **state)
{
    (void)state;
    char dir[] = "/tmp/pcs-collect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sub(dir, "v5");
    sub(dir, "v5/3.2");
    sub(dir, "rules");
    sub(dir, ".git");
    touch(dir, "a.yaml");
    touch(dir, "notes.txt");
    touch(dir, "v5/b.yml");
    touch(dir, "v5/3.2/c.yaml");
    touch(dir, "rules/mqtt-5.0.yaml");
    touch(dir, ".git/x.yaml");
    char dslash[64], glob[64], file[64];
    snprintf(dslash, sizeof dslash, "%s/", dir);
    snprintf(glob, sizeof glob, "%s/*.yaml", dir);
    snprintf(file, sizeof file, "%s/v5/b.yml", dir);
    char *args[] = {dslash, glob, file};
    char **paths = NULL;
    size_t n = 0;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_spec_collect(args, 3, &paths, &n, &d), 0);
    assert_int_equal(n, 3);
    char want[3][96];
    snprintf(want[0], sizeof want[0], "%s/a.yaml", dir);
    snprintf(want[1], sizeof want[1], "%s/v5/3.2/c.yaml", dir);
    snprintf(want[2], sizeof want[2], "%s/v5/b.yml", dir);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(paths[i], want[i]);
        free(paths[i]);
    }
    free(paths);

    char missing[80];
    snprintf(missing, sizeof missing, "%s/nope.yaml", dir);
    char *bad[] = {dir, missing};
    assert_int_equal(pcs_spec_collect(bad, 2, &paths, &n, &d), PCS_ERR_NOTFOUND);
    assert_null(paths);
    char msg[160];
    snprintf(msg, sizeof msg, "%s: no such file or folder", missing);
    assert_string_equal(d.msg, msg);
    snprintf(glob, sizeof glob, "%s/*.json", dir);
    char *noglob[] = {glob};
    assert_int_equal(pcs_spec_collect(noglob, 1, &paths, &n, &d), PCS_ERR_NOTFOUND);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_syntax_error),
        cmocka_unit_test(test_unknown_top_key),
        cmocka_unit_test(test_unknown_step_key),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_unknown_frame),
        cmocka_unit_test(test_frame_wrong_version),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_wrong_field_type),
        cmocka_unit_test(test_bad_enum_name),
        cmocka_unit_test(test_unknown_rule),
        cmocka_unit_test(test_undefined_peer),
        cmocka_unit_test(test_undefined_variable),
        cmocka_unit_test(test_saved_variable_before_save),
        cmocka_unit_test(test_bad_duration),
        cmocka_unit_test(test_bad_hex),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_expect_any_empty),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_io_error),
        cmocka_unit_test(test_collect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
