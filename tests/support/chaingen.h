/*
 * Generated certificate chains for the differential test of the chain
 * validator (tests/test_x509_differential.c): a well-formed chain, then
 * one mutation of a named class, all decided by a seed.
 *
 * Test code only. Keys and signatures come from BearSSL with a seeded
 * HMAC-DRBG and RFC 6979 ECDSA, so the same seed gives the same bytes;
 * OpenSSL's libcrypto writes the TBSCertificate (its extension syntax
 * is the convenient part).
 */
#ifndef WT_CHAINGEN_H
#define WT_CHAINGEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* The validation time of every case: 2026-06-09T10:13:20Z. */
#define WT_GEN_NOW ((int64_t)1781000000)

#define WT_GEN_CERTS_MAX 8
#define WT_GEN_DER_MAX 4096

/* One generated certificate as presented (maybe mutated) bytes. */
struct wt_gen_cert {
    uint8_t der[WT_GEN_DER_MAX];
    size_t len;
    X509 *x; /* the clean certificate; issues the ones below it */
};

/* One case: what to trust, what the server sends, the name it is for. */
struct wt_gen_case {
    const char *klass; /* mutation class, see chaingen.c */
    char detail[96];   /* the variant picked, for messages */
    char peer[64];
    int64_t now;
    unsigned anchor[4];
    unsigned anchor_count;
    unsigned chain[WT_GEN_CERTS_MAX]; /* leaf first */
    unsigned chain_count;
    struct wt_gen_cert cert[WT_GEN_CERTS_MAX];
    unsigned cert_count;
    int flipped; /* the certificate a byte mutation hit, or -1 */
};

/* Creates the key pool for a run (slow for RSA: once). 0 or -1. */
int wt_gen_init(uint64_t seed);
void wt_gen_free(void);

/* Number of mutation classes and the name of class i. */
unsigned wt_gen_class_count(void);
const char *wt_gen_class_name(unsigned i);

/*
 * Makes case number index of the run (classes take turns, some more
 * often; the rest comes from the seed and index). 0 or -1.
 */
int wt_gen_case(struct wt_gen_case *c, uint64_t seed, unsigned long index);

/* Frees the OpenSSL objects of a case. */
void wt_gen_case_free(struct wt_gen_case *c);

#endif
