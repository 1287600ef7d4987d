/*
 * The host's TLS record layer (host/record.c): the records of RFC 8448
 * section 3 read and rewritten byte for byte, round trips for each suite
 * through reads of random sizes, every failure with its alert and the
 * failed state after it, and key wiping.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "check.h"
#include "rfc8448.h"
#include "record.h"

/* RFC 8448 section 3 vectors: tests/support/rfc8448.c. */

#define SEQ_LAST UINT64_C(0xFFFFFFFFFFFFFFFF)
#define DATA_MAX 70000
#define WIRE_MAX (DATA_MAX + 200 * WARDEN_REC_OVERHEAD + 16384)

static uint8_t rbuf_a[WARDEN_REC_READ_BUF];
static uint8_t rbuf_b[WARDEN_REC_READ_BUF];
static uint8_t rbuf_c[WARDEN_REC_READ_BUF];
static uint8_t data[DATA_MAX];
static uint8_t got[DATA_MAX + 1];
static uint8_t wire[WIRE_MAX];
static uint8_t out[WARDEN_REC_WRITE_BUF];

static const unsigned suites[] = {WARDEN_TLS_AES_128_GCM_SHA256,
                                  WARDEN_TLS_AES_256_GCM_SHA384,
                                  WARDEN_TLS_AES_128_CCM_SHA256};

/* Fixed keys for the tests that craft records: one per direction. */
static const uint8_t key_ab[32] = {
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
    0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20};
static const uint8_t iv_ab[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t key_ba[32] = {
    0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb,
    0xfc, 0xfd, 0xfe, 0xff, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6,
    0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xd0};
static const uint8_t iv_ba[12] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
                                  0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb};

/* xorshift64*: the same sequence on every run for a seed. */
static uint64_t prng_state;

static void
prng_seed(uint64_t seed)
{
    prng_state = seed | 1;
}

static uint32_t
prng(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return (uint32_t)((prng_state * UINT64_C(0x2545F4914F6CDD1D)) >> 32);
}

static void
prng_fill(uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        p[i] = (uint8_t)prng();
    }
}

static unsigned
nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0');
    }
    return (unsigned)(c - 'a' + 10);
}

/* Decodes lower-case hex into out; returns the byte count. */
static size_t
unhex(const char *s, uint8_t *dst, size_t cap)
{
    size_t n = 0;

    while (s[0] != '\0' && s[1] != '\0' && n < cap) {
        dst[n++] = (uint8_t)(nibble(s[0]) << 4 | nibble(s[1]));
        s += 2;
    }
    return n;
}

static size_t
key_len_of(unsigned suite)
{
    return suite == WARDEN_TLS_AES_256_GCM_SHA384 ? 32 : 16;
}

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
contains(const void *hay, size_t len, const void *needle, size_t n)
{
    const uint8_t *h = hay;
    size_t i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(h + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
set_keys_hex(struct warden_rec *rec, int dir, unsigned epoch,
             const char *key_hex, const char *iv_hex)
{
    uint8_t key[16], iv[12];

    CHECK(unhex(key_hex, key, sizeof(key)) == sizeof(key));
    CHECK(unhex(iv_hex, iv, sizeof(iv)) == sizeof(iv));
    return warden_rec_set_keys(rec, dir, epoch, WARDEN_TLS_AES_128_GCM_SHA256,
                               key, sizeof(key), iv);
}

/*
 * A TLS 1.3 record sealed here, apart from record.c, with BearSSL's
 * 32-bit constant-time AES and GHASH (not among those record.c picks):
 * inner is the whole TLSInnerPlaintext, outer the header's type.
 */
static size_t
seal_raw(unsigned suite, const uint8_t *key, const uint8_t iv[12], uint64_t seq,
         unsigned outer, const uint8_t *inner, size_t inner_len, uint8_t *dst)
{
    uint8_t nonce[12];
    size_t clen = inner_len + 16;
    int i;

    memcpy(nonce, iv, 12);
    for (i = 0; i < 8; i++) {
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    }
    dst[0] = (uint8_t)outer;
    dst[1] = 0x03;
    dst[2] = 0x03;
    dst[3] = (uint8_t)(clen >> 8);
    dst[4] = (uint8_t)clen;
    memmove(dst + 5, inner, inner_len);

    if (suite == WARDEN_TLS_AES_128_CCM_SHA256) {
        br_aes_ct_ctrcbc_keys aes;
        br_ccm_context ccm;

        br_aes_ct_ctrcbc_init(&aes, key, 16);
        br_ccm_init(&ccm, &aes.vtable);
        CHECK(br_ccm_reset(&ccm, nonce, 12, 5, inner_len, 16) == 1);
        br_ccm_aad_inject(&ccm, dst, 5);
        br_ccm_flip(&ccm);
        br_ccm_run(&ccm, 1, dst + 5, inner_len);
        br_ccm_get_tag(&ccm, dst + 5 + inner_len);
    } else {
        br_aes_ct_ctr_keys aes;
        br_gcm_context gcm;

        br_aes_ct_ctr_init(&aes, key, key_len_of(suite));
        br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul32);
        br_gcm_reset(&gcm, nonce, 12);
        br_gcm_aad_inject(&gcm, dst, 5);
        br_gcm_flip(&gcm);
        br_gcm_run(&gcm, 1, dst + 5, inner_len);
        br_gcm_get_tag(&gcm, dst + 5 + inner_len);
    }
    return 5 + clen;
}

/* Reads one record that is the whole of in. */
static int
read_one(struct warden_rec *rec, const uint8_t *in, size_t len,
         struct warden_rec_msg *msg)
{
    size_t used = 0;
    int rc = warden_rec_read(rec, in, len, &used, msg);

    if (rc == WARDEN_REC_OK) {
        CHECK(used == len);
    }
    return rc;
}

/*
 * A pair of layers facing each other: a writes with key_ab and reads with
 * key_ba, b the other way round, both in epoch (handshake keys are
 * installed first either way).
 */
static void
pair(struct warden_rec *a, uint8_t *abuf, struct warden_rec *b, uint8_t *bbuf,
     unsigned suite, unsigned epoch, int portable)
{
    size_t kl = key_len_of(suite);
    unsigned e;

    CHECK(warden_rec_init(a, WARDEN_TLS_1_3, abuf, WARDEN_REC_READ_BUF) ==
          WARDEN_REC_OK);
    CHECK(warden_rec_init(b, WARDEN_TLS_1_3, bbuf, WARDEN_REC_READ_BUF) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(a, portable);
    warden_rec_use_portable(b, !portable);
    for (e = WARDEN_REC_EPOCH_HANDSHAKE; e <= epoch; e++) {
        CHECK(warden_rec_set_keys(a, WARDEN_REC_DIR_WRITE, e, suite, key_ab, kl,
                                  iv_ab) == WARDEN_REC_OK);
        CHECK(warden_rec_set_keys(a, WARDEN_REC_DIR_READ, e, suite, key_ba, kl,
                                  iv_ba) == WARDEN_REC_OK);
        CHECK(warden_rec_set_keys(b, WARDEN_REC_DIR_WRITE, e, suite, key_ba, kl,
                                  iv_ba) == WARDEN_REC_OK);
        CHECK(warden_rec_set_keys(b, WARDEN_REC_DIR_READ, e, suite, key_ab, kl,
                                  iv_ab) == WARDEN_REC_OK);
    }
}

/* A layer reading with key_ab in epoch; it writes in the clear. */
static void
reader(struct warden_rec *rec, uint8_t *buf, unsigned suite, unsigned epoch)
{
    unsigned e;

    CHECK(warden_rec_init(rec, WARDEN_TLS_1_3, buf, WARDEN_REC_READ_BUF) ==
          WARDEN_REC_OK);
    for (e = WARDEN_REC_EPOCH_HANDSHAKE; e <= epoch; e++) {
        CHECK(warden_rec_set_keys(rec, WARDEN_REC_DIR_READ, e, suite, key_ab,
                                  key_len_of(suite), iv_ab) == WARDEN_REC_OK);
    }
}

/*
 * A failed layer: every call returns err, both directions' keys and the
 * read buffer are zeros.
 */
static void
check_failed(struct warden_rec *rec, const uint8_t *buf, int err)
{
    struct warden_rec_msg msg;
    uint8_t one = 0x16, tiny[64];
    size_t used, n;

    CHECK(warden_rec_read(rec, &one, 1, &used, &msg) == err);
    CHECK(used == 0);
    CHECK(warden_rec_write(rec, WARDEN_CT_HANDSHAKE, &one, 1, &used, tiny,
                           sizeof(tiny), &n) == err);
    CHECK(n == 0);
    CHECK(warden_rec_write_alert(rec, WARDEN_ALERT_CLOSE_NOTIFY, tiny,
                                 sizeof(tiny), &n) == err);
    CHECK(warden_rec_write_ccs(rec, tiny, sizeof(tiny), &n) == err);
    CHECK(warden_rec_set_keys(
              rec, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION,
              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16, iv_ab) == err);
    CHECK(warden_rec_set_max_fragment(rec, 512) == err);
    CHECK(warden_rec_set_padding(rec, 16) == err);
    CHECK(all_zero(&rec->rd, sizeof(rec->rd)));
    CHECK(all_zero(&rec->wr, sizeof(rec->wr)));
    CHECK(all_zero(buf, WARDEN_REC_READ_BUF));
    CHECK(!contains(rec, sizeof(*rec), iv_ab, sizeof(iv_ab)));
    CHECK(!contains(rec, sizeof(*rec), iv_ba, sizeof(iv_ba)));
}

/*
 * Takes the alert that a failed layer kept for its peer and has the peer
 * read it: a fatal alert with description desc.
 */
static void
check_alert_to_peer(struct warden_rec *rec, struct warden_rec *peer,
                    unsigned desc)
{
    struct warden_rec_msg msg;
    uint8_t rec_out[64];
    size_t n;

    CHECK(warden_rec_pending_alert(rec, rec_out, sizeof(rec_out), &n) ==
          WARDEN_REC_OK);
    CHECK(n == WARDEN_REC_OVERHEAD + 2);
    CHECK(read_one(peer, rec_out, n, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.type == WARDEN_CT_ALERT);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_FATAL);
    CHECK(msg.alert_desc == desc);
    /* Handed out once. */
    CHECK(warden_rec_pending_alert(rec, rec_out, sizeof(rec_out), &n) ==
          WARDEN_REC_OK);
    CHECK(n == 0);
}

/* 00 01 02 ... 31: the application data both sides send in the trace. */
static void
rfc8448_app_data(uint8_t app[50])
{
    size_t i;

    for (i = 0; i < 50; i++) {
        app[i] = (uint8_t)i;
    }
}

/* EncryptedExtensions to the server Finished, as one handshake stream. */
static size_t
rfc8448_flight(uint8_t *dst, size_t cap)
{
    size_t n = 0;

    n += unhex(R8448_EE, dst + n, cap - n);
    n += unhex(R8448_CERT, dst + n, cap - n);
    n += unhex(R8448_CV, dst + n, cap - n);
    n += unhex(R8448_SFIN, dst + n, cap - n);
    return n;
}

/* The client reads every record the server sent, one at a time. */
static void
test_rfc8448_client_reads(int portable)
{
    static uint8_t rec_in[1024], want[1024];
    struct warden_rec rec;
    struct warden_rec_msg msg;
    size_t n, wn;

    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);

    n = unhex(R8448_SH_REC, rec_in, sizeof(rec_in));
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == n - 5);
    CHECK(msg.len == n - 5 && memcmp(msg.data, rec_in + 5, n - 5) == 0);

    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE,
                       R8448_S_HS_KEY, R8448_S_HS_IV) == WARDEN_REC_OK);
    n = unhex(R8448_FLIGHT_REC, rec_in, sizeof(rec_in));
    CHECK(n == 679);
    wn = rfc8448_flight(want, sizeof(want));
    CHECK(wn == 657);
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == wn);
    if (msg.len == wn) {
        CHECK_MEM(msg.data, want, wn);
    }

    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION,
                       R8448_S_AP_KEY, R8448_S_AP_IV) == WARDEN_REC_OK);
    n = unhex(R8448_TICKET_REC, rec_in, sizeof(rec_in));
    wn = unhex(R8448_NST, want, sizeof(want));
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == wn);
    if (msg.len == wn) {
        CHECK_MEM(msg.data, want, wn);
    }

    n = unhex(R8448_SERVER_APP_REC, rec_in, sizeof(rec_in));
    rfc8448_app_data(want);
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len == 50);
    if (msg.len == 50) {
        CHECK_MEM(msg.data, want, 50);
    }
    CHECK(warden_rec_seq(&rec, WARDEN_REC_DIR_READ) == 2);

    n = unhex(R8448_SERVER_ALERT_REC, rec_in, sizeof(rec_in));
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_CLOSED);
    CHECK(msg.type == WARDEN_CT_ALERT);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_WARNING);
    CHECK(msg.alert_desc == WARDEN_ALERT_CLOSE_NOTIFY);
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_CLOSED);
    CHECK(all_zero(&rec.rd, sizeof(rec.rd)));
    warden_rec_wipe(&rec);
}

