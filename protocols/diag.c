/* diag.c — pcs_err names and the pcs_diag filler. No allocation. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pcs_strerror(int code)
{
    switch (code) {
    case PCS_OK: return "success";
    case PCS_ERR_MALFORMED: return "malformed input";
    case PCS_ERR_INVALID: return "invalid value";
    case PCS_ERR_UNSUPPORTED: return "not supported";
    case PCS_ERR_IO: return "input/output error";
    case PCS_ERR_TIMEOUT: return "timed out";
    case PCS_ERR_CLOSED: return "connection closed";
    case PCS_ERR_NOTFOUND: return "not found";
    case PCS_ERR_NOMEM: return "out of memory";
    case PCS_ERR_INTERNAL: return "internal error";
    default: return "unknown error";
    }
}

int pcs_is_fatal(int code) { return code <= PCS_ERR_FATAL; }

int pcs_diag_set(struct pcs_diag *d, int code, const char *rule, const char *fmt, ...)
{
    if (!d)
        return code;
    d->code = code;
    snprintf(d->rule, sizeof d->rule, "%s", rule ? rule : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return code;
}

void pcs_diag_clear(struct pcs_diag *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}
