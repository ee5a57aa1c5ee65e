/* pcapread.c — pcap/pcapng reader and link/IP/TCP/UDP dissection, written by hand rather than
 * with libpcap: records are handed out zero-copy from one 1 MiB read(2) buffer (no per-packet
 * syscall or copy, which replay's 500 MB/s goal needs), broken records become counted warnings
 * instead of a fatal error, and the same code reads a file or a fuzzer's bytes in memory.
 * It keeps no stream state and allocates only the buffer and the pcapng interface table.
 *
 *   pcap:   24-byte header (magic a1b2c3d4 µs / a1b23c4d ns, either byte order; link type at
 *           20) then records: ts_sec, ts_frac, caplen, len (4 bytes each), caplen bytes
 *   pcapng: blocks: type, total length, body, total length again; SHB (0a0d0d0a) sets the
 *           byte order, IDB (1) adds an interface (link type, snaplen, if_tsresol option 9),
 *           EPB (6) / SPB (3) / OPB (2) carry packets; other blocks are skipped */
#include "pcapread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

#define BUFSZ ((size_t)1 << 20)
#define MAX_IFACES 1024

enum fmt { F_PCAP, F_PCAP_NS, F_PCAPNG };

struct iface {
    int linktype;
    uint32_t snaplen;
    uint8_t tsresol;           /* if_tsresol: bit 7 = power of 2, else power of 10 */
};

struct pcs_pcapread {
    int fd;                    /* -1 for a capture in memory */
    const char *name;          /* for messages; borrowed */
    uint8_t *buf;              /* owned unless in memory */
    size_t cap, pos, end;
    bool eof, dead;
    int ioerr;
    uint64_t consumed;         /* file offset of buf[pos] */
    enum fmt fmt;
    bool swap;
    int linktype;              /* pcap */
    struct iface *ifs;         /* pcapng, owned */
    size_t nifs;
    uint64_t no;
    uint64_t warn[PCS_PW_COUNT];
};

static const char *const warn_names[PCS_PW_COUNT] = {
    [PCS_PW_TRUNCATED_FILE] = "truncated-file", [PCS_PW_BAD_RECORD] = "bad-record",
    [PCS_PW_OVERSIZED] = "oversized-record",    [PCS_PW_SNAPLEN_CUT] = "snaplen-cut",
    [PCS_PW_ABSURD_TIME] = "absurd-timestamp",  [PCS_PW_BAD_INTERFACE] = "bad-interface",
    [PCS_PW_LINKTYPE] = "unsupported-link",     [PCS_PW_NON_IP] = "non-ip",
    [PCS_PW_BAD_IP] = "bad-ip-header",          [PCS_PW_FRAGMENT] = "ip-fragment",
    [PCS_PW_OTHER_L4] = "not-tcp-udp",          [PCS_PW_BAD_TCP] = "bad-tcp-header",
    [PCS_PW_BAD_UDP] = "bad-udp-length",        [PCS_PW_GAP] = "stream-gap",
    [PCS_PW_MIDSTREAM] = "midstream-undecoded", [PCS_PW_BUDGET] = "buffer-limit",
    [PCS_PW_INCOMPLETE] = "incomplete-frame",   [PCS_PW_EVICTED] = "evicted-flow",
    [PCS_PW_UNDECODED] = "undecoded-flow",
};

const char *pcs_pcapread_warn_name(enum pcs_pcapread_warn w)
{
    return (unsigned)w < PCS_PW_COUNT ? warn_names[w] : "?";
}

/* ---- byte access ---- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static uint16_t rd16(const struct pcs_pcapread *r, const uint8_t *p)
{
    return r->swap ? be16(p) : (uint16_t)(p[1] << 8 | p[0]);
}
static uint32_t rd32(const struct pcs_pcapread *r, const uint8_t *p)
{
    return r->swap ? be32(p) : le32(p);
}

/* ---- the buffer ---- */

/* fill's slow half: moves what is left to the front of the buffer and reads. */
static bool refill(struct pcs_pcapread *r, size_t n)
{
    if (r->fd < 0 || r->eof || n > r->cap)
        return false;
    memmove(r->buf, r->buf + r->pos, r->end - r->pos);
    r->end -= r->pos;
    r->pos = 0;
    while (r->end < n) {
        ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            r->eof = true;
            r->ioerr = k < 0 ? errno : 0;
            return false;
        }
        r->end += (size_t)k;
    }
    return true;
}

/* true when n bytes are available at buf[pos] (n <= cap). */
static inline bool fill(struct pcs_pcapread *r, size_t n)
{
    return r->end - r->pos >= n || refill(r, n);
}

