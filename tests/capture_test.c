/* capture_test.c — the pcap writer and the per-spec capture: file names, a synthesized
 * conversation read back byte by byte (headers, checksums computed here independently,
 * sequence/ack progression, handshake, FIN/RST, UDP, IPv6), open failures, and — when this
 * process may capture — a live capture of real loopback traffic with frame refs resolved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "capture.h"
#include "diag.h"
#include "pcapw.h"

/* ---- reading a pcap back ---- */

struct rec {
    const uint8_t *p;       /* the packet */
    uint32_t len;
    uint32_t ts_sec;
};

struct file {
    uint8_t *data;
    size_t len;
    uint32_t linktype;
    struct rec r[64];
    size_t n;
};

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }

static void read_pcap(const char *path, struct file *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    f->data = malloc(1 << 20);
    f->len = fread(f->data, 1, 1 << 20, fp);
    fclose(fp);
    assert_true(f->len >= 24);
    assert_int_equal(rd_le32(f->data), 0xa1b2c3d4u);
    assert_int_equal(f->data[4] | f->data[5] << 8, 2);
    assert_int_equal(f->data[6] | f->data[7] << 8, 4);
    assert_int_equal(rd_le32(f->data + 16), 262144);
    f->linktype = rd_le32(f->data + 20);
    for (size_t off = 24; off < f->len;) {
        assert_true(off + 16 <= f->len && f->n < 64);
        uint32_t incl = rd_le32(f->data + off + 8);
        assert_int_equal(incl, rd_le32(f->data + off + 12));
        assert_true(rd_le32(f->data + off + 4) < 1000000u);
        assert_true(off + 16 + incl <= f->len);
        f->r[f->n++] = (struct rec){f->data + off + 16, incl, rd_le32(f->data + off)};
        off += 16 + incl;
    }
}

