/*
 * The bus driver: frames, sequence numbers and chunking on the host
 * side, and the calls of warden.h built on them. docs/protocol.md is the
 * specification this follows.
 *
 * Any response that does not fit the protocol (bad checksum, wrong
 * command or sequence, missing response flag, impossible length) means
 * the stream can no longer be trusted: the device is marked failed and
 * every later call returns that first error until warden_close().
 */
/* nanosleep() */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "wd_proto.h"

/* warden.h cannot include wd_proto.h; make sure the sizes agree. */
typedef char warden_frame_size_ok[WARDEN_FRAME_MAX == WD_MAX_FRAME ? 1 : -1];

/*
 * Room for the longest GET_INFO response the length byte can describe,
 * so that an over-long serial is reported as such.
 */
#define INFO_MAX (WD_INFO_FIXED_LEN + 255)

static int lost(struct warden_dev *dev, const char *fmt, ...)
    WARDEN_PRINTF(2, 3);

/* Marks the stream unusable and records a protocol error. */
static int
lost(struct warden_dev *dev, const char *fmt, ...)
{
    va_list ap;

    dev->failed = 1;
    va_start(ap, fmt);
    warden_dev_vfail(dev, WARDEN_ERR_PROTOCOL, fmt, ap);
    va_end(ap);
    return WARDEN_ERR_PROTOCOL;
}

/*
 * Bus errors that the companion returns only for a frame other than the
 * one the host meant to send: the stream is out of step, or the daemon
 * is about to close it.
 */
static int
breaks_stream(unsigned status)
{
    return status >= WD_STATUS_BAD_VERSION && status <= WD_STATUS_BAD_SEQUENCE;
}

static int
refused(struct warden_dev *dev, uint8_t command, unsigned status)
{
    if (breaks_stream(status)) {
        dev->failed = 1;
    }
    warden_dev_fail(dev, WARDEN_ERR_COMPANION, "%s: companion refused: %s (%s)",
                    wd_command_name(command), wd_status_message(status),
                    wd_status_name(status));
    dev->status = status;
    return WARDEN_ERR_COMPANION;
}

/* what is "write" or "read", for the message. */
static int
transport_failed(struct warden_dev *dev, uint8_t command, int rc,
                 const char *what)
{
    const char *name = wd_command_name(command);
    int builtin = dev->transport == &warden_unix_transport;
    int e = errno;

    /* Part of a frame may have gone or come: the stream is out of step. */
    dev->failed = 1;
    if (rc == WARDEN_ERR_CLOSED) {
        return warden_dev_fail(dev, rc, "%s: companion closed the connection",
                               name);
    }
    if (rc == WARDEN_ERR_TIMEOUT && builtin) {
        return warden_dev_fail(dev, rc,
                               "%s: companion did not answer within %d s", name,
                               WARDEN_UNIX_TIMEOUT_S);
    }
    if (rc == WARDEN_ERR_TIMEOUT) {
        return warden_dev_fail(dev, rc, "%s: companion did not answer in time",
                               name);
    }
    /* Only the built-in transport promises errno; others get no reason. */
    if (builtin && e != 0) {
        return warden_dev_fail(dev, WARDEN_ERR_IO, "%s: bus %s failed: %s",
                               name, what, strerror(e));
    }
    return warden_dev_fail(dev, WARDEN_ERR_IO, "%s: bus %s failed", name, what);
}

static int
recv_all(struct warden_dev *dev, uint8_t about, uint8_t *buf, size_t len)
{
    int rc;

    errno = 0;
    rc = dev->transport->recv(dev->transport_ctx, buf, len);
    if (rc != WARDEN_ERR_OK) {
        return transport_failed(dev, about, rc, "read");
    }
    return WARDEN_ERR_OK;
}

/*
 * Sends one request frame and reads its response into dev->frame; *rh
 * and *rp then describe it. about is the command the caller asked for,
 * which messages name (command differs for CONTINUE).
 */
