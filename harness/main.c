/* main.c — the `pcs` command line: run, matrix, validate, list, coverage, stub, schema, replay.
 * Parses options, wires the suite, target and reporters together, and maps outcomes to exit codes
 * (0 all passed, 1 some failed or errored, 2 usage or spec error, 3 internal error). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "coverage.h"
#include "report.h"
#include "rules.h"
#include "schema_doc.h"
#include "stub.h"
#include "suite.h"
#include "target.h"
#include "net.h"
#include "replay.h"
#include "replay_spec.h"
#include "matrix.h"

#ifndef PCS_VERSION
#define PCS_VERSION "0"
#endif

enum { EXIT_PASS = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

static const char usage_text[] =
    "usage: pcs <command> [options] [SPECS...]\n"
    "\n"
    "Protocol conformance suite: runs YAML specs against an implementation and tells,\n"
    "rule by rule, whether it does what the specification says.\n"
    "\n"
    "commands:\n"
    "  run SPECS...        run specs (files, folders or globs) and report verdicts\n"
    "  validate SPECS...   check specs without running them\n"
    "  list SPECS...       list spec ids, titles and the rules they check\n"
    "  coverage SPECS...   which catalogue rules some spec checks, per level and role\n"
    "  stub PROTOCOL       serve a built-in stub: --listen HOST:PORT [--fault NAME]\n"
    "                      [--list-faults]\n"
    "  schema PROTOCOL     print the frame types and fields specs can use (Markdown)\n"
    "  replay FILE         decode a pcap/pcapng capture offline and run the always-on\n"
    "                      rule checks on every frame (trace, violations, summary)\n"
    "  matrix SPECS        run specs against several targets (--target a,b,c) and print a matrix\n"
    "\n"
    "run options:\n"
    "  --target T          stub (default: the stub broker, or for client specs the stub\n"
    "                      client), HOST:PORT, or a name in the targets file\n"
    "  --targets FILE      targets file (default: ci/targets.yaml when it exists)\n"
    "  --fault NAME        make the built-in stub break one rule on purpose (client-*:\n"
    "                      its client)\n"
    "  --junit PATH        write JUnit XML (Jenkins)\n"
    "  --json PATH         write the same results as JSON\n"
    "  --only GLOB         run only specs whose id matches (repeatable)\n"
    "  --skip GLOB         skip specs whose id matches (repeatable)\n"
    "  -j N                run N specs at once (default 1)\n"
    "  --shard K/N         run the K-th of N stable slices of the suite (CI agents)\n"
    "  --timeout-scale X   multiply every deadline by X (slow machines)\n"
    "  --strict            SHOULD-level failures fail instead of warn\n"
    "  --rules DIR         rule catalogues (default: found next to the specs)\n"
    "  --capture-dir DIR   write one pcap per spec there (default reports/captures)\n"
    "  --no-capture        write no pcaps\n"
    "  -v, --verbose       print the frame trace of every spec, not only failures\n"
    "  --no-color          no ANSI colours (also when NO_COLOR is set)\n"
    "\n"
    "replay options:\n"
    "  --spec S.yaml       re-evaluate that spec's steps on the recorded connections\n"
    "                      (mapped to its peers in the order the steps open them)\n"
    "  --peer NAME=IP:PORT with --spec: peer NAME's first connection is the one from\n"
    "                      IP:PORT (the side pcs played), not the next in order\n"
    "  --decode-as PORT=PROTOCOL   decode TCP/UDP port PORT as PROTOCOL (repeatable)\n"
    "  -q, --quiet         print only violations and the summary\n"
    "  -V                  print every frame's full field tree\n"
    "  --junit/--json PATH one testcase per flow; --rules DIR, --strict as for run\n"
    "\n"
    "matrix options:\n"
    "  --target A,B,...    the targets, one column each, run in turn (names as for run)\n"
    "  --md PATH           also write the matrix as Markdown (--json PATH: as JSON)\n"
    "  --targets, --only, --skip, -j, --timeout-scale, --strict, --rules,\n"
    "  --capture-dir (pcaps in DIR/<target>/), --no-capture, --no-color as for run\n"
    "\n"
    "coverage options:\n"
    "  --uncovered         list the rules no spec checks\n"
    "  --md PATH           also write the report, uncovered rules included, as Markdown\n"
    "\n"
    "exit status: 0 all passed (warnings allowed), 1 some failed or errored,\n"
    "             2 usage or spec error, 3 internal error\n";

struct cli {
    const char *cmd;
    const char *target, *targets_file, *fault, *junit, *json, *rules_dir, *listen;
    const char *capture_dir;
    bool no_capture;
    const char *spec;               /* replay --spec */
    char **peer_map;                /* replay --peer NAME=IP:PORT: name, endpoint, … */
    size_t npeer_map;
    const char *md_path;            /* --md PATH (matrix, coverage) */
    struct pcs_filter filter;
    unsigned jobs;
    double timeout_scale;
    bool strict, verbose, no_color, uncovered, list_faults;
    char **args;
    size_t nargs;
    /* replay */
    char **decode_as;
    size_t ndecode_as;
    bool quiet, tree;
};

