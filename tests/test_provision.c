/*
 * Provisioning in the companion (companion/cmd_provision.c,
 * cmd_identity.c, keys.c, csr.c) over raw frames: the factory flow, each
 * refusal leaving storage byte for byte as it was, the lock, and no
 * private key in any response in any lifecycle state.
 */
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "certgen.h"
#include "check.h"
#include "der.h"
#include "keys.h"
#include "memplat.h"
#include "rawbus.h"
#include "records.h"
#include "wc_companion.h"

static struct wt_memplat mp;
static struct wc_companion comp;
static struct wc_channel ch;
static uint8_t resp[WD_MAX_MESSAGE];
static size_t resp_len;
static uint8_t snapshot[WC_STORE_SIZE];

static void
power_up(uint64_t seed)
{
    wt_memplat_init(&mp, seed);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
}

static enum wd_status
call(uint8_t cmd, const void *req, size_t len)
{
    return wt_call(&comp, &ch, cmd, req, len, resp, &resp_len);
}

/* A refused command must leave every byte of storage as it was. */
static void
refused(int line, uint8_t cmd, const void *req, size_t len,
        enum wd_status want)
{
    enum wd_status got;

    memcpy(snapshot, mp.storage, sizeof(snapshot));
    got = call(cmd, req, len);
    if (got != want) {
        fprintf(stderr, "line %d: %s gave %s, wanted %s\n", line,
                wd_command_name(cmd), wd_status_name(got),
                wd_status_name(want));
    }
    CHECK(got == want);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
}
#define REFUSED(cmd, req, len, want) refused(__LINE__, cmd, req, len, want)

static enum wd_status
keygen(uint8_t slot, uint8_t curve)
{
    uint8_t req[2];

    req[0] = slot;
    req[1] = curve;
    return call(WD_CMD_KEY_GENERATE, req, 2);
}

/* The companion's public key of slot, copied out. */
static size_t
public_key(uint8_t slot, uint8_t *point, unsigned *curve)
{
    if (call(WD_CMD_KEY_PUBLIC, &slot, 1) != WD_STATUS_OK) {
        return 0;
    }
    *curve = resp[0];
    memcpy(point, resp + 1, resp_len - 1);
    return resp_len - 1;
}

static enum wd_status
install(uint8_t kind, uint8_t index, const uint8_t *der, size_t len)
{
    static uint8_t req[2 + 8192];

    req[0] = kind;
    req[1] = index;
    memcpy(req + 2, der, len);
    return call(WD_CMD_CERT_INSTALL, req, 2 + len);
}

/* A certificate from ca for the companion's key in slot. */
static size_t
certify(const struct wt_ca *ca, uint8_t slot, const char *cn, uint8_t *out,
        size_t cap)
{
    struct wt_cert_opts o;
    uint8_t point[WC_POINT_MAX + 1];
    unsigned curve;

    memset(&o, 0, sizeof(o));
    o.point_len = public_key(slot, point, &curve);
    o.point = point;
    o.curve = curve;
    o.cn = cn;
    return wt_cert_make(ca, &o, out, cap);
}

static void
test_keys(void)
{
    uint8_t p1[WC_POINT_MAX + 1], p2[WC_POINT_MAX + 1];
    unsigned curve;
    uint8_t bad[2] = {WD_KEY_DEVICE, 25};

    power_up(1);
    REFUSED(WD_CMD_KEY_PUBLIC, "\x01", 1, WD_STATUS_NOT_FOUND);
    REFUSED(WD_CMD_KEY_GENERATE, bad, 2, WD_STATUS_BAD_PAYLOAD);
    bad[0] = 9;
    bad[1] = WD_CURVE_P256;
    REFUSED(WD_CMD_KEY_GENERATE, bad, 2, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_KEY_GENERATE, bad, 1, WD_STATUS_BAD_PAYLOAD);

    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P256) == WD_STATUS_OK);
    CHECK(resp_len == 66 && resp[0] == WD_CURVE_P256 && resp[1] == 0x04);
    CHECK(public_key(WD_KEY_DEVICE, p1, &curve) == 65);
    CHECK(curve == WD_CURVE_P256 && memcmp(p1, resp + 1, 65) == 0);

    /* A new key is a new key, and P-384 is there on request. */
    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P384) == WD_STATUS_OK);
    CHECK(resp_len == 98 && resp[0] == WD_CURVE_P384);
    CHECK(public_key(WD_KEY_DEVICE, p2, &curve) == 97);
    CHECK(memcmp(p1, p2, 65) != 0);

    CHECK(keygen(WD_KEY_ATTESTATION, WD_CURVE_P256) == WD_STATUS_OK);
    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp_len == WD_INV_LEN);
    CHECK(resp[WD_INV_DEVICE_KEY] == WD_CURVE_P384);
    CHECK(resp[WD_INV_ATTEST_KEY] == WD_CURVE_P256);
    CHECK(resp[WD_INV_DEVICE_CHAIN] == 0 && resp[WD_INV_SERIAL] == 0);

    /* Keys survive a power cycle. */
    wc_companion_wipe(&comp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    CHECK(public_key(WD_KEY_DEVICE, p1, &curve) == 97);
    CHECK(memcmp(p1, p2, 97) == 0);
}

