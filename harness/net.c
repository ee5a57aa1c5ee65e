/* net.c — see net.h. Name resolution is numeric or "localhost" only: targets are local. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"

int pcs_net_parse_hostport(const char *s, char **host, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s, *he = colon;
    if (*h == '[') {
        if (he[-1] != ']')
            return -1;
        h++;
        he--;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || colon[1] == 0)
        return -1;
    *host = pcs_xstrndup(h, (size_t)(he - h));
    *port = (uint16_t)p;
    return 0;
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0)
        return PCS_ERR_INVALID;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* The lowest port the kernel hands out to outgoing connections (32768 unless configured). */
static unsigned ephemeral_low(void)
{
    unsigned lo = 32768, hi;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2)
            lo = 32768;
        fclose(f);
    }
    return lo;
}

uint16_t pcs_net_free_port(void)
{
    /* Below the ephemeral range, so that no outgoing connection takes the number as its own
     * port before the server binds it (a capture filtered on the port would then hold that
     * traffic too). Tries a bounded number of pseudo-random candidates, then any free port. */
    static unsigned counter;
    unsigned lo = ephemeral_low(), span = lo > 12000 ? 10000 : 0;
    unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)pcs_now();
    uint16_t port = 0;
    for (int i = 0; span && i < 32; i++) {
        unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        uint16_t want = (uint16_t)(lo - 1 - (seed + n * 40503u) % span);
        int fd = pcs_net_listen("127.0.0.1", want, &port);
        if (fd >= 0) {
            close(fd);
            return port;
        }
    }
    int fd = pcs_net_listen("127.0.0.1", 0, &port);
    if (fd >= 0)
        close(fd);
    return port;
}

int pcs_net_connect(const char *host, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (resolve(host, port, &ss, &len))
        return PCS_ERR_INVALID;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return PCS_ERR_IO;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        close(fd);
        return PCS_ERR_IO;
    }
    return fd;
}

int pcs_net_probe(const char *host, uint16_t port, pcs_time timeout)
{
    int fd = pcs_net_connect(host, port);
    if (fd < 0)
        return fd;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc = poll(&p, 1, (int)(timeout / 1000000));
    int err = 0;
    socklen_t el = sizeof err;
    if (rc == 1)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    close(fd);
    return rc == 1 && err == 0 ? 0 : PCS_ERR_IO;
}

int pcs_net_listen(const char *host, uint16_t port, uint16_t *bound)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (resolve(host, port, &ss, &len))
        return PCS_ERR_INVALID;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return PCS_ERR_IO;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        close(fd);
        return PCS_ERR_IO;
    }
    if (bound)
        *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}
