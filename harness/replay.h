/* replay.h — `pcs replay FILE`: a capture read offline through the same decoders and
 * always-on checks as a live run. Two levels: pcs_replay_stream drives capture → packets →
 * flows → events into any callback (what spec re-evaluation builds on); pcs_replay_run is the
 * command: checks every frame, prints trace, violations and summary, writes JUnit/JSON (one
 * testcase per flow) and returns the exit code. Neither keeps anything after it returns. */
#ifndef PCS_REPLAY_H
#define PCS_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flows.h"
#include "pcapread.h"

/* What a stream went through. */
struct pcs_replay_stats {
    const char *format;        /* "pcap", "pcap-ns", "pcapng" */
    uint64_t packets;          /* records read */
    uint64_t bytes;            /* bytes captured (record data) */
    uint64_t file_bytes;       /* bytes of the file consumed */
    uint64_t tcp_udp;          /* records that dissected to TCP or UDP */
    pcs_time first, last;      /* capture time of the first and last record */
    double seconds;            /* wall time of the stream */
    uint64_t warn[PCS_PW_COUNT];   /* capture, packet and flow warnings together */
    struct pcs_flows_stats flows;
};

/* Reads every record of r, dissects it, feeds the flow table (configured by cfg, may be
 * NULL for defaults) and, at the end, closes every flow: fn gets each flow event in capture
 * order. Returns 0, or PCS_ERR_IO when reading fails midway (d filled; the events so far
 * were delivered and every flow was still closed). */
int pcs_replay_stream(struct pcs_pcapread *r, const struct pcs_flows_config *cfg,
                      pcs_flows_fn fn, void *ud, struct pcs_replay_stats *st,
                      struct pcs_diag *d);

struct pcs_replay_opts {
    const char *file;          /* the capture; its name is used in messages and reports */
    const uint8_t *mem;        /* when set: the capture's bytes (memlen) instead of file */
    size_t memlen;
    const struct pcs_flows_map *map;   /* --decode-as */
    size_t nmap;
    struct pcs_flows_config limits;    /* flow table bounds (zeros = defaults) */
    const char *rules_dir;     /* --rules DIR, else located from the current folder */
    bool no_rules;             /* don't load rules at all (fuzzing): levels unknown */
    bool quiet;                /* -q: only violations and the summary */
    bool tree;                 /* -V: every frame's full field tree */
    bool strict;               /* SHOULD-level violations fail too */
    bool color;
    const char *junit, *json;  /* report paths or NULL */
    FILE *out;                 /* stdout */
    FILE *err;                 /* stderr */
};

/* The `pcs replay` command. Returns 0 (no violation), 1 (violations), 2 (unreadable file,
 * bad magic, bad option) or 3 (internal: a report could not be written). */
int pcs_replay_run(const struct pcs_replay_opts *o);

#endif