static void consume(struct pcs_pcapread *r, size_t n)
{
    r->pos += n;
    r->consumed += n;
}

/* Skips n bytes that may run past the buffer; false when the file ends first. */
static bool skip(struct pcs_pcapread *r, uint64_t n)
{
    while (n) {
        size_t avail = r->end - r->pos;
        if (!avail && !fill(r, 1))
            return false;
        avail = r->end - r->pos;
        size_t k = n < avail ? (size_t)n : avail;
        consume(r, k);
        n -= k;
    }
    return true;
}

/* The file ends inside a record: counted once, reading stops. */
static int truncated(struct pcs_pcapread *r)
{
    if (r->ioerr)
        return 0;
    r->warn[PCS_PW_TRUNCATED_FILE]++;
    r->dead = true;
    return 0;
}

static int broken(struct pcs_pcapread *r)
{
    r->warn[PCS_PW_BAD_RECORD]++;
    r->dead = true;
    return 0;
}

/* ---- time ---- */

#define NS_MAX ((uint64_t)INT64_MAX)

static pcs_time mk_time(struct pcs_pcapread *r, uint64_t sec, uint64_t frac, uint64_t per_sec)
{
    if (frac >= per_sec) {
        r->warn[PCS_PW_ABSURD_TIME]++;
        sec += frac / per_sec;
        frac %= per_sec;
    }
    if (sec > NS_MAX / 1000000000u) {
        r->warn[PCS_PW_ABSURD_TIME]++;
        return NS_MAX;
    }
    return sec * 1000000000u + frac * (1000000000u / per_sec);
}

/* pcapng: a 64-bit count of if_tsresol units to nanoseconds. */
static pcs_time ng_time(struct pcs_pcapread *r, uint64_t ts, uint8_t res)
{
    unsigned e = res & 0x7f;
    if (res & 0x80) {
        if (e > 63) {
            r->warn[PCS_PW_ABSURD_TIME]++;
            return 0;
        }
        uint64_t sec = ts >> e, frac = e ? ts & ((1ull << e) - 1) : 0;
        long double f = e ? (long double)frac / (long double)(1ull << e) : 0;
        return mk_time(r, sec, (uint64_t)(f * 1e9L), 1000000000u);
    }
    if (e > 19) {
        r->warn[PCS_PW_ABSURD_TIME]++;
        return 0;
    }
    uint64_t per = 1;
    for (unsigned i = 0; i < e; i++)
        per *= 10;
    uint64_t frac = ts % per;
    if (per > 1000000000u)
        return mk_time(r, ts / per, frac / (per / 1000000000u), 1000000000u);
    return mk_time(r, ts / per, frac, per);
}

/* ---- pcap ---- */

static int next_pcap(struct pcs_pcapread *r, struct pcs_pcapread_packet *p)
{
    if (!fill(r, 16))
        return r->end > r->pos ? truncated(r) : 0;
    const uint8_t *h = r->buf + r->pos;
    uint32_t sec = rd32(r, h), frac = rd32(r, h + 4), incl = rd32(r, h + 8), orig = rd32(r, h + 12);
    if (incl > PCS_PCAPREAD_MAX_REC)
        return broken(r);  /* no way to find the next record */
    if (!fill(r, 16 + (size_t)incl))
        return truncated(r);
    h = r->buf + r->pos;
    p->no = ++r->no;
    p->t = mk_time(r, sec, frac, r->fmt == F_PCAP_NS ? 1000000000u : 1000000u);
    p->caplen = incl;
    p->len = orig < incl ? incl : orig;
    p->linktype = r->linktype;
    p->data = h + 16;
    consume(r, 16 + (size_t)incl);
    return 1;
}

/* ---- pcapng ---- */

static void add_iface(struct pcs_pcapread *r, const uint8_t *b, size_t n)
{
    if (n < 8 || r->nifs >= MAX_IFACES) {
        r->warn[PCS_PW_BAD_INTERFACE]++;
        return;
    }
    struct iface f = {.linktype = rd16(r, b), .snaplen = rd32(r, b + 4), .tsresol = 6};
    for (size_t o = 8; o + 4 <= n;) {
        uint16_t code = rd16(r, b + o), len = rd16(r, b + o + 2);
        if (code == 0 || o + 4 + len > n)
            break;
        if (code == 9 && len >= 1)
            f.tsresol = b[o + 4];
        o += 4 + (((size_t)len + 3) & ~(size_t)3);
    }
    r->ifs = pcs_xrealloc(r->ifs, (r->nifs + 1) * sizeof *r->ifs);
    r->ifs[r->nifs++] = f;
}

