/* The host's TLS record layer; see record.h. */
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "record.h"

#define SEQ_LAST UINT64_C(0xFFFFFFFFFFFFFFFF)

/* open_record(): a ChangeCipherSpec record was dropped (RFC 8446 5). */
#define DROPPED (-1)

/*
 * BearSSL's portable constant-time AES and GHASH, as its own engine picks
 * them: the 64-bit variants where words are 64 bits wide.
 */
#if SIZE_MAX > 0xFFFFFFFFu
#define PORTABLE_CTR (&br_aes_ct64_ctr_vtable)
#define PORTABLE_CTRCBC (&br_aes_ct64_ctrcbc_vtable)
#define PORTABLE_GHASH (&br_ghash_ctmul64)
#else
#define PORTABLE_CTR (&br_aes_ct_ctr_vtable)
#define PORTABLE_CTRCBC (&br_aes_ct_ctrcbc_vtable)
#define PORTABLE_GHASH (&br_ghash_ctmul)
#endif

const char *
warden_rec_strerror(int err)
{
    switch (err) {
#define WARDEN_REC_X(name, code, alert, message)                               \
    case code:                                                                 \
        return message;
        WARDEN_REC_ERROR_LIST(WARDEN_REC_X)
#undef WARDEN_REC_X
    }
    return "unknown error";
}

int
warden_rec_alert_for(int err)
{
    switch (err) {
#define WARDEN_REC_X(name, code, alert, message)                               \
    case code:                                                                 \
        return alert;
        WARDEN_REC_ERROR_LIST(WARDEN_REC_X)
#undef WARDEN_REC_X
    }
    return -1;
}

/*
 * Key length of a suite of version, or 0 for a suite the layer does not
 * do in that version.
 */
static size_t
suite_key_len(unsigned version, unsigned suite)
{
    if (version == WARDEN_TLS_1_2) {
        switch (suite) {
        case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
        case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM:
            return 16;
        case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
        case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM:
            return 32;
        }
        return 0;
    }
    switch (suite) {
    case WARDEN_TLS_AES_128_GCM_SHA256:
    case WARDEN_TLS_AES_128_CCM_SHA256:
        return 16;
    case WARDEN_TLS_AES_256_GCM_SHA384:
        return 32;
    }
    return 0;
}

/* Key length of any suite of either version: the AEAD's own check. */
static size_t
aead_key_len(unsigned suite)
{
    size_t n = suite_key_len(WARDEN_TLS_1_3, suite);

    return n != 0 ? n : suite_key_len(WARDEN_TLS_1_2, suite);
}

static int
is_ccm(unsigned suite)
{
    return suite == WARDEN_TLS_AES_128_CCM_SHA256 ||
           suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM ||
           suite == WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM;
}

