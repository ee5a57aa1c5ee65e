/* mqtt_decode_fuzz.c — libFuzzer target for the MQTT codec: frames the input with
 * frame_length, decodes every frame in both directions and all three version settings
 * (unknown, 3.1.1, 5.0), runs the always-on checks on each decoded frame, and re-encodes it.
 * Every frame is also decoded without a value (as replay does) on a twin connection.
 * Invariants beyond "no crash": a decoded frame carries its packet type's mark, a check finds
 * nothing in a frame outside its types, the twin accepts and rejects the same frames and its
 * checks find the same violations, a decoded frame always encodes, and the bytes it encodes
 * to decode again to an equal value. Owns nothing past one input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt/mqtt.h"
#include "protocol.h"

static void one(const struct pcs_protocol *p, void *st, void *twin, enum pcs_dir dir,
                const uint8_t *f, size_t n, int version)
{
    struct pcs_value *v = NULL;
    struct pcs_diag d = {0}, td = {0};
    int rc = p->decode(st, dir, f, n, &v, &d);
    if ((p->decode(twin, dir, f, n, NULL, &td) != 0) != (rc != 0))
        abort();  /* building the value or not, the same frames decode */
    if (rc) {
        if (v || d.code != PCS_ERR_MALFORMED || d.offset > n || strcmp(d.rule, td.rule) != 0)
            abort();
        return;
    }
    int ti = pcs_protocol_frame_index(p, v);
    if (ti != (f[0] >> 4) - 1 || p->last_type(st) != ti || p->last_type(twin) != ti)
        abort();  /* the codec's mark names the packet's own type */
    for (const struct pcs_check *c = p->checks; c->rule; c++) {
        struct pcs_diag cd = {0}, tcd = {0};
        int rc = c->fn(st, dir, v, &cd);
        if ((c->fn(twin, dir, NULL, &tcd) != 0) != (rc != 0) || strcmp(cd.msg, tcd.msg) != 0)
            abort();  /* the checks read the state, not the value */
        /* a violation names a rule: the check's own, or a more specific one (max_packet
         * cites the rule of the property that made the packet too large) */
        if (rc && strncmp(cd.rule, "MQTT-", 5) != 0)
            abort();
        /* the engine skips a check whose types leave the frame out: it must find nothing */
        if (rc && c->types && !(c->types & PCS_FRAME_BIT(ti)))
            abort();
    }
    struct pcs_buf out;
    pcs_buf_init(&out);
    if (p->encode(st, dir, v, &out, &d))
        abort();  /* whatever decodes must encode */
    /* the re-encoded bytes decode on a fresh connection of the same version */
    struct pcs_mqtt_conn fresh;
    p->conn_init(&fresh, version < 0 ? NULL : p->versions[version]);
    if (version < 0)
        fresh.version = p->conn_version(st);
    fresh.foreign_level = ((const struct pcs_mqtt_conn *)st)->foreign_level;  /* picks a layout */
    struct pcs_value *w = NULL;
    if (p->decode(&fresh, dir, out.data, out.len, &w, &d) || !pcs_value_equal(v, w))
        abort();  /* decode(encode(decode(x))) == decode(x) */
    pcs_value_free(w);
    p->conn_fini(&fresh);
    pcs_buf_free(&out);
    pcs_value_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct pcs_protocol *p = &pcs_mqtt_protocol;
    for (int version = -1; version <= 1; version++) {
        for (int mode = 0; mode < 3; mode++) {  /* all C2S, all S2C, alternating */
            struct pcs_mqtt_conn st, twin;
            p->conn_init(&st, version < 0 ? NULL : p->versions[version]);
            p->conn_init(&twin, version < 0 ? NULL : p->versions[version]);
            st.max_frame = twin.max_frame = 1 << 20;
            size_t off = 0;
            for (unsigned i = 0; off < size; i++) {
                enum pcs_dir dir = mode == 2 ? (enum pcs_dir)(i & 1) : (enum pcs_dir)mode;
                struct pcs_diag d = {0};
                ssize_t n = p->frame_length(&st, data + off, size - off, &d);
                if (n <= 0 || (size_t)n > size - off) {
                    /* the rest as one frame: exercises length mismatches and truncation */
                    one(p, &st, &twin, dir, data + off, size - off, version);
                    break;
                }
                one(p, &st, &twin, dir, data + off, (size_t)n, version);
                off += (size_t)n;
            }
            p->conn_fini(&st);
            p->conn_fini(&twin);
        }
    }
    return 0;
}
