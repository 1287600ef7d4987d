/*
 * libwarden's admin calls (host/admin.c) against a real companion in the
 * same process: the status read back after updates, arguments refused
 * before anything is sent, a refusal reported with its status, and
 * ADMIN_STATUS answers damaged on their way to the host, which must
 * fail the device with a protocol error rather than report a counter or
 * a policy the companion never sent.
 */
#include <stdio.h>
#include <string.h>

#include "certgen.h"
#include "check.h"
#include "inproc.h"
#include "toolkit.h"
#include "warden.h"
#include "wd_admin.h"
#include "wd_proto.h"

#define SERIAL "dev-0001"

static struct wt_inproc ip;
static struct wt_ca ca;
static struct tk_admin_key admin_key;

/* Damage done to the next ADMIN_STATUS answer. */
enum damage { NONE, SHORTER, LONGER, BYTE_SET };

static struct {
    enum damage damage;
    size_t at;
    uint8_t value;
} tamper;

static int
damage(void *arg, uint8_t *buf, size_t *len, size_t cap)
{
    uint8_t payload[WD_MAX_PAYLOAD + 1];
    struct wd_header h;
    const uint8_t *p;
    size_t plen;

    (void)arg;
    if (tamper.damage == NONE ||
        wd_frame_decode(buf, *len, &h, &p) != WD_STATUS_OK ||
        h.command != WD_CMD_ADMIN_STATUS || h.status != WD_STATUS_OK) {
        return WT_TAMPER_PASS;
    }
    plen = h.length;
    memcpy(payload, p, plen);
    if (tamper.damage == SHORTER) {
        plen--;
    } else if (tamper.damage == LONGER) {
        payload[plen++] = 0;
    } else if (tamper.at < plen) {
        payload[tamper.at] = tamper.value;
    }
    tamper.damage = NONE;
    h.length = (uint16_t)plen;
    *len = wd_frame_encode(&h, payload, buf, cap);
    return WT_TAMPER_PASS;
}

static void
open_dev(struct warden_dev *dev)
{
    wt_inproc_reconnect(&ip);
    CHECK(warden_open_transport(dev, &wt_inproc_transport, &ip) ==
          WARDEN_ERR_OK);
}

static int
refused_with(struct warden_dev *dev, int rc, unsigned want)
{
    unsigned status = 0;

    return rc == WARDEN_ERR_COMPANION &&
           warden_last_error(dev, &status) == WARDEN_ERR_COMPANION &&
           status == want;
}

/* A certificate from ca for the public key of slot. */
static size_t
certify(struct warden_dev *dev, unsigned slot, uint8_t *out, size_t cap)
{
    struct warden_pubkey pub;
    struct wt_cert_opts o;

    CHECK(warden_key_public(dev, slot, &pub) == WARDEN_ERR_OK);
    memset(&o, 0, sizeof(o));
    o.cn = slot == WARDEN_KEY_DEVICE ? "device" : "attest";
    o.curve = pub.curve;
    o.point = pub.point;
    o.point_len = pub.point_len;
    return wt_cert_make(&ca, &o, out, cap);
}

