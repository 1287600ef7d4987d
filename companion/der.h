/*
 * A strict DER reader: bounded, no allocation, no recursion. Every
 * function works on a cursor (struct wc_der) over caller memory and
 * refuses anything that DER forbids: indefinite or non-minimal lengths,
 * high tag numbers, lengths past the end of the enclosing element.
 *
 * A reader that fails stays failed (err is sticky), so a parser can make
 * a run of calls and check once at the end.
 */
#ifndef WC_DER_H
#define WC_DER_H

#include <stddef.h>
#include <stdint.h>

/* Tags (class and constructed bits included). */
#define WC_DER_BOOLEAN 0x01
#define WC_DER_INTEGER 0x02
#define WC_DER_BIT_STRING 0x03
#define WC_DER_OCTET_STRING 0x04
#define WC_DER_NULL 0x05
#define WC_DER_OID 0x06
#define WC_DER_UTF8_STRING 0x0c
#define WC_DER_PRINTABLE_STRING 0x13
#define WC_DER_IA5_STRING 0x16
#define WC_DER_UTC_TIME 0x17
#define WC_DER_GENERALIZED_TIME 0x18
#define WC_DER_SEQUENCE 0x30
#define WC_DER_SET 0x31
#define WC_DER_CONTEXT(n) (0x80 | (n))             /* [n] IMPLICIT, primitive */
#define WC_DER_CONTEXT_CONS(n) (0xa0 | (n))        /* [n], constructed */

struct wc_der {
    const uint8_t *p;
    size_t len;
    int err;
};

/* One element: its tag and the bytes of its value. */
struct wc_der_elem {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
    const uint8_t *raw; /* tag, length and value */
    size_t raw_len;
};

void wc_der_init(struct wc_der *d, const uint8_t *p, size_t len);

/* 1 if bytes are left and no error happened. */
int wc_der_more(const struct wc_der *d);

/* Tag of the next element, or -1 at the end or after an error. */
int wc_der_peek(const struct wc_der *d);

/* Reads the next element, whatever its tag. */
int wc_der_next(struct wc_der *d, struct wc_der_elem *e);

/* Reads the next element, which must have this tag. */
int wc_der_expect(struct wc_der *d, uint8_t tag, struct wc_der_elem *e);

/*
 * Reads an element with this tag if it is next (optional fields).
 * Returns 1 if read, 0 if absent.
 */
int wc_der_optional(struct wc_der *d, uint8_t tag, struct wc_der_elem *e);

/* Opens a constructed element with this tag as a new reader. */
int wc_der_enter(struct wc_der *d, uint8_t tag, struct wc_der *inner);

/* Fails d unless it is fully consumed. Returns d->err. */
int wc_der_finish(struct wc_der *d);

/* Marks d failed; returns -1. */
int wc_der_fail(struct wc_der *d);

/*
 * Checks an INTEGER's value for DER (minimal, not empty) and whether it
 * is positive. Returns 0 if valid.
 */
int wc_der_integer_ok(const struct wc_der_elem *e, int *negative);

/* A small non-negative INTEGER (up to 2^31 - 1). */
int wc_der_small_uint(const struct wc_der_elem *e, uint32_t *v);

/*
 * A BIT STRING with no unused bits (keys and signatures): *bits points
 * past the unused-bits byte.
 */
int wc_der_bit_string_bytes(const struct wc_der_elem *e, const uint8_t **bits,
                            size_t *len);

/*
 * 0 if an OID element is well-formed (X.690 8.19): not empty, each
 * subidentifier in its fewest bytes, the last one complete. -1 if not.
 */
int wc_der_oid_ok(const struct wc_der_elem *e);

/* Compares an OID element's value with an encoded OID value. */
int wc_der_oid_is(const struct wc_der_elem *e, const uint8_t *oid,
                  size_t oid_len);

/*
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) to seconds
 * since 1970-01-01T00:00:00Z, as RFC 5280 4.1.2.5 allows them: UTC only,
 * seconds present, no fractions; UTCTime years 50-99 are 19xx.
 */
int wc_der_time(const struct wc_der_elem *e, int64_t *t);

#endif