/* Checks a CSR's structure and its signature by the key in point. */
static void
check_csr(const uint8_t *csr, size_t len, const uint8_t *point,
          size_t point_len, unsigned curve, const uint8_t *subject,
          size_t subject_len)
{
    struct wc_der d, outer, info;
    struct wc_der_elem info_e, alg, sig, e;
    const br_hash_class *hash;
    br_hash_compat_context hc;
    br_ec_public_key pk;
    uint8_t digest[48];
    const uint8_t *bits;
    size_t bits_len;

    wc_der_init(&d, csr, len);
    wc_der_enter(&d, WC_DER_SEQUENCE, &outer);
    CHECK(wc_der_finish(&d) == 0);
    wc_der_expect(&outer, WC_DER_SEQUENCE, &info_e);
    wc_der_expect(&outer, WC_DER_SEQUENCE, &alg);
    wc_der_expect(&outer, WC_DER_BIT_STRING, &sig);
    CHECK(wc_der_finish(&outer) == 0);
    CHECK(wc_der_bit_string_bytes(&sig, &bits, &bits_len) == 0);

    /* version 0, then the subject exactly as given. */
    wc_der_init(&info, info_e.val, info_e.len);
    wc_der_expect(&info, WC_DER_INTEGER, &e);
    CHECK(e.len == 1 && e.val[0] == 0);
    wc_der_expect(&info, WC_DER_SEQUENCE, &e);
    CHECK(e.raw_len == subject_len &&
          memcmp(e.raw, subject, subject_len) == 0);

    hash = curve == WD_CURVE_P384 ? &br_sha384_vtable : &br_sha256_vtable;
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, info_e.raw, info_e.raw_len);
    hash->out(&hc.vtable, digest);
    pk.curve = curve == WD_CURVE_P384 ? BR_EC_secp384r1 : BR_EC_secp256r1;
    pk.q = (unsigned char *)(uintptr_t)point;
    pk.qlen = point_len;
    CHECK(br_ecdsa_i31_vrfy_asn1(br_ec_get_default(), digest,
                                 (hash->desc >> BR_HASHDESC_OUT_OFF) &
                                     BR_HASHDESC_OUT_MASK,
                                 &pk, bits, bits_len) == 1);
}

static void
test_csr(void)
{
    uint8_t req[1 + 600], name[256], point[WC_POINT_MAX + 1];
    size_t name_len, n;
    unsigned curve = 0;
    int p384;

    power_up(2);
    name_len = wt_name("device-0001", name, sizeof(name));
    req[0] = WD_KEY_DEVICE;
    memcpy(req + 1, name, name_len);
    REFUSED(WD_CMD_CSR_CREATE, req, 1 + name_len, WD_STATUS_NOT_FOUND);

    for (p384 = 0; p384 <= 1; p384++) {
        CHECK(keygen(WD_KEY_DEVICE, p384 ? WD_CURVE_P384 : WD_CURVE_P256) ==
              WD_STATUS_OK);
        n = public_key(WD_KEY_DEVICE, point, &curve);
        CHECK(call(WD_CMD_CSR_CREATE, req, 1 + name_len) == WD_STATUS_OK);
        check_csr(resp, resp_len, point, n, curve, name, name_len);
    }

    /* Not a Name, a Name with trailing bytes, one too long: refused. */
    REFUSED(WD_CMD_CSR_CREATE, req, 1, WD_STATUS_BAD_PAYLOAD);
    req[1 + name_len] = 0;
    REFUSED(WD_CMD_CSR_CREATE, req, 2 + name_len, WD_STATUS_BAD_PAYLOAD);
    memcpy(req + 1, "\x30\x03\x31\x00\x00", 5);
    REFUSED(WD_CMD_CSR_CREATE, req, 6, WD_STATUS_BAD_PAYLOAD);
    memset(req + 1, 0x30, 600);
    REFUSED(WD_CMD_CSR_CREATE, req, 601, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_CSR_CREATE, NULL, 0, WD_STATUS_BAD_PAYLOAD);
}

