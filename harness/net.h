/* net.h — socket helpers for the harness (IPv4/IPv6 TCP on loopback or given addresses):
 * parse HOST:PORT, pick a free port, non-blocking connect and listen. Returned fds belong to
 * the caller. */
#ifndef PCS_NET_H
#define PCS_NET_H

#include <stdint.h>

#include "loop.h"

/* "127.0.0.1:1883", "[::1]:1883", "localhost:1883" → host (allocated) and port. 0 or -1. */
int pcs_net_parse_hostport(const char *s, char **host, uint16_t *port);
/* A port that was free a moment ago on 127.0.0.1, below the kernel's ephemeral range when it
 * can (bind, read it, close). */
uint16_t pcs_net_free_port(void);
/* Starts a non-blocking TCP connect; returns the fd (connection may still be in progress)
 * or a negative pcs_err. */
int pcs_net_connect(const char *host, uint16_t port);
/* 0 when a connection to host:port is accepted within timeout, else a negative pcs_err. */
int pcs_net_probe(const char *host, uint16_t port, pcs_time timeout);
/* Non-blocking listening socket on host:port (0 = any free port); *bound gets the port. */
int pcs_net_listen(const char *host, uint16_t port, uint16_t *bound);

#endif