/* The server reads the client's records. */
static void
test_rfc8448_server_reads(int portable)
{
    static uint8_t rec_in[256], want[256];
    struct warden_rec rec;
    struct warden_rec_msg msg;
    size_t n, wn;

    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);
    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE,
                       R8448_C_HS_KEY, R8448_C_HS_IV) == WARDEN_REC_OK);
    n = unhex(R8448_FIN_REC, rec_in, sizeof(rec_in));
    wn = unhex(R8448_CFIN, want, sizeof(want));
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == wn);
    if (msg.len == wn) {
        CHECK_MEM(msg.data, want, wn);
    }

    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION,
                       R8448_C_AP_KEY, R8448_C_AP_IV) == WARDEN_REC_OK);
    n = unhex(R8448_CLIENT_APP_REC, rec_in, sizeof(rec_in));
    rfc8448_app_data(want);
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len == 50);
    if (msg.len == 50) {
        CHECK_MEM(msg.data, want, 50);
    }
    n = unhex(R8448_CLIENT_ALERT_REC, rec_in, sizeof(rec_in));
    CHECK(read_one(&rec, rec_in, n, &msg) == WARDEN_REC_CLOSED);
    CHECK(msg.alert_desc == WARDEN_ALERT_CLOSE_NOTIFY);
    warden_rec_wipe(&rec);
}

/* Writes len bytes of type as one record and compares with want_hex. */
static void
check_written(struct warden_rec *rec, unsigned type, const uint8_t *msg,
              size_t len, const char *want_hex)
{
    static uint8_t want[1024];
    size_t wn = unhex(want_hex, want, sizeof(want));
    size_t used, n;

    CHECK(warden_rec_write(rec, type, msg, len, &used, out, sizeof(out), &n) ==
          WARDEN_REC_OK);
    CHECK(used == len);
    CHECK(n == wn);
    if (n == wn) {
        CHECK_MEM(out, want, wn);
    }
}

/* Both writers reproduce the trace's protected records byte for byte. */
static void
test_rfc8448_writes(int portable)
{
    static uint8_t msg[1024], want[64];
    struct warden_rec rec;
    size_t len, n;

    /* The client: Finished, application data, close_notify. */
    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);
    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE,
                       R8448_C_HS_KEY, R8448_C_HS_IV) == WARDEN_REC_OK);
    len = unhex(R8448_CFIN, msg, sizeof(msg));
    check_written(&rec, WARDEN_CT_HANDSHAKE, msg, len, R8448_FIN_REC);
    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                       R8448_C_AP_KEY, R8448_C_AP_IV) == WARDEN_REC_OK);
    rfc8448_app_data(msg);
    check_written(&rec, WARDEN_CT_APPLICATION_DATA, msg, 50,
                  R8448_CLIENT_APP_REC);
    CHECK(warden_rec_write_alert(&rec, WARDEN_ALERT_CLOSE_NOTIFY, out,
                                 sizeof(out), &len) == WARDEN_REC_OK);
    n = unhex(R8448_CLIENT_ALERT_REC, want, sizeof(want));
    CHECK(len == n);
    CHECK_MEM(out, want, n);
    CHECK(all_zero(&rec.wr, sizeof(rec.wr)));
    CHECK(warden_rec_write(&rec, WARDEN_CT_APPLICATION_DATA, msg, 1, &len, out,
                           sizeof(out), &n) == WARDEN_REC_CLOSED);

    /* The server: its flight, the ticket, application data, close_notify. */
    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);
    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE,
                       R8448_S_HS_KEY, R8448_S_HS_IV) == WARDEN_REC_OK);
    len = rfc8448_flight(msg, sizeof(msg));
    check_written(&rec, WARDEN_CT_HANDSHAKE, msg, len, R8448_FLIGHT_REC);
    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                       R8448_S_AP_KEY, R8448_S_AP_IV) == WARDEN_REC_OK);
    len = unhex(R8448_NST, msg, sizeof(msg));
    check_written(&rec, WARDEN_CT_HANDSHAKE, msg, len, R8448_TICKET_REC);
    rfc8448_app_data(msg);
    check_written(&rec, WARDEN_CT_APPLICATION_DATA, msg, 50,
                  R8448_SERVER_APP_REC);
    CHECK(warden_rec_write_alert(&rec, WARDEN_ALERT_CLOSE_NOTIFY, out,
                                 sizeof(out), &len) == WARDEN_REC_OK);
    n = unhex(R8448_SERVER_ALERT_REC, want, sizeof(want));
    CHECK(len == n);
    CHECK_MEM(out, want, n);
    warden_rec_wipe(&rec);
}

/*
 * The server's side of the trace as one byte stream, with a
 * middlebox-compatibility ChangeCipherSpec after the ServerHello, fed in
 * chunks of random sizes (one byte at a time included). The reader hands
 * back one record per call, so the keys change at the right byte.
 */
