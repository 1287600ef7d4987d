/*
 * Test helpers on OpenSSL's libcrypto (test code only, never product):
 * reading the dev PKI's files and playing the factory CA that signs the
 * companion's certificate requests.
 */
#ifndef WT_PKI_OPENSSL_H
#define WT_PKI_OPENSSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* dir/name as PEM; a missing file ends the test process (exit 2). */
X509 *wt_pki_load_cert(const char *dir, const char *name);
EVP_PKEY *wt_pki_load_key(const char *dir, const char *name);

/* DER of x into out (large enough); returns its length. */
size_t wt_pki_der(X509 *x, uint8_t *out);

/* Adds an extension in openssl.cnf syntax, issuer giving the AKI. */
void wt_pki_add_ext(X509 *x, X509 *issuer, int nid, const char *value);

/*
 * dir's intermediate CA signs a CSR as a device certificate (clientAuth,
 * 30 days) with the given serial; DER into out. Returns its length.
 */
size_t wt_pki_sign_csr(const char *dir, const uint8_t *csr, size_t len,
                       long serial, uint8_t *out);

#endif
