/* capture.c — the pcap of one spec run: LIVE (libpcap on "lo", a thread per run, BPF on the
 * run's ports, packets written as they come and indexed so frame refs can be resolved) or
 * SYNTH (pcapw packets built from the bytes the runner reports). It does not decode any
 * protocol and does not capture traffic it was not told the ports of. The capture owns its
 * path, writer, pcap handle, thread, wake pipe and tables; pcs_capture_free releases them. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "pcapw.h"

#define LIVE_DEVICE "lo"
#define DRAIN_NS PCS_MS(250)
#define MAX_PORTS 64

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04

/* A reported TCP connection: its addresses and synthesized state, bytes reported per
 * direction (LIVE: stream offsets), and how it ended. */
struct conn {
    struct pcs_pcapw_tcp tcp;
    uint64_t bytes[2];
    bool closed, reset;
};

/* A frame ref in LIVE mode: the stream offset just past a chunk's last byte, or the k-th
 * datagram of a UDP flow. */
struct ref {
    uint32_t conn;               /* 0 for UDP */
    enum pcs_dir dir;
    bool close;                  /* the first FIN or RST from dir */
    uint64_t end;                /* TCP: offset past the last byte; UDP: k (0-based) */
    struct sockaddr_storage from, to;
};

/* One packet of the live capture, as far as frame refs need it. */
struct pkt {
    uint32_t frame;
    uint8_t proto;               /* IPPROTO_TCP / IPPROTO_UDP */
    uint8_t flags;               /* TCP flags */
    uint8_t alen;                /* 4 or 16 */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t seq, len;           /* TCP sequence number, payload length */
};

struct pcs_capture {
    enum pcs_capture_mode mode;  /* LIVE or SYNTH */
    char *path;
    struct pcs_pcapw *w;
    bool finished, failed;
    uint64_t wall0;              /* wall clock (ns) at mono0: turns pcs_time into pcap time */
    pcs_time mono0;
    uint16_t ports[MAX_PORTS];
    size_t nports;
    struct conn *conns;
    size_t nconns;
    /* LIVE */
    pcap_t *h;
    int dlt;
    pthread_t thread;
    bool running;
    int wake[2];                 /* the thread polls wake[0]; finish writes wake[1] */
    pthread_mutex_t lock;        /* guards everything below and the writer while running */
    bool stopping;
    pcs_time drain_deadline;
    struct ref *refs;
    size_t nrefs;
    struct pkt *pkts;
    size_t npkts, pktcap;
    struct sockaddr_storage *udp_flows;   /* (from, to) pairs reported: k per pair */
    uint32_t *udp_counts;
    size_t nudp;
};

/* ---- mode ---- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool probe_ok;

static void probe(void)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *h = pcap_create(LIVE_DEVICE, err);
    if (!h)
        return;
    probe_ok = pcap_activate(h) >= 0;
    pcap_close(h);
}

bool pcs_capture_live_permitted(void)
{
    pthread_once(&probe_once, probe);
    return probe_ok;
}

enum pcs_capture_mode pcs_capture_resolve(enum pcs_capture_mode mode)
{
    if (mode != PCS_CAPTURE_AUTO)
        return mode;
    const char *e = getenv("PCS_CAPTURE");
    if (e && strcmp(e, "live") == 0)
        return PCS_CAPTURE_LIVE;
    if (e && strcmp(e, "synth") == 0)
        return PCS_CAPTURE_SYNTH;
    if (e && strcmp(e, "off") == 0)
        return PCS_CAPTURE_OFF;
    return pcs_capture_live_permitted() ? PCS_CAPTURE_LIVE : PCS_CAPTURE_SYNTH;
}

const char *pcs_capture_mode_notice(enum pcs_capture_mode mode)
{
    if (mode != PCS_CAPTURE_AUTO || getenv("PCS_CAPTURE") || pcs_capture_live_permitted())
        return NULL;
    return "live capture not permitted (needs root or CAP_NET_RAW): "
           "writing pcaps from pcs's own bytes";
}

/* ---- files ---- */

