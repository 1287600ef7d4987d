/* The RAM test platform; see memplat.h. */
#include "memplat.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <bearssl.h>

#include "wd_boot.h"

/*
 * SplitMix64: a fast generator whose bytes pass the companion's health
 * tests, so seeded runs behave like a good source and repeat exactly.
 * Not for anything but tests.
 */
static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z;

    *state += 0x9e3779b97f4a7c15ULL;
    z = *state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int
os_random(uint8_t *out, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = getrandom(out, len, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        out += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
good_bytes(struct wt_memplat *m, uint8_t *out, size_t len)
{
    uint64_t word = 0;
    size_t i;

    if (m->source == WT_ENTROPY_OS) {
        return os_random(out, len);
    }
    for (i = 0; i < len; i++) {
        if (i % 8 == 0) {
            word = splitmix64(&m->rng_state);
        }
        out[i] = (uint8_t)(word >> (8 * (i % 8)));
    }
    return 0;
}

static int
mem_entropy(void *ctx, void *out, size_t len)
{
    struct wt_memplat *m = ctx;
    uint8_t *p = out;
    size_t good = len;

    if (m->entropy_fault != WT_ENTROPY_GOOD) {
        good = 0;
        if (m->entropy_delivered < m->entropy_good) {
            good = m->entropy_good - m->entropy_delivered;
        }
        if (good > len) {
            good = len;
        }
    }
    if (good_bytes(m, p, good) != 0) {
        return -1;
    }
    m->entropy_delivered += good;
    if (good == len) {
        return 0;
    }
    if (m->entropy_fault == WT_ENTROPY_ERROR) {
        return -1;
    }
    /* Stuck: a source whose output stopped changing. */
    memset(p + good, 0x5a, len - good);
    m->entropy_delivered += len - good;
    return 0;
}

static int
mem_read(void *ctx, size_t offset, void *buf, size_t len)
{
    struct wt_memplat *m = ctx;

    if (m->power_lost || m->fail_reads) {
        return -1;
    }
    if (offset > sizeof(m->storage) || len > sizeof(m->storage) - offset) {
        return -1;
    }
    memcpy(buf, m->storage + offset, len);
    return 0;
}

static int
mem_write(void *ctx, size_t offset, const void *buf, size_t len)
{
    struct wt_memplat *m = ctx;
    size_t n = len;

    if (m->power_lost) {
        return -1;
    }
    if (offset > sizeof(m->storage) || len > sizeof(m->storage) - offset) {
        return -1;
    }
    /* The write that crosses the budget is cut where the power went. */
    if (m->write_budget != WT_BUDGET_NONE && n > m->write_budget) {
        n = m->write_budget;
    }
    memcpy(m->storage + offset, buf, n);
    m->writes++;
    m->bytes_written += n;
    if (m->write_budget != WT_BUDGET_NONE) {
        m->write_budget -= n;
    }
    if (n < len) {
        m->power_lost = 1;
        return -1;
    }
    return 0;
}

static int
mem_sync(void *ctx)
{
    struct wt_memplat *m = ctx;

    if (m->power_lost || m->fail_syncs) {
        return -1;
    }
    m->syncs++;
    return 0;
}

static int
mem_device_key(void *ctx, uint8_t key[WC_DEVICE_KEY_LEN])
{
    struct wt_memplat *m = ctx;

    if (m->fail_device_key) {
        return -1;
    }
    memcpy(key, m->device_key, WC_DEVICE_KEY_LEN);
    return 0;
}

static void
config_hash(const char *config, size_t len, uint8_t out[32])
{
    br_sha256_context h;

    br_sha256_init(&h);
    br_sha256_update(&h, config, len);
    br_sha256_out(&h, out);
}

static int
mem_measure_host(void *ctx, const void *peer, const char *config,
                 size_t config_len, uint8_t image_hash[32],
                 uint8_t cfg_hash[32])
{
    struct wt_memplat *m = ctx;

    (void)peer;
    if (m->fail_measure) {
        return -1;
    }
    memcpy(image_hash, m->host_image_hash, 32);
    config_hash(config, config_len, cfg_hash);
    return 0;
}

void
wt_memplat_measurement(const struct wt_memplat *m, const char *config,
                       uint8_t out[32])
{
    uint8_t cfg[32];

    config_hash(config ? config : "", config ? strlen(config) : 0, cfg);
    wd_boot_measurement(m->host_image_hash, cfg, out);
}

void
wt_memplat_init(struct wt_memplat *m, uint64_t seed)
{
    size_t i;

    memset(m, 0, sizeof(*m));
    m->plat.ctx = m;
    m->plat.storage_size = sizeof(m->storage);
    m->plat.storage_read = mem_read;
    m->plat.storage_write = mem_write;
    m->plat.storage_sync = mem_sync;
    m->plat.entropy = mem_entropy;
    m->plat.device_key = mem_device_key;
    m->plat.measure_host = mem_measure_host;

    wt_memplat_erase(m);
    for (i = 0; i < WC_DEVICE_KEY_LEN; i++) {
        m->device_key[i] = (uint8_t)i;
    }
    m->source = WT_ENTROPY_SEEDED;
    m->rng_state = seed;
    m->entropy_fault = WT_ENTROPY_GOOD;
    m->write_budget = WT_BUDGET_NONE;
}

void
wt_memplat_erase(struct wt_memplat *m)
{
    memset(m->storage, 0xff, sizeof(m->storage));
}

void
wt_memplat_set_write_budget(struct wt_memplat *m, size_t budget)
{
    m->write_budget = budget;
}

void
wt_memplat_power_on(struct wt_memplat *m)
{
    m->power_lost = 0;
    m->fail_reads = 0;
    m->fail_syncs = 0;
    m->write_budget = WT_BUDGET_NONE;
}

void
wt_memplat_set_entropy_fault(struct wt_memplat *m, enum wt_entropy_fault fault,
                             size_t good)
{
    m->entropy_fault = fault;
    m->entropy_good = good;
    m->entropy_delivered = 0;
}
