/* yaml_load.c — libyaml's event stream folded into a pcs_value tree with source positions.
 * It types plain scalars (yaml_load.h) and rejects what specs should not use (duplicate keys,
 * anchors, aliases, tags other than !!str, several documents); it knows nothing of specs.
 * The tree and the key-position table it returns belong to the caller. */
#include "yaml_load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 200

struct yp {
    yaml_parser_t p;
    const char *name;
    struct pcs_diag *d;
    struct pcs_yaml_keys *keys;
    unsigned depth;
};

static int fail(struct yp *y, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct yp *y, yaml_mark_t m, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pcs_diag_set(y->d, PCS_ERR_INVALID, NULL, "%s:%zu:%zu: %s", y->name, m.line + 1,
                        m.column + 1, msg);
}

/* The parser's own complaint, with its context when it gives one. */
static int syntax_error(struct yp *y)
{
    const yaml_parser_t *p = &y->p;
    const char *problem = p->problem ? p->problem : "cannot parse YAML";
    if (p->error == YAML_MEMORY_ERROR) {
        fprintf(stderr, "pcs: out of memory\n");
        abort();
    }
    if (p->context)
        return fail(y, p->problem_mark, "%s (%s at line %zu)", problem, p->context,
                    p->context_mark.line + 1);
    return fail(y, p->problem_mark, "%s", problem);
}

static int next(struct yp *y, yaml_event_t *ev)
{
    return yaml_parser_parse(&y->p, ev) ? 0 : syntax_error(y);
}

static void record_key(struct yp *y, const struct pcs_value *map, yaml_mark_t m)
{
    struct pcs_yaml_keys *k = y->keys;
    if (!k)
        return;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->v = pcs_xrealloc(k->v, k->cap * sizeof *k->v);
    }
    k->v[k->n++] = (struct pcs_yaml_keypos){map, map->u.c.n - 1, (uint32_t)m.line + 1,
                                            (uint32_t)m.column + 1};
}

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* [-+]?[0-9]+ | 0x[0-9a-fA-F]+ | 0o[0-7]+ → 1 and *out; 0 when s is no integer; -1 when it is
 * one but does not fit in 64 bits. */
static int parse_int(const char *s, int64_t *out)
{
    int base = 10;
    const char *digits = s + (*s == '-' || *s == '+');
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
        base = s[1] == 'x' ? 16 : 8, digits = s + 2;
    if (!*digits)
        return 0;
    for (const char *c = digits; *c; c++) {
        bool ok = base == 16 ? strchr("0123456789abcdefABCDEF", *c) != NULL
                  : base == 8 ? (*c >= '0' && *c <= '7')
                              : (*c >= '0' && *c <= '9');
        if (!ok)
            return 0;
    }
    errno = 0;
    char *end;
    if (base == 10) {
        long long v = strtoll(s, &end, 10);
        *out = v;
    } else {
        unsigned long long v = strtoull(digits, &end, base);
        if (v > INT64_MAX)
            return -1;
        *out = (int64_t)v;
    }
    return errno == ERANGE ? -1 : 1;
}

