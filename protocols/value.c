/* value.c — pcs_value trees: construction, lookup, comparison and rendering (JSON, text).
 * Every function that returns a new value hands ownership to the caller. */
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pcs_value *mk(enum pcs_vtype t)
{
    struct pcs_value *v = pcs_xcalloc(1, sizeof *v);
    v->type = t;
    return v;
}

struct pcs_value *pcs_value_null(void) { return mk(PCS_V_NULL); }

struct pcs_value *pcs_value_bool(bool b)
{
    struct pcs_value *v = mk(PCS_V_BOOL);
    v->u.b = b;
    return v;
}

struct pcs_value *pcs_value_int(int64_t i)
{
    struct pcs_value *v = mk(PCS_V_INT);
    v->u.i = i;
    return v;
}

struct pcs_value *pcs_value_str(const char *s) { return pcs_value_strn(s, strlen(s)); }

struct pcs_value *pcs_value_strn(const char *s, size_t n)
{
    struct pcs_value *v = mk(PCS_V_STR);
    v->u.s.p = pcs_xstrndup(s, n);
    v->u.s.len = n;
    return v;
}

struct pcs_value *pcs_value_bytes(const void *p, size_t n)
{
    struct pcs_value *v = mk(PCS_V_BYTES);
    v->u.s.p = pcs_xstrndup(p ? p : "", n);
    v->u.s.len = n;
    return v;
}

struct pcs_value *pcs_value_list(void) { return mk(PCS_V_LIST); }
struct pcs_value *pcs_value_map(void) { return mk(PCS_V_MAP); }

void pcs_value_free(struct pcs_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case PCS_V_STR:
    case PCS_V_BYTES:
        free(v->u.s.p);
        break;
    case PCS_V_LIST:
    case PCS_V_MAP:
        for (size_t i = 0; i < v->u.c.n; i++) {
            pcs_value_free(v->u.c.items[i]);
            if (v->u.c.keys)
                free(v->u.c.keys[i]);
        }
        free(v->u.c.items);
        free(v->u.c.keys);
        break;
    default:
        break;
    }
    free(v);
}

struct pcs_value *pcs_value_clone(const struct pcs_value *v)
{
    if (!v)
        return NULL;
    struct pcs_value *c;
    switch (v->type) {
    case PCS_V_STR: c = pcs_value_strn(v->u.s.p, v->u.s.len); break;
    case PCS_V_BYTES: c = pcs_value_bytes(v->u.s.p, v->u.s.len); break;
    case PCS_V_LIST:
        c = pcs_value_list();
        for (size_t i = 0; i < v->u.c.n; i++)
            pcs_value_push(c, pcs_value_clone(v->u.c.items[i]));
        break;
    case PCS_V_MAP:
        c = pcs_value_map();
        for (size_t i = 0; i < v->u.c.n; i++)
            pcs_value_set(c, v->u.c.keys[i], pcs_value_clone(v->u.c.items[i]));
        break;
    default:
        c = mk(v->type);
        c->u = v->u;
        break;
    }
    c->line = v->line;
    c->col = v->col;
    c->frame_index = v->frame_index;
    return c;
}

bool pcs_value_equal(const struct pcs_value *a, const struct pcs_value *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case PCS_V_NULL: return true;
    case PCS_V_BOOL: return a->u.b == b->u.b;
    case PCS_V_INT: return a->u.i == b->u.i;
    case PCS_V_STR:
    case PCS_V_BYTES:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case PCS_V_LIST:
        if (a->u.c.n != b->u.c.n)
            return false;
        for (size_t i = 0; i < a->u.c.n; i++)
            if (!pcs_value_equal(a->u.c.items[i], b->u.c.items[i]))
                return false;
        return true;
    case PCS_V_MAP:
        if (a->u.c.n != b->u.c.n)
            return false;
        for (size_t i = 0; i < a->u.c.n; i++)
            if (!pcs_value_equal(a->u.c.items[i], pcs_value_get(b, a->u.c.keys[i])))
                return false;
        return true;
    }
    return false;
}

