/* Error codes and messages of libwarden; see warden.h. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

const char *
warden_strerror(int err)
{
    switch (err) {
#define WARDEN_X(name, code, message)                                          \
    case code:                                                                 \
        return message;
        WARDEN_ERROR_LIST(WARDEN_X)
#undef WARDEN_X
    }
    return "unknown error";
}

const char *
warden_error(const struct warden_dev *dev)
{
    if (dev == NULL) {
        return warden_strerror(WARDEN_ERR_ARGUMENT);
    }
    return dev->errmsg;
}

int
warden_last_error(const struct warden_dev *dev, unsigned *status)
{
    if (dev == NULL) {
        if (status != NULL) {
            *status = 0;
        }
        return WARDEN_ERR_ARGUMENT;
    }
    if (status != NULL) {
        *status = dev->err == WARDEN_ERR_COMPANION ? dev->status : 0;
    }
    return dev->err;
}

int
warden_dev_vfail(struct warden_dev *dev, int err, const char *fmt, va_list ap)
{
    dev->err = err;
    dev->status = 0;
    /* A message cut at WARDEN_ERRMSG_MAX is still worth showing. */
    vsnprintf(dev->errmsg, sizeof(dev->errmsg), fmt, ap);
    return err;
}

int
warden_dev_fail(struct warden_dev *dev, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warden_dev_vfail(dev, err, fmt, ap);
    va_end(ap);
    return err;
}

void
warden_dev_clear(struct warden_dev *dev)
{
    dev->err = WARDEN_ERR_OK;
    dev->status = 0;
    dev->errmsg[0] = '\0';
}

void
warden_wipe(void *p, size_t len)
{
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (len--) {
        *v++ = 0;
    }
}