static void
put_header(uint8_t *out, unsigned type, size_t len)
{
    /* RFC 8446 5.1: legacy_record_version is 0x0303 on every record. */
    out[0] = (uint8_t)type;
    out[1] = 0x03;
    out[2] = 0x03;
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

/* Drops one direction's keys; it is back in the plaintext epoch. */
static void
wipe_keys(struct warden_rec_aead *d)
{
    warden_wipe(d, sizeof(*d));
}

/*
 * Run right after every use of BearSSL's AES and GHASH, from the
 * function that called it. Their code leaves key material where the
 * connection's wipe cannot reach it: round keys in its dead stack frames
 * below the caller (the AES-NI key schedule builds them in a local
 * array; ct64 expands them into one on every call), and in the vector
 * registers (see wipe_regs.c). WARDEN_REC_SCRUB_BYTES is the deepest of
 * those frames, measured by tests/test_record_stack.c. Called through a
 * volatile pointer so that it is not inlined: its area must lie below
 * the caller's frame, where BearSSL's frames were.
 */
static void
scrub_now(void)
{
    uint64_t area[WARDEN_REC_SCRUB_BYTES / 8];
    volatile uint64_t *v = area;
    size_t i;

    /* Words, not bytes: this runs on every record. */
    for (i = 0; i < sizeof(area) / 8; i++) {
        v[i] = 0;
    }
    warden_wipe_registers();
}

static void (*volatile scrub)(void) = scrub_now;

/*
 * Sets up AES-GCM or AES-CCM with key in d. Hardware AES and GHASH when
 * BearSSL finds them on this CPU (both constant-time), else its portable
 * constant-time code.
 */
static void
init_aead(struct warden_rec_aead *d, int portable, const uint8_t *key,
          size_t key_len)
{
    const br_block_ctr_class *ctr = NULL;
    const br_block_ctrcbc_class *ctrcbc = NULL;
    br_ghash ghash = 0;

    if (is_ccm(d->suite)) {
        if (!portable) {
            ctrcbc = br_aes_x86ni_ctrcbc_get_vtable();
            if (ctrcbc == NULL) {
                ctrcbc = br_aes_pwr8_ctrcbc_get_vtable();
            }
        }
        if (ctrcbc == NULL) {
            ctrcbc = PORTABLE_CTRCBC;
        }
        ctrcbc->init(&d->u.ccm.aes.vtable, key, key_len);
        br_ccm_init(&d->u.ccm.ccm, &d->u.ccm.aes.vtable);
        scrub();
        return;
    }

    if (!portable) {
        ctr = br_aes_x86ni_ctr_get_vtable();
        if (ctr == NULL) {
            ctr = br_aes_pwr8_ctr_get_vtable();
        }
        ghash = br_ghash_pclmul_get();
        if (ghash == 0) {
            ghash = br_ghash_pwr8_get();
        }
    }
    if (ctr == NULL) {
        ctr = PORTABLE_CTR;
    }
    if (ghash == 0) {
        ghash = PORTABLE_GHASH;
    }
    ctr->init(&d->u.gcm.aes.vtable, key, key_len);
    br_gcm_init(&d->u.gcm.gcm, &d->u.gcm.aes.vtable, ghash);
    scrub();
}

static void
put64(uint8_t *out, uint64_t v)
{
    int i;

    for (i = 0; i < 8; i++) {
        out[7 - i] = (uint8_t)(v >> (8 * i));
    }
}

/*
 * RFC 8446 5.3: the 64-bit sequence number in network byte order,
 * left-padded with zeros to the IV's length, XORed with the static IV.
 * TLS 1.2 (RFC 5288 3, RFC 6655 3): the 4-byte implicit salt, then the
 * explicit nonce, which is the sequence number (unique per key).
 */
static void
make_nonce(const struct warden_rec_aead *d, const uint8_t *explicit_part,
           uint8_t nonce[WARDEN_REC_IV_LEN])
{
    int i;

    if (d->nonce_mode == WARDEN_REC_NONCE_EXPLICIT) {
        memcpy(nonce, d->iv, WARDEN_REC_SALT_LEN);
        if (explicit_part != NULL) {
            memcpy(nonce + WARDEN_REC_SALT_LEN, explicit_part,
                   WARDEN_REC_EXPLICIT_LEN);
        } else {
            put64(nonce + WARDEN_REC_SALT_LEN, d->seq);
        }
        return;
    }
    memcpy(nonce, d->iv, WARDEN_REC_IV_LEN);
    for (i = 0; i < 8; i++) {
        nonce[WARDEN_REC_IV_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
    }
}

/* RFC 8446 5.3: the sequence number must not wrap; the last one is kept. */
static void
next_seq(struct warden_rec_aead *d)
{
    if (d->seq == SEQ_LAST) {
        d->exhausted = 1;
    } else {
        d->seq++;
    }
}

/*
 * The AEAD itself, for warden_rec_aead_seal() and _open(): data in
 * place, tag_out written when sealing, tag_in checked when opening (the
 * comparison is BearSSL's, in constant time).
 */
static int
aead(struct warden_rec_aead *d, int encrypt, const uint8_t *nonce,
     size_t nonce_len, const uint8_t *aad, size_t aad_len, uint8_t *data,
     size_t len, uint8_t *tag_out, const uint8_t *tag_in, size_t tag_len)
{
    uint32_t ok = 1;

    /* Only what the suites use: a 12-byte nonce, a 16-byte tag. */
    if (d == NULL || aead_key_len(d->suite) == 0 || nonce == NULL ||
        nonce_len != WARDEN_REC_IV_LEN || tag_len != WARDEN_REC_TAG_LEN ||
        (aad == NULL && aad_len > 0) || (data == NULL && len > 0) ||
        len > WARDEN_REC_AEAD_DATA_MAX) {
        return WARDEN_REC_ARGUMENT;
    }
    if (is_ccm(d->suite)) {
        br_ccm_context *ccm = &d->u.ccm.ccm;

        /* Cannot fail: 12-byte nonce, 16-byte tag, len below 2^24. */
        if (!br_ccm_reset(ccm, nonce, nonce_len, aad_len, len, tag_len)) {
            return WARDEN_REC_ARGUMENT;
        }
        br_ccm_aad_inject(ccm, aad, aad_len);
        br_ccm_flip(ccm);
        br_ccm_run(ccm, encrypt, data, len);
        if (encrypt) {
            br_ccm_get_tag(ccm, tag_out);
        } else {
            ok = br_ccm_check_tag(ccm, tag_in);
        }
    } else {
        br_gcm_context *gcm = &d->u.gcm.gcm;

        br_gcm_reset(gcm, nonce, nonce_len);
        br_gcm_aad_inject(gcm, aad, aad_len);
        br_gcm_flip(gcm);
        br_gcm_run(gcm, encrypt, data, len);
        if (encrypt) {
            br_gcm_get_tag(gcm, tag_out);
        } else {
            ok = br_gcm_check_tag(gcm, tag_in);
        }
    }
    /* From the frame that called BearSSL: see scrub_now(). */
    scrub();
    if (!ok) {
        /* Decryption ran before the check: release none of it. */
        warden_wipe(data, len);
        return WARDEN_REC_BAD_RECORD_MAC;
    }
    return WARDEN_REC_OK;
}

int
warden_rec_aead_init(struct warden_rec_aead *d, unsigned suite, int portable,
                     const uint8_t *key, size_t key_len)
{
    if (d == NULL || key == NULL || key_len == 0 ||
        key_len != aead_key_len(suite)) {
        return WARDEN_REC_ARGUMENT;
    }
    wipe_keys(d);
    d->suite = suite;
    init_aead(d, portable, key, key_len);
    return WARDEN_REC_OK;
}

int
warden_rec_aead_seal(struct warden_rec_aead *d, const uint8_t *nonce,
                     size_t nonce_len, const uint8_t *aad, size_t aad_len,
                     uint8_t *data, size_t len, uint8_t *tag, size_t tag_len)
{
    if (tag == NULL) {
        return WARDEN_REC_ARGUMENT;
    }
    return aead(d, 1, nonce, nonce_len, aad, aad_len, data, len, tag, NULL,
                tag_len);
}

int
warden_rec_aead_open(struct warden_rec_aead *d, const uint8_t *nonce,
                     size_t nonce_len, const uint8_t *aad, size_t aad_len,
                     uint8_t *data, size_t len, const uint8_t *tag,
                     size_t tag_len)
{
    if (tag == NULL) {
        return WARDEN_REC_ARGUMENT;
    }
    return aead(d, 0, nonce, nonce_len, aad, aad_len, data, len, NULL, tag,
                tag_len);
}

/*
 * Encrypts or decrypts the len bytes at body in place, with aad_len
 * bytes of additional data: the record header (RFC 8446 5.2), or in
 * TLS 1.2 seq_num + type + version + length (RFC 5246 6.2.3.3), whose
 * explicit nonce part is explicit_part when reading (NULL: our sequence
 * number). The tag follows the body. Returns 1, or 0 when decrypting and
 * the tag does not match (the comparison is BearSSL's, in constant
 * time).
 */
static uint32_t
run_aead(struct warden_rec_aead *d, int encrypt, const uint8_t *explicit_part,
         const uint8_t *aad, size_t aad_len, uint8_t *body, size_t len)
{
    uint8_t nonce[WARDEN_REC_IV_LEN];
    int rc;

    make_nonce(d, explicit_part, nonce);
    if (encrypt) {
        rc = warden_rec_aead_seal(d, nonce, sizeof(nonce), aad, aad_len, body,
                                  len, body + len, WARDEN_REC_TAG_LEN);
    } else {
        rc = warden_rec_aead_open(d, nonce, sizeof(nonce), aad, aad_len, body,
                                  len, body + len, WARDEN_REC_TAG_LEN);
    }
    warden_wipe(nonce, sizeof(nonce));
    return rc == WARDEN_REC_OK;
}

/* Padding for a written record of len content bytes (RFC 8446 5.4). */
static size_t
padding(const struct warden_rec *rec, size_t len)
{
    size_t rem, pad;

    /* TLS 1.2 AEAD records have no padding. */
    if (rec->wr.epoch == WARDEN_REC_EPOCH_PLAIN || rec->pad_block == 0 ||
        rec->version == WARDEN_TLS_1_2) {
        return 0;
    }
    rem = len % rec->pad_block;
    pad = rem == 0 ? 0 : rec->pad_block - rem;
    if (len + pad > rec->max_fragment) {
        pad = len > rec->max_fragment ? 0 : rec->max_fragment - len;
    }
    return pad;
}

/* Bytes on the wire of a written record of len content and pad bytes. */
static size_t
record_size(const struct warden_rec *rec, size_t len, size_t pad)
{
    if (rec->wr.epoch == WARDEN_REC_EPOCH_PLAIN) {
        return WARDEN_REC_HEADER_LEN + len;
    }
    return warden_rec_overhead(rec) + len + pad;
}

size_t
warden_rec_overhead(const struct warden_rec *rec)
{
    return rec != NULL && rec->version == WARDEN_TLS_1_2 ? WARDEN_REC12_OVERHEAD
                                                         : WARDEN_REC_OVERHEAD;
}

/*
 * RFC 5246 6.2.3.3: additional_data = seq_num + TLSCompressed.type +
 * TLSCompressed.version + TLSCompressed.length (of the plaintext).
 */
static void
aad12(const struct warden_rec_aead *d, unsigned type, size_t len,
      uint8_t aad[13])
{
    put64(aad, d->seq);
    aad[8] = (uint8_t)type;
    aad[9] = 0x03;
    aad[10] = 0x03;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
}

/*
 * TLS 1.2: GenericAEADCipher (RFC 5246 6.2.3.3), the record's own type
 * in its header, the explicit nonce and the sealed content.
 */
static int
put_record12(struct warden_rec *rec, unsigned type, const uint8_t *data,
             size_t len, uint8_t *out)
{
    uint8_t *nonce = out + WARDEN_REC_HEADER_LEN;
    uint8_t *body = nonce + WARDEN_REC_EXPLICIT_LEN;
    uint8_t aad[13];

    memmove(body, data, len);
    put_header(out, type,
               WARDEN_REC_EXPLICIT_LEN + len + WARDEN_REC_TAG_LEN);
    put64(nonce, rec->wr.seq);
    aad12(&rec->wr, type, len, aad);
    if (!run_aead(&rec->wr, 1, NULL, aad, sizeof(aad), body, len)) {
        return WARDEN_REC_INTERNAL;
    }
    next_seq(&rec->wr);
    return WARDEN_REC_OK;
}

/*
 * Writes one record of type holding len bytes of data, padded with pad
 * zeros when protected, at out, which has room for record_size().
 */
static int
put_record(struct warden_rec *rec, unsigned type, const uint8_t *data,
           size_t len, size_t pad, uint8_t *out)
{
    uint8_t *body = out + WARDEN_REC_HEADER_LEN;
    size_t inner;

    if (rec->wr.epoch == WARDEN_REC_EPOCH_PLAIN) {
        /* RFC 8446 5.1: TLSPlaintext. */
        put_header(out, type, len);
        memmove(body, data, len);
        return WARDEN_REC_OK;
    }
    if (rec->wr.exhausted) {
        return WARDEN_REC_SEQUENCE;
    }
    if (rec->version == WARDEN_TLS_1_2) {
        return put_record12(rec, type, data, len, out);
    }

    /*
     * RFC 8446 5.2: TLSInnerPlaintext is the content, its real type and
     * zero padding; the outer type is application_data and the length
     * counts the tag.
     */
    inner = len + 1 + pad;
    put_header(out, WARDEN_CT_APPLICATION_DATA, inner + WARDEN_REC_TAG_LEN);
    memmove(body, data, len);
    body[len] = (uint8_t)type;
    memset(body + len + 1, 0, pad);
    if (!run_aead(&rec->wr, 1, NULL, out, WARDEN_REC_HEADER_LEN, body,
                  inner)) {
        return WARDEN_REC_INTERNAL;
    }
    next_seq(&rec->wr);
    return WARDEN_REC_OK;
}

/*
 * Seals a fatal alert into rec->alert, when the write side can still
 * send one.
 */
static void
stash_alert(struct warden_rec *rec, int desc)
{
    uint8_t body[2];

    body[0] = WARDEN_ALERT_LEVEL_FATAL;
    body[1] = (uint8_t)desc;
    if (rec->write_closed || rec->wr.exhausted) {
        return;
    }
    if (put_record(rec, WARDEN_CT_ALERT, body, sizeof(body), 0, rec->alert) ==
        WARDEN_REC_OK) {
        rec->alert_len = record_size(rec, sizeof(body), 0);
    }
}

/*
 * Fails rec for good with err, unless it failed already: keeps the alert
 * the error calls for, then wipes both directions' keys and the read
 * buffer. Returns the first error.
 */
static int
fail(struct warden_rec *rec, int err)
{
    int desc;

    if (rec->err != WARDEN_REC_OK) {
        return rec->err;
    }
    rec->err = err;
    desc = warden_rec_alert_for(err);
    if (desc >= 0) {
        stash_alert(rec, desc);
    }
    wipe_keys(&rec->rd);
    wipe_keys(&rec->wr);
    warden_wipe(rec->buf, WARDEN_REC_READ_BUF);
    rec->have = 0;
    rec->need = 0;
    return err;
}

/* The result for any call on rec before it does anything. */
static int
usable(const struct warden_rec *rec)
{
    if (rec->err != WARDEN_REC_OK) {
        return rec->err;
    }
    if (rec->buf == NULL) {
        return WARDEN_REC_STATE;
    }
    return WARDEN_REC_OK;
}

int
warden_rec_init(struct warden_rec *rec, unsigned version, uint8_t *buf,
                size_t len)
{
    if (rec == NULL || buf == NULL || len < WARDEN_REC_READ_BUF) {
        return WARDEN_REC_ARGUMENT;
    }
    if (version != WARDEN_TLS_1_3 && version != WARDEN_TLS_1_2) {
        return WARDEN_REC_ARGUMENT;
    }
    warden_wipe(rec, sizeof(*rec));
    rec->version = version;
    rec->buf = buf;
    rec->max_fragment = WARDEN_REC_PLAINTEXT_MAX;
    return WARDEN_REC_OK;
}

int
warden_rec_set_version(struct warden_rec *rec, unsigned version)
{
    int rc;

    if (rec == NULL ||
        (version != WARDEN_TLS_1_3 && version != WARDEN_TLS_1_2)) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = usable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }
    if (rec->rd.epoch != WARDEN_REC_EPOCH_PLAIN ||
        rec->wr.epoch != WARDEN_REC_EPOCH_PLAIN) {
        return WARDEN_REC_STATE;
    }
    rec->version = version;
    return WARDEN_REC_OK;
}

void
warden_rec_wipe(struct warden_rec *rec)
{
    if (rec == NULL) {
        return;
    }
    if (rec->buf != NULL) {
        warden_wipe(rec->buf, WARDEN_REC_READ_BUF);
    }
    warden_wipe(rec, sizeof(*rec));
}

int
warden_rec_set_max_fragment(struct warden_rec *rec, size_t max)
{
    int rc;

    if (rec == NULL || max == 0 || max > WARDEN_REC_PLAINTEXT_MAX) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = usable(rec);
    if (rc == WARDEN_REC_OK) {
        rec->max_fragment = max;
    }
    return rc;
}

int
warden_rec_set_padding(struct warden_rec *rec, size_t block)
{
    int rc;

    if (rec == NULL || block > WARDEN_REC_PLAINTEXT_MAX) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = usable(rec);
    if (rc == WARDEN_REC_OK) {
        rec->pad_block = block;
    }
    return rc;
}

void
warden_rec_use_portable(struct warden_rec *rec, int on)
{
    if (rec != NULL) {
        rec->portable = on != 0;
    }
}

int
warden_rec_set_keys(struct warden_rec *rec, int dir, unsigned epoch,
                    unsigned suite, const uint8_t *key, size_t key_len,
                    const uint8_t *iv)
{
    struct warden_rec_aead *d;
    int closed, rc;

    if (rec == NULL || key == NULL || iv == NULL ||
        (dir != WARDEN_REC_DIR_READ && dir != WARDEN_REC_DIR_WRITE) ||
        (epoch != WARDEN_REC_EPOCH_HANDSHAKE &&
         epoch != WARDEN_REC_EPOCH_APPLICATION) ||
        key_len == 0 || key_len != suite_key_len(rec->version, suite)) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = usable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }
    d = dir == WARDEN_REC_DIR_READ ? &rec->rd : &rec->wr;
    closed = dir == WARDEN_REC_DIR_READ ? rec->read_closed : rec->write_closed;
    if (closed) {
        return WARDEN_REC_CLOSED;
    }

    /*
     * Handshake keys follow the plaintext epoch; application keys follow
     * the handshake keys, and themselves on a KeyUpdate (RFC 8446 7.2).
     */
    if (epoch == WARDEN_REC_EPOCH_HANDSHAKE
            ? d->epoch != WARDEN_REC_EPOCH_PLAIN
            : d->epoch == WARDEN_REC_EPOCH_PLAIN) {
        /* TLS 1.2: application keys once, straight from plaintext. */
        if (rec->version != WARDEN_TLS_1_2 ||
            epoch != WARDEN_REC_EPOCH_APPLICATION) {
            return WARDEN_REC_STATE;
        }
    } else if (rec->version == WARDEN_TLS_1_2) {
        return WARDEN_REC_STATE;
    }
    /* RFC 8446 5.1: a key change falls on a record boundary. */
    if (dir == WARDEN_REC_DIR_READ && rec->have != 0) {
        return WARDEN_REC_STATE;
    }

    /* Cannot fail: suite and key length were checked above. */
    (void)warden_rec_aead_init(d, suite, rec->portable, key, key_len);
    d->epoch = epoch;
    if (rec->version == WARDEN_TLS_1_2) {
        d->nonce_mode = WARDEN_REC_NONCE_EXPLICIT;
        memcpy(d->iv, iv, WARDEN_REC_SALT_LEN);
    } else {
        d->nonce_mode = WARDEN_REC_NONCE_XOR;
        memcpy(d->iv, iv, WARDEN_REC_IV_LEN);
    }
    return WARDEN_REC_OK;
}