static volatile sig_atomic_t interrupted;
static struct pcs_stub *serving;           /* `pcs stub`: stopped by Ctrl-C */
static const struct pcs_stub_kind *serving_kind;

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupted)
        _exit(130);   /* second Ctrl-C: give up at once */
    interrupted = 1;
    if (serving)
        serving_kind->stop(serving);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "pcs: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'pcs --help'.\n");
    return EXIT_USAGE;
}

static char **push_str(char **list, size_t *n, const char *s)
{
    list = pcs_xrealloc(list, (*n + 1) * sizeof *list);
    list[(*n)++] = (char *)s;
    return list;
}

static int parse(struct cli *c, int argc, char **argv)
{
    enum { O_TARGET = 256, O_TARGETS, O_FAULT, O_JUNIT, O_JSON, O_ONLY, O_SKIP, O_SHARD,
           O_SCALE, O_STRICT, O_RULES, O_NOCOLOR, O_UNCOV, O_MD, O_LISTEN, O_LISTFAULTS,
           O_DECODE_AS, O_CAPDIR, O_NOCAP, O_SPEC, O_PEER };
    static const struct option opts[] = {
        {"target", required_argument, 0, O_TARGET}, {"targets", required_argument, 0, O_TARGETS},
        {"fault", required_argument, 0, O_FAULT}, {"junit", required_argument, 0, O_JUNIT},
        {"json", required_argument, 0, O_JSON}, {"only", required_argument, 0, O_ONLY},
        {"skip", required_argument, 0, O_SKIP}, {"shard", required_argument, 0, O_SHARD},
        {"timeout-scale", required_argument, 0, O_SCALE}, {"strict", no_argument, 0, O_STRICT},
        {"rules", required_argument, 0, O_RULES}, {"no-color", no_argument, 0, O_NOCOLOR},
        {"uncovered", no_argument, 0, O_UNCOV}, {"md", required_argument, 0, O_MD},
        {"listen", required_argument, 0, O_LISTEN}, {"list-faults", no_argument, 0, O_LISTFAULTS},
        {"decode-as", required_argument, 0, O_DECODE_AS},
        {"capture-dir", required_argument, 0, O_CAPDIR}, {"no-capture", no_argument, 0, O_NOCAP},
        {"spec", required_argument, 0, O_SPEC}, {"peer", required_argument, 0, O_PEER},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'}, {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'}, {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    c->jobs = 1;
    c->timeout_scale = 1.0;
    c->target = "stub";
    int o;
    char *end;
    while ((o = getopt_long(argc, argv, "+vj:hVq", opts, NULL)) != -1) {
        switch (o) {
        case O_TARGET: c->target = optarg; break;
        case O_TARGETS: c->targets_file = optarg; break;
        case O_FAULT: c->fault = optarg; break;
        case O_JUNIT: c->junit = optarg; break;
        case O_JSON: c->json = optarg; break;
        case O_ONLY: c->filter.only = push_str(c->filter.only, &c->filter.nonly, optarg); break;
        case O_SKIP: c->filter.skip = push_str(c->filter.skip, &c->filter.nskip, optarg); break;
        case O_SHARD:
            if (sscanf(optarg, "%u/%u", &c->filter.shard_k, &c->filter.shard_n) != 2 ||
                c->filter.shard_n == 0 || c->filter.shard_k < 1 ||
                c->filter.shard_k > c->filter.shard_n)
                return usage_error("--shard wants K/N with 1 <= K <= N, not '%s'", optarg);
            break;
        case O_SCALE:
            c->timeout_scale = strtod(optarg, &end);
            if (*end || c->timeout_scale <= 0)
                return usage_error("--timeout-scale wants a positive number, not '%s'", optarg);
            break;
        case O_STRICT: c->strict = true; break;
        case O_RULES: c->rules_dir = optarg; break;
        case O_NOCOLOR: c->no_color = true; break;
        case O_UNCOV: c->uncovered = true; break;
        case O_MD: c->md_path = optarg; break;
        case O_LISTEN: c->listen = optarg; break;
        case O_CAPDIR: c->capture_dir = optarg; break;
        case O_NOCAP: c->no_capture = true; break;
        case O_SPEC: c->spec = optarg; break;
        case O_PEER: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !strchr(eq, ':'))
                return usage_error("--peer wants NAME=IP:PORT, not '%s'", optarg);
            *eq = 0;
            c->peer_map = push_str(c->peer_map, &c->npeer_map, optarg);
            c->peer_map = push_str(c->peer_map, &c->npeer_map, eq + 1);
            break;
        }
        case O_LISTFAULTS: c->list_faults = true; break;
        case 'v': c->verbose = true; break;
        case 'j': {
            long j = strtol(optarg, &end, 10);
            if (*end || j < 1 || j > 256)
                return usage_error("-j wants a number from 1 to 256, not '%s'", optarg);
            c->jobs = (unsigned)j;
            break;
        }
        case 'h': fputs(usage_text, stdout); exit(EXIT_PASS);
        case O_DECODE_AS: c->decode_as = push_str(c->decode_as, &c->ndecode_as, optarg); break;
        case 'q': c->quiet = true; break;
        case 'V':
            if (c->cmd && strcmp(c->cmd, "replay") == 0) {   /* replay -V: field trees */
                c->tree = true;
                break;
            }
            printf("pcs %s\n", PCS_VERSION);
            exit(EXIT_PASS);
        default: return EXIT_USAGE;
        }
    }
    return -1;
}

