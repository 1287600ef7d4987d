/*
 * The host side of a TLS 1.3 or TLS 1.2 client connection (RFC 8446,
 * RFC 5246): the engine
 * behind struct warden_tls. Nothing here is part of the public API.
 *
 * The engine is sans-I/O towards the network: bytes from the server go
 * in through warden_tls_feed(), records to send come out of
 * warden_tls_output(), application data goes through warden_tls_send()
 * and warden_tls_take(). It never touches a socket. It does call the
 * companion, synchronously, through the struct warden_dev it was given:
 * the companion writes every handshake message the client sends, judges
 * every one the server sends and hands out the traffic keys (design §3).
 *
 * The blocking socket shell (tls_socket.c) drives the same calls.
 *
 * Memory: everything lives in this struct, which the caller owns inside
 * struct warden_tls; the engine never allocates.
 */
#ifndef WARDEN_TLS_H
#define WARDEN_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "record.h"
#include "wd_proto.h"

/*
 * One TLS_RECEIVE request: session, flags and up to this many bytes of a
 * server handshake message in one bus frame. Longer messages are sent in
 * pieces with WD_TLS_MORE: frames cost the same either way, since the bus
 * moves WD_MAX_PAYLOAD bytes per frame.
 */
#define TLS_STAGE_MAX WD_MAX_PAYLOAD
#define TLS_STAGE_HEAD 2

/* The largest companion response the engine reads: a TLS_FLIGHT piece. */
#define TLS_RESP_MAX 2048
#define TLS_FLIGHT_PIECE 2048

/*
 * Output: one record at the largest fragment, plus room kept free for a
 * ChangeCipherSpec and two alert records (user_canceled, close_notify),
 * so that alerts can always be queued behind whatever is pending.
 */
#define TLS_OUT_RESERVE 64
#define TLS_OUT_MAX (WARDEN_REC_WRITE_BUF + TLS_OUT_RESERVE)

/* Socket bytes read but not yet taken by the engine (the shell's). */
#define TLS_IN_MAX 1536

#define TLS_ERRMSG_MAX 320

/*
 * A written direction updates its keys well before the AEAD limits of
 * RFC 8446 5.5 (2^24.5 full records for AES-GCM).
 */
#define TLS_KEY_UPDATE_AFTER (UINT64_C(1) << 24)

/* Events of TLS_RECEIVE as a mask. */
#define TLS_EV(name) (1u << WD_TLS_EV_##name)

/*
 * Connection states (RFC 8446 2 and A.1, seen from the host's records)
 * as data: X(name, text, events, reads). events are the companion's
 * answers expected to a whole server message in that state; reads says
 * whether server records are read.
 */
#define TLS_STATE_LIST(X)                                                      \
    X(NONE, "not started", 0, 0)                                               \
    X(WAIT_SERVER_HELLO, "waiting for the ServerHello",                        \
      TLS_EV(CLIENT_HELLO) | TLS_EV(HANDSHAKE_KEYS) | TLS_EV(TLS12), 1)        \
    X(TLS12_WAIT_SERVER_FLIGHT, "reading the server's TLS 1.2 flight",         \
      TLS_EV(CONTINUE) | TLS_EV(TLS12_KEYS), 1)                                \
    X(TLS12_WAIT_FINISHED, "waiting for the server's TLS 1.2 Finished",        \
      TLS_EV(TLS12_DONE), 1)                                                   \
    X(WAIT_SERVER_FLIGHT, "reading the server's encrypted flight",             \
      TLS_EV(CONTINUE) | TLS_EV(CONNECTED), 1)                                 \
    X(SEND_FLIGHT, "sending the client's last flight", 0, 0)                   \
    X(CONNECTED, "connected", TLS_EV(CONTINUE) | TLS_EV(KEY_UPDATE), 1)        \
    X(FAILED, "failed", 0, 0)                                                  \
    X(CLOSED, "closed", 0, 0)

enum tls_state {
#define TLS_X(name, text, events, reads) TLS_##name,
    TLS_STATE_LIST(TLS_X)
#undef TLS_X
};

