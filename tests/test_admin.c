/*
 * Admin-signed updates in the companion (companion/admin.c, cmd_admin.c,
 * policy.c) over raw frames, with updates made by the tool's own signer
 * (tools/tk_update.c): each operation on a locked device; forged
 * (another key, any changed bit), replayed, older and other-device
 * updates refused with storage byte for byte as it was; power cuts
 * through three kinds of update commit leaving the old or the new state;
 * the stored policy and time floor reaching TLS_OPEN; decommissioning.
 */
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "certgen.h"
#include "check.h"
#include "keys.h"
#include "memplat.h"
#include "rawbus.h"
#include "records.h"
#include "toolkit.h"
#include "wc_companion.h"
#include "wd_admin.h"

#define SERIAL "WD-0042"

static struct wt_memplat mp;
static struct wc_companion comp;
static struct wc_channel ch;
static uint8_t resp[WD_MAX_MESSAGE];
static size_t resp_len;
static uint8_t snapshot[WC_STORE_SIZE];

static struct wt_ca device_ca, admin_ca, stranger_ca;
static struct tk_admin_key admin_key, stranger_key;
static uint8_t update[WD_MAX_MESSAGE];
static size_t update_len;
static uint64_t next_counter;

static enum wd_status
call(uint8_t cmd, const void *req, size_t len)
{
    return wt_call(&comp, &ch, cmd, req, len, resp, &resp_len);
}

static void
power_cycle(void)
{
    wc_companion_wipe(&comp);
    wt_memplat_power_on(&mp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
}

/* The signer's key from a test CA's private key. */
static void
signer_from(struct tk_admin_key *k, const struct wt_ca *ca)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->x, ca->sk.x, ca->sk.xlen);
    k->sk.curve = ca->sk.curve;
    k->sk.x = k->x;
    k->sk.xlen = ca->sk.xlen;
}

/* Signs an update into update[]. */
static void
make(const struct tk_admin_key *k, unsigned op, const char *serial,
     uint64_t counter, const void *payload, size_t len)
{
    struct tk_err e;

    if (tk_update_make(k, op, serial, counter, payload, len, update,
                       sizeof(update), &update_len, &e) != 0) {
        fprintf(stderr, "tk_update_make: %s\n", e.msg);
        CHECK(0);
    }
}

static enum wd_status
apply(void)
{
    return call(WD_CMD_ADMIN_UPDATE, update, update_len);
}

/* Signs and applies the next update with the admin key. */
static enum wd_status
admin(unsigned op, const void *payload, size_t len)
{
    make(&admin_key, op, SERIAL, ++next_counter, payload, len);
    return apply();
}

/* update[] must be refused with want and leave every byte of storage. */
static void
refused(int line, enum wd_status want)
{
    enum wd_status got;

    memcpy(snapshot, mp.storage, sizeof(snapshot));
    got = apply();
    if (got != want) {
        fprintf(stderr, "line %d: ADMIN_UPDATE gave %s, wanted %s\n", line,
                wd_status_name(got), wd_status_name(want));
    }
    CHECK(got == want);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
}
#define REFUSED(want) refused(__LINE__, want)

static uint64_t
status_u64(size_t off)
{
    uint64_t v = 0;
    unsigned i;

    CHECK(call(WD_CMD_ADMIN_STATUS, NULL, 0) == WD_STATUS_OK);
    for (i = 0; i < 8; i++) {
        v = (v << 8) | resp[off + i];
    }
    return v;
}

static size_t
public_key(uint8_t slot, uint8_t *point)
{
    if (call(WD_CMD_KEY_PUBLIC, &slot, 1) != WD_STATUS_OK) {
        return 0;
    }
    memcpy(point, resp + 1, resp_len - 1);
    return resp_len - 1;
}

/* A certificate from device_ca for the key pair in slot. */
static size_t
certify(uint8_t slot, uint8_t *out, size_t cap)
{
    struct wt_cert_opts o;
    uint8_t point[WC_POINT_MAX];

    memset(&o, 0, sizeof(o));
    o.point_len = public_key(slot, point);
    o.point = point;
    o.curve = WD_CURVE_P256;
    o.cn = slot == WD_KEY_DEVICE ? "device" : "attest";
    return wt_cert_make(&device_ca, &o, out, cap);
}

static void
sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    br_sha256_context h;

    br_sha256_init(&h);
    br_sha256_update(&h, p, len);
    br_sha256_out(&h, out);
}