/* Fills p from a packet block body; 1 = a packet, 0 = skipped (counted). */
static int ng_packet(struct pcs_pcapread *r, uint32_t type, const uint8_t *b, size_t n,
                     struct pcs_pcapread_packet *p)
{
    uint32_t ifc, caplen, len;
    uint64_t ts = 0;
    const uint8_t *data;
    if (type == 3) {           /* simple packet block: interface 0, no time */
        if (n < 4)
            return r->warn[PCS_PW_BAD_RECORD]++, 0;
        ifc = 0;
        len = rd32(r, b);
        caplen = len < n - 4 ? len : (uint32_t)(n - 4);
        if (r->nifs && r->ifs[0].snaplen && caplen > r->ifs[0].snaplen)
            caplen = r->ifs[0].snaplen;
        data = b + 4;
    } else {
        size_t hl = 20;
        if (n < hl)
            return r->warn[PCS_PW_BAD_RECORD]++, 0;
        ifc = type == 2 ? rd16(r, b) : rd32(r, b);
        ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
        caplen = rd32(r, b + 12);
        len = rd32(r, b + 16);
        data = b + hl;
        if (caplen > n - hl)
            return r->warn[PCS_PW_BAD_RECORD]++, 0;
    }
    if (ifc >= r->nifs)
        return r->warn[PCS_PW_BAD_INTERFACE]++, 0;
    p->no = ++r->no;
    p->t = type == 3 ? 0 : ng_time(r, ts, r->ifs[ifc].tsresol);
    p->caplen = caplen;
    p->len = len < caplen ? caplen : len;
    p->linktype = r->ifs[ifc].linktype;
    p->data = data;
    return 1;
}

/* Section header: sets the byte order from the magic at offset 8. */
static int ng_shb(struct pcs_pcapread *r)
{
    uint32_t bom = le32(r->buf + r->pos + 8);
    if (bom == 0x1a2b3c4du)
        r->swap = false;
    else if (bom == 0x4d3c2b1au)
        r->swap = true;
    else
        return -1;
    r->nifs = 0;
    return 0;
}

static int next_ng(struct pcs_pcapread *r, struct pcs_pcapread_packet *p)
{
    for (;;) {
        if (!fill(r, 12))
            return r->end > r->pos ? truncated(r) : 0;
        uint32_t type = rd32(r, r->buf + r->pos);
        if (type == 0x0a0d0d0au && ng_shb(r))
            return broken(r);
        uint32_t tl = rd32(r, r->buf + r->pos + 4);
        if (tl < 12 || tl % 4)
            return broken(r);
        if (tl > r->cap) {     /* larger than any packet we read: skip it */
            if (type == 6 || type == 3 || type == 2)
                r->warn[PCS_PW_OVERSIZED]++;
            if (!skip(r, tl))
                return truncated(r);
            continue;
        }
        if (!fill(r, tl))
            return truncated(r);
        const uint8_t *b = r->buf + r->pos;
        if (rd32(r, b + tl - 4) != tl)
            return broken(r);
        int got = 0;
        if (type == 1)
            add_iface(r, b + 8, tl - 12);
        else if (type == 6 || type == 3 || type == 2)
            got = ng_packet(r, type, b + 8, tl - 12, p);
        consume(r, tl);
        if (got)
            return 1;
    }
}

/* ---- open ---- */

static int start(struct pcs_pcapread *r, struct pcs_diag *d)
{
    if (!fill(r, 4))
        return pcs_diag_set(d, PCS_ERR_MALFORMED, NULL, "%s: not a pcap or pcapng file (too short)",
                            r->name);
    uint32_t m = le32(r->buf + r->pos);
    if (m == 0x0a0d0d0au) {
        r->fmt = F_PCAPNG;
        return 0;
    }
    r->swap = m == 0xd4c3b2a1u || m == 0x4d3cb2a1u;
    if (m == 0xa1b2c3d4u || m == 0xd4c3b2a1u)
        r->fmt = F_PCAP;
    else if (m == 0xa1b23c4du || m == 0x4d3cb2a1u)
        r->fmt = F_PCAP_NS;
    else
        return pcs_diag_set(d, PCS_ERR_MALFORMED, NULL,
                            "%s: not a pcap or pcapng file (magic %08x)", r->name, m);
    if (!fill(r, 24))
        return pcs_diag_set(d, PCS_ERR_MALFORMED, NULL, "%s: pcap header cut short", r->name);
    r->linktype = (int)(rd32(r, r->buf + r->pos + 20) & 0xffff);
    consume(r, 24);
    return 0;
}

