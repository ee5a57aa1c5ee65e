/* protocol.c — lookups over the schema tables that every protocol declares. No allocation. */
#include "protocol.h"

#include <stdio.h>
#include <string.h>

const struct pcs_frame_schema *pcs_protocol_frame(const struct pcs_protocol *p, const char *name)
{
    for (const struct pcs_frame_schema *f = p->frames; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int pcs_protocol_frame_index(const struct pcs_protocol *p, const struct pcs_value *frame)
{
    if (!frame || frame->type != PCS_V_MAP || !p->frames)
        return -1;
    if (frame->frame_index)
        return frame->frame_index - 1;
    const char *name = pcs_value_get_str(frame, "type");
    for (int i = 0; name && p->frames[i].name; i++)
        if (strcmp(p->frames[i].name, name) == 0)
            return i;
    return -1;
}

int pcs_protocol_last_type(const struct pcs_protocol *p, const void *st,
                           const struct pcs_value *frame)
{
    return p->last_type ? p->last_type(st) : pcs_protocol_frame_index(p, frame);
}

int pcs_check_run(const struct pcs_check *c, void *st, enum pcs_dir dir,
                  const struct pcs_value *frame, struct pcs_diag *d)
{
    int rc = c->fn(st, dir, frame, d);
    if (rc && !d->rule[0])
        snprintf(d->rule, sizeof d->rule, "%s", c->rule);
    return rc;
}

const struct pcs_field_schema *pcs_schema_field(const struct pcs_field_schema *fields,
                                                const char *name)
{
    for (const struct pcs_field_schema *f = fields; f && f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int pcs_protocol_version_index(const struct pcs_protocol *p, const char *version)
{
    for (int i = 0; version && p->versions[i]; i++)
        if (strcmp(p->versions[i], version) == 0)
            return i;
    return -1;
}

int pcs_enum_value(const struct pcs_enum *e, const char *name, int64_t *out)
{
    for (; e && e->name; e++)
        if (strcmp(e->name, name) == 0) {
            *out = e->value;
            return 0;
        }
    return PCS_ERR_NOTFOUND;
}

const char *pcs_enum_name(const struct pcs_enum *e, int64_t value)
{
    for (; e && e->name; e++)
        if (e->value == value)
            return e->name;
    return NULL;
}