char *pcs_capture_path(const char *dir, const char *spec_id)
{
    char *name = pcs_xstrdup(spec_id && *spec_id ? spec_id : "unnamed");
    for (char *p = name; *p; p++) {
        bool safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
        if (!safe)
            *p = '-';
    }
    if (name[0] == '.')
        name[0] = '_';
    size_t dl = dir ? strlen(dir) : 0;
    char *path = pcs_xasprintf("%s%s%s.pcap", dl ? dir : "", dl && dir[dl - 1] != '/' ? "/" : "",
                               name);
    free(name);
    return path;
}

/* mkdir -p */
static int make_dirs(const char *dir, struct pcs_diag *d)
{
    char *p = pcs_xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        bool end = *s == 0;
        if (*s != '/' && !end)
            continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "cannot create %s: %s", p, strerror(errno));
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return rc;
}

static uint64_t wall_of(const struct pcs_capture *c, pcs_time t)
{
    if (!t)
        t = pcs_now();
    return t >= c->mono0 ? c->wall0 + (t - c->mono0) : c->wall0 - (c->mono0 - t);
}

/* ---- the live capture thread ---- */

static bool same_addr(const struct sockaddr_storage *a, const uint8_t *bytes, uint8_t alen,
                      uint16_t port)
{
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)a;
        return alen == 4 && ntohs(s->sin_port) == port && memcmp(&s->sin_addr, bytes, 4) == 0;
    }
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
    return alen == 16 && ntohs(s->sin6_port) == port && memcmp(&s->sin6_addr, bytes, 16) == 0;
}

static bool watched(const struct pcs_capture *c, uint16_t port)
{
    for (size_t i = 0; i < c->nports; i++)
        if (c->ports[i] == port)
            return true;
    return false;
}

/* Parses link, IP and TCP/UDP headers into k. false: not a TCP/UDP packet we can read. */
static bool parse_pkt(int dlt, const uint8_t *p, size_t n, struct pkt *k)
{
    if (dlt == DLT_EN10MB) {
        if (n < 14)
            return false;
        uint16_t type = (uint16_t)(p[12] << 8 | p[13]);
        if (type != 0x0800 && type != 0x86dd)
            return false;
        p += 14;
        n -= 14;
    } else if (dlt != DLT_RAW) {
        return false;
    }
    size_t ihl, plen;
    if (n >= 20 && p[0] >> 4 == 4) {
        ihl = (size_t)(p[0] & 15) * 4;
        size_t tot = (size_t)(p[2] << 8 | p[3]);
        if (ihl < 20 || tot < ihl || n < ihl || (p[6] & 0x3f) || p[7])
            return false;                       /* fragments are not indexed */
        k->proto = p[9];
        k->alen = 4;
        memcpy(k->src, p + 12, 4);
        memcpy(k->dst, p + 16, 4);
        plen = (tot < n ? tot : n) - ihl;
    } else if (n >= 40 && p[0] >> 4 == 6) {
        ihl = 40;
        k->proto = p[6];                        /* extension headers are not followed */
        k->alen = 16;
        memcpy(k->src, p + 8, 16);
        memcpy(k->dst, p + 24, 16);
        size_t pl = (size_t)(p[4] << 8 | p[5]);
        plen = pl < n - 40 ? pl : n - 40;
    } else {
        return false;
    }
    const uint8_t *t = p + ihl;
    if (k->proto == IPPROTO_TCP && plen >= 20) {
        size_t off = (size_t)(t[12] >> 4) * 4;
        if (off < 20 || off > plen)
            return false;
        k->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
        k->flags = t[13];
        k->len = (uint32_t)(plen - off);
    } else if (k->proto == IPPROTO_UDP && plen >= 8) {
        k->len = (uint32_t)(plen - 8);
    } else {
        return false;
    }
    k->sport = (uint16_t)(t[0] << 8 | t[1]);
    k->dport = (uint16_t)(t[2] << 8 | t[3]);
    return true;
}