/*
 * Checks the header of the record in rec->buf as soon as it is in, so
 * that a bad record fails before its body arrives, and sets rec->need.
 * legacy_record_version is ignored (RFC 8446 5.1); in a protected record
 * the AEAD authenticates it with the rest of the header.
 */
static int
check_header(struct warden_rec *rec)
{
    unsigned type = rec->buf[0];
    size_t len = ((size_t)rec->buf[3] << 8) | rec->buf[4];

    if (type == WARDEN_CT_CHANGE_CIPHER_SPEC) {
        /*
         * RFC 8446 5: dropped between the first ClientHello and the peer's
         * Finished, always unprotected, one byte; anything else is an
         * unexpected_message. The value itself is checked once it is in.
         */
        if (rec->rd.epoch == WARDEN_REC_EPOCH_APPLICATION || len != 1) {
            return WARDEN_REC_UNEXPECTED;
        }
    } else if (rec->rd.epoch == WARDEN_REC_EPOCH_PLAIN) {
        /* No application data before keys; unknown types are unexpected. */
        if (type != WARDEN_CT_HANDSHAKE && type != WARDEN_CT_ALERT) {
            return WARDEN_REC_UNEXPECTED;
        }
        if (len > WARDEN_REC_PLAINTEXT_MAX) {
            return WARDEN_REC_RECORD_OVERFLOW;
        }
    } else if (rec->version == WARDEN_TLS_1_2) {
        /* RFC 5246 6.2.3.3: the real type, the explicit nonce, a tag. */
        if (type != WARDEN_CT_APPLICATION_DATA &&
            type != WARDEN_CT_HANDSHAKE && type != WARDEN_CT_ALERT) {
            return WARDEN_REC_UNEXPECTED;
        }
        if (len > WARDEN_REC_CIPHERTEXT_MAX) {
            return WARDEN_REC_RECORD_OVERFLOW;
        }
        if (len < WARDEN_REC_EXPLICIT_LEN + WARDEN_REC_TAG_LEN) {
            return WARDEN_REC_BAD_RECORD_MAC;
        }
    } else {
        /* RFC 8446 5.2: once protected, opaque_type is application_data. */
        if (type != WARDEN_CT_APPLICATION_DATA) {
            return WARDEN_REC_UNEXPECTED;
        }
        if (len > WARDEN_REC_CIPHERTEXT_MAX) {
            return WARDEN_REC_RECORD_OVERFLOW;
        }
        /* Too short to hold a content type and a tag: cannot verify. */
        if (len < 1 + WARDEN_REC_TAG_LEN) {
            return WARDEN_REC_BAD_RECORD_MAC;
        }
    }
    rec->need = WARDEN_REC_HEADER_LEN + len;
    return WARDEN_REC_OK;
}

