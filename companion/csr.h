/* PKCS#10 certification requests (RFC 2986) signed inside the companion. */
#ifndef WC_CSR_H
#define WC_CSR_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"

/* Longest subject Name accepted, DER. */
#define WC_CSR_SUBJECT_MAX 512

/*
 * Writes a DER CertificationRequest for the key pair in slot, with the
 * given subject (a DER Name, checked here), into out. Returns a
 * wd_status.
 */
enum wd_status wc_csr_create(const struct wc_companion *c, unsigned slot,
                             const uint8_t *subject, size_t subject_len,
                             uint8_t *out, size_t cap, size_t *out_len);

/*
 * Writes the DER SubjectPublicKeyInfo of an EC point on curve
 * (WD_CURVE_*) with w; used for requests and for key comparisons.
 */
struct wc_derw;
void wc_csr_write_spki(struct wc_derw *w, unsigned curve,
                       const uint8_t *point, size_t len);

#endif