/* Provisions and locks the in-process companion through the library. */
static void
locked_companion(struct warden_dev *dev)
{
    static uint8_t der[WD_CERT_MAX];
    struct warden_pubkey pub;
    uint8_t spki[128];
    size_t n;

    wt_inproc_stop(&ip);
    CHECK(wt_inproc_start(&ip, NULL, NULL, 9) == 0);
    ip.tamper = damage;
    open_dev(dev);
    CHECK(warden_key_generate(dev, WARDEN_KEY_DEVICE, WARDEN_CURVE_P256,
                              &pub) == WARDEN_ERR_OK);
    CHECK(warden_key_generate(dev, WARDEN_KEY_ATTESTATION, WARDEN_CURVE_P256,
                              &pub) == WARDEN_ERR_OK);
    n = certify(dev, WARDEN_KEY_DEVICE, der, sizeof(der));
    CHECK(warden_cert_install(dev, WARDEN_CERT_DEVICE, 0, der, n) ==
          WARDEN_ERR_OK);
    n = certify(dev, WARDEN_KEY_ATTESTATION, der, sizeof(der));
    CHECK(warden_cert_install(dev, WARDEN_CERT_ATTESTATION, 0, der, n) ==
          WARDEN_ERR_OK);
    n = wt_ca_cert(&ca, der, sizeof(der));
    CHECK(warden_root_add(dev, der, n, NULL) == WARDEN_ERR_OK);
    n = wt_ca_spki(&ca, spki, sizeof(spki));
    CHECK(warden_pubkey_install(dev, WARDEN_PUBKEY_ADMIN, spki, n) ==
          WARDEN_ERR_OK);
    CHECK(warden_pubkey_install(dev, WARDEN_PUBKEY_FIRMWARE, spki, n) ==
          WARDEN_ERR_OK);
    CHECK(warden_serial_set(dev, SERIAL) == WARDEN_ERR_OK);
    CHECK(warden_lock(dev) == WARDEN_ERR_OK);
}

static size_t
make(unsigned op, uint64_t counter, const void *payload, size_t len,
     uint8_t *out)
{
    struct tk_err e;
    size_t n = 0;

    CHECK(tk_update_make(&admin_key, op, SERIAL, counter, payload, len, out,
                         WD_MAX_MESSAGE, &n, &e) == 0);
    return n;
}