/* Called by pcap_dispatch with c->lock held: keeps the run's own packets. */
static void on_packet(u_char *ud, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    struct pcs_capture *c = (struct pcs_capture *)ud;
    struct pkt k = {0};
    bool ok = parse_pkt(c->dlt, bytes, hdr->caplen, &k);
    if (ok && !watched(c, k.sport) && !watched(c, k.dport))
        return;                                 /* the kernel filter let a stranger through */
    uint64_t wall = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec * 1000u;
    k.frame = pcs_pcapw_record(c->w, wall, bytes, hdr->caplen, hdr->len);
    if (!ok || !k.frame)
        return;
    if (c->npkts == c->pktcap) {
        c->pktcap = c->pktcap ? c->pktcap * 2 : 64;
        c->pkts = pcs_xrealloc(c->pkts, c->pktcap * sizeof *c->pkts);
    }
    c->pkts[c->npkts++] = k;
}

static bool pkt_from(const struct pkt *k, const struct sockaddr_storage *from,
                     const struct sockaddr_storage *to)
{
    return same_addr(from, k->src, k->alen, k->sport) && same_addr(to, k->dst, k->alen, k->dport);
}

/* What the capture holds of connection n: its initial sequence numbers (from the SYNs), the
 * stream offset reached per direction, FINs seen, an RST seen. */
struct progress {
    bool have_isn[2], fin[2], rst;
    uint32_t isn[2];
    uint64_t end[2];
};

static void conn_progress(const struct pcs_capture *c, const struct conn *cn, struct progress *g)
{
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pkt *k = &c->pkts[i];
        if (k->proto != IPPROTO_TCP)
            continue;
        int dir;
        if (pkt_from(k, &cn->tcp.addr[PCS_DIR_C2S], &cn->tcp.addr[PCS_DIR_S2C]))
            dir = PCS_DIR_C2S;
        else if (pkt_from(k, &cn->tcp.addr[PCS_DIR_S2C], &cn->tcp.addr[PCS_DIR_C2S]))
            dir = PCS_DIR_S2C;
        else
            continue;
        if (k->flags & TH_SYN) {
            g->have_isn[dir] = true;
            g->isn[dir] = k->seq;
        }
        g->fin[dir] |= (k->flags & TH_FIN) != 0;
        g->rst |= (k->flags & TH_RST) != 0;
        if (g->have_isn[dir] && k->len) {
            uint64_t end = (uint64_t)(uint32_t)(k->seq - g->isn[dir] - 1) + k->len;
            if (end > g->end[dir])
                g->end[dir] = end;
        }
    }
}

/* Every reported byte and close is in the capture (called with c->lock held). */
static bool drained(const struct pcs_capture *c)
{
    for (size_t i = 0; i < c->nconns; i++) {
        const struct conn *cn = &c->conns[i];
        struct progress g;
        conn_progress(c, cn, &g);
        if (g.end[0] < cn->bytes[0] || g.end[1] < cn->bytes[1])
            return false;
        if (cn->closed && !g.rst && !(g.fin[0] && g.fin[1]))
            return false;
    }
    return true;
}

static void *live_main(void *arg)
{
    struct pcs_capture *c = arg;
    struct pollfd pf[2] = {{.fd = pcap_get_selectable_fd(c->h), .events = POLLIN},
                           {.fd = c->wake[0], .events = POLLIN}};
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int n = pcap_dispatch(c->h, 256, on_packet, (u_char *)c);
        bool stopping = c->stopping;
        pcs_time now = pcs_now(), deadline = c->drain_deadline;
        bool done = stopping && (now >= deadline || (n == 0 && drained(c)));
        pthread_mutex_unlock(&c->lock);
        if (n < 0 || done)
            break;
        if (n > 0)
            continue;
        int ms = stopping ? (int)((deadline - now) / 1000000u) + 1 : 1000;
        if (stopping && ms > 5)
            ms = 5;                               /* re-check what has been captured */
        if (poll(pf, 2, ms) > 0 && (pf[1].revents & POLLIN)) {
            char buf[16];
            if (read(c->wake[0], buf, sizeof buf) < 0 && errno != EAGAIN)
                break;
        }
    }
    return NULL;
}

