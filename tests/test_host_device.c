/*
 * libwarden against a real companion in the same process: device
 * information, random bytes and echo of every size around the chunk
 * boundaries, companion refusals, and the device's life cycle (open,
 * close, reopen).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "inproc.h"
#include "warden.h"
#include "wd_proto.h"

static struct wt_inproc ip;

static void
open_dev(struct warden_dev *dev)
{
    wt_inproc_reconnect(&ip);
    CHECK(warden_open_transport(dev, &wt_inproc_transport, &ip) ==
          WARDEN_ERR_OK);
}

static int
contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

static void
test_info(void)
{
    struct warden_dev dev;
    struct warden_info info;

    open_dev(&dev);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(strcmp(warden_error(&dev), "") == 0);
    CHECK(info.protocol_version == WD_PROTO_VERSION);
    CHECK(info.fw_major == WC_FW_VERSION_MAJOR);
    CHECK(info.fw_minor == WC_FW_VERSION_MINOR);
    CHECK(info.fw_patch == WC_FW_VERSION_PATCH);
    CHECK(info.lifecycle == WD_LIFECYCLE_MANUFACTURING);
    CHECK(info.rng_failed == 0);
    CHECK(info.storage_capacity == wc_store_capacity());
    CHECK(info.storage_used > 0);
    CHECK(info.storage_used <= info.storage_capacity);
    CHECK(info.records >= 1);
    CHECK(info.records_max == WC_STORE_RECORDS_MAX);
    CHECK(info.serial_len == 0);
    CHECK(info.serial[0] == '\0');

    /* Twice on one connection: the sequence moves on. */
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(dev.seq == 2);
    warden_close(&dev);
}

static int
all_same(const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 1; i < len; i++) {
        if (p[i] != p[0]) {
            return 0;
        }
    }
    return 1;
}

static void
test_random(void)
{
    static const size_t sizes[] = {1, 1024, 1025, 5000};
    static uint8_t a[5001];
    static uint8_t b[5001];
    struct warden_dev dev;
    size_t i;

    open_dev(&dev);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        CHECK(warden_random(&dev, a, sizes[i]) == WARDEN_ERR_OK);
        CHECK(warden_random(&dev, b, sizes[i]) == WARDEN_ERR_OK);
        if (sizes[i] >= 16) {
            CHECK(memcmp(a, b, sizes[i]) != 0);
            CHECK(!all_same(a, sizes[i]));
        }
        /* Nothing past the asked length is touched. */
        CHECK(a[sizes[i]] == 0);
    }

    /* 5000 bytes are five requests, each with fresh output. */
    CHECK(warden_random(&dev, a, 5000) == WARDEN_ERR_OK);
    CHECK(memcmp(a, a + 1024, 1024) != 0);
    CHECK(memcmp(a + 1024, a + 2048, 1024) != 0);
    CHECK(memcmp(a + 3072, a + 4096, 904) != 0);

    /* A single byte, many times, is not stuck. */
    for (i = 0; i < 64; i++) {
        CHECK(warden_random(&dev, a + i, 1) == WARDEN_ERR_OK);
    }
    CHECK(!all_same(a, 64));

    CHECK(warden_random(&dev, a, 0) == WARDEN_ERR_OK);
    CHECK(warden_random(&dev, NULL, 4) == WARDEN_ERR_ARGUMENT);
    warden_close(&dev);
}

