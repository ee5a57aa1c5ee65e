/* schema_doc.h — renders a protocol's frame schema (pcs_protocol.frames) as Markdown, for
 * the generated docs: every frame type with its fields, types, versions, enum names and docs.
 * Knows no protocol by name; writes into a caller-owned pcs_buf, allocates nothing else. */
#ifndef PCS_SCHEMA_DOC_H
#define PCS_SCHEMA_DOC_H

#include "buf.h"
#include "protocol.h"

/* Appends the Markdown reference of p's frames to out. */
void pcs_schema_markdown(const struct pcs_protocol *p, struct pcs_buf *out);

#endif
