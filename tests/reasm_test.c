/* reasm_test.c — TCP reassembly of one direction: in order, out of order, retransmissions and
 * overlaps delivered once, gaps ending the direction, SYN/FIN/RST, bounds, and sequence
 * numbers wrapping past 2^32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "pcapread.h"
#include "reasm.h"

static void collect(void *ud, const uint8_t *p, size_t n) { pcs_buf_append(ud, p, n); }

struct fx {
    struct pcs_reasm_pool pool;
    struct pcs_reasm r;
    struct pcs_buf out;
};

static void setup(struct fx *x)
{
    x->pool = (struct pcs_reasm_pool){.max = 1 << 20, .max_dir = 1 << 16, .max_segs = 8};
    pcs_reasm_init(&x->r, &x->pool);
    pcs_buf_init(&x->out);
}

static void teardown(struct fx *x)
{
    pcs_reasm_fini(&x->r);
    assert_int_equal(x->pool.used, 0);
    pcs_buf_free(&x->out);
}

static enum pcs_reasm_status push(struct fx *x, uint8_t fl, uint32_t seq, const char *s)
{
    return pcs_reasm_push(&x->r, fl, seq, (const uint8_t *)s, s ? strlen(s) : 0, collect,
                          &x->out);
}

static void expect(struct fx *x, const char *s)
{
    assert_int_equal(x->out.len, strlen(s));
    assert_memory_equal(x->out.data, s, strlen(s));
}

static void in_order_syn_fin(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    assert_int_equal(push(&x, PCS_TCP_SYN, 1000, NULL), PCS_REASM_OK);
    assert_true(x.r.syn);
    assert_int_equal(push(&x, PCS_TCP_ACK, 1001, "hello "), PCS_REASM_OK);
    assert_int_equal(push(&x, PCS_TCP_ACK, 1007, "world"), PCS_REASM_OK);
    assert_int_equal(push(&x, PCS_TCP_ACK | PCS_TCP_FIN, 1012, "!"), PCS_REASM_FIN);
    expect(&x, "hello world!");
    assert_int_equal(push(&x, PCS_TCP_ACK, 1013, "late"), PCS_REASM_DONE);
    teardown(&x);
}

static void out_of_order(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 0, NULL);
    assert_int_equal(push(&x, 0, 7, "world"), PCS_REASM_OK);
    assert_int_equal(push(&x, 0, 12, "!"), PCS_REASM_OK);
    assert_int_equal(x.out.len, 0);
    assert_int_equal(x.r.ooo_segs, 2);
    assert_int_equal(x.pool.used, 6);
    assert_int_equal(push(&x, 0, 1, "hello "), PCS_REASM_OK);
    expect(&x, "hello world!");
    assert_int_equal(x.r.ooo_segs, 0);
    assert_int_equal(x.pool.used, 0);
    teardown(&x);
}

static void retransmission_overlap(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 99, NULL);
    push(&x, 0, 100, "abcd");
    push(&x, 0, 100, "abcd");          /* the same again */
    push(&x, 0, 102, "cdef");          /* overlaps the end */
    push(&x, 0, 110, "klm");           /* ahead */
    push(&x, 0, 110, "klm");           /* held twice: kept once */
    assert_int_equal(x.r.ooo_segs, 1);
    push(&x, 0, 108, "ijklmn");        /* ahead, overlapping the held one */
    push(&x, 0, 105, "fghij");         /* fills the hole, overlapping both sides */
    expect(&x, "abcdefghijklmn");
    push(&x, PCS_TCP_FIN, 106, "ghijklmn");  /* an old retransmission with the FIN */
    assert_true(x.r.done);
    expect(&x, "abcdefghijklmn");
    teardown(&x);
}

static void gap_at_end_and_fin_past_hole(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 0, NULL);
    push(&x, 0, 1, "abc");
    push(&x, 0, 10, "xyz");            /* bytes 4..9 never come */
    assert_int_equal(pcs_reasm_finish(&x.r), PCS_REASM_GAP);
    expect(&x, "abc");
    assert_int_equal(x.pool.used, 0);
    assert_int_equal(push(&x, 0, 4, "defghi"), PCS_REASM_DONE);
    teardown(&x);
    setup(&x);
    push(&x, PCS_TCP_SYN, 0, NULL);
    push(&x, 0, 1, "abc");
    assert_int_equal(push(&x, PCS_TCP_FIN, 8, "h"), PCS_REASM_OK);   /* FIN past a hole */
    assert_int_equal(pcs_reasm_finish(&x.r), PCS_REASM_GAP);
    teardown(&x);
    setup(&x);                         /* nothing missing: finish is clean */
    push(&x, 0, 5000, "abc");          /* no SYN: starts at its first bytes */
    assert_false(x.r.syn);
    assert_int_equal(pcs_reasm_finish(&x.r), PCS_REASM_OK);
    expect(&x, "abc");
    teardown(&x);
}

static void bounds_make_a_gap(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 0, NULL);
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(push(&x, 0, 100 + i * 10, "0123456789"), PCS_REASM_OK);
    assert_int_equal(push(&x, 0, 200, "x"), PCS_REASM_GAP);  /* 9th segment held */
    assert_true(x.r.budget);
    assert_int_equal(x.pool.used, 0);
    teardown(&x);
    setup(&x);
    x.pool.max = 5;                    /* the pool bound */
    push(&x, PCS_TCP_SYN, 0, NULL);
    assert_int_equal(push(&x, 0, 10, "0123456789"), PCS_REASM_GAP);
    teardown(&x);
}

static void rst_ends(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 0, NULL);
    push(&x, 0, 1, "ab");
    push(&x, 0, 9, "zz");
    assert_int_equal(push(&x, PCS_TCP_RST, 3, NULL), PCS_REASM_RST);
    assert_int_equal(x.pool.used, 0);
    expect(&x, "ab");
    teardown(&x);
}

static void wraps_past_2_32(void **state)
{
    (void)state;
    struct fx x;
    setup(&x);
    push(&x, PCS_TCP_SYN, 0xfffffffau, NULL);    /* first byte at 0xfffffffb */
    push(&x, 0, 0x00000001u, "ghij");           /* after the wrap, out of order */
    push(&x, 0, 0xfffffffbu, "abcdef");         /* 0xfffffffb .. 0x00000000 */
    expect(&x, "abcdefghij");
    assert_int_equal(x.r.next, 5);
    push(&x, 0, 0xfffffffdu, "cdefgh");         /* a retransmission across the wrap */
    expect(&x, "abcdefghij");
    assert_int_equal(push(&x, PCS_TCP_FIN, 5, "k"), PCS_REASM_FIN);
    expect(&x, "abcdefghijk");
    teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_syn_fin),
        cmocka_unit_test(out_of_order),
        cmocka_unit_test(retransmission_overlap),
        cmocka_unit_test(gap_at_end_and_fin_past_hole),
        cmocka_unit_test(bounds_make_a_gap),
        cmocka_unit_test(rst_ends),
        cmocka_unit_test(wraps_past_2_32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
