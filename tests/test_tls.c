/*
 * The host's TLS engine (host/tls.c) against a scripted companion and
 * scripted server bytes: the RFC 8448 section 3 handshake and records
 * byte for byte, the server's flight cut into records at every split
 * point and one byte per record, messages longer than a bus frame,
 * HelloRetryRequest, KeyUpdate both ways, alerts both ways,
 * close_notify, the record size limit, companion refusals with their
 * messages, a companion that answers out of its protocol, failure
 * stickiness and key wiping. TLS 1.2 (issue 5): a whole handshake with
 * flights around the TLS_FLIGHT piece size, the ChangeCipherSpecs,
 * servers that break the order, malformed TLS 1.2 events, and a refused
 * renegotiation.
 *
 * The fake companion speaks the bus (frames, sequence numbers,
 * chunking) and answers each TLS command from a script: the server
 * message it expects next and the event it answers with.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rfc8448.h"
#include "record.h"
#include "tls.h"
#include "warden.h"
#include "wd_proto.h"

/* RFC 8448 section 3 vectors: tests/support/rfc8448.c. */

/* A ClientHello as the fake companion writes it: only its framing counts. */
static const uint8_t HELLO[] = {0x01, 0x00, 0x00, 0x06, 0x03,
                                0x03, 0xc0, 0xff, 0xee, 0x00};
static const uint8_t HELLO2[] = {0x01, 0x00, 0x00, 0x07, 0x03, 0x03,
                                 0xc0, 0xff, 0xee, 0x00, 0x02};
static const uint8_t CCS_REC[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

#define NAME "example.com"
#define MSG_MAX (WD_TLS_MESSAGE_MAX + 64)
#define STEPS_MAX 16
#define WIRE_MAX 200000

/* ---- helpers ------------------------------------------------------------ */

static unsigned
nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return (unsigned)(c - '0');
    }
    return (unsigned)(c - 'a' + 10);
}

static size_t
unhex(const char *s, uint8_t *dst, size_t cap)
{
    size_t n = strlen(s) / 2, i;

    if (n > cap) {
        fprintf(stderr, "unhex: %zu bytes over %zu\n", n, cap);
        return 0;
    }
    for (i = 0; i < n; i++) {
        dst[i] = (uint8_t)(nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]));
    }
    return n;
}

/* A hex vector as bytes, in one of a few static slots. */
static const uint8_t *
H(const char *s, size_t *len)
{
    static uint8_t slots[16][4096];
    static unsigned next;
    uint8_t *slot = slots[next++ % 16];

    *len = unhex(s, slot, sizeof(slots[0]));
    return slot;
}