static void
test_rfc8448_stream(int portable, uint64_t seed, size_t chunk_max)
{
    static uint8_t stream[2048], hs[2048], want[2048];
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    struct warden_rec rec;
    struct warden_rec_msg msg;
    size_t len = 0, off = 0, hs_len = 0, app_len = 0, wn, sh_len;
    int records = 0, rc = WARDEN_REC_OK;

    sh_len = unhex(R8448_SH_REC, stream, sizeof(stream) - sizeof(ccs));
    len = sh_len;
    if (len > sizeof(stream) - sizeof(ccs)) {
        CHECK(!"RFC 8448 ServerHello record too long for the buffer");
        return;
    }
    memcpy(stream + len, ccs, sizeof(ccs));
    len += sizeof(ccs);
    len += unhex(R8448_FLIGHT_REC, stream + len, sizeof(stream) - len);
    len += unhex(R8448_TICKET_REC, stream + len, sizeof(stream) - len);
    len += unhex(R8448_SERVER_APP_REC, stream + len, sizeof(stream) - len);
    len += unhex(R8448_SERVER_ALERT_REC, stream + len, sizeof(stream) - len);

    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);
    prng_seed(seed);
    while (off < len && rc != WARDEN_REC_CLOSED) {
        size_t chunk = 1 + prng() % chunk_max;
        size_t left, used;

        if (chunk > len - off) {
            chunk = len - off;
        }
        left = chunk;
        do {
            rc = warden_rec_read(&rec, stream + off, left, &used, &msg);
            off += used;
            left -= used;
            if (rc == WARDEN_REC_OK) {
                records++;
                if (msg.type == WARDEN_CT_HANDSHAKE) {
                    memcpy(hs + hs_len, msg.data, msg.len);
                    hs_len += msg.len;
                } else if (msg.type == WARDEN_CT_APPLICATION_DATA) {
                    memcpy(got + app_len, msg.data, msg.len);
                    app_len += msg.len;
                }
                /* The driver's part: keys after ServerHello, Finished. */
                if (records == 1) {
                    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ,
                                       WARDEN_REC_EPOCH_HANDSHAKE,
                                       R8448_S_HS_KEY,
                                       R8448_S_HS_IV) == WARDEN_REC_OK);
                } else if (records == 2) {
                    CHECK(set_keys_hex(&rec, WARDEN_REC_DIR_READ,
                                       WARDEN_REC_EPOCH_APPLICATION,
                                       R8448_S_AP_KEY,
                                       R8448_S_AP_IV) == WARDEN_REC_OK);
                }
            } else if (rc == WARDEN_REC_WANT_READ) {
                CHECK(left == 0);
            }
        } while (left > 0 && rc == WARDEN_REC_OK);
        CHECK(rc == WARDEN_REC_OK || rc == WARDEN_REC_WANT_READ ||
              rc == WARDEN_REC_CLOSED);
        if (rc != WARDEN_REC_OK && rc != WARDEN_REC_WANT_READ) {
            break;
        }
    }
    CHECK(rc == WARDEN_REC_CLOSED);
    CHECK(off == len);
    CHECK(records == 4);

    wn = sh_len - 5;
    memcpy(want, stream + 5, wn);
    wn += rfc8448_flight(want + wn, sizeof(want) - wn);
    wn += unhex(R8448_NST, want + wn, sizeof(want) - wn);
    CHECK(hs_len == wn);
    if (hs_len == wn) {
        CHECK_MEM(hs, want, wn);
    }
    rfc8448_app_data(want);
    CHECK(app_len == 50);
    CHECK_MEM(got, want, 50);
    warden_rec_wipe(&rec);
}

/*
 * Writes data[0..len) as application data through w in calls with room
 * for a random number of records, into wire. Returns the wire length;
 * *records gets the record count.
 */
static size_t
write_all(struct warden_rec *w, size_t len, size_t frag, size_t *records)
{
    size_t done = 0, used = 0, off;

    do {
        size_t cap = frag + 64 + prng() % (3 * frag + 64);
        size_t took, n;
        int rc;

        if (cap > WIRE_MAX - used) {
            cap = WIRE_MAX - used;
        }
        rc = warden_rec_write(w, WARDEN_CT_APPLICATION_DATA, data + done,
                              len - done, &took, wire + used, cap, &n);
        CHECK(rc == WARDEN_REC_OK);
        if (rc != WARDEN_REC_OK) {
            break;
        }
        done += took;
        used += n;
    } while (done < len);
    CHECK(done == len);

    /* Count the records and check each against the fragment size. */
    *records = 0;
    for (off = 0; off + 5 <= used;) {
        size_t rlen = ((size_t)wire[off + 3] << 8) | wire[off + 4];

        CHECK(wire[off] == WARDEN_CT_APPLICATION_DATA);
        CHECK(rlen <= frag + 1 + WARDEN_REC_TAG_LEN);
        off += 5 + rlen;
        (*records)++;
    }
    CHECK(off == used);
    return used;
}

/*
 * Feeds wire[0..len) to r in chunks of 1 to chunk_max bytes (one byte in
 * eight chunks), collecting the application data into got. Returns its
 * length; *records gets the record count.
 */
static size_t
read_all(struct warden_rec *r, size_t len, size_t chunk_max, size_t *records)
{
    struct warden_rec_msg msg;
    size_t off = 0, got_len = 0;

    *records = 0;
    while (off < len) {
        size_t chunk = prng() % 8 == 0 ? 1 : 1 + prng() % chunk_max;
        size_t left, used;
        int rc;

        if (chunk > len - off) {
            chunk = len - off;
        }
        left = chunk;
        do {
            rc = warden_rec_read(r, wire + off, left, &used, &msg);
            off += used;
            left -= used;
            if (rc == WARDEN_REC_OK) {
                CHECK(msg.type == WARDEN_CT_APPLICATION_DATA);
                if (got_len + msg.len <= sizeof(got)) {
                    memcpy(got + got_len, msg.data, msg.len);
                }
                got_len += msg.len;
                (*records)++;
            }
        } while (left > 0 && rc == WARDEN_REC_OK);
        CHECK(rc == WARDEN_REC_OK || rc == WARDEN_REC_WANT_READ);
        if (rc != WARDEN_REC_OK && rc != WARDEN_REC_WANT_READ) {
            break;
        }
    }
    CHECK(!warden_rec_partial(r));
    return got_len;
}

/* One size through a writer and a reader with the same keys. */
static void
round_trip(struct warden_rec *w, struct warden_rec *r, size_t len, size_t frag,
           size_t pad)
{
    size_t wire_len, wrote, read, got_len, want_records;

    prng_fill(data, len);
    wire_len = write_all(w, len, frag, &wrote);
    got_len = read_all(r, wire_len, 1 + prng() % 4000, &read);
    CHECK(got_len == len);
    if (got_len == len) {
        CHECK_MEM(got, data, len);
    }

    /* Unpadded: ceil(len / frag) records, one for len 0. */
    want_records = len == 0 ? 1 : (len + frag - 1) / frag;
    CHECK(wrote == want_records);
    CHECK(read == want_records);
    if (pad == 0) {
        CHECK(wire_len == len + want_records * WARDEN_REC_OVERHEAD);
    } else {
        CHECK(wire_len >= len + want_records * WARDEN_REC_OVERHEAD);
    }
}

static void
test_round_trips(void)
{
    static const size_t sizes[] = {
        0,     1,     2,     15,    16,    17,    255,   256,   511,
        512,   513,   1023,  1024,  1025,  4096,  16383, 16384, 16385,
        32767, 32768, 32769, 65535, 65536, 69999, 70000};
    static const size_t frags[] = {512, 16384};
    struct warden_rec w, r;
    size_t s, f, i, portable, pad;

    for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
        for (portable = 0; portable < 2; portable++) {
            for (f = 0; f < 2; f++) {
                for (pad = 0; pad <= 64; pad += 64) {
                    int before = wt_failures;

                    prng_seed(1 + s * 1000 + portable * 100 + f * 10 + pad);
                    pair(&w, rbuf_a, &r, rbuf_b, suites[s],
                         WARDEN_REC_EPOCH_APPLICATION, (int)portable);
                    CHECK(warden_rec_set_max_fragment(&w, frags[f]) ==
                          WARDEN_REC_OK);
                    CHECK(warden_rec_set_padding(&w, pad) == WARDEN_REC_OK);
                    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                        round_trip(&w, &r, sizes[i], frags[f], pad);
                    }
                    for (i = 0; i < 12; i++) {
                        round_trip(&w, &r, prng() % (DATA_MAX + 1), frags[f],
                                   pad);
                    }
                    if (wt_failures != before) {
                        fprintf(stderr,
                                "  round trip: suite %04x, %s, "
                                "fragment %zu, padding %zu\n",
                                suites[s], portable ? "portable" : "default",
                                frags[f], pad);
                    }
                    warden_rec_wipe(&w);
                    warden_rec_wipe(&r);
                }
            }
        }
    }
}

/*
 * Padding (RFC 8446 5.4): content padded up to a multiple of the block,
 * never past the maximum fragment; the reader strips it.
 */
