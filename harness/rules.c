/* rules.c — loads and validates the rule catalogues (the .yaml files of specs/rules) and finds
 * the rules folder that belongs to a spec. It checks the catalogue format only (keys, types, levels,
 * unique IDs and aliases); whether a spec cites known IDs is spec.c's business, counting them
 * coverage.c's. The rulebook owns every string and array it holds (pcs_rulebook_free). */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "value.h"
#include "yaml_load.h"

#ifndef PCS_SOURCE_DIR
#define PCS_SOURCE_DIR "."
#endif

#define FORMAT_VERSION 1

static const char *const LEVELS[] = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", NULL};
static const char *const TOP_KEYS[] = {"pcs_rules", "protocol", "version", "source", "rules", NULL};
static const char *const RULE_KEYS[] = {"id",      "aliases",  "section", "level",
                                        "applies_to", "summary", "testable", "why", NULL};

/* What the validator needs at hand: the file for messages and where keys were written. */
struct ld {
    const char *file;
    struct pcs_yaml_keys keys;
    struct pcs_diag *d;
};

static int bad(struct ld *l, const struct pcs_value *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct ld *l, const struct pcs_value *at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t line = at ? at->line : 0, col = at ? at->col : 0;
    if (!line)
        line = col = 1;
    return pcs_diag_set(l->d, PCS_ERR_INVALID, NULL, "%s:%u:%u: %s", l->file, (unsigned)line,
                        (unsigned)col, msg);
}

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* Every key of map must be in known; the error points at the key itself. */
static int check_keys(struct ld *l, const struct pcs_value *map, const char *const *known,
                      const char *where)
{
    for (size_t i = 0; i < map->u.c.n; i++) {
        const char *k = map->u.c.keys[i];
        if (one_of(k, known))
            continue;
        struct pcs_value pos = {.line = map->u.c.items[i]->line, .col = map->u.c.items[i]->col};
        uint32_t line, col;
        if (pcs_yaml_key_pos(&l->keys, map, k, &line, &col)) {
            pos.line = line;
            pos.col = col;
        }
        return bad(l, &pos, "unknown key '%s' in %s", k, where);
    }
    return 0;
}

/* A non-empty string (an int is taken as its decimal text: `section: 6`). */
static int get_text(struct ld *l, const struct pcs_value *map, const char *key, bool required,
                    bool allow_int, const char *where, char **out)
{
    const struct pcs_value *v = pcs_value_get(map, key);
    *out = NULL;
    if (!v) {
        if (required)
            return bad(l, map, "%s: missing key '%s'", where, key);
        return 0;
    }
    if (v->type == PCS_V_INT && allow_int) {
        *out = pcs_xasprintf("%lld", (long long)v->u.i);
        return 0;
    }
    if (v->type != PCS_V_STR)
        return bad(l, v, "%s: '%s' must be a string, not %s", where, key,
                   pcs_value_type_name(v->type));
    if (v->u.s.len == 0 || strlen(v->u.s.p) != v->u.s.len)
        return bad(l, v, "%s: '%s' must be a non-empty string", where, key);
    *out = pcs_xstrdup(v->u.s.p);
    return 0;
}

static bool is_id(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return *s != '\0';
}

