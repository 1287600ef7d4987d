/*
 * Companion-internal results, as returned by its modules to each other and
 * by wc_companion_init() to the platform. On the bus they become
 * WD_STATUS_* codes.
 */
#ifndef WC_ERRORS_H
#define WC_ERRORS_H

/* X(name, code, message) */
#define WC_ERROR_LIST(X)                                                     \
    X(OK, 0, "success")                                                     \
    X(STORAGE_IO, 1, "storage read or write failed")                        \
    X(STORAGE_CORRUPT, 2, "storage is corrupted")                           \
    X(STORAGE_FULL, 3, "storage is full")                                   \
    X(STORAGE_FAILED, 4, "storage failed earlier; reset the companion")     \
    X(NOT_FOUND, 5, "record not found")                                     \
    X(DEVICE_KEY, 6, "device-unique key unavailable")                       \
    X(ENTROPY, 7, "entropy source unavailable")                             \
    X(RNG_HEALTH, 8, "entropy source failed its health test")               \
    X(ARGUMENT, 9, "invalid argument")                                      \
    X(STORAGE_WRONG_KEY, 10, "storage was written under another device key")

enum wc_error {
#define WC_X(name, code, message) WC_##name = code,
    WC_ERROR_LIST(WC_X)
#undef WC_X
};

/* A static message for a result; "unknown error" otherwise. */
const char *wc_strerror(int err);

#endif
