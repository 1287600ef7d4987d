/*
 * The TLS 1.3 key schedule (RFC 8446 section 7) for the companion's
 * handshake authority: HKDF-Expand-Label and Derive-Secret, a running
 * transcript hash, and a schedule object that walks the secrets in
 * checked stages.
 *
 * Every secret stays inside struct wc_tls13_schedule. What comes out is
 * what may cross the bus in host record mode, traffic keys and IVs, and
 * the client's Finished verify_data, which goes on the wire anyway. The
 * server's Finished is checked inside; its expected value never leaves.
 *
 * One full handshake, client side (the companion), with the transcript t
 * fed every handshake message, header included, as it is sent or read:
 *
 *   wc_tls13_transcript_init(&t);         ClientHello, [HRR rule], ...
 *   wc_tls13_init(&ks, suite);            after ServerHello
 *   wc_tls13_transcript_select(&t, suite);
 *   wc_tls13_early(&ks);                  stage EARLY
 *   wc_tls13_handshake(&ks, ecdhe, n, &t);  t ends with ServerHello
 *   wc_tls13_traffic_keys(&ks, WC_TLS13_SERVER_HANDSHAKE, ...);
 *   wc_tls13_traffic_keys(&ks, WC_TLS13_CLIENT_HANDSHAKE, ...);
 *   wc_tls13_server_finished(&ks, &t, vd, n); t ends with CertificateVerify
 *   wc_tls13_master(&ks, &t);             t ends with server Finished
 *   wc_tls13_client_finished(&ks, &t, vd, &n);  t ends with the client's
 *                                         CertificateVerify, if any
 *   wc_tls13_done(&ks, &t);               t ends with client Finished
 *   wc_tls13_traffic_keys(&ks, WC_TLS13_*_APPLICATION, ...);
 *   wc_tls13_key_update(&ks, ...);        later, per direction
 *   wc_tls13_wipe(&ks); wc_tls13_transcript_wipe(&t);
 *
 * Any error poisons the schedule: its secrets are wiped, it enters
 * WC_TLS13_FAILED and every later call returns the first error, until
 * wc_tls13_init() starts it over. Structures are caller-allocated; their
 * fields are private (tests read them).
 */
#ifndef WC_TLS13_SCHEDULE_H
#define WC_TLS13_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* Cipher suites the companion allows (RFC 8446 B.4). */
#define WC_TLS13_AES_128_GCM_SHA256 0x1301
#define WC_TLS13_AES_256_GCM_SHA384 0x1302
#define WC_TLS13_AES_128_CCM_SHA256 0x1304

/* Largest hash (SHA-384), AEAD key (AES-256) and the IV (RFC 8446 5.3). */
#define WC_TLS13_HASH_MAX 48
#define WC_TLS13_KEY_MAX 32
#define WC_TLS13_IV_LEN 12
/* Longest (EC)DHE shared secret accepted (P-521 would be 66). */
#define WC_TLS13_SHARED_MAX 66
/* Longest label after "tls13 " (RFC 8446 7.1: label<7..255>). */
#define WC_TLS13_LABEL_MAX 249

/*
 * Results, X(name, code, message). 64-79 are the key schedule's, clear
 * of the WC_* results of wc_errors.h.
 */
#define WC_TLS13_ERROR_LIST(X)                                                 \
    X(OK, 0, "success")                                                        \
    X(ARGUMENT, 64, "invalid argument to the key schedule")                    \
    X(SUITE, 65, "cipher suite not supported or changed")                      \
    X(ORDER, 66, "key schedule step out of order")                             \
    X(FINISHED, 67, "Finished verify_data does not match")

enum wc_tls13_error {
#define WC_TLS13_X(name, code, message) WC_TLS13_##name = code,
    WC_TLS13_ERROR_LIST(WC_TLS13_X)
#undef WC_TLS13_X
};

/* A static message for a result; "unknown error" otherwise. */
const char *wc_tls13_strerror(int err);

/*
 * The hash of a suite (&br_sha256_vtable or &br_sha384_vtable), or NULL
 * for a suite the companion does not allow.
 */
