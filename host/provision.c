/*
 * Provisioning calls: keys, requests, certificates and identity of a
 * companion in manufacturing, and the inventory any state can read. Each
 * call checks its arguments against the protocol's layouts before it
 * sends anything, and every response against them before it returns it
 * (docs/protocol.md, section 5).
 *
 * Nothing here is secret (public keys, certificates, names): the frame
 * buffer is still wiped by warden_dev_end(), as after every call.
 */
#include <bearssl.h>
#include <string.h>

#include "internal.h"
#include "wd_proto.h"

/* warden.h cannot include wd_proto.h: the numbers must agree. */
#define AGREE(name, a, b) typedef char agree_##name[(a) == (b) ? 1 : -1]
AGREE(key_device, WARDEN_KEY_DEVICE, WD_KEY_DEVICE);
AGREE(key_attestation, WARDEN_KEY_ATTESTATION, WD_KEY_ATTESTATION);
AGREE(curve_p256, WARDEN_CURVE_P256, WD_CURVE_P256);
AGREE(curve_p384, WARDEN_CURVE_P384, WD_CURVE_P384);
AGREE(cert_device, WARDEN_CERT_DEVICE, WD_CERT_DEVICE);
AGREE(cert_attestation, WARDEN_CERT_ATTESTATION, WD_CERT_ATTESTATION);
AGREE(cert_root, WARDEN_CERT_ROOT, WD_CERT_ROOT);
AGREE(chain_max, WARDEN_CHAIN_MAX, WD_DEVICE_CHAIN_MAX);
AGREE(roots_max, WARDEN_ROOTS_MAX, WD_ROOTS_MAX);
AGREE(cert_max, WARDEN_CERT_MAX, WD_CERT_MAX);
AGREE(pubkey_admin, WARDEN_PUBKEY_ADMIN, WD_PUBKEY_ADMIN);
AGREE(pubkey_firmware, WARDEN_PUBKEY_FIRMWARE, WD_PUBKEY_FIRMWARE);
AGREE(serial_max, WARDEN_SERIAL_MAX, WD_SERIAL_MAX);
/* BearSSL names curves by the same TLS numbers. */
AGREE(br_p256, WD_CURVE_P256, BR_EC_secp256r1);
AGREE(br_p384, WD_CURVE_P384, BR_EC_secp384r1);

/* u8 curve and the longest point. */
#define PUBKEY_RESP_MAX (1 + WARDEN_POINT_MAX)

static const char *
curve_name(unsigned curve)
{
    switch (curve) {
    case WD_CURVE_P256:
        return "P-256";
    case WD_CURVE_P384:
        return "P-384";
    }
    return NULL;
}

/* Length of an uncompressed point on curve, 0 for an unknown curve. */
static size_t
point_len(unsigned curve)
{
    switch (curve) {
    case WD_CURVE_P256:
        return 65;
    case WD_CURVE_P384:
        return 97;
    }
    return 0;
}

/*
 * 1 if p holds exactly one DER SEQUENCE with a definite, minimal length:
 * all a host needs to know to pass certificates, names and requests on.
 * The companion and the tools parse the contents.
 */
static int
whole_sequence(const uint8_t *p, size_t len)
{
    size_t body;
    size_t head;
    size_t n;
    size_t i;

    if (len < 2 || p[0] != 0x30) {
        return 0;
    }
    if (p[1] < 0x80) {
        head = 2;
        body = p[1];
    } else {
        n = p[1] & 0x7f;
        /* 0x80 is BER's indefinite length; over 4 bytes is absurd here. */
        if (n == 0 || n > 4 || len < 2 + n || p[2] == 0) {
            return 0;
        }
        body = 0;
        for (i = 0; i < n; i++) {
            body = (body << 8) | p[2 + i];
        }
        if (body < 0x80) {
            return 0;
        }
        head = 2 + n;
    }
    return body == len - head;
}

static int
check_slot(struct warden_dev *dev, uint8_t command, unsigned slot)
{
    if (slot != WD_KEY_DEVICE && slot != WD_KEY_ATTESTATION) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: unknown key slot %u (device %d, "
                               "attestation %d)",
                               wd_command_name(command), slot, WD_KEY_DEVICE,
                               WD_KEY_ATTESTATION);
    }
    return WARDEN_ERR_OK;
}

