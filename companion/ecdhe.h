/*
 * Ephemeral ECDH for TLS key shares (RFC 8446 4.2.8.2, RFC 7748): key
 * pairs made from the companion's DRBG, peers' shares checked before use.
 * The private half never leaves struct wc_ecdhe_key.
 */
#ifndef WC_ECDHE_H
#define WC_ECDHE_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* TLS NamedGroup numbers. */
#define WC_GROUP_SECP256R1 23
#define WC_GROUP_SECP384R1 24
#define WC_GROUP_X25519 29

#define WC_ECDHE_PUB_MAX 97
#define WC_ECDHE_SECRET_MAX 48

struct wc_ecdhe_key {
    uint16_t group;
    uint8_t priv[48];
    size_t priv_len;
    uint8_t pub[WC_ECDHE_PUB_MAX]; /* key_exchange as TLS sends it */
    size_t pub_len;
};

/* Makes a key pair for group. Returns WC_OK, WC_ARGUMENT or a DRBG error. */
int wc_ecdhe_generate(struct wc_ecdhe_key *k, uint16_t group,
                      struct wc_rng *rng);

/*
 * The shared secret with a peer's key_exchange: the X coordinate for the
 * NIST curves (the point must be uncompressed and on the curve), the
 * X25519 output (never all zeros, RFC 7748 6.1). Returns 0 or -1; out is
 * zeroed on failure.
 */
int wc_ecdhe_shared(const struct wc_ecdhe_key *k, const uint8_t *peer,
                    size_t peer_len, uint8_t *out, size_t *out_len);

/*
 * The same with a raw private key, for test vectors: a big-endian scalar
 * of the curve's size for the NIST curves, the RFC 7748 (little-endian)
 * 32 bytes for X25519, which clamps them.
 */
int wc_ecdhe_compute(uint16_t group, const uint8_t *priv, size_t priv_len,
                     const uint8_t *peer, size_t peer_len, uint8_t *out,
                     size_t *out_len);

void wc_ecdhe_wipe(struct wc_ecdhe_key *k);

#endif
