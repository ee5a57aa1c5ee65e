/* rules_test.c — rule catalogues (rules.c) and coverage counting (coverage.c): the real MQTT
 * catalogues load with every reference statement (141 and 251; gen_mqtt.py checks each ID),
 * validation errors point at file:line:col, the rules folder is found from a spec path, and the
 * coverage numbers of a small fake citation list come out right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "coverage.h"
#include "helpers.h"
#include "rules.h"

/* ---- temporary rule folders ---- */

static char *mkdir_tmp(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *dir = pcs_xasprintf("%s/pcs-rules-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = pcs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void rm_tree(const char *dir)
{
    char *cmd = pcs_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

/* Loads one catalogue text from a fresh folder; returns the code, d gets the message. */
static int load_one(const char *text, struct pcs_rulebook *rb, struct pcs_diag *d, char **dir)
{
    *dir = mkdir_tmp();
    write_file(*dir, "demo.yaml", text);
    pcs_diag_clear(d);
    return pcs_rulebook_load(rb, *dir, d);
}

/* Expects loading text to fail with "<dir>/demo.yaml:<where>: <contains>…". */
static void expect_error(const char *text, const char *where, const char *contains)
{
    struct pcs_rulebook rb;
    struct pcs_diag d;
    char *dir;
    int rc = load_one(text, &rb, &d, &dir);
    char *prefix = pcs_xasprintf("%s/demo.yaml:%s: ", dir, where);
    if (rc != PCS_ERR_INVALID || strncmp(d.msg, prefix, strlen(prefix)) != 0 ||
        !strstr(d.msg, contains))
        fail_msg("rc %d, message \"%s\"; expected prefix \"%s\" and \"%s\"", rc, d.msg, prefix,
                 contains);
    assert_int_equal(rb.ncats, 0);
    assert_null(rb.cats);
    free(prefix);
    rm_tree(dir);
    free(dir);
}

#define HEAD "pcs_rules: 1\nprotocol: demo\nversion: \"1\"\nrules:\n"
/* line 5 onward */
#define RULE1 "  - id: D-1\n    section: \"1\"\n    level: MUST\n    applies_to: server\n" \
              "    summary: \"One.\"\n"

/* ---- the real catalogues ---- */

static struct pcs_rulebook real;

static int setup_real(void **state)
{
    (void)state;
    struct pcs_diag d = {0};
    int rc = pcs_rulebook_load(&real, th_src("specs/rules"), &d);
    if (rc)
        fprintf(stderr, "%s\n", d.msg);
    return rc;
}

static int teardown_real(void **state)
{
    (void)state;
    pcs_rulebook_free(&real);
    return 0;
}

static void check_catalogue(const struct pcs_catalogue *c, size_t expected)
{
    assert_non_null(c);
    assert_int_equal(c->nrules, expected);
    assert_non_null(c->source);
    assert_non_null(strstr(c->source, "Appendix B"));
    for (size_t i = 0; i < c->nrules; i++) {
        const struct pcs_rule *r = &c->rules[i];
        assert_true(strncmp(r->id, "MQTT-", 5) == 0);
        assert_true(r->section[0] >= '1' && r->section[0] <= '9');
        /* Appendix B lists mandatory statements only. */
        assert_true(pcs_rule_is_mandatory(r));
        assert_true(strcmp(r->applies_to, "server") == 0 || strcmp(r->applies_to, "client") == 0 ||
                    strcmp(r->applies_to, "both") == 0);
        assert_true(r->summary[0] != '\0');
        assert_true(r->testable == (r->why == NULL));
        assert_ptr_equal(pcs_catalogue_rule(c, r->id), r);
    }
}

static void test_real_catalogues(void **state)
{
    (void)state;
    const struct pcs_catalogue *v3 = pcs_rulebook_catalogue(&real, "mqtt", "3.1.1");
    const struct pcs_catalogue *v5 = pcs_rulebook_catalogue(&real, "mqtt", "5.0");
    check_catalogue(v3, 141);
    check_catalogue(v5, 251);
    assert_ptr_equal(pcs_rulebook_catalogue(&real, "mqtt", NULL), pcs_rulebook_catalogue(&real,
                     "mqtt", real.cats[0].version));
    assert_null(pcs_rulebook_catalogue(&real, "mqtt", "4.0"));
    assert_null(pcs_rulebook_catalogue(&real, "nosuch", NULL));

    /* The malformed spellings of 3.1.1 are kept as written. */
    const struct pcs_rule *r = pcs_catalogue_rule(v3, "MQTT-3.1.2.7");
    assert_non_null(r);
    assert_string_equal(r->section, "3.1.2");
    assert_string_equal(r->level, "MUST NOT");
    r = pcs_catalogue_rule(v3, "MQTT-3-8.3-4");
    assert_non_null(r);
    assert_string_equal(r->section, "3.8.3");
    assert_non_null(pcs_catalogue_rule(v3, "MQTT-3.3.1-1"));
    assert_null(pcs_catalogue_rule(v3, "MQTT-3.3.1.-1"));
    assert_null(pcs_catalogue_rule(v3, "MQTT-9.9.9-9"));
    assert_null(pcs_catalogue_rule(v3, NULL));
    assert_null(pcs_catalogue_rule(NULL, "MQTT-3.2.0-1"));

    /* Sections drop a trailing .0; levels and who a rule binds. */
    r = pcs_catalogue_rule(v5, "MQTT-6.0.0-1");
    assert_string_equal(r->section, "6");
    r = pcs_catalogue_rule(v5, "MQTT-3.2.0-1");
    assert_string_equal(r->section, "3.2");
    assert_string_equal(r->level, "MUST");
    assert_string_equal(r->applies_to, "server");
    assert_string_equal(pcs_catalogue_rule(v5, "MQTT-3.1.0-1")->applies_to, "client");
    assert_string_equal(pcs_catalogue_rule(v5, "MQTT-3.2.2-15")->level, "MUST NOT");
    assert_string_equal(pcs_catalogue_rule(v3, "MQTT-4.6.0-1")->applies_to, "client");

    /* 5.0's MQTT-4.2-1 is also spelled MQTT-4.2.0-1 (Appendix B). */
    r = pcs_catalogue_rule(v5, "MQTT-4.2.0-1");
    assert_non_null(r);
    assert_string_equal(r->id, "MQTT-4.2-1");
    assert_int_equal(r->naliases, 1);
    assert_ptr_equal(pcs_catalogue_rule(v5, "MQTT-4.2-1"), r);
    assert_null(pcs_catalogue_rule(v3, "MQTT-4.2.0-1"));
}

static void test_mandatory(void **state)
{
    (void)state;
    const char *levels[] = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"};
    const bool want[] = {true, true, false, false, false};
    for (size_t i = 0; i < 5; i++) {
        struct pcs_rule r = {.level = (char *)levels[i]};
        assert_int_equal(pcs_rule_is_mandatory(&r), want[i]);
    }
    assert_false(pcs_rule_is_mandatory(NULL));
}

/* ---- validation errors ---- */

static void test_load_ok_and_options(void **state)
{
    (void)state;
    struct pcs_rulebook rb;
    struct pcs_diag d;
    char *dir;
    const char *text = HEAD RULE1
        "  - id: D-2\n    aliases: [D-2a, D-2b]\n    section: 2\n    level: SHOULD NOT\n"
        "    applies_to: proxy\n    summary: \"Two.\"\n    testable: false\n"
        "    why: \"Inside.\"\n";
    assert_int_equal(load_one(text, &rb, &d, &dir), 0);
    write_file(dir, "notes.txt", "not a catalogue\n");
    write_file(dir, ".hidden.yaml", "garbage: [\n");
    pcs_rulebook_free(&rb);
    assert_int_equal(pcs_rulebook_load(&rb, dir, &d), 0);
    assert_int_equal(rb.ncats, 1);
    const struct pcs_catalogue *c = pcs_rulebook_catalogue(&rb, "demo", "1");
    assert_non_null(c);
    assert_null(c->source);
    assert_int_equal(c->nrules, 2);
    const struct pcs_rule *r = pcs_catalogue_rule(c, "D-2b");
    assert_non_null(r);
    assert_string_equal(r->id, "D-2");
    assert_string_equal(r->section, "2");
    assert_string_equal(r->level, "SHOULD NOT");
    assert_string_equal(r->applies_to, "proxy");
    assert_false(r->testable);
    assert_string_equal(r->why, "Inside.");
    assert_false(pcs_rule_is_mandatory(r));
    assert_true(c->rules[0].testable);
    assert_null(c->rules[0].why);
    pcs_rulebook_free(&rb);
    pcs_rulebook_free(&rb);   /* twice is harmless */
    rm_tree(dir);
    free(dir);
}

static void test_errors(void **state)
{
    (void)state;
    /* line 10 col 9: the second D-1 */
    expect_error(HEAD RULE1 RULE1, "10:9", "duplicate id D-1 (first at line 5)");
    /* an alias repeating another rule's ID */
    expect_error(HEAD RULE1
                 "  - id: D-2\n    aliases: [D-3, D-1]\n    section: \"1\"\n    level: MAY\n"
                 "    applies_to: both\n    summary: \"x\"\n",
                 "11:20", "duplicate id D-1 (first at line 5)");
    /* missing key: points at the rule */
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    applies_to: server\n"
                      "    summary: \"One.\"\n",
                 "5:5", "rule D-1: missing key 'level'");
    expect_error(HEAD "  - section: \"1\"\n    level: MUST\n    applies_to: server\n"
                      "    summary: \"One.\"\n",
                 "5:5", "rule: missing key 'id'");
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    level: MUST\n    summary: \"x\"\n",
                 "5:5", "missing key 'applies_to'");
    expect_error(HEAD "  - id: D-1\n    level: MUST\n    applies_to: both\n    summary: \"x\"\n",
                 "5:5", "missing key 'section'");
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    level: MUST\n    applies_to: both\n",
                 "5:5", "missing key 'summary'");
    /* bad level: points at the value */
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    level: MUSTN\n    applies_to: server\n"
                      "    summary: \"One.\"\n",
                 "7:12", "level 'MUSTN' is not one of");
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    level: must\n    applies_to: server\n"
                      "    summary: \"One.\"\n",
                 "7:12", "level 'must'");
    /* unknown key: points at the key */
    expect_error(HEAD RULE1 "    colour: red\n", "10:5", "unknown key 'colour' in rule D-1");
    expect_error("pcs_rules: 1\nprotocol: demo\nversion: \"1\"\nextra: 1\nrules: []\n", "4:1",
                 "unknown key 'extra' in catalogue");
    /* testable: false without why, and why without testable: false */
    expect_error(HEAD RULE1 "    testable: false\n", "10:15", "testable: false needs a 'why'");
    expect_error(HEAD RULE1 "    why: \"because\"\n", "10:10", "'why' is only for testable: false");
    expect_error(HEAD RULE1 "    testable: maybe\n", "10:15", "'testable' must be true or false");
    /* types and top level */
    expect_error(HEAD "  - id: D-1\n    section: [1]\n    level: MUST\n    applies_to: both\n"
                      "    summary: \"x\"\n",
                 "6:14", "'section' must be a string, not list");
    expect_error(HEAD "  - id: D-1\n    section: \"1\"\n    level: MUST\n    applies_to: Server\n"
                      "    summary: \"x\"\n",
                 "8:17", "applies_to 'Server'");
    expect_error(HEAD "  - just a string\n", "5:5", "rules[0] must be a map");
    expect_error("pcs_rules: 2\nprotocol: demo\nversion: \"1\"\nrules: []\n", "1:12",
                 "catalogue format 1");
    expect_error("protocol: demo\nversion: \"1\"\nrules: []\n", "1:1", "missing key 'pcs_rules'");
    expect_error("pcs_rules: 1\nversion: \"1\"\nrules: []\n", "1:1", "missing key 'protocol'");
    expect_error("pcs_rules: 1\nprotocol: demo\nversion: \"1\"\n", "1:1", "missing key 'rules'");
    expect_error("pcs_rules: 1\nprotocol: demo\nversion: \"1\"\nrules: {}\n", "4:8",
                 "'rules' must be a list");
    expect_error("- 1\n- 2\n", "1:1", "a rule catalogue is a map");
}

