/* loop.c — poll(2)-based loop with deadlines; see loop.h. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

struct watch {
    int fd;
    short events;
    pcs_io_fn fn;
    void *ud;
};

struct pcs_loop {
    struct watch *w;
    size_t n, cap;
    struct pollfd *pfd;
};

pcs_time pcs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (pcs_time)ts.tv_sec * 1000000000ull + (pcs_time)ts.tv_nsec;
}

struct pcs_loop *pcs_loop_new(void) { return pcs_xcalloc(1, sizeof(struct pcs_loop)); }

void pcs_loop_free(struct pcs_loop *l)
{
    if (!l)
        return;
    free(l->w);
    free(l->pfd);
    free(l);
}

void pcs_loop_watch(struct pcs_loop *l, int fd, short events, pcs_io_fn fn, void *ud)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->w[i].fd == fd) {
            l->w[i] = (struct watch){fd, events, fn, ud};
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->w = pcs_xrealloc(l->w, l->cap * sizeof *l->w);
        l->pfd = pcs_xrealloc(l->pfd, l->cap * sizeof *l->pfd);
    }
    l->w[l->n++] = (struct watch){fd, events, fn, ud};
}

void pcs_loop_unwatch(struct pcs_loop *l, int fd)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->w[i].fd == fd) {
            l->w[i] = l->w[--l->n];
            return;
        }
}

int pcs_loop_run_once(struct pcs_loop *l, pcs_time deadline)
{
    pcs_time now = pcs_now();
    int timeout = 0;
    if (deadline > now) {
        pcs_time ms = (deadline - now + 999999) / 1000000;
        timeout = ms > 60000 ? 60000 : (int)ms;
    }
    if (l->n == 0 && timeout == 0)
        return -1;
    size_t n = l->n;
    for (size_t i = 0; i < n; i++)
        l->pfd[i] = (struct pollfd){.fd = l->w[i].fd, .events = l->w[i].events};
    int r = poll(l->pfd, n, timeout);
    if (r <= 0)
        return 0;   /* timeout, or EINTR: the caller re-checks its deadline */
    /* Callbacks may watch/unwatch: look each ready fd up again before calling it. */
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (!l->pfd[i].revents)
            continue;
        for (size_t j = 0; j < l->n; j++)
            if (l->w[j].fd == l->pfd[i].fd) {
                struct watch w = l->w[j];
                w.fn(l, w.fd, l->pfd[i].revents, w.ud);
                ran++;
                break;
            }
    }
    return ran;
}
