/*
 * The companion's record store (companion/store.c) on simulated flash
 * that can lose power after any number of written bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "memplat.h"
#include "store.h"
#include "wc_errors.h"

static struct wt_memplat mp;
static const struct wc_platform *const plat = &mp.plat;

/* Salts come from a counter: the store only needs them to differ. */
static int
salt(void *ctx, void *out, size_t len)
{
    static uint64_t counter;
    uint8_t *b = out;
    size_t i;

    (void)ctx;
    counter++;
    for (i = 0; i < len; i++) {
        b[i] = (uint8_t)(counter >> (8 * (i % 8)));
    }
    return 0;
}

static void
flash_reset(void)
{
    wt_memplat_init(&mp, 1);
}

static void
power_on(void)
{
    wt_memplat_power_on(&mp);
}

/* The store is large: keep instances off the stack. */
static struct wc_store s1, s2;

static int
has(const struct wc_store *s, uint16_t id, const char *value)
{
    const uint8_t *d;
    size_t len;

    if (wc_store_get(s, id, &d, &len) != WC_OK) {
        return value == NULL;
    }
    return value != NULL && len == strlen(value) &&
           memcmp(d, value, len) == 0;
}

static int
contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t len = strlen(needle), i;

    for (i = 0; i + len <= n; i++) {
        if (memcmp(hay + i, needle, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
set(struct wc_store *s, uint16_t id, uint8_t flags, const char *v)
{
    CHECK(wc_store_set(s, id, flags, v, strlen(v)) == WC_OK);
}

static void
test_fresh_and_reopen(void)
{
    int fresh = 0;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    CHECK(fresh == 1);
    CHECK(s1.count == 0);
    set(&s1, 1, 0, "public value");
    set(&s1, 2, WC_RECORD_SECRET, "secret value 0123456789");
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);

    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK);
    CHECK(fresh == 0);
    CHECK(has(&s2, 1, "public value"));
    CHECK(has(&s2, 2, "secret value 0123456789"));
    CHECK(has(&s2, 3, NULL));
    CHECK(wc_store_used(&s2) == 2 * WC_RECORD_OVERHEAD + 12 + 23);

    /* At rest the secret is ciphertext; the public record is not. */
    CHECK(contains(mp.storage, sizeof(mp.storage), "public value"));
    CHECK(!contains(mp.storage, sizeof(mp.storage), "secret value"));

    /* Changes without a commit are not durable. */
    set(&s2, 1, 0, "changed");
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    CHECK(has(&s1, 1, "public value"));
}

static void
test_replace_and_delete(void)
{
    int fresh;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    set(&s1, 1, 0, "one");
    set(&s1, 2, WC_RECORD_SECRET, "two");
    set(&s1, 3, 0, "three");
    set(&s1, 2, WC_RECORD_SECRET, "two, longer now");
    CHECK(wc_store_delete(&s1, 1) == WC_OK);
    CHECK(wc_store_delete(&s1, 1) == WC_NOT_FOUND);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK);
    CHECK(has(&s2, 1, NULL));
    CHECK(has(&s2, 2, "two, longer now"));
    CHECK(has(&s2, 3, "three"));
    CHECK(s2.count == 2);
    CHECK(wc_store_set(&s2, 9, 0x80, "x", 1) == WC_ARGUMENT);
}

static void
test_full(void)
{
    static uint8_t big[WC_STORE_BODY_MAX];
    int fresh;
    unsigned i;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    CHECK(wc_store_set(&s1, 1, 0, big, WC_STORE_BODY_MAX) ==
          WC_STORAGE_FULL);
    CHECK(wc_store_set(&s1, 1, 0, big,
                       WC_STORE_BODY_MAX - WC_RECORD_OVERHEAD) == WC_OK);
    CHECK(wc_store_set(&s1, 2, 0, big, 0) == WC_STORAGE_FULL);
    /* Replacing the record by one of the same size still fits. */
    CHECK(wc_store_set(&s1, 1, WC_RECORD_SECRET, big,
                       WC_STORE_BODY_MAX - WC_RECORD_OVERHEAD) == WC_OK);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK);
    CHECK(wc_store_used(&s2) == WC_STORE_BODY_MAX);

    CHECK(wc_store_delete(&s2, 1) == WC_OK);
    for (i = 0; i < WC_STORE_RECORDS_MAX; i++) {
        CHECK(wc_store_set(&s2, (uint16_t)(100 + i), 0, "r", 1) == WC_OK);
    }
    CHECK(wc_store_set(&s2, 999, 0, "r", 1) == WC_STORAGE_FULL);
}

