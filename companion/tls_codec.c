/* TLS wire format readers and writers; see tls_codec.h. */
#include "tls_codec.h"

#include <string.h>

void
wc_tlsr_init(struct wc_tls_reader *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->err = 0;
}

static const uint8_t *
take(struct wc_tls_reader *r, size_t n)
{
    const uint8_t *p = r->p;

    if (r->err || n > r->len) {
        r->err = -1;
        r->len = 0;
        return NULL;
    }
    r->p += n;
    r->len -= n;
    return p;
}

unsigned
wc_tlsr_u8(struct wc_tls_reader *r)
{
    const uint8_t *p = take(r, 1);

    return p ? p[0] : 0;
}

unsigned
wc_tlsr_u16(struct wc_tls_reader *r)
{
    const uint8_t *p = take(r, 2);

    return p ? (unsigned)(p[0] << 8 | p[1]) : 0;
}

uint32_t
wc_tlsr_u24(struct wc_tls_reader *r)
{
    const uint8_t *p = take(r, 3);

    return p ? ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) : 0;
}

uint32_t
wc_tlsr_u32(struct wc_tls_reader *r)
{
    const uint8_t *p = take(r, 4);

    return p ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                (uint32_t)p[2] << 8 | p[3])
             : 0;
}

void
wc_tlsr_bytes(struct wc_tls_reader *r, const uint8_t **p, size_t n)
{
    *p = take(r, n);
}

size_t
wc_tlsr_rest(struct wc_tls_reader *r, const uint8_t **p)
{
    size_t n = r->err ? 0 : r->len;

    *p = take(r, n);
    return n;
}

void
wc_tlsr_vector(struct wc_tls_reader *r, size_t prefix_len,
               struct wc_tls_reader *inner)
{
    size_t n;
    const uint8_t *p;

    switch (prefix_len) {
    case 1:
        n = wc_tlsr_u8(r);
        break;
    case 2:
        n = wc_tlsr_u16(r);
        break;
    default:
        n = wc_tlsr_u24(r);
        break;
    }
    p = take(r, n);
    wc_tlsr_init(inner, p, p ? n : 0);
    inner->err = r->err;
}

int
wc_tlsr_done(const struct wc_tls_reader *r)
{
    return r->err == 0 && r->len == 0 ? 0 : -1;
}

void
wc_tlsw_init(struct wc_tls_writer *w, uint8_t *p, size_t cap)
{
    w->p = p;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

static uint8_t *
room(struct wc_tls_writer *w, size_t n)
{
    uint8_t *p;

    if (w->err || n > w->cap - w->len) {
        w->err = -1;
        return NULL;
    }
    p = w->p + w->len;
    w->len += n;
    return p;
}

void
wc_tlsw_u8(struct wc_tls_writer *w, unsigned v)
{
    uint8_t *p = room(w, 1);

    if (p) {
        p[0] = (uint8_t)v;
    }
}

void
wc_tlsw_u16(struct wc_tls_writer *w, unsigned v)
{
    uint8_t *p = room(w, 2);

    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

void
wc_tlsw_u24(struct wc_tls_writer *w, uint32_t v)
{
    uint8_t *p = room(w, 3);

    if (p) {
        p[0] = (uint8_t)(v >> 16);
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
    }
}

void
wc_tlsw_bytes(struct wc_tls_writer *w, const void *src, size_t n)
{
    uint8_t *p = room(w, n);

    if (p && n > 0) {
        memcpy(p, src, n);
    }
}

size_t
wc_tlsw_open(struct wc_tls_writer *w, size_t prefix_len)
{
    size_t mark = w->len;

    room(w, prefix_len);
    return mark;
}

void
wc_tlsw_close(struct wc_tls_writer *w, size_t mark, size_t prefix_len)
{
    size_t n;
    size_t i;

    if (w->err) {
        return;
    }
    n = w->len - mark - prefix_len;
    if (prefix_len < 3 && n >> (8 * prefix_len) != 0) {
        w->err = -1;
        return;
    }
    for (i = 0; i < prefix_len; i++) {
        w->p[mark + i] = (uint8_t)(n >> (8 * (prefix_len - 1 - i)));
    }
}