static uint8_t inventory[WD_INV_LEN];

static void
read_inventory(void)
{
    CHECK(call(WD_CMD_INVENTORY, NULL, 0) == WD_STATUS_OK);
    memcpy(inventory, resp, WD_INV_LEN);
}

/* A fully provisioned, locked companion; admin key from admin_ca. */
static void
locked_device(uint64_t seed)
{
    static uint8_t cert[4096];
    uint8_t req[256];
    size_t n;

    wt_memplat_init(&mp, seed);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    next_counter = 0;
    req[0] = WD_KEY_DEVICE;
    req[1] = WD_CURVE_P256;
    CHECK(call(WD_CMD_KEY_GENERATE, req, 2) == WD_STATUS_OK);
    req[0] = WD_KEY_ATTESTATION;
    CHECK(call(WD_CMD_KEY_GENERATE, req, 2) == WD_STATUS_OK);
    cert[0] = WD_CERT_DEVICE;
    cert[1] = 0;
    n = certify(WD_KEY_DEVICE, cert + 2, sizeof(cert) - 2);
    CHECK(call(WD_CMD_CERT_INSTALL, cert, 2 + n) == WD_STATUS_OK);
    cert[0] = WD_CERT_ATTESTATION;
    n = certify(WD_KEY_ATTESTATION, cert + 2, sizeof(cert) - 2);
    CHECK(call(WD_CMD_CERT_INSTALL, cert, 2 + n) == WD_STATUS_OK);
    n = wt_ca_cert(&device_ca, cert, sizeof(cert));
    CHECK(call(WD_CMD_ROOT_ADD, cert, n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_ADMIN;
    n = wt_ca_spki(&admin_ca, req + 1, sizeof(req) - 1);
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    req[0] = WD_PUBKEY_FIRMWARE;
    CHECK(call(WD_CMD_PUBKEY_INSTALL, req, 1 + n) == WD_STATUS_OK);
    CHECK(call(WD_CMD_SERIAL_SET, SERIAL, strlen(SERIAL)) == WD_STATUS_OK);
    CHECK(call(WD_CMD_LOCK, NULL, 0) == WD_STATUS_OK);
}

/* A verified boot report for ch: admin_ca is also the firmware key. */
static void
boot(void)
{
    uint8_t req[4 + 1 + 80 + 1], m[32];
    size_t sig_len;

    wt_memplat_measurement(&mp, NULL, m);
    wd_put32(req, 1);
    sig_len = wt_ca_sign_boot(&admin_ca, m, 1, req + 5);
    req[4] = (uint8_t)sig_len;
    req[5 + sig_len] = 0;
    CHECK(call(WD_CMD_BOOT, req, 6 + sig_len) == WD_STATUS_OK);
}

static void
test_only_when_operational(void)
{
    static uint8_t root[2048];
    size_t n;

    wt_memplat_init(&mp, 1);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    n = wt_ca_cert(&stranger_ca, root, sizeof(root));
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 1, root, n);
    /* In manufacturing, the provisioning commands do this job. */
    REFUSED(WD_STATUS_NOT_ALLOWED);

    locked_device(2);
    CHECK(status_u64(WD_ASTAT_COUNTER) == 0);
    CHECK(status_u64(WD_ASTAT_TIME_FLOOR) == 1764547200);
    CHECK(resp_len == WD_ASTAT_FIXED_LEN);
    CHECK(resp[WD_ASTAT_ADMIN_KEY] == WD_CURVE_P256);
    CHECK(call(WD_CMD_ADMIN_STATUS, "x", 1) == WD_STATUS_BAD_PAYLOAD);
}

/* Roots added, replaced and removed; the counter follows each. */
static void
test_roots(void)
{
    static uint8_t root[2048], other[2048], payload[32 + 2048];
    uint8_t digest[32];
    size_t n, n2;

    locked_device(3);
    n = wt_ca_cert(&stranger_ca, root, sizeof(root));
    n2 = wt_ca_cert(&admin_ca, other, sizeof(other));

    CHECK(admin(WD_ADMIN_OP_ROOT_ADD, root, n) == WD_STATUS_OK);
    CHECK(resp_len == 1 && resp[0] == 1);
    CHECK(status_u64(WD_ASTAT_COUNTER) == 1);
    read_inventory();
    CHECK(inventory[WD_INV_ROOTS] == 0x03);

    /* Replace the stranger's root by the admin CA's, in its slot. */
    sha256(root, n, payload);
    memcpy(payload + 32, other, n2);
    CHECK(admin(WD_ADMIN_OP_ROOT_REPLACE, payload, 32 + n2) == WD_STATUS_OK);
    CHECK(resp_len == 1 && resp[0] == 1);
    CHECK(call(WD_CMD_CERT_READ, "\x03\x01", 2) == WD_STATUS_OK);
    CHECK(resp_len == n2 && memcmp(resp, other, n2) == 0);

    /* The old one is gone: replacing or removing it again finds nothing. */
    CHECK(admin(WD_ADMIN_OP_ROOT_REPLACE, payload, 32 + n2) ==
          WD_STATUS_NOT_FOUND);
    make(&admin_key, WD_ADMIN_OP_ROOT_REMOVE, SERIAL, ++next_counter, payload,
         32);
    REFUSED(WD_STATUS_NOT_FOUND);
    make(&admin_key, WD_ADMIN_OP_ROOT_REPLACE, SERIAL, ++next_counter, payload,
         32 + 10);
    REFUSED(WD_STATUS_BAD_CERTIFICATE);
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, ++next_counter, other,
         n2 - 1);
    REFUSED(WD_STATUS_BAD_CERTIFICATE);
    make(&admin_key, WD_ADMIN_OP_ROOT_REMOVE, SERIAL, ++next_counter, payload,
         31);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    /* Refusals spend no counter. */
    CHECK(status_u64(WD_ASTAT_COUNTER) == 2);

    sha256(other, n2, digest);
    CHECK(admin(WD_ADMIN_OP_ROOT_REMOVE, digest, 32) == WD_STATUS_OK);
    read_inventory();
    CHECK(inventory[WD_INV_ROOTS] == 0x01);
    power_cycle();
    read_inventory();
    CHECK(inventory[WD_INV_ROOTS] == 0x01);
    CHECK(status_u64(WD_ASTAT_COUNTER) == next_counter);
}

