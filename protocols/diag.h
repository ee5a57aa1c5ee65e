/* diag.h — error codes and diagnostics shared by every layer of pcs.
 * A function that can fail returns 0 or a negative pcs_err and, when given one, fills a
 * pcs_diag: the error, the rule ID it breaks (if any) and a message "FRAME: what went wrong".
 * A pcs_diag owns no heap memory; it is a plain value that can be copied. */
#ifndef PCS_DIAG_H
#define PCS_DIAG_H

#include <stddef.h>

enum pcs_err {
    PCS_OK = 0,
    PCS_ERR_MALFORMED = -1,   /* bytes that break the protocol's encoding rules */
    PCS_ERR_INVALID = -2,     /* a value or argument that cannot be used (bad spec field, …) */
    PCS_ERR_UNSUPPORTED = -3, /* a feature this build or protocol version does not have */
    PCS_ERR_IO = -4,          /* a socket or file operation failed */
    PCS_ERR_TIMEOUT = -5,     /* a deadline passed */
    PCS_ERR_CLOSED = -6,      /* the peer closed the connection */
    PCS_ERR_NOTFOUND = -7,    /* a name that is not in a table */
    /* below this line: fatal, the run cannot go on */
    PCS_ERR_FATAL = -100,
    PCS_ERR_NOMEM = -101,
    PCS_ERR_INTERNAL = -102,
};

#define PCS_DIAG_RULE_MAX 48
#define PCS_DIAG_MSG_MAX 320

struct pcs_diag {
    int code;                         /* a pcs_err, 0 when nothing was reported */
    char rule[PCS_DIAG_RULE_MAX];     /* catalogue ID the problem breaks, "" if none */
    char msg[PCS_DIAG_MSG_MAX];       /* "CONNACK: reserved flags are 0x3, must be 0" */
    size_t offset;                    /* byte offset in the frame where it was seen, if known */
};

const char *pcs_strerror(int code);
int pcs_is_fatal(int code);

/* Fills d (when not NULL) and returns code, so callers can `return pcs_diag_set(...)`.
 * rule may be NULL. */
int pcs_diag_set(struct pcs_diag *d, int code, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void pcs_diag_clear(struct pcs_diag *d);

#endif
