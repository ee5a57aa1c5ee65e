/* mqtt_checks_test.c — the always-on MQTT checks (pcs_mqtt_protocol.checks), each with a
 * passing and a violating case. A case is a script of literal packets decoded in order on one
 * connection ("> hex" client to server, "< hex" server to client, ';' between packets); the
 * checks citing the case's rule then run on the last packet, as the engine would run them.
 * The checks read only what decode() learnt, so every case is bytes. Codec tests:
 * mqtt_codec_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "protocol.h"

extern const struct pcs_protocol pcs_mqtt_protocol;
static const struct pcs_protocol *const P = &pcs_mqtt_protocol;

/* CONNECT/CONNACK openings: plain, and 5.0 ones that announce limits */
#define CONNECT4 "> 10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63;"
#define CONNACK4 "< 20 02 00 00;"
#define CONNECT5 "> 10 0e 00 04 4d 51 54 54 05 02 00 3c 00 00 01 63;"
#define CONNACK5 "< 20 03 00 00 00;"
/* CONNECT: Topic Alias Maximum 2, Maximum Packet Size 20 */
#define CONNECT5_LIMITS \
    "> 10 16 00 04 4d 51 54 54 05 02 00 3c 08 22 00 02 27 00 00 00 14 00 01 63;"
/* CONNACK: Topic Alias Maximum 3, Maximum Packet Size 16, Maximum QoS 1, Retain Available 0 */
#define CONNACK5_LIMITS "< 20 0f 00 00 0c 22 00 03 27 00 00 00 10 24 01 25 00;"
#define OPEN4 CONNECT4 CONNACK4
#define OPEN5 CONNECT5 CONNACK5

struct ccase {
    const char *version;
    const char *script;
    const char *rule;
    bool fails;
};

