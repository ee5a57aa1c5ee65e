/* schema_doc.c — Markdown reference of a protocol's frame schema: one section per frame type
 * with a field table (name, type, versions, values, description), then each nested field table
 * (map items, list-of-map items) once, however many frames share it.
 * Protocol-agnostic; reads only the static schema tables. Output goes to the caller's buffer. */
#include "schema_doc.h"

#include <inttypes.h>
#include <string.h>

#define MAX_NESTED 64

struct doc {
    const struct pcs_protocol *p;
    struct pcs_buf *out;
    const struct pcs_field_schema *nested[MAX_NESTED];
    const char *nested_name[MAX_NESTED];
    size_t n_nested;
};

/* Text with '|' escaped and newlines flattened, safe inside a table cell. */
static void cell(struct pcs_buf *o, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            pcs_buf_append(o, "\\|", 2);
        else
            pcs_buf_putc(o, *s == '\n' ? ' ' : (uint8_t)*s);
    }
}

static void versions(struct doc *d, uint32_t mask)
{
    if (!mask) {
        pcs_buf_printf(d->out, "all");
        return;
    }
    const char *sep = "";
    for (int i = 0; d->p->versions[i]; i++)
        if (mask & PCS_VER(i)) {
            pcs_buf_printf(d->out, "%s%s", sep, d->p->versions[i]);
            sep = ", ";
        }
}

static const char *tname(enum pcs_ftype t)
{
    switch (t) {
    case PCS_F_BOOL: return "bool";
    case PCS_F_INT: return "int";
    case PCS_F_STR: return "string";
    case PCS_F_BYTES: return "bytes";
    case PCS_F_MAP: return "map";
    case PCS_F_LIST: return "list";
    case PCS_F_ANY: return "any";
    }
    return "?";
}

/* Index of a nested table, registering it on first sight. */
static size_t nested(struct doc *d, const struct pcs_field_schema *sub, const char *name)
{
    for (size_t i = 0; i < d->n_nested; i++)
        if (d->nested[i] == sub)
            return i;
    if (d->n_nested == MAX_NESTED)
        return MAX_NESTED;
    d->nested[d->n_nested] = sub;
    d->nested_name[d->n_nested] = name;
    return d->n_nested++;
}

static void field_row(struct doc *d, const struct pcs_field_schema *f)
{
    struct pcs_buf *o = d->out;
    pcs_buf_printf(o, "| `%s` | %s", f->name, tname(f->type));
    if (f->type == PCS_F_LIST)
        pcs_buf_printf(o, " of %s", f->sub ? "map" : tname(f->item_type));
    if (f->min || f->max)
        pcs_buf_printf(o, " %" PRId64 "..%" PRId64, f->min, f->max);
    pcs_buf_printf(o, " | ");
    versions(d, f->versions);
    pcs_buf_printf(o, " | ");
    const char *sep = "";
    for (const struct pcs_enum *e = f->enums; e && e->name; e++) {
        pcs_buf_printf(o, "%s`%s`=0x%02" PRIx64, sep, e->name, (uint64_t)e->value);
        sep = ", ";
    }
    if (f->sub) {
        size_t i = nested(d, f->sub, f->name);
        if (i < MAX_NESTED)
            pcs_buf_printf(o, "%sfields: see [%s fields](#nested-%zu)", sep, f->name, i + 1);
    }
    pcs_buf_printf(o, " | ");
    cell(o, f->doc);
    pcs_buf_printf(o, " |\n");
}

static void table(struct doc *d, const struct pcs_field_schema *fields)
{
    pcs_buf_printf(d->out, "| field | type | versions | values | description |\n"
                           "|---|---|---|---|---|\n");
    for (const struct pcs_field_schema *f = fields; f && f->name; f++)
        field_row(d, f);
    pcs_buf_printf(d->out, "\n");
}

void pcs_schema_markdown(const struct pcs_protocol *p, struct pcs_buf *out)
{
    struct doc d = {.p = p, .out = out};
    pcs_buf_printf(out, "# %s frames\n\nVersions: ", p->name);
    versions(&d, 0xffffffffu);
    pcs_buf_printf(out, ". Every frame is a map whose `type` is the frame name; the fields "
                        "below follow in wire order. Enum fields take a name or a number.\n\n");
    for (const struct pcs_frame_schema *f = p->frames; f && f->name; f++) {
        pcs_buf_printf(out, "## %s\n\n", f->name);
        cell(out, f->doc);
        pcs_buf_printf(out, ".\n\nVersions: ");
        versions(&d, f->versions);
        pcs_buf_printf(out, ". Sent by: %s.\n\n",
                       f->dirs == PCS_DIRS_BOTH  ? "client and server"
                       : f->dirs == PCS_DIRS_C2S ? "client"
                       : f->dirs == PCS_DIRS_S2C ? "server"
                                                 : "nobody");
        table(&d, f->fields);
    }
    /* nested tables may register further nested tables: the loop bound grows */
    for (size_t i = 0; i < d.n_nested; i++) {
        pcs_buf_printf(out, "<a id=\"nested-%zu\"></a>\n### %s fields\n\n", i + 1,
                       d.nested_name[i]);
        table(&d, d.nested[i]);
    }
}