/* Compiles "port A or port B …" and installs it (c->lock held while the thread runs). */
static int set_filter(struct pcs_capture *c, struct pcs_diag *d)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    for (size_t i = 0; i < c->nports; i++)
        pcs_buf_printf(&b, "%sport %u", i ? " or " : "", c->ports[i]);
    struct bpf_program prog;
    int rc = 0;
    if (pcap_compile(c->h, &prog, pcs_buf_cstr(&b), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "capture filter '%s': %s", pcs_buf_cstr(&b),
                          pcap_geterr(c->h));
    } else {
        if (pcap_setfilter(c->h, &prog) != 0)
            rc = pcs_diag_set(d, PCS_ERR_IO, NULL, "capture filter: %s", pcap_geterr(c->h));
        pcap_freecode(&prog);
    }
    pcs_buf_free(&b);
    return rc;
}

/* Live handles are dear to open and close (the kernel sets a packet ring up and tears it
 * down: tens of milliseconds each way, more than a whole spec run), so a finished capture
 * parks its handle here for the next run in the process, with a filter that matches nothing
 * and nothing left in its ring. A process-wide cache, like the registries; parked handles are
 * closed by pcs_capture_shutdown (or the process's exit). */
#define POOL_MAX 16
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pcap_t *pool[POOL_MAX];
static size_t npool;

static pcap_t *pool_take(void)
{
    pthread_mutex_lock(&pool_lock);
    pcap_t *h = npool ? pool[--npool] : NULL;
    pthread_mutex_unlock(&pool_lock);
    return h;
}

static void discard(u_char *ud, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    (void)ud, (void)hdr, (void)bytes;
}

static void pool_put(pcap_t *h)
{
    struct bpf_program none;
    bool parked = false;
    if (pcap_compile(h, &none, "less 1", 1, PCAP_NETMASK_UNKNOWN) == 0) {
        bool quiet = pcap_setfilter(h, &none) == 0;
        pcap_freecode(&none);
        for (int i = 0; quiet && i < 1000 && pcap_dispatch(h, -1, discard, NULL) > 0; i++)
            ;   /* what the old filter let in before it went */
        pthread_mutex_lock(&pool_lock);
        if (quiet && npool < POOL_MAX) {
            pool[npool++] = h;
            parked = true;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    if (!parked)
        pcap_close(h);
}

void pcs_capture_shutdown(void)
{
    pthread_mutex_lock(&pool_lock);
    while (npool)
        pcap_close(pool[--npool]);
    pthread_mutex_unlock(&pool_lock);
}

/* A parked handle, or pcap_create + activate on "lo"; immediate mode so packets come as they
 * are sent. */
static int live_open(struct pcs_capture *c, struct pcs_diag *d)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    if ((c->h = pool_take()) != NULL) {
        if (pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
            pool_put(c->h);
            c->h = NULL;
            c->wake[0] = c->wake[1] = -1;
            return pcs_diag_set(d, PCS_ERR_IO, NULL, "live capture: pipe: %s", strerror(errno));
        }
        c->dlt = pcap_datalink(c->h);
        return 0;
    }
    c->h = pcap_create(LIVE_DEVICE, err);
    if (!c->h)
        return pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "live capture: %s", err);
    pcap_set_snaplen(c->h, (int)PCS_PCAPW_SNAPLEN);
    pcap_set_immediate_mode(c->h, 1);
    pcap_set_buffer_size(c->h, 4 << 20);
    int rc = pcap_activate(c->h);
    if (rc < 0 || pcap_setnonblock(c->h, 1, err) != 0 || pcap_get_selectable_fd(c->h) < 0 ||
        pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        pcs_diag_set(d, PCS_ERR_UNSUPPORTED, NULL, "live capture on %s: %s", LIVE_DEVICE,
                     rc < 0 ? pcap_statustostr(rc) : "cannot poll it");
        pcap_close(c->h);
        c->h = NULL;
        c->wake[0] = c->wake[1] = -1;
        return PCS_ERR_UNSUPPORTED;
    }
    c->dlt = pcap_datalink(c->h);
    return 0;
}