static int
exchange(struct warden_dev *dev, uint8_t about, uint8_t command, uint8_t flags,
         const uint8_t *payload, size_t len, struct wd_header *rh,
         const uint8_t **rp)
{
    const char *name = wd_command_name(about);
    struct wd_header h;
    enum wd_frame_result res;
    enum wd_status st;
    size_t n;
    int rc;

    h.version = WD_PROTO_VERSION;
    h.command = command;
    h.flags = flags;
    h.status = 0;
    h.seq = dev->seq;
    h.length = (uint16_t)len;
    n = wd_frame_encode(&h, payload, dev->frame, sizeof(dev->frame));
    if (n == 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: chunk of %zu bytes does not fit a frame",
                               name, len);
    }

    /* The companion counts every request it receives, answered or not. */
    dev->seq = (uint16_t)(dev->seq + 1);
    errno = 0;
    rc = dev->transport->send(dev->transport_ctx, dev->frame, n);
    if (rc != WARDEN_ERR_OK) {
        return transport_failed(dev, about, rc, "write");
    }

    /* The header first: it says how much more to read. */
    rc = recv_all(dev, about, dev->frame, WD_HEADER_LEN);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    res = wd_frame_check(dev->frame, WD_HEADER_LEN, &n, &st);
    if (res == WD_FRAME_BROKEN) {
        return lost(dev, "%s: companion sent a broken frame: %s", name,
                    wd_status_message(st));
    }
    n = WD_HEADER_LEN + (size_t)wd_get16(dev->frame + 6) + WD_CRC_LEN;
    rc = recv_all(dev, about, dev->frame + WD_HEADER_LEN, n - WD_HEADER_LEN);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }

    st = wd_frame_decode(dev->frame, n, rh, rp);
    if (st != WD_STATUS_OK) {
        return lost(dev, "%s: bad response frame: %s", name,
                    wd_status_message(st));
    }
    if (!(rh->flags & WD_FLAG_RESPONSE)) {
        return lost(dev, "%s: companion sent a request instead of a response",
                    name);
    }
    if (rh->command != command) {
        return lost(dev, "%s: response is for command %s (0x%02x)", name,
                    wd_command_name(rh->command), rh->command);
    }
    if (rh->seq != h.seq) {
        return lost(dev, "%s: response has sequence number %u, expected %u",
                    name, (unsigned)rh->seq, (unsigned)h.seq);
    }
    /* A refusal is one empty frame; anything else is not the protocol. */
    if (rh->status != WD_STATUS_OK &&
        ((rh->flags & WD_FLAG_MORE) || rh->length != 0)) {
        return lost(dev, "%s: error response %s with a payload or MORE flag",
                    name, wd_status_name(rh->status));
    }
    return WARDEN_ERR_OK;
}

/*
 * Sleeps a little while another host holds the companion's message
 * buffers: 1 ms, doubling to 64 ms. Returns the milliseconds slept.
 */
static unsigned
busy_pause(unsigned waited_ms)
{
    unsigned ms = waited_ms < 64 ? waited_ms + 1 : 64;
    struct timespec ts;

    ts.tv_sec = 0;
    ts.tv_nsec = (long)ms * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return ms;
}

/*
 * Sends a request in chunks of at most WD_MAX_PAYLOAD bytes. Each chunk
 * but the last must be acknowledged with an empty OK; the response to
 * the last one is left in *rh and *rp.
 */
static int
send_request(struct warden_dev *dev, uint8_t command, const uint8_t *req,
             size_t req_len, struct wd_header *rh, const uint8_t **rp)
{
    const char *name = wd_command_name(command);
    size_t off = 0;
    size_t chunk;
    unsigned waited_ms = 0;
    int more;
    int rc;

    do {
        chunk = req_len - off;
        if (chunk > WD_MAX_PAYLOAD) {
            chunk = WD_MAX_PAYLOAD;
        }
        more = off + chunk < req_len;
        rc = exchange(dev, command, command, more ? WD_FLAG_MORE : 0,
                      chunk > 0 ? req + off : NULL, chunk, rh, rp);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
        /*
         * BUSY comes only for a first frame: another host is in the middle
         * of a long message, which the companion ends within its hold
         * limit (protocol section 8). Wait for it here rather than make
         * every caller retry; the refused frame was counted, so the next
         * try goes with the next sequence number, as exchange() does.
         */
        if (off == 0 && rh->status == WD_STATUS_BUSY &&
            waited_ms < WARDEN_BUSY_WAIT_MS) {
            waited_ms += busy_pause(waited_ms);
            continue;
        }
        off += chunk;
        if (!more) {
            break;
        }
        if (rh->status != WD_STATUS_OK) {
            return refused(dev, command, rh->status);
        }
        if ((rh->flags & WD_FLAG_MORE) || rh->length != 0) {
            return lost(dev, "%s: companion answered a request chunk with data",
                        name);
        }
    } while (off < req_len);
    return WARDEN_ERR_OK;
}