static bool is_word(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

static void rule_free(struct pcs_rule *r)
{
    free(r->id);
    free(r->section);
    free(r->level);
    free(r->applies_to);
    free(r->summary);
    free(r->why);
    for (size_t i = 0; i < r->naliases; i++)
        free(r->aliases[i]);
    free(r->aliases);
    memset(r, 0, sizeof *r);
}

static void catalogue_free(struct pcs_catalogue *c)
{
    for (size_t i = 0; i < c->nrules; i++)
        rule_free(&c->rules[i]);
    free(c->rules);
    free(c->file);
    free(c->protocol);
    free(c->version);
    free(c->source);
    memset(c, 0, sizeof *c);
}

static int load_rule(struct ld *l, const struct pcs_value *v, size_t index, struct pcs_rule *r)
{
    char where[96];
    if (v->type != PCS_V_MAP)
        return bad(l, v, "rules[%zu] must be a map, not %s", index, pcs_value_type_name(v->type));
    int rc = get_text(l, v, "id", true, false, "rule", &r->id);
    if (rc)
        return rc;
    if (!is_id(r->id))
        return bad(l, pcs_value_get(v, "id"), "rule id '%s' must not contain spaces", r->id);
    snprintf(where, sizeof where, "rule %s", r->id);
    if ((rc = check_keys(l, v, RULE_KEYS, where)) ||
        (rc = get_text(l, v, "section", true, true, where, &r->section)) ||
        (rc = get_text(l, v, "level", true, false, where, &r->level)) ||
        (rc = get_text(l, v, "applies_to", true, false, where, &r->applies_to)) ||
        (rc = get_text(l, v, "summary", true, false, where, &r->summary)) ||
        (rc = get_text(l, v, "why", false, false, where, &r->why)))
        return rc;
    if (!one_of(r->level, LEVELS))
        return bad(l, pcs_value_get(v, "level"),
                   "%s: level '%s' is not one of MUST, MUST NOT, SHOULD, SHOULD NOT, MAY", where,
                   r->level);
    if (!is_word(r->applies_to))
        return bad(l, pcs_value_get(v, "applies_to"),
                   "%s: applies_to '%s' must be a lower-case word (server, client, both, …)",
                   where, r->applies_to);

    const struct pcs_value *t = pcs_value_get(v, "testable");
    r->testable = true;
    if (t) {
        if (t->type != PCS_V_BOOL)
            return bad(l, t, "%s: 'testable' must be true or false", where);
        r->testable = t->u.b;
    }
    if (!r->testable && !r->why)
        return bad(l, t, "%s: testable: false needs a 'why'", where);
    if (r->testable && r->why)
        return bad(l, pcs_value_get(v, "why"), "%s: 'why' is only for testable: false", where);

    const struct pcs_value *a = pcs_value_get(v, "aliases");
    if (a) {
        if (a->type != PCS_V_LIST)
            return bad(l, a, "%s: 'aliases' must be a list of IDs", where);
        r->aliases = pcs_xcalloc(a->u.c.n ? a->u.c.n : 1, sizeof *r->aliases);
        for (size_t i = 0; i < a->u.c.n; i++) {
            const struct pcs_value *s = a->u.c.items[i];
            if (s->type != PCS_V_STR || !is_id(s->u.s.p))
                return bad(l, s, "%s: aliases must be IDs without spaces", where);
            r->aliases[r->naliases++] = pcs_xstrdup(s->u.s.p);
        }
    }
    return 0;
}

/* Where an ID (main or alias) was written: for "first defined at" in duplicate errors. */
struct idpos {
    const char *id;
    const struct pcs_value *at;
};

static int cmp_pos(const struct pcs_value *a, const struct pcs_value *b)
{
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return a->col < b->col ? -1 : a->col > b->col;
}

static int cmp_idpos(const void *a, const void *b)
{
    const struct idpos *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : cmp_pos(x->at, y->at);
}

static int check_unique(struct ld *l, const struct pcs_catalogue *c, const struct pcs_value *list)
{
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < c->nrules; i++)
        cap += 1 + c->rules[i].naliases;
    struct idpos *v = pcs_xcalloc(cap ? cap : 1, sizeof *v);
    for (size_t i = 0; i < c->nrules; i++) {
        const struct pcs_value *m = list->u.c.items[i];
        v[n++] = (struct idpos){c->rules[i].id, pcs_value_get(m, "id")};
        const struct pcs_value *a = pcs_value_get(m, "aliases");
        for (size_t j = 0; j < c->rules[i].naliases; j++)
            v[n++] = (struct idpos){c->rules[i].aliases[j], a->u.c.items[j]};
    }
    qsort(v, n, sizeof *v, cmp_idpos);
    /* Of all repeated spellings, report the one written first, with its original. */
    const struct idpos *dup = NULL, *orig = NULL;
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(v[i].id, v[first].id) != 0) {
            first = i;
            continue;
        }
        if (!dup || cmp_pos(v[i].at, dup->at) < 0) {
            dup = &v[i];
            orig = &v[first];
        }
    }
    int rc = 0;
    if (dup)
        rc = bad(l, dup->at, "duplicate id %s (first at line %u)", dup->id,
                 (unsigned)orig->at->line);
    free(v);
    return rc;
}

