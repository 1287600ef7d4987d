/*
 * The TLS 1.3 and TLS 1.2 client engine; see tls.h for its shape and
 * warden.h for the calls. The companion decides, the engine moves bytes:
 *
 *   start    TLS_OPEN: the companion's ClientHello, in a plaintext record
 *   feed     records in; each server handshake message, reassembled
 *            across records and cut out of coalesced ones (RFC 8446 5.1),
 *            goes to TLS_RECEIVE; the event that comes back says what to
 *            do: send a new ClientHello, install handshake keys, send
 *            the client's flight and switch to application keys, or
 *            install the server's next keys after a KeyUpdate
 *   send     application data out, under the application keys
 *
 * TLS 1.2 (RFC 5246 7.3), when the companion says the ServerHello chose
 * it: the server's plaintext flight goes to the companion message by
 * message; at ServerHelloDone the companion writes the client's flight
 * and gives the write keys; the engine sends the flight, its
 * ChangeCipherSpec and, under the new keys, its Finished; the server's
 * ChangeCipherSpec switches the read keys; the server's Finished, once
 * the companion has checked it, connects.
 *
 * Every failure is sticky: the first error is kept with its message,
 * the alert it calls for is queued for the server (RFC 8446 6.2), the
 * companion's session is closed and every key in the engine is wiped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tls.h"

/* The engine lives inside the caller's struct warden_tls. */
typedef char
    tls_engine_fits[sizeof(struct tls_engine) <= WARDEN_TLS_CTX_SIZE ? 1 : -1];
/*
 * warden.h cannot include record.h: the record size must agree. (The
 * suite macros have the same names in both, so a difference would not
 * compile.)
 */
typedef char tls_suites_agree[WARDEN_TLS_RECORD_MAX == WARDEN_REC_PLAINTEXT_MAX
                                  ? 1
                                  : -1];

/* What each state allows: built from TLS_STATE_LIST, so it covers all. */
struct state_rule {
    const char *name;
    unsigned events; /* companion events expected in answer to a message */
    int reads;       /* server records are read */
};

static const struct state_rule rules[] = {
#define TLS_X(name, text, events, reads) {text, events, reads},
    TLS_STATE_LIST(TLS_X)
#undef TLS_X
};

/* RFC 8446 6 and 6.2: every alert a peer may send, by name. */
#define ALERT_LIST(X)                                                          \
    X(0, "close_notify")                                                       \
    X(10, "unexpected_message")                                                \
    X(20, "bad_record_mac")                                                    \
    X(22, "record_overflow")                                                   \
    X(40, "handshake_failure")                                                 \
    X(42, "bad_certificate")                                                   \
    X(43, "unsupported_certificate")                                           \
    X(44, "certificate_revoked")                                               \
    X(45, "certificate_expired")                                               \
    X(46, "certificate_unknown")                                               \
    X(47, "illegal_parameter")                                                 \
    X(48, "unknown_ca")                                                        \
    X(49, "access_denied")                                                     \
    X(50, "decode_error")                                                      \
    X(51, "decrypt_error")                                                     \
    X(70, "protocol_version")                                                  \
    X(71, "insufficient_security")                                             \
    X(80, "internal_error")                                                    \
    X(86, "inappropriate_fallback")                                            \
    X(90, "user_canceled")                                                     \
    X(100, "no_renegotiation")                                                 \
    X(109, "missing_extension")                                                \
    X(110, "unsupported_extension")                                            \
    X(112, "unrecognized_name")                                                \
    X(113, "bad_certificate_status_response")                                  \
    X(115, "unknown_psk_identity")                                             \
    X(116, "certificate_required")                                             \
    X(120, "no_application_protocol")

/*
 * The companion's certificate verdicts (docs/protocol.md, TLS_STATUS;
 * the companion's WC_VERIFY_LIST), worded for a user.
 */
#define VERDICT_LIST(X)                                                        \
    X(1, "malformed certificate")                                              \
    X(2, "no path to a trusted root")                                          \
    X(3, "expired")                                                            \
    X(4, "not yet valid")                                                      \
    X(5, "bad signature")                                                      \
    X(6, "signature algorithm not allowed")                                    \
    X(7, "key type or size not allowed")                                       \
    X(8, "issued by a certificate that is not a CA")                           \
    X(9, "path length constraint exceeded")                                    \
    X(10, "key usage does not allow TLS server use")                           \
    X(11, "extended key usage does not allow server authentication")           \
    X(12, "host name mismatch")                                                \
    X(13, "name constraints violated")                                         \
    X(14, "unsupported critical extension")                                    \
    X(15, "server name is not a valid DNS name or IP address")                 \
    X(16, "chain too complex to build a path")                                 \
    X(17, "it is a CA certificate, not a server's")

/* Handshake refusals (docs/protocol.md, WD_TLS_REASON_*), worded too. */
#define REFUSAL_LIST(X)                                                        \
    X(WD_TLS_REASON_OLD_VERSION, "the server speaks only TLS 1.1 or older")    \
    X(WD_TLS_REASON_NO_EMS,                                                    \
      "the server does not use the extended master secret (RFC 7627)")         \
    X(WD_TLS_REASON_NO_RENEG_INFO,                                             \
      "the server does not support secure renegotiation (RFC 5746)")           \
    X(WD_TLS_REASON_DOWNGRADE,                                                 \
      "the server speaks TLS 1.3 but was offered only TLS 1.2: something "     \
      "in between removed TLS 1.3 (downgrade)")                                \
    X(WD_TLS_REASON_RENEGOTIATION,                                             \
      "the server asked to renegotiate, which the companion refuses")

#define VERDICT_NAME_MISMATCH 12
#define VERDICT_BAD_PEER_NAME 15

/* RFC 8446 4: handshake message header, u8 type and u24 length. */
#define HS_HEADER_LEN 4
#define HS_CLIENT_HELLO 1
#define HS_KEY_UPDATE 24

/* A ChangeCipherSpec record (RFC 8446 D.4). */
#define CCS_LEN (WARDEN_REC_HEADER_LEN + 1)

static int vfail(struct tls_engine *e, int err, unsigned detail, int alert,
                 const char *fmt, va_list ap) WARDEN_PRINTF(5, 0);
static int fail(struct tls_engine *e, int err, unsigned detail, int alert,
                const char *fmt, ...) WARDEN_PRINTF(5, 6);

struct tls_engine *
warden_tls_engine(struct warden_tls *tls)
{
    return (struct tls_engine *)(void *)tls->priv.bytes;
}

static const struct tls_engine *
cengine(const struct warden_tls *tls)
{
    return (const struct tls_engine *)(const void *)tls->priv.bytes;
}

const char *
warden_tls_alert_text(unsigned alert)
{
    switch (alert) {
#define ALERT_X(code, name)                                                    \
    case code:                                                                 \
        return name;
        ALERT_LIST(ALERT_X)
#undef ALERT_X
    }
    return NULL;
}

const char *
warden_tls_suite_name(unsigned suite)
{
    switch (suite) {
    case WARDEN_TLS_AES_128_GCM_SHA256:
        return "TLS_AES_128_GCM_SHA256";
    case WARDEN_TLS_AES_256_GCM_SHA384:
        return "TLS_AES_256_GCM_SHA384";
    case WARDEN_TLS_AES_128_CCM_SHA256:
        return "TLS_AES_128_CCM_SHA256";
    case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
        return "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
    case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
        return "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM:
        return "TLS_ECDHE_ECDSA_WITH_AES_128_CCM";
    case WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM:
        return "TLS_ECDHE_ECDSA_WITH_AES_256_CCM";
    }
    return NULL;
}

const char *
warden_tls_group_name(unsigned group)
{
    switch (group) {
    case WARDEN_TLS_GROUP_SECP256R1:
        return "secp256r1";
    case WARDEN_TLS_GROUP_SECP384R1:
        return "secp384r1";
    case WARDEN_TLS_GROUP_X25519:
        return "x25519";
    }
    return NULL;
}

