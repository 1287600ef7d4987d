/*
 * X.509 certificate parsing for the companion: one strict pass over the
 * DER that records where each field is, without copying. Policy (what to
 * accept for a TLS server, a device certificate, a root) is not decided
 * here; this only says what the certificate is, or that it is malformed.
 */
#ifndef WC_X509_H
#define WC_X509_H

#include <stddef.h>
#include <stdint.h>

enum wc_key_type {
    WC_KEY_NONE = 0,
    WC_KEY_EC_P256 = 1,
    WC_KEY_EC_P384 = 2,
    WC_KEY_RSA = 3,
};

enum wc_sig_alg {
    WC_SIG_UNKNOWN = 0,
    WC_SIG_ECDSA_SHA256,
    WC_SIG_ECDSA_SHA384,
    WC_SIG_ECDSA_SHA512,
    WC_SIG_ECDSA_SHA1,
    WC_SIG_RSA_SHA256,
    WC_SIG_RSA_SHA384,
    WC_SIG_RSA_SHA512,
    WC_SIG_RSA_SHA1,
};

/* A public key inside some DER; pointers into it. */
struct wc_pubkey {
    enum wc_key_type type;
    unsigned bits;
    const uint8_t *point; /* EC: uncompressed SEC1 point */
    size_t point_len;
    const uint8_t *n; /* RSA modulus, no leading zero */
    size_t n_len;
    const uint8_t *e; /* RSA exponent, no leading zero */
    size_t e_len;
};

/* Extensions seen (bits of wc_x509.extensions). */
#define WC_EXT_BASIC_CONSTRAINTS 0x0001
#define WC_EXT_KEY_USAGE 0x0002
#define WC_EXT_EXT_KEY_USAGE 0x0004
#define WC_EXT_SUBJECT_ALT_NAME 0x0008
#define WC_EXT_NAME_CONSTRAINTS 0x0010
#define WC_EXT_SUBJECT_KEY_ID 0x0020
#define WC_EXT_AUTHORITY_KEY_ID 0x0040

/* keyUsage bits, numbered as in RFC 5280 4.2.1.3. */
#define WC_KU_DIGITAL_SIGNATURE (1u << 0)
#define WC_KU_KEY_CERT_SIGN (1u << 5)
#define WC_KU_CRL_SIGN (1u << 6)

/* Extended key usages seen. */
#define WC_EKU_SERVER_AUTH 0x01
#define WC_EKU_CLIENT_AUTH 0x02
#define WC_EKU_ANY 0x04
#define WC_EKU_OTHER 0x08

struct wc_x509 {
    const uint8_t *der; /* the whole certificate */
    size_t der_len;
    const uint8_t *tbs; /* TBSCertificate, tag and length included */
    size_t tbs_len;
    unsigned version; /* 1, 2 or 3 */
    const uint8_t *serial;
    size_t serial_len;
    enum wc_sig_alg sig_alg;
    const uint8_t *issuer; /* Name, tag and length included */
    size_t issuer_len;
    const uint8_t *subject;
    size_t subject_len;
    int64_t not_before; /* seconds since 1970-01-01T00:00:00Z */
    int64_t not_after;
    const uint8_t *spki; /* SubjectPublicKeyInfo, tag and length included */
    size_t spki_len;
    struct wc_pubkey key;
    const uint8_t *sig; /* signature value (BIT STRING contents) */
    size_t sig_len;

    unsigned extensions; /* WC_EXT_* present */
    unsigned critical;   /* WC_EXT_* marked critical */
    int aki_has_key_id;  /* keyIdentifier present in the AKI */
    int aki_has_issuer;  /* authorityCertIssuer or serial present */
    int unknown_critical; /* a critical extension we do not understand */
    int is_ca;
    int path_len; /* -1 when absent */
    unsigned key_usage; /* WC_KU_* bits, valid with WC_EXT_KEY_USAGE */
    unsigned ext_key_usage; /* WC_EKU_* bits, valid with WC_EXT_EXT_KEY_USAGE */
    const uint8_t *san; /* GeneralNames contents (inside the SEQUENCE) */
    size_t san_len;
    const uint8_t *name_constraints; /* NameConstraints contents */
    size_t name_constraints_len;
    const uint8_t *subject_key_id;
    size_t subject_key_id_len;
    const uint8_t *authority_key_id;
    size_t authority_key_id_len;
};

/*
 * Parses a certificate of exactly len bytes. Returns 0, or -1 if it is
 * not well-formed DER X.509 (including trailing bytes, unknown versions,
 * inner and outer signature algorithms that differ, duplicate
 * extensions). A parsed certificate points into der.
 */
int wc_x509_parse(struct wc_x509 *c, const uint8_t *der, size_t len);

/*
 * Parses a DER SubjectPublicKeyInfo of exactly len bytes: EC keys on
 * P-256 or P-384 (the point checked to be on the curve) and RSA keys.
 * (wc_x509_parse() does not check certificates' points; see
 * wc_x509_key_valid().)
 * Returns 0 or -1.
 */
int wc_x509_parse_spki(struct wc_pubkey *k, const uint8_t *der, size_t len);

/*
 * 1 if an EC key's point is on its curve (RSA keys: 1). Certificate
 * parsing leaves this out, as it costs a scalar multiplication.
 */
int wc_x509_key_valid(const struct wc_pubkey *k);

/*
 * 1 if the serial number is what RFC 5280 4.1.2.2 lets a CA issue: a
 * positive integer of at most 20 octets (a leading 0x00 not counted).
 */
int wc_x509_serial_ok(const struct wc_x509 *c);

/*
 * Checks that der is exactly one well-formed Name: a SEQUENCE of
 * non-empty SETs of (OID, value) pairs. Returns 0 or -1.
 */
int wc_x509_name_check(const uint8_t *der, size_t len);

#endif
