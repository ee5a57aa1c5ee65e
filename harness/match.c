/* match.c — the matcher (scalars equal; in / not / range / regex / contains; absent / present;
 * maps match a subset of fields; lists element by element) and ${var} templates. */
#include "match.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_op(const struct pcs_value *p, const char *op)
{
    return p->type == PCS_V_MAP && p->u.c.n == 1 && strcmp(p->u.c.keys[0], op) == 0;
}

static bool is_word(const struct pcs_value *p, const char *w)
{
    return p->type == PCS_V_STR && strcmp(p->u.s.p, w) == 0;
}

/* Scalars: equal, with strings and bytes compared by content and bools as 0/1. */
static bool scalar_eq(const struct pcs_value *p, const struct pcs_value *a)
{
    if (!a)
        return false;
    bool pb = p->type == PCS_V_STR || p->type == PCS_V_BYTES;
    bool ab = a->type == PCS_V_STR || a->type == PCS_V_BYTES;
    if (pb && ab)
        return p->u.s.len == a->u.s.len && memcmp(p->u.s.p, a->u.s.p, p->u.s.len) == 0;
    bool pn = p->type == PCS_V_INT || p->type == PCS_V_BOOL;
    bool an = a->type == PCS_V_INT || a->type == PCS_V_BOOL;
    if (pn && an)
        return (p->type == PCS_V_INT ? p->u.i : p->u.b) == (a->type == PCS_V_INT ? a->u.i : a->u.b);
    return pcs_value_equal(p, a);
}

static void mismatch(struct pcs_buf *why, const char *path, const char *what,
                     const struct pcs_value *p, const struct pcs_value *a)
{
    if (!why)
        return;
    if (why->len)
        pcs_buf_putc(why, '\n');
    pcs_buf_printf(why, "%s: expected %s", *path ? path : "frame", what);
    if (p)
        pcs_value_to_text(p, why, 200);
    pcs_buf_append(why, ", got ", 6);
    if (a)
        pcs_value_to_text(a, why, 200);
    else
        pcs_buf_append(why, "nothing (absent)", 16);
}

static bool regex_match(const struct pcs_value *p, const struct pcs_value *a)
{
    if (p->type != PCS_V_STR || !a || (a->type != PCS_V_STR && a->type != PCS_V_BYTES))
        return false;
    regex_t re;
    if (regcomp(&re, p->u.s.p, REG_EXTENDED | REG_NOSUB))
        return false;
    char *s = pcs_xstrndup(a->u.s.p, a->u.s.len);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    free(s);
    regfree(&re);
    return ok;
}

static bool range_match(const struct pcs_value *p, const struct pcs_value *a)
{
    if (p->type != PCS_V_LIST || p->u.c.n != 2 || !a || a->type != PCS_V_INT)
        return false;
    const struct pcs_value *lo = p->u.c.items[0], *hi = p->u.c.items[1];
    return lo->type == PCS_V_INT && hi->type == PCS_V_INT && a->u.i >= lo->u.i && a->u.i <= hi->u.i;
}

static bool contains_match(const struct pcs_value *p, const struct pcs_value *a)
{
    if (!a || a->type != PCS_V_LIST)
        return false;
    const struct pcs_value *want = p;
    size_t n = p->type == PCS_V_LIST ? p->u.c.n : 1;
    for (size_t i = 0; i < n; i++) {
        const struct pcs_value *w = p->type == PCS_V_LIST ? p->u.c.items[i] : want;
        bool found = false;
        for (size_t j = 0; j < a->u.c.n && !found; j++)
            found = pcs_match(w, a->u.c.items[j], "", NULL);
        if (!found)
            return false;
    }
    return true;
}

static void subpath(char *out, size_t n, const char *path, const char *key)
{
    snprintf(out, n, "%s%s%s", path, *path ? "." : "", key);
}

