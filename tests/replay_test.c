/* replay_test.c — `pcs replay` end to end on small synthesized captures: an MQTT 5.0 flow with
 * a CONNECT split across out-of-order segments and a server PUBLISH QoS 1 with packet id 0
 * (MQTT-2.2.1-4), a flow with a missing segment (gap: no wrong frame, a warning), a flow on
 * an unknown port claimed by the probe, and one started mid-stream (not decoded). Checks the
 * event order of pcs_replay_stream, the trace, violations, summary, JSON and exit codes, and
 * that a spec's recording leaves out the connections begun before the capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "helpers.h"
#include "replay.h"
#include "replay_spec.h"
#include "rules.h"
#include "spec.h"

/* ---- a tiny capture writer ---- */

struct cap {
    struct pcs_buf f;
    uint32_t usec;
};

static void le32(struct pcs_buf *b, uint32_t v)
{
    uint8_t x[4] = {v & 255, v >> 8 & 255, v >> 16 & 255, v >> 24};
    pcs_buf_append(b, x, 4);
}

static void cap_init(struct cap *c)
{
    pcs_buf_init(&c->f);
    c->usec = 0;
    le32(&c->f, 0xa1b2c3d4), le32(&c->f, 0x00040002), le32(&c->f, 0), le32(&c->f, 0);
    le32(&c->f, 65535), le32(&c->f, 1);
}

/* Ethernet + IPv4 + TCP from host a (192.0.2.a) port pa to host b port pb. */
static void tcp(struct cap *c, uint8_t a, uint16_t pa, uint8_t b, uint16_t pb, uint8_t fl,
                uint32_t seq, const char *hex)
{
    struct pcs_buf pl;
    pcs_buf_init(&pl);
    if (hex)
        th_hex(&pl, hex);
    size_t tot = 40 + pl.len;
    uint8_t h[54] = {2, 0, 0, 0, 0, b, 2, 0, 0, 0, 0, a, 0x08, 0x00,
                     0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 0, 0x40, 0, 64, 6, 0, 0,
                     192, 0, 2, a, 192, 0, 2, b,
                     (uint8_t)(pa >> 8), (uint8_t)pa, (uint8_t)(pb >> 8), (uint8_t)pb,
                     (uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8), (uint8_t)seq,
                     0, 0, 0, 0, 0x50, fl, 0xff, 0xff};
    c->usec += 1000;
    le32(&c->f, 1700000000), le32(&c->f, c->usec);
    le32(&c->f, (uint32_t)(54 + pl.len)), le32(&c->f, (uint32_t)(54 + pl.len));
    pcs_buf_append(&c->f, h, 54);
    pcs_buf_append(&c->f, pl.data, pl.len);
    pcs_buf_free(&pl);
}

#define S PCS_TCP_SYN
#define A PCS_TCP_ACK
#define PA (PCS_TCP_PSH | PCS_TCP_ACK)
#define F (PCS_TCP_FIN | PCS_TCP_ACK)

