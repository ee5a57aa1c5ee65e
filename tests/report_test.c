/* report_test.c — the result model and the three reporters (console, JUnit XML, JSON) on a run
 * with one case of each verdict and hostile text (markup, quotes, control bytes, UTF-8, a byte
 * that is not UTF-8). JUnit output is checked with xmllint against $PCS_JUNIT_XSD when set.
 * Files go to a fresh temporary folder that the tests leave behind for inspection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "diag.h"
#include "helpers.h"
#include "report.h"
#include "result.h"

#define HOSTILE "a<b&c \"q\" 'x' \x01 caf\xc3\xa9 \xe2\x86\x92 bad\xff"

/* ---- fixtures ---- */

static struct pcs_case_result *mk_case(const char *id, const char *proto, const char *ver,
                                       enum pcs_verdict v, double secs)
{
    struct pcs_case_result *c = pcs_case_new();
    c->id = pcs_xstrdup(id);
    c->title = pcs_xasprintf("title of %s", id);
    c->file = pcs_xasprintf("specs/%s.yaml", id);
    c->protocol = pcs_xstrdup(proto);
    c->version = pcs_xstrdup(ver);
    c->target = pcs_xstrdup("tcp://127.0.0.1:1883");
    c->verdict = v;
    c->seconds = secs;
    c->repro = pcs_xasprintf("pcs run -t tcp://127.0.0.1:1883 specs/%s.yaml", id);
    return c;
}

static void add_rule(struct pcs_case_result *c, const char *rule)
{
    c->rules = pcs_xrealloc(c->rules, (c->nrules + 1) * sizeof *c->rules);
    c->rules[c->nrules++] = pcs_xstrdup(rule);
}

static struct pcs_case_result *failing_case(void)
{
    struct pcs_case_result *c = mk_case("mqtt5/3.2/connack-first", "mqtt", "5.0", PCS_FAIL, 1.02);
    add_rule(c, "MQTT-3.2.0-1");
    struct pcs_finding *f = pcs_case_add_finding(c, "MQTT-3.2.0-1", "MUST",
                                                 "expected CONNACK within 1s, got PUBLISH");
    f->summary = pcs_xstrdup("The Server sends CONNACK first");
    f->applies_to = pcs_xstrdup("server");
    f->file = pcs_xstrdup("specs/mqtt/v5/3.2/connack-first.yaml");
    f->line = 14;
    f->col = 5;
    f->expected = pcs_xstrdup("CONNACK\nor close");
    f->observed = pcs_xstrdup("PUBLISH {topic: \"" HOSTILE "\"}");
    pcs_case_add_trace(c, 0.001, "c1", '>', "CONNECT {client_id: \"a<b&c\"}");
    pcs_case_add_trace(c, 0.012, "c1", '<', "PUBLISH {topic: \"" HOSTILE "\"}");
    c->trace[1].frame_no = 3;
    pcs_case_add_trace(c, 1.013, "c1", '!', "closed by pcs");
    c->pcap = pcs_xstrdup("captures/connack-first.pcap");
    return c;
}

static struct pcs_case_result *warning_case(void)
{
    struct pcs_case_result *c =
        mk_case("mqtt5/3.2/session-present", "mqtt", "5.0", PCS_WARN, 0.0204);
    add_rule(c, "MQTT-3.2.2-9");
    add_rule(c, "MQTT-3.2.2-10");
    struct pcs_finding *f =
        pcs_case_add_finding(c, "MQTT-3.2.2-9", "SHOULD", "session_present was 1 & not 0");
    f->warning = true;
    f->rule_inherited = true;   /* the step named no rule: the spec's first */
    pcs_case_add_trace(c, 0.0, "c1", '>', "CONNECT {clean_start: true}");
    return c;
}