const br_hash_class *wc_tls13_suite_hash(uint16_t suite);

/*
 * HKDF-Expand-Label(secret, label, context, out_len) (RFC 8446 7.1):
 * HKDF-Expand (RFC 5869 2.3) over HMAC with hash h (SHA-256 or SHA-384)
 * and info HkdfLabel { out_len, "tls13 " + label, context }. label is a
 * C string of 1 to WC_TLS13_LABEL_MAX bytes; context_len is at most 255;
 * out_len is 1 to 255 hash lengths. Returns WC_TLS13_OK or
 * WC_TLS13_ARGUMENT (out is then zeroed when it is not NULL).
 *
 * A companion-internal building block: what it writes is secret.
 */
int wc_tls13_expand_label(const br_hash_class *h, const uint8_t *secret,
                          size_t secret_len, const char *label,
                          const uint8_t *context, size_t context_len,
                          uint8_t *out, size_t out_len);

/*
 * Derive-Secret(secret, label, messages) (RFC 8446 7.1), given
 * transcript_hash = Transcript-Hash(messages): HKDF-Expand-Label of it
 * to one hash length. secret and out are one hash length; out may not
 * overlap secret. Returns WC_TLS13_OK or WC_TLS13_ARGUMENT.
 *
 * A companion-internal building block: what it writes is secret.
 */
int wc_tls13_derive_secret(const br_hash_class *h, const uint8_t *secret,
                           const char *label, const uint8_t *transcript_hash,
                           uint8_t *out);

/*
 * The primitives under the schedule, with the lengths open: the code
 * every extract, expand and Finished MAC above and below runs, reachable
 * on its own so that public vectors (Wycheproof) can check it. h is
 * &br_sha256_vtable or &br_sha384_vtable; a NULL pointer is allowed only
 * with length 0. Each returns WC_TLS13_OK or WC_TLS13_ARGUMENT (out is
 * then zeroed when it is not NULL). What they write is secret.
 *
 * wc_tls13_hmac: HMAC-Hash(key, msg) (RFC 2104), one hash length.
 * wc_tls13_hkdf_extract: HKDF-Extract(salt, ikm) (RFC 5869 2.2), one
 *   hash length; an empty salt acts as HashLen zero bytes.
 * wc_tls13_hkdf_expand: HKDF-Expand(prk, info, out_len) (RFC 5869 2.3);
 *   out_len is 1 to 255 hash lengths, anything longer is refused.
 */
int wc_tls13_hmac(const br_hash_class *h, const uint8_t *key, size_t key_len,
                  const uint8_t *msg, size_t msg_len,
                  uint8_t out[WC_TLS13_HASH_MAX]);
int wc_tls13_hkdf_extract(const br_hash_class *h, const uint8_t *salt,
                          size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                          uint8_t prk[WC_TLS13_HASH_MAX]);
int wc_tls13_hkdf_expand(const br_hash_class *h, const uint8_t *prk,
                         size_t prk_len, const uint8_t *info, size_t info_len,
                         uint8_t *out, size_t out_len);

/* Transcript states. */
enum wc_tls13_transcript_state {
    WC_TLS13_TRANSCRIPT_NONE = 0, /* wiped or never initialised */
    WC_TLS13_TRANSCRIPT_BOTH,     /* suite unknown: both hashes run */
    WC_TLS13_TRANSCRIPT_RETRY,    /* HRR seen: ServerHello must agree */
    WC_TLS13_TRANSCRIPT_SELECTED, /* one hash, chosen by the suite */
    WC_TLS13_TRANSCRIPT_FAILED
};

/*
 * The running Transcript-Hash (RFC 8446 4.4.1). Until the suite is known
 * SHA-256 and SHA-384 run side by side; afterwards only the suite's.
 */
struct wc_tls13_transcript {
    br_sha256_context sha256;
    br_sha384_context sha384;
    int err;          /* first error, once failed */
    uint16_t suite;   /* 0 until selected */
    uint8_t hash_len; /* 0 until selected */
    uint8_t state;    /* enum wc_tls13_transcript_state */
};

/* Starts an empty transcript, both hashes running. */
void wc_tls13_transcript_init(struct wc_tls13_transcript *t);

