/*
 * Bounded readers and writers for TLS's wire format (RFC 8446 3): fixed
 * integers, and vectors with 1-, 2- or 3-byte length prefixes. Both are
 * sticky: after the first overrun every call does nothing, and the
 * caller checks err once.
 */
#ifndef WC_TLS_CODEC_H
#define WC_TLS_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct wc_tls_reader {
    const uint8_t *p;
    size_t len;
    int err;
};

struct wc_tls_writer {
    uint8_t *p;
    size_t cap;
    size_t len;
    int err;
};

void wc_tlsr_init(struct wc_tls_reader *r, const uint8_t *p, size_t len);
unsigned wc_tlsr_u8(struct wc_tls_reader *r);
unsigned wc_tlsr_u16(struct wc_tls_reader *r);
uint32_t wc_tlsr_u24(struct wc_tls_reader *r);
uint32_t wc_tlsr_u32(struct wc_tls_reader *r);
/* Points *p at the next n bytes. */
void wc_tlsr_bytes(struct wc_tls_reader *r, const uint8_t **p, size_t n);
/* Takes everything left: points *p at it and returns its length. */
size_t wc_tlsr_rest(struct wc_tls_reader *r, const uint8_t **p);
/* A vector with a prefix of prefix_len bytes, as a reader of its own. */
void wc_tlsr_vector(struct wc_tls_reader *r, size_t prefix_len,
                    struct wc_tls_reader *inner);
/* 0 if no error and nothing left over, else -1. */
int wc_tlsr_done(const struct wc_tls_reader *r);

void wc_tlsw_init(struct wc_tls_writer *w, uint8_t *p, size_t cap);
void wc_tlsw_u8(struct wc_tls_writer *w, unsigned v);
void wc_tlsw_u16(struct wc_tls_writer *w, unsigned v);
void wc_tlsw_u24(struct wc_tls_writer *w, uint32_t v);
void wc_tlsw_bytes(struct wc_tls_writer *w, const void *p, size_t n);
/*
 * Opens a vector with a prefix of prefix_len bytes; returns the mark to
 * pass to wc_tlsw_close() once its contents are written.
 */
size_t wc_tlsw_open(struct wc_tls_writer *w, size_t prefix_len);
void wc_tlsw_close(struct wc_tls_writer *w, size_t mark, size_t prefix_len);

#endif
