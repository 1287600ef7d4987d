/* Checks of admin-signed updates; see admin.h and wd_admin.h. */
#include "admin.h"

#include <string.h>

#include <bearssl.h>

#include "records.h"
#include "x509.h"

int
wc_admin_parse(struct wc_admin_update *u, const uint8_t *buf, size_t len)
{
    size_t off;

    memset(u, 0, sizeof(*u));
    if (len < WD_ADMIN_FIXED_LEN ||
        memcmp(buf, WD_ADMIN_MAGIC, WD_ADMIN_MAGIC_LEN) != 0) {
        return -1;
    }
    u->alg = buf[4];
    u->op = buf[5];
    u->serial_len = buf[6];
    if (u->serial_len == 0 || u->serial_len > WD_SERIAL_MAX ||
        len < WD_ADMIN_FIXED_LEN + u->serial_len) {
        return -1;
    }
    u->serial = buf + 7;
    off = 7 + u->serial_len;
    u->counter = wd_get64(buf + off);
    u->payload_len = wd_get16(buf + off + 8);
    off += 10;
    /* What is left holds the payload and the u16 signature length. */
    if (len - off < u->payload_len + 2) {
        return -1;
    }
    u->payload = buf + off;
    off += u->payload_len;
    u->signed_part = buf;
    u->signed_len = off;
    u->sig_len = wd_get16(buf + off);
    off += 2;
    /* Exactly the signature follows: no trailing bytes to smuggle. */
    if (u->sig_len == 0 || u->sig_len > WD_ADMIN_SIG_MAX ||
        len - off != u->sig_len) {
        return -1;
    }
    u->sig = buf + off;
    return 0;
}

uint64_t
wc_admin_counter(const struct wc_companion *c)
{
    const uint8_t *v;
    size_t len;

    if (wc_store_get(&c->store, WC_REC_ADMIN_COUNTER, &v, &len) != WC_OK ||
        len != 8) {
        return 0;
    }
    return wd_get64(v);
}

/* ECDSA over WD_ADMIN_CONTEXT and the signed part, with BearSSL. */
static int
signature_good(const struct wc_pubkey *key, const struct wc_admin_update *u)
{
    br_hash_compat_context hc;
    const br_hash_class *hash;
    br_ec_public_key pk;
    uint8_t digest[48];
    size_t digest_len;

    if (key->type == WC_KEY_EC_P256 &&
        u->alg == WD_ADMIN_SIG_ECDSA_P256_SHA256) {
        hash = &br_sha256_vtable;
        pk.curve = BR_EC_secp256r1;
        digest_len = 32;
    } else if (key->type == WC_KEY_EC_P384 &&
               u->alg == WD_ADMIN_SIG_ECDSA_P384_SHA384) {
        hash = &br_sha384_vtable;
        pk.curve = BR_EC_secp384r1;
        digest_len = 48;
    } else {
        /* An algorithm that does not fit the key cannot be its signature. */
        return 0;
    }
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, WD_ADMIN_CONTEXT, WD_ADMIN_CONTEXT_LEN);
    hash->update(&hc.vtable, u->signed_part, u->signed_len);
    hash->out(&hc.vtable, digest);

    /* BearSSL reads the point only; the cast drops a const it keeps. */
    pk.q = (unsigned char *)(uintptr_t)key->point;
    pk.qlen = key->point_len;
    return br_ecdsa_i31_vrfy_asn1(br_ec_get_default(), digest, digest_len, &pk,
                                  u->sig, u->sig_len) == 1;
}

enum wd_status
wc_admin_authorise(const struct wc_companion *c,
                   const struct wc_admin_update *u)
{
    struct wc_pubkey key;
    const uint8_t *spki, *serial;
    size_t spki_len, serial_len;
    uint64_t last;

    if (wc_store_get(&c->store, WC_REC_ADMIN_KEY, &spki, &spki_len) != WC_OK ||
        wc_x509_parse_spki(&key, spki, spki_len) != 0) {
        return WD_STATUS_NOT_FOUND;
    }
    /* Authenticity first: nothing about an unsigned update is reported. */
    if (!signature_good(&key, u)) {
        return WD_STATUS_BAD_SIGNATURE;
    }
    if (wc_store_get(&c->store, WC_REC_SERIAL, &serial, &serial_len) != WC_OK ||
        serial_len != u->serial_len ||
        memcmp(serial, u->serial, serial_len) != 0) {
        return WD_STATUS_WRONG_DEVICE;
    }
    last = wc_admin_counter(c);
    if (u->counter == last) {
        return WD_STATUS_REPLAYED;
    }
    if (u->counter < last) {
        return WD_STATUS_STALE;
    }
    return WD_STATUS_OK;
}