/*
 * RFC 8446 5.4: the content type is the last non-zero byte of the
 * TLSInnerPlaintext; zeros after it are padding. Looks at every byte, so
 * that the time taken does not tell the padding length. Returns the
 * position of that byte; *found is 0 when all bytes are zero.
 */
static size_t
last_nonzero(const uint8_t *p, size_t len, uint32_t *found)
{
    size_t i, pos = 0;
    uint32_t any = 0;

    for (i = 0; i < len; i++) {
        uint32_t nz = ((uint32_t)p[i] + 0xFF) >> 8;
        size_t mask = (size_t)0 - (size_t)nz;

        pos = (pos & ~mask) | (i & mask);
        any |= nz;
    }
    *found = any;
    return pos;
}

/*
 * TLS 1.2 (RFC 5246 6.2.3.3): opens the record of len bytes at *body in
 * place; *body and *len then give its content. The explicit nonce is
 * taken as sent: only the tag decides (a peer's nonce need not be its
 * sequence number).
 */
static int
unprotect12(struct warden_rec *rec, uint8_t **body, size_t *len,
            unsigned type)
{
    uint8_t aad[13];
    uint8_t *p = *body + WARDEN_REC_EXPLICIT_LEN;
    size_t n = *len - WARDEN_REC_EXPLICIT_LEN - WARDEN_REC_TAG_LEN;
    uint32_t ok;

    if (n > WARDEN_REC_PLAINTEXT_MAX) {
        return WARDEN_REC_RECORD_OVERFLOW;
    }
    aad12(&rec->rd, type, n, aad);
    ok = run_aead(&rec->rd, 0, *body, aad, sizeof(aad), p, n);
    if (!ok) {
        return WARDEN_REC_BAD_RECORD_MAC;
    }
    next_seq(&rec->rd);
    *body = p;
    *len = n;
    return WARDEN_REC_OK;
}

