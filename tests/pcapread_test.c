/* pcapread_test.c — capture reading and dissection from literal bytes: pcap in both byte
 * orders with µs and ns stamps, pcapng (both byte orders, if_tsresol, simple packet blocks),
 * every link type, VLAN, IPv6 extension headers, truncated files, bad magic, snaplen-cut
 * records, bogus headers, and a file larger than the read buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "helpers.h"
#include "pcapread.h"

/* ---- builders ---- */

static void le32(struct pcs_buf *b, uint32_t v)
{
    uint8_t x[4] = {v & 255, v >> 8 & 255, v >> 16 & 255, v >> 24};
    pcs_buf_append(b, x, 4);
}
static void w32(struct pcs_buf *b, uint32_t v, int be) { be ? pcs_buf_put_u32(b, v) : le32(b, v); }
static void w16(struct pcs_buf *b, uint16_t v, int be)
{
    if (be)
        pcs_buf_put_u16(b, v);
    else {
        pcs_buf_putc(b, v & 255);
        pcs_buf_putc(b, v >> 8);
    }
}

/* IPv4 + TCP (flags PSH|ACK) with payload "hello". */
static void ip4_tcp(struct pcs_buf *b, const char *payload)
{
    size_t n = strlen(payload);
    uint8_t h[40] = {0x45, 0, 0, (uint8_t)(40 + n), 0, 1, 0x40, 0, 64, 6, 0, 0,
                     192, 0, 2, 1, 192, 0, 2, 2,
                     0xc3, 0x50, 0x07, 0x5b, 0, 0, 0, 100, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff};
    pcs_buf_append(b, h, 40);
    pcs_buf_append(b, payload, n);
}

static void ip6_tcp(struct pcs_buf *b, const char *payload, int with_hbh)
{
    size_t n = strlen(payload), ext = with_hbh ? 8 : 0;
    uint8_t h[40] = {0x60, 0, 0, 0, 0, (uint8_t)(20 + n + ext), with_hbh ? 0 : 6, 64};
    h[8] = 0x20, h[9] = 0x01, h[23] = 1;
    h[24] = 0x20, h[25] = 0x01, h[39] = 2;
    pcs_buf_append(b, h, 40);
    if (with_hbh) {
        uint8_t hbh[8] = {6, 0, 1, 4, 0, 0, 0, 0};
        pcs_buf_append(b, hbh, 8);
    }
    uint8_t t[20] = {0xc3, 0x50, 0x07, 0x5b, 0, 0, 0, 100, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff};
    pcs_buf_append(b, t, 20);
    pcs_buf_append(b, payload, n);
}

static void pcap_header(struct pcs_buf *b, int be, int ns, uint32_t link)
{
    w32(b, ns ? 0xa1b23c4d : 0xa1b2c3d4, be);
    w16(b, 2, be);
    w16(b, 4, be);
    w32(b, 0, be);
    w32(b, 0, be);
    w32(b, 65535, be);
    w32(b, link, be);
}

static void pcap_record(struct pcs_buf *b, int be, uint32_t sec, uint32_t frac,
                        const struct pcs_buf *pkt, uint32_t caplen, uint32_t len)
{
    w32(b, sec, be);
    w32(b, frac, be);
    w32(b, caplen, be);
    w32(b, len, be);
    pcs_buf_append(b, pkt->data, caplen);
}

/* Opens bytes in memory and reads the first record. */
static struct pcs_pcapread *open_first(const struct pcs_buf *f, struct pcs_pcapread_packet *p)
{
    struct pcs_pcapread *r = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_pcapread_open_mem(f->data, f->len, &r, &d), 0);
    assert_int_equal(pcs_pcapread_next(r, p, &d), 1);
    return r;
}

static void expect_hello(int link, const struct pcs_pcapread_packet *p, int family)
{
    struct pcs_pcapread_l4 l4;
    assert_int_equal(p->linktype, link);
    assert_int_equal(pcs_pcapread_dissect(p->linktype, p->data, p->caplen, &l4), -1);
    assert_int_equal(l4.family, family);
    assert_int_equal(l4.proto, 6);
    assert_int_equal(l4.sport, 50000);
    assert_int_equal(l4.dport, 1883);
    assert_int_equal(l4.seq, 100);
    assert_int_equal(l4.tcp_flags, PCS_TCP_PSH | PCS_TCP_ACK);
    assert_int_equal(l4.paylen, 5);
    assert_int_equal(l4.wirelen, 5);
    assert_memory_equal(l4.payload, "hello", 5);
}