/* The words for a refusal reason, or NULL for a certificate verdict. */
static const char *
refusal_text(unsigned reason)
{
    switch (reason) {
#define REFUSAL_X(code, text)                                                  \
    case code:                                                                 \
        return text;
        REFUSAL_LIST(REFUSAL_X)
#undef REFUSAL_X
    }
    return NULL;
}

static const char *
verdict_text(unsigned verdict)
{
    switch (verdict) {
#define VERDICT_X(code, text)                                                  \
    case code:                                                                 \
        return text;
        VERDICT_LIST(VERDICT_X)
#undef VERDICT_X
    }
    return "rejected";
}

/* An alert's name for messages, never NULL. */
static const char *
alert_label(unsigned alert)
{
    const char *name = warden_tls_alert_text(alert);

    return name != NULL ? name : "unknown";
}

/* What a companion refusal with this alert usually means. */
static const char *
refusal_hint(unsigned alert)
{
    switch (alert) {
    case 40:
        return "no cipher suite, group or signature scheme in common";
    case 47:
        return "the server chose something that was not offered";
    case 50:
        return "malformed handshake message from the server";
    case 10:
        return "handshake message out of order";
    case 51:
        return "the server's signature or Finished does not verify";
    case 70:
        return "the server speaks neither TLS 1.3 nor TLS 1.2";
    case 100:
        return "the server asked to renegotiate, which the companion refuses";
    case 71:
        return "the server offers only cryptography the companion refuses";
    case 109:
        return "the server left out a required extension";
    case 110:
        return "the server sent an extension that was not offered";
    case 120:
        return "no ALPN protocol in common";
    case 42:
    case 43:
    case 45:
    case 46:
    case 48:
        return "the server's certificate cannot be used";
    case 80:
        return "the companion could not go on";
    }
    return "handshake refused";
}

/* ---- output ---------------------------------------------------------- */

/* Moves unsent output to the front of the buffer. */
static void
compact(struct tls_engine *e)
{
    if (e->out_off == e->out_len) {
        e->out_off = 0;
        e->out_len = 0;
    } else if (e->out_off > 0) {
        memmove(e->out, e->out + e->out_off, e->out_len - e->out_off);
        e->out_len -= e->out_off;
        e->out_off = 0;
    }
}

/*
 * Free output space; with reserve set, the room kept for alerts is
 * left out.
 */
static size_t
out_room(struct tls_engine *e, int reserve)
{
    size_t cap = TLS_OUT_MAX - (reserve ? TLS_OUT_RESERVE : 0);

    compact(e);
    return e->out_len < cap ? cap - e->out_len : 0;
}

/*
 * The most plaintext, up to want, that fits in room bytes of protected
 * records of at most mf bytes each, with the record layer's overhead per
 * record (no padding is set).
 */
static size_t
fit(const struct tls_engine *e, size_t room, size_t mf, size_t want)
{
    size_t over = warden_rec_overhead(&e->rec);
    size_t whole = room / (mf + over);
    size_t rest = room - whole * (mf + over);
    size_t n = whole * mf;

    if (rest > over) {
        n += rest - over;
    }
    return n < want ? n : want;
}

/*
 * Queues the ChangeCipherSpec of middlebox compatibility mode before the
 * first protected record (RFC 8446 D.4): unprotected, the single byte
 * 0x01. Written here rather than by the record layer so that it can
 * still go before the alert of a record layer that has failed.
 */
static int
queue_ccs(struct tls_engine *e)
{
    static const uint8_t ccs[CCS_LEN] = {
        WARDEN_CT_CHANGE_CIPHER_SPEC, 0x03, 0x03, 0x00, 0x01, 0x01};

    if (e->ccs_sent) {
        return WARDEN_REC_OK;
    }
    if (out_room(e, 0) < CCS_LEN) {
        return WARDEN_REC_SPACE;
    }
    memcpy(e->out + e->out_len, ccs, CCS_LEN);
    e->out_len += CCS_LEN;
    e->ccs_sent = 1;
    return WARDEN_REC_OK;
}

/*
 * Write keys are protected, with the middlebox ChangeCipherSpec before
 * the first such record: in TLS 1.3 from the server's ServerHello on.
 * TLS 1.2 sends its ChangeCipherSpec with the flight (pump_flight).
 */
static int
writes_protected(const struct tls_engine *e)
{
    if (e->version == WARDEN_TLS_1_2) {
        return 0;
    }
    return e->state == TLS_WAIT_SERVER_FLIGHT || e->state == TLS_SEND_FLIGHT ||
           e->state == TLS_CONNECTED;
}

/*
 * Queues an alert record under the current write keys, in the room kept
 * for it. Nothing is written after close_notify (RFC 8446 6.1).
 */
static void
queue_alert(struct tls_engine *e, unsigned desc)
{
    size_t n;

    /* Nothing before the ClientHello; nothing after close_notify. */
    if (e->state == TLS_NONE || e->sent_close) {
        return;
    }
    if (writes_protected(e) && queue_ccs(e) != WARDEN_REC_OK) {
        return;
    }
    out_room(e, 0);
    if (warden_rec_write_alert(&e->rec, desc, e->out + e->out_len,
                               TLS_OUT_MAX - e->out_len, &n) == WARDEN_REC_OK) {
        e->out_len += n;
    }
    if (desc == WARDEN_ALERT_CLOSE_NOTIFY) {
        e->sent_close = 1;
    }
}

/* ---- failing --------------------------------------------------------- */

static void
close_session(struct tls_engine *e)
{
    uint8_t req[1];
    size_t n;

    if (!e->session_open) {
        return;
    }
    e->session_open = 0;
    req[0] = e->session;
    /* A companion that cannot answer frees the slot when it restarts. */
    if (warden_dev_begin(e->dev) == WARDEN_ERR_OK) {
        warden_dev_end(e->dev,
                       warden_dev_call(e->dev, WD_CMD_TLS_CLOSE, req,
                                       sizeof(req), e->resp, sizeof(e->resp),
                                       &n, WARDEN_ERR_PROTOCOL));
    }
}

/* Wipes every secret the engine may hold, and the record layer. */
static void
drop_secrets(struct tls_engine *e)
{
    warden_rec_wipe(&e->rec);
    warden_wipe(e->app_key, sizeof(e->app_key));
    warden_wipe(e->app_iv, sizeof(e->app_iv));
    warden_wipe(e->peer_key, sizeof(e->peer_key));
    warden_wipe(e->peer_salt, sizeof(e->peer_salt));
    warden_wipe(e->resp, sizeof(e->resp));
    warden_wipe(e->stage, sizeof(e->stage));
    e->plain = NULL;
    e->plain_len = 0;
    e->stage_len = 0;
    e->hs_seen = 0;
    e->hs_total = 0;
}

/*
 * Fails the connection for good with err, unless it failed already:
 * keeps the message, queues alert (unless -1), closes the companion's
 * session and wipes every key. Returns the first error.
 */
static int
vfail(struct tls_engine *e, int err, unsigned detail, int alert,
      const char *fmt, va_list ap)
{
    if (e->state == TLS_FAILED) {
        return e->err;
    }
    e->err = err;
    e->detail = detail;
    vsnprintf(e->errmsg, sizeof(e->errmsg), fmt, ap);
    if (alert >= 0) {
        queue_alert(e, (unsigned)alert);
    }
    e->state = TLS_FAILED;
    close_session(e);
    drop_secrets(e);
    return err;
}

static int
fail(struct tls_engine *e, int err, unsigned detail, int alert, const char *fmt,
     ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(e, err, detail, alert, fmt, ap);
    va_end(ap);
    return rc;
}

