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
    X(ECHO, 0x04, "return the request payload (bus test)")                 \
    X(INVENTORY, 0x05, "list the keys, certificates and identity held")     \
    X(KEY_GENERATE, 0x10, "generate a key pair inside the companion")       \
    X(KEY_PUBLIC, 0x11, "read the public half of a key pair")               \
    X(CSR_CREATE, 0x12, "make a PKCS#10 request signed by a key pair")      \
    X(CERT_INSTALL, 0x13, "install a device or attestation certificate")    \
    X(ROOT_ADD, 0x14, "add a root certificate to the trust store")          \
    X(PUBKEY_INSTALL, 0x15, "install the admin or firmware-signing key")    \
    X(SERIAL_SET, 0x16, "set the device serial number")                     \
    X(LOCK, 0x17, "end manufacturing: provisioning is closed for good")     \
    X(CERT_INFO, 0x18, "describe an installed certificate")                 \
    X(CERT_READ, 0x19, "read an installed certificate")                     \
    X(TLS_OPEN, 0x30, "start a TLS client session: get its ClientHello")    \
    X(TLS_RECEIVE, 0x31, "hand over a handshake message from the server")   \
    X(TLS_FLIGHT, 0x32, "read the client's final handshake flight")         \
    X(TLS_KEY_UPDATE, 0x33, "next application traffic key of a direction")  \
    X(TLS_STATUS, 0x34, "what a session decided, and why it failed")        \
    X(TLS_CLOSE, 0x35, "end a session and wipe its slot")                  \
    X(ADMIN_STATUS, 0x40, "admin update counter, time floor and policy")   \
    X(ADMIN_UPDATE, 0x41, "apply an update signed by the admin key")       \
    X(BOOT, 0x50, "report the host firmware's signature: unlock the key")  \
    X(ATTEST, 0x51, "sign a challenge with the attestation key")            \
    X(RESET, 0x52, "reset: end all sessions, forget every boot report")

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
    X(NOT_FOUND, 0x15, "no such key, certificate or record")                \
    X(BAD_CERTIFICATE, 0x16, "malformed or unsupported certificate")        \
    X(KEY_MISMATCH, 0x17, "certificate does not match the key")             \
    X(FULL, 0x18, "no room left for it")                                    \
    X(INCOMPLETE, 0x19, "provisioning is incomplete")                       \
    X(BAD_KEY, 0x1a, "malformed or unsupported public key")                 \
    X(RECORD_TOO_LARGE, 0x1b, "too large for its record")                   \
    X(NOT_ISSUER, 0x1c, "certificate is not the issuer of the one before it") \
    X(TLS_FAILED, 0x20, "TLS handshake refused (TLS_STATUS says why)")      \
    X(NO_SESSION, 0x21, "no such TLS session")                              \
    X(POLICY, 0x22, "outside the companion's policy")                       \
    X(BOOT_REFUSED, 0x23,                                                   \
      "host firmware not verified: signature does not match this host")    \
    X(NOT_MEASURED, 0x24, "host firmware could not be measured")            \
    X(KEY_LOCKED, 0x25, "device key locked: host firmware not verified")   \
    X(BAD_SIGNATURE, 0x28, "signature does not verify with the admin key") \
    X(WRONG_DEVICE, 0x29, "update is for another device (serial)")          \
    X(REPLAYED, 0x2a, "update counter already used: a replayed update")     \
    X(STALE, 0x2b, "update counter below the device's: an older update")    \
    X(TIME_BACKWARDS, 0x2c, "time floor would not move forward")            \
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

/*
 * Provisioning (docs/protocol.md section 5 has each payload).
 *
 * Key pairs live in slots; curves use their TLS NamedGroup numbers.
 * Public keys travel as u8 curve followed by the uncompressed SEC1 point
 * (65 or 97 bytes).
 */
#define WD_KEY_DEVICE 1
#define WD_KEY_ATTESTATION 2
#define WD_CURVE_P256 23
#define WD_CURVE_P384 24

