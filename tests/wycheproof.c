/*
 * Wycheproof vectors through the companion's own crypto entry points:
 * ECDH key shares (companion/ecdhe.c) for P-256, P-384 and X25519, and
 * ECDSA signature checks as the validator and the handshake make them
 * (companion/verify.c, strict DER). Every "valid" case must pass, every
 * "invalid" one must be refused; "acceptable" cases are decided as
 * tests/../shared/testdata/README.md says and counted apart.
 *
 *   wycheproof DIR     (the folder holding the Wycheproof JSON files)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ecdhe.h"
#include "verify.h"
#include "x509.h"

struct tally {
    unsigned pass, fail, acceptable;
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

static void
record(struct tally *t, const char *file, json_t *tc, int accepted,
       int acceptable_ok)
{
    const char *result = str(tc, "result");
    int want;

    if (strcmp(result, "acceptable") == 0) {
        t->acceptable++;
        want = acceptable_ok;
    } else {
        want = strcmp(result, "valid") == 0;
    }
    if (accepted == want) {
        t->pass++;
    } else {
        t->fail++;
        printf("FAIL %s tcId %d (%s, %s): %s\n", file,
               (int)json_integer_value(json_object_get(tc, "tcId")), result,
               str(tc, "comment"), accepted ? "accepted" : "refused");
    }
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
    char path[1024];
    json_error_t err;
    json_t *root, *groups;
    size_t g, k;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    root = json_load_file(path, 0, &err);
    if (root == NULL) {
        printf("FAIL cannot read %s: %s\n", path, err.text);
        t->fail++;
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
                printf("FAIL %s tcId %d: wrong shared secret\n", name,
                       (int)json_integer_value(json_object_get(tc, "tcId")));
                t->fail++;
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
    char path[1024];
    json_error_t err;
    json_t *root, *groups;
    size_t g, k;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    root = json_load_file(path, 0, &err);
    if (root == NULL) {
        printf("FAIL cannot read %s: %s\n", path, err.text);
        t->fail++;
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

int
main(int argc, char **argv)
{
    static const char *const ecdh[] = {
        "ecdh_secp256r1_ecpoint_test.json",
        "ecdh_secp384r1_ecpoint_test.json",
        "x25519_test.json",
    };
    static const char *const ecdsa[] = {
        "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp384r1_sha256_test.json",
        "ecdsa_secp384r1_sha384_test.json",
    };
    struct tally t = {0, 0, 0};
    size_t i;

    if (argc != 2) {
        fprintf(stderr, "usage: wycheproof DIR\n");
        return 2;
    }
    for (i = 0; i < sizeof(ecdh) / sizeof(ecdh[0]); i++) {
        struct tally one = {0, 0, 0};

        run_ecdh(argv[1], ecdh[i], &one);
        printf("%-36s %5u passed, %u failed (%u acceptable)\n", ecdh[i],
               one.pass, one.fail, one.acceptable);
        t.pass += one.pass;
        t.fail += one.fail;
    }
    for (i = 0; i < sizeof(ecdsa) / sizeof(ecdsa[0]); i++) {
        struct tally one = {0, 0, 0};

        run_ecdsa(argv[1], ecdsa[i], &one);
        printf("%-36s %5u passed, %u failed (%u acceptable)\n", ecdsa[i],
               one.pass, one.fail, one.acceptable);
        t.pass += one.pass;
        t.fail += one.fail;
    }
    printf("wycheproof: %u passed, %u failed\n", t.pass, t.fail);
    return t.fail == 0 ? 0 : 1;
}
