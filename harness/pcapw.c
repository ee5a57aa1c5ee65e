/* pcapw.c — writes classic pcap files and synthesizes the TCP/UDP packets of a conversation
 * from its bytes. Nothing here captures, reads a clock or touches a socket; the writer owns its
 * FILE and one scratch buffer. Every multi-byte pcap field is little-endian (the magic says so);
 * every packet field is big-endian (network order).
 *
 *   global header (24)  d4 c3 b2 a1 | 02 00 04 00 | thiszone 0 (4) | sigfigs 0 (4)
 *                       snaplen (4) | linktype (4): 1 Ethernet, 101 raw IP
 *   record header (16)  ts_sec (4) | ts_usec (4) | incl_len (4) | orig_len (4)   then the packet:
 *   Ethernet (14)       dst 00:00:00:00:00:00 | src 00:00:00:00:00:00 | type 0800 / 86dd
 *   IPv4 (20)           45 00 | total len | id | 40 00 (DF) | ttl 40 | proto 06/11 | csum |
 *                       src (4) | dst (4)
 *   IPv6 (40)           60 00 00 00 | payload len | next hdr 06/11 | hop limit 40 | src (16) |
 *                       dst (16)
 *   TCP (20)            sport | dport | seq (4) | ack (4) | 50 | flags | window ffff | csum |
 *                       urgent 0000   then the data
 *   UDP (8)             sport | dport | length | csum   then the payload
 * TCP/UDP checksums cover the RFC 793 / RFC 8200 pseudo-header (addresses, protocol, length). */
#include "pcapw.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define UDP_LEN 8

struct pcs_pcapw {
    FILE *f;
    uint32_t linktype;
    uint32_t frames;
    bool failed;
    uint8_t *scratch;      /* one packet: link + IP + transport headers + PCS_PCAPW_MAX_SEGMENT */
};

/* ---- byte helpers ---- */

static void be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p + 2, (uint16_t)v);
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t pcs_pcapw_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return (sum & 0xffff) + (sum >> 16);
}

uint16_t pcs_pcapw_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ---- the file ---- */

int pcs_pcapw_open(struct pcs_pcapw **out, const char *path, uint32_t linktype,
                   struct pcs_diag *d)
{
    *out = NULL;
    FILE *f = fopen(path, "wb");
    if (!f)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    uint8_t h[24] = {0};
    le32(h, 0xa1b2c3d4u);
    h[4] = 2;                              /* version 2.4, little-endian u16s */
    h[6] = 4;
    le32(h + 16, PCS_PCAPW_SNAPLEN);
    le32(h + 20, linktype);
    if (fwrite(h, sizeof h, 1, f) != 1) {
        fclose(f);
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    }
    struct pcs_pcapw *w = pcs_xcalloc(1, sizeof *w);
    w->f = f;
    w->linktype = linktype;
    w->scratch = pcs_xmalloc(ETH_LEN + IP6_LEN + TCP_LEN + PCS_PCAPW_MAX_SEGMENT);
    *out = w;
    return 0;
}

int pcs_pcapw_close(struct pcs_pcapw *w, struct pcs_diag *d)
{
    if (!w)
        return 0;
    bool failed = w->failed || fflush(w->f) != 0 || ferror(w->f);
    failed |= fclose(w->f) != 0;
    free(w->scratch);
    free(w);
    return failed ? pcs_diag_set(d, PCS_ERR_IO, NULL, "writing the capture failed") : 0;
}

uint32_t pcs_pcapw_record(struct pcs_pcapw *w, uint64_t wall_ns, const uint8_t *p, size_t caplen,
                          size_t origlen)
{
    if (caplen > PCS_PCAPW_SNAPLEN)
        caplen = PCS_PCAPW_SNAPLEN;
    uint8_t h[16];
    le32(h, (uint32_t)(wall_ns / 1000000000u));
    le32(h + 4, (uint32_t)(wall_ns % 1000000000u / 1000u));
    le32(h + 8, (uint32_t)caplen);
    le32(h + 12, (uint32_t)(origlen > UINT32_MAX ? UINT32_MAX : origlen));
    if (fwrite(h, sizeof h, 1, w->f) != 1 || (caplen && fwrite(p, caplen, 1, w->f) != 1)) {
        w->failed = true;
        return 0;
    }
    return ++w->frames;
}