/*
 * Secure boot and attestation (docs/protocol.md section 5 and
 * docs/secure-boot.md). Byte strings that are hashed or signed start
 * with a label, so that no signature made for one purpose is valid for
 * another.
 */
#define WD_BOOT_MEASURE_LABEL "WARDEN-MEASURE-1"   /* 16 bytes */
#define WD_BOOT_SIGNED_LABEL "WARDEN-FIRMWARE-1"   /* 17 bytes */
#define WD_ATTEST_LABEL "WARDEN-ATTEST-1"          /* 15 bytes */
#define WD_MEASUREMENT_LEN 32
#define WD_BOOT_CONFIG_MAX 255 /* bytes of the configuration's name */
#define WD_ATTEST_CHALLENGE_MIN 16
#define WD_ATTEST_CHALLENGE_MAX 64

/* Boot results, in BOOT responses and attestation statements. */
#define WD_BOOT_NONE 0       /* no boot report on this channel */
#define WD_BOOT_VERIFIED 1   /* signature good: device key unlocked */
#define WD_BOOT_REFUSED 2    /* signature did not match the measurement */
#define WD_BOOT_UNMEASURED 3 /* the platform could not measure the host */

/* Certificates: CERT_INSTALL, CERT_INFO and CERT_READ take u8 kind, u8 index. */
#define WD_CERT_DEVICE 1      /* index 0 leaf, 1..3 intermediates */
#define WD_CERT_ATTESTATION 2 /* index 0 only */
#define WD_CERT_ROOT 3        /* index 0..WD_ROOTS_MAX-1 */
#define WD_DEVICE_CHAIN_MAX 4
#define WD_ROOTS_MAX 8
#define WD_CERT_MAX 2048 /* bytes of one certificate */

/* PUBKEY_INSTALL targets; the key travels as a DER SubjectPublicKeyInfo. */
#define WD_PUBKEY_ADMIN 1
#define WD_PUBKEY_FIRMWARE 2

/* INVENTORY response layout. */
#define WD_INV_DEVICE_KEY 0      /* u8 curve, 0 if none */
#define WD_INV_ATTEST_KEY 1      /* u8 curve, 0 if none */
#define WD_INV_DEVICE_CHAIN 2    /* u8 certificates in the device chain */
#define WD_INV_ATTEST_CERT 3     /* u8 0 or 1 */
#define WD_INV_ROOTS 4           /* u8 bit mask of root slots in use */
#define WD_INV_ADMIN_KEY 5       /* u8 curve, 0 if none */
#define WD_INV_FIRMWARE_KEY 6    /* u8 curve, 0 if none */
#define WD_INV_SERIAL 7          /* u8 1 if set */
#define WD_INV_LEN 8

/*
 * CERT_INFO response layout: the companion's own reading of the
 * certificate, so that hosts need no X.509 parser to show it.
 */
#define WD_CINFO_NOT_BEFORE 0    /* u64 seconds since 1970, UTC (signed) */
#define WD_CINFO_NOT_AFTER 8     /* u64 */
#define WD_CINFO_SHA256 16       /* 32 bytes: SHA-256 of the DER */
#define WD_CINFO_KEY 48          /* u8: 1 EC P-256, 2 EC P-384, 3 RSA */
#define WD_CINFO_KEY_BITS 49     /* u16 */
#define WD_CINFO_IS_CA 51        /* u8 */
#define WD_CINFO_SUBJECT_LEN 52  /* u16, then subject Name DER */
#define WD_CINFO_FIXED_LEN 54    /* then u16 issuer length, issuer DER */

/*
 * TLS sessions (docs/protocol.md section 7). The companion writes every
 * handshake message the client sends and reads every one the server
 * sends; the host moves records. Handshake messages cross the bus whole
 * (type, u24 length, body), never as records.
 */
