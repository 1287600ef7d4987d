/*
 * Raw frames straight into wc_companion_handle(), for companion tests
 * that must see exactly what goes over the bus, with no host library in
 * between. Every response is checked to be a well-formed answer to its
 * request (CHECK failures count in the test's result).
 */
#ifndef WT_RAWBUS_H
#define WT_RAWBUS_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"

struct wt_reply {
    struct wd_header h;
    uint8_t payload[WD_MAX_PAYLOAD];
};

/* One request frame on ch; decodes the one response into r. */
enum wd_status wt_xfer(struct wc_companion *c, struct wc_channel *ch,
                       uint8_t cmd, uint8_t flags, uint16_t seq,
                       const void *payload, size_t len, struct wt_reply *r);

/*
 * A whole request, chunked as needed, and its whole response gathered
 * into resp (WD_MAX_MESSAGE bytes). resp_len may be NULL.
 */
enum wd_status wt_call(struct wc_companion *c, struct wc_channel *ch,
                       uint8_t cmd, const void *req, size_t len,
                       uint8_t *resp, size_t *resp_len);

#endif
