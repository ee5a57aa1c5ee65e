/* spec.h — a loaded, validated spec: the YAML of DESIGN.md's spec format turned into steps.
 * pcs_spec_load checks everything it can before anything runs (keys, types, frame and field
 * names for the protocol and version, rule IDs, peers, variables, durations) and reports the
 * first problem as "file:line:col: message". A pcs_spec owns everything it points to except
 * `proto` (static); pcs_spec_free releases it. */
#ifndef PCS_SPEC_H
#define PCS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "protocol.h"
#include "value.h"

struct pcs_rulebook;

enum pcs_step_kind {
    PCS_STEP_SEND,         /* send: TYPE  with: {fields}                    */
    PCS_STEP_SEND_RAW,     /* send_raw: "hex bytes"                         */
    PCS_STEP_EXPECT,       /* expect: TYPE|closed  match: {…}  save: {…}     */
    PCS_STEP_EXPECT_ANY,   /* expect_any: [ {expect: …, match: …}, … ]       */
    PCS_STEP_EXPECT_NONE,  /* expect_none: [TYPE, …]  for: 300ms             */
    PCS_STEP_INVOKE,       /* invoke: ACTION  with: {…}  (target: client)    */
    PCS_STEP_CONNECT,      /* connect: PEER  — open a (new) connection       */
    PCS_STEP_CLOSE,        /* close: PEER    — close the peer's connection   */
};

/* One acceptable reaction: a frame type (or "closed") and a pattern it must match. */
struct pcs_expect_alt {
    char *frame;                 /* "CONNACK", or "closed" */
    struct pcs_value *match;     /* pattern map (enum names already turned into numbers,
                                    strings into bytes for bytes fields), or NULL */
    struct pcs_value *save;      /* {var: "field.path"}, or NULL */
    uint32_t line, col;
};

struct pcs_step {
    enum pcs_step_kind kind;
    uint32_t line, col;          /* where the step starts in the spec file */
    int peer;                    /* index into pcs_spec.peers */
    char *frame;                 /* SEND: frame type */
    struct pcs_value *with;      /* SEND / INVOKE fields, may hold "${var}" templates; or NULL */
    struct pcs_buf raw;          /* SEND_RAW bytes */
    struct pcs_expect_alt *alts; /* EXPECT: exactly 1; EXPECT_ANY: 1 or more */
    size_t nalts;
    char **none;                 /* EXPECT_NONE: frame types (may include "closed") */
    size_t nnone;
    char *action;                /* INVOKE: action name from the target's actions */
    uint64_t within_ns;          /* EXPECT*: deadline (default 2s); EXPECT_NONE: window */
    char *rule;                  /* rule ID this step checks, or NULL = the spec's first rule */
    char **ignore;               /* frame types that may arrive before the expected one */
    size_t nignore;
};

struct pcs_peer_spec {
    char *name;                  /* "c1" */
    char *version;               /* protocol version this peer speaks (default: the spec's) */
    struct pcs_value *opts;      /* the peer's map as written, or NULL */
};

enum pcs_role { PCS_TARGET_SERVER, PCS_TARGET_CLIENT };

struct pcs_spec {
    char *file;                  /* path as given */
    char *id, *title, *protocol, *version;
    const struct pcs_protocol *proto;
    int version_index;           /* index into proto->versions */
    char **rules; size_t nrules;
    char **requires; size_t nrequires;
    char **tags; size_t ntags;
    uint64_t timeout_ns;         /* whole-spec deadline (default 10s) */
    enum pcs_role target;
    struct pcs_peer_spec *peers; size_t npeers;   /* at least one ("c1" when none written) */
    struct pcs_value *vars;      /* map name → value (templates allowed), or NULL */
    char **ignore; size_t nignore;
    struct pcs_step *steps; size_t nsteps;
    uint32_t id_line;            /* line of `id:` (for reports) */
};

/* Loads and validates one spec. rb may be NULL (rule IDs then go unchecked).
 * Returns 0, PCS_ERR_INVALID (d->msg = "file:line:col: message") or PCS_ERR_IO. */
int pcs_spec_load(const char *path, const struct pcs_rulebook *rb, struct pcs_spec **out,
                  struct pcs_diag *d);
void pcs_spec_free(struct pcs_spec *s);
/* The rules s cites — its `rules`, then each step's `rule` — each once, in that order. Returns
 * an array the caller frees (the strings are s's) and their number in *n. */
const char **pcs_spec_cited(const struct pcs_spec *s, size_t *n);

/* Expands arguments (files, folders searched recursively for *.yaml / *.yml, shell globs)
 * into a sorted, de-duplicated list of spec paths; folders named `rules` are skipped.
 * Caller frees each path and the array. Returns 0 or PCS_ERR_NOTFOUND (d names the arg). */
int pcs_spec_collect(char *const *args, size_t nargs, char ***paths, size_t *npaths,
                     struct pcs_diag *d);

/* Duration "300ms", "2s", "1.5s", "1m", "250us" → ns. Returns 0 or PCS_ERR_INVALID. */
int pcs_parse_duration(const char *s, uint64_t *ns);

#endif
