/*
 * The host's TLS record layer (RFC 8446 section 5), sans-I/O: bytes from
 * the peer go in and come out as (content type, plaintext); plaintext
 * goes in and comes out as records to send. It never touches a socket,
 * never allocates and never prints.
 *
 * The handshake driver uses it like this:
 *
 *   warden_rec_init(&rec, WARDEN_TLS_1_3, buf, sizeof(buf));
 *   warden_rec_write(&rec, WARDEN_CT_HANDSHAKE, hello, ...);  plaintext
 *   warden_rec_read(&rec, in, n, &used, &msg);    ServerHello, plaintext
 *   warden_rec_set_keys(&rec, WARDEN_REC_DIR_READ,
 *                       WARDEN_REC_EPOCH_HANDSHAKE, suite, key, n, iv);
 *   warden_rec_read(...);                         the server's flight
 *   warden_rec_write_ccs(&rec, ...);              middlebox compatibility
 *   warden_rec_set_keys(&rec, WARDEN_REC_DIR_WRITE, ..._HANDSHAKE, ...);
 *   warden_rec_write(&rec, WARDEN_CT_HANDSHAKE, finished, ...);
 *   warden_rec_set_keys(..., WARDEN_REC_EPOCH_APPLICATION, ...);  x2
 *   warden_rec_read(...) / warden_rec_write(..., APPLICATION_DATA, ...);
 *   warden_rec_write_alert(&rec, WARDEN_ALERT_CLOSE_NOTIFY, ...);
 *   warden_rec_wipe(&rec);
 *
 * warden_rec_read() consumes at most one record per call, so a key
 * change always falls on a record boundary: what follows the record that
 * ended the epoch is still in the caller's input, to be read under the
 * new keys.
 *
 * Fail closed and stay failed: a record that does not authenticate, or
 * breaks any rule of section 5, puts the layer in a failed state. Its
 * keys and buffer are wiped at once, and every later call returns the
 * same error. Before the keys go, the fatal alert that the error calls
 * for (RFC 8446 section 6.2) is sealed under the write keys and kept:
 * warden_rec_pending_alert() hands it out, ready to send.
 *
 * TLS 1.2 (RFC 5246 6.2.3.3 with RFC 5288 and RFC 6655): the driver
 * starts in TLS 1.3 and calls warden_rec_set_version() when the
 * ServerHello picks TLS 1.2. Records then carry their real content type,
 * an 8-byte explicit nonce (the sequence number) after the header, and
 * the tag; the nonce is a 4-byte implicit salt from the key block and
 * the explicit part; the additional data is the sequence number, type,
 * version and plaintext length. Keys go from the plaintext epoch
 * straight to the application epoch, once per direction, after a
 * ChangeCipherSpec, which warden_rec_read() then hands to the driver:
 *
 *   warden_rec_set_version(&rec, WARDEN_TLS_1_2);   after ServerHello
 *   warden_rec_write(...);                 Certificate, ClientKeyExchange
 *   warden_rec_write_ccs(&rec, ...);
 *   warden_rec_set_keys(&rec, WARDEN_REC_DIR_WRITE,
 *                       WARDEN_REC_EPOCH_APPLICATION, suite, key, n, salt);
 *   warden_rec_write(...);                 Finished, encrypted
 *   warden_rec_read(...);                  msg.type CHANGE_CIPHER_SPEC:
 *   warden_rec_set_keys(&rec, WARDEN_REC_DIR_READ, ..._APPLICATION, ...);
 *   warden_rec_read(...);                  the server's Finished
 */
#ifndef WARDEN_RECORD_H
#define WARDEN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* Protocol versions. */
#define WARDEN_TLS_1_2 0x0303
#define WARDEN_TLS_1_3 0x0304

/* Content types (RFC 8446 5.1). */
#define WARDEN_CT_CHANGE_CIPHER_SPEC 20
#define WARDEN_CT_ALERT 21
#define WARDEN_CT_HANDSHAKE 22
#define WARDEN_CT_APPLICATION_DATA 23

/* Cipher suites (RFC 8446 B.4); the others are refused. */
#define WARDEN_TLS_AES_128_GCM_SHA256 0x1301
#define WARDEN_TLS_AES_256_GCM_SHA384 0x1302
#define WARDEN_TLS_AES_128_CCM_SHA256 0x1304
/* TLS 1.2 suites (RFC 5289, RFC 7251); the others are refused. */
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 0xc02b
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 0xc02c
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM 0xc0ac
#define WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM 0xc0ad

