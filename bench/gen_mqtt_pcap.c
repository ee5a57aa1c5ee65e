/* gen_mqtt_pcap.c — writes the capture that bench/replay measures: a classic pcap (Ethernet,
 * microsecond timestamps) of MQTT traffic on port 1883, N interleaved connections at a time
 * (TCP handshake, CONNECT/CONNACK, SUBSCRIBE, PUBLISH QoS 0/1/2 both ways with their acks,
 * PINGs, AUTH (5.0), UNSUBSCRIBE, DISCONNECT, FINs), MQTT 3.1.1 and 5.0, over IPv4 and IPv6,
 * segments cut at random points and segments carrying several frames. A fixed seed makes the
 * same bytes every time. Not part of pcs; bench/replay compiles it with cc.
 * usage: gen_mqtt_pcap OUT MiB [concurrent connections, default 200] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return (uint32_t)rs; }
static uint32_t rr(uint32_t n) { return rnd() % n; }

static FILE *out;
static uint64_t written, limit;
static uint64_t now_us = 1700000000ull * 1000000ull;
static uint8_t pkt[2048];

typedef struct { uint8_t *p; size_t n, cap; } buf;
static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) { b->cap = (b->n + n) * 2; b->p = realloc(b->p, b->cap); }
    memcpy(b->p + b->n, p, n); b->n += n;
}
static void u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void u16(buf *b, uint16_t v) { uint8_t x[2] = {v >> 8, v & 255}; put(b, x, 2); }
static void str(buf *b, const char *s) { u16(b, (uint16_t)strlen(s)); put(b, s, strlen(s)); }
static void vbi(buf *b, uint32_t v) { do { uint8_t c = v & 127; v >>= 7; u8(b, c | (v ? 128 : 0)); } while (v); }

struct conn {
    int v6, v5, step, msgs;
    uint8_t cip[16];
    uint16_t cport;
    uint32_t seq[2];
    uint16_t pid[2];
    int unacked;
};

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static const uint8_t srv4[4] = {10, 0, 0, 1};
static const uint8_t srv6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

/* one TCP packet from side d (0 client) */
static void tcp(struct conn *c, int d, uint8_t flags, const uint8_t *pl, size_t n)
{
    size_t ip = c->v6 ? 40 : 20, off = 14 + ip, tot = ip + 20 + n;
    memset(pkt, 0, off + 20);
    memcpy(pkt, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    const uint8_t *src = d ? (c->v6 ? srv6 : srv4) : c->cip, *dst = d ? c->cip : (c->v6 ? srv6 : srv4);
    uint8_t *h = pkt + 14;
    if (c->v6) {
        pkt[12] = 0x86; pkt[13] = 0xdd;
        h[0] = 0x60; h[4] = (uint8_t)((20 + n) >> 8); h[5] = (uint8_t)(20 + n); h[6] = 6; h[7] = 64;
        memcpy(h + 8, src, 16); memcpy(h + 24, dst, 16);
    } else {
        pkt[12] = 0x08;
        h[0] = 0x45; h[2] = (uint8_t)(tot >> 8); h[3] = (uint8_t)tot; h[6] = 0x40; h[8] = 64; h[9] = 6;
        memcpy(h + 12, src, 4); memcpy(h + 16, dst, 4);
        uint16_t s = csum(h, 20); h[10] = s >> 8; h[11] = s & 255;
    }
    uint8_t *t = pkt + off;
    uint16_t sp = d ? 1883 : c->cport, dp = d ? c->cport : 1883;
    t[0] = sp >> 8; t[1] = sp & 255; t[2] = dp >> 8; t[3] = dp & 255;
    put32(t + 4, c->seq[d]); put32(t + 8, flags & 0x10 ? c->seq[!d] : 0);
    t[12] = 0x50; t[13] = flags; t[14] = 0xff; t[15] = 0xff;
    memcpy(t + 20, pl, n);
    c->seq[d] += (uint32_t)n + ((flags & 0x03) ? 1 : 0);
    size_t len = off + 20 + n;
    now_us += 1 + rr(50);
    uint32_t rec[4] = {(uint32_t)(now_us / 1000000), (uint32_t)(now_us % 1000000), (uint32_t)len, (uint32_t)len};
    fwrite(rec, 16, 1, out);
    fwrite(pkt, len, 1, out);
    written += 16 + len;
}

/* the bytes of one or more frames from side d, cut into segments */
static void send_bytes(struct conn *c, int d, buf *b)
{
    size_t o = 0;
    while (o < b->n) {
        size_t n = b->n - o;
        if (n > 1448) n = 1448;
        if (rr(6) == 0 && n > 1) n = 1 + rr((uint32_t)n - 1);   /* cut a frame anywhere */
        tcp(c, d, 0x18, b->p + o, n);
        o += n;
        if (++c->unacked >= 2) { tcp(c, !d, 0x10, NULL, 0); c->unacked = 0; }
    }
    b->n = 0;
}

static char payload[8192];

static void frame(buf *b, uint8_t h, buf *body)
{
    u8(b, h); vbi(b, (uint32_t)body->n); put(b, body->p, body->n); body->n = 0;
}

static void publish(struct conn *c, int d, int qos, buf *b, buf *t)
{
    char topic[64];
    snprintf(topic, sizeof topic, "pcs/bench/%u/%u", rr(100), rr(1000));
    str(t, topic);
    uint16_t pid = 0;
    if (qos) { pid = ++c->pid[d]; if (!pid) pid = ++c->pid[d]; u16(t, pid); }
    if (c->v5) {
        if (rr(2)) { u8(t, 2); u8(t, 0x01); u8(t, 1); } else u8(t, 0);
    }
    size_t n = 16 + rr(rr(4) ? 800 : 6000);
    put(t, payload, n);
    frame(b, (uint8_t)(0x30 | qos << 1 | (rr(10) == 0)), t);
    if (!qos) return;
    buf a = {0}, body = {0};
    send_bytes(c, d, b);
    u16(&body, pid);
    frame(&a, qos == 1 ? 0x40 : 0x50, &body);
    send_bytes(c, !d, &a);
    if (qos == 2) {
        u16(&body, pid); frame(b, 0x62, &body); send_bytes(c, d, b);
        u16(&body, pid); frame(&a, 0x70, &body); send_bytes(c, !d, &a);
    }
    free(a.p); free(body.p);
}

static void connect_conn(struct conn *c, buf *b, buf *t)
{
    str(t, "MQTT"); u8(t, c->v5 ? 5 : 4); u8(t, 0x02); u16(t, 60);
    if (c->v5) { u8(t, 13); u8(t, 0x15); str(t, "SCRAM-ok"); u8(t, 0x19); u8(t, 1); }
    char id[32]; snprintf(id, sizeof id, "bench-%u", rnd());
    str(t, id);
    frame(b, 0x10, t); send_bytes(c, 0, b);
    u8(t, 0); u8(t, 0);
    if (c->v5) { u8(t, 14); u8(t, 0x15); str(t, "SCRAM-ok"); u8(t, 0x22); u16(t, 10); }
    frame(b, 0x20, t); send_bytes(c, 1, b);
}

static void subscribe(struct conn *c, buf *b, buf *t, int unsub)
{
    uint16_t pid = ++c->pid[0]; if (!pid) pid = ++c->pid[0];
    u16(t, pid); if (c->v5) u8(t, 0);
    str(t, "pcs/bench/+/x"); if (!unsub) u8(t, 1);
    str(t, "pcs/bench/#"); if (!unsub) u8(t, 2);
    frame(b, unsub ? 0xa2 : 0x82, t); send_bytes(c, 0, b);
    u16(t, pid);
    if (c->v5) { u8(t, 0); u8(t, unsub ? 0 : 1); u8(t, unsub ? 0 : 2); }
    else if (!unsub) { u8(t, 1); u8(t, 2); }
    frame(b, unsub ? 0xb0 : 0x90, t); send_bytes(c, 1, b);
}

static void step(struct conn *c)
{
    static buf b, t;
    switch (c->step++) {
    case 0:
        tcp(c, 0, 0x02, NULL, 0); tcp(c, 1, 0x12, NULL, 0); tcp(c, 0, 0x10, NULL, 0);
        connect_conn(c, &b, &t);
        subscribe(c, &b, &t, 0);
        return;
    default:
        if (c->msgs-- > 0) {
            uint32_t k = rr(20);
            if (k < 12) publish(c, k & 1, (int)(k % 3), &b, &t);
            else if (k < 14) publish(c, 1, 1 + (int)rr(2), &b, &t);
            else if (k < 16) { frame(&b, 0xc0, &t); send_bytes(c, 0, &b); frame(&b, 0xd0, &t); send_bytes(c, 1, &b); }
            else if (k < 17 && c->v5) {
                u8(&t, 0x19); u8(&t, 11); u8(&t, 0x15); str(&t, "SCRAM-ok"); frame(&b, 0xf0, &t); send_bytes(c, 0, &b);
                u8(&t, 0x00); u8(&t, 11); u8(&t, 0x15); str(&t, "SCRAM-ok"); frame(&b, 0xf0, &t); send_bytes(c, 1, &b);
            } else if (k < 18) { subscribe(c, &b, &t, 1); subscribe(c, &b, &t, 0); }
            else { /* two small QoS 0 PUBLISHes in one segment */
                publish(c, 0, 0, &b, &t); publish(c, 0, 0, &b, &t); send_bytes(c, 0, &b); }
            if (b.n) send_bytes(c, 0, &b);
            return;
        }
        frame(&b, 0xe0, &t); send_bytes(c, 0, &b);
        tcp(c, 0, 0x11, NULL, 0); tcp(c, 1, 0x11, NULL, 0); tcp(c, 0, 0x10, NULL, 0);
        c->step = -1;
    }
}

static void fresh(struct conn *c)
{
    memset(c, 0, sizeof *c);
    c->v6 = rr(4) == 0;
    c->v5 = rr(2);
    c->msgs = 20 + (int)rr(400);
    if (c->v6) { memcpy(c->cip, srv6, 16); c->cip[14] = (uint8_t)rnd(); c->cip[15] = (uint8_t)(2 + rr(250)); }
    else { c->cip[0] = 10; c->cip[1] = 1 + (uint8_t)rr(200); c->cip[2] = (uint8_t)rnd(); c->cip[3] = 2 + (uint8_t)rr(250); }
    c->cport = (uint16_t)(1024 + rr(60000));
    c->seq[0] = rnd(); c->seq[1] = rnd();
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: gen OUT MiB [concurrent]\n"); return 2; }
    out = fopen(argv[1], "wb");
    if (!out) { perror(argv[1]); return 1; }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf);
    limit = strtoull(argv[2], NULL, 10) << 20;
    int nc = argc > 3 ? atoi(argv[3]) : 200;
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (char)('a' + i % 26);
    uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
    fwrite(gh, 24, 1, out);
    struct conn *cs = calloc((size_t)nc, sizeof *cs);
    for (int i = 0; i < nc; i++) fresh(&cs[i]);
    while (written < limit) {
        struct conn *c = &cs[rr((uint32_t)nc)];
        step(c);
        if (c->step < 0) fresh(c);
    }
    for (int i = 0; i < nc; i++)   /* end every connection cleanly */
        while (cs[i].step >= 0) { if (cs[i].step > 0) cs[i].msgs = 0; step(&cs[i]); }
    fclose(out);
    return 0;
}
