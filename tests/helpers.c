/* helpers.c — see helpers.h. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

void th_hex(struct pcs_buf *b, const char *hex)
{
    size_t bad = 0;
    assert_int_equal(pcs_buf_from_hex(b, hex, &bad), 0);
}

const char *th_src(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", PCS_SOURCE_DIR, rel);
    return path;
}

const char *th_tmpfile(const char *name, const char *text)
{
    static char dir[256], path[512];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/pcs-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        assert_non_null(mkdtemp(dir));
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}
