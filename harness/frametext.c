/* frametext.c — trace renderings of frame values (see frametext.h). The one-line form was
 * runner.c's frame_text; it now lives here so live runs and replays print frames alike. */
#include "frametext.h"

#include <stdbool.h>
#include <string.h>

void pcs_frametext_frame(struct pcs_buf *b, const struct pcs_value *frame)
{
    const char *type = pcs_value_get_str(frame, "type");
    pcs_buf_printf(b, "%s", type ? type : "?");
    if (!frame || frame->type != PCS_V_MAP)
        return;
    /* the trace shows what matters: no type twice, no default flags, no empty containers,
     * no reserved bits that are zero */
    struct pcs_value *rest = pcs_value_clone(frame);
    pcs_value_free(pcs_value_take(rest, "type"));
    pcs_value_free(pcs_value_take(rest, "flags"));
    for (size_t i = rest->u.c.n; i-- > 0;) {
        const struct pcs_value *v = rest->u.c.items[i];
        bool empty = (v->type == PCS_V_MAP || v->type == PCS_V_LIST) && v->u.c.n == 0;
        bool zero_reserved = strstr(rest->u.c.keys[i], "reserved") &&
                             ((v->type == PCS_V_INT && v->u.i == 0) ||
                              (v->type == PCS_V_BOOL && !v->u.b));
        if (empty || zero_reserved)
            pcs_value_free(pcs_value_take(rest, rest->u.c.keys[i]));
    }
    if (rest->u.c.n) {
        pcs_buf_putc(b, ' ');
        pcs_value_to_text(rest, b, 400);
    }
    pcs_value_free(rest);
}

static void pad(struct pcs_buf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        pcs_buf_putc(b, ' ');
}

static void node(struct pcs_buf *b, const char *key, const struct pcs_value *v, unsigned indent)
{
    pad(b, indent);
    if (key)
        pcs_buf_printf(b, "%s:", key);
    else
        pcs_buf_printf(b, "-");
    bool nest = v && (v->type == PCS_V_MAP || v->type == PCS_V_LIST) && v->u.c.n;
    if (!nest) {
        pcs_buf_putc(b, ' ');
        pcs_value_to_text(v, b, 200);
        pcs_buf_putc(b, '\n');
        return;
    }
    pcs_buf_putc(b, '\n');
    for (size_t i = 0; i < v->u.c.n; i++)
        node(b, v->type == PCS_V_MAP ? v->u.c.keys[i] : NULL, v->u.c.items[i], indent + 2);
}

void pcs_frametext_tree(struct pcs_buf *b, const struct pcs_value *frame, unsigned indent)
{
    if (!frame || frame->type != PCS_V_MAP) {
        node(b, NULL, frame, indent);
        return;
    }
    for (size_t i = 0; i < frame->u.c.n; i++)
        node(b, frame->u.c.keys[i], frame->u.c.items[i], indent);
}
