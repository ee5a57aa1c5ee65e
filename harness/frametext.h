/* frametext.h — one-line and tree renderings of frames and peer events for traces: what a live
 * run's trace and `pcs replay` print. Protocol-free (reads only pcs_value trees); appends to a
 * caller's buffer and keeps nothing. */
#ifndef PCS_FRAMETEXT_H
#define PCS_FRAMETEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "value.h"

/* "PUBLISH {topic: a/b, qos: 1, packet_id: 0}": the type, then the fields that matter (no
 * flags, no empty containers, no zero reserved bits), cut at 400 bytes. */
void pcs_frametext_frame(struct pcs_buf *b, const struct pcs_value *frame);
/* Every field, one per line, nested maps and lists indented by two spaces per level, each
 * line starting with `indent` spaces; scalars cut at 200 bytes. */
void pcs_frametext_tree(struct pcs_buf *b, const struct pcs_value *frame, unsigned indent);

#endif