const char *pcs_value_type_name(enum pcs_vtype t)
{
    static const char *const names[] = {"null", "bool", "int", "string", "bytes", "list", "map"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

static void grow(struct pcs_value *c, bool keyed)
{
    if (c->u.c.n < c->u.c.cap)
        return;
    c->u.c.cap = c->u.c.cap ? c->u.c.cap * 2 : 4;
    c->u.c.items = pcs_xrealloc(c->u.c.items, c->u.c.cap * sizeof *c->u.c.items);
    if (keyed)
        c->u.c.keys = pcs_xrealloc(c->u.c.keys, c->u.c.cap * sizeof *c->u.c.keys);
}

void pcs_value_push(struct pcs_value *list, struct pcs_value *v)
{
    grow(list, false);
    list->u.c.items[list->u.c.n++] = v;
}

static long find_key(const struct pcs_value *map, const char *key)
{
    if (!map || map->type != PCS_V_MAP)
        return -1;
    for (size_t i = 0; i < map->u.c.n; i++)
        if (map->u.c.keys[i][0] == key[0] && strcmp(map->u.c.keys[i], key) == 0)
            return (long)i;
    return -1;
}

void pcs_value_set(struct pcs_value *map, const char *key, struct pcs_value *v)
{
    map->frame_index = 0;
    long i = find_key(map, key);
    if (i >= 0) {
        pcs_value_free(map->u.c.items[i]);
        map->u.c.items[i] = v;
        return;
    }
    grow(map, true);
    map->u.c.keys[map->u.c.n] = pcs_xstrdup(key);
    map->u.c.items[map->u.c.n++] = v;
}

struct pcs_value *pcs_value_get(const struct pcs_value *map, const char *key)
{
    long i = find_key(map, key);
    return i < 0 ? NULL : map->u.c.items[i];
}

struct pcs_value *pcs_value_take(struct pcs_value *map, const char *key)
{
    long i = find_key(map, key);
    if (i < 0)
        return NULL;
    struct pcs_value *v = map->u.c.items[i];
    map->frame_index = 0;
    free(map->u.c.keys[i]);
    size_t rest = map->u.c.n - (size_t)i - 1;
    memmove(&map->u.c.items[i], &map->u.c.items[i + 1], rest * sizeof *map->u.c.items);
    memmove(&map->u.c.keys[i], &map->u.c.keys[i + 1], rest * sizeof *map->u.c.keys);
    map->u.c.n--;
    return v;
}

struct pcs_value *pcs_value_path(const struct pcs_value *v, const char *path)
{
    char seg[128];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, path, n);
        seg[n] = 0;
        path += n + (path[n] == '.');
        if (v->type == PCS_V_MAP) {
            v = pcs_value_get(v, seg);
        } else if (v->type == PCS_V_LIST) {
            char *end;
            unsigned long idx = strtoul(seg, &end, 10);
            v = (*seg && !*end && idx < v->u.c.n) ? v->u.c.items[idx] : NULL;
        } else {
            return NULL;
        }
    }
    return (struct pcs_value *)v;
}

int64_t pcs_value_get_int(const struct pcs_value *map, const char *key, int64_t dflt)
{
    const struct pcs_value *v = pcs_value_get(map, key);
    if (v && v->type == PCS_V_INT)
        return v->u.i;
    if (v && v->type == PCS_V_BOOL)
        return v->u.b;
    return dflt;
}

bool pcs_value_get_bool(const struct pcs_value *map, const char *key, bool dflt)
{
    const struct pcs_value *v = pcs_value_get(map, key);
    if (v && v->type == PCS_V_BOOL)
        return v->u.b;
    if (v && v->type == PCS_V_INT)
        return v->u.i != 0;
    return dflt;
}

const char *pcs_value_get_str(const struct pcs_value *map, const char *key)
{
    const struct pcs_value *v = pcs_value_get(map, key);
    return v && v->type == PCS_V_STR ? v->u.s.p : NULL;
}

