/*
 * Admin-signed update files (protocol/wd_admin.h): the admin private
 * key read from its PEM file, an update built and signed with BearSSL,
 * and an update file read back for `warden admin apply`.
 */
#include <stdlib.h>
#include <string.h>

#include "toolkit.h"
#include "wd_admin.h"
#include "wd_proto.h"

/* Largest file an admin key may be. */
#define KEY_FILE_MAX 16384

void
tk_admin_key_wipe(struct tk_admin_key *k)
{
    tk_wipe(k, sizeof(*k));
}

/* Decodes one SEC1 or PKCS#8 private key into k. */
static int
decode_key(const uint8_t *der, size_t len, const char *path,
           struct tk_admin_key *k, struct tk_err *e)
{
    br_skey_decoder_context dc;
    const br_ec_private_key *sk;
    int ret = -1;

    br_skey_decoder_init(&dc);
    br_skey_decoder_push(&dc, der, len);
    if (br_skey_decoder_last_error(&dc) != 0) {
        tk_fail(e,
                "%s: not a private key that can be read (BearSSL error "
                "%d)",
                path, br_skey_decoder_last_error(&dc));
        goto out;
    }
    if (br_skey_decoder_key_type(&dc) != BR_KEYTYPE_EC) {
        tk_fail(e,
                "%s: not an EC private key: the admin key is EC P-256 or "
                "P-384",
                path);
        goto out;
    }
    sk = br_skey_decoder_get_ec(&dc);
    if ((sk->curve != BR_EC_secp256r1 && sk->curve != BR_EC_secp384r1) ||
        sk->xlen > sizeof(k->x)) {
        tk_fail(e, "%s: EC key on curve %d: the admin key is P-256 or P-384",
                path, sk->curve);
        goto out;
    }
    memcpy(k->x, sk->x, sk->xlen);
    k->sk.curve = sk->curve;
    k->sk.x = k->x;
    k->sk.xlen = sk->xlen;
    ret = 0;
out:
    tk_wipe(&dc, sizeof(dc));
    return ret;
}

int
tk_admin_key_read(const char *path, struct tk_admin_key *k, struct tk_err *e)
{
    static const char *const labels[] = {"EC PRIVATE KEY", "PRIVATE KEY"};
    struct tk_blobs blobs;
    uint8_t *text;
    size_t len, i;
    int ret = -1;

    memset(k, 0, sizeof(*k));
    if (tk_read_file(path, KEY_FILE_MAX, &text, &len, e) != 0) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        if (tk_pem_decode(text, len, labels[i], path, &blobs, NULL) == 0) {
            break;
        }
    }
    if (i == 2) {
        tk_fail(e, "%s: no EC PRIVATE KEY or PRIVATE KEY block (PEM or DER)",
                path);
    } else if (blobs.count != 1) {
        tk_fail(e, "%s: %zu private keys: give a file with one", path,
                blobs.count);
        tk_blobs_free(&blobs);
    } else {
        ret = decode_key(blobs.item[0].data, blobs.item[0].len, path, k, e);
        tk_blobs_free(&blobs);
    }
    tk_wipe(text, len);
    free(text);
    return ret;
}

/* Hashes WD_ADMIN_CONTEXT and the signed part as the companion does. */
static void
update_digest(int curve, const uint8_t *body, size_t len, uint8_t out[48],
              const br_hash_class **hash)
{
    br_hash_compat_context hc;

    *hash = curve == BR_EC_secp384r1 ? &br_sha384_vtable : &br_sha256_vtable;
    (*hash)->init(&hc.vtable);
    (*hash)->update(&hc.vtable, WD_ADMIN_CONTEXT, WD_ADMIN_CONTEXT_LEN);
    (*hash)->update(&hc.vtable, body, len);
    (*hash)->out(&hc.vtable, out);
}

