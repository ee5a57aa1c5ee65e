/* match_test.c — the matcher's operators and ${var} templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "match.h"

static struct pcs_value *frame(void)
{
    struct pcs_value *f = pcs_value_map();
    pcs_value_set(f, "type", pcs_value_str("CONNACK"));
    pcs_value_set(f, "session_present", pcs_value_bool(false));
    pcs_value_set(f, "reason_code", pcs_value_int(0x87));
    pcs_value_set(f, "payload", pcs_value_bytes("hi", 2));
    struct pcs_value *l = pcs_value_list();
    pcs_value_push(l, pcs_value_int(1));
    pcs_value_push(l, pcs_value_int(2));
    pcs_value_set(f, "reason_codes", l);
    return f;
}

static struct pcs_value *op(const char *name, struct pcs_value *arg)
{
    struct pcs_value *m = pcs_value_map();
    pcs_value_set(m, name, arg);
    return m;
}

static struct pcs_value *ints(int64_t a, int64_t b)
{
    struct pcs_value *l = pcs_value_list();
    pcs_value_push(l, pcs_value_int(a));
    pcs_value_push(l, pcs_value_int(b));
    return l;
}

static bool check(struct pcs_value *pat, struct pcs_buf *why)
{
    struct pcs_value *f = frame();
    bool ok = pcs_match(pat, f, "", why);
    pcs_value_free(f);
    pcs_value_free(pat);
    return ok;
}

static void scalars_and_subsets(void **state)
{
    (void)state;
    struct pcs_buf why;
    pcs_buf_init(&why);
    struct pcs_value *p = pcs_value_map();
    pcs_value_set(p, "reason_code", pcs_value_int(0x87));
    pcs_value_set(p, "session_present", pcs_value_bool(false));
    pcs_value_set(p, "payload", pcs_value_str("hi"));   /* string matches bytes by content */
    assert_true(check(p, &why));

    p = pcs_value_map();
    pcs_value_set(p, "reason_code", pcs_value_int(0));
    assert_false(check(p, &why));
    assert_non_null(strstr(pcs_buf_cstr(&why), "reason_code: expected 0, got 135"));
    pcs_buf_free(&why);
}

static void operators(void **state)
{
    (void)state;
    struct pcs_value *p = pcs_value_map();
    pcs_value_set(p, "reason_code", op("in", ints(0x81, 0x87)));
    assert_true(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "reason_code", op("not", pcs_value_int(0x87)));
    assert_false(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "reason_code", op("range", ints(0x80, 0xff)));
    assert_true(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "type", op("regex", pcs_value_str("^CONN")));
    assert_true(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "reason_codes", op("contains", ints(2, 1)));
    assert_true(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "reason_codes", op("contains", ints(3, 1)));
    assert_false(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "properties", pcs_value_str("absent"));
    pcs_value_set(p, "payload", pcs_value_str("present"));
    assert_true(check(p, NULL));
    p = pcs_value_map();
    pcs_value_set(p, "reason_codes", ints(1, 3));
    assert_false(check(p, NULL));
}

static void templates(void **state)
{
    (void)state;
    struct pcs_value *vars = pcs_value_map();
    pcs_value_set(vars, "pid", pcs_value_int(7));
    pcs_value_set(vars, "uniq", pcs_value_str("u1"));
    struct pcs_value *v = pcs_value_map(), *out;
    pcs_value_set(v, "packet_id", pcs_value_str("${pid}"));
    pcs_value_set(v, "topic", pcs_value_str("pcs/${uniq}/t${pid}"));
    struct pcs_diag d = {0};
    assert_int_equal(pcs_template_apply(v, vars, &out, &d), 0);
    assert_int_equal(pcs_value_get(out, "packet_id")->type, PCS_V_INT);
    assert_int_equal(pcs_value_get_int(out, "packet_id", 0), 7);
    assert_string_equal(pcs_value_get_str(out, "topic"), "pcs/u1/t7");
    pcs_value_free(out);
    pcs_value_set(v, "x", pcs_value_str("${nope}"));
    assert_int_equal(pcs_template_apply(v, vars, &out, &d), PCS_ERR_NOTFOUND);
    assert_null(out);
    assert_non_null(strstr(d.msg, "nope"));
    pcs_value_free(v);
    pcs_value_free(vars);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars_and_subsets),
        cmocka_unit_test(operators),
        cmocka_unit_test(templates),
    };
    return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