/* ---- pcap ---- */

static void pcap_orders_and_precisions(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++)
        for (int ns = 0; ns < 2; ns++) {
            struct pcs_buf pkt, f;
            pcs_buf_init(&pkt);
            pcs_buf_init(&f);
            ip4_tcp(&pkt, "hello");
            pcap_header(&f, be, ns, PCS_LINK_RAW);
            pcap_record(&f, be, 1700000000, ns ? 123456789 : 123456, &pkt, (uint32_t)pkt.len,
                        (uint32_t)pkt.len);
            pcap_record(&f, be, 1700000001, 0, &pkt, (uint32_t)pkt.len, (uint32_t)pkt.len);
            struct pcs_pcapread_packet p;
            struct pcs_pcapread *r = open_first(&f, &p);
            assert_string_equal(pcs_pcapread_format(r), ns ? "pcap-ns" : "pcap");
            assert_int_equal(p.no, 1);
            assert_true(p.t == 1700000000ull * 1000000000ull + (ns ? 123456789u : 123456000u));
            expect_hello(PCS_LINK_RAW, &p, 4);
            struct pcs_diag d = {0};
            assert_int_equal(pcs_pcapread_next(r, &p, &d), 1);
            assert_int_equal(p.no, 2);
            assert_int_equal(pcs_pcapread_next(r, &p, &d), 0);
            for (int i = 0; i < PCS_PW_COUNT; i++)
                assert_int_equal(pcs_pcapread_warnings(r)[i], 0);
            pcs_pcapread_free(r);
            pcs_buf_free(&pkt);
            pcs_buf_free(&f);
        }
}

static void bad_magic_and_short(void **state)
{
    (void)state;
    struct pcs_pcapread *r = NULL;
    struct pcs_diag d = {0};
    static const uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n0123456789";
    assert_int_equal(pcs_pcapread_open_mem(junk, sizeof junk, &r, &d), PCS_ERR_MALFORMED);
    assert_non_null(strstr(d.msg, "not a pcap or pcapng file"));
    assert_null(r);
    assert_int_equal(pcs_pcapread_open_mem(junk, 2, &r, &d), PCS_ERR_MALFORMED);
    assert_int_equal(pcs_pcapread_open("/nonexistent/x.pcap", &r, &d), PCS_ERR_IO);
    assert_non_null(strstr(d.msg, "/nonexistent/x.pcap"));
}

static void truncated_and_snaplen(void **state)
{
    (void)state;
    struct pcs_buf pkt, f;
    pcs_buf_init(&pkt);
    pcs_buf_init(&f);
    ip4_tcp(&pkt, "hello");
    pcap_header(&f, 0, 0, PCS_LINK_RAW);
    /* snaplen-cut: 42 of 45 bytes captured */
    pcap_record(&f, 0, 1, 0, &pkt, 42, (uint32_t)pkt.len);
    pcap_record(&f, 0, 2, 0, &pkt, (uint32_t)pkt.len, (uint32_t)pkt.len);
    f.len -= 10;                       /* the file ends inside the second record */
    struct pcs_pcapread_packet p;
    struct pcs_pcapread *r = open_first(&f, &p);
    struct pcs_pcapread_l4 l4;
    assert_int_equal(p.caplen, 42);
    assert_int_equal(p.len, 45);
    assert_int_equal(pcs_pcapread_dissect(p.linktype, p.data, p.caplen, &l4), -1);
    assert_int_equal(l4.paylen, 2);
    assert_int_equal(l4.wirelen, 5);
    struct pcs_diag d = {0};
    assert_int_equal(pcs_pcapread_next(r, &p, &d), 0);
    assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_SNAPLEN_CUT], 1);
    assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_TRUNCATED_FILE], 1);
    pcs_pcapread_free(r);
    /* an impossible record length ends the file with a warning */
    f.len = 24;
    w32(&f, 1, 0), w32(&f, 0, 0), w32(&f, 0x7fffffff, 0), w32(&f, 0x7fffffff, 0);
    assert_int_equal(pcs_pcapread_open_mem(f.data, f.len, &r, &d), 0);
    assert_int_equal(pcs_pcapread_next(r, &p, &d), 0);
    assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_BAD_RECORD], 1);
    pcs_pcapread_free(r);
    /* a sub-second field out of range is counted, not fatal */
    f.len = 24;
    pcap_record(&f, 0, 5, 2000000, &pkt, (uint32_t)pkt.len, (uint32_t)pkt.len);
    r = open_first(&f, &p);
    assert_true(p.t == 7000000000ull);
    assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_ABSURD_TIME], 1);
    pcs_pcapread_free(r);
    pcs_buf_free(&pkt);
    pcs_buf_free(&f);
}