static int
contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Whether needle occurs anywhere in len bytes at p. */
static int
mem_has(const void *p, size_t len, const uint8_t *needle, size_t n)
{
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(b + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- the scripted companion ---------------------------------------------- */

struct step {
    uint8_t msg[MSG_MAX]; /* the server message expected */
    size_t msg_len;
    uint8_t resp[256]; /* the answer to it */
    size_t resp_len;
    unsigned status; /* WD_STATUS_OK, or a refusal */
};

struct fake {
    /* bus */
    uint8_t in[WD_MAX_FRAME];
    size_t in_len;
    uint8_t out[4 * WD_MAX_FRAME];
    size_t out_len, out_pos;
    uint16_t seq;
    uint8_t req[WD_MAX_MESSAGE];
    size_t req_len;
    uint8_t pend[WD_MAX_MESSAGE];
    size_t pend_len, pend_off;

    /* TLS */
    unsigned open_status; /* refuse TLS_OPEN with it */
    uint8_t open_req[WD_MAX_MESSAGE];
    size_t open_req_len;
    int session_open;
    uint8_t got[MSG_MAX]; /* the message being gathered */
    size_t got_len;
    size_t pieces; /* TLS_RECEIVE requests of that message */
    size_t max_pieces;
    struct step steps[STEPS_MAX];
    size_t n_steps, step;
    int mismatch;
    uint8_t flight[8192];
    size_t flight_len;
    uint8_t status[WD_TLSS_FIXED_LEN + 16];
    size_t status_len;
    uint8_t ku_resp[64];
    size_t ku_resp_len;
    unsigned closes, flights, key_updates, statuses;
    uint8_t more_event; /* the answer to a piece with WD_TLS_MORE */
};

static struct fake fk;

static void
fk_reset(void)
{
    memset(&fk, 0, sizeof(fk));
}

/* Queues one response frame. */
static void
fk_frame(uint8_t cmd, uint8_t status, uint8_t flags, const uint8_t *p,
         size_t len)
{
    struct wd_header h;
    size_t n;

    h.version = WD_PROTO_VERSION;
    h.command = cmd;
    h.flags = (uint8_t)(WD_FLAG_RESPONSE | flags);
    h.status = status;
    h.seq = fk.seq;
    h.length = (uint16_t)len;
    if (fk.out_pos > 0) {
        memmove(fk.out, fk.out + fk.out_pos, fk.out_len - fk.out_pos);
        fk.out_len -= fk.out_pos;
        fk.out_pos = 0;
    }
    n = wd_frame_encode(&h, p, fk.out + fk.out_len,
                        sizeof(fk.out) - fk.out_len);
    CHECK(n > 0);
    fk.out_len += n;
}

/* Queues a whole response, the first chunk now and the rest on CONTINUE. */
static void
fk_respond(uint8_t cmd, unsigned status, const uint8_t *p, size_t len)
{
    size_t first = len > WD_MAX_PAYLOAD ? WD_MAX_PAYLOAD : len;

    if (status != WD_STATUS_OK) {
        fk_frame(cmd, (uint8_t)status, 0, NULL, 0);
        return;
    }
    memcpy(fk.pend, p, len);
    fk.pend_len = len;
    fk.pend_off = first;
    fk_frame(cmd, 0, first < len ? WD_FLAG_MORE : 0, p, first);
}

static void
fk_receive(const uint8_t *p, size_t len, uint8_t *resp, size_t *resp_len,
           unsigned *status)
{
    struct step *st;

    if (len < 2 || p[0] != 3 || !fk.session_open ||
        fk.got_len + len - 2 > sizeof(fk.got)) {
        *status = WD_STATUS_BAD_PAYLOAD;
        fk.mismatch = 1;
        return;
    }
    memcpy(fk.got + fk.got_len, p + 2, len - 2);
    fk.got_len += len - 2;
    fk.pieces++;
    if (p[1] & WD_TLS_MORE) {
        resp[0] = fk.more_event;
        *resp_len = 1;
        return;
    }
    if (fk.pieces > fk.max_pieces) {
        fk.max_pieces = fk.pieces;
    }
    fk.pieces = 0;
    if (fk.step >= fk.n_steps) {
        fk.mismatch = 1;
        *status = WD_STATUS_BAD_PAYLOAD;
        fk.got_len = 0;
        return;
    }
    st = &fk.steps[fk.step++];
    if (fk.got_len != st->msg_len || memcmp(fk.got, st->msg, st->msg_len)) {
        fprintf(stderr,
                "fake: step %zu: got a message of %zu bytes, "
                "expected %zu\n",
                fk.step - 1, fk.got_len, st->msg_len);
        fk.mismatch = 1;
    }
    fk.got_len = 0;
    *status = st->status;
    memcpy(resp, st->resp, st->resp_len);
    *resp_len = st->resp_len;
    if (st->status == WD_STATUS_TLS_FAILED) {
        fk.session_open = 2; /* failed: only STATUS and CLOSE answer */
    }
}

/* Answers one whole request. */
static void
fk_dispatch(uint8_t cmd, const uint8_t *p, size_t len)
{
    static uint8_t resp[WD_MAX_MESSAGE];
    size_t resp_len = 0, off;
    unsigned status = WD_STATUS_OK;

    switch (cmd) {
    case WD_CMD_TLS_OPEN:
        memcpy(fk.open_req, p, len);
        fk.open_req_len = len;
        if (fk.open_status != WD_STATUS_OK) {
            status = fk.open_status;
            break;
        }
        fk.session_open = 1;
        resp[0] = 3;
        memcpy(resp + 1, HELLO, sizeof(HELLO));
        resp_len = 1 + sizeof(HELLO);
        break;
    case WD_CMD_TLS_RECEIVE:
        fk_receive(p, len, resp, &resp_len, &status);
        break;
    case WD_CMD_TLS_FLIGHT:
        fk.flights++;
        off = len == 3 ? wd_get16(p + 1) : 0;
        if (len != 3 || p[0] != 3 || off >= fk.flight_len) {
            status = WD_STATUS_BAD_PAYLOAD;
            break;
        }
        resp_len = fk.flight_len - off < 2048 ? fk.flight_len - off : 2048;
        memcpy(resp, fk.flight + off, resp_len);
        break;
    case WD_CMD_TLS_KEY_UPDATE:
        fk.key_updates++;
        if (len != 2 || p[0] != 3 || p[1] != WD_TLS_CLIENT_WRITE) {
            status = WD_STATUS_BAD_PAYLOAD;
            break;
        }
        memcpy(resp, fk.ku_resp, fk.ku_resp_len);
        resp_len = fk.ku_resp_len;
        break;
    case WD_CMD_TLS_STATUS:
        fk.statuses++;
        memcpy(resp, fk.status, fk.status_len);
        resp_len = fk.status_len;
        break;
    case WD_CMD_TLS_CLOSE:
        fk.closes++;
        if (len != 1 || p[0] != 3 || !fk.session_open) {
            status = WD_STATUS_NO_SESSION;
        }
        fk.session_open = 0;
        break;
    default:
        status = WD_STATUS_UNKNOWN_COMMAND;
    }
    fk_respond(cmd, status, resp, resp_len);
}

/* One whole request frame from the host. */
static void
fk_frame_in(const uint8_t *buf, size_t len)
{
    struct wd_header h;
    const uint8_t *p;
    size_t first;

    CHECK(wd_frame_decode(buf, len, &h, &p) == WD_STATUS_OK);
    CHECK(h.seq == fk.seq);
    if (h.command == WD_CMD_CONTINUE) {
        first = fk.pend_len - fk.pend_off;
        if (first > WD_MAX_PAYLOAD) {
            first = WD_MAX_PAYLOAD;
        }
        fk_frame(WD_CMD_CONTINUE, 0,
                 fk.pend_off + first < fk.pend_len ? WD_FLAG_MORE : 0,
                 fk.pend + fk.pend_off, first);
        fk.pend_off += first;
    } else {
        memcpy(fk.req + fk.req_len, p, h.length);
        fk.req_len += h.length;
        if (h.flags & WD_FLAG_MORE) {
            fk_frame(h.command, 0, 0, NULL, 0);
        } else {
            fk_dispatch(h.command, fk.req, fk.req_len);
            fk.req_len = 0;
        }
    }
    fk.seq++;
}

static int
fk_send(void *ctx, const uint8_t *buf, size_t len)
{
    enum wd_frame_result res;
    enum wd_status st;
    size_t n;

    (void)ctx;
    while (len > 0) {
        n = len < sizeof(fk.in) - fk.in_len ? len : sizeof(fk.in) - fk.in_len;
        memcpy(fk.in + fk.in_len, buf, n);
        fk.in_len += n;
        buf += n;
        len -= n;
        res = wd_frame_check(fk.in, fk.in_len, &n, &st);
        if (res == WD_FRAME_BROKEN) {
            return WARDEN_ERR_IO;
        }
        if (res == WD_FRAME_COMPLETE) {
            fk_frame_in(fk.in, n);
            memmove(fk.in, fk.in + n, fk.in_len - n);
            fk.in_len -= n;
        }
    }
    return WARDEN_ERR_OK;
}

static int
fk_recv(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (fk.out_len - fk.out_pos < len) {
        return WARDEN_ERR_TIMEOUT;
    }
    memcpy(buf, fk.out + fk.out_pos, len);
    fk.out_pos += len;
    return WARDEN_ERR_OK;
}

static const struct warden_transport fk_transport = {fk_send, fk_recv, NULL};

/* Script steps. */
static struct step *
add_step(const uint8_t *msg, size_t len)
{
    struct step *st = &fk.steps[fk.n_steps++];

    memcpy(st->msg, msg, len);
    st->msg_len = len;
    st->status = WD_STATUS_OK;
    return st;
}

static void
step_continue(const uint8_t *msg, size_t len)
{
    struct step *st = add_step(msg, len);

    st->resp[0] = WD_TLS_EV_CONTINUE;
    st->resp_len = 1;
}

/* Appends a key and its IV, from hex, to a response. */
static void
put_key(uint8_t *resp, size_t *n, const char *key, const char *iv)
{
    *n += unhex(key, resp + *n, 32);
    *n += unhex(iv, resp + *n, 12);
}

static void
step_keys(const uint8_t *msg, size_t len, unsigned suite, const char *ck,
          const char *civ, const char *sk, const char *siv)
{
    struct step *st = add_step(msg, len);

    st->resp[0] = WD_TLS_EV_HANDSHAKE_KEYS;
    wd_put16(st->resp + 1, (uint16_t)suite);
    st->resp[3] = (uint8_t)(strlen(ck) / 2);
    st->resp_len = 4;
    put_key(st->resp, &st->resp_len, ck, civ);
    put_key(st->resp, &st->resp_len, sk, siv);
}

static void
step_connected(const uint8_t *msg, size_t len, const char *ck, const char *civ,
               const char *sk, const char *siv)
{
    struct step *st = add_step(msg, len);

    st->resp[0] = WD_TLS_EV_CONNECTED;
    st->resp[1] = (uint8_t)(strlen(ck) / 2);
    st->resp_len = 2;
    put_key(st->resp, &st->resp_len, ck, civ);
    put_key(st->resp, &st->resp_len, sk, siv);
    wd_put16(st->resp + st->resp_len, (uint16_t)fk.flight_len);
    st->resp_len += 2;
}

static void
step_refuse(const uint8_t *msg, size_t len, unsigned alert, unsigned reason)
{
    struct step *st = add_step(msg, len);

    st->status = WD_STATUS_TLS_FAILED;
    memset(fk.status, 0, sizeof(fk.status));
    fk.status[WD_TLSS_STATE] = 3;
    fk.status[WD_TLSS_ALERT] = (uint8_t)alert;
    fk.status[WD_TLSS_REASON] = (uint8_t)reason;
    fk.status_len = WD_TLSS_FIXED_LEN;
}

/* ---- the server side ---------------------------------------------------- */

static struct warden_tls tls;
static struct warden_dev dev;
static uint8_t wire[WIRE_MAX];
static uint8_t srv_buf[WARDEN_REC_READ_BUF];
static uint8_t rd_buf[WARDEN_REC_READ_BUF];
static struct warden_rec srv; /* writes as the server */
static struct warden_rec rd;  /* reads what the client wrote */

static void
set_hex_keys(struct warden_rec *rec, int dir, unsigned epoch, unsigned suite,
             const char *key, const char *iv)
{
    uint8_t k[32], v[12];
    size_t kl = unhex(key, k, sizeof(k));

    unhex(iv, v, sizeof(v));
    CHECK(warden_rec_set_keys(rec, dir, epoch, suite, k, kl, v) ==
          WARDEN_REC_OK);
}

/* Seals len bytes of type as one record from the server, into w. */
static size_t
seal(unsigned type, const uint8_t *p, size_t len, uint8_t *w)
{
    size_t used, n;

    CHECK(warden_rec_write(&srv, type, p, len, &used, w, WARDEN_REC_WRITE_BUF,
                           &n) == WARDEN_REC_OK);
    CHECK(used == len);
    return n;
}

/* Starts a connection on a fresh fake; the ClientHello record is checked. */
static void
begin(const struct warden_tls_options *o)
{
    const uint8_t *out;
    size_t n;

    fk.seq = 0;
    CHECK(warden_open_transport(&dev, &fk_transport, NULL) == WARDEN_ERR_OK);
    CHECK(warden_tls_start(&tls, &dev, NAME, o) == WARDEN_ERR_OK);
    out = warden_tls_output(&tls, &n);
    CHECK(out != NULL && n == 5 + sizeof(HELLO));
    if (out != NULL && n == 5 + sizeof(HELLO)) {
        CHECK(out[0] == 22 && out[3] == 0 && out[4] == sizeof(HELLO));
        CHECK_MEM(out + 5, HELLO, sizeof(HELLO));
    }
    warden_tls_output_done(&tls, n);

    CHECK(warden_rec_init(&srv, WARDEN_TLS_1_3, srv_buf, sizeof(srv_buf)) ==
          WARDEN_REC_OK);
    CHECK(warden_rec_init(&rd, WARDEN_TLS_1_3, rd_buf, sizeof(rd_buf)) ==
          WARDEN_REC_OK);
}

/* Feeds len bytes, in pieces of at most chunk bytes; returns the result. */
static int
feed(const uint8_t *p, size_t len, size_t chunk)
{
    size_t off = 0, n, used;
    int rc = WARDEN_ERR_OK;

    while (off < len) {
        n = len - off < chunk ? len - off : chunk;
        rc = warden_tls_feed(&tls, p + off, n, &used);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        if (used == 0) {
            /* Stuck: the test must take data or output first. */
            return -1;
        }
        off += used;
    }
    return rc;
}

/* Takes the whole output into buf; returns its length. */
static size_t
take_output(uint8_t *buf, size_t cap)
{
    const uint8_t *p;
    size_t n, total = 0;

    while ((p = warden_tls_output(&tls, &n)) != NULL) {
        CHECK(total + n <= cap);
        if (total + n > cap) {
            break;
        }
        memcpy(buf + total, p, n);
        total += n;
        warden_tls_output_done(&tls, n);
    }
    return total;
}

/* Reads one record the client wrote, with rd; returns the result. */
static int
read_client(const uint8_t *p, size_t len, size_t *used,
            struct warden_rec_msg *msg)
{
    return warden_rec_read(&rd, p, len, used, msg);
}

/* ---- RFC 8448 ------------------------------------------------------------ */

static void
script_8448(void)
{
    const uint8_t *p;
    size_t n;

    fk_reset();
    fk.flight_len = unhex(R8448_CFIN, fk.flight, sizeof(fk.flight));
    p = H(R8448_SH_REC, &n);
    step_keys(p + 5, n - 5, WARDEN_TLS_AES_128_GCM_SHA256, R8448_C_HS_KEY,
              R8448_C_HS_IV, R8448_S_HS_KEY, R8448_S_HS_IV);
    p = H(R8448_EE, &n);
    step_continue(p, n);
    p = H(R8448_CERT, &n);
    step_continue(p, n);
    p = H(R8448_CV, &n);
    step_continue(p, n);
    p = H(R8448_SFIN, &n);
    step_connected(p, n, R8448_C_AP_KEY, R8448_C_AP_IV, R8448_S_AP_KEY,
                   R8448_S_AP_IV);
    p = H(R8448_NST, &n);
    step_continue(p, n);
}

/* The server's first two records, as RFC 8448 sent them. */
static size_t
server_8448(uint8_t *w)
{
    size_t n = unhex(R8448_SH_REC, w, WIRE_MAX);

    return n + unhex(R8448_FLIGHT_REC, w + n, WIRE_MAX - n);
}

/* After the server's flight: CCS and the client Finished of RFC 8448. */
static void
check_flight_8448(void)
{
    static uint8_t out[1024];
    const uint8_t *fin;
    size_t n, fin_len;

    n = take_output(out, sizeof(out));
    fin = H(R8448_FIN_REC, &fin_len);
    CHECK(n == sizeof(CCS_REC) + fin_len);
    if (n == sizeof(CCS_REC) + fin_len) {
        CHECK_MEM(out, CCS_REC, sizeof(CCS_REC));
        CHECK_MEM(out + sizeof(CCS_REC), fin, fin_len);
    }
    CHECK(warden_tls_connected(&tls));
    CHECK(!fk.mismatch);
    CHECK(fk.flights == 1);
}

static void
test_rfc8448(size_t chunk)
{
    static uint8_t out[1024];
    uint8_t app[50], got[64];
    const uint8_t *p;
    size_t n, i, taken;
    struct warden_tls_info info;

    script_8448();
    begin(NULL);
    CHECK(!warden_tls_connected(&tls));
    CHECK(fk.open_req_len > 9 && fk.open_req[8] == strlen(NAME));

    n = server_8448(wire);
    CHECK(feed(wire, n, chunk) == WARDEN_ERR_OK);
    check_flight_8448();

    /* RFC 8448: NewSessionTicket, then 50 bytes each way. */
    p = H(R8448_TICKET_REC, &n);
    CHECK(feed(p, n, chunk) == WARDEN_ERR_OK);
    CHECK(fk.step == fk.n_steps);
    p = H(R8448_SERVER_APP_REC, &n);
    CHECK(feed(p, n, chunk) == WARDEN_ERR_OK);
    for (i = 0; i < sizeof(app); i++) {
        app[i] = (uint8_t)i;
    }
    /* Taken in two parts: what stays waits in the engine. */
    CHECK(warden_tls_take(&tls, got, 20, &taken) == WARDEN_ERR_OK);
    CHECK(taken == 20);
    CHECK(warden_tls_take(&tls, got + 20, sizeof(got) - 20, &taken) ==
          WARDEN_ERR_OK);
    CHECK(taken == 30);
    CHECK_MEM(got, app, sizeof(app));
    CHECK(warden_tls_take(&tls, got, sizeof(got), &taken) == WARDEN_ERR_OK);
    CHECK(taken == 0);

    CHECK(warden_tls_send(&tls, app, sizeof(app), &taken) == WARDEN_ERR_OK);
    CHECK(taken == sizeof(app));
    n = take_output(out, sizeof(out));
    p = H(R8448_CLIENT_APP_REC, &i);
    CHECK(n == i);
    CHECK_MEM(out, p, i);

    /* What the companion decided: a TLS_STATUS away. */
    memset(fk.status, 0, sizeof(fk.status));
    fk.status[WD_TLSS_STATE] = 2;
    wd_put16(fk.status + WD_TLSS_VERSION, 0x0304);
    wd_put16(fk.status + WD_TLSS_SUITE, 0x1301);
    wd_put16(fk.status + WD_TLSS_GROUP, 0x001d);
    fk.status[WD_TLSS_FLAGS] = WD_TLSS_F_HRR | WD_TLSS_F_CLIENT_CERT;
    fk.status[WD_TLSS_CHAIN_LEN] = 2;
    fk.status[WD_TLSS_ALPN_LEN] = 2;
    memcpy(fk.status + WD_TLSS_FIXED_LEN, "h2", 2);
    fk.status_len = WD_TLSS_FIXED_LEN + 2;
    CHECK(warden_tls_info(&tls, &info) == WARDEN_ERR_OK);
    CHECK(info.version == 0x0304 && info.suite == 0x1301);
    CHECK(info.group == 0x001d && info.hello_retry && info.client_cert);
    CHECK(!info.cert_requested && info.chain_len == 2);
    CHECK(strcmp(info.alpn, "h2") == 0);

    /* The server's close_notify: the end of its data, not an error. */
    p = H(R8448_SERVER_ALERT_REC, &n);
    CHECK(!warden_tls_eof(&tls));
    CHECK(feed(p, n, chunk) == WARDEN_ERR_OK);
    CHECK(warden_tls_eof(&tls));
    CHECK(warden_tls_take(&tls, got, sizeof(got), &taken) == WARDEN_ERR_OK);
    CHECK(taken == 0);

    /* Ours, under the RFC's keys and sequence number. */
    CHECK(warden_tls_shutdown(&tls) == WARDEN_ERR_OK);
    n = take_output(out, sizeof(out));
    p = H(R8448_CLIENT_ALERT_REC, &i);
    CHECK(n == i);
    CHECK_MEM(out, p, i);
    CHECK(warden_tls_send(&tls, app, 1, &taken) == WARDEN_ERR_TLS_STATE);
    CHECK(warden_tls_shutdown(&tls) == WARDEN_ERR_OK);

    CHECK(fk.closes == 0);
    CHECK(warden_tls_close(&tls) == WARDEN_ERR_OK);
    CHECK(fk.closes == 1);
    CHECK(strcmp(warden_tls_error(&tls), "") == 0);
    warden_close(&dev);
}

/*
 * Secrets: no traffic key of the script is left in the struct after a
 * close or a failure.
 */
static void
check_wiped(void)
{
    static const char *const keys[] = {R8448_S_HS_KEY, R8448_C_HS_KEY,
                                       R8448_S_AP_KEY, R8448_C_AP_KEY};
    uint8_t k[16];
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        unhex(keys[i], k, sizeof(k));
        CHECK(!mem_has(&tls, sizeof(tls), k, sizeof(k)));
    }
}

/*
 * The server's flight re-sealed as two records split at every point:
 * messages cut across records, and several per record.
 */
static void
test_split_points(void)
{
    static uint8_t flight[1024];
    size_t len = 0, k, n, w, sh_len;
    const uint8_t *p;
    int bad = 0;

    p = H(R8448_EE, &n);
    memcpy(flight + len, p, n);
    len += n;
    p = H(R8448_CERT, &n);
    memcpy(flight + len, p, n);
    len += n;
    p = H(R8448_CV, &n);
    memcpy(flight + len, p, n);
    len += n;
    p = H(R8448_SFIN, &n);
    memcpy(flight + len, p, n);
    len += n;

    for (k = 1; k < len && !bad; k++) {
        script_8448();
        begin(NULL);
        set_hex_keys(&srv, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE,
                     0x1301, R8448_S_HS_KEY, R8448_S_HS_IV);
        sh_len = unhex(R8448_SH_REC, wire, sizeof(wire));
        w = sh_len;
        w += seal(WARDEN_CT_HANDSHAKE, flight, k, wire + w);
        w += seal(WARDEN_CT_HANDSHAKE, flight + k, len - k, wire + w);
        if (feed(wire, w, w) != WARDEN_ERR_OK || fk.mismatch ||
            !warden_tls_connected(&tls)) {
            fprintf(stderr, "split at %zu: %s\n", k, warden_tls_error(&tls));
            bad = 1;
        }
        check_flight_8448();
        warden_tls_close(&tls);
        warden_close(&dev);
    }
    CHECK(!bad);

    /* One byte per record. */
    script_8448();
    begin(NULL);
    set_hex_keys(&srv, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE, 0x1301,
                 R8448_S_HS_KEY, R8448_S_HS_IV);
    w = unhex(R8448_SH_REC, wire, sizeof(wire));
    for (k = 0; k < len; k++) {
        w += seal(WARDEN_CT_HANDSHAKE, flight + k, 1, wire + w);
    }
    CHECK(feed(wire, w, 7) == WARDEN_ERR_OK);
    check_flight_8448();
    warden_tls_close(&tls);
    check_wiped();
    warden_close(&dev);
}

/* ---- synthetic handshakes ----------------------------------------------- */

static const char K32_C[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char K32_S[] =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
static const char K32_CA[] =
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
static const char K32_SA[] =
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f";
static const char K32_SA2[] =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char K32_CA2[] =
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
static const char IV_C[] = "c0c1c2c3c4c5c6c7c8c9cacb";
static const char IV_S[] = "d0d1d2d3d4d5d6d7d8d9dadb";
static const char IV_CA[] = "e0e1e2e3e4e5e6e7e8e9eaeb";
static const char IV_SA[] = "f0f1f2f3f4f5f6f7f8f9fafb";
static const char IV_SA2[] = "101112131415161718191a1b";
static const char IV_CA2[] = "202122232425262728292a2b";

static const uint8_t SH[] = {0x02, 0x00, 0x00, 0x02, 0x03, 0x03};
static const uint8_t EE[] = {0x08, 0x00, 0x00, 0x02, 0x00, 0x00};
static const uint8_t FIN[] = {0x14, 0x00, 0x00, 0x04, 0xf1, 0xf2, 0xf3, 0xf4};
static uint8_t big_cert[5004];

/*
 * A handshake under AES-256-GCM with a 5000-byte Certificate (five
 * bus requests) and a 3000-byte client flight (two TLS_FLIGHT pieces).
 */
static void
script_big(size_t flight_len)
{
    size_t i;

    fk_reset();
    big_cert[0] = 0x0b;
    big_cert[1] = 0x00;
    wd_put16(big_cert + 2, sizeof(big_cert) - 4);
    for (i = 4; i < sizeof(big_cert); i++) {
        big_cert[i] = (uint8_t)(i * 13 + 7);
    }
    fk.flight_len = flight_len;
    fk.flight[0] = 0x0b;
    fk.flight[1] = 0;
    wd_put16(fk.flight + 2, (uint16_t)(flight_len - 4));
    for (i = 4; i < flight_len; i++) {
        fk.flight[i] = (uint8_t)(i * 7 + 1);
    }
    step_keys(SH, sizeof(SH), WARDEN_TLS_AES_256_GCM_SHA384, K32_C, IV_C, K32_S,
              IV_S);
    step_continue(EE, sizeof(EE));
    step_continue(big_cert, sizeof(big_cert));
    step_connected(FIN, sizeof(FIN), K32_CA, IV_CA, K32_SA, IV_SA);
}

/* The ServerHello record; srv then writes under the handshake keys. */
static size_t
server_hello(uint8_t *w)
{
    w[0] = 22;
    w[1] = 3;
    w[2] = 3;
    w[3] = 0;
    w[4] = sizeof(SH);
    memcpy(w + 5, SH, sizeof(SH));
    set_hex_keys(&srv, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_HANDSHAKE, 0x1302,
                 K32_S, IV_S);
    return 5 + sizeof(SH);
}

/* ServerHello plaintext, the rest in records of frag bytes or less. */
static size_t
server_big(uint8_t *w, size_t frag)
{
    size_t n = server_hello(w), off, piece;

    n += seal(WARDEN_CT_HANDSHAKE, EE, sizeof(EE), w + n);
    for (off = 0; off < sizeof(big_cert); off += piece) {
        piece = sizeof(big_cert) - off < frag ? sizeof(big_cert) - off : frag;
        n += seal(WARDEN_CT_HANDSHAKE, big_cert + off, piece, w + n);
    }
    n += seal(WARDEN_CT_HANDSHAKE, FIN, sizeof(FIN), w + n);
    set_hex_keys(&srv, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                 0x1302, K32_SA, IV_SA);
    return n;
}

/*
 * Reads the client's flight with rd (CCS, then records under the client
 * handshake keys) and checks it is the companion's, byte for byte, in
 * records of at most frag bytes.
 */
static void
check_flight_big(size_t frag)
{
    static uint8_t out[WIRE_MAX];
    static uint8_t plain[8192];
    struct warden_rec_msg msg;
    size_t n, off = 0, used, got = 0;

    n = take_output(out, sizeof(out));
    CHECK(n > sizeof(CCS_REC));
    CHECK_MEM(out, CCS_REC, sizeof(CCS_REC));
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, 0x1302,
                 K32_C, IV_C);
    while (off < n) {
        int rc = read_client(out + off, n - off, &used, &msg);

        off += used;
        if (rc != WARDEN_REC_OK) {
            CHECK(rc == WARDEN_REC_OK);
            break;
        }
        CHECK(msg.type == WARDEN_CT_HANDSHAKE);
        CHECK(msg.len <= frag);
        memcpy(plain + got, msg.data, msg.len);
        got += msg.len;
    }
    CHECK(got == fk.flight_len);
    CHECK_MEM(plain, fk.flight, fk.flight_len);
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, 0x1302,
                 K32_CA, IV_CA);
}