/*
 * Adds handshake bytes: whole messages with their 4-byte headers, or
 * pieces of them in order. Returns WC_TLS13_OK, WC_TLS13_ARGUMENT or
 * the error that failed the transcript earlier.
 */
int wc_tls13_transcript_update(struct wc_tls13_transcript *t, const void *data,
                               size_t len);

/*
 * Keeps only the hash of suite, from the ServerHello. After a
 * HelloRetryRequest the suite must be the one it named (RFC 8446 4.1.4).
 * Returns WC_TLS13_OK, WC_TLS13_SUITE, WC_TLS13_ORDER (already
 * selected) or an earlier error; an error fails the transcript.
 */
int wc_tls13_transcript_select(struct wc_tls13_transcript *t, uint16_t suite);

/*
 * The HelloRetryRequest rule (RFC 8446 4.4.1): call when the HRR arrives,
 * after ClientHello1 and before adding the HRR itself. Keeps the hash of
 * the HRR's suite and replaces ClientHello1 with the synthetic
 * message_hash message. Once only, before any ServerHello: returns
 * WC_TLS13_OK, WC_TLS13_SUITE, WC_TLS13_ORDER or an earlier error; an
 * error fails the transcript.
 */
int wc_tls13_transcript_hello_retry(struct wc_tls13_transcript *t,
                                    uint16_t suite);

/*
 * The current Transcript-Hash, without ending the transcript: more
 * messages may follow. Needs a selected hash. Writes *len bytes (32 or
 * 48). Returns WC_TLS13_OK, WC_TLS13_ARGUMENT, WC_TLS13_ORDER (no hash
 * selected yet) or an earlier error.
 */
int wc_tls13_transcript_hash(const struct wc_tls13_transcript *t,
                             uint8_t out[WC_TLS13_HASH_MAX], size_t *len);

/*
 * For TLS 1.2, whose PRF hash and CertificateVerify hash may differ: the
 * hash of the messages so far with SHA-256 (hash_len 32) or SHA-384
 * (48), from a transcript that still runs both, or that kept that one.
 * Returns WC_TLS13_OK, WC_TLS13_ARGUMENT (another length, or the other
 * hash was dropped) or an earlier error.
 */
int wc_tls13_transcript_hash_as(const struct wc_tls13_transcript *t,
                                size_t hash_len,
                                uint8_t out[WC_TLS13_HASH_MAX]);

/* Zeroes the transcript; it must be initialised again before use. */
void wc_tls13_transcript_wipe(struct wc_tls13_transcript *t);

/* Schedule stages, in the only order they may be taken. */
enum wc_tls13_stage {
    WC_TLS13_NONE = 0,  /* wiped or never initialised */
    WC_TLS13_INIT,      /* suite known, no secret yet */
    WC_TLS13_EARLY,     /* Early Secret (no PSK) */
    WC_TLS13_HANDSHAKE, /* Handshake Secret, handshake traffic secrets */
    WC_TLS13_MASTER,    /* Master Secret, application traffic secrets */
    WC_TLS13_DONE,      /* resumption secret; handshake secrets gone */
    WC_TLS13_FAILED
};

/* Which traffic secret a key and IV come from. */
enum wc_tls13_traffic {
    WC_TLS13_CLIENT_HANDSHAKE,
    WC_TLS13_SERVER_HANDSHAKE,
    WC_TLS13_CLIENT_APPLICATION,
    WC_TLS13_SERVER_APPLICATION
};

struct wc_tls13_schedule {
    int err; /* first error, once failed */
    uint16_t suite;
    uint8_t stage;    /* enum wc_tls13_stage */
    uint8_t flags;    /* which Finished messages are done */
    uint8_t hash_len; /* 32 or 48 */
    uint8_t key_len;  /* 16 or 32 */
    /* Early, then Handshake, then Master Secret; zero once DONE. */
    uint8_t secret[WC_TLS13_HASH_MAX];
    uint8_t client_hs[WC_TLS13_HASH_MAX];
    uint8_t server_hs[WC_TLS13_HASH_MAX];
    uint8_t client_ap[WC_TLS13_HASH_MAX]; /* generation N after updates */
    uint8_t server_ap[WC_TLS13_HASH_MAX];
    /* Kept for exporters (7.5) and tickets (4.6.1); never output here. */
    uint8_t exporter[WC_TLS13_HASH_MAX];
    uint8_t resumption[WC_TLS13_HASH_MAX];
};