uint32_t pcs_pcapw_frames(const struct pcs_pcapw *w) { return w->frames; }

uint32_t pcs_pcapw_linktype(const struct pcs_pcapw *w) { return w->linktype; }

/* ---- addresses ---- */

static uint16_t port_of(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
    return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

/* The address bytes (4 or 16) of a. */
static const uint8_t *addr_bytes(const struct sockaddr_storage *a, size_t *n)
{
    if (a->ss_family == AF_INET6) {
        *n = 16;
        return ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
    }
    *n = 4;
    return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr.s_addr;
}

static bool copy_addr(struct sockaddr_storage *dst, const struct sockaddr *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return false;
    if (src->sa_family == AF_INET)
        memcpy(dst, src, sizeof(struct sockaddr_in));
    else if (src->sa_family == AF_INET6)
        memcpy(dst, src, sizeof(struct sockaddr_in6));
    else
        return false;
    return true;
}

/* ---- packets ---- */

/* Writes the link and IP headers for `tlen` transport bytes at w->scratch and returns where
 * the transport header goes. *sum is the pseudo-header checksum so far. */
static uint8_t *ip_header(struct pcs_pcapw *w, const struct sockaddr_storage *src,
                          const struct sockaddr_storage *dst, uint8_t proto, size_t tlen,
                          uint16_t ip_id, uint32_t *sum)
{
    bool v6 = src->ss_family == AF_INET6;
    uint8_t *p = w->scratch;
    if (w->linktype == PCS_PCAPW_ETHERNET) {
        memset(p, 0, 12);
        be16(p + 12, v6 ? 0x86dd : 0x0800);
        p += ETH_LEN;
    }
    size_t alen;
    const uint8_t *sa = addr_bytes(src, &alen), *da = addr_bytes(dst, &alen);
    if (v6) {
        be32(p, 0x60000000u);
        be16(p + 4, (uint16_t)tlen);
        p[6] = proto;
        p[7] = 64;
        memcpy(p + 8, sa, 16);
        memcpy(p + 24, da, 16);
        *sum = pcs_pcapw_csum_add(0, p + 8, 32);
        uint8_t len32[4];
        be32(len32, (uint32_t)tlen);
        uint8_t nh[4] = {0, 0, 0, proto};
        *sum = pcs_pcapw_csum_add(*sum, len32, 4);
        *sum = pcs_pcapw_csum_add(*sum, nh, 4);
        return p + IP6_LEN;
    }
    p[0] = 0x45;
    p[1] = 0;
    be16(p + 2, (uint16_t)(IP4_LEN + tlen));
    be16(p + 4, ip_id);
    be16(p + 6, 0x4000);
    p[8] = 64;
    p[9] = proto;
    be16(p + 10, 0);
    memcpy(p + 12, sa, 4);
    memcpy(p + 16, da, 4);
    be16(p + 10, pcs_pcapw_csum_fold(pcs_pcapw_csum_add(0, p, IP4_LEN)));
    *sum = pcs_pcapw_csum_add(0, p + 12, 8);
    uint8_t ph[4] = {0, proto, (uint8_t)(tlen >> 8), (uint8_t)tlen};
    *sum = pcs_pcapw_csum_add(*sum, ph, 4);
    return p + IP4_LEN;
}

/* One TCP segment from side `dir` with flags and n data bytes; advances the sequence number. */
static uint32_t segment(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, enum pcs_dir dir,
                        uint8_t flags, const uint8_t *data, size_t n, uint64_t wall_ns)
{
    int other = dir == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    uint32_t sum;
    uint8_t *th = ip_header(w, &t->addr[dir], &t->addr[other], IPPROTO_TCP, TCP_LEN + n,
                            t->ip_id[dir]++, &sum);
    be16(th, port_of(&t->addr[dir]));
    be16(th + 2, port_of(&t->addr[other]));
    be32(th + 4, t->seq[dir]);
    be32(th + 8, flags & TCP_ACK ? t->seq[other] : 0);
    th[12] = (TCP_LEN / 4) << 4;
    th[13] = flags;
    be16(th + 14, 0xffff);
    be16(th + 16, 0);
    be16(th + 18, 0);
    if (n)
        memcpy(th + TCP_LEN, data, n);
    be16(th + 16, pcs_pcapw_csum_fold(pcs_pcapw_csum_add(sum, th, TCP_LEN + n)));
    t->seq[dir] += (uint32_t)n + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
    size_t len = (size_t)(th + TCP_LEN + n - w->scratch);
    return pcs_pcapw_record(w, wall_ns, w->scratch, len, len);
}

int pcs_pcapw_tcp_init(struct pcs_pcapw_tcp *t, const struct sockaddr *client,
                       const struct sockaddr *server, uint32_t isn_client, uint32_t isn_server)
{
    memset(t, 0, sizeof *t);
    if (!copy_addr(&t->addr[PCS_DIR_C2S], client) || !copy_addr(&t->addr[PCS_DIR_S2C], server) ||
        client->sa_family != server->sa_family)
        return PCS_ERR_INVALID;
    t->seq[PCS_DIR_C2S] = isn_client;
    t->seq[PCS_DIR_S2C] = isn_server;
    t->ip_id[PCS_DIR_C2S] = (uint16_t)(isn_client >> 7);
    t->ip_id[PCS_DIR_S2C] = (uint16_t)(isn_server >> 7);
    return 0;
}

uint32_t pcs_pcapw_tcp_handshake(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, uint64_t wall_ns)
{
    segment(w, t, PCS_DIR_C2S, TCP_SYN, NULL, 0, wall_ns);
    segment(w, t, PCS_DIR_S2C, TCP_SYN | TCP_ACK, NULL, 0, wall_ns);
    return segment(w, t, PCS_DIR_C2S, TCP_ACK, NULL, 0, wall_ns);
}

uint32_t pcs_pcapw_tcp_data(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, enum pcs_dir dir,
                            const uint8_t *p, size_t n, uint64_t wall_ns)
{
    uint32_t frame = 0;
    if (t->closed || t->fin[dir])
        return 0;
    for (size_t off = 0; off < n;) {
        size_t k = n - off < PCS_PCAPW_MAX_SEGMENT ? n - off : PCS_PCAPW_MAX_SEGMENT;
        frame = segment(w, t, dir, TCP_PSH | TCP_ACK, p + off, k, wall_ns);
        off += k;
    }
    return frame;
}

uint32_t pcs_pcapw_tcp_close(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, enum pcs_dir who,
                             bool reset, uint64_t wall_ns)
{
    if (t->closed)
        return 0;
    t->closed = true;
    if (reset)
        return segment(w, t, who, TCP_RST | TCP_ACK, NULL, 0, wall_ns);
    enum pcs_dir other = who == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    t->fin[who] = t->fin[other] = true;
    uint32_t fin = segment(w, t, who, TCP_FIN | TCP_ACK, NULL, 0, wall_ns);
    segment(w, t, other, TCP_FIN | TCP_ACK, NULL, 0, wall_ns);
    segment(w, t, who, TCP_ACK, NULL, 0, wall_ns);
    return fin;
}

uint32_t pcs_pcapw_udp(struct pcs_pcapw *w, const struct sockaddr *from, const struct sockaddr *to,
                       const uint8_t *p, size_t n, uint64_t wall_ns)
{
    struct sockaddr_storage src, dst;
    if (!copy_addr(&src, from) || !copy_addr(&dst, to) || src.ss_family != dst.ss_family)
        return 0;
    if (n > PCS_PCAPW_MAX_SEGMENT)
        n = PCS_PCAPW_MAX_SEGMENT;
    uint32_t sum;
    uint8_t *uh = ip_header(w, &src, &dst, IPPROTO_UDP, UDP_LEN + n, 0, &sum);
    be16(uh, port_of(&src));
    be16(uh + 2, port_of(&dst));
    be16(uh + 4, (uint16_t)(UDP_LEN + n));
    be16(uh + 6, 0);
    if (n)
        memcpy(uh + UDP_LEN, p, n);
    uint16_t c = pcs_pcapw_csum_fold(pcs_pcapw_csum_add(sum, uh, UDP_LEN + n));
    be16(uh + 6, c ? c : 0xffff);          /* 0 means "no checksum" in UDP */
    size_t len = (size_t)(uh + UDP_LEN + n - w->scratch);
    return pcs_pcapw_record(w, wall_ns, w->scratch, len, len);
}
