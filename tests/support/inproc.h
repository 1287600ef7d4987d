/*
 * An in-process transport: libwarden talks to a companion that lives in
 * the same process, over struct warden_transport, with no daemon and no
 * socket. The byte stream behaves like wardend's: frames are handed to
 * the companion as they complete, a broken stream gets its error
 * response and is then closed.
 *
 * Tests can tamper with each response before the host reads it, to see
 * how the host library copes with a companion that misbehaves.
 *
 *   static struct wt_inproc ip;
 *   struct warden_dev dev;
 *
 *   wt_inproc_start(&ip, NULL, NULL, 1);
 *   warden_open_transport(&dev, &wt_inproc_transport, &ip);
 *   ...
 *   warden_close(&dev);
 *   wt_inproc_stop(&ip);
 */
#ifndef WT_INPROC_H
#define WT_INPROC_H

#include <stddef.h>
#include <stdint.h>

#include "memplat.h"
#include "warden.h"
#include "wc_companion.h"

/*
 * Called with each response frame before the host reads it. It may
 * change the bytes and *len (up to cap). Returns WT_TAMPER_PASS to send
 * them, WT_TAMPER_HANG_UP to send them and close the stream, or
 * WT_TAMPER_DROP to close the stream without sending anything.
 */
#define WT_TAMPER_PASS 0
#define WT_TAMPER_HANG_UP 1
#define WT_TAMPER_DROP (-1)

typedef int (*wt_tamper_fn)(void *arg, uint8_t *buf, size_t *len, size_t cap);

#define WT_INPROC_QUEUE (4 * WD_MAX_FRAME)

struct wt_inproc {
    struct wc_companion *companion;
    struct wt_memplat *plat;
    struct wc_channel channel;
    int started;  /* wc_companion_init() succeeded */
    int init_err; /* its result */

    /* host to companion: bytes of the frame being received */
    uint8_t in[WD_MAX_FRAME];
    size_t in_len;

    /* companion to host: responses not read yet */
    uint8_t out[WT_INPROC_QUEUE];
    size_t out_len;
    size_t out_pos;

    int closed; /* the companion side hung up */

    wt_tamper_fn tamper;
    void *tamper_arg;

    size_t frames_in; /* request frames handled */
};

/* The transport; its ctx is a struct wt_inproc. */
extern const struct warden_transport wt_inproc_transport;

/*
 * Powers up a companion. companion and plat may be NULL: a static one of
 * each is used then (so only one such wt_inproc may run at a time), and
 * the static platform is initialised with seed. A caller's plat is used
 * as it is. Returns the result of wc_companion_init(); on failure the
 * companion answers every frame with an error, as a board would.
 */
int wt_inproc_start(struct wt_inproc *p, struct wc_companion *companion,
                    struct wt_memplat *plat, uint64_t seed);

/* Powers the companion down (wipes it). */
void wt_inproc_stop(struct wt_inproc *p);

/*
 * A new connection on the same companion, as when a host reconnects to
 * wardend: the channel starts again at sequence 0 and the stream is
 * open.
 */
void wt_inproc_reconnect(struct wt_inproc *p);

#endif