static void
test_padding(void)
{
    static const size_t lens[] = {0, 1, 63, 64, 65, 500, 512};
    struct warden_rec w, r;
    struct warden_rec_msg msg;
    size_t i, used, n, want;

    pair(&w, rbuf_a, &r, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256,
         WARDEN_REC_EPOCH_APPLICATION, 0);
    CHECK(warden_rec_set_max_fragment(&w, 512) == WARDEN_REC_OK);
    CHECK(warden_rec_set_padding(&w, 64) == WARDEN_REC_OK);
    prng_fill(data, 512);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        CHECK(warden_rec_write(&w, WARDEN_CT_APPLICATION_DATA, data, lens[i],
                               &used, out, sizeof(out), &n) == WARDEN_REC_OK);
        want = (lens[i] + 63) / 64 * 64;
        CHECK(n == WARDEN_REC_OVERHEAD + want);
        CHECK(read_one(&r, out, n, &msg) == WARDEN_REC_OK);
        CHECK(msg.len == lens[i]);
        CHECK(lens[i] == 0 || memcmp(msg.data, data, lens[i]) == 0);
    }

    /* A block larger than the fragment pads to the fragment. */
    CHECK(warden_rec_set_max_fragment(&w, 100) == WARDEN_REC_OK);
    CHECK(warden_rec_set_padding(&w, 4096) == WARDEN_REC_OK);
    CHECK(warden_rec_write(&w, WARDEN_CT_APPLICATION_DATA, data, 150, &used,
                           out, sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(used == 150 && n == 2 * (WARDEN_REC_OVERHEAD + 100));

    /* Plaintext records are never padded. */
    CHECK(warden_rec_init(&w, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    CHECK(warden_rec_set_padding(&w, 64) == WARDEN_REC_OK);
    CHECK(warden_rec_write(&w, WARDEN_CT_HANDSHAKE, data, 10, &used, out,
                           sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(n == 15);

    /* Largest record: 2^14 of content, padding cannot push it over. */
    pair(&w, rbuf_a, &r, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256,
         WARDEN_REC_EPOCH_APPLICATION, 0);
    CHECK(warden_rec_set_padding(&w, 1000) == WARDEN_REC_OK);
    prng_fill(data, 16384);
    CHECK(warden_rec_write(&w, WARDEN_CT_APPLICATION_DATA, data, 16384, &used,
                           out, sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(n == WARDEN_REC_OVERHEAD + WARDEN_REC_PLAINTEXT_MAX);
    CHECK(n <= WARDEN_REC_WRITE_BUF);
    CHECK(read_one(&r, out, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.len == 16384 && memcmp(msg.data, data, 16384) == 0);
    warden_rec_wipe(&w);
    warden_rec_wipe(&r);
}

/* Handshake messages longer than a fragment, split and read back. */
static void
test_handshake_fragments(void)
{
    struct warden_rec w, r;
    size_t used, n, off, total = 0;
    struct warden_rec_msg msg;
    int rc;

    pair(&w, rbuf_a, &r, rbuf_b, WARDEN_TLS_AES_128_CCM_SHA256,
         WARDEN_REC_EPOCH_HANDSHAKE, 1);
    CHECK(warden_rec_set_max_fragment(&w, 512) == WARDEN_REC_OK);
    prng_fill(data, 3000);
    CHECK(warden_rec_write(&w, WARDEN_CT_HANDSHAKE, data, 3000, &used, wire,
                           sizeof(wire), &n) == WARDEN_REC_OK);
    CHECK(used == 3000 && n == 3000 + 6 * WARDEN_REC_OVERHEAD);
    for (off = 0; off < n; off += used) {
        rc = warden_rec_read(&r, wire + off, n - off, &used, &msg);
        CHECK(rc == WARDEN_REC_OK);
        if (rc != WARDEN_REC_OK) {
            break;
        }
        CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len <= 512);
        CHECK(memcmp(msg.data, data + total, msg.len) == 0);
        total += msg.len;
    }
    CHECK(total == 3000);
    warden_rec_wipe(&w);
    warden_rec_wipe(&r);
}

/*
 * Every byte of a protected record flipped in turn (RFC 8446 5.2): the
 * header is additional data, so any change fails authentication, except
 * the type byte, which no longer says application_data. Trailing zeros
 * stand in for the stream after the record, for a longer length.
 */
static void
test_flips(unsigned suite)
{
    static uint8_t rec_bytes[512], bad[1024];
    struct warden_rec a, b, r;
    struct warden_rec_msg msg;
    size_t len, used, n, i;
    int rc;

    pair(&a, rbuf_a, &b, rbuf_b, suite, WARDEN_REC_EPOCH_APPLICATION, 0);
    prng_fill(data, 100);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 100, &used,
                           rec_bytes, sizeof(rec_bytes),
                           &len) == WARDEN_REC_OK);
    CHECK(len == 100 + WARDEN_REC_OVERHEAD);

    for (i = 0; i < len; i++) {
        int want = i == 0 ? WARDEN_REC_UNEXPECTED : WARDEN_REC_BAD_RECORD_MAC;
        int before = wt_failures;

        /* b reads a's records and writes back to a fresh a. */
        pair(&a, rbuf_a, &b, rbuf_b, suite, WARDEN_REC_EPOCH_APPLICATION,
             (int)(i & 1));
        memset(bad, 0, sizeof(bad));
        memcpy(bad, rec_bytes, len);
        bad[i] ^= 0x01;
        rc = warden_rec_read(&b, bad, sizeof(bad), &used, &msg);
        CHECK(rc == want);
        check_failed(&b, rbuf_b, want);
        check_alert_to_peer(&b, &a, (unsigned)warden_rec_alert_for(want));
        if (wt_failures != before) {
            fprintf(stderr, "  flip of byte %zu, suite %04x\n", i, suite);
            break;
        }
    }

    /* The record itself is fine. */
    pair(&a, rbuf_a, &b, rbuf_b, suite, WARDEN_REC_EPOCH_APPLICATION, 0);
    CHECK(read_one(&b, rec_bytes, len, &msg) == WARDEN_REC_OK);
    CHECK(msg.len == 100 && memcmp(msg.data, data, 100) == 0);

    /* A record from another sequence number (a replay) fails too. */
    CHECK(read_one(&b, rec_bytes, len, &msg) == WARDEN_REC_BAD_RECORD_MAC);

    /* Before the application epoch the stashed alert is plaintext. */
    reader(&r, rbuf_c, suite, WARDEN_REC_EPOCH_HANDSHAKE);
    memcpy(bad, rec_bytes, len);
    bad[len - 1] ^= 0x80;
    CHECK(read_one(&r, bad, len, &msg) == WARDEN_REC_BAD_RECORD_MAC);
    CHECK(warden_rec_pending_alert(&r, bad, 7, &n) == WARDEN_REC_OK);
    CHECK(n == 7);
    CHECK(memcmp(bad, "\x15\x03\x03\x00\x02\x02\x14", 7) == 0);
    warden_rec_wipe(&a);
    warden_rec_wipe(&b);
    warden_rec_wipe(&r);
}

/* One crafted record read by a fresh reader in epoch: expect err. */
static void
expect_inner(unsigned suite, unsigned epoch, unsigned outer,
             const uint8_t *inner, size_t inner_len, int err, const char *what)
{
    static uint8_t rec_bytes[WARDEN_REC_READ_BUF];
    struct warden_rec r;
    struct warden_rec_msg msg;
    size_t len;
    int rc, before = wt_failures;

    reader(&r, rbuf_c, suite, epoch);
    len = seal_raw(suite, key_ab, iv_ab, 0, outer, inner, inner_len, rec_bytes);
    rc = read_one(&r, rec_bytes, len, &msg);
    CHECK(rc == err);
    if (err != WARDEN_REC_OK) {
        check_failed(&r, rbuf_c, err);
    }
    if (wt_failures != before) {
        fprintf(stderr, "  %s: got %d (%s)\n", what, rc,
                warden_rec_strerror(rc));
    }
    warden_rec_wipe(&r);
}

/* One plaintext record (header and body in hex) read in epoch. */
static void
expect_plain(unsigned epoch, const char *hex, int err, const char *what)
{
    static uint8_t rec_bytes[64];
    struct warden_rec r;
    struct warden_rec_msg msg;
    size_t len = unhex(hex, rec_bytes, sizeof(rec_bytes)), used;
    int rc, before = wt_failures;

    if (epoch == WARDEN_REC_EPOCH_PLAIN) {
        CHECK(warden_rec_init(&r, WARDEN_TLS_1_3, rbuf_c, sizeof(rbuf_c)) ==
              WARDEN_REC_OK);
    } else {
        reader(&r, rbuf_c, WARDEN_TLS_AES_128_GCM_SHA256, epoch);
    }
    rc = warden_rec_read(&r, rec_bytes, len, &used, &msg);
    CHECK(rc == err);
    if (err != WARDEN_REC_OK && err != WARDEN_REC_WANT_READ &&
        err != WARDEN_REC_CLOSED) {
        check_failed(&r, rbuf_c, err);
    }
    if (wt_failures != before) {
        fprintf(stderr, "  %s: got %d (%s)\n", what, rc,
                warden_rec_strerror(rc));
    }
    warden_rec_wipe(&r);
}

static void
test_inner_plaintext(void)
{
    static uint8_t inner[16384 + 300];
    size_t s;

    for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
        unsigned su = suites[s];

        /* RFC 8446 5.4: no non-zero byte at all. */
        memset(inner, 0, sizeof(inner));
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 1,
                     WARDEN_REC_UNEXPECTED, "inner plaintext of one zero");
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 300,
                     WARDEN_REC_UNEXPECTED, "inner plaintext of zeros");

        /* Padding is stripped: content, type, zeros. */
        inner[0] = 'x';
        inner[1] = WARDEN_CT_APPLICATION_DATA;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 200,
                     WARDEN_REC_OK, "padded record");

        /* Unknown and misplaced inner types. */
        inner[1] = 24;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 2,
                     WARDEN_REC_UNEXPECTED, "inner type 24");
        inner[1] = 0xff;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 2,
                     WARDEN_REC_UNEXPECTED, "inner type 255");
        inner[0] = 0x01;
        inner[1] = WARDEN_CT_CHANGE_CIPHER_SPEC;
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, 23, inner, 2,
                     WARDEN_REC_UNEXPECTED, "protected ChangeCipherSpec");
        inner[0] = 'x';
        inner[1] = WARDEN_CT_APPLICATION_DATA;
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, 23, inner, 2,
                     WARDEN_REC_UNEXPECTED, "application data, hs keys");

        /* RFC 8446 5.1: no empty handshake fragment, padded or not. */
        inner[0] = WARDEN_CT_HANDSHAKE;
        inner[1] = 0;
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, 23, inner, 1,
                     WARDEN_REC_UNEXPECTED, "empty handshake record");
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, 23, inner, 40,
                     WARDEN_REC_UNEXPECTED, "empty padded handshake");
        inner[0] = WARDEN_CT_APPLICATION_DATA;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 1,
                     WARDEN_REC_OK, "empty application data");

        /* Alerts: exactly two bytes. */
        inner[0] = WARDEN_CT_ALERT;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 1,
                     WARDEN_REC_DECODE, "empty alert");
        inner[0] = 2;
        inner[1] = WARDEN_CT_ALERT;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 2,
                     WARDEN_REC_DECODE, "one-byte alert");
        inner[1] = 40;
        inner[2] = 2;
        inner[3] = WARDEN_CT_ALERT;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 4,
                     WARDEN_REC_DECODE, "three-byte alert");

        /* RFC 8446 5.2: TLSInnerPlaintext of 2^14 + 1 bytes at most. */
        memset(inner, 'y', 16384);
        inner[16384] = WARDEN_CT_APPLICATION_DATA;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 16385,
                     WARDEN_REC_OK, "inner plaintext of 2^14 + 1");
        inner[16385] = 0;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 16386,
                     WARDEN_REC_RECORD_OVERFLOW, "2^14 + 1 and padding");
        memset(inner, 0, sizeof(inner));
        inner[0] = 'z';
        inner[1] = WARDEN_CT_APPLICATION_DATA;
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 23, inner, 16384 + 240,
                     WARDEN_REC_RECORD_OVERFLOW, "ciphertext of 2^14 + 256");

        /* RFC 8446 5.2: outer type application_data only. */
        inner[0] = 'x';
        inner[1] = WARDEN_CT_HANDSHAKE;
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, WARDEN_CT_HANDSHAKE, inner,
                     2, WARDEN_REC_UNEXPECTED, "outer type handshake");
        expect_inner(su, WARDEN_REC_EPOCH_HANDSHAKE, WARDEN_CT_ALERT, inner, 2,
                     WARDEN_REC_UNEXPECTED, "outer type alert");
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 24, inner, 2,
                     WARDEN_REC_UNEXPECTED, "outer type 24");
        expect_inner(su, WARDEN_REC_EPOCH_APPLICATION, 0, inner, 2,
                     WARDEN_REC_UNEXPECTED, "outer type 0");
    }
}

