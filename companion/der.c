/* Strict DER reader; see der.h. */
#include "der.h"

#include <string.h>

/* Our inputs are certificates and bus messages: 16 MB is plenty. */
#define MAX_LENGTH_BYTES 3

void
wc_der_init(struct wc_der *d, const uint8_t *p, size_t len)
{
    d->p = p;
    d->len = len;
    d->err = 0;
}

int
wc_der_fail(struct wc_der *d)
{
    d->err = -1;
    d->len = 0;
    return -1;
}

int
wc_der_more(const struct wc_der *d)
{
    return d->err == 0 && d->len > 0;
}

int
wc_der_peek(const struct wc_der *d)
{
    return wc_der_more(d) ? d->p[0] : -1;
}

int
wc_der_next(struct wc_der *d, struct wc_der_elem *e)
{
    size_t i, n, len, hdr;

    memset(e, 0, sizeof(*e));
    if (!wc_der_more(d) || d->len < 2) {
        return wc_der_fail(d);
    }
    /* X.690 8.1.2.4: tag numbers over 30 take more bytes; X.509 has none. */
    if ((d->p[0] & 0x1f) == 0x1f) {
        return wc_der_fail(d);
    }
    if (d->p[1] < 0x80) {
        len = d->p[1];
        hdr = 2;
    } else {
        /* X.690 10.1: definite, minimal. 0x80 would be indefinite. */
        n = d->p[1] & 0x7f;
        if (n == 0 || n > MAX_LENGTH_BYTES || d->len < 2 + n ||
            d->p[2] == 0) {
            return wc_der_fail(d);
        }
        len = 0;
        for (i = 0; i < n; i++) {
            len = (len << 8) | d->p[2 + i];
        }
        if (len < 0x80) {
            return wc_der_fail(d);
        }
        hdr = 2 + n;
    }
    if (len > d->len - hdr) {
        return wc_der_fail(d);
    }
    e->tag = d->p[0];
    e->val = d->p + hdr;
    e->len = len;
    e->raw = d->p;
    e->raw_len = hdr + len;
    d->p += hdr + len;
    d->len -= hdr + len;
    return 0;
}

int
wc_der_expect(struct wc_der *d, uint8_t tag, struct wc_der_elem *e)
{
    if (wc_der_peek(d) != tag) {
        memset(e, 0, sizeof(*e));
        return wc_der_fail(d);
    }
    return wc_der_next(d, e);
}

int
wc_der_optional(struct wc_der *d, uint8_t tag, struct wc_der_elem *e)
{
    memset(e, 0, sizeof(*e));
    if (wc_der_peek(d) != tag) {
        return 0;
    }
    return wc_der_next(d, e) == 0 ? 1 : 0;
}

int
wc_der_enter(struct wc_der *d, uint8_t tag, struct wc_der *inner)
{
    struct wc_der_elem e;

    if (wc_der_expect(d, tag, &e) != 0) {
        wc_der_init(inner, NULL, 0);
        inner->err = -1;
        return -1;
    }
    wc_der_init(inner, e.val, e.len);
    return 0;
}

int
wc_der_finish(struct wc_der *d)
{
    if (d->err == 0 && d->len != 0) {
        wc_der_fail(d);
    }
    return d->err;
}

int
wc_der_integer_ok(const struct wc_der_elem *e, int *negative)
{
    if (e->tag != WC_DER_INTEGER || e->len == 0) {
        return -1;
    }
    /* X.690 8.3.2: no leading 0x00 or 0xff byte that could be dropped. */
    if (e->len > 1 && ((e->val[0] == 0x00 && e->val[1] < 0x80) ||
                       (e->val[0] == 0xff && e->val[1] >= 0x80))) {
        return -1;
    }
    *negative = e->val[0] >= 0x80;
    return 0;
}

int
wc_der_small_uint(const struct wc_der_elem *e, uint32_t *v)
{
    int negative;
    size_t i;

    if (wc_der_integer_ok(e, &negative) != 0 || negative || e->len > 4) {
        return -1;
    }
    *v = 0;
    for (i = 0; i < e->len; i++) {
        *v = (*v << 8) | e->val[i];
    }
    return *v <= 0x7fffffffu ? 0 : -1;
}

int
wc_der_bit_string_bytes(const struct wc_der_elem *e, const uint8_t **bits,
                        size_t *len)
{
    if (e->tag != WC_DER_BIT_STRING || e->len < 1 || e->val[0] != 0) {
        return -1;
    }
    *bits = e->val + 1;
    *len = e->len - 1;
    return 0;
}

int
wc_der_oid_ok(const struct wc_der_elem *e)
{
    size_t i;

    if (e->tag != WC_DER_OID || e->len == 0 || (e->val[e->len - 1] & 0x80)) {
        return -1;
    }
    for (i = 0; i < e->len; i++) {
        /* A subidentifier starts here: no leading 0x80 padding byte. */
        if ((i == 0 || !(e->val[i - 1] & 0x80)) && e->val[i] == 0x80) {
            return -1;
        }
    }
    return 0;
}

int
wc_der_oid_is(const struct wc_der_elem *e, const uint8_t *oid,
              size_t oid_len)
{
    return e->tag == WC_DER_OID && e->len == oid_len &&
           memcmp(e->val, oid, oid_len) == 0;
}

static int
digits(const uint8_t *p, size_t n, int *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        *v = *v * 10 + (p[i] - '0');
    }
    return 0;
}

static int
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_since_epoch(int y, int m, int d)
{
    static const int before_month[12] = {0,   31,  59,  90,  120, 151,
                                         181, 212, 243, 273, 304, 334};
    int64_t years = (int64_t)y - 1;
    int64_t days;

    /* Days before Jan 1 of year y, counted from 0001-01-01. */
    days = years * 365 + years / 4 - years / 100 + years / 400;
    days += before_month[m - 1] + (m > 2 && is_leap(y)) + (d - 1);
    return days - 719162; /* 0001-01-01 to 1970-01-01 */
}

int
wc_der_time(const struct wc_der_elem *e, int64_t *t)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
    const uint8_t *p = e->val;
    int y, mo, d, h, mi, s, ylen;

    if (e->tag == WC_DER_UTC_TIME && e->len == 13) {
        ylen = 2;
    } else if (e->tag == WC_DER_GENERALIZED_TIME && e->len == 15) {
        ylen = 4;
    } else {
        return -1;
    }
    if (p[e->len - 1] != 'Z' || digits(p, (size_t)ylen, &y) != 0 ||
        digits(p + ylen, 2, &mo) != 0 || digits(p + ylen + 2, 2, &d) != 0 ||
        digits(p + ylen + 4, 2, &h) != 0 ||
        digits(p + ylen + 6, 2, &mi) != 0 ||
        digits(p + ylen + 8, 2, &s) != 0) {
        return -1;
    }
    if (ylen == 2) {
        y += y >= 50 ? 1900 : 2000;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
        d > month_days[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 ||
        mi > 59 || s > 59) {
        return -1;
    }
    *t = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}
