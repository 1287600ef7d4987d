/*
 * Wycheproof vectors through the code Warden runs:
 *   - ECDH key shares (companion/ecdhe.c) for P-256, P-384 and X25519;
 *   - ECDSA signature checks as the validator and the handshake make them
 *     (companion/verify.c, strict DER);
 *   - HKDF and HMAC with SHA-256 and SHA-384 through the TLS 1.3 key
 *     schedule's own primitives (companion/tls13_schedule.c);
 *   - AES-GCM and AES-CCM through the host record layer's AEAD
 *     (host/record.c), on hardware AES/GHASH where there is some and on
 *     BearSSL's portable code, both.
 * Every "valid" case must pass and every "invalid" one must be refused;
 * "acceptable" cases are decided as shared/testdata/README.md says and
 * counted apart. A case whose parameters the entry point cannot take (an
 * IV, tag or key size no TLS suite uses) is "not applicable", counted
 * with its reason, and the entry point must refuse those parameters.
 * docs/wycheproof.md has the results and the reasons.
 *
 *   wycheproof DIR     (the folder holding the Wycheproof JSON files)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ecdhe.h"
#include "record.h"
#include "tls13_schedule.h"
#include "verify.h"
#include "wc_wipe.h"
#include "x509.h"

/* Why a case is not applicable; counted per file. */
enum na_reason {
    NA_P1363,
    NA_AES192,
    NA_CCM256,
    NA_IV,
    NA_CCM_TAG,
    NA_COUNT
};

static const char *const na_text[NA_COUNT] = {
    "raw r||s (P1363) signatures: TLS and X.509 carry DER, and no "
    "companion entry point takes r||s",
    "AES-192: no TLS suite uses it",
    "AES-256-CCM: the only CCM suite allowed is TLS_AES_128_CCM_SHA256",
    "nonce not 96 bits: TLS record nonces are 12 bytes (RFC 8446 5.3)",
    "tag not 128 bits: the policy has no CCM_8 or other short-tag suite",
};

/*
 * Per file: applied cases by the file's result, those not applicable by
 * reason, and disagreements.
 */
struct tally {
    unsigned valid, invalid, acceptable;
    unsigned na, fail;
    unsigned na_by[NA_COUNT];
};

static int
unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s), i;

    if (n % 2 != 0 || n / 2 > cap) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        unsigned v;

        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

/* Counts an applied case under the result the file gives it. */
static void
count_result(struct tally *t, json_t *tc)
{
    const char *result = str(tc, "result");

    if (strcmp(result, "acceptable") == 0) {
        t->acceptable++;
    } else if (strcmp(result, "valid") == 0) {
        t->valid++;
    } else {
        t->invalid++;
    }
}

static void
record(struct tally *t, const char *file, json_t *tc, int accepted,
       int acceptable_ok)
{
    const char *result = str(tc, "result");
    int want;

    count_result(t, tc);
    if (strcmp(result, "acceptable") == 0) {
        want = acceptable_ok;
    } else {
        want = strcmp(result, "valid") == 0;
    }
    if (accepted != want) {
        t->fail++;
        printf("FAIL %s tcId %d (%s, %s): %s\n", file,
               (int)json_integer_value(json_object_get(tc, "tcId")), result,
               str(tc, "comment"), accepted ? "accepted" : "refused");
    }
}

static void
not_applicable(struct tally *t, enum na_reason why)
{
    t->na++;
    t->na_by[why]++;
}

static int
tc_id(json_t *tc)
{
    return (int)json_integer_value(json_object_get(tc, "tcId"));
}

/* A disagreement that is not about accepting: wrong output, say. */
static void
fail_case(struct tally *t, const char *file, json_t *tc, const char *what)
{
    t->fail++;
    printf("FAIL %s tcId %d (%s): %s\n", file, tc_id(tc), str(tc, "comment"),
           what);
}

