/*
 * The TLS 1.3 key schedule (companion/tls13_schedule.c): RFC 8448
 * section 3 ("Simple 1-RTT Handshake") end to end, HKDF against BearSSL's
 * own br_hkdf, a SHA-384 run against a reference written here over
 * br_hmac, the HelloRetryRequest transcript rule, KeyUpdate, refusals of
 * out-of-order steps, and wiping.
 */
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "check.h"
#include "tls13_schedule.h"

/* ---- helpers ---- */

static int
nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Hex with any spacing to bytes; returns the count, or cap + 1 if bad. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi, lo;

    while (*s != '\0') {
        if (*s == ' ' || *s == '\n') {
            s++;
            continue;
        }
        hi = nibble(s[0]);
        lo = hi < 0 ? -1 : nibble(s[1]);
        if (lo < 0 || n == cap) {
            return cap + 1;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    return n;
}

static void
check_hex(const char *file, int line, const char *what, const uint8_t *got,
          size_t len, const char *hex)
{
    uint8_t want[512];
    size_t n = unhex(hex, want, sizeof(want));

    wt_checks++;
    if (n != len) {
        wt_fail(file, line, what);
        fprintf(stderr, "  length %zu, expected %zu\n", len, n);
        return;
    }
    if (memcmp(got, want, len) != 0) {
        wt_fail_mem(file, line, what, got, want, len);
    }
}

#define CHECK_HEX(got, len, hex)                                               \
    check_hex(__FILE__, __LINE__, #got, (got), (len), (hex))

static int
all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i < len; i++) {
        if (b[i] != 0) {
            return 0;
        }
    }
    return 1;
}

static int
secrets_zero(const struct wc_tls13_schedule *ks)
{
    return all_zero(ks->secret, sizeof(ks->secret)) &&
           all_zero(ks->client_hs, sizeof(ks->client_hs)) &&
           all_zero(ks->server_hs, sizeof(ks->server_hs)) &&
           all_zero(ks->client_ap, sizeof(ks->client_ap)) &&
           all_zero(ks->server_ap, sizeof(ks->server_ap)) &&
           all_zero(ks->exporter, sizeof(ks->exporter)) &&
           all_zero(ks->resumption, sizeof(ks->resumption));
}

/* ---- reference HKDF, written apart from the code under test ---- */

static void
hmac(const br_hash_class *h, const void *key, size_t key_len, const void *data,
     size_t len, uint8_t *out)
{
    br_hmac_key_context kc;
    br_hmac_context hc;

    br_hmac_key_init(&kc, h, key, key_len);
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, data, len);
    br_hmac_out(&hc, out);
}

/* HkdfLabel (RFC 8446 7.1) as one buffer; returns its length. */
static size_t
hkdf_label(uint8_t *info, size_t out_len, const char *label, const uint8_t *ctx,
           size_t ctx_len)
{
    size_t n = 0, ll = strlen(label);

    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = (uint8_t)ctx_len;
    if (ctx_len > 0) {
        memcpy(info + n, ctx, ctx_len);
        n += ctx_len;
    }
    return n;
}

/* One-block HKDF-Expand-Label: T(1) = HMAC(secret, HkdfLabel | 01). */
static void
ref_expand_label(const br_hash_class *h, const uint8_t *secret,
                 size_t secret_len, const char *label, const uint8_t *ctx,
                 size_t ctx_len, uint8_t *out, size_t out_len)
{
    uint8_t info[600], t[64];
    size_t n = hkdf_label(info, out_len, label, ctx, ctx_len);

    info[n++] = 0x01;
    hmac(h, secret, secret_len, info, n, t);
    memcpy(out, t, out_len);
}

static void
hash_of(const br_hash_class *h, const void *data, size_t len, uint8_t *out)
{
    br_hash_compat_context hc;

    h->init(&hc.vtable);
    h->update(&hc.vtable, data, len);
    h->out(&hc.vtable, out);
}

/* ---- RFC 8448 section 3 ---- */

static uint8_t ch[196], sh[90], ee[40], cert[445], cv[136], sf[36], cf[36];
static uint8_t ecdhe[32];

static void
load(const char *hex, uint8_t *out, size_t len)
{
    CHECK(unhex(hex, out, len) == len);
}