static void
test_big_messages(void)
{
    static uint8_t out[WIRE_MAX];
    struct warden_tls_options o;
    struct warden_rec_msg msg;
    uint8_t data[1000];
    size_t n, used, off;
    unsigned records = 0;

    /* The Certificate in one 5004-byte record, then in 700-byte ones. */
    script_big(3000);
    begin(NULL);
    n = server_big(wire, sizeof(big_cert));
    CHECK(feed(wire, n, 1500) == WARDEN_ERR_OK);
    CHECK(!fk.mismatch && fk.step == fk.n_steps);
    CHECK(fk.max_pieces == 5); /* ceil(5004 / 1022) */
    CHECK(fk.flights == 2);
    check_flight_big(WARDEN_TLS_RECORD_MAX);
    warden_tls_close(&tls);
    warden_close(&dev);

    script_big(3000);
    begin(NULL);
    n = server_big(wire, 700);
    CHECK(feed(wire, n, 333) == WARDEN_ERR_OK);
    CHECK(!fk.mismatch && fk.step == fk.n_steps);
    check_flight_big(WARDEN_TLS_RECORD_MAX);
    warden_tls_close(&tls);
    warden_close(&dev);

    /* A record size limit: the flight and the data in 100-byte records. */
    memset(&o, 0, sizeof(o));
    o.record_size = 100;
    script_big(3000);
    begin(&o);
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
    check_flight_big(100);
    memset(data, 0x5a, sizeof(data));
    CHECK(warden_tls_send(&tls, data, sizeof(data), &used) == WARDEN_ERR_OK);
    CHECK(used == sizeof(data));
    n = take_output(out, sizeof(out));
    for (off = 0; off < n; off += used) {
        CHECK(read_client(out + off, n - off, &used, &msg) == WARDEN_REC_OK);
        CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len <= 100);
        records++;
    }
    CHECK(records == 10);
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* A message over WD_TLS_MESSAGE_MAX: decode_error, never forwarded. */
static void
test_too_long(void)
{
    static uint8_t out[256];
    uint8_t head[4] = {0x0b, 0x00, 0x40, 0x00}; /* 16384 + 4 bytes */
    struct warden_rec_msg msg;
    size_t n, used;
    unsigned detail;

    script_big(100);
    begin(NULL);
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, 0x1302,
                 K32_C, IV_C);
    n = server_hello(wire);
    n += seal(WARDEN_CT_HANDSHAKE, EE, sizeof(EE), wire + n);
    n += seal(WARDEN_CT_HANDSHAKE, head, sizeof(head), wire + n);
    CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_PROTOCOL);
    CHECK(warden_tls_last_error(&tls, &detail) == WARDEN_ERR_TLS_PROTOCOL);
    CHECK(detail == WARDEN_ALERT_DECODE_ERROR);
    {
        char want[64];

        snprintf(want, sizeof(want), "over the %d-byte limit",
                 WD_TLS_MESSAGE_MAX);
        CHECK(contains(warden_tls_error(&tls), want));
    }
    CHECK(fk.step == 2); /* ServerHello and EncryptedExtensions only */
    CHECK(fk.closes == 1);

    /* CCS, then decode_error under the client handshake keys. */
    n = take_output(out, sizeof(out));
    CHECK(n == sizeof(CCS_REC) + WARDEN_REC_OVERHEAD + 2);
    CHECK(read_client(out + 6, n - 6, &used, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.alert_level == 2 && msg.alert_desc == 50);
    check_wiped();
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* HelloRetryRequest: the companion's second ClientHello goes out. */
static void
test_hello_retry(void)
{
    static const uint8_t HRR[] = {0x02, 0x00, 0x00, 0x03, 0x03, 0x03, 0xcf};
    static uint8_t out[256];
    struct step *st;
    size_t n;

    script_big(100);
    /* The retry request goes first; the script above follows it. */
    memmove(&fk.steps[1], &fk.steps[0], fk.n_steps * sizeof(fk.steps[0]));
    fk.n_steps++;
    st = &fk.steps[0];
    memcpy(st->msg, HRR, sizeof(HRR));
    st->msg_len = sizeof(HRR);
    st->status = WD_STATUS_OK;
    st->resp[0] = WD_TLS_EV_CLIENT_HELLO;
    memcpy(st->resp + 1, HELLO2, sizeof(HELLO2));
    st->resp_len = 1 + sizeof(HELLO2);

    begin(NULL);
    wire[0] = 22;
    wire[1] = 3;
    wire[2] = 3;
    wire[3] = 0;
    wire[4] = sizeof(HRR);
    memcpy(wire + 5, HRR, sizeof(HRR));
    CHECK(feed(wire, 5 + sizeof(HRR), 100) == WARDEN_ERR_OK);
    n = take_output(out, sizeof(out));
    CHECK(n == 5 + sizeof(HELLO2));
    CHECK(out[0] == 22 && out[4] == sizeof(HELLO2));
    CHECK_MEM(out + 5, HELLO2, sizeof(HELLO2));

    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
    CHECK(warden_tls_connected(&tls) && !fk.mismatch);
    warden_tls_close(&tls);
    warden_close(&dev);

    /* Anything after the retry request in its record is refused. */
    script_big(100);
    memmove(&fk.steps[1], &fk.steps[0], fk.n_steps * sizeof(fk.steps[0]));
    fk.n_steps++;
    memcpy(&fk.steps[0], st, sizeof(*st));
    memcpy(fk.steps[0].msg, HRR, sizeof(HRR));
    fk.steps[0].msg_len = sizeof(HRR);
    fk.steps[0].resp[0] = WD_TLS_EV_CLIENT_HELLO;
    memcpy(fk.steps[0].resp + 1, HELLO2, sizeof(HELLO2));
    fk.steps[0].resp_len = 1 + sizeof(HELLO2);
    fk.steps[0].status = WD_STATUS_OK;
    begin(NULL);
    wire[4] = sizeof(HRR) + sizeof(SH);
    memcpy(wire + 5, HRR, sizeof(HRR));
    memcpy(wire + 5 + sizeof(HRR), SH, sizeof(SH));
    CHECK(feed(wire, 5 + sizeof(HRR) + sizeof(SH), 100) ==
          WARDEN_ERR_TLS_PROTOCOL);
    n = take_output(out, sizeof(out));
    /* The new ClientHello was queued, then the plaintext alert. */
    CHECK(n == 5 + sizeof(HELLO2) + 7);
    CHECK(out[n - 7] == 21 && out[n - 2] == 2 && out[n - 1] == 10);
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* RFC 8446 5.1: nothing after the ServerHello in its record. */
static void
test_key_change_boundary(void)
{
    static uint8_t out[256];
    struct warden_rec_msg msg;
    size_t n, used;

    script_big(100);
    begin(NULL);
    wire[0] = 22;
    wire[1] = 3;
    wire[2] = 3;
    wire[3] = 0;
    wire[4] = sizeof(SH) + 2;
    memcpy(wire + 5, SH, sizeof(SH));
    memcpy(wire + 5 + sizeof(SH), EE, 2);
    CHECK(feed(wire, 5 + sizeof(SH) + 2, 1000) == WARDEN_ERR_TLS_PROTOCOL);
    CHECK(contains(warden_tls_error(&tls), "unexpected_message"));
    n = take_output(out, sizeof(out));
    CHECK(n == sizeof(CCS_REC) + WARDEN_REC_OVERHEAD + 2);
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, 0x1302,
                 K32_C, IV_C);
    CHECK(read_client(out + 6, n - 6, &used, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.alert_desc == WARDEN_ALERT_UNEXPECTED_MESSAGE);
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* Connects with script_big and sets rd to read application records. */
static void
connect_big(void)
{
    size_t n;

    script_big(100);
    begin(NULL);
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
    check_flight_big(WARDEN_TLS_RECORD_MAX);
    CHECK(warden_tls_connected(&tls));
}

/*
 * KeyUpdate (RFC 8446 4.6.3): the server's, with a reply asked for; and
 * our own when the write sequence number nears the AEAD limit.
 */
static void
test_key_update(void)
{
    static const uint8_t KU_REQ[] = {0x18, 0x00, 0x00, 0x01, 0x01};
    static const uint8_t KU_NOT[] = {0x18, 0x00, 0x00, 0x01, 0x00};
    static uint8_t out[1024];
    uint8_t data[40], got[64];
    struct warden_rec_msg msg;
    struct step *st;
    size_t n, used, off;

    connect_big();
    st = add_step(KU_REQ, sizeof(KU_REQ));
    st->resp[0] = WD_TLS_EV_KEY_UPDATE;
    st->resp[1] = 32;
    st->resp_len = 2;
    put_key(st->resp, &st->resp_len, K32_SA2, IV_SA2);
    st->resp[st->resp_len++] = 1;
    fk.ku_resp[0] = 32;
    fk.ku_resp_len = 1;
    put_key(fk.ku_resp, &fk.ku_resp_len, K32_CA2, IV_CA2);
    memcpy(fk.ku_resp + fk.ku_resp_len, KU_NOT, sizeof(KU_NOT));
    fk.ku_resp_len += sizeof(KU_NOT);

    /* The server's KeyUpdate under its old keys, data under the new. */
    n = seal(WARDEN_CT_HANDSHAKE, KU_REQ, sizeof(KU_REQ), wire);
    set_hex_keys(&srv, WARDEN_REC_DIR_WRITE, WARDEN_REC_EPOCH_APPLICATION,
                 0x1302, K32_SA2, IV_SA2);
    memset(data, 0x42, sizeof(data));
    n += seal(WARDEN_CT_APPLICATION_DATA, data, sizeof(data), wire + n);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
    CHECK(warden_tls_take(&tls, got, sizeof(got), &used) == WARDEN_ERR_OK);
    CHECK(used == sizeof(data));
    CHECK_MEM(got, data, sizeof(data));
    /* The answer goes out before our next data, under the old keys. */
    CHECK(fk.key_updates == 1);
    CHECK(warden_tls_send(&tls, data, 10, &used) == WARDEN_ERR_OK);
    CHECK(used == 10);
    n = take_output(out, sizeof(out));
    CHECK(read_client(out, n, &used, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == sizeof(KU_NOT));
    CHECK_MEM(msg.data, KU_NOT, sizeof(KU_NOT));
    off = used;
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, 0x1302,
                 K32_CA2, IV_CA2);
    CHECK(read_client(out + off, n - off, &used, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len == 10);

    /* Near the limit of RFC 8446 5.5, a KeyUpdate of our own. */
    warden_rec_test_set_seq(&warden_tls_engine(&tls)->rec, WARDEN_REC_DIR_WRITE,
                            TLS_KEY_UPDATE_AFTER);
    fk.ku_resp[0] = 32;
    fk.ku_resp_len = 1;
    put_key(fk.ku_resp, &fk.ku_resp_len, K32_C, IV_C);
    memcpy(fk.ku_resp + fk.ku_resp_len, KU_NOT, sizeof(KU_NOT));
    fk.ku_resp_len += sizeof(KU_NOT);
    CHECK(warden_tls_send(&tls, data, 5, &used) == WARDEN_ERR_OK);
    CHECK(used == 5 && fk.key_updates == 2);
    n = take_output(out, sizeof(out));
    warden_rec_test_set_seq(&rd, WARDEN_REC_DIR_READ, TLS_KEY_UPDATE_AFTER);
    CHECK(read_client(out, n, &used, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_HANDSHAKE && msg.len == sizeof(KU_NOT));
    off = used;
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_APPLICATION, 0x1302,
                 K32_C, IV_C);
    CHECK(read_client(out + off, n - off, &used, &msg) == WARDEN_REC_OK);
    CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len == 5);
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* ---- failures ------------------------------------------------------------ */

/* After a failure every call returns the first error, and nothing moves. */
static void
check_sticky(int err, const char *text)
{
    uint8_t b[8] = {0};
    size_t n;

    CHECK(warden_tls_feed(&tls, b, sizeof(b), &n) == err);
    CHECK(n == 0);
    CHECK(warden_tls_send(&tls, b, sizeof(b), &n) == err);
    CHECK(n == 0);
    CHECK(warden_tls_take(&tls, b, sizeof(b), &n) == err);
    CHECK(warden_tls_shutdown(&tls) == err);
    CHECK(!warden_tls_connected(&tls));
    CHECK(contains(warden_tls_error(&tls), text));
    CHECK(warden_tls_last_error(&tls, NULL) == err);
}

struct refusal {
    unsigned alert, reason;
    int err;
    const char *text;
};

/* The companion refuses the Certificate: TLS_STATUS says why. */
static void
test_refusals(void)
{
    static const struct refusal cases[] = {
        {42, 12, WARDEN_ERR_TLS_CERT,
         "server certificate: host name mismatch, wanted example.com"},
        {45, 3, WARDEN_ERR_TLS_CERT, "server certificate: expired"},
        {48, 2, WARDEN_ERR_TLS_CERT,
         "server certificate: no path to a trusted root"},
        {40, 0, WARDEN_ERR_TLS_REFUSED, "(handshake_failure alert sent)"},
        {51, 0, WARDEN_ERR_TLS_REFUSED, "does not verify"},
    };
    static uint8_t out[256];
    struct warden_rec_msg msg;
    size_t i, n, used;
    unsigned detail;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        script_big(100);
        fk.n_steps = 2;
        step_refuse(big_cert, sizeof(big_cert), cases[i].alert,
                    cases[i].reason);
        begin(NULL);
        n = server_big(wire, 4096);
        CHECK(feed(wire, n, n) == cases[i].err);
        if (!contains(warden_tls_error(&tls), cases[i].text)) {
            fprintf(stderr, "message: %s\n", warden_tls_error(&tls));
        }
        CHECK(warden_tls_last_error(&tls, &detail) == cases[i].err);
        CHECK(detail ==
              (cases[i].reason != 0 ? cases[i].reason : cases[i].alert));
        CHECK(fk.statuses == 1 && fk.closes == 1 && !fk.session_open);
        check_sticky(cases[i].err, cases[i].text);

        /* CCS and the companion's alert, under the handshake keys. */
        n = take_output(out, sizeof(out));
        CHECK(n == sizeof(CCS_REC) + WARDEN_REC_OVERHEAD + 2);
        set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE,
                     0x1302, K32_C, IV_C);
        CHECK(read_client(out + 6, n - 6, &used, &msg) ==
              WARDEN_REC_PEER_ALERT);
        CHECK(msg.alert_desc == cases[i].alert);
        CHECK(warden_tls_close(&tls) == cases[i].err);
        CHECK(fk.closes == 1);
        warden_close(&dev);
    }
}

/* TLS_OPEN refused: the reason in words, nothing sent to the server. */
static void
test_open_refused(void)
{
    static const struct {
        unsigned status;
        const char *text;
        int err;
    } cases[] = {
        {WD_STATUS_FULL, "companion: no free TLS session (all 4 in use)",
         WARDEN_ERR_COMPANION},
        {WD_STATUS_POLICY, "outside its policy", WARDEN_ERR_COMPANION},
        {WD_STATUS_RNG_FAILURE, "random generator", WARDEN_ERR_COMPANION},
        /* All else in TLS_OPEN is checked by the host: the name is bad. */
        {WD_STATUS_BAD_PAYLOAD,
         "server name '" NAME "' is not a DNS name or an IP address",
         WARDEN_ERR_ARGUMENT},
    };
    size_t i, n;
    unsigned detail;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fk_reset();
        fk.open_status = cases[i].status;
        CHECK(warden_open_transport(&dev, &fk_transport, NULL) ==
              WARDEN_ERR_OK);
        CHECK(warden_tls_start(&tls, &dev, NAME, NULL) == cases[i].err);
        CHECK(warden_tls_last_error(&tls, &detail) == cases[i].err);
        CHECK(detail == cases[i].status);
        if (!contains(warden_tls_error(&tls), cases[i].text)) {
            fprintf(stderr, "message: %s\n", warden_tls_error(&tls));
            CHECK(0);
        }
        CHECK(warden_tls_output(&tls, &n) == NULL && n == 0);
        CHECK(fk.closes == 0);
        CHECK(warden_tls_close(&tls) == cases[i].err);
        warden_close(&dev);
    }
}

/* What the host checks itself before the companion hears anything. */
static void
test_arguments(void)
{
    static const unsigned chacha[] = {0x1303};
    static const unsigned twice[] = {0x0017, 0x0017};
    static const unsigned groups[] = {0x001d, 0x0018};
    static const unsigned suites[] = {0x1302, 0x1304};
    static const uint8_t want[] = {
        11,  'e', 'x',  'a',  'm',  'p',  'l', 'e',  '.',  'c',  'o', 'm',
        12,  2,   'h',  '2',  8,    'h',  't', 't',  'p',  '/',  '1', '.',
        '1', 2,   0x13, 0x02, 0x13, 0x04, 2,   0x00, 0x1d, 0x00, 0x18};
    struct warden_tls_options o;
    char longname[300];

    fk_reset();
    CHECK(warden_open_transport(&dev, &fk_transport, NULL) == WARDEN_ERR_OK);
    memset(&o, 0, sizeof(o));
    memset(longname, 'a', sizeof(longname));
    longname[254] = '\0';
    CHECK(warden_tls_start(&tls, &dev, longname, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(contains(warden_tls_error(&tls), "bad server name"));
    CHECK(warden_tls_start(&tls, &dev, "", NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_tls_start(&tls, &dev, "a b", NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_tls_start(&tls, NULL, NAME, NULL) == WARDEN_ERR_ARGUMENT);
    o.alpn = "h2,,x";
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_ARGUMENT);
    CHECK(contains(warden_tls_error(&tls), "bad ALPN list"));
    o.alpn = "h2,";
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_ARGUMENT);
    o.alpn = NULL;
    o.suites = chacha;
    o.n_suites = 1;
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_ARGUMENT);
    CHECK(contains(warden_tls_error(&tls), "0x1303 is not one"));
    o.suites = NULL;
    o.n_suites = 0;
    o.groups = twice;
    o.n_groups = 2;
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_ARGUMENT);
    CHECK(contains(warden_tls_error(&tls), "secp256r1 given twice"));
    o.groups = NULL;
    o.record_size = 16385;
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_ARGUMENT);
    CHECK(fk.open_req_len == 0); /* nothing reached the companion */

    /* And the request the companion gets from good options. */
    o.record_size = 0;
    o.alpn = "h2,http/1.1";
    o.suites = suites;
    o.n_suites = 2;
    o.groups = groups;
    o.n_groups = 2;
    o.now = 0x0102030405060708;
    CHECK(warden_tls_start(&tls, &dev, NAME, &o) == WARDEN_ERR_OK);
    CHECK(fk.open_req_len == 8 + sizeof(want));
    CHECK(fk.open_req[0] == 1 && fk.open_req[7] == 8);
    CHECK_MEM(fk.open_req + 8, want, sizeof(want));
    CHECK(warden_tls_close(&tls) == WARDEN_ERR_OK);
    warden_close(&dev);

    /* Calls on a struct that was never started. */
    memset(&tls, 0, sizeof(tls));
    CHECK(warden_tls_feed(&tls, longname, 1, &o.record_size) ==
          WARDEN_ERR_TLS_STATE);
    CHECK(warden_tls_send(&tls, longname, 1, &o.record_size) ==
          WARDEN_ERR_TLS_STATE);
    CHECK(warden_tls_close(&tls) == WARDEN_ERR_OK);
}