static void build_run(struct pcs_run_result *r)
{
    memset(r, 0, sizeof *r);
    r->name = pcs_xstrdup("pcs");
    r->timestamp = pcs_xstrdup("2024-05-01T10:20:30Z");
    r->hostname = pcs_xstrdup("ci-1");
    r->seconds = 1.234;
    struct pcs_case_result *pass = mk_case("mqtt5/3.1/connect-ok", "mqtt", "5.0", PCS_PASS, 0.012);
    add_rule(pass, "MQTT-3.1.0-1");
    pcs_case_add_trace(pass, 0.0, "c1", '>', "CONNECT {}");
    pcs_run_add(r, pass);
    pcs_run_add(r, warning_case());
    pcs_run_add(r, failing_case());
    struct pcs_case_result *skip = mk_case("mqtt5/4.3/qos2", "mqtt", "5.0", PCS_SKIP, 0);
    skip->reason = pcs_xstrdup("target lacks capability qos2");
    pcs_run_add(r, skip);
    struct pcs_case_result *err = mk_case("h2/6.5/settings-ack", "h2", "2", PCS_ERROR, 1.5);
    err->reason = pcs_xstrdup("connect refused: " HOSTILE);
    pcs_run_add(r, err);
}

/* ---- small tools ---- */

static const char *tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/pcs-report-XXXXXX", t ? t : "/tmp");
        assert_non_null(mkdtemp(dir));
    }
    return dir;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct pcs_buf b;
    pcs_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pcs_buf_append(&b, chunk, n);
    fclose(f);
    return pcs_buf_cstr(&b);
}

#define assert_contains(hay, needle)                                                         \
    do {                                                                                     \
        if (!strstr((hay), (needle)))                                                        \
            fail_msg("missing %s\n--- in ---\n%s", (needle), (hay));                          \
    } while (0)

#define assert_lacks(hay, needle)                                                            \
    do {                                                                                     \
        if (strstr((hay), (needle)))                                                         \
            fail_msg("unexpected %s\n--- in ---\n%s", (needle), (hay));                       \
    } while (0)

static char *console_output(struct pcs_console *con, const struct pcs_run_result *r)
{
    char *text = NULL;
    size_t len = 0;
    con->out = open_memstream(&text, &len);
    assert_non_null(con->out);
    con->total = r->ncases;
    for (size_t i = 0; i < r->ncases; i++)
        pcs_console_case(con, r->cases[i]);
    pcs_console_summary(con, r);
    fclose(con->out);
    return text;
}

