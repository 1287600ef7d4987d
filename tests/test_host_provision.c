/*
 * libwarden's provisioning calls against a real companion in the same
 * process: a whole factory flow (keys, CSR, chain, roots, public keys,
 * serial, lock) read back through INVENTORY, CERT_INFO and CERT_READ;
 * arguments refused before anything is sent; and answers damaged on
 * their way to the host, which must fail the device with a protocol
 * error rather than hand the caller a bad key, name or certificate.
 */
#include <bearssl.h>
#include <stdio.h>
#include <string.h>

#include "certgen.h"
#include "check.h"
#include "inproc.h"
#include "warden.h"
#include "wd_proto.h"

static struct wt_inproc ip;

/* Damage done to the next answer to one command. */
enum damage {
    NONE,
    SHORTER,   /* one byte less */
    LONGER,    /* one byte more */
    BYTE_SET,  /* payload[at] = value */
    FLIP_LAST, /* last byte's low bit flipped */
};

static struct {
    uint8_t command;
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
        h.command != tamper.command || h.status != WD_STATUS_OK ||
        h.length == 0) {
        return WT_TAMPER_PASS;
    }
    plen = h.length;
    memcpy(payload, p, plen);
    switch (tamper.damage) {
    case SHORTER:
        plen--;
        break;
    case LONGER:
        payload[plen++] = 0;
        break;
    case BYTE_SET:
        if (tamper.at < plen) {
            payload[tamper.at] = tamper.value;
        }
        break;
    case FLIP_LAST:
        payload[plen - 1] ^= 1;
        break;
    case NONE:
        break;
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

/* The call failed as the companion's refusal with this status. */
static int
refused_with(struct warden_dev *dev, int rc, unsigned want)
{
    unsigned status = 0;

    return rc == WARDEN_ERR_COMPANION &&
           warden_last_error(dev, &status) == WARDEN_ERR_COMPANION &&
           status == want;
}

static void
fresh_companion(void)
{
    wt_inproc_stop(&ip);
    CHECK(wt_inproc_start(&ip, NULL, NULL, 7) == 0);
    ip.tamper = damage;
}

/* Everything a fresh companion reports: nothing. */
static void
test_empty(void)
{
    struct warden_dev dev;
    struct warden_inventory inv;
    struct warden_pubkey pub;
    struct warden_cert_info ci;
    uint8_t der[16];
    size_t len = 1;

    fresh_companion();
    open_dev(&dev);
    CHECK(warden_inventory(&dev, &inv) == WARDEN_ERR_OK);
    CHECK(inv.device_key == 0 && inv.attestation_key == 0);
    CHECK(inv.device_chain == 0 && inv.attestation_cert == 0);
    CHECK(inv.roots == 0 && inv.admin_key == 0 && inv.firmware_key == 0);
    CHECK(inv.serial == 0);
    CHECK(refused_with(&dev, warden_key_public(&dev, WARDEN_KEY_DEVICE, &pub),
                       WD_STATUS_NOT_FOUND));
    CHECK(strstr(warden_error(&dev), "KEY_PUBLIC") != NULL);
    CHECK(refused_with(&dev, warden_cert_info(&dev, WARDEN_CERT_ROOT, 7, &ci),
                       WD_STATUS_NOT_FOUND));
    CHECK(refused_with(
        &dev,
        warden_cert_read(&dev, WARDEN_CERT_DEVICE, 0, der, sizeof(der), &len),
        WD_STATUS_NOT_FOUND));
    CHECK(len == 0);
    CHECK(refused_with(&dev, warden_lock(&dev), WD_STATUS_INCOMPLETE));
    warden_close(&dev);
}

static void
sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    br_sha256_context c;

    br_sha256_init(&c);
    br_sha256_update(&c, p, len);
    br_sha256_out(&c, out);
}