/*
 * Starts (or restarts, wiping first) a schedule for suite, from any
 * state. Returns WC_TLS13_OK, or WC_TLS13_SUITE with the schedule failed.
 */
int wc_tls13_init(struct wc_tls13_schedule *ks, uint16_t suite);

/* INIT -> EARLY: Early Secret = HKDF-Extract(0, 0), no PSK (7.1). */
int wc_tls13_early(struct wc_tls13_schedule *ks);

/*
 * EARLY -> HANDSHAKE: Handshake Secret from the (EC)DHE shared secret
 * (1 to WC_TLS13_SHARED_MAX bytes), then both handshake traffic secrets
 * over t, which ends with the ServerHello and has the schedule's suite
 * selected. The Early Secret is wiped.
 */
int wc_tls13_handshake(struct wc_tls13_schedule *ks, const uint8_t *shared,
                       size_t shared_len, const struct wc_tls13_transcript *t);

/*
 * In HANDSHAKE, once: checks the server's Finished verify_data against
 * t, which ends with the server's CertificateVerify (RFC 8446 4.4.4), in
 * constant time. A mismatch returns WC_TLS13_FINISHED and fails the
 * schedule.
 */
int wc_tls13_server_finished(struct wc_tls13_schedule *ks,
                             const struct wc_tls13_transcript *t,
                             const uint8_t *verify_data, size_t len);

/*
 * HANDSHAKE -> MASTER, only after the server's Finished checked out:
 * Master Secret, then the application traffic secrets and the exporter
 * master secret over t, which ends with the server's Finished. The
 * Handshake Secret is wiped.
 */
int wc_tls13_master(struct wc_tls13_schedule *ks,
                    const struct wc_tls13_transcript *t);

/*
 * In MASTER, once: the client's Finished verify_data over t, which ends
 * with the client's CertificateVerify, or with the server's Finished when
 * the client does not authenticate. Writes *len (hash length) bytes.
 */
int wc_tls13_client_finished(struct wc_tls13_schedule *ks,
                             const struct wc_tls13_transcript *t,
                             uint8_t verify_data[WC_TLS13_HASH_MAX],
                             size_t *len);

/*
 * MASTER -> DONE, after the client's Finished: the resumption master
 * secret over t, which ends with the client's Finished. The Master
 * Secret and both handshake traffic secrets are wiped.
 */
int wc_tls13_done(struct wc_tls13_schedule *ks,
                  const struct wc_tls13_transcript *t);

/*
 * The write key (*key_len: 16 or 32 bytes) and IV of a traffic secret
 * (RFC 8446 7.3). Handshake keys exist in HANDSHAKE and MASTER,
 * application keys in MASTER and DONE; asking at another stage is out of
 * order and fails the schedule.
 */
int wc_tls13_traffic_keys(struct wc_tls13_schedule *ks,
                          enum wc_tls13_traffic which,
                          uint8_t key[WC_TLS13_KEY_MAX], size_t *key_len,
                          uint8_t iv[WC_TLS13_IV_LEN]);

/*
 * In DONE: replaces one direction's application traffic secret with the
 * next generation (RFC 8446 7.2) and writes that generation's key and IV,
 * as wc_tls13_traffic_keys() does. which is WC_TLS13_CLIENT_APPLICATION
 * or WC_TLS13_SERVER_APPLICATION.
 */
int wc_tls13_key_update(struct wc_tls13_schedule *ks,
                        enum wc_tls13_traffic which,
                        uint8_t key[WC_TLS13_KEY_MAX], size_t *key_len,
                        uint8_t iv[WC_TLS13_IV_LEN]);

/* Zeroes the whole schedule (stage NONE); wc_tls13_init() restarts it. */
void wc_tls13_wipe(struct wc_tls13_schedule *ks);

#endif