static const struct ccase cases[] = {
    /* connection order */
    {"3.1.1", CONNECT4, "MQTT-3.1.0-1", false},
    {"3.1.1", CONNECT4 "> c0 00", "MQTT-3.1.0-1", false},
    {"3.1.1", "> c0 00", "MQTT-3.1.0-1", true},
    {"5.0", "> 30 04 00 01 61 00", "MQTT-3.1.0-1", true},
    {"3.1.1", CONNECT4, "MQTT-3.1.0-2", false},
    {"3.1.1", OPEN4 CONNECT4, "MQTT-3.1.0-2", true},
    {"3.1.1", OPEN4, "MQTT-3.2.0-1", false},
    {"3.1.1", CONNECT4 "< d0 00", "MQTT-3.2.0-1", true},
    {"5.0", CONNECT5 "< f0 00", "MQTT-3.2.0-1", false},          /* AUTH may precede CONNACK */
    {"5.0", CONNECT5 "< 30 04 00 01 61 00", "MQTT-3.2.0-1", true},
    {"5.0", OPEN5, "MQTT-3.2.0-2", false},
    {"5.0", OPEN5 CONNACK5, "MQTT-3.2.0-2", true},
    {"3.1.1", OPEN4 "> e0 00", "MQTT-3.14.4-2", false},
    {"3.1.1", OPEN4 "> e0 00; > c0 00", "MQTT-3.14.4-2", true},
    {"5.0", OPEN5 "< e0 00", "MQTT-3.14.4-1", false},
    {"5.0", OPEN5 "< e0 00; < d0 00", "MQTT-3.14.4-1", true},
    /* packet identifiers */
    {"3.1.1", OPEN4 "> 32 05 00 01 61 00 01", "MQTT-2.3.1-1", false},
    {"3.1.1", OPEN4 "> 32 05 00 01 61 00 00", "MQTT-2.3.1-1", true},
    {"3.1.1", OPEN4 "> 82 06 00 00 00 01 61 00", "MQTT-2.3.1-1", true},
    {"3.1.1", OPEN4 "< 34 05 00 01 61 00 00", "MQTT-2.3.1-1", true},
    {"5.0", OPEN5 "> 32 06 00 01 61 00 01 00", "MQTT-2.2.1-3", false},
    {"5.0", OPEN5 "> 32 06 00 01 61 00 00 00", "MQTT-2.2.1-3", true},
    {"5.0", OPEN5 "> a2 06 00 00 00 00 01 61", "MQTT-2.2.1-3", true},
    {"5.0", OPEN5 "< 32 06 00 01 61 00 02 00", "MQTT-2.2.1-4", false},
    {"5.0", OPEN5 "< 32 06 00 01 61 00 00 00", "MQTT-2.2.1-4", true},
    {"3.1.1", OPEN4 "< 40 02 00 01", "MQTT-2.3.1-6", false},
    {"3.1.1", OPEN4 "> 50 02 00 00", "MQTT-2.3.1-6", true},
    {"5.0", OPEN5 "> 70 02 00 01", "MQTT-2.2.1-5", false},
    {"5.0", OPEN5 "> 70 02 00 00", "MQTT-2.2.1-5", true},
    {"3.1.1", OPEN4 "< 90 03 00 01 00", "MQTT-2.3.1-7", false},
    {"3.1.1", OPEN4 "< b0 02 00 00", "MQTT-2.3.1-7", true},
    {"5.0", OPEN5 "< b0 04 00 01 00 00", "MQTT-2.2.1-6", false},
    {"5.0", OPEN5 "< 90 04 00 00 00 00", "MQTT-2.2.1-6", true},
    /* PUBLISH */
    {"3.1.1", OPEN4 "> 30 03 00 01 61", "MQTT-3.3.1-2", false},
    {"3.1.1", OPEN4 "> 38 03 00 01 61", "MQTT-3.3.1-2", true},
    {"3.1.1", OPEN4 "> 30 05 00 03 61 2f 62", "MQTT-3.3.2-2", false},
    {"3.1.1", OPEN4 "> 30 03 00 01 23", "MQTT-3.3.2-2", true},
    {"5.0", OPEN5 "< 30 06 00 03 61 2f 2b 00", "MQTT-3.3.2-2", true},
    {"3.1.1", OPEN4 "> 30 03 00 01 61", "MQTT-4.7.3-1", false},
    {"3.1.1", OPEN4 "> 30 02 00 00", "MQTT-4.7.3-1", true},
    {"5.0", OPEN5 "> 30 06 00 00 03 23 00 01", "MQTT-4.7.3-1", false}, /* alias stands in */
    {"5.0", OPEN5 "> 30 03 00 00 00", "MQTT-4.7.3-1", true},
    {"3.1.1", OPEN4 "> 82 05 00 01 00 00 00", "MQTT-4.7.3-1", true},
    {"5.0", OPEN5 "> 30 07 00 01 61 03 23 00 01", "MQTT-3.3.2-8", false},
    {"5.0", OPEN5 "> 30 07 00 01 61 03 23 00 00", "MQTT-3.3.2-8", true},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 30 07 00 01 61 03 23 00 03", "MQTT-3.3.2-9", false},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 30 07 00 01 61 03 23 00 04", "MQTT-3.3.2-9", true},
    {"5.0", OPEN5 "> 30 07 00 01 61 03 23 00 01", "MQTT-3.3.2-9", true},  /* no maximum given */
    {"5.0", CONNECT5_LIMITS CONNACK5 "< 30 07 00 01 61 03 23 00 02", "MQTT-3.3.2-11", false},
    {"5.0", CONNECT5_LIMITS CONNACK5 "< 30 07 00 01 61 03 23 00 03", "MQTT-3.3.2-11", true},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 30 0e 00 01 61 00 30 31 32 33 34 35 36 37 38 39",
     "MQTT-3.2.2-15", false},                                    /* 16 bytes <= 16 */
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 30 10 00 01 61 00 30 31 32 33 34 35 36 37 38 39 61 62",
     "MQTT-3.2.2-15", true},                                     /* 18 bytes > 16 */
    {"5.0", CONNECT5_LIMITS CONNACK5 "< 30 04 00 01 61 00", "MQTT-3.1.2-24", false},
    {"5.0", CONNECT5_LIMITS CONNACK5
     "< 30 14 00 01 61 00 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35",
     "MQTT-3.1.2-24", true},                                     /* 22 bytes > 20 */
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 32 06 00 01 61 00 01 00", "MQTT-3.2.2-11", false},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 34 06 00 01 61 00 01 00", "MQTT-3.2.2-11", true},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 30 04 00 01 61 00", "MQTT-3.2.2-14", false},
    {"5.0", CONNECT5 CONNACK5_LIMITS "> 31 04 00 01 61 00", "MQTT-3.2.2-14", true},
    {"5.0", OPEN5 "< 30 06 00 01 61 02 0b 01", "MQTT-3.3.4-6", false},   /* server may */
    {"5.0", OPEN5 "> 30 04 00 01 61 00", "MQTT-3.3.4-6", false},
    {"5.0", OPEN5 "> 30 06 00 01 61 02 0b 01", "MQTT-3.3.4-6", true},
    {"5.0", OPEN5 "> 30 0a 00 01 61 06 08 00 03 61 2f 62", "MQTT-3.3.2-14", false},
    {"5.0", OPEN5 "> 30 0a 00 01 61 06 08 00 03 61 2f 23", "MQTT-3.3.2-14", true},
    /* SUBSCRIBE / UNSUBSCRIBE filters */
    {"3.1.1", OPEN4 "> 82 08 00 01 00 03 61 2f 23 00", "MQTT-4.7.1-2", false},
    {"3.1.1", OPEN4 "> 82 0a 00 01 00 05 61 2f 23 2f 62 00", "MQTT-4.7.1-2", true},
    {"3.1.1", OPEN4 "> 82 07 00 01 00 02 61 23 00", "MQTT-4.7.1-2", true},
    {"3.1.1", OPEN4 "> 82 08 00 01 00 03 2b 2f 61 00", "MQTT-4.7.1-3", false},
    {"3.1.1", OPEN4 "> 82 07 00 01 00 02 61 2b 00", "MQTT-4.7.1-3", true},
    {"5.0", OPEN5 "> a2 06 00 01 00 00 01 23", "MQTT-4.7.1-1", false},
    {"5.0", OPEN5 "> a2 07 00 01 00 00 02 61 23", "MQTT-4.7.1-1", true},
    {"5.0", OPEN5 "> a2 08 00 01 00 00 03 61 2f 2b", "MQTT-4.7.1-2", false},
    {"5.0", OPEN5 "> a2 07 00 01 00 00 02 2b 61", "MQTT-4.7.1-2", true},
    {"5.0", OPEN5 "> a2 0f 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 78", "MQTT-4.8.2-1", false},
    {"5.0", OPEN5 "> a2 0e 00 01 00 00 09 24 73 68 61 72 65 2f 2f 78", "MQTT-4.8.2-1", true},
    {"5.0", OPEN5 "> a2 0f 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 78", "MQTT-4.8.2-2", false},
    {"5.0", OPEN5 "> a2 0d 00 01 00 00 08 24 73 68 61 72 65 2f 67", "MQTT-4.8.2-2", true},
    {"5.0", OPEN5 "> a2 10 00 01 00 00 0b 24 73 68 61 72 65 2f 67 2b 2f 78", "MQTT-4.8.2-2", true},
    {"5.0", OPEN5 "> 82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 78 00", "MQTT-3.8.3-4", false},
    {"5.0", OPEN5 "> 82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 78 04", "MQTT-3.8.3-4", true},
    /* SUBACK / UNSUBACK answer their request */
    {"3.1.1", OPEN4 "> 82 0a 00 01 00 01 61 00 00 01 62 01; < 90 04 00 01 00 01", "MQTT-3.8.4-5", false},
    {"3.1.1", OPEN4 "> 82 0a 00 01 00 01 61 00 00 01 62 01; < 90 03 00 01 00", "MQTT-3.8.4-5", true},
    {"3.1.1", OPEN4 "> 82 0a 00 01 00 01 61 00 00 01 62 01; < 90 03 00 09 00", "MQTT-3.8.4-5", false},
    {"5.0", OPEN5 "> 82 0b 00 01 00 00 01 61 00 00 01 62 01; < 90 05 00 01 00 00 01", "MQTT-3.8.4-6", false},
    {"5.0", OPEN5 "> 82 0b 00 01 00 00 01 61 00 00 01 62 01; < 90 04 00 01 00 00", "MQTT-3.8.4-6", true},
    {"5.0", OPEN5 "> a2 09 00 01 00 00 01 61 00 01 62; < b0 05 00 01 00 00 11", "MQTT-3.11.3-2", false},
    {"5.0", OPEN5 "> a2 09 00 01 00 00 01 61 00 01 62; < b0 04 00 01 00 00", "MQTT-3.11.3-2", true},
    {"5.0", OPEN5 "> a2 09 00 01 00 00 01 61 00 01 62; < b0 05 00 01 00 00 05", "MQTT-3.11.3-2", true},
    /* reason codes defined for their packet */
    {"3.1.1", OPEN4 "< 90 03 00 01 80", "MQTT-3.9.3-2", false},
    {"3.1.1", OPEN4 "< 90 03 00 01 03", "MQTT-3.9.3-2", true},
    {"5.0", OPEN5 "< 90 04 00 01 00 9e", "MQTT-3.9.3-2", false},
    {"5.0", OPEN5 "< 90 04 00 01 00 03", "MQTT-3.9.3-2", true},
    {"5.0", CONNECT5 "< 20 03 00 80 00", "MQTT-3.2.2-8", false},
    {"5.0", CONNECT5 "< 20 03 00 01 00", "MQTT-3.2.2-8", true},
    /* to a CONNECT of level 6 a 2-byte CONNACK is read as 3.1.1's: 1 = bad protocol version */
    {"5.0", "> 10 0e 00 04 4d 51 54 54 06 02 00 3c 00 00 01 63; < 20 02 00 01", "MQTT-3.2.2-8",
     false},
    {"5.0", OPEN5 "< 40 03 00 01 10", "MQTT-3.4.2-1", false},
    {"5.0", OPEN5 "< 40 03 00 01 92", "MQTT-3.4.2-1", true},
    {"5.0", OPEN5 "> 50 03 00 01 97", "MQTT-3.5.2-1", false},
    {"5.0", OPEN5 "> 50 03 00 01 92", "MQTT-3.5.2-1", true},
    {"5.0", OPEN5 "> 62 03 00 01 92", "MQTT-3.6.2-1", false},
    {"5.0", OPEN5 "> 62 03 00 01 10", "MQTT-3.6.2-1", true},
    {"5.0", OPEN5 "< 70 03 00 01 00", "MQTT-3.7.2-1", false},
    {"5.0", OPEN5 "< 70 03 00 01 80", "MQTT-3.7.2-1", true},
    {"5.0", OPEN5 "< e0 01 8e", "MQTT-3.14.2-1", false},
    {"5.0", OPEN5 "< e0 01 05", "MQTT-3.14.2-1", true},
    {"5.0", OPEN5 "> f0 01 19", "MQTT-3.15.2-1", false},
    {"5.0", OPEN5 "> f0 01 01", "MQTT-3.15.2-1", true},
    /* CONNACK, DISCONNECT */
    {"3.1.1", CONNECT4 "< 20 02 01 00", "MQTT-3.2.2-4", false},
    {"3.1.1", CONNECT4 "< 20 02 00 05", "MQTT-3.2.2-4", false},
    {"3.1.1", CONNECT4 "< 20 02 01 05", "MQTT-3.2.2-4", true},
    {"5.0", CONNECT5 "< 20 03 01 00 00", "MQTT-3.2.2-6", false},
    {"5.0", CONNECT5 "< 20 03 01 80 00", "MQTT-3.2.2-6", true},
    {"5.0", CONNECT5 "< 20 03 00 00 00", "MQTT-3.2.2-1", false},
    {"5.0", CONNECT5 "< 20 03 02 00 00", "MQTT-3.2.2-1", true},
    {"5.0", OPEN5 "> e0 07 00 05 11 00 00 00 01", "MQTT-3.14.2-2", false},  /* client may */
    {"5.0", OPEN5 "< e0 01 8b", "MQTT-3.14.2-2", false},
    {"5.0", OPEN5 "< e0 07 00 05 11 00 00 00 01", "MQTT-3.14.2-2", true},
};