int
warden_tls_fail(struct tls_engine *e, int err, unsigned detail, const char *fmt,
                ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(e, err, detail, -1, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * A fatal error of the record layer: it has sealed the alert the error
 * calls for (RFC 8446 6.2), which goes out first.
 */
static int
fail_record(struct tls_engine *e, int rc, const char *what)
{
    int desc = warden_rec_alert_for(rc);
    size_t n = 0;

    if (writes_protected(e) && !e->sent_close) {
        queue_ccs(e);
    }
    out_room(e, 0);
    warden_rec_pending_alert(&e->rec, e->out + e->out_len,
                             TLS_OUT_MAX - e->out_len, &n);
    e->out_len += n;
    if (desc >= 0 && n > 0) {
        return fail(e, WARDEN_ERR_TLS_PROTOCOL, (unsigned)desc, -1,
                    "%s: %s (%s alert sent)", what, warden_rec_strerror(rc),
                    alert_label((unsigned)desc));
    }
    return fail(e, WARDEN_ERR_TLS_PROTOCOL, 0, -1, "%s: %s", what,
                warden_rec_strerror(rc));
}

/* The companion answered out of its protocol: internal_error. */
static int
fail_companion_protocol(struct tls_engine *e, const char *command,
                        const char *what)
{
    return fail(e, WARDEN_ERR_PROTOCOL, 0, WARDEN_ALERT_INTERNAL_ERROR,
                "companion: %s: %s", command, what);
}

/* ---- the companion --------------------------------------------------- */

/* One command; its response goes to e->resp. */
static int
call(struct tls_engine *e, uint8_t command, const uint8_t *req, size_t len,
     size_t *resp_len)
{
    int rc;

    *resp_len = 0;
    rc = warden_dev_begin(e->dev);
    if (rc == WARDEN_ERR_OK) {
        rc = warden_dev_call(e->dev, command, req, len, e->resp,
                             sizeof(e->resp), resp_len, WARDEN_ERR_PROTOCOL);
    }
    return warden_dev_end(e->dev, rc);
}

/* The companion refused, or the bus failed: the connection is over. */
static int
fail_call(struct tls_engine *e, int rc)
{
    unsigned status = 0;

    warden_last_error(e->dev, &status);
    if (rc == WARDEN_ERR_COMPANION) {
        switch (status) {
        case WD_STATUS_FULL:
            return fail(e, rc, status, WARDEN_ALERT_INTERNAL_ERROR,
                        "companion: no free TLS session (all %d in use)",
                        WD_TLS_SESSIONS);
        case WD_STATUS_POLICY:
            return fail(e, rc, status, WARDEN_ALERT_INTERNAL_ERROR,
                        "companion: a cipher suite or group asked for is "
                        "outside its policy");
        case WD_STATUS_RNG_FAILURE:
            return fail(e, rc, status, WARDEN_ALERT_INTERNAL_ERROR,
                        "companion: its random generator failed its health "
                        "test");
        }
    }
    return fail(e, rc, status, WARDEN_ALERT_INTERNAL_ERROR, "companion: %s",
                warden_error(e->dev));
}

/*
 * TLS_FAILED: the companion refused the server's handshake. TLS_STATUS
 * says which alert to send and why.
 */
static int
fail_refused(struct tls_engine *e)
{
    uint8_t req[1];
    size_t n;
    unsigned alert, reason;
    int desc;
    int rc;

    req[0] = e->session;
    rc = call(e, WD_CMD_TLS_STATUS, req, sizeof(req), &n);
    if (rc != WARDEN_ERR_OK) {
        return fail_call(e, rc);
    }
    if (n < WD_TLSS_FIXED_LEN ||
        n != WD_TLSS_FIXED_LEN + (size_t)e->resp[WD_TLSS_ALPN_LEN]) {
        return fail_companion_protocol(e, "TLS_STATUS",
                                       "response of the wrong length");
    }
    alert = e->resp[WD_TLSS_ALERT];
    reason = e->resp[WD_TLSS_REASON];
    /* 0 is close_notify, never a failure's alert: it means none. */
    desc = alert != 0 ? (int)alert : -1;

    if (reason == VERDICT_NAME_MISMATCH) {
        return fail(e, WARDEN_ERR_TLS_CERT, reason, desc,
                    "server certificate: %s, wanted %s", verdict_text(reason),
                    e->name);
    }
    if (reason == VERDICT_BAD_PEER_NAME) {
        return fail(e, WARDEN_ERR_TLS_CERT, reason, desc,
                    "server certificate cannot be checked: '%s': %s", e->name,
                    verdict_text(reason));
    }
    if (refusal_text(reason) != NULL) {
        return fail(e, WARDEN_ERR_TLS_REFUSED, alert, desc,
                    "companion refused the server's handshake: %s (%s alert "
                    "sent)",
                    refusal_text(reason), alert_label(alert));
    }
    if (reason != 0) {
        return fail(e, WARDEN_ERR_TLS_CERT, reason, desc,
                    "server certificate: %s", verdict_text(reason));
    }
    if (desc < 0) {
        return fail(e, WARDEN_ERR_TLS_REFUSED, 0, -1,
                    "companion refused the server's handshake");
    }
    return fail(e, WARDEN_ERR_TLS_REFUSED, alert, desc,
                "companion refused the server's handshake: %s (%s alert "
                "sent)",
                refusal_hint(alert), alert_label(alert));
}

/* ---- handshake messages ---------------------------------------------- */

/* Suites the record layer can protect in version, with key lengths. */
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

static size_t
get24(const uint8_t *p)
{
    return ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
}

/* Checks that msg (len bytes) is one whole ClientHello. */
static int
is_client_hello(const uint8_t *msg, size_t len)
{
    return len > HS_HEADER_LEN && msg[0] == HS_CLIENT_HELLO &&
           get24(msg + 1) == len - HS_HEADER_LEN;
}

/* Queues a handshake message the companion wrote, as records. */
static int
queue_handshake(struct tls_engine *e, const uint8_t *msg, size_t len)
{
    size_t used, n;
    int rc;

    out_room(e, 1);
    rc = warden_rec_write(&e->rec, WARDEN_CT_HANDSHAKE, msg, len, &used,
                          e->out + e->out_len,
                          TLS_OUT_MAX - TLS_OUT_RESERVE - e->out_len, &n);
    if (rc == WARDEN_REC_OK && used != len) {
        rc = WARDEN_REC_SPACE;
    }
    if (rc != WARDEN_REC_OK) {
        return fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                    "no room to queue a handshake message: %s",
                    warden_rec_strerror(rc));
    }
    e->out_len += n;
    return WARDEN_ERR_OK;
}

/* Installs one direction's keys from the companion; 0 or a failure. */
static int
set_keys(struct tls_engine *e, int dir, unsigned epoch, const uint8_t *key,
         const uint8_t *iv)
{
    int rc =
        warden_rec_set_keys(&e->rec, dir, epoch, e->suite, key, e->key_len, iv);

    if (rc != WARDEN_REC_OK) {
        return fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                    "cannot install %s keys: %s",
                    dir == WARDEN_REC_DIR_READ ? "read" : "write",
                    warden_rec_strerror(rc));
    }
    return WARDEN_ERR_OK;
}

/*
 * HANDSHAKE_KEYS: u16 suite, u8 key_len, client key, iv, server key, iv.
 * The server's flight is read under them from the next record on.
 */
static int
on_handshake_keys(struct tls_engine *e, const uint8_t *p, size_t len)
{
    size_t kl;
    int rc;

    if (len < 3) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "short HANDSHAKE_KEYS event");
    }
    e->suite = wd_get16(p);
    kl = p[2];
    if (kl == 0 || kl != suite_key_len(e->version, e->suite) ||
        len != 3 + 2 * (kl + WARDEN_REC_IV_LEN)) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "HANDSHAKE_KEYS with a suite or key "
                                       "length the record layer cannot use");
    }
    e->key_len = kl;
    p += 3;
    rc = set_keys(e, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE, p,
                  p + kl);
    if (rc == WARDEN_ERR_OK) {
        p += kl + WARDEN_REC_IV_LEN;
        rc = set_keys(e, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, p,
                      p + kl);
    }
    if (rc == WARDEN_ERR_OK) {
        e->state = TLS_WAIT_SERVER_FLIGHT;
    }
    return rc;
}

/*
 * CONNECTED: u8 key_len, client application key, iv, server application
 * key, iv, u16 flight length. The server is authenticated. Reading
 * switches now, right after its Finished; writing after the client's
 * flight, which still goes under the handshake keys.
 */
