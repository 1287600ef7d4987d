/*
 * Warden bus protocol: the only definitions shared by the companion
 * firmware and the host. docs/protocol.md is the prose version of this
 * file; keep them in step.
 *
 * A frame is a fixed header, a bounded payload and a CRC:
 *
 *   0  u8   version         WD_PROTO_VERSION
 *   1  u8   command         WD_CMD_*
 *   2  u8   flags           WD_FLAG_*
 *   3  u8   status          WD_STATUS_* in responses, 0 in requests
 *   4  u16  sequence        big-endian, per channel
 *   6  u16  payload length  big-endian, at most WD_MAX_PAYLOAD
 *   8  ...  payload
 *   .  u16  CRC-16/CCITT-FALSE over header and payload, big-endian
 *
 * This code never allocates and never prints.
 */
#ifndef WD_PROTO_H
#define WD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define WD_PROTO_VERSION 1

/*
 * Largest payload of one frame, like the buffer of a real chip. Larger
 * messages travel in chunks (WD_FLAG_MORE, WD_CMD_CONTINUE).
 */
#define WD_MAX_PAYLOAD 1024
#define WD_HEADER_LEN 8
#define WD_CRC_LEN 2
#define WD_MAX_FRAME (WD_HEADER_LEN + WD_MAX_PAYLOAD + WD_CRC_LEN)

/*
 * Largest whole message (request or response) once its chunks are put
 * together: the size of the companion's message buffers.
 */
#define WD_MAX_MESSAGE 4096

/* Flags. Bits not listed here must be zero. */
#define WD_FLAG_RESPONSE 0x01 /* set in every response */
#define WD_FLAG_MORE 0x02     /* another chunk of this message follows */
#define WD_FLAG_KNOWN (WD_FLAG_RESPONSE | WD_FLAG_MORE)

/* Commands: X(name, code, summary). */
#define WD_COMMAND_LIST(X)                                                   \
    X(CONTINUE, 0x01, "fetch the next chunk of a long response")            \
    X(GET_INFO, 0x02, "read device information")                            \
    X(GET_RANDOM, 0x03, "read bytes from the companion's DRBG")             \
    X(ECHO, 0x04, "return the request payload (bus test)")

enum wd_command {
#define WD_X(name, code, summary) WD_CMD_##name = code,
    WD_COMMAND_LIST(WD_X)
#undef WD_X
};

/*
 * Status codes: X(name, code, message). 0x01-0x0f are bus errors,
 * 0x10-0x2f command errors, 0x30-0x3f companion faults.
 */
#define WD_STATUS_LIST(X)                                                    \
    X(OK, 0x00, "success")                                                  \
    X(BAD_VERSION, 0x01, "unsupported protocol version")                    \
    X(BAD_CHECKSUM, 0x02, "frame checksum mismatch")                        \
    X(BAD_LENGTH, 0x03, "payload length over the maximum")                  \
    X(BAD_FLAGS, 0x04, "unknown or misplaced frame flags")                  \
    X(BAD_SEQUENCE, 0x05, "request out of sequence")                        \
    X(BUSY, 0x06, "another channel holds the message buffer")               \
    X(UNKNOWN_COMMAND, 0x10, "unknown command")                             \
    X(BAD_PAYLOAD, 0x11, "malformed request payload")                       \
    X(TOO_LARGE, 0x12, "message larger than the companion's buffer")        \
    X(NO_PENDING, 0x13, "no response chunk pending")                        \
    X(NOT_ALLOWED, 0x14, "not allowed in this lifecycle state")             \
    X(RNG_FAILURE, 0x30, "random generator failed its health test")         \
    X(STORAGE_FAILURE, 0x31, "storage failure")                             \
    X(INTERNAL, 0x3f, "internal error")

enum wd_status {
#define WD_X(name, code, message) WD_STATUS_##name = code,
    WD_STATUS_LIST(WD_X)
#undef WD_X
};

/* Lifecycle states reported by GET_INFO. */
#define WD_LIFECYCLE_LIST(X)                                                 \
    X(MANUFACTURING, 1, "manufacturing")                                    \
    X(OPERATIONAL, 2, "operational")                                        \
    X(DECOMMISSIONED, 3, "decommissioned")

