/* yaml_test.c — the YAML reader: scalar typing, positions, key positions, and the errors it
 * owes the user (syntax with line:col, duplicate keys, anchors, aliases, several documents). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "yaml_load.h"

static struct pcs_value *load_ok(const char *text)
{
    struct pcs_value *v = NULL;
    struct pcs_diag d = {0};
    int rc = pcs_yaml_load_string("t.yaml", text, strlen(text), &v, &d);
    if (rc)
        fail_msg("unexpected error: %s", d.msg);
    assert_non_null(v);
    return v;
}

static void assert_load_err(const char *text, const char *want)
{
    struct pcs_value *v = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_yaml_load_string("t.yaml", text, strlen(text), &v, &d), PCS_ERR_INVALID);
    assert_null(v);
    if (strncmp(d.msg, want, strlen(want)) != 0)
        fail_msg("got '%s', want prefix '%s'", d.msg, want);
}

static void test_scalar_types(void **state)
{
    (void)state;
    struct pcs_value *v = load_ok("a: ~\nb: null\nc:\nd: true\ne: False\nf: 42\ng: -7\n"
                                  "h: 0x1F\ni: 0o17\nj: 1.5\nk: \"5\"\nl: 5.0\nm: yes\n"
                                  "n: 'true'\no: 007\np: hello world\n");
    assert_int_equal(pcs_value_get(v, "a")->type, PCS_V_NULL);
    assert_int_equal(pcs_value_get(v, "b")->type, PCS_V_NULL);
    assert_int_equal(pcs_value_get(v, "c")->type, PCS_V_NULL);
    assert_true(pcs_value_get(v, "d")->type == PCS_V_BOOL && pcs_value_get(v, "d")->u.b);
    assert_true(pcs_value_get(v, "e")->type == PCS_V_BOOL && !pcs_value_get(v, "e")->u.b);
    assert_int_equal(pcs_value_get(v, "f")->u.i, 42);
    assert_int_equal(pcs_value_get(v, "g")->u.i, -7);
    assert_int_equal(pcs_value_get(v, "h")->u.i, 31);
    assert_int_equal(pcs_value_get(v, "i")->u.i, 15);
    assert_int_equal(pcs_value_get(v, "o")->u.i, 7);
    assert_string_equal(pcs_value_get_str(v, "j"), "1.5");
    assert_string_equal(pcs_value_get_str(v, "k"), "5");
    assert_string_equal(pcs_value_get_str(v, "l"), "5.0");
    assert_string_equal(pcs_value_get_str(v, "m"), "yes");
    assert_string_equal(pcs_value_get_str(v, "n"), "true");
    assert_string_equal(pcs_value_get_str(v, "p"), "hello world");
    pcs_value_free(v);
}

static void test_positions(void **state)
{
    (void)state;
    struct pcs_yaml_keys keys = {0};
    struct pcs_value *v = NULL;
    struct pcs_diag d = {0};
    const char *text = "top:\n  list:\n    - 1\n    - {x: \"s\"}\nother: [a, b]\n";
    assert_int_equal(pcs_yaml_load_string_keys("t.yaml", text, strlen(text), &v, &keys, &d), 0);
    assert_true(v->type == PCS_V_MAP && v->line == 1 && v->col == 1);
    struct pcs_value *list = pcs_value_path(v, "top.list");
    assert_true(list->type == PCS_V_LIST && list->line == 3 && list->col == 5);
    struct pcs_value *x = pcs_value_path(v, "top.list.1.x");
    assert_true(x->type == PCS_V_STR && x->line == 4 && x->col == 11);
    struct pcs_value *b = pcs_value_path(v, "other.1");
    assert_true(b->line == 5 && b->col == 12);
    uint32_t line = 0, col = 0;
    assert_true(pcs_yaml_key_pos(&keys, pcs_value_get(v, "top"), "list", &line, &col));
    assert_true(line == 2 && col == 3);
    assert_true(pcs_yaml_key_pos(&keys, v, "other", &line, &col));
    assert_true(line == 5 && col == 1);
    assert_false(pcs_yaml_key_pos(&keys, v, "missing", &line, &col));
    pcs_yaml_keys_free(&keys);
    pcs_value_free(v);
}

static void test_syntax_error(void **state)
{
    (void)state;
    assert_load_err("a: 1\nb: [1, 2\nc: 3\n", "t.yaml:3:2: did not find expected ',' or ']' "
                    "(while parsing a flow sequence at line 2)");
    assert_load_err("a: 1\n  b: 2\n", "t.yaml:2:4: mapping values are not allowed");
    assert_load_err("a: \"open\n", "t.yaml:2:1: found unexpected end of stream");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    assert_load_err("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml:4:3: duplicate key 'c'");
    assert_load_err("{a: 1, a: 2}", "t.yaml:1:8: duplicate key 'a'");
}

static void test_rejected(void **state)
{
    (void)state;
    assert_load_err("a: &x 1\nb: *x\n", "t.yaml:1:4: anchors (&x) are not supported");
    assert_load_err("a: 1\n---\nb: 2\n", "t.yaml:2:1: a second YAML document");
    assert_load_err("? [a]\n: 1\n", "t.yaml:1:3: map keys must be plain words");
    assert_load_err("a: 99999999999999999999\n", "t.yaml:1:4: integer '99999999999999999999' "
                    "does not fit in 64 bits");
    assert_load_err("a: !!int 5\n", "t.yaml:1:4: unsupported tag");
}

static void test_empty_and_tags(void **state)
{
    (void)state;
    struct pcs_value *v = load_ok("");
    assert_int_equal(v->type, PCS_V_NULL);
    pcs_value_free(v);
    v = load_ok("# only a comment\n");
    assert_int_equal(v->type, PCS_V_NULL);
    pcs_value_free(v);
    v = load_ok("a: !!str 5\nb: |\n  line one\n  line two\n");
    assert_string_equal(pcs_value_get_str(v, "a"), "5");
    assert_string_equal(pcs_value_get_str(v, "b"), "line one\nline two\n");
    pcs_value_free(v);
}

static void test_files(void **state)
{
    (void)state;
    struct pcs_value *v = NULL;
    struct pcs_diag d = {0};
    const char *path = th_tmpfile("ok.yaml", "k: [1, 2]\n");
    assert_int_equal(pcs_yaml_load_file(path, &v, &d), 0);
    assert_int_equal(pcs_value_path(v, "k.1")->u.i, 2);
    pcs_value_free(v);
    assert_int_equal(pcs_yaml_load_file("/nonexistent/x.yaml", &v, &d), PCS_ERR_IO);
    assert_null(v);
    assert_string_equal(d.msg, "/nonexistent/x.yaml: cannot read: No such file or directory");
    path = th_tmpfile("bad.yaml", "a: [\n");
    assert_int_equal(pcs_yaml_load_file(path, &v, &d), PCS_ERR_INVALID);
    assert_non_null(strstr(d.msg, "bad.yaml:2:1: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_types),  cmocka_unit_test(test_positions),
        cmocka_unit_test(test_syntax_error),  cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_rejected),      cmocka_unit_test(test_empty_and_tags),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
