/*
 * The companion's own key pairs (device and attestation): generated
 * inside from the DRBG, kept as secret records, used only through the
 * functions here. Nothing here returns a private key.
 */
#ifndef WC_KEYS_H
#define WC_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"

/* Largest uncompressed point (P-384) and DER ECDSA signature. */
#define WC_POINT_MAX 97
#define WC_SIG_DER_MAX 104

/*
 * Generates a key pair in slot (WD_KEY_*) on curve (WD_CURVE_*) and sets
 * its records; the caller commits. Returns a wd_status.
 */
enum wd_status wc_key_generate(struct wc_companion *c, unsigned slot,
                               unsigned curve);

/* The public key of slot: *curve and a pointer to the point. */
enum wd_status wc_key_public(const struct wc_companion *c, unsigned slot,
                             unsigned *curve, const uint8_t **point,
                             size_t *len);

/*
 * Signs msg (hashed here with SHA-256 for P-256, SHA-384 for P-384) with
 * the private key of slot; writes a DER ECDSA-Sig-Value. Callers decide
 * what may be signed: this file does not. It does refuse the device key
 * (KEY_LOCKED) to a host whose firmware is not verified (boot.h).
 */
enum wd_status wc_key_sign(const struct wc_companion *c, unsigned slot,
                           const uint8_t *msg, size_t msg_len,
                           uint8_t sig[WC_SIG_DER_MAX], size_t *sig_len);

/*
 * As wc_key_sign() for a message already hashed, with the hash the key
 * signs with: digest is 32 bytes (SHA-256) for a P-256 key, 48 (SHA-384)
 * for P-384; any other length is refused (WD_STATUS_BAD_PAYLOAD). For
 * TLS 1.2, whose CertificateVerify signs the running transcript hash.
 */
enum wd_status wc_key_sign_digest(const struct wc_companion *c, unsigned slot,
                                  const uint8_t *digest, size_t digest_len,
                                  uint8_t sig[WC_SIG_DER_MAX],
                                  size_t *sig_len);

/* Record ids of a slot's halves; 0 for an unknown slot. */
uint16_t wc_key_private_record(unsigned slot);
uint16_t wc_key_public_record(unsigned slot);

#endif
