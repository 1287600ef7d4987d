/*
 * The companion's dispatcher (companion/companion.c) driven with raw
 * frames: sequence rules, chunking both ways, channel ownership, command
 * payload checks and lifecycle gating.
 */
#include <string.h>

#include "check.h"
#include "memplat.h"
#include "rawbus.h"
#include "records.h"
#include "wc_companion.h"

static struct wt_memplat mp;
static struct wc_companion comp;

static enum wd_status
xfer(struct wc_channel *ch, uint8_t cmd, uint8_t flags, uint16_t seq,
     const void *payload, size_t len, struct wt_reply *r)
{
    return wt_xfer(&comp, ch, cmd, flags, seq, payload, len, r);
}

static enum wd_status
call(struct wc_channel *ch, uint8_t cmd, const uint8_t *req, size_t len,
     uint8_t *resp, size_t *resp_len)
{
    return wt_call(&comp, ch, cmd, req, len, resp, resp_len);
}

static void
power_up(uint64_t seed)
{
    wt_memplat_init(&mp, seed);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
}

static void
test_info_on_fresh_device(void)
{
    struct wc_channel ch;
    uint8_t resp[WD_MAX_MESSAGE];
    size_t len;

    power_up(1);
    wc_channel_init(&ch);
    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(len == WD_INFO_FIXED_LEN);
    CHECK(resp[WD_INFO_PROTO_VERSION] == WD_PROTO_VERSION);
    CHECK(resp[WD_INFO_FW_MINOR] == WC_FW_VERSION_MINOR);
    CHECK(resp[WD_INFO_LIFECYCLE] == WD_LIFECYCLE_MANUFACTURING);
    CHECK(resp[WD_INFO_HEALTH] == 0);
    CHECK(wd_get32(resp + WD_INFO_STORE_USED) == WC_RECORD_OVERHEAD + 1);
    CHECK(wd_get32(resp + WD_INFO_STORE_CAP) == WC_STORE_BODY_MAX);
    CHECK(wd_get16(resp + WD_INFO_RECORDS) == 1);
    CHECK(resp[WD_INFO_SERIAL_LEN] == 0);

    /* GET_INFO takes no payload. */
    CHECK(call(&ch, WD_CMD_GET_INFO, resp, 1, resp, &len) ==
          WD_STATUS_BAD_PAYLOAD);

    /* The state survives a power cycle; the device is not fresh again. */
    wc_companion_wipe(&comp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_LIFECYCLE] == WD_LIFECYCLE_MANUFACTURING);
    CHECK(wd_get16(resp + WD_INFO_RECORDS) == 1);
}

static void
test_random(void)
{
    struct wc_channel ch;
    uint8_t a[WD_MAX_MESSAGE], b[WD_MAX_MESSAGE], req[2];
    size_t la, lb;

    power_up(2);
    wc_channel_init(&ch);
    wd_put16(req, 32);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, a, &la) == WD_STATUS_OK);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, b, &lb) == WD_STATUS_OK);
    CHECK(la == 32 && lb == 32 && memcmp(a, b, 32) != 0);

    wd_put16(req, WD_MAX_PAYLOAD);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, a, &la) == WD_STATUS_OK);
    CHECK(la == WD_MAX_PAYLOAD);

    wd_put16(req, 0);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, a, &la) ==
          WD_STATUS_BAD_PAYLOAD);
    wd_put16(req, WD_MAX_PAYLOAD + 1);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, a, &la) ==
          WD_STATUS_BAD_PAYLOAD);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 1, a, &la) ==
          WD_STATUS_BAD_PAYLOAD);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, NULL, 0, a, &la) ==
          WD_STATUS_BAD_PAYLOAD);
}

