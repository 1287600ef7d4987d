/*
 * Differential test of the chain validator: generated and mutated
 * chains (tests/support/chaingen.c) go through the companion's
 * wc_verify_chain() and through OpenSSL's X509_verify_cert() set to the
 * same profile, and the two verdicts are compared.
 *
 *   test_x509_differential [CASES] [--seed S] [--case I] [--verbose]
 *                          [--dump DIR]
 *
 * Every mutation class has a rule below: the verdict each side must
 * give, and, where the two differ, why (a profile difference). A case
 * fails when either side leaves its rule; the run fails on any such
 * case. docs/x509-differential.md explains the method and the rules.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "chaingen.h"
#include "verify.h"

#define DEFAULT_CASES 3000
#define DEFAULT_SEED 0x5741524445ULL

/*
 * What each side must say about a class: 'A' accept, 'R' refuse, '*'
 * either but the same as the other side. why says where they differ.
 * For '*' classes, why explains the one difference they may show: the
 * companion refusing, OpenSSL accepting, and the mutated certificate
 * one that the companion's parser refuses, or a CA-issued one whose
 * serial number RFC 5280 4.1.2.2 does not allow (a flip that sets the
 * top bit makes it negative).
 */
#define STRICT_DER                                                           \
    "the companion reads DER only (X.690 10-11: minimal lengths, BOOLEAN "   \
    "TRUE as 0xff...) and holds serial numbers to RFC 5280 4.1.2.2 "         \
    "(positive, at most 20 octets); OpenSSL's reader takes some BER and "    \
    "any serial, and signatures cover the bytes as sent"

struct class_rule {
    const char *klass;
    char warden;
    char openssl;
    const char *why;
};