/* getopt stops at the first operand ("+"): parse command, then options and operands mixed. */
static int parse_all(struct cli *c, int argc, char **argv)
{
    int rc = parse(c, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    c->cmd = argv[optind++];
    while (optind < argc) {
        if (argv[optind][0] != '-' || argv[optind][1] == 0) {
            c->args = push_str(c->args, &c->nargs, argv[optind++]);
            continue;
        }
        rc = parse(c, argc, argv);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

static bool want_color(const struct cli *c, FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    return !c->no_color && !(nc && *nc) && isatty(fileno(f));
}

static int load_specs(struct cli *c, struct pcs_specs *specs, struct pcs_rulebook *rb)
{
    if (c->nargs == 0)
        return usage_error("%s needs specs (files, folders or globs)", c->cmd);
    if (pcs_specs_load(specs, c->args, c->nargs, c->rules_dir, rb, stderr)) {
        pcs_specs_free(specs);
        pcs_rulebook_free(rb);
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_validate(struct cli *c)
{
    struct pcs_rulebook rb = {0};
    struct pcs_specs specs;
    int rc = load_specs(c, &specs, &rb);
    if (rc)
        return rc;
    printf("%zu specs valid\n", specs.n);
    pcs_specs_free(&specs);
    pcs_rulebook_free(&rb);
    return 0;
}

static int cmd_list(struct cli *c)
{
    struct pcs_rulebook rb = {0};
    struct pcs_specs specs;
    int rc = load_specs(c, &specs, &rb);
    if (rc)
        return rc;
    pcs_specs_filter(&specs, &c->filter);
    for (size_t i = 0; i < specs.n; i++) {
        const struct pcs_spec *s = specs.s[i];
        size_t n = 0;
        const char **ids = pcs_spec_cited(s, &n);
        printf("%-48s %s", s->id, s->title);
        for (size_t j = 0; j < n; j++)
            printf("%s%s", j ? ", " : "  [", ids[j]);
        printf("%s\n", n ? "]" : "");
        free(ids);
    }
    pcs_specs_free(&specs);
    pcs_rulebook_free(&rb);
    return 0;
}

static int cmd_coverage(struct cli *c)
{
    struct pcs_rulebook rb = {0};
    struct pcs_specs specs;
    int rc = load_specs(c, &specs, &rb);
    if (rc)
        return rc;
    struct pcs_cited *cited = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < specs.n; i++) {
        const struct pcs_spec *s = specs.s[i];
        size_t nids = 0;
        const char **ids = pcs_spec_cited(s, &nids);
        for (size_t j = 0; j < nids; j++) {
            if (n == cap)
                cited = pcs_xrealloc(cited, (cap = cap ? cap * 2 : 64) * sizeof *cited);
            cited[n++] = (struct pcs_cited){s->protocol, s->version, ids[j]};
        }
        free(ids);
    }
    rc = pcs_coverage_report(stdout, &rb, cited, n, c->uncovered, false) ? EXIT_INTERNAL : 0;
    FILE *md = c->md_path ? fopen(c->md_path, "w") : NULL;
    if (c->md_path && (!md || pcs_coverage_report(md, &rb, cited, n, true, true))) {
        fprintf(stderr, "pcs: cannot write %s\n", c->md_path);
        rc = EXIT_INTERNAL;
    }
    if (md)
        fclose(md);
    free(cited);
    pcs_specs_free(&specs);
    pcs_rulebook_free(&rb);
    return rc;
}

static int cmd_schema(struct cli *c)
{
    if (c->nargs != 1)
        return usage_error("schema needs one protocol name%s", "");
    const struct pcs_protocol *p = pcs_protocol_find(c->args[0]);
    if (!p)
        return usage_error("unknown protocol '%s'", c->args[0]);
    struct pcs_buf b;
    pcs_buf_init(&b);
    pcs_schema_markdown(p, &b);
    fwrite(b.data, 1, b.len, stdout);
    pcs_buf_free(&b);
    return 0;
}

static int cmd_stub(struct cli *c)
{
    if (c->nargs != 1)
        return usage_error("stub needs one protocol name, e.g. 'pcs stub mqtt'%s", "");
    const struct pcs_stub_kind *k = pcs_stub_find(c->args[0]);
    if (!k)
        return usage_error("no built-in stub for protocol '%s'", c->args[0]);
    if (c->list_faults) {
        for (const struct pcs_stub_fault *f = k->faults; f->name; f++)
            printf("%-36s %-16s %s\n", f->name, f->rule, f->doc);
        return 0;
    }
    if (c->fault && !pcs_stub_fault_find(k, c->fault))
        return usage_error("unknown fault '%s' (see --list-faults)", c->fault);
    if (c->fault && strncmp(c->fault, "client-", 7) == 0)
        return usage_error("fault '%s' is one of the stub client's; 'pcs stub' serves the "
                           "server (client faults apply to client specs in 'pcs run')", c->fault);
    char *host = NULL;
    uint16_t port = 1883;
    if (c->listen && pcs_net_parse_hostport(c->listen, &host, &port))
        return usage_error("--listen wants HOST:PORT, not '%s'", c->listen);
    struct pcs_stub_config cfg = {.host = host ? host : "127.0.0.1", .port = port,
                                  .fault = c->fault, .verbose = c->verbose};
    struct pcs_diag d = {0};
    struct pcs_stub *s;
    if (k->create(&cfg, &s, &d)) {
        fprintf(stderr, "pcs: stub %s: %s\n", k->protocol, d.msg);
        free(host);
        return EXIT_FAILED;
    }
    fprintf(stderr, "pcs: %s stub listening on %s:%u%s%s (Ctrl-C stops)\n", k->protocol, cfg.host,
            k->port(s), c->fault ? ", fault " : "", c->fault ? c->fault : "");
    serving_kind = k;
    serving = s;
    int rc = k->serve(s);
    serving = NULL;
    k->destroy(s);
    free(host);
    return rc ? EXIT_FAILED : EXIT_PASS;
}

static int resolve_target(struct cli *c, struct pcs_targets *ts, struct pcs_target **own,
                          struct pcs_target **t)
{
    struct pcs_diag d = {0};
    const char *file = c->targets_file;
    if (!file && access("ci/targets.yaml", R_OK) == 0 && strcmp(c->target, "stub") != 0 &&
        !strchr(c->target, ':'))
        file = "ci/targets.yaml";
    if (file && pcs_targets_load(ts, file, &d)) {
        fprintf(stderr, "%s\n", d.msg);
        return EXIT_USAGE;
    }
    if ((*t = file ? pcs_targets_find(ts, c->target) : NULL))
        return 0;
    if (pcs_target_make(c->target, own, &d)) {
        fprintf(stderr, "pcs: %s\n", d.msg);
        return EXIT_USAGE;
    }
    *t = *own;
    return 0;
}

static char *iso_now(void)
{
    char buf[32];
    time_t now = time(NULL);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", localtime(&now));
    return pcs_xstrdup(buf);
}

static int cmd_run(struct cli *c)
{
    struct pcs_rulebook rb = {0};
    struct pcs_specs specs;
    int rc = load_specs(c, &specs, &rb);
    if (rc)
        return rc;
    pcs_specs_filter(&specs, &c->filter);
    struct pcs_targets ts = {0};
    struct pcs_target *own = NULL, *target = NULL;
    rc = resolve_target(c, &ts, &own, &target);
    if (!rc && c->fault) {
        const struct pcs_stub_kind *k = specs.n ? pcs_stub_find(specs.s[0]->protocol) : NULL;
        if (target->kind != PCS_TK_STUB)
            rc = usage_error("--fault applies to the built-in stub, not to target %s",
                             target->name);
        else if (k && !pcs_stub_fault_find(k, c->fault))
            rc = usage_error("unknown fault '%s' (see 'pcs stub <protocol> --list-faults')",
                             c->fault);
    }
    if (rc) {
        pcs_target_free(own);
        pcs_specs_free(&specs);
        pcs_rulebook_free(&rb);
        pcs_targets_free(&ts);
        return rc;
    }
    char *repro = pcs_repro_command(c->target, c->targets_file, c->fault, c->rules_dir,
                                    c->timeout_scale, c->strict);
    struct pcs_run_opts o = {.target = target, .fault = c->fault, .rb = &rb,
                             .timeout_scale = c->timeout_scale, .strict = c->strict,
                             .repro = repro, .interrupted = &interrupted,
                             .capture_dir = c->no_capture   ? NULL
                                            : c->capture_dir ? c->capture_dir
                                                             : "reports/captures",
                             .capture_mode = PCS_CAPTURE_AUTO};
    const char *notice = o.capture_dir ? pcs_capture_mode_notice(o.capture_mode) : NULL;
    if (notice)
        fprintf(stderr, "pcs: %s\n", notice);
    bool color = want_color(c, stdout);
    struct pcs_console con = {.out = stdout, .color = color, .progress = isatty(fileno(stdout)),
                              .verbose = c->verbose, .total = specs.n};
    struct pcs_run_result run = {.name = pcs_xstrdup("pcs"), .timestamp = iso_now()};
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    run.hostname = pcs_xstrdup(host);
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pcs_time t0 = pcs_now();
    pcs_suite_run(&specs, &o, c->jobs, &con, &run);
    run.seconds = (double)(pcs_now() - t0) / 1e9;
    pcs_console_summary(&con, &run);
    struct pcs_diag d = {0};
    if (c->junit && pcs_report_junit(&run, c->junit, &d))
        fprintf(stderr, "pcs: %s\n", d.msg);
    if (c->json && pcs_report_json(&run, c->json, &d))
        fprintf(stderr, "pcs: %s\n", d.msg);
    size_t counts[5];
    pcs_run_counts(&run, counts);
    rc = counts[PCS_FAIL] || counts[PCS_ERROR] || run.interrupted ? EXIT_FAILED : EXIT_PASS;
    if (d.code)
        rc = EXIT_INTERNAL;
    pcs_run_free(&run);
    free(repro);
    pcs_target_free(own);
    pcs_targets_free(&ts);
    pcs_specs_free(&specs);
    pcs_rulebook_free(&rb);
    return rc;
}

/* ---- matrix (harness/matrix.c does the work) ---- */
static int cmd_matrix(struct cli *c)
{
    if (c->fault)
        return usage_error("--fault is not supported by matrix%s", "");
    struct pcs_matrix_opts o = {
        .specs = c->args, .nspecs = c->nargs, .targets = c->target,
        .targets_file = c->targets_file, .filter = &c->filter, .rules_dir = c->rules_dir,
        .md = c->md_path, .json = c->json, .jobs = c->jobs, .timeout_scale = c->timeout_scale,
        .strict = c->strict, .color = want_color(c, stdout), .progress = isatty(fileno(stdout)),
        .capture_dir = c->no_capture   ? NULL
                       : c->capture_dir ? c->capture_dir
                                        : "reports/captures",
        .interrupted = &interrupted, .out = stdout, .err = stderr};
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return pcs_matrix_run(&o);
}

/* ---- replay (harness/replay.c does the work) ---- */
static int cmd_replay(struct cli *c)
{
    if (c->nargs != 1)
        return usage_error("replay needs one capture file (pcap or pcapng)%s", "");
    if (c->spec) {
        struct pcs_console con = {.out = stdout, .color = want_color(c, stdout),
                                  .verbose = true, .total = 1};
        c->peer_map = push_str(c->peer_map, &c->npeer_map, NULL);
        struct pcs_replay_spec_opts o = {.file = c->args[0], .spec = c->spec,
                                         .rules_dir = c->rules_dir, .strict = c->strict,
                                         .junit = c->junit, .json = c->json, .con = &con,
                                         .peer_map = (const char *const *)c->peer_map};
        free(c->decode_as);
        return pcs_replay_spec(&o);
    }
    struct pcs_flows_map *map = pcs_xcalloc(c->ndecode_as + 1, sizeof *map);
    for (size_t i = 0; i < c->ndecode_as; i++) {
        struct pcs_diag d = {0};
        if (pcs_flows_parse_map(c->decode_as[i], &map[i], &d)) {
            free(map);
            free(c->decode_as);
            return usage_error("%s", d.msg);
        }
    }
    struct pcs_replay_opts o = {.file = c->args[0], .map = map, .nmap = c->ndecode_as,
                                .rules_dir = c->rules_dir, .quiet = c->quiet, .tree = c->tree,
                                .strict = c->strict, .color = want_color(c, stdout),
                                .junit = c->junit, .json = c->json, .out = stdout, .err = stderr};
    int rc = pcs_replay_run(&o);
    free(map);
    free(c->decode_as);
    return rc;
}

static int dispatch(struct cli *c)
{
    static const struct {
        const char *name;
        int (*fn)(struct cli *);
    } cmds[] = {{"run", cmd_run}, {"validate", cmd_validate}, {"list", cmd_list},
                {"coverage", cmd_coverage}, {"stub", cmd_stub}, {"schema", cmd_schema},
                {"replay", cmd_replay}, {"matrix", cmd_matrix}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(c->cmd, cmds[i].name) == 0)
            return cmds[i].fn(c);
    if (strcmp(c->cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_PASS;
    }
    return usage_error("unknown command '%s'", c->cmd);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    struct cli c = {0};
    int rc = parse_all(&c, argc, argv);
    if (rc < 0)
        rc = dispatch(&c);
    pcs_capture_shutdown();
    free(c.args);
    free(c.peer_map);
    free(c.filter.only);
    free(c.filter.skip);
    return rc;
}