static json_t *
load(const char *dir, const char *name, struct tally *t)
{
    char path[1024];
    json_error_t err;
    json_t *root;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    root = json_load_file(path, 0, &err);
    if (root == NULL) {
        printf("FAIL cannot read %s: %s\n", path, err.text);
        t->fail++;
    }
    return root;
}

static int
zeros(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

static uint16_t
group_of(const char *curve)
{
    if (strcmp(curve, "secp256r1") == 0) {
        return WC_GROUP_SECP256R1;
    }
    if (strcmp(curve, "secp384r1") == 0) {
        return WC_GROUP_SECP384R1;
    }
    if (strcmp(curve, "curve25519") == 0) {
        return WC_GROUP_X25519;
    }
    return 0;
}

/*
 * ECDH: the private scalar is a BigInt (a leading 00 may precede it) to
 * left-pad; X25519 keys are raw. Acceptable cases: compressed points are
 * refused (TLS sends uncompressed), and X25519's all-zero outputs too.
 */
static void
run_ecdh(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    size_t g, k;

    if (root == NULL) {
        return;
    }
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *grp = json_array_get(groups, g);
        json_t *tests = json_object_get(grp, "tests");
        uint16_t group = group_of(str(grp, "curve"));

        for (k = 0; k < json_array_size(tests); k++) {
            json_t *tc = json_array_get(tests, k);
            uint8_t pub[256], priv[80], want[64], got[64], padded[48];
            size_t pub_len, priv_len, want_len, got_len = 0, size;
            const uint8_t *scalar = priv;
            int ok;

            if (unhex(str(tc, "public"), pub, sizeof(pub), &pub_len) != 0 ||
                unhex(str(tc, "private"), priv, sizeof(priv), &priv_len) !=
                    0 ||
                unhex(str(tc, "shared"), want, sizeof(want), &want_len) !=
                    0) {
                record(t, name, tc, 0, 0);
                continue;
            }
            if (group != WC_GROUP_X25519) {
                size = group == WC_GROUP_SECP256R1 ? 32 : 48;
                while (priv_len > size && scalar[0] == 0) {
                    scalar++;
                    priv_len--;
                }
                if (priv_len <= size) {
                    memset(padded, 0, size);
                    memcpy(padded + size - priv_len, scalar, priv_len);
                    scalar = padded;
                    priv_len = size;
                }
            }
            ok = wc_ecdhe_compute(group, scalar, priv_len, pub, pub_len, got,
                                  &got_len) == 0;
            /*
             * Accepted means: agreed, and on the expected secret. An
             * acceptable X25519 case should pass unless its output is all
             * zeros; acceptable NIST cases (compressed points) should not.
             */
            record(t, name, tc,
                   ok && got_len == want_len &&
                       memcmp(got, want, want_len) == 0,
                   group == WC_GROUP_X25519 && !zeros(want, want_len));
            if (ok && strcmp(str(tc, "result"), "invalid") != 0 &&
                (got_len != want_len || memcmp(got, want, want_len) != 0)) {
                fail_case(t, name, tc, "wrong shared secret");
            }
        }
    }
    json_decref(root);
}

/* Builds the SubjectPublicKeyInfo parse the validator would make. */
static int
key_from_der(const char *hex, struct wc_pubkey *key, uint8_t *buf,
             size_t cap)
{
    size_t len;

    return unhex(hex, buf, cap, &len) == 0 &&
                   wc_x509_parse_spki(key, buf, len) == 0
               ? 0
               : -1;
}

static enum wc_sig_alg
alg_of(const char *sha)
{
    if (strcmp(sha, "SHA-256") == 0) {
        return WC_SIG_ECDSA_SHA256;
    }
    if (strcmp(sha, "SHA-384") == 0) {
        return WC_SIG_ECDSA_SHA384;
    }
    if (strcmp(sha, "SHA-512") == 0) {
        return WC_SIG_ECDSA_SHA512;
    }
    return WC_SIG_UNKNOWN;
}

