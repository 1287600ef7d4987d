/* Bus frame encoding, decoding and stream checks (protocol/wd_frame.c). */
#include <string.h>

#include "check.h"
#include "wd_proto.h"

static void
test_crc_known_answer(void)
{
    /* The standard check value of CRC-16/CCITT-FALSE. */
    CHECK(wd_crc16((const uint8_t *)"123456789", 9) == 0x29b1);
    CHECK(wd_crc16(NULL, 0) == 0xffff);
}

static size_t
make(uint8_t *out, uint8_t cmd, uint16_t seq, const uint8_t *p, size_t n)
{
    struct wd_header h = {WD_PROTO_VERSION, 0, 0, 0, 0, 0};

    h.command = cmd;
    h.seq = seq;
    h.length = (uint16_t)n;
    return wd_frame_encode(&h, p, out, WD_MAX_FRAME);
}

static void
test_round_trip(void)
{
    uint8_t payload[WD_MAX_PAYLOAD];
    uint8_t frame[WD_MAX_FRAME];
    struct wd_header h;
    const uint8_t *p;
    size_t len, i;

    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    len = make(frame, WD_CMD_ECHO, 0xbeef, payload, sizeof(payload));
    CHECK(len == WD_MAX_FRAME);
    CHECK(wd_frame_decode(frame, len, &h, &p) == WD_STATUS_OK);
    CHECK(h.command == WD_CMD_ECHO && h.seq == 0xbeef);
    CHECK(h.length == WD_MAX_PAYLOAD);
    CHECK(p != NULL && memcmp(p, payload, sizeof(payload)) == 0);

    len = make(frame, WD_CMD_GET_INFO, 1, NULL, 0);
    CHECK(len == WD_HEADER_LEN + WD_CRC_LEN);
    CHECK(wd_frame_decode(frame, len, &h, &p) == WD_STATUS_OK);
}

static void
test_encode_refuses_oversize(void)
{
    uint8_t frame[WD_MAX_FRAME] = {0};
    struct wd_header h = {WD_PROTO_VERSION, 1, 0, 0, 0, WD_MAX_PAYLOAD + 1};

    CHECK(wd_frame_encode(&h, frame, frame, sizeof(frame)) == 0);
    h.length = 10;
    CHECK(wd_frame_encode(&h, frame, frame, 19) == 0);
}

static void
test_decode_errors(void)
{
    uint8_t frame[WD_MAX_FRAME];
    struct wd_header h;
    const uint8_t *p;
    size_t len, i;
    uint8_t body[4] = {1, 2, 3, 4};

    len = make(frame, WD_CMD_ECHO, 7, body, sizeof(body));

    /* Every single-bit flip is caught, by the CRC or a field check. */
    for (i = 0; i < len * 8; i++) {
        frame[i / 8] ^= (uint8_t)(1u << (i % 8));
        CHECK(wd_frame_decode(frame, len, &h, &p) != WD_STATUS_OK);
        CHECK(p == NULL);
        frame[i / 8] ^= (uint8_t)(1u << (i % 8));
    }

    frame[0] = 2;
    CHECK(wd_frame_decode(frame, len, &h, &p) == WD_STATUS_BAD_VERSION);
    frame[0] = WD_PROTO_VERSION;

    frame[len - 1] ^= 0x55;
    CHECK(wd_frame_decode(frame, len, &h, &p) == WD_STATUS_BAD_CHECKSUM);
    /* The header is still readable for the error response. */
    CHECK(h.seq == 7 && h.command == WD_CMD_ECHO);
    frame[len - 1] ^= 0x55;

    CHECK(wd_frame_decode(frame, len - 1, &h, &p) == WD_STATUS_BAD_LENGTH);
    CHECK(wd_frame_decode(frame, 3, &h, &p) == WD_STATUS_BAD_LENGTH);
    CHECK(wd_frame_decode(frame, 0, &h, &p) == WD_STATUS_BAD_VERSION);

    /* Unknown flag bits are refused even with a good CRC. */
    frame[2] = 0x80;
    wd_put16(frame + len - 2, wd_crc16(frame, len - 2));
    CHECK(wd_frame_decode(frame, len, &h, &p) == WD_STATUS_BAD_FLAGS);
}

static void
test_stream_check(void)
{
    uint8_t frame[WD_MAX_FRAME];
    enum wd_status st;
    size_t len, flen, n;
    uint8_t body[10] = {0};

    len = make(frame, WD_CMD_ECHO, 0, body, sizeof(body));
    for (n = 1; n < len; n++) {
        CHECK(wd_frame_check(frame, n, &flen, &st) == WD_FRAME_NEED_MORE);
    }
    CHECK(wd_frame_check(frame, len, &flen, &st) == WD_FRAME_COMPLETE);
    CHECK(flen == len);
    CHECK(wd_frame_check(frame, len + 5, &flen, &st) == WD_FRAME_COMPLETE);
    CHECK(flen == len);

    /* Garbage is refused on its first byte. */
    frame[0] = 'G';
    CHECK(wd_frame_check(frame, 1, &flen, &st) == WD_FRAME_BROKEN);
    CHECK(st == WD_STATUS_BAD_VERSION);
    frame[0] = WD_PROTO_VERSION;

    wd_put16(frame + 6, WD_MAX_PAYLOAD + 1);
    CHECK(wd_frame_check(frame, WD_HEADER_LEN, &flen, &st) ==
          WD_FRAME_BROKEN);
    CHECK(st == WD_STATUS_BAD_LENGTH);
}

static void
test_names(void)
{
    CHECK(strcmp(wd_status_name(WD_STATUS_BAD_CHECKSUM), "BAD_CHECKSUM") ==
          0);
    CHECK(strcmp(wd_status_message(0xee), "unknown status") == 0);
    CHECK(strcmp(wd_command_name(WD_CMD_GET_RANDOM), "GET_RANDOM") == 0);
    CHECK(strcmp(wd_lifecycle_label(WD_LIFECYCLE_OPERATIONAL),
                 "operational") == 0);
}

int
main(void)
{
    test_crc_known_answer();
    test_round_trip();
    test_encode_refuses_oversize();
    test_decode_errors();
    test_stream_check();
    test_names();
    return wt_finish("test_frame");
}
