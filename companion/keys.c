/* Device and attestation key pairs; see keys.h. */
#include "keys.h"

#include "boot.h"

#include <string.h>

#include <bearssl.h>

#include "boot.h"
#include "records.h"
#include "test_hook.h"
#include "wc_wipe.h"

uint16_t
wc_key_private_record(unsigned slot)
{
    switch (slot) {
    case WD_KEY_DEVICE:
        return WC_REC_DEVICE_KEY;
    case WD_KEY_ATTESTATION:
        return WC_REC_ATTEST_KEY;
    }
    return 0;
}

uint16_t
wc_key_public_record(unsigned slot)
{
    switch (slot) {
    case WD_KEY_DEVICE:
        return WC_REC_DEVICE_PUB;
    case WD_KEY_ATTESTATION:
        return WC_REC_ATTEST_PUB;
    }
    return 0;
}

static int
bearssl_curve(unsigned curve)
{
    switch (curve) {
    case WD_CURVE_P256:
        return BR_EC_secp256r1;
    case WD_CURVE_P384:
        return BR_EC_secp384r1;
    }
    return 0;
}

/*
 * BearSSL's key generation draws from a br_prng_class. This one passes
 * every request to the companion's health-tested DRBG and remembers a
 * refusal, which the caller checks: the class has no way to report one.
 */
struct rng_adapter {
    const br_prng_class *vtable;
    struct wc_rng *rng;
    int failed;
};

static void
adapter_init(const br_prng_class **ctx, const void *params, const void *seed,
             size_t len)
{
    (void)ctx;
    (void)params;
    (void)seed;
    (void)len;
}

static void
adapter_generate(const br_prng_class **ctx, void *out, size_t len)
{
    struct rng_adapter *a = (struct rng_adapter *)(void *)ctx;

    if (wc_rng_generate(a->rng, out, len) != WC_OK) {
        a->failed = 1;
        /*
         * Non-zero filler: a key generator that retries on a zero or
         * out-of-range scalar still ends. The key is discarded anyway.
         */
        memset(out, 0x01, len);
    }
}

static void
adapter_update(const br_prng_class **ctx, const void *seed, size_t len)
{
    (void)ctx;
    (void)seed;
    (void)len;
}

static const br_prng_class adapter_vtable = {
    sizeof(struct rng_adapter), adapter_init, adapter_generate,
    adapter_update,
};

