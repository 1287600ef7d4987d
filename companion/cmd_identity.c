/*
 * Read-only identity commands: what the companion holds (INVENTORY), its
 * public keys, and its certificates as it reads them. None of them can
 * reach a private key record.
 */
#include <string.h>

#include <bearssl.h>

#include "commands.h"
#include "keys.h"
#include "records.h"
#include "x509.h"

static int
has(const struct wc_companion *c, uint16_t id)
{
    const uint8_t *v;
    size_t len;

    return wc_store_get(&c->store, id, &v, &len) == WC_OK;
}

static uint8_t
key_curve(const struct wc_companion *c, uint16_t public_record)
{
    const uint8_t *v;
    size_t len;

    if (wc_store_get(&c->store, public_record, &v, &len) != WC_OK ||
        len < 1) {
        return 0;
    }
    return v[0];
}

/* The curve of a stored SubjectPublicKeyInfo, as a WD_CURVE_* number. */
static uint8_t
spki_curve(const struct wc_companion *c, uint16_t id)
{
    struct wc_pubkey k;
    const uint8_t *v;
    size_t len;

    if (wc_store_get(&c->store, id, &v, &len) != WC_OK ||
        wc_x509_parse_spki(&k, v, len) != 0) {
        return 0;
    }
    return k.type == WC_KEY_EC_P384 ? WD_CURVE_P384 : WD_CURVE_P256;
}

void
wc_inventory(const struct wc_companion *c, uint8_t inv[WD_INV_LEN])
{
    unsigned i;

    memset(inv, 0, WD_INV_LEN);
    inv[WD_INV_DEVICE_KEY] = key_curve(c, WC_REC_DEVICE_PUB);
    inv[WD_INV_ATTEST_KEY] = key_curve(c, WC_REC_ATTEST_PUB);
    for (i = 0; i < WD_DEVICE_CHAIN_MAX; i++) {
        if (!has(c, WC_REC_DEVICE_CERT(i))) {
            break;
        }
        inv[WD_INV_DEVICE_CHAIN]++;
    }
    inv[WD_INV_ATTEST_CERT] = (uint8_t)has(c, WC_REC_ATTEST_CERT);
    for (i = 0; i < WD_ROOTS_MAX; i++) {
        if (has(c, WC_REC_ROOT(i))) {
            inv[WD_INV_ROOTS] |= (uint8_t)(1u << i);
        }
    }
    inv[WD_INV_ADMIN_KEY] = spki_curve(c, WC_REC_ADMIN_KEY);
    inv[WD_INV_FIRMWARE_KEY] = spki_curve(c, WC_REC_FIRMWARE_KEY);
    inv[WD_INV_SERIAL] = (uint8_t)has(c, WC_REC_SERIAL);
}

enum wd_status
wc_cmd_inventory(struct wc_companion *c, const uint8_t *req, size_t req_len,
                 uint8_t *resp, size_t *resp_len)
{
    (void)req;
    if (req_len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    wc_inventory(c, resp);
    *resp_len = WD_INV_LEN;
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_key_public(struct wc_companion *c, const uint8_t *req, size_t req_len,
                  uint8_t *resp, size_t *resp_len)
{
    const uint8_t *point;
    size_t len;
    unsigned curve;
    enum wd_status status;

    if (req_len != 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_key_public(c, req[0], &curve, &point, &len);
    if (status == WD_STATUS_OK) {
        resp[0] = (uint8_t)curve;
        memcpy(resp + 1, point, len);
        *resp_len = 1 + len;
    }
    return status;
}

uint16_t
wc_cert_record(unsigned kind, unsigned index)
{
    switch (kind) {
    case WD_CERT_DEVICE:
        return index < WD_DEVICE_CHAIN_MAX ? WC_REC_DEVICE_CERT(index) : 0;
    case WD_CERT_ATTESTATION:
        return index == 0 ? WC_REC_ATTEST_CERT : 0;
    case WD_CERT_ROOT:
        return index < WD_ROOTS_MAX ? WC_REC_ROOT(index) : 0;
    }
    return 0;
}

/* Finds the certificate a CERT_INFO or CERT_READ request names. */
static enum wd_status
lookup(const struct wc_companion *c, const uint8_t *req, size_t req_len,
       const uint8_t **der, size_t *len)
{
    uint16_t id;

    if (req_len != 2) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    id = wc_cert_record(req[0], req[1]);
    if (id == 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (wc_store_get(&c->store, id, der, len) != WC_OK) {
        return WD_STATUS_NOT_FOUND;
    }
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_cert_read(struct wc_companion *c, const uint8_t *req, size_t req_len,
                 uint8_t *resp, size_t *resp_len)
{
    const uint8_t *der;
    size_t len;
    enum wd_status status = lookup(c, req, req_len, &der, &len);

    if (status == WD_STATUS_OK) {
        memcpy(resp, der, len);
        *resp_len = len;
    }
    return status;
}

static void
put64(uint8_t *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (uint8_t)u;
        u >>= 8;
    }
}

enum wd_status
wc_cmd_cert_info(struct wc_companion *c, const uint8_t *req, size_t req_len,
                 uint8_t *resp, size_t *resp_len)
{
    br_sha256_context sha;
    struct wc_x509 cert;
    const uint8_t *der;
    size_t len, off;
    enum wd_status status = lookup(c, req, req_len, &der, &len);

    if (status != WD_STATUS_OK) {
        return status;
    }
    /* Installed certificates were parsed before they were stored. */
    if (wc_x509_parse(&cert, der, len) != 0) {
        return WD_STATUS_INTERNAL;
    }
    put64(resp + WD_CINFO_NOT_BEFORE, cert.not_before);
    put64(resp + WD_CINFO_NOT_AFTER, cert.not_after);
    br_sha256_init(&sha);
    br_sha256_update(&sha, der, len);
    br_sha256_out(&sha, resp + WD_CINFO_SHA256);
    resp[WD_CINFO_KEY] = (uint8_t)cert.key.type;
    wd_put16(resp + WD_CINFO_KEY_BITS, (uint16_t)cert.key.bits);
    resp[WD_CINFO_IS_CA] = (uint8_t)cert.is_ca;
    wd_put16(resp + WD_CINFO_SUBJECT_LEN, (uint16_t)cert.subject_len);
    off = WD_CINFO_FIXED_LEN;
    memcpy(resp + off, cert.subject, cert.subject_len);
    off += cert.subject_len;
    wd_put16(resp + off, (uint16_t)cert.issuer_len);
    off += 2;
    memcpy(resp + off, cert.issuer, cert.issuer_len);
    *resp_len = off + cert.issuer_len;
    return WD_STATUS_OK;
}
