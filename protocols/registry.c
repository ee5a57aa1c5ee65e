/* registry.c — the one table of protocols. Adding a protocol is one line here. */
#include "protocol.h"

#include <string.h>

extern const struct pcs_protocol pcs_mqtt_protocol;

const struct pcs_protocol *const pcs_protocols[] = {
    &pcs_mqtt_protocol,
    NULL,
};

const struct pcs_protocol *pcs_protocol_find(const char *name)
{
    for (size_t i = 0; pcs_protocols[i]; i++)
        if (strcmp(pcs_protocols[i]->name, name) == 0)
            return pcs_protocols[i];
    return NULL;
}
