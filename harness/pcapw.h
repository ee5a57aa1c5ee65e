/* pcapw.h — a small pcap file writer: the classic libpcap format (microsecond timestamps),
 * raw records as they come, and synthesized Ethernet + IPv4/IPv6 + TCP/UDP packets built from
 * a conversation's bytes (handshake, data segments, FIN/RST) with valid checksums, sequence and
 * acknowledgement numbers. It does no capturing and reads no clock: times are arguments.
 * The writer owns its FILE; a pcs_pcapw_tcp is a plain value owned by its caller. */
#ifndef PCS_PCAPW_H
#define PCS_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "protocol.h"

#define PCS_PCAPW_ETHERNET 1u       /* LINKTYPE_ETHERNET: what libpcap gives on Linux "lo" */
#define PCS_PCAPW_RAW 101u          /* LINKTYPE_RAW: IPv4/IPv6 with no link header */
#define PCS_PCAPW_SNAPLEN 262144u
#define PCS_PCAPW_MAX_SEGMENT 65000u /* larger data is split into several segments */

struct pcs_pcapw;

/* Creates (truncates) path and writes the global header. Returns 0 or PCS_ERR_IO with d
 * filled (the folder must exist). */
int pcs_pcapw_open(struct pcs_pcapw **out, const char *path, uint32_t linktype,
                   struct pcs_diag *d);
/* Flushes, closes and frees w. Returns 0, or PCS_ERR_IO when some write failed. */
int pcs_pcapw_close(struct pcs_pcapw *w, struct pcs_diag *d);
/* Appends one record: wall-clock time in ns since the epoch, caplen bytes captured of a
 * packet that had origlen bytes. Returns its frame number (1-based), 0 on a write error. */
uint32_t pcs_pcapw_record(struct pcs_pcapw *w, uint64_t wall_ns, const uint8_t *p, size_t caplen,
                          size_t origlen);
uint32_t pcs_pcapw_frames(const struct pcs_pcapw *w);   /* records written so far */
uint32_t pcs_pcapw_linktype(const struct pcs_pcapw *w);

/* One synthesized TCP connection. Index [PCS_DIR_C2S] is the client's side, [PCS_DIR_S2C] the
 * server's: its address, the next sequence number it will send, its IP id counter. */
struct pcs_pcapw_tcp {
    struct sockaddr_storage addr[2];
    uint32_t seq[2];
    uint16_t ip_id[2];
    bool fin[2];                     /* that side sent FIN */
    bool closed;                     /* FIN exchange done or RST sent: nothing more is written */
};

/* Fills t for client → server with the given initial sequence numbers. Both addresses must be
 * AF_INET or both AF_INET6, else PCS_ERR_INVALID. Writes nothing. */
int pcs_pcapw_tcp_init(struct pcs_pcapw_tcp *t, const struct sockaddr *client,
                       const struct sockaddr *server, uint32_t isn_client, uint32_t isn_server);
/* SYN, SYN-ACK, ACK. Returns the frame number of the last one (0 on a write error). */
uint32_t pcs_pcapw_tcp_handshake(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, uint64_t wall_ns);
/* PSH-ACK segments from side `dir` carrying p[0..n), at most PCS_PCAPW_MAX_SEGMENT bytes each.
 * Returns the frame number of the segment carrying the last byte (0: n == 0, closed, error). */
uint32_t pcs_pcapw_tcp_data(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, enum pcs_dir dir,
                            const uint8_t *p, size_t n, uint64_t wall_ns);
/* Side `who` ends the connection: reset → one RST-ACK; else FIN-ACK, the other side's FIN-ACK,
 * and the final ACK. Returns the frame number of who's RST or FIN (0 when already closed). */
uint32_t pcs_pcapw_tcp_close(struct pcs_pcapw *w, struct pcs_pcapw_tcp *t, enum pcs_dir who,
                             bool reset, uint64_t wall_ns);

/* One UDP datagram from → to (same family). Payloads above 65000 bytes are truncated to it.
 * Returns its frame number, 0 on a family mismatch or write error. */
uint32_t pcs_pcapw_udp(struct pcs_pcapw *w, const struct sockaddr *from, const struct sockaddr *to,
                       const uint8_t *p, size_t n, uint64_t wall_ns);

/* The Internet checksum (RFC 1071) of p[0..n) added to a running sum; fold with
 * pcs_pcapw_csum_fold. Only the last piece summed may have an odd length. */
uint32_t pcs_pcapw_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t pcs_pcapw_csum_fold(uint32_t sum);

#endif