static int opened(struct pcs_pcapread *r, struct pcs_pcapread **out, struct pcs_diag *d)
{
    int rc = start(r, d);
    if (rc) {
        pcs_pcapread_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pcs_pcapread_open(const char *path, struct pcs_pcapread **out, struct pcs_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: %s", path, strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    struct pcs_pcapread *r = pcs_xcalloc(1, sizeof *r);
    r->fd = fd;
    r->name = path;
    r->cap = BUFSZ;
    r->buf = pcs_xmalloc(BUFSZ);
    return opened(r, out, d);
}

int pcs_pcapread_open_mem(const uint8_t *data, size_t len, struct pcs_pcapread **out,
                          struct pcs_diag *d)
{
    struct pcs_pcapread *r = pcs_xcalloc(1, sizeof *r);
    r->fd = -1;
    r->name = "(memory)";
    r->buf = (uint8_t *)data;
    r->cap = r->end = len;
    r->eof = true;
    return opened(r, out, d);
}

void pcs_pcapread_free(struct pcs_pcapread *r)
{
    if (!r)
        return;
    if (r->fd >= 0) {
        close(r->fd);
        free(r->buf);
    }
    free(r->ifs);
    free(r);
}

int pcs_pcapread_next(struct pcs_pcapread *r, struct pcs_pcapread_packet *p, struct pcs_diag *d)
{
    if (r->dead)
        return 0;
    int rc = r->fmt == F_PCAPNG ? next_ng(r, p) : next_pcap(r, p);
    if (rc == 1 && p->caplen < p->len)
        r->warn[PCS_PW_SNAPLEN_CUT]++;
    if (rc == 0 && r->ioerr)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: %s", r->name, strerror(r->ioerr));
    return rc;
}

const uint64_t *pcs_pcapread_warnings(const struct pcs_pcapread *r) { return r->warn; }

const char *pcs_pcapread_format(const struct pcs_pcapread *r)
{
    return r->fmt == F_PCAPNG ? "pcapng" : r->fmt == F_PCAP_NS ? "pcap-ns" : "pcap";
}

uint64_t pcs_pcapread_offset(const struct pcs_pcapread *r) { return r->consumed; }

/* ---- dissection ---- */

static int tcp(const uint8_t *d, size_t avail, size_t wire, struct pcs_pcapread_l4 *o)
{
    if (avail < 20)
        return PCS_PW_BAD_TCP;
    size_t doff = (size_t)(d[12] >> 4) * 4;
    if (doff < 20 || doff > wire || doff > avail)
        return PCS_PW_BAD_TCP;
    /* options are not needed (no SACK, no timestamps): bogus ones cannot mislead us */
    o->sport = be16(d);
    o->dport = be16(d + 2);
    o->seq = be32(d + 4);
    o->ack = be32(d + 8);
    o->tcp_flags = d[13];
    o->payload = d + doff;
    o->paylen = (uint32_t)(avail - doff);
    o->wirelen = (uint32_t)(wire - doff);
    return -1;
}

static int udp(const uint8_t *d, size_t avail, size_t wire, struct pcs_pcapread_l4 *o)
{
    if (avail < 8)
        return PCS_PW_BAD_UDP;
    size_t ulen = be16(d + 4);
    if (ulen < 8 || ulen > wire)
        return PCS_PW_BAD_UDP;
    o->sport = be16(d);
    o->dport = be16(d + 2);
    o->seq = o->ack = 0;
    o->tcp_flags = 0;
    o->payload = d + 8;
    o->paylen = (uint32_t)((avail < ulen ? avail : ulen) - 8);
    o->wirelen = (uint32_t)(ulen - 8);
    return -1;
}

static int l4(uint8_t proto, const uint8_t *d, size_t avail, size_t wire,
              struct pcs_pcapread_l4 *o)
{
    o->proto = proto;
    if (proto == 6)
        return tcp(d, avail, wire, o);
    if (proto == 17)
        return udp(d, avail, wire, o);
    return PCS_PW_OTHER_L4;
}

static int ipv4(const uint8_t *d, size_t n, struct pcs_pcapread_l4 *o)
{
    if (n < 20 || d[0] >> 4 != 4)
        return PCS_PW_BAD_IP;
    size_t ihl = (size_t)(d[0] & 15) * 4, tot = be16(d + 2);
    if (tot == 0)
        tot = n;               /* TSO on the capturing host: length left 0 */
    if (ihl < 20 || tot < ihl || n < ihl)
        return PCS_PW_BAD_IP;
    if (be16(d + 6) & 0x3fff)
        return PCS_PW_FRAGMENT;
    o->family = 4;
    memset(o->src, 0, sizeof o->src);
    memset(o->dst, 0, sizeof o->dst);
    memcpy(o->src, d + 12, 4);
    memcpy(o->dst, d + 16, 4);
    size_t avail = n < tot ? n : tot;
    return l4(d[9], d + ihl, avail - ihl, tot - ihl, o);
}

static int ipv6(const uint8_t *d, size_t n, struct pcs_pcapread_l4 *o)
{
    if (n < 40 || d[0] >> 4 != 6)
        return PCS_PW_BAD_IP;
    size_t end = 40 + (size_t)be16(d + 4), off = 40;
    if (end == 40)
        end = n;               /* jumbogram or TSO: trust what was captured */
    uint8_t nh = d[6];
    for (int i = 0; i < 8; i++) {
        size_t hl;
        if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140) {
            if (off + 2 > n)
                return PCS_PW_BAD_IP;
            hl = ((size_t)d[off + 1] + 1) * 8;
        } else if (nh == 51) {
            if (off + 2 > n)
                return PCS_PW_BAD_IP;
            hl = ((size_t)d[off + 1] + 2) * 4;
        } else if (nh == 44) {
            if (off + 8 > n)
                return PCS_PW_BAD_IP;
            if (be16(d + off + 2) & 0xfff9)
                return PCS_PW_FRAGMENT;
            hl = 8;            /* an atomic fragment: the whole packet */
        } else {
            break;
        }
        nh = d[off];
        off += hl;
        if (off > end || off > n)
            return PCS_PW_BAD_IP;
    }
    o->family = 6;
    memcpy(o->src, d + 8, 16);
    memcpy(o->dst, d + 24, 16);
    size_t avail = (n < end ? n : end) - off;
    return l4(nh, d + off, avail, end - off, o);
}

static int ip(unsigned et, const uint8_t *d, size_t n, struct pcs_pcapread_l4 *o)
{
    if (et == 0x0800)
        return ipv4(d, n, o);
    if (et == 0x86dd)
        return ipv6(d, n, o);
    return PCS_PW_NON_IP;
}

static unsigned family_type(uint32_t fam)
{
    if (fam == 2)
        return 0x0800;
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
        return 0x86dd;
    return 0;
}

int pcs_pcapread_dissect(int linktype, const uint8_t *d, size_t n, struct pcs_pcapread_l4 *o)
{
    size_t off = 0;
    unsigned et = 0;
    switch (linktype) {
    case PCS_LINK_ETHERNET:
        if (n < 14)
            return PCS_PW_NON_IP;
        et = be16(d + 12);
        off = 14;
        for (int k = 0; k < 3 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); k++) {
            if (n < off + 4)
                return PCS_PW_NON_IP;
            et = be16(d + off + 2);
            off += 4;
        }
        break;
    case PCS_LINK_SLL:
        if (n < 16)
            return PCS_PW_NON_IP;
        et = be16(d + 14), off = 16;
        break;
    case PCS_LINK_SLL2:
        if (n < 20)
            return PCS_PW_NON_IP;
        et = be16(d), off = 20;
        break;
    case PCS_LINK_RAW:
    case PCS_LINK_RAW_BSD:
        if (n < 1)
            return PCS_PW_BAD_IP;
        et = d[0] >> 4 == 4 ? 0x0800 : d[0] >> 4 == 6 ? 0x86dd : 0;
        if (!et)
            return PCS_PW_BAD_IP;
        break;
    case PCS_LINK_IPV4: et = 0x0800; break;
    case PCS_LINK_IPV6: et = 0x86dd; break;
    case PCS_LINK_NULL:
    case PCS_LINK_LOOP: {
        if (n < 4)
            return PCS_PW_NON_IP;
        uint32_t fam = linktype == PCS_LINK_LOOP ? be32(d) : le32(d);
        if (fam > 0xffff)      /* written in the other byte order */
            fam = linktype == PCS_LINK_LOOP ? le32(d) : be32(d);
        et = family_type(fam), off = 4;
        break;
    }
    default:
        return PCS_PW_LINKTYPE;
    }
    return ip(et, d + off, n - off, o);
}

void pcs_pcapread_addr(uint8_t family, const uint8_t *addr, uint16_t port, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, a, sizeof a);
    snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}