static void
test_echo(void)
{
    static const size_t sizes[] = {0, 1, 1023, 1024, 1025, 2048, 4095, 4096};
    static uint8_t in[WD_MAX_MESSAGE + 1];
    static uint8_t out[WD_MAX_MESSAGE + 16];
    struct warden_dev dev;
    size_t out_len;
    uint16_t seq;
    size_t i;
    size_t j;

    for (j = 0; j < sizeof(in); j++) {
        in[j] = (uint8_t)(j * 7 + (j >> 8));
    }
    open_dev(&dev);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(out, 0xee, sizeof(out));
        out_len = 12345;
        CHECK(warden_echo(&dev, in, sizes[i], out, sizeof(out), &out_len) ==
              WARDEN_ERR_OK);
        CHECK(out_len == sizes[i]);
        CHECK_MEM(out, in, sizes[i]);
        CHECK(out[sizes[i]] == 0xee);
    }

    /*
     * Frames per call: ceil(n / 1024) request chunks (at least one), then
     * one CONTINUE per further response chunk.
     */
    seq = dev.seq;
    CHECK(warden_echo(&dev, in, 4096, out, sizeof(out), &out_len) ==
          WARDEN_ERR_OK);
    CHECK((uint16_t)(dev.seq - seq) == 4 + 3);
    seq = dev.seq;
    CHECK(warden_echo(&dev, in, 1025, out, sizeof(out), &out_len) ==
          WARDEN_ERR_OK);
    CHECK((uint16_t)(dev.seq - seq) == 2 + 1);

    /* Over the message size: refused before anything is sent. */
    seq = dev.seq;
    CHECK(warden_echo(&dev, in, WD_MAX_MESSAGE + 1, out, sizeof(out),
                      &out_len) == WARDEN_ERR_ARGUMENT);
    CHECK(out_len == 0);
    CHECK(dev.seq == seq);
    CHECK(contains(warden_error(&dev), "ECHO"));
    CHECK(contains(warden_error(&dev), "4097"));
    CHECK(contains(warden_error(&dev), "4096"));

    /* A buffer too small: an error, and the stream stays in step. */
    CHECK(warden_echo(&dev, in, 2000, out, 1000, &out_len) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(out_len == 0);
    CHECK(contains(warden_error(&dev), "does not fit"));
    CHECK(warden_echo(&dev, in, 10, out, sizeof(out), &out_len) ==
          WARDEN_ERR_OK);
    CHECK(out_len == 10);
    CHECK_MEM(out, in, 10);
    warden_close(&dev);
}

static void
test_refusals(void)
{
    struct warden_dev dev;
    uint8_t req[3] = {0, 0, 0};
    uint8_t out[8];
    size_t out_len;
    unsigned status;

    open_dev(&dev);

    /* An unknown command is refused with its status. */
    CHECK(warden_call(&dev, 0x7f, NULL, 0, out, sizeof(out), &out_len) ==
          WARDEN_ERR_COMPANION);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION);
    CHECK(status == WD_STATUS_UNKNOWN_COMMAND);
    CHECK(contains(warden_error(&dev), "companion refused"));
    CHECK(contains(warden_error(&dev), "UNKNOWN_COMMAND"));

    /* GET_RANDOM of 0 bytes, or a 3-byte request, is malformed. */
    CHECK(warden_call(&dev, WD_CMD_GET_RANDOM, req, 2, out, sizeof(out),
                      &out_len) == WARDEN_ERR_COMPANION);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION);
    CHECK(status == WD_STATUS_BAD_PAYLOAD);
    CHECK(contains(warden_error(&dev), "GET_RANDOM: companion refused: "
                                       "malformed request payload "
                                       "(BAD_PAYLOAD)"));
    CHECK(warden_call(&dev, WD_CMD_GET_RANDOM, req, 3, out, sizeof(out),
                      &out_len) == WARDEN_ERR_COMPANION);

    /* CONTINUE with nothing pending. */
    CHECK(warden_call(&dev, WD_CMD_CONTINUE, NULL, 0, out, sizeof(out),
                      &out_len) == WARDEN_ERR_COMPANION);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION);
    CHECK(status == WD_STATUS_NO_PENDING);

    /* A refusal leaves the stream in step: the next call works. */
    CHECK(warden_call(&dev, WD_CMD_ECHO, "hi", 2, out, sizeof(out), &out_len) ==
          WARDEN_ERR_OK);
    CHECK(out_len == 2);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_OK);
    CHECK(status == 0);
    CHECK(strcmp(warden_error(&dev), "") == 0);
    warden_close(&dev);
}