static void
load_rfc8448(void)
{
    load("8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d"
         "35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d",
         ecdhe, sizeof(ecdhe));
    load("01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19"
         "6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00"
         "06 13 01 13 03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06"
         "73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00"
         "17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 23 00 00 00"
         "33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e"
         "43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af"
         "2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03"
         "02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02"
         "06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01",
         ch, sizeof(ch));
    load("02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3"
         "4c 95 93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13"
         "01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe"
         "66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0"
         "4e 75 1f 0f 00 2b 00 02 03 04",
         sh, sizeof(sh));
    load("08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19"
         "01 00 01 01 01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00",
         ee, sizeof(ee));
    load("0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 82 01 15 a0"
         "03 02 01 02 02 01 02 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b"
         "05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 1e"
         "17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30"
         "37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a 06 03 55 04"
         "03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7 0d 01"
         "01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f 82"
         "79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26"
         "d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce"
         "6c 1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc"
         "b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43"
         "08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0"
         "3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f"
         "7f 1e 3f 02 03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04"
         "02 30 00 30 0b 06 03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09"
         "2a 86 48 86 f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5"
         "b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f 8a 7b 33 7d"
         "2d f7 a5 94 36 54 17 f2 ea e8 f8 a5 8c 8f 81 72 f9 31 9c f3"
         "6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60 96 fd 33 5e 5e 67"
         "f2 db f1 02 70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e"
         "b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0 a8 b2 f7 59"
         "40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87 b4"
         "2b 4d e1 00 00",
         cert, sizeof(cert));
    load("0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85"
         "a6 10 15 b7 21 1f 82 4c d4 84 14 5a b3 ff 52 f1 fd a8 47 7b"
         "0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07 86 53 fa 6b ef 78 0c"
         "5e a2 48 ee aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51"
         "1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c 9e a5 8c 18"
         "1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a 3d a5 04 3e"
         "06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3",
         cv, sizeof(cv));
    load("14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da"
         "4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18",
         sf, sizeof(sf));
    load("14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03"
         "9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61",
         cf, sizeof(cf));
}

/* Stops of the RFC 8448 run, for tests that need a schedule there. */
enum stop { AT_HANDSHAKE, AT_SERVER_FINISHED, AT_MASTER, AT_DONE };

/* Runs the RFC 8448 handshake up to stop, checking each step's result. */
static void
run_rfc8448(struct wc_tls13_schedule *ks, struct wc_tls13_transcript *t,
            enum stop stop)
{
    uint8_t vd[WC_TLS13_HASH_MAX];
    size_t len;

