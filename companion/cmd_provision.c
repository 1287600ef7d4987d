/*
 * Factory provisioning, allowed only in the manufacturing state (the
 * dispatcher's table says so): key pairs, the request for the device
 * certificate, certificates, roots, authorising keys, the serial number,
 * and the lock that ends it all.
 *
 * Every handler checks its whole request before it changes a record, and
 * makes all its changes durable in one commit; a refusal leaves storage
 * as it was.
 */
#include <string.h>

#include "commands.h"
#include "csr.h"
#include "keys.h"
#include "records.h"
#include "x509.h"

/* Makes the staged changes durable, or drops them all. */
static enum wd_status
commit(struct wc_companion *c)
{
    int err = wc_store_commit(&c->store, wc_rng_fill, &c->rng);

    if (err == WC_OK) {
        return WD_STATUS_OK;
    }
    return err == WC_ENTROPY ? WD_STATUS_RNG_FAILURE
                             : WD_STATUS_STORAGE_FAILURE;
}

/* A refusal after records were staged: storage still has the old state. */
static enum wd_status
revert(struct wc_companion *c, enum wd_status status)
{
    wc_store_revert(&c->store);
    return status;
}

static void
delete_quietly(struct wc_companion *c, uint16_t id)
{
    /* Absent records are fine: the goal is that they are gone. */
    (void)wc_store_delete(&c->store, id);
}

