/* Ephemeral ECDH over BearSSL; see ecdhe.h. */
#include "ecdhe.h"

#include <string.h>

#include <bearssl.h>

#include "test_hook.h"
#include "wc_errors.h"
#include "wc_wipe.h"

static const br_ec_impl *
impl_for(uint16_t group, int *curve, size_t *scalar_len, size_t *point_len)
{
    switch (group) {
    case WC_GROUP_SECP256R1:
        *curve = BR_EC_secp256r1;
        *scalar_len = 32;
        *point_len = 65;
        return br_ec_get_default();
    case WC_GROUP_SECP384R1:
        *curve = BR_EC_secp384r1;
        *scalar_len = 48;
        *point_len = 97;
        return br_ec_get_default();
    case WC_GROUP_X25519:
        *curve = BR_EC_curve25519;
        *scalar_len = 32;
        *point_len = 32;
        return &br_ec_all_m31;
    }
    return NULL;
}

/* 1 if the n bytes are all zero, in time independent of their values. */
static int
all_zero(const uint8_t *p, size_t n)
{
    unsigned acc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        acc |= p[i];
    }
    return (int)(((acc + 0xffu) >> 8) ^ 1u);
}

/* Core: priv in BearSSL's order (RFC 7748 little-endian for X25519). */
static int
shared(uint16_t group, const uint8_t *priv, size_t priv_len,
       const uint8_t *peer, size_t peer_len, uint8_t *out, size_t *out_len)
{
    uint8_t point[WC_ECDHE_PUB_MAX];
    size_t scalar_len, point_len, xoff, xlen;
    int curve;
    const br_ec_impl *ec = impl_for(group, &curve, &scalar_len, &point_len);
    uint32_t ok;

    *out_len = 0;
    /*
     * RFC 8446 4.2.8.2: NIST points uncompressed (0x04), of exactly the
     * curve's size; BearSSL's mul() checks that they are on the curve.
     */
    if (ec == NULL || priv_len != scalar_len || peer_len != point_len ||
        (group != WC_GROUP_X25519 && peer[0] != 0x04)) {
        return -1;
    }
    memcpy(point, peer, peer_len);
    ok = ec->mul(point, point_len, priv, priv_len, curve);
    xoff = ec->xoff(curve, &xlen);
    /* RFC 7748 6.1: an all-zero X25519 output means a small-order peer. */
    if (ok != 1 || (group == WC_GROUP_X25519 && all_zero(point, 32))) {
        wc_wipe(point, sizeof(point));
        return -1;
    }
    memcpy(out, point + xoff, xlen);
    *out_len = xlen;
    WC_TEST_SECRET("ECDHE shared secret", out, xlen);
    wc_wipe(point, sizeof(point));
    return 0;
}

int
wc_ecdhe_compute(uint16_t group, const uint8_t *priv, size_t priv_len,
                 const uint8_t *peer, size_t peer_len, uint8_t *out,
                 size_t *out_len)
{
    return shared(group, priv, priv_len, peer, peer_len, out, out_len);
}

int
wc_ecdhe_shared(const struct wc_ecdhe_key *k, const uint8_t *peer,
                size_t peer_len, uint8_t *out, size_t *out_len)
{
    return shared(k->group, k->priv, k->priv_len, peer, peer_len, out,
                  out_len);
}

int
wc_ecdhe_generate(struct wc_ecdhe_key *k, uint16_t group, struct wc_rng *rng)
{
    size_t scalar_len, point_len;
    int curve, err;
    const br_ec_impl *ec = impl_for(group, &curve, &scalar_len, &point_len);
    const uint8_t *order;
    size_t order_len;

    memset(k, 0, sizeof(*k));
    if (ec == NULL) {
        return WC_ARGUMENT;
    }
    k->group = group;
    k->priv_len = scalar_len;
    order = ec->order(curve, &order_len);
    /*
     * A scalar in [1, order): draw until one is (for P-256 and P-384 the
     * first draw nearly always is; X25519 clamps any 32 bytes).
     */
    for (;;) {
        err = wc_rng_generate(rng, k->priv, scalar_len);
        if (err != WC_OK) {
            wc_ecdhe_wipe(k);
            return err;
        }
        if (group == WC_GROUP_X25519 ||
            (!all_zero(k->priv, scalar_len) &&
             memcmp(k->priv, order, order_len) < 0)) {
            break;
        }
    }
    k->pub_len = ec->mulgen(k->pub, k->priv, k->priv_len, curve);
    if (k->pub_len != point_len) {
        wc_ecdhe_wipe(k);
        return WC_ARGUMENT;
    }
    WC_TEST_SECRET("ECDHE private key", k->priv, k->priv_len);
    return WC_OK;
}

void
wc_ecdhe_wipe(struct wc_ecdhe_key *k)
{
    wc_wipe(k, sizeof(*k));
}

static const uint16_t pool_group[WC_ECDHE_POOL_GROUPS] = {
    WC_GROUP_X25519, WC_GROUP_SECP256R1
};

int
wc_ecdhe_pool_wants(const struct wc_ecdhe_pool *pool)
{
    unsigned i;

    for (i = 0; i < WC_ECDHE_POOL_GROUPS; i++) {
        if (!pool->ready[i]) {
            return 1;
        }
    }
    return 0;
}

int
wc_ecdhe_pool_fill_one(struct wc_ecdhe_pool *pool, struct wc_rng *rng)
{
    unsigned i;
    int err;

    for (i = 0; i < WC_ECDHE_POOL_GROUPS; i++) {
        if (pool->ready[i]) {
            continue;
        }
        err = wc_ecdhe_generate(&pool->key[i], pool_group[i], rng);
        if (err != WC_OK) {
            return err;
        }
        pool->ready[i] = 1;
        break;
    }
    return WC_OK;
}

int
wc_ecdhe_take(struct wc_ecdhe_pool *pool, struct wc_ecdhe_key *k,
              uint16_t group, struct wc_rng *rng)
{
    unsigned i;

    for (i = 0; i < WC_ECDHE_POOL_GROUPS; i++) {
        if (pool->ready[i] && pool_group[i] == group) {
            *k = pool->key[i];
            wc_ecdhe_wipe(&pool->key[i]);
            pool->ready[i] = 0;
            return WC_OK;
        }
    }
    return wc_ecdhe_generate(k, group, rng);
}

void
wc_ecdhe_pool_wipe(struct wc_ecdhe_pool *pool)
{
    wc_wipe(pool, sizeof(*pool));
}