int
tk_update_make(const struct tk_admin_key *k, unsigned op, const char *serial,
               uint64_t counter, const uint8_t *payload, size_t payload_len,
               uint8_t *out, size_t cap, size_t *out_len, struct tk_err *e)
{
    const br_hash_class *hash;
    uint8_t digest[48];
    size_t serial_len = serial != NULL ? strlen(serial) : 0;
    size_t off, sig_len, i;

    *out_len = 0;
    if (serial_len == 0 || serial_len > WD_SERIAL_MAX) {
        return tk_fail(e, "serial '%s': 1 to %d characters", serial,
                       WD_SERIAL_MAX);
    }
    for (i = 0; i < serial_len; i++) {
        if (serial[i] < 0x21 || serial[i] > 0x7e) {
            return tk_fail(e, "serial '%s': printable ASCII without spaces",
                           serial);
        }
    }
    if (counter == 0) {
        return tk_fail(e, "counter 0: counters start at 1");
    }
    if (payload_len > 0xffff ||
        WD_ADMIN_FIXED_LEN + serial_len + payload_len + WD_ADMIN_SIG_MAX >
            cap) {
        return tk_fail(e,
                       "update of %zu payload bytes is too large for the "
                       "companion (%d bytes in all)",
                       payload_len, WD_MAX_MESSAGE);
    }

    memcpy(out, WD_ADMIN_MAGIC, WD_ADMIN_MAGIC_LEN);
    out[4] = k->sk.curve == BR_EC_secp384r1 ? WD_ADMIN_SIG_ECDSA_P384_SHA384
                                            : WD_ADMIN_SIG_ECDSA_P256_SHA256;
    out[5] = (uint8_t)op;
    out[6] = (uint8_t)serial_len;
    memcpy(out + 7, serial, serial_len);
    off = 7 + serial_len;
    wd_put64(out + off, counter);
    wd_put16(out + off + 8, (uint16_t)payload_len);
    off += 10;
    if (payload_len > 0) {
        memcpy(out + off, payload, payload_len);
    }
    off += payload_len;

    /* BearSSL signs deterministically (RFC 6979): no randomness needed. */
    update_digest(k->sk.curve, out, off, digest, &hash);
    sig_len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), hash, digest, &k->sk,
                                     out + off + 2);
    tk_wipe(digest, sizeof(digest));
    if (sig_len == 0) {
        return tk_fail(e, "signing with the admin key failed");
    }
    wd_put16(out + off, (uint16_t)sig_len);
    *out_len = off + 2 + sig_len;
    return 0;
}

int
tk_update_parse(const uint8_t *buf, size_t len, const char *source,
                struct tk_update *u, struct tk_err *e)
{
    size_t off, serial_len;

    memset(u, 0, sizeof(*u));
    if (len < WD_ADMIN_FIXED_LEN ||
        memcmp(buf, WD_ADMIN_MAGIC, WD_ADMIN_MAGIC_LEN) != 0) {
        return tk_fail(e,
                       "%s: not a warden admin update (it does not start "
                       "with \"%s\")",
                       source, WD_ADMIN_MAGIC);
    }
    if (len > WD_MAX_MESSAGE) {
        return tk_fail(e, "%s: %zu bytes: an update is at most %d", source, len,
                       WD_MAX_MESSAGE);
    }
    u->alg = buf[4];
    u->op = buf[5];
    serial_len = buf[6];
    if (serial_len == 0 || serial_len > WD_SERIAL_MAX ||
        len < WD_ADMIN_FIXED_LEN + serial_len) {
        return tk_fail(e, "%s: serial length %zu: damaged or truncated", source,
                       serial_len);
    }
    /*
     * What tk_update_make allows and a companion stores. The serial is
     * printed (show, refusals): control bytes would reach the terminal,
     * and a NUL would show a shorter serial than the one signed.
     */
    for (off = 0; off < serial_len; off++) {
        if (buf[7 + off] < 0x21 || buf[7 + off] > 0x7e) {
            return tk_fail(e,
                           "%s: serial has byte 0x%02x at %zu: not printable "
                           "ASCII, so not a serial number",
                           source, buf[7 + off], off);
        }
    }
    memcpy(u->serial, buf + 7, serial_len);
    u->serial[serial_len] = '\0';
    off = 7 + serial_len;
    u->counter = wd_get64(buf + off);
    u->payload_len = wd_get16(buf + off + 8);
    off += 10;
    if (len - off < u->payload_len + 2) {
        return tk_fail(e,
                       "%s: payload of %zu bytes runs past the end: "
                       "truncated",
                       source, u->payload_len);
    }
    u->payload = buf + off;
    off += u->payload_len;
    u->sig_len = wd_get16(buf + off);
    off += 2;
    if (u->sig_len == 0 || u->sig_len > WD_ADMIN_SIG_MAX ||
        len - off != u->sig_len) {
        return tk_fail(e,
                       "%s: signature of %zu bytes where %zu remain: "
                       "damaged or truncated",
                       source, u->sig_len, len - off);
    }
    if (tk_update_op_name(u->op) == NULL) {
        return tk_fail(e, "%s: unknown operation %u", source, u->op);
    }
    return 0;
}

const char *
tk_update_op_name(unsigned op)
{
    switch (op) {
#define WD_X(name, code, summary)                                              \
    case code:                                                                 \
        return summary;
        WD_ADMIN_OP_LIST(WD_X)
#undef WD_X
    }
    return NULL;
}