/* The whole factory flow through the library. */
static void
test_flow(void)
{
    static uint8_t csr[WD_MAX_MESSAGE];
    static uint8_t leaf[WD_CERT_MAX];
    static uint8_t ca_cert[WD_CERT_MAX];
    static uint8_t att[WD_CERT_MAX];
    static uint8_t back[WD_CERT_MAX];
    static struct warden_cert_info ci;
    struct wt_ca ca;
    struct wt_cert_opts co;
    struct warden_dev dev;
    struct warden_pubkey dpub;
    struct warden_pubkey apub;
    struct warden_pubkey again;
    struct warden_inventory inv;
    struct warden_info info;
    uint8_t name[64];
    uint8_t spki[128];
    uint8_t hash[32];
    size_t name_len;
    size_t spki_len;
    size_t leaf_len;
    size_t ca_len;
    size_t att_len;
    size_t len;
    unsigned slot = 99;

    fresh_companion();
    open_dev(&dev);
    wt_ca_init(&ca, "Test CA", 11);
    ca_len = wt_ca_cert(&ca, ca_cert, sizeof(ca_cert));
    spki_len = wt_ca_spki(&ca, spki, sizeof(spki));
    name_len = wt_name("dev-0001", name, sizeof(name));

    CHECK(warden_key_generate(&dev, WARDEN_KEY_DEVICE, WARDEN_CURVE_P256,
                              &dpub) == WARDEN_ERR_OK);
    CHECK(dpub.curve == WARDEN_CURVE_P256 && dpub.point_len == 65);
    CHECK(dpub.point[0] == 0x04);
    CHECK(warden_key_public(&dev, WARDEN_KEY_DEVICE, &again) == WARDEN_ERR_OK);
    CHECK(again.point_len == 65);
    CHECK_MEM(again.point, dpub.point, 65);
    CHECK(warden_key_generate(&dev, WARDEN_KEY_ATTESTATION, WARDEN_CURVE_P384,
                              &apub) == WARDEN_ERR_OK);
    CHECK(apub.curve == WARDEN_CURVE_P384 && apub.point_len == 97);

    CHECK(warden_csr_create(&dev, WARDEN_KEY_DEVICE, name, name_len, csr,
                            sizeof(csr), &len) == WARDEN_ERR_OK);
    CHECK(len > 100 && csr[0] == 0x30);
    /* The CSR carries the subject as given. */
    CHECK(len > name_len);

    /* A buffer too small: an argument error, and the device goes on. */
    CHECK(warden_csr_create(&dev, WARDEN_KEY_DEVICE, name, name_len, csr, 20,
                            &len) == WARDEN_ERR_ARGUMENT);
    CHECK(len == 0);

    memset(&co, 0, sizeof(co));
    co.cn = "dev-0001";
    co.curve = WD_CURVE_P256;
    co.point = dpub.point;
    co.point_len = dpub.point_len;
    leaf_len = wt_cert_make(&ca, &co, leaf, sizeof(leaf));
    CHECK(warden_cert_install(&dev, WARDEN_CERT_DEVICE, 0, leaf, leaf_len) ==
          WARDEN_ERR_OK);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_DEVICE, 1, ca_cert, ca_len) ==
          WARDEN_ERR_OK);
    /* The attestation key's certificate: the device key is no match. */
    CHECK(refused_with(
        &dev,
        warden_cert_install(&dev, WARDEN_CERT_ATTESTATION, 0, leaf, leaf_len),
        WD_STATUS_KEY_MISMATCH));
    co.curve = WD_CURVE_P384;
    co.point = apub.point;
    co.point_len = apub.point_len;
    att_len = wt_cert_make(&ca, &co, att, sizeof(att));

    CHECK(warden_root_add(&dev, ca_cert, ca_len, &slot) == WARDEN_ERR_OK);
    CHECK(slot == 0);
    slot = 99;
    CHECK(warden_root_add(&dev, ca_cert, ca_len, &slot) == WARDEN_ERR_OK);
    CHECK(slot == 0);
    CHECK(warden_pubkey_install(&dev, WARDEN_PUBKEY_ADMIN, spki, spki_len) ==
          WARDEN_ERR_OK);
    CHECK(warden_pubkey_install(&dev, WARDEN_PUBKEY_FIRMWARE, spki, spki_len) ==
          WARDEN_ERR_OK);
    CHECK(refused_with(
        &dev, warden_pubkey_install(&dev, WARDEN_PUBKEY_ADMIN, leaf, leaf_len),
        WD_STATUS_BAD_KEY));
    CHECK(warden_serial_set(&dev, "dev-0001") == WARDEN_ERR_OK);

    /* All but the attestation certificate: lock says what is missing. */
    CHECK(refused_with(&dev, warden_lock(&dev), WD_STATUS_INCOMPLETE));
    CHECK(warden_inventory(&dev, &inv) == WARDEN_ERR_OK);
    CHECK(inv.device_key == WARDEN_CURVE_P256);
    CHECK(inv.attestation_key == WARDEN_CURVE_P384);
    CHECK(inv.device_chain == 2 && inv.attestation_cert == 0);
    CHECK(inv.roots == 1 && inv.serial == 1);
    CHECK(inv.admin_key == WARDEN_CURVE_P256);
    CHECK(inv.firmware_key == WARDEN_CURVE_P256);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_ATTESTATION, 0, att, att_len) ==
          WARDEN_ERR_OK);

    /* What the companion reads in its certificates. */
    CHECK(warden_cert_info(&dev, WARDEN_CERT_DEVICE, 0, &ci) == WARDEN_ERR_OK);
    sha256(leaf, leaf_len, hash);
    CHECK_MEM(ci.sha256, hash, 32);
    CHECK(ci.key_type == WARDEN_CERT_KEY_EC_P256 && ci.key_bits == 256);
    CHECK(ci.is_ca == 0);
    CHECK(ci.subject_len == name_len);
    CHECK_MEM(ci.subject, name, name_len);
    CHECK(ci.not_before < ci.not_after);
    CHECK(warden_cert_info(&dev, WARDEN_CERT_ROOT, 0, &ci) == WARDEN_ERR_OK);
    CHECK(ci.is_ca == 1);
    CHECK(ci.subject_len == ci.issuer_len);
    CHECK(warden_cert_info(&dev, WARDEN_CERT_ATTESTATION, 0, &ci) ==
          WARDEN_ERR_OK);
    CHECK(ci.key_type == WARDEN_CERT_KEY_EC_P384 && ci.key_bits == 384);

    CHECK(warden_cert_read(&dev, WARDEN_CERT_DEVICE, 0, back, sizeof(back),
                           &len) == WARDEN_ERR_OK);
    CHECK(len == leaf_len);
    CHECK_MEM(back, leaf, leaf_len);
    CHECK(warden_cert_read(&dev, WARDEN_CERT_DEVICE, 0, back, 10, &len) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_read(&dev, WARDEN_CERT_ROOT, 0, back, sizeof(back),
                           &len) == WARDEN_ERR_OK);
    CHECK(len == ca_len);

    CHECK(warden_lock(&dev) == WARDEN_ERR_OK);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(info.lifecycle == WD_LIFECYCLE_OPERATIONAL);
    CHECK(strcmp(info.serial, "dev-0001") == 0);

    /* Locked: every provisioning call is refused, reading goes on. */
    CHECK(refused_with(&dev, warden_serial_set(&dev, "dev-0002"),
                       WD_STATUS_NOT_ALLOWED));
    CHECK(refused_with(
        &dev,
        warden_key_generate(&dev, WARDEN_KEY_DEVICE, WARDEN_CURVE_P256, &again),
        WD_STATUS_NOT_ALLOWED));
    CHECK(refused_with(&dev, warden_root_add(&dev, leaf, leaf_len, &slot),
                       WD_STATUS_NOT_ALLOWED));
    CHECK(refused_with(&dev, warden_lock(&dev), WD_STATUS_NOT_ALLOWED));
    CHECK(warden_key_public(&dev, WARDEN_KEY_DEVICE, &again) == WARDEN_ERR_OK);
    CHECK_MEM(again.point, dpub.point, 65);
    CHECK(warden_inventory(&dev, &inv) == WARDEN_ERR_OK);
    CHECK(inv.attestation_cert == 1);
    warden_close(&dev);
}

