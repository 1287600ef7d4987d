/* Test certificate issuer; see certgen.h. */
#include "certgen.h"

#include <stdio.h>
#include <string.h>

#include "csr.h"
#include "der.h"
#include "der_write.h"
#include "wd_boot.h"
#include "wd_proto.h"

static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce,
                                           0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_basic_constraints[] = {0x55, 0x1d, 0x13};
/* A private, non-critical extension for padding (1.3.6.1.4.1.99999.1). */
static const uint8_t oid_pad[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                  0x86, 0x8d, 0x1f, 0x01};

void
wt_ca_init(struct wt_ca *ca, const char *cn, uint64_t seed)
{
    br_hmac_drbg_context rng;
    br_ec_public_key pk;

    memset(ca, 0, sizeof(*ca));
    snprintf(ca->cn, sizeof(ca->cn), "%s", cn);
    br_hmac_drbg_init(&rng, &br_sha256_vtable, &seed, sizeof(seed));
    br_ec_keygen(&rng.vtable, br_ec_get_default(), &ca->sk, ca->sk_buf,
                 BR_EC_secp256r1);
    ca->pub_len = br_ec_compute_pub(br_ec_get_default(), &pk, ca->pub,
                                    &ca->sk);
}

static void
write_name(struct wc_derw *w, const char *cn)
{
    size_t name = wc_derw_len(w), set, atv;

    set = wc_derw_len(w);
    atv = wc_derw_len(w);
    wc_derw_elem(w, WC_DER_UTF8_STRING, cn, strlen(cn));
    wc_derw_elem(w, WC_DER_OID, oid_cn, sizeof(oid_cn));
    wc_derw_wrap(w, WC_DER_SEQUENCE, atv);
    wc_derw_wrap(w, WC_DER_SET, set);
    wc_derw_wrap(w, WC_DER_SEQUENCE, name);
}

size_t
wt_name(const char *cn, uint8_t *out, size_t cap)
{
    struct wc_derw w;

    wc_derw_init(&w, out, cap);
    write_name(&w, cn);
    if (w.err) {
        return 0;
    }
    memmove(out, wc_derw_data(&w), wc_derw_len(&w));
    return wc_derw_len(&w);
}