/* Alerts from the server, in each phase. */
static void
test_server_alerts(void)
{
    static const uint8_t FAILURE[] = {21, 3, 3, 0, 2, 2, 40};
    static const uint8_t CLOSE[] = {21, 3, 3, 0, 2, 1, 0};
    size_t n, used;
    unsigned detail;

    /* Plaintext, in answer to the ClientHello. */
    script_big(100);
    begin(NULL);
    CHECK(feed(FAILURE, sizeof(FAILURE), 3) == WARDEN_ERR_TLS_ALERT);
    CHECK(strcmp(warden_tls_error(&tls),
                 "server refused: handshake_failure alert") == 0);
    CHECK(warden_tls_last_error(&tls, &detail) == WARDEN_ERR_TLS_ALERT);
    CHECK(detail == 40);
    CHECK(warden_tls_output(&tls, &n) == NULL); /* none sent back */
    CHECK(fk.closes == 1);
    check_sticky(WARDEN_ERR_TLS_ALERT, "handshake_failure");
    warden_tls_close(&tls);
    warden_close(&dev);

    /* close_notify during the handshake is not an end of data. */
    script_big(100);
    begin(NULL);
    CHECK(feed(CLOSE, sizeof(CLOSE), 100) == WARDEN_ERR_TLS_ALERT);
    CHECK(contains(warden_tls_error(&tls), "during the handshake"));
    warden_tls_close(&tls);
    warden_close(&dev);

    /* Encrypted, in the server's flight. */
    script_big(100);
    begin(NULL);
    n = server_hello(wire);
    n += seal(WARDEN_CT_HANDSHAKE, EE, sizeof(EE), wire + n);
    CHECK(warden_rec_write_alert(&srv, 48, wire + n, 64, &used) ==
          WARDEN_REC_OK);
    n += used;
    CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_ALERT);
    CHECK(strcmp(warden_tls_error(&tls), "server refused: unknown_ca alert") ==
          0);
    check_wiped();
    warden_tls_close(&tls);
    warden_close(&dev);

    /* After the handshake: user_canceled is ignored, others end it. */
    connect_big();
    CHECK(warden_rec_write_alert(&srv, WARDEN_ALERT_USER_CANCELED, wire, 64,
                                 &n) == WARDEN_REC_OK);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
    CHECK(warden_rec_write_alert(&srv, 80, wire, 64, &n) == WARDEN_REC_OK);
    CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_ALERT);
    CHECK(strcmp(warden_tls_error(&tls),
                 "server ended the connection: internal_error alert") == 0);
    CHECK(fk.closes == 1);
    warden_tls_close(&tls);
    warden_close(&dev);

    /* user_canceled during the handshake ends it. */
    script_big(100);
    begin(NULL);
    {
        static const uint8_t CANCEL[] = {21, 3, 3, 0, 2, 1, 90};

        CHECK(feed(CANCEL, sizeof(CANCEL), 100) == WARDEN_ERR_TLS_ALERT);
        CHECK(contains(warden_tls_error(&tls), "canceled the handshake"));
    }
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* Records the record layer refuses: the alert it calls for goes back. */
static void
test_bad_records(void)
{
    static uint8_t out[256];
    struct warden_rec_msg msg;
    size_t n, used;
    unsigned detail;

    /* A flipped bit in the RFC 8448 flight: bad_record_mac. */
    script_8448();
    begin(NULL);
    n = server_8448(wire);
    wire[200] ^= 0x01;
    CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_PROTOCOL);
    CHECK(warden_tls_last_error(&tls, &detail) == WARDEN_ERR_TLS_PROTOCOL);
    CHECK(detail == WARDEN_ALERT_BAD_RECORD_MAC);
    CHECK(contains(warden_tls_error(&tls), "bad_record_mac alert sent"));
    n = take_output(out, sizeof(out));
    CHECK(n == sizeof(CCS_REC) + WARDEN_REC_OVERHEAD + 2);
    CHECK_MEM(out, CCS_REC, sizeof(CCS_REC));
    set_hex_keys(&rd, WARDEN_REC_DIR_READ, WARDEN_REC_EPOCH_HANDSHAKE, 0x1301,
                 R8448_C_HS_KEY, R8448_C_HS_IV);
    CHECK(read_client(out + 6, n - 6, &used, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.alert_desc == WARDEN_ALERT_BAD_RECORD_MAC);
    CHECK(fk.closes == 1);
    check_sticky(WARDEN_ERR_TLS_PROTOCOL, "bad_record_mac");
    check_wiped();
    warden_tls_close(&tls);
    warden_close(&dev);

    /* Application data before keys: unexpected_message, in plaintext. */
    script_8448();
    begin(NULL);
    wire[0] = 23;
    wire[1] = 3;
    wire[2] = 3;
    wire[3] = 0;
    wire[4] = 20;
    memset(wire + 5, 0, 20);
    CHECK(feed(wire, 25, 25) == WARDEN_ERR_TLS_PROTOCOL);
    n = take_output(out, sizeof(out));
    CHECK(n == 7 && out[0] == 21 && out[5] == 2 && out[6] == 10);
    warden_tls_close(&tls);
    warden_close(&dev);

    /* Application data between two pieces of a NewSessionTicket. */
    connect_big();
    {
        static const uint8_t NST_HEAD[] = {0x04, 0x00, 0x00, 0x08, 1, 2};

        n = seal(WARDEN_CT_HANDSHAKE, NST_HEAD, sizeof(NST_HEAD), wire);
        n += seal(WARDEN_CT_APPLICATION_DATA, NST_HEAD, 3, wire + n);
        CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_PROTOCOL);
        CHECK(contains(warden_tls_error(&tls), "inside a handshake message"));
        n = take_output(out, sizeof(out));
        CHECK(read_client(out, n, &used, &msg) == WARDEN_REC_PEER_ALERT);
        CHECK(msg.alert_desc == WARDEN_ALERT_UNEXPECTED_MESSAGE);
    }
    warden_tls_close(&tls);
    warden_close(&dev);
}