enum wd_status
wc_key_generate(struct wc_companion *c, unsigned slot, unsigned curve)
{
    uint8_t priv[1 + BR_EC_KBUF_PRIV_MAX_SIZE];
    uint8_t pub[1 + BR_EC_KBUF_PUB_MAX_SIZE];
    struct rng_adapter rng;
    br_ec_private_key sk;
    br_ec_public_key pk;
    size_t priv_len, pub_len;
    enum wd_status status = WD_STATUS_INTERNAL;
    int id = bearssl_curve(curve);

    if (id == 0 || wc_key_private_record(slot) == 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    rng.vtable = &adapter_vtable;
    rng.rng = &c->rng;
    rng.failed = 0;

    priv_len = br_ec_keygen(&rng.vtable, br_ec_get_default(), &sk, priv + 1,
                            id);
    if (rng.failed) {
        status = WD_STATUS_RNG_FAILURE;
        goto out;
    }
    if (priv_len == 0) {
        goto out;
    }
    pub_len = br_ec_compute_pub(br_ec_get_default(), &pk, pub + 1, &sk);
    if (pub_len == 0) {
        goto out;
    }
    priv[0] = (uint8_t)curve;
    pub[0] = (uint8_t)curve;
    if (wc_store_set(&c->store, wc_key_private_record(slot),
                     WC_RECORD_SECRET, priv, 1 + priv_len) != WC_OK ||
        wc_store_set(&c->store, wc_key_public_record(slot), 0, pub,
                     1 + pub_len) != WC_OK) {
        status = WD_STATUS_FULL;
        goto out;
    }
    status = WD_STATUS_OK;
out:
    wc_wipe(priv, sizeof(priv));
    wc_wipe(&sk, sizeof(sk));
    return status;
}

enum wd_status
wc_key_public(const struct wc_companion *c, unsigned slot, unsigned *curve,
              const uint8_t **point, size_t *len)
{
    const uint8_t *rec;
    size_t rec_len;

    if (wc_key_public_record(slot) == 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (wc_store_get(&c->store, wc_key_public_record(slot), &rec,
                     &rec_len) != WC_OK ||
        rec_len < 2) {
        return WD_STATUS_NOT_FOUND;
    }
    *curve = rec[0];
    *point = rec + 1;
    *len = rec_len - 1;
    return WD_STATUS_OK;
}

/*
 * Signs digest (or, with digest NULL, the hash of msg) with the key of
 * slot, using the hash that goes with its curve.
 */
static enum wd_status
sign(const struct wc_companion *c, unsigned slot, const uint8_t *msg,
     size_t msg_len, const uint8_t *digest_in, size_t digest_len,
     uint8_t sig[WC_SIG_DER_MAX], size_t *sig_len)
{
    const br_hash_class *hash;
    br_hash_compat_context hc;
    br_ec_private_key sk;
    uint8_t digest[64];
    const uint8_t *rec;
    size_t rec_len;
    enum wd_status status = WD_STATUS_INTERNAL;

    *sig_len = 0;
    if (wc_key_private_record(slot) == 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    /* Every use of the device key passes here: the boot gate is here. */
    if (slot == WD_KEY_DEVICE && !wc_boot_key_unlocked(c)) {
        return WD_STATUS_KEY_LOCKED;
    }
    if (wc_store_get(&c->store, wc_key_private_record(slot), &rec,
                     &rec_len) != WC_OK ||
        rec_len < 2) {
        return WD_STATUS_NOT_FOUND;
    }
    sk.curve = bearssl_curve(rec[0]);
    sk.x = (unsigned char *)(uintptr_t)(rec + 1);
    sk.xlen = rec_len - 1;
    hash = rec[0] == WD_CURVE_P384 ? &br_sha384_vtable : &br_sha256_vtable;
    if (sk.curve == 0) {
        goto out;
    }
    if (digest_in != NULL &&
        digest_len != ((hash->desc >> BR_HASHDESC_OUT_OFF) &
                       BR_HASHDESC_OUT_MASK)) {
        status = WD_STATUS_BAD_PAYLOAD;
        goto out;
    }
    WC_TEST_SECRET(slot == WD_KEY_DEVICE ? "device private key"
                                         : "attestation private key",
                   sk.x, sk.xlen);

    if (digest_in != NULL) {
        memcpy(digest, digest_in, digest_len);
    } else {
        hash->init(&hc.vtable);
        hash->update(&hc.vtable, msg, msg_len);
        hash->out(&hc.vtable, digest);
    }
    /* RFC 6979 deterministic nonces: no randomness to get wrong. */
    *sig_len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), hash, digest, &sk,
                                      sig);
    status = *sig_len == 0 ? WD_STATUS_INTERNAL : WD_STATUS_OK;
out:
    wc_wipe(&sk, sizeof(sk));
    wc_wipe(&hc, sizeof(hc));
    wc_wipe(digest, sizeof(digest));
    return status;
}

enum wd_status
wc_key_sign(const struct wc_companion *c, unsigned slot, const uint8_t *msg,
            size_t msg_len, uint8_t sig[WC_SIG_DER_MAX], size_t *sig_len)
{
    return sign(c, slot, msg, msg_len, NULL, 0, sig, sig_len);
}

enum wd_status
wc_key_sign_digest(const struct wc_companion *c, unsigned slot,
                   const uint8_t *digest, size_t digest_len,
                   uint8_t sig[WC_SIG_DER_MAX], size_t *sig_len)
{
    if (digest == NULL) {
        *sig_len = 0;
        return WD_STATUS_BAD_PAYLOAD;
    }
    return sign(c, slot, NULL, 0, digest, digest_len, sig, sig_len);
}