static int
on_connected(struct tls_engine *e, const uint8_t *p, size_t len)
{
    size_t kl;
    int rc;

    if (len < 1 || p[0] != e->key_len ||
        len != 1 + 2 * (e->key_len + WARDEN_REC_IV_LEN) + 2) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "CONNECTED event of the wrong length");
    }
    kl = p[0];
    p++;
    memcpy(e->app_key, p, kl);
    memcpy(e->app_iv, p + kl, WARDEN_REC_IV_LEN);
    p += kl + WARDEN_REC_IV_LEN;
    rc = set_keys(e, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, p,
                  p + kl);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    p += kl + WARDEN_REC_IV_LEN;
    e->flight_len = wd_get16(p);
    e->flight_off = 0;
    if (e->flight_len == 0) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "CONNECTED with an empty flight");
    }
    e->state = TLS_SEND_FLIGHT;
    return WARDEN_ERR_OK;
}

/*
 * KEY_UPDATE: u8 key_len, the server's next key, iv, u8 must_reply
 * (RFC 8446 4.6.3). Our own KeyUpdate goes before any more application
 * data.
 */
static int
on_key_update(struct tls_engine *e, const uint8_t *p, size_t len)
{
    int rc;

    if (len != 1 + e->key_len + WARDEN_REC_IV_LEN + 1 || p[0] != e->key_len ||
        p[len - 1] > 1) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "malformed KEY_UPDATE event");
    }
    rc = set_keys(e, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, p + 1,
                  p + 1 + e->key_len);
    if (rc == WARDEN_ERR_OK && p[len - 1] == 1) {
        e->key_update_due = 1;
    }
    return rc;
}

/*
 * TLS12: u16 suite. The server chose TLS 1.2 (RFC 5246 7.4.1.3); records
 * follow its rules from now on.
 */
static int
on_tls12(struct tls_engine *e, const uint8_t *p, size_t len)
{
    if (len != 2 || suite_key_len(WARDEN_TLS_1_2, wd_get16(p)) == 0) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "TLS12 event with a suite the record "
                                       "layer cannot use");
    }
    if (warden_rec_set_version(&e->rec, WARDEN_TLS_1_2) != WARDEN_REC_OK) {
        return fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                    "cannot switch the record layer to TLS 1.2");
    }
    e->version = WARDEN_TLS_1_2;
    e->suite = wd_get16(p);
    e->key_len = suite_key_len(WARDEN_TLS_1_2, e->suite);
    e->state = TLS_TLS12_WAIT_SERVER_FLIGHT;
    return WARDEN_ERR_OK;
}

/*
 * TLS12_KEYS: u8 key_len, client write key, salt, server write key,
 * salt, u16 flight length, u16 Finished length. The flight is sent as
 * it is; the keys wait for the ChangeCipherSpecs.
 */
static int
on_tls12_keys(struct tls_engine *e, const uint8_t *p, size_t len)
{
    size_t kl = e->key_len;

    if (len != 1 + 2 * (kl + WARDEN_REC_SALT_LEN) + 4 || p[0] != kl) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "TLS12_KEYS event of the wrong length");
    }
    p++;
    memcpy(e->app_key, p, kl);
    memcpy(e->app_iv, p + kl, WARDEN_REC_SALT_LEN);
    p += kl + WARDEN_REC_SALT_LEN;
    memcpy(e->peer_key, p, kl);
    memcpy(e->peer_salt, p + kl, WARDEN_REC_SALT_LEN);
    p += kl + WARDEN_REC_SALT_LEN;
    e->flight_len = wd_get16(p);
    e->finished_len = wd_get16(p + 2);
    e->flight_off = 0;
    if (e->finished_len != sizeof(e->finished_msg) ||
        e->flight_len <= e->finished_len) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "TLS12_KEYS with a flight that does "
                                       "not end in a Finished");
    }
    e->state = TLS_SEND_FLIGHT;
    return WARDEN_ERR_OK;
}

/*
 * Acts on the companion's answer to a whole server message. *boundary
 * is set when the message must end its record: the read keys changed
 * (RFC 8446 5.1), or a new ClientHello must reach the server first.
 */
static int
on_event(struct tls_engine *e, size_t n, int *boundary)
{
    const uint8_t *p = e->resp + 1;
    size_t len = n - 1;
    unsigned ev;

    *boundary = 0;
    if (n == 0) {
        return fail_companion_protocol(e, "TLS_RECEIVE", "empty response");
    }
    ev = e->resp[0];
    if (ev >= 8 * sizeof(unsigned) || !(rules[e->state].events & (1u << ev))) {
        return fail(e, WARDEN_ERR_PROTOCOL, 0, WARDEN_ALERT_INTERNAL_ERROR,
                    "companion: TLS_RECEIVE: event %u while %s", ev,
                    rules[e->state].name);
    }

    switch (ev) {
    case WD_TLS_EV_CONTINUE:
        if (len != 0) {
            return fail_companion_protocol(e, "TLS_RECEIVE",
                                           "CONTINUE event with data");
        }
        return WARDEN_ERR_OK;
    case WD_TLS_EV_CLIENT_HELLO:
        /* RFC 8446 4.1.4: the second ClientHello, after a retry request. */
        *boundary = 1;
        if (!is_client_hello(p, len)) {
            return fail_companion_protocol(e, "TLS_RECEIVE",
                                           "CLIENT_HELLO event without a "
                                           "ClientHello");
        }
        return queue_handshake(e, p, len);
    case WD_TLS_EV_HANDSHAKE_KEYS:
        *boundary = 1;
        return on_handshake_keys(e, p, len);
    case WD_TLS_EV_CONNECTED:
        *boundary = 1;
        return on_connected(e, p, len);
    case WD_TLS_EV_KEY_UPDATE:
        *boundary = 1;
        return on_key_update(e, p, len);
    case WD_TLS_EV_TLS12:
        return on_tls12(e, p, len);
    case WD_TLS_EV_TLS12_KEYS:
        /* RFC 5246 7.4.5: nothing follows ServerHelloDone. */
        *boundary = 1;
        return on_tls12_keys(e, p, len);
    case WD_TLS_EV_TLS12_DONE:
        /* The server's Finished checked out: connected. */
        if (len != 0) {
            return fail_companion_protocol(e, "TLS_RECEIVE",
                                           "TLS12_DONE event with data");
        }
        e->state = TLS_CONNECTED;
        return WARDEN_ERR_OK;
    }
    return fail_companion_protocol(e, "TLS_RECEIVE", "unknown event");
}

/*
 * Sends the staged bytes of the message being forwarded: a piece with
 * WD_TLS_MORE, or its end. *n gets the response's length.
 */
static int
send_stage(struct tls_engine *e, int more, size_t *n)
{
    unsigned status = 0;
    int rc;

    e->stage[0] = e->session;
    e->stage[1] = more ? WD_TLS_MORE : 0;
    rc =
        call(e, WD_CMD_TLS_RECEIVE, e->stage, TLS_STAGE_HEAD + e->stage_len, n);
    warden_wipe(e->stage, sizeof(e->stage));
    e->stage_len = 0;
    if (rc == WARDEN_ERR_COMPANION) {
        warden_last_error(e->dev, &status);
        if (status == WD_STATUS_TLS_FAILED) {
            return fail_refused(e);
        }
    }
    if (rc != WARDEN_ERR_OK) {
        return fail_call(e, rc);
    }
    if (more && (*n != 1 || e->resp[0] != WD_TLS_EV_CONTINUE)) {
        return fail_companion_protocol(e, "TLS_RECEIVE",
                                       "answered part of a message with an "
                                       "event");
    }
    return WARDEN_ERR_OK;
}

/*
 * Takes one handshake record's content: cuts it into messages, forwards
 * each to the companion as it completes (RFC 8446 5.1: messages may be
 * coalesced into one record or fragmented across several).
 */