/* The two states a record update moves between. */
static void
make_old(struct wc_store *s)
{
    set(s, 1, 0, "old public");
    set(s, 2, WC_RECORD_SECRET, "old secret key material");
    set(s, 3, 0, "to be deleted");
}

static void
make_new(struct wc_store *s)
{
    set(s, 1, 0, "new public, a little longer than before");
    set(s, 2, WC_RECORD_SECRET, "new secret key material!");
    CHECK(wc_store_delete(s, 3) == WC_OK);
    set(s, 4, 0, "added");
}

static int
is_old(const struct wc_store *s)
{
    return s->count == 3 && has(s, 1, "old public") &&
           has(s, 2, "old secret key material") && has(s, 3, "to be deleted");
}

static int
is_new(const struct wc_store *s)
{
    return s->count == 3 &&
           has(s, 1, "new public, a little longer than before") &&
           has(s, 2, "new secret key material!") && has(s, 3, NULL) &&
           has(s, 4, "added");
}

/*
 * Cuts the power after every possible number of written bytes of one
 * update, then powers up and checks the store holds the old or the new
 * state. prior_commits varies which slot the update lands in.
 */
static void
power_cut_every_byte(unsigned prior_commits)
{
    static uint8_t before[WC_STORE_SIZE];
    size_t total, k, olds = 0, news = 0;
    int fresh;
    unsigned i;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    for (i = 0; i < prior_commits; i++) {
        set(&s1, 7, 0, i % 2 ? "odd" : "even");
        CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    }
    CHECK(wc_store_delete(&s1, 7) == WC_OK || prior_commits == 0);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    memcpy(before, mp.storage, sizeof(before));

    /* Measure the whole update once. */
    mp.bytes_written = 0;
    make_new(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    total = mp.bytes_written;
    CHECK(total > 100);

    for (k = 0; k <= total; k++) {
        int err;

        memcpy(mp.storage, before, sizeof(before));
        power_on();
        CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
        CHECK(is_old(&s1));
        make_new(&s1);
        wt_memplat_set_write_budget(&mp, k);
        err = wc_store_commit(&s1, salt, NULL);
        CHECK((err == WC_OK) == (k == total));

        power_on();
        err = wc_store_open(&s2, plat, &fresh);
        if (err != WC_OK || fresh || !(is_old(&s2) || is_new(&s2))) {
            fprintf(stderr, "power cut after %zu of %zu bytes: err %d\n", k,
                    total, err);
            CHECK(!"store is neither old nor new");
            return;
        }
        if (is_old(&s2)) {
            olds++;
        } else {
            news++;
        }
    }
    /* Both outcomes happened: the cut points covered the switch-over. */
    CHECK(olds > 0 && news > 0);
    printf("power cut after %u commits: %zu cut points, %zu old, %zu new\n",
           prior_commits, total + 1, olds, news);
}

/* The very first commit of a blank device, cut at every byte. */
static void
power_cut_first_commit(void)
{
    size_t total, k;
    int fresh;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    total = mp.bytes_written;

    for (k = 0; k <= total; k++) {
        flash_reset();
        CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK && fresh);
        make_old(&s1);
        wt_memplat_set_write_budget(&mp, k);
        wc_store_commit(&s1, salt, NULL);
        power_on();
        if (wc_store_open(&s2, plat, &fresh) != WC_OK ||
            !((fresh && s2.count == 0) || (!fresh && is_old(&s2)))) {
            fprintf(stderr, "first commit cut after %zu bytes\n", k);
            CHECK(!"blank store is neither blank nor new");
            return;
        }
    }
}