/* A companion out of its protocol: internal_error to the server. */
static void
test_bad_companion(void)
{
    static uint8_t out[256];
    size_t n;

    /* HANDSHAKE_KEYS one byte short. */
    script_big(100);
    fk.steps[0].resp_len--;
    begin(NULL);
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_PROTOCOL);
    CHECK(contains(warden_tls_error(&tls), "companion: TLS_RECEIVE"));
    n = take_output(out, sizeof(out));
    CHECK(n == 7 && out[0] == 21 && out[6] == WARDEN_ALERT_INTERNAL_ERROR);
    warden_tls_close(&tls);
    warden_close(&dev);

    /* CONNECTED in answer to the ServerHello. */
    script_big(100);
    memcpy(fk.steps[0].resp, fk.steps[3].resp, fk.steps[3].resp_len);
    fk.steps[0].resp_len = fk.steps[3].resp_len;
    begin(NULL);
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_PROTOCOL);
    CHECK(contains(warden_tls_error(&tls),
                   "event 3 while waiting for the ServerHello"));
    warden_tls_close(&tls);
    warden_close(&dev);

    /* An event in answer to part of a message. */
    script_big(100);
    begin(NULL);
    fk.more_event = WD_TLS_EV_CONNECTED;
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_PROTOCOL);
    CHECK(contains(warden_tls_error(&tls), "part of a message"));
    warden_tls_close(&tls);
    warden_close(&dev);

    /* A refusal the script did not expect: the bus status, in words. */
    script_big(100);
    fk.n_steps = 2;
    begin(NULL);
    n = server_big(wire, 4096);
    CHECK(feed(wire, n, n) == WARDEN_ERR_COMPANION);
    CHECK(contains(warden_tls_error(&tls), "malformed request payload"));
    warden_tls_close(&tls);
    warden_close(&dev);
}