static int load_catalogue(const char *path, struct pcs_catalogue *c, struct pcs_diag *d)
{
    struct ld l = {.file = path, .d = d};
    struct pcs_value *root = NULL;
    memset(c, 0, sizeof *c);
    int rc = pcs_yaml_load_file_keys(path, &root, &l.keys, d);
    if (rc)
        goto out;
    if (root->type != PCS_V_MAP) {
        rc = bad(&l, root, "a rule catalogue is a map (pcs_rules, protocol, version, rules), "
                           "not %s", pcs_value_type_name(root->type));
        goto out;
    }
    if ((rc = check_keys(&l, root, TOP_KEYS, "catalogue")))
        goto out;
    const struct pcs_value *fv = pcs_value_get(root, "pcs_rules");
    if (!fv) {
        rc = bad(&l, root, "catalogue: missing key 'pcs_rules'");
        goto out;
    }
    if (fv->type != PCS_V_INT || fv->u.i != FORMAT_VERSION) {
        rc = bad(&l, fv, "pcs_rules: this pcs reads catalogue format %d", FORMAT_VERSION);
        goto out;
    }
    c->file = pcs_xstrdup(path);
    if ((rc = get_text(&l, root, "protocol", true, false, "catalogue", &c->protocol)) ||
        (rc = get_text(&l, root, "version", true, true, "catalogue", &c->version)) ||
        (rc = get_text(&l, root, "source", false, false, "catalogue", &c->source)))
        goto out;
    const struct pcs_value *list = pcs_value_get(root, "rules");
    if (!list) {
        rc = bad(&l, root, "catalogue: missing key 'rules'");
        goto out;
    }
    if (list->type != PCS_V_LIST) {
        rc = bad(&l, list, "'rules' must be a list, not %s", pcs_value_type_name(list->type));
        goto out;
    }
    c->rules = pcs_xcalloc(list->u.c.n ? list->u.c.n : 1, sizeof *c->rules);
    for (size_t i = 0; i < list->u.c.n; i++) {
        rc = load_rule(&l, list->u.c.items[i], i, &c->rules[i]);
        c->nrules = i + 1;   /* so a half-filled rule is freed too */
        if (rc)
            goto out;
    }
    rc = check_unique(&l, c, list);
out:
    if (rc)
        catalogue_free(c);
    pcs_value_free(root);
    pcs_yaml_keys_free(&l.keys);
    return rc;
}

static bool is_catalogue_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml names in dir (caller frees); -1 when dir cannot be opened. */
static long list_catalogues(const char *dir, char ***names)
{
    *names = NULL;
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (!is_catalogue_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            *names = pcs_xrealloc(*names, cap * sizeof **names);
        }
        (*names)[n++] = pcs_xstrdup(e->d_name);
    }
    closedir(dp);
    if (n)
        qsort(*names, n, sizeof **names, cmp_str);
    return (long)n;
}

