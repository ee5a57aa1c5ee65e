/* topic.c — MQTT topic names and filters for the stub broker: validity (section 4.7.1/4.7.3),
 * matching with '+' and '#' (no wildcard at the first level matches a '$' topic), and
 * splitting "$share/<name>/<filter>". Pure functions on strings; allocates only in share_split
 * (the caller frees). */
#include "broker.h"

#include <stdlib.h>
#include <string.h>

bool pcs_mqb_topic_name_valid(const char *t)
{
    return t[0] != '\0' && strpbrk(t, "+#") == NULL;
}

bool pcs_mqb_topic_filter_valid(const char *f)
{
    if (!f[0])
        return false;
    for (const char *p = f; *p; p++) {
        bool starts_level = p == f || p[-1] == '/';
        bool ends_level = p[1] == '\0' || p[1] == '/';
        if (*p == '+' && !(starts_level && ends_level))
            return false;
        if (*p == '#' && !(starts_level && p[1] == '\0'))
            return false;
    }
    return true;
}

/* Length of the level starting at s (up to '/' or the end). */
static size_t level_len(const char *s)
{
    const char *e = strchr(s, '/');
    return e ? (size_t)(e - s) : strlen(s);
}

/* '#' at topic level t: the rest of the topic, or with the hash-not-multi-level fault
 * exactly one level. */
static bool hash_matches(const char *t, unsigned faults)
{
    if (faults & PCS_MQB_MATCH_HASH_ONE)
        return strchr(t, '/') == NULL;        /* the fault: '#' covers one level only */
    return true;
}

static char *substituted(const char *s)
{
    char *r = pcs_xstrdup(s);
    for (char *p = r; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    return r;
}

static bool match(const char *filter, const char *topic, unsigned faults);

bool pcs_mqb_topic_match(const char *filter, const char *topic, unsigned faults)
{
    if (!(faults & PCS_MQB_MATCH_SUBST))
        return match(filter, topic, faults);
    char *f = substituted(filter), *t = substituted(topic);   /* the fault: MQTT-4.7.3-4 */
    bool m = match(f, t, faults);
    free(f);
    free(t);
    return m;
}

static bool match(const char *filter, const char *topic, unsigned faults)
{
    bool hash_dollar = faults & PCS_MQB_MATCH_HASH_DOLLAR;
    if (!hash_dollar && topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
        return false;
    const char *f = filter, *t = topic;
    for (;;) {
        if (f[0] == '#' && f[1] == '\0')
            return hash_matches(t, faults);
        size_t fl = level_len(f), tl = level_len(t);
        bool plus = fl == 1 && f[0] == '+';
        if (!plus && (fl != tl || memcmp(f, t, fl) != 0))
            return false;
        f += fl;
        t += tl;
        if (plus && (faults & PCS_MQB_MATCH_PLUS_MULTI) && *f == '\0')
            return true;                      /* the fault: '+' swallows the rest */
        if (*f == '\0' || *t == '\0') {
            /* "a/#" also matches "a" (the parent level), but not with the '#' fault. */
            if (*t == '\0' && f[0] == '/' && f[1] == '#' && f[2] == '\0')
                return !(faults & PCS_MQB_MATCH_HASH_ONE);
            return *f == '\0' && *t == '\0';
        }
        f++;                                  /* both at '/' */
        t++;
    }
}

int pcs_mqb_topic_share_split(const char *f, char **name, char **filter)
{
    static const char prefix[] = "$share/";
    if (strncmp(f, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *n = f + sizeof prefix - 1;
    const char *slash = strchr(n, '/');
    if (!slash || slash == n || slash[1] == '\0')
        return -1;
    for (const char *p = n; p < slash; p++)
        if (*p == '+' || *p == '#')
            return -1;
    if (!pcs_mqb_topic_filter_valid(slash + 1))
        return -1;
    *name = pcs_xstrndup(n, (size_t)(slash - n));
    *filter = pcs_xstrdup(slash + 1);
    return 1;
}
