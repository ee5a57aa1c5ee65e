/* spec.c — the spec loader: a YAML file (yaml.c) checked against DESIGN.md's spec format, the
 * protocol's schema tables and the rule catalogue, and turned into a pcs_spec; also spec file
 * collection and durations. It runs nothing and names no protocol: frames, fields and enums
 * come from the schema API only. A pcs_spec owns copies of what it keeps from the YAML tree. */
#include "spec.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules.h"
#include "yaml_load.h"

#define MS ((uint64_t)1000000)
#define SEC ((uint64_t)1000000000)

/* Loader state for one file. */
struct ld {
    const char *path;
    const char *text;              /* the file, NUL-terminated: refines string positions */
    struct pcs_diag *d;
    struct pcs_yaml_keys keys;
    const struct pcs_rulebook *rb;
    const struct pcs_catalogue *cat;
    struct pcs_spec *s;
    char **defs;                   /* variables defined so far (vars, then earlier saves) */
    size_t ndefs, cdefs;
};

/* What a with/match map is checked against. */
struct fx {
    const char *frame;             /* frame type, for messages */
    int vi;                        /* version index of the step's peer */
    bool match;                    /* a match pattern: operators allowed, names → numbers */
};

static const char *const TOP_KEYS[] = {"pcs", "id", "protocol", "version", "title", "rules",
                                       "requires", "tags", "timeout", "target", "peers", "vars",
                                       "ignore", "steps", NULL};
static const char *const PEER_KEYS[] = {"version", "options", NULL};
static const char *const ALT_KEYS[] = {"expect", "match", "save", NULL};
static const char *const OPS[] = {"in", "not", "range", "regex", "contains", NULL};
/* Indexed by enum pcs_step_kind. */
static const char *const KINDS[] = {"send", "send_raw", "expect", "expect_any", "expect_none",
                                    "invoke", "connect", "close", NULL};
static const char *const STEP_KEYS[][8] = {
    [PCS_STEP_SEND] = {"send", "peer", "with", "rule", NULL},
    [PCS_STEP_SEND_RAW] = {"send_raw", "peer", "rule", NULL},
    [PCS_STEP_EXPECT] = {"expect", "peer", "match", "save", "within", "rule", "ignore", NULL},
    [PCS_STEP_EXPECT_ANY] = {"expect_any", "peer", "within", "rule", "ignore", NULL},
    [PCS_STEP_EXPECT_NONE] = {"expect_none", "peer", "for", "rule", NULL},
    [PCS_STEP_INVOKE] = {"invoke", "peer", "with", "rule", NULL},
    [PCS_STEP_CONNECT] = {"connect", "rule", NULL},
    [PCS_STEP_CLOSE] = {"close", "rule", NULL},
};

/* ---- small helpers ---- */

static int index_of(const char *s, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcmp(s, words[i]) == 0)
            return i;
    return -1;
}

static void join(struct pcs_buf *b, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        pcs_buf_printf(b, "%s%s", i ? ", " : "", words[i]);
    pcs_buf_cstr(b);
}

static void strv_push(char ***v, size_t *n, const char *s)
{
    *v = pcs_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = pcs_xstrdup(s);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* "a map", "an int". */
static const char *article(const char *noun)
{
    return strchr("aeiou", noun[0]) ? "an" : "a";
}

static bool is_ident(const char *s, bool dash)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && !(dash && *s == '-'))
            return false;
    return true;
}

static bool in_version(uint32_t mask, int vi)
{
    return mask == 0 || (vi >= 0 && vi < 32 && (mask & PCS_VER(vi)));
}

/* The field called name in version vi (a table may list one name once per version), else
 * NULL; *other tells whether the name exists in some other version. */
static const struct pcs_field_schema *field_for(const struct pcs_field_schema *fields,
                                                const char *name, int vi, bool *other)
{
    *other = false;
    for (const struct pcs_field_schema *f = fields; f && f->name; f++) {
        if (strcmp(f->name, name) != 0)
            continue;
        if (in_version(f->versions, vi))
            return f;
        *other = true;
    }
    return NULL;
}

static const char *ver_name(const struct ld *L, int vi) { return L->s->proto->versions[vi]; }

static void replace(struct pcs_value **slot, struct pcs_value *nv)
{
    nv->line = (*slot)->line;
    nv->col = (*slot)->col;
    pcs_value_free(*slot);
    *slot = nv;
}

/* ---- errors: "path:line:col: message", code PCS_ERR_INVALID, no rule ---- */