/*
 * Forgeries, replays, reorderings and updates for another device: every
 * one refused with storage byte for byte as it was.
 */
static void
test_refusals(void)
{
    static uint8_t root[2048], good[WD_MAX_MESSAGE];
    size_t n, good_len, i;
    unsigned bit, wrong = 0;
    enum wd_status st;

    locked_device(4);
    n = wt_ca_cert(&stranger_ca, root, sizeof(root));

    /* Signed by a key that is not the admin key. */
    make(&stranger_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 1, root, n);
    REFUSED(WD_STATUS_BAD_SIGNATURE);

    /* Signed by the admin key, for another device. */
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, "WD-0043", 1, root, n);
    REFUSED(WD_STATUS_WRONG_DEVICE);
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, "WD-004", 1, root, n);
    REFUSED(WD_STATUS_WRONG_DEVICE);

    /*
     * Any one changed bit, in the header, the serial, the counter, the
     * payload or the signature: refused, never applied.
     */
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 5, root, n);
    memcpy(good, update, update_len);
    good_len = update_len;
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    for (i = 0; i < good_len; i++) {
        bit = (unsigned)(i * 5 % 8);
        memcpy(update, good, good_len);
        update[i] ^= (uint8_t)(1u << bit);
        st = apply();
        if (st == WD_STATUS_OK) {
            fprintf(stderr, "bit %u of byte %zu changed: accepted\n", bit, i);
            wrong++;
        }
    }
    CHECK(wrong == 0);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
    /* Cut short, or with a byte more. */
    memcpy(update, good, good_len);
    update_len = good_len - 1;
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    update[good_len] = 0;
    update_len = good_len + 1;
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    update_len = 3;
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    /* An operation this firmware does not know, signed. */
    make(&admin_key, 99, SERIAL, 5, root, n);
    REFUSED(WD_STATUS_BAD_PAYLOAD);

    /* The untouched update works: counter 5 (gaps are allowed). */
    memcpy(update, good, good_len);
    update_len = good_len;
    CHECK(apply() == WD_STATUS_OK);
    CHECK(status_u64(WD_ASTAT_COUNTER) == 5);

    /* Again: a replay. */
    memcpy(update, good, good_len);
    update_len = good_len;
    REFUSED(WD_STATUS_REPLAYED);
    /* Made before it, applied after it: older. */
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 4, root, n);
    REFUSED(WD_STATUS_STALE);
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 1, root, n);
    REFUSED(WD_STATUS_STALE);
    /* And after a power cycle, the counter is still there. */
    power_cycle();
    memcpy(update, good, good_len);
    update_len = good_len;
    REFUSED(WD_STATUS_REPLAYED);
    make(&admin_key, WD_ADMIN_OP_TIME_FLOOR, SERIAL, 6, "\0\0\0\0\x70\0\0\0",
         8);
    CHECK(apply() == WD_STATUS_OK);

    /* Without an admin key at all, nothing is accepted. */
    CHECK(wc_store_delete(&comp.store, WC_REC_ADMIN_KEY) == WC_OK);
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 7, root, n);
    CHECK(apply() == WD_STATUS_NOT_FOUND);
}