/* Alert levels and the descriptions used here (RFC 8446 6). */
#define WARDEN_ALERT_LEVEL_WARNING 1
#define WARDEN_ALERT_LEVEL_FATAL 2
#define WARDEN_ALERT_CLOSE_NOTIFY 0
#define WARDEN_ALERT_UNEXPECTED_MESSAGE 10
#define WARDEN_ALERT_BAD_RECORD_MAC 20
#define WARDEN_ALERT_RECORD_OVERFLOW 22
#define WARDEN_ALERT_DECODE_ERROR 50
#define WARDEN_ALERT_INTERNAL_ERROR 80
#define WARDEN_ALERT_USER_CANCELED 90
#define WARDEN_ALERT_NO_RENEGOTIATION 100 /* TLS 1.2, always a warning */

/* Sizes (RFC 8446 5.1, 5.2). */
#define WARDEN_REC_HEADER_LEN 5
#define WARDEN_REC_PLAINTEXT_MAX 16384 /* 2^14 */
#define WARDEN_REC_CIPHERTEXT_MAX (16384 + 256)
#define WARDEN_REC_TAG_LEN 16 /* every suite above */
#define WARDEN_REC_IV_LEN 12
#define WARDEN_REC_SALT_LEN 4     /* TLS 1.2: the implicit part of the nonce */
#define WARDEN_REC_EXPLICIT_LEN 8 /* TLS 1.2: the explicit part, sent */
#define WARDEN_REC_KEY_MAX 32
/* Expansion of a protected record: header, inner content type, tag. */
#define WARDEN_REC_OVERHEAD (WARDEN_REC_HEADER_LEN + 1 + WARDEN_REC_TAG_LEN)
/* In TLS 1.2: header, explicit nonce, tag. */
#define WARDEN_REC12_OVERHEAD                                                  \
    (WARDEN_REC_HEADER_LEN + WARDEN_REC_EXPLICIT_LEN + WARDEN_REC_TAG_LEN)
#define WARDEN_REC_OVERHEAD_MAX WARDEN_REC12_OVERHEAD
/* The read buffer: exactly one record of the largest size allowed. */
#define WARDEN_REC_READ_BUF (WARDEN_REC_HEADER_LEN + WARDEN_REC_CIPHERTEXT_MAX)
/* Room for one written record at the largest fragment, padding included. */
#define WARDEN_REC_WRITE_BUF (WARDEN_REC_OVERHEAD_MAX + WARDEN_REC_PLAINTEXT_MAX)
/* A sealed alert: two bytes of alert in a protected record. */
#define WARDEN_REC_ALERT_RECORD_MAX (WARDEN_REC_OVERHEAD_MAX + 2)
/*
 * Stack cleared below the record layer's frame after each use of
 * BearSSL's AES and GHASH, which leave round keys in their dead frames.
 * tests/test_record_stack.c measures the deepest and checks it fits: on
 * x86-64 with AVX-512, 3232 bytes for the first AES-NI calls of a
 * process (the loader's lazy binding saves the register file there),
 * 1792 for ct64, 616 for AES-NI after that. A multiple of 8.
 */
#define WARDEN_REC_SCRUB_BYTES 4096

/*
 * Results, X(name, code, alert, message). 32-63 are the record layer's,
 * clear of the library's 1-31 and of WARDEN_ERR_COMPANION. alert is the
 * description to send for the error (RFC 8446 6.2), or -1 for none.
 *
 * Not errors: OK, and WANT_READ (a record is not complete yet: feed more
 * bytes). Caller mistakes that change nothing: ARGUMENT, STATE, SPACE.
 * CLOSED is the end of one direction. Every other result is fatal and
 * sticky: the layer is failed and wiped.
 */
#define WARDEN_REC_ERROR_LIST(X)                                               \
    X(OK, 0, -1, "success")                                                    \
    X(WANT_READ, 32, -1, "record incomplete: more input needed")               \
    X(ARGUMENT, 33, -1, "invalid argument to the record layer")                \
    X(STATE, 34, -1, "record layer call out of order")                         \
    X(SPACE, 35, -1, "output buffer too small for a record")                   \
    X(CLOSED, 36, -1, "connection closed by close_notify")                     \
    X(BAD_RECORD_MAC, 37, WARDEN_ALERT_BAD_RECORD_MAC,                         \
      "record failed authentication")                                          \
    X(RECORD_OVERFLOW, 38, WARDEN_ALERT_RECORD_OVERFLOW, "record too long")    \
    X(UNEXPECTED, 39, WARDEN_ALERT_UNEXPECTED_MESSAGE,                         \
      "record of a type not allowed here")                                     \
    X(DECODE, 40, WARDEN_ALERT_DECODE_ERROR, "malformed record")               \
    X(SEQUENCE, 41, WARDEN_ALERT_INTERNAL_ERROR,                               \
      "sequence number exhausted without a key update")                        \
    X(PEER_ALERT, 42, -1, "peer sent a fatal alert")                           \
    X(SENT_ALERT, 43, -1, "fatal alert sent to the peer")                      \
    X(INTERNAL, 44, WARDEN_ALERT_INTERNAL_ERROR, "record layer fault")