static void
run_ecdsa(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    size_t g, k;

    if (root == NULL) {
        return;
    }
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *grp = json_array_get(groups, g);
        json_t *tests = json_object_get(grp, "tests");
        enum wc_sig_alg alg = alg_of(str(grp, "sha"));
        uint8_t key_buf[256];
        struct wc_pubkey key;

        if (key_from_der(str(grp, "publicKeyDer"), &key, key_buf,
                         sizeof(key_buf)) != 0) {
            printf("FAIL %s group %zu: key not readable\n", name, g);
            t->fail++;
            continue;
        }
        for (k = 0; k < json_array_size(tests); k++) {
            json_t *tc = json_array_get(tests, k);
            static uint8_t msg[8192], sig[1024];
            size_t msg_len, sig_len;
            int ok;

            ok = unhex(str(tc, "msg"), msg, sizeof(msg), &msg_len) == 0 &&
                 unhex(str(tc, "sig"), sig, sizeof(sig), &sig_len) == 0 &&
                 wc_verify_signature(&key, alg, msg, msg_len, sig,
                                     sig_len) == WC_VERIFY_OK;
            /* No "acceptable" ECDSA DER cases are expected to pass. */
            record(t, name, tc, ok, 0);
        }
    }
    json_decref(root);
}

/*
 * P1363 files: counted, not run. Every server and certificate signature
 * Warden checks is DER (TLS CertificateVerify and ServerKeyExchange,
 * X.509), and the DER files above already reach the raw r||s check
 * behind the strict DER decoder. A raw entry point would be code that
 * only this test calls.
 */
static void
run_p1363(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    size_t g, k;

    if (root == NULL) {
        return;
    }
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *tests = json_object_get(json_array_get(groups, g), "tests");

        for (k = 0; k < json_array_size(tests); k++) {
            not_applicable(t, NA_P1363);
        }
    }
    json_decref(root);
}

static const br_hash_class *
hash_of(const char *algorithm)
{
    if (strstr(algorithm, "384") != NULL) {
        return &br_sha384_vtable;
    }
    return &br_sha256_vtable;
}

/*
 * HKDF: Extract, then Expand with the file's info, through the key
 * schedule's own functions (HKDF-Expand-Label is that Expand with a
 * structured info). Invalid cases ask for more than 255 hash lengths.
 */
static void
run_hkdf(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    const br_hash_class *h;
    size_t g, k, hash_len;

    if (root == NULL) {
        return;
    }
    h = hash_of(str(root, "algorithm"));
    hash_len = h == &br_sha384_vtable ? br_sha384_SIZE : br_sha256_SIZE;
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *tests = json_object_get(json_array_get(groups, g), "tests");

        for (k = 0; k < json_array_size(tests); k++) {
            json_t *tc = json_array_get(tests, k);
            static uint8_t ikm[256], salt[256], info[256];
            static uint8_t okm[255 * WC_TLS13_HASH_MAX + 64];
            static uint8_t out[sizeof(okm)];
            uint8_t prk[WC_TLS13_HASH_MAX];
            size_t ikm_len, salt_len, info_len, okm_len;
            size_t size = (size_t)json_integer_value(json_object_get(tc,
                                                                     "size"));
            int ok, valid = strcmp(str(tc, "result"), "valid") == 0;

            if (unhex(str(tc, "ikm"), ikm, sizeof(ikm), &ikm_len) != 0 ||
                unhex(str(tc, "salt"), salt, sizeof(salt), &salt_len) != 0 ||
                unhex(str(tc, "info"), info, sizeof(info), &info_len) != 0 ||
                unhex(str(tc, "okm"), okm, sizeof(okm), &okm_len) != 0 ||
                size > sizeof(out)) {
                fail_case(t, name, tc, "does not fit the harness");
                continue;
            }
            ok = wc_tls13_hkdf_extract(h, salt, salt_len, ikm, ikm_len,
                                       prk) == WC_TLS13_OK &&
                 wc_tls13_hkdf_expand(h, prk, hash_len, info, info_len, out,
                                      size) == WC_TLS13_OK;
            if (ok && valid &&
                (okm_len != size || memcmp(out, okm, size) != 0)) {
                count_result(t, tc);
                fail_case(t, name, tc, "wrong output keying material");
                continue;
            }
            record(t, name, tc, ok, 0);
        }
    }
    json_decref(root);
}

