/*
 * Secure boot and attestation, the operator's side: measuring a firmware
 * image as the companion does, signing the measurement with the
 * firmware-signing key, and checking an attestation statement against
 * the attestation certificate and the CA that issued it. Crypto from
 * BearSSL. docs/secure-boot.md defines every byte string here.
 */
#ifndef TK_FIRMWARE_H
#define TK_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "toolkit.h"
#include "warden.h"

/* The measurement of image with config (NULL: none), as the companion
 * makes it. */
int tk_measure_files(const char *image, const char *config,
                     uint8_t out[WARDEN_MEASUREMENT_LEN], struct tk_err *e);

/*
 * A firmware signature file for (measurement, version), signed with the
 * EC private key in key_path (PEM "PRIVATE KEY" or "EC PRIVATE KEY"),
 * into out (at least TK_FIRMWARE_SIG_FILE_MAX bytes).
 */
#define TK_FIRMWARE_SIG_FILE_MAX (10 + WARDEN_FIRMWARE_SIG_MAX)
int tk_firmware_sign(const char *key_path, uint32_t version,
                     const uint8_t measurement[WARDEN_MEASUREMENT_LEN],
                     uint8_t *out, size_t *out_len, struct tk_err *e);

/*
 * Checks an attestation: the certificate cert (DER) chains through
 * chain (intermediates, DER, any order not needed: issuer order) to one
 * of anchors at time now, the statement's signature verifies with the
 * certificate's key, and the statement answers challenge. Returns 0 or
 * -1 with the reason.
 */
int tk_attest_verify(const struct warden_attestation *a,
                     const uint8_t *challenge, size_t challenge_len,
                     const uint8_t *cert, size_t cert_len,
                     const struct tk_blobs *chain,
                     const struct tk_blobs *anchors, int64_t now,
                     struct tk_err *e);

#endif