/* ---- open / close ---- */

int pcs_capture_open(struct pcs_capture **out, const char *dir, const char *spec_id,
                     enum pcs_capture_mode mode, struct pcs_diag *d)
{
    *out = NULL;
    enum pcs_capture_mode m = pcs_capture_resolve(mode);
    if (m == PCS_CAPTURE_OFF)
        return 0;
    if (dir && *dir && make_dirs(dir, d))
        return PCS_ERR_IO;
    struct pcs_capture *c = pcs_xcalloc(1, sizeof *c);
    c->wake[0] = c->wake[1] = -1;
    pthread_mutex_init(&c->lock, NULL);
    c->path = pcs_capture_path(dir, spec_id);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->mono0 = pcs_now();
    c->wall0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    int rc = 0;
    if (m == PCS_CAPTURE_LIVE && (rc = live_open(c, d)) != 0 && mode == PCS_CAPTURE_AUTO &&
        !getenv("PCS_CAPTURE")) {
        rc = 0;                                   /* AUTO: fall back to synthesized */
        pcs_diag_clear(d);
    }
    if (rc == 0) {
        c->mode = c->h ? PCS_CAPTURE_LIVE : PCS_CAPTURE_SYNTH;
        uint32_t lt = c->h ? (c->dlt == DLT_EN10MB ? PCS_PCAPW_ETHERNET
                              : c->dlt == DLT_RAW  ? PCS_PCAPW_RAW
                                                   : (uint32_t)c->dlt)
                           : PCS_PCAPW_ETHERNET;
        rc = pcs_pcapw_open(&c->w, c->path, lt, d);
    }
    if (rc) {
        c->finished = true;
        pcs_capture_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

enum pcs_capture_mode pcs_capture_mode(const struct pcs_capture *c)
{
    return c ? c->mode : PCS_CAPTURE_OFF;
}

const char *pcs_capture_file(const struct pcs_capture *c) { return c ? c->path : NULL; }

int pcs_capture_watch_port(struct pcs_capture *c, uint16_t port, struct pcs_diag *d)
{
    if (!c || c->finished || watched(c, port))
        return 0;
    if (c->nports == MAX_PORTS)
        return pcs_diag_set(d, PCS_ERR_INVALID, NULL, "capture: more than %d ports", MAX_PORTS);
    if (c->mode != PCS_CAPTURE_LIVE) {
        c->ports[c->nports++] = port;
        return 0;
    }
    pthread_mutex_lock(&c->lock);
    c->ports[c->nports++] = port;
    int rc = set_filter(c, d);
    pthread_mutex_unlock(&c->lock);
    if (rc == 0 && !c->running) {
        if (pthread_create(&c->thread, NULL, live_main, c) != 0)
            return pcs_diag_set(d, PCS_ERR_IO, NULL, "capture: cannot start a thread");
        c->running = true;
    }
    return rc;
}

/* Stops the thread once the capture holds everything reported, or DRAIN_NS have passed. */
static void live_stop(struct pcs_capture *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    c->drain_deadline = pcs_now() + DRAIN_NS;
    pthread_mutex_unlock(&c->lock);
    ssize_t wr = write(c->wake[1], "x", 1);
    (void)wr;
    pthread_join(c->thread, NULL);
    c->running = false;
}

const char *pcs_capture_finish(struct pcs_capture *c, struct pcs_diag *d)
{
    if (!c)
        return NULL;
    if (!c->finished) {
        c->finished = true;
        live_stop(c);
        if (c->h) {
            pool_put(c->h);
            c->h = NULL;
        }
        c->failed = pcs_pcapw_close(c->w, d) != 0;
        c->w = NULL;
    }
    return c->failed ? NULL : c->path;
}

void pcs_capture_free(struct pcs_capture *c)
{
    if (!c)
        return;
    pcs_capture_finish(c, NULL);
    for (int i = 0; i < 2; i++)
        if (c->wake[i] >= 0)
            close(c->wake[i]);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c->conns);
    free(c->refs);
    free(c->pkts);
    free(c->udp_flows);
    free(c->udp_counts);
    free(c);
}

/* ---- what the runner reports ---- */

static uint32_t add_ref(struct pcs_capture *c, const struct ref *r)
{
    pthread_mutex_lock(&c->lock);
    c->refs = pcs_xrealloc(c->refs, (c->nrefs + 1) * sizeof *c->refs);
    c->refs[c->nrefs++] = *r;
    uint32_t id = (uint32_t)c->nrefs;
    pthread_mutex_unlock(&c->lock);
    return id;
}

/* 127.0.0.1:port, for a side the runner could not name. */
static void loopback(struct sockaddr_storage *ss, uint16_t port)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s = (struct sockaddr_in *)ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

uint32_t pcs_capture_conn(struct pcs_capture *c, const struct sockaddr *client,
                          const struct sockaddr *server, pcs_time t)
{
    if (!c || c->finished)
        return 0;
    uint32_t id = (uint32_t)c->nconns + 1;
    struct sockaddr_storage cs, ss;
    if (!client)
        loopback(&cs, (uint16_t)(49152 + id % 16384));
    if (!server)
        loopback(&ss, c->nports ? c->ports[0] : 9);
    struct conn cn = {0};
    uint32_t isn = 0x10000000u + id * 0x01000193u;    /* deterministic, distinct per conn */
    if (pcs_pcapw_tcp_init(&cn.tcp, client ? client : (struct sockaddr *)&cs,
                           server ? server : (struct sockaddr *)&ss, isn, ~isn) != 0)
        return 0;
    pthread_mutex_lock(&c->lock);
    c->conns = pcs_xrealloc(c->conns, (c->nconns + 1) * sizeof *c->conns);
    c->conns[c->nconns++] = cn;
    pthread_mutex_unlock(&c->lock);
    if (c->mode == PCS_CAPTURE_SYNTH)
        pcs_pcapw_tcp_handshake(c->w, &c->conns[id - 1].tcp, wall_of(c, t));
    return id;
}

uint32_t pcs_capture_conn_fd(struct pcs_capture *c, int fd, bool fd_is_client, pcs_time t)
{
    if (!c)
        return 0;
    struct sockaddr_storage local, remote;
    socklen_t ll = sizeof local, rl = sizeof remote;
    if (getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
        getpeername(fd, (struct sockaddr *)&remote, &rl) != 0)
        return 0;
    struct sockaddr *l = (struct sockaddr *)&local, *r = (struct sockaddr *)&remote;
    return pcs_capture_conn(c, fd_is_client ? l : r, fd_is_client ? r : l, t);
}

uint32_t pcs_capture_data(struct pcs_capture *c, uint32_t conn, enum pcs_dir dir,
                          const uint8_t *p, size_t n, pcs_time t)
{
    if (!c || c->finished || conn == 0 || conn > c->nconns || n == 0 || (dir != PCS_DIR_C2S &&
                                                                         dir != PCS_DIR_S2C))
        return 0;
    struct conn *cn = &c->conns[conn - 1];
    if (cn->closed)
        return 0;
    if (c->mode == PCS_CAPTURE_SYNTH)
        return pcs_pcapw_tcp_data(c->w, &cn->tcp, dir, p, n, wall_of(c, t));
    pthread_mutex_lock(&c->lock);
    cn->bytes[dir] += n;
    struct ref r = {.conn = conn, .dir = dir, .end = cn->bytes[dir]};
    pthread_mutex_unlock(&c->lock);
    return add_ref(c, &r);
}

uint32_t pcs_capture_closed(struct pcs_capture *c, uint32_t conn, enum pcs_dir who, bool reset,
                            pcs_time t)
{
    if (!c || c->finished || conn == 0 || conn > c->nconns || (who != PCS_DIR_C2S &&
                                                               who != PCS_DIR_S2C))
        return 0;
    struct conn *cn = &c->conns[conn - 1];
    if (cn->closed)
        return 0;
    pthread_mutex_lock(&c->lock);
    cn->closed = true;
    cn->reset = reset;
    pthread_mutex_unlock(&c->lock);
    if (c->mode == PCS_CAPTURE_SYNTH)
        return pcs_pcapw_tcp_close(c->w, &cn->tcp, who, reset, wall_of(c, t));
    struct ref r = {.conn = conn, .dir = who, .close = true};
    return add_ref(c, &r);
}

static bool same_sockaddr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    size_t n = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    return a->ss_family == b->ss_family && memcmp(a, b, n) == 0;
}