static const struct class_rule rules[] = {
    {"valid", 'A', 'A', NULL},
    {"expired", 'R', 'R', NULL},
    {"not-yet-valid", 'R', 'R', NULL},
    {"validity-end-at-now", 'A', 'R',
     "RFC 5280 4.1.2.5: valid from notBefore through notAfter, both "
     "included; OpenSSL 3.0 counts the notAfter second as expired"},
    {"validity-end-before-now", 'R', 'R', NULL},
    {"validity-start-at-now", 'A', 'A', NULL},
    {"validity-start-after-now", 'R', 'R', NULL},
    {"ca-no-basic-constraints", 'R', 'R', NULL},
    {"ca-bc-ca-false", 'R', 'R', NULL},
    {"ca-bc-not-critical", 'R', 'R', NULL},
    {"pathlen-exceeded", 'R', 'R', NULL},
    {"pathlen-exact", 'A', 'A', NULL},
    {"leaf-bc-pathlen", 'R', 'R', NULL},
    {"leaf-is-ca", 'R', 'A',
     "CA/B Forum 7.1.2.7.8: a server certificate is not a CA; "
     "OpenSSL lets a CA certificate serve as an SSL server"},
    {"ca-ku-no-certsign", 'R', 'R', NULL},
    {"ca-no-ku", 'R', 'R', NULL},
    {"leaf-ku-encipherment-only", 'R', 'A',
     "the companion only does ECDHE with signatures, so the key must "
     "allow digitalSignature; OpenSSL also takes keyEncipherment or "
     "keyAgreement alone (RSA key transport, static DH)"},
    {"leaf-no-ku", 'A', 'A', NULL},
    {"leaf-ku-certsign", 'R', 'R', NULL},
    {"leaf-ku-crlsign", 'R', 'A',
     "CA/B Forum 7.1.2.7.11: no keyCertSign or cRLSign on a server "
     "certificate; OpenSSL strict mode refuses only keyCertSign"},
    {"leaf-eku-not-server", 'R', 'R', NULL},
    {"leaf-no-eku", 'A', 'A', NULL},
    {"leaf-eku-any-only", 'R', 'R', NULL},
    {"leaf-eku-server-and-any", 'R', 'A',
     "CA/B Forum 7.1.2.7.10: never anyExtendedKeyUsage on a server "
     "certificate; OpenSSL only looks for serverAuth"},
    {"ca-eku-not-server", 'R', 'R', NULL},
    {"ca-eku-server", 'A', 'A', NULL},
    {"ca-eku-any", 'R', 'R', NULL},
    {"san-mismatch", 'R', 'R', NULL},
    {"san-wildcard-match", 'A', 'A', NULL},
    {"san-wildcard-misuse", 'R', 'R', NULL},
    {"san-ip-forms", 'A', 'A', NULL},
    {"san-ip-vs-dns", 'R', 'R', NULL},
    {"san-absent-cn-only", 'R', 'R', NULL},
    {"san-case", 'A', 'A', NULL},
    {"nc-permitted-ok", 'A', 'A', NULL},
    {"nc-permitted-violated", 'R', 'R', NULL},
    {"nc-excluded-hit", 'R', 'R', NULL},
    {"nc-excluded-miss", 'A', 'A', NULL},
    {"nc-excluded-wildcard", 'R', 'A',
     "*.example.com can stand for the excluded bad.example.com, so "
     "the companion refuses it; OpenSSL compares the wildcard as text"},
    {"nc-other-form", 'R', 'A',
     "the companion implements dNSName and iPAddress constraints and "
     "refuses other forms rather than skip a limit; OpenSSL "
     "implements email and URI and finds the leaf inside"},
    {"chain-missing-intermediate", 'R', 'R', NULL},
    {"chain-out-of-order", 'A', 'A', NULL},
    {"chain-extra-certs", 'A', 'A', NULL},
    {"wrong-issuer-key", 'R', 'R', NULL},
    {"untrusted-root", 'R', 'R', NULL},
    {"sig-sha1", 'R', 'R', NULL},
    {"sig-sha1-root-self", 'A', 'A', NULL},
    {"sig-sha512", 'A', 'A', NULL},
    {"key-ca-rsa1024", 'R', 'R', NULL},
    {"key-ca-rsa2048", 'A', 'A', NULL},
    {"key-ca-p384", 'A', 'A', NULL},
    {"key-leaf-rsa2048", 'A', 'A', NULL},
    {"key-leaf-rsa1024", 'R', 'R', NULL},
    {"self-signed-leaf", 'R', 'R', NULL},
    {"self-signed-leaf-trusted", 'R', 'A',
     "anchors must be CAs: a server certificate installed as a root "
     "is still no CA (no leaf pinning); OpenSSL accepts a trusted "
     "self-signed leaf as a one-certificate chain"},
    {"unknown-ext-critical", 'R', 'R', NULL},
    {"unknown-ext-noncritical", 'A', 'A', NULL},
    {"v1-leaf", 'R', 'R', NULL},
    {"v1-intermediate", 'R', 'R', NULL},
    {"v1-root", 'R', 'R', NULL},
    {"ca-no-ski", 'R', 'R', NULL},
    {"missing-aki", 'R', 'R', NULL},
    {"aki-mismatch", 'R', 'R', NULL},
    {"name-bad-utf8", 'R', 'R', NULL},
    {"san-malformed-entry", 'R', 'R', NULL},
    {"ber-boolean-true", 'R', 'A', STRICT_DER},
    {"der-byte-flip", '*', '*', STRICT_DER},
    {"der-byte-flip-resigned", '*', '*', STRICT_DER},
};

#define RULE_COUNT (sizeof(rules) / sizeof(rules[0]))

struct class_stats {
    unsigned cases;
    unsigned both_accept, both_refuse;
    unsigned warden_only_refuses, openssl_only_refuses;
    unsigned explained;  /* differences that are the class's rule */
    unsigned strict_der; /* of those, in '*' classes */
    unsigned broken;     /* a side left its rule */
};

/*
 * The mutated certificate of c is outside the companion's profile: its
 * parser refuses it, or it is CA-issued with a serial RFC 5280 forbids.
 */
static int
mutated_unparsable(const struct wt_gen_case *c)
{
    static struct wc_x509 cert;
    unsigned i;

    if (c->flipped < 0) {
        return 0;
    }
    if (wc_x509_parse(&cert, c->cert[c->flipped].der,
                      c->cert[c->flipped].len) != 0) {
        return 1;
    }
    for (i = 0; i < c->anchor_count; i++) {
        if (c->anchor[i] == (unsigned)c->flipped) {
            return 0;
        }
    }
    return !wc_x509_serial_ok(&cert);
}