/*
 * Decrypts the protected record of len bytes at body (RFC 8446 5.2) in
 * place, and gives its real content type and length.
 */
static int
unprotect(struct warden_rec *rec, uint8_t *body, size_t *len, unsigned *type)
{
    size_t inner = *len - WARDEN_REC_TAG_LEN;
    size_t pos;
    uint32_t found;

    if (rec->rd.exhausted) {
        return WARDEN_REC_SEQUENCE;
    }
    /* RFC 8446 5.2: TLSInnerPlaintext is at most 2^14 + 1 bytes. */
    if (inner > WARDEN_REC_PLAINTEXT_MAX + 1) {
        return WARDEN_REC_RECORD_OVERFLOW;
    }
    if (!run_aead(&rec->rd, 0, NULL, rec->buf, WARDEN_REC_HEADER_LEN, body,
                  inner)) {
        return WARDEN_REC_BAD_RECORD_MAC;
    }
    next_seq(&rec->rd);

    pos = last_nonzero(body, inner, &found);
    if (!found) {
        return WARDEN_REC_UNEXPECTED;
    }
    *type = body[pos];
    *len = pos;
    return WARDEN_REC_OK;
}

/*
 * An alert record (RFC 8446 6): exactly one alert, never fragmented or
 * coalesced (5.1). close_notify ends the read side (6.1); user_canceled
 * is passed on; every other alert is an error alert (6.2), whatever its
 * level says.
 */