/* Checks kind and index against what each kind of certificate allows. */
static int
check_cert_ref(struct warden_dev *dev, uint8_t command, unsigned kind,
               unsigned index, int root_ok)
{
    const char *name = wd_command_name(command);
    unsigned max;

    switch (kind) {
    case WD_CERT_DEVICE:
        max = WD_DEVICE_CHAIN_MAX;
        break;
    case WD_CERT_ATTESTATION:
        max = 1;
        break;
    case WD_CERT_ROOT:
        max = root_ok ? WD_ROOTS_MAX : 0;
        break;
    default:
        max = 0;
        break;
    }
    if (max == 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: unknown certificate kind %u", name, kind);
    }
    if (index >= max) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: index %u out of range: at most %u "
                               "certificate%s of this kind",
                               name, index, max, max == 1 ? "" : "s");
    }
    return WARDEN_ERR_OK;
}

/*
 * Checks a public key response (u8 curve, uncompressed point) and copies
 * it to *pub. want is the curve asked for, or 0 for any. The point must
 * lie on its curve: a companion that returns anything else is broken,
 * and a CSR or certificate made for it would be useless.
 */
static int
parse_pubkey(struct warden_dev *dev, uint8_t command, const uint8_t *p,
             size_t len, unsigned want, struct warden_pubkey *pub)
{
    static const unsigned char one[1] = {1};
    const char *name = wd_command_name(command);
    uint8_t tmp[WARDEN_POINT_MAX];
    unsigned curve;
    size_t plen;

    if (len < 1) {
        return warden_dev_lost(dev, "%s: empty response", name);
    }
    curve = p[0];
    plen = point_len(curve);
    if (plen == 0) {
        return warden_dev_lost(dev, "%s: unknown curve %u", name, curve);
    }
    if (want != 0 && curve != want) {
        return warden_dev_lost(dev, "%s: asked for a %s key, got %s", name,
                               curve_name(want), curve_name(curve));
    }
    if (len != 1 + plen) {
        return warden_dev_lost(dev,
                               "%s: %s public key of %zu bytes, expected %zu",
                               name, curve_name(curve), len - 1, plen);
    }
    memcpy(tmp, p + 1, plen);
    if (p[1] != 0x04 || br_ec_get_default()->mul(tmp, plen, one, sizeof(one),
                                                 (int)curve) != 1) {
        return warden_dev_lost(dev, "%s: public key is not a point on %s", name,
                               curve_name(curve));
    }
    pub->curve = curve;
    pub->point_len = plen;
    memcpy(pub->point, p + 1, plen);
    return WARDEN_ERR_OK;
}

/* A command whose answer is an empty payload. */
static int
call_empty(struct warden_dev *dev, uint8_t command, const uint8_t *req,
           size_t req_len)
{
    size_t len;

    return warden_dev_call(dev, command, req, req_len, NULL, 0, &len,
                           WARDEN_ERR_PROTOCOL);
}

static int
check_inventory_curve(struct warden_dev *dev, const uint8_t *p, size_t off,
                      const char *what, unsigned *out)
{
    if (p[off] != 0 && point_len(p[off]) == 0) {
        return warden_dev_lost(dev, "INVENTORY: %s has unknown curve %u", what,
                               p[off]);
    }
    *out = p[off];
    return WARDEN_ERR_OK;
}

static int
parse_inventory(struct warden_dev *dev, const uint8_t *p, size_t len,
                struct warden_inventory *inv)
{
    int rc;

    if (len != WD_INV_LEN) {
        return warden_dev_lost(dev,
                               "INVENTORY: response of %zu bytes, expected %d",
                               len, WD_INV_LEN);
    }
    rc = check_inventory_curve(dev, p, WD_INV_DEVICE_KEY, "device key",
                               &inv->device_key);
    if (rc == WARDEN_ERR_OK) {
        rc = check_inventory_curve(dev, p, WD_INV_ATTEST_KEY, "attestation key",
                                   &inv->attestation_key);
    }
    if (rc == WARDEN_ERR_OK) {
        rc = check_inventory_curve(dev, p, WD_INV_ADMIN_KEY, "admin key",
                                   &inv->admin_key);
    }
    if (rc == WARDEN_ERR_OK) {
        rc = check_inventory_curve(dev, p, WD_INV_FIRMWARE_KEY, "firmware key",
                                   &inv->firmware_key);
    }
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (p[WD_INV_DEVICE_CHAIN] > WD_DEVICE_CHAIN_MAX ||
        p[WD_INV_ATTEST_CERT] > 1 || p[WD_INV_SERIAL] > 1) {
        return warden_dev_lost(dev,
                               "INVENTORY: impossible counts (chain %u, "
                               "attestation certificate %u, serial %u)",
                               p[WD_INV_DEVICE_CHAIN], p[WD_INV_ATTEST_CERT],
                               p[WD_INV_SERIAL]);
    }
    inv->device_chain = p[WD_INV_DEVICE_CHAIN];
    inv->attestation_cert = p[WD_INV_ATTEST_CERT];
    inv->roots = p[WD_INV_ROOTS];
    inv->serial = p[WD_INV_SERIAL];
    return WARDEN_ERR_OK;
}

