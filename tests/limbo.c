/*
 * Runs x509-limbo test cases through the companion's chain validation
 * (companion/verify.c, the code the TLS path uses) and prints a table per
 * id prefix, SUCCESS-expected and FAILURE-expected apart.
 *
 *   limbo FILE.json [--known KNOWN.txt] [--list] [--id ID]
 *
 * KNOWN.txt lists the cases whose verdict is known to differ, with the
 * reason. Exit status 1 on a difference not listed there (a false accept
 * above all), on a listed case that no longer differs, or when fewer
 * than 95% of the SUCCESS-expected cases that are not skipped pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>
#include <jansson.h>

#include "verify.h"

#define MAX_DER 8192
#define MAX_CERTS (WC_VERIFY_POOL_MAX + WC_VERIFY_ANCHORS_MAX + 8)

/* Features this validator does not implement; cases with them skip. */
static const char *const skipped_features[] = {
    "has-crl",
    "name-constraint-dn",
    "max-chain-depth",
    "pedantic-serial-number",
    "pedantic-webpki-eku",
    "pedantic-webpki-subscriber-key",
    "rfc5280-incompatible-with-webpki",
};

struct prefix_stats {
    char name[32];
    unsigned success_total, success_ok;
    unsigned failure_total, failure_ok;
    unsigned skipped;
};

#define KNOWN_MAX 64

static char known[KNOWN_MAX][128];
static int known_seen[KNOWN_MAX];
static unsigned known_count;

static struct prefix_stats stats[32];
static unsigned stat_count;

static uint8_t der_store[MAX_CERTS][MAX_DER];
static size_t der_len[MAX_CERTS];
static unsigned der_used;

static void
pem_append(void *ctx, const void *data, size_t len)
{
    size_t *n = ctx;

    if (*n + len <= MAX_DER) {
        memcpy(der_store[der_used] + *n, data, len);
    }
    *n += len;
}

/* Decodes one PEM certificate into the next store slot. */
static int
pem_to_der(const char *pem, struct wc_der_cert *out)
{
    br_pem_decoder_context pc;
    size_t len = strlen(pem), off = 0, n = 0;
    int inside = 0, done = 0;

    if (der_used == MAX_CERTS) {
        return -1;
    }
    br_pem_decoder_init(&pc);
    while (off < len && !done) {
        off += br_pem_decoder_push(&pc, pem + off, len - off);
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            inside = 1;
            br_pem_decoder_setdest(&pc, pem_append, &n);
            break;
        case BR_PEM_END_OBJ:
            done = inside;
            break;
        case BR_PEM_ERROR:
            return -1;
        }
    }
    if (!done || n > MAX_DER) {
        return -1;
    }
    out->der = der_store[der_used];
    out->len = n;
    der_len[der_used++] = n;
    return 0;
}

static int
load_known(const char *path)
{
    char line[1024];
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(stderr, "limbo: cannot open %s\n", path);
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *tab = strchr(line, '\t');

        if (line[0] == '#' || tab == NULL) {
            continue;
        }
        *tab = 0;
        if (known_count == KNOWN_MAX || strlen(line) >= sizeof(known[0])) {
            fprintf(stderr, "limbo: %s: too many or too long entries\n", path);
            fclose(f);
            return -1;
        }
        strcpy(known[known_count++], line);
    }
    fclose(f);
    return 0;
}

/* 1 if id is a listed difference (and marks it seen). */
static int
is_known(const char *id)
{
    unsigned i;

    for (i = 0; i < known_count; i++) {
        if (strcmp(known[i], id) == 0) {
            known_seen[i] = 1;
            return 1;
        }
    }
    return 0;
}