/*
 * One whole call: request out, response in, fetching further response
 * chunks with CONTINUE. A response larger than cap is read to its end,
 * so the stream stays in step, and then reported as overflow_err.
 */
static int
call(struct warden_dev *dev, uint8_t command, const uint8_t *req,
     size_t req_len, uint8_t *resp, size_t cap, size_t *resp_len,
     int overflow_err)
{
    const char *name = wd_command_name(command);
    struct wd_header rh;
    const uint8_t *rp;
    size_t total = 0;
    int overflow = 0;
    int rc;

    *resp_len = 0;
    rc = send_request(dev, command, req, req_len, &rh, &rp);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }

    for (;;) {
        if (rh.status != WD_STATUS_OK) {
            return refused(dev, command, rh.status);
        }
        if (rh.length > WD_MAX_MESSAGE - total) {
            return lost(dev, "%s: response longer than the %d-byte maximum",
                        name, WD_MAX_MESSAGE);
        }
        if (!overflow && rh.length <= cap - total) {
            if (rh.length > 0) {
                memcpy(resp + total, rp, rh.length);
            }
        } else {
            overflow = 1;
        }
        total += rh.length;
        if (!(rh.flags & WD_FLAG_MORE)) {
            break;
        }
        /* An empty chunk that promises more could go on for ever. */
        if (rh.length == 0) {
            return lost(dev, "%s: empty response chunk marked as not the last",
                        name);
        }
        rc = exchange(dev, command, WD_CMD_CONTINUE, 0, NULL, 0, &rh, &rp);
        if (rc != WARDEN_ERR_OK) {
            return rc;
        }
    }

    if (overflow && overflow_err == WARDEN_ERR_PROTOCOL) {
        return lost(dev, "%s: response of %zu bytes, expected at most %zu",
                    name, total, cap);
    }
    if (overflow) {
        return warden_dev_fail(dev, overflow_err,
                               "%s: response of %zu bytes does not fit the "
                               "%zu-byte buffer",
                               name, total, cap);
    }
    *resp_len = total;
    return WARDEN_ERR_OK;
}

/* Checks that dev can take a call, and clears the last error. */
static int
begin(struct warden_dev *dev)
{
    if (!dev->open) {
        return warden_dev_fail(dev, WARDEN_ERR_NOT_OPEN, "companion not open");
    }
    /* Keep the first error and its message: they say what broke. */
    if (dev->failed) {
        return dev->err;
    }
    warden_dev_clear(dev);
    return WARDEN_ERR_OK;
}

/* Wipes the frame buffer: the last frame may have carried random bytes. */
static int
end(struct warden_dev *dev, int rc)
{
    warden_wipe(dev->frame, sizeof(dev->frame));
    return rc;
}

/* The helpers above, for the calls in the library's other files. */
int
warden_dev_begin(struct warden_dev *dev)
{
    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    return begin(dev);
}

int
warden_dev_call(struct warden_dev *dev, uint8_t command, const uint8_t *req,
                size_t req_len, uint8_t *resp, size_t cap, size_t *resp_len,
                int overflow_err)
{
    return call(dev, command, req, req_len, resp, cap, resp_len,
                overflow_err);
}

int
warden_dev_end(struct warden_dev *dev, int rc)
{
    return end(dev, rc);
}