int
warden_inventory(struct warden_dev *dev, struct warden_inventory *inv)
{
    uint8_t buf[WD_INV_LEN];
    size_t len;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (inv == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "INVENTORY: no place for the answer");
    }
    memset(inv, 0, sizeof(*inv));
    rc = warden_dev_call(dev, WD_CMD_INVENTORY, NULL, 0, buf, sizeof(buf), &len,
                         WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK) {
        rc = parse_inventory(dev, buf, len, inv);
    }
    if (rc != WARDEN_ERR_OK) {
        memset(inv, 0, sizeof(*inv));
    }
    return warden_dev_end(dev, rc);
}

/* KEY_GENERATE (curve != 0) or KEY_PUBLIC (curve == 0). */
static int
key_call(struct warden_dev *dev, uint8_t command, unsigned slot, unsigned curve,
         struct warden_pubkey *pub)
{
    uint8_t req[2];
    uint8_t buf[PUBKEY_RESP_MAX];
    size_t len;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (pub == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: no place for the public key",
                               wd_command_name(command));
    }
    memset(pub, 0, sizeof(*pub));
    rc = check_slot(dev, command, slot);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (command == WD_CMD_KEY_GENERATE && point_len(curve) == 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "KEY_GENERATE: unknown curve %u (P-256 %d, "
                               "P-384 %d)",
                               curve, WD_CURVE_P256, WD_CURVE_P384);
    }

    req[0] = (uint8_t)slot;
    req[1] = (uint8_t)curve;
    rc = warden_dev_call(dev, command, req,
                         command == WD_CMD_KEY_GENERATE ? 2 : 1, buf,
                         sizeof(buf), &len, WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK) {
        rc = parse_pubkey(dev, command, buf, len, curve, pub);
    }
    if (rc != WARDEN_ERR_OK) {
        memset(pub, 0, sizeof(*pub));
    }
    return warden_dev_end(dev, rc);
}

int
warden_key_generate(struct warden_dev *dev, unsigned slot, unsigned curve,
                    struct warden_pubkey *pub)
{
    return key_call(dev, WD_CMD_KEY_GENERATE, slot, curve, pub);
}

int
warden_key_public(struct warden_dev *dev, unsigned slot,
                  struct warden_pubkey *pub)
{
    return key_call(dev, WD_CMD_KEY_PUBLIC, slot, 0, pub);
}

int
warden_csr_create(struct warden_dev *dev, unsigned slot, const uint8_t *subject,
                  size_t subject_len, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t req[1 + WARDEN_SUBJECT_MAX];
    size_t len = 0;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (out_len == NULL || (out == NULL && cap > 0)) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CSR_CREATE: no place for the request");
    }
    *out_len = 0;
    rc = check_slot(dev, WD_CMD_CSR_CREATE, slot);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (subject == NULL || subject_len > WARDEN_SUBJECT_MAX ||
        !whole_sequence(subject, subject_len)) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CSR_CREATE: the subject must be the DER of "
                               "one Name of at most %d bytes",
                               WARDEN_SUBJECT_MAX);
    }

    req[0] = (uint8_t)slot;
    memcpy(req + 1, subject, subject_len);
    rc = warden_dev_call(dev, WD_CMD_CSR_CREATE, req, 1 + subject_len, out, cap,
                         &len, WARDEN_ERR_ARGUMENT);
    if (rc == WARDEN_ERR_OK && !whole_sequence(out, len)) {
        rc = warden_dev_lost(dev, "CSR_CREATE: the request is not one DER "
                                  "SEQUENCE");
    }
    if (rc == WARDEN_ERR_OK) {
        *out_len = len;
    }
    return warden_dev_end(dev, rc);
}

/* u8 kind, u8 index, then the certificate. */
#define INSTALL_DATA_MAX (WD_MAX_MESSAGE - 2)

