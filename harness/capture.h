/* capture.h — the pcap of one spec run, <dir>/<spec id with '/' → '-'>.pcap. LIVE: libpcap on
 * "lo" in a thread of its own, filtered to the run's ports. SYNTH: packets built by pcapw from
 * the bytes the runner reports. Either way the runner reports connections, bytes and closes,
 * and gets back frame refs that resolve to frame numbers of the file.
 * It does not decode protocols. A capture owns its path, pcap handle, thread and tables. */
#ifndef PCS_CAPTURE_H
#define PCS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "loop.h"
#include "protocol.h"

enum pcs_capture_mode {
    PCS_CAPTURE_AUTO = 0,   /* $PCS_CAPTURE (live|synth|off) if set, else live when permitted,
                             * else synth */
    PCS_CAPTURE_LIVE,
    PCS_CAPTURE_SYNTH,
    PCS_CAPTURE_OFF,
};

/* Root or CAP_NET_RAW: opens and activates "lo" once per process and remembers the answer. */
bool pcs_capture_live_permitted(void);
/* The mode `mode` stands for in this process (AUTO resolved as above; others unchanged). */
enum pcs_capture_mode pcs_capture_resolve(enum pcs_capture_mode mode);
/* The line to print once per process when `mode` falls back to synthesized captures because
 * live capture is not permitted, else NULL. */
const char *pcs_capture_mode_notice(enum pcs_capture_mode mode);
/* "<dir>/<spec id with '/' and unsafe characters replaced by '-'>.pcap" (caller frees). */
char *pcs_capture_path(const char *dir, const char *spec_id);

struct pcs_capture;

/* Creates dir (and parents) and the pcap file. OFF (also via $PCS_CAPTURE=off) gives 0 and
 * *out = NULL; every function below accepts c == NULL and does nothing. LIVE fails with
 * PCS_ERR_UNSUPPORTED when libpcap cannot open "lo"; AUTO then falls back to SYNTH.
 * Returns 0, PCS_ERR_IO (folder or file cannot be written) or PCS_ERR_UNSUPPORTED. */
int pcs_capture_open(struct pcs_capture **out, const char *dir, const char *spec_id,
                     enum pcs_capture_mode mode, struct pcs_diag *d);
enum pcs_capture_mode pcs_capture_mode(const struct pcs_capture *c);   /* LIVE, SYNTH or OFF */
const char *pcs_capture_file(const struct pcs_capture *c);            /* the path, or NULL */

/* LIVE: captures tcp/udp traffic to or from port (the target's server port, every port a
 * peer listens on). Call before the traffic starts; the first call starts the capture thread,
 * later calls widen the filter. SYNTH: remembered only. Returns 0 or PCS_ERR_IO. */
int pcs_capture_watch_port(struct pcs_capture *c, uint16_t port, struct pcs_diag *d);

/* A TCP connection opened (client → server). SYNTH writes SYN, SYN-ACK, ACK at time t.
 * Returns the connection id (1-based; 0 when c is NULL or the addresses are unusable). */
uint32_t pcs_capture_conn(struct pcs_capture *c, const struct sockaddr *client,
                          const struct sockaddr *server, pcs_time t);
/* The same from a connected socket: getsockname/getpeername; fd_is_client says which end. */
uint32_t pcs_capture_conn_fd(struct pcs_capture *c, int fd, bool fd_is_client, pcs_time t);
/* The next n bytes of connection conn in direction dir (SYNTH: PSH-ACK segments of at most
 * 65000 bytes). Report every byte in stream order: LIVE finds the frames by stream offset.
 * Returns a frame ref (0 = none) for pcs_capture_frame_no. */
uint32_t pcs_capture_data(struct pcs_capture *c, uint32_t conn, enum pcs_dir dir,
                          const uint8_t *p, size_t n, pcs_time t);
/* Side `who` closed (FIN exchange) or reset (RST) the connection. Later data is dropped.
 * Returns a frame ref of who's FIN or RST (0 = none). */
uint32_t pcs_capture_closed(struct pcs_capture *c, uint32_t conn, enum pcs_dir who, bool reset,
                            pcs_time t);
/* One UDP datagram. Returns a frame ref (0 = none). */
uint32_t pcs_capture_datagram(struct pcs_capture *c, const struct sockaddr *from,
                              const struct sockaddr *to, const uint8_t *p, size_t n, pcs_time t);

/* Ends the capture: LIVE stops the thread once every reported byte and close has been seen
 * (or 50 ms have passed), then closes the file. Returns the path (owned by c) or NULL when
 * there is none or writing failed (d says why). Calling it again returns the same. */
const char *pcs_capture_finish(struct pcs_capture *c, struct pcs_diag *d);
/* The 1-based frame number in the file that a ref stands for: the packet carrying the last
 * byte of the reported chunk (or the FIN/RST of a close), 0 when unknown. SYNTH: known at once (ref == frame number).
 * LIVE: final after pcs_capture_finish (O(packets) per call). */
uint32_t pcs_capture_frame_no(const struct pcs_capture *c, uint32_t ref);
void pcs_capture_free(struct pcs_capture *c);
/* Closes the live capture handles finished captures keep for reuse (end of a run). */
void pcs_capture_shutdown(void);    /* finishes first if needed */

#endif