    wc_tls13_transcript_init(t);
    CHECK(wc_tls13_transcript_update(t, ch, sizeof(ch)) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_update(t, sh, sizeof(sh)) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_select(t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_init(ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(ks) == WC_TLS13_OK);
    CHECK(wc_tls13_handshake(ks, ecdhe, sizeof(ecdhe), t) == WC_TLS13_OK);
    if (stop == AT_HANDSHAKE) {
        return;
    }
    wc_tls13_transcript_update(t, ee, sizeof(ee));
    wc_tls13_transcript_update(t, cert, sizeof(cert));
    wc_tls13_transcript_update(t, cv, sizeof(cv));
    CHECK(wc_tls13_server_finished(ks, t, sf + 4, 32) == WC_TLS13_OK);
    if (stop == AT_SERVER_FINISHED) {
        return;
    }
    wc_tls13_transcript_update(t, sf, sizeof(sf));
    CHECK(wc_tls13_master(ks, t) == WC_TLS13_OK);
    if (stop == AT_MASTER) {
        return;
    }
    CHECK(wc_tls13_client_finished(ks, t, vd, &len) == WC_TLS13_OK);
    wc_tls13_transcript_update(t, cf, sizeof(cf));
    CHECK(wc_tls13_done(ks, t) == WC_TLS13_OK);
}

static void
test_rfc8448_simple_1rtt(void)
{
    struct wc_tls13_schedule ks;
    struct wc_tls13_transcript t;
    uint8_t th[WC_TLS13_HASH_MAX], key[WC_TLS13_KEY_MAX];
    uint8_t iv[WC_TLS13_IV_LEN], vd[WC_TLS13_HASH_MAX];
    size_t len, key_len;

    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_update(&t, ch, sizeof(ch)) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_update(&t, sh, sizeof(sh)) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_hash(&t, th, &len) == WC_TLS13_OK);
    CHECK_HEX(th, len,
              "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed"
              "d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");

    /* {server} extract secret "early" */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(ks.stage == WC_TLS13_INIT);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    CHECK(ks.stage == WC_TLS13_EARLY);
    CHECK_HEX(ks.secret, 32,
              "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2"
              "10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a");

    /* {server} extract secret "handshake", derive c/s hs traffic */
    CHECK(wc_tls13_handshake(&ks, ecdhe, sizeof(ecdhe), &t) == WC_TLS13_OK);
    CHECK(ks.stage == WC_TLS13_HANDSHAKE);
    CHECK_HEX(ks.secret, 32,
              "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01"
              "04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac");
    CHECK_HEX(ks.client_hs, 32,
              "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
              "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
    CHECK_HEX(ks.server_hs, 32,
              "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
              "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");

    /* {server} derive write traffic keys for handshake data */
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_HANDSHAKE, key, &key_len,
                                iv) == WC_TLS13_OK);
    CHECK_HEX(key, key_len, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc");
    CHECK_HEX(iv, sizeof(iv), "5d 31 3e b2 67 12 76 ee 13 00 0b 30");
    /* {server} derive read traffic keys for handshake data */
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_HANDSHAKE, key, &key_len,
                                iv) == WC_TLS13_OK);
    CHECK_HEX(key, key_len, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01");
    CHECK_HEX(iv, sizeof(iv), "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");

    /* {server} calculate finished: checked, not output. */
    wc_tls13_transcript_update(&t, ee, sizeof(ee));
    wc_tls13_transcript_update(&t, cert, sizeof(cert));
    wc_tls13_transcript_update(&t, cv, sizeof(cv));
    CHECK_HEX(sf + 4, 32,
              "9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da"
              "4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18");
    CHECK(wc_tls13_server_finished(&ks, &t, sf + 4, 32) == WC_TLS13_OK);

    /* {server} extract secret "master", derive c/s ap traffic, exp */
    wc_tls13_transcript_update(&t, sf, sizeof(sf));
    CHECK(wc_tls13_transcript_hash(&t, th, &len) == WC_TLS13_OK);
    CHECK_HEX(th, len,
              "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a"
              "00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13");
    CHECK(wc_tls13_master(&ks, &t) == WC_TLS13_OK);
    CHECK(ks.stage == WC_TLS13_MASTER);
    CHECK_HEX(ks.secret, 32,
              "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47"
              "80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19");
    CHECK_HEX(ks.client_ap, 32,
              "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
              "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5");
    CHECK_HEX(ks.server_ap, 32,
              "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
              "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
    CHECK_HEX(ks.exporter, 32,
              "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5"
              "0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50");

    /* {server} derive write traffic keys for application data */
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_OK);
    CHECK_HEX(key, key_len, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
    CHECK_HEX(iv, sizeof(iv), "cf 78 2b 88 dd 83 54 9a ad f1 e9 84");

    /* {client} calculate finished */
    CHECK(wc_tls13_client_finished(&ks, &t, vd, &len) == WC_TLS13_OK);
    CHECK_HEX(vd, len,
              "a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03"
              "9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61");

    /* {client} derive write traffic keys for application data */
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_OK);
    CHECK_HEX(key, key_len, "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51");
    CHECK_HEX(iv, sizeof(iv), "5b 78 92 3d ee 08 57 90 33 e5 23 d9");

    /* {client} derive secret "tls13 res master" */
    wc_tls13_transcript_update(&t, cf, sizeof(cf));
    CHECK(wc_tls13_transcript_hash(&t, th, &len) == WC_TLS13_OK);
    CHECK_HEX(th, len,
              "20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26"
              "84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d");
    CHECK(wc_tls13_done(&ks, &t) == WC_TLS13_OK);
    CHECK(ks.stage == WC_TLS13_DONE);
    CHECK_HEX(ks.resumption, 32,
              "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf"
              "da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c");

    /* Handshake secrets and the Master Secret are gone once DONE. */
    CHECK(all_zero(ks.secret, sizeof(ks.secret)));
    CHECK(all_zero(ks.client_hs, sizeof(ks.client_hs)));
    CHECK(all_zero(ks.server_hs, sizeof(ks.server_hs)));

    /* Application keys still come out, unchanged. */
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_OK);
    CHECK_HEX(key, key_len, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
    wc_tls13_wipe(&ks);
    wc_tls13_transcript_wipe(&t);
}

/* The reference HkdfLabel builder gives RFC 8448's "info" bytes. */
static void
test_hkdf_label_bytes(void)
{
    uint8_t info[600];
    size_t n;

    n = hkdf_label(info, 16, "key", NULL, 0);
    CHECK_HEX(info, n, "00 10 09 74 6c 73 31 33 20 6b 65 79 00");
    n = hkdf_label(info, 12, "iv", NULL, 0);
    CHECK_HEX(info, n, "00 0c 08 74 6c 73 31 33 20 69 76 00");
    n = hkdf_label(info, 32, "finished", NULL, 0);
    CHECK_HEX(info, n,
              "00 20 0e 74 6c 73 31 33 20 66 69 6e 69 73 68 65"
              "64 00");
}

/*
 * Multi-block HKDF-Expand against BearSSL's br_hkdf: Extract with HMAC,
 * then the code under test expands; br_hkdf does both in one pass.
 */
