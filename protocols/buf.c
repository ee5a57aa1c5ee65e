/* buf.c — growable byte buffer and the x-allocators that abort on out-of-memory. */
#include "buf.h"
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("pcs: out of memory\n", stderr);
    abort();
}

void *pcs_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *pcs_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *pcs_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *pcs_xstrdup(const char *s) { return pcs_xstrndup(s, strlen(s)); }

char *pcs_xstrndup(const char *s, size_t n)
{
    char *p = pcs_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pcs_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = pcs_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pcs_buf_init(struct pcs_buf *b) { memset(b, 0, sizeof *b); }

void pcs_buf_free(struct pcs_buf *b)
{
    free(b->data);
    pcs_buf_init(b);
}

void pcs_buf_reserve(struct pcs_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= extra)
        cap *= 2;
    b->data = pcs_xrealloc(b->data, cap);
    b->cap = cap;
}

void pcs_buf_append(struct pcs_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    pcs_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pcs_buf_putc(struct pcs_buf *b, uint8_t c) { pcs_buf_append(b, &c, 1); }

void pcs_buf_put_u16(struct pcs_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    pcs_buf_append(b, x, 2);
}

void pcs_buf_put_u32(struct pcs_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pcs_buf_append(b, x, 4);
}

void pcs_buf_printf(struct pcs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    pcs_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pcs_buf_consume(struct pcs_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

char *pcs_buf_cstr(struct pcs_buf *b)
{
    pcs_buf_reserve(b, 1);
    b->data[b->len] = 0;
    return (char *)b->data;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int pcs_buf_from_hex(struct pcs_buf *b, const char *hex, size_t *bad_at)
{
    int hi = -1;
    for (size_t i = 0; hex[i]; i++) {
        char c = hex[i];
        if (c == '#') {
            while (hex[i + 1] && hex[i + 1] != '\n')
                i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (hi >= 0)
                goto bad;
            continue;
        }
        int v = hexval(c);
        if (v < 0)
            goto bad;
        if (hi < 0) {
            hi = v;
        } else {
            pcs_buf_putc(b, (uint8_t)(hi << 4 | v));
            hi = -1;
        }
        continue;
    bad:
        if (bad_at)
            *bad_at = i;
        return PCS_ERR_INVALID;
    }
    if (hi >= 0) {
        if (bad_at)
            *bad_at = strlen(hex);
        return PCS_ERR_INVALID;
    }
    return 0;
}
