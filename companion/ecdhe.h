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

/*
 * Key pairs made ahead of need. A ClientHello carries fresh X25519 and
 * P-256 shares, and making them is a third of the handshake's EC work;
 * a chip has idle time between handshakes to do it in, so the
 * ClientHello does not wait for it. Each pair is handed out once and
 * leaves the pool when taken; nothing in the pool has been sent
 * anywhere, so forward secrecy is that of a key made on demand.
 */
#define WC_ECDHE_POOL_GROUPS 2 /* the groups of the default key shares */

struct wc_ecdhe_pool {
    struct wc_ecdhe_key key[WC_ECDHE_POOL_GROUPS];
    uint8_t ready[WC_ECDHE_POOL_GROUPS];
};

/*
 * Makes one missing pair, if any is missing. Returns WC_OK or a DRBG
 * error (the pool is then as it was).
 */
int wc_ecdhe_pool_fill_one(struct wc_ecdhe_pool *pool, struct wc_rng *rng);

/* 1 if the pool lacks a pair (wc_ecdhe_pool_fill_one has work). */
int wc_ecdhe_pool_wants(const struct wc_ecdhe_pool *pool);

/*
 * A key pair for group into k: the pooled one if there is one (it leaves
 * the pool), else made now. Returns as wc_ecdhe_generate.
 */
int wc_ecdhe_take(struct wc_ecdhe_pool *pool, struct wc_ecdhe_key *k,
                  uint16_t group, struct wc_rng *rng);

void wc_ecdhe_pool_wipe(struct wc_ecdhe_pool *pool);

#endif