static void
test_plaintext_records(void)
{
    unsigned p = WARDEN_REC_EPOCH_PLAIN;
    unsigned h = WARDEN_REC_EPOCH_HANDSHAKE;
    unsigned a = WARDEN_REC_EPOCH_APPLICATION;

    expect_plain(p, "16030300020102", WARDEN_REC_OK, "handshake");
    expect_plain(p, "16010000020102", WARDEN_REC_OK, "legacy version 0x0100");
    expect_plain(p, "1603030000", WARDEN_REC_UNEXPECTED, "empty handshake");
    expect_plain(p, "17030300020102", WARDEN_REC_UNEXPECTED,
                 "application data before keys");
    expect_plain(p, "18030300020102", WARDEN_REC_UNEXPECTED, "type 24");
    expect_plain(p, "00030300020102", WARDEN_REC_UNEXPECTED, "type 0");
    expect_plain(p, "ff030300020102", WARDEN_REC_UNEXPECTED, "type 255");
    expect_plain(p, "4745542f20", WARDEN_REC_UNEXPECTED, "HTTP");

    /* RFC 8446 5.1: 2^14 at most, refused on the header alone. */
    expect_plain(p, "1603034001", WARDEN_REC_RECORD_OVERFLOW, "2^14 + 1");
    expect_plain(p, "16030340000102", WARDEN_REC_WANT_READ, "2^14");
    expect_plain(p, "160303ffff", WARDEN_REC_RECORD_OVERFLOW, "65535");
    expect_plain(h, "1703034101", WARDEN_REC_RECORD_OVERFLOW,
                 "ciphertext 2^14 + 257");
    expect_plain(h, "17030341000102", WARDEN_REC_WANT_READ,
                 "ciphertext 2^14 + 256");
    expect_plain(h, "1703030010", WARDEN_REC_BAD_RECORD_MAC,
                 "ciphertext shorter than a tag and a type");
    expect_plain(h, "1703030000", WARDEN_REC_BAD_RECORD_MAC,
                 "empty ciphertext");

    /* Unprotected handshake and alerts once keys are in. */
    expect_plain(h, "16030300020102", WARDEN_REC_UNEXPECTED,
                 "plaintext handshake under keys");
    expect_plain(a, "15030300020100", WARDEN_REC_UNEXPECTED,
                 "plaintext alert under keys");

    /* Alerts in the clear. */
    expect_plain(p, "15030300020228", WARDEN_REC_PEER_ALERT, "fatal alert");
    expect_plain(p, "15030300020128", WARDEN_REC_PEER_ALERT,
                 "error alert at level warning");
    expect_plain(p, "150303000102", WARDEN_REC_DECODE, "one-byte alert");
    expect_plain(p, "1503030000", WARDEN_REC_DECODE, "empty alert");
    expect_plain(p, "1503030003020000", WARDEN_REC_DECODE, "alert and more");
    expect_plain(p, "1503030002015a", WARDEN_REC_OK, "user_canceled");
    expect_plain(p, "15030300020100", WARDEN_REC_CLOSED, "close_notify");

    /* RFC 8446 5: ChangeCipherSpec. */
    expect_plain(p, "140303000101", WARDEN_REC_WANT_READ, "CCS dropped");
    expect_plain(h, "140303000101", WARDEN_REC_WANT_READ, "CCS, hs keys");
    expect_plain(a, "140303000101", WARDEN_REC_UNEXPECTED,
                 "CCS after the handshake");
    expect_plain(p, "140303000102", WARDEN_REC_UNEXPECTED, "CCS value 2");
    expect_plain(p, "140303000100", WARDEN_REC_UNEXPECTED, "CCS value 0");
    expect_plain(p, "14030300020101", WARDEN_REC_UNEXPECTED, "CCS of two");
    expect_plain(p, "1403030000", WARDEN_REC_UNEXPECTED, "empty CCS");
}

/* Alerts from the peer, as the caller sees them. */
static void
test_alerts(void)
{
    static const uint8_t stream[] = {
        0x14, 0x03, 0x03, 0x00, 0x01, 0x01,       /* CCS: dropped */
        0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x5a, /* user_canceled */
        0x16, 0x03, 0x03, 0x00, 0x01, 0x0b,       /* handshake */
        0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2a, /* bad_certificate */
        0x16, 0x03, 0x03, 0x00, 0x01, 0x0b};
    struct warden_rec r;
    struct warden_rec_msg msg;
    size_t off = 0, used, n;
    uint8_t tiny[32];

    CHECK(warden_rec_init(&r, WARDEN_TLS_1_3, rbuf_c, sizeof(rbuf_c)) ==
          WARDEN_REC_OK);
    CHECK(warden_rec_read(&r, stream, sizeof(stream), &used, &msg) ==
          WARDEN_REC_OK);
    off += used;
    CHECK(off == 13);
    CHECK(msg.type == WARDEN_CT_ALERT && msg.alert_desc == 90);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_WARNING && msg.len == 0);
    CHECK(warden_rec_read(&r, stream + off, sizeof(stream) - off, &used,
                          &msg) == WARDEN_REC_OK);
    off += used;
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == 1);
    CHECK(warden_rec_read(&r, stream + off, sizeof(stream) - off, &used,
                          &msg) == WARDEN_REC_PEER_ALERT);
    off += used;
    CHECK(off == sizeof(stream) - 6);
    CHECK(msg.type == WARDEN_CT_ALERT && msg.alert_desc == 42);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_FATAL);
    check_failed(&r, rbuf_c, WARDEN_REC_PEER_ALERT);
    /* No alert answers an alert. */
    CHECK(warden_rec_pending_alert(&r, tiny, sizeof(tiny), &n) ==
          WARDEN_REC_OK);
    CHECK(n == 0);
    CHECK(warden_rec_alert_for(WARDEN_REC_PEER_ALERT) == -1);
    warden_rec_wipe(&r);
}