static void
write_sig_alg(struct wc_derw *w)
{
    size_t mark = wc_derw_len(w);

    wc_derw_elem(w, WC_DER_OID, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
    wc_derw_wrap(w, WC_DER_SEQUENCE, mark);
}

static void
write_extensions(struct wc_derw *w, const struct wt_cert_opts *o)
{
    static uint8_t pad[4096];
    static const uint8_t true_byte = 0xff;
    size_t exts = wc_derw_len(w), ext, val;

    if (o->pad > 0) {
        ext = wc_derw_len(w);
        val = wc_derw_len(w);
        wc_derw_elem(w, WC_DER_OCTET_STRING, pad, o->pad);
        wc_derw_wrap(w, WC_DER_OCTET_STRING, val);
        wc_derw_elem(w, WC_DER_OID, oid_pad, sizeof(oid_pad));
        wc_derw_wrap(w, WC_DER_SEQUENCE, ext);
    }
    ext = wc_derw_len(w);
    val = wc_derw_len(w);
    if (o->is_ca) {
        wc_derw_elem(w, WC_DER_BOOLEAN, &true_byte, 1);
    }
    wc_derw_wrap(w, WC_DER_SEQUENCE, val);
    wc_derw_wrap(w, WC_DER_OCTET_STRING, val);
    wc_derw_elem(w, WC_DER_BOOLEAN, &true_byte, 1);
    wc_derw_elem(w, WC_DER_OID, oid_basic_constraints,
                 sizeof(oid_basic_constraints));
    wc_derw_wrap(w, WC_DER_SEQUENCE, ext);
    wc_derw_wrap(w, WC_DER_SEQUENCE, exts);
    wc_derw_wrap(w, WC_DER_CONTEXT_CONS(3), exts);
}

size_t
wt_cert_make(const struct wt_ca *ca, const struct wt_cert_opts *o,
             uint8_t *out, size_t cap)
{
    static const uint8_t version3 = 2;
    static const char not_before[] = "250101000000Z";
    static const char not_after[] = "491231235959Z";
    static uint8_t tbs_buf[8192];
    uint8_t serial[8], digest[32], sig[128];
    struct wc_derw tbs, w;
    br_sha256_context sha;
    size_t mark, sig_len, i;

    /* Serial from the subject: distinct certificates, stable bytes. */
    memset(serial, 0, sizeof(serial));
    for (i = 0; o->cn[i]; i++) {
        serial[i % 8] = (uint8_t)(serial[i % 8] * 31 + o->cn[i]);
    }
    serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01);

    wc_derw_init(&tbs, tbs_buf, sizeof(tbs_buf));
    write_extensions(&tbs, o);
    wc_csr_write_spki(&tbs, o->curve, o->point, o->point_len);
    write_name(&tbs, o->cn);
    mark = wc_derw_len(&tbs);
    wc_derw_elem(&tbs, WC_DER_UTC_TIME, not_after, 13);
    wc_derw_elem(&tbs, WC_DER_UTC_TIME, not_before, 13);
    wc_derw_wrap(&tbs, WC_DER_SEQUENCE, mark);
    write_name(&tbs, ca->cn);
    write_sig_alg(&tbs);
    wc_derw_elem(&tbs, WC_DER_INTEGER, serial, sizeof(serial));
    mark = wc_derw_len(&tbs);
    wc_derw_elem(&tbs, WC_DER_INTEGER, &version3, 1);
    wc_derw_wrap(&tbs, WC_DER_CONTEXT_CONS(0), mark);
    wc_derw_wrap(&tbs, WC_DER_SEQUENCE, 0);
    if (tbs.err) {
        return 0;
    }

    br_sha256_init(&sha);
    br_sha256_update(&sha, wc_derw_data(&tbs), wc_derw_len(&tbs));
    br_sha256_out(&sha, digest);
    sig_len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), &br_sha256_vtable,
                                     digest, &ca->sk, sig);

    wc_derw_init(&w, out, cap);
    mark = wc_derw_len(&w);
    wc_derw_bytes(&w, sig, sig_len);
    wc_derw_bytes(&w, "", 1);
    wc_derw_wrap(&w, WC_DER_BIT_STRING, mark);
    write_sig_alg(&w);
    wc_derw_bytes(&w, wc_derw_data(&tbs), wc_derw_len(&tbs));
    wc_derw_wrap(&w, WC_DER_SEQUENCE, 0);
    if (w.err || sig_len == 0) {
        return 0;
    }
    memmove(out, wc_derw_data(&w), wc_derw_len(&w));
    return wc_derw_len(&w);
}

size_t
wt_ca_cert(const struct wt_ca *ca, uint8_t *out, size_t cap)
{
    struct wt_cert_opts o;

    memset(&o, 0, sizeof(o));
    o.cn = ca->cn;
    o.curve = WD_CURVE_P256;
    o.point = ca->pub;
    o.point_len = ca->pub_len;
    o.is_ca = 1;
    return wt_cert_make(ca, &o, out, cap);
}

size_t
wt_ca_spki(const struct wt_ca *ca, uint8_t *out, size_t cap)
{
    struct wc_derw w;

    wc_derw_init(&w, out, cap);
    wc_csr_write_spki(&w, WD_CURVE_P256, ca->pub, ca->pub_len);
    if (w.err) {
        return 0;
    }
    memmove(out, wc_derw_data(&w), wc_derw_len(&w));
    return wc_derw_len(&w);
}

size_t
wt_ca_sign_boot(const struct wt_ca *ca, const uint8_t measurement[32],
                uint32_t version, uint8_t *sig)
{
    uint8_t form[WD_BOOT_SIGNED_LEN], digest[32];
    br_sha256_context h;

    wd_boot_signed_form(measurement, version, form);
    br_sha256_init(&h);
    br_sha256_update(&h, form, sizeof(form));
    br_sha256_out(&h, digest);
    return br_ecdsa_i31_sign_asn1(br_ec_get_default(), &br_sha256_vtable,
                                  digest, &ca->sk, sig);
}