static const char *const NULLS[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const TRUES[] = {"true", "True", "TRUE", NULL};
static const char *const FALSES[] = {"false", "False", "FALSE", NULL};

static bool tag_ok(const yaml_char_t *tag, const char *own)
{
    return !tag || strcmp((const char *)tag, "!") == 0 || strcmp((const char *)tag, own) == 0;
}

static int scalar(struct yp *y, const yaml_event_t *ev, struct pcs_value **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const yaml_char_t *tag = ev->data.scalar.tag;
    if (!tag_ok(tag, YAML_STR_TAG))
        return fail(y, ev->start_mark, "unsupported tag '%s' (quote the value instead)", tag);
    int64_t i = 0;
    int r;
    if (!ev->data.scalar.plain_implicit || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        *out = pcs_value_strn(s, len);
    else if (one_of(s, NULLS))
        *out = pcs_value_null();
    else if (one_of(s, TRUES) || one_of(s, FALSES))
        *out = pcs_value_bool(one_of(s, TRUES));
    else if ((r = parse_int(s, &i)) < 0)
        return fail(y, ev->start_mark, "integer '%s' does not fit in 64 bits", s);
    else
        *out = r ? pcs_value_int(i) : pcs_value_strn(s, len);
    return 0;
}

static int node(struct yp *y, yaml_event_t *ev, struct pcs_value **out);

static int sequence(struct yp *y, struct pcs_value *list)
{
    for (;;) {
        yaml_event_t ev;
        int rc = next(y, &ev);
        if (rc)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        struct pcs_value *item = NULL;
        rc = node(y, &ev, &item);
        yaml_event_delete(&ev);
        if (rc)
            return rc;
        pcs_value_push(list, item);
    }
}

/* One key: a scalar, not seen before in this map. Consumes the key event. */
static int map_key(struct yp *y, yaml_event_t *ev, const struct pcs_value *map, char **key)
{
    if (ev->type == YAML_ALIAS_EVENT)
        return fail(y, ev->start_mark, "aliases (*%s) are not supported: write the value out",
                    ev->data.alias.anchor);
    if (ev->type != YAML_SCALAR_EVENT)
        return fail(y, ev->start_mark, "map keys must be plain words, not lists or maps");
    if (ev->data.scalar.anchor)
        return fail(y, ev->start_mark, "anchors (&%s) are not supported: write the value out",
                    ev->data.scalar.anchor);
    const char *k = (const char *)ev->data.scalar.value;
    if (pcs_value_get(map, k))
        return fail(y, ev->start_mark, "duplicate key '%s'", k);
    *key = pcs_xstrdup(k);
    return 0;
}

static int mapping(struct yp *y, struct pcs_value *map)
{
    for (;;) {
        yaml_event_t ev;
        int rc = next(y, &ev);
        if (rc)
            return rc;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        char *key = NULL;
        yaml_mark_t at = ev.start_mark;
        rc = map_key(y, &ev, map, &key);
        yaml_event_delete(&ev);
        if (!rc)
            rc = next(y, &ev);
        if (rc) {
            free(key);
            return rc;
        }
        struct pcs_value *val = NULL;
        rc = node(y, &ev, &val);
        yaml_event_delete(&ev);
        if (!rc) {
            pcs_value_set(map, key, val);
            record_key(y, map, at);
        }
        free(key);
        if (rc)
            return rc;
    }
}

/* Builds the node that starts with ev (ev stays the caller's to delete). */
static int node(struct yp *y, yaml_event_t *ev, struct pcs_value **out)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    const char *own = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail(y, ev->start_mark, "aliases (*%s) are not supported: write the value out",
                    ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: anchor = ev->data.scalar.anchor; break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor, tag = ev->data.sequence_start.tag;
        own = YAML_SEQ_TAG;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor, tag = ev->data.mapping_start.tag;
        own = YAML_MAP_TAG;
        break;
    default:
        return fail(y, ev->start_mark, "unexpected YAML event");
    }
    if (anchor)
        return fail(y, ev->start_mark, "anchors (&%s) are not supported: write the value out",
                    anchor);
    if (own && !tag_ok(tag, own))
        return fail(y, ev->start_mark, "unsupported tag '%s'", tag);
    if (y->depth >= MAX_DEPTH)
        return fail(y, ev->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
    int rc;
    y->depth++;
    if (ev->type == YAML_SCALAR_EVENT) {
        rc = scalar(y, ev, out);
    } else {
        bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
        *out = seq ? pcs_value_list() : pcs_value_map();
        rc = seq ? sequence(y, *out) : mapping(y, *out);
    }
    y->depth--;
    if (rc) {
        pcs_value_free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->line = (uint32_t)ev->start_mark.line + 1;
    (*out)->col = (uint32_t)ev->start_mark.column + 1;
    return 0;
}

/* The stream: at most one document, whose root becomes *out (null when there is none). */
static int stream(struct yp *y, struct pcs_value **out)
{
    yaml_event_t ev;
    int rc;
    bool seen = false;
    while (!(rc = next(y, &ev))) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_DOCUMENT_START_EVENT && seen)
            rc = fail(y, ev.start_mark, "a second YAML document ('---'): one spec per file");
        else if (t == YAML_DOCUMENT_START_EVENT)
            seen = true;
        else if (t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_END_EVENT &&
                 t != YAML_STREAM_END_EVENT)
            rc = node(y, &ev, out);
        yaml_event_delete(&ev);
        if (rc || t == YAML_STREAM_END_EVENT)
            break;
    }
    if (!rc && !*out) {
        *out = pcs_value_null();
        (*out)->line = (*out)->col = 1;
    }
    return rc;
}

int pcs_yaml_load_string_keys(const char *name, const char *text, size_t len,
                              struct pcs_value **out, struct pcs_yaml_keys *keys,
                              struct pcs_diag *d)
{
    struct yp y = {.name = name, .d = d, .keys = keys};
    *out = NULL;
    if (!yaml_parser_initialize(&y.p)) {
        fprintf(stderr, "pcs: out of memory\n");
        abort();
    }
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
    int rc = stream(&y, out);
    yaml_parser_delete(&y.p);
    if (rc) {
        pcs_value_free(*out);
        *out = NULL;
    }
    return rc;
}

int pcs_yaml_load_string(const char *name, const char *text, size_t len, struct pcs_value **out,
                         struct pcs_diag *d)
{
    return pcs_yaml_load_string_keys(name, text, len, out, NULL, d);
}

int pcs_yaml_read_file(const char *path, struct pcs_buf *b, struct pcs_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: cannot read: %s", path, strerror(errno));
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pcs_buf_append(b, chunk, n);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: cannot read: %s", path, strerror(err));
    return 0;
}

int pcs_yaml_load_file_keys(const char *path, struct pcs_value **out, struct pcs_yaml_keys *keys,
                            struct pcs_diag *d)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    *out = NULL;
    int rc = pcs_yaml_read_file(path, &b, d);
    if (!rc)
        rc = pcs_yaml_load_string_keys(path, b.len ? (const char *)b.data : "", b.len, out, keys,
                                       d);
    pcs_buf_free(&b);
    return rc;
}

int pcs_yaml_load_file(const char *path, struct pcs_value **out, struct pcs_diag *d)
{
    return pcs_yaml_load_file_keys(path, out, NULL, d);
}

bool pcs_yaml_key_pos(const struct pcs_yaml_keys *keys, const struct pcs_value *map,
                      const char *key, uint32_t *line, uint32_t *col)
{
    for (size_t i = 0; keys && i < keys->n; i++) {
        const struct pcs_yaml_keypos *k = &keys->v[i];
        if (k->map == map && k->index < map->u.c.n && strcmp(map->u.c.keys[k->index], key) == 0) {
            *line = k->line;
            *col = k->col;
            return true;
        }
    }
    return false;
}

void pcs_yaml_keys_free(struct pcs_yaml_keys *keys)
{
    if (!keys)
        return;
    free(keys->v);
    keys->v = NULL;
    keys->n = keys->cap = 0;
}
