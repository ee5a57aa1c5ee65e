/* mqtt_frame.c — MQTT framing only: where the next whole control packet ends in a byte
 * stream. It reads the fixed header and nothing else; decoding is mqtt_codec.c's job.
 * No allocation.
 *
 *   byte 0       type (bits 7-4) | flags (bits 3-0)
 *   bytes 1..4   Remaining Length, a Variable Byte Integer: 7 value bits per byte, least
 *                significant group first, bit 7 = "another byte follows"; at most 4 bytes
 *                (so at most 268,435,455)
 *   then         Remaining Length bytes of variable header and payload
 */
#include "mqtt.h"

int pcs_mqtt_vbi_get(const uint8_t *p, size_t len, uint32_t *val, size_t *used, bool *minimal)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        if (i >= len)
            return PCS_MQTT_VBI_MORE;
        v |= (uint32_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *val = v;
            *used = i + 1;
            /* a last byte of 0 after the first one adds nothing: a shorter form exists */
            if (minimal)
                *minimal = i == 0 || p[i] != 0;
            return 0;
        }
    }
    return PCS_MQTT_VBI_LONG;
}

size_t pcs_mqtt_vbi_size(uint32_t v)
{
    return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

void pcs_mqtt_vbi_put(struct pcs_buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        pcs_buf_putc(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

ssize_t pcs_mqtt_frame_length(void *st, const uint8_t *buf, size_t len, struct pcs_diag *d)
{
    const struct pcs_mqtt_conn *c = st;
    uint32_t rl = 0;
    size_t used = 0;
    if (len < 2)
        return 0;
    int r = pcs_mqtt_vbi_get(buf + 1, len - 1, &rl, &used, NULL);
    if (r == PCS_MQTT_VBI_MORE)
        return 0;
    if (r == PCS_MQTT_VBI_LONG)
        return pcs_diag_set(d, PCS_ERR_MALFORMED, "",
                            "fixed header: Remaining Length is longer than 4 bytes");
    size_t total = 1 + used + (size_t)rl;
    size_t max = c && c->max_frame ? c->max_frame : PCS_MQTT_MAX_FRAME_DEFAULT;
    if (total > max)
        return pcs_diag_set(d, PCS_ERR_MALFORMED, "",
                            "fixed header: packet of %zu bytes exceeds the limit of %zu bytes",
                            total, max);
    return (ssize_t)total;
}