/*
 * HMAC through the schedule's HMAC (every Extract and Finished MAC runs
 * it), the tag compared in constant time as the server's Finished is.
 * Truncated tags (tagSize below the hash length) compare the leftmost
 * bytes: TLS never truncates, but the MAC under test is the same.
 */
static void
run_hmac(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    const br_hash_class *h;
    size_t g, k;

    if (root == NULL) {
        return;
    }
    h = hash_of(str(root, "algorithm"));
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *grp = json_array_get(groups, g);
        json_t *tests = json_object_get(grp, "tests");
        size_t tag_size =
            (size_t)json_integer_value(json_object_get(grp, "tagSize")) / 8;

        for (k = 0; k < json_array_size(tests); k++) {
            json_t *tc = json_array_get(tests, k);
            static uint8_t key[256], msg[1024];
            uint8_t tag[WC_TLS13_HASH_MAX], mac[WC_TLS13_HASH_MAX];
            size_t key_len, msg_len, tag_len;
            int ok;

            if (unhex(str(tc, "key"), key, sizeof(key), &key_len) != 0 ||
                unhex(str(tc, "msg"), msg, sizeof(msg), &msg_len) != 0 ||
                unhex(str(tc, "tag"), tag, sizeof(tag), &tag_len) != 0) {
                fail_case(t, name, tc, "does not fit the harness");
                continue;
            }
            ok = wc_tls13_hmac(h, key, key_len, msg, msg_len, mac) ==
                     WC_TLS13_OK &&
                 tag_len == tag_size && tag_len > 0 &&
                 wc_memeq_ct(mac, tag, tag_len) == 0;
            record(t, name, tc, ok, 0);
        }
    }
    json_decref(root);
}

/* What one AEAD case did on one implementation. */
enum aead_outcome {
    AEAD_REFUSED_PARAMETERS,
    AEAD_ACCEPTED,
    AEAD_REJECTED,
    AEAD_BROKEN /* wrong output, or plaintext out of a failed open */
};

struct aead_case {
    uint8_t key[32], iv[512], aad[1024], msg[1024], ct[1024], tag[64];
    size_t key_len, iv_len, aad_len, msg_len, ct_len, tag_len;
};

/* The suite a key is for; a wrong length is left for init to refuse. */
static unsigned
suite_for(int ccm, size_t key_len)
{
    if (ccm) {
        return WARDEN_TLS_AES_128_CCM_SHA256;
    }
    return key_len == 32 ? WARDEN_TLS_AES_256_GCM_SHA384
                         : WARDEN_TLS_AES_128_GCM_SHA256;
}

static int
all_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }
    return 1;
}

/*
 * Seals msg (a valid case must give ct and tag) and opens ct with the
 * file's tag (a valid case must give msg back; a failed open must leave
 * no plaintext). Refused parameters must leave the data untouched.
 */