/*
 * What an update can change, as one digest: the admin status (counter,
 * floor, policy), the lifecycle, the inventory and every root's DER.
 */
static void
state_digest(uint8_t out[32])
{
    br_sha256_context h;
    uint8_t ref[2] = {WD_CERT_ROOT, 0};
    enum wd_status st;

    br_sha256_init(&h);
    CHECK(call(WD_CMD_ADMIN_STATUS, NULL, 0) == WD_STATUS_OK);
    br_sha256_update(&h, resp, resp_len);
    CHECK(call(WD_CMD_GET_INFO, NULL, 0) == WD_STATUS_OK);
    br_sha256_update(&h, resp + WD_INFO_LIFECYCLE, 1);
    read_inventory();
    br_sha256_update(&h, inventory, WD_INV_LEN);
    for (ref[1] = 0; ref[1] < WD_ROOTS_MAX; ref[1]++) {
        st = call(WD_CMD_CERT_READ, ref, 2);
        br_sha256_update(&h, &st, sizeof(st));
        if (st == WD_STATUS_OK) {
            br_sha256_update(&h, resp, resp_len);
        }
    }
    br_sha256_out(&h, out);
}

/*
 * The power goes after every step-th byte written while the update in
 * update[] commits, and every 509th while decommissioning scrubs (past
 * 2 KB: the store tests cut at every byte of commits): afterwards the companion
 * holds the old state or the new one, never a mix, and never the change without
 * its counter. An update cut short is not spent: it still applies.
 */
static void
power_cut(const char *what, size_t step)
{
    static uint8_t good[WD_MAX_MESSAGE];
    static uint8_t before[WC_STORE_SIZE];
    uint8_t old_state[32], new_state[32], got[32];
    size_t good_len, k, bytes, olds = 0, news = 0;

    memcpy(good, update, update_len);
    good_len = update_len;
    memcpy(before, mp.storage, sizeof(before));
    state_digest(old_state);
    bytes = mp.bytes_written;
    CHECK(apply() == WD_STATUS_OK);
    bytes = mp.bytes_written - bytes;
    state_digest(new_state);
    CHECK(memcmp(old_state, new_state, 32) != 0);

    for (k = 0; k <= bytes; k += k < 2048 ? step : 509) {
        memcpy(mp.storage, before, sizeof(before));
        power_cycle();
        wt_memplat_set_write_budget(&mp, k);
        memcpy(update, good, good_len);
        update_len = good_len;
        (void)apply();
        power_cycle();
        state_digest(got);
        if (memcmp(got, new_state, 32) == 0) {
            news++;
        } else {
            olds++;
            CHECK(memcmp(got, old_state, 32) == 0);
            CHECK(apply() == WD_STATUS_OK);
            state_digest(got);
            CHECK(memcmp(got, new_state, 32) == 0);
        }
    }
    printf("%s: power cut in %zu bytes: %zu old, %zu new\n", what, bytes, olds,
           news);
    CHECK(olds > 0 && news > 0);
}

static void
test_power_cut(void)
{
    static uint8_t root[2048], payload[32 + 2048];
    size_t n, n2;

    /* ROOT_ADD commits in the provisioning handler... */
    locked_device(5);
    n = wt_ca_cert(&stranger_ca, root, sizeof(root));
    make(&admin_key, WD_ADMIN_OP_ROOT_ADD, SERIAL, 1, root, n);
    power_cut("root-add", 1);

    /* ...ROOT_REPLACE in cmd_admin.c. */
    n2 = wt_ca_cert(&admin_ca, payload + 32, sizeof(payload) - 32);
    sha256(root, n, payload);
    make(&admin_key, WD_ADMIN_OP_ROOT_REPLACE, SERIAL, 2, payload, 32 + n2);
    power_cut("root-replace", 3);

    /* Decommissioning commits, then scrubs the older image. */
    make(&admin_key, WD_ADMIN_OP_DECOMMISSION, SERIAL, 3, NULL, 0);
    power_cut("decommission", 2);
}

