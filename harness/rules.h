/* rules.h — rule catalogues (specs/rules/<protocol>-<version>.yaml): every normative statement
 * of a specification with its section, level, who it applies to and a summary in our words.
 * Specs and always-on checks cite these IDs; `pcs coverage` counts which ones some spec checks.
 * A pcs_rulebook owns all its catalogues and strings; pcs_rulebook_free releases them. */
#ifndef PCS_RULES_H
#define PCS_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct pcs_rule {
    char *id;                    /* "MQTT-3.2.0-1" */
    char *section;               /* "3.2" */
    char *level;                 /* MUST, MUST NOT, SHOULD, SHOULD NOT, MAY */
    char *applies_to;            /* server, client, both (and protocol-specific: proxy, …) */
    char *summary;
    bool testable;               /* false: no observer of the wire can test it */
    char *why;                   /* reason when not testable, else NULL */
    char **aliases; size_t naliases;   /* other spellings of the same ID */
};

struct pcs_catalogue {
    char *file;
    char *protocol, *version;
    char *source;                /* the document the statements come from */
    struct pcs_rule *rules; size_t nrules;
};

struct pcs_rulebook {
    char *dir;
    struct pcs_catalogue *cats; size_t ncats;
};

/* Loads every *.yaml in dir. Returns 0, PCS_ERR_IO or PCS_ERR_INVALID ("file:line:col: …"). */
int pcs_rulebook_load(struct pcs_rulebook *rb, const char *dir, struct pcs_diag *d);
void pcs_rulebook_free(struct pcs_rulebook *rb);
/* Finds the rules folder for a spec path: the first ancestor folder A of it with A/rules/ or
 * A/specs/rules/ holding catalogues, else the source tree's specs/rules. Writes it to out. */
int pcs_rulebook_locate(const char *spec_path, char *out, size_t outlen);

const struct pcs_catalogue *pcs_rulebook_catalogue(const struct pcs_rulebook *rb,
                                                   const char *protocol, const char *version);
/* Looks an ID (or an alias of one) up in a catalogue. NULL if absent. */
const struct pcs_rule *pcs_catalogue_rule(const struct pcs_catalogue *c, const char *id);
/* true for MUST / MUST NOT (a failure), false for SHOULD / MAY (a warning). */
bool pcs_rule_is_mandatory(const struct pcs_rule *r);

#endif