enum wd_lifecycle {
#define WD_X(name, code, label) WD_LIFECYCLE_##name = code,
    WD_LIFECYCLE_LIST(WD_X)
#undef WD_X
};

/* GET_INFO response layout (all integers big-endian). */
#define WD_INFO_PROTO_VERSION 0 /* u8 */
#define WD_INFO_FW_MAJOR 1      /* u8 */
#define WD_INFO_FW_MINOR 2      /* u8 */
#define WD_INFO_FW_PATCH 3      /* u8 */
#define WD_INFO_LIFECYCLE 4     /* u8, enum wd_lifecycle */
#define WD_INFO_HEALTH 5        /* u8, WD_HEALTH_* bits; 0 healthy */
#define WD_INFO_STORE_USED 6    /* u32, bytes of records */
#define WD_INFO_STORE_CAP 10    /* u32, bytes available for records */
#define WD_INFO_RECORDS 14      /* u16, records stored */
#define WD_INFO_RECORDS_MAX 16  /* u16, records possible */
#define WD_INFO_SERIAL_LEN 18   /* u8, 0 when not provisioned */
#define WD_INFO_SERIAL 19       /* serial number bytes */
#define WD_INFO_FIXED_LEN 19
#define WD_SERIAL_MAX 32

/* WD_INFO_HEALTH bits. Either failure lasts until the companion restarts. */
#define WD_HEALTH_RNG_FAILED 0x01     /* entropy health test failed */
#define WD_HEALTH_STORAGE_FAILED 0x02 /* storage unreadable after a write */
#define WD_HEALTH_KNOWN (WD_HEALTH_RNG_FAILED | WD_HEALTH_STORAGE_FAILED)

/* Decoded frame header. */
struct wd_header {
    uint8_t version;
    uint8_t command;
    uint8_t flags;
    uint8_t status;
    uint16_t seq;
    uint16_t length;
};

/* What wd_frame_check() found. */
enum wd_frame_result {
    WD_FRAME_COMPLETE,   /* a whole frame of *frame_len bytes is there */
    WD_FRAME_NEED_MORE,  /* not enough bytes yet */
    WD_FRAME_BROKEN,     /* stream cannot be trusted: answer and close */
};

/*
 * Looks at the first n bytes of a stream. On WD_FRAME_COMPLETE,
 * *frame_len is the length of the frame at buf. On WD_FRAME_BROKEN,
 * *status says why (bad version, length over the maximum); the header
 * fields are still usable for an error response. The checksum is not
 * checked here: see wd_frame_decode().
 */
enum wd_frame_result wd_frame_check(const uint8_t *buf, size_t n,
                                    size_t *frame_len,
                                    enum wd_status *status);

/*
 * Decodes one complete frame of len bytes. Fills *hdr and sets *payload
 * to the payload inside buf. Returns WD_STATUS_OK or the bus error that
 * the frame carries (version, length, flags, checksum). *hdr is filled
 * as far as the bytes allow, so that an error response can echo the
 * command and sequence.
 */
enum wd_status wd_frame_decode(const uint8_t *buf, size_t len,
                               struct wd_header *hdr,
                               const uint8_t **payload);

/*
 * Writes a frame into out (capacity cap). payload may be NULL when
 * hdr->length is 0, and may overlap out + WD_HEADER_LEN. Returns the
 * frame length, or 0 if the length is over WD_MAX_PAYLOAD or cap is too
 * small.
 */
size_t wd_frame_encode(const struct wd_header *hdr, const uint8_t *payload,
                       uint8_t *out, size_t cap);

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff, no reflection). */
uint16_t wd_crc16(const uint8_t *buf, size_t len);

/* Static strings for codes; "unknown" for codes not in the lists. */
const char *wd_status_message(unsigned status);
const char *wd_status_name(unsigned status);
const char *wd_command_name(unsigned command);
const char *wd_lifecycle_label(unsigned lifecycle);

/* Big-endian helpers. */
static inline uint16_t
wd_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
wd_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline void
wd_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void
wd_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
