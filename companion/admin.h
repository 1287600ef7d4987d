/*
 * Admin-signed updates (design §5): what the companion checks before it
 * lets an update change anything, and the settings such updates keep
 * that the TLS client obeys (the time floor and the stored policy).
 *
 * An update is accepted only if it is signed by the admin key in
 * storage, names this device's serial, and carries a counter above the
 * last one accepted. The counter is stored in the same commit as the
 * change it came with, so after a power cut either both happened or
 * neither did. The encoding is in wd_admin.h.
 *
 * Known shortcoming: the counter lives in the record store, so putting
 * back a whole older copy of storage also puts back an older counter
 * (store.h says why the emulator cannot stop that; a chip keeps the
 * counter in a monotonic fuse or RPMB counter).
 */
#ifndef WC_ADMIN_H
#define WC_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"
#include "wd_admin.h"

/*
 * The companion has no clock. It never validates below the time floor:
 * this build's date, or a later one an admin-signed update stored.
 */
#define WC_BUILD_TIME_FLOOR 1764547200 /* 2025-12-01T00:00:00Z */

/* Latest time floor an update may set: 9999-12-31T23:59:59Z. */
#define WC_TIME_FLOOR_MAX 253402300799LL

/* An update, parsed; pointers into the request. */
struct wc_admin_update {
    unsigned alg;
    unsigned op;
    const uint8_t *serial;
    size_t serial_len;
    uint64_t counter;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *signed_part; /* the bytes the signature covers */
    size_t signed_len;          /* (after WD_ADMIN_CONTEXT) */
    const uint8_t *sig;
    size_t sig_len;
};

/* Reads an update's layout, strictly. Returns 0, or -1 if malformed. */
int wc_admin_parse(struct wc_admin_update *u, const uint8_t *buf, size_t len);

/*
 * Decides whether a parsed update may be applied: NOT_FOUND without an
 * admin key, BAD_SIGNATURE unless the admin key signed it, WRONG_DEVICE
 * for another serial, REPLAYED for the last accepted counter, STALE for
 * an older one; else OK. Changes nothing.
 */
enum wd_status wc_admin_authorise(const struct wc_companion *c,
                                  const struct wc_admin_update *u);

/* The last accepted update counter; 0 before the first. */
uint64_t wc_admin_counter(const struct wc_companion *c);

/* The time floor in effect: the later of the build's and the stored. */
int64_t wc_time_floor(const struct wc_companion *c);

/*
 * Checks a POLICY_SET payload: each list 1..WD_ADMIN_POLICY_MAX entries,
 * no repeats, only suites and groups this firmware knows. Returns 0 or
 * -1.
 */
int wc_policy_check(const uint8_t *p, size_t len);

/*
 * Drops from the host's lists (already within the built-in policy) what
 * the stored policy does not enable, keeping their order. The stored
 * policy can only take away: the result is never wider than the lists
 * given. Returns 0, or -1 if a list ends up empty.
 */
int wc_policy_apply(const struct wc_companion *c, uint16_t *suites,
                    unsigned *n_suites, uint16_t *groups, unsigned *n_groups);

#endif