static int
read_alert(struct warden_rec *rec, const uint8_t *body, size_t len,
           struct warden_rec_msg *msg)
{
    if (len != 2) {
        return WARDEN_REC_DECODE;
    }
    msg->type = WARDEN_CT_ALERT;
    msg->alert_level = body[0];
    msg->alert_desc = body[1];
    if (msg->alert_desc == WARDEN_ALERT_CLOSE_NOTIFY) {
        /* 6.1: what follows a closure alert is ignored. */
        rec->read_closed = 1;
        wipe_keys(&rec->rd);
        warden_wipe(rec->buf, WARDEN_REC_READ_BUF);
        return WARDEN_REC_CLOSED;
    }
    if (msg->alert_desc == WARDEN_ALERT_USER_CANCELED) {
        return WARDEN_REC_OK;
    }
    return WARDEN_REC_PEER_ALERT;
}

/* Makes a whole record in rec->buf into msg. */
static int
open_record(struct warden_rec *rec, struct warden_rec_msg *msg)
{
    uint8_t *body = rec->buf + WARDEN_REC_HEADER_LEN;
    size_t len = rec->need - WARDEN_REC_HEADER_LEN;
    unsigned type = rec->buf[0];
    int rc;

    if (type == WARDEN_CT_CHANGE_CIPHER_SPEC) {
        if (body[0] != 0x01) {
            return WARDEN_REC_UNEXPECTED;
        }
        /* RFC 5246 7.1: announces the peer's keys; the caller acts. */
        if (rec->version == WARDEN_TLS_1_2) {
            msg->type = type;
            return WARDEN_REC_OK;
        }
        /* RFC 8446 5: the single byte 0x01, dropped. */
        return DROPPED;
    }
    if (rec->rd.epoch != WARDEN_REC_EPOCH_PLAIN) {
        rc = rec->version == WARDEN_TLS_1_2
                 ? unprotect12(rec, &body, &len, type)
                 : unprotect(rec, body, &len, &type);
        if (rc != WARDEN_REC_OK) {
            return rc;
        }
    }

    switch (type) {
    case WARDEN_CT_ALERT:
        return read_alert(rec, body, len, msg);
    case WARDEN_CT_HANDSHAKE:
        /* RFC 8446 5.1: no zero-length handshake fragments. */
        if (len == 0) {
            return WARDEN_REC_UNEXPECTED;
        }
        break;
    case WARDEN_CT_APPLICATION_DATA:
        /* Only under application keys; 0-RTT is not done. */
        if (rec->rd.epoch != WARDEN_REC_EPOCH_APPLICATION) {
            return WARDEN_REC_UNEXPECTED;
        }
        break;
    default:
        /* RFC 8446 5: a protected ChangeCipherSpec, or an unknown type. */
        return WARDEN_REC_UNEXPECTED;
    }
    msg->type = type;
    msg->data = body;
    msg->len = len;
    return WARDEN_REC_OK;
}