static void
check_expand_vs_br_hkdf(const br_hash_class *h, size_t hash_len, size_t out_len)
{
    static const uint8_t salt[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t ctx[10] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4,
                                    0xf5, 0xf6, 0xf7, 0xf8, 0xf9};
    uint8_t ikm[22], prk[WC_TLS13_HASH_MAX], info[600];
    uint8_t want[255], got[255];
    br_hkdf_context hk;
    size_t n;

    memset(ikm, 0x0b, sizeof(ikm));
    n = hkdf_label(info, out_len, "some label", ctx, sizeof(ctx));
    br_hkdf_init(&hk, h, salt, sizeof(salt));
    br_hkdf_inject(&hk, ikm, sizeof(ikm));
    br_hkdf_flip(&hk);
    CHECK(br_hkdf_produce(&hk, info, n, want, out_len) == out_len);

    hmac(h, salt, sizeof(salt), ikm, sizeof(ikm), prk);
    CHECK(wc_tls13_expand_label(h, prk, hash_len, "some label", ctx,
                                sizeof(ctx), got, out_len) == WC_TLS13_OK);
    CHECK_MEM(got, want, out_len);
}

static void
test_expand_label(void)
{
    uint8_t secret[32], out[64];
    char long_label[WC_TLS13_LABEL_MAX + 2];

    check_expand_vs_br_hkdf(&br_sha256_vtable, 32, 100);
    check_expand_vs_br_hkdf(&br_sha384_vtable, 48, 200);
    check_expand_vs_br_hkdf(&br_sha256_vtable, 32, 7);

    /* Refusals: bad hash, empty or long label, long context, lengths. */
    memset(secret, 7, sizeof(secret));
    memset(long_label, 'a', sizeof(long_label) - 1);
    long_label[sizeof(long_label) - 1] = '\0';
    CHECK(wc_tls13_expand_label(&br_sha1_vtable, secret, 32, "x", NULL, 0, out,
                                16) == WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, "", NULL, 0, out,
                                16) == WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, long_label, NULL,
                                0, out, 16) == WC_TLS13_ARGUMENT);
    long_label[WC_TLS13_LABEL_MAX] = '\0';
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, long_label, NULL,
                                0, out, 16) == WC_TLS13_OK);
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, "x", out, 256,
                                out, 16) == WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, "x", NULL, 0,
                                out, 0) == WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_expand_label(&br_sha256_vtable, secret, 32, "x", NULL, 3,
                                out, 16) == WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_derive_secret(&br_sha256_vtable, secret, "x", NULL, out) ==
          WC_TLS13_ARGUMENT);
    CHECK(all_zero(out, 32));

    /* Derive-Secret is Expand-Label to one hash length over the hash. */
    {
        uint8_t th[32], a[32], b[32];

        memset(th, 0x5c, sizeof(th));
        CHECK(wc_tls13_derive_secret(&br_sha256_vtable, secret, "c hs traffic",
                                     th, a) == WC_TLS13_OK);
        ref_expand_label(&br_sha256_vtable, secret, 32, "c hs traffic", th, 32,
                         b, 32);
        CHECK_MEM(a, b, 32);
    }
}

/* KeyUpdate (RFC 8446 7.2) against the reference Expand-Label. */
static void
test_key_update(void)
{
    struct wc_tls13_schedule ks;
    struct wc_tls13_transcript t;
    uint8_t cur[32], next[32], key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN];
    uint8_t want_key[16], want_iv[12], server_ap[32];
    size_t key_len;
    int gen;

    run_rfc8448(&ks, &t, AT_DONE);
    memcpy(cur, ks.client_ap, sizeof(cur));
    memcpy(server_ap, ks.server_ap, sizeof(server_ap));
    for (gen = 1; gen <= 3; gen++) {
        ref_expand_label(&br_sha256_vtable, cur, 32, "traffic upd", NULL, 0,
                         next, 32);
        ref_expand_label(&br_sha256_vtable, next, 32, "key", NULL, 0, want_key,
                         16);
        ref_expand_label(&br_sha256_vtable, next, 32, "iv", NULL, 0, want_iv,
                         12);
        CHECK(wc_tls13_key_update(&ks, WC_TLS13_CLIENT_APPLICATION, key,
                                  &key_len, iv) == WC_TLS13_OK);
        CHECK(key_len == 16);
        CHECK_MEM(ks.client_ap, next, 32);
        CHECK_MEM(key, want_key, 16);
        CHECK_MEM(iv, want_iv, 12);
        memcpy(cur, next, sizeof(cur));
    }
    /* The other direction is untouched until it updates too. */
    CHECK_MEM(ks.server_ap, server_ap, 32);
    CHECK(wc_tls13_key_update(&ks, WC_TLS13_SERVER_APPLICATION, key, &key_len,
                              iv) == WC_TLS13_OK);
    ref_expand_label(&br_sha256_vtable, server_ap, 32, "traffic upd", NULL, 0,
                     next, 32);
    CHECK_MEM(ks.server_ap, next, 32);

    /* A handshake secret has no next generation. */
    CHECK(wc_tls13_key_update(&ks, WC_TLS13_CLIENT_HANDSHAKE, key, &key_len,
                              iv) == WC_TLS13_ARGUMENT);
    CHECK(ks.stage == WC_TLS13_FAILED);
    CHECK(secrets_zero(&ks));
}

