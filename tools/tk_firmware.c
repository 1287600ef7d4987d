/* Firmware signatures and attestation checks; see tk_firmware.h. */
#include "tk_firmware.h"

#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "wd_boot.h"

/* Days from 0000-01-01 to 1970-01-01, as br_x509_minimal counts. */
#define DAYS_TO_EPOCH 719528

static int
hash_file(const char *path, uint8_t out[32], struct tk_err *e)
{
    br_sha256_context h;
    uint8_t *data = NULL;
    size_t len = 0;

    br_sha256_init(&h);
    if (path != NULL) {
        if (tk_read_file(path, 16L * 1024 * 1024, &data, &len, e) != 0) {
            return -1;
        }
        br_sha256_update(&h, data, len);
        free(data);
    }
    br_sha256_out(&h, out);
    return 0;
}

int
tk_measure_files(const char *image, const char *config,
                 uint8_t out[WARDEN_MEASUREMENT_LEN], struct tk_err *e)
{
    uint8_t image_hash[32], config_hash[32];

    if (hash_file(image, image_hash, e) != 0 ||
        hash_file(config, config_hash, e) != 0) {
        return -1;
    }
    wd_boot_measurement(image_hash, config_hash, out);
    return 0;
}

/* The EC private key of a PEM file, decoded into dec. */
static int
read_ec_key(const char *path, br_skey_decoder_context *dec, struct tk_err *e)
{
    static const char *const labels[] = {"PRIVATE KEY", "EC PRIVATE KEY"};
    struct tk_blobs blobs;
    unsigned i;
    int err;

    for (i = 0; i < 2; i++) {
        memset(&blobs, 0, sizeof(blobs));
        if (tk_pem_read_file(path, labels[i], &blobs, e) != 0) {
            return -1;
        }
        if (blobs.count > 0) {
            break;
        }
    }
    if (blobs.count != 1) {
        tk_blobs_free(&blobs);
        return tk_fail(e, "%s: want one PEM private key", path);
    }
    br_skey_decoder_init(dec);
    br_skey_decoder_push(dec, blobs.item[0].data, blobs.item[0].len);
    tk_blobs_free(&blobs);
    err = br_skey_decoder_last_error(dec);
    if (err != 0 || br_skey_decoder_key_type(dec) != BR_KEYTYPE_EC) {
        return tk_fail(e, "%s: not an EC private key", path);
    }
    return 0;
}

int
tk_firmware_sign(const char *key_path, uint32_t version,
                 const uint8_t measurement[WARDEN_MEASUREMENT_LEN],
                 uint8_t *out, size_t *out_len, struct tk_err *e)
{
    uint8_t msg[WD_BOOT_SIGNED_LEN];
    uint8_t digest[48];
    br_skey_decoder_context dec;
    const br_ec_private_key *sk;
    const br_hash_class *hash;
    br_hash_compat_context hc;
    size_t sig_len;
    int rc = -1;

    if (read_ec_key(key_path, &dec, e) != 0) {
        goto out;
    }
    sk = br_skey_decoder_get_ec(&dec);
    if (sk->curve == BR_EC_secp256r1) {
        hash = &br_sha256_vtable;
    } else if (sk->curve == BR_EC_secp384r1) {
        hash = &br_sha384_vtable;
    } else {
        tk_fail(e, "%s: the key must be on P-256 or P-384", key_path);
        goto out;
    }
    wd_boot_signed_form(measurement, version, msg);
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, msg, sizeof(msg));
    hash->out(&hc.vtable, digest);
    sig_len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), hash, digest, sk,
                                     out + 10);
    if (sig_len == 0 || sig_len > WARDEN_FIRMWARE_SIG_MAX) {
        tk_fail(e, "%s: signing failed", key_path);
        goto out;
    }
    memcpy(out, "WSIG", 4);
    out[4] = 1;
    wd_put32(out + 5, version);
    out[9] = (uint8_t)sig_len;
    *out_len = 10 + sig_len;
    rc = 0;
out:
    tk_wipe(&dec, sizeof(dec));
    tk_wipe(&hc, sizeof(hc));
    tk_wipe(digest, sizeof(digest));
    return rc;
}

/* The DN and key of a CA certificate, for br_x509_minimal. */
struct anchor_store {
    br_x509_trust_anchor ta[8];
    uint8_t dn[8][1024];
    size_t dn_len[8];
    uint8_t point[8][BR_EC_KBUF_PUB_MAX_SIZE];
    size_t count;
};

static void
append_dn(void *ctx, const void *buf, size_t len)
{
    struct anchor_store *s = ctx;
    size_t i = s->count;

    if (s->dn_len[i] + len <= sizeof(s->dn[i])) {
        memcpy(s->dn[i] + s->dn_len[i], buf, len);
    }
    s->dn_len[i] += len;
}