/* close_notify each way: the other direction goes on (RFC 8446 6.1). */
static void
test_close_notify(void)
{
    struct warden_rec a, b;
    struct warden_rec_msg msg;
    size_t used, n, close_len;
    uint8_t close_rec[64];

    pair(&a, rbuf_a, &b, rbuf_b, WARDEN_TLS_AES_256_GCM_SHA384,
         WARDEN_REC_EPOCH_APPLICATION, 0);
    CHECK(warden_rec_write_alert(&a, WARDEN_ALERT_CLOSE_NOTIFY, close_rec,
                                 sizeof(close_rec),
                                 &close_len) == WARDEN_REC_OK);
    CHECK(close_len == WARDEN_REC_OVERHEAD + 2);
    CHECK(all_zero(&a.wr, sizeof(a.wr)));
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 1, &used, out,
                           sizeof(out), &n) == WARDEN_REC_CLOSED);
    CHECK(warden_rec_write_alert(&a, WARDEN_ALERT_CLOSE_NOTIFY, out,
                                 sizeof(out), &n) == WARDEN_REC_CLOSED);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_AES_256_GCM_SHA384, key_ab, 32,
                              iv_ab) == WARDEN_REC_CLOSED);

    /* b still writes; a still reads. */
    CHECK(warden_rec_write(&b, WARDEN_CT_APPLICATION_DATA, data, 10, &used, out,
                           sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&a, out, n, &msg) == WARDEN_REC_OK && msg.len == 10);

    /* b reads the close, then only CLOSED, and after it nothing counts. */
    CHECK(read_one(&b, close_rec, close_len, &msg) == WARDEN_REC_CLOSED);
    CHECK(msg.alert_desc == WARDEN_ALERT_CLOSE_NOTIFY);
    CHECK(all_zero(&b.rd, sizeof(b.rd)));
    CHECK(warden_rec_read(&b, out, n, &used, &msg) == WARDEN_REC_CLOSED);
    CHECK(used == 0);
    CHECK(warden_rec_write_alert(&b, WARDEN_ALERT_CLOSE_NOTIFY, out,
                                 sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&a, out, n, &msg) == WARDEN_REC_CLOSED);

    /* user_canceled is a warning and closes nothing. */
    pair(&a, rbuf_a, &b, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256,
         WARDEN_REC_EPOCH_APPLICATION, 0);
    CHECK(warden_rec_write_alert(&a, WARDEN_ALERT_USER_CANCELED, out,
                                 sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&b, out, n, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_ALERT && msg.alert_desc == 90);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_WARNING);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 5, &used, out,
                           sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&b, out, n, &msg) == WARDEN_REC_OK && msg.len == 5);

    /* A fatal alert sent by the driver ends the layer. */
    CHECK(warden_rec_write_alert(&a, 42, out, sizeof(out), &n) ==
          WARDEN_REC_OK);
    check_failed(&a, rbuf_a, WARDEN_REC_SENT_ALERT);
    CHECK(read_one(&b, out, n, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_FATAL);
    CHECK(msg.alert_desc == 42);
    warden_rec_wipe(&a);
    warden_rec_wipe(&b);
}

/* RFC 8446 5.3: the sequence number never wraps; each side fails. */
static void
test_sequence(unsigned suite, int portable)
{
    static uint8_t r1[64], r2[64], want[64];
    struct warden_rec a, b, c;
    struct warden_rec_msg msg;
    uint8_t inner[2];
    size_t n1, n2, n, used;

    pair(&a, rbuf_a, &b, rbuf_b, suite, WARDEN_REC_EPOCH_APPLICATION, portable);
    warden_rec_test_set_seq(&a, WARDEN_REC_DIR_WRITE, SEQ_LAST - 1);
    warden_rec_test_set_seq(&b, WARDEN_REC_DIR_READ, SEQ_LAST - 1);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"a",
                           1, &used, r1, sizeof(r1), &n1) == WARDEN_REC_OK);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"b",
                           1, &used, r2, sizeof(r2), &n2) == WARDEN_REC_OK);

    /* The last nonce is IV XOR 2^64 - 1, as sealed apart from record.c. */
    inner[0] = 'b';
    inner[1] = WARDEN_CT_APPLICATION_DATA;
    n = seal_raw(suite, key_ab, iv_ab, SEQ_LAST, 23, inner, 2, want);
    CHECK(n == n2);
    CHECK_MEM(r2, want, n);

    /* Writer: 2^64 records, then SEQUENCE, and no alert can be sealed. */
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"c",
                           1, &used, out, sizeof(out),
                           &n) == WARDEN_REC_SEQUENCE);
    CHECK(n == 0);
    check_failed(&a, rbuf_a, WARDEN_REC_SEQUENCE);
    CHECK(warden_rec_pending_alert(&a, out, sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(n == 0);

    /* Reader: both records, then SEQUENCE before any decryption. */
    CHECK(read_one(&b, r1, n1, &msg) == WARDEN_REC_OK);
    CHECK(msg.len == 1 && msg.data[0] == 'a');
    CHECK(read_one(&b, r2, n2, &msg) == WARDEN_REC_OK);
    CHECK(msg.len == 1 && msg.data[0] == 'b');
    CHECK(read_one(&b, r2, n2, &msg) == WARDEN_REC_SEQUENCE);
    check_failed(&b, rbuf_b, WARDEN_REC_SEQUENCE);

    /* b's write side was fine: its peer gets internal_error. */
    reader(&c, rbuf_c, suite, WARDEN_REC_EPOCH_APPLICATION);
    CHECK(warden_rec_set_keys(&c, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_APPLICATION, suite, key_ba,
                              key_len_of(suite), iv_ba) == WARDEN_REC_OK);
    check_alert_to_peer(&b, &c, WARDEN_ALERT_INTERNAL_ERROR);

    /* New keys start again at 0 (a key update). */
    pair(&a, rbuf_a, &b, rbuf_b, suite, WARDEN_REC_EPOCH_APPLICATION, portable);
    warden_rec_test_set_seq(&a, WARDEN_REC_DIR_WRITE, SEQ_LAST);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                              key_len_of(suite), iv_ab) == WARDEN_REC_OK);
    CHECK(warden_rec_seq(&a, WARDEN_REC_DIR_WRITE) == 0);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"d",
                           1, &used, out, sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&b, out, n, &msg) == WARDEN_REC_OK);
    warden_rec_wipe(&a);
    warden_rec_wipe(&b);
    warden_rec_wipe(&c);
}

/*
 * A header cut anywhere: nothing is returned until the record is whole,
 * and warden_rec_partial() tells a stream that ends there.
 */
static void
test_truncated(void)
{
    struct warden_rec a, b;
    struct warden_rec_msg msg;
    size_t n, used, k;
    int rc;

    pair(&a, rbuf_a, &b, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256,
         WARDEN_REC_EPOCH_APPLICATION, 0);
    for (k = 0; k <= 30; k++) {
        CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 10, &used,
                               out, sizeof(out), &n) == WARDEN_REC_OK);
        CHECK(!warden_rec_partial(&b));
        rc = warden_rec_read(&b, out, k, &used, &msg);
        CHECK(rc == WARDEN_REC_WANT_READ);
        CHECK(used == k);
        CHECK(warden_rec_partial(&b) == (k > 0));
        CHECK(msg.type == 0 && msg.data == NULL);
        rc = warden_rec_read(&b, out + k, n - k, &used, &msg);
        CHECK(rc == WARDEN_REC_OK);
        CHECK(used == n - k);
        CHECK(msg.len == 10 && memcmp(msg.data, data, 10) == 0);
    }

    /* Bytes one at a time, with empty reads between. */
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 10, &used, out,
                           sizeof(out), &n) == WARDEN_REC_OK);
    for (k = 0; k < n; k++) {
        CHECK(warden_rec_read(&b, NULL, 0, &used, &msg) ==
              WARDEN_REC_WANT_READ);
        rc = warden_rec_read(&b, out + k, 1, &used, &msg);
        CHECK(used == 1);
        CHECK(rc == (k + 1 == n ? WARDEN_REC_OK : WARDEN_REC_WANT_READ));
    }
    warden_rec_wipe(&a);
    warden_rec_wipe(&b);
}

/*
 * Random bytes with plausible headers, in each epoch: the reader takes
 * them without crashing (run under the sanitizers) and any error leaves
 * it failed and wiped.
 */
static void
test_random_input(void)
{
    static const uint8_t types[] = {20, 21, 22, 23, 24, 0};
    struct warden_rec r;
    struct warden_rec_msg msg;
    size_t i, off, used, len;
    int rc;

    prng_seed(99);
    for (i = 0; i < 3000; i++) {
        unsigned epoch = prng() % 3;

        if (epoch == WARDEN_REC_EPOCH_PLAIN) {
            CHECK(warden_rec_init(&r, WARDEN_TLS_1_3, rbuf_c, sizeof(rbuf_c)) ==
                  WARDEN_REC_OK);
        } else {
            reader(&r, rbuf_c, suites[prng() % 3], epoch);
        }
        len = 1 + prng() % 2000;
        prng_fill(wire, len);
        for (off = 0; off + 5 < len; off += 40) {
            wire[off] = types[prng() % sizeof(types)];
            wire[off + 1] = 0x03;
            wire[off + 2] = 0x03;
            wire[off + 3] = (uint8_t)(prng() % 2 ? 0 : wire[off + 3] & 0x41);
        }
        off = 0;
        do {
            rc = warden_rec_read(&r, wire + off, len - off, &used, &msg);
            off += used;
        } while (rc == WARDEN_REC_OK && off < len);
        CHECK(rc == WARDEN_REC_OK || rc == WARDEN_REC_WANT_READ ||
              rc == WARDEN_REC_CLOSED || warden_rec_alert_for(rc) >= 0 ||
              rc == WARDEN_REC_PEER_ALERT);
        if (rc != WARDEN_REC_OK && rc != WARDEN_REC_WANT_READ &&
            rc != WARDEN_REC_CLOSED) {
            check_failed(&r, rbuf_c, rc);
        }
        warden_rec_wipe(&r);
    }
}