static struct wt_ca root_ca, other_ca;
static uint8_t cert[8192], cert2[8192];

static void
test_device_chain(void)
{
    struct wt_cert_opts o;
    uint8_t stranger[65];
    size_t n, n2;

    power_up(3);
    wt_ca_init(&root_ca, "Warden Test Root", 100);
    wt_ca_init(&other_ca, "Someone Else", 200);

    /* No key yet: nothing to certify. */
    n = wt_ca_cert(&root_ca, cert, sizeof(cert));
    REFUSED(WD_CMD_CERT_INSTALL, "\x01\x00\x30", 3, WD_STATUS_BAD_CERTIFICATE);

    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P256) == WD_STATUS_OK);

    /* A certificate for a key that is not the device key. */
    memcpy(stranger, other_ca.pub, 65);
    memset(&o, 0, sizeof(o));
    o.cn = "device-0001";
    o.curve = WD_CURVE_P256;
    o.point = stranger;
    o.point_len = 65;
    n = wt_cert_make(&root_ca, &o, cert, sizeof(cert));
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_KEY_MISMATCH);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* Malformed: truncated, a flipped tag, trailing garbage. */
    n = certify(&root_ca, WD_KEY_DEVICE, "device-0001", cert, sizeof(cert));
    CHECK(n > 0);
    CHECK(install(WD_CERT_DEVICE, 0, cert, n - 1) ==
          WD_STATUS_BAD_CERTIFICATE);
    cert[0] = 0x31;
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_BAD_CERTIFICATE);
    cert[0] = 0x30;
    cert[n] = 0;
    CHECK(install(WD_CERT_DEVICE, 0, cert, n + 1) ==
          WD_STATUS_BAD_CERTIFICATE);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* Too large for its record, even if well-formed. */
    memset(&o, 0, sizeof(o));
    {
        uint8_t point[WC_POINT_MAX + 1];
        unsigned curve;

        o.point_len = public_key(WD_KEY_DEVICE, point, &curve);
        o.point = point;
        o.curve = curve;
        o.cn = "device-0001";
        o.pad = 2000;
        n2 = wt_cert_make(&root_ca, &o, cert2, sizeof(cert2));
    }
    CHECK(n2 > WD_CERT_MAX);
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(install(WD_CERT_DEVICE, 0, cert2, n2) ==
          WD_STATUS_RECORD_TOO_LARGE);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* An intermediate before its leaf. */
    n2 = wt_ca_cert(&root_ca, cert2, sizeof(cert2));
    CHECK(install(WD_CERT_DEVICE, 1, cert2, n2) == WD_STATUS_NOT_FOUND);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* The right leaf, then an intermediate that did not issue it. */
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_OK);
    n2 = wt_ca_cert(&other_ca, cert2, sizeof(cert2));
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(install(WD_CERT_DEVICE, 1, cert2, n2) == WD_STATUS_NOT_ISSUER);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
    n2 = wt_ca_cert(&root_ca, cert2, sizeof(cert2));
    CHECK(install(WD_CERT_DEVICE, 1, cert2, n2) == WD_STATUS_OK);
    CHECK(install(WD_CERT_DEVICE, 3, cert2, n2) == WD_STATUS_NOT_FOUND);
    CHECK(install(WD_CERT_DEVICE, 4, cert2, n2) == WD_STATUS_BAD_PAYLOAD);
    CHECK(install(WD_CERT_ROOT, 0, cert2, n2) == WD_STATUS_BAD_PAYLOAD);

    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INV_DEVICE_CHAIN] == 2);
    CHECK(call(WD_CMD_CERT_READ, "\x01\x00", 2) == WD_STATUS_OK);
    CHECK(resp_len == n && memcmp(resp, cert, n) == 0);

    /* CERT_INFO: names, dates and fingerprint as the companion reads them. */
    CHECK(call(WD_CMD_CERT_INFO, "\x01\x00", 2) == WD_STATUS_OK);
    {
        uint8_t digest[32], name[128];
        br_sha256_context sha;
        size_t subj = wd_get16(resp + WD_CINFO_SUBJECT_LEN), name_len;

        br_sha256_init(&sha);
        br_sha256_update(&sha, cert, n);
        br_sha256_out(&sha, digest);
        CHECK_MEM(resp + WD_CINFO_SHA256, digest, 32);
        CHECK(resp[WD_CINFO_KEY] == 1 && resp[WD_CINFO_IS_CA] == 0);
        CHECK(wd_get16(resp + WD_CINFO_KEY_BITS) == 256);
        /* 2025-01-01T00:00:00Z */
        CHECK(wd_get32(resp + WD_CINFO_NOT_BEFORE + 4) == 1735689600u);
        name_len = wt_name("device-0001", name, sizeof(name));
        CHECK(subj == name_len &&
              memcmp(resp + WD_CINFO_FIXED_LEN, name, subj) == 0);
        name_len = wt_name("Warden Test Root", name, sizeof(name));
        CHECK(wd_get16(resp + WD_CINFO_FIXED_LEN + subj) == name_len);
    }
    CHECK(call(WD_CMD_CERT_INFO, "\x01\x02", 2) == WD_STATUS_NOT_FOUND);

    /* A new leaf drops the intermediates; a new key drops the chain. */
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_OK);
    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INV_DEVICE_CHAIN] == 1);
    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P256) == WD_STATUS_OK);
    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INV_DEVICE_CHAIN] == 0);
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_KEY_MISMATCH);

    /* A CA certificate for the device key is not a device certificate. */
    memset(&o, 0, sizeof(o));
    {
        uint8_t point[WC_POINT_MAX + 1];
        unsigned curve;

        o.point_len = public_key(WD_KEY_DEVICE, point, &curve);
        o.point = point;
        o.curve = curve;
        o.cn = "device-0001";
        o.is_ca = 1;
        n = wt_cert_make(&root_ca, &o, cert, sizeof(cert));
    }
    REFUSED(WD_CMD_CERT_INSTALL, NULL, 0, WD_STATUS_BAD_PAYLOAD);
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_BAD_CERTIFICATE);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
}