enum warden_rec_result {
#define WARDEN_REC_X(name, code, alert, message) WARDEN_REC_##name = code,
    WARDEN_REC_ERROR_LIST(WARDEN_REC_X)
#undef WARDEN_REC_X
};

/* Directions and key epochs. */
#define WARDEN_REC_DIR_READ 0
#define WARDEN_REC_DIR_WRITE 1
#define WARDEN_REC_EPOCH_PLAIN 0       /* no keys yet: TLSPlaintext */
#define WARDEN_REC_EPOCH_HANDSHAKE 1   /* [sender]_handshake_traffic_secret */
#define WARDEN_REC_EPOCH_APPLICATION 2 /* [sender]_application_traffic_* */

/* How a record's nonce is formed. */
#define WARDEN_REC_NONCE_XOR 1 /* RFC 8446 5.3: IV XOR sequence number */
#define WARDEN_REC_NONCE_EXPLICIT 2 /* RFC 5288 3: salt, then seq, sent */

/* One direction's protection. Fields are private. */
struct warden_rec_aead {
    unsigned epoch;      /* WARDEN_REC_EPOCH_* */
    unsigned suite;      /* 0 in the plaintext epoch */
    unsigned nonce_mode; /* WARDEN_REC_NONCE_* */
    int exhausted;       /* sequence number 2^64-1 has been used */
    uint64_t seq;
    uint8_t iv[WARDEN_REC_IV_LEN];
    /* The AEAD contexts point into their AES keys: never copy or move. */
    union {
        struct {
            br_aes_gen_ctr_keys aes;
            br_gcm_context gcm;
        } gcm;
        struct {
            br_aes_gen_ctrcbc_keys aes;
            br_ccm_context ccm;
        } ccm;
    } u;
};

/* Longest data one AEAD call takes (CCM's limit with a 12-byte nonce). */
#define WARDEN_REC_AEAD_DATA_MAX ((size_t)0xFFFFFF)

/*
 * The AEAD under every protected record, with nonce and additional data
 * open, so that public vectors (tests/wycheproof.c) check the code the
 * records use. warden_rec_aead_init() wipes d and keys it for suite
 * (key_len 16, or 32 for AES-256-GCM), on hardware AES and GHASH unless
 * portable is set. _seal() encrypts len bytes of data in place and
 * writes the tag; _open() decrypts them in place and checks the tag in
 * constant time. Only what the suites use is taken: a nonce of
 * WARDEN_REC_IV_LEN bytes, a tag of WARDEN_REC_TAG_LEN, up to
 * WARDEN_REC_AEAD_DATA_MAX bytes; other lengths, an unkeyed d or a NULL
 * pointer with a length return WARDEN_REC_ARGUMENT with data untouched.
 * _open() returns WARDEN_REC_BAD_RECORD_MAC when the tag does not match,
 * with data zeroed: no unauthenticated plaintext comes out. Wipe d after
 * use (the record layer does).
 */
int warden_rec_aead_init(struct warden_rec_aead *d, unsigned suite,
                         int portable, const uint8_t *key, size_t key_len);
int warden_rec_aead_seal(struct warden_rec_aead *d, const uint8_t *nonce,
                         size_t nonce_len, const uint8_t *aad, size_t aad_len,
                         uint8_t *data, size_t len, uint8_t *tag,
                         size_t tag_len);
int warden_rec_aead_open(struct warden_rec_aead *d, const uint8_t *nonce,
                         size_t nonce_len, const uint8_t *aad, size_t aad_len,
                         uint8_t *data, size_t len, const uint8_t *tag,
                         size_t tag_len);

/*
 * A record layer for one connection. Fields are private. It points into
 * itself: do not copy or move it while in use.
 */
