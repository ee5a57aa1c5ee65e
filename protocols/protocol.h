/* protocol.h — the contract every protocol speaks: the vtable the engine drives, the frame
 * schema tables that describe frames and fields, and the always-on checks.
 * Codecs behind this vtable are sans-IO: bytes and values in, values, bytes and diagnostics
 * out; they open no socket, read no clock and draw no random bytes.
 * Tables are static const data owned by the protocol; a decoded value is owned by the caller. */
#ifndef PCS_PROTOCOL_H
#define PCS_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "diag.h"
#include "value.h"

enum pcs_transport { PCS_TCP, PCS_UDP, PCS_QUIC };

/* Direction of a frame on a connection. */
enum pcs_dir {
    PCS_DIR_C2S = 0,   /* client to server */
    PCS_DIR_S2C = 1,   /* server to client */
};
#define PCS_DIRS_C2S (1u << PCS_DIR_C2S)
#define PCS_DIRS_S2C (1u << PCS_DIR_S2C)
#define PCS_DIRS_BOTH (PCS_DIRS_C2S | PCS_DIRS_S2C)

/* Versions are indexes into pcs_protocol.versions; a mask of 0 means "every version". */
#define PCS_VER(i) (1u << (i))

/* Field types of the schema. An int field with an enum table also accepts the names. */
enum pcs_ftype {
    PCS_F_BOOL,
    PCS_F_INT,
    PCS_F_STR,
    PCS_F_BYTES,
    PCS_F_MAP,    /* a map whose keys are the `sub` fields */
    PCS_F_LIST,   /* a list of ints/strings, or of maps described by `sub` */
    PCS_F_ANY,
};

/* One enum name ⇄ number. Tables end with {NULL, 0}. */
struct pcs_enum {
    const char *name;
    int64_t value;
};

/* One field of a frame, in wire order. Arrays end with {.name = NULL}. */
struct pcs_field_schema {
    const char *name;                      /* snake_case, public API: never renamed */
    enum pcs_ftype type;
    uint32_t versions;                     /* PCS_VER mask, 0 = all */
    const struct pcs_enum *enums;          /* accepted names for an int field, or NULL */
    const struct pcs_field_schema *sub;    /* fields of a map / of each map in a list */
    int64_t min, max;                      /* range of an int (both 0 = natural width) */
    const char *doc;                       /* one line for docs/spec-format.md */
    enum pcs_ftype item_type;              /* element type of a PCS_F_LIST without `sub` */
};

/* One frame type. Arrays end with {.name = NULL}. */
struct pcs_frame_schema {
    const char *name;                      /* "CONNACK": the value's `type` */
    uint32_t versions;                     /* PCS_VER mask, 0 = all */
    unsigned dirs;                         /* PCS_DIRS_*: who may send it */
    const struct pcs_field_schema *fields;
    const char *doc;
};

/* Bit of a frame type in a pcs_check's `types` mask: i is the type's index in the protocol's
 * `frames` table. */
#define PCS_FRAME_BIT(i) ((uint64_t)1 << (i))

/* An always-on rule check, run right after decode() accepted a frame (st is the connection
 * state it updated; frame its value, or NULL when none was built), on frames whose direction
 * is in `dirs` and whose type is in `types`. A check reads what decode() left in st, so it
 * works without the value, and must run before the next decode on st (it may read the
 * frame's bytes). Returns 0 when the frame obeys the rule, else a negative pcs_err with d
 * filled ("PUBLISH: packet identifier is 0", rule). fn may be called on any frame: it
 * ignores those outside versions, dirs and types itself, so the engine's filtering is only
 * a shortcut. */
struct pcs_check {
    const char *rule;                      /* catalogue ID */
    uint32_t versions;
    unsigned dirs;
    const char *summary;
    int (*fn)(void *st, enum pcs_dir dir, const struct pcs_value *frame, struct pcs_diag *d);
    uint64_t types;                        /* PCS_FRAME_BIT mask of frame types, 0 = every type
                                            * (a frame of unknown type meets only those) */
};

/* Named faults of a protocol's stub are listed by the stub, not here. */

struct pcs_protocol {
    const char *name;                      /* "mqtt": the spec's `protocol:` */
    const char *const *versions;           /* {"3.1.1", "5.0", NULL} */
    enum pcs_transport transport;
    uint16_t default_port;                 /* replay's decode-by-port */
    size_t conn_state_size;                /* bytes of per-connection codec state */