static void
test_status_and_updates(void)
{
    static const uint8_t policy[] = {1, 0x13, 0x01, 2, 0, 29, 0, 23};
    static uint8_t update[WD_MAX_MESSAGE], out[WD_MAX_MESSAGE];
    struct warden_admin_status st;
    struct warden_dev dev;
    uint8_t name[64];
    size_t n, name_len, got = 99;

    locked_companion(&dev);
    CHECK(warden_admin_status(&dev, &st) == WARDEN_ERR_OK);
    CHECK(st.counter == 0 && st.time_floor == 1764547200);
    CHECK(st.admin_key == WARDEN_CURVE_P256 && !st.policy_stored);

    n = make(WD_ADMIN_OP_POLICY_SET, 3, policy, sizeof(policy), update);
    CHECK(warden_admin_update(&dev, update, n, NULL, 0, &got) == WARDEN_ERR_OK);
    CHECK(got == 0);
    CHECK(warden_admin_status(&dev, &st) == WARDEN_ERR_OK);
    CHECK(st.counter == 3 && st.policy_stored);
    CHECK(st.n_suites == 1 && st.suites[0] == WARDEN_TLS_AES_128_GCM_SHA256);
    CHECK(st.n_groups == 2 && st.groups[0] == WARDEN_TLS_GROUP_X25519 &&
          st.groups[1] == WARDEN_TLS_GROUP_SECP256R1);

    /* Refused: the companion's status, and a message naming the call. */
    CHECK(refused_with(&dev,
                       warden_admin_update(&dev, update, n, NULL, 0, &got),
                       WD_STATUS_REPLAYED));
    CHECK(strstr(warden_error(&dev), "ADMIN_UPDATE") != NULL);
    CHECK(strstr(warden_error(&dev), "REPLAYED") != NULL);

    /* A CSR longer than the caller's buffer: an argument error. */
    name[0] = WD_CURVE_P256;
    name_len = 1 + wt_name("dev-0001", name + 1, sizeof(name) - 1);
    {
        /* The new key signs its request: that needs a verified boot. */
        struct warden_firmware_sig fw;
        uint8_t m[32];

        wt_memplat_measurement(ip.plat, NULL, m);
        fw.version = 1;
        fw.sig_len = wt_ca_sign_boot(&ca, m, 1, fw.sig);
        CHECK(warden_boot(&dev, &fw, NULL, NULL) == WARDEN_ERR_OK);
    }
    n = make(WD_ADMIN_OP_KEY_ROTATE, 4, name, name_len, update);
    CHECK(warden_admin_update(&dev, update, n, out, 16, &got) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(got == 0);
    /* The update itself was applied; the device goes on. */
    CHECK(warden_admin_status(&dev, &st) == WARDEN_ERR_OK);
    CHECK(st.counter == 4);
    n = make(WD_ADMIN_OP_KEY_ROTATE, 5, name, name_len, update);
    CHECK(warden_admin_update(&dev, update, n, out, sizeof(out), &got) ==
          WARDEN_ERR_OK);
    CHECK(got > 100 && out[0] == 0x30);
    warden_close(&dev);
}

/* Arguments refused before anything reaches the companion. */
static void
test_arguments(void)
{
    static uint8_t big[WD_MAX_MESSAGE + 1];
    struct warden_dev dev;
    size_t frames, got;

    open_dev(&dev);
    frames = ip.frames_in;
    CHECK(warden_admin_status(&dev, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_admin_update(&dev, NULL, 10, NULL, 0, &got) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_admin_update(&dev, big, 0, NULL, 0, &got) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_admin_update(&dev, big, sizeof(big), NULL, 0, &got) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(strstr(warden_error(&dev), "4097 bytes") != NULL);
    CHECK(warden_admin_update(&dev, big, 10, NULL, 5, &got) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(ip.frames_in == frames);
    warden_close(&dev);
}

/* Damaged ADMIN_STATUS answers fail the device; nothing is reported. */
static void
test_damaged_status(void)
{
    static const uint8_t policy[] = {1, 0x13, 0x01, 1, 0, 29};
    static const struct {
        enum damage damage;
        size_t at;
        uint8_t value;
    } cases[] = {
        {SHORTER, 0, 0},                    /* policy cut short */
        {LONGER, 0, 0},                     /* a byte after it */
        {BYTE_SET, WD_ASTAT_POLICY, 0},     /* an empty list */
        {BYTE_SET, WD_ASTAT_POLICY, 9},     /* too long a list */
        {BYTE_SET, WD_ASTAT_POLICY + 3, 2}, /* groups past the end */
    };
    static uint8_t update[WD_MAX_MESSAGE];
    struct warden_admin_status st;
    struct warden_dev dev;
    size_t i, n;

    locked_companion(&dev);
    n = make(WD_ADMIN_OP_POLICY_SET, 1, policy, sizeof(policy), update);
    CHECK(warden_admin_update(&dev, update, n, NULL, 0, NULL) == WARDEN_ERR_OK);
    warden_close(&dev);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        open_dev(&dev);
        tamper.damage = cases[i].damage;
        tamper.at = cases[i].at;
        tamper.value = cases[i].value;
        st.counter = 77;
        CHECK(warden_admin_status(&dev, &st) == WARDEN_ERR_PROTOCOL);
        CHECK(st.counter == 0 && !st.policy_stored);
        CHECK(strstr(warden_error(&dev), "ADMIN_STATUS") != NULL);
        /* The device is failed: only close is left. */
        CHECK(warden_admin_status(&dev, &st) != WARDEN_ERR_OK);
        warden_close(&dev);
    }
    /* Without a stored policy, shorter than the fixed part. */
    wt_inproc_stop(&ip);
    CHECK(wt_inproc_start(&ip, NULL, NULL, 10) == 0);
    ip.tamper = damage;
    open_dev(&dev);
    tamper.damage = SHORTER;
    CHECK(warden_admin_status(&dev, &st) == WARDEN_ERR_PROTOCOL);
    warden_close(&dev);
}

int
main(void)
{
    wt_ca_init(&ca, "Host Admin Test CA", 5);
    memcpy(admin_key.x, ca.sk.x, ca.sk.xlen);
    admin_key.sk.curve = ca.sk.curve;
    admin_key.sk.x = admin_key.x;
    admin_key.sk.xlen = ca.sk.xlen;

    CHECK(wt_inproc_start(&ip, NULL, NULL, 8) == 0);
    test_status_and_updates();
    test_arguments();
    test_damaged_status();
    wt_inproc_stop(&ip);
    tk_admin_key_wipe(&admin_key);
    return wt_finish("test_host_admin");
}