int
warden_cert_install(struct warden_dev *dev, unsigned kind, unsigned index,
                    const uint8_t *der, size_t len)
{
    uint8_t req[WD_MAX_MESSAGE];
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (kind == WD_CERT_ROOT) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CERT_INSTALL: roots go in with ROOT_ADD");
    }
    rc = check_cert_ref(dev, WD_CMD_CERT_INSTALL, kind, index, 0);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    /*
     * Only what no request can carry is refused here: the companion
     * judges the certificate itself, its size included, and says why.
     */
    if (der == NULL || len == 0 || len > INSTALL_DATA_MAX) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CERT_INSTALL: certificate of %zu bytes: a "
                               "request carries 1 to %d",
                               der == NULL ? (size_t)0 : len, INSTALL_DATA_MAX);
    }
    req[0] = (uint8_t)kind;
    req[1] = (uint8_t)index;
    memcpy(req + 2, der, len);
    rc = call_empty(dev, WD_CMD_CERT_INSTALL, req, 2 + len);
    return warden_dev_end(dev, rc);
}

int
warden_root_add(struct warden_dev *dev, const uint8_t *der, size_t len,
                unsigned *slot)
{
    uint8_t buf[1];
    size_t got;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (slot != NULL) {
        *slot = 0;
    }
    if (der == NULL || len == 0 || len > WD_MAX_MESSAGE) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "ROOT_ADD: certificate of %zu bytes: a "
                               "request carries 1 to %d",
                               der == NULL ? (size_t)0 : len, WD_MAX_MESSAGE);
    }
    rc = warden_dev_call(dev, WD_CMD_ROOT_ADD, der, len, buf, sizeof(buf), &got,
                         WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK && (got != 1 || buf[0] >= WD_ROOTS_MAX)) {
        rc = warden_dev_lost(dev,
                             "ROOT_ADD: answer is not a root slot "
                             "number (0 to %d)",
                             WD_ROOTS_MAX - 1);
    }
    if (rc == WARDEN_ERR_OK && slot != NULL) {
        *slot = buf[0];
    }
    return warden_dev_end(dev, rc);
}

int
warden_pubkey_install(struct warden_dev *dev, unsigned target,
                      const uint8_t *spki, size_t len)
{
    uint8_t req[WD_MAX_MESSAGE];
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (target != WD_PUBKEY_ADMIN && target != WD_PUBKEY_FIRMWARE) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "PUBKEY_INSTALL: unknown target %u (admin %d, "
                               "firmware %d)",
                               target, WD_PUBKEY_ADMIN, WD_PUBKEY_FIRMWARE);
    }
    if (spki == NULL || len == 0 || len > WD_MAX_MESSAGE - 1) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "PUBKEY_INSTALL: key of %zu bytes: a request "
                               "carries 1 to %d",
                               spki == NULL ? (size_t)0 : len,
                               WD_MAX_MESSAGE - 1);
    }
    req[0] = (uint8_t)target;
    memcpy(req + 1, spki, len);
    rc = call_empty(dev, WD_CMD_PUBKEY_INSTALL, req, 1 + len);
    return warden_dev_end(dev, rc);
}

int
warden_serial_set(struct warden_dev *dev, const char *serial)
{
    size_t len;
    size_t i;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (serial == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "SERIAL_SET: no serial number given");
    }
    len = strlen(serial);
    if (len == 0 || len > WD_SERIAL_MAX) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "SERIAL_SET: serial number of %zu characters: "
                               "1 to %d allowed",
                               len, WD_SERIAL_MAX);
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)serial[i];

        if (ch < 0x21 || ch > 0x7e) {
            return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                                   "SERIAL_SET: serial number has byte 0x%02x "
                                   "at %zu: only printable ASCII without "
                                   "spaces is allowed",
                                   ch, i);
        }
    }
    rc = call_empty(dev, WD_CMD_SERIAL_SET, (const uint8_t *)serial, len);
    return warden_dev_end(dev, rc);
}

int
warden_lock(struct warden_dev *dev)
{
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    rc = call_empty(dev, WD_CMD_LOCK, NULL, 0);
    return warden_dev_end(dev, rc);
}

/* Two's complement u64 to int64_t without implementation-defined casts. */
static int64_t
get_i64(const uint8_t *p)
{
    uint64_t u = ((uint64_t)wd_get32(p) << 32) | wd_get32(p + 4);

    if (u <= (uint64_t)INT64_MAX) {
        return (int64_t)u;
    }
    return -(int64_t)(~u) - 1;
}