uint32_t pcs_capture_datagram(struct pcs_capture *c, const struct sockaddr *from,
                              const struct sockaddr *to, const uint8_t *p, size_t n, pcs_time t)
{
    if (!c || c->finished || !from || !to)
        return 0;
    if (c->mode == PCS_CAPTURE_SYNTH)
        return pcs_pcapw_udp(c->w, from, to, p, n, wall_of(c, t));
    struct ref r = {.conn = 0};
    struct pcs_pcapw_tcp pair;                /* only to copy and check the two addresses */
    if (pcs_pcapw_tcp_init(&pair, from, to, 0, 0) != 0)
        return 0;
    r.from = pair.addr[0];
    r.to = pair.addr[1];
    size_t i;
    for (i = 0; i < c->nudp; i++)
        if (same_sockaddr(&c->udp_flows[2 * i], &r.from) &&
            same_sockaddr(&c->udp_flows[2 * i + 1], &r.to))
            break;
    if (i == c->nudp) {
        c->udp_flows = pcs_xrealloc(c->udp_flows, (c->nudp + 1) * 2 * sizeof *c->udp_flows);
        c->udp_counts = pcs_xrealloc(c->udp_counts, (c->nudp + 1) * sizeof *c->udp_counts);
        c->udp_flows[2 * i] = r.from;
        c->udp_flows[2 * i + 1] = r.to;
        c->udp_counts[c->nudp++] = 0;
    }
    r.end = c->udp_counts[i]++;
    return add_ref(c, &r);
}