int
warden_rec_read(struct warden_rec *rec, const uint8_t *in, size_t in_len,
                size_t *consumed, struct warden_rec_msg *msg)
{
    size_t used = 0;
    int rc;

    if (consumed != NULL) {
        *consumed = 0;
    }
    if (msg != NULL) {
        memset(msg, 0, sizeof(*msg));
    }
    if (rec == NULL || consumed == NULL || msg == NULL ||
        (in == NULL && in_len != 0)) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = usable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }
    if (rec->read_closed) {
        return WARDEN_REC_CLOSED;
    }

    for (;;) {
        /* The header first, then the body it announces. */
        size_t want = rec->need != 0 ? rec->need : WARDEN_REC_HEADER_LEN;
        size_t n = want - rec->have;

        if (n > in_len - used) {
            n = in_len - used;
        }
        if (n > 0) {
            memcpy(rec->buf + rec->have, in + used, n);
            rec->have += n;
            used += n;
        }
        *consumed = used;
        if (rec->have < want) {
            return WARDEN_REC_WANT_READ;
        }
        if (rec->need == 0) {
            rc = check_header(rec);
            if (rc != WARDEN_REC_OK) {
                return fail(rec, rc);
            }
            continue;
        }

        rc = open_record(rec, msg);
        rec->have = 0;
        rec->need = 0;
        if (rc == DROPPED) {
            continue;
        }
        if (rc == WARDEN_REC_OK || rc == WARDEN_REC_CLOSED) {
            return rc;
        }
        return fail(rec, rc);
    }
}

/* The result for a write call on rec before it does anything. */
static int
writable(const struct warden_rec *rec)
{
    int rc = usable(rec);

    if (rc == WARDEN_REC_OK && rec->write_closed) {
        rc = WARDEN_REC_CLOSED;
    }
    return rc;
}