/* Independent one's-complement sum (RFC 1071) over a contiguous buffer. */
static uint16_t inet_sum(const uint8_t *p, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* A decoded Ethernet + IP + TCP/UDP packet; checksums checked on the way. */
struct seg {
    int family;
    uint8_t proto, flags;
    uint16_t sport, dport;
    uint32_t seq, ack;
    const uint8_t *data;
    size_t dlen;
};

static struct seg parse_opt(const struct rec *r, bool l4_csum)
{
    struct seg s = {0};
    const uint8_t *p = r->p;
    assert_true(r->len >= 14);
    for (int i = 0; i < 12; i++)
        assert_int_equal(p[i], 0);
    uint16_t type = rd16(p + 12);
    p += 14;
    size_t n = r->len - 14, tl;
    uint8_t pseudo[40 + 65536];
    size_t pl;
    if (type == 0x0800) {
        s.family = AF_INET;
        assert_int_equal(p[0], 0x45);
        assert_int_equal(rd16(p + 2), n);
        assert_int_equal(inet_sum(p, 20), 0xffff);          /* IP header checksum */
        assert_int_equal(p[8], 64);
        s.proto = p[9];
        tl = n - 20;
        memcpy(pseudo, p + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = s.proto;
        pseudo[10] = (uint8_t)(tl >> 8);
        pseudo[11] = (uint8_t)tl;
        pl = 12;
        p += 20;
    } else {
        assert_int_equal(type, 0x86dd);
        s.family = AF_INET6;
        assert_int_equal(p[0] >> 4, 6);
        tl = rd16(p + 4);
        assert_int_equal(tl, n - 40);
        s.proto = p[6];
        memcpy(pseudo, p + 8, 32);
        memset(pseudo + 32, 0, 8);
        pseudo[34] = (uint8_t)(tl >> 8);
        pseudo[35] = (uint8_t)tl;
        pseudo[39] = s.proto;
        pl = 40;
        p += 40;
    }
    memcpy(pseudo + pl, p, tl);
    if (l4_csum)
        assert_int_equal(inet_sum(pseudo, pl + tl), 0xffff);    /* TCP/UDP checksum */
    s.sport = rd16(p);
    s.dport = rd16(p + 2);
    if (s.proto == IPPROTO_TCP) {
        s.seq = rd32(p + 4);
        s.ack = rd32(p + 8);
        size_t off = (size_t)(p[12] >> 4) * 4;   /* 20 when synthesized; lo adds options */
        if (l4_csum)
            assert_int_equal(off, 20);
        assert_true(off >= 20 && off <= tl);
        s.flags = p[13];
        s.data = p + off;
        s.dlen = tl - off;
    } else {
        assert_int_equal(s.proto, IPPROTO_UDP);
        assert_int_equal(rd16(p + 4), tl);
        s.data = p + 8;
        s.dlen = tl - 8;
    }
    return s;
}

static struct seg parse(const struct rec *r) { return parse_opt(r, true); }

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/pcs-capture-test.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ---- */

static void file_names(void **state)
{
    (void)state;
    char *p = pcs_capture_path("reports/cap", "mqtt5/3.2/connack-first");
    assert_string_equal(p, "reports/cap/mqtt5-3.2-connack-first.pcap");
    free(p);
    p = pcs_capture_path("cap/", "../x y/z");
    assert_string_equal(p, "cap/_.-x-y-z.pcap");
    free(p);
    p = pcs_capture_path("", "a");
    assert_string_equal(p, "a.pcap");
    free(p);
}

static void synthesized_conversation(void **state)
{
    (void)state;
    setenv("PCS_CAPTURE", "synth", 1);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/deep/er", tmpdir);
    struct pcs_capture *c = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_capture_open(&c, dir, "mqtt5/3.2/connack-first", PCS_CAPTURE_AUTO, &d), 0);
    unsetenv("PCS_CAPTURE");
    assert_non_null(c);
    assert_int_equal(pcs_capture_mode(c), PCS_CAPTURE_SYNTH);
    struct sockaddr_in cl = v4("127.0.0.1", 50123), sv = v4("127.0.0.1", 1883);
    pcs_time t = PCS_SEC(5);
    uint32_t conn = pcs_capture_conn(c, (struct sockaddr *)&cl, (struct sockaddr *)&sv, t);
    assert_int_equal(conn, 1);
    static const uint8_t connect[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                      0x00, 0x3c, 0x00, 0x00};
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    static uint8_t big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    assert_int_equal(pcs_capture_data(c, conn, PCS_DIR_C2S, connect, sizeof connect, t + 1000), 4);
    assert_int_equal(pcs_capture_data(c, conn, PCS_DIR_S2C, connack, sizeof connack, t + 2000), 5);
    assert_int_equal(pcs_capture_data(c, conn, PCS_DIR_C2S, big, sizeof big, t + 3000), 7);
    assert_int_equal(pcs_capture_frame_no(c, 7), 7);
    assert_int_equal(pcs_capture_closed(c, conn, PCS_DIR_C2S, false, t + 4000), 8);
    assert_int_equal(pcs_capture_closed(c, conn, PCS_DIR_S2C, false, t + 4000), 0);
    assert_int_equal(pcs_capture_data(c, conn, PCS_DIR_S2C, connack, sizeof connack, t), 0);
    const char *path = pcs_capture_finish(c, &d);
    assert_non_null(path);
    char want[192];
    snprintf(want, sizeof want, "%s/mqtt5-3.2-connack-first.pcap", dir);
    assert_string_equal(path, want);
    assert_string_equal(pcs_capture_finish(c, NULL), want);   /* idempotent */

    struct file f;
    read_pcap(path, &f);
    assert_int_equal(f.linktype, 1);
    assert_int_equal(f.n, 10);
    struct seg s[10];
    for (size_t i = 0; i < f.n; i++) {
        s[i] = parse(&f.r[i]);
        assert_int_equal(s[i].family, AF_INET);
        assert_int_equal(s[i].proto, IPPROTO_TCP);
        bool c2s = s[i].sport == 50123;
        assert_int_equal(c2s ? s[i].dport : s[i].sport, 1883);
        assert_int_equal(c2s ? s[i].sport : s[i].dport, 50123);
    }
    uint32_t ic = s[0].seq, is = s[1].seq;
    static const struct { uint8_t flags; bool c2s; size_t len; } shape[10] = {
        {F_SYN, true, 0}, {F_SYN | F_ACK, false, 0}, {F_ACK, true, 0},
        {F_PSH | F_ACK, true, 14}, {F_PSH | F_ACK, false, 4},
        {F_PSH | F_ACK, true, 65000}, {F_PSH | F_ACK, true, 5000},
        {F_FIN | F_ACK, true, 0}, {F_FIN | F_ACK, false, 0}, {F_ACK, true, 0}};
    /* next sequence number of each side as the conversation goes */
    uint32_t next_c = ic + 1, next_s = is + 1;
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(s[i].flags, shape[i].flags);
        assert_int_equal(s[i].sport == 50123, shape[i].c2s);
        assert_int_equal(s[i].dlen, shape[i].len);
        if (i == 0) {
            assert_int_equal(s[i].ack, 0);
            continue;
        }
        if (i == 1) {
            assert_int_equal(s[i].ack, ic + 1);
            continue;
        }
        uint32_t *mine = shape[i].c2s ? &next_c : &next_s, *theirs = shape[i].c2s ? &next_s : &next_c;
        assert_int_equal(s[i].seq, *mine);
        assert_int_equal(s[i].ack, *theirs);
        *mine += (uint32_t)s[i].dlen + ((s[i].flags & F_FIN) ? 1 : 0);
    }
    assert_memory_equal(s[3].data, connect, sizeof connect);
    assert_memory_equal(s[4].data, connack, sizeof connack);
    assert_memory_equal(s[5].data, big, 65000);
    assert_memory_equal(s[6].data, big + 65000, 5000);
    assert_int_equal(f.r[3].ts_sec, f.r[0].ts_sec);       /* times follow the pcs_time given */
    free(f.data);
    pcs_capture_free(c);
}

