/*
 * libwarden against a companion that misbehaves: each case lets a real
 * in-process companion answer, then damages the answer on its way to
 * the host (garbage, cut short, wrong sequence or command, impossible
 * lengths, malformed GET_INFO) or hangs up. The host must report the
 * right error with a message, and a stream out of step must stay failed
 * until it is closed.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "inproc.h"
#include "warden.h"
#include "wd_proto.h"

enum fault {
    GARBAGE,          /* not a frame at all */
    BAD_CRC,          /* one bit of the checksum flipped */
    OVER_LENGTH,      /* length field over WD_MAX_PAYLOAD */
    SHORT_CLOSE,      /* five bytes, then the companion hangs up */
    SHORT_OPEN,       /* five bytes, then silence */
    HANG_UP,          /* no answer, connection closed */
    WRONG_SEQ,        /* sequence number off by one */
    WRONG_COMMAND,    /* answer to another command */
    NOT_RESPONSE,     /* response flag missing */
    UNKNOWN_FLAG,     /* a flag bit the protocol does not define */
    ERROR_WITH_MORE,  /* an error that claims more chunks follow */
    ERROR_WITH_DATA,  /* an error with a payload */
    EMPTY_MORE,       /* an empty chunk that claims more follow */
    CHUNK_ACK_DATA,   /* a request chunk acknowledged with data */
    ENDLESS,          /* a response that goes past WD_MAX_MESSAGE */
    INFO_SHORT,       /* GET_INFO shorter than its fixed part */
    INFO_LONG_SERIAL, /* serial of 33 bytes */
    INFO_BAD_SERIAL,  /* serial with a control byte */
    INFO_EXTRA,       /* bytes after the serial */
    INFO_LIFECYCLE,   /* lifecycle state 9 */
    RANDOM_SHORT,     /* fewer random bytes than asked */
    RANDOM_LONG,      /* more random bytes than asked */
};

struct tamper {
    enum fault fault;
    int armed;
};

static struct wt_inproc ip;
static struct tamper tamper;

/* Rebuilds the frame in buf with new header fields and payload. */
static size_t
reframe(uint8_t *buf, size_t cap, uint8_t command, uint8_t flags,
        uint8_t status, uint16_t seq, const uint8_t *payload, size_t len)
{
    struct wd_header h;

    h.version = WD_PROTO_VERSION;
    h.command = command;
    h.flags = flags;
    h.status = status;
    h.seq = seq;
    h.length = (uint16_t)len;
    return wd_frame_encode(&h, payload, buf, cap);
}

/* Rewrites the payload of a GET_INFO response. */
static void
damage_info(enum fault fault, uint8_t *p, size_t *len)
{
    switch (fault) {
    case INFO_SHORT:
        *len = WD_INFO_FIXED_LEN - 1;
        break;
    case INFO_LONG_SERIAL:
        p[WD_INFO_SERIAL_LEN] = WD_SERIAL_MAX + 1;
        memset(p + WD_INFO_SERIAL, 'A', WD_SERIAL_MAX + 1);
        *len = WD_INFO_FIXED_LEN + WD_SERIAL_MAX + 1;
        break;
    case INFO_BAD_SERIAL:
        p[WD_INFO_SERIAL_LEN] = 3;
        memcpy(p + WD_INFO_SERIAL, "A\nB", 3);
        *len = WD_INFO_FIXED_LEN + 3;
        break;
    case INFO_EXTRA:
        p[WD_INFO_SERIAL_LEN] = 2;
        memcpy(p + WD_INFO_SERIAL, "ABCD", 4);
        *len = WD_INFO_FIXED_LEN + 4;
        break;
    case INFO_LIFECYCLE:
        p[WD_INFO_LIFECYCLE] = 9;
        break;
    default:
        break;
    }
}