static void
test_failed_commit_keeps_ram_true(void)
{
    int fresh;

    /* A sync that fails: RAM must say what storage now holds. */
    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    make_new(&s1);
    mp.fail_syncs = 1;
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_STORAGE_IO);
    CHECK(!s1.failed);
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK);
    CHECK((is_old(&s1) && is_old(&s2)) || (is_new(&s1) && is_new(&s2)));
    mp.fail_syncs = 0;

    /*
     * Power lost mid-commit: storage cannot be read back, so the store
     * refuses everything until the next power-up finds the old state.
     */
    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    make_new(&s1);
    wt_memplat_set_write_budget(&mp, 10);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_STORAGE_IO);
    CHECK(s1.failed);
    CHECK(wc_store_set(&s1, 1, 0, "x", 1) == WC_STORAGE_FAILED);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_STORAGE_FAILED);
    power_on();
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK && is_old(&s2));
}

static void
test_corruption_detected(void)
{
    int err;
    static uint8_t good[WC_STORE_SIZE];
    size_t image, off, base;
    int fresh;
    unsigned tried = 0, refused = 0;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    make_new(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    memcpy(good, mp.storage, sizeof(good));
    base = (size_t)s1.current * WC_STORE_SLOT_SIZE;
    image = WC_STORE_HEADER_LEN + wc_store_used(&s1) + WC_STORE_MAC_LEN;

    /*
     * Damage to any byte of the current image is refused: the old image
     * was spoiled, so there is nothing to fall back to silently.
     */
    for (off = 0; off < image; off++) {
        memcpy(mp.storage, good, sizeof(good));
        mp.storage[base + off] ^= 0x01;
        tried++;
        err = wc_store_open(&s2, plat, &fresh);
        /* A damaged key check value reads as another key's image. */
        if (err == WC_STORAGE_CORRUPT ||
            (err == WC_STORAGE_WRONG_KEY && off >= 32 && off < 40)) {
            refused++;
        }
    }
    CHECK(refused == tried);

    /* Bytes past the image, and the other slot, do not matter. */
    memcpy(mp.storage, good, sizeof(good));
    mp.storage[base + image + 10] ^= 0xff;
    mp.storage[(base + WC_STORE_SLOT_SIZE) % WC_STORE_SIZE + 100] ^= 0xff;
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK && is_new(&s2));

    /* All zeros (a wiped file) is not blank storage: refused. */
    memset(mp.storage, 0, sizeof(mp.storage));
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_STORAGE_CORRUPT);
    CHECK(s2.failed);
    CHECK(wc_store_set(&s2, 1, 0, "x", 1) == WC_STORAGE_FAILED);
}

static void
test_other_device_key_refused(void)
{
    int fresh;

    flash_reset();
    CHECK(wc_store_open(&s1, plat, &fresh) == WC_OK);
    make_old(&s1);
    CHECK(wc_store_commit(&s1, salt, NULL) == WC_OK);
    mp.device_key[0] ^= 1;
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_STORAGE_WRONG_KEY);
    mp.device_key[0] ^= 1;
    CHECK(wc_store_open(&s2, plat, &fresh) == WC_OK && is_old(&s2));
}

static void
test_small_storage_refused(void)
{
    struct wc_platform small = mp.plat;
    int fresh;

    flash_reset();
    small.storage_size = WC_STORE_SIZE - 1;
    CHECK(wc_store_open(&s1, &small, &fresh) == WC_STORAGE_IO);
}

int
main(void)
{
    test_fresh_and_reopen();
    test_replace_and_delete();
    test_full();
    power_cut_every_byte(0);
    power_cut_every_byte(1);
    power_cut_every_byte(4);
    power_cut_first_commit();
    test_failed_commit_keeps_ram_true();
    test_corruption_detected();
    test_other_device_key_refused();
    test_small_storage_refused();
    return wt_finish("test_store");
}
