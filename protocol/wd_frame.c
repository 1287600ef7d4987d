/* Bus frame encoding and checks; see wd_proto.h for the layout. */
#include "wd_proto.h"

#include <string.h>

uint16_t
wd_crc16(const uint8_t *buf, size_t len)
{
    uint16_t crc = 0xffff;
    size_t i;
    int bit;

    for (i = 0; i < len; i++) {
        crc ^= (uint16_t)(buf[i] << 8);
        for (bit = 0; bit < 8; bit++) {
            if (crc & 0x8000) {
                crc = (uint16_t)((crc << 1) ^ 0x1021);
            } else {
                crc = (uint16_t)(crc << 1);
            }
        }
    }
    return crc;
}

static void
read_header(const uint8_t *buf, size_t n, struct wd_header *hdr)
{
    memset(hdr, 0, sizeof(*hdr));
    if (n >= 1) {
        hdr->version = buf[0];
    }
    if (n >= 2) {
        hdr->command = buf[1];
    }
    if (n >= 3) {
        hdr->flags = buf[2];
    }
    if (n >= 4) {
        hdr->status = buf[3];
    }
    if (n >= 6) {
        hdr->seq = wd_get16(buf + 4);
    }
    if (n >= 8) {
        hdr->length = wd_get16(buf + 6);
    }
}

enum wd_frame_result
wd_frame_check(const uint8_t *buf, size_t n, size_t *frame_len,
               enum wd_status *status)
{
    size_t length;

    *frame_len = 0;
    *status = WD_STATUS_OK;

    /*
     * The version byte is checked first, as soon as it arrives: a peer
     * that sends garbage is cut off without waiting for a length field
     * that means nothing.
     */
    if (n >= 1 && buf[0] != WD_PROTO_VERSION) {
        *status = WD_STATUS_BAD_VERSION;
        return WD_FRAME_BROKEN;
    }
    if (n < WD_HEADER_LEN) {
        return WD_FRAME_NEED_MORE;
    }
    length = wd_get16(buf + 6);
    if (length > WD_MAX_PAYLOAD) {
        *status = WD_STATUS_BAD_LENGTH;
        return WD_FRAME_BROKEN;
    }
    if (n < WD_HEADER_LEN + length + WD_CRC_LEN) {
        return WD_FRAME_NEED_MORE;
    }
    *frame_len = WD_HEADER_LEN + length + WD_CRC_LEN;
    return WD_FRAME_COMPLETE;
}

enum wd_status
wd_frame_decode(const uint8_t *buf, size_t len, struct wd_header *hdr,
                const uint8_t **payload)
{
    size_t body;

    read_header(buf, len, hdr);
    *payload = NULL;

    if (len < 1 || hdr->version != WD_PROTO_VERSION) {
        return WD_STATUS_BAD_VERSION;
    }
    if (len < WD_HEADER_LEN + WD_CRC_LEN || hdr->length > WD_MAX_PAYLOAD) {
        return WD_STATUS_BAD_LENGTH;
    }
    body = WD_HEADER_LEN + (size_t)hdr->length;
    if (len != body + WD_CRC_LEN) {
        return WD_STATUS_BAD_LENGTH;
    }
    if (wd_crc16(buf, body) != wd_get16(buf + body)) {
        return WD_STATUS_BAD_CHECKSUM;
    }
    if (hdr->flags & ~WD_FLAG_KNOWN) {
        return WD_STATUS_BAD_FLAGS;
    }
    *payload = buf + WD_HEADER_LEN;
    return WD_STATUS_OK;
}

size_t
wd_frame_encode(const struct wd_header *hdr, const uint8_t *payload,
                uint8_t *out, size_t cap)
{
    size_t body = WD_HEADER_LEN + (size_t)hdr->length;

    if (hdr->length > WD_MAX_PAYLOAD || cap < body + WD_CRC_LEN) {
        return 0;
    }
    /* memmove: callers may build the payload in place. */
    if (hdr->length > 0 && payload != out + WD_HEADER_LEN) {
        memmove(out + WD_HEADER_LEN, payload, hdr->length);
    }
    out[0] = hdr->version;
    out[1] = hdr->command;
    out[2] = hdr->flags;
    out[3] = hdr->status;
    wd_put16(out + 4, hdr->seq);
    wd_put16(out + 6, hdr->length);
    wd_put16(out + body, wd_crc16(out, body));
    return body + WD_CRC_LEN;
}

const char *
wd_status_message(unsigned status)
{
    switch (status) {
#define WD_X(name, code, message)                                            \
    case code:                                                               \
        return message;
        WD_STATUS_LIST(WD_X)
#undef WD_X
    }
    return "unknown status";
}

const char *
wd_status_name(unsigned status)
{
    switch (status) {
#define WD_X(name, code, message)                                            \
    case code:                                                               \
        return #name;
        WD_STATUS_LIST(WD_X)
#undef WD_X
    }
    return "UNKNOWN";
}

const char *
wd_command_name(unsigned command)
{
    switch (command) {
#define WD_X(name, code, summary)                                            \
    case code:                                                               \
        return #name;
        WD_COMMAND_LIST(WD_X)
#undef WD_X
    }
    return "UNKNOWN";
}

const char *
wd_lifecycle_label(unsigned lifecycle)
{
    switch (lifecycle) {
#define WD_X(name, code, label)                                              \
    case code:                                                               \
        return label;
        WD_LIFECYCLE_LIST(WD_X)
#undef WD_X
    }
    return "unknown";
}
