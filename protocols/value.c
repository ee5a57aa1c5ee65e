/* value.c — pcs_value trees: construction, lookup, comparison and rendering (JSON, text), and
 * the arena that a decoded frame's tree lives in. Every function that returns a new value hands
 * ownership to the caller.
 *
 *   arena   chunk 1: [header: next, cur, cap, used] [root map] [nodes, arrays, strings ...]
 *           chunk 2…: [header] [...]        (chained from chunk 1 when it is full)
 *
 * A node in an arena (PCS_VF_ARENA) is never freed by itself, nor are its string bytes or
 * arrays unless they moved to the heap (PCS_VF_HEAP_ARRAYS: then its keys are owned too); the
 * root (PCS_VF_ROOT) frees every chunk. */
#include "value.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCS_VF_ARENA 1u        /* the node lives in an arena */
#define PCS_VF_ROOT 2u         /* ... and is the root that owns it */
#define PCS_VF_HEAP_ARRAYS 4u  /* an arena container whose items/keys were moved to the heap */

struct chunk {
    struct chunk *next, *cur;  /* cur: the chunk being filled (first chunk only) */
    size_t cap, used;
    max_align_t data[];
};

#define ALIGN(n) (((n) + 15) & ~(size_t)15)
#define CHUNK_BYTES 4096       /* the usual chunk: one size, so the allocator reuses it */
#define SMALL_CHUNK_BYTES 1024 /* a small frame's: within malloc's per-thread cache sizes */

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

/* ---- the arena ---- */

static struct chunk *root_chunk(const struct pcs_value *root)
{
    return (struct chunk *)(void *)((char *)root - offsetof(struct chunk, data));
}

