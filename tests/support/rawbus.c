/* Raw bus frames for companion tests; see rawbus.h. */
#include "rawbus.h"

#include <string.h>

#include "check.h"

enum wd_status
wt_xfer(struct wc_companion *c, struct wc_channel *ch, uint8_t cmd,
        uint8_t flags, uint16_t seq, const void *payload, size_t len,
        struct wt_reply *r)
{
    uint8_t frame[WD_MAX_FRAME], out[WD_MAX_FRAME];
    struct wd_header h = {WD_PROTO_VERSION, 0, 0, 0, 0, 0};
    const uint8_t *p;
    size_t n, flen;

    h.command = cmd;
    h.flags = flags;
    h.seq = seq;
    h.length = (uint16_t)len;
    flen = wd_frame_encode(&h, payload, frame, sizeof(frame));
    CHECK(flen > 0);
    n = wc_companion_handle(c, ch, frame, flen, out);
    CHECK(wd_frame_decode(out, n, &r->h, &p) == WD_STATUS_OK);
    CHECK(r->h.flags & WD_FLAG_RESPONSE);
    CHECK(r->h.command == cmd && r->h.seq == seq);
    if (p != NULL) {
        memcpy(r->payload, p, r->h.length);
    }
    return (enum wd_status)r->h.status;
}

enum wd_status
wt_call(struct wc_companion *c, struct wc_channel *ch, uint8_t cmd,
        const void *req, size_t len, uint8_t *resp, size_t *resp_len)
{
    static struct wt_reply r;
    const uint8_t *in = req;
    enum wd_status st;
    size_t off = 0, n, got = 0;

    do {
        n = len - off > WD_MAX_PAYLOAD ? WD_MAX_PAYLOAD : len - off;
        st = wt_xfer(c, ch, cmd, off + n < len ? WD_FLAG_MORE : 0,
                     ch->next_seq, in + off, n, &r);
        off += n;
    } while (st == WD_STATUS_OK && off < len);
    while (st == WD_STATUS_OK) {
        CHECK(got + r.h.length <= WD_MAX_MESSAGE);
        memcpy(resp + got, r.payload, r.h.length);
        got += r.h.length;
        if (!(r.h.flags & WD_FLAG_MORE)) {
            break;
        }
        st = wt_xfer(c, ch, WD_CMD_CONTINUE, 0, ch->next_seq, NULL, 0, &r);
    }
    if (resp_len != NULL) {
        *resp_len = got;
    }
    return st;
}