static void test_dir_errors(void **state)
{
    (void)state;
    struct pcs_rulebook rb;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_rulebook_load(&rb, "/nonexistent/pcs/rules", &d), PCS_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent/pcs/rules: cannot open rules folder"));
    assert_null(rb.cats);

    /* A YAML syntax error comes from the loader with its position. */
    char *dir;
    assert_int_equal(load_one("pcs_rules: [\n", &rb, &d, &dir), PCS_ERR_INVALID);
    assert_non_null(strstr(d.msg, "demo.yaml:"));
    /* Two files for one protocol version. */
    write_file(dir, "demo.yaml", HEAD RULE1);
    write_file(dir, "demo2.yaml", HEAD RULE1);
    assert_int_equal(pcs_rulebook_load(&rb, dir, &d), PCS_ERR_INVALID);
    assert_non_null(strstr(d.msg, "demo2.yaml:1:1: catalogue demo 1 is already in"));
    assert_int_equal(rb.ncats, 0);
    /* An empty folder is an empty rulebook. */
    rm_tree(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(pcs_rulebook_load(&rb, dir, &d), 0);
    assert_int_equal(rb.ncats, 0);
    pcs_rulebook_free(&rb);
    rm_tree(dir);
    free(dir);
}

/* ---- locating the rules folder ---- */

static void test_locate(void **state)
{
    (void)state;
    char out[4096], want[4096];
    char *top = mkdir_tmp();
    char *real_top = realpath(top, NULL);
    assert_non_null(real_top);
    char *cmd = pcs_xasprintf("mkdir -p '%s/a/specs/rules' '%s/a/specs/mqtt/v5/3.2' "
                              "'%s/b/rules' '%s/b/x/y' '%s/c/specs/rules'",
                              top, top, top, top, top);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char *p = pcs_xasprintf("%s/a/specs/rules", top);
    write_file(p, "m.yaml", HEAD RULE1);
    free(p);
    p = pcs_xasprintf("%s/b/rules", top);
    write_file(p, "m.yaml", HEAD RULE1);
    free(p);
    p = pcs_xasprintf("%s/a/specs/mqtt/v5/3.2", top);
    write_file(p, "s.yaml", "title: x\n");
    free(p);

    /* A/specs/rules, found from a spec file deep below */
    p = pcs_xasprintf("%s/a/specs/mqtt/v5/3.2/s.yaml", top);
    assert_int_equal(pcs_rulebook_locate(p, out, sizeof out), 0);
    snprintf(want, sizeof want, "%s/a/specs/rules", real_top);
    assert_string_equal(out, want);
    free(p);
    /* from a folder, and from a file that does not exist yet */
    p = pcs_xasprintf("%s/a/specs/mqtt", top);
    assert_int_equal(pcs_rulebook_locate(p, out, sizeof out), 0);
    assert_string_equal(out, want);
    free(p);
    p = pcs_xasprintf("%s/a/specs/mqtt/v5/new.yaml", top);
    assert_int_equal(pcs_rulebook_locate(p, out, sizeof out), 0);
    assert_string_equal(out, want);
    free(p);
    /* A/rules */
    p = pcs_xasprintf("%s/b/x/y/s.yaml", top);
    assert_int_equal(pcs_rulebook_locate(p, out, sizeof out), 0);
    snprintf(want, sizeof want, "%s/b/rules", real_top);
    assert_string_equal(out, want);
    /* too small a buffer */
    assert_int_equal(pcs_rulebook_locate(p, out, 5), PCS_ERR_INVALID);
    free(p);
    /* an empty specs/rules is skipped: the source tree's catalogues instead */
    p = pcs_xasprintf("%s/c/specs/s.yaml", top);
    assert_int_equal(pcs_rulebook_locate(p, out, sizeof out), 0);
    assert_string_equal(out, PCS_SOURCE_DIR "/specs/rules");
    free(p);
    /* the source tree's own specs find the source tree's catalogues */
    assert_int_equal(pcs_rulebook_locate(th_src("specs/mqtt"), out, sizeof out), 0);
    char *src_rules = realpath(th_src("specs/rules"), NULL);
    assert_non_null(src_rules);
    assert_string_equal(out, src_rules);
    free(src_rules);

    rm_tree(top);
    free(real_top);
    free(top);
}

/* ---- coverage ---- */

static const char COV_CAT[] =
    "pcs_rules: 1\nprotocol: demo\nversion: \"1\"\nsource: Demo spec\nrules:\n"
    "  - {id: D-1, section: \"1\", level: MUST, applies_to: server, summary: \"s1\"}\n"
    "  - {id: D-2, section: \"1\", level: MUST, applies_to: server, summary: \"s2\"}\n"
    "  - {id: D-3, section: \"2\", level: MUST NOT, applies_to: client, summary: \"s3\"}\n"
    "  - {id: D-4, aliases: [D-4.0], section: \"2\", level: SHOULD, applies_to: both,"
    " summary: \"s4\"}\n"
    "  - {id: D-5, section: \"3\", level: MAY, applies_to: proxy, summary: \"s5\"}\n"
    "  - {id: D-6, section: \"1\", level: MUST, applies_to: both, summary: \"s6\","
    " testable: false, why: \"inside\"}\n"
    "  - {id: D-7, section: \"3\", level: MUST, applies_to: client, summary: \"s7\","
    " testable: false, why: \"inside\"}\n";

static const struct pcs_coverage_tally *find_tally(const struct pcs_coverage_tally *t, size_t n,
                                                   const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static void test_coverage_counts(void **state)
{
    (void)state;
    struct pcs_rulebook rb;
    struct pcs_diag d;
    char *dir;
    assert_int_equal(load_one(COV_CAT, &rb, &d, &dir), 0);
    const struct pcs_cited cited[] = {
        {"demo", "1", "D-1"},
        {"demo", "1", "D-1"},     /* cited twice, covered once */
        {"demo", NULL, "D-4.0"},  /* an alias counts for D-4 */
        {"demo", "1", "D-6"},     /* excluded, cited anyway */
        {"demo", "1", "D-99"},    /* unknown ID */
        {"demo", "2", "D-3"},     /* unknown version */
        {"other", "1", "D-2"},    /* unknown protocol */
    };
    struct pcs_coverage cov;
    assert_int_equal(pcs_coverage_compute(&cov, &rb, cited, sizeof cited / sizeof *cited), 0);
    assert_int_equal(cov.ncats, 1);
    const struct pcs_coverage_cat *cc = &cov.cats[0];
    assert_int_equal(cc->covered, 2);
    assert_int_equal(cc->total, 5);
    assert_int_equal(cc->excluded, 2);
    assert_int_equal(cc->excluded_cited, 1);
    assert_int_equal(cc->hits[0], 2);
    assert_int_equal(cc->hits[3], 1);
    assert_int_equal(cov.nunknown, 3);
    assert_string_equal(cov.unknown[0].rule_id, "D-99");
    assert_string_equal(cov.unknown[2].protocol, "other");

    /* levels in fixed order, only those present; excluded rules counted nowhere */
    assert_int_equal(cc->nlevels, 4);
    const char *lv[] = {"MUST", "MUST NOT", "SHOULD", "MAY"};
    const size_t lc[] = {1, 0, 1, 0}, lt[] = {2, 1, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cc->levels[i].name, lv[i]);
        assert_int_equal(cc->levels[i].covered, lc[i]);
        assert_int_equal(cc->levels[i].total, lt[i]);
    }
    assert_int_equal(cc->napplies, 4);
    assert_string_equal(cc->applies[0].name, "server");
    assert_string_equal(cc->applies[3].name, "proxy");
    const struct pcs_coverage_tally *t = find_tally(cc->applies, cc->napplies, "server");
    assert_int_equal(t->covered, 1);
    assert_int_equal(t->total, 2);
    t = find_tally(cc->applies, cc->napplies, "client");
    assert_int_equal(t->covered, 0);
    assert_int_equal(t->total, 1);
    t = find_tally(cc->applies, cc->napplies, "both");
    assert_int_equal(t->covered, 1);
    assert_int_equal(t->total, 1);

    /* the text report */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pcs_coverage_print(f, &cov, true, false), 0);
    fclose(f);
    assert_non_null(strstr(text, "demo 1: 2/5 testable rules covered (40.0%), 2 of 7 excluded "
                                 "(testable: false), 1 of them cited anyway\n"));
    assert_non_null(strstr(text, "MUST 1/2   MUST NOT 0/1   SHOULD 1/1   MAY 0/1\n"));
    assert_non_null(strstr(text, "server 1/2   client 0/1   both 1/1   proxy 0/1\n"));
    assert_non_null(strstr(text, "  uncovered (3):\n    1\n      D-2  MUST      server  s2\n"
                                 "    2\n      D-3  MUST NOT  client  s3\n"
                                 "    3\n      D-5  MAY       proxy   s5\n"));
    assert_null(strstr(text, "D-6  "));
    assert_null(strstr(text, "D-1  "));
    assert_non_null(strstr(text, "cited but in no catalogue (3):\n  demo 1 D-99\n"));
    free(text);

    /* Markdown, without the uncovered list */
    f = open_memstream(&text, &len);
    assert_int_equal(pcs_coverage_print(f, &cov, false, true), 0);
    fclose(f);
    assert_non_null(strstr(text, "## demo 1\n"));
    assert_non_null(strstr(text, "**2 / 5 testable rules covered (40.0%)**"));
    assert_non_null(strstr(text, "| MUST | 1 | 2 | 50.0% |\n"));
    assert_non_null(strstr(text, "| proxy | 0 | 1 | 0.0% |\n"));
    assert_null(strstr(text, "Uncovered"));
    free(text);
    f = open_memstream(&text, &len);
    assert_int_equal(pcs_coverage_report(f, &rb, cited, 1, true, true), 0);
    fclose(f);
    assert_non_null(strstr(text, "### Uncovered (4)\n\n#### 1\n\n- `D-2` MUST, server: s2\n"));
    free(text);

    pcs_coverage_free(&cov);
    pcs_coverage_free(&cov);
    pcs_rulebook_free(&rb);
    rm_tree(dir);
    free(dir);
}