static struct prefix_stats *
stats_for(const char *id)
{
    const char *colon = strstr(id, "::");
    size_t n = colon ? (size_t)(colon - id) : strlen(id);
    unsigned i;

    if (n >= sizeof(stats[0].name)) {
        n = sizeof(stats[0].name) - 1;
    }
    for (i = 0; i < stat_count; i++) {
        if (strlen(stats[i].name) == n && strncmp(stats[i].name, id, n) == 0) {
            return &stats[i];
        }
    }
    if (stat_count == sizeof(stats) / sizeof(stats[0])) {
        return &stats[stat_count - 1];
    }
    memcpy(stats[stat_count].name, id, n);
    stats[stat_count].name[n] = 0;
    return &stats[stat_count++];
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff]+00:00" to seconds since 1970. */
static int
parse_time(const char *s, int64_t *t)
{
    int y, mo, d, h, mi, sec;
    int64_t days;
    static const int before_month[12] = {0,   31,  59,  90,  120, 151,
                                         181, 212, 243, 273, 304, 334};

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) !=
            6 ||
        mo < 1 || mo > 12) {
        return -1;
    }
    days = (int64_t)(y - 1970) * 365 + ((y - 1969) / 4) - ((y - 1901) / 100) +
           ((y - 1601) / 400) + before_month[mo - 1] + d - 1;
    if (mo > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        days++;
    }
    *t = days * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