/* ---- pcapng ---- */

static void ng_block(struct pcs_buf *f, int be, uint32_t type, const struct pcs_buf *body)
{
    uint32_t tl = (uint32_t)(12 + ((body->len + 3) & ~(size_t)3));
    w32(f, type, be);
    w32(f, tl, be);
    pcs_buf_append(f, body->data, body->len);
    for (size_t i = body->len; i % 4; i++)
        pcs_buf_putc(f, 0);
    w32(f, tl, be);
}

static void pcapng_both_orders(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        struct pcs_buf f, b, pkt;
        pcs_buf_init(&f);
        pcs_buf_init(&b);
        pcs_buf_init(&pkt);
        w32(&b, 0x1a2b3c4d, be), w16(&b, 1, be), w16(&b, 0, be), w32(&b, 0xffffffff, be),
            w32(&b, 0xffffffff, be);
        ng_block(&f, be, 0x0a0d0d0a, &b);
        b.len = 0;                     /* IDB: Ethernet, if_tsresol 9 (ns) */
        w16(&b, PCS_LINK_ETHERNET, be), w16(&b, 0, be), w32(&b, 0, be);
        w16(&b, 9, be), w16(&b, 1, be), pcs_buf_putc(&b, 9), pcs_buf_append(&b, "\0\0\0", 3);
        w16(&b, 0, be), w16(&b, 0, be);
        ng_block(&f, be, 1, &b);
        b.len = 0;                     /* an unknown block is skipped */
        w32(&b, 42, be);
        ng_block(&f, be, 0x0bad, &b);
        pcs_buf_append(&pkt, "\x02\0\0\0\0\1\x02\0\0\0\0\2\x08\x00", 14);
        ip4_tcp(&pkt, "hello");
        uint64_t ts = 1700000000123456789ull;
        b.len = 0;
        w32(&b, 0, be), w32(&b, (uint32_t)(ts >> 32), be), w32(&b, (uint32_t)ts, be);
        w32(&b, (uint32_t)pkt.len, be), w32(&b, (uint32_t)pkt.len, be);
        pcs_buf_append(&b, pkt.data, pkt.len);
        ng_block(&f, be, 6, &b);
        b.len = 0;                     /* simple packet block */
        w32(&b, (uint32_t)pkt.len, be);
        pcs_buf_append(&b, pkt.data, pkt.len);
        ng_block(&f, be, 3, &b);
        b.len = 0;                     /* EPB naming interface 7: counted, skipped */
        w32(&b, 7, be), w32(&b, 0, be), w32(&b, 0, be), w32(&b, 0, be), w32(&b, 0, be);
        ng_block(&f, be, 6, &b);
        struct pcs_pcapread_packet p;
        struct pcs_pcapread *r = open_first(&f, &p);
        assert_string_equal(pcs_pcapread_format(r), "pcapng");
        assert_true(p.t == ts);
        expect_hello(PCS_LINK_ETHERNET, &p, 4);
        struct pcs_diag d = {0};
        assert_int_equal(pcs_pcapread_next(r, &p, &d), 1);
        expect_hello(PCS_LINK_ETHERNET, &p, 4);
        assert_int_equal(pcs_pcapread_next(r, &p, &d), 0);
        assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_BAD_INTERFACE], 1);
        pcs_pcapread_free(r);
        /* a block length that is not a multiple of 4 ends the file */
        f.data[f.len - 4] ^= 1;
        assert_int_equal(pcs_pcapread_open_mem(f.data, f.len, &r, &d), 0);
        while (pcs_pcapread_next(r, &p, &d) == 1)
            ;
        assert_int_equal(pcs_pcapread_warnings(r)[PCS_PW_BAD_RECORD], 1);
        pcs_pcapread_free(r);
        pcs_buf_free(&f);
        pcs_buf_free(&b);
        pcs_buf_free(&pkt);
    }
}