int
warden_dev_lost(struct warden_dev *dev, const char *fmt, ...)
{
    va_list ap;

    dev->failed = 1;
    va_start(ap, fmt);
    warden_dev_vfail(dev, WARDEN_ERR_PROTOCOL, fmt, ap);
    va_end(ap);
    return WARDEN_ERR_PROTOCOL;
}

static void
reset(struct warden_dev *dev)
{
    warden_wipe(dev, sizeof(*dev));
    dev->transport = NULL;
    dev->transport_ctx = NULL;
    dev->fd = -1;
}

int
warden_open(struct warden_dev *dev, const char *address)
{
    static const char scheme[] = "unix:";
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    reset(dev);
    if (address == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ADDRESS,
                               "no companion address given");
    }
    if (strncmp(address, scheme, sizeof(scheme) - 1) != 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ADDRESS,
                               "bad companion address \"%.80s\": supported "
                               "schemes: unix:PATH (wardend's socket)",
                               address);
    }
    rc = warden_unix_open(dev, address, address + sizeof(scheme) - 1);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    dev->open = 1;
    return WARDEN_ERR_OK;
}

int
warden_open_transport(struct warden_dev *dev,
                      const struct warden_transport *transport, void *ctx)
{
    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    reset(dev);
    if (transport == NULL || transport->send == NULL ||
        transport->recv == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "transport lacks send or recv");
    }
    dev->transport = transport;
    dev->transport_ctx = ctx;
    dev->open = 1;
    return WARDEN_ERR_OK;
}

void
warden_close(struct warden_dev *dev)
{
    if (dev == NULL) {
        return;
    }
    if (dev->open && dev->transport->close != NULL) {
        dev->transport->close(dev->transport_ctx);
    }
    reset(dev);
}

int
warden_call(struct warden_dev *dev, uint8_t command, const void *req,
            size_t req_len, void *resp, size_t resp_cap, size_t *resp_len)
{
    const char *name = wd_command_name(command);
    size_t got;
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    if (resp_len != NULL) {
        *resp_len = 0;
    }
    rc = begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if ((req == NULL && req_len > 0) || (resp == NULL && resp_cap > 0)) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: NULL buffer with a non-zero length", name);
    }
    if (req_len > WD_MAX_MESSAGE) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "%s: request of %zu bytes is over the "
                               "%d-byte message limit",
                               name, req_len, WD_MAX_MESSAGE);
    }
    rc = call(dev, command, req, req_len, resp, resp_cap, &got,
              WARDEN_ERR_ARGUMENT);
    if (resp_len != NULL) {
        *resp_len = got;
    }
    return end(dev, rc);
}

int
warden_echo(struct warden_dev *dev, const void *in, size_t len, void *out,
            size_t cap, size_t *out_len)
{
    return warden_call(dev, WD_CMD_ECHO, in, len, out, cap, out_len);
}

int
warden_random(struct warden_dev *dev, void *out, size_t len)
{
    uint8_t *p = out;
    uint8_t req[2];
    size_t done = 0;
    size_t chunk;
    size_t got;
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    rc = begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (out == NULL && len > 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "GET_RANDOM: NULL buffer with a non-zero "
                               "length");
    }

    while (done < len) {
        chunk = len - done;
        if (chunk > WD_MAX_PAYLOAD) {
            chunk = WD_MAX_PAYLOAD;
        }
        wd_put16(req, (uint16_t)chunk);
        rc = call(dev, WD_CMD_GET_RANDOM, req, sizeof(req), p + done, chunk,
                  &got, WARDEN_ERR_PROTOCOL);
        if (rc == WARDEN_ERR_OK && got != chunk) {
            rc = lost(dev, "GET_RANDOM: asked for %zu bytes, got %zu", chunk,
                      got);
        }
        if (rc != WARDEN_ERR_OK) {
            break;
        }
        done += chunk;
    }

    /* A caller that ignores the error must not use half-filled output. */
    if (rc != WARDEN_ERR_OK && len > 0) {
        warden_wipe(out, len);
    }
    return end(dev, rc);
}