/*
 * A SHA-384 run (TLS_AES_256_GCM_SHA384) on made-up messages, against a
 * reference schedule computed here with br_hmac.
 */
static void
test_sha384_suite(void)
{
    const br_hash_class *h = &br_sha384_vtable;
    static const uint8_t m_ch[] = {1, 0, 0, 3, 0xaa, 0xbb, 0xcc};
    static const uint8_t m_sh[] = {2, 0, 0, 2, 0x13, 0x02};
    static const uint8_t m_rest[] = {8, 0, 0, 1, 0x42};
    static const uint8_t m_sf_head[] = {20, 0, 0, 48};
    static const uint8_t m_cf_head[] = {20, 0, 0, 48};
    struct wc_tls13_schedule ks;
    struct wc_tls13_transcript t;
    br_sha384_context ref;
    uint8_t shared[48], zero[48], empty[48], th[48], early[48], derived[48];
    uint8_t hs[48], c_hs[48], s_hs[48], ms[48], c_ap[48], s_ap[48];
    uint8_t fk[48], s_vd[48], c_vd[48], vd[48], res[48];
    uint8_t key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN];
    uint8_t want_key[32], want_iv[12];
    size_t len, key_len;

    memset(shared, 0x3c, sizeof(shared));
    memset(zero, 0, sizeof(zero));
    hash_of(h, "", 0, empty);
    br_sha384_init(&ref);

    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_update(&t, m_ch, sizeof(m_ch)) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_256_GCM_SHA384) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_update(&t, m_sh, sizeof(m_sh)) == WC_TLS13_OK);
    br_sha384_update(&ref, m_ch, sizeof(m_ch));
    br_sha384_update(&ref, m_sh, sizeof(m_sh));
    br_sha384_out(&ref, th);
    CHECK(wc_tls13_transcript_hash(&t, vd, &len) == WC_TLS13_OK);
    CHECK(len == 48);
    CHECK_MEM(vd, th, 48);

    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_256_GCM_SHA384) == WC_TLS13_OK);
    CHECK(ks.hash_len == 48 && ks.key_len == 32);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    hmac(h, zero, 48, zero, 48, early);
    CHECK_MEM(ks.secret, early, 48);

    CHECK(wc_tls13_handshake(&ks, shared, sizeof(shared), &t) == WC_TLS13_OK);
    ref_expand_label(h, early, 48, "derived", empty, 48, derived, 48);
    hmac(h, derived, 48, shared, 48, hs);
    ref_expand_label(h, hs, 48, "c hs traffic", th, 48, c_hs, 48);
    ref_expand_label(h, hs, 48, "s hs traffic", th, 48, s_hs, 48);
    CHECK_MEM(ks.secret, hs, 48);
    CHECK_MEM(ks.client_hs, c_hs, 48);
    CHECK_MEM(ks.server_hs, s_hs, 48);

    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_HANDSHAKE, key, &key_len,
                                iv) == WC_TLS13_OK);
    ref_expand_label(h, s_hs, 48, "key", NULL, 0, want_key, 32);
    ref_expand_label(h, s_hs, 48, "iv", NULL, 0, want_iv, 12);
    CHECK(key_len == 32);
    CHECK_MEM(key, want_key, 32);
    CHECK_MEM(iv, want_iv, 12);

    /* The server's Finished, computed here, is accepted. */
    wc_tls13_transcript_update(&t, m_rest, sizeof(m_rest));
    br_sha384_update(&ref, m_rest, sizeof(m_rest));
    br_sha384_out(&ref, th);
    ref_expand_label(h, s_hs, 48, "finished", NULL, 0, fk, 48);
    hmac(h, fk, 48, th, 48, s_vd);
    CHECK(wc_tls13_server_finished(&ks, &t, s_vd, 48) == WC_TLS13_OK);

    wc_tls13_transcript_update(&t, m_sf_head, sizeof(m_sf_head));
    wc_tls13_transcript_update(&t, s_vd, sizeof(s_vd));
    br_sha384_update(&ref, m_sf_head, sizeof(m_sf_head));
    br_sha384_update(&ref, s_vd, sizeof(s_vd));
    br_sha384_out(&ref, th);
    CHECK(wc_tls13_master(&ks, &t) == WC_TLS13_OK);
    ref_expand_label(h, hs, 48, "derived", empty, 48, derived, 48);
    hmac(h, derived, 48, zero, 48, ms);
    ref_expand_label(h, ms, 48, "c ap traffic", th, 48, c_ap, 48);
    ref_expand_label(h, ms, 48, "s ap traffic", th, 48, s_ap, 48);
    CHECK_MEM(ks.secret, ms, 48);
    CHECK_MEM(ks.client_ap, c_ap, 48);
    CHECK_MEM(ks.server_ap, s_ap, 48);

    ref_expand_label(h, c_hs, 48, "finished", NULL, 0, fk, 48);
    hmac(h, fk, 48, th, 48, c_vd);
    CHECK(wc_tls13_client_finished(&ks, &t, vd, &len) == WC_TLS13_OK);
    CHECK(len == 48);
    CHECK_MEM(vd, c_vd, 48);

    wc_tls13_transcript_update(&t, m_cf_head, sizeof(m_cf_head));
    wc_tls13_transcript_update(&t, vd, len);
    br_sha384_update(&ref, m_cf_head, sizeof(m_cf_head));
    br_sha384_update(&ref, c_vd, sizeof(c_vd));
    br_sha384_out(&ref, th);
    CHECK(wc_tls13_done(&ks, &t) == WC_TLS13_OK);
    ref_expand_label(h, ms, 48, "res master", th, 48, res, 48);
    CHECK_MEM(ks.resumption, res, 48);

    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_OK);
    ref_expand_label(h, c_ap, 48, "key", NULL, 0, want_key, 32);
    ref_expand_label(h, c_ap, 48, "iv", NULL, 0, want_iv, 12);
    CHECK(key_len == 32);
    CHECK_MEM(key, want_key, 32);
    CHECK_MEM(iv, want_iv, 12);
    wc_tls13_wipe(&ks);

    /* AES-128-CCM runs on SHA-256 with 16-byte keys. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_CCM_SHA256) == WC_TLS13_OK);
    CHECK(ks.hash_len == 32 && ks.key_len == 16);
    wc_tls13_wipe(&ks);
}

/* RFC 8446 4.4.1: ClientHello1 becomes message_hash | Hash(CH1). */
static void
check_hello_retry(uint16_t suite, const br_hash_class *h, size_t hash_len)
{
    static const uint8_t ch1[] = {1, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef};
    static const uint8_t hrr[] = {2, 0, 0, 3, 0x13, 0x01, 0x99};
    static const uint8_t ch2[] = {1, 0, 0, 2, 0x77, 0x66};
    static const uint8_t sh2[] = {2, 0, 0, 1, 0x55};
    struct wc_tls13_transcript t;
    br_hash_compat_context ref;
    uint8_t head[4] = {254, 0, 0, 0}, h1[48], want[48], got[48];
    size_t len;

    head[3] = (uint8_t)hash_len;
    hash_of(h, ch1, sizeof(ch1), h1);
    h->init(&ref.vtable);
    h->update(&ref.vtable, head, sizeof(head));
    h->update(&ref.vtable, h1, hash_len);
    h->update(&ref.vtable, hrr, sizeof(hrr));
    h->update(&ref.vtable, ch2, sizeof(ch2));
    h->update(&ref.vtable, sh2, sizeof(sh2));
    h->out(&ref.vtable, want);

    wc_tls13_transcript_init(&t);
    wc_tls13_transcript_update(&t, ch1, sizeof(ch1));
    CHECK(wc_tls13_transcript_hello_retry(&t, suite) == WC_TLS13_OK);
    CHECK(t.state == WC_TLS13_TRANSCRIPT_RETRY);
    wc_tls13_transcript_update(&t, hrr, sizeof(hrr));
    wc_tls13_transcript_update(&t, ch2, sizeof(ch2));
    wc_tls13_transcript_update(&t, sh2, sizeof(sh2));
    CHECK(wc_tls13_transcript_select(&t, suite) == WC_TLS13_OK);
    CHECK(wc_tls13_transcript_hash(&t, got, &len) == WC_TLS13_OK);
    CHECK(len == hash_len);
    CHECK_MEM(got, want, hash_len);
}

