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

/* A tree built in an arena reads and changes like any other; one free releases it. */
static void arena_tree(void **state)
{
    (void)state;
    struct pcs_value *t = pcs_value_tree(8);
    pcs_tree_set(t, t, "type", pcs_tree_lit(t, "PUBLISH"));
    pcs_tree_set(t, t, "qos", pcs_tree_int(t, 1));
    pcs_tree_set(t, t, "retain", pcs_tree_bool(t, true));
    pcs_tree_set(t, t, "topic", pcs_tree_strn(t, "a/bc", 2));
    struct pcs_value *props = pcs_tree_map(t), *l = pcs_tree_list(t);
    pcs_tree_set(t, t, "properties", props);
    pcs_tree_set(t, props, "reason_codes", l);
    for (int i = 0; i < 300; i++)              /* past the first chunk and array sizes */
        pcs_tree_push(t, l, pcs_tree_bytes(t, "xyz", (size_t)(i % 4)));
    assert_string_equal(pcs_value_get_str(t, "topic"), "a/");
    assert_int_equal(pcs_value_get_int(t, "qos", 0), 1);
    assert_true(pcs_value_get_bool(t, "retain", false));
    assert_int_equal(pcs_value_path(t, "properties.reason_codes.299")->u.s.len, 3);
    struct pcs_value *c = pcs_value_clone(t);
    assert_true(pcs_value_equal(t, c));
    /* changes: replace, add, take, push onto a list in the arena, drop an item by hand */
    pcs_value_set(t, "qos", pcs_value_int(2));
    pcs_value_set(t, "extra", pcs_value_str("heap"));
    pcs_value_set(props, "more", pcs_value_list());
    pcs_value_push(pcs_value_get(props, "more"), pcs_value_int(7));
    struct pcs_value *taken = pcs_value_take(t, "topic");
    assert_string_equal(taken->u.s.p, "a/");
    pcs_value_free(taken);
    pcs_value_push(l, pcs_value_str("tail"));
    pcs_value_free(l->u.c.items[--l->u.c.n]);
    pcs_value_free(pcs_value_take(props, "reason_codes"));
    assert_int_equal(pcs_value_get_int(t, "qos", 0), 2);
    assert_null(pcs_value_get(t, "topic"));
    assert_string_equal(pcs_value_get_str(t, "extra"), "heap");
    assert_false(pcs_value_equal(t, c));
    /* a tree inside a heap tree goes with it */
    struct pcs_value *outer = pcs_value_list();
    pcs_value_push(outer, t);
    pcs_value_push(outer, pcs_value_tree(0));
    pcs_value_free(outer);
    pcs_value_free(c);
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
        cmocka_unit_test(arena_tree),
        cmocka_unit_test(rendering),
        cmocka_unit_test(hex),
    };
    return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