static void
test_roots(void)
{
    static struct wt_ca cas[WD_ROOTS_MAX + 1];
    struct wt_cert_opts o;
    char cn[32];
    size_t n;
    unsigned i;

    power_up(4);
    for (i = 0; i <= WD_ROOTS_MAX; i++) {
        snprintf(cn, sizeof(cn), "Root %u", i);
        wt_ca_init(&cas[i], cn, 1000 + i);
    }
    for (i = 0; i < WD_ROOTS_MAX; i++) {
        n = wt_ca_cert(&cas[i], cert, sizeof(cert));
        CHECK(call(WD_CMD_ROOT_ADD, cert, n) == WD_STATUS_OK);
        CHECK(resp_len == 1 && resp[0] == i);
    }
    /* The same root again: where it is, and nothing written. */
    n = wt_ca_cert(&cas[3], cert, sizeof(cert));
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(call(WD_CMD_ROOT_ADD, cert, n) == WD_STATUS_OK);
    CHECK(resp[0] == 3);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* A ninth. */
    n = wt_ca_cert(&cas[WD_ROOTS_MAX], cert, sizeof(cert));
    REFUSED(WD_CMD_ROOT_ADD, cert, n, WD_STATUS_FULL);

    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INV_ROOTS] == 0xff);
    CHECK(call(WD_CMD_CERT_INFO, "\x03\x07", 2) == WD_STATUS_OK);
    CHECK(resp[WD_CINFO_IS_CA] == 1);
    CHECK(call(WD_CMD_CERT_INFO, "\x03\x08", 2) == WD_STATUS_BAD_PAYLOAD);

    /* Not a CA, malformed, too large: refused before a slot is looked at. */
    power_up(5);
    memset(&o, 0, sizeof(o));
    o.cn = "not a ca";
    o.curve = WD_CURVE_P256;
    o.point = cas[0].pub;
    o.point_len = 65;
    n = wt_cert_make(&cas[1], &o, cert, sizeof(cert));
    REFUSED(WD_CMD_ROOT_ADD, cert, n, WD_STATUS_BAD_CERTIFICATE);
    REFUSED(WD_CMD_ROOT_ADD, "garbage", 7, WD_STATUS_BAD_CERTIFICATE);
    o.is_ca = 1;
    o.pad = 2100;
    n = wt_cert_make(&cas[1], &o, cert, sizeof(cert));
    REFUSED(WD_CMD_ROOT_ADD, cert, n, WD_STATUS_RECORD_TOO_LARGE);
}

