#include "check.h"

#include <stdio.h>

int wt_failures;
int wt_checks;

void
wt_fail(const char *file, int line, const char *what)
{
    wt_failures++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

static void
hex(const char *label, const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t i;

    fprintf(stderr, "  %s:", label);
    for (i = 0; i < len; i++) {
        fprintf(stderr, "%s%02x", (i % 32) ? "" : "\n    ", b[i]);
    }
    fprintf(stderr, "\n");
}

void
wt_fail_mem(const char *file, int line, const char *what, const void *got,
            const void *want, size_t len)
{
    wt_fail(file, line, what);
    hex("got", got, len);
    hex("want", want, len);
}

int
wt_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, wt_checks - wt_failures,
           wt_failures);
    return wt_failures == 0 ? 0 : 1;
}
