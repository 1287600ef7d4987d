/*
 * The companion's certificate path validation, in the web PKI profile
 * (RFC 5280 section 6 and the CA/Browser Forum baseline requirements):
 * path building over an unordered pool, signatures under the algorithm
 * policy, validity, basic constraints and path length, key usage, EKU
 * serverAuth, name constraints, and the peer name against the SAN only.
 *
 * Why our own: BearSSL's minimal validator has no path building, no IP
 * SANs, no EKU or name constraints, and falls back to the subject CN.
 * Every signature check and hash still comes from BearSSL.
 */
#ifndef WC_VERIFY_H
#define WC_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "x509.h"

/* Verdicts: X(name, code, message). */
#define WC_VERIFY_LIST(X)                                                    \
    X(OK, 0, "valid")                                                       \
    X(MALFORMED, 1, "malformed certificate")                                \
    X(NO_ISSUER, 2, "no path to a trusted root")                            \
    X(EXPIRED, 3, "certificate expired")                                    \
    X(NOT_YET_VALID, 4, "certificate not yet valid")                        \
    X(BAD_SIGNATURE, 5, "certificate signature does not verify")            \
    X(WEAK_ALGORITHM, 6, "signature algorithm not allowed")                 \
    X(WEAK_KEY, 7, "key type or size not allowed")                          \
    X(NOT_CA, 8, "issuer is not a CA")                                      \
    X(PATH_LENGTH, 9, "path length constraint exceeded")                    \
    X(KEY_USAGE, 10, "key usage does not allow this use")                   \
    X(EKU, 11, "extended key usage does not allow server authentication")   \
    X(NAME_MISMATCH, 12, "host name mismatch")                              \
    X(NAME_CONSTRAINTS, 13, "name constraints violated")                    \
    X(CRITICAL_EXTENSION, 14, "unsupported critical extension")             \
    X(BAD_PEER_NAME, 15, "peer name is not a valid DNS name or IP address") \
    X(TOO_COMPLEX, 16, "path building gave up: chain too complex")         \
    X(LEAF_IS_CA, 17, "server certificate is a CA certificate")

enum wc_verify_result {
#define WC_X(name, code, message) WC_VERIFY_##name = code,
    WC_VERIFY_LIST(WC_X)
#undef WC_X
};

const char *wc_verify_message(int result);

/* Most certificates in a presented chain (leaf included), and anchors. */
#define WC_VERIFY_POOL_MAX 48
#define WC_VERIFY_ANCHORS_MAX 8
/* Longest path, anchor not counted. */
#define WC_VERIFY_DEPTH_MAX 8
/* Signature checks one validation may spend (pathological chains). */
#define WC_VERIFY_SIG_BUDGET 64

/* A DER certificate somewhere in memory. */
struct wc_der_cert {
    const uint8_t *der;
    size_t len;
};

/*
 * Certificate signatures that verified, remembered by a SHA-256 over all
 * that the verification depended on (issuer SubjectPublicKeyInfo,
 * algorithm, signed TBSCertificate, signature). A device talks to the
 * same few servers, whose chains rarely change; remembering spares two
 * of the three ECDSA verifications of a TLS handshake.
 *
 * What is remembered is a fact of arithmetic, not of trust: the path,
 * the anchors, validity, names and constraints are judged every time,
 * so a root removed from the store anchors nothing even if signatures
 * it made are remembered. A false hit needs a SHA-256 collision. Only
 * successes are kept: a bad signature costs its verification each time.
 * The oldest entry makes room for a new one.
 */
#define WC_SIG_CACHE_ENTRIES 8

struct wc_sig_cache {
    uint8_t id[WC_SIG_CACHE_ENTRIES][32];
    uint8_t used[WC_SIG_CACHE_ENTRIES];
    unsigned next;
};

struct wc_verify_input {
    const struct wc_der_cert *anchors; /* trust anchors */
    unsigned anchor_count;
    const struct wc_der_cert *chain; /* leaf first, then any order */
    unsigned chain_count;
    int64_t now; /* seconds since 1970, UTC */
    const char *peer_name; /* DNS name or textual IPv4/IPv6 address */
    size_t peer_name_len;
    struct wc_sig_cache *sig_cache; /* NULL: verify every signature */
};

/* A certificate of the pool or an anchor, with its subject for lookups. */
struct wc_verify_entry {
    const uint8_t *der;
    size_t len;
    const uint8_t *subject;
    size_t subject_len;
    int ok; /* parsed */
};

/*
 * Working memory, caller-provided (no heap): where each certificate's
 * subject is, and the certificates of the path being built, parsed.
 */
struct wc_verify_work {
    struct wc_verify_entry anchor[WC_VERIFY_ANCHORS_MAX];
    struct wc_verify_entry pool[WC_VERIFY_POOL_MAX];
    struct wc_x509 cert[WC_VERIFY_DEPTH_MAX + 1]; /* path, leaf first */
    struct wc_x509 top;                          /* the anchor tried */
    unsigned path[WC_VERIFY_DEPTH_MAX + 1];      /* pool indexes */
    unsigned budget;
    int best; /* most telling failure seen while building */
};

/*
 * Validates in->chain[0] for in->peer_name at in->now. Returns
 * WC_VERIFY_OK or the reason the chain was refused; when several paths
 * were tried, the reason is the one from the path that got furthest.
 */
int wc_verify_chain(struct wc_verify_work *w, const struct wc_verify_input *in);

/*
 * Verifies sig (as in a certificate or a TLS CertificateVerify, DER for
 * ECDSA) by key over the message digest computed with the hash of alg.
 * Returns WC_VERIFY_OK, WEAK_ALGORITHM, WEAK_KEY or BAD_SIGNATURE.
 */
int wc_verify_signature(const struct wc_pubkey *key, enum wc_sig_alg alg,
                        const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len);

#endif
