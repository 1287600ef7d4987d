/*
 * A companion platform in RAM for tests: storage is a byte array that
 * starts erased (0xff), entropy comes from a seeded generator (the same
 * seed gives the same companion) or from the OS, and the device key is
 * fixed. Faults can be switched on to test what the companion does when
 * its board lets it down:
 *
 *  - entropy: an error, or a stuck source, after a number of good bytes;
 *  - storage: a write budget that cuts the power after N more bytes, as
 *    a power loss in the middle of a write would; failing reads or
 *    syncs; an unreadable device key.
 *
 * The struct is about 65 KB: make it static, never a local.
 */
#ifndef WT_MEMPLAT_H
#define WT_MEMPLAT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "wc_platform.h"

enum wt_entropy_source {
    WT_ENTROPY_SEEDED, /* deterministic, from the seed */
    WT_ENTROPY_OS,     /* getrandom() */
};

enum wt_entropy_fault {
    WT_ENTROPY_GOOD,
    WT_ENTROPY_ERROR, /* the callback returns -1 */
    WT_ENTROPY_STUCK, /* every byte the same: the health tests must trip */
};

/* No budget: writes always succeed. */
#define WT_BUDGET_NONE ((size_t)-1)

struct wt_memplat {
    /* Hand &plat to wc_companion_init(); its ctx points here. */
    struct wc_platform plat;

    /* Storage, readable and writable by tests. */
    uint8_t storage[WC_STORE_SIZE];
    uint8_t device_key[WC_DEVICE_KEY_LEN];

    enum wt_entropy_source source;
    uint64_t rng_state;
    /* The fault starts once entropy_good more bytes were delivered. */
    enum wt_entropy_fault entropy_fault;
    size_t entropy_good;
    size_t entropy_delivered;

    /*
     * Bytes that may still be written before the power goes. The write
     * that crosses the budget stores only the bytes within it and fails;
     * from then on storage refuses everything until wt_memplat_power_on().
     */
    size_t write_budget;
    int power_lost;

    int fail_reads;
    int fail_syncs;
    int fail_device_key;

    /*
     * The host as measure_host sees it: its image hash, and the hash of
     * a configuration is that of its name's bytes (tests have no files).
     * fail_measure: the host cannot be measured.
     */
    uint8_t host_image_hash[32];
    int fail_measure;

    /* Counters, for tests that look at how storage was used. */
    size_t writes;
    size_t bytes_written;
    size_t syncs;
};

/*
 * Erased storage, seeded entropy from seed, the fixed test device key
 * (bytes 0x00, 0x01, ... 0x1f), and no faults.
 */
void wt_memplat_init(struct wt_memplat *m, uint64_t seed);

/* Sets all storage to 0xff, like a chip fresh from the fab. */
void wt_memplat_erase(struct wt_memplat *m);

/* Cuts the power after budget more written bytes. */
void wt_memplat_set_write_budget(struct wt_memplat *m, size_t budget);

/*
 * The power comes back: storage keeps what it holds, faults on storage
 * are cleared, the budget is lifted. The companion must be initialised
 * again, as after any power cycle.
 */
void wt_memplat_power_on(struct wt_memplat *m);

/*
 * The measurement the companion makes of a host with m's image hash and
 * configuration name config (NULL: none), as docs/secure-boot.md defines
 * it; tests sign it to unlock the device key.
 */
void wt_memplat_measurement(const struct wt_memplat *m, const char *config,
                            uint8_t out[32]);

/* Starts an entropy fault after good more bytes. */
void wt_memplat_set_entropy_fault(struct wt_memplat *m,
                                  enum wt_entropy_fault fault, size_t good);

#endif