void pcs_json_string(struct pcs_buf *out, const char *s, size_t len)
{
    pcs_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': pcs_buf_append(out, "\\\"", 2); break;
        case '\\': pcs_buf_append(out, "\\\\", 2); break;
        case '\n': pcs_buf_append(out, "\\n", 2); break;
        case '\r': pcs_buf_append(out, "\\r", 2); break;
        case '\t': pcs_buf_append(out, "\\t", 2); break;
        default:
            if (c < 0x20 || c == 0x7f)
                pcs_buf_printf(out, "\\u%04x", c);
            else
                pcs_buf_putc(out, c);
        }
    }
    pcs_buf_putc(out, '"');
}

static void hex(struct pcs_buf *out, const char *p, size_t n, size_t max)
{
    for (size_t i = 0; i < n; i++) {
        if (max && i >= max) {
            pcs_buf_printf(out, "…(%zu bytes)", n);
            return;
        }
        pcs_buf_printf(out, "%02x", (unsigned char)p[i]);
    }
}

void pcs_value_to_json(const struct pcs_value *v, struct pcs_buf *out)
{
    if (!v) {
        pcs_buf_append(out, "null", 4);
        return;
    }
    switch (v->type) {
    case PCS_V_NULL: pcs_buf_append(out, "null", 4); break;
    case PCS_V_BOOL: pcs_buf_printf(out, "%s", v->u.b ? "true" : "false"); break;
    case PCS_V_INT: pcs_buf_printf(out, "%lld", (long long)v->u.i); break;
    case PCS_V_STR: pcs_json_string(out, v->u.s.p, v->u.s.len); break;
    case PCS_V_BYTES:
        pcs_buf_append(out, "\"hex:", 5);
        hex(out, v->u.s.p, v->u.s.len, 0);
        pcs_buf_putc(out, '"');
        break;
    case PCS_V_LIST:
    case PCS_V_MAP:
        pcs_buf_putc(out, v->type == PCS_V_MAP ? '{' : '[');
        for (size_t i = 0; i < v->u.c.n; i++) {
            if (i)
                pcs_buf_putc(out, ',');
            if (v->type == PCS_V_MAP) {
                pcs_json_string(out, v->u.c.keys[i], strlen(v->u.c.keys[i]));
                pcs_buf_putc(out, ':');
            }
            pcs_value_to_json(v->u.c.items[i], out);
        }
        pcs_buf_putc(out, v->type == PCS_V_MAP ? '}' : ']');
        break;
    }
}

static bool plain(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || strchr(",:{}[]\"'#", c))
            return false;
    }
    return s[0] != ' ' && s[n - 1] != ' ';
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static void text(const struct pcs_value *v, struct pcs_buf *out)
{
    switch (v->type) {
    case PCS_V_STR:
        if (plain(v->u.s.p, v->u.s.len))
            pcs_buf_append(out, v->u.s.p, v->u.s.len);
        else
            pcs_json_string(out, v->u.s.p, v->u.s.len);
        break;
    case PCS_V_BYTES:
        if (printable(v->u.s.p, v->u.s.len)) {   /* text payloads read as text */
            pcs_json_string(out, v->u.s.p, v->u.s.len);
            break;
        }
        pcs_buf_append(out, "0x", 2);
        hex(out, v->u.s.p, v->u.s.len, 32);
        break;
    case PCS_V_LIST:
    case PCS_V_MAP:
        pcs_buf_putc(out, v->type == PCS_V_MAP ? '{' : '[');
        for (size_t i = 0; i < v->u.c.n; i++) {
            if (i)
                pcs_buf_append(out, ", ", 2);
            if (v->type == PCS_V_MAP)
                pcs_buf_printf(out, "%s: ", v->u.c.keys[i]);
            text(v->u.c.items[i], out);
        }
        pcs_buf_putc(out, v->type == PCS_V_MAP ? '}' : ']');
        break;
    default:
        pcs_value_to_json(v, out);
    }
}

void pcs_value_to_text(const struct pcs_value *v, struct pcs_buf *out, size_t max_len)
{
    size_t start = out->len;
    if (!v)
        pcs_buf_append(out, "null", 4);
    else
        text(v, out);
    if (max_len && out->len - start > max_len) {
        out->len = start + max_len;
        /* do not cut a UTF-8 sequence in half */
        while (out->len > start && (out->data[out->len] & 0xc0) == 0x80)
            out->len--;
        pcs_buf_append(out, "…", strlen("…"));
    }
}