static int verr(struct ld *L, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    char msg[PCS_DIAG_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return pcs_diag_set(L->d, PCS_ERR_INVALID, NULL, "%s:%" PRIu32 ":%" PRIu32 ": %s", L->path,
                        line, col, msg);
}

static int err(struct ld *L, const struct pcs_value *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int err(struct ld *L, const struct pcs_value *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verr(L, at->line, at->col, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error about a key of map: at the key when its position is known, else at the map. */
static int errkey(struct ld *L, const struct pcs_value *map, const char *key, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
static int errkey(struct ld *L, const struct pcs_value *map, const char *key, const char *fmt,
                  ...)
{
    uint32_t line = map->line, col = map->col;
    pcs_yaml_key_pos(&L->keys, map, key, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    int rc = verr(L, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *line_at(const char *text, uint32_t line)
{
    for (uint32_t l = 1; text && l < line; l++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    return text;
}

/* Source position of byte off of string scalar v: exact for one-line plain or quoted scalars
 * and for block scalars (| and >); the scalar's own position otherwise. */
static void str_pos(const struct ld *L, const struct pcs_value *v, size_t off, uint32_t *line,
                    uint32_t *col)
{
    const char *src = line_at(L->text, v->line);
    size_t srclen = src ? strcspn(src, "\n") : 0;
    char c = v->col >= 1 && v->col <= srclen ? src[v->col - 1] : 0;
    size_t nl = 0, start = 0;
    for (size_t i = 0; i < off && i < v->u.s.len; i++)
        if (v->u.s.p[i] == '\n')
            nl++, start = i + 1;
    *line = v->line;
    *col = v->col;
    if (c == '|' || c == '>') {
        const char *cl = line_at(L->text, v->line + 1 + (uint32_t)nl);
        size_t indent = cl ? strspn(cl, " ") : 0;
        *line = v->line + 1 + (uint32_t)nl;
        *col = (uint32_t)(indent + off - start + 1);
    } else if (nl == 0) {
        *col = v->col + (uint32_t)off + (c == '"' || c == '\'');
    }
}

/* ---- typed getters ---- */

static int check_keys(struct ld *L, const struct pcs_value *map, const char *const *allowed,
                      const char *where)
{
    for (size_t i = 0; i < map->u.c.n; i++) {
        if (index_of(map->u.c.keys[i], allowed) >= 0)
            continue;
        struct pcs_buf b;
        pcs_buf_init(&b);
        join(&b, allowed);
        int rc = errkey(L, map, map->u.c.keys[i], "unknown key '%s' %s (allowed: %s)",
                        map->u.c.keys[i], where, (char *)b.data);
        pcs_buf_free(&b);
        return rc;
    }
    return 0;
}

static int need(struct ld *L, const struct pcs_value *map, const char *key, const char *where,
                struct pcs_value **out)
{
    *out = pcs_value_get(map, key);
    return *out ? 0 : err(L, map, "missing required key '%s'%s", key, where);
}

static int want(struct ld *L, const struct pcs_value *v, enum pcs_vtype t, const char *what)
{
    if (v->type == t)
        return 0;
    const char *wanted = pcs_value_type_name(t), *got = pcs_value_type_name(v->type);
    return err(L, v, "%s must be %s %s, not %s %s", what, article(wanted), wanted, article(got),
               got);
}

static int want_word(struct ld *L, const struct pcs_value *v, const char *what)
{
    int rc = want(L, v, PCS_V_STR, what);
    if (!rc && !v->u.s.len)
        rc = err(L, v, "%s must not be empty", what);
    return rc;
}

static int str_list(struct ld *L, const struct pcs_value *v, const char *what, char ***out,
                    size_t *n)
{
    int rc = want(L, v, PCS_V_LIST, what);
    for (size_t i = 0; !rc && i < v->u.c.n; i++)
        if (v->u.c.items[i]->type != PCS_V_STR)
            rc = err(L, v->u.c.items[i], "%s must be a list of strings, not of %ss", what,
                     pcs_value_type_name(v->u.c.items[i]->type));
    for (size_t i = 0; !rc && i < v->u.c.n; i++)
        strv_push(out, n, v->u.c.items[i]->u.s.p);
    return rc;
}

static int get_duration(struct ld *L, const struct pcs_value *v, uint64_t *ns)
{
    if (v->type == PCS_V_STR && pcs_parse_duration(v->u.s.p, ns) == 0)
        return 0;
    char shown[64];
    if (v->type == PCS_V_STR)
        snprintf(shown, sizeof shown, "%s", v->u.s.p);
    else if (v->type == PCS_V_INT)
        snprintf(shown, sizeof shown, "%" PRId64, v->u.i);
    else
        snprintf(shown, sizeof shown, "(a %s)", pcs_value_type_name(v->type));
    return err(L, v, "bad duration '%s' (use e.g. 300ms, 2s)", shown);
}

static int check_rule(struct ld *L, const struct pcs_value *v)
{
    int rc = want_word(L, v, "a rule ID");
    if (rc || !L->rb)
        return rc;
    if (L->cat && pcs_catalogue_rule(L->cat, v->u.s.p))
        return 0;
    return err(L, v, "unknown rule ID '%s' for %s %s%s", v->u.s.p, L->s->protocol,
               L->s->version, L->cat ? "" : " (no rule catalogue for it was loaded)");
}

static int check_version(struct ld *L, const struct pcs_value *v)
{
    if (v->type != PCS_V_STR)
        return err(L, v, "version must be a quoted string, e.g. \"5.0\"");
    if (pcs_protocol_version_index(L->s->proto, v->u.s.p) >= 0)
        return 0;
    struct pcs_buf b;
    pcs_buf_init(&b);
    join(&b, (const char *const *)L->s->proto->versions);
    int rc = err(L, v, "unknown version '%s' for %s (known: %s)", v->u.s.p, L->s->protocol,
                 (char *)b.data);
    pcs_buf_free(&b);
    return rc;
}

/* ---- frames ---- */

/* v names a frame type of the protocol that exists in version vi ("closed" when closed_ok:
 * *out is then NULL). */
static int check_frame(struct ld *L, const struct pcs_value *v, int vi, bool closed_ok,
                       const struct pcs_frame_schema **out)
{
    const struct pcs_protocol *p = L->s->proto;
    *out = NULL;
    int rc = want_word(L, v, "a frame type");
    if (rc || (closed_ok && strcmp(v->u.s.p, "closed") == 0))
        return rc;
    const struct pcs_frame_schema *f = pcs_protocol_frame(p, v->u.s.p);
    if (!f) {
        struct pcs_buf b;
        pcs_buf_init(&b);
        for (const struct pcs_frame_schema *g = p->frames; g && g->name; g++)
            pcs_buf_printf(&b, "%s%s", b.len ? ", " : "", g->name);
        pcs_buf_cstr(&b);
        rc = err(L, v, "unknown frame type '%s' for %s (known: %s%s)", v->u.s.p, p->name,
                 (char *)b.data, closed_ok ? ", closed" : "");
        pcs_buf_free(&b);
        return rc;
    }
    if (!in_version(f->versions, vi))
        return err(L, v, "frame type '%s' does not exist in %s %s", f->name, p->name,
                   ver_name(L, vi));
    *out = f;
    return 0;
}

static int frame_list(struct ld *L, const struct pcs_value *v, int vi, const char *what,
                      char ***out, size_t *n)
{
    const struct pcs_frame_schema *f;
    int rc = str_list(L, v, what, out, n);
    for (size_t i = 0; !rc && i < v->u.c.n; i++)
        rc = check_frame(L, v->u.c.items[i], vi, false, &f);
    return rc;
}

/* ---- variables and templates ---- */

static bool defined(const struct ld *L, const char *name)
{
    if (strcmp(name, "uniq") == 0)
        return true;
    for (size_t i = 0; i < L->ndefs; i++)
        if (strcmp(L->defs[i], name) == 0)
            return true;
    return false;
}

static void define(struct ld *L, const char *name)
{
    if (!defined(L, name))
        strv_push(&L->defs, &L->ndefs, name);
}

/* Checks the ${name} templates of string v; *has tells whether it holds any. */
static int check_template(struct ld *L, const struct pcs_value *v, bool *has)
{
    const char *s = v->u.s.p;
    *has = false;
    while ((s = strstr(s, "${"))) {
        const char *e = strchr(s + 2, '}');
        if (!e)
            return err(L, v, "unterminated '${' in '%s'", v->u.s.p);
        size_t n = (size_t)(e - s - 2);
        char name[64];
        if (n == 0 || n >= sizeof name)
            return err(L, v, "bad variable reference in '%s'", v->u.s.p);
        memcpy(name, s + 2, n);
        name[n] = 0;
        if (!defined(L, name))
            return err(L, v, "undefined variable '%s'", name);
        *has = true;
        s = e + 1;
    }
    return 0;
}

/* Templates anywhere in a tree without a schema. */
static int check_tree(struct ld *L, const struct pcs_value *v)
{
    bool has;
    if (v->type == PCS_V_STR)
        return check_template(L, v, &has);
    int rc = 0;
    if (v->type == PCS_V_LIST || v->type == PCS_V_MAP)
        for (size_t i = 0; !rc && i < v->u.c.n; i++)
            rc = check_tree(L, v->u.c.items[i]);
    return rc;
}

/* ---- field values and patterns ---- */

static int check_slot(struct ld *L, struct pcs_value **slot, const struct pcs_field_schema *f,
                      const struct fx *x, const char *path);

static const char *ftype_name(enum pcs_ftype t)
{
    switch (t) {
    case PCS_F_BOOL: return "a bool (true or false)";
    case PCS_F_INT: return "an int";
    case PCS_F_STR: return "a string";
    case PCS_F_BYTES: return "bytes (a string)";
    case PCS_F_MAP: return "a map";
    case PCS_F_LIST: return "a list";
    default: return "a value";
    }
}

static int type_err(struct ld *L, const struct pcs_value *v, const struct fx *x, const char *path,
                    enum pcs_ftype t)
{
    const char *got = pcs_value_type_name(v->type);
    return err(L, v, "%s.%s must be %s, not %s %s", x->frame, path, ftype_name(t), article(got),
               got);
}

/* The schema of one element of list field f. */
static struct pcs_field_schema element(const struct pcs_field_schema *f)
{
    struct pcs_field_schema el = {.name = f->name, .versions = f->versions};
    el.type = f->sub ? PCS_F_MAP : f->item_type;
    el.sub = f->sub;
    el.enums = f->sub ? NULL : f->enums;
    return el;
}

static int check_int(struct ld *L, struct pcs_value **slot, const struct pcs_field_schema *f,
                     const struct fx *x, const char *path)
{
    const struct pcs_value *v = *slot;
    int64_t n;
    if (v->type == PCS_V_INT)
        return 0;
    if (v->type != PCS_V_STR || !f->enums)
        return type_err(L, v, x, path, PCS_F_INT);
    if (pcs_enum_value(f->enums, v->u.s.p, &n) == 0) {
        if (x->match)
            replace(slot, pcs_value_int(n));
        return 0;
    }
    struct pcs_buf b;
    pcs_buf_init(&b);
    for (const struct pcs_enum *e = f->enums; e->name; e++)
        pcs_buf_printf(&b, "%s%s", e == f->enums ? "" : ", ", e->name);
    pcs_buf_cstr(&b);
    int rc = err(L, v, "unknown name '%s' for %s.%s (names: %s)", v->u.s.p, x->frame, path,
                 (char *)b.data);
    pcs_buf_free(&b);
    return rc;
}

static int check_fields(struct ld *L, struct pcs_value *map, const struct pcs_field_schema *fields,
                        const struct fx *x, const char *prefix);

static int check_list(struct ld *L, struct pcs_value **slot, const struct pcs_field_schema *f,
                      const struct fx *x, const char *path)
{
    struct pcs_value *v = *slot;
    struct pcs_field_schema el = element(f);
    if (v->type != PCS_V_LIST) {
        if (!x->match && !f->sub)   /* with: one item stands for a one-item list */
            return check_slot(L, slot, &el, x, path);
        return type_err(L, v, x, path, PCS_F_LIST);
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < v->u.c.n; i++) {
        char sub[200];
        snprintf(sub, sizeof sub, "%s.%zu", path, i);
        rc = check_slot(L, &v->u.c.items[i], &el, x, sub);
    }
    return rc;
}

/* A value (not an operator) of field f. */
static int check_value(struct ld *L, struct pcs_value **slot, const struct pcs_field_schema *f,
                       const struct fx *x, const char *path)
{
    struct pcs_value *v = *slot;
    char sub[200];
    switch (f->type) {
    case PCS_F_BOOL:
        return v->type == PCS_V_BOOL ? 0 : type_err(L, v, x, path, f->type);
    case PCS_F_INT:
        return check_int(L, slot, f, x, path);
    case PCS_F_STR:
        return v->type == PCS_V_STR ? 0 : type_err(L, v, x, path, f->type);
    case PCS_F_BYTES:
        if (v->type != PCS_V_STR && v->type != PCS_V_BYTES)
            return type_err(L, v, x, path, f->type);
        if (x->match && v->type == PCS_V_STR)
            replace(slot, pcs_value_bytes(v->u.s.p, v->u.s.len));
        return 0;
    case PCS_F_MAP:
        if (v->type != PCS_V_MAP)
            return type_err(L, v, x, path, f->type);
        snprintf(sub, sizeof sub, "%s.", path);
        return f->sub ? check_fields(L, v, f->sub, x, sub) : check_tree(L, v);
    case PCS_F_LIST:
        return check_list(L, slot, f, x, path);
    default:
        return check_tree(L, v);
    }
}

static int check_regex(struct ld *L, const struct pcs_value *a, const struct pcs_field_schema *f,
                       const struct fx *x, const char *path)
{
    bool has;
    if (f->type != PCS_F_STR && f->type != PCS_F_BYTES && f->type != PCS_F_ANY)
        return err(L, a, "regex applies to string fields; %s.%s is %s", x->frame, path,
                   ftype_name(f->type));
    int rc = want(L, a, PCS_V_STR, "a regex");
    if (!rc)
        rc = check_template(L, a, &has);
    if (rc || has)
        return rc;
    regex_t re;
    int e = regcomp(&re, a->u.s.p, REG_EXTENDED | REG_NOSUB);
    if (e == 0) {
        regfree(&re);
        return 0;
    }
    char why[128];
    regerror(e, &re, why, sizeof why);
    return err(L, a, "bad regex '%s': %s", a->u.s.p, why);
}

static int check_range(struct ld *L, struct pcs_value *op, const struct pcs_field_schema *f,
                       const struct fx *x, const char *path)
{
    struct pcs_value *a = op->u.c.items[0];
    if (f->type != PCS_F_INT && f->type != PCS_F_ANY)
        return err(L, op, "range applies to int fields; %s.%s is %s", x->frame, path,
                   ftype_name(f->type));
    if (a->u.c.n != 2)
        return err(L, a, "range needs two ints [low, high], not %zu values", a->u.c.n);
    struct pcs_field_schema num = {.name = f->name, .type = PCS_F_INT, .enums = f->enums};
    int rc = 0;
    for (size_t i = 0; !rc && i < 2; i++)
        rc = check_slot(L, &a->u.c.items[i], &num, x, path);
    const struct pcs_value *lo = a->u.c.items[0], *hi = a->u.c.items[1];
    if (!rc && lo->type == PCS_V_INT && hi->type == PCS_V_INT && lo->u.i > hi->u.i)
        rc = err(L, a, "range [%" PRId64 ", %" PRId64 "] is empty", lo->u.i, hi->u.i);
    return rc;
}

/* {in: [...]}, {not: x}, {range: [a, b]}, {regex: "..."}, {contains: [...]}. */
static int check_op(struct ld *L, struct pcs_value *op, const struct pcs_field_schema *f,
                    const struct fx *x, const char *path)
{
    const char *name = op->u.c.keys[0];
    struct pcs_value *a = op->u.c.items[0];
    if (strcmp(name, "not") == 0)
        return check_slot(L, &op->u.c.items[0], f, x, path);
    if (strcmp(name, "regex") == 0)
        return check_regex(L, a, f, x, path);
    if (a->type != PCS_V_LIST)
        return err(L, a, "%s needs a list, e.g. {%s: [...]}", name, name);
    if (strcmp(name, "range") == 0)
        return check_range(L, op, f, x, path);
    if (a->u.c.n == 0)
        return err(L, a, "%s needs at least one value", name);
    struct pcs_field_schema el = *f;
    if (strcmp(name, "contains") == 0) {
        if (f->type != PCS_F_LIST && f->type != PCS_F_ANY)
            return err(L, op, "contains applies to list fields; %s.%s is %s", x->frame, path,
                       ftype_name(f->type));
        if (f->type == PCS_F_LIST)
            el = element(f);
    }
    int rc = 0;
    for (size_t i = 0; !rc && i < a->u.c.n; i++)
        rc = check_slot(L, &a->u.c.items[i], &el, x, path);
    return rc;
}

static bool is_op(const struct pcs_value *v, const struct pcs_field_schema *f)
{
    if (v->type != PCS_V_MAP || v->u.c.n != 1 || index_of(v->u.c.keys[0], OPS) < 0)
        return false;
    return !(f->type == PCS_F_MAP && f->sub && pcs_schema_field(f->sub, v->u.c.keys[0]));
}

/* A value or pattern for field f at *slot; may replace it (enum name → int, string → bytes). */
static int check_slot(struct ld *L, struct pcs_value **slot, const struct pcs_field_schema *f,
                      const struct fx *x, const char *path)
{
    struct pcs_value *v = *slot;
    if (v->type == PCS_V_STR) {
        bool has;
        int rc = check_template(L, v, &has);
        if (rc || has)
            return rc;   /* types are known only once the template is applied */
        if (x->match && (strcmp(v->u.s.p, "absent") == 0 || strcmp(v->u.s.p, "present") == 0))
            return 0;
    }
    if (is_op(v, f)) {
        if (!x->match)
            return err(L, v, "{%s: …} is a match pattern; 'with' takes plain values",
                       v->u.c.keys[0]);
        return check_op(L, v, f, x, path);
    }
    return check_value(L, slot, f, x, path);
}

/* Every key of map is a field of `fields` in the peer's version, with a value of its type. */
static int check_fields(struct ld *L, struct pcs_value *map, const struct pcs_field_schema *fields,
                        const struct fx *x, const char *prefix)
{
    for (size_t i = 0; i < map->u.c.n; i++) {
        const char *key = map->u.c.keys[i];
        if (!*prefix && strcmp(key, "type") == 0)
            return errkey(L, map, key, "'type' is implied by the step (%s): remove it", x->frame);
        bool other;
        const struct pcs_field_schema *f = field_for(fields, key, x->vi, &other);
        char path[200];
        snprintf(path, sizeof path, "%s%s", prefix, key);
        if (!f)
            return errkey(L, map, key, "unknown field '%s' in %s for %s %s%s", path, x->frame,
                          L->s->protocol, ver_name(L, x->vi),
                          other ? " (it exists in another version)" : "");
        int rc = check_slot(L, &map->u.c.items[i], f, x, path);
        if (rc)
            return rc;
    }
    return 0;
}

/* A save path "properties.maximum_qos" / "reason_codes.0" names fields of fr. */
static int check_path(struct ld *L, const struct pcs_value *v, const struct pcs_frame_schema *fr,
                      int vi)
{
    const char *p = v->u.s.p, *all = v->u.s.p;
    const struct pcs_field_schema *fields = fr->fields;
    bool index = false;
    if (strcmp(p, "type") == 0)
        return 0;
    while (*p) {
        char seg[64];
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof seg)
            return err(L, v, "bad save path '%s'", all);
        memcpy(seg, p, n);
        seg[n] = 0;
        p += n + (p[n] == '.');
        if (index) {
            if (strspn(seg, "0123456789") != n)
                return err(L, v, "save path '%s': '%s' must be a list index", all, seg);
            index = false;
            if (!fields && *p)
                return err(L, v, "save path '%s' goes past a list item", all);
            continue;
        }
        bool other;
        const struct pcs_field_schema *f = field_for(fields, seg, vi, &other);
        if (!f)
            return err(L, v, "unknown field '%s' in save path '%s' for %s", seg, all, fr->name);
        if (f->type == PCS_F_ANY || (f->type == PCS_F_MAP && !f->sub))
            return 0;
        if (f->type == PCS_F_MAP || f->type == PCS_F_LIST) {
            fields = f->sub;
            index = f->type == PCS_F_LIST;
        } else if (*p) {
            return err(L, v, "save path '%s' goes past field '%s'", all, seg);
        }
    }
    return 0;
}

static int check_save(struct ld *L, const struct pcs_value *save,
                      const struct pcs_frame_schema *fr, int vi)
{
    int rc = want(L, save, PCS_V_MAP, "save");
    for (size_t i = 0; !rc && i < save->u.c.n; i++) {
        const char *name = save->u.c.keys[i];
        const struct pcs_value *path = save->u.c.items[i];
        if (!is_ident(name, false))
            return errkey(L, save, name, "bad variable name '%s' (letters, digits and _)", name);
        if (strcmp(name, "uniq") == 0)
            return errkey(L, save, name, "'uniq' is built in: choose another name");
        rc = want_word(L, path, "a save path");
        if (!rc)
            rc = check_path(L, path, fr, vi);
    }
    return rc;
}

/* ---- steps ---- */

static int find_peer(const struct ld *L, const char *name)
{
    for (size_t i = 0; i < L->s->npeers; i++)
        if (strcmp(L->s->peers[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int peer_vi(const struct ld *L, int peer)
{
    return pcs_protocol_version_index(L->s->proto, L->s->peers[peer].version);
}

static int step_peer(struct ld *L, const struct pcs_value *m, struct pcs_step *st)
{
    bool own = st->kind == PCS_STEP_CONNECT || st->kind == PCS_STEP_CLOSE;
    const struct pcs_value *v = pcs_value_get(m, own ? KINDS[st->kind] : "peer");
    if (!v) {
        if (L->s->npeers == 1)
            return 0;
        return err(L, m, "this step needs 'peer:' (the spec declares %zu peers)", L->s->npeers);
    }
    int rc = want_word(L, v, "peer");
    if (rc)
        return rc;
    st->peer = find_peer(L, v->u.s.p);
    if (st->peer >= 0)
        return 0;
    struct pcs_buf b;
    pcs_buf_init(&b);
    for (size_t i = 0; i < L->s->npeers; i++)
        pcs_buf_printf(&b, "%s%s", i ? ", " : "", L->s->peers[i].name);
    pcs_buf_cstr(&b);
    rc = err(L, v, "undefined peer '%s' (peers: %s)", v->u.s.p, (char *)b.data);
    pcs_buf_free(&b);
    return rc;
}

/* expect/match/save of an expect step or of one expect_any alternative (map m). */
static int load_alt(struct ld *L, const struct pcs_value *m, const struct pcs_value *fv, int vi,
                    struct pcs_expect_alt *alt)
{
    const struct pcs_frame_schema *fr;
    int rc = check_frame(L, fv, vi, true, &fr);
    if (rc)
        return rc;
    alt->frame = pcs_xstrdup(fv->u.s.p);
    alt->line = m->line;
    alt->col = m->col;
    struct pcs_value *match = pcs_value_get(m, "match");
    struct pcs_value *save = pcs_value_get(m, "save");
    if (!fr && (match || save))
        return errkey(L, m, match ? "match" : "save",
                      "'closed' has no fields: remove '%s'", match ? "match" : "save");
    if (match) {
        struct fx x = {fr->name, vi, true};
        rc = want(L, match, PCS_V_MAP, "match");
        if (!rc)
            rc = check_fields(L, match, fr->fields, &x, "");
        if (rc)
            return rc;
        alt->match = pcs_value_clone(match);
    }
    if (save) {
        if ((rc = check_save(L, save, fr, vi)))
            return rc;
        alt->save = pcs_value_clone(save);
    }
    return 0;
}

static int load_expect_any(struct ld *L, const struct pcs_value *v, int vi, struct pcs_step *st)
{
    struct pcs_value *fv;
    int rc = want(L, v, PCS_V_LIST, "expect_any");
    if (!rc && v->u.c.n == 0)
        rc = err(L, v, "expect_any needs at least one alternative, e.g. - {expect: closed}");
    if (rc)
        return rc;
    st->alts = pcs_xcalloc(v->u.c.n, sizeof *st->alts);
    for (size_t i = 0; !rc && i < v->u.c.n; i++) {
        const struct pcs_value *a = v->u.c.items[i];
        st->nalts++;
        rc = want(L, a, PCS_V_MAP, "an expect_any alternative");
        if (!rc)
            rc = check_keys(L, a, ALT_KEYS, "in an expect_any alternative");
        if (!rc)
            rc = need(L, a, "expect", " in an expect_any alternative", &fv);
        if (!rc)
            rc = load_alt(L, a, fv, vi, &st->alts[i]);
    }
    return rc;
}

static int load_expect_none(struct ld *L, const struct pcs_value *m, const struct pcs_value *v,
                            int vi, struct pcs_step *st)
{
    const struct pcs_frame_schema *fr;
    struct pcs_value *w;
    int rc = 0;
    if (v->type == PCS_V_STR) {
        rc = check_frame(L, v, vi, true, &fr);
        strv_push(&st->none, &st->nnone, v->u.s.p);
    } else {
        rc = str_list(L, v, "expect_none", &st->none, &st->nnone);
        if (!rc && v->u.c.n == 0)
            rc = err(L, v, "expect_none needs at least one frame type (or closed)");
        for (size_t i = 0; !rc && i < v->u.c.n; i++)
            rc = check_frame(L, v->u.c.items[i], vi, true, &fr);
    }
    if (!rc)
        rc = need(L, m, "for", " in an expect_none step (the window, e.g. for: 300ms)", &w);
    return rc ? rc : get_duration(L, w, &st->within_ns);
}

static int load_send_raw(struct ld *L, const struct pcs_value *v, struct pcs_step *st)
{
    size_t bad = 0;
    int rc = want(L, v, PCS_V_STR, "send_raw");
    if (rc)
        return rc;
    pcs_buf_init(&st->raw);
    if (pcs_buf_from_hex(&st->raw, v->u.s.p, &bad) == 0)
        return 0;
    uint32_t line, col;
    str_pos(L, v, bad, &line, &col);
    unsigned char c = (unsigned char)v->u.s.p[bad];
    if (c > ' ' && c < 127)
        return pcs_diag_set(L->d, PCS_ERR_INVALID, NULL, "%s:%" PRIu32 ":%" PRIu32
                            ": bad hex in send_raw at '%c' (hex pairs like \"c0 01 00\")",
                            L->path, line, col, c);
    return pcs_diag_set(L->d, PCS_ERR_INVALID, NULL, "%s:%" PRIu32 ":%" PRIu32
                        ": bad hex in send_raw (hex pairs like \"c0 01 00\", odd digit?)",
                        L->path, line, col);
}

static int load_send(struct ld *L, const struct pcs_value *m, const struct pcs_value *v, int vi,
                     struct pcs_step *st)
{
    const struct pcs_frame_schema *fr;
    int rc = check_frame(L, v, vi, false, &fr);
    if (rc)
        return rc;
    st->frame = pcs_xstrdup(fr->name);
    struct pcs_value *with = pcs_value_get(m, "with");
    if (!with)
        return 0;
    struct fx x = {fr->name, vi, false};
    rc = want(L, with, PCS_V_MAP, "with");
    if (!rc)
        rc = check_fields(L, with, fr->fields, &x, "");
    if (!rc)
        st->with = pcs_value_clone(with);
    return rc;
}

static int load_invoke(struct ld *L, const struct pcs_value *m, const struct pcs_value *v,
                       struct pcs_step *st)
{
    int rc = want_word(L, v, "invoke (an action name)");
    if (rc)
        return rc;
    st->action = pcs_xstrdup(v->u.s.p);
    struct pcs_value *with = pcs_value_get(m, "with");
    if (!with)
        return 0;
    rc = want(L, with, PCS_V_MAP, "with");
    if (!rc)
        rc = check_tree(L, with);
    if (!rc)
        st->with = pcs_value_clone(with);
    return rc;
}

/* Keys every kind may have: rule, ignore, within. */
static int step_common(struct ld *L, const struct pcs_value *m, int vi, struct pcs_step *st)
{
    const struct pcs_value *v;
    int rc = 0;
    if ((v = pcs_value_get(m, "rule")) && !(rc = check_rule(L, v)))
        st->rule = pcs_xstrdup(v->u.s.p);
    if (!rc && (v = pcs_value_get(m, "ignore")))
        rc = frame_list(L, v, vi, "ignore", &st->ignore, &st->nignore);
    if (!rc && (v = pcs_value_get(m, "within")))
        rc = get_duration(L, v, &st->within_ns);
    return rc;
}

static int step_kind(struct ld *L, const struct pcs_value *m, int *kind)
{
    *kind = -1;
    for (size_t i = 0; i < m->u.c.n; i++) {
        int k = index_of(m->u.c.keys[i], KINDS);
        if (k >= 0 && *kind >= 0)
            return errkey(L, m, m->u.c.keys[i], "a step does one thing, but this one has '%s' "
                          "and '%s'", KINDS[*kind], KINDS[k]);
        if (k >= 0)
            *kind = k;
    }
    if (*kind >= 0)
        return 0;
    return err(L, m, "a step needs one of send, send_raw, expect, expect_any, expect_none, "
               "invoke, connect, close");
}

static int load_step(struct ld *L, const struct pcs_value *m, struct pcs_step *st)
{
    int kind, rc = want(L, m, PCS_V_MAP, "a step");
    if (!rc)
        rc = step_kind(L, m, &kind);
    if (rc)
        return rc;
    char where[40];
    snprintf(where, sizeof where, "in %s %s step", strchr("ei", KINDS[kind][0]) ? "an" : "a",
             KINDS[kind]);
    st->kind = (enum pcs_step_kind)kind;
    st->line = m->line;
    st->col = m->col;
    st->within_ns = 2 * SEC;
    if ((rc = check_keys(L, m, STEP_KEYS[kind], where)) || (rc = step_peer(L, m, st)))
        return rc;
    int vi = peer_vi(L, st->peer);
    if ((rc = step_common(L, m, vi, st)))
        return rc;
    const struct pcs_value *v = pcs_value_get(m, KINDS[kind]);
    switch (st->kind) {
    case PCS_STEP_SEND: return load_send(L, m, v, vi, st);
    case PCS_STEP_SEND_RAW: return load_send_raw(L, v, st);
    case PCS_STEP_EXPECT:
        st->alts = pcs_xcalloc(1, sizeof *st->alts);
        st->nalts = 1;
        return load_alt(L, m, v, vi, st->alts);
    case PCS_STEP_EXPECT_ANY: return load_expect_any(L, v, vi, st);
    case PCS_STEP_EXPECT_NONE: return load_expect_none(L, m, v, vi, st);
    case PCS_STEP_INVOKE: return load_invoke(L, m, v, st);
    default: return 0;   /* connect / close: step_peer read the peer */
    }
}

static int load_steps(struct ld *L, const struct pcs_value *root)
{
    struct pcs_value *v;
    int rc = need(L, root, "steps", "", &v);
    if (!rc)
        rc = want(L, v, PCS_V_LIST, "steps");
    if (!rc && v->u.c.n == 0)
        rc = err(L, v, "steps must not be empty");
    if (rc)
        return rc;
    L->s->steps = pcs_xcalloc(v->u.c.n, sizeof *L->s->steps);
    for (size_t i = 0; i < v->u.c.n; i++) {
        struct pcs_step *st = &L->s->steps[L->s->nsteps++];
        if ((rc = load_step(L, v->u.c.items[i], st)))
            return rc;
        for (size_t a = 0; a < st->nalts; a++)   /* saves count from the next step on */
            for (size_t k = 0; st->alts[a].save && k < st->alts[a].save->u.c.n; k++)
                define(L, st->alts[a].save->u.c.keys[k]);
    }
    return 0;
}

/* ---- the top level ---- */

static int load_header(struct ld *L, const struct pcs_value *root)
{
    struct pcs_spec *s = L->s;
    struct pcs_value *v;
    int rc;
    if ((rc = need(L, root, "pcs", " (the format version, pcs: 1)", &v)))
        return rc;
    if (v->type != PCS_V_INT || v->u.i != 1)
        return err(L, v, "pcs must be 1 (the spec format version this pcs reads)");
    if ((rc = need(L, root, "id", "", &v)) || (rc = want_word(L, v, "id")))
        return rc;
    if (strpbrk(v->u.s.p, " \t\r\n"))
        return err(L, v, "id must not contain spaces");
    s->id = pcs_xstrdup(v->u.s.p);
    s->id_line = v->line;
    if ((rc = need(L, root, "protocol", "", &v)) || (rc = want_word(L, v, "protocol")))
        return rc;
    if (!(s->proto = pcs_protocol_find(v->u.s.p))) {
        struct pcs_buf b;
        pcs_buf_init(&b);
        for (size_t i = 0; pcs_protocols[i]; i++)
            pcs_buf_printf(&b, "%s%s", i ? ", " : "", pcs_protocols[i]->name);
        pcs_buf_cstr(&b);
        rc = err(L, v, "unknown protocol '%s' (known: %s)", v->u.s.p, (char *)b.data);
        pcs_buf_free(&b);
        return rc;
    }
    s->protocol = pcs_xstrdup(v->u.s.p);
    if ((rc = need(L, root, "version", "", &v)) || (rc = check_version(L, v)))
        return rc;
    s->version = pcs_xstrdup(v->u.s.p);
    s->version_index = pcs_protocol_version_index(s->proto, s->version);
    if ((rc = need(L, root, "title", "", &v)) || (rc = want_word(L, v, "title")))
        return rc;
    s->title = pcs_xstrdup(v->u.s.p);
    return 0;
}

static int load_meta(struct ld *L, const struct pcs_value *root)
{
    struct pcs_spec *s = L->s;
    const struct pcs_value *v;
    int rc = 0;
    if (L->rb)
        L->cat = pcs_rulebook_catalogue(L->rb, s->protocol, s->version);
    if ((v = pcs_value_get(root, "rules")) && !(rc = str_list(L, v, "rules", &s->rules, &s->nrules)))
        for (size_t i = 0; !rc && i < v->u.c.n; i++)
            rc = check_rule(L, v->u.c.items[i]);
    if (!rc && (v = pcs_value_get(root, "requires")))
        rc = str_list(L, v, "requires", &s->requires, &s->nrequires);
    if (!rc && (v = pcs_value_get(root, "tags")))
        rc = str_list(L, v, "tags", &s->tags, &s->ntags);
    s->timeout_ns = 10 * SEC;
    if (!rc && (v = pcs_value_get(root, "timeout")))
        rc = get_duration(L, v, &s->timeout_ns);
    if (!rc && (v = pcs_value_get(root, "target")) && !(rc = want(L, v, PCS_V_STR, "target"))) {
        if (strcmp(v->u.s.p, "server") && strcmp(v->u.s.p, "client"))
            return err(L, v, "target must be server or client, not '%s'", v->u.s.p);
        s->target = v->u.s.p[0] == 'c' ? PCS_TARGET_CLIENT : PCS_TARGET_SERVER;
    }
    return rc;
}

static int load_peer(struct ld *L, const char *name, const struct pcs_value *p,
                     struct pcs_peer_spec *peer)
{
    char where[96];
    snprintf(where, sizeof where, "in peer '%s'", name);
    peer->name = pcs_xstrdup(name);
    const struct pcs_value *ver = NULL, *opts;
    int rc = 0;
    if (p->type != PCS_V_NULL) {
        rc = want(L, p, PCS_V_MAP, "a peer");
        if (!rc)
            rc = check_keys(L, p, PEER_KEYS, where);
        if (!rc && (ver = pcs_value_get(p, "version")))
            rc = check_version(L, ver);
        if (!rc && (opts = pcs_value_get(p, "options")))
            rc = want(L, opts, PCS_V_MAP, "options");
        if (!rc)
            peer->opts = pcs_value_clone(p);
    }
    peer->version = pcs_xstrdup(ver ? ver->u.s.p : L->s->version);
    return rc;
}

static int load_peers(struct ld *L, const struct pcs_value *root)
{
    struct pcs_spec *s = L->s;
    const struct pcs_value *v = pcs_value_get(root, "peers");
    if (!v) {
        s->peers = pcs_xcalloc(1, sizeof *s->peers);
        s->npeers = 1;
        s->peers[0].name = pcs_xstrdup("c1");
        s->peers[0].version = pcs_xstrdup(s->version);
        return 0;
    }
    int rc = want(L, v, PCS_V_MAP, "peers");
    if (!rc && v->u.c.n == 0)
        rc = err(L, v, "peers must name at least one peer (or leave it out for one peer, c1)");
    if (rc)
        return rc;
    s->peers = pcs_xcalloc(v->u.c.n, sizeof *s->peers);
    for (size_t i = 0; !rc && i < v->u.c.n; i++) {
        const char *name = v->u.c.keys[i];
        if (!is_ident(name, true))
            return errkey(L, v, name, "bad peer name '%s' (letters, digits, _ and -)", name);
        rc = load_peer(L, name, v->u.c.items[i], &s->peers[s->npeers++]);
    }
    return rc;
}

static int load_vars(struct ld *L, const struct pcs_value *root)
{
    const struct pcs_value *v = pcs_value_get(root, "vars");
    if (!v)
        return 0;
    int rc = want(L, v, PCS_V_MAP, "vars");
    for (size_t i = 0; !rc && i < v->u.c.n; i++) {
        const char *name = v->u.c.keys[i];
        if (!is_ident(name, false))
            return errkey(L, v, name, "bad variable name '%s' (letters, digits and _)", name);
        if (strcmp(name, "uniq") == 0)
            return errkey(L, v, name, "'uniq' is built in: choose another name");
        rc = check_tree(L, v->u.c.items[i]);   /* may use uniq and the vars above it */
        define(L, name);
    }
    if (!rc)
        L->s->vars = pcs_value_clone(v);
    return rc;
}

/* Spec-wide ignore: each type must exist in the spec's version or some peer's. */
static int load_ignore(struct ld *L, const struct pcs_value *root)
{
    struct pcs_spec *s = L->s;
    const struct pcs_value *v = pcs_value_get(root, "ignore");
    if (!v)
        return 0;
    int rc = str_list(L, v, "ignore", &s->ignore, &s->nignore);
    for (size_t i = 0; !rc && i < v->u.c.n; i++) {
        const struct pcs_frame_schema *f;
        const struct pcs_value *t = v->u.c.items[i];
        bool found = false;
        for (size_t p = 0; !found && p < s->npeers; p++)
            found = (f = pcs_protocol_frame(s->proto, t->u.s.p)) &&
                    in_version(f->versions, peer_vi(L, (int)p));
        if (!found)
            rc = check_frame(L, t, s->version_index, false, &f);
    }
    return rc;
}

static int load_spec(struct ld *L, const struct pcs_value *root)
{
    int rc;
    if (root->type != PCS_V_MAP)
        return err(L, root, "a spec must be a map of keys (pcs: 1, id: …, steps: …)");
    if ((rc = check_keys(L, root, TOP_KEYS, "at the top level")) || (rc = load_header(L, root)) ||
        (rc = load_meta(L, root)) || (rc = load_peers(L, root)) || (rc = load_vars(L, root)) ||
        (rc = load_ignore(L, root)))
        return rc;
    return load_steps(L, root);
}

int pcs_spec_load(const char *path, const struct pcs_rulebook *rb, struct pcs_spec **out,
                  struct pcs_diag *d)
{
    struct pcs_diag local;
    struct ld L = {.path = path, .d = d ? d : &local, .rb = rb};
    struct pcs_buf text;
    struct pcs_value *root = NULL;
    pcs_buf_init(&text);
    pcs_diag_clear(L.d);
    *out = NULL;
    int rc = pcs_yaml_read_file(path, &text, L.d);
    if (!rc) {
        L.text = pcs_buf_cstr(&text);
        rc = pcs_yaml_load_string_keys(path, L.text, text.len, &root, &L.keys, L.d);
    }
    if (!rc) {
        L.s = pcs_xcalloc(1, sizeof *L.s);
        L.s->file = pcs_xstrdup(path);
        rc = load_spec(&L, root);
    }
    pcs_value_free(root);
    pcs_yaml_keys_free(&L.keys);
    strv_free(L.defs, L.ndefs);
    pcs_buf_free(&text);
    if (rc) {
        pcs_spec_free(L.s);
        return rc;
    }
    *out = L.s;
    return 0;
}

static void step_free(struct pcs_step *st)
{
    free(st->frame);
    pcs_value_free(st->with);
    pcs_buf_free(&st->raw);
    for (size_t i = 0; i < st->nalts; i++) {
        free(st->alts[i].frame);
        pcs_value_free(st->alts[i].match);
        pcs_value_free(st->alts[i].save);
    }
    free(st->alts);
    strv_free(st->none, st->nnone);
    free(st->action);
    free(st->rule);
    strv_free(st->ignore, st->nignore);
}

void pcs_spec_free(struct pcs_spec *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->id);
    free(s->title);
    free(s->protocol);
    free(s->version);
    strv_free(s->rules, s->nrules);
    strv_free(s->requires, s->nrequires);
    strv_free(s->tags, s->ntags);
    for (size_t i = 0; i < s->npeers; i++) {
        free(s->peers[i].name);
        free(s->peers[i].version);
        pcs_value_free(s->peers[i].opts);
    }
    free(s->peers);
    pcs_value_free(s->vars);
    strv_free(s->ignore, s->nignore);
    for (size_t i = 0; i < s->nsteps; i++)
        step_free(&s->steps[i]);
    free(s->steps);
    free(s);
}

/* ---- durations ---- */

int pcs_parse_duration(const char *s, uint64_t *ns)
{
    static const struct { const char *name; uint64_t ns; } units[] = {
        {"us", 1000}, {"ms", MS}, {"s", SEC}, {"m", 60 * SEC}, {NULL, 0}};
    uint64_t whole = 0, frac = 0, scale = 1;
    if (!s || !isdigit((unsigned char)*s))
        return PCS_ERR_INVALID;
    for (; isdigit((unsigned char)*s); s++) {
        if (whole > UINT64_MAX / 100)
            return PCS_ERR_INVALID;
        whole = whole * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.') {
        if (!isdigit((unsigned char)*++s))
            return PCS_ERR_INVALID;
        for (; isdigit((unsigned char)*s); s++)
            if (scale < 1000000)    /* 6 fraction digits: plenty, and no overflow below */
                frac = frac * 10 + (uint64_t)(*s - '0'), scale *= 10;
    }
    for (size_t i = 0; units[i].name; i++) {
        if (strcmp(s, units[i].name) != 0)
            continue;
        uint64_t u = units[i].ns;
        if (whole > (UINT64_MAX - u) / u)
            return PCS_ERR_INVALID;
        uint64_t v = whole * u + frac * u / scale;
        if (v == 0)
            return PCS_ERR_INVALID;
        *ns = v;
        return 0;
    }
    return PCS_ERR_INVALID;
}

/* ---- collecting spec files ---- */

struct paths {
    char **v;
    size_t n;
};

static bool is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return pcs_xasprintf("%.*s/%s", (int)n, dir, name);
}

static void walk(const char *dir, struct paths *out, int depth)
{
    DIR *d = depth < 64 ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = join_path(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (strcmp(e->d_name, "rules") != 0)
                walk(p, out, depth + 1);
        } else if (is_yaml(e->d_name)) {
            strv_push(&out->v, &out->n, p);
        }
        free(p);
    }
    closedir(d);
}

static void add_arg(const char *path, struct paths *out)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        walk(path, out, 0);
    else
        strv_push(&out->v, &out->n, path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pcs_spec_collect(char *const *args, size_t nargs, char ***paths, size_t *npaths,
                     struct pcs_diag *d)
{
    struct paths out = {0};
    *paths = NULL;
    *npaths = 0;
    for (size_t i = 0; i < nargs; i++) {
        struct stat st;
        glob_t g;
        if (stat(args[i], &st) == 0) {
            add_arg(args[i], &out);
        } else if (strpbrk(args[i], "*?[") && glob(args[i], 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc; k++)
                add_arg(g.gl_pathv[k], &out);
            globfree(&g);
        } else {
            strv_free(out.v, out.n);
            return pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "%s: no such file or folder",
                                args[i]);
        }
    }
    if (out.n)
        qsort(out.v, out.n, sizeof *out.v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (k && strcmp(out.v[k - 1], out.v[i]) == 0)
            free(out.v[i]);
        else
            out.v[k++] = out.v[i];
    }
    *paths = out.v;
    *npaths = k;
    return 0;
}

const char **pcs_spec_cited(const struct pcs_spec *s, size_t *n)
{
    const char **ids = pcs_xcalloc(s->nrules + s->nsteps + 1, sizeof *ids);
    *n = 0;
    for (size_t j = 0; j < s->nrules + s->nsteps; j++) {
        const char *id = j < s->nrules ? s->rules[j] : s->steps[j - s->nrules].rule;
        bool seen = !id;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(ids[k], id) == 0;
        if (!seen)
            ids[(*n)++] = id;
    }
    return ids;
}
