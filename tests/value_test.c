/* value_test.c — value trees, paths, JSON/text rendering, hex parsing and buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "diag.h"
#include "value.h"

static void paths_and_clone(void **state)
{
    (void)state;
    struct pcs_value *m = pcs_value_map(), *props = pcs_value_map(), *l = pcs_value_list();
    pcs_value_set(props, "maximum_qos", pcs_value_int(1));
    pcs_value_set(m, "properties", props);
    pcs_value_push(l, pcs_value_int(0x80));
    pcs_value_set(m, "reason_codes", l);
    assert_int_equal(pcs_value_path(m, "properties.maximum_qos")->u.i, 1);
    assert_int_equal(pcs_value_path(m, "reason_codes.0")->u.i, 0x80);
    assert_null(pcs_value_path(m, "reason_codes.1"));
    assert_null(pcs_value_path(m, "properties.nope"));
    m->frame_index = 3;                        /* a codec's mark is copied ... */
    struct pcs_value *c = pcs_value_clone(m);
    assert_true(pcs_value_equal(m, c));
    assert_int_equal(c->frame_index, 3);
    pcs_value_set(c, "extra", pcs_value_null());
    assert_int_equal(c->frame_index, 0);       /* ... and dropped when the map changes */
    assert_false(pcs_value_equal(m, c));
    struct pcs_value *t = pcs_value_take(c, "extra");
    assert_non_null(t);
    pcs_value_free(t);
    assert_true(pcs_value_equal(m, c));
    pcs_value_free(c);
    pcs_value_free(m);
}

static void rendering(void **state)
{
    (void)state;
    struct pcs_value *m = pcs_value_map();
    pcs_value_set(m, "type", pcs_value_str("PUBLISH"));
    pcs_value_set(m, "topic", pcs_value_str("a \"b\"\n"));
    pcs_value_set(m, "payload", pcs_value_bytes("\x00\xff", 2));
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_value_to_json(m, &b);
    assert_string_equal(pcs_buf_cstr(&b),
                        "{\"type\":\"PUBLISH\",\"topic\":\"a \\\"b\\\"\\n\",\"payload\":\"hex:00ff\"}");
    b.len = 0;
    pcs_value_to_text(m, &b, 0);
    assert_string_equal(pcs_buf_cstr(&b), "{type: PUBLISH, topic: \"a \\\"b\\\"\\n\", payload: 0x00ff}");
    pcs_buf_free(&b);
    pcs_value_free(m);
}

static void hex(void **state)
{
    (void)state;
    struct pcs_buf b;
    pcs_buf_init(&b);
    assert_int_equal(pcs_buf_from_hex(&b, "c0 00 # PINGREQ\n e0 00", NULL), 0);
    assert_int_equal(b.len, 4);
    assert_int_equal(b.data[2], 0xe0);
    size_t bad = 0;
    b.len = 0;
    assert_int_equal(pcs_buf_from_hex(&b, "c0 0x", &bad), PCS_ERR_INVALID);
    assert_int_equal(bad, 4);
    b.len = 0;
    assert_int_equal(pcs_buf_from_hex(&b, "c", &bad), PCS_ERR_INVALID);
    pcs_buf_append(&b, "abcdef", 6);
    pcs_buf_consume(&b, 2);
    assert_memory_equal(b.data, "cdef", 4);
    pcs_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_and_clone),
        cmocka_unit_test(rendering),
        cmocka_unit_test(hex),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
