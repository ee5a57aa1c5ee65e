/* flows.h — the flow table of a replay: dissected TCP/UDP packets (pcapread.h) go in, keyed by
 * 5-tuple; each flow gets a client and a server side, a protocol (port, --decode-as or probe),
 * per-direction reassembly (reasm.h) and the protocol's codec state, and its frames come out
 * as events in capture order — the same decoder a live run uses. It runs no rule checks of its
 * own (pcs_flows_check is the helper for callers) and prints nothing. The table owns its flows,
 * their codec states and buffers; an event's frame may be taken by the callback. */
#ifndef PCS_FLOWS_H
#define PCS_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pcapread.h"
#include "protocol.h"
#include "reasm.h"

/* --decode-as PORT=PROTOCOL */
struct pcs_flows_map {
    uint16_t port;
    const struct pcs_protocol *proto;
};

struct pcs_flows_config {
    size_t max_flows;          /* flows held at once; the least recently active is evicted
                                * past it (0 = 16384) */
    size_t max_buffered;       /* bytes held by all flows: out-of-order + partial frames
                                * (0 = 24 MiB) */
    size_t max_dir;            /* bytes held per direction, hence the largest frame decoded
                                * (0 = 16 MiB) */
    unsigned max_segs;         /* out-of-order segments per direction (0 = 1024) */
    const struct pcs_flows_map *map;   /* borrowed; looked up before default ports */
    size_t nmap;
    bool no_probe;             /* don't guess the protocol of flows on unknown ports */
    const struct pcs_protocol *fallback;   /* decode flows on unknown ports as this (no probe) */
    const char *version;       /* codec version of every flow (NULL: learnt from the traffic) */
    bool no_values;            /* FRAME events carry the frame's type but no value (a caller
                                * that only counts and checks: decoding builds no tree) */
};

enum pcs_flow_ev_kind {
    PCS_FLOW_OPENED,           /* the flow's protocol is known: events follow */
    PCS_FLOW_FRAME,            /* a decoded frame */
    PCS_FLOW_MALFORMED,        /* bytes that do not decode (diag cites the rule); when framing
                                * itself failed the direction decodes no further */
    PCS_FLOW_GAP,              /* the direction decodes no further: bytes never captured, a
                                * buffering bound, or the stream ended inside a frame (warn) */
    PCS_FLOW_CLOSED,           /* the flow ended: diag.msg "fin", "reset", "evicted",
                                * "end of capture"; nothing follows for this flow */
    PCS_FLOW_FIN,              /* dir's side closed its half (diag.msg "fin") or reset the
                                * connection ("reset"); once per side, before CLOSED */
};

struct pcs_flow;

/* One event. Every OPENED flow gets exactly one CLOSED, last. */
struct pcs_flow_event {
    enum pcs_flow_ev_kind kind;
    struct pcs_flow *flow;
    enum pcs_dir dir;          /* FRAME, MALFORMED, GAP: the sending side */
    pcs_time t;                /* capture time of the packet that completed the event */
    uint64_t packet;           /* capture record number (1-based) where the frame ends */
    uint64_t frame_no;         /* FRAME/MALFORMED: 1-based, per flow, both directions */
    struct pcs_value *frame;   /* FRAME: owned by the table; the callback may take it (set
                                * it to NULL). NULL with no_values */
    int type;                  /* FRAME: index of its type in the protocol's frames, -1 unknown */
    struct pcs_diag diag;      /* MALFORMED: the decoder's; GAP/CLOSED: why */
    enum pcs_pcapread_warn warn;   /* GAP: PCS_PW_GAP, _BUDGET, _INCOMPLETE or _MIDSTREAM */
    const uint8_t *bytes;      /* FRAME/MALFORMED: the frame's bytes, borrowed for the call */
    size_t len;
};

typedef void (*pcs_flows_fn)(struct pcs_flow_event *ev, void *ud);

/* Per direction; private to flows.c. */
struct pcs_flow_dir {
    struct pcs_reasm r;
    struct pcs_buf pend;       /* bytes of a frame not complete yet (or held while probing) */
    bool ended;                /* decodes no further */
    bool probe;                /* start not captured: the first frame must prove the framing */
    bool fin_told;             /* a FIN event was emitted for this side */
};

struct pcs_flow {
    /* what a lookup reads comes first, in one cache line: key, hash, and the bucket chain */
    uint32_t hash;             /* private to flows.c */
    uint8_t family;            /* 4 or 6 */
    uint8_t l4;                /* 6 TCP, 17 UDP */
    uint16_t port[2];
    struct pcs_flow *hnext;    /* private to flows.c */
    uint8_t addr[2][16];       /* indexed by enum pcs_dir of the sender: [C2S] = client */
    uint64_t id;               /* 1-based, in order of first packet */
    const struct pcs_protocol *proto;  /* NULL while unknown or when undecoded */
    void *st;                  /* codec state (conn_state_size bytes), owned */
    pcs_time first, last;      /* capture times of the first and last packet that counts: */
    uint64_t packets, bytes;   /* one with bytes, SYN, FIN or RST (not a bare ACK); its bytes */
    uint64_t frames;           /* frames and malformed events */
    void *user;                /* the caller's (set on OPENED, release it on CLOSED) */
    /* private to flows.c */
    struct pcs_flow_dir d[2];
    uint8_t pstate;
    bool opened, closed;
    bool syn;                  /* TCP: its first captured packet was a SYN (seen from the start) */
    struct pcs_flow *lprev, *lnext;
    struct pcs_flows *ft;      /* the table it is in (for its check plans) */
};

struct pcs_flows_stats {
    uint64_t flows;            /* flows seen */
    uint64_t decoded;          /* flows OPENED */
    uint64_t frames, malformed;
    size_t live, peak_live;    /* flows held now / at most */
    uint64_t warn[PCS_PW_COUNT];
};

struct pcs_flows;

struct pcs_flows *pcs_flows_new(const struct pcs_flows_config *cfg, pcs_flows_fn fn, void *ud);
/* Frees every flow without further events (call pcs_flows_finish first for them). */
void pcs_flows_free(struct pcs_flows *ft);
/* One dissected packet with its capture time and record number; events follow from it. */
void pcs_flows_packet(struct pcs_flows *ft, const struct pcs_pcapread_l4 *pkt, pcs_time t,
                      uint64_t packet);
/* End of capture: every flow still held ends (GAP where bytes are missing, then CLOSED
 * "end of capture"), in flow id order. */
void pcs_flows_finish(struct pcs_flows *ft, pcs_time t, uint64_t packet);
const struct pcs_flows_stats *pcs_flows_stats(const struct pcs_flows *ft);

/* The flow's protocol version index (learnt from its traffic), or -1. */
int pcs_flow_version(const struct pcs_flow *f);

/* Runs the always-on checks of the flow's protocol that apply to the frame of a FRAME event
 * (frame: its value, NULL with no_values), sent in dir in the flow's version (with an
 * unknown version: only version-independent checks), as a live run does. Call it from the
 * event's callback: the checks read what decoding that frame left in the flow's state.
 * Calls fn for each violation (d->rule names the rule broken); returns how many there were. */
typedef void (*pcs_flows_check_fn)(void *ud, const struct pcs_check *c, const struct pcs_diag *d);
unsigned pcs_flows_check(const struct pcs_flow *f, enum pcs_dir dir,
                         const struct pcs_value *frame, pcs_flows_check_fn fn, void *ud);

/* "8883=mqtt" → map. Returns 0 or PCS_ERR_INVALID with d filled. */
int pcs_flows_parse_map(const char *arg, struct pcs_flows_map *out, struct pcs_diag *d);

#endif