static int
add_anchor(struct anchor_store *s, const uint8_t *der, size_t len,
           struct tk_err *e)
{
    br_x509_decoder_context dec;
    const br_x509_pkey *pk;
    br_x509_trust_anchor *ta;

    if (s->count == 8) {
        return tk_fail(e, "more than 8 CA certificates");
    }
    s->dn_len[s->count] = 0;
    br_x509_decoder_init(&dec, append_dn, s);
    br_x509_decoder_push(&dec, der, len);
    pk = br_x509_decoder_get_pkey(&dec);
    if (pk == NULL || br_x509_decoder_last_error(&dec) != 0 ||
        s->dn_len[s->count] > sizeof(s->dn[0])) {
        return tk_fail(e, "a CA certificate cannot be read");
    }
    if (pk->key_type != BR_KEYTYPE_EC ||
        pk->key.ec.qlen > sizeof(s->point[0])) {
        return tk_fail(e, "a CA certificate has no EC key");
    }
    ta = &s->ta[s->count];
    memcpy(s->point[s->count], pk->key.ec.q, pk->key.ec.qlen);
    ta->dn.data = s->dn[s->count];
    ta->dn.len = s->dn_len[s->count];
    ta->flags = br_x509_decoder_isCA(&dec) ? BR_X509_TA_CA : 0;
    ta->pkey.key_type = BR_KEYTYPE_EC;
    ta->pkey.key.ec.curve = pk->key.ec.curve;
    ta->pkey.key.ec.q = s->point[s->count];
    ta->pkey.key.ec.qlen = pk->key.ec.qlen;
    s->count++;
    return 0;
}

int
tk_attest_verify(const struct warden_attestation *a,
                 const uint8_t *challenge, size_t challenge_len,
                 const uint8_t *cert, size_t cert_len,
                 const struct tk_blobs *chain, const struct tk_blobs *anchors,
                 int64_t now, struct tk_err *e)
{
    static struct anchor_store store;
    br_x509_minimal_context xc;
    const br_x509_class **vt = &xc.vtable;
    const br_x509_pkey *pk;
    const br_hash_class *hash;
    br_hash_compat_context hc;
    uint8_t digest[48];
    unsigned err, usages;
    size_t i;

    if (a->challenge_len != challenge_len ||
        memcmp(a->challenge, challenge, challenge_len) != 0) {
        return tk_fail(e, "the statement does not answer this challenge");
    }
    memset(&store, 0, sizeof(store));
    for (i = 0; i < anchors->count; i++) {
        if (add_anchor(&store, anchors->item[i].data, anchors->item[i].len,
                       e) != 0) {
            return -1;
        }
    }
    br_x509_minimal_init(&xc, &br_sha256_vtable, store.ta, store.count);
    br_x509_minimal_set_hash(&xc, br_sha256_ID, &br_sha256_vtable);
    br_x509_minimal_set_hash(&xc, br_sha384_ID, &br_sha384_vtable);
    br_x509_minimal_set_ecdsa(&xc, br_ec_get_default(),
                              br_ecdsa_i31_vrfy_asn1);
    br_x509_minimal_set_time(&xc, (uint32_t)(now / 86400 + DAYS_TO_EPOCH),
                             (uint32_t)(now % 86400));
    (*vt)->start_chain(vt, NULL);
    (*vt)->start_cert(vt, (uint32_t)cert_len);
    (*vt)->append(vt, cert, cert_len);
    (*vt)->end_cert(vt);
    for (i = 0; chain != NULL && i < chain->count; i++) {
        (*vt)->start_cert(vt, (uint32_t)chain->item[i].len);
        (*vt)->append(vt, chain->item[i].data, chain->item[i].len);
        (*vt)->end_cert(vt);
    }
    err = (*vt)->end_chain(vt);
    if (err != BR_ERR_OK) {
        return tk_fail(e, "the attestation certificate does not chain to "
                          "the CA (BearSSL X.509 error %u)",
                       err);
    }
    pk = (*vt)->get_pkey(vt, &usages);
    if (pk == NULL || pk->key_type != BR_KEYTYPE_EC ||
        (usages & BR_KEYTYPE_SIGN) == 0) {
        return tk_fail(e, "the attestation certificate's key cannot sign");
    }
    hash = pk->key.ec.curve == BR_EC_secp384r1 ? &br_sha384_vtable
                                               : &br_sha256_vtable;
    hash->init(&hc.vtable);
    hash->update(&hc.vtable, a->statement, a->statement_len);
    hash->out(&hc.vtable, digest);
    if (br_ecdsa_i31_vrfy_asn1(br_ec_get_default(), digest,
                               (hash->desc >> BR_HASHDESC_OUT_OFF) &
                                   BR_HASHDESC_OUT_MASK,
                               &pk->key.ec, a->sig, a->sig_len) != 1) {
        return tk_fail(e, "the statement's signature does not verify with "
                          "the attestation certificate's key");
    }
    return 0;
}
