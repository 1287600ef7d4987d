/*
 * Secret wiping and constant-time comparison. The firmware has no libc
 * guarantee of explicit_bzero, so it writes through a volatile pointer,
 * which a conforming compiler must perform.
 */
#include "wc_wipe.h"

#include <stdint.h>

void
wc_wipe(void *p, size_t len)
{
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (len--) {
        *v++ = 0;
    }
}

int
wc_memeq_ct(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a;
    const unsigned char *y = b;
    unsigned diff = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        diff |= (unsigned)(x[i] ^ y[i]);
    }
    /* 0 when diff is 0, -1 otherwise, without a data-dependent branch. */
    return -(int)((diff + 0xffu) >> 8);
}