struct warden_rec {
    unsigned version;
    int err;      /* the first fatal error; sticky */
    int portable; /* skip hardware AES and GHASH (tests) */
    int read_closed;
    int write_closed;
    size_t max_fragment; /* content plus padding per written record */
    size_t pad_block;    /* 0: no padding */
    uint8_t *buf;        /* caller's, WARDEN_REC_READ_BUF bytes */
    size_t have;         /* bytes of the current record in buf */
    size_t need;         /* its whole length, once the header is in */
    struct warden_rec_aead rd;
    struct warden_rec_aead wr;
    size_t alert_len; /* the pending fatal alert record */
    uint8_t alert[WARDEN_REC_ALERT_RECORD_MAX];
};

/* A record read from the peer. */
struct warden_rec_msg {
    unsigned type;       /* WARDEN_CT_*; CHANGE_CIPHER_SPEC in TLS 1.2 only */
    const uint8_t *data; /* in the read buffer, until the next read */
    size_t len;
    unsigned alert_level; /* type WARDEN_CT_ALERT: the alert */
    unsigned alert_desc;
};

/* A static message for a result; "unknown error" otherwise. */
const char *warden_rec_strerror(int err);

/* The alert description to send for a result, or -1 for none. */
int warden_rec_alert_for(int err);

/*
 * Sets up rec for version (WARDEN_TLS_1_3 or WARDEN_TLS_1_2) in
 * the plaintext epoch, with buf (len at least WARDEN_REC_READ_BUF) as its
 * read buffer. The caller owns both; buf must outlive rec's use. Records
 * are written at up to WARDEN_REC_PLAINTEXT_MAX bytes, unpadded, into
 * buffers the caller passes each time (WARDEN_REC_WRITE_BUF holds one).
 * Returns WARDEN_REC_OK or WARDEN_REC_ARGUMENT.
 */
int warden_rec_init(struct warden_rec *rec, unsigned version, uint8_t *buf,
                    size_t len);

/*
 * Switches rec to version (WARDEN_TLS_1_2 or WARDEN_TLS_1_3) while no
 * keys are installed in either direction: the ServerHello decides.
 * Returns WARDEN_REC_OK, WARDEN_REC_ARGUMENT or WARDEN_REC_STATE.
 */
int warden_rec_set_version(struct warden_rec *rec, unsigned version);

/*
 * Bytes a protected record adds to its content in the current write
 * epoch (no padding set): WARDEN_REC_OVERHEAD in TLS 1.3,
 * WARDEN_REC12_OVERHEAD in TLS 1.2.
 */
size_t warden_rec_overhead(const struct warden_rec *rec);

/*
 * Wipes rec and its read buffer: keys, plaintext, everything. rec is
 * then unusable (WARDEN_REC_STATE) until warden_rec_init().
 */
void warden_rec_wipe(struct warden_rec *rec);

/*
 * Largest content plus padding per written record, 1 to
 * WARDEN_REC_PLAINTEXT_MAX: the peer's record_size_limit minus one
 * (RFC 8449 4) or max_fragment_length (RFC 6066 4).
 */
int warden_rec_set_max_fragment(struct warden_rec *rec, size_t max);

/*
 * Pads every protected record's content up to a multiple of block bytes
 * (RFC 8446 5.4), within the maximum fragment; 0 turns padding off.
 */
int warden_rec_set_padding(struct warden_rec *rec, size_t block);

/*
 * With on set, later key installs use BearSSL's portable constant-time
 * AES and GHASH (ct64 or ct, ctmul64 or ctmul) even where AES-NI,
 * PCLMULQDQ or POWER8 are there. For tests and measurements; call it
 * after warden_rec_init().
 */
void warden_rec_use_portable(struct warden_rec *rec, int on);

/*
 * Installs traffic keys for one direction (WARDEN_REC_DIR_*): epoch
 * WARDEN_REC_EPOCH_HANDSHAKE once, from the plaintext epoch, then
 * WARDEN_REC_EPOCH_APPLICATION as often as keys are updated (RFC 8446
 * 4.6.3). key has the suite's length (16, or 32 for AES-256-GCM); iv is
 * WARDEN_REC_IV_LEN bytes. In TLS 1.2: a TLS 1.2 suite, epoch
 * WARDEN_REC_EPOCH_APPLICATION once per direction, and iv is the
 * WARDEN_REC_SALT_LEN-byte implicit IV. The old keys are wiped and the sequence
 * number starts at 0 (5.3). A read key change inside a record is refused
 * (WARDEN_REC_STATE: the driver must check that handshake messages end
 * on the record boundary, 5.1). The caller should wipe its copies.
 */