static int
has_skipped_feature(json_t *tc)
{
    json_t *features = json_object_get(tc, "features");
    size_t i, j;

    for (i = 0; i < json_array_size(features); i++) {
        const char *f = json_string_value(json_array_get(features, i));

        for (j = 0; f && j < sizeof(skipped_features) / sizeof(char *); j++) {
            if (strcmp(f, skipped_features[j]) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

static int
load_list(json_t *list, struct wc_der_cert *out, unsigned max, unsigned *n)
{
    size_t i;

    *n = 0;
    for (i = 0; i < json_array_size(list); i++) {
        if (*n == max) {
            return -1;
        }
        if (pem_to_der(json_string_value(json_array_get(list, i)),
                       &out[*n]) != 0) {
            return -1;
        }
        (*n)++;
    }
    return 0;
}

/* Runs one case: 1 accepted, 0 refused; *why gets the verdict. */
static int
run_case(json_t *tc, struct wc_sig_cache *cache, int *why)
{
    static struct wc_verify_work work;
    struct wc_der_cert anchors[WC_VERIFY_ANCHORS_MAX];
    struct wc_der_cert chain[WC_VERIFY_POOL_MAX];
    struct wc_verify_input in;
    json_t *name = json_object_get(tc, "expected_peer_name");
    json_t *when = json_object_get(tc, "validation_time");
    const char *peer = json_string_value(json_object_get(name, "value"));
    unsigned n;

    der_used = 0;
    memset(&in, 0, sizeof(in));
    if (load_list(json_object_get(tc, "trusted_certs"), anchors,
                  WC_VERIFY_ANCHORS_MAX, &in.anchor_count) != 0) {
        *why = WC_VERIFY_TOO_COMPLEX;
        return 0;
    }
    if (pem_to_der(json_string_value(json_object_get(tc, "peer_certificate")),
                   &chain[0]) != 0) {
        *why = WC_VERIFY_MALFORMED;
        return 0;
    }
    if (load_list(json_object_get(tc, "untrusted_intermediates"), chain + 1,
                  WC_VERIFY_POOL_MAX - 1, &n) != 0) {
        *why = WC_VERIFY_TOO_COMPLEX;
        return 0;
    }
    in.anchors = anchors;
    in.chain = chain;
    in.chain_count = 1 + n;
    in.sig_cache = cache;
    in.peer_name = peer ? peer : "";
    in.peer_name_len = strlen(in.peer_name);
    if (json_is_string(when)) {
        if (parse_time(json_string_value(when), &in.now) != 0) {
            *why = WC_VERIFY_MALFORMED;
            return 0;
        }
    } else {
        in.now = (int64_t)time(NULL);
    }
    *why = wc_verify_chain(&work, &in);
    return *why == WC_VERIFY_OK;
}

int
main(int argc, char **argv)
{
    json_error_t jerr;
    json_t *root, *cases;
    const char *only = NULL;
    int list = 0, i;
    size_t k;
    unsigned false_accepts = 0, s_total = 0, s_ok = 0, f_total = 0,
             f_ok = 0, skipped = 0, unexplained = 0, stale = 0,
             cache_differs = 0;
    static struct wc_sig_cache cache;

    if (argc < 2) {
        fprintf(stderr, "usage: limbo FILE.json [--list] [--id ID]\n");
        return 2;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            list = 1;
        } else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--known") == 0 && i + 1 < argc) {
            if (load_known(argv[++i]) != 0) {
                return 2;
            }
        }
    }
    root = json_load_file(argv[1], 0, &jerr);
    if (root == NULL) {
        fprintf(stderr, "limbo: %s: %s (line %d)\n", argv[1], jerr.text,
                jerr.line);
        return 2;
    }
    cases = json_object_get(root, "testcases");

    for (k = 0; k < json_array_size(cases); k++) {
        json_t *tc = json_array_get(cases, k);
        const char *id = json_string_value(json_object_get(tc, "id"));
        const char *want =
            json_string_value(json_object_get(tc, "expected_result"));
        struct prefix_stats *st;
        int expect_ok, got_ok, why = 0, why_cached = 0, pass;

        if (id == NULL || want == NULL || (only && strcmp(only, id) != 0)) {
            continue;
        }
        st = stats_for(id);
        if (has_skipped_feature(tc)) {
            st->skipped++;
            skipped++;
            continue;
        }
        expect_ok = strcmp(want, "SUCCESS") == 0;
        got_ok = run_case(tc, NULL, &why);
        /*
         * Twice more through the signature cache: first as the cases
         * before this one left it, then as this case filled it. Neither
         * may change the verdict.
         */
        for (pass = 0; pass < 2; pass++) {
            if (run_case(tc, &cache, &why_cached) != got_ok ||
                why_cached != why) {
                cache_differs++;
                printf("CACHE CHANGES %s: %s, cached %s\n", id,
                       wc_verify_message(why),
                       wc_verify_message(why_cached));
            }
        }
        if (got_ok != expect_ok && !is_known(id)) {
            unexplained++;
            printf("UNEXPLAINED %s: expected %s, %s\n", id, want,
                   got_ok ? "accepted" : wc_verify_message(why));
        } else if (got_ok == expect_ok && is_known(id)) {
            stale++;
            printf("STALE %s: listed as differing but now agrees\n", id);
        }
        if (expect_ok) {
            st->success_total++;
            s_total++;
            st->success_ok += (unsigned)got_ok;
            s_ok += (unsigned)got_ok;
            if (!got_ok && (list || only)) {
                printf("REJECTED %s: %s\n", id, wc_verify_message(why));
            }
        } else {
            st->failure_total++;
            f_total++;
            st->failure_ok += (unsigned)!got_ok;
            f_ok += (unsigned)!got_ok;
            if (got_ok) {
                false_accepts++;
                printf("FALSE ACCEPT %s\n", id);
            } else if (only) {
                printf("refused %s: %s\n", id, wc_verify_message(why));
            }
        }
    }

    printf("%-16s %18s %18s %8s\n", "prefix", "SUCCESS accepted",
           "FAILURE refused", "skipped");
    for (k = 0; k < stat_count; k++) {
        printf("%-16s %8u / %-7u %8u / %-7u %8u\n", stats[k].name,
               stats[k].success_ok, stats[k].success_total,
               stats[k].failure_ok, stats[k].failure_total, stats[k].skipped);
    }
    printf("%-16s %8u / %-7u %8u / %-7u %8u\n", "all", s_ok, s_total, f_ok,
           f_total, skipped);
    printf("false accepts: %u (%u unexplained, %u stale known entries); "
           "SUCCESS accepted: %.1f%%\n",
           false_accepts, unexplained, stale,
           s_total ? 100.0 * s_ok / s_total : 100.0);
    printf("verdicts changed by the signature cache: %u\n", cache_differs);
    json_decref(root);
    return unexplained == 0 && stale == 0 && cache_differs == 0 &&
                   (s_total == 0 || s_ok * 100 >= s_total * 95)
               ? 0
               : 1;
}