static struct class_stats stats[RULE_COUNT];

static const struct class_rule *
rule_for(const char *klass, unsigned *index)
{
    unsigned i;

    for (i = 0; i < RULE_COUNT; i++) {
        if (strcmp(rules[i].klass, klass) == 0) {
            *index = i;
            return &rules[i];
        }
    }
    return NULL;
}

/* The companion's verdict: 1 accepted, 0 refused, *why the reason. */
static int
warden_verdict(const struct wt_gen_case *c, int *why)
{
    static struct wc_verify_work work;
    struct wc_der_cert anchors[4], chain[WT_GEN_CERTS_MAX];
    struct wc_verify_input in;
    unsigned i;

    memset(&in, 0, sizeof(in));
    for (i = 0; i < c->anchor_count; i++) {
        anchors[i].der = c->cert[c->anchor[i]].der;
        anchors[i].len = c->cert[c->anchor[i]].len;
    }
    for (i = 0; i < c->chain_count; i++) {
        chain[i].der = c->cert[c->chain[i]].der;
        chain[i].len = c->cert[c->chain[i]].len;
    }
    in.anchors = anchors;
    in.anchor_count = c->anchor_count;
    in.chain = chain;
    in.chain_count = c->chain_count;
    in.now = c->now;
    in.peer_name = c->peer;
    in.peer_name_len = strlen(c->peer);
    *why = wc_verify_chain(&work, &in);
    return *why == WC_VERIFY_OK;
}

static X509 *
parse(const struct wt_gen_cert *gc)
{
    const unsigned char *p = gc->der;

    return d2i_X509(NULL, &p, (long)gc->len);
}

/*
 * OpenSSL's verdict under the closest profile it has: the SSL server
 * purpose and trust, RFC 5280 strict checks, security level 2 (no SHA-1,
 * no RSA under 2048 bits), the peer name against the SAN only with no
 * partial wildcards, the case's time, and no partial chains. *err gets
 * X509_V_* or -1 when OpenSSL could not parse the leaf.
 */
static int
openssl_verdict(const struct wt_gen_case *c, int *err)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_VERIFY_PARAM *param;
    X509 *leaf = parse(&c->cert[c->chain[0]]), *x;
    unsigned i;
    int ok = 0;

    *err = -1;
    if (store == NULL || ctx == NULL || untrusted == NULL) {
        fprintf(stderr, "differential: out of memory\n");
        exit(2);
    }
    if (leaf == NULL) {
        goto done;
    }
    for (i = 0; i < c->anchor_count; i++) {
        x = parse(&c->cert[c->anchor[i]]);
        if (x != NULL) {
            X509_STORE_add_cert(store, x);
            X509_free(x);
        }
    }
    for (i = 1; i < c->chain_count; i++) {
        x = parse(&c->cert[c->chain[i]]);
        if (x != NULL && !sk_X509_push(untrusted, x)) {
            X509_free(x);
        }
    }
    if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted) ||
        !X509_STORE_CTX_set_default(ctx, "ssl_server")) {
        fprintf(stderr, "differential: X509_STORE_CTX setup failed\n");
        exit(2);
    }
    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set_trust(param, X509_TRUST_SSL_SERVER);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(param, (time_t)c->now);
    X509_VERIFY_PARAM_set_auth_level(param, 2);
    X509_VERIFY_PARAM_set_depth(param, WC_VERIFY_DEPTH_MAX);
    X509_VERIFY_PARAM_set_hostflags(param,
                                    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!X509_VERIFY_PARAM_set1_ip_asc(param, c->peer) &&
        !X509_VERIFY_PARAM_set1_host(param, c->peer, 0)) {
        fprintf(stderr, "differential: OpenSSL refuses peer name %s\n",
                c->peer);
        exit(2);
    }
    ok = X509_verify_cert(ctx) == 1;
    *err = X509_STORE_CTX_get_error(ctx);
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(untrusted, X509_free);
    X509_free(leaf);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

static const char *
openssl_reason(int err)
{
    return err < 0 ? "leaf does not parse" : X509_verify_cert_error_string(err);
}