static void
test_hello_retry(void)
{
    struct wc_tls13_transcript t;
    uint8_t out[48];
    size_t len;

    check_hello_retry(WC_TLS13_AES_128_GCM_SHA256, &br_sha256_vtable, 32);
    check_hello_retry(WC_TLS13_AES_256_GCM_SHA384, &br_sha384_vtable, 48);

    /* The ServerHello may not change the HRR's suite (4.1.4). */
    wc_tls13_transcript_init(&t);
    wc_tls13_transcript_update(&t, "x", 1);
    CHECK(wc_tls13_transcript_hello_retry(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_128_CCM_SHA256) ==
          WC_TLS13_SUITE);
    CHECK(t.state == WC_TLS13_TRANSCRIPT_FAILED);
    CHECK(wc_tls13_transcript_update(&t, "y", 1) == WC_TLS13_SUITE);
    CHECK(wc_tls13_transcript_hash(&t, out, &len) == WC_TLS13_SUITE);

    /* A second HRR, or one after the ServerHello, is refused. */
    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_hello_retry(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_hello_retry(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_ORDER);
    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_hello_retry(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_ORDER);

    /* No hash before the suite is known; no unknown suites. */
    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_hash(&t, out, &len) == WC_TLS13_ORDER);
    CHECK(wc_tls13_transcript_select(&t, 0x1303) == WC_TLS13_SUITE);
    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_OK);
    CHECK(wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256) ==
          WC_TLS13_ORDER);
    wc_tls13_transcript_wipe(&t);
    CHECK(all_zero(&t, sizeof(t)));
    CHECK(wc_tls13_transcript_update(&t, "z", 1) == WC_TLS13_ORDER);
}