/* TLS_OPEN for localhost at host time 0, offering suites and groups. */
static enum wd_status
tls_open(const uint16_t *suites, unsigned n_suites, const uint16_t *groups,
         unsigned n_groups)
{
    uint8_t req[64];
    size_t n = 8;
    unsigned i;

    memset(req, 0, 8);
    req[n++] = 9;
    memcpy(req + n, "localhost", 9);
    n += 9;
    req[n++] = 0;
    req[n++] = (uint8_t)n_suites;
    for (i = 0; i < n_suites; i++) {
        req[n++] = (uint8_t)(suites[i] >> 8);
        req[n++] = (uint8_t)suites[i];
    }
    req[n++] = (uint8_t)n_groups;
    for (i = 0; i < n_groups; i++) {
        req[n++] = (uint8_t)(groups[i] >> 8);
        req[n++] = (uint8_t)groups[i];
    }
    return call(WD_CMD_TLS_OPEN, req, n);
}

static void
tls_close(void)
{
    uint8_t session = resp[0];

    CHECK(call(WD_CMD_TLS_CLOSE, &session, 1) == WD_STATUS_OK);
}

static void
test_policy(void)
{
    /* AES-256-GCM only; X25519 and P-384. */
    static const uint8_t narrow[] = {1, 0x13, 0x02, 2, 0, 29, 0, 24};
    static const uint8_t wide[] = {7,    0x13, 0x01, 0x13, 0x02, 0x13, 0x04,
                                   0xc0, 0x2b, 0xc0, 0x2c, 0xc0, 0xac, 0xc0,
                                   0xad, 3,    0,    29,   0,    23,   0,
                                   24};
    /* Every TLS 1.3 suite and no TLS 1.2 one: TLS 1.2 is off. */
    static const uint8_t tls13_only[] = {3, 0x13, 0x01, 0x13, 0x02, 0x13,
                                         0x04, 3, 0, 29, 0, 23, 0, 24};
    const uint16_t tls12[] = {0xc02b};
    static const uint8_t chacha[] = {1, 0x13, 0x03, 1, 0, 29};
    static const uint8_t twice[] = {2, 0x13, 0x01, 0x13, 0x01, 1, 0, 29};
    static const uint8_t no_group[] = {1, 0x13, 0x01, 0};
    static const uint8_t x448[] = {1, 0x13, 0x01, 1, 0, 30};
    static const uint8_t trailing[] = {1, 0x13, 0x01, 1, 0, 29, 0};
    const uint16_t aes128[] = {0x1301}, aes256[] = {0x1302};
    const uint16_t p256[] = {23}, x25519[] = {29};
    struct wc_tls_session *s;

    locked_device(6);
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_OK);
    s = &comp.tls[resp[0]];
    CHECK(s->n_suites == 7 && s->n_groups == 3);
    tls_close();

    CHECK(admin(WD_ADMIN_OP_POLICY_SET, narrow, sizeof(narrow)) ==
          WD_STATUS_OK);
    CHECK(call(WD_CMD_ADMIN_STATUS, NULL, 0) == WD_STATUS_OK);
    CHECK(resp_len == WD_ASTAT_FIXED_LEN + sizeof(narrow));
    CHECK(memcmp(resp + WD_ASTAT_POLICY, narrow, sizeof(narrow)) == 0);

    /* The host's default offer is the stored policy... */
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_OK);
    s = &comp.tls[resp[0]];
    CHECK(s->n_suites == 1 && s->suites[0] == 0x1302);
    CHECK(s->n_groups == 2 && s->groups[0] == 29 && s->groups[1] == 24);
    tls_close();
    /* ...a host may narrow it further, never reach past it. */
    CHECK(tls_open(aes256, 1, x25519, 1) == WD_STATUS_OK);
    tls_close();
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    CHECK(tls_open(aes128, 1, NULL, 0) == WD_STATUS_POLICY);
    CHECK(tls_open(NULL, 0, p256, 1) == WD_STATUS_POLICY);
    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);

    /* Outside what the firmware knows, or malformed: refused. */
    make(&admin_key, WD_ADMIN_OP_POLICY_SET, SERIAL, ++next_counter, chacha,
         sizeof(chacha));
    REFUSED(WD_STATUS_POLICY);
    make(&admin_key, WD_ADMIN_OP_POLICY_SET, SERIAL, ++next_counter, twice,
         sizeof(twice));
    REFUSED(WD_STATUS_POLICY);
    make(&admin_key, WD_ADMIN_OP_POLICY_SET, SERIAL, ++next_counter, no_group,
         sizeof(no_group));
    REFUSED(WD_STATUS_POLICY);
    make(&admin_key, WD_ADMIN_OP_POLICY_SET, SERIAL, ++next_counter, x448,
         sizeof(x448));
    REFUSED(WD_STATUS_POLICY);
    make(&admin_key, WD_ADMIN_OP_POLICY_SET, SERIAL, ++next_counter, trailing,
         sizeof(trailing));
    REFUSED(WD_STATUS_POLICY);

    /* A policy without TLS 1.2 suites: the offer is TLS 1.3 only. */
    CHECK(admin(WD_ADMIN_OP_POLICY_SET, tls13_only, sizeof(tls13_only)) ==
          WD_STATUS_OK);
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_OK);
    s = &comp.tls[resp[0]];
    CHECK(s->n_suites == 3 && s->suites[0] == 0x1301 &&
          s->suites[1] == 0x1302 && s->suites[2] == 0x1304);
    tls_close();
    CHECK(tls_open(tls12, 1, NULL, 0) == WD_STATUS_POLICY);

    /* Widened again, to the whole built-in policy and no further. */
    CHECK(admin(WD_ADMIN_OP_POLICY_SET, wide, sizeof(wide)) == WD_STATUS_OK);
    CHECK(tls_open(aes128, 1, p256, 1) == WD_STATUS_OK);
    tls_close();
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_OK);
    CHECK(comp.tls[resp[0]].n_suites == 7);
    tls_close();
}

