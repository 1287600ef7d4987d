/*
 * libwarden internals shared by its source files. Nothing here is part
 * of the public API in warden.h.
 */
#ifndef WARDEN_INTERNAL_H
#define WARDEN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "warden.h"

#if defined(__GNUC__)
#define WARDEN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define WARDEN_PRINTF(fmt, args)
#endif

/* Send and receive timeout of the UNIX socket transport, in seconds. */
#define WARDEN_UNIX_TIMEOUT_S 10

/*
 * Records err with a formatted message in dev and returns err. The
 * message must never contain secret bytes.
 */
int warden_dev_fail(struct warden_dev *dev, int err, const char *fmt, ...)
    WARDEN_PRINTF(3, 4);
int warden_dev_vfail(struct warden_dev *dev, int err, const char *fmt,
                     va_list ap) WARDEN_PRINTF(3, 0);

/*
 * The bus driver of device.c, for the calls in other files:
 *
 *   rc = warden_dev_begin(dev);        checks dev is open, clears errors
 *   rc = warden_dev_call(dev, ...);    one command, chunked both ways
 *   return warden_dev_end(dev, rc);    wipes the frame buffer
 *
 * warden_dev_call() reads a response longer than cap to its end, so the
 * stream stays in step, and then fails with overflow_err: use
 * WARDEN_ERR_PROTOCOL when the layout fixes the length, and
 * WARDEN_ERR_ARGUMENT when the caller's buffer was too small.
 */
int warden_dev_begin(struct warden_dev *dev);
int warden_dev_call(struct warden_dev *dev, uint8_t command, const uint8_t *req,
                    size_t req_len, uint8_t *resp, size_t cap, size_t *resp_len,
                    int overflow_err);
int warden_dev_end(struct warden_dev *dev, int rc);

/*
 * Records a response that breaks the protocol: the device is failed
 * (only warden_close() is left) and WARDEN_ERR_PROTOCOL returned.
 */
int warden_dev_lost(struct warden_dev *dev, const char *fmt, ...)
    WARDEN_PRINTF(2, 3);

/* Forgets the last error: warden_error() becomes "". */
void warden_dev_clear(struct warden_dev *dev);

/*
 * The built-in UNIX stream socket transport. Its ctx is &dev->fd, so
 * dev must not move while open. On WARDEN_ERR_IO errno holds the reason.
 */
extern const struct warden_transport warden_unix_transport;

/*
 * Connects dev to the socket at path; address is the whole address, for
 * messages. Returns WARDEN_ERR_OK, WARDEN_ERR_ADDRESS or
 * WARDEN_ERR_CONNECT with the message set.
 */
int warden_unix_open(struct warden_dev *dev, const char *address,
                     const char *path);

/* Overwrites len bytes at p with zeros; the compiler may not drop it. */
void warden_wipe(void *p, size_t len);

/*
 * Zeroes the CPU's vector registers (all of them, whatever the caller
 * or BearSSL left there: see wipe_regs.c). Call it after crypto, before
 * anything could save the registers to memory.
 */
void warden_wipe_registers(void);

#endif