static int shell(const char *fmt, const char *arg)
{
    char *cmd = pcs_xasprintf(fmt, arg);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* ---- result model ---- */

static void test_model(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    size_t n[5];
    pcs_run_counts(&r, n);
    for (int v = PCS_PASS; v <= PCS_ERROR; v++)
        assert_int_equal(n[v], 1);
    assert_string_equal(pcs_verdict_name(PCS_PASS), "pass");
    assert_string_equal(pcs_verdict_name(PCS_SKIP), "skip");
    assert_string_equal(pcs_verdict_name(PCS_WARN), "warn");
    assert_string_equal(pcs_verdict_name(PCS_FAIL), "fail");
    assert_string_equal(pcs_verdict_name(PCS_ERROR), "error");
    struct pcs_finding *f = pcs_case_add_finding(r.cases[0], NULL, NULL, NULL);
    assert_null(f->rule);
    assert_false(f->warning);
    pcs_run_free(&r);
    assert_int_equal(r.ncases, 0);
    assert_null(r.cases);
    pcs_run_free(&r);   /* twice is harmless */
}

static void test_utf8(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(pcs_result_utf8("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(pcs_result_utf8("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(pcs_result_utf8("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1f600);
    assert_int_equal(pcs_result_utf8("\xc3", 1, &cp), 0);          /* truncated */
    assert_int_equal(pcs_result_utf8("\xc0\x80", 2, &cp), 0);      /* overlong NUL */
    assert_int_equal(pcs_result_utf8("\xe0\x80\xaf", 3, &cp), 0);  /* overlong '/' */
    assert_int_equal(pcs_result_utf8("\xed\xa0\x80", 3, &cp), 0);  /* surrogate */
    assert_int_equal(pcs_result_utf8("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
    assert_int_equal(pcs_result_utf8("\x80", 1, &cp), 0);
    assert_int_equal(pcs_result_utf8("\xff", 1, &cp), 0);
}

/* ---- console ---- */

static void test_console_plain(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    struct pcs_console con = {0};
    char *out = console_output(&con, &r);
    assert_int_equal(con.done, 5);
    assert_contains(out, "PASS  mqtt5/3.1/connect-ok  (12 ms)\n");
    assert_contains(out, "WARN  mqtt5/3.2/session-present  (20 ms)\n"
                         "  rule MQTT-3.2.2-9 (SHOULD): session_present was 1 & not 0\n");
    assert_contains(out, "FAIL  mqtt5/3.2/connack-first  (1.02 s)\n"
                         "  rule MQTT-3.2.0-1 (MUST, server): The Server sends CONNACK first\n"
                         "    expected CONNACK within 1s, got PUBLISH\n"
                         "    at specs/mqtt/v5/3.2/connack-first.yaml:14:5\n"
                         "    expected: CONNACK\n"
                         "              or close\n"
                         "    observed: PUBLISH {topic: \"a<b&c \"q\" 'x' \\x01 caf\xc3\xa9 "
                         "\xe2\x86\x92 bad\\xff\"}\n"
                         "  +0.001s c1 > CONNECT {client_id: \"a<b&c\"}\n");
    assert_contains(out, "  +1.013s c1 ! closed by pcs\n"
                         "  capture: captures/connack-first.pcap\n"
                         "  reproduce: pcs run -t tcp://127.0.0.1:1883 "
                         "specs/mqtt5/3.2/connack-first.yaml\n");
    assert_contains(out, "SKIP  mqtt5/4.3/qos2  (0 ms)  target lacks capability qos2\n");
    assert_contains(out, "ERROR h2/6.5/settings-ack  (1.50 s)\n  error: connect refused: ");
    /* a passing case's trace only with -v */
    assert_lacks(out, "CONNECT {}");
    assert_lacks(out, "\033");
    assert_lacks(out, "\x01");
    assert_contains(out, "Failed:\n  FAIL  mqtt5/3.2/connack-first\n        pcs run");
    assert_contains(out, "  ERROR h2/6.5/settings-ack\n");
    const char *tail = "\npcs: 2 passed, 2 failed, 1 skipped\n(1 warned, 1 error; 1.23s)\n";
    assert_string_equal(out + strlen(out) - strlen(tail), tail);
    free(out);
    pcs_run_free(&r);
}

static void test_console_verbose_interrupted(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    r.interrupted = true;
    struct pcs_console con = {.verbose = true};
    char *text = NULL;
    size_t len = 0;
    con.out = open_memstream(&text, &len);
    con.total = 9;
    pcs_console_case(&con, r.cases[0]);
    pcs_console_summary(&con, &r);
    fclose(con.out);
    assert_contains(text, "PASS  mqtt5/3.1/connect-ok  (12 ms)\n  +0.000s c1 > CONNECT {}\n");
    assert_contains(text, "interrupted: 5 of 9 cases ran\npcs: 2 passed, 2 failed, 1 skipped\n");
    free(text);
    pcs_run_free(&r);
}

static void test_console_color_progress(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    struct pcs_console con = {.color = true, .progress = true};
    char *out = console_output(&con, &r);
    assert_contains(out, "\r\033[K");
    /* after each case: the number of the case now running; nothing after the last */
    assert_contains(out, "(12 ms)\n[2/5] running…\r\033[K");
    assert_contains(out, "[5/5] running…\r\033[K");
    assert_lacks(out, "[6/5]");
    assert_contains(out, "\033[32mPASS\033[0m  mqtt5/3.1/connect-ok");
    assert_contains(out, "\033[31mFAIL\033[0m  \033[1mmqtt5/3.2/connack-first\033[0m");
    assert_contains(out, "\033[35mERROR\033[0m ");
    assert_contains(out, "\033[33mWARN");
    assert_contains(out, "\033[36mSKIP");
    /* the CI line stays plain */
    assert_contains(out, "\npcs: 2 passed, 2 failed, 1 skipped\n(");
    free(out);
    pcs_run_free(&r);
}

/* ---- JUnit ---- */

static void check_with_xsd(const char *path)
{
    const char *xsd = getenv("PCS_JUNIT_XSD");
    if (!xsd || !*xsd) {
        print_message("PCS_JUNIT_XSD not set: schema check skipped\n");
        return;
    }
    char *cmd = pcs_xasprintf("xmllint --noout --schema '%s' '%s'", xsd, path);
    int rc = system(cmd);
    free(cmd);
    assert_int_equal(rc, 0);
}

static void test_junit(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    char *dir = pcs_xasprintf("%s/junit/deeper", tmpdir());
    char *path = pcs_xasprintf("%s/report.xml", dir);
    struct pcs_diag d = {0};
    assert_int_equal(pcs_report_junit(&r, path, &d), 0);
    char *x = slurp(path);
    assert_contains(x, "<testsuites name=\"pcs\" tests=\"5\" failures=\"1\" errors=\"1\" "
                       "time=\"1.234\">");
    assert_contains(x, "<testsuite name=\"mqtt-5.0\" package=\"pcs.mqtt\" id=\"0\" tests=\"4\" "
                       "failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.052\" "
                       "timestamp=\"2024-05-01T10:20:30\" hostname=\"ci-1\">");
    assert_contains(x, "<testsuite name=\"h2-2\" package=\"pcs.h2\" id=\"1\" tests=\"1\" "
                       "failures=\"0\" errors=\"1\" skipped=\"0\"");
    assert_contains(x, "<testcase name=\"mqtt5/3.2/connack-first\" "
                       "classname=\"pcs.mqtt.5_0.3_2\" time=\"1.020\">");
    assert_contains(x, "<failure message=\"MQTT-3.2.0-1: expected CONNACK within 1s, got "
                       "PUBLISH\" type=\"MQTT-3.2.0-1\">  rule MQTT-3.2.0-1 (MUST, server)");
    assert_contains(x, "a&lt;b&amp;c \"q\" 'x' \\x01 caf\xc3\xa9 \xe2\x86\x92 bad\\xff");
    assert_contains(x, "<error message=\"connect refused: a&lt;b&amp;c &quot;q&quot; 'x' \\x01");
    assert_contains(x, "type=\"pcs.error\"");
    assert_contains(x, "<skipped message=\"target lacks capability qos2\"/>");
    assert_contains(x, "<property name=\"pcs.warn.mqtt5/3.2/session-present\" "
                       "value=\"MQTT-3.2.2-9: session_present was 1 &amp; not 0\"/>");
    assert_contains(x, "rules: MQTT-3.2.2-9, MQTT-3.2.2-10\n");
    assert_contains(x, "<system-out>rules: MQTT-3.2.0-1\n+0.001s c1 &gt; CONNECT {client_id: "
                       "\"a&lt;b&amp;c\"}\n+0.012s c1 &lt; PUBLISH");
    assert_contains(x, "[[ATTACHMENT|/");
    assert_contains(x, "/captures/connack-first.pcap]]\n");
    assert_contains(x, "classname=\"pcs.h2.2.6_5\"");
    assert_lacks(x, "\x01");
    assert_lacks(x, "\xff");
    assert_lacks(x, "\033");
    check_with_xsd(path);
    /* atomic: no temporary file left beside it */
    assert_int_equal(shell("test \"$(ls -A '%s')\" = report.xml", dir), 0);
    free(x);
    free(dir);
    free(path);
    pcs_run_free(&r);
}

static void test_junit_edges(void **state)
{
    (void)state;
    struct pcs_run_result r = {0};
    char *path = pcs_xasprintf("%s/empty.xml", tmpdir());
    assert_int_equal(pcs_report_junit(&r, path, NULL), 0);
    char *x = slurp(path);
    assert_contains(x, "<testsuites name=\"pcs\" tests=\"0\" failures=\"0\" errors=\"0\"");
    check_with_xsd(path);
    free(x);
    /* a case with no protocol, no section in its id, a fail without findings */
    struct pcs_case_result *c = pcs_case_new();
    c->id = pcs_xstrdup("lonely");
    c->verdict = PCS_FAIL;
    pcs_run_add(&r, c);
    r.interrupted = true;
    assert_int_equal(pcs_report_junit(&r, path, NULL), 0);
    x = slurp(path);
    assert_contains(x, "classname=\"pcs.unknown.unknown\"");
    assert_contains(x, "<failure message=\"failed\" type=\"pcs.fail\">");
    assert_contains(x, "name=\"pcs.interrupted\" value=\"true\"");
    check_with_xsd(path);
    free(x);
    free(path);
    pcs_run_free(&r);
}

static void test_write_error(void **state)
{
    (void)state;
    struct pcs_run_result r = {0};
    const char *file = th_tmpfile("plain-file", "x");
    char *path = pcs_xasprintf("%s/sub/report.json", file);
    struct pcs_diag d = {0};
    assert_int_equal(pcs_report_json(&r, path, &d), PCS_ERR_IO);
    assert_int_equal(d.code, PCS_ERR_IO);
    assert_contains(d.msg, "plain-file");
    assert_int_equal(pcs_report_junit(&r, path, NULL), PCS_ERR_IO);
    free(path);
}

/* ---- JSON ---- */

static void test_json(void **state)
{
    (void)state;
    struct pcs_run_result r;
    build_run(&r);
    char *path = pcs_xasprintf("%s/json/report.json", tmpdir());
    struct pcs_diag d = {0};
    assert_int_equal(pcs_report_json(&r, path, &d), 0);
    char *j = slurp(path);
    assert_contains(j, "{\"pcs\":1,\"name\":\"pcs\",\"timestamp\":\"2024-05-01T10:20:30Z\","
                       "\"hostname\":\"ci-1\",\n");
    assert_contains(j, "\"summary\":{\"total\":5,\"passed\":1,\"failed\":1,\"warned\":1,"
                       "\"skipped\":1,\"errors\":1,\"seconds\":1.234,\"interrupted\":false}");
    assert_contains(j, "{\"id\":\"mqtt5/3.2/connack-first\",\"title\":\"title of "
                       "mqtt5/3.2/connack-first\"");
    assert_contains(j, "\"rules\":[\"MQTT-3.2.2-9\",\"MQTT-3.2.2-10\"],\"verdict\":\"warn\"");
    assert_contains(j, "{\"rule\":\"MQTT-3.2.2-9\",\"rule_inherited\":true,");
    assert_contains(j, "\"findings\":[{\"rule\":\"MQTT-3.2.0-1\",\"rule_inherited\":false,"
                       "\"level\":\"MUST\","
                       "\"applies_to\":\"server\",\"summary\":\"The Server sends CONNACK first\","
                       "\"file\":\"specs/mqtt/v5/3.2/connack-first.yaml\",\"line\":14,\"col\":5,");
    assert_contains(j, "\"expected\":\"CONNACK\\nor close\"");
    assert_contains(j, "a<b&c \\\"q\\\" 'x' \\u0001 caf\xc3\xa9 \xe2\x86\x92 bad\xef\xbf\xbd");
    assert_contains(j, "{\"t\":0.012,\"peer\":\"c1\",\"dir\":\"<\",\"text\":\"PUBLISH");
    assert_contains(j, "\"frame\":3}");
    assert_contains(j, "\"dir\":\"!\",\"text\":\"closed by pcs\",\"frame\":null}");
    assert_contains(j, "\"verdict\":\"skip\",\"reason\":\"target lacks capability qos2\"");
    assert_contains(j, "\"pcap\":null,\"repro\":\"pcs run");
    assert_lacks(j, "\xff");
    if (system("command -v python3 >/dev/null 2>&1") == 0)
        assert_int_equal(shell("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '%s'",
                               path), 0);
    free(j);
    free(path);
    pcs_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_console_plain),
        cmocka_unit_test(test_console_verbose_interrupted),
        cmocka_unit_test(test_console_color_progress),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_junit_edges),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