static void
test_rng_failure_fails_closed(void)
{
    struct wc_channel ch;
    uint8_t resp[WD_MAX_MESSAGE], req[2];
    size_t len;
    unsigned i;

    power_up(3);
    wc_channel_init(&ch);
    wt_memplat_set_entropy_fault(&mp, WT_ENTROPY_STUCK, 0);
    wd_put16(req, 16);
    /* Good until the scheduled reseed meets the stuck source. */
    for (i = 0; i < WC_RNG_RESEED_INTERVAL; i++) {
        if (call(&ch, WD_CMD_GET_RANDOM, req, 2, resp, &len) !=
            WD_STATUS_OK) {
            break;
        }
    }
    CHECK(i > 0);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, resp, &len) ==
          WD_STATUS_RNG_FAILURE);
    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_HEALTH] == WD_HEALTH_RNG_FAILED);

    /* A stuck source at power-up stops the companion from starting. */
    wc_companion_wipe(&comp);
    wt_memplat_set_entropy_fault(&mp, WT_ENTROPY_STUCK, 0);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_RNG_HEALTH);
}

static void
test_chunking_both_ways(void)
{
    static const size_t sizes[] = {0, 1, WD_MAX_PAYLOAD, WD_MAX_PAYLOAD + 1,
                                   3000, WD_MAX_MESSAGE};
    uint8_t in[WD_MAX_MESSAGE], out[WD_MAX_MESSAGE];
    struct wc_channel ch;
    size_t i, k, len;

    power_up(4);
    wc_channel_init(&ch);
    for (k = 0; k < sizeof(in); k++) {
        in[k] = (uint8_t)(k * 31 + 7);
    }
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        CHECK(call(&ch, WD_CMD_ECHO, in, sizes[i], out, &len) ==
              WD_STATUS_OK);
        CHECK(len == sizes[i]);
        CHECK(memcmp(in, out, sizes[i]) == 0);
    }
    /* One byte more than the message buffer is refused, not truncated. */
    {
        static uint8_t big[WD_MAX_MESSAGE + 1];

        CHECK(call(&ch, WD_CMD_ECHO, big, sizeof(big), out, &len) ==
              WD_STATUS_TOO_LARGE);
    }
    /* And the channel works normally afterwards. */
    CHECK(call(&ch, WD_CMD_ECHO, in, 5, out, &len) == WD_STATUS_OK);
    CHECK(len == 5);
}

static void
test_sequence_rules(void)
{
    struct wc_channel ch;
    struct wt_reply r;

    power_up(5);
    wc_channel_init(&ch);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 1, NULL, 0, &r) ==
          WD_STATUS_BAD_SEQUENCE);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 0, NULL, 0, &r) == WD_STATUS_OK);
    /* A replayed sequence number is refused too. */
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 0, NULL, 0, &r) ==
          WD_STATUS_BAD_SEQUENCE);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 1, NULL, 0, &r) == WD_STATUS_OK);

    /* Wrap-around at 16 bits. */
    ch.next_seq = 0xffff;
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 0xffff, NULL, 0, &r) ==
          WD_STATUS_OK);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 0, NULL, 0, &r) == WD_STATUS_OK);
}