static void
test_pubkeys_and_serial(void)
{
    uint8_t req[256];
    size_t n;

    power_up(6);
    wt_ca_init(&root_ca, "Admin", 300);
    req[0] = WD_PUBKEY_ADMIN;
    n = wt_ca_spki(&root_ca, req + 1, sizeof(req) - 1);
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_FIRMWARE;
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INV_ADMIN_KEY] == WD_CURVE_P256);
    CHECK(resp[WD_INV_FIRMWARE_KEY] == WD_CURVE_P256);

    /* A point off the curve, a truncated key, an unknown target. */
    req[1 + n - 1] ^= 0x01;
    REFUSED(WD_CMD_PUBKEY_INSTALL, req, 1 + n, WD_STATUS_BAD_KEY);
    req[1 + n - 1] ^= 0x01;
    REFUSED(WD_CMD_PUBKEY_INSTALL, req, n, WD_STATUS_BAD_KEY);
    req[0] = 7;
    REFUSED(WD_CMD_PUBKEY_INSTALL, req, 1 + n, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_PUBKEY_INSTALL, NULL, 0, WD_STATUS_BAD_PAYLOAD);

    CHECK(call(WD_CMD_SERIAL_SET, "WD-0001", 7) == WD_STATUS_OK);
    CHECK(call(WD_CMD_GET_INFO, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_SERIAL_LEN] == 7 &&
          memcmp(resp + WD_INFO_SERIAL, "WD-0001", 7) == 0);
    REFUSED(WD_CMD_SERIAL_SET, "WD 0001", 7, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_SERIAL_SET, "WD\n0001", 7, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_SERIAL_SET, "", 0, WD_STATUS_BAD_PAYLOAD);
    REFUSED(WD_CMD_SERIAL_SET, "0123456789012345678901234567890123", 33,
            WD_STATUS_BAD_PAYLOAD);
}

