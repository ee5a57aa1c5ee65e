/* value.h — the one data model of pcs: YAML input, decoded frames, match patterns and report
 * data are all pcs_value trees (null, bool, int, string, bytes, list, map with ordered keys).
 * A container owns its children; pcs_value_free frees a whole tree. Values read from YAML
 * carry their source line and column so errors can point at them; others have line 0. */
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

/* Renders v: JSON (strict, bytes as "hex:…" strings) or a compact one-line text form for
 * traces ({type: CONNACK, reason_code: 0}), bytes as hex, truncated past max_len (0 = no limit). */
void pcs_value_to_json(const struct pcs_value *v, struct pcs_buf *out);
void pcs_value_to_text(const struct pcs_value *v, struct pcs_buf *out, size_t max_len);
/* Appends s as a JSON string literal (with quotes and escapes). */
void pcs_json_string(struct pcs_buf *out, const char *s, size_t len);

#endif