static void
test_sizes(void)
{
    printf("sizeof(struct warden_tls) = %zu (engine %zu, record layer %zu, "
           "read buffer %d, output %d)\n",
           sizeof(struct warden_tls), sizeof(struct tls_engine),
           sizeof(struct warden_rec), WARDEN_REC_READ_BUF, TLS_OUT_MAX);
    CHECK(sizeof(struct warden_tls) <= 40 * 1024);
    CHECK(sizeof(struct tls_engine) <= sizeof(struct warden_tls));
}

/* ---- TLS 1.2 (issue 5) --------------------------------------------------- */

static const char K16_C[] = "3132333435363738393a3b3c3d3e3f40";
static const char K16_S[] = "4142434445464748494a4b4c4d4e4f50";
static const char SALT_C[] = "a1a2a3a4";
static const char SALT_S[] = "b1b2b3b4";
static const uint8_t SH12[] = {0x02, 0x00, 0x00, 0x03, 0x03, 0x03, 0x12};
static const uint8_t CERT12[] = {0x0b, 0x00, 0x00, 0x03, 0xc1, 0xc2, 0xc3};
static const uint8_t SHD[] = {0x0e, 0x00, 0x00, 0x00};
static const uint8_t SFIN12[] = {0x14, 0x00, 0x00, 0x0c, 0x51, 0x52,
                                 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
                                 0x59, 0x5a, 0x5b, 0x5c};

