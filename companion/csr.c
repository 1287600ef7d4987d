/* PKCS#10 requests; see csr.h. */
#include "csr.h"

#include <string.h>

#include "der.h"
#include "der_write.h"
#include "keys.h"
#include "x509.h"

static const uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce,
                                            0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce,
                                   0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce,
                                           0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_ecdsa_sha384[] = {0x2a, 0x86, 0x48, 0xce,
                                           0x3d, 0x04, 0x03, 0x03};

/* Room for the request body: subject, key and a few headers. */
#define INFO_MAX (WC_CSR_SUBJECT_MAX + 256)

void
wc_csr_write_spki(struct wc_derw *w, unsigned curve, const uint8_t *point,
                  size_t len)
{
    static const uint8_t no_unused_bits = 0;
    size_t spki = wc_derw_len(w);
    size_t mark;

    mark = wc_derw_len(w);
    wc_derw_bytes(w, point, len);
    wc_derw_bytes(w, &no_unused_bits, 1);
    wc_derw_wrap(w, WC_DER_BIT_STRING, mark);

    mark = wc_derw_len(w);
    if (curve == WD_CURVE_P384) {
        wc_derw_elem(w, WC_DER_OID, oid_p384, sizeof(oid_p384));
    } else {
        wc_derw_elem(w, WC_DER_OID, oid_p256, sizeof(oid_p256));
    }
    wc_derw_elem(w, WC_DER_OID, oid_ec_public_key, sizeof(oid_ec_public_key));
    wc_derw_wrap(w, WC_DER_SEQUENCE, mark);
    wc_derw_wrap(w, WC_DER_SEQUENCE, spki);
}

enum wd_status
wc_csr_create(const struct wc_companion *c, unsigned slot,
              const uint8_t *subject, size_t subject_len, uint8_t *out,
              size_t cap, size_t *out_len)
{
    static const uint8_t version0 = 0;
    static const uint8_t no_unused_bits = 0;
    uint8_t info_buf[INFO_MAX];
    uint8_t sig[WC_SIG_DER_MAX];
    struct wc_derw info, w;
    const uint8_t *point;
    size_t point_len, sig_len, mark;
    unsigned curve;
    enum wd_status status;

    *out_len = 0;
    if (subject_len > WC_CSR_SUBJECT_MAX ||
        wc_x509_name_check(subject, subject_len) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_key_public(c, slot, &curve, &point, &point_len);
    if (status != WD_STATUS_OK) {
        return status;
    }

    /* RFC 2986 4.1: version 0, subject, key, attributes [0] (none). */
    wc_derw_init(&info, info_buf, sizeof(info_buf));
    wc_derw_bytes(&info, "\xa0\x00", 2);
    wc_csr_write_spki(&info, curve, point, point_len);
    wc_derw_bytes(&info, subject, subject_len);
    wc_derw_elem(&info, WC_DER_INTEGER, &version0, 1);
    wc_derw_wrap(&info, WC_DER_SEQUENCE, 0);
    if (info.err) {
        return WD_STATUS_BAD_PAYLOAD;
    }

    status = wc_key_sign(c, slot, wc_derw_data(&info), wc_derw_len(&info),
                         sig, &sig_len);
    if (status != WD_STATUS_OK) {
        return status;
    }

    /* RFC 2986 4.2: info, algorithm, signature. */
    wc_derw_init(&w, out, cap);
    mark = wc_derw_len(&w);
    wc_derw_bytes(&w, sig, sig_len);
    wc_derw_bytes(&w, &no_unused_bits, 1);
    wc_derw_wrap(&w, WC_DER_BIT_STRING, mark);
    mark = wc_derw_len(&w);
    /* RFC 5758 3.2: the ECDSA algorithms take no parameters. */
    if (curve == WD_CURVE_P384) {
        wc_derw_elem(&w, WC_DER_OID, oid_ecdsa_sha384,
                     sizeof(oid_ecdsa_sha384));
    } else {
        wc_derw_elem(&w, WC_DER_OID, oid_ecdsa_sha256,
                     sizeof(oid_ecdsa_sha256));
    }
    wc_derw_wrap(&w, WC_DER_SEQUENCE, mark);
    wc_derw_bytes(&w, wc_derw_data(&info), wc_derw_len(&info));
    wc_derw_wrap(&w, WC_DER_SEQUENCE, 0);
    if (w.err) {
        return WD_STATUS_INTERNAL;
    }
    *out_len = wc_derw_len(&w);
    memmove(out, wc_derw_data(&w), *out_len);
    return WD_STATUS_OK;
}