#define WD_TLS_SESSIONS 4
#define WD_TLS_NAME_MAX 253
#define WD_TLS_ALPN_MAX 128    /* ProtocolNameList bytes */
/*
 * Longest server handshake message (a Certificate), and of the client's
 * last flight: the companion's shared work area, which together with the
 * validator's memory stays within 16 KB.
 */
#define WD_TLS_MESSAGE_MAX 10752

/* TLS_RECEIVE request: u8 session, u8 flags, message bytes. */
#define WD_TLS_MORE 0x01 /* the message continues in the next request */

/* TLS_RECEIVE response: u8 event, then what the event carries. */
#define WD_TLS_EV_CONTINUE 0      /* nothing to send: next message */
#define WD_TLS_EV_CLIENT_HELLO 1  /* HelloRetryRequest: send this one */
#define WD_TLS_EV_HANDSHAKE_KEYS 2 /* ServerHello accepted */
#define WD_TLS_EV_CONNECTED 3     /* server authenticated */
#define WD_TLS_EV_KEY_UPDATE 4    /* the server moved to new keys */
#define WD_TLS_EV_TLS12 5         /* the server chose TLS 1.2: u16 suite */
#define WD_TLS_EV_TLS12_KEYS 6    /* TLS 1.2 flight written: keys, lengths */
#define WD_TLS_EV_TLS12_DONE 7    /* TLS 1.2 server Finished verified */

/* TLS 1.2 AEAD: the implicit part of the nonce (RFC 5288 3, RFC 6655 3). */
#define WD_TLS12_SALT_LEN 4

/* TLS_KEY_UPDATE request: u8 session, u8 direction. */
#define WD_TLS_CLIENT_WRITE 0 /* the host's sending keys */
#define WD_TLS_SERVER_WRITE 1 /* the host's receiving keys */

/* TLS_STATUS response layout. */
#define WD_TLSS_STATE 0       /* u8: 0 free, 1 handshaking, 2 connected, 3 failed */
#define WD_TLSS_ALERT 1       /* u8: alert to send when failed, 0 none */
#define WD_TLSS_REASON 2      /* u8: certificate verdict (docs) when failed */
#define WD_TLSS_VERSION 3     /* u16: 0x0304 or 0x0303, 0 before */
#define WD_TLSS_SUITE 5       /* u16 */
#define WD_TLSS_GROUP 7       /* u16 */
#define WD_TLSS_FLAGS 9       /* u8: WD_TLSS_F_* */
#define WD_TLSS_CHAIN_LEN 10  /* u8: certificates the server sent */
#define WD_TLSS_ALPN_LEN 11   /* u8, then the selected protocol */
#define WD_TLSS_FIXED_LEN 12
/*
 * TLSS_REASON beyond the certificate verdicts (1-31): why a handshake
 * was refused, where the alert alone does not say.
 */
#define WD_TLS_REASON_OLD_VERSION 32   /* TLS 1.1 or older */
#define WD_TLS_REASON_NO_EMS 33        /* no extended master secret */
#define WD_TLS_REASON_NO_RENEG_INFO 34 /* no secure renegotiation */
#define WD_TLS_REASON_DOWNGRADE 35     /* a TLS 1.3 server's sentinel */
#define WD_TLS_REASON_RENEGOTIATION 36 /* a HelloRequest */
#define WD_TLSS_F_HRR 0x01          /* a HelloRetryRequest happened */
#define WD_TLSS_F_CERT_REQUESTED 0x02
#define WD_TLSS_F_CLIENT_CERT 0x04  /* the device certificate was sent */
#define WD_TLSS_F_KEY_LOCKED 0x08   /* withheld: host firmware not verified */

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

static inline uint64_t
wd_get64(const uint8_t *p)
{
    return ((uint64_t)wd_get32(p) << 32) | wd_get32(p + 4);
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

static inline void
wd_put64(uint8_t *p, uint64_t v)
{
    wd_put32(p, (uint32_t)(v >> 32));
    wd_put32(p + 4, (uint32_t)v);
}

#endif
