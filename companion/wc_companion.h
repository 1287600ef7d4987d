/*
 * The companion firmware as the platform sees it: initialise it once at
 * power-up, hand it each bus frame, send back what it writes.
 *
 * The companion never allocates: the platform provides struct
 * wc_companion (about 80 KB) and keeps it for the whole power cycle.
 */
#ifndef WC_COMPANION_H
#define WC_COMPANION_H

#include <stddef.h>
#include <stdint.h>

#include "wd_proto.h"
#include "wc_errors.h"
#include "wc_platform.h"
#include "rng.h"
#include "store.h"
#include "ecdhe.h"
#include "tls13_client.h"
#include "verify.h"

#define WC_FW_VERSION_MAJOR 0
#define WC_FW_VERSION_MINOR 1
#define WC_FW_VERSION_PATCH 0

/*
 * One host connection on the bus. Sequence numbers start at 0 on a new
 * channel and go up by one per request.
 */
struct wc_channel {
    uint16_t next_seq;
    /* The platform's handle for the host on it (wc_platform.measure_host). */
    const void *peer;
    /*
     * The host's last boot report (boot.h), valid while boot_epoch is
     * the companion's: a reset forgets every report at once.
     */
    uint64_t boot_epoch;
    uint8_t boot_result; /* WD_BOOT_* */
    uint32_t host_version;
    uint8_t measurement[WD_MEASUREMENT_LEN];
};

/* Fields are private. */
struct wc_companion {
    const struct wc_platform *plat;
    struct wc_store store;
    struct wc_rng rng;
    int started;

    /*
     * One message buffer pair, as on a chip: a chunked request being
     * gathered, or a long response being handed out, belongs to one
     * channel at a time.
     */
    const struct wc_channel *owner;
    struct wc_channel *current; /* channel of the running command */
    uint64_t boot_epoch;        /* boot reports of older epochs are void */
    uint8_t req_cmd;
    size_t req_len;
    uint8_t req[WD_MAX_MESSAGE];
    size_t resp_len;
    size_t resp_sent;
    uint8_t resp[WD_MAX_MESSAGE];

    /*
     * TLS sessions, and one work area they share: a server message that
     * spans several requests (a long Certificate), then the client's last
     * flight until the host has read it. The chain validator's memory.
     */
    struct wc_tls_session tls[WD_TLS_SESSIONS];
    uint8_t tls_work[WD_TLS_MESSAGE_MAX];
    size_t tls_work_len;
    int tls_work_user; /* session index, or -1 */
    int tls_work_flight; /* holds a flight, not a message */
    struct wc_verify_work verify_work;

    /* Work done ahead, between requests (wc_companion_idle). */
    struct wc_ecdhe_pool ecdhe_pool;
    /* Certificate signatures already verified (verify.h says why). */
    struct wc_sig_cache sig_cache;
};

/*
 * The chain-validation work area, message and validator memory together,
 * is at most 16 KB (the companion's RAM budget for it).
 */
typedef char wc_work_area_fits[(WD_TLS_MESSAGE_MAX +
                                 sizeof(struct wc_verify_work)) <= 16384
                                    ? 1
                                    : -1];

/*
 * Power-up: health-tests the entropy source, seeds the DRBG, opens
 * storage (initialising blank storage). Returns WC_OK or the reason the
 * companion cannot run; it must then not be used, only wiped.
 */
int wc_companion_init(struct wc_companion *c,
                      const struct wc_platform *plat);

void wc_channel_init(struct wc_channel *ch);

/*
 * Handles one frame of len bytes from ch and writes exactly one response
 * frame into out (WD_MAX_FRAME bytes). Returns the response length.
 * The frame may be incomplete or broken (a stream that wd_frame_check()
 * gave up on): the response then carries the bus error.
 */
size_t wc_companion_handle(struct wc_companion *c, struct wc_channel *ch,
                           const uint8_t *frame, size_t len,
                           uint8_t out[WD_MAX_FRAME]);

/*
 * 1 while ch holds the message buffers (a chunked request or response in
 * progress): other channels get BUSY until it finishes or is released. A
 * platform releases a channel that holds them and goes quiet.
 */
int wc_companion_holds(const struct wc_companion *c,
                       const struct wc_channel *ch);

/* The channel went away: drops whatever message it held. */
void wc_companion_release(struct wc_companion *c,
                          const struct wc_channel *ch);

/*
 * Background work, for the platform to call when no request is waiting:
 * makes the next handshake's key shares ahead (ecdhe.h). Does one piece
 * of work, about a millisecond on the emulator, so that a request that
 * arrives meanwhile waits no longer than that. Returns 1 if it did
 * something and more remains, 0 if there is nothing to do.
 */
int wc_companion_idle(struct wc_companion *c);

/* Power-down: wipes every secret in RAM. */
void wc_companion_wipe(struct wc_companion *c);

#endif