/* Caller mistakes: refused, and the layer goes on as before. */
static void
test_caller_errors(void)
{
    static uint8_t small_buf[WARDEN_REC_READ_BUF - 1];
    struct warden_rec a, b;
    struct warden_rec_msg msg;
    uint8_t tiny[40];
    size_t used, n;

    CHECK(warden_rec_init(NULL, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_init(&a, WARDEN_TLS_1_3, small_buf, sizeof(small_buf)) ==
          WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_init(&a, 0x0302, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_init(&a, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);

    /* Keys: suite, key length, direction, epoch order. */
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE, 0x1303, key_ab, 32,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE, 0x1305, key_ab, 16,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 32,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_256_GCM_SHA384, key_ab, 16,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, 2, WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_PLAIN,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_STATE);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_128_GCM_SHA256, NULL, 16,
                              iv_ab) == WARDEN_REC_ARGUMENT);

    /* Writes: types, empty handshake, application data too early. */
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 0, &used, out,
                           sizeof(out), &n) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_write(&a, WARDEN_CT_ALERT, data, 2, &used, out,
                           sizeof(out), &n) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_write(&a, WARDEN_CT_CHANGE_CIPHER_SPEC, data, 1, &used,
                           out, sizeof(out), &n) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_write(&a, WARDEN_CT_APPLICATION_DATA, data, 1, &used, out,
                           sizeof(out), &n) == WARDEN_REC_STATE);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, NULL, 1, &used, out,
                           sizeof(out), &n) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 1, NULL, out,
                           sizeof(out), &n) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_max_fragment(&a, 0) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_max_fragment(&a, 16385) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_set_padding(&a, 16385) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_read(&a, NULL, 5, &used, &msg) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_read(&a, data, 5, &used, NULL) == WARDEN_REC_ARGUMENT);
    CHECK(warden_rec_write_alert(&a, 256, out, sizeof(out), &n) ==
          WARDEN_REC_ARGUMENT);

    /* Space: too little for one record; as many whole records as fit. */
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 100, &used, tiny, 5,
                           &n) == WARDEN_REC_SPACE);
    CHECK(used == 0 && n == 0);
    CHECK(warden_rec_set_max_fragment(&a, 10) == WARDEN_REC_OK);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 100, &used, tiny,
                           sizeof(tiny), &n) == WARDEN_REC_OK);
    CHECK(used == 20 && n == 30);
    CHECK(warden_rec_write_ccs(&a, tiny, 5, &n) == WARDEN_REC_SPACE);
    CHECK(warden_rec_write_ccs(&a, tiny, 6, &n) == WARDEN_REC_OK);
    CHECK(n == 6 && memcmp(tiny, "\x14\x03\x03\x00\x01\x01", 6) == 0);
    CHECK(warden_rec_write_alert(&a, 40, tiny, 6, &n) == WARDEN_REC_SPACE);

    /* The layer still works. */
    CHECK(a.err == WARDEN_REC_OK);
    pair(&a, rbuf_a, &b, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256,
         WARDEN_REC_EPOCH_HANDSHAKE, 0);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_STATE);
    CHECK(warden_rec_write_ccs(&a, tiny, sizeof(tiny), &n) == WARDEN_REC_OK);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 3, &used, out,
                           WARDEN_REC_OVERHEAD + 2, &n) == WARDEN_REC_SPACE);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 3, &used, out,
                           sizeof(out), &n) == WARDEN_REC_OK);
    CHECK(read_one(&b, out, n, &msg) == WARDEN_REC_OK && msg.len == 3);

    /* A read key change inside a record. */
    CHECK(warden_rec_read(&b, out, 3, &used, &msg) == WARDEN_REC_WANT_READ);
    CHECK(warden_rec_set_keys(&b, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_STATE);

    /* After the application epoch, no ChangeCipherSpec is written. */
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_OK);
    CHECK(warden_rec_write_ccs(&a, tiny, sizeof(tiny), &n) == WARDEN_REC_STATE);

    /* A wiped layer refuses everything until it is set up again. */
    warden_rec_wipe(&a);
    CHECK(warden_rec_write(&a, WARDEN_CT_HANDSHAKE, data, 3, &used, out,
                           sizeof(out), &n) == WARDEN_REC_STATE);
    CHECK(warden_rec_read(&a, data, 3, &used, &msg) == WARDEN_REC_STATE);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                              iv_ab) == WARDEN_REC_STATE);
    warden_rec_wipe(&b);
    warden_rec_wipe(NULL);

    /* Every code has a message; the alerts are RFC 8446 6.2's. */
    CHECK(strcmp(warden_rec_strerror(WARDEN_REC_BAD_RECORD_MAC),
                 "record failed authentication") == 0);
    CHECK(strcmp(warden_rec_strerror(1000), "unknown error") == 0);
    CHECK(warden_rec_alert_for(WARDEN_REC_BAD_RECORD_MAC) == 20);
    CHECK(warden_rec_alert_for(WARDEN_REC_RECORD_OVERFLOW) == 22);
    CHECK(warden_rec_alert_for(WARDEN_REC_UNEXPECTED) == 10);
    CHECK(warden_rec_alert_for(WARDEN_REC_DECODE) == 50);
    CHECK(warden_rec_alert_for(WARDEN_REC_SEQUENCE) == 80);
    CHECK(warden_rec_alert_for(WARDEN_REC_WANT_READ) == -1);
}

/*
 * What a layer holding key and iv of suite keeps in memory, as BearSSL's
 * implementations lay it out: the IV; for GCM the hash key H = AES_K(0);
 * the key itself (AES-NI's first round key) or the portable key
 * schedule. Returns the count of patterns found in the n bytes at p.
 */
static int
secrets_in(const void *p, size_t n, unsigned suite, const uint8_t *key,
           const uint8_t iv[12])
{
    size_t kl = key_len_of(suite);
    int found = 0;

    found += contains(p, n, iv, 12);
    found += contains(p, n, key, kl);
    if (suite == WARDEN_TLS_AES_128_CCM_SHA256) {
        br_aes_ct64_ctrcbc_keys sk;

        memset(&sk, 0, sizeof(sk));
        br_aes_ct64_ctrcbc_init(&sk, key, kl);
        found += contains(p, n, sk.skey, 64);
    } else {
        br_aes_ct64_ctr_keys sk;
        br_aes_ct_cbcenc_keys cbc;
        uint8_t h[16], zero[16];

        memset(&sk, 0, sizeof(sk));
        br_aes_ct64_ctr_init(&sk, key, kl);
        found += contains(p, n, sk.skey, 64);
        memset(h, 0, sizeof(h));
        memset(zero, 0, sizeof(zero));
        br_aes_ct_cbcenc_init(&cbc, key, kl);
        br_aes_ct_cbcenc_run(&cbc, zero, h, sizeof(h));
        found += contains(p, n, h, sizeof(h));
    }
    return found;
}

/* New keys wipe the old; wiping leaves nothing at all. */
static void
test_wiping(unsigned suite, int portable)
{
    struct warden_rec a;
    size_t kl = key_len_of(suite);
    int expect = suite == WARDEN_TLS_AES_128_CCM_SHA256 ? 2 : 3;

    CHECK(warden_rec_init(&a, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&a, portable);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_HANDSHAKE, suite, key_ab, kl,
                              iv_ab) == WARDEN_REC_OK);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_HANDSHAKE, suite, key_ba, kl,
                              iv_ba) == WARDEN_REC_OK);
    /* Positive control: the patterns are found while installed. */
    CHECK(secrets_in(&a, sizeof(a), suite, key_ab, iv_ab) >= expect);
    CHECK(secrets_in(&a, sizeof(a), suite, key_ba, iv_ba) >= expect);

    /* Key update on read: the old read keys are gone, write untouched. */
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_READ,
                              WARDEN_REC_EPOCH_APPLICATION, suite, key_ba, kl,
                              iv_ba) == WARDEN_REC_OK);
    CHECK(secrets_in(&a, sizeof(a), suite, key_ab, iv_ab) == 0);
    CHECK(secrets_in(&a, sizeof(a), suite, key_ba, iv_ba) >= expect);

    /* The read buffer holds plaintext; wipe takes it with the keys. */
    memset(rbuf_a, 0x5a, sizeof(rbuf_a));
    warden_rec_wipe(&a);
    CHECK(all_zero(&a, sizeof(a)));
    CHECK(all_zero(rbuf_a, sizeof(rbuf_a)));
}

/*
 * Installing keys wipes what the old ones left, even where the new
 * suite's contexts do not overwrite it (AES-256-GCM's hash key under an
 * AES-128-CCM context that has not run yet).
 */
static void
test_wiping_suite_change(int portable)
{
    struct warden_rec a;

    CHECK(warden_rec_init(&a, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&a, portable);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_HANDSHAKE,
                              WARDEN_TLS_AES_256_GCM_SHA384, key_ab, 32,
                              iv_ab) == WARDEN_REC_OK);
    CHECK(secrets_in(&a, sizeof(a), WARDEN_TLS_AES_256_GCM_SHA384, key_ab,
                     iv_ab) >= 3);
    CHECK(warden_rec_set_keys(&a, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_AES_128_CCM_SHA256, key_ba, 16,
                              iv_ba) == WARDEN_REC_OK);
    CHECK(secrets_in(&a, sizeof(a), WARDEN_TLS_AES_256_GCM_SHA384, key_ab,
                     iv_ab) == 0);
    warden_rec_wipe(&a);
}

/* sizeof the state plus buffers, for one connection at 16 KB records. */
static void
test_memory(void)
{
    size_t state = sizeof(struct warden_rec);
    size_t total = state + WARDEN_REC_READ_BUF + WARDEN_REC_WRITE_BUF;

    printf("record layer memory per connection:\n");
    printf("  struct warden_rec       %6zu bytes (two AEAD contexts %zu)\n",
           state, 2 * sizeof(struct warden_rec_aead));
    printf("  read buffer             %6zu bytes (5 + 2^14 + 256)\n",
           (size_t)WARDEN_REC_READ_BUF);
    printf("  write buffer            %6zu bytes (5 + 8 + 2^14 + 16)\n",
           (size_t)WARDEN_REC_WRITE_BUF);
    printf("  total                   %6zu bytes (target 40960)\n", total);
    CHECK(total <= 40 * 1024);
    CHECK(sizeof(rbuf_a) == 16645);
}

