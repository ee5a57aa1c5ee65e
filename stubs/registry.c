/* registry.c — the one table of stubs: maps a protocol name to its built-in reference
 * implementation. Adding a protocol's stub is one line here. Static data; owns nothing. */
#include "stub.h"

#include <string.h>

extern const struct pcs_stub_kind pcs_mqtt_stub;

static const struct pcs_stub_kind *const stubs[] = {
    &pcs_mqtt_stub,
    NULL,
};

const struct pcs_stub_kind *pcs_stub_find(const char *protocol)
{
    if (!protocol)
        return NULL;
    for (size_t i = 0; stubs[i]; i++)
        if (strcmp(stubs[i]->protocol, protocol) == 0)
            return stubs[i];
    return NULL;
}

const struct pcs_stub_fault *pcs_stub_fault_find(const struct pcs_stub_kind *k, const char *name)
{
    if (!k || !k->faults || !name)
        return NULL;
    for (const struct pcs_stub_fault *f = k->faults; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}
