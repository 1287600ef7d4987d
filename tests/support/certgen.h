/*
 * Test certificates made in process: a small CA that issues X.509 v3
 * certificates for any EC point, so that tests can certify keys the
 * companion generated a moment ago. Built on BearSSL and the companion's
 * DER writer; test code only.
 */
#ifndef WT_CERTGEN_H
#define WT_CERTGEN_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

struct wt_ca {
    char cn[64];
    br_ec_private_key sk;
    uint8_t sk_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
    uint8_t pub[BR_EC_KBUF_PUB_MAX_SIZE];
    size_t pub_len;
};

/* A P-256 CA whose key comes from seed (the same seed, the same CA). */
void wt_ca_init(struct wt_ca *ca, const char *cn, uint64_t seed);

/* Options for one certificate. */
struct wt_cert_opts {
    const char *cn;        /* subject common name */
    unsigned curve;        /* WD_CURVE_P256 or WD_CURVE_P384 */
    const uint8_t *point;  /* uncompressed subject key */
    size_t point_len;
    int is_ca;
    size_t pad;            /* extra bytes in an extension, for big certs */
};

/*
 * Issues a certificate signed by ca into out. Returns its length, or 0
 * if cap is too small.
 */
size_t wt_cert_make(const struct wt_ca *ca, const struct wt_cert_opts *o,
                    uint8_t *out, size_t cap);

/* A self-signed CA certificate for ca itself. */
size_t wt_ca_cert(const struct wt_ca *ca, uint8_t *out, size_t cap);

/* DER Name with a single CN. Returns its length. */
size_t wt_name(const char *cn, uint8_t *out, size_t cap);

/* DER SubjectPublicKeyInfo of a CA's key. */
size_t wt_ca_spki(const struct wt_ca *ca, uint8_t *out, size_t cap);

/*
 * The ca key's signature, as the firmware-signing key, over measurement
 * and version (docs/secure-boot.md), DER into sig (at least 80 bytes).
 * Returns its length. For tests whose firmware key is a wt_ca.
 */
size_t wt_ca_sign_boot(const struct wt_ca *ca, const uint8_t measurement[32],
                       uint32_t version, uint8_t *sig);

#endif
