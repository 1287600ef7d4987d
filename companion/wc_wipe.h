#ifndef WC_WIPE_H
#define WC_WIPE_H

#include <stddef.h>

/*
 * Overwrites len bytes at p with zeros in a way the compiler may not
 * drop, for secrets on their way out of scope.
 */
void wc_wipe(void *p, size_t len);

/* Compares two buffers in time that depends only on len: 0 if equal. */
int wc_memeq_ct(const void *a, const void *b, size_t len);

#endif
