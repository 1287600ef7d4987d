/*
 * BUSY (docs/protocol.md section 4): while one channel is in the middle
 * of a long message, the companion answers every other channel BUSY.
 * libwarden waits that out (WARDEN_BUSY_WAIT_MS) instead of failing the
 * call, and gives up with the BUSY status when the holder never lets go.
 * Channel A here is a raw channel on the same in-process companion.
 */
/* clock_gettime() */
#define _POSIX_C_SOURCE 200809L

#include <string.h>
#include <time.h>

#include "check.h"
#include "inproc.h"
#include "rawbus.h"
#include "warden.h"
#include "wd_proto.h"

static struct wt_inproc ip;
static struct wc_channel a;
static uint16_t a_seq;
static unsigned busy_seen, release_after;

/* Channel A begins a chunked ECHO and so holds the message buffers. */
static void
a_begin(void)
{
    static uint8_t part[500];
    struct wt_reply r;

    memset(part, 'a', sizeof(part));
    CHECK(wt_xfer(ip.companion, &a, WD_CMD_ECHO, WD_FLAG_MORE, a_seq++, part,
                  sizeof(part), &r) == WD_STATUS_OK);
}

/* Channel A ends its message; the buffers are free again. */
static void
a_end(void)
{
    struct wt_reply r;

    CHECK(wt_xfer(ip.companion, &a, WD_CMD_ECHO, 0, a_seq++, "end", 3,
                  &r) == WD_STATUS_OK);
    CHECK(r.h.length == 503);
}

/* Sees each response to the host; A finishes after a few BUSYs. */
static int
watch(void *arg, uint8_t *buf, size_t *len, size_t cap)
{
    (void)arg;
    (void)cap;
    if (*len >= 4 && buf[3] == WD_STATUS_BUSY) {
        busy_seen++;
        if (busy_seen == release_after) {
            a_end();
        }
    }
    return WT_TAMPER_PASS;
}

static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(void)
{
    struct warden_dev dev;
    uint8_t out[16];
    size_t got = 0;
    unsigned status = 0;
    double t0;

    CHECK(wt_inproc_start(&ip, NULL, NULL, 3) == 0);
    ip.tamper = watch;
    CHECK(warden_open_transport(&dev, &wt_inproc_transport, &ip) ==
          WARDEN_ERR_OK);
    wc_channel_init(&a);

    /* A holds; the host's call waits through four BUSYs, then succeeds. */
    a_begin();
    release_after = 4;
    CHECK(warden_echo(&dev, "hello", 5, out, sizeof(out), &got) ==
          WARDEN_ERR_OK);
    CHECK(got == 5 && memcmp(out, "hello", 5) == 0);
    CHECK(busy_seen == 4);

    /* A never lets go: the host gives up after the wait, saying BUSY. */
    busy_seen = 0;
    release_after = 0;
    a_begin();
    t0 = now_s();
    CHECK(warden_echo(&dev, "hello", 5, out, sizeof(out), &got) ==
          WARDEN_ERR_COMPANION);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION &&
          status == WD_STATUS_BUSY);
    CHECK(now_s() - t0 > 5.5 && busy_seen > 4);
    /* The device is not failed: once A is done, calls go through. */
    a_end();
    CHECK(warden_echo(&dev, "again", 5, out, sizeof(out), &got) ==
          WARDEN_ERR_OK);

    warden_close(&dev);
    wt_inproc_stop(&ip);
    return wt_finish("test_host_busy");
}