/* ---- TLS 1.2 (RFC 5246 6.2.3.3, RFC 5288, RFC 6655) ---- */

static const unsigned suites12[] = {
    WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
    WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM};

static size_t
key_len12(unsigned suite)
{
    return suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
                   suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM
               ? 16
               : 32;
}

/*
 * A TLS 1.2 AEAD record sealed here, apart from record.c, with BearSSL's
 * 32-bit constant-time code: nonce = salt + explicit, sent after the
 * header; additional data = seq + type + version + plaintext length.
 */
static size_t
seal12_raw(unsigned suite, const uint8_t *key, const uint8_t salt[4],
           uint64_t seq, const uint8_t explicit_nonce[8], unsigned type,
           const uint8_t *p, size_t len, uint8_t *dst)
{
    uint8_t nonce[12], aad[13];
    size_t clen = 8 + len + 16;
    int i;

    memcpy(nonce, salt, 4);
    memcpy(nonce + 4, explicit_nonce, 8);
    for (i = 0; i < 8; i++) {
        aad[7 - i] = (uint8_t)(seq >> (8 * i));
    }
    aad[8] = (uint8_t)type;
    aad[9] = 0x03;
    aad[10] = 0x03;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    dst[0] = (uint8_t)type;
    dst[1] = 0x03;
    dst[2] = 0x03;
    dst[3] = (uint8_t)(clen >> 8);
    dst[4] = (uint8_t)clen;
    memcpy(dst + 5, explicit_nonce, 8);
    memmove(dst + 13, p, len);
    if (suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM ||
        suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM) {
        br_aes_ct_ctrcbc_keys aes;
        br_ccm_context ccm;

        br_aes_ct_ctrcbc_init(&aes, key, key_len12(suite));
        br_ccm_init(&ccm, &aes.vtable);
        CHECK(br_ccm_reset(&ccm, nonce, 12, 13, len, 16) == 1);
        br_ccm_aad_inject(&ccm, aad, 13);
        br_ccm_flip(&ccm);
        br_ccm_run(&ccm, 1, dst + 13, len);
        br_ccm_get_tag(&ccm, dst + 13 + len);
    } else {
        br_aes_ct_ctr_keys aes;
        br_gcm_context gcm;

        br_aes_ct_ctr_init(&aes, key, key_len12(suite));
        br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul32);
        br_gcm_reset(&gcm, nonce, 12);
        br_gcm_aad_inject(&gcm, aad, 13);
        br_gcm_flip(&gcm);
        br_gcm_run(&gcm, 1, dst + 13, len);
        br_gcm_get_tag(&gcm, dst + 13 + len);
    }
    return 5 + clen;
}

/*
 * Written records match the reference byte for byte (explicit nonce =
 * sequence number); the reference's records, with any explicit nonce,
 * read back; a changed explicit nonce or header fails.
 */
static void
test_tls12_records(void)
{
    static const uint8_t salt_ab[4] = {0x5a, 0x17, 0x00, 0xab};
    static const uint8_t other_nonce[8] = {0xde, 0xad, 0xbe, 0xef,
                                           0x01, 0x02, 0x03, 0x04};
    struct warden_rec w, r;
    struct warden_rec_msg msg;
    uint8_t ref[256], nonce[8];
    size_t i, n, used, rn;
    int k;

    for (i = 0; i < 4; i++) {
        unsigned suite = suites12[i];
        size_t kl = key_len12(suite);

        CHECK(warden_rec_init(&w, WARDEN_TLS_1_3, rbuf_a, sizeof(rbuf_a)) ==
              WARDEN_REC_OK);
        CHECK(warden_rec_init(&r, WARDEN_TLS_1_3, rbuf_b, sizeof(rbuf_b)) ==
              WARDEN_REC_OK);
        /* A TLS 1.2 suite needs the switch first. */
        CHECK(warden_rec_set_keys(&w, WARDEN_REC_DIR_WRITE,
                                  WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_ARGUMENT);
        CHECK(warden_rec_set_version(&w, WARDEN_TLS_1_2) == WARDEN_REC_OK);
        CHECK(warden_rec_set_version(&r, WARDEN_TLS_1_2) == WARDEN_REC_OK);
        /* No handshake epoch in TLS 1.2, no TLS 1.3 suite. */
        CHECK(warden_rec_set_keys(&w, WARDEN_REC_DIR_WRITE,
                                  WARDEN_REC_EPOCH_HANDSHAKE, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_STATE);
        CHECK(warden_rec_set_keys(&w, WARDEN_REC_DIR_WRITE,
                                  WARDEN_REC_EPOCH_APPLICATION,
                                  WARDEN_TLS_AES_128_GCM_SHA256, key_ab, 16,
                                  salt_ab) == WARDEN_REC_ARGUMENT);

        /* The ChangeCipherSpec reaches the reader, then the keys. */
        CHECK(warden_rec_write_ccs(&w, out, sizeof(out), &n) ==
              WARDEN_REC_OK);
        CHECK(read_one(&r, out, n, &msg) == WARDEN_REC_OK);
        CHECK(msg.type == WARDEN_CT_CHANGE_CIPHER_SPEC && msg.len == 0);
        CHECK(warden_rec_set_keys(&w, WARDEN_REC_DIR_WRITE,
                                  WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_OK);
        CHECK(warden_rec_set_keys(&r, WARDEN_REC_DIR_READ,
                                  WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_OK);
        /* Once per direction: TLS 1.2 has no KeyUpdate. */
        CHECK(warden_rec_set_keys(&w, WARDEN_REC_DIR_WRITE,
                                  WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_STATE);
        CHECK(warden_rec_set_version(&w, WARDEN_TLS_1_3) == WARDEN_REC_STATE);
        CHECK(warden_rec_overhead(&w) == 29);

        for (k = 0; k < 3; k++) {
            unsigned type = k == 0 ? WARDEN_CT_HANDSHAKE
                                   : WARDEN_CT_APPLICATION_DATA;

            prng_fill(data, 100);
            CHECK(warden_rec_write(&w, type, data, 100, &used, out,
                                   sizeof(out), &n) == WARDEN_REC_OK);
            CHECK(n == 5 + 8 + 100 + 16);
            memset(nonce, 0, 8);
            nonce[7] = (uint8_t)k;
            rn = seal12_raw(suite, key_ab, salt_ab, (uint64_t)k, nonce, type,
                            data, 100, ref);
            CHECK(rn == n && memcmp(ref, out, n) == 0);
            /* The reader takes the nonce as sent. */
            rn = seal12_raw(suite, key_ab, salt_ab, (uint64_t)k, other_nonce,
                            type, data, 100, ref);
            CHECK(read_one(&r, ref, rn, &msg) == WARDEN_REC_OK);
            CHECK(msg.type == type && msg.len == 100 &&
                  memcmp(msg.data, data, 100) == 0);
        }
        /* An alert under the keys, at its own type. */
        CHECK(warden_rec_write_alert(&w, WARDEN_ALERT_CLOSE_NOTIFY, out,
                                     sizeof(out), &n) == WARDEN_REC_OK);
        CHECK(n == 5 + 8 + 2 + 16 && out[0] == WARDEN_CT_ALERT);
        CHECK(read_one(&r, out, n, &msg) == WARDEN_REC_CLOSED);
        warden_rec_wipe(&w);
        warden_rec_wipe(&r);

        /* A changed explicit nonce does not authenticate. */
        reader(&r, rbuf_b, WARDEN_TLS_AES_128_GCM_SHA256, 0);
        CHECK(warden_rec_set_version(&r, WARDEN_TLS_1_2) == WARDEN_REC_OK);
        CHECK(warden_rec_set_keys(&r, WARDEN_REC_DIR_READ,
                                  WARDEN_REC_EPOCH_APPLICATION, suite, key_ab,
                                  kl, salt_ab) == WARDEN_REC_OK);
        rn = seal12_raw(suite, key_ab, salt_ab, 0, other_nonce,
                        WARDEN_CT_APPLICATION_DATA, data, 50, ref);
        ref[5] ^= 0x80;
        CHECK(read_one(&r, ref, rn, &msg) == WARDEN_REC_BAD_RECORD_MAC);
        warden_rec_wipe(&r);
    }
}

int
main(void)
{
    size_t s;
    int portable;

    test_memory();
    printf("AES-NI %s, PCLMULQDQ %s\n",
           br_aes_x86ni_ctr_get_vtable() != NULL ? "used" : "absent",
           br_ghash_pclmul_get() != 0 ? "used" : "absent");
    for (portable = 0; portable < 2; portable++) {
        test_rfc8448_client_reads(portable);
        test_rfc8448_server_reads(portable);
        test_rfc8448_writes(portable);
        test_rfc8448_stream(portable, 7, 1);
        test_rfc8448_stream(portable, 11, 16);
        test_rfc8448_stream(portable, 13, 700);
        test_rfc8448_stream(portable, 17, 5000);
    }
    test_round_trips();
    test_padding();
    test_handshake_fragments();
    for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
        test_flips(suites[s]);
        for (portable = 0; portable < 2; portable++) {
            test_sequence(suites[s], portable);
            test_wiping(suites[s], portable);
        }
    }
    test_wiping_suite_change(0);
    test_wiping_suite_change(1);
    test_inner_plaintext();
    test_plaintext_records();
    test_alerts();
    test_close_notify();
    test_truncated();
    test_random_input();
    test_caller_errors();
    test_tls12_records();
    return wt_finish("record");
}