static void test_coverage_real(void **state)
{
    (void)state;
    const struct pcs_cited cited[] = {
        {"mqtt", "5.0", "MQTT-3.2.0-1"},
        {"mqtt", "5.0", "MQTT-4.2.0-1"},
        {"mqtt", "5.0", "MQTT-3.1.0-1"},
        {"mqtt", NULL, "MQTT-3.12.4-1"},   /* in both versions */
        {"mqtt", "3.1.1", "MQTT-7.0.0-1"},
    };
    struct pcs_coverage cov;
    pcs_coverage_compute(&cov, &real, cited, 5);
    assert_int_equal(cov.nunknown, 0);
    for (size_t i = 0; i < cov.ncats; i++) {
        const struct pcs_coverage_cat *cc = &cov.cats[i];
        if (strcmp(cc->cat->protocol, "mqtt") != 0)
            continue;
        size_t sum = 0, cov_sum = 0;
        for (size_t k = 0; k < cc->napplies; k++) {
            sum += cc->applies[k].total;
            cov_sum += cc->applies[k].covered;
        }
        assert_int_equal(sum, cc->total);
        assert_int_equal(cov_sum, cc->covered);
        assert_int_equal(cc->total + cc->excluded, cc->cat->nrules);
        if (strcmp(cc->cat->version, "5.0") == 0) {
            bool t = pcs_catalogue_rule(cc->cat, "MQTT-4.2-1")->testable;
            assert_int_equal(cc->covered, t ? 4 : 3);
            assert_int_equal(cc->excluded_cited, t ? 0 : 1);
        } else {
            bool t = pcs_catalogue_rule(cc->cat, "MQTT-7.0.0-1")->testable;
            assert_int_equal(cc->covered, t ? 2 : 1);
            assert_int_equal(cc->excluded_cited, t ? 0 : 1);
        }
    }
    pcs_coverage_free(&cov);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_catalogues),
        cmocka_unit_test(test_mandatory),
        cmocka_unit_test(test_load_ok_and_options),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_dir_errors),
        cmocka_unit_test(test_locate),
        cmocka_unit_test(test_coverage_counts),
        cmocka_unit_test(test_coverage_real),
    };
    return cmocka_run_group_tests(tests, setup_real, teardown_real);
}
