/* helpers.h — small things shared by the cmocka tests: hex literals, paths into the tree. */
#ifndef PCS_TEST_HELPERS_H
#define PCS_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Hex string ("c0 01 00") to bytes in b; fails the test on bad hex. */
void th_hex(struct pcs_buf *b, const char *hex);
/* PCS_SOURCE_DIR "/" rel, in a static buffer (one at a time). */
const char *th_src(const char *rel);
/* Writes text to a fresh temporary file and returns its path (static buffer, one at a time). */
const char *th_tmpfile(const char *name, const char *text);

#endif