bool pcs_match(const struct pcs_value *p, const struct pcs_value *a, const char *path,
               struct pcs_buf *why)
{
    if (!p)
        return true;
    if (is_word(p, "absent")) {
        if (!a)
            return true;
        mismatch(why, path, "absent", NULL, a);
        return false;
    }
    if (is_word(p, "present")) {
        if (a)
            return true;
        mismatch(why, path, "present", NULL, a);
        return false;
    }
    if (is_op(p, "in")) {
        const struct pcs_value *set = p->u.c.items[0];
        for (size_t i = 0; set->type == PCS_V_LIST && i < set->u.c.n; i++)
            if (pcs_match(set->u.c.items[i], a, path, NULL))
                return true;
        mismatch(why, path, "one of ", set, a);
        return false;
    }
    if (is_op(p, "not")) {
        if (a && !pcs_match(p->u.c.items[0], a, path, NULL))
            return true;
        mismatch(why, path, "not ", p->u.c.items[0], a);
        return false;
    }
    if (is_op(p, "range") || is_op(p, "regex") || is_op(p, "contains")) {
        const char *op = p->u.c.keys[0];
        const struct pcs_value *arg = p->u.c.items[0];
        bool ok = op[0] == 'r' && op[1] == 'a' ? range_match(arg, a)
                  : op[0] == 'r'               ? regex_match(arg, a)
                                               : contains_match(arg, a);
        if (!ok) {
            char what[32];
            snprintf(what, sizeof what, "%s ", op);
            mismatch(why, path, what, arg, a);
        }
        return ok;
    }
    if (p->type == PCS_V_MAP) {
        if (!a || a->type != PCS_V_MAP) {
            mismatch(why, path, "", p, a);
            return false;
        }
        bool ok = true;
        for (size_t i = 0; i < p->u.c.n; i++) {
            char sub[256];
            subpath(sub, sizeof sub, path, p->u.c.keys[i]);
            ok &= pcs_match(p->u.c.items[i], pcs_value_get(a, p->u.c.keys[i]), sub, why);
        }
        return ok;
    }
    if (p->type == PCS_V_LIST) {
        if (!a || a->type != PCS_V_LIST || a->u.c.n != p->u.c.n) {
            mismatch(why, path, "", p, a);
            return false;
        }
        bool ok = true;
        for (size_t i = 0; i < p->u.c.n; i++) {
            char sub[256], idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            subpath(sub, sizeof sub, path, idx);
            ok &= pcs_match(p->u.c.items[i], a->u.c.items[i], sub, why);
        }
        return ok;
    }
    if (scalar_eq(p, a))
        return true;
    mismatch(why, path, "", p, a);
    return false;
}

/* ---- templates ---- */

static int expand_string(const struct pcs_value *v, const struct pcs_value *vars,
                         struct pcs_value **out, struct pcs_diag *d)
{
    const char *s = v->u.s.p;
    const char *open = strstr(s, "${");
    if (!open) {
        *out = pcs_value_clone(v);
        return 0;
    }
    /* exactly "${name}": the variable's own value and type */
    const char *close = strchr(open, '}');
    if (open == s && close && close[1] == 0) {
        char *name = pcs_xstrndup(s + 2, (size_t)(close - s - 2));
        const struct pcs_value *val = pcs_value_get(vars, name);
        int rc = val ? 0 : pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "undefined variable '%s'", name);
        free(name);
        if (rc)
            return rc;
        *out = pcs_value_clone(val);
        (*out)->line = v->line;
        (*out)->col = v->col;
        return 0;
    }
    struct pcs_buf b;
    pcs_buf_init(&b);
    while (*s) {
        open = strstr(s, "${");
        close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            pcs_buf_append(&b, s, strlen(s));
            break;
        }
        pcs_buf_append(&b, s, (size_t)(open - s));
        char *name = pcs_xstrndup(open + 2, (size_t)(close - open - 2));
        const struct pcs_value *val = pcs_value_get(vars, name);
        if (!val) {
            pcs_diag_set(d, PCS_ERR_NOTFOUND, NULL, "undefined variable '%s'", name);
            free(name);
            pcs_buf_free(&b);
            return PCS_ERR_NOTFOUND;
        }
        free(name);
        if (val->type == PCS_V_STR || val->type == PCS_V_BYTES)
            pcs_buf_append(&b, val->u.s.p, val->u.s.len);
        else
            pcs_value_to_json(val, &b);
        s = close + 1;
    }
    *out = pcs_value_strn(b.len ? (char *)b.data : "", b.len);
    (*out)->line = v->line;
    (*out)->col = v->col;
    pcs_buf_free(&b);
    return 0;
}

int pcs_template_apply(const struct pcs_value *v, const struct pcs_value *vars,
                       struct pcs_value **out, struct pcs_diag *d)
{
    *out = NULL;
    if (!v)
        return 0;
    if (v->type == PCS_V_STR)
        return expand_string(v, vars, out, d);
    if (v->type != PCS_V_LIST && v->type != PCS_V_MAP) {
        *out = pcs_value_clone(v);
        return 0;
    }
    struct pcs_value *c = v->type == PCS_V_MAP ? pcs_value_map() : pcs_value_list();
    c->line = v->line;
    c->col = v->col;
    for (size_t i = 0; i < v->u.c.n; i++) {
        struct pcs_value *item;
        int rc = pcs_template_apply(v->u.c.items[i], vars, &item, d);
        if (rc) {
            pcs_value_free(c);
            return rc;
        }
        if (v->type == PCS_V_MAP)
            pcs_value_set(c, v->u.c.keys[i], item);
        else
            pcs_value_push(c, item);
    }
    *out = c;
    return 0;
}