/* Reads one u16-prefixed Name at *off; moves *off past it. */
static int
take_name(struct warden_dev *dev, const uint8_t *p, size_t len, size_t *off,
          const char *what, uint8_t *out, size_t *out_len)
{
    size_t n;

    if (len - *off < 2) {
        return warden_dev_lost(dev, "CERT_INFO: response ends before the %s",
                               what);
    }
    n = wd_get16(p + *off);
    *off += 2;
    if (n > len - *off || n > WARDEN_NAME_MAX || !whole_sequence(p + *off, n)) {
        return warden_dev_lost(dev, "CERT_INFO: malformed %s name", what);
    }
    memcpy(out, p + *off, n);
    *out_len = n;
    *off += n;
    return WARDEN_ERR_OK;
}

static int
parse_cert_info(struct warden_dev *dev, const uint8_t *p, size_t len,
                struct warden_cert_info *info)
{
    size_t off = WD_CINFO_SUBJECT_LEN;
    unsigned bits;
    int rc;

    if (len < WD_CINFO_FIXED_LEN) {
        return warden_dev_lost(dev,
                               "CERT_INFO: response of %zu bytes, shorter "
                               "than %d",
                               len, WD_CINFO_FIXED_LEN);
    }
    info->not_before = get_i64(p + WD_CINFO_NOT_BEFORE);
    info->not_after = get_i64(p + WD_CINFO_NOT_AFTER);
    memcpy(info->sha256, p + WD_CINFO_SHA256, sizeof(info->sha256));
    info->key_type = p[WD_CINFO_KEY];
    info->key_bits = wd_get16(p + WD_CINFO_KEY_BITS);
    info->is_ca = p[WD_CINFO_IS_CA];

    bits = info->key_bits;
    /* Intermediates may carry keys the companion does not use (type 0). */
    if (!(info->key_type == WARDEN_CERT_KEY_OTHER ||
          (info->key_type == WARDEN_CERT_KEY_EC_P256 && bits == 256) ||
          (info->key_type == WARDEN_CERT_KEY_EC_P384 && bits == 384) ||
          (info->key_type == WARDEN_CERT_KEY_RSA && bits >= 512))) {
        return warden_dev_lost(dev, "CERT_INFO: unknown key type %u of %u bits",
                               info->key_type, bits);
    }
    if (p[WD_CINFO_IS_CA] > 1) {
        return warden_dev_lost(dev, "CERT_INFO: CA flag %u, not 0 or 1",
                               p[WD_CINFO_IS_CA]);
    }
    rc = take_name(dev, p, len, &off, "subject", info->subject,
                   &info->subject_len);
    if (rc == WARDEN_ERR_OK) {
        rc = take_name(dev, p, len, &off, "issuer", info->issuer,
                       &info->issuer_len);
    }
    if (rc == WARDEN_ERR_OK && off != len) {
        rc = warden_dev_lost(dev, "CERT_INFO: %zu bytes after the issuer",
                             len - off);
    }
    return rc;
}

int
warden_cert_info(struct warden_dev *dev, unsigned kind, unsigned index,
                 struct warden_cert_info *info)
{
    uint8_t req[2];
    uint8_t buf[WD_MAX_MESSAGE];
    size_t len;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (info == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CERT_INFO: no place for the answer");
    }
    memset(info, 0, sizeof(*info));
    rc = check_cert_ref(dev, WD_CMD_CERT_INFO, kind, index, 1);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    req[0] = (uint8_t)kind;
    req[1] = (uint8_t)index;
    rc = warden_dev_call(dev, WD_CMD_CERT_INFO, req, sizeof(req), buf,
                         sizeof(buf), &len, WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK) {
        rc = parse_cert_info(dev, buf, len, info);
    }
    if (rc != WARDEN_ERR_OK) {
        memset(info, 0, sizeof(*info));
    }
    return warden_dev_end(dev, rc);
}

int
warden_cert_read(struct warden_dev *dev, unsigned kind, unsigned index,
                 uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t req[2];
    size_t len = 0;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (out_len == NULL || (out == NULL && cap > 0)) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "CERT_READ: no place for the certificate");
    }
    *out_len = 0;
    rc = check_cert_ref(dev, WD_CMD_CERT_READ, kind, index, 1);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    req[0] = (uint8_t)kind;
    req[1] = (uint8_t)index;
    rc = warden_dev_call(dev, WD_CMD_CERT_READ, req, sizeof(req), out, cap,
                         &len, WARDEN_ERR_ARGUMENT);
    if (rc == WARDEN_ERR_OK &&
        (len > WD_CERT_MAX || !whole_sequence(out, len))) {
        rc = warden_dev_lost(dev,
                             "CERT_READ: answer is not one DER "
                             "certificate of at most %d bytes",
                             WD_CERT_MAX);
    }
    if (rc == WARDEN_ERR_OK) {
        *out_len = len;
    }
    return warden_dev_end(dev, rc);
}
