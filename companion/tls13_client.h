/*
 * The companion's TLS 1.3 handshake authority (RFC 8446), client side.
 * It writes every handshake message the client sends, reads and judges
 * every one the server sends, keeps the transcript and the key schedule,
 * validates the server chain against the stored roots, and hands out only
 * traffic keys. The host moves records (design §3).
 *
 * This file's functions work on one session and never touch the bus;
 * cmd_tls.c binds them to commands.
 */
#ifndef WC_TLS13_CLIENT_H
#define WC_TLS13_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ecdhe.h"
#include "tls13_schedule.h"
#include "verify.h"
#include "wd_proto.h"

struct wc_companion;

/* TLS alerts the companion asks the host to send (RFC 8446 6). */
#define WC_ALERT_UNEXPECTED_MESSAGE 10
#define WC_ALERT_HANDSHAKE_FAILURE 40
#define WC_ALERT_BAD_CERTIFICATE 42
#define WC_ALERT_UNSUPPORTED_CERTIFICATE 43
#define WC_ALERT_CERTIFICATE_EXPIRED 45
#define WC_ALERT_CERTIFICATE_UNKNOWN 46
#define WC_ALERT_ILLEGAL_PARAMETER 47
#define WC_ALERT_UNKNOWN_CA 48
#define WC_ALERT_DECODE_ERROR 50
#define WC_ALERT_DECRYPT_ERROR 51
#define WC_ALERT_PROTOCOL_VERSION 70
#define WC_ALERT_INSUFFICIENT_SECURITY 71
#define WC_ALERT_INTERNAL_ERROR 80
#define WC_ALERT_MISSING_EXTENSION 109
#define WC_ALERT_UNSUPPORTED_EXTENSION 110
#define WC_ALERT_NO_RENEGOTIATION 100
#define WC_ALERT_NO_APPLICATION_PROTOCOL 120

/* TLS 1.2 suites the companion allows (RFC 5289, RFC 7251). */
#define WC_TLS12_ECDHE_ECDSA_AES_128_GCM_SHA256 0xc02b
#define WC_TLS12_ECDHE_ECDSA_AES_256_GCM_SHA384 0xc02c
#define WC_TLS12_ECDHE_ECDSA_AES_128_CCM 0xc0ac
#define WC_TLS12_ECDHE_ECDSA_AES_256_CCM 0xc0ad

#define WC_TLS12_MASTER_LEN 48

enum wc_tls_state {
    WC_TLS_FREE = 0,
    WC_TLS_WAIT_SERVER_HELLO,
    WC_TLS_WAIT_ENCRYPTED_EXTENSIONS,
    WC_TLS_WAIT_CERT_OR_REQUEST,
    WC_TLS_WAIT_CERTIFICATE,
    WC_TLS_WAIT_CERTIFICATE_VERIFY,
    WC_TLS_WAIT_FINISHED,
    /* TLS 1.2 (tls12_client.c), after its ServerHello. */
    WC_TLS12_WAIT_CERTIFICATE,
    WC_TLS12_WAIT_KEY_EXCHANGE,
    WC_TLS12_WAIT_REQUEST_OR_DONE,
    WC_TLS12_WAIT_HELLO_DONE,
    WC_TLS12_WAIT_FINISHED,
    WC_TLS_CONNECTED,
    WC_TLS_FAILED,
};

#define WC_TLS_COOKIE_MAX 256
#define WC_TLS_CONTEXT_MAX 255

struct wc_tls_session {
    enum wc_tls_state state;
    const struct wc_channel *owner; /* the bus channel that opened it */
    uint8_t alert;  /* to send, once failed */
    uint8_t reason; /* certificate verdict, once failed on one */
    uint8_t flags;  /* WD_TLSS_F_* */
    uint8_t chain_len;
    int64_t now;
    uint16_t version; /* 0x0304 or 0x0303, once the ServerHello chose */
    uint16_t suite;
    uint16_t group;

    /* What the host asked for, narrowed from policy. */
    char name[WD_TLS_NAME_MAX + 1];
    size_t name_len;
    uint8_t alpn[WD_TLS_ALPN_MAX];
    size_t alpn_len;
    uint8_t alpn_selected[255];
    size_t alpn_selected_len;
    uint16_t suites[7];
    unsigned n_suites;
    uint16_t groups[3];
    unsigned n_groups;

    uint8_t client_random[32];
    uint8_t legacy_session_id[32];
    uint8_t cookie[WC_TLS_COOKIE_MAX];
    size_t cookie_len;
    struct wc_ecdhe_key share[2]; /* x25519, secp256r1; or the HRR one */
    unsigned n_shares;

    struct wc_tls13_transcript transcript;
    struct wc_tls13_schedule ks;

    /* The authenticated server key, copied out of its certificate. */
    enum wc_key_type server_key_type;
    uint8_t server_key[WC_ECDHE_PUB_MAX];
    size_t server_key_len;

    /* CertificateRequest: its context, and whether our key may answer. */
    uint8_t request_context[WC_TLS_CONTEXT_MAX];
    size_t request_context_len;
    int can_sign;

    /*
     * TLS 1.2 only: the server's random (signed in its key exchange),
     * the premaster secret from ServerKeyExchange to ServerHelloDone,
     * and the master secret until the server's Finished is checked.
     */
    uint8_t server_random[32];
    uint8_t premaster[WC_ECDHE_SECRET_MAX];
    size_t premaster_len;
    uint8_t master[WC_TLS12_MASTER_LEN];

    /* The client's last flight, kept until the host has read it. */
    size_t flight_len;
};

/*
 * Starts a session from a TLS_OPEN request (after the session byte) and
 * writes the ClientHello into out. Returns a wd_status.
 */
enum wd_status wc_tls_open(struct wc_companion *c, struct wc_tls_session *s,
                           const uint8_t *req, size_t req_len, uint8_t *out,
                           size_t cap, size_t *out_len);

/*
 * Takes one whole server handshake message and writes the response of
 * TLS_RECEIVE (event and what it carries) into out. flight receives the
 * client's last flight when the event is CONNECTED (flight_cap bytes).
 * On a refusal the session is failed with an alert and WD_STATUS_TLS_FAILED
 * is returned.
 */
enum wd_status wc_tls_receive(struct wc_companion *c, struct wc_tls_session *s,
                              const uint8_t *msg, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len, uint8_t *flight,
                              size_t flight_cap);

/* The host's next sending keys and the KeyUpdate message to send first. */
enum wd_status wc_tls_key_update(struct wc_tls_session *s, uint8_t *out,
                                 size_t cap, size_t *out_len);

/* TLS_STATUS contents. */
size_t wc_tls_status(const struct wc_tls_session *s, uint8_t *out);

/* Fails the session with alert (a message the host could not deliver). */
enum wd_status wc_tls_abort(struct wc_tls_session *s, uint8_t alert);

void wc_tls_wipe(struct wc_tls_session *s);

#endif