int
warden_rec_write(struct warden_rec *rec, unsigned type, const uint8_t *data,
                 size_t len, size_t *consumed, uint8_t *out, size_t cap,
                 size_t *out_len)
{
    size_t done = 0, used = 0;
    int rc;

    if (consumed != NULL) {
        *consumed = 0;
    }
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rec == NULL || consumed == NULL || out == NULL || out_len == NULL ||
        (data == NULL && len != 0)) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = writable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }
    if (type == WARDEN_CT_HANDSHAKE) {
        /* RFC 8446 5.1: no zero-length handshake fragments. */
        if (len == 0) {
            return WARDEN_REC_ARGUMENT;
        }
    } else if (type == WARDEN_CT_APPLICATION_DATA) {
        if (rec->wr.epoch != WARDEN_REC_EPOCH_APPLICATION) {
            return WARDEN_REC_STATE;
        }
    } else {
        return WARDEN_REC_ARGUMENT;
    }

    /* RFC 8446 5.1: fragments of at most the maximum, in order. */
    do {
        size_t frag = len - done;
        size_t pad, size;

        if (frag > rec->max_fragment) {
            frag = rec->max_fragment;
        }
        pad = padding(rec, frag);
        size = record_size(rec, frag, pad);
        if (size > cap - used) {
            break;
        }
        rc = put_record(rec, type, data + done, frag, pad, out + used);
        if (rc != WARDEN_REC_OK) {
            return fail(rec, rc);
        }
        used += size;
        done += frag;
        *consumed = done;
        *out_len = used;
    } while (done < len);

    return used == 0 ? WARDEN_REC_SPACE : WARDEN_REC_OK;
}

int
warden_rec_write_alert(struct warden_rec *rec, unsigned desc, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    uint8_t body[2];
    size_t pad, size;
    int closure, rc;

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rec == NULL || out == NULL || out_len == NULL || desc > 255) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = writable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }

    /*
     * RFC 8446 6: only the closure alerts are warnings; RFC 5246 7.2.2:
     * no_renegotiation is always one.
     */
    closure =
        desc == WARDEN_ALERT_CLOSE_NOTIFY || desc == WARDEN_ALERT_USER_CANCELED;
    body[0] = closure || desc == WARDEN_ALERT_NO_RENEGOTIATION
                  ? WARDEN_ALERT_LEVEL_WARNING
                  : WARDEN_ALERT_LEVEL_FATAL;
    body[1] = (uint8_t)desc;
    pad = padding(rec, sizeof(body));
    size = record_size(rec, sizeof(body), pad);
    if (size > cap) {
        return WARDEN_REC_SPACE;
    }
    rc = put_record(rec, WARDEN_CT_ALERT, body, sizeof(body), pad, out);
    if (rc != WARDEN_REC_OK) {
        return fail(rec, rc);
    }
    *out_len = size;

    if (desc == WARDEN_ALERT_CLOSE_NOTIFY) {
        /* 6.1: nothing more is written; the read side goes on. */
        rec->write_closed = 1;
        wipe_keys(&rec->wr);
    } else if (!closure) {
        /* 6.2: the connection is over. */
        fail(rec, WARDEN_REC_SENT_ALERT);
    }
    return WARDEN_REC_OK;
}

int
warden_rec_write_ccs(struct warden_rec *rec, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    int rc;

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rec == NULL || out == NULL || out_len == NULL) {
        return WARDEN_REC_ARGUMENT;
    }
    rc = writable(rec);
    if (rc != WARDEN_REC_OK) {
        return rc;
    }
    if (rec->wr.epoch == WARDEN_REC_EPOCH_APPLICATION) {
        return WARDEN_REC_STATE;
    }
    if (cap < WARDEN_REC_HEADER_LEN + 1) {
        return WARDEN_REC_SPACE;
    }
    /* RFC 8446 D.4: unprotected, the single byte 0x01. */
    put_header(out, WARDEN_CT_CHANGE_CIPHER_SPEC, 1);
    out[WARDEN_REC_HEADER_LEN] = 0x01;
    *out_len = WARDEN_REC_HEADER_LEN + 1;
    return WARDEN_REC_OK;
}

int
warden_rec_pending_alert(struct warden_rec *rec, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (rec == NULL || out == NULL || out_len == NULL) {
        return WARDEN_REC_ARGUMENT;
    }
    if (rec->alert_len > cap) {
        return WARDEN_REC_SPACE;
    }
    memcpy(out, rec->alert, rec->alert_len);
    *out_len = rec->alert_len;
    warden_wipe(rec->alert, sizeof(rec->alert));
    rec->alert_len = 0;
    return WARDEN_REC_OK;
}

uint64_t
warden_rec_seq(const struct warden_rec *rec, int dir)
{
    if (rec == NULL) {
        return 0;
    }
    return dir == WARDEN_REC_DIR_READ ? rec->rd.seq : rec->wr.seq;
}

int
warden_rec_partial(const struct warden_rec *rec)
{
    return rec != NULL && rec->have != 0;
}

void
warden_rec_test_set_seq(struct warden_rec *rec, int dir, uint64_t seq)
{
    struct warden_rec_aead *d;

    if (rec == NULL) {
        return;
    }
    d = dir == WARDEN_REC_DIR_READ ? &rec->rd : &rec->wr;
    d->seq = seq;
    d->exhausted = 0;
}