static void
test_time_floor(void)
{
    /* 2027-01-01T00:00:00Z; 2021; past the year 9999. */
    static const uint8_t t2027[] = {0, 0, 0, 0, 0x6b, 0x36, 0xec, 0x80};
    static const uint8_t early[] = {0, 0, 0, 0, 0x60, 0, 0, 0};
    static const uint8_t too_late[] = {0x7f, 0, 0, 0, 0, 0, 0, 0};

    locked_device(7);
    CHECK(admin(WD_ADMIN_OP_TIME_FLOOR, t2027, 8) == WD_STATUS_OK);
    CHECK(status_u64(WD_ASTAT_TIME_FLOOR) == 1798761600);

    /* The host's clock at 0 counts for nothing: the floor it is. */
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_OK);
    CHECK(comp.tls[resp[0]].now == 1798761600);
    tls_close();

    /* Never back, not even to where it is. */
    make(&admin_key, WD_ADMIN_OP_TIME_FLOOR, SERIAL, ++next_counter, t2027, 8);
    REFUSED(WD_STATUS_TIME_BACKWARDS);
    make(&admin_key, WD_ADMIN_OP_TIME_FLOOR, SERIAL, ++next_counter, early, 8);
    REFUSED(WD_STATUS_TIME_BACKWARDS);
    make(&admin_key, WD_ADMIN_OP_TIME_FLOOR, SERIAL, ++next_counter, too_late,
         8);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    make(&admin_key, WD_ADMIN_OP_TIME_FLOOR, SERIAL, ++next_counter, t2027, 7);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    power_cycle();
    CHECK(status_u64(WD_ASTAT_TIME_FLOOR) == 1798761600);
}