/* What the fake companion answers for TLS 1.2: 1.2 event, keys, done. */
static void
script_tls12(size_t flight_len)
{
    struct step *st;
    size_t i;

    fk_reset();
    /* The flight: one long message, then a 16-byte Finished. */
    fk.flight_len = flight_len;
    fk.flight[0] = 0x10;
    fk.flight[1] = 0;
    wd_put16(fk.flight + 2, (uint16_t)(flight_len - 16 - 4));
    for (i = 4; i < flight_len - 16; i++) {
        fk.flight[i] = (uint8_t)(i * 5 + 3);
    }
    fk.flight[flight_len - 16] = 0x14;
    fk.flight[flight_len - 15] = 0;
    fk.flight[flight_len - 14] = 0;
    fk.flight[flight_len - 13] = 12;
    memset(fk.flight + flight_len - 12, 0xf9, 12);

    st = add_step(SH12, sizeof(SH12));
    st->resp[0] = WD_TLS_EV_TLS12;
    wd_put16(st->resp + 1, WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    st->resp_len = 3;
    step_continue(CERT12, sizeof(CERT12));
    st = add_step(SHD, sizeof(SHD));
    st->resp[0] = WD_TLS_EV_TLS12_KEYS;
    st->resp[1] = 16;
    st->resp_len = 2;
    st->resp_len += unhex(K16_C, st->resp + st->resp_len, 16);
    st->resp_len += unhex(SALT_C, st->resp + st->resp_len, 4);
    st->resp_len += unhex(K16_S, st->resp + st->resp_len, 16);
    st->resp_len += unhex(SALT_S, st->resp + st->resp_len, 4);
    wd_put16(st->resp + st->resp_len, (uint16_t)flight_len);
    wd_put16(st->resp + st->resp_len + 2, 16);
    st->resp_len += 4;
    st = add_step(SFIN12, sizeof(SFIN12));
    st->resp[0] = WD_TLS_EV_TLS12_DONE;
    st->resp_len = 1;
}

/* The server's plaintext flight as records. */
static size_t
server12(uint8_t *w)
{
    size_t n = 0;

    n += seal(WARDEN_CT_HANDSHAKE, SH12, sizeof(SH12), w + n);
    n += seal(WARDEN_CT_HANDSHAKE, CERT12, sizeof(CERT12), w + n);
    n += seal(WARDEN_CT_HANDSHAKE, SHD, sizeof(SHD), w + n);
    return n;
}

static void
set_keys12(struct warden_rec *rec, int dir, const char *key, const char *salt)
{
    uint8_t k[16], v[4];

    unhex(key, k, sizeof(k));
    unhex(salt, v, sizeof(v));
    CHECK(warden_rec_set_keys(rec, dir, WARDEN_REC_EPOCH_APPLICATION,
                              WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                              k, sizeof(k), v) == WARDEN_REC_OK);
}

/*
 * Reads the client's TLS 1.2 flight: plaintext records, the CCS, then
 * the Finished under the client write key; all the companion's bytes.
 */
static void
check_flight12(void)
{
    static uint8_t out[WIRE_MAX];
    static uint8_t plain[8192];
    struct warden_rec_msg msg;
    size_t n, off = 0, used, got = 0;
    int rc;

    n = take_output(out, sizeof(out));
    CHECK(warden_rec_set_version(&rd, WARDEN_TLS_1_2) == WARDEN_REC_OK);
    while (off < n) {
        rc = read_client(out + off, n - off, &used, &msg);
        off += used;
        if (rc != WARDEN_REC_OK) {
            CHECK(rc == WARDEN_REC_OK);
            return;
        }
        if (msg.type == WARDEN_CT_CHANGE_CIPHER_SPEC) {
            /* The plaintext part ends exactly at the Finished. */
            CHECK(got == fk.flight_len - 16);
            set_keys12(&rd, WARDEN_REC_DIR_READ, K16_C, SALT_C);
            continue;
        }
        CHECK(msg.type == WARDEN_CT_HANDSHAKE);
        memcpy(plain + got, msg.data, msg.len);
        got += msg.len;
    }
    CHECK(got == fk.flight_len);
    CHECK_MEM(plain, fk.flight, fk.flight_len);
    CHECK(warden_rec_seq(&rd, WARDEN_REC_DIR_READ) == 1);
}

/* Up to the client's flight: the engine waits for the server's CCS. */
static void
tls12_up_to_flight(size_t flight_len)
{
    size_t n;

    script_tls12(flight_len);
    begin(NULL);
    CHECK(warden_rec_set_version(&srv, WARDEN_TLS_1_2) == WARDEN_REC_OK);
    n = server12(wire);
    CHECK(feed(wire, n, 7) == WARDEN_ERR_OK);
    CHECK(!fk.mismatch && fk.step == 3);
    CHECK(!warden_tls_connected(&tls));
    check_flight12();
}

/*
 * A whole TLS 1.2 handshake and data both ways, with flights shorter
 * and longer than one TLS_FLIGHT piece.
 */
static void
test_tls12_handshake(void)
{
    static const size_t flights[] = {200, 2048 + 10, 2048 + 16, 3000};
    static uint8_t out[WIRE_MAX];
    struct warden_tls_info info;
    struct warden_rec_msg msg;
    uint8_t got[64];
    size_t i, n, used, take;

    for (i = 0; i < sizeof(flights) / sizeof(flights[0]); i++) {
        tls12_up_to_flight(flights[i]);
        /* The server's CCS, Finished and first data, in one read. */
        n = 0;
        CHECK(warden_rec_write_ccs(&srv, wire, 6, &used) == WARDEN_REC_OK);
        n += used;
        set_keys12(&srv, WARDEN_REC_DIR_WRITE, K16_S, SALT_S);
        n += seal(WARDEN_CT_HANDSHAKE, SFIN12, sizeof(SFIN12), wire + n);
        n += seal(WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"pong", 4,
                  wire + n);
        CHECK(feed(wire, n, n) == WARDEN_ERR_OK);
        CHECK(warden_tls_connected(&tls));
        CHECK(!fk.mismatch && fk.step == 4);
        CHECK(warden_tls_take(&tls, got, sizeof(got), &take) ==
              WARDEN_ERR_OK);
        CHECK(take == 4 && memcmp(got, "pong", 4) == 0);
        CHECK(warden_tls_send(&tls, "ping", 4, &used) == WARDEN_ERR_OK &&
              used == 4);
        n = take_output(out, sizeof(out));
        CHECK(n == 5 + 8 + 4 + 16);
        CHECK(read_client(out, n, &used, &msg) == WARDEN_REC_OK);
        CHECK(msg.type == WARDEN_CT_APPLICATION_DATA && msg.len == 4 &&
              memcmp(msg.data, "ping", 4) == 0);
        /* The version comes from the companion's status. */
        fk.status_len = WD_TLSS_FIXED_LEN;
        memset(fk.status, 0, sizeof(fk.status));
        fk.status[WD_TLSS_STATE] = 2;
        wd_put16(fk.status + WD_TLSS_VERSION, 0x0303);
        wd_put16(fk.status + WD_TLSS_SUITE, 0xc02b);
        CHECK(warden_tls_info(&tls, &info) == WARDEN_ERR_OK);
        CHECK(info.version == 0x0303 && info.suite == 0xc02b);
        CHECK(strcmp(warden_tls_suite_name(info.suite),
                     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") == 0);
        /* No KeyUpdate in TLS 1.2: nothing asks the companion for one. */
        CHECK(fk.key_updates == 0);
        CHECK(warden_tls_close(&tls) == WARDEN_ERR_OK);
        warden_close(&dev);
    }
}

/* expect_fail12: the server's bytes fail the connection with text. */
static void
expect_fail12(const uint8_t *w, size_t n, int err, const char *text)
{
    CHECK(feed(w, n, n) == err);
    if (!contains(warden_tls_error(&tls), text)) {
        fprintf(stderr, "message: %s\n", warden_tls_error(&tls));
    }
    check_sticky(err, text);
    CHECK(!warden_tls_connected(&tls));
    CHECK(fk.closes == 1);
    warden_tls_close(&tls);
    warden_close(&dev);
}

/*
 * The server breaks TLS 1.2's order: a ChangeCipherSpec before the
 * client's flight, application data before its Finished, a second
 * ChangeCipherSpec. And a companion that answers out of its protocol.
 */
static void
test_tls12_out_of_order(void)
{
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    struct step *st;
    size_t n;

    /* CCS while the server's plaintext flight is still coming. */
    script_tls12(200);
    begin(NULL);
    CHECK(warden_rec_set_version(&srv, WARDEN_TLS_1_2) == WARDEN_REC_OK);
    n = seal(WARDEN_CT_HANDSHAKE, SH12, sizeof(SH12), wire);
    memcpy(wire + n, ccs, sizeof(ccs));
    expect_fail12(wire, n + sizeof(ccs), WARDEN_ERR_TLS_PROTOCOL,
                  "ChangeCipherSpec while reading the server's TLS 1.2 "
                  "flight");

    /* Application data between the CCS and the Finished. */
    tls12_up_to_flight(200);
    memcpy(wire, ccs, sizeof(ccs));
    n = sizeof(ccs);
    set_keys12(&srv, WARDEN_REC_DIR_WRITE, K16_S, SALT_S);
    n += seal(WARDEN_CT_APPLICATION_DATA, (const uint8_t *)"early", 5,
              wire + n);
    expect_fail12(wire, n, WARDEN_ERR_TLS_PROTOCOL,
                  "application data before its Finished");

    /* Two ChangeCipherSpecs. */
    tls12_up_to_flight(200);
    memcpy(wire, ccs, sizeof(ccs));
    memcpy(wire + sizeof(ccs), ccs, sizeof(ccs));
    expect_fail12(wire, 2 * sizeof(ccs), WARDEN_ERR_TLS_PROTOCOL,
                  "record of a type not allowed here");

    /* The companion names a TLS 1.3 suite for TLS 1.2. */
    script_tls12(200);
    wd_put16(fk.steps[0].resp + 1, WARDEN_TLS_AES_128_GCM_SHA256);
    begin(NULL);
    n = seal(WARDEN_CT_HANDSHAKE, SH12, sizeof(SH12), wire);
    expect_fail12(wire, n, WARDEN_ERR_PROTOCOL,
                  "TLS12 event with a suite the record layer cannot use");

    /* Keys of the wrong length; a flight without room for a Finished. */
    script_tls12(200);
    fk.steps[2].resp_len -= 1;
    begin(NULL);
    CHECK(warden_rec_set_version(&srv, WARDEN_TLS_1_2) == WARDEN_REC_OK);
    n = server12(wire);
    expect_fail12(wire, n, WARDEN_ERR_PROTOCOL,
                  "TLS12_KEYS event of the wrong length");
    script_tls12(200);
    st = &fk.steps[2];
    wd_put16(st->resp + st->resp_len - 2, 4);
    begin(NULL);
    CHECK(warden_rec_set_version(&srv, WARDEN_TLS_1_2) == WARDEN_REC_OK);
    n = server12(wire);
    expect_fail12(wire, n, WARDEN_ERR_PROTOCOL,
                  "flight that does not end in a Finished");
}

/* A HelloRequest after the handshake: the companion's refusal, in words. */
static void
test_tls12_renegotiation(void)
{
    static const uint8_t hello_request[] = {0x00, 0x00, 0x00, 0x00};
    static uint8_t out[256];
    struct warden_rec_msg msg;
    size_t n, used;

    tls12_up_to_flight(200);
    step_refuse(hello_request, sizeof(hello_request), 100,
                WD_TLS_REASON_RENEGOTIATION);
    memcpy(wire, "\x14\x03\x03\x00\x01\x01", 6);
    n = 6;
    set_keys12(&srv, WARDEN_REC_DIR_WRITE, K16_S, SALT_S);
    n += seal(WARDEN_CT_HANDSHAKE, SFIN12, sizeof(SFIN12), wire + n);
    CHECK(feed(wire, n, n) == WARDEN_ERR_OK && warden_tls_connected(&tls));
    n = seal(WARDEN_CT_HANDSHAKE, hello_request, sizeof(hello_request), wire);
    CHECK(feed(wire, n, n) == WARDEN_ERR_TLS_REFUSED);
    CHECK(contains(warden_tls_error(&tls),
                   "the server asked to renegotiate, which the companion "
                   "refuses (no_renegotiation alert sent)"));
    /* The alert at warning level, under the client write key. */
    n = take_output(out, sizeof(out));
    CHECK(read_client(out, n, &used, &msg) == WARDEN_REC_PEER_ALERT);
    CHECK(msg.alert_level == WARDEN_ALERT_LEVEL_WARNING &&
          msg.alert_desc == 100);
    warden_tls_close(&tls);
    warden_close(&dev);
}

int
main(void)
{
    test_sizes();
    test_rfc8448((size_t)-1);
    test_rfc8448(1);
    test_rfc8448(5);
    test_split_points();
    test_big_messages();
    test_too_long();
    test_hello_retry();
    test_key_change_boundary();
    test_key_update();
    test_refusals();
    test_open_refused();
    test_arguments();
    test_server_alerts();
    test_bad_records();
    test_bad_companion();
    test_tls12_handshake();
    test_tls12_out_of_order();
    test_tls12_renegotiation();
    return wt_finish("tls");
}
