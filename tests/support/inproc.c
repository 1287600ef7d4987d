/* The in-process transport; see inproc.h. */
#include "inproc.h"

#include <string.h>

static struct wc_companion default_companion;
static struct wt_memplat default_plat;

/* Appends a response to the queue, after the test's tampering. */
static void
queue_response(struct wt_inproc *p, const uint8_t *frame, size_t len)
{
    uint8_t buf[WD_MAX_FRAME];
    int verdict = WT_TAMPER_PASS;

    memcpy(buf, frame, len);
    if (p->tamper != NULL) {
        verdict = p->tamper(p->tamper_arg, buf, &len, sizeof(buf));
    }
    if (verdict == WT_TAMPER_DROP) {
        p->closed = 1;
        return;
    }
    /* Unread bytes move to the front: the queue is a line, not a ring. */
    if (p->out_pos > 0) {
        memmove(p->out, p->out + p->out_pos, p->out_len - p->out_pos);
        p->out_len -= p->out_pos;
        p->out_pos = 0;
    }
    if (len > sizeof(p->out) - p->out_len) {
        /* A host that never reads: a real daemon would block. */
        p->closed = 1;
        return;
    }
    memcpy(p->out + p->out_len, buf, len);
    p->out_len += len;
    if (verdict == WT_TAMPER_HANG_UP) {
        p->closed = 1;
    }
}

/* Runs the companion on the bytes gathered so far, as wardend does. */
static void
feed(struct wt_inproc *p)
{
    uint8_t resp[WD_MAX_FRAME];
    enum wd_frame_result res;
    enum wd_status status;
    size_t frame_len;
    size_t n;

    res = wd_frame_check(p->in, p->in_len, &frame_len, &status);
    if (res == WD_FRAME_NEED_MORE) {
        return;
    }
    if (res == WD_FRAME_BROKEN) {
        /* Answer once with the reason, then hang up. */
        n = wc_companion_handle(p->companion, &p->channel, p->in, p->in_len,
                                resp);
        queue_response(p, resp, n);
        p->closed = 1;
        p->in_len = 0;
        return;
    }
    p->frames_in++;
    n = wc_companion_handle(p->companion, &p->channel, p->in, frame_len, resp);
    queue_response(p, resp, n);
    memmove(p->in, p->in + frame_len, p->in_len - frame_len);
    p->in_len -= frame_len;
}

static int
inproc_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct wt_inproc *p = ctx;
    size_t n;

    while (len > 0) {
        if (p->closed) {
            return WARDEN_ERR_CLOSED;
        }
        /*
         * Byte by byte up to a header, then the rest of the frame: the
         * companion sees frames exactly as wd_frame_check() cuts them.
         */
        n = sizeof(p->in) - p->in_len;
        if (n > len) {
            n = len;
        }
        if (p->in_len < WD_HEADER_LEN && n > WD_HEADER_LEN - p->in_len) {
            n = WD_HEADER_LEN - p->in_len;
        }
        memcpy(p->in + p->in_len, buf, n);
        p->in_len += n;
        buf += n;
        len -= n;
        feed(p);
    }
    return WARDEN_ERR_OK;
}

static int
inproc_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct wt_inproc *p = ctx;
    size_t avail = p->out_len - p->out_pos;

    if (avail < len) {
        /*
         * Nothing more will come: a closed stream ends, an open one
         * would wait for ever, which a socket reports as a timeout.
         */
        memcpy(buf, p->out + p->out_pos, avail);
        p->out_pos = p->out_len;
        return p->closed ? WARDEN_ERR_CLOSED : WARDEN_ERR_TIMEOUT;
    }
    memcpy(buf, p->out + p->out_pos, len);
    p->out_pos += len;
    return WARDEN_ERR_OK;
}

static void
inproc_close(void *ctx)
{
    struct wt_inproc *p = ctx;

    wc_companion_release(p->companion, &p->channel);
    p->closed = 1;
}

const struct warden_transport wt_inproc_transport = {
    inproc_send,
    inproc_recv,
    inproc_close,
};

int
wt_inproc_start(struct wt_inproc *p, struct wc_companion *companion,
                struct wt_memplat *plat, uint64_t seed)
{
    memset(p, 0, sizeof(*p));
    if (plat == NULL) {
        plat = &default_plat;
        wt_memplat_init(plat, seed);
    }
    p->companion = companion != NULL ? companion : &default_companion;
    p->plat = plat;
    wc_channel_init(&p->channel);
    p->init_err = wc_companion_init(p->companion, &plat->plat);
    p->started = p->init_err == WC_OK;
    return p->init_err;
}

void
wt_inproc_stop(struct wt_inproc *p)
{
    wc_companion_wipe(p->companion);
    p->started = 0;
    p->closed = 1;
}

void
wt_inproc_reconnect(struct wt_inproc *p)
{
    wc_companion_release(p->companion, &p->channel);
    wc_channel_init(&p->channel);
    p->in_len = 0;
    p->out_len = 0;
    p->out_pos = 0;
    p->closed = 0;
}