/* A companion whose entropy source dies after start-up. */
static void
test_rng_failure(void)
{
    static struct wt_inproc sick;
    static struct wt_memplat plat;
    static struct wc_companion companion;
    struct warden_dev dev;
    struct warden_info info;
    uint8_t buf[64];
    unsigned status;
    size_t i;

    wt_memplat_init(&plat, 99);
    CHECK(wt_inproc_start(&sick, &companion, &plat, 0) == WC_OK);
    wt_memplat_set_entropy_fault(&plat, WT_ENTROPY_STUCK, 0);
    CHECK(warden_open_transport(&dev, &wt_inproc_transport, &sick) ==
          WARDEN_ERR_OK);

    /* Keep asking until the reseed meets the stuck source. */
    for (i = 0; i < 2 * WC_RNG_RESEED_INTERVAL; i++) {
        if (warden_random(&dev, buf, 1) != WARDEN_ERR_OK) {
            break;
        }
    }
    CHECK(i < 2 * WC_RNG_RESEED_INTERVAL);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION);
    CHECK(status == WD_STATUS_RNG_FAILURE);
    CHECK(strcmp(warden_error(&dev),
                 "GET_RANDOM: companion refused: random generator failed "
                 "its health test (RNG_FAILURE)") == 0);
    /* Failed output is not left for a careless caller. */
    CHECK(buf[0] == 0);

    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(info.rng_failed == 1);
    CHECK(info.storage_failed == 0);
    warden_close(&dev);
    wt_inproc_stop(&sick);

    /* Storage lost mid-write: GET_INFO still answers and says so. */
    wt_memplat_init(&plat, 98);
    CHECK(wt_inproc_start(&sick, &companion, &plat, 0) == WC_OK);
    CHECK(warden_open_transport(&dev, &wt_inproc_transport, &sick) ==
          WARDEN_ERR_OK);
    CHECK(wc_store_set(&companion.store, 0x7777, 0, "x", 1) == WC_OK);
    wt_memplat_set_write_budget(&plat, 0);
    CHECK(wc_store_commit(&companion.store, wc_rng_fill, &companion.rng) !=
          WC_OK);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    CHECK(info.storage_failed == 1 && info.lifecycle == 0);
    CHECK(warden_random(&dev, buf, 1) == WARDEN_ERR_COMPANION);
    CHECK(strstr(warden_error(&dev), "STORAGE_FAILURE") != NULL);
    warden_close(&dev);
    wt_inproc_stop(&sick);
}

static void
test_lifetime(void)
{
    struct warden_dev dev;
    struct warden_info info;
    uint8_t b[4];

    /* A closed device says so, and close is idempotent. */
    open_dev(&dev);
    warden_close(&dev);
    warden_close(&dev);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_NOT_OPEN);
    CHECK(warden_random(&dev, b, sizeof(b)) == WARDEN_ERR_NOT_OPEN);
    CHECK(contains(warden_error(&dev), "not open"));
    warden_close(NULL);

    /* A new connection starts at sequence 0 again. */
    open_dev(&dev);
    CHECK(dev.seq == 0);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    warden_close(&dev);

    CHECK(warden_open_transport(&dev, NULL, NULL) == WARDEN_ERR_ARGUMENT);
    CHECK(warden_get_info(NULL, &info) == WARDEN_ERR_ARGUMENT);
    open_dev(&dev);
    CHECK(warden_get_info(&dev, NULL) == WARDEN_ERR_ARGUMENT);
    warden_close(&dev);

    CHECK(strcmp(warden_strerror(WARDEN_ERR_OK), "success") == 0);
    CHECK(strcmp(warden_strerror(WARDEN_ERR_PROTOCOL),
                 "malformed response from the companion") == 0);
    CHECK(strcmp(warden_strerror(12345), "unknown error") == 0);
}

/*
 * A server name the companion cannot use (not a DNS name or an IP
 * literal) is named in the error, not reported as a bad payload.
 */
static void
test_tls_bad_name(void)
{
    static struct warden_tls tls;
    struct warden_dev dev;

    open_dev(&dev);
    CHECK(warden_tls_start(&tls, &dev, "bad..name", NULL) ==
          WARDEN_ERR_ARGUMENT);
    CHECK(contains(warden_tls_error(&tls),
                   "server name 'bad..name' is not a DNS name or an IP "
                   "address"));
    warden_tls_close(&tls);
    CHECK(warden_tls_start(&tls, &dev, "good.example", NULL) ==
          WARDEN_ERR_OK);
    warden_tls_close(&tls);
    warden_close(&dev);
}

int
main(void)
{
    CHECK(wt_inproc_start(&ip, NULL, NULL, 1) == WC_OK);
    test_info();
    test_random();
    test_echo();
    test_refusals();
    test_rng_failure();
    test_lifetime();
    test_tls_bad_name();
    wt_inproc_stop(&ip);
    return wt_finish("host_device");
}