static int
on_handshake(struct tls_engine *e, const uint8_t *data, size_t len)
{
    size_t room = TLS_STAGE_MAX - TLS_STAGE_HEAD;
    size_t p = 0;
    size_t take, n;
    int boundary;
    int rc;

    while (p < len) {
        if (e->hs_seen < HS_HEADER_LEN) {
            take = HS_HEADER_LEN - e->hs_seen;
        } else {
            take = e->hs_total - e->hs_seen;
        }
        if (take > len - p) {
            take = len - p;
        }
        if (take > room - e->stage_len) {
            take = room - e->stage_len;
        }
        memcpy(e->stage + TLS_STAGE_HEAD + e->stage_len, data + p, take);
        e->stage_len += take;
        e->hs_seen += take;
        p += take;

        if (e->hs_seen < HS_HEADER_LEN) {
            continue;
        }
        if (e->hs_total == 0) {
            /* The header is in: the first bytes of the first piece. */
            e->hs_total = HS_HEADER_LEN + get24(e->stage + TLS_STAGE_HEAD + 1);
            if (e->hs_total > WD_TLS_MESSAGE_MAX) {
                return fail(e, WARDEN_ERR_TLS_PROTOCOL,
                            WARDEN_ALERT_DECODE_ERROR,
                            WARDEN_ALERT_DECODE_ERROR,
                            "server sent a handshake message of %zu bytes, "
                            "over the %d-byte limit (decode_error alert "
                            "sent)",
                            e->hs_total, WD_TLS_MESSAGE_MAX);
            }
        }
        if (e->hs_seen < e->hs_total) {
            if (e->stage_len == room) {
                rc = send_stage(e, 1, &n);
                if (rc != WARDEN_ERR_OK) {
                    return rc;
                }
            }
            continue;
        }

        /* A whole message: its last piece, and the companion's verdict. */
        e->hs_seen = 0;
        e->hs_total = 0;
        rc = send_stage(e, 0, &n);
        if (rc == WARDEN_ERR_OK) {
            rc = on_event(e, n, &boundary);
        }
        warden_wipe(e->resp, sizeof(e->resp));
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        if (boundary && p < len) {
            /* RFC 8446 5.1: no message may span a key change. */
            return fail(e, WARDEN_ERR_TLS_PROTOCOL,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        "server sent more handshake data in the record "
                        "that ended its keys (unexpected_message alert "
                        "sent)");
        }
    }
    return WARDEN_ERR_OK;
}

/* ---- the client's flight and key updates ----------------------------- */

/*
 * Fetches the piece of the client's last flight at e->flight_off into
 * e->resp: want bytes (up to TLS_FLIGHT_PIECE, or the rest).
 */
static int
fetch_flight(struct tls_engine *e, size_t want)
{
    uint8_t req[3];
    size_t got;
    int rc;

    req[0] = e->session;
    wd_put16(req + 1, (uint16_t)e->flight_off);
    rc = call(e, WD_CMD_TLS_FLIGHT, req, sizeof(req), &got);
    if (rc != WARDEN_ERR_OK) {
        return fail_call(e, rc);
    }
    if (got != want) {
        warden_wipe(e->resp, sizeof(e->resp));
        return fail_companion_protocol(e, "TLS_FLIGHT",
                                       "piece of the wrong length");
    }
    return WARDEN_ERR_OK;
}

/* Writes n bytes of the flight from p as handshake records. */
static int
write_flight(struct tls_engine *e, const uint8_t *p, size_t n)
{
    size_t used, w;
    int rc;

    rc = warden_rec_write(&e->rec, WARDEN_CT_HANDSHAKE, p, n, &used,
                          e->out + e->out_len,
                          TLS_OUT_MAX - TLS_OUT_RESERVE - e->out_len, &w);
    if (rc != WARDEN_REC_OK || used != n) {
        return fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                    "cannot write the client's flight: %s",
                    warden_rec_strerror(rc));
    }
    e->out_len += w;
    return WARDEN_ERR_OK;
}

/*
 * TLS 1.2 (RFC 5246 7.1, 7.4.9): at the Finished, the ChangeCipherSpec,
 * the client write keys, then the Finished under them. The Finished came
 * with the flight's last piece, or is fetched now.
 */
static int
send_finished12(struct tls_engine *e)
{
    size_t need = CCS_LEN + WARDEN_REC12_OVERHEAD + e->finished_len;
    int rc;

    if (out_room(e, 1) < need) {
        return WARDEN_ERR_OK;
    }
    if (!e->have_finished) {
        rc = fetch_flight(e, e->finished_len);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        memcpy(e->finished_msg, e->resp, e->finished_len);
        warden_wipe(e->resp, sizeof(e->resp));
    }
    rc = queue_ccs(e);
    if (rc == WARDEN_REC_OK) {
        rc = set_keys(e, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                      e->app_key, e->app_iv);
    } else {
        rc = fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                  "no room for the ChangeCipherSpec");
    }
    warden_wipe(e->app_key, sizeof(e->app_key));
    warden_wipe(e->app_iv, sizeof(e->app_iv));
    if (rc == WARDEN_ERR_OK) {
        rc = write_flight(e, e->finished_msg, e->finished_len);
    }
    if (rc == WARDEN_ERR_OK) {
        e->flight_off = e->flight_len;
        /* The server's ChangeCipherSpec and Finished come next. */
        e->state = TLS_TLS12_WAIT_FINISHED;
    }
    return rc;
}

/*
 * Moves the client's last flight from the companion into records, as
 * output room allows: in TLS 1.3 under the client handshake keys,
 * ChangeCipherSpec first (RFC 8446 D.4), then writing switches to the
 * application keys; in TLS 1.2 in the clear up to its Finished, which
 * send_finished12() does.
 *
 * The companion lets the flight go once a piece has reached its end, so
 * that piece is used whole, or waits for room; in TLS 1.2 the Finished
 * in it is kept for send_finished12().
 */
static int
pump_flight(struct tls_engine *e)
{
    int tls12 = e->version == WARDEN_TLS_1_2;
    size_t end = tls12 ? e->flight_len - e->finished_len : e->flight_len;
    size_t want, take, n;
    int last, rc;

    while (e->flight_off < end) {
        if (!tls12 && queue_ccs(e) != WARDEN_REC_OK) {
            return WARDEN_ERR_OK;
        }
        want = e->flight_len - e->flight_off;
        if (want > TLS_FLIGHT_PIECE) {
            want = TLS_FLIGHT_PIECE;
        }
        last = e->flight_off + want == e->flight_len;
        take = want < end - e->flight_off ? want : end - e->flight_off;
        n = fit(e, out_room(e, 1), e->frag, take);
        if (n == 0 || (last && n < take)) {
            return WARDEN_ERR_OK;
        }
        rc = fetch_flight(e, want);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        if (tls12 && last) {
            memcpy(e->finished_msg, e->resp + (end - e->flight_off),
                   e->finished_len);
            e->have_finished = 1;
        }
        rc = write_flight(e, e->resp, n);
        warden_wipe(e->resp, sizeof(e->resp));
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        e->flight_off += n;
    }

    if (tls12) {
        return send_finished12(e);
    }
    rc = set_keys(e, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                  e->app_key, e->app_iv);
    warden_wipe(e->app_key, sizeof(e->app_key));
    warden_wipe(e->app_iv, sizeof(e->app_iv));
    if (rc == WARDEN_ERR_OK) {
        e->state = TLS_CONNECTED;
    }
    return rc;
}

/*
 * Our KeyUpdate (RFC 8446 4.6.3): the companion gives the next client
 * application key and the message, which goes under the old keys.
 */
