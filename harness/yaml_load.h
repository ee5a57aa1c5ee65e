/* yaml_load.h — one YAML document (libyaml) to a pcs_value tree, every node carrying its 1-based
 * line and column. Plain scalars are typed as in YAML 1.2's core schema, but without floats:
 * null/~ → null, true/false → bool, decimal, 0x and 0o integers → int, the rest → string.
 * Duplicate keys, anchors/aliases and multi-document files are errors. Does not know specs.
 * The caller owns the returned tree (pcs_value_free) and any pcs_yaml_keys (pcs_yaml_keys_free). */
#ifndef PCS_YAML_H
#define PCS_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "value.h"

/* Loads path. Returns 0, PCS_ERR_IO ("path: cannot read: …") or PCS_ERR_INVALID
 * ("path:line:col: problem"). *out is NULL on failure; an empty file gives a null value. */
int pcs_yaml_load_file(const char *path, struct pcs_value **out, struct pcs_diag *d);
/* Same for text in memory; name stands for the path in messages. */
int pcs_yaml_load_string(const char *name, const char *text, size_t len, struct pcs_value **out,
                         struct pcs_diag *d);

/* Where each map key was written: a value only knows its own position, and errors such as
 * "unknown key" must point at the key. Filled by the *_keys loaders below. */
struct pcs_yaml_keypos {
    const struct pcs_value *map;
    size_t index;                /* index of the key in map->u.c.keys */
    uint32_t line, col;
};
struct pcs_yaml_keys {
    struct pcs_yaml_keypos *v;   /* owned */
    size_t n, cap;
};

/* As above, also recording key positions in keys (zeroed by the caller; may be NULL). */
int pcs_yaml_load_file_keys(const char *path, struct pcs_value **out, struct pcs_yaml_keys *keys,
                            struct pcs_diag *d);
int pcs_yaml_load_string_keys(const char *name, const char *text, size_t len,
                              struct pcs_value **out, struct pcs_yaml_keys *keys,
                              struct pcs_diag *d);
/* Position of `key` in `map`: true and line, col set when recorded, else false. */
bool pcs_yaml_key_pos(const struct pcs_yaml_keys *keys, const struct pcs_value *map,
                      const char *key, uint32_t *line, uint32_t *col);
void pcs_yaml_keys_free(struct pcs_yaml_keys *keys);

/* Appends the whole file to b. Returns 0 or PCS_ERR_IO ("path: cannot read: strerror"). */
int pcs_yaml_read_file(const char *path, struct pcs_buf *b, struct pcs_diag *d);

#endif