int pcs_rulebook_load(struct pcs_rulebook *rb, const char *dir, struct pcs_diag *d)
{
    memset(rb, 0, sizeof *rb);
    char **names;
    long n = list_catalogues(dir, &names);
    if (n < 0)
        return pcs_diag_set(d, PCS_ERR_IO, NULL, "%s: cannot open rules folder: %s", dir,
                            strerror(errno));
    rb->dir = pcs_xstrdup(dir);
    rb->cats = pcs_xcalloc(n ? (size_t)n : 1, sizeof *rb->cats);
    int rc = 0;
    size_t dlen = strlen(dir);
    bool slash = dlen && dir[dlen - 1] == '/';
    for (long i = 0; i < n; i++) {
        char *path = pcs_xasprintf("%s%s%s", dir, slash ? "" : "/", names[i]);
        if (!rc) {
            struct pcs_catalogue c;
            rc = load_catalogue(path, &c, d);
            if (!rc) {
                const struct pcs_catalogue *twin = pcs_rulebook_catalogue(rb, c.protocol,
                                                                          c.version);
                if (twin) {
                    rc = pcs_diag_set(d, PCS_ERR_INVALID, NULL,
                                      "%s:1:1: catalogue %s %s is already in %s", path,
                                      c.protocol, c.version, twin->file);
                    catalogue_free(&c);
                } else {
                    rb->cats[rb->ncats++] = c;
                }
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    if (rc)
        pcs_rulebook_free(rb);
    return rc;
}

void pcs_rulebook_free(struct pcs_rulebook *rb)
{
    if (!rb)
        return;
    for (size_t i = 0; i < rb->ncats; i++)
        catalogue_free(&rb->cats[i]);
    free(rb->cats);
    free(rb->dir);
    memset(rb, 0, sizeof *rb);
}

/* version NULL: the first catalogue of the protocol. */
const struct pcs_catalogue *pcs_rulebook_catalogue(const struct pcs_rulebook *rb,
                                                   const char *protocol, const char *version)
{
    for (size_t i = 0; rb && protocol && i < rb->ncats; i++) {
        const struct pcs_catalogue *c = &rb->cats[i];
        if (strcmp(c->protocol, protocol) == 0 && (!version || strcmp(c->version, version) == 0))
            return c;
    }
    return NULL;
}

const struct pcs_rule *pcs_catalogue_rule(const struct pcs_catalogue *c, const char *id)
{
    if (!c || !id)
        return NULL;
    for (size_t i = 0; i < c->nrules; i++)
        if (strcmp(c->rules[i].id, id) == 0)
            return &c->rules[i];
    for (size_t i = 0; i < c->nrules; i++)
        for (size_t j = 0; j < c->rules[i].naliases; j++)
            if (strcmp(c->rules[i].aliases[j], id) == 0)
                return &c->rules[i];
    return NULL;
}

bool pcs_rule_is_mandatory(const struct pcs_rule *r)
{
    return r && r->level && (strcmp(r->level, "MUST") == 0 || strcmp(r->level, "MUST NOT") == 0);
}

/* ---- locating the rules folder ---- */

static bool holds_catalogues(const char *dir)
{
    char **names;
    long n = list_catalogues(dir, &names);
    for (long i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return n > 0;
}

static bool put(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(s);
    if (n >= outlen)
        return false;
    memcpy(out, s, n + 1);
    return true;
}

/* Returns 0 (out holds the folder), PCS_ERR_NOTFOUND (nothing holds catalogues; out holds the
 * source tree's specs/rules all the same) or PCS_ERR_INVALID (out is too small). spec_path may
 * be a file or a folder, need not exist, and NULL means the current folder. */
int pcs_rulebook_locate(const char *spec_path, char *out, size_t outlen)
{
    struct stat st;
    if (!out || !outlen)
        return PCS_ERR_INVALID;
    out[0] = '\0';
    if (!spec_path || !*spec_path)
        spec_path = ".";
    bool is_dir = stat(spec_path, &st) == 0 && S_ISDIR(st.st_mode);
    char *dir = realpath(spec_path, NULL);
    if (!dir) {
        /* A path that does not exist (yet): make it absolute by hand. */
        char *cwd = spec_path[0] == '/' ? NULL : getcwd(NULL, 0);
        dir = spec_path[0] == '/' ? pcs_xstrdup(spec_path)
              : cwd                ? pcs_xasprintf("%s/%s", cwd, spec_path)
                                   : pcs_xstrdup("");
        free(cwd);
    }
    if (dir[0] == '/' && !is_dir) {
        char *slash = strrchr(dir, '/');
        slash[slash == dir ? 1 : 0] = '\0';
    }
    int rc = 1;
    while (rc == 1 && dir[0] == '/') {
        bool root = strcmp(dir, "/") == 0;
        static const char *const subs[] = {"rules", "specs/rules"};
        for (size_t i = 0; i < 2 && rc == 1; i++) {
            char *cand = pcs_xasprintf("%s/%s", root ? "" : dir, subs[i]);
            if (holds_catalogues(cand))
                rc = put(out, outlen, cand) ? 0 : PCS_ERR_INVALID;
            free(cand);
        }
        if (root)
            break;
        char *slash = strrchr(dir, '/');
        slash[slash == dir ? 1 : 0] = '\0';
    }
    free(dir);
    if (rc != 1)
        return rc;
    const char *fallback = PCS_SOURCE_DIR "/specs/rules";
    if (!put(out, outlen, fallback))
        return PCS_ERR_INVALID;
    return holds_catalogues(fallback) ? 0 : PCS_ERR_NOTFOUND;
}