/* One row per check of the table: did some case pass it, did some case violate it. */
static bool seen_pass[128], seen_fail[128];

static size_t check_index(const struct pcs_check *c) { return (size_t)(c - P->checks); }

/* Runs the checks citing rule on the frame decoded last, sent in dir; returns the first
 * failure (0 = all pass). */
static int run_checks(void *st, enum pcs_dir dir, const char *rule, bool expect_fail)
{
    int result = 0, matched = 0;
    int ver = P->conn_version(st);
    for (const struct pcs_check *c = P->checks; c->rule; c++) {
        if (strcmp(c->rule, rule) != 0)
            continue;
        matched++;
        /* what the engine runs: dirs, versions and the frame's type */
        bool applies = pcs_check_applies(c, P->last_type(st), dir, ver);
        struct pcs_diag d = {0};
        int rc = c->fn(st, dir, NULL, &d);
        if (rc) {
            assert_true(applies);                      /* a check sees only its own frames */
            assert_string_equal(d.rule, c->rule);
            assert_non_null(strchr(d.msg, ':'));       /* "PACKET: what" */
            assert_int_equal(rc, d.code);
            if (!result)
                result = rc;
        }
        if (applies && expect_fail == (rc != 0)) {
            if (rc)
                seen_fail[check_index(c)] = true;
            else
                seen_pass[check_index(c)] = true;
        }
    }
    if (!matched)
        print_error("no check cites %s\n", rule);
    assert_true(matched > 0);
    return result;
}

