/*
 * The chain validator's signature cache (companion/verify.h): a warm
 * cache must never change a verdict. Each check validates the dev PKI's
 * server chain once to fill the cache, then presents something that must
 * still be refused, and the reason must be the one a cold validator
 * gives.
 */
/* timegm() */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "pki_openssl.h"
#include "verify.h"

#define DER_MAX 4096

static struct wc_verify_work work;

struct chain {
    uint8_t leaf[DER_MAX], inter[DER_MAX], root[DER_MAX];
    size_t leaf_len, inter_len, root_len;
};

static size_t
load(const char *dir, const char *name, uint8_t *out)
{
    X509 *x = wt_pki_load_cert(dir, name);
    size_t n = wt_pki_der(x, out);

    X509_free(x);
    return n;
}

/* Leaf 30 days from the dev PKI's start: a time inside every validity. */
static int64_t
valid_time(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    int64_t t = 0;
    struct tm tm;

    if (x != NULL && ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1) {
        t = (int64_t)timegm(&tm) + 86400;
    }
    X509_free(x);
    return t;
}

static int
validate(const struct chain *c, const uint8_t *leaf, size_t leaf_len,
         const uint8_t *root, size_t root_len, const char *name,
         int64_t now, struct wc_sig_cache *cache)
{
    struct wc_der_cert anchors[1], pool[2];
    struct wc_verify_input in;

    memset(&in, 0, sizeof(in));
    anchors[0].der = root;
    anchors[0].len = root_len;
    pool[0].der = leaf;
    pool[0].len = leaf_len;
    pool[1].der = c->inter;
    pool[1].len = c->inter_len;
    in.anchors = anchors;
    in.anchor_count = 1;
    in.chain = pool;
    in.chain_count = 2;
    in.now = now;
    in.peer_name = name;
    in.peer_name_len = strlen(name);
    in.sig_cache = cache;
    return wc_verify_chain(&work, &in);
}

static unsigned
entries(const struct wc_sig_cache *cache)
{
    unsigned i, n = 0;

    for (i = 0; i < WC_SIG_CACHE_ENTRIES; i++) {
        n += cache->used[i];
    }
    return n;
}

/*
 * A root with the real root's name and extensions but another key: the
 * path builder tries it, and only the signature check can refuse it.
 */
static size_t
impostor_root(const char *dir, uint8_t *out)
{
    X509 *x = wt_pki_load_cert(dir, "root.pem");
    EVP_PKEY *key = EVP_EC_gen("P-256");
    size_t n;

    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    n = wt_pki_der(x, out);
    EVP_PKEY_free(key);
    X509_free(x);
    return n;
}

/*
 * The same verdict cold (no cache) and warm (cache just filled by the
 * good chain); want < 0: whatever the cold verdict is, as long as it is
 * a refusal.
 */
static void
same_verdict(const struct chain *c, const uint8_t *leaf, size_t leaf_len,
             const uint8_t *root, size_t root_len, const char *name,
             int64_t now, int want)
{
    struct wc_sig_cache cache;

    memset(&cache, 0, sizeof(cache));
    CHECK(validate(c, c->leaf, c->leaf_len, c->root, c->root_len,
                   "localhost", valid_time(c->leaf, c->leaf_len),
                   &cache) == WC_VERIFY_OK);
    CHECK(entries(&cache) == 2);
    if (want < 0) {
        want = validate(c, leaf, leaf_len, root, root_len, name, now, NULL);
        CHECK(want != WC_VERIFY_OK);
    } else {
        CHECK(validate(c, leaf, leaf_len, root, root_len, name, now, NULL) ==
              want);
    }
    CHECK(validate(c, leaf, leaf_len, root, root_len, name, now, &cache) ==
          want);
}

int
main(int argc, char **argv)
{
    static struct chain c;
    static uint8_t bad[DER_MAX], stranger[DER_MAX];
    struct wc_sig_cache cache;
    size_t stranger_len;
    int64_t now;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PKI-DIR\n", argv[0]);
        return 2;
    }
    c.leaf_len = load(argv[1], "server.pem", c.leaf);
    c.inter_len = load(argv[1], "intermediate.pem", c.inter);
    c.root_len = load(argv[1], "root.pem", c.root);
    now = valid_time(c.leaf, c.leaf_len);
    CHECK(now > 0);

    /* Filled by a success, then hit: no entry is added the second time. */
    memset(&cache, 0, sizeof(cache));
    CHECK(validate(&c, c.leaf, c.leaf_len, c.root, c.root_len, "localhost",
                   now, &cache) == WC_VERIFY_OK);
    CHECK(entries(&cache) == 2 && cache.next == 2);
    CHECK(validate(&c, c.leaf, c.leaf_len, c.root, c.root_len, "localhost",
                   now, &cache) == WC_VERIFY_OK);
    CHECK(entries(&cache) == 2 && cache.next == 2);

    /* A changed signature or a changed signed byte: a new question. */
    memcpy(bad, c.leaf, c.leaf_len);
    bad[c.leaf_len - 1] ^= 0x01;
    same_verdict(&c, bad, c.leaf_len, c.root, c.root_len, "localhost", now,
                 WC_VERIFY_BAD_SIGNATURE);
    memcpy(bad, c.leaf, c.leaf_len);
    bad[15] ^= 0x01; /* in the serial number, inside the TBSCertificate */
    same_verdict(&c, bad, c.leaf_len, c.root, c.root_len, "localhost", now,
                 WC_VERIFY_BAD_SIGNATURE);

    /* Trust, time and names are judged every time. */
    stranger_len = impostor_root(argv[1], stranger);
    same_verdict(&c, c.leaf, c.leaf_len, stranger, stranger_len, "localhost",
                 now, -1);
    same_verdict(&c, c.leaf, c.leaf_len, c.root, c.root_len, "localhost",
                 now + 20LL * 365 * 86400, WC_VERIFY_EXPIRED);
    same_verdict(&c, c.leaf, c.leaf_len, c.root, c.root_len, "example.com",
                 now, WC_VERIFY_NAME_MISMATCH);

    /* A failure is never remembered. */
    memset(&cache, 0, sizeof(cache));
    memcpy(bad, c.leaf, c.leaf_len);
    bad[c.leaf_len - 1] ^= 0x01;
    CHECK(validate(&c, bad, c.leaf_len, c.root, c.root_len, "localhost", now,
                   &cache) == WC_VERIFY_BAD_SIGNATURE);
    /* Paths are built from the leaf up: nothing was verified, or kept. */
    CHECK(entries(&cache) == 0);
    CHECK(validate(&c, bad, c.leaf_len, c.root, c.root_len, "localhost", now,
                   &cache) == WC_VERIFY_BAD_SIGNATURE);

    return wt_finish("verify_cache");
}
