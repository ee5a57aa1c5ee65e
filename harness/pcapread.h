/* pcapread.h — reading captures: pcap (both byte orders, µs and ns) and pcapng records,
 * streamed through one bounded buffer, and the dissection of one record's link, IP and
 * TCP/UDP headers down to a transport payload. It does not reassemble streams (reasm.h) nor
 * know flows (flows.h). A reader owns its buffer; a record's bytes are borrowed until the next
 * call. Everything odd in a file is a counted warning (enum pcs_pcapread_warn), never a crash. */
#ifndef PCS_PCAPREAD_H
#define PCS_PCAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "loop.h"

/* Warnings counted by every layer of a replay (capture, packet, stream, flow). */
enum pcs_pcapread_warn {
    PCS_PW_TRUNCATED_FILE,   /* the file ends inside a record */
    PCS_PW_BAD_RECORD,       /* record/block length impossible: the rest of the file skipped */
    PCS_PW_OVERSIZED,        /* a record larger than pcs reads (PCS_PCAPREAD_MAX_REC): skipped */
    PCS_PW_SNAPLEN_CUT,      /* captured length < length on the wire */
    PCS_PW_ABSURD_TIME,      /* sub-second field out of range, time before the epoch, … */
    PCS_PW_BAD_INTERFACE,    /* pcapng packet naming an interface never described */
    PCS_PW_LINKTYPE,         /* a link type pcs does not dissect */
    PCS_PW_NON_IP,           /* ARP, LLDP, … */
    PCS_PW_BAD_IP,           /* bogus IPv4/IPv6 header or lengths */
    PCS_PW_FRAGMENT,         /* IP fragments (not reassembled: skipped) */
    PCS_PW_OTHER_L4,         /* neither TCP nor UDP (ICMP, SCTP, ESP, …) */
    PCS_PW_BAD_TCP,          /* bogus TCP header length or options */
    PCS_PW_BAD_UDP,          /* bogus UDP length */
    PCS_PW_GAP,              /* stream bytes never captured: that direction stops decoding */
    PCS_PW_MIDSTREAM,        /* a direction whose start was not captured and whose first bytes
                              * do not frame: not decoded */
    PCS_PW_BUDGET,           /* buffering bound reached: that direction stops decoding */
    PCS_PW_INCOMPLETE,       /* a direction ended inside a frame */
    PCS_PW_EVICTED,          /* a live flow dropped to stay within the flow limit */
    PCS_PW_UNDECODED,        /* flows with payload that no protocol claimed */
    PCS_PW_COUNT
};

const char *pcs_pcapread_warn_name(enum pcs_pcapread_warn w);   /* "snaplen-cut", … */

/* Largest record pcs reads (libpcap's own maximum snapshot length). */
#define PCS_PCAPREAD_MAX_REC (256u * 1024u)

/* Link types (LINKTYPE_* numbers of the pcap format). */
enum {
    PCS_LINK_NULL = 0,       /* BSD loopback, 4-byte family in the capturing host's order */
    PCS_LINK_ETHERNET = 1,
    PCS_LINK_RAW_BSD = 12,   /* DLT_RAW as some BSDs number it */
    PCS_LINK_RAW = 101,
    PCS_LINK_LOOP = 108,     /* OpenBSD loopback, family in network order */
    PCS_LINK_SLL = 113,
    PCS_LINK_IPV4 = 228,
    PCS_LINK_IPV6 = 229,
    PCS_LINK_SLL2 = 276,
};

/* One record. data is borrowed from the reader until the next pcs_pcapread_next. */
struct pcs_pcapread_packet {
    uint64_t no;             /* 1-based record number, as Wireshark counts frames */
    pcs_time t;              /* capture time, nanoseconds since the epoch */
    uint32_t caplen, len;    /* bytes captured, bytes on the wire */
    int linktype;
    const uint8_t *data;
};

struct pcs_pcapread;

/* Opens a file (streamed: the reader maps at most an 8 MiB window of a regular file, or holds
 * 1 MiB of a pipe's bytes, at a time). Returns 0, PCS_ERR_IO
 * ("file: No such file…") or PCS_ERR_MALFORMED ("file: not a pcap or pcapng file"). */
int pcs_pcapread_open(const char *path, struct pcs_pcapread **out, struct pcs_diag *d);
/* Reads a capture held in memory (borrowed until pcs_pcapread_free). Same returns. */
int pcs_pcapread_open_mem(const uint8_t *data, size_t len, struct pcs_pcapread **out,
                          struct pcs_diag *d);
void pcs_pcapread_free(struct pcs_pcapread *r);
/* Next record: 1 with p filled, 0 at the end of the capture, PCS_ERR_IO on a read error.
 * Broken records are counted in warn[] and skipped; a broken file ends early. */
int pcs_pcapread_next(struct pcs_pcapread *r, struct pcs_pcapread_packet *p, struct pcs_diag *d);
/* Warnings counted so far, indexed by enum pcs_pcapread_warn (PCS_PW_COUNT entries). */
const uint64_t *pcs_pcapread_warnings(const struct pcs_pcapread *r);
/* "pcap", "pcap-ns" or "pcapng", and bytes consumed so far. */
const char *pcs_pcapread_format(const struct pcs_pcapread *r);
uint64_t pcs_pcapread_offset(const struct pcs_pcapread *r);

/* A dissected TCP or UDP packet: addresses, ports, TCP sequence state and payload. */
struct pcs_pcapread_l4 {
    uint8_t family;          /* 4 or 6 */
    uint8_t proto;           /* 6 TCP, 17 UDP */
    uint8_t tcp_flags;       /* PCS_TCP_* */
    uint8_t src[16], dst[16];/* IPv4 uses the first 4 bytes, the rest is 0 */
    uint16_t sport, dport;
    uint32_t seq, ack;
    const uint8_t *payload;  /* borrowed from the record */
    uint32_t paylen;         /* payload bytes captured */
    uint32_t wirelen;        /* payload bytes on the wire (> paylen when snaplen-cut) */
};

#define PCS_TCP_FIN 0x01
#define PCS_TCP_SYN 0x02
#define PCS_TCP_RST 0x04
#define PCS_TCP_PSH 0x08
#define PCS_TCP_ACK 0x10

/* Dissects a record down to TCP/UDP. Returns -1 when it is TCP or UDP (out filled; a
 * snaplen-cut payload still returns -1 with paylen < wirelen), else the warning that says why
 * not (PCS_PW_NON_IP, PCS_PW_BAD_IP, …). Never reads past caplen. */
int pcs_pcapread_dissect(int linktype, const uint8_t *data, size_t caplen,
                         struct pcs_pcapread_l4 *out);

/* "10.0.0.1:1883" or "[2001:db8::1]:1883" into buf (at least 64 bytes). */
void pcs_pcapread_addr(uint8_t family, const uint8_t *addr, uint16_t port, char *buf,
                       size_t len);

#endif
