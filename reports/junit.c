/* junit.c — the JUnit XML report, valid against junit-10.xsd (Jenkins xUnit): one testsuite
 * per protocol+version, testcase name = spec id, <failure>/<error>/<skipped>, the trace and a
 * [[ATTACHMENT|pcap]] line in system-out. junit-10.xsd allows no properties inside a testcase,
 * so rule IDs go in system-out ("rules: A, B") and warnings in suite properties pcs.warn.<id>.
 * It builds the document in memory, writes it atomically and frees everything it allocated. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

#define PUT(b, lit) pcs_buf_append((b), (lit), sizeof(lit) - 1)

/* ---- escaping ---- */

static bool xml_char_ok(uint32_t cp)
{
    return cp == '\t' || cp == '\n' || cp == '\r' ||
           (cp >= 0x20 && cp != 0x7f && cp != 0xfffe && cp != 0xffff);
}

static void xml_special(struct pcs_buf *b, uint32_t cp, bool attr)
{
    const char *ent = NULL;
    switch (cp) {
    case '&': ent = "&amp;"; break;
    case '<': ent = "&lt;"; break;
    case '>': ent = "&gt;"; break;
    case '\r': ent = "&#13;"; break;
    case '"': ent = attr ? "&quot;" : NULL; break;
    case '\n': ent = attr ? "&#10;" : NULL; break;
    case '\t': ent = attr ? "&#9;" : NULL; break;
    }
    if (ent)
        pcs_buf_append(b, ent, strlen(ent));
    else
        pcs_buf_putc(b, (uint8_t)cp);
}

/* Appends s escaped for XML 1.0 text or attribute values. Characters XML cannot carry (control
 * characters, bytes that are not UTF-8, U+FFFE/U+FFFF) become the text "\xNN". */
static void xml_escape(struct pcs_buf *b, const char *s, bool attr)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = pcs_result_utf8(s + i, n - i, &cp);
        if (len == 0 || !xml_char_ok(cp)) {
            pcs_buf_printf(b, "\\x%02x", (unsigned char)s[i]);
            i++;
        } else if (len == 1) {
            xml_special(b, cp, attr);
            i++;
        } else {
            pcs_buf_append(b, s + i, len);
            i += len;
        }
    }
}

static void attr(struct pcs_buf *b, const char *name, const char *value)
{
    pcs_buf_printf(b, " %s=\"", name);
    xml_escape(b, value, true);
    pcs_buf_putc(b, '"');
}

static void attr_size(struct pcs_buf *b, const char *name, size_t v)
{
    pcs_buf_printf(b, " %s=\"%zu\"", name, v);
}

static void attr_time(struct pcs_buf *b, const char *name, double s)
{
    pcs_buf_printf(b, " %s=\"%.3f\"", name, isfinite(s) && s > 0 ? s : 0.0);
}

/* ---- names ---- */

static const char *or_unknown(const char *s) { return s && *s ? s : "unknown"; }

static bool same_group(const struct pcs_case_result *a, const struct pcs_case_result *b)
{
    return strcmp(or_unknown(a->protocol), or_unknown(b->protocol)) == 0 &&
           strcmp(or_unknown(a->version), or_unknown(b->version)) == 0;
}

/* Appends s as one package-name component: '.' becomes '_', '/' a package separator. */
static void package_part(struct pcs_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
        pcs_buf_putc(b, c == '/' ? '.' : keep ? (uint8_t)c : '_');
    }
}

/* "pcs.mqtt.5_0.3_2" from protocol mqtt, version 5.0 and id "mqtt5/3.2/connack-first": the
 * section is what lies between the id's first and last '/'. */
static char *classname(const struct pcs_case_result *c)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    const char *proto = or_unknown(c->protocol), *ver = or_unknown(c->version);
    PUT(&b, "pcs.");
    package_part(&b, proto, strlen(proto));
    pcs_buf_putc(&b, '.');
    package_part(&b, ver, strlen(ver));
    const char *id = c->id ? c->id : "";
    const char *first = strchr(id, '/'), *last = strrchr(id, '/');
    if (first && last > first + 1) {
        pcs_buf_putc(&b, '.');
        package_part(&b, first + 1, (size_t)(last - first - 1));
    }
    return pcs_buf_cstr(&b);
}