static void *arena_alloc(struct pcs_value *root, size_t n)
{
    struct chunk *first = root_chunk(root), *c = first->cur;
    n = ALIGN(n);
    if (c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES - sizeof *c ? n : CHUNK_BYTES - sizeof *c;
        struct chunk *k = pcs_xmalloc(sizeof *k + cap);
        k->next = NULL;
        k->cap = cap;
        k->used = 0;
        c->next = k;
        first->cur = c = k;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

struct pcs_value *pcs_value_tree(size_t hint)
{
    /* the root, a typical frame's nodes and arrays, and its strings: one chunk in most cases */
    size_t cap = ALIGN(sizeof(struct pcs_value)) + 1024 + ALIGN(hint + 64);
    if (hint <= 64)            /* an acknowledgement, a ping: small enough for a quick size */
        cap = SMALL_CHUNK_BYTES - sizeof(struct chunk);
    else if (cap < CHUNK_BYTES - sizeof(struct chunk))
        cap = CHUNK_BYTES - sizeof(struct chunk);
    struct chunk *c = pcs_xmalloc(sizeof *c + cap);
    c->next = NULL;
    c->cur = c;
    c->cap = cap;
    c->used = ALIGN(sizeof(struct pcs_value));
    struct pcs_value *root = (struct pcs_value *)(void *)c->data;
    memset(root, 0, sizeof *root);
    root->type = PCS_V_MAP;
    root->flags = PCS_VF_ARENA | PCS_VF_ROOT;
    return root;
}

static struct pcs_value *tree_mk(struct pcs_value *root, enum pcs_vtype t)
{
    struct pcs_value *v = arena_alloc(root, sizeof *v);
    memset(v, 0, sizeof *v);
    v->type = t;
    v->flags = PCS_VF_ARENA;
    return v;
}

struct pcs_value *pcs_tree_int(struct pcs_value *root, int64_t i)
{
    struct pcs_value *v = tree_mk(root, PCS_V_INT);
    v->u.i = i;
    return v;
}

struct pcs_value *pcs_tree_bool(struct pcs_value *root, bool b)
{
    struct pcs_value *v = tree_mk(root, PCS_V_BOOL);
    v->u.b = b;
    return v;
}

static struct pcs_value *tree_copy(struct pcs_value *root, enum pcs_vtype t, const void *p,
                                   size_t n)
{
    struct pcs_value *v = tree_mk(root, t);
    char *s = arena_alloc(root, n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = 0;
    v->u.s.p = s;
    v->u.s.len = n;
    return v;
}

struct pcs_value *pcs_tree_strn(struct pcs_value *root, const char *s, size_t n)
{
    return tree_copy(root, PCS_V_STR, s, n);
}

struct pcs_value *pcs_tree_bytes(struct pcs_value *root, const void *p, size_t n)
{
    return tree_copy(root, PCS_V_BYTES, p, n);
}

struct pcs_value *pcs_tree_lit(struct pcs_value *root, const char *s)
{
    struct pcs_value *v = tree_mk(root, PCS_V_STR);
    v->u.s.p = (char *)s;      /* borrowed: never written, never freed */
    v->u.s.len = strlen(s);
    return v;
}

struct pcs_value *pcs_tree_list(struct pcs_value *root) { return tree_mk(root, PCS_V_LIST); }
struct pcs_value *pcs_tree_map(struct pcs_value *root) { return tree_mk(root, PCS_V_MAP); }

/* Room for one more entry in a container of the tree, in the arena while it stays there. */
static void tree_grow(struct pcs_value *root, struct pcs_value *c, bool keyed)
{
    if (c->u.c.n < c->u.c.cap)
        return;
    if (c->flags & PCS_VF_HEAP_ARRAYS) {   /* changed by someone else since: heap rules */
        c->u.c.cap *= 2;
        c->u.c.items = pcs_xrealloc(c->u.c.items, c->u.c.cap * sizeof *c->u.c.items);
        if (keyed)
            c->u.c.keys = pcs_xrealloc(c->u.c.keys, c->u.c.cap * sizeof *c->u.c.keys);
        return;
    }
    size_t cap = c->u.c.cap ? c->u.c.cap * 2 : c == root ? 16 : 4;
    struct pcs_value **items = arena_alloc(root, cap * sizeof *items);
    if (c->u.c.n)
        memcpy(items, c->u.c.items, c->u.c.n * sizeof *items);
    c->u.c.items = items;
    if (keyed) {
        char **keys = arena_alloc(root, cap * sizeof *keys);
        if (c->u.c.n)
            memcpy(keys, c->u.c.keys, c->u.c.n * sizeof *keys);
        c->u.c.keys = keys;
    }
    c->u.c.cap = cap;
}

void pcs_tree_set(struct pcs_value *root, struct pcs_value *map, const char *key,
                  struct pcs_value *v)
{
    tree_grow(root, map, true);
    map->u.c.keys[map->u.c.n] =
        map->flags & PCS_VF_HEAP_ARRAYS ? pcs_xstrdup(key) : (char *)key;
    map->u.c.items[map->u.c.n++] = v;
}

void pcs_tree_push(struct pcs_value *root, struct pcs_value *list, struct pcs_value *v)
{
    tree_grow(root, list, false);
    list->u.c.items[list->u.c.n++] = v;
}

/* An arena container about to change shape: its arrays (and keys) move to the heap. */
static void own_arrays(struct pcs_value *c)
{
    if (!(c->flags & PCS_VF_ARENA) || (c->flags & PCS_VF_HEAP_ARRAYS))
        return;
    size_t cap = c->u.c.n ? c->u.c.n * 2 : 4;
    struct pcs_value **items = pcs_xmalloc(cap * sizeof *items);
    if (c->u.c.n)
        memcpy(items, c->u.c.items, c->u.c.n * sizeof *items);
    c->u.c.items = items;
    if (c->type == PCS_V_MAP) {
        char **keys = pcs_xmalloc(cap * sizeof *keys);
        for (size_t i = 0; i < c->u.c.n; i++)
            keys[i] = pcs_xstrdup(c->u.c.keys[i]);
        c->u.c.keys = keys;
    }
    c->u.c.cap = cap;
    c->flags |= PCS_VF_HEAP_ARRAYS;
}

void pcs_value_free(struct pcs_value *v)
{
    if (!v)
        return;
    bool arena = v->flags & PCS_VF_ARENA, arrays = !arena || (v->flags & PCS_VF_HEAP_ARRAYS);
    switch (v->type) {
    case PCS_V_STR:
    case PCS_V_BYTES:
        if (!arena)
            free(v->u.s.p);
        break;
    case PCS_V_LIST:
    case PCS_V_MAP:
        for (size_t i = 0; i < v->u.c.n; i++) {
            const struct pcs_value *x = v->u.c.items[i];
            /* most of a decoded tree: leaves in the arena, nothing to release */
            if (!(x->flags & PCS_VF_ARENA) || x->type == PCS_V_LIST || x->type == PCS_V_MAP)
                pcs_value_free(v->u.c.items[i]);
            if (arrays && v->u.c.keys)
                free(v->u.c.keys[i]);
        }
        if (arrays) {
            free(v->u.c.items);
            free(v->u.c.keys);
        }
        break;
    default:
        break;
    }
    if (v->flags & PCS_VF_ROOT) {
        for (struct chunk *c = root_chunk(v), *next; c; c = next) {
            next = c->next;
            free(c);
        }
    } else if (!arena) {
        free(v);
    }
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
    own_arrays(c);
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

void pcs_value_reverse(struct pcs_value *list)
{
    if (!list || list->type != PCS_V_LIST)
        return;
    for (size_t i = 0, j = list->u.c.n ? list->u.c.n - 1 : 0; i < j; i++, j--) {
        struct pcs_value *t = list->u.c.items[i];
        list->u.c.items[i] = list->u.c.items[j];
        list->u.c.items[j] = t;
    }
}

/* Keys are short: a loop beats a call. */
static bool key_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static long find_key(const struct pcs_value *map, const char *key)
{
    if (!map || map->type != PCS_V_MAP)
        return -1;
    /* a decoder's keys are the very literals its readers pass: pointers first, bytes after */
    for (size_t i = 0; i < map->u.c.n; i++)
        if (map->u.c.keys[i] == key)
            return (long)i;
    for (size_t i = 0; i < map->u.c.n; i++)
        if (key_eq(map->u.c.keys[i], key))
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
    own_arrays(map);
    struct pcs_value *v = map->u.c.items[i];
    map->frame_index = 0;
    free(map->u.c.keys[i]);
    size_t rest = map->u.c.n - (size_t)i - 1;
    memmove(&map->u.c.items[i], &map->u.c.items[i + 1], rest * sizeof *map->u.c.items);
    memmove(&map->u.c.keys[i], &map->u.c.keys[i + 1], rest * sizeof *map->u.c.keys);
    map->u.c.n--;
    if ((v->flags & (PCS_VF_ARENA | PCS_VF_ROOT)) == PCS_VF_ARENA) {   /* a value of its own */
        struct pcs_value *c = pcs_value_clone(v);
        pcs_value_free(v);           /* what was added to it later */
        return c;
    }
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