/* ---- link types and dissection ---- */

static void link_types(void **state)
{
    (void)state;
    struct {
        int link;
        const char *head;
        size_t hlen;
        int v6;
    } cases[] = {
        {PCS_LINK_ETHERNET, "\x02\0\0\0\0\1\x02\0\0\0\0\2\x08\x00", 14, 0},
        {PCS_LINK_ETHERNET, "\x02\0\0\0\0\1\x02\0\0\0\0\2\x81\x00\x00\x05\x86\xdd", 18, 1},
        {PCS_LINK_ETHERNET, "\x02\0\0\0\0\1\x02\0\0\0\0\2\x88\xa8\0\1\x81\x00\0\5\x08\x00", 22,
         0},
        {PCS_LINK_SLL, "\0\0\0\1\0\6\2\0\0\0\0\1\0\0\x08\x00", 16, 0},
        {PCS_LINK_SLL2, "\x86\xdd\0\0\0\0\0\1\0\1\0\6\2\0\0\0\0\1\0\0", 20, 1},
        {PCS_LINK_RAW, "", 0, 1},
        {PCS_LINK_RAW_BSD, "", 0, 0},
        {PCS_LINK_IPV4, "", 0, 0},
        {PCS_LINK_IPV6, "", 0, 1},
        {PCS_LINK_NULL, "\x02\0\0\0", 4, 0},      /* AF_INET, little-endian host */
        {PCS_LINK_NULL, "\0\0\0\x1e", 4, 1},      /* AF_INET6 (Darwin), big-endian host */
        {PCS_LINK_LOOP, "\0\0\0\x18", 4, 1},      /* AF_INET6 (NetBSD), network order */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pcs_buf pkt;
        pcs_buf_init(&pkt);
        pcs_buf_append(&pkt, cases[i].head, cases[i].hlen);
        if (cases[i].v6)
            ip6_tcp(&pkt, "hello", (int)(i & 1));
        else
            ip4_tcp(&pkt, "hello");
        struct pcs_pcapread_packet p = {.linktype = cases[i].link, .data = pkt.data,
                                        .caplen = (uint32_t)pkt.len};
        expect_hello(cases[i].link, &p, cases[i].v6 ? 6 : 4);
        pcs_buf_free(&pkt);
    }
}

static void bogus_headers(void **state)
{
    (void)state;
    struct pcs_pcapread_l4 l4;
    struct pcs_buf pkt;
    pcs_buf_init(&pkt);
    ip4_tcp(&pkt, "hello");
    assert_int_equal(pcs_pcapread_dissect(147, pkt.data, pkt.len, &l4), PCS_PW_LINKTYPE);
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, 19, &l4), PCS_PW_BAD_IP);
    pkt.data[0] = 0x44;                /* IHL 16 bytes */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_IP);
    pkt.data[0] = 0x4f;                /* IHL 60 > the total length */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_IP);
    pkt.data[0] = 0x45;
    pkt.data[6] = 0x20;                /* more fragments */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_FRAGMENT);
    pkt.data[6] = 0x40;
    pkt.data[32] = 0xf0;               /* TCP data offset 60 */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_TCP);
    pkt.data[32] = 0x40;               /* TCP data offset 16 */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_TCP);
    pkt.data[32] = 0x50;
    pkt.data[9] = 1;                   /* ICMP */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_OTHER_L4);
    pkt.data[9] = 17;                  /* UDP with length 0x0000 at bytes 24-25 */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_UDP);
    static const uint8_t arp[] = "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\1\x08\x06\0\1";
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_ETHERNET, arp, 16, &l4), PCS_PW_NON_IP);
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_ETHERNET, arp, 10, &l4), PCS_PW_NON_IP);
    /* IPv6 fragment header */
    pcs_buf_free(&pkt);
    pcs_buf_init(&pkt);
    ip6_tcp(&pkt, "hello", 1);
    pkt.data[6] = 44;                  /* the extension header becomes a fragment header */
    pkt.data[40 + 3] = 1;              /* M flag */
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_FRAGMENT);
    pkt.data[40 + 1] = 200;            /* extension header running past the packet */
    pkt.data[6] = 0;
    assert_int_equal(pcs_pcapread_dissect(PCS_LINK_RAW, pkt.data, pkt.len, &l4), PCS_PW_BAD_IP);
    pcs_buf_free(&pkt);
}