/* A refused step fails the schedule for good: secrets wiped, sticky. */
static void
check_poisoned(const struct wc_tls13_schedule *ks, int err)
{
    CHECK(ks->stage == WC_TLS13_FAILED);
    CHECK(ks->err == err);
    CHECK(secrets_zero(ks));
}

static void
test_out_of_order(void)
{
    struct wc_tls13_schedule ks;
    struct wc_tls13_transcript t, t384;
    uint8_t key[WC_TLS13_KEY_MAX], iv[WC_TLS13_IV_LEN], vd[48], bad[32];
    size_t key_len = 99, len;

    /* Handshake before early. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    wc_tls13_transcript_init(&t);
    wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256);
    CHECK(wc_tls13_handshake(&ks, ecdhe, sizeof(ecdhe), &t) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);
    /* ...and every later step returns that error, in order or not. */
    CHECK(wc_tls13_early(&ks) == WC_TLS13_ORDER);
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_HANDSHAKE, key, &key_len,
                                iv) == WC_TLS13_ORDER);
    CHECK(key_len == 0);
    CHECK(wc_tls13_master(&ks, &t) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);
    /* init starts over. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);

    /* A wiped schedule does nothing until init. */
    wc_tls13_wipe(&ks);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* Suites outside the policy: ChaCha20 (0x1303), CCM_8 (0x1305). */
    CHECK(wc_tls13_init(&ks, 0x1303) == WC_TLS13_SUITE);
    check_poisoned(&ks, WC_TLS13_SUITE);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_SUITE);
    CHECK(wc_tls13_init(&ks, 0x1305) == WC_TLS13_SUITE);

    /* Early twice. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* Master before the server's Finished was checked. */
    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    CHECK(wc_tls13_master(&ks, &t) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* Application keys in HANDSHAKE. */
    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* A wrong server Finished: one bit off, or a short one. */
    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    wc_tls13_transcript_update(&t, ee, sizeof(ee));
    wc_tls13_transcript_update(&t, cert, sizeof(cert));
    wc_tls13_transcript_update(&t, cv, sizeof(cv));
    memcpy(bad, sf + 4, sizeof(bad));
    bad[31] ^= 0x01;
    CHECK(wc_tls13_server_finished(&ks, &t, bad, 32) == WC_TLS13_FINISHED);
    check_poisoned(&ks, WC_TLS13_FINISHED);
    wc_tls13_transcript_update(&t, sf, sizeof(sf));
    CHECK(wc_tls13_master(&ks, &t) == WC_TLS13_FINISHED);
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_APPLICATION, key, &key_len,
                                iv) == WC_TLS13_FINISHED);

    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    wc_tls13_transcript_update(&t, ee, sizeof(ee));
    wc_tls13_transcript_update(&t, cert, sizeof(cert));
    wc_tls13_transcript_update(&t, cv, sizeof(cv));
    CHECK(wc_tls13_server_finished(&ks, &t, sf + 4, 31) == WC_TLS13_FINISHED);
    check_poisoned(&ks, WC_TLS13_FINISHED);

    /* The right Finished over the wrong transcript (one message short). */
    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    wc_tls13_transcript_update(&t, ee, sizeof(ee));
    wc_tls13_transcript_update(&t, cert, sizeof(cert));
    CHECK(wc_tls13_server_finished(&ks, &t, sf + 4, 32) == WC_TLS13_FINISHED);
    check_poisoned(&ks, WC_TLS13_FINISHED);

    /* The server's Finished twice. */
    run_rfc8448(&ks, &t, AT_SERVER_FINISHED);
    CHECK(wc_tls13_server_finished(&ks, &t, sf + 4, 32) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* KeyUpdate before the handshake is done. */
    run_rfc8448(&ks, &t, AT_MASTER);
    CHECK(wc_tls13_key_update(&ks, WC_TLS13_CLIENT_APPLICATION, key, &key_len,
                              iv) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* DONE before the client's Finished; the client's Finished twice. */
    run_rfc8448(&ks, &t, AT_MASTER);
    CHECK(wc_tls13_done(&ks, &t) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);
    run_rfc8448(&ks, &t, AT_MASTER);
    CHECK(wc_tls13_client_finished(&ks, &t, vd, &len) == WC_TLS13_OK);
    CHECK(wc_tls13_client_finished(&ks, &t, vd, &len) == WC_TLS13_ORDER);
    CHECK(len == 0);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* Handshake keys after DONE. */
    run_rfc8448(&ks, &t, AT_DONE);
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_HANDSHAKE, key, &key_len,
                                iv) == WC_TLS13_ORDER);
    check_poisoned(&ks, WC_TLS13_ORDER);

    /* A transcript of another suite, or with no suite yet. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    wc_tls13_transcript_init(&t384);
    wc_tls13_transcript_select(&t384, WC_TLS13_AES_256_GCM_SHA384);
    CHECK(wc_tls13_handshake(&ks, ecdhe, sizeof(ecdhe), &t384) ==
          WC_TLS13_ARGUMENT);
    check_poisoned(&ks, WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    wc_tls13_transcript_init(&t);
    CHECK(wc_tls13_handshake(&ks, ecdhe, sizeof(ecdhe), &t) ==
          WC_TLS13_ARGUMENT);
    check_poisoned(&ks, WC_TLS13_ARGUMENT);

    /* Bad shared secrets and NULL buffers. */
    CHECK(wc_tls13_init(&ks, WC_TLS13_AES_128_GCM_SHA256) == WC_TLS13_OK);
    CHECK(wc_tls13_early(&ks) == WC_TLS13_OK);
    wc_tls13_transcript_select(&t, WC_TLS13_AES_128_GCM_SHA256);
    CHECK(wc_tls13_handshake(&ks, ecdhe, 0, &t) == WC_TLS13_ARGUMENT);
    check_poisoned(&ks, WC_TLS13_ARGUMENT);
    run_rfc8448(&ks, &t, AT_HANDSHAKE);
    CHECK(wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_HANDSHAKE, NULL, &key_len,
                                iv) == WC_TLS13_ARGUMENT);
    check_poisoned(&ks, WC_TLS13_ARGUMENT);
    CHECK(wc_tls13_early(NULL) == WC_TLS13_ARGUMENT);

    CHECK(strcmp(wc_tls13_strerror(WC_TLS13_ORDER),
                 "key schedule step out of order") == 0);
    CHECK(strcmp(wc_tls13_strerror(12345), "unknown error") == 0);
    wc_tls13_transcript_wipe(&t);
    wc_tls13_transcript_wipe(&t384);
}

