/* replay_fuzz.c — libFuzzer target for the whole replay path: the input is a capture file in
 * memory → pcapread (records, link/IP/TCP/UDP) → reassembly → flow table → MQTT framing and
 * decoding → always-on checks → trace/summary text (to /dev/null). Run twice per input: once
 * with the default bounds, printing trace and field trees, once with tiny bounds (4 flows,
 * 2 KiB per direction, 4 segments) so eviction and buffer limits are exercised.
 * Invariants beyond "no crash, no leak": the command exits 0 or 1 (2 for a bad header). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    for (int tiny = 0; tiny < 2; tiny++) {
        struct pcs_replay_opts o = {.file = "fuzz.pcap", .mem = data, .memlen = size,
                                    .no_rules = true, .quiet = tiny, .tree = !tiny,
                                    .out = null, .err = null};
        if (tiny)
            o.limits = (struct pcs_flows_config){.max_flows = 4, .max_buffered = 8192,
                                                 .max_dir = 2048, .max_segs = 4};
        int rc = pcs_replay_run(&o);
        if (rc < 0 || rc > 2)
            abort();
    }
    return 0;
}