static void iso_timestamp(const char *given, char *out, size_t len)
{
    if (given && strlen(given) >= 19 && (given[10] == 'T' || given[10] == ' ')) {
        snprintf(out, len, "%.10sT%.8s", given, given + 11);
        return;
    }
    if (given && *given) {
        snprintf(out, len, "%s", given);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    strftime(out, len, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
}

static void host_name(const char *given, char *out, size_t len)
{
    if (given && *given)
        snprintf(out, len, "%s", given);
    else if (gethostname(out, len) != 0 || !*out)
        snprintf(out, len, "localhost");
    out[len - 1] = 0;
}

/* Absolute form of a (possibly relative) capture path, for Jenkins attachments. */
static char *absolute_path(const char *p)
{
    char *real = realpath(p, NULL);
    if (real)
        return real;
    if (p[0] == '/')
        return pcs_xstrdup(p);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return pcs_xstrdup(p);
    return pcs_xasprintf("%s/%s", cwd, strncmp(p, "./", 2) == 0 ? p + 2 : p);
}

/* ---- failure / error / skipped ---- */

static bool counts_for_message(const struct pcs_case_result *c, const struct pcs_finding *f)
{
    if (c->verdict != PCS_FAIL || !f->warning)
        return true;
    for (size_t i = 0; i < c->nfindings; i++)
        if (!c->findings[i].warning)
            return false;
    return true;   /* only warnings (--strict): they are what failed */
}

static void finding_text(struct pcs_buf *b, const struct pcs_finding *f)
{
    const char *text = f->message ? f->message : f->summary;
    if (f->rule)
        pcs_buf_printf(b, "%s%s", f->rule, text ? ": " : "");
    pcs_buf_printf(b, "%s", text ? text : "");
}

/* "MQTT-3.2.0-1: expected CONNACK within 1s, got PUBLISH; …" (the error reason first). */
static char *problem_message(const struct pcs_case_result *c)
{
    struct pcs_buf b;
    pcs_buf_init(&b);
    if (c->reason && c->verdict != PCS_FAIL)
        pcs_buf_printf(&b, "%s", c->reason);
    for (size_t i = 0; i < c->nfindings; i++) {
        if (!counts_for_message(c, &c->findings[i]))
            continue;
        if (b.len)
            PUT(&b, "; ");
        finding_text(&b, &c->findings[i]);
    }
    if (!b.len)
        pcs_buf_printf(&b, "%s", c->verdict == PCS_ERROR ? "error" : "failed");
    return pcs_buf_cstr(&b);
}

static const char *problem_type(const struct pcs_case_result *c)
{
    if (c->verdict == PCS_ERROR)
        return "pcs.error";
    for (size_t i = 0; i < c->nfindings; i++)
        if (c->findings[i].rule && counts_for_message(c, &c->findings[i]))
            return c->findings[i].rule;
    return "pcs.fail";
}

/* The console's detail block, colour off, as a string the caller frees. */
static char *details_text(const struct pcs_case_result *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return pcs_xstrdup("");
    struct pcs_console con = {.out = mem};
    pcs_console_details(&con, c);
    fclose(mem);
    return text ? text : pcs_xstrdup("");
}

static void problem_element(struct pcs_buf *b, const struct pcs_case_result *c)
{
    const char *tag = c->verdict == PCS_ERROR ? "error" : "failure";
    char *msg = problem_message(c), *text = details_text(c);
    pcs_buf_printf(b, "      <%s", tag);
    attr(b, "message", msg);
    attr(b, "type", problem_type(c));
    pcs_buf_putc(b, '>');
    xml_escape(b, text, false);
    pcs_buf_printf(b, "</%s>\n", tag);
    free(msg);
    free(text);
}

static void skipped_element(struct pcs_buf *b, const struct pcs_case_result *c)
{
    PUT(b, "      <skipped");
    if (c->reason)
        attr(b, "message", c->reason);
    PUT(b, "/>\n");
}

/* ---- system-out ---- */

static void out_rules(struct pcs_buf *b, const struct pcs_case_result *c)
{
    if (!c->nrules)
        return;
    PUT(b, "rules: ");
    for (size_t i = 0; i < c->nrules; i++) {
        if (i)
            PUT(b, ", ");
        xml_escape(b, c->rules[i], false);
    }
    pcs_buf_putc(b, '\n');
}

static void out_warnings(struct pcs_buf *b, const struct pcs_case_result *c)
{
    if (c->verdict != PCS_WARN)
        return;
    char *text = details_text(c);
    PUT(b, "warning (pcs.warn):\n");
    xml_escape(b, text, false);
    free(text);
}

static void out_trace(struct pcs_buf *b, const struct pcs_case_result *c)
{
    if (c->verdict == PCS_WARN)
        return;   /* already in the warning block */
    for (size_t i = 0; i < c->ntrace; i++) {
        const struct pcs_trace_entry *e = &c->trace[i];
        pcs_buf_printf(b, "+%.3fs ", isfinite(e->t) ? e->t : 0.0);
        xml_escape(b, e->peer ? e->peer : "-", false);
        pcs_buf_putc(b, ' ');
        xml_special(b, (uint32_t)(e->dir == '<' || e->dir == '>' ? e->dir : '!'), false);
        pcs_buf_putc(b, ' ');
        xml_escape(b, e->text, false);
        pcs_buf_putc(b, '\n');
    }
}

static void system_out(struct pcs_buf *b, const struct pcs_case_result *c)
{
    size_t start = b->len;
    PUT(b, "      <system-out>");
    size_t body = b->len;
    out_rules(b, c);
    out_warnings(b, c);
    out_trace(b, c);
    if (c->pcap) {
        char *abs = absolute_path(c->pcap);
        PUT(b, "[[ATTACHMENT|");
        xml_escape(b, abs, false);
        PUT(b, "]]\n");
        free(abs);
    }
    if (b->len == body)
        b->len = start;   /* nothing to say: no element */
    else
        PUT(b, "</system-out>\n");
}

/* ---- document ---- */

static void testcase(struct pcs_buf *b, const struct pcs_case_result *c)
{
    char *cls = classname(c);
    PUT(b, "    <testcase");
    attr(b, "name", c->id ? c->id : "(no id)");
    attr(b, "classname", cls);
    attr_time(b, "time", c->seconds);
    PUT(b, ">\n");
    if (c->verdict == PCS_FAIL || c->verdict == PCS_ERROR)
        problem_element(b, c);
    else if (c->verdict == PCS_SKIP)
        skipped_element(b, c);
    system_out(b, c);
    PUT(b, "    </testcase>\n");
    free(cls);
}

static void warn_property(struct pcs_buf *b, const struct pcs_case_result *c)
{
    char *name = pcs_xasprintf("pcs.warn.%s", c->id ? c->id : "");
    struct pcs_buf v;
    pcs_buf_init(&v);
    for (size_t i = 0; i < c->nfindings; i++) {
        if (v.len)
            PUT(&v, "; ");
        finding_text(&v, &c->findings[i]);
    }
    PUT(b, "      <property");
    attr(b, "name", name);
    attr(b, "value", v.len ? pcs_buf_cstr(&v) : "warning");
    PUT(b, "/>\n");
    pcs_buf_free(&v);
    free(name);
}

/* <properties> for the suite starting at r->cases[first]: pcs.interrupted and pcs.warn.<id>. */
static void suite_properties(struct pcs_buf *b, const struct pcs_run_result *r, size_t first)
{
    size_t start = b->len;
    PUT(b, "    <properties>\n");
    size_t body = b->len;
    if (r->interrupted)
        PUT(b, "      <property name=\"pcs.interrupted\" value=\"true\"/>\n");
    for (size_t i = first; i < r->ncases; i++)
        if (r->cases[i]->verdict == PCS_WARN && same_group(r->cases[i], r->cases[first]))
            warn_property(b, r->cases[i]);
    if (b->len == body)
        b->len = start;
    else
        PUT(b, "    </properties>\n");
}

struct tally {
    size_t tests, failures, errors, skipped;
    double seconds;
};

static struct tally suite_tally(const struct pcs_run_result *r, size_t first)
{
    struct tally t = {0};
    for (size_t i = first; i < r->ncases; i++) {
        const struct pcs_case_result *c = r->cases[i];
        if (!same_group(c, r->cases[first]))
            continue;
        t.tests++;
        t.failures += c->verdict == PCS_FAIL;
        t.errors += c->verdict == PCS_ERROR;
        t.skipped += c->verdict == PCS_SKIP;
        t.seconds += isfinite(c->seconds) && c->seconds > 0 ? c->seconds : 0;
    }
    return t;
}

static void testsuite(struct pcs_buf *b, const struct pcs_run_result *r, size_t first,
                      size_t id, const char *stamp, const char *host)
{
    const struct pcs_case_result *head = r->cases[first];
    struct tally t = suite_tally(r, first);
    char *name = pcs_xasprintf("%s-%s", or_unknown(head->protocol), or_unknown(head->version));
    char *package = pcs_xasprintf("pcs.%s", or_unknown(head->protocol));
    PUT(b, "  <testsuite");
    attr(b, "name", name);
    attr(b, "package", package);
    attr_size(b, "id", id);
    attr_size(b, "tests", t.tests);
    attr_size(b, "failures", t.failures);
    attr_size(b, "errors", t.errors);
    attr_size(b, "skipped", t.skipped);
    attr_time(b, "time", t.seconds);
    attr(b, "timestamp", stamp);
    attr(b, "hostname", host);
    PUT(b, ">\n");
    suite_properties(b, r, first);
    for (size_t i = first; i < r->ncases; i++)
        if (same_group(r->cases[i], head))
            testcase(b, r->cases[i]);
    PUT(b, "  </testsuite>\n");
    free(name);
    free(package);
}

static bool first_of_group(const struct pcs_run_result *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_group(r->cases[j], r->cases[i]))
            return false;
    return true;
}

static void document(struct pcs_buf *b, const void *arg)
{
    const struct pcs_run_result *r = arg;
    size_t n[5];
    char stamp[64], host[256];
    pcs_run_counts(r, n);
    iso_timestamp(r->timestamp, stamp, sizeof stamp);
    host_name(r->hostname, host, sizeof host);
    pcs_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    attr(b, "name", r->name ? r->name : "pcs");
    attr_size(b, "tests", r->ncases);
    attr_size(b, "failures", n[PCS_FAIL]);
    attr_size(b, "errors", n[PCS_ERROR]);
    attr_time(b, "time", r->seconds);
    PUT(b, ">\n");
    for (size_t i = 0, id = 0; i < r->ncases; i++)
        if (first_of_group(r, i))
            testsuite(b, r, i, id++, stamp, host);
    PUT(b, "</testsuites>\n");
}

int pcs_report_junit(const struct pcs_run_result *r, const char *path, struct pcs_diag *d)
{
    return pcs_result_write_doc(path, document, r, d);
}
