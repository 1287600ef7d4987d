/*
 * Admin-signed updates in the operational state (design §5): root
 * certificates, policy, the device key and its certificates, the time
 * floor, and decommissioning change only through ADMIN_UPDATE, and only
 * for an update admin.c accepts.
 *
 * Every operation stages its changes together with the new counter and
 * makes them durable in one commit. A refusal at any point reverts to
 * what storage holds, which nothing has written to: storage stays byte
 * for byte as it was.
 */
#include <string.h>

#include <bearssl.h>

#include "admin.h"
#include "commands.h"
#include "csr.h"
#include "keys.h"
#include "records.h"
#include "x509.h"

enum wd_status
wc_cmd_admin_status(struct wc_companion *c, const uint8_t *req, size_t req_len,
                    uint8_t *resp, size_t *resp_len)
{
    uint8_t inv[WD_INV_LEN];
    const uint8_t *policy;
    size_t policy_len = 0;

    (void)req;
    if (req_len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    wc_inventory(c, inv);
    wd_put64(resp + WD_ASTAT_COUNTER, wc_admin_counter(c));
    wd_put64(resp + WD_ASTAT_TIME_FLOOR, (uint64_t)wc_time_floor(c));
    resp[WD_ASTAT_ADMIN_KEY] = inv[WD_INV_ADMIN_KEY];
    if (wc_store_get(&c->store, WC_REC_POLICY, &policy, &policy_len) == WC_OK) {
        memcpy(resp + WD_ASTAT_POLICY, policy, policy_len);
    } else {
        policy_len = 0;
    }
    *resp_len = WD_ASTAT_FIXED_LEN + policy_len;
    return WD_STATUS_OK;
}

/* The root slot holding the certificate whose DER hashes to digest. */
static unsigned
find_root(const struct wc_companion *c, const uint8_t digest[32])
{
    br_sha256_context h;
    const uint8_t *der;
    uint8_t got[32];
    size_t len;
    unsigned i;

    for (i = 0; i < WD_ROOTS_MAX; i++) {
        if (wc_store_get(&c->store, WC_REC_ROOT(i), &der, &len) != WC_OK) {
            continue;
        }
        br_sha256_init(&h);
        br_sha256_update(&h, der, len);
        br_sha256_out(&h, got);
        if (memcmp(got, digest, 32) == 0) {
            return i;
        }
    }
    return WD_ROOTS_MAX;
}

static enum wd_status
root_remove(struct wc_companion *c, const uint8_t *p, size_t len)
{
    unsigned slot;

    if (len != 32) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    slot = find_root(c, p);
    if (slot == WD_ROOTS_MAX) {
        return WD_STATUS_NOT_FOUND;
    }
    return wc_store_delete(&c->store, WC_REC_ROOT(slot)) == WC_OK
               ? WD_STATUS_OK
               : WD_STATUS_INTERNAL;
}

/* The new root takes the old one's slot, in the same commit. */
static enum wd_status
root_replace(struct wc_companion *c, const uint8_t *p, size_t len,
             uint8_t *resp, size_t *resp_len)
{
    struct wc_x509 cert;
    unsigned slot;

    if (len < 32 + 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (len - 32 > WD_CERT_MAX) {
        return WD_STATUS_RECORD_TOO_LARGE;
    }
    /* The same test ROOT_ADD makes of a root. */
    if (wc_x509_parse(&cert, p + 32, len - 32) != 0 || !cert.is_ca ||
        cert.key.type == WC_KEY_NONE || !wc_x509_key_valid(&cert.key)) {
        return WD_STATUS_BAD_CERTIFICATE;
    }
    slot = find_root(c, p);
    if (slot == WD_ROOTS_MAX) {
        return WD_STATUS_NOT_FOUND;
    }
    if (wc_store_set(&c->store, WC_REC_ROOT(slot), 0, p + 32, len - 32) !=
        WC_OK) {
        return WD_STATUS_FULL;
    }
    resp[0] = (uint8_t)slot;
    *resp_len = 1;
    return WD_STATUS_OK;
}

static enum wd_status
policy_set(struct wc_companion *c, const uint8_t *p, size_t len)
{
    if (wc_policy_check(p, len) != 0) {
        return WD_STATUS_POLICY;
    }
    return wc_store_set(&c->store, WC_REC_POLICY, 0, p, len) == WC_OK
               ? WD_STATUS_OK
               : WD_STATUS_FULL;
}

/*
 * A new device key, and the request for its certificate, which the
 * administrator's CA signs and a later CERT_INSTALL update brings back.
 * The old key's certificates go: they no longer match.
 *
 * Known shortcoming: the CSR travels only in this response. If the host
 * loses it, the way back is another KEY_ROTATE update (CSR_CREATE is for
 * manufacturing); keeping a copy would cost a record per device.
 */
static enum wd_status
key_rotate(struct wc_companion *c, const uint8_t *p, size_t len, uint8_t *resp,
           size_t *resp_len)
{
    enum wd_status status;
    unsigned i;

    if (len < 2 || (p[0] != WD_CURVE_P256 && p[0] != WD_CURVE_P384) ||
        wc_x509_name_check(p + 1, len - 1) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_key_generate(c, WD_KEY_DEVICE, p[0]);
    if (status != WD_STATUS_OK) {
        return status;
    }
    for (i = 0; i < WD_DEVICE_CHAIN_MAX; i++) {
        (void)wc_store_delete(&c->store, WC_REC_DEVICE_CERT(i));
    }
    /* Signed with the staged key: nothing is durable before it worked. */
    return wc_csr_create(c, WD_KEY_DEVICE, p + 1, len - 1, resp, WD_MAX_MESSAGE,
                         resp_len);
}

static enum wd_status
time_floor(struct wc_companion *c, const uint8_t *p, size_t len)
{
    uint8_t v[8];
    uint64_t t = 0;
    unsigned i;

    if (len != 8) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    for (i = 0; i < 8; i++) {
        t = (t << 8) | p[i];
    }
    if (t > (uint64_t)WC_TIME_FLOOR_MAX) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if ((int64_t)t <= wc_time_floor(c)) {
        return WD_STATUS_TIME_BACKWARDS;
    }
    memcpy(v, p, 8);
    return wc_store_set(&c->store, WC_REC_TIME_FLOOR, 0, v, 8) == WC_OK
               ? WD_STATUS_OK
               : WD_STATUS_FULL;
}

/* Every key pair and the certificates that named them. */
static const uint16_t retired_records[] = {
    WC_REC_DEVICE_KEY,     WC_REC_DEVICE_PUB,     WC_REC_ATTEST_KEY,
    WC_REC_ATTEST_PUB,     WC_REC_DEVICE_CERT(0), WC_REC_DEVICE_CERT(1),
    WC_REC_DEVICE_CERT(2), WC_REC_DEVICE_CERT(3), WC_REC_ATTEST_CERT,
};

static enum wd_status
decommission(struct wc_companion *c, size_t len)
{
    const uint8_t retired = WD_LIFECYCLE_DECOMMISSIONED;
    unsigned i;

    if (len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    for (i = 0; i < sizeof(retired_records) / sizeof(retired_records[0]); i++) {
        (void)wc_store_delete(&c->store, retired_records[i]);
    }
    return wc_store_set(&c->store, WC_REC_LIFECYCLE, 0, &retired, 1) == WC_OK
               ? WD_STATUS_OK
               : WD_STATUS_FULL;
}

/*
 * ROOT_ADD and CERT_INSTALL reuse the provisioning handlers, whose
 * payloads they are: the counter is staged before, so the handler's own
 * commit carries both. A handler that had nothing to change (a root
 * already there) did not commit; the caller then does.
 */
static enum wd_status
stage_op(struct wc_companion *c, const struct wc_admin_update *u, uint8_t *resp,
         size_t *resp_len)
{
    const uint8_t *p = u->payload;
    size_t len = u->payload_len;

    switch (u->op) {
    case WD_ADMIN_OP_ROOT_ADD:
        return wc_cmd_root_add(c, p, len, resp, resp_len);
    case WD_ADMIN_OP_ROOT_REMOVE:
        return root_remove(c, p, len);
    case WD_ADMIN_OP_ROOT_REPLACE:
        return root_replace(c, p, len, resp, resp_len);
    case WD_ADMIN_OP_POLICY_SET:
        return policy_set(c, p, len);
    case WD_ADMIN_OP_KEY_ROTATE:
        return key_rotate(c, p, len, resp, resp_len);
    case WD_ADMIN_OP_CERT_INSTALL:
        /* The device chain only: the attestation key never changes. */
        if (len < 1 || p[0] != WD_CERT_DEVICE) {
            return WD_STATUS_BAD_PAYLOAD;
        }
        return wc_cmd_cert_install(c, p, len, resp, resp_len);
    case WD_ADMIN_OP_TIME_FLOOR:
        return time_floor(c, p, len);
    case WD_ADMIN_OP_DECOMMISSION:
        return decommission(c, len);
    }
    return WD_STATUS_BAD_PAYLOAD;
}

enum wd_status
wc_cmd_admin_update(struct wc_companion *c, const uint8_t *req, size_t req_len,
                    uint8_t *resp, size_t *resp_len)
{
    struct wc_admin_update u;
    uint8_t counter[8];
    uint64_t generation = c->store.generation;
    enum wd_status status;
    int err;

    *resp_len = 0;
    if (wc_admin_parse(&u, req, req_len) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_admin_authorise(c, &u);
    if (status != WD_STATUS_OK) {
        return status;
    }

    wd_put64(counter, u.counter);
    if (wc_store_set(&c->store, WC_REC_ADMIN_COUNTER, 0, counter, 8) != WC_OK) {
        wc_store_revert(&c->store);
        return WD_STATUS_FULL;
    }
    status = stage_op(c, &u, resp, resp_len);
    if (status != WD_STATUS_OK) {
        /* Drops the counter with whatever the operation staged. */
        wc_store_revert(&c->store);
        *resp_len = 0;
        return status;
    }
    if (c->store.generation == generation) {
        err = wc_store_commit(&c->store, wc_rng_fill, &c->rng);
        if (err != WC_OK) {
            *resp_len = 0;
            return err == WC_ENTROPY ? WD_STATUS_RNG_FAILURE
                                     : WD_STATUS_STORAGE_FAILURE;
        }
    }
    /*
     * The older image in the other slot still holds the keys (encrypted);
     * a retired device keeps no copy. Failing here changes nothing that
     * was decided: the device is already decommissioned.
     */
    if (u.op == WD_ADMIN_OP_DECOMMISSION &&
        wc_store_scrub(&c->store) != WC_OK) {
        return WD_STATUS_STORAGE_FAILURE;
    }
    return WD_STATUS_OK;
}