static int
damage(void *arg, uint8_t *buf, size_t *len, size_t cap)
{
    struct tamper *t = arg;
    uint8_t payload[WD_MAX_PAYLOAD + 64];
    struct wd_header h;
    const uint8_t *p;
    size_t plen;

    if (!t->armed) {
        return WT_TAMPER_PASS;
    }
    if (wd_frame_decode(buf, *len, &h, &p) != WD_STATUS_OK) {
        return WT_TAMPER_PASS;
    }
    plen = h.length;
    memset(payload, 0x42, sizeof(payload));
    memcpy(payload, p, plen);

    switch (t->fault) {
    case GARBAGE:
        memcpy(buf, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
        *len = 28;
        break;
    case BAD_CRC:
        buf[*len - 1] ^= 0x01;
        break;
    case OVER_LENGTH:
        wd_put16(buf + 6, WD_MAX_PAYLOAD + 1);
        break;
    case SHORT_CLOSE:
        *len = 5;
        t->armed = 0;
        return WT_TAMPER_HANG_UP;
    case SHORT_OPEN:
        *len = 5;
        break;
    case HANG_UP:
        t->armed = 0;
        return WT_TAMPER_DROP;
    case WRONG_SEQ:
        *len = reframe(buf, cap, h.command, h.flags, h.status,
                       (uint16_t)(h.seq + 1), payload, plen);
        break;
    case WRONG_COMMAND:
        *len = reframe(buf, cap, WD_CMD_GET_INFO, h.flags, h.status, h.seq,
                       payload, plen);
        break;
    case NOT_RESPONSE:
        *len = reframe(buf, cap, h.command, 0, h.status, h.seq, payload, plen);
        break;
    case UNKNOWN_FLAG:
        *len = reframe(buf, cap, h.command, h.flags | 0x80, h.status, h.seq,
                       payload, plen);
        break;
    case ERROR_WITH_MORE:
        *len = reframe(buf, cap, h.command, WD_FLAG_RESPONSE | WD_FLAG_MORE,
                       WD_STATUS_BUSY, h.seq, NULL, 0);
        break;
    case ERROR_WITH_DATA:
        *len = reframe(buf, cap, h.command, WD_FLAG_RESPONSE,
                       WD_STATUS_INTERNAL, h.seq, (const uint8_t *)"oops", 4);
        break;
    case EMPTY_MORE:
        *len = reframe(buf, cap, h.command, WD_FLAG_RESPONSE | WD_FLAG_MORE,
                       WD_STATUS_OK, h.seq, NULL, 0);
        break;
    case CHUNK_ACK_DATA:
        /* Only the first answer: the one to the first request chunk. */
        *len = reframe(buf, cap, h.command, h.flags, h.status, h.seq,
                       (const uint8_t *)"x", 1);
        t->armed = 0;
        break;
    case ENDLESS:
        /* The last chunk claims more; the "more" is one extra byte. */
        if (h.command == WD_CMD_CONTINUE && h.status == WD_STATUS_OK) {
            *len = reframe(buf, cap, h.command, WD_FLAG_RESPONSE | WD_FLAG_MORE,
                           h.status, h.seq, payload, plen);
        } else if (h.command == WD_CMD_CONTINUE) {
            *len = reframe(buf, cap, h.command, WD_FLAG_RESPONSE, WD_STATUS_OK,
                           h.seq, (const uint8_t *)"x", 1);
        }
        break;
    case INFO_SHORT:
    case INFO_LONG_SERIAL:
    case INFO_BAD_SERIAL:
    case INFO_EXTRA:
    case INFO_LIFECYCLE:
        damage_info(t->fault, payload, &plen);
        *len = reframe(buf, cap, h.command, h.flags, h.status, h.seq, payload,
                       plen);
        break;
    case RANDOM_SHORT:
    case RANDOM_LONG:
        plen = t->fault == RANDOM_SHORT ? plen - 1 : plen + 1;
        *len = reframe(buf, cap, h.command, h.flags, h.status, h.seq, payload,
                       plen);
        break;
    }
    return WT_TAMPER_PASS;
}

static void
arm(struct warden_dev *dev, enum fault fault)
{
    warden_close(dev);
    wt_inproc_reconnect(&ip);
    tamper.fault = fault;
    tamper.armed = 1;
    CHECK(warden_open_transport(dev, &wt_inproc_transport, &ip) ==
          WARDEN_ERR_OK);
}

static int
contains(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/*
 * Checks the error and message, then that the device stays failed: the
 * next call gives the same error and sends nothing.
 */
static void
expect_failed(const char *label, struct warden_dev *dev, int rc, int want,
              const char *words)
{
    struct warden_info info;
    size_t frames = ip.frames_in;
    char first[WARDEN_ERRMSG_MAX];

    if (rc != want || !contains(warden_error(dev), words)) {
        fprintf(stderr, "%s: got %d \"%s\", want %d with \"%s\"\n", label, rc,
                warden_error(dev), want, words);
    }
    CHECK(rc == want);
    CHECK(contains(warden_error(dev), words));
    CHECK(warden_last_error(dev, NULL) == want);

    memcpy(first, warden_error(dev), sizeof(first));
    tamper.armed = 0;
    CHECK(warden_get_info(dev, &info) == want);
    CHECK(strcmp(warden_error(dev), first) == 0);
    CHECK(ip.frames_in == frames);
}

static void
test_stream_faults(void)
{
    static uint8_t buf[WD_MAX_MESSAGE];
    struct warden_dev dev;
    struct warden_info info;
    size_t len;

    memset(&dev, 0, sizeof(dev));

    arm(&dev, GARBAGE);
    expect_failed("garbage", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL,
                  "GET_INFO: companion sent a broken "
                  "frame: unsupported protocol version");
    arm(&dev, BAD_CRC);
    expect_failed("bad crc", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "checksum");
    arm(&dev, OVER_LENGTH);
    expect_failed("over length", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "over the maximum");
    arm(&dev, SHORT_CLOSE);
    expect_failed("short, closed", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_CLOSED,
                  "GET_INFO: companion closed the "
                  "connection");
    arm(&dev, SHORT_OPEN);
    expect_failed("short, open", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_TIMEOUT, "did not answer");
    arm(&dev, HANG_UP);
    expect_failed("hang up", &dev, warden_random(&dev, buf, 16),
                  WARDEN_ERR_CLOSED, "GET_RANDOM: companion closed");
    arm(&dev, WRONG_SEQ);
    expect_failed("wrong seq", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "sequence number 1, expected 0");
    arm(&dev, WRONG_COMMAND);
    expect_failed("wrong command", &dev,
                  warden_echo(&dev, "abc", 3, buf, sizeof(buf), &len),
                  WARDEN_ERR_PROTOCOL,
                  "ECHO: response is for command "
                  "GET_INFO");
    arm(&dev, NOT_RESPONSE);
    expect_failed("not a response", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "instead of a response");
    arm(&dev, UNKNOWN_FLAG);
    expect_failed("unknown flag", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "flags");
    arm(&dev, ERROR_WITH_MORE);
    expect_failed("error with more", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL,
                  "error response BUSY with a payload or MORE flag");
    arm(&dev, ERROR_WITH_DATA);
    expect_failed("error with data", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "error response INTERNAL with");
    arm(&dev, EMPTY_MORE);
    expect_failed("empty more", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "empty response chunk");
    arm(&dev, CHUNK_ACK_DATA);
    expect_failed("chunk ack with data", &dev,
                  warden_echo(&dev, buf, 2000, buf, sizeof(buf), &len),
                  WARDEN_ERR_PROTOCOL, "request chunk with data");
    arm(&dev, ENDLESS);
    expect_failed("endless", &dev,
                  warden_echo(&dev, buf, 4096, buf, sizeof(buf), &len),
                  WARDEN_ERR_PROTOCOL, "longer than the 4096-byte maximum");
    warden_close(&dev);
}

static void
test_content_faults(void)
{
    static uint8_t buf[2048];
    struct warden_dev dev;
    struct warden_info info;

    memset(&dev, 0, sizeof(dev));

    arm(&dev, INFO_SHORT);
    expect_failed("info short", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "GET_INFO: response of 18 bytes");
    CHECK(info.lifecycle == 0);
    arm(&dev, INFO_LONG_SERIAL);
    expect_failed("info long serial", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "serial number of 33 bytes");
    arm(&dev, INFO_BAD_SERIAL);
    expect_failed("info bad serial", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "0x0a at 1, not printable");
    arm(&dev, INFO_EXTRA);
    expect_failed("info extra", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "expected 21");
    arm(&dev, INFO_LIFECYCLE);
    expect_failed("info lifecycle", &dev, warden_get_info(&dev, &info),
                  WARDEN_ERR_PROTOCOL, "unknown lifecycle state 9");

    memset(buf, 0x33, sizeof(buf));
    arm(&dev, RANDOM_SHORT);
    expect_failed("random short", &dev, warden_random(&dev, buf, 1500),
                  WARDEN_ERR_PROTOCOL, "asked for 1024 bytes, got 1023");
    /* Half-filled output is not handed back. */
    CHECK(buf[0] == 0 && buf[1499] == 0);
    arm(&dev, RANDOM_LONG);
    expect_failed("random long", &dev, warden_random(&dev, buf, 100),
                  WARDEN_ERR_PROTOCOL, "response of 101 bytes");
    warden_close(&dev);
}

/*
 * A bus error status means the host and companion disagree about the
 * stream: reported as the companion's refusal, and the device fails.
 */
static void
test_bus_error_status(void)
{
    struct warden_dev dev;
    struct warden_info info;
    unsigned status;

    memset(&dev, 0, sizeof(dev));
    arm(&dev, GARBAGE);
    tamper.armed = 0;
    dev.seq = 7;
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_COMPANION);
    CHECK(warden_last_error(&dev, &status) == WARDEN_ERR_COMPANION);
    CHECK(status == WD_STATUS_BAD_SEQUENCE);
    CHECK(contains(warden_error(&dev), "out of sequence (BAD_SEQUENCE)"));
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_COMPANION);
    CHECK(dev.failed);

    /* Closing and opening again gives a working device. */
    arm(&dev, GARBAGE);
    tamper.armed = 0;
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_OK);
    warden_close(&dev);
}

/* A transport whose recv returns a code outside the documented ones. */
static int
odd_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return WARDEN_ERR_OK;
}

static int
odd_recv(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    memset(buf, 0, len);
    return 42;
}

static void
test_odd_transport(void)
{
    static const struct warden_transport odd = {odd_send, odd_recv, NULL};
    struct warden_dev dev;
    struct warden_info info;

    CHECK(warden_open_transport(&dev, &odd, NULL) == WARDEN_ERR_OK);
    CHECK(warden_get_info(&dev, &info) == WARDEN_ERR_IO);
    CHECK(strcmp(warden_error(&dev), "GET_INFO: bus read failed") == 0);
    warden_close(&dev);
}

int
main(void)
{
    CHECK(wt_inproc_start(&ip, NULL, NULL, 2) == WC_OK);
    ip.tamper = damage;
    ip.tamper_arg = &tamper;
    test_stream_faults();
    test_content_faults();
    test_bus_error_status();
    test_odd_transport();
    wt_inproc_stop(&ip);
    return wt_finish("host_faults");
}