enum wd_status
wc_cmd_key_generate(struct wc_companion *c, const uint8_t *req,
                    size_t req_len, uint8_t *resp, size_t *resp_len)
{
    const uint8_t *point;
    size_t len;
    unsigned curve, i;
    enum wd_status status;

    if (req_len != 2 || wc_key_private_record(req[0]) == 0 ||
        (req[1] != WD_CURVE_P256 && req[1] != WD_CURVE_P384)) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_key_generate(c, req[0], req[1]);
    if (status != WD_STATUS_OK) {
        return revert(c, status);
    }
    /* Certificates for the old key would no longer match it. */
    if (req[0] == WD_KEY_DEVICE) {
        for (i = 0; i < WD_DEVICE_CHAIN_MAX; i++) {
            delete_quietly(c, WC_REC_DEVICE_CERT(i));
        }
    } else {
        delete_quietly(c, WC_REC_ATTEST_CERT);
    }
    status = commit(c);
    if (status != WD_STATUS_OK) {
        return status;
    }
    wc_key_public(c, req[0], &curve, &point, &len);
    resp[0] = (uint8_t)curve;
    memcpy(resp + 1, point, len);
    *resp_len = 1 + len;
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_csr_create(struct wc_companion *c, const uint8_t *req, size_t req_len,
                  uint8_t *resp, size_t *resp_len)
{
    if (req_len < 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    return wc_csr_create(c, req[0], req + 1, req_len - 1, resp,
                         WD_MAX_MESSAGE, resp_len);
}

/* Does this certificate carry exactly the key pair in slot? */
static int
certifies_key(const struct wc_companion *c, unsigned slot,
              const struct wc_x509 *cert)
{
    const uint8_t *point;
    size_t len;
    unsigned curve;
    enum wc_key_type want;

    if (wc_key_public(c, slot, &curve, &point, &len) != WD_STATUS_OK) {
        return 0;
    }
    want = curve == WD_CURVE_P384 ? WC_KEY_EC_P384 : WC_KEY_EC_P256;
    return cert->key.type == want && cert->key.point_len == len &&
           memcmp(cert->key.point, point, len) == 0;
}

/* Parses a stored certificate (stored ones were checked on the way in). */
static int
stored_cert(const struct wc_companion *c, uint16_t id, struct wc_x509 *cert)
{
    const uint8_t *der;
    size_t len;

    return wc_store_get(&c->store, id, &der, &len) == WC_OK &&
           wc_x509_parse(cert, der, len) == 0;
}

static enum wd_status
check_leaf(const struct wc_companion *c, unsigned slot,
           const struct wc_x509 *cert)
{
    const uint8_t *point;
    size_t len;
    unsigned curve;

    if (wc_key_public(c, slot, &curve, &point, &len) != WD_STATUS_OK) {
        return WD_STATUS_NOT_FOUND;
    }
    if (!certifies_key(c, slot, cert)) {
        return WD_STATUS_KEY_MISMATCH;
    }
    /* An end-entity certificate: a CA certificate here is a mix-up. */
    if (cert->is_ca) {
        return WD_STATUS_BAD_CERTIFICATE;
    }
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_cert_install(struct wc_companion *c, const uint8_t *req,
                    size_t req_len, uint8_t *resp, size_t *resp_len)
{
    struct wc_x509 cert, below;
    unsigned kind, index, i;
    uint16_t id;
    enum wd_status status;

    (void)resp;
    *resp_len = 0;
    if (req_len < 3) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    kind = req[0];
    index = req[1];
    id = wc_cert_record(kind, index);
    if (id == 0 || kind == WD_CERT_ROOT) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (req_len - 2 > WD_CERT_MAX) {
        return WD_STATUS_RECORD_TOO_LARGE;
    }
    if (wc_x509_parse(&cert, req + 2, req_len - 2) != 0) {
        return WD_STATUS_BAD_CERTIFICATE;
    }

    if (index == 0) {
        status = check_leaf(c,
                            kind == WD_CERT_DEVICE ? WD_KEY_DEVICE
                                                   : WD_KEY_ATTESTATION,
                            &cert);
    } else if (!stored_cert(c, wc_cert_record(kind, index - 1), &below)) {
        status = WD_STATUS_NOT_FOUND;
    } else if (below.issuer_len != cert.subject_len ||
               memcmp(below.issuer, cert.subject, cert.subject_len) != 0) {
        status = WD_STATUS_NOT_ISSUER;
    } else {
        status = WD_STATUS_OK;
    }
    if (status != WD_STATUS_OK) {
        return status;
    }

    if (wc_store_set(&c->store, id, 0, req + 2, req_len - 2) != WC_OK) {
        return revert(c, WD_STATUS_FULL);
    }
    /* A new element makes the ones above it meaningless. */
    if (kind == WD_CERT_DEVICE) {
        for (i = index + 1; i < WD_DEVICE_CHAIN_MAX; i++) {
            delete_quietly(c, WC_REC_DEVICE_CERT(i));
        }
    }
    return commit(c);
}

enum wd_status
wc_cmd_root_add(struct wc_companion *c, const uint8_t *req, size_t req_len,
                uint8_t *resp, size_t *resp_len)
{
    struct wc_x509 cert;
    const uint8_t *der;
    size_t len;
    unsigned i, free_slot = WD_ROOTS_MAX;
    enum wd_status status;

    if (req_len > WD_CERT_MAX) {
        return WD_STATUS_RECORD_TOO_LARGE;
    }
    if (wc_x509_parse(&cert, req, req_len) != 0 || !cert.is_ca ||
        cert.key.type == WC_KEY_NONE || !wc_x509_key_valid(&cert.key)) {
        return WD_STATUS_BAD_CERTIFICATE;
    }
    for (i = 0; i < WD_ROOTS_MAX; i++) {
        if (wc_store_get(&c->store, WC_REC_ROOT(i), &der, &len) != WC_OK) {
            if (free_slot == WD_ROOTS_MAX) {
                free_slot = i;
            }
        } else if (len == req_len && memcmp(der, req, len) == 0) {
            /* Already trusted: say where, change nothing. */
            resp[0] = (uint8_t)i;
            *resp_len = 1;
            return WD_STATUS_OK;
        }
    }
    if (free_slot == WD_ROOTS_MAX) {
        return WD_STATUS_FULL;
    }
    if (wc_store_set(&c->store, WC_REC_ROOT(free_slot), 0, req, req_len) !=
        WC_OK) {
        return revert(c, WD_STATUS_FULL);
    }
    status = commit(c);
    if (status == WD_STATUS_OK) {
        resp[0] = (uint8_t)free_slot;
        *resp_len = 1;
    }
    return status;
}

enum wd_status
wc_cmd_pubkey_install(struct wc_companion *c, const uint8_t *req,
                      size_t req_len, uint8_t *resp, size_t *resp_len)
{
    struct wc_pubkey key;
    uint16_t id;

    (void)resp;
    *resp_len = 0;
    if (req_len < 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    switch (req[0]) {
    case WD_PUBKEY_ADMIN:
        id = WC_REC_ADMIN_KEY;
        break;
    case WD_PUBKEY_FIRMWARE:
        id = WC_REC_FIRMWARE_KEY;
        break;
    default:
        return WD_STATUS_BAD_PAYLOAD;
    }
    /* They verify ECDSA signatures: P-256 and P-384 keys only. */
    if (wc_x509_parse_spki(&key, req + 1, req_len - 1) != 0 ||
        (key.type != WC_KEY_EC_P256 && key.type != WC_KEY_EC_P384)) {
        return WD_STATUS_BAD_KEY;
    }
    if (wc_store_set(&c->store, id, 0, req + 1, req_len - 1) != WC_OK) {
        return revert(c, WD_STATUS_FULL);
    }
    return commit(c);
}

enum wd_status
wc_cmd_serial_set(struct wc_companion *c, const uint8_t *req, size_t req_len,
                  uint8_t *resp, size_t *resp_len)
{
    size_t i;

    (void)resp;
    *resp_len = 0;
    if (req_len < 1 || req_len > WD_SERIAL_MAX) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    for (i = 0; i < req_len; i++) {
        if (req[i] < 0x21 || req[i] > 0x7e) {
            return WD_STATUS_BAD_PAYLOAD;
        }
    }
    if (wc_store_set(&c->store, WC_REC_SERIAL, 0, req, req_len) != WC_OK) {
        return revert(c, WD_STATUS_FULL);
    }
    return commit(c);
}

enum wd_status
wc_cmd_lock(struct wc_companion *c, const uint8_t *req, size_t req_len,
            uint8_t *resp, size_t *resp_len)
{
    const uint8_t operational = WD_LIFECYCLE_OPERATIONAL;
    uint8_t inv[WD_INV_LEN];

    (void)req;
    (void)resp;
    *resp_len = 0;
    if (req_len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    /* Locked is for good: everything a device in the field needs first. */
    wc_inventory(c, inv);
    if (!inv[WD_INV_DEVICE_KEY] || !inv[WD_INV_ATTEST_KEY] ||
        !inv[WD_INV_DEVICE_CHAIN] || !inv[WD_INV_ATTEST_CERT] ||
        !inv[WD_INV_ROOTS] || !inv[WD_INV_ADMIN_KEY] ||
        !inv[WD_INV_FIRMWARE_KEY] || !inv[WD_INV_SERIAL]) {
        return WD_STATUS_INCOMPLETE;
    }
    if (wc_store_set(&c->store, WC_REC_LIFECYCLE, 0, &operational, 1) !=
        WC_OK) {
        return revert(c, WD_STATUS_FULL);
    }
    return commit(c);
}