static int
send_key_update(struct tls_engine *e)
{
    uint8_t req[2];
    const uint8_t *msg;
    size_t n, used, w;
    int rc;

    if (out_room(e, 1) < HS_HEADER_LEN + 1 + WARDEN_REC_OVERHEAD) {
        return WARDEN_ERR_OK;
    }
    req[0] = e->session;
    req[1] = WD_TLS_CLIENT_WRITE;
    rc = call(e, WD_CMD_TLS_KEY_UPDATE, req, sizeof(req), &n);
    if (rc != WARDEN_ERR_OK) {
        return fail_call(e, rc);
    }
    msg = e->resp + 1 + e->key_len + WARDEN_REC_IV_LEN;
    if (n != 1 + e->key_len + WARDEN_REC_IV_LEN + HS_HEADER_LEN + 1 ||
        e->resp[0] != e->key_len || msg[0] != HS_KEY_UPDATE ||
        get24(msg + 1) != 1 || msg[4] != 0) {
        warden_wipe(e->resp, sizeof(e->resp));
        return fail_companion_protocol(e, "TLS_KEY_UPDATE",
                                       "malformed response");
    }
    rc = warden_rec_write(&e->rec, WARDEN_CT_HANDSHAKE, msg, HS_HEADER_LEN + 1,
                          &used, e->out + e->out_len,
                          TLS_OUT_MAX - TLS_OUT_RESERVE - e->out_len, &w);
    if (rc == WARDEN_REC_OK) {
        e->out_len += w;
        e->key_update_due = 0;
        rc = set_keys(e, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                      e->resp + 1, e->resp + 1 + e->key_len);
    } else {
        rc = fail(e, WARDEN_ERR_TLS_STATE, 0, WARDEN_ALERT_INTERNAL_ERROR,
                  "cannot write a KeyUpdate: %s", warden_rec_strerror(rc));
    }
    warden_wipe(e->resp, sizeof(e->resp));
    return rc;
}

/* Produces what is due and fits: the flight, then a KeyUpdate. */
static int
pump(struct tls_engine *e)
{
    int rc = WARDEN_ERR_OK;

    if (e->state == TLS_SEND_FLIGHT) {
        rc = pump_flight(e);
    }
    if (rc != WARDEN_ERR_OK || e->state != TLS_CONNECTED || e->sent_close) {
        return rc;
    }
    /* RFC 8446 5.5: new keys well before the AEAD limits. */
    if (warden_rec_seq(&e->rec, WARDEN_REC_DIR_WRITE) >= TLS_KEY_UPDATE_AFTER) {
        if (e->version == WARDEN_TLS_1_2) {
            /* No KeyUpdate in TLS 1.2: the connection ends instead. */
            queue_alert(e, WARDEN_ALERT_CLOSE_NOTIFY);
            return fail(e, WARDEN_ERR_TLS_STATE, 0, -1,
                        "TLS 1.2 connection closed at the AEAD limit of "
                        "%llu records: reconnect",
                        (unsigned long long)TLS_KEY_UPDATE_AFTER);
        }
        e->key_update_due = 1;
    }
    if (e->key_update_due) {
        rc = send_key_update(e);
    }
    return rc;
}

/* ---- reading --------------------------------------------------------- */

static int
handshaking(const struct tls_engine *e)
{
    return e->state == TLS_WAIT_SERVER_HELLO ||
           e->state == TLS_WAIT_SERVER_FLIGHT ||
           e->state == TLS_TLS12_WAIT_SERVER_FLIGHT ||
           e->state == TLS_TLS12_WAIT_FINISHED;
}

/*
 * TLS 1.2 (RFC 5246 7.1): the server's ChangeCipherSpec, once, after
 * our flight and between its handshake messages: its keys from now on.
 */
static int
on_change_cipher_spec(struct tls_engine *e)
{
    int rc;

    if (e->state != TLS_TLS12_WAIT_FINISHED || e->hs_seen > 0) {
        return fail(e, WARDEN_ERR_TLS_PROTOCOL,
                    WARDEN_ALERT_UNEXPECTED_MESSAGE,
                    WARDEN_ALERT_UNEXPECTED_MESSAGE,
                    "server sent a ChangeCipherSpec while %s "
                    "(unexpected_message alert sent)",
                    rules[e->state].name);
    }
    rc = set_keys(e, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION,
                  e->peer_key, e->peer_salt);
    warden_wipe(e->peer_key, sizeof(e->peer_key));
    warden_wipe(e->peer_salt, sizeof(e->peer_salt));
    return rc;
}

/* One record from the layer. */
static int
on_record(struct tls_engine *e, const struct warden_rec_msg *msg)
{
    switch (msg->type) {
    case WARDEN_CT_HANDSHAKE:
        return on_handshake(e, msg->data, msg->len);
    case WARDEN_CT_CHANGE_CIPHER_SPEC:
        return on_change_cipher_spec(e);
    case WARDEN_CT_APPLICATION_DATA:
        /*
         * RFC 5246 7.4.9: in TLS 1.2 the server's Finished comes first
         * under its new keys; the record layer cannot tell, the engine
         * can. (In TLS 1.3 records are not read before CONNECTED.)
         */
        if (e->state != TLS_CONNECTED) {
            return fail(e, WARDEN_ERR_TLS_PROTOCOL,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        "server sent application data before its Finished "
                        "(unexpected_message alert sent)");
        }
        /* RFC 8446 5.1: nothing between the pieces of a message. */
        if (e->hs_seen > 0) {
            return fail(e, WARDEN_ERR_TLS_PROTOCOL,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        WARDEN_ALERT_UNEXPECTED_MESSAGE,
                        "server sent application data inside a handshake "
                        "message (unexpected_message alert sent)");
        }
        e->plain = msg->data;
        e->plain_len = msg->len;
        return WARDEN_ERR_OK;
    default:
        /* user_canceled (RFC 8446 6.1): a close_notify should follow. */
        if (handshaking(e)) {
            return fail(e, WARDEN_ERR_TLS_ALERT, msg->alert_desc, -1,
                        "server canceled the handshake (%s alert)",
                        alert_label(msg->alert_desc));
        }
        return WARDEN_ERR_OK;
    }
}

/* Whether the engine can act on another record now. */
static int
can_read(struct tls_engine *e)
{
    if (!rules[e->state].reads || e->plain_len > 0 || e->peer_closed) {
        return 0;
    }
    /* A second ClientHello needs room before its retry request is read. */
    if (e->state == TLS_WAIT_SERVER_HELLO) {
        return out_room(e, 1) >= TLS_RESP_MAX + WARDEN_REC_HEADER_LEN;
    }
    return 1;
}

/* The result of warden_rec_read() other than a record. */
static int
on_read_result(struct tls_engine *e, int rc, const struct warden_rec_msg *msg)
{
    if (rc == WARDEN_REC_CLOSED) {
        if (handshaking(e)) {
            return fail(e, WARDEN_ERR_TLS_ALERT, WARDEN_ALERT_CLOSE_NOTIFY, -1,
                        "server closed the connection during the handshake "
                        "(close_notify alert)");
        }
        /* RFC 8446 6.1: the end of its data; we may still write. */
        e->peer_closed = 1;
        return WARDEN_ERR_OK;
    }
    if (rc == WARDEN_REC_PEER_ALERT) {
        if (handshaking(e)) {
            return fail(e, WARDEN_ERR_TLS_ALERT, msg->alert_desc, -1,
                        "server refused: %s alert",
                        alert_label(msg->alert_desc));
        }
        return fail(e, WARDEN_ERR_TLS_ALERT, msg->alert_desc, -1,
                    "server ended the connection: %s alert",
                    alert_label(msg->alert_desc));
    }
    return fail_record(e, rc, "server sent a bad record");
}

/* ---- the calls --------------------------------------------------------- */

/* Checks that tls was started; returns the sticky error if it failed. */
static int
usable(struct tls_engine *e)
{
    if (e->magic != TLS_MAGIC || e->state == TLS_NONE ||
        e->state == TLS_CLOSED) {
        return WARDEN_ERR_TLS_STATE;
    }
    if (e->state == TLS_FAILED) {
        return e->err;
    }
    return WARDEN_ERR_OK;
}

int
warden_tls_feed(struct warden_tls *tls, const void *in, size_t len,
                size_t *used)
{
    struct tls_engine *e;
    struct warden_rec_msg msg;
    const uint8_t *bytes = in;
    size_t done = 0, n;
    int rc;

    if (used != NULL) {
        *used = 0;
    }
    if (tls == NULL || used == NULL || (in == NULL && len > 0)) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = usable(e);
    while (rc == WARDEN_ERR_OK) {
        rc = pump(e);
        if (rc != WARDEN_ERR_OK || done == len || !can_read(e)) {
            break;
        }
        rc = warden_rec_read(&e->rec, bytes + done, len - done, &n, &msg);
        done += n;
        if (rc == WARDEN_REC_WANT_READ) {
            rc = WARDEN_ERR_OK;
            break;
        }
        if (rc == WARDEN_REC_OK) {
            rc = on_record(e, &msg);
        } else {
            rc = on_read_result(e, rc, &msg);
        }
    }
    *used = done;
    return rc;
}

