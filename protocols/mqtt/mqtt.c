/* mqtt.c — the MQTT protocol object behind the vtable (pcs_mqtt_protocol) and its
 * per-connection state: version (given or learnt from CONNECT), decoder limit, and the small
 * bounded memory of SUBSCRIBE/UNSUBSCRIBE requests that the checks need.
 * No I/O and no heap: the engine owns the state's bytes (conn_state_size). */
#include "mqtt.h"

#include <string.h>

static const char *const versions[] = {"3.1.1", "5.0", NULL};

int pcs_mqtt_conn_init(void *st, const char *version)
{
    struct pcs_mqtt_conn *c = st;
    memset(c, 0, sizeof *c);
    c->version = -1;
    if (version) {
        for (int i = 0; versions[i]; i++)
            if (strcmp(versions[i], version) == 0)
                c->version = i;
        if (c->version < 0)
            return PCS_ERR_INVALID;
    }
    c->max_frame = PCS_MQTT_MAX_FRAME_DEFAULT;
    for (int d = 0; d < 2; d++) {
        c->max_qos[d] = 2;
        c->retain_ok[d] = true;
        c->ack_expect[d] = -1;
    }
    return 0;
}

void pcs_mqtt_conn_fini(void *st) { (void)st; }

int pcs_mqtt_conn_version(const void *st) { return ((const struct pcs_mqtt_conn *)st)->version; }

/* pcs_mqtt_frames is in type order: index = type - 1 */
static int last_type(const void *st) { return ((const struct pcs_mqtt_conn *)st)->last.type - 1; }

void pcs_mqtt_pending_add(struct pcs_mqtt_conn *c, enum pcs_dir dir, int type, uint16_t pid,
                          uint16_t count)
{
    struct pcs_mqtt_pending *p = c->pending[dir];
    for (int i = 0; i < PCS_MQTT_PENDING; i++)
        if (p[i].type == type && p[i].packet_id == pid) {
            p[i].count = count;
            return;
        }
    for (int i = 0; i < PCS_MQTT_PENDING; i++)
        if (!p[i].type) {
            p[i] = (struct pcs_mqtt_pending){pid, count, (uint8_t)type};
            return;
        }
    /* full: overwrite the oldest slot, round robin */
    p[c->pending_next[dir]++ % PCS_MQTT_PENDING] =
        (struct pcs_mqtt_pending){pid, count, (uint8_t)type};
}

int pcs_mqtt_pending_take(struct pcs_mqtt_conn *c, enum pcs_dir dir, int type, uint16_t pid)
{
    struct pcs_mqtt_pending *p = c->pending[dir];
    for (int i = 0; i < PCS_MQTT_PENDING; i++)
        if (p[i].type == type && p[i].packet_id == pid) {
            p[i].type = 0;
            return p[i].count;
        }
    return -1;
}

const struct pcs_protocol pcs_mqtt_protocol = {
    .name = "mqtt",
    .versions = versions,
    .transport = PCS_TCP,
    .default_port = 1883,
    .conn_state_size = sizeof(struct pcs_mqtt_conn),
    .conn_init = pcs_mqtt_conn_init,
    .conn_fini = pcs_mqtt_conn_fini,
    .conn_version = pcs_mqtt_conn_version,
    .frame_length = pcs_mqtt_frame_length,
    .decode = pcs_mqtt_decode,
    .last_type = last_type,
    .encode = pcs_mqtt_encode,
    .frames = pcs_mqtt_frames,
    .checks = pcs_mqtt_checks,
};
