/*
 * Ephemeral key shares (companion/ecdhe.c): both sides agree for every
 * group, malformed or foreign shares are refused, keys are wiped.
 * Wycheproof's vectors run in tests/wycheproof.c.
 */
#include <string.h>

#include "check.h"
#include "ecdhe.h"
#include "memplat.h"
#include "wc_errors.h"

static struct wt_memplat mp;

static void
test_agreement(struct wc_rng *rng, uint16_t group, size_t pub_len,
               size_t secret_len)
{
    struct wc_ecdhe_key a, b;
    uint8_t s1[WC_ECDHE_SECRET_MAX], s2[WC_ECDHE_SECRET_MAX], bad[98];
    size_t n1, n2;

    CHECK(wc_ecdhe_generate(&a, group, rng) == WC_OK);
    CHECK(wc_ecdhe_generate(&b, group, rng) == WC_OK);
    CHECK(a.pub_len == pub_len && b.pub_len == pub_len);
    CHECK(memcmp(a.pub, b.pub, pub_len) != 0);
    CHECK(wc_ecdhe_shared(&a, b.pub, b.pub_len, s1, &n1) == 0);
    CHECK(wc_ecdhe_shared(&b, a.pub, a.pub_len, s2, &n2) == 0);
    CHECK(n1 == secret_len && n2 == secret_len);
    CHECK_MEM(s1, s2, secret_len);

    /* Wrong length, and for the NIST curves a compressed form. */
    CHECK(wc_ecdhe_shared(&a, b.pub, b.pub_len - 1, s1, &n1) != 0);
    CHECK(n1 == 0);
    if (group != WC_GROUP_X25519) {
        memcpy(bad, b.pub, b.pub_len);
        bad[0] = 0x02;
        CHECK(wc_ecdhe_shared(&a, bad, 1 + secret_len, s1, &n1) != 0);
        /* A point off the curve. */
        bad[0] = 0x04;
        bad[b.pub_len - 1] ^= 1;
        CHECK(wc_ecdhe_shared(&a, bad, b.pub_len, s1, &n1) != 0);
    } else {
        /* The all-zero u-coordinate is of small order: output all zeros. */
        memset(bad, 0, 32);
        CHECK(wc_ecdhe_shared(&a, bad, 32, s1, &n1) != 0);
    }

    wc_ecdhe_wipe(&a);
    memset(bad, 0, sizeof(bad));
    CHECK(a.priv_len == 0 && memcmp(a.priv, bad, sizeof(a.priv)) == 0);
}

/* Pairs made ahead are handed out once each, then made on demand. */
static void
test_pool(struct wc_rng *rng)
{
    static struct wc_ecdhe_pool pool;
    static const uint8_t zero[sizeof(pool)];
    struct wc_ecdhe_key k, again, p384;
    uint8_t pooled_x25519[32], pooled_p256[65];
    unsigned made = 0;

    memset(&pool, 0, sizeof(pool));
    CHECK(wc_ecdhe_pool_wants(&pool));
    while (wc_ecdhe_pool_wants(&pool) && made <= WC_ECDHE_POOL_GROUPS) {
        CHECK(wc_ecdhe_pool_fill_one(&pool, rng) == WC_OK);
        made++;
    }
    CHECK(made == WC_ECDHE_POOL_GROUPS);
    CHECK(!wc_ecdhe_pool_wants(&pool));
    memcpy(pooled_x25519, pool.key[0].pub, 32);
    memcpy(pooled_p256, pool.key[1].pub, 65);

    /* Taken: the pooled pair, and its slot is empty and wiped. */
    CHECK(wc_ecdhe_take(&pool, &k, WC_GROUP_SECP256R1, rng) == WC_OK);
    CHECK(k.group == WC_GROUP_SECP256R1 && k.pub_len == 65);
    CHECK_MEM(k.pub, pooled_p256, 65);
    CHECK(wc_ecdhe_pool_wants(&pool) && !pool.ready[1]);
    CHECK_MEM(&pool.key[1], zero, sizeof(pool.key[1]));
    /* Taken again before a refill: a new pair, never the same one. */
    CHECK(wc_ecdhe_take(&pool, &again, WC_GROUP_SECP256R1, rng) == WC_OK);
    CHECK(again.pub_len == 65 && memcmp(again.pub, k.pub, 65) != 0);
    /* A group the pool does not keep is made on demand. */
    CHECK(wc_ecdhe_take(&pool, &p384, WC_GROUP_SECP384R1, rng) == WC_OK);
    CHECK(p384.group == WC_GROUP_SECP384R1 && p384.pub_len == 97);
    CHECK(pool.ready[0]);
    CHECK(wc_ecdhe_take(&pool, &k, WC_GROUP_X25519, rng) == WC_OK);
    CHECK_MEM(k.pub, pooled_x25519, 32);
    CHECK(wc_ecdhe_take(&pool, &k, 25, rng) == WC_ARGUMENT);

    /* Refilled one at a time; wiping leaves nothing. */
    CHECK(wc_ecdhe_pool_fill_one(&pool, rng) == WC_OK);
    CHECK(wc_ecdhe_pool_wants(&pool));
    CHECK(wc_ecdhe_pool_fill_one(&pool, rng) == WC_OK);
    CHECK(!wc_ecdhe_pool_wants(&pool));
    CHECK(wc_ecdhe_pool_fill_one(&pool, rng) == WC_OK); /* full: no-op */
    wc_ecdhe_pool_wipe(&pool);
    CHECK_MEM(&pool, zero, sizeof(pool));
    wc_ecdhe_wipe(&k);
    wc_ecdhe_wipe(&again);
    wc_ecdhe_wipe(&p384);
}

int
main(void)
{
    static struct wc_rng rng;
    struct wc_ecdhe_key k;

    wt_memplat_init(&mp, 5);
    CHECK(wc_rng_init(&rng, &mp.plat) == WC_OK);
    test_agreement(&rng, WC_GROUP_SECP256R1, 65, 32);
    test_agreement(&rng, WC_GROUP_SECP384R1, 97, 48);
    test_agreement(&rng, WC_GROUP_X25519, 32, 32);
    CHECK(wc_ecdhe_generate(&k, 25, &rng) == WC_ARGUMENT);
    test_pool(&rng);

    /* A failed DRBG makes no key. */
    wt_memplat_set_entropy_fault(&mp, WT_ENTROPY_STUCK, 0);
    rng.calls_since_reseed = WC_RNG_RESEED_INTERVAL;
    CHECK(wc_ecdhe_generate(&k, WC_GROUP_X25519, &rng) != WC_OK);
    CHECK(k.pub_len == 0);
    {
        static struct wc_ecdhe_pool pool;

        memset(&pool, 0, sizeof(pool));
        rng.calls_since_reseed = WC_RNG_RESEED_INTERVAL;
        CHECK(wc_ecdhe_pool_fill_one(&pool, &rng) == WC_RNG_HEALTH);
        CHECK(wc_ecdhe_pool_wants(&pool) && !pool.ready[0]);
    }
    return wt_finish("test_ecdhe");
}