static void
test_bad_requests(void)
{
    uint8_t frame[WD_MAX_FRAME], out[WD_MAX_FRAME];
    struct wc_channel ch;
    struct wd_header h;
    const uint8_t *p;
    struct wt_reply r;
    size_t n;

    power_up(6);
    wc_channel_init(&ch);
    CHECK(xfer(&ch, 0x7e, 0, 0, NULL, 0, &r) == WD_STATUS_UNKNOWN_COMMAND);
    CHECK(xfer(&ch, 0x00, 0, 1, NULL, 0, &r) == WD_STATUS_UNKNOWN_COMMAND);
    CHECK(xfer(&ch, 0xff, WD_FLAG_MORE, 2, NULL, 0, &r) ==
          WD_STATUS_UNKNOWN_COMMAND);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, WD_FLAG_RESPONSE, 3, NULL, 0, &r) ==
          WD_STATUS_BAD_FLAGS);
    CHECK(xfer(&ch, WD_CMD_CONTINUE, 0, 3, NULL, 0, &r) ==
          WD_STATUS_NO_PENDING);
    CHECK(xfer(&ch, WD_CMD_CONTINUE, 0, 4, "x", 1, &r) ==
          WD_STATUS_BAD_PAYLOAD);

    /* Broken bytes get an error frame that echoes what it could read. */
    n = wc_companion_handle(&comp, &ch, (const uint8_t *)"GET / HTTP", 10,
                            out);
    CHECK(wd_frame_decode(out, n, &h, &p) == WD_STATUS_OK);
    CHECK(h.status == WD_STATUS_BAD_VERSION);

    h.version = WD_PROTO_VERSION;
    h.command = WD_CMD_GET_INFO;
    h.flags = 0;
    h.status = 0;
    h.seq = 5;
    h.length = 0;
    n = wd_frame_encode(&h, NULL, frame, sizeof(frame));
    frame[n - 1] ^= 1;
    n = wc_companion_handle(&comp, &ch, frame, n, out);
    CHECK(wd_frame_decode(out, n, &h, &p) == WD_STATUS_OK);
    CHECK(h.status == WD_STATUS_BAD_CHECKSUM && h.seq == 5);
    /* A frame that failed its checks does not use up a sequence number. */
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 5, NULL, 0, &r) == WD_STATUS_OK);
}

static void
test_channels_share_one_buffer(void)
{
    struct wc_channel a, b;
    uint8_t in[3000], out[WD_MAX_MESSAGE];
    struct wt_reply r;
    size_t len;

    power_up(7);
    wc_channel_init(&a);
    wc_channel_init(&b);
    memset(in, 0x33, sizeof(in));

    /* a starts a chunked request: b must wait, a can finish. */
    CHECK(xfer(&a, WD_CMD_ECHO, WD_FLAG_MORE, 0, in, WD_MAX_PAYLOAD, &r) ==
          WD_STATUS_OK);
    CHECK(xfer(&b, WD_CMD_GET_INFO, 0, 0, NULL, 0, &r) == WD_STATUS_BUSY);
    CHECK(xfer(&a, WD_CMD_ECHO, 0, 1, in, 10, &r) == WD_STATUS_OK);
    CHECK(r.h.length == WD_MAX_PAYLOAD && (r.h.flags & WD_FLAG_MORE));

    /* a holds a long response: b waits until a goes away. */
    CHECK(xfer(&b, WD_CMD_GET_INFO, 0, 1, NULL, 0, &r) == WD_STATUS_BUSY);
    wc_companion_release(&comp, &a);
    CHECK(xfer(&b, WD_CMD_GET_INFO, 0, 2, NULL, 0, &r) == WD_STATUS_OK);

    /* A new command drops the rest of an unfetched response. */
    CHECK(call(&b, WD_CMD_ECHO, in, 5, out, &len) == WD_STATUS_OK);
    CHECK(xfer(&b, WD_CMD_ECHO, WD_FLAG_MORE, b.next_seq, in, 1000, &r) ==
          WD_STATUS_OK);
    CHECK(xfer(&b, WD_CMD_ECHO, 0, b.next_seq, in, 1000, &r) ==
          WD_STATUS_OK);
    CHECK(r.h.flags & WD_FLAG_MORE);
    CHECK(xfer(&b, WD_CMD_GET_INFO, 0, b.next_seq, NULL, 0, &r) ==
          WD_STATUS_OK);
    CHECK(xfer(&b, WD_CMD_CONTINUE, 0, b.next_seq, NULL, 0, &r) ==
          WD_STATUS_NO_PENDING);
    /* ...and releases the buffer for other channels. */
    CHECK(xfer(&a, WD_CMD_GET_INFO, 0, a.next_seq, NULL, 0, &r) ==
          WD_STATUS_OK);

    /* A chunked request interrupted by another command is dropped. */
    CHECK(xfer(&a, WD_CMD_ECHO, WD_FLAG_MORE, a.next_seq, in, 100, &r) ==
          WD_STATUS_OK);
    CHECK(call(&a, WD_CMD_GET_INFO, NULL, 0, out, &len) == WD_STATUS_OK);
    CHECK(call(&a, WD_CMD_ECHO, in, 7, out, &len) == WD_STATUS_OK);
    CHECK(len == 7);
}