static void test_scripts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct ccase *k = &cases[i];
        void *st = calloc(1, P->conn_state_size);
        assert_int_equal(P->conn_init(st, k->version), 0);
        char *script = strdup(k->script), *save = NULL;
        struct pcs_buf b;   /* the last packet: the checks may read its bytes */
        pcs_buf_init(&b);
        enum pcs_dir dir = PCS_DIR_C2S;
        for (char *s = strtok_r(script, ";", &save); s; s = strtok_r(NULL, ";", &save)) {
            while (*s == ' ')
                s++;
            if (!*s)
                continue;
            assert_true(*s == '>' || *s == '<');
            dir = *s == '>' ? PCS_DIR_C2S : PCS_DIR_S2C;
            struct pcs_diag d = {0};
            b.len = 0;
            th_hex(&b, s + 1);
            /* no value, as replay decodes: the checks read only what decode() learnt */
            int rc = P->decode(st, dir, b.data, b.len, NULL, &d);
            if (rc)
                print_error("case %zu: decode %s: %s [%s]\n", i, s, d.msg, d.rule);
            assert_int_equal(rc, 0);
        }
        int rc = run_checks(st, dir, k->rule, k->fails);
        if ((rc != 0) != k->fails)
            print_error("case %zu (%s, %s): check %s\n", i, k->rule, k->script,
                        rc ? "failed" : "passed");
        assert_int_equal(rc != 0, k->fails);
        pcs_buf_free(&b);
        free(script);
        P->conn_fini(st);
        free(st);
    }
}

/* Runs last: every check of the table has a passing and a violating case above. */
static void test_every_check_covered(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct pcs_check *c = P->checks; c->rule; c++, n++) {
        assert_true(n < 128);
        if (!seen_pass[n] || !seen_fail[n])
            print_error("check %s (%s): pass case %s, violation case %s\n", c->rule, c->summary,
                        seen_pass[n] ? "yes" : "MISSING", seen_fail[n] ? "yes" : "MISSING");
        assert_true(seen_pass[n] && seen_fail[n]);
    }
    print_message("%zu checks, %zu script cases\n", n, sizeof cases / sizeof *cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripts),
        cmocka_unit_test(test_every_check_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