struct tls_engine {
    uint32_t magic; /* TLS_MAGIC once started; guards against misuse */
    enum tls_state state;
    int err;         /* first error, sticky; a warden_err */
    unsigned detail; /* its detail: companion status, verdict or alert */
    char errmsg[TLS_ERRMSG_MAX];

    struct warden_dev *dev;
    int session_open; /* a companion session to close */
    uint8_t session;
    char name[WD_TLS_NAME_MAX + 1]; /* the server name, for messages */

    struct warden_rec rec;
    size_t frag; /* plaintext per written record */
    unsigned version; /* WARDEN_TLS_1_3, or WARDEN_TLS_1_2 after its hello */
    unsigned suite;
    size_t key_len;
    int ccs_sent; /* RFC 8446 D.4 */

    /*
     * The server handshake message being forwarded (RFC 8446 4): stage
     * holds session, flags and the bytes not yet sent; hs_seen counts
     * all bytes of the message taken so far, hs_total its whole length
     * once its header is in.
     */
    size_t hs_seen;
    size_t hs_total;
    size_t stage_len;
    uint8_t stage[TLS_STAGE_MAX];
    uint8_t resp[TLS_RESP_MAX];

    /*
     * The client's last flight, and the keys to write after it. In
     * TLS 1.2 its last finished_len bytes (the Finished) go after the
     * ChangeCipherSpec under app_key, and the server's keys wait for its
     * ChangeCipherSpec.
     */
    size_t flight_len;
    size_t flight_off;
    size_t finished_len;
    int have_finished;
    uint8_t finished_msg[16]; /* TLS 1.2: header and 12-byte verify_data */
    uint8_t app_key[WARDEN_REC_KEY_MAX];
    uint8_t app_iv[WARDEN_REC_IV_LEN];
    uint8_t peer_key[WARDEN_REC_KEY_MAX];
    uint8_t peer_salt[WARDEN_REC_SALT_LEN];
    int key_update_due; /* our KeyUpdate: asked for, or our own */

    /* Application data read, in rec's buffer until taken. */
    const uint8_t *plain;
    size_t plain_len;
    int peer_closed; /* close_notify received (RFC 8446 6.1) */
    int sent_close;  /* close_notify queued */

    /* Records to send: out[out_off .. out_len). */
    size_t out_off;
    size_t out_len;
    uint8_t out[TLS_OUT_MAX];

    /* The blocking shell's socket. */
    int fd;
    int own_fd;
    size_t in_off;
    size_t in_len;
    uint8_t in[TLS_IN_MAX];

    uint8_t rbuf[WARDEN_REC_READ_BUF];
};

#define TLS_MAGIC 0x57544c53u /* "WTLS" */

/* The engine inside a caller's struct warden_tls. */
struct tls_engine *warden_tls_engine(struct warden_tls *tls);

/*
 * Records err with a formatted message (never secret bytes) unless the
 * engine already failed, moves it to the failed state, and returns the
 * first error. The shell uses it for network failures.
 */
int warden_tls_fail(struct tls_engine *e, int err, unsigned detail,
                    const char *fmt, ...) WARDEN_PRINTF(4, 5);

/*
 * Starting in two steps, so that options are checked before anything
 * reaches the network: prepare resets the engine, checks the server
 * name and options and builds the TLS_OPEN request; open sends it and
 * queues the companion's ClientHello. Both fail the engine on error.
 */
int warden_tls_prepare(struct tls_engine *e, struct warden_dev *dev,
                       const char *servername,
                       const struct warden_tls_options *options);
int warden_tls_open(struct tls_engine *e);

/*
 * Queues close_notify (RFC 8446 6.1), or during the handshake
 * user_canceled and close_notify, which fails the connection.
 */
int warden_tls_queue_close(struct tls_engine *e);

/*
 * Ends the connection on the engine's side: closes the companion's
 * session and wipes keys and buffers. A failed engine keeps its error.
 */
void warden_tls_end(struct tls_engine *e);

#endif
