/*
 * The companion's DRBG and its entropy health tests (companion/rng.c),
 * fed by a scripted entropy source.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "wc_errors.h"

enum mode { GOOD, STUCK, BIASED, UNAVAILABLE };

struct source {
    enum mode mode;
    uint64_t state;   /* xorshift, for a good-looking source */
    unsigned calls;
    size_t bytes;
};

static uint8_t
next_byte(struct source *s)
{
    s->state ^= s->state << 13;
    s->state ^= s->state >> 7;
    s->state ^= s->state << 17;
    return (uint8_t)(s->state >> 32);
}

static int
entropy(void *ctx, void *out, size_t len)
{
    struct source *s = ctx;
    uint8_t *b = out;
    size_t i;

    s->calls++;
    if (s->mode == UNAVAILABLE) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        switch (s->mode) {
        case STUCK:
            b[i] = 0x5a;
            break;
        case BIASED:
            /* Never six in a row, but 0x00 far too often. */
            b[i] = (i % 4 == 3) ? next_byte(s) | 1 : 0;
            break;
        default:
            b[i] = next_byte(s);
        }
    }
    s->bytes += len;
    return 0;
}

static struct wc_platform
platform(struct source *s)
{
    struct wc_platform p;

    memset(&p, 0, sizeof(p));
    p.ctx = s;
    p.entropy = entropy;
    return p;
}

static void
test_generates_distinct_output(void)
{
    struct source src = {GOOD, 0x1234567887654321ull, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;
    static uint8_t big[WC_RNG_MAX_REQUEST + 1];
    uint8_t a[64], b[64], zero[64];

    memset(zero, 0, sizeof(zero));
    CHECK(wc_rng_init(&r, &p) == WC_OK);
    CHECK(src.bytes >= WC_RNG_STARTUP_SAMPLES + WC_RNG_SEED_LEN);
    CHECK(wc_rng_generate(&r, a, sizeof(a)) == WC_OK);
    CHECK(wc_rng_generate(&r, b, sizeof(b)) == WC_OK);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK(memcmp(a, zero, sizeof(a)) != 0);
    CHECK(wc_rng_generate(&r, big, sizeof(big)) == WC_ARGUMENT);
    wc_rng_wipe(&r);
}

static void
test_same_seed_same_output(void)
{
    /* Deterministic given its entropy: the DRBG really uses the seed. */
    struct source s1 = {GOOD, 42, 0, 0}, s2 = {GOOD, 42, 0, 0};
    struct source s3 = {GOOD, 43, 0, 0};
    struct wc_platform p1 = platform(&s1), p2 = platform(&s2);
    struct wc_platform p3 = platform(&s3);
    struct wc_rng r1, r2, r3;
    uint8_t a[32], b[32], c[32];

    CHECK(wc_rng_init(&r1, &p1) == WC_OK);
    CHECK(wc_rng_init(&r2, &p2) == WC_OK);
    CHECK(wc_rng_init(&r3, &p3) == WC_OK);
    wc_rng_generate(&r1, a, sizeof(a));
    wc_rng_generate(&r2, b, sizeof(b));
    wc_rng_generate(&r3, c, sizeof(c));
    CHECK_MEM(a, b, sizeof(a));
    CHECK(memcmp(a, c, sizeof(a)) != 0);
}

static void
test_reseed_schedule(void)
{
    struct source src = {GOOD, 99, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;
    uint8_t buf[16];
    unsigned i, calls;

    CHECK(wc_rng_init(&r, &p) == WC_OK);
    calls = src.calls;
    for (i = 0; i < WC_RNG_RESEED_INTERVAL; i++) {
        CHECK(wc_rng_generate(&r, buf, sizeof(buf)) == WC_OK);
    }
    CHECK(src.calls == calls);
    CHECK(r.reseeds == 0);
    CHECK(wc_rng_generate(&r, buf, sizeof(buf)) == WC_OK);
    CHECK(src.calls == calls + 1);
    CHECK(r.reseeds == 1);
}

static void
test_stuck_source_fails_at_start(void)
{
    struct source src = {STUCK, 1, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;
    uint8_t buf[16];

    CHECK(wc_rng_init(&r, &p) == WC_RNG_HEALTH);
    memset(buf, 0xaa, sizeof(buf));
    CHECK(wc_rng_generate(&r, buf, sizeof(buf)) == WC_RNG_HEALTH);
    /* A refused request hands out nothing, not even stale bytes. */
    CHECK(buf[0] == 0 && buf[15] == 0);
}

static void
test_biased_source_fails_proportion_test(void)
{
    struct source src = {BIASED, 7, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;

    CHECK(wc_rng_init(&r, &p) == WC_RNG_HEALTH);
}

static void
test_source_failing_later_fails_closed(void)
{
    struct source src = {GOOD, 5, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;
    uint8_t buf[16];
    unsigned i;

    CHECK(wc_rng_init(&r, &p) == WC_OK);
    src.mode = STUCK;
    for (i = 0; i < WC_RNG_RESEED_INTERVAL; i++) {
        wc_rng_generate(&r, buf, sizeof(buf));
    }
    /* The reseed meets the stuck source... */
    CHECK(wc_rng_generate(&r, buf, sizeof(buf)) == WC_RNG_HEALTH);
    /* ...and the generator stays failed when the source looks fine. */
    src.mode = GOOD;
    CHECK(wc_rng_generate(&r, buf, sizeof(buf)) == WC_RNG_HEALTH);
    CHECK(r.failed);
}

static void
test_unavailable_source(void)
{
    struct source src = {UNAVAILABLE, 5, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;

    CHECK(wc_rng_init(&r, &p) == WC_ENTROPY);
    CHECK(r.failed);
}

static void
test_good_source_passes_long_run(void)
{
    /* A good source passes the start-up test and eleven reseeds. */
    struct source src = {GOOD, 0xdeadbeefcafef00dull, 0, 0};
    struct wc_platform p = platform(&src);
    struct wc_rng r;
    uint8_t buf[16];
    unsigned i;

    CHECK(wc_rng_init(&r, &p) == WC_OK);
    for (i = 0; i < 12 * WC_RNG_RESEED_INTERVAL; i++) {
        if (wc_rng_generate(&r, buf, sizeof(buf)) != WC_OK) {
            CHECK(!"good source raised an alarm");
            break;
        }
    }
    CHECK(r.reseeds == 11);
}

int
main(void)
{
    test_generates_distinct_output();
    test_same_seed_same_output();
    test_reseed_schedule();
    test_stuck_source_fails_at_start();
    test_biased_source_fails_proportion_test();
    test_source_failing_later_fails_closed();
    test_unavailable_source();
    test_good_source_passes_long_run();
    return wt_finish("test_rng");
}
