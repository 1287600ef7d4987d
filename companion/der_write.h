/*
 * A DER writer that fills a buffer from its end towards its start, so
 * that a constructed element's length is known when its header is
 * written: write the contents (last field first), then wrap them.
 *
 *   wc_derw_init(&w, buf, sizeof(buf));
 *   mark = wc_derw_len(&w);
 *   wc_derw_bytes(&w, second, n2);
 *   wc_derw_bytes(&w, first, n1);
 *   wc_derw_wrap(&w, WC_DER_SEQUENCE, mark);
 *   if (w.err == 0) { result is wc_derw_data(&w), wc_derw_len(&w) bytes }
 *
 * Running out of room sets err and makes every later call a no-op.
 */
#ifndef WC_DER_WRITE_H
#define WC_DER_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct wc_derw {
    uint8_t *buf;
    size_t pos; /* next byte goes at buf[pos - 1] */
    size_t cap;
    int err;
};

void wc_derw_init(struct wc_derw *w, uint8_t *buf, size_t cap);

/* Bytes written so far; also the mark to pass to wc_derw_wrap(). */
size_t wc_derw_len(const struct wc_derw *w);

/* The written bytes (valid while err is 0). */
const uint8_t *wc_derw_data(const struct wc_derw *w);

/* Prepends raw bytes. */
void wc_derw_bytes(struct wc_derw *w, const void *p, size_t len);

/* Prepends tag and length for everything written since mark. */
void wc_derw_wrap(struct wc_derw *w, uint8_t tag, size_t mark);

/* Prepends a whole primitive element. */
void wc_derw_elem(struct wc_derw *w, uint8_t tag, const void *p, size_t len);

#endif
