/* HMAC-DRBG with SP 800-90B health tests on its entropy; see rng.h. */
#include "rng.h"

#include <string.h>

#include "wc_errors.h"
#include "wc_wipe.h"

/* Binds this DRBG to its purpose (SP 800-90A personalization string). */
static const char personalization[] = "warden companion DRBG v1";

static void
fail(struct wc_rng *r)
{
    r->failed = 1;
    wc_wipe(&r->drbg, sizeof(r->drbg));
}

/*
 * SP 800-90B 4.4.1: the same sample WC_RNG_RCT_CUTOFF times in a row
 * means the source is stuck.
 */
static int
rct_sample(struct wc_rng *r, uint8_t b)
{
    if (r->rct_count > 0 && b == r->rct_last) {
        r->rct_count++;
    } else {
        r->rct_last = b;
        r->rct_count = 1;
    }
    return r->rct_count >= WC_RNG_RCT_CUTOFF ? -1 : 0;
}

/*
 * SP 800-90B 4.4.2: in each window of WC_RNG_APT_WINDOW samples, the
 * first sample may not come back WC_RNG_APT_CUTOFF times or more.
 */
static int
apt_sample(struct wc_rng *r, uint8_t b)
{
    if (r->apt_seen == 0) {
        r->apt_ref = b;
        r->apt_matches = 1;
    } else if (b == r->apt_ref) {
        r->apt_matches++;
    }
    r->apt_seen++;
    if (r->apt_matches >= WC_RNG_APT_CUTOFF) {
        return -1;
    }
    if (r->apt_seen == WC_RNG_APT_WINDOW) {
        r->apt_seen = 0;
    }
    return 0;
}

/*
 * Reads len raw bytes and runs both tests on every byte. The tests keep
 * their state across calls: they are continuous over the source's whole
 * output, not per request.
 */
static int
read_entropy(struct wc_rng *r, uint8_t *out, size_t len)
{
    size_t i;

    if (r->plat->entropy(r->plat->ctx, out, len) != 0) {
        wc_wipe(out, len);
        return WC_ENTROPY;
    }
    for (i = 0; i < len; i++) {
        if (rct_sample(r, out[i]) != 0 || apt_sample(r, out[i]) != 0) {
            wc_wipe(out, len);
            return WC_RNG_HEALTH;
        }
    }
    return WC_OK;
}

/* SP 800-90B 4.3: test a run of samples before trusting the source. */
static int
startup_test(struct wc_rng *r)
{
    uint8_t buf[128];
    size_t done;
    int err = WC_OK;

    for (done = 0; done < WC_RNG_STARTUP_SAMPLES; done += sizeof(buf)) {
        err = read_entropy(r, buf, sizeof(buf));
        if (err != WC_OK) {
            break;
        }
    }
    wc_wipe(buf, sizeof(buf));
    return err;
}

int
wc_rng_init(struct wc_rng *r, const struct wc_platform *plat)
{
    /* SP 800-90A 10.1.2.3: entropy input || nonce || personalization. */
    uint8_t seed[WC_RNG_SEED_LEN + sizeof(personalization) - 1];
    int err;

    memset(r, 0, sizeof(*r));
    r->plat = plat;

    err = startup_test(r);
    if (err == WC_OK) {
        err = read_entropy(r, seed, WC_RNG_SEED_LEN);
    }
    if (err != WC_OK) {
        fail(r);
        goto out;
    }
    memcpy(seed + WC_RNG_SEED_LEN, personalization,
           sizeof(personalization) - 1);
    br_hmac_drbg_init(&r->drbg, &br_sha256_vtable, seed, sizeof(seed));
out:
    wc_wipe(seed, sizeof(seed));
    return err;
}

static int
reseed(struct wc_rng *r)
{
    uint8_t seed[WC_RNG_SEED_LEN];
    int err;

    err = read_entropy(r, seed, sizeof(seed));
    if (err == WC_OK) {
        br_hmac_drbg_update(&r->drbg, seed, sizeof(seed));
        r->calls_since_reseed = 0;
        r->reseeds++;
    }
    wc_wipe(seed, sizeof(seed));
    return err;
}

int
wc_rng_generate(struct wc_rng *r, void *out, size_t len)
{
    int err;

    if (len > WC_RNG_MAX_REQUEST) {
        return WC_ARGUMENT;
    }
    if (r->failed) {
        wc_wipe(out, len);
        return WC_RNG_HEALTH;
    }
    if (r->calls_since_reseed >= WC_RNG_RESEED_INTERVAL) {
        err = reseed(r);
        if (err != WC_OK) {
            /* Fail closed: a source that misbehaves once is not trusted. */
            fail(r);
            wc_wipe(out, len);
            return err;
        }
    }
    br_hmac_drbg_generate(&r->drbg, out, len);
    r->calls_since_reseed++;
    return WC_OK;
}

int
wc_rng_fill(void *rng, void *out, size_t len)
{
    return wc_rng_generate(rng, out, len) == WC_OK ? 0 : -1;
}

void
wc_rng_wipe(struct wc_rng *r)
{
    wc_wipe(r, sizeof(*r));
}