/* Does hay hold needle anywhere? */
static int
contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t len)
{
    size_t i;

    for (i = 0; i + len <= n; i++) {
        if (memcmp(hay + i, needle, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A new device key and its CSR; then its certificate, also signed in. */
static void
test_key_rotation(void)
{
    static uint8_t payload[2 + 4096];
    uint8_t old[WC_POINT_MAX], now[WC_POINT_MAX], name[128];
    size_t old_len, now_len, name_len, n;

    locked_device(8);
    old_len = public_key(WD_KEY_DEVICE, old);
    name_len = wt_name("device-rotated", name, sizeof(name));
    payload[0] = WD_CURVE_P256;
    memcpy(payload + 1, name, name_len);

    /* A bad subject changes nothing. */
    make(&admin_key, WD_ADMIN_OP_KEY_ROTATE, SERIAL, ++next_counter, payload,
         1 + name_len - 1);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    payload[0] = 25;
    make(&admin_key, WD_ADMIN_OP_KEY_ROTATE, SERIAL, ++next_counter, payload,
         1 + name_len);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    payload[0] = WD_CURVE_P256;

    /* The new key signs its request: that needs a verified boot. */
    CHECK(admin(WD_ADMIN_OP_KEY_ROTATE, payload, 1 + name_len) ==
          WD_STATUS_KEY_LOCKED);
    now_len = public_key(WD_KEY_DEVICE, now);
    CHECK(now_len == old_len && memcmp(now, old, old_len) == 0);
    boot();
    CHECK(admin(WD_ADMIN_OP_KEY_ROTATE, payload, 1 + name_len) == WD_STATUS_OK);
    /* The response is a CSR (a SEQUENCE) naming the subject given. */
    CHECK(resp_len > 100 && resp[0] == 0x30);
    CHECK(contains(resp, resp_len, name, name_len));
    now_len = public_key(WD_KEY_DEVICE, now);
    CHECK(now_len == old_len && memcmp(now, old, old_len) != 0);
    read_inventory();
    CHECK(inventory[WD_INV_DEVICE_CHAIN] == 0);
    CHECK(inventory[WD_INV_ATTEST_CERT] == 1);

    /* The certificate for the new key comes back as a signed update. */
    payload[0] = WD_CERT_DEVICE;
    payload[1] = 0;
    n = certify(WD_KEY_DEVICE, payload + 2, sizeof(payload) - 2);
    CHECK(admin(WD_ADMIN_OP_CERT_INSTALL, payload, 2 + n) == WD_STATUS_OK);
    read_inventory();
    CHECK(inventory[WD_INV_DEVICE_CHAIN] == 1);

    /* Not for the attestation slot, and not for another key. */
    payload[0] = WD_CERT_ATTESTATION;
    make(&admin_key, WD_ADMIN_OP_CERT_INSTALL, SERIAL, ++next_counter, payload,
         2 + n);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
}

static void
test_decommission(void)
{
    static const uint8_t zeros[WC_STORE_SLOT_SIZE];
    const uint8_t *rec;
    size_t len, image_end;
    unsigned lifecycle;
    uint8_t slot = WD_KEY_DEVICE;

    locked_device(9);
    CHECK(wc_store_get(&comp.store, WC_REC_DEVICE_KEY, &rec, &len) == WC_OK);
    make(&admin_key, WD_ADMIN_OP_DECOMMISSION, SERIAL, 1, "x", 1);
    REFUSED(WD_STATUS_BAD_PAYLOAD);
    make(&stranger_key, WD_ADMIN_OP_DECOMMISSION, SERIAL, 1, NULL, 0);
    REFUSED(WD_STATUS_BAD_SIGNATURE);

    CHECK(admin(WD_ADMIN_OP_DECOMMISSION, NULL, 0) == WD_STATUS_OK);
    power_cycle();
    CHECK(call(WD_CMD_GET_INFO, NULL, 0) == WD_STATUS_OK);
    lifecycle = resp[WD_INFO_LIFECYCLE];
    CHECK(lifecycle == WD_LIFECYCLE_DECOMMISSIONED);
    read_inventory();
    CHECK(inventory[WD_INV_DEVICE_KEY] == 0);
    CHECK(inventory[WD_INV_ATTEST_KEY] == 0);
    CHECK(inventory[WD_INV_DEVICE_CHAIN] == 0);
    CHECK(wc_store_get(&comp.store, WC_REC_DEVICE_KEY, &rec, &len) ==
          WC_NOT_FOUND);
    CHECK(wc_store_get(&comp.store, WC_REC_ATTEST_KEY, &rec, &len) ==
          WC_NOT_FOUND);
    /* No older image with the (encrypted) keys is left in either slot. */
    CHECK(memcmp(mp.storage + (comp.store.current ^ 1u) * WC_STORE_SLOT_SIZE,
                 zeros, WC_STORE_SLOT_SIZE) == 0);
    image_end = WC_STORE_HEADER_LEN + comp.store.data_used + WC_STORE_MAC_LEN;
    CHECK(
        memcmp(mp.storage + comp.store.current * WC_STORE_SLOT_SIZE + image_end,
               zeros, WC_STORE_SLOT_SIZE - image_end) == 0);

    /* Nothing uses a key any more, and nothing brings one back. */
    CHECK(call(WD_CMD_KEY_PUBLIC, &slot, 1) == WD_STATUS_NOT_ALLOWED);
    CHECK(tls_open(NULL, 0, NULL, 0) == WD_STATUS_NOT_ALLOWED);
    make(&admin_key, WD_ADMIN_OP_KEY_ROTATE, SERIAL, 2, "\x17\x30\x00", 3);
    REFUSED(WD_STATUS_NOT_ALLOWED);
    CHECK(call(WD_CMD_KEY_GENERATE, "\x01\x17", 2) == WD_STATUS_NOT_ALLOWED);
    CHECK(status_u64(WD_ASTAT_COUNTER) == 1);
}

/*
 * Correctly signed updates whose payloads are damaged: the signature
 * vouches for the bytes, not for their sense, so each operation's own
 * parser meets them. Empty, short, cut-off and overlong certificates,
 * lengths one either side of the fixed ones, and seeded random bytes,
 * for every operation and a few unknown ones. A refusal leaves storage
 * byte for byte and the counter as it was; an update that happens to
 * make sense (a time floor) may pass. The companion keeps serving.
 */
static void
test_signed_garbage(void)
{
    static uint8_t cert[2048], payload[2048 + 64];
    static const unsigned ops[] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 255};
    uint64_t rng = 0x6761726261676521ULL, counter;
    size_t cert_len, lens[12], len;
    unsigned i, j, k;
    enum wd_status got;

    locked_device(77);
    boot();
    cert_len = wt_ca_cert(&stranger_ca, cert, sizeof(cert));
    CHECK(cert_len > 100);
    lens[0] = 0;
    lens[1] = 1;
    lens[2] = 2;
    lens[3] = 7;
    lens[4] = 9;
    lens[5] = 31;
    lens[6] = 33;
    lens[7] = 32 + cert_len / 2;
    lens[8] = 32 + cert_len - 1;
    lens[9] = 32 + cert_len + 1;
    lens[10] = 2 + cert_len + 1;
    lens[11] = 300;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
            for (k = 0; k < 3; k++) {
                len = lens[j];
                /* 0: a certificate at either offset; then random bytes. */
                if (k == 0) {
                    memset(payload, 0, sizeof(payload));
                    payload[0] = WD_CERT_DEVICE;
                    payload[1] = (uint8_t)j;
                    memcpy(payload + (j % 2 ? 2 : 32), cert, cert_len);
                } else {
                    size_t b;

                    for (b = 0; b < len; b++) {
                        rng = rng * 6364136223846793005ULL +
                              1442695040888963407ULL;
                        payload[b] = (uint8_t)(rng >> 56);
                    }
                    if (k == 2) {
                        payload[0] = WD_CERT_DEVICE; /* past the first test */
                    }
                }
                if (ops[i] == WD_ADMIN_OP_DECOMMISSION && len == 0) {
                    continue; /* the one well-formed decommission */
                }
                counter = status_u64(WD_ASTAT_COUNTER);
                memcpy(snapshot, mp.storage, sizeof(snapshot));
                make(&admin_key, ops[i], SERIAL, counter + 1, payload, len);
                got = apply();
                if (got == WD_STATUS_OK) {
                    CHECK(ops[i] == WD_ADMIN_OP_TIME_FLOOR);
                    CHECK(status_u64(WD_ASTAT_COUNTER) == counter + 1);
                } else {
                    CHECK(memcmp(snapshot, mp.storage, sizeof(snapshot)) == 0);
                    CHECK(status_u64(WD_ASTAT_COUNTER) == counter);
                }
                CHECK(call(WD_CMD_GET_INFO, NULL, 0) == WD_STATUS_OK);
                CHECK(resp[4] == WD_LIFECYCLE_OPERATIONAL);
            }
        }
    }
}

int
main(void)
{
    wt_ca_init(&device_ca, "Warden Test Root", 100);
    wt_ca_init(&admin_ca, "Warden Test Admin", 200);
    wt_ca_init(&stranger_ca, "Someone Else", 300);
    signer_from(&admin_key, &admin_ca);
    signer_from(&stranger_key, &stranger_ca);

    test_only_when_operational();
    test_roots();
    test_refusals();
    test_power_cut();
    test_policy();
    test_time_floor();
    test_key_rotation();
    test_decommission();
    test_signed_garbage();
    wc_companion_wipe(&comp);
    tk_admin_key_wipe(&admin_key);
    tk_admin_key_wipe(&stranger_key);
    return wt_finish("test_admin");
}
