/* Backward DER writer; see der_write.h. */
#include "der_write.h"

#include <string.h>

void
wc_derw_init(struct wc_derw *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->pos = cap;
    w->cap = cap;
    w->err = 0;
}

size_t
wc_derw_len(const struct wc_derw *w)
{
    return w->cap - w->pos;
}

const uint8_t *
wc_derw_data(const struct wc_derw *w)
{
    return w->buf + w->pos;
}

void
wc_derw_bytes(struct wc_derw *w, const void *p, size_t len)
{
    if (w->err || len > w->pos) {
        w->err = -1;
        return;
    }
    w->pos -= len;
    if (len > 0) {
        memmove(w->buf + w->pos, p, len);
    }
}

void
wc_derw_wrap(struct wc_derw *w, uint8_t tag, size_t mark)
{
    uint8_t hdr[4];
    size_t len = wc_derw_len(w) - mark;
    size_t n;

    /* Lengths up to 64 KB are all a companion message can hold. */
    if (len < 0x80) {
        hdr[0] = tag;
        hdr[1] = (uint8_t)len;
        n = 2;
    } else if (len < 0x100) {
        hdr[0] = tag;
        hdr[1] = 0x81;
        hdr[2] = (uint8_t)len;
        n = 3;
    } else if (len < 0x10000) {
        hdr[0] = tag;
        hdr[1] = 0x82;
        hdr[2] = (uint8_t)(len >> 8);
        hdr[3] = (uint8_t)len;
        n = 4;
    } else {
        w->err = -1;
        return;
    }
    wc_derw_bytes(w, hdr, n);
}

void
wc_derw_elem(struct wc_derw *w, uint8_t tag, const void *p, size_t len)
{
    size_t mark = wc_derw_len(w);

    wc_derw_bytes(w, p, len);
    wc_derw_wrap(w, tag, mark);
}