/* Checks a GET_INFO response against the layout of wd_proto.h. */
static int
parse_info(struct warden_dev *dev, const uint8_t *p, size_t len,
           struct warden_info *info)
{
    size_t serial_len;
    size_t i;

    if (len < WD_INFO_FIXED_LEN) {
        return lost(dev, "GET_INFO: response of %zu bytes, shorter than %d",
                    len, WD_INFO_FIXED_LEN);
    }
    serial_len = p[WD_INFO_SERIAL_LEN];
    if (serial_len > WD_SERIAL_MAX) {
        return lost(dev, "GET_INFO: serial number of %zu bytes, at most %d",
                    serial_len, WD_SERIAL_MAX);
    }
    if (len != WD_INFO_FIXED_LEN + serial_len) {
        return lost(dev, "GET_INFO: response of %zu bytes, expected %zu", len,
                    WD_INFO_FIXED_LEN + serial_len);
    }

    info->protocol_version = p[WD_INFO_PROTO_VERSION];
    info->fw_major = p[WD_INFO_FW_MAJOR];
    info->fw_minor = p[WD_INFO_FW_MINOR];
    info->fw_patch = p[WD_INFO_FW_PATCH];
    info->lifecycle = p[WD_INFO_LIFECYCLE];
    info->rng_failed = (p[WD_INFO_HEALTH] & WD_HEALTH_RNG_FAILED) != 0;
    info->storage_failed = (p[WD_INFO_HEALTH] & WD_HEALTH_STORAGE_FAILED) != 0;
    info->storage_used = wd_get32(p + WD_INFO_STORE_USED);
    info->storage_capacity = wd_get32(p + WD_INFO_STORE_CAP);
    info->records = wd_get16(p + WD_INFO_RECORDS);
    info->records_max = wd_get16(p + WD_INFO_RECORDS_MAX);

    if (info->protocol_version != WD_PROTO_VERSION) {
        return lost(dev,
                    "GET_INFO: companion reports protocol %u in "
                    "protocol %d frames",
                    info->protocol_version, WD_PROTO_VERSION);
    }
    /* With storage failed the companion cannot read its lifecycle. */
    if (!(info->storage_failed && info->lifecycle == 0) &&
        (info->lifecycle < WD_LIFECYCLE_MANUFACTURING ||
         info->lifecycle > WD_LIFECYCLE_DECOMMISSIONED)) {
        return lost(dev, "GET_INFO: unknown lifecycle state %u",
                    info->lifecycle);
    }
    if (p[WD_INFO_HEALTH] & ~WD_HEALTH_KNOWN) {
        return lost(dev, "GET_INFO: unknown health bits 0x%02x",
                    p[WD_INFO_HEALTH]);
    }
    if (info->storage_used > info->storage_capacity ||
        info->records > info->records_max) {
        return lost(dev, "GET_INFO: storage use over its capacity");
    }
    for (i = 0; i < serial_len; i++) {
        if (p[WD_INFO_SERIAL + i] < 0x20 || p[WD_INFO_SERIAL + i] > 0x7e) {
            return lost(dev,
                        "GET_INFO: serial number has byte 0x%02x at %zu, "
                        "not printable ASCII",
                        p[WD_INFO_SERIAL + i], i);
        }
        info->serial[i] = (char)p[WD_INFO_SERIAL + i];
    }
    info->serial[serial_len] = '\0';
    info->serial_len = serial_len;
    return WARDEN_ERR_OK;
}

int
warden_get_info(struct warden_dev *dev, struct warden_info *info)
{
    uint8_t buf[INFO_MAX];
    size_t len;
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    rc = begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (info == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "GET_INFO: no place for the answer");
    }
    memset(info, 0, sizeof(*info));

    rc = call(dev, WD_CMD_GET_INFO, NULL, 0, buf, sizeof(buf), &len,
              WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK) {
        rc = parse_info(dev, buf, len, info);
    }
    if (rc != WARDEN_ERR_OK) {
        memset(info, 0, sizeof(*info));
    }
    return end(dev, rc);
}