/* Does a verdict (1 accepted) keep to a rule letter? */
static int
keeps(char rule, int accepted)
{
    return rule == '*' || (rule == 'A') == (accepted != 0);
}

static void
print_case(const char *tag, unsigned long index, uint64_t seed,
           const struct wt_gen_case *c, int w_ok, int w_why, int o_ok,
           int o_err)
{
    printf("%s case %lu (seed %" PRIu64 ") %s [%s] peer %s: companion %s "
           "(%s), OpenSSL %s (%s)\n",
           tag, index, seed, c->klass, c->detail, c->peer,
           w_ok ? "accepts" : "refuses", wc_verify_message(w_why),
           o_ok ? "accepts" : "refuses", o_ok ? "ok" : openssl_reason(o_err));
}

/* Writes the case's certificates as DIR/case-I-cert-J.der. */
static void
dump_case(const char *dir, unsigned long index, const struct wt_gen_case *c)
{
    char path[1024];
    unsigned i;
    FILE *f;

    for (i = 0; i < c->cert_count; i++) {
        snprintf(path, sizeof(path), "%s/case-%lu-cert-%u.der", dir, index,
                 i);
        f = fopen(path, "wb");
        if (f == NULL || fwrite(c->cert[i].der, 1, c->cert[i].len, f) !=
                             c->cert[i].len) {
            fprintf(stderr, "differential: cannot write %s\n", path);
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    printf("case %lu: anchors", index);
    for (i = 0; i < c->anchor_count; i++) {
        printf(" %u", c->anchor[i]);
    }
    printf(", chain");
    for (i = 0; i < c->chain_count; i++) {
        printf(" %u", c->chain[i]);
    }
    printf(" (cert numbers) written to %s\n", dir);
}

static const char *dump_dir;

/* Runs case index; returns 0 if both verdicts keep to the rule. */
static int
run_case(uint64_t seed, unsigned long index, int verbose)
{
    static struct wt_gen_case c;
    const struct class_rule *rule;
    struct class_stats *st;
    unsigned ri;
    int w_ok, w_why, o_ok, o_err, good;

    if (wt_gen_case(&c, seed, index) != 0) {
        printf("FAIL case %lu: the generator could not build it\n", index);
        return -1;
    }
    rule = rule_for(c.klass, &ri);
    if (rule == NULL) {
        printf("FAIL case %lu: no rule for class %s\n", index, c.klass);
        wt_gen_case_free(&c);
        return -1;
    }
    st = &stats[ri];
    if (dump_dir != NULL) {
        dump_case(dump_dir, index, &c);
    }
    w_ok = warden_verdict(&c, &w_why);
    o_ok = openssl_verdict(&c, &o_err);

    st->cases++;
    if (w_ok && o_ok) {
        st->both_accept++;
    } else if (!w_ok && !o_ok) {
        st->both_refuse++;
    } else if (!w_ok) {
        st->warden_only_refuses++;
    } else {
        st->openssl_only_refuses++;
    }
    good = keeps(rule->warden, w_ok) && keeps(rule->openssl, o_ok);
    /* '*' on both sides: either verdict, as long as they agree. */
    if (rule->warden == '*' && rule->openssl == '*' && w_ok != o_ok) {
        good = rule->why != NULL && !w_ok && o_ok && mutated_unparsable(&c);
        st->strict_der += (unsigned)good;
    }
    if (good && w_ok != o_ok) {
        st->explained++;
    }
    if (!good) {
        st->broken++;
        print_case("FAIL", index, seed, &c, w_ok, w_why, o_ok, o_err);
    } else if (verbose) {
        print_case("ok", index, seed, &c, w_ok, w_why, o_ok, o_err);
    }
    wt_gen_case_free(&c);
    return good ? 0 : -1;
}

static void
print_row(const char *name, const struct class_stats *s)
{
    printf("%-27s %5u %6u %6u %9u %8u %9u %5u\n", name, s->cases,
           s->both_accept, s->both_refuse, s->warden_only_refuses,
           s->openssl_only_refuses, s->explained, s->broken);
}

/*
 * One row per class. A difference is explained when it is the class's
 * rule; "broken" counts cases where a side left its rule (an agreement
 * against the rule included).
 */
static void
print_summary(void)
{
    struct class_stats all;
    unsigned i;

    memset(&all, 0, sizeof(all));
    printf("\n%-27s %5s %6s %6s %9s %8s %9s %5s\n", "class", "cases",
           "both", "both", "only", "only", "differ,", "rule");
    printf("%-27s %5s %6s %6s %9s %8s %9s %5s\n", "", "", "accept",
           "refuse", "companion", "OpenSSL", "explained", "broken");
    printf("%-27s %5s %6s %6s %9s %8s %9s %5s\n", "", "", "", "",
           "refuses", "refuses", "", "");
    for (i = 0; i < RULE_COUNT; i++) {
        const struct class_stats *s = &stats[i];

        print_row(rules[i].klass, s);
        all.cases += s->cases;
        all.both_accept += s->both_accept;
        all.both_refuse += s->both_refuse;
        all.warden_only_refuses += s->warden_only_refuses;
        all.openssl_only_refuses += s->openssl_only_refuses;
        all.explained += s->explained;
        all.broken += s->broken;
    }
    print_row("all", &all);
    printf("\nProfile differences (every one a rule of its class):\n");
    for (i = 0; i < RULE_COUNT; i++) {
        if (rules[i].why == NULL) {
            continue;
        }
        printf("  %s: %s\n", rules[i].klass, rules[i].why);
        if (rules[i].warden == '*') {
            printf("    (%u of %u cases)\n", stats[i].strict_der,
                   stats[i].cases);
        }
    }
}

/*
 * A rule whose sides differ says why, and only such a rule does; every
 * class of the generator has one.
 */
static int
check_rules(void)
{
    unsigned i, ri;
    int bad = 0;

    for (i = 0; i < RULE_COUNT; i++) {
        int differ = rules[i].warden != rules[i].openssl;
        int either = rules[i].warden == '*' && rules[i].openssl == '*';

        if (!either && differ != (rules[i].why != NULL)) {
            fprintf(stderr, "differential: rule %s: a reason must come "
                            "with a difference, and only then\n",
                    rules[i].klass);
            bad = 1;
        }
    }
    for (i = 0; i < wt_gen_class_count(); i++) {
        if (rule_for(wt_gen_class_name(i), &ri) == NULL) {
            fprintf(stderr, "differential: class %s has no rule\n",
                    wt_gen_class_name(i));
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
    unsigned long cases = DEFAULT_CASES, only = 0, i;
    uint64_t seed = DEFAULT_SEED;
    int single = 0, verbose = 0, failures = 0, a;

    for (a = 1; a < argc; a++) {
        char *end;

        if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
            seed = strtoull(argv[++a], &end, 0);
        } else if (strcmp(argv[a], "--case") == 0 && a + 1 < argc) {
            only = strtoul(argv[++a], &end, 0);
            single = 1;
        } else if (strcmp(argv[a], "--dump") == 0 && a + 1 < argc) {
            dump_dir = argv[++a];
        } else if (strcmp(argv[a], "--verbose") == 0) {
            verbose = 1;
        } else {
            cases = strtoul(argv[a], &end, 0);
            if (*end != 0 || cases == 0) {
                fprintf(stderr, "usage: test_x509_differential [CASES] "
                                "[--seed S] [--case I] [--verbose] [--dump DIR]\n");
                return 2;
            }
        }
    }
    if (wt_gen_init(seed) != 0) {
        fprintf(stderr, "differential: cannot make the key pool\n");
        return 2;
    }
    if (check_rules() != 0) {
        return 2;
    }
    if (wt_gen_class_count() != RULE_COUNT) {
        fprintf(stderr, "differential: %u classes but %u rules\n",
                wt_gen_class_count(), (unsigned)RULE_COUNT);
        return 2;
    }
    printf("x509 differential: seed %" PRIu64 ", %lu cases, %u classes\n",
           seed, single ? 1 : cases, wt_gen_class_count());
    for (i = single ? only : 0; i < (single ? only + 1 : cases); i++) {
        failures += run_case(seed, i, verbose || single) != 0;
    }
    print_summary();
    wt_gen_free();
    printf("\n%d case(s) broke a rule; rerun one with --seed %" PRIu64
           " --case N\n",
           failures, seed);
    return failures == 0 ? 0 : 1;
}