/* ---- frame numbers ---- */

static uint32_t resolve_tcp(const struct pcs_capture *c, const struct ref *r)
{
    const struct conn *cn = &c->conns[r->conn - 1];
    int other = r->dir == PCS_DIR_C2S ? PCS_DIR_S2C : PCS_DIR_C2S;
    bool have_isn = false;
    uint32_t isn = 0;
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pkt *k = &c->pkts[i];
        if (k->proto != IPPROTO_TCP || !pkt_from(k, &cn->tcp.addr[r->dir], &cn->tcp.addr[other]))
            continue;
        if (k->flags & TH_SYN) {
            have_isn = true;
            isn = k->seq;
            continue;
        }
        if (r->close) {
            if (k->flags & (TH_FIN | TH_RST))
                return k->frame;
            continue;
        }
        uint64_t start = (uint32_t)(k->seq - isn - 1);
        if (have_isn && k->len && start < r->end && r->end <= start + k->len)
            return k->frame;
    }
    return 0;
}

static uint32_t resolve_udp(const struct pcs_capture *c, const struct ref *r)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < c->npkts; i++) {
        const struct pkt *k = &c->pkts[i];
        if (k->proto == IPPROTO_UDP && pkt_from(k, &r->from, &r->to) && seen++ == r->end)
            return k->frame;
    }
    return 0;
}

uint32_t pcs_capture_frame_no(const struct pcs_capture *c, uint32_t ref)
{
    if (!c || ref == 0)
        return 0;
    if (c->mode == PCS_CAPTURE_SYNTH)
        return ref;
    struct pcs_capture *m = (struct pcs_capture *)c;   /* the lock only */
    pthread_mutex_lock(&m->lock);
    uint32_t f = 0;
    if (ref <= c->nrefs)
        f = c->refs[ref - 1].conn ? resolve_tcp(c, &c->refs[ref - 1])
                                  : resolve_udp(c, &c->refs[ref - 1]);
    pthread_mutex_unlock(&m->lock);
    return f;
}
