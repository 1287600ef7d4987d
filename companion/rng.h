/*
 * The companion's random generator: HMAC-DRBG (SP 800-90A, BearSSL) over
 * SHA-256, seeded and reseeded from the platform's entropy source.
 *
 * Every raw entropy byte passes the SP 800-90B continuous health tests
 * (repetition count and adaptive proportion) before it is used, after a
 * start-up test over WC_RNG_STARTUP_SAMPLES bytes. A failure is final:
 * the generator refuses every request until the companion restarts.
 */
#ifndef WC_RNG_H
#define WC_RNG_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "wc_platform.h"

/* Reseed after this many generate calls. */
#define WC_RNG_RESEED_INTERVAL 1024
/* Most bytes one generate call returns. */
#define WC_RNG_MAX_REQUEST 4096
/*
 * Entropy bytes per seed or reseed: at 4 bits per byte, 384 bits, the
 * 256-bit strength plus a 128-bit nonce (SP 800-90A 8.6.7).
 */
#define WC_RNG_SEED_LEN 96
#define WC_RNG_STARTUP_SAMPLES 1024

/*
 * Health test cut-offs for an assumed min-entropy of 4 bits per byte and
 * a false alarm rate of 2^-20 (SP 800-90B 4.4.1 and 4.4.2).
 */
#define WC_RNG_RCT_CUTOFF 6
#define WC_RNG_APT_WINDOW 512
#define WC_RNG_APT_CUTOFF 62

struct wc_rng {
    const struct wc_platform *plat;
    br_hmac_drbg_context drbg;
    int failed;
    uint32_t calls_since_reseed;
    uint32_t reseeds;
    /* repetition count test */
    uint8_t rct_last;
    unsigned rct_count;
    /* adaptive proportion test */
    uint8_t apt_ref;
    unsigned apt_seen;
    unsigned apt_matches;
};

/*
 * Runs the start-up health test and seeds the DRBG. Returns WC_OK,
 * WC_ENTROPY or WC_RNG_HEALTH (the generator is then failed).
 */
int wc_rng_init(struct wc_rng *r, const struct wc_platform *plat);

/*
 * Fills out with len (at most WC_RNG_MAX_REQUEST) random bytes, reseeding
 * first when the schedule says so. Returns WC_OK, WC_ARGUMENT,
 * WC_ENTROPY or WC_RNG_HEALTH. On failure out is zeroed.
 */
int wc_rng_generate(struct wc_rng *r, void *out, size_t len);

/* Adapter for callbacks that take (ctx, out, len). */
int wc_rng_fill(void *rng, void *out, size_t len);

void wc_rng_wipe(struct wc_rng *r);

#endif