static enum aead_outcome
aead_once(const struct aead_case *c, int ccm, int portable, int valid,
          const char **why)
{
    static uint8_t buf[1024];
    struct warden_rec_aead d;
    uint8_t tag[64];
    enum aead_outcome res;
    int rc;

    memset(&d, 0, sizeof(d));
    if (warden_rec_aead_init(&d, suite_for(ccm, c->key_len), portable, c->key,
                             c->key_len) != WARDEN_REC_OK) {
        return AEAD_REFUSED_PARAMETERS;
    }

    memcpy(buf, c->msg, c->msg_len);
    rc = warden_rec_aead_seal(&d, c->iv, c->iv_len, c->aad, c->aad_len, buf,
                              c->msg_len, tag, c->tag_len);
    if (rc == WARDEN_REC_ARGUMENT) {
        res = AEAD_REFUSED_PARAMETERS;
        if (memcmp(buf, c->msg, c->msg_len) != 0) {
            *why = "refused parameters but changed the data";
            res = AEAD_BROKEN;
        }
        goto done;
    }
    if (valid && (rc != WARDEN_REC_OK || c->ct_len != c->msg_len ||
                  memcmp(buf, c->ct, c->ct_len) != 0 ||
                  memcmp(tag, c->tag, c->tag_len) != 0)) {
        *why = "sealing gave another ciphertext or tag";
        res = AEAD_BROKEN;
        goto done;
    }

    memcpy(buf, c->ct, c->ct_len);
    rc = warden_rec_aead_open(&d, c->iv, c->iv_len, c->aad, c->aad_len, buf,
                              c->ct_len, c->tag, c->tag_len);
    if (rc == WARDEN_REC_OK) {
        res = AEAD_ACCEPTED;
        if (c->ct_len != c->msg_len || memcmp(buf, c->msg, c->msg_len) != 0) {
            *why = "opening gave another plaintext";
            res = AEAD_BROKEN;
        }
    } else {
        res = AEAD_REJECTED;
        if (rc != WARDEN_REC_BAD_RECORD_MAC || !all_zero(buf, c->ct_len)) {
            *why = "a failed open left plaintext or gave an odd result";
            res = AEAD_BROKEN;
        }
    }

done:
    memset(&d, 0, sizeof(d));
    return res;
}

/*
 * Why the record layer cannot take a group's parameters, or NA_COUNT
 * when it must take them: a 96-bit nonce, a 128-bit tag and a key of a
 * suite in the policy.
 */
static enum na_reason
aead_na(int ccm, unsigned key_bits, unsigned iv_bits, unsigned tag_bits)
{
    if (key_bits == 192) {
        return NA_AES192;
    }
    if (ccm && key_bits == 256) {
        return NA_CCM256;
    }
    if (iv_bits != 96) {
        return NA_IV;
    }
    if (tag_bits != 128) {
        return NA_CCM_TAG;
    }
    return NA_COUNT;
}

static int
aead_case_read(json_t *tc, struct aead_case *c)
{
    return unhex(str(tc, "key"), c->key, sizeof(c->key), &c->key_len) ||
           unhex(str(tc, "iv"), c->iv, sizeof(c->iv), &c->iv_len) ||
           unhex(str(tc, "aad"), c->aad, sizeof(c->aad), &c->aad_len) ||
           unhex(str(tc, "msg"), c->msg, sizeof(c->msg), &c->msg_len) ||
           unhex(str(tc, "ct"), c->ct, sizeof(c->ct), &c->ct_len) ||
           unhex(str(tc, "tag"), c->tag, sizeof(c->tag), &c->tag_len)
               ? -1
               : 0;
}

/* One AEAD case on both implementations, decided and counted. */
static void
aead_decide(struct tally *t, const char *name, json_t *tc, int ccm,
            enum na_reason na)
{
    static struct aead_case c;
    enum aead_outcome res[2];
    const char *why = "";
    int valid = strcmp(str(tc, "result"), "valid") == 0, p;

    if (aead_case_read(tc, &c) != 0) {
        fail_case(t, name, tc, "does not fit the harness");
        return;
    }
    for (p = 0; p < 2; p++) {
        res[p] = aead_once(&c, ccm, p, valid, &why);
    }
    if (res[0] != res[1] || res[0] == AEAD_BROKEN) {
        count_result(t, tc);
        fail_case(t, name, tc,
                  res[0] != res[1] ? "hardware and portable AES disagree"
                                   : why);
        return;
    }
    if (res[0] == AEAD_REFUSED_PARAMETERS) {
        if (na == NA_COUNT) {
            count_result(t, tc);
            fail_case(t, name, tc, "TLS parameters refused");
        } else if (na == NA_AES192 || na == NA_CCM256 || valid) {
            not_applicable(t, na);
        } else {
            /* An invalid nonce or tag size, refused as the file asks. */
            record(t, name, tc, 0, 0);
        }
        return;
    }
    if (na != NA_COUNT) {
        count_result(t, tc);
        fail_case(t, name, tc, "parameters outside TLS were taken");
        return;
    }
    record(t, name, tc, res[0] == AEAD_ACCEPTED, 0);
}