static void
test_wipe(void)
{
    struct wc_tls13_schedule ks;
    struct wc_tls13_transcript t;

    run_rfc8448(&ks, &t, AT_MASTER);
    CHECK(!secrets_zero(&ks));
    wc_tls13_wipe(&ks);
    CHECK(all_zero(&ks, sizeof(ks)));
    CHECK(ks.stage == WC_TLS13_NONE);
    wc_tls13_transcript_wipe(&t);
    CHECK(all_zero(&t, sizeof(t)));

    run_rfc8448(&ks, &t, AT_DONE);
    wc_tls13_wipe(&ks);
    CHECK(all_zero(&ks, sizeof(ks)));
    wc_tls13_wipe(NULL);
    wc_tls13_transcript_wipe(NULL);
}

int
main(void)
{
    printf("sizeof(struct wc_tls13_schedule) = %zu\n",
           sizeof(struct wc_tls13_schedule));
    printf("sizeof(struct wc_tls13_transcript) = %zu\n",
           sizeof(struct wc_tls13_transcript));
    CHECK(sizeof(struct wc_tls13_schedule) <= 512);

    load_rfc8448();
    test_rfc8448_simple_1rtt();
    test_hkdf_label_bytes();
    test_expand_label();
    test_key_update();
    test_sha384_suite();
    test_hello_retry();
    test_out_of_order();
    test_wipe();
    return wt_finish("test_tls13_schedule");
}