    /* version: one of `versions`, or NULL to learn it from the traffic (replay, stubs). */
    int (*conn_init)(void *st, const char *version);
    void (*conn_fini)(void *st);
    /* Current version index of the connection, -1 while unknown. */
    int (*conn_version)(const void *st);

    /* Stream transports: length of the frame at buf as soon as its header tells it (a
     * whole frame is there when it is <= len; else the caller waits for that many), 0 = the
     * header itself is incomplete, negative pcs_err = the stream cannot be framed any further
     * (d says why). */
    ssize_t (*frame_length)(void *st, const uint8_t *buf, size_t len, struct pcs_diag *d);
    /* One whole frame → a map value {type: NAME, field: value, …}. Never reads past len.
     * Returns 0, or PCS_ERR_MALFORMED with d citing the rule broken (*out is then NULL).
     * out NULL: the frame is checked and the state updated all the same, but no value is
     * built (replay that only counts and checks); last_type then tells its type. */
    int (*decode)(void *st, enum pcs_dir dir, const uint8_t *frame, size_t len,
                  struct pcs_value **out, struct pcs_diag *d);
    /* Index in `frames` of the type of the frame decode() accepted last, -1 if none. */
    int (*last_type)(const void *st);
    /* A frame value (names or numbers for enums; absent fields take defaults) → bytes
     * appended to out. Encodes what it is told even where the spec forbids it (packet id 0,
     * QoS 3), so specs can send bad frames; fails only on what cannot be represented. */
    int (*encode)(void *st, enum pcs_dir dir, const struct pcs_value *frame, struct pcs_buf *out,
                  struct pcs_diag *d);

    const struct pcs_frame_schema *frames; /* every frame type of every version */
    const struct pcs_check *checks;        /* ends with {.rule = NULL} */
};

/* Schema helpers (protocol.c), shared by the spec loader, docs and codecs. */
const struct pcs_frame_schema *pcs_protocol_frame(const struct pcs_protocol *p, const char *name);
/* Index in p->frames of a frame value's type: the mark its codec left (frame_index), else
 * looked up by its `type` name; -1 when unknown. */
int pcs_protocol_frame_index(const struct pcs_protocol *p, const struct pcs_value *frame);
/* Does check c apply to a frame of type index ti (from pcs_protocol_frame_index) sent in dir
 * on a connection of version index ver (-1 unknown: only version-independent checks)? */
static inline bool pcs_check_applies(const struct pcs_check *c, int ti, enum pcs_dir dir, int ver)
{
    if (!(c->dirs & (1u << dir)))
        return false;
    if (c->versions && (ver < 0 || !(c->versions & PCS_VER(ver))))
        return false;
    return !c->types || (ti >= 0 && ti < 64 && (c->types & PCS_FRAME_BIT(ti)));
}
/* The type index of the frame decode() accepted last on st (frame: its value, or NULL when
 * none was built): the protocol's last_type, else the value's type; -1 when unknown. */
int pcs_protocol_last_type(const struct pcs_protocol *p, const void *st,
                           const struct pcs_value *frame);
/* Runs check c on the frame decode() just accepted on st: nonzero on a violation, with d
 * filled and d->rule the rule broken (the check's own unless it named a more specific one);
 * d is left alone when the frame obeys. */
int pcs_check_run(const struct pcs_check *c, void *st, enum pcs_dir dir,
                  const struct pcs_value *frame, struct pcs_diag *d);
const struct pcs_field_schema *pcs_schema_field(const struct pcs_field_schema *fields,
                                                const char *name);
/* Index of version string in p->versions, or -1. */
int pcs_protocol_version_index(const struct pcs_protocol *p, const char *version);
/* Enum lookups: 0 and *out set when found, else PCS_ERR_NOTFOUND. */
int pcs_enum_value(const struct pcs_enum *e, const char *name, int64_t *out);
const char *pcs_enum_name(const struct pcs_enum *e, int64_t value); /* NULL if none */

/* The one table of protocols (registry.c). */
extern const struct pcs_protocol *const pcs_protocols[];   /* NULL-terminated */
const struct pcs_protocol *pcs_protocol_find(const char *name);

#endif
