/* value.h — the one data model of pcs: YAML input, decoded frames, match patterns and report
 * data are all pcs_value trees (null, bool, int, string, bytes, list, map with ordered keys).
 * A container owns its children; pcs_value_free frees a whole tree. Values read from YAML
 * carry their source line and column so errors can point at them; others have line 0.
 * Decoders build a frame's tree in one arena that its root owns (pcs_value_tree): one
 * allocation per frame instead of one per node, key and string. */
#ifndef PCS_VALUE_H
#define PCS_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pcs_vtype {
    PCS_V_NULL,
    PCS_V_BOOL,
    PCS_V_INT,
    PCS_V_STR,    /* NUL-terminated, may hold any bytes (len counts them) */
    PCS_V_BYTES,
    PCS_V_LIST,
    PCS_V_MAP,
};

struct pcs_value {
    enum pcs_vtype type;
    uint32_t line, col;           /* 1-based source position, 0 = none */
    uint16_t frame_index;         /* a decoded frame's map: 1 + the index of its type in the
                                   * protocol's frames table, set by the codec so the engine
                                   * need not look the name up; 0 = not known. Cleared when
                                   * the map changes; copied by clone. */
    uint16_t flags;               /* PCS_VF_*: where the node's memory lives (value.c's) */
    union {
        bool b;
        int64_t i;
        struct {
            char *p;              /* owned; NUL-terminated for strings and bytes alike */
            size_t len;
        } s;
        struct {
            struct pcs_value **items;   /* owned */
            char **keys;                /* owned; maps only (NULL for lists) */
            size_t n, cap;
        } c;
    } u;
};

struct pcs_value *pcs_value_null(void);
struct pcs_value *pcs_value_bool(bool b);
struct pcs_value *pcs_value_int(int64_t i);
struct pcs_value *pcs_value_str(const char *s);
struct pcs_value *pcs_value_strn(const char *s, size_t n);
struct pcs_value *pcs_value_bytes(const void *p, size_t n);
struct pcs_value *pcs_value_list(void);
struct pcs_value *pcs_value_map(void);

void pcs_value_free(struct pcs_value *v);
struct pcs_value *pcs_value_clone(const struct pcs_value *v);
bool pcs_value_equal(const struct pcs_value *a, const struct pcs_value *b);
const char *pcs_value_type_name(enum pcs_vtype t);

/* Containers. push/set take ownership of v; set replaces an existing key. */
void pcs_value_push(struct pcs_value *list, struct pcs_value *v);
void pcs_value_reverse(struct pcs_value *list);   /* a list's items in reverse order */
void pcs_value_set(struct pcs_value *map, const char *key, struct pcs_value *v);
struct pcs_value *pcs_value_get(const struct pcs_value *map, const char *key);  /* NULL if absent */
/* Dotted path through maps and list indexes: "properties.maximum_qos", "reason_codes.0". */
struct pcs_value *pcs_value_path(const struct pcs_value *v, const char *path);
/* Removes key from map and returns its value (caller owns), or NULL. */
struct pcs_value *pcs_value_take(struct pcs_value *map, const char *key);

/* Convenience readers for codecs: return dflt when absent or of another type. */
int64_t pcs_value_get_int(const struct pcs_value *map, const char *key, int64_t dflt);
bool pcs_value_get_bool(const struct pcs_value *map, const char *key, bool dflt);
const char *pcs_value_get_str(const struct pcs_value *map, const char *key); /* NULL if none */

/* ---- trees built in one arena (decoders) ----
 * pcs_value_tree() makes an empty map that owns an arena; the pcs_tree_* functions make values
 * in that arena, and one pcs_value_free(root) releases them all. Keys given to pcs_tree_set and
 * strings given to pcs_tree_lit are not copied: they must outlive the tree (literals, schema
 * names). To every other function such a tree is an ordinary one and may be changed as one: a
 * container that gains an entry moves its arrays to the heap, pcs_value_take hands out a heap
 * copy, and freeing a node inside the tree releases only what was added to it later; the
 * tree's memory goes with its root. hint: bytes of strings the tree will hold, roughly. */
struct pcs_value *pcs_value_tree(size_t hint);
struct pcs_value *pcs_tree_int(struct pcs_value *root, int64_t i);
struct pcs_value *pcs_tree_bool(struct pcs_value *root, bool b);
struct pcs_value *pcs_tree_strn(struct pcs_value *root, const char *s, size_t n);
struct pcs_value *pcs_tree_lit(struct pcs_value *root, const char *s);   /* s is borrowed */
struct pcs_value *pcs_tree_bytes(struct pcs_value *root, const void *p, size_t n);
struct pcs_value *pcs_tree_list(struct pcs_value *root);
struct pcs_value *pcs_tree_map(struct pcs_value *root);
/* Appends key → v to a map of the tree (key must not be in it yet; it is borrowed), or v to a
 * list of the tree. v is a value of the same tree. */
void pcs_tree_set(struct pcs_value *root, struct pcs_value *map, const char *key,
                  struct pcs_value *v);
void pcs_tree_push(struct pcs_value *root, struct pcs_value *list, struct pcs_value *v);

/* Renders v: JSON (strict, bytes as "hex:…" strings) or a compact one-line text form for
 * traces ({type: CONNACK, reason_code: 0}), bytes as hex, truncated past max_len (0 = no limit). */
void pcs_value_to_json(const struct pcs_value *v, struct pcs_buf *out);
void pcs_value_to_text(const struct pcs_value *v, struct pcs_buf *out, size_t max_len);
/* Appends s as a JSON string literal (with quotes and escapes). */
void pcs_json_string(struct pcs_buf *out, const char *s, size_t len);

#endif