const uint8_t *
warden_tls_output(struct warden_tls *tls, size_t *len)
{
    struct tls_engine *e;

    if (len != NULL) {
        *len = 0;
    }
    if (tls == NULL || len == NULL) {
        return NULL;
    }
    e = warden_tls_engine(tls);
    if (e->magic != TLS_MAGIC || e->out_off == e->out_len) {
        return NULL;
    }
    *len = e->out_len - e->out_off;
    return e->out + e->out_off;
}

void
warden_tls_output_done(struct warden_tls *tls, size_t n)
{
    struct tls_engine *e;

    if (tls == NULL) {
        return;
    }
    e = warden_tls_engine(tls);
    if (e->magic != TLS_MAGIC) {
        return;
    }
    if (n > e->out_len - e->out_off) {
        n = e->out_len - e->out_off;
    }
    e->out_off += n;
    if (e->out_off == e->out_len) {
        e->out_off = 0;
        e->out_len = 0;
    }
}

int
warden_tls_take(struct warden_tls *tls, void *buf, size_t cap, size_t *got)
{
    struct tls_engine *e;
    size_t n;
    int rc;

    if (got != NULL) {
        *got = 0;
    }
    if (tls == NULL || got == NULL || (buf == NULL && cap > 0)) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = usable(e);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    n = e->plain_len < cap ? e->plain_len : cap;
    if (n > 0) {
        memcpy(buf, e->plain, n);
        e->plain += n;
        e->plain_len -= n;
    }
    *got = n;
    return WARDEN_ERR_OK;
}

int
warden_tls_send(struct warden_tls *tls, const void *data, size_t len,
                size_t *used)
{
    struct tls_engine *e;
    size_t n, w;
    int rc;

    if (used != NULL) {
        *used = 0;
    }
    if (tls == NULL || used == NULL || (data == NULL && len > 0)) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = usable(e);
    if (rc == WARDEN_ERR_OK) {
        rc = pump(e);
    }
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (e->state == TLS_SEND_FLIGHT) {
        return WARDEN_ERR_OK; /* the flight goes first: send the output */
    }
    if (e->state != TLS_CONNECTED || e->sent_close) {
        return WARDEN_ERR_TLS_STATE;
    }
    /* RFC 8446 4.6.3: a KeyUpdate asked for goes before more data. */
    if (e->key_update_due || len == 0) {
        return WARDEN_ERR_OK;
    }
    n = fit(e, out_room(e, 1), e->frag, len);
    if (n == 0) {
        return WARDEN_ERR_OK;
    }
    rc = warden_rec_write(&e->rec, WARDEN_CT_APPLICATION_DATA, data, n, used,
                          e->out + e->out_len,
                          TLS_OUT_MAX - TLS_OUT_RESERVE - e->out_len, &w);
    if (rc != WARDEN_REC_OK) {
        *used = 0;
        return fail_record(e, rc, "cannot write application data");
    }
    e->out_len += w;
    return WARDEN_ERR_OK;
}

int
warden_tls_queue_close(struct tls_engine *e)
{
    int rc = usable(e);

    if (rc != WARDEN_ERR_OK || e->sent_close) {
        return rc;
    }
    if (e->state == TLS_SEND_FLIGHT) {
        rc = pump(e);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
    }
    if (e->state != TLS_CONNECTED) {
        /* RFC 8446 6.1: user_canceled, then close_notify. */
        queue_alert(e, WARDEN_ALERT_USER_CANCELED);
        queue_alert(e, WARDEN_ALERT_CLOSE_NOTIFY);
        return fail(e, WARDEN_ERR_TLS_STATE, 0, -1,
                    "connection shut down during the handshake");
    }
    queue_alert(e, WARDEN_ALERT_CLOSE_NOTIFY);
    return WARDEN_ERR_OK;
}

int
warden_tls_connected(const struct warden_tls *tls)
{
    const struct tls_engine *e;

    if (tls == NULL) {
        return 0;
    }
    e = cengine(tls);
    return e->magic == TLS_MAGIC && e->state == TLS_CONNECTED;
}

int
warden_tls_eof(const struct warden_tls *tls)
{
    const struct tls_engine *e;

    if (tls == NULL) {
        return 0;
    }
    e = cengine(tls);
    return e->magic == TLS_MAGIC && e->peer_closed && e->plain_len == 0;
}

const char *
warden_tls_error(const struct warden_tls *tls)
{
    const struct tls_engine *e;

    if (tls == NULL) {
        return warden_strerror(WARDEN_ERR_ARGUMENT);
    }
    e = cengine(tls);
    if (e->magic != TLS_MAGIC || e->state != TLS_FAILED) {
        return "";
    }
    return e->errmsg;
}

int
warden_tls_last_error(const struct warden_tls *tls, unsigned *detail)
{
    const struct tls_engine *e;

    if (detail != NULL) {
        *detail = 0;
    }
    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = cengine(tls);
    if (e->magic != TLS_MAGIC || e->state != TLS_FAILED) {
        return WARDEN_ERR_OK;
    }
    if (detail != NULL) {
        *detail = e->detail;
    }
    return e->err;
}

/* ---- starting ---------------------------------------------------------- */

/* The server name: 1 to 253 printable bytes, no spaces. */
static int
check_name(const char *name, size_t *len)
{
    size_t i, n;

    if (name == NULL) {
        return -1;
    }
    n = strlen(name);
    if (n == 0 || n > WD_TLS_NAME_MAX) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] > 0x7e) {
            return -1;
        }
    }
    *len = n;
    return 0;
}

/*
 * Writes the ProtocolNameList of a comma-separated ALPN list (RFC 7301
 * 3.1) at out; returns its length, or (size_t)-1 if it is malformed or
 * longer than WD_TLS_ALPN_MAX.
 */
static size_t
alpn_encode(const char *list, uint8_t *out)
{
    size_t len = 0;
    const char *p = list;
    const char *end;
    size_t n;

    while (*p != '\0') {
        end = strchr(p, ',');
        n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n > 255 || len + 1 + n > WD_TLS_ALPN_MAX) {
            return (size_t)-1;
        }
        out[len] = (uint8_t)n;
        memcpy(out + len + 1, p, n);
        len += 1 + n;
        if (end == NULL) {
            break;
        }
        p = end + 1;
        if (*p == '\0') {
            return (size_t)-1;
        }
    }
    return len;
}

/* Appends u8 count and u16 each of a suite or group list. */
static int
put_list(struct tls_engine *e, const char *what, const unsigned *list,
         size_t count, const char *(*name)(unsigned), uint8_t *out, size_t *len)
{
    size_t i, j;

    if (count > 0 && list == NULL) {
        return fail(e, WARDEN_ERR_ARGUMENT, 0, -1, "%s list is NULL", what);
    }
    if (count > WARDEN_TLS_LIST_MAX) {
        return fail(e, WARDEN_ERR_ARGUMENT, 0, -1, "%zu %ss given, at most %d",
                    count, what, WARDEN_TLS_LIST_MAX);
    }
    out[(*len)++] = (uint8_t)count;
    for (i = 0; i < count; i++) {
        if (name(list[i]) == NULL) {
            return fail(e, WARDEN_ERR_ARGUMENT, 0, -1,
                        "%s 0x%04x is not one Warden can use", what, list[i]);
        }
        for (j = 0; j < i; j++) {
            if (list[j] == list[i]) {
                return fail(e, WARDEN_ERR_ARGUMENT, 0, -1, "%s %s given twice",
                            what, name(list[i]));
            }
        }
        wd_put16(out + *len, (uint16_t)list[i]);
        *len += 2;
    }
    return WARDEN_ERR_OK;
}