static void
run_aead(const char *dir, const char *name, struct tally *t)
{
    json_t *root = load(dir, name, t), *groups;
    size_t g, k;
    int ccm;

    if (root == NULL) {
        return;
    }
    ccm = strcmp(str(root, "algorithm"), "AES-CCM") == 0;
    groups = json_object_get(root, "testGroups");
    for (g = 0; g < json_array_size(groups); g++) {
        json_t *grp = json_array_get(groups, g);
        json_t *tests = json_object_get(grp, "tests");
        enum na_reason na = aead_na(
            ccm, (unsigned)json_integer_value(json_object_get(grp, "keySize")),
            (unsigned)json_integer_value(json_object_get(grp, "ivSize")),
            (unsigned)json_integer_value(json_object_get(grp, "tagSize")));

        for (k = 0; k < json_array_size(tests); k++) {
            aead_decide(t, name, json_array_get(tests, k), ccm, na);
        }
    }
    json_decref(root);
}

/* The files, each with the runner for the entry point it goes through. */
static const struct {
    const char *name;
    void (*run)(const char *dir, const char *name, struct tally *t);
} files[] = {
    {"ecdh_secp256r1_ecpoint_test.json", run_ecdh},
    {"ecdh_secp384r1_ecpoint_test.json", run_ecdh},
    {"x25519_test.json", run_ecdh},
    {"ecdsa_secp256r1_sha256_test.json", run_ecdsa},
    {"ecdsa_secp384r1_sha256_test.json", run_ecdsa},
    {"ecdsa_secp384r1_sha384_test.json", run_ecdsa},
    {"ecdsa_secp256r1_sha256_p1363_test.json", run_p1363},
    {"ecdsa_secp384r1_sha384_p1363_test.json", run_p1363},
    {"hkdf_sha256_test.json", run_hkdf},
    {"hkdf_sha384_test.json", run_hkdf},
    {"hmac_sha256_test.json", run_hmac},
    {"hmac_sha384_test.json", run_hmac},
    {"aes_gcm_test.json", run_aead},
    {"aes_ccm_test.json", run_aead},
};

int
main(int argc, char **argv)
{
    struct tally all;
    size_t i, r;

    if (argc != 2) {
        fprintf(stderr, "usage: wycheproof DIR\n");
        return 2;
    }
    memset(&all, 0, sizeof(all));
    printf("%-40s %7s %5s %7s %10s %4s %6s\n", "file", "applied", "valid",
           "invalid", "acceptable", "n/a", "failed");
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct tally one;

        memset(&one, 0, sizeof(one));
        files[i].run(argv[1], files[i].name, &one);
        printf("%-40s %7u %5u %7u %10u %4u %6u\n", files[i].name,
               one.valid + one.invalid + one.acceptable, one.valid,
               one.invalid, one.acceptable, one.na, one.fail);
        for (r = 0; r < NA_COUNT; r++) {
            if (one.na_by[r] > 0) {
                printf("    %u not applicable: %s\n", one.na_by[r],
                       na_text[r]);
            }
            all.na_by[r] += one.na_by[r];
        }
        all.valid += one.valid;
        all.invalid += one.invalid;
        all.acceptable += one.acceptable;
        all.na += one.na;
        all.fail += one.fail;
    }
    printf("wycheproof: %u applied (%u valid, %u invalid, %u acceptable), "
           "%u not applicable, %u failed\n",
           all.valid + all.invalid + all.acceptable, all.valid, all.invalid,
           all.acceptable, all.na, all.fail);
    return all.fail == 0 ? 0 : 1;
}
