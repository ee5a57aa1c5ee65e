/* match.h — patterns against values, and ${var} templates. Both protocol-free: a pattern is a
 * pcs_value tree as the spec loader normalised it (DESIGN.md "Matchers"). */
#ifndef PCS_MATCH_H
#define PCS_MATCH_H

#include <stdbool.h>

#include "buf.h"
#include "diag.h"
#include "value.h"

/* true when `actual` (a field value, NULL when absent) satisfies `pattern`. On a mismatch
 * appends one line to why: "reason_code: expected 0, got 135". path names the field. */
bool pcs_match(const struct pcs_value *pattern, const struct pcs_value *actual,
               const char *path, struct pcs_buf *why);

/* Copy of v with every "${name}" replaced from vars (a map). A string that is exactly
 * "${name}" takes the variable's value and type; inside a longer string it is rendered as
 * text. Returns 0, or PCS_ERR_NOTFOUND naming the variable (*out is then NULL). */
int pcs_template_apply(const struct pcs_value *v, const struct pcs_value *vars,
                       struct pcs_value **out, struct pcs_diag *d);

#endif