/* Refused by the library itself: nothing reaches the companion. */
static void
test_arguments(void)
{
    static uint8_t big[WD_MAX_MESSAGE];
    static struct warden_cert_info ci;
    struct warden_dev dev;
    struct warden_pubkey pub;
    uint8_t name[600];
    size_t frames;
    size_t len;

    fresh_companion();
    open_dev(&dev);
    frames = ip.frames_in;
    memset(name, 0, sizeof(name));
    name[0] = 0x30;

    CHECK(warden_key_generate(&dev, 3, WARDEN_CURVE_P256, &pub) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(strstr(warden_error(&dev), "unknown key slot 3") != NULL);
    CHECK(warden_key_generate(&dev, WARDEN_KEY_DEVICE, 25, &pub) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_key_generate(&dev, WARDEN_KEY_DEVICE, WARDEN_CURVE_P256,
                              NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_key_public(&dev, 0, &pub) == WARDEN_ERR_ARGUMENT);
    /* Subject: one DER SEQUENCE of at most 512 bytes. */
    name[1] = 0x03;
    CHECK(warden_csr_create(&dev, WARDEN_KEY_DEVICE, name, 4, big, sizeof(big),
                            &len) == WARDEN_ERR_ARGUMENT);
    name[1] = 0x82;
    name[2] = 0x02;
    name[3] = 0x1c; /* 540 bytes follow */
    CHECK(warden_csr_create(&dev, WARDEN_KEY_DEVICE, name, 544, big,
                            sizeof(big), &len) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_ROOT, 0, big, 10) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_DEVICE, 4, big, 10) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_ATTESTATION, 1, big, 10) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_DEVICE, 0, big, 0) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_install(&dev, WARDEN_CERT_DEVICE, 0, big,
                              WD_MAX_MESSAGE - 1) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_root_add(&dev, NULL, 10, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_pubkey_install(&dev, 3, big, 10) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_serial_set(&dev, "") == WARDEN_ERR_ARGUMENT);
    CHECK(warden_serial_set(&dev, "has space") == WARDEN_ERR_ARGUMENT);
    CHECK(strstr(warden_error(&dev), "byte 0x20 at 3") != NULL);
    CHECK(warden_serial_set(&dev, "tab\there") == WARDEN_ERR_ARGUMENT);
    CHECK(warden_serial_set(&dev, "123456789012345678901234567890123") ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_serial_set(&dev, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_info(&dev, 9, 0, &ci) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_info(&dev, WARDEN_CERT_ROOT, 8, &ci) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_cert_read(&dev, WARDEN_CERT_DEVICE, 0, big, 10, NULL) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(warden_inventory(&dev, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(ip.frames_in == frames);

    /* Serial numbers of 1 and 32 characters go through. */
    CHECK(warden_serial_set(&dev, "!") == WARDEN_ERR_OK);
    CHECK(warden_serial_set(&dev, "12345678901234567890123456789012") ==
          WARDEN_ERR_OK);
    warden_close(&dev);
}

/* What a damaged answer to one call must give: a failed device. */
struct broken {
    const char *what;
    uint8_t command;
    enum damage damage;
    size_t at;
    uint8_t value;
};

static int
call_for(struct warden_dev *dev, uint8_t command)
{
    static uint8_t buf[WD_MAX_MESSAGE];
    static struct warden_cert_info ci;
    struct warden_inventory inv;
    struct warden_pubkey pub;
    uint8_t name[64];
    size_t name_len = wt_name("x", name, sizeof(name));
    size_t len;
    unsigned slot;

    switch (command) {
    case WD_CMD_INVENTORY:
        return warden_inventory(dev, &inv);
    case WD_CMD_KEY_GENERATE:
        return warden_key_generate(dev, WARDEN_KEY_DEVICE, WARDEN_CURVE_P256,
                                   &pub);
    case WD_CMD_KEY_PUBLIC:
        return warden_key_public(dev, WARDEN_KEY_DEVICE, &pub);
    case WD_CMD_CSR_CREATE:
        return warden_csr_create(dev, WARDEN_KEY_DEVICE, name, name_len, buf,
                                 sizeof(buf), &len);
    case WD_CMD_CERT_INFO:
        return warden_cert_info(dev, WARDEN_CERT_ROOT, 0, &ci);
    case WD_CMD_CERT_READ:
        return warden_cert_read(dev, WARDEN_CERT_ROOT, 0, buf, sizeof(buf),
                                &len);
    case WD_CMD_ROOT_ADD:
        /* The CA that is already root 0: answered with its slot. */
        CHECK(warden_cert_read(dev, WARDEN_CERT_ROOT, 0, buf, sizeof(buf),
                               &len) == WARDEN_ERR_OK);
        return warden_root_add(dev, buf, len, &slot);
    }
    return -1;
}

static void
test_damaged_answers(void)
{
    static const struct broken cases[] = {
        {"inventory short", WD_CMD_INVENTORY, SHORTER, 0, 0},
        {"inventory long", WD_CMD_INVENTORY, LONGER, 0, 0},
        {"inventory curve", WD_CMD_INVENTORY, BYTE_SET, WD_INV_DEVICE_KEY, 25},
        {"inventory chain", WD_CMD_INVENTORY, BYTE_SET, WD_INV_DEVICE_CHAIN, 5},
        {"inventory attest", WD_CMD_INVENTORY, BYTE_SET, WD_INV_ATTEST_CERT, 2},
        {"inventory serial", WD_CMD_INVENTORY, BYTE_SET, WD_INV_SERIAL, 2},
        {"keygen curve", WD_CMD_KEY_GENERATE, BYTE_SET, 0, WD_CURVE_P384},
        {"keygen short", WD_CMD_KEY_GENERATE, SHORTER, 0, 0},
        {"keygen off curve", WD_CMD_KEY_GENERATE, FLIP_LAST, 0, 0},
        {"keygen compressed", WD_CMD_KEY_GENERATE, BYTE_SET, 1, 0x02},
        {"pubkey unknown curve", WD_CMD_KEY_PUBLIC, BYTE_SET, 0, 29},
        {"pubkey off curve", WD_CMD_KEY_PUBLIC, FLIP_LAST, 0, 0},
        {"csr not der", WD_CMD_CSR_CREATE, SHORTER, 0, 0},
        {"csr tag", WD_CMD_CSR_CREATE, BYTE_SET, 0, 0x31},
        {"cert info short", WD_CMD_CERT_INFO, SHORTER, 0, 0},
        {"cert info long", WD_CMD_CERT_INFO, LONGER, 0, 0},
        {"cert info key", WD_CMD_CERT_INFO, BYTE_SET, WD_CINFO_KEY, 9},
        {"cert info bits", WD_CMD_CERT_INFO, BYTE_SET, WD_CINFO_KEY_BITS, 2},
        {"cert info ca", WD_CMD_CERT_INFO, BYTE_SET, WD_CINFO_IS_CA, 2},
        {"cert info name", WD_CMD_CERT_INFO, BYTE_SET, WD_CINFO_FIXED_LEN,
         0x31},
        {"cert info name len", WD_CMD_CERT_INFO, BYTE_SET, WD_CINFO_SUBJECT_LEN,
         0x40},
        {"cert read", WD_CMD_CERT_READ, SHORTER, 0, 0},
        {"root slot", WD_CMD_ROOT_ADD, BYTE_SET, 0, WD_ROOTS_MAX},
        {"root long", WD_CMD_ROOT_ADD, LONGER, 0, 0},
    };
    struct warden_dev dev;
    struct wt_ca ca;
    uint8_t cert[WD_CERT_MAX];
    size_t len;
    size_t i;
    int rc;

    /* A companion with a root and a device key, to read from. */
    fresh_companion();
    open_dev(&dev);
    wt_ca_init(&ca, "Damage CA", 5);
    len = wt_ca_cert(&ca, cert, sizeof(cert));
    CHECK(warden_root_add(&dev, cert, len, NULL) == WARDEN_ERR_OK);
    warden_close(&dev);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        open_dev(&dev);
        /* The undamaged call works. */
        rc = call_for(&dev, cases[i].command);
        CHECK(rc == WARDEN_ERR_OK);
        tamper.command = cases[i].command;
        tamper.damage = cases[i].damage;
        tamper.at = cases[i].at;
        tamper.value = cases[i].value;
        rc = call_for(&dev, cases[i].command);
        CHECK(rc == WARDEN_ERR_PROTOCOL);
        if (rc != WARDEN_ERR_PROTOCOL) {
            fprintf(stderr, "  case '%s': %d (%s)\n", cases[i].what, rc,
                    warden_error(&dev));
        }
        /* A device that was lied to stays failed. */
        CHECK(call_for(&dev, WD_CMD_INVENTORY) == WARDEN_ERR_PROTOCOL);
        tamper.damage = NONE;
        warden_close(&dev);
    }
}

int
main(void)
{
    CHECK(wt_inproc_start(&ip, NULL, NULL, 7) == 0);
    test_empty();
    test_flow();
    test_arguments();
    test_damaged_answers();
    wt_inproc_stop(&ip);
    return wt_finish("host_provision");
}