/* Runs a whole factory flow; stops before the lock. */
static void
provision_all(uint64_t seed)
{
    uint8_t req[256];
    size_t n;

    power_up(seed);
    wt_ca_init(&root_ca, "Warden Test Root", seed + 1);
    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P256) == WD_STATUS_OK);
    CHECK(keygen(WD_KEY_ATTESTATION, WD_CURVE_P256) == WD_STATUS_OK);
    n = certify(&root_ca, WD_KEY_DEVICE, "device", cert, sizeof(cert));
    CHECK(install(WD_CERT_DEVICE, 0, cert, n) == WD_STATUS_OK);
    n = certify(&root_ca, WD_KEY_ATTESTATION, "attest", cert, sizeof(cert));
    CHECK(install(WD_CERT_ATTESTATION, 0, cert, n) == WD_STATUS_OK);
    n = wt_ca_cert(&root_ca, cert, sizeof(cert));
    CHECK(call(WD_CMD_ROOT_ADD, cert, n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_ADMIN;
    n = wt_ca_spki(&root_ca, req + 1, sizeof(req) - 1);
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_FIRMWARE;
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    CHECK(call(WD_CMD_SERIAL_SET, "WD-0042", 7) == WD_STATUS_OK);
}

static void
test_lock(void)
{
    static const uint8_t provisioning[] = {
        WD_CMD_KEY_GENERATE, WD_CMD_CSR_CREATE,     WD_CMD_CERT_INSTALL,
        WD_CMD_ROOT_ADD,     WD_CMD_PUBKEY_INSTALL, WD_CMD_SERIAL_SET,
        WD_CMD_LOCK,
    };
    uint8_t req[2] = {WD_KEY_DEVICE, WD_CURVE_P256};
    unsigned i;

    /* Incomplete: each missing piece blocks the lock. */
    power_up(7);
    REFUSED(WD_CMD_LOCK, NULL, 0, WD_STATUS_INCOMPLETE);
    provision_all(8);
    CHECK(wc_store_delete(&comp.store, WC_REC_SERIAL) == WC_OK);
    REFUSED(WD_CMD_LOCK, NULL, 0, WD_STATUS_INCOMPLETE);
    CHECK(call(WD_CMD_SERIAL_SET, "WD-0042", 7) == WD_STATUS_OK);
    REFUSED(WD_CMD_LOCK, "x", 1, WD_STATUS_BAD_PAYLOAD);

    CHECK(call(WD_CMD_LOCK, NULL, 0) == WD_STATUS_OK);
    CHECK(call(WD_CMD_GET_INFO, NULL, 0) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_LIFECYCLE] == WD_LIFECYCLE_OPERATIONAL);

    /* After the lock, across a power cycle, provisioning is closed. */
    wc_companion_wipe(&comp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    for (i = 0; i < sizeof(provisioning); i++) {
        REFUSED(provisioning[i], req, 2, WD_STATUS_NOT_ALLOWED);
    }
    /* Reading still works. */
    CHECK(call(WD_CMD_KEY_PUBLIC, "\x01", 1) == WD_STATUS_OK);
    CHECK(call(WD_CMD_CERT_INFO, "\x03\x00", 2) == WD_STATUS_OK);
}

/* Does buf hold any 8-byte run of secret? */
static int
leaks(const uint8_t *buf, size_t len, const uint8_t *secret, size_t n)
{
    size_t i, j;

    for (i = 0; i + 8 <= n; i++) {
        for (j = 0; j + 8 <= len; j++) {
            if (memcmp(buf + j, secret + i, 8) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Every command, with payloads that name every slot, kind and index,
 * in every lifecycle state: no response holds 8 bytes in a row of a
 * private key. The keys are read from the companion's RAM, which only an
 * in-process test can do.
 */
static void
test_no_private_key_in_any_response(void)
{
    static uint8_t keys[2][1 + 48];
    static const uint8_t decommissioned = WD_LIFECYCLE_DECOMMISSIONED;
    size_t key_len[2];
    uint8_t payload[8];
    const uint8_t *v;
    size_t len, sent = 0;
    unsigned state, cmd, a, b, k;

    provision_all(9);
    for (k = 0; k < 2; k++) {
        CHECK(wc_store_get(&comp.store,
                           k ? WC_REC_ATTEST_KEY : WC_REC_DEVICE_KEY, &v,
                           &len) == WC_OK);
        CHECK(len == 33);
        memcpy(keys[k], v, len);
        key_len[k] = len;
        /* At rest they are encrypted too. */
        CHECK(!leaks(mp.storage, sizeof(mp.storage), keys[k] + 1, len - 1));
    }

    for (state = 0; state < 3; state++) {
        if (state == 1) {
            CHECK(call(WD_CMD_LOCK, NULL, 0) == WD_STATUS_OK);
        } else if (state == 2) {
            /* The decommission command comes with admin updates. */
            CHECK(wc_store_set(&comp.store, WC_REC_LIFECYCLE, 0,
                               &decommissioned, 1) == WC_OK);
            CHECK(wc_store_commit(&comp.store, wc_rng_fill, &comp.rng) ==
                  WC_OK);
        }
        for (cmd = 0; cmd < 0x40; cmd++) {
            /* Skip what would change keys or state mid-scan. */
            if (cmd == WD_CMD_KEY_GENERATE ||
                (cmd == WD_CMD_LOCK && state == 0)) {
                continue;
            }
            for (a = 0; a < 5; a++) {
                for (b = 0; b < 9; b++) {
                    payload[0] = (uint8_t)a;
                    payload[1] = (uint8_t)b;
                    for (len = 0; len <= 2; len++) {
                        wt_call(&comp, &ch, (uint8_t)cmd, payload, len, resp,
                                &resp_len);
                        sent++;
                        for (k = 0; k < 2; k++) {
                            if (leaks(resp, resp_len, keys[k] + 1,
                                      key_len[k] - 1)) {
                                fprintf(stderr, "command 0x%02x leaked\n",
                                        cmd);
                                CHECK(!"private key in a response");
                            }
                        }
                    }
                }
            }
        }
    }
    /* The key generator itself returns only the public half. */
    wt_memplat_init(&mp, 10);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    CHECK(keygen(WD_KEY_DEVICE, WD_CURVE_P384) == WD_STATUS_OK);
    CHECK(wc_store_get(&comp.store, WC_REC_DEVICE_KEY, &v, &len) == WC_OK);
    CHECK(len == 49 && !leaks(resp, resp_len, v + 1, len - 1));
    CHECK(sent > 10000);
}

int
main(void)
{
    test_keys();
    test_csr();
    test_device_chain();
    test_roots();
    test_pubkeys_and_serial();
    test_lock();
    test_no_private_key_in_any_response();
    wc_companion_wipe(&comp);
    return wt_finish("test_provision");
}
