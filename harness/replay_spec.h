/* replay_spec.h — `pcs replay FILE --spec S.yaml`: the spec's steps re-evaluated on the
 * connections a capture recorded, by the same runner, matcher and always-on checks as a live
 * run, so a pcap gives back the verdict its live run gave. */
#ifndef PCS_REPLAY_SPEC_H
#define PCS_REPLAY_SPEC_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"
#include "runner.h"

struct pcs_replay_spec_opts {
    const char *file;            /* the capture */
    const char *spec;            /* the spec file */
    const char *rules_dir;       /* NULL: located from the spec's path */
    bool strict;
    const char *junit, *json;    /* report paths or NULL */
    struct pcs_console *con;     /* where the case is printed */
    const char *const *peer_map; /* --peer NAME=IP:PORT pairs (name, endpoint, …, NULL) */
};

/* Reads the capture's connections in order of appearance (every flow decoded as the spec's
 * protocol and version), maps them to the spec's peers in the order the steps open them, and
 * runs the spec over them. Returns an exit code: 0 pass (or warn), 1 fail or error, 2 a bad
 * spec or unreadable capture, 3 a report could not be written. */
int pcs_replay_spec(const struct pcs_replay_spec_opts *o);

/* The recording on its own (tests): 0, or PCS_ERR_IO / PCS_ERR_MALFORMED with d filled. */
int pcs_recording_load(struct pcs_recording *rec, const char *file, const struct pcs_spec *s,
                       struct pcs_diag *d);
void pcs_recording_free(struct pcs_recording *rec);

#endif
