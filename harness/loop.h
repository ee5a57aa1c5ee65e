/* loop.h — the tiny event loop of a spec run: watch fds, wait until the nearest deadline.
 * One loop per spec run (so -j N runs share nothing); poll(2) underneath. Time is a separate
 * monotonic type (nanoseconds); nothing here sleeps without a deadline. The loop owns only its
 * watch table, never the fds. */
#ifndef PCS_LOOP_H
#define PCS_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t pcs_time;               /* monotonic nanoseconds */
#define PCS_MS(x) ((pcs_time)(x) * 1000000ull)
#define PCS_SEC(x) ((pcs_time)(x) * 1000000000ull)

pcs_time pcs_now(void);

struct pcs_loop;
/* Called with the poll revents of fd. */
typedef void (*pcs_io_fn)(struct pcs_loop *l, int fd, short revents, void *ud);

struct pcs_loop *pcs_loop_new(void);
void pcs_loop_free(struct pcs_loop *l);
/* Watches fd for events (POLLIN/POLLOUT); replaces an earlier watch of the same fd. */
void pcs_loop_watch(struct pcs_loop *l, int fd, short events, pcs_io_fn fn, void *ud);
void pcs_loop_unwatch(struct pcs_loop *l, int fd);
/* Waits until some watched fd is ready or `deadline` passes, then runs the callbacks once.
 * Returns the number of callbacks run (0 = deadline passed), or -1 when nothing is watched
 * and the deadline has passed. */
int pcs_loop_run_once(struct pcs_loop *l, pcs_time deadline);

#endif
