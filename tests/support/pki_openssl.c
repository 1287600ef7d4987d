/* OpenSSL-based PKI helpers for tests; see pki_openssl.h. */
#include "pki_openssl.h"

#include <stdio.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

static FILE *
open_in(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        _exit(2);
    }
    return f;
}

X509 *
wt_pki_load_cert(const char *dir, const char *name)
{
    FILE *f = open_in(dir, name);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);

    fclose(f);
    return x;
}

EVP_PKEY *
wt_pki_load_key(const char *dir, const char *name)
{
    FILE *f = open_in(dir, name);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);

    fclose(f);
    return k;
}

size_t
wt_pki_der(X509 *x, uint8_t *out)
{
    unsigned char *p = out;

    return (size_t)i2d_X509(x, &p);
}

void
wt_pki_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *e;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

size_t
wt_pki_sign_csr(const char *dir, const uint8_t *csr, size_t len, long serial,
                uint8_t *out)
{
    const unsigned char *p = csr;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    X509 *ica = wt_pki_load_cert(dir, "intermediate.pem");
    EVP_PKEY *ica_key = wt_pki_load_key(dir, "intermediate.key");
    X509 *x = X509_new();
    EVP_PKEY *pub = X509_REQ_get_pubkey(req);
    size_t n;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_issuer_name(x, X509_get_subject_name(ica));
    X509_set_subject_name(x, X509_REQ_get_subject_name(req));
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
    X509_set_pubkey(x, pub);
    wt_pki_add_ext(x, ica, NID_basic_constraints, "critical,CA:FALSE");
    wt_pki_add_ext(x, ica, NID_key_usage, "critical,digitalSignature");
    wt_pki_add_ext(x, ica, NID_ext_key_usage, "clientAuth");
    wt_pki_add_ext(x, ica, NID_subject_key_identifier, "hash");
    wt_pki_add_ext(x, ica, NID_authority_key_identifier, "keyid");
    X509_sign(x, ica_key, EVP_sha256());
    n = wt_pki_der(x, out);
    X509_free(x);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(ica_key);
    X509_free(ica);
    X509_REQ_free(req);
    return n;
}