static void reset_ipv6_and_udp(void **state)
{
    (void)state;
    struct pcs_capture *c = NULL;
    assert_int_equal(pcs_capture_open(&c, tmpdir, "coap1/5.2/x", PCS_CAPTURE_SYNTH, NULL), 0);
    struct sockaddr_in6 cl = {.sin6_family = AF_INET6, .sin6_port = htons(40000),
                              .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct sockaddr_in6 sv = cl;
    sv.sin6_port = htons(8080);
    uint32_t conn = pcs_capture_conn(c, (struct sockaddr *)&cl, (struct sockaddr *)&sv, 0);
    assert_int_equal(pcs_capture_data(c, conn, PCS_DIR_S2C, (const uint8_t *)"hello", 5, 0), 4);
    assert_int_equal(pcs_capture_closed(c, conn, PCS_DIR_S2C, true, 0), 5);
    struct sockaddr_in a = v4("127.0.0.1", 5683), b = v4("127.0.0.1", 40001);
    assert_int_equal(pcs_capture_datagram(c, (struct sockaddr *)&b, (struct sockaddr *)&a,
                                          (const uint8_t *)"\x40\x01\x12\x34", 4, 0), 6);
    /* mixed families cannot make a connection */
    assert_int_equal(pcs_capture_conn(c, (struct sockaddr *)&cl, (struct sockaddr *)&a, 0), 0);
    const char *path = pcs_capture_finish(c, NULL);
    assert_non_null(path);
    struct file f;
    read_pcap(path, &f);
    assert_int_equal(f.n, 6);
    struct seg s4 = parse(&f.r[3]), s5 = parse(&f.r[4]), s6 = parse(&f.r[5]);
    assert_int_equal(s4.family, AF_INET6);
    assert_memory_equal(s4.data, "hello", 5);
    assert_int_equal(s5.flags, F_RST | F_ACK);
    assert_int_equal(s5.sport, 8080);
    assert_int_equal(s5.seq, s4.seq + 5);
    assert_int_equal(s6.family, AF_INET);
    assert_int_equal(s6.proto, IPPROTO_UDP);
    assert_int_equal(s6.sport, 40001);
    assert_int_equal(s6.dport, 5683);
    assert_memory_equal(s6.data, "\x40\x01\x12\x34", 4);
    free(f.data);
    pcs_capture_free(c);
}

static void open_failures_and_off(void **state)
{
    (void)state;
    char file[128], dir[160];
    snprintf(file, sizeof file, "%s/plain", tmpdir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(dir, sizeof dir, "%s/sub", file);            /* a folder under a regular file */
    struct pcs_capture *c = (struct pcs_capture *)&c;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_capture_open(&c, dir, "a/b", PCS_CAPTURE_SYNTH, &d), PCS_ERR_IO);
    assert_null(c);
    assert_non_null(strstr(d.msg, "cannot create"));
    /* the folder exists but the file name is taken by a folder */
    snprintf(dir, sizeof dir, "%s/x.pcap", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(pcs_capture_open(&c, tmpdir, "x", PCS_CAPTURE_SYNTH, &d), PCS_ERR_IO);
    assert_null(c);

    assert_int_equal(pcs_capture_open(&c, tmpdir, "off", PCS_CAPTURE_OFF, &d), 0);
    assert_null(c);
    setenv("PCS_CAPTURE", "off", 1);
    assert_int_equal(pcs_capture_open(&c, tmpdir, "off", PCS_CAPTURE_AUTO, &d), 0);
    assert_null(c);
    assert_null(pcs_capture_mode_notice(PCS_CAPTURE_AUTO));
    unsetenv("PCS_CAPTURE");
    /* a NULL capture takes every call */
    assert_int_equal(pcs_capture_watch_port(NULL, 1, NULL), 0);
    assert_int_equal(pcs_capture_conn(NULL, NULL, NULL, 0), 0);
    assert_int_equal(pcs_capture_data(NULL, 1, PCS_DIR_C2S, (const uint8_t *)"x", 1, 0), 0);
    assert_int_equal(pcs_capture_closed(NULL, 1, PCS_DIR_C2S, false, 0), 0);
    assert_null(pcs_capture_finish(NULL, NULL));
    assert_int_equal(pcs_capture_frame_no(NULL, 3), 0);
    pcs_capture_free(NULL);
}

/* ---- live ---- */

static int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = v4("127.0.0.1", 0);
    socklen_t l = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    getsockname(fd, (struct sockaddr *)&a, &l);
    *port = ntohs(a.sin_port);
    return fd;
}

static void read_n(int fd, size_t n)
{
    char buf[4096];
    while (n > 0) {
        ssize_t k = read(fd, buf, n < sizeof buf ? n : sizeof buf);
        assert_true(k > 0);
        n -= (size_t)k;
    }
}

static void live_capture(void **state)
{
    (void)state;
    if (!pcs_capture_live_permitted()) {
        assert_non_null(pcs_capture_mode_notice(PCS_CAPTURE_AUTO));
        skip();
    }
    assert_null(pcs_capture_mode_notice(PCS_CAPTURE_AUTO));
    struct pcs_capture *c = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_capture_open(&c, tmpdir, "live/one", PCS_CAPTURE_LIVE, &d), 0);
    assert_int_equal(pcs_capture_mode(c), PCS_CAPTURE_LIVE);
    uint16_t port, other;
    int ls = listen_any(&port), ls2 = listen_any(&other);   /* other: traffic not ours */
    assert_int_equal(pcs_capture_watch_port(c, port, &d), 0);

    int noise = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in oa = v4("127.0.0.1", other);
    assert_int_equal(connect(noise, (struct sockaddr *)&oa, sizeof oa), 0);
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = v4("127.0.0.1", port);
    assert_int_equal(connect(cl, (struct sockaddr *)&sa, sizeof sa), 0);
    int sv = accept(ls, NULL, NULL);
    assert_true(sv >= 0);
    uint32_t conn = pcs_capture_conn_fd(c, cl, true, 0);
    assert_int_equal(conn, 1);
    assert_int_equal(write(noise, "zzz", 3), 3);
    uint32_t refs[3];
    assert_int_equal(write(cl, "ping", 4), 4);
    refs[0] = pcs_capture_data(c, conn, PCS_DIR_C2S, (const uint8_t *)"ping", 4, 0);
    read_n(sv, 4);
    assert_int_equal(write(sv, "pong!", 5), 5);
    read_n(cl, 5);
    refs[1] = pcs_capture_data(c, conn, PCS_DIR_S2C, (const uint8_t *)"pong!", 5, 0);
    assert_int_equal(write(cl, "again", 5), 5);
    refs[2] = pcs_capture_data(c, conn, PCS_DIR_C2S, (const uint8_t *)"again", 5, 0);
    read_n(sv, 5);
    close(cl);
    uint32_t fin_ref = pcs_capture_closed(c, conn, PCS_DIR_C2S, false, 0);
    char eof;
    assert_int_equal(read(sv, &eof, 1), 0);
    close(sv);
    const char *path = pcs_capture_finish(c, &d);
    assert_non_null(path);
    uint32_t f0 = pcs_capture_frame_no(c, refs[0]), f1 = pcs_capture_frame_no(c, refs[1]),
             f2 = pcs_capture_frame_no(c, refs[2]);
    assert_true(f0 > 3 && f1 > f0 && f2 > f1);

    struct file f;
    read_pcap(path, &f);
    assert_int_equal(f.linktype, 1);
    assert_true(f.n >= 9);                     /* 3 handshake, 3 data (+ acks), FINs */
    bool fin_c = false, fin_s = false;
    for (size_t i = 0; i < f.n; i++) {
        /* lo leaves TCP checksums to an "offload" that never happens: IP checksums only */
        struct seg s = parse_opt(&f.r[i], false);
        assert_true(s.sport == port || s.dport == port);
        if (s.flags & F_FIN)
            *(s.dport == port ? &fin_c : &fin_s) = true;
    }
    assert_true(fin_c && fin_s);              /* finish waited for both FINs */
    struct seg s0 = parse_opt(&f.r[f0 - 1], false), s1 = parse_opt(&f.r[f1 - 1], false),
               s2 = parse_opt(&f.r[f2 - 1], false);
    assert_memory_equal(s0.data, "ping", 4);
    assert_memory_equal(s1.data, "pong!", 5);
    assert_memory_equal(s2.data, "again", 5);
    struct seg fin = parse_opt(&f.r[pcs_capture_frame_no(c, fin_ref) - 1], false);
    assert_true(fin.flags & F_FIN);
    assert_int_equal(fin.dport, port);
    free(f.data);
    pcs_capture_free(c);
    close(noise);
    close(ls);
    close(ls2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_names),
        cmocka_unit_test(synthesized_conversation),
        cmocka_unit_test(reset_ipv6_and_udp),
        cmocka_unit_test(open_failures_and_off),
        cmocka_unit_test(live_capture),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
