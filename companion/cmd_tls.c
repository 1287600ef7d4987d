/*
 * TLS bus commands: session slots, the shared work area, and the
 * handshake authority (tls13_client.c) behind them. docs/protocol.md
 * section 7 has the payloads.
 */
#include <string.h>

#include "commands.h"
#include "wc_wipe.h"

#define FLIGHT_CHUNK 2048

static void
release_work(struct wc_companion *c)
{
    wc_wipe(c->tls_work, c->tls_work_len);
    c->tls_work_len = 0;
    c->tls_work_user = -1;
    c->tls_work_flight = 0;
}

/*
 * The session a request names, or NULL if it is not in use or belongs
 * to another channel: one host process cannot drive, or take keys out
 * of, another's session.
 */
static struct wc_tls_session *
session(struct wc_companion *c, const uint8_t *req, size_t req_len,
        size_t need)
{
    if (req_len < need || req[0] >= WD_TLS_SESSIONS ||
        c->tls[req[0]].state == WC_TLS_FREE ||
        c->tls[req[0]].owner != c->current) {
        return NULL;
    }
    return &c->tls[req[0]];
}

void
wc_tls_release(struct wc_companion *c, const struct wc_channel *ch)
{
    unsigned i;

    for (i = 0; i < WD_TLS_SESSIONS; i++) {
        if (c->tls[i].state != WC_TLS_FREE &&
            (ch == NULL || c->tls[i].owner == ch)) {
            if (c->tls_work_user == (int)i) {
                release_work(c);
            }
            wc_tls_wipe(&c->tls[i]);
        }
    }
}

WC_HANDLER(wc_cmd_tls_open)
{
    unsigned i;
    enum wd_status status;
    size_t n;

    for (i = 0; i < WD_TLS_SESSIONS; i++) {
        if (c->tls[i].state == WC_TLS_FREE) {
            break;
        }
    }
    if (i == WD_TLS_SESSIONS) {
        return WD_STATUS_FULL;
    }
    status = wc_tls_open(c, &c->tls[i], req, req_len, resp + 1,
                         WD_MAX_MESSAGE - 1, &n);
    if (status != WD_STATUS_OK) {
        wc_tls_wipe(&c->tls[i]);
        return status;
    }
    c->tls[i].owner = c->current;
    resp[0] = (uint8_t)i;
    *resp_len = 1 + n;
    return WD_STATUS_OK;
}

WC_HANDLER(wc_cmd_tls_receive)
{
    struct wc_tls_session *s = session(c, req, req_len, 2);
    int index = req_len > 0 ? req[0] : -1;
    const uint8_t *data = req + 2;
    size_t len = req_len - 2;
    enum wd_status status;

    if (s == NULL) {
        return req_len < 2 ? WD_STATUS_BAD_PAYLOAD : WD_STATUS_NO_SESSION;
    }
    if ((req[1] & ~WD_TLS_MORE) != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    /* A failed session takes nothing more, not even into the work area. */
    if (s->state == WC_TLS_FAILED) {
        return WD_STATUS_TLS_FAILED;
    }
    if (c->tls_work_user != -1 && c->tls_work_user != index) {
        return WD_STATUS_BUSY;
    }
    if (c->tls_work_user == index && c->tls_work_flight) {
        /* The last flight was not read: the host is out of step. */
        return WD_STATUS_NOT_ALLOWED;
    }

    /* A message in several parts is put together in the work area. */
    if ((req[1] & WD_TLS_MORE) || c->tls_work_user == index) {
        if (len > sizeof(c->tls_work) - c->tls_work_len) {
            release_work(c);
            return wc_tls_abort(s, WC_ALERT_DECODE_ERROR);
        }
        memcpy(c->tls_work + c->tls_work_len, data, len);
        c->tls_work_len += len;
        c->tls_work_user = index;
        if (req[1] & WD_TLS_MORE) {
            resp[0] = WD_TLS_EV_CONTINUE;
            *resp_len = 1;
            return WD_STATUS_OK;
        }
        data = c->tls_work;
        len = c->tls_work_len;
    }

    /*
     * The flight is written into the work area; the message it answers
     * (a Finished) has been read in full by then, even if it is there.
     */
    status = wc_tls_receive(c, s, data, len, resp, WD_MAX_MESSAGE, resp_len,
                            c->tls_work, sizeof(c->tls_work));
    if (status == WD_STATUS_OK && (resp[0] == WD_TLS_EV_CONNECTED ||
                                   resp[0] == WD_TLS_EV_TLS12_KEYS)) {
        c->tls_work_user = index;
        c->tls_work_flight = 1;
        c->tls_work_len = s->flight_len;
    } else if (c->tls_work_user == index) {
        release_work(c);
    }
    return status;
}

WC_HANDLER(wc_cmd_tls_flight)
{
    struct wc_tls_session *s = session(c, req, req_len, 3);
    size_t offset, n;

    if (s == NULL || req_len != 3) {
        return s == NULL && req_len == 3 ? WD_STATUS_NO_SESSION
                                         : WD_STATUS_BAD_PAYLOAD;
    }
    if (c->tls_work_user != req[0] || !c->tls_work_flight) {
        return WD_STATUS_NOT_FOUND;
    }
    offset = wd_get16(req + 1);
    if (offset > c->tls_work_len) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    n = c->tls_work_len - offset;
    if (n > FLIGHT_CHUNK) {
        n = FLIGHT_CHUNK;
    }
    memcpy(resp, c->tls_work + offset, n);
    *resp_len = n;
    if (offset + n == c->tls_work_len) {
        release_work(c);
    }
    return WD_STATUS_OK;
}

WC_HANDLER(wc_cmd_tls_key_update)
{
    struct wc_tls_session *s = session(c, req, req_len, 2);

    if (s == NULL || req_len != 2) {
        return s == NULL && req_len == 2 ? WD_STATUS_NO_SESSION
                                         : WD_STATUS_BAD_PAYLOAD;
    }
    /* The server's direction moves only when the server says so. */
    if (req[1] != WD_TLS_CLIENT_WRITE) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    return wc_tls_key_update(s, resp, WD_MAX_MESSAGE, resp_len);
}

WC_HANDLER(wc_cmd_tls_status)
{
    struct wc_tls_session *s = session(c, req, req_len, 1);

    if (req_len != 1 || req[0] >= WD_TLS_SESSIONS) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (s == NULL) {
        return WD_STATUS_NO_SESSION;
    }
    *resp_len = wc_tls_status(s, resp);
    return WD_STATUS_OK;
}

WC_HANDLER(wc_cmd_tls_close)
{
    struct wc_tls_session *s = session(c, req, req_len, 1);

    (void)resp;
    *resp_len = 0;
    if (req_len != 1 || req[0] >= WD_TLS_SESSIONS) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (s == NULL) {
        return WD_STATUS_NO_SESSION;
    }
    if (c->tls_work_user == req[0]) {
        release_work(c);
    }
    wc_tls_wipe(s);
    return WD_STATUS_OK;
}