/*
 * The TLS_OPEN request (docs/protocol.md): u64 time, u8 name length and
 * name, u8 ALPN length and ProtocolNameList, u8 count and u16 suites,
 * u8 count and u16 groups. Built in e->stage.
 */
static int
open_request(struct tls_engine *e, const char *name, size_t name_len,
             const struct warden_tls_options *o, size_t *len)
{
    uint8_t *out = e->stage;
    int64_t now = o->now != 0 ? o->now : (int64_t)time(NULL);
    size_t n = 0, alpn_len = 0;
    int rc;

    wd_put32(out, (uint32_t)((uint64_t)now >> 32));
    wd_put32(out + 4, (uint32_t)now);
    n = 8;
    out[n++] = (uint8_t)name_len;
    memcpy(out + n, name, name_len);
    n += name_len;
    if (o->alpn != NULL) {
        alpn_len = alpn_encode(o->alpn, out + n + 1);
        if (alpn_len == (size_t)-1) {
            return fail(e, WARDEN_ERR_ARGUMENT, 0, -1,
                        "bad ALPN list \"%.80s\": names of 1 to 255 bytes, "
                        "comma-separated, %d bytes in all",
                        o->alpn, WD_TLS_ALPN_MAX);
        }
    }
    out[n++] = (uint8_t)alpn_len;
    n += alpn_len;
    rc = put_list(e, "cipher suite", o->suites, o->n_suites,
                  warden_tls_suite_name, out, &n);
    if (rc == WARDEN_ERR_OK) {
        rc = put_list(e, "group", o->groups, o->n_groups, warden_tls_group_name,
                      out, &n);
    }
    *len = rc == WARDEN_ERR_OK ? n : 0;
    return rc;
}

int
warden_tls_prepare(struct tls_engine *e, struct warden_dev *dev,
                   const char *servername,
                   const struct warden_tls_options *options)
{
    static const struct warden_tls_options defaults;
    const struct warden_tls_options *o = options != NULL ? options : &defaults;
    size_t name_len = 0;

    warden_wipe(e, sizeof(*e));
    e->magic = TLS_MAGIC;
    e->fd = -1;
    e->state = TLS_NONE;
    e->dev = dev;
    e->frag = WARDEN_TLS_RECORD_MAX;
    e->version = WARDEN_TLS_1_3;

    if (dev == NULL) {
        return fail(e, WARDEN_ERR_ARGUMENT, 0, -1, "no companion given");
    }
    if (check_name(servername, &name_len) != 0) {
        return fail(e, WARDEN_ERR_ARGUMENT, 0, -1,
                    "bad server name: 1 to %d printable characters without "
                    "spaces",
                    WD_TLS_NAME_MAX);
    }
    memcpy(e->name, servername, name_len + 1);
    if (o->record_size > WARDEN_TLS_RECORD_MAX) {
        return fail(e, WARDEN_ERR_ARGUMENT, 0, -1,
                    "record size %zu is over the %d-byte maximum",
                    o->record_size, WARDEN_TLS_RECORD_MAX);
    }
    if (o->record_size != 0) {
        e->frag = o->record_size;
    }
    if (warden_rec_init(&e->rec, WARDEN_TLS_1_3, e->rbuf, sizeof(e->rbuf)) !=
            WARDEN_REC_OK ||
        warden_rec_set_max_fragment(&e->rec, e->frag) != WARDEN_REC_OK) {
        return fail(e, WARDEN_ERR_TLS_STATE, 0, -1,
                    "cannot set up the record layer");
    }
    return open_request(e, servername, name_len, o, &e->stage_len);
}

int
warden_tls_open(struct tls_engine *e)
{
    size_t n;
    int rc;

    /* RFC 8446 4.1.2: the companion writes the ClientHello. */
    rc = call(e, WD_CMD_TLS_OPEN, e->stage, e->stage_len, &n);
    warden_wipe(e->stage, sizeof(e->stage));
    e->stage_len = 0;
    if (rc != WARDEN_ERR_OK) {
        unsigned status = 0;

        /*
         * Everything else in the request was checked here; the name's
         * grammar (DNS labels, IP literals) is the companion's to judge.
         */
        warden_last_error(e->dev, &status);
        if (rc == WARDEN_ERR_COMPANION && status == WD_STATUS_BAD_PAYLOAD) {
            return fail(e, WARDEN_ERR_ARGUMENT, status,
                        WARDEN_ALERT_INTERNAL_ERROR,
                        "server name '%s' is not a DNS name or an IP "
                        "address (the companion refused it)",
                        e->name);
        }
        return fail_call(e, rc);
    }
    if (n < 1 || !is_client_hello(e->resp + 1, n - 1)) {
        return fail_companion_protocol(e, "TLS_OPEN",
                                       "response is not a session and a "
                                       "ClientHello");
    }
    e->session = e->resp[0];
    e->session_open = 1;
    e->state = TLS_WAIT_SERVER_HELLO;
    rc = queue_handshake(e, e->resp + 1, n - 1);
    warden_wipe(e->resp, sizeof(e->resp));
    return rc;
}

int
warden_tls_start(struct warden_tls *tls, struct warden_dev *dev,
                 const char *servername,
                 const struct warden_tls_options *options)
{
    struct tls_engine *e;
    int rc;

    if (tls == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = warden_tls_prepare(e, dev, servername, options);
    if (rc == WARDEN_ERR_OK) {
        rc = warden_tls_open(e);
    }
    return rc;
}

int
warden_tls_info(struct warden_tls *tls, struct warden_tls_info *info)
{
    struct tls_engine *e;
    uint8_t req[1];
    size_t n, alpn_len;
    int rc;

    if (info != NULL) {
        memset(info, 0, sizeof(*info));
    }
    if (tls == NULL || info == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    e = warden_tls_engine(tls);
    rc = usable(e);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (e->state != TLS_CONNECTED && e->state != TLS_SEND_FLIGHT) {
        return WARDEN_ERR_TLS_STATE;
    }
    req[0] = e->session;
    rc = call(e, WD_CMD_TLS_STATUS, req, sizeof(req), &n);
    if (rc != WARDEN_ERR_OK) {
        return fail_call(e, rc);
    }
    alpn_len = n >= WD_TLSS_FIXED_LEN ? e->resp[WD_TLSS_ALPN_LEN] : 0;
    if (n < WD_TLSS_FIXED_LEN || n != WD_TLSS_FIXED_LEN + alpn_len) {
        return fail_companion_protocol(e, "TLS_STATUS",
                                       "response of the wrong length");
    }
    info->version = wd_get16(e->resp + WD_TLSS_VERSION);
    info->suite = wd_get16(e->resp + WD_TLSS_SUITE);
    info->group = wd_get16(e->resp + WD_TLSS_GROUP);
    info->hello_retry = (e->resp[WD_TLSS_FLAGS] & WD_TLSS_F_HRR) != 0;
    info->cert_requested =
        (e->resp[WD_TLSS_FLAGS] & WD_TLSS_F_CERT_REQUESTED) != 0;
    info->client_cert = (e->resp[WD_TLSS_FLAGS] & WD_TLSS_F_CLIENT_CERT) != 0;
    info->key_locked = (e->resp[WD_TLSS_FLAGS] & WD_TLSS_F_KEY_LOCKED) != 0;
    info->chain_len = e->resp[WD_TLSS_CHAIN_LEN];
    memcpy(info->alpn, e->resp + WD_TLSS_FIXED_LEN, alpn_len);
    info->alpn[alpn_len] = '\0';
    return WARDEN_ERR_OK;
}

/*
 * The end of a connection on the engine's side: the companion's session
 * closed and everything wiped. The error stays readable until the next
 * start.
 */
void
warden_tls_end(struct tls_engine *e)
{
    close_session(e);
    drop_secrets(e);
    warden_wipe(e->out, sizeof(e->out));
    warden_wipe(e->in, sizeof(e->in));
    e->out_off = 0;
    e->out_len = 0;
    e->in_off = 0;
    e->in_len = 0;
    if (e->state != TLS_FAILED) {
        e->state = TLS_CLOSED;
    }
}
