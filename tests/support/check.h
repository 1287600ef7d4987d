/*
 * A minimal check library for the tests: each failed check prints file,
 * line and what differed (buffers in hex), and the test exits non-zero
 * at the end through wt_finish().
 */
#ifndef WT_CHECK_H
#define WT_CHECK_H

#include <stddef.h>

extern int wt_failures;
extern int wt_checks;

void wt_fail(const char *file, int line, const char *what);
void wt_fail_mem(const char *file, int line, const char *what,
                 const void *got, const void *want, size_t len);
/* Prints "N passed, M failed" and returns the exit status. */
int wt_finish(const char *name);

#define CHECK(cond)                                                          \
    do {                                                                     \
        wt_checks++;                                                         \
        if (!(cond)) {                                                       \
            wt_fail(__FILE__, __LINE__, #cond);                              \
        }                                                                    \
    } while (0)

#define CHECK_MEM(got, want, len)                                            \
    do {                                                                     \
        wt_checks++;                                                         \
        if (memcmp((got), (want), (len)) != 0) {                             \
            wt_fail_mem(__FILE__, __LINE__, #got " == " #want, (got),        \
                        (want), (len));                                      \
        }                                                                    \
    } while (0)

#endif