int warden_rec_set_keys(struct warden_rec *rec, int dir, unsigned epoch,
                        unsigned suite, const uint8_t *key, size_t key_len,
                        const uint8_t *iv);

/*
 * Reads at most one record from the in_len bytes at in, which may hold
 * part of a record, one record or several. *consumed gets how many bytes
 * were taken; the caller keeps the rest for the next call.
 *
 * Returns WARDEN_REC_OK with *msg filled when a record is complete: a
 * handshake fragment (never empty), application data (possibly empty,
 * only in the application epoch), or a user_canceled alert.
 * Unprotected ChangeCipherSpec records are dropped before the
 * application epoch (RFC 8446 5, D.4) and refused after it; in TLS 1.2
 * the one before the read keys is returned (msg->type
 * WARDEN_CT_CHANGE_CIPHER_SPEC, no data), and the caller installs them.
 * WARDEN_REC_WANT_READ: every byte was taken, no record is complete.
 * WARDEN_REC_CLOSED with msg holding the alert: the peer's close_notify
 * (6.1); every later read returns WARDEN_REC_CLOSED.
 * WARDEN_REC_PEER_ALERT with msg holding the alert: any other alert
 * (6.2); the layer is failed.
 * Any other error is fatal; see warden_rec_pending_alert().
 *
 * msg->data points into the read buffer and stays valid until the next
 * call that reads, fails or wipes.
 */
int warden_rec_read(struct warden_rec *rec, const uint8_t *in, size_t in_len,
                    size_t *consumed, struct warden_rec_msg *msg);

/*
 * Writes len bytes of type (WARDEN_CT_HANDSHAKE, or
 * WARDEN_CT_APPLICATION_DATA in the application epoch) as records into
 * out (capacity cap), fragmenting at the maximum fragment and padding
 * as set. As many whole records as fit are written: *consumed gets the
 * bytes of data taken and *out_len the bytes of out written; call again
 * with the rest. len 0 writes one empty application data record (5.1
 * forbids empty handshake records). data and out must not overlap. Returns
 * WARDEN_REC_OK, WARDEN_REC_SPACE (not even one record fits:
 * WARDEN_REC_WRITE_BUF always does), WARDEN_REC_ARGUMENT,
 * WARDEN_REC_STATE, WARDEN_REC_CLOSED (close_notify was sent), or a
 * fatal error.
 */
int warden_rec_write(struct warden_rec *rec, unsigned type, const uint8_t *data,
                     size_t len, size_t *consumed, uint8_t *out, size_t cap,
                     size_t *out_len);

/*
 * Writes an alert record under the current write keys (RFC 8446 6):
 * close_notify, user_canceled and no_renegotiation (RFC 5246 7.2.2) at
 * level warning, any other
 * description at level fatal. After close_notify the write keys are
 * wiped and further writes return WARDEN_REC_CLOSED; the read side goes
 * on until the peer's close_notify. After a fatal alert the layer is
 * failed with WARDEN_REC_SENT_ALERT.
 */
int warden_rec_write_alert(struct warden_rec *rec, unsigned desc, uint8_t *out,
                           size_t cap, size_t *out_len);

/*
 * Writes the unprotected ChangeCipherSpec record of middlebox
 * compatibility mode (RFC 8446 D.4), six bytes, before the application
 * epoch only; in TLS 1.2 the one that announces the write keys.
 */
int warden_rec_write_ccs(struct warden_rec *rec, uint8_t *out, size_t cap,
                         size_t *out_len);

/*
 * After a fatal error found by the layer itself, copies the alert record
 * it sealed for the peer into out and forgets it; *out_len is 0 when
 * there is none (the error calls for no alert, or the write side could
 * not send one). Returns WARDEN_REC_OK or WARDEN_REC_SPACE.
 */
int warden_rec_pending_alert(struct warden_rec *rec, uint8_t *out, size_t cap,
                             size_t *out_len);

/*
 * The next sequence number of a direction: the driver updates keys well
 * before the AEAD limits (RFC 8446 5.5).
 */
uint64_t warden_rec_seq(const struct warden_rec *rec, int dir);

/*
 * 1 while part of a record is held: an end of stream now cuts a record
 * short, which the driver reports as a truncation (RFC 8446 6.1).
 */
int warden_rec_partial(const struct warden_rec *rec);

/* Tests only: moves a direction's sequence number, to reach 2^64. */
void warden_rec_test_set_seq(struct warden_rec *rec, int dir, uint64_t seq);

#endif
