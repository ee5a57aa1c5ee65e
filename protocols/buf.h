/* buf.h — a growable byte buffer: what encoders write into and what connections read into.
 * The buffer owns `data`; pcs_buf_free releases it. Allocation failure aborts the process
 * (pcs is a command-line tool: there is nothing sensible to do without memory). */
#ifndef PCS_BUF_H
#define PCS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pcs_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void pcs_buf_init(struct pcs_buf *b);
void pcs_buf_free(struct pcs_buf *b);
void pcs_buf_reserve(struct pcs_buf *b, size_t extra);   /* room for `extra` more bytes */
void pcs_buf_append(struct pcs_buf *b, const void *p, size_t n);
void pcs_buf_putc(struct pcs_buf *b, uint8_t c);
void pcs_buf_put_u16(struct pcs_buf *b, uint16_t v);     /* big-endian */
void pcs_buf_put_u32(struct pcs_buf *b, uint32_t v);     /* big-endian */
void pcs_buf_printf(struct pcs_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pcs_buf_consume(struct pcs_buf *b, size_t n);       /* drop n bytes from the front */
char *pcs_buf_cstr(struct pcs_buf *b);                   /* NUL-terminates (not counted in len) */

/* Parses "c0 01 00" / "c00100" (spaces, newlines and '#' comments to end of line allowed).
 * Returns 0, or PCS_ERR_INVALID with *bad_at set to the offending character's index. */
int pcs_buf_from_hex(struct pcs_buf *b, const char *hex, size_t *bad_at);

void *pcs_xmalloc(size_t n);
void *pcs_xcalloc(size_t n, size_t size);
void *pcs_xrealloc(void *p, size_t n);
char *pcs_xstrdup(const char *s);
char *pcs_xstrndup(const char *s, size_t n);
char *pcs_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