/* Reads path to the end: packets of 1000 payload bytes, one second apart. Returns how many;
 * *truncated counts PCS_PW_TRUNCATED_FILE, *offset is the offset reached. */
static uint64_t read_all(const char *path, uint64_t *truncated, uint64_t *offset)
{
    struct pcs_pcapread *r = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_pcapread_open(path, &r, &d), 0);
    struct pcs_pcapread_packet p;
    uint64_t n = 0;
    while (pcs_pcapread_next(r, &p, &d) == 1) {
        struct pcs_pcapread_l4 l4;
        assert_int_equal(pcs_pcapread_dissect(p.linktype, p.data, p.caplen, &l4), -1);
        assert_int_equal(l4.paylen, 1000);
        assert_true(p.t == n * 1000000000ull);
        n++;
    }
    *truncated = pcs_pcapread_warnings(r)[PCS_PW_TRUNCATED_FILE];
    *offset = pcs_pcapread_offset(r);
    pcs_pcapread_free(r);
    return n;
}

/* A file many times the reader's 1 MiB buffer, read from disk, through a pipe, and cut short
 * inside its last record. */
static void big_file_streamed(void **state)
{
    (void)state;
    struct pcs_buf pkt, f;
    pcs_buf_init(&pkt);
    pcs_buf_init(&f);
    char payload[1001];
    memset(payload, 'x', 1000);
    payload[1000] = 0;
    ip4_tcp(&pkt, payload);
    pkt.data[2] = (uint8_t)((40 + 1000) >> 8), pkt.data[3] = (uint8_t)(40 + 1000);
    pcap_header(&f, 0, 0, PCS_LINK_RAW);
    const uint32_t N = 20000;              /* 21 MB: records straddle buffer boundaries */
    for (uint32_t i = 0; i < N; i++)
        pcap_record(&f, 0, i, 0, &pkt, (uint32_t)pkt.len, (uint32_t)pkt.len);
    const char *path = th_tmpfile("big.pcap", "");
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(f.data, 1, f.len, fp);
    fclose(fp);
    uint64_t cut = 0, off = 0;
    assert_int_equal(read_all(path, &cut, &off), N);
    assert_int_equal(cut, 0);
    assert_int_equal(off, f.len);

    /* the same bytes through a pipe */
    char cmd[4200], dev[64];
    snprintf(cmd, sizeof cmd, "cat '%s'", path);
    FILE *pipe = popen(cmd, "r");
    assert_non_null(pipe);
    snprintf(dev, sizeof dev, "/dev/fd/%d", fileno(pipe));
    assert_int_equal(read_all(dev, &cut, &off), N);
    assert_int_equal(off, f.len);
    pclose(pipe);

    /* cut inside the last record */
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(f.data, 1, f.len - 10, fp);
    fclose(fp);
    assert_int_equal(read_all(path, &cut, &off), N - 1);
    assert_int_equal(cut, 1);
    remove(path);
    pcs_buf_free(&pkt);
    pcs_buf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pcap_orders_and_precisions),
        cmocka_unit_test(bad_magic_and_short),
        cmocka_unit_test(truncated_and_snaplen),
        cmocka_unit_test(pcapng_both_orders),
        cmocka_unit_test(link_types),
        cmocka_unit_test(bogus_headers),
        cmocka_unit_test(big_file_streamed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