/* The capture every test here replays. Packet numbers in comments. */
static void build(struct cap *c)
{
    cap_init(c);
    /* flow 1: MQTT 5.0, client .1:50000, server .2:1883 */
    tcp(c, 1, 50000, 2, 1883, S, 1000, NULL);                             /* 1 */
    tcp(c, 2, 1883, 1, 50000, S | A, 5000, NULL);                         /* 2 */
    tcp(c, 1, 50000, 2, 1883, A, 1001, NULL);                             /* 3 */
    /* CONNECT 5.0, client id "c1", in two segments, the second first */
    tcp(c, 1, 50000, 2, 1883, PA, 1007, "54 54 05 02 00 3c 00 00 02 63 31");  /* 4 */
    tcp(c, 1, 50000, 2, 1883, PA, 1001, "10 0f 00 04 4d 51");             /* 5 */
    tcp(c, 2, 1883, 1, 50000, PA, 5001, "20 03 00 00 00");                /* 6 CONNACK */
    /* PUBLISH QoS 1 topic a/b with packet id 0 from the server: MQTT-2.2.1-4 */
    tcp(c, 2, 1883, 1, 50000, PA, 5006, "32 0a 00 03 61 2f 62 00 00 00 68 69");   /* 7 */
    tcp(c, 1, 50000, 2, 1883, PA, 1018, "e0 00");                         /* 8 DISCONNECT */
    tcp(c, 1, 50000, 2, 1883, F, 1020, NULL);                             /* 9 */
    tcp(c, 2, 1883, 1, 50000, F, 5018, NULL);                             /* 10 */
    /* flow 2: MQTT 3.1.1 with a PINGREQ never captured: a gap, not a wrong frame */
    tcp(c, 3, 40000, 2, 1883, S, 0, NULL);                                /* 11 */
    tcp(c, 3, 40000, 2, 1883, PA, 1, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 32");  /* 12 */
    tcp(c, 3, 40000, 2, 1883, PA, 19, "c0 00");                           /* 13, 17..18 lost */
    /* flow 3: port 11883 (unknown), no SYN: the probe sees a CONNECT and claims it */
    tcp(c, 4, 40001, 2, 11883, PA, 77, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 33");  /* 14 */
    tcp(c, 2, 11883, 4, 40001, PA, 9, "20 02 00 00");                     /* 15 */
    tcp(c, 4, 40001, 2, 11883, PA, 93, "c0 00");                          /* 16 */
    /* flow 4: port 1883 caught mid-stream (a PUBLISH, no CONNECT seen): not decoded */
    tcp(c, 5, 40002, 2, 1883, PA, 500, "30 05 00 01 74 68 69");           /* 17 */
    /* not IP: ARP */
    le32(&c->f, 1700000001), le32(&c->f, 0), le32(&c->f, 16), le32(&c->f, 16);
    pcs_buf_append(&c->f, "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\1\x08\x06\0\1", 16);   /* 18 */
}

/* ---- the event stream ---- */

struct seen {
    char log[4096];
    size_t len;
};

static void on_ev(struct pcs_flow_event *ev, void *ud)
{
    struct seen *s = ud;
    static const char *const kinds[] = {"open", "frame", "malformed", "gap", "closed", "fin"};
    const char *type = ev->frame ? pcs_value_get_str(ev->frame, "type") : NULL;
    s->len += (size_t)snprintf(s->log + s->len, sizeof s->log - s->len, "%llu:f%llu:%s%s%s\n",
                               (unsigned long long)ev->packet, (unsigned long long)ev->flow->id,
                               kinds[ev->kind], type ? ":" : "", type ? type : "");
}

static void event_stream(void **state)
{
    (void)state;
    struct cap c;
    build(&c);
    struct pcs_pcapread *r = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_pcapread_open_mem(c.f.data, c.f.len, &r, &d), 0);
    struct seen s = {0};
    struct pcs_replay_stats st;
    assert_int_equal(pcs_replay_stream(r, NULL, on_ev, &s, &st, &d), 0);
    pcs_pcapread_free(r);
    assert_string_equal(s.log,
                        "1:f1:open\n"
                        "5:f1:frame:CONNECT\n"
                        "6:f1:frame:CONNACK\n"
                        "7:f1:frame:PUBLISH\n"
                        "8:f1:frame:DISCONNECT\n"
                        "9:f1:fin\n"
                        "10:f1:fin\n"
                        "10:f1:closed\n"
                        "11:f2:open\n"
                        "12:f2:frame:CONNECT\n"
                        "14:f3:open\n"
                        "14:f3:frame:CONNECT\n"
                        "15:f3:frame:CONNACK\n"
                        "16:f3:frame:PINGREQ\n"
                        "17:f4:open\n"
                        "17:f4:gap\n"
                        "17:f4:gap\n"
                        "18:f2:gap\n"
                        "18:f2:closed\n"
                        "18:f3:closed\n"
                        "18:f4:closed\n");
    assert_int_equal(st.packets, 18);
    assert_int_equal(st.tcp_udp, 17);
    assert_int_equal(st.flows.flows, 4);
    assert_int_equal(st.flows.decoded, 4);
    assert_int_equal(st.flows.frames, 8);
    assert_int_equal(st.warn[PCS_PW_NON_IP], 1);
    assert_int_equal(st.warn[PCS_PW_GAP], 1);
    assert_int_equal(st.warn[PCS_PW_MIDSTREAM], 2);
    pcs_buf_free(&c.f);
}

/* ---- the command ---- */

static int replay(const struct cap *c, bool quiet, const char *json, char **out)
{
    size_t len;
    FILE *o = open_memstream(out, &len);
    FILE *e = fopen("/dev/null", "w");
    struct pcs_replay_opts opts = {.file = "test.pcap", .mem = c->f.data, .memlen = c->f.len,
                                   .rules_dir = th_src("specs/rules"), .quiet = quiet,
                                   .json = json, .out = o, .err = e};
    int rc = pcs_replay_run(&opts);
    fclose(o);
    fclose(e);
    return rc;
}

static void command_output(void **state)
{
    (void)state;
    struct cap c;
    build(&c);
    char *out = NULL;
    const char *json = th_tmpfile("replay.json", "");
    assert_int_equal(replay(&c, false, json, &out), 1);
    /* the trace: packet, time, flow, sender > receiver, frame */
    assert_non_null(strstr(out, "#5 0.004000 f1 192.0.2.1:50000 > 192.0.2.2:1883 CONNECT {"));
    assert_non_null(strstr(out, "#7 0.006000 f1 192.0.2.2:1883 > 192.0.2.1:50000 PUBLISH {"));
    assert_non_null(strstr(out, "      ! MQTT-2.2.1-4 [MUST] PUBLISH:"));
    assert_non_null(strstr(out, "#10 0.009000 f1 closed: fin (4 frames)"));
    /* the violations list cites rule, flow and packet */
    assert_non_null(strstr(out, "\nviolations:\n#7 f1 192.0.2.2:1883 > 192.0.2.1:50000 "
                                "MQTT-2.2.1-4 [MUST] PUBLISH:"));
    /* the summary */
    assert_non_null(strstr(out, "  packets  18 "));
    assert_non_null(strstr(out, "  flows    4 seen, 4 decoded"));
    assert_non_null(strstr(out, "  frames   8 decoded, 0 malformed"));
    assert_non_null(strstr(out, "  mqtt     8: CONNECT 3 CONNACK 2 PUBLISH 1 DISCONNECT 1 PINGREQ 1"));
    assert_non_null(strstr(out, "  violations 1 (1 failing, 0 SHOULD-level) in 1 flows"));
    assert_non_null(strstr(out, "non-ip 1, stream-gap 1, midstream-undecoded 2"));
    assert_non_null(strstr(out, "failing flows: f1\nFAIL"));
    free(out);
    /* JSON: one case per decoded flow, f1 failing with the rule */
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_non_null(strstr(buf, "replay/1"));
    assert_non_null(strstr(buf, "replay/3"));
    assert_non_null(strstr(buf, "MQTT-2.2.1-4"));
    /* -q: no trace, the violation and the summary */
    assert_int_equal(replay(&c, true, NULL, &out), 1);
    assert_null(strstr(out, "CONNECT {"));
    assert_non_null(strstr(out, "#7 f1 192.0.2.2:1883 > 192.0.2.1:50000 MQTT-2.2.1-4 [MUST]"));
    assert_non_null(strstr(out, "summary of test.pcap (pcap)"));
    free(out);
    pcs_buf_free(&c.f);
}

/* A spec replayed over the capture gets only the connections it saw open: flows 3 and 4
 * began before the capture (no SYN), like the end of an earlier client's connection. */
static void recording_skips_midstream(void **state)
{
    (void)state;
    struct cap c;
    build(&c);
    const char *path = th_tmpfile("record.pcap", "");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(c.f.data, 1, c.f.len, f);
    fclose(f);
    struct pcs_rulebook rb = {0};
    struct pcs_spec *s = NULL;
    struct pcs_diag d = {0};
    assert_int_equal(pcs_rulebook_load(&rb, th_src("specs/rules"), &d), 0);
    assert_int_equal(pcs_spec_load(th_src("specs/mqtt/v5/3.2/connack-first.yaml"), &rb, &s, &d), 0);
    struct pcs_recording rec;
    assert_int_equal(pcs_recording_load(&rec, path, s, &d), 0);
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.conns[0].endpoint, "192.0.2.1:50000");
    assert_string_equal(rec.conns[1].endpoint, "192.0.2.3:40000");
    pcs_recording_free(&rec);
    pcs_spec_free(s);
    pcs_rulebook_free(&rb);
    pcs_buf_free(&c.f);
}

static void clean_and_bad_files(void **state)
{
    (void)state;
    struct cap c;
    cap_init(&c);
    tcp(&c, 1, 50000, 2, 1883, S, 1000, NULL);
    tcp(&c, 1, 50000, 2, 1883, PA, 1001, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 32");
    tcp(&c, 2, 1883, 1, 50000, PA, 1, "20 02 00 00");
    char *out = NULL;
    assert_int_equal(replay(&c, true, NULL, &out), 0);
    assert_non_null(strstr(out, "PASS"));
    free(out);
    /* a malformed frame (CONNACK with a reserved flag) is a violation citing its rule */
    tcp(&c, 2, 1883, 1, 50000, PA, 5, "21 02 00 00");
    assert_int_equal(replay(&c, true, NULL, &out), 1);
    assert_non_null(strstr(out, "malformed frame: "));
    free(out);
    /* bad magic: exit 2 */
    c.f.data[0] = 'X';
    assert_int_equal(replay(&c, true, NULL, &out), 2);
    free(out);
    pcs_buf_free(&c.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_stream),
        cmocka_unit_test(command_output),
        cmocka_unit_test(recording_skips_midstream),
        cmocka_unit_test(clean_and_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