static void
test_lifecycle_gates_commands(void)
{
    const uint8_t decommissioned = WD_LIFECYCLE_DECOMMISSIONED;
    struct wc_channel ch;
    uint8_t resp[WD_MAX_MESSAGE], req[2] = {0, 8};
    size_t len;

    power_up(8);
    /* Stand-in for the decommission command of a later issue. */
    CHECK(wc_store_set(&comp.store, WC_REC_LIFECYCLE, 0, &decommissioned,
                       1) == WC_OK);
    CHECK(wc_store_commit(&comp.store, wc_rng_fill, &comp.rng) == WC_OK);
    wc_channel_init(&ch);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, resp, &len) ==
          WD_STATUS_NOT_ALLOWED);
    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_LIFECYCLE] == WD_LIFECYCLE_DECOMMISSIONED);
}

static void
test_storage_faults_at_power_up(void)
{
    struct wc_channel ch;
    struct wt_reply r;

    /* Power lost during the very first commit: the next start is fresh. */
    wt_memplat_init(&mp, 9);
    wt_memplat_set_write_budget(&mp, 40);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_STORAGE_IO);
    wt_memplat_power_on(&mp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);

    /* Damaged storage is refused, and a refused companion answers
     * nothing but an error. */
    mp.storage[40] ^= 0x10;
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_STORAGE_CORRUPT);
    wc_channel_init(&ch);
    CHECK(xfer(&ch, WD_CMD_GET_INFO, 0, 0, NULL, 0, &r) ==
          WD_STATUS_INTERNAL);
    mp.storage[40] ^= 0x10;
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);

    /* Another device key cannot read this storage. */
    mp.device_key[3] ^= 1;
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_STORAGE_WRONG_KEY);
}

static void
test_failed_storage_still_reports(void)
{
    struct wc_channel ch;
    uint8_t resp[WD_MAX_MESSAGE], req[2] = {0, 8};
    size_t len;

    power_up(10);
    wc_channel_init(&ch);
    /* The power goes during a commit and storage stays unreadable. */
    CHECK(wc_store_set(&comp.store, WC_REC_SERIAL, 0, "S1", 2) == WC_OK);
    wt_memplat_set_write_budget(&mp, 3);
    CHECK(wc_store_commit(&comp.store, wc_rng_fill, &comp.rng) ==
          WC_STORAGE_IO);

    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_HEALTH] == WD_HEALTH_STORAGE_FAILED);
    CHECK(resp[WD_INFO_LIFECYCLE] == 0);
    CHECK(call(&ch, WD_CMD_GET_RANDOM, req, 2, resp, &len) ==
          WD_STATUS_STORAGE_FAILURE);

    /* The next power-up finds the state before the cut. */
    wc_companion_wipe(&comp);
    wt_memplat_power_on(&mp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    wc_channel_init(&ch);
    CHECK(call(&ch, WD_CMD_GET_INFO, NULL, 0, resp, &len) == WD_STATUS_OK);
    CHECK(resp[WD_INFO_HEALTH] == 0 && resp[WD_INFO_SERIAL_LEN] == 0);
}

int
main(void)
{
    test_info_on_fresh_device();
    test_random();
    test_rng_failure_fails_closed();
    test_chunking_both_ways();
    test_sequence_rules();
    test_bad_requests();
    test_channels_share_one_buffer();
    test_lifecycle_gates_commands();
    test_storage_faults_at_power_up();
    test_failed_storage_still_reports();
    wc_companion_wipe(&comp);
    return wt_finish("test_dispatch");
}
