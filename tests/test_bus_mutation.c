/*
 * The dispatcher (companion/companion.c) under hostile input: a few
 * hundred thousand frames from a seeded generator, straight into
 * wc_companion_handle() on three channels, judged against a reference
 * model of the bus rules in docs/protocol.md sections 1 to 4 and 6.
 *
 * The frames: sensible requests and chunk sequences (long ECHOs, chunks
 * of every size including empty ones, refused unless final, CONTINUE
 * after long responses), random command, flags, status, sequence and
 * length combinations, frames with one to three bits flipped, truncated
 * and overlong frames, length fields that lie under a correct CRC, raw
 * bytes, the response flag, wrong sequence numbers, reconnects, sequence
 * numbers about to wrap, and provisioning requests built from a real
 * certificate and key (certgen.h), half of them damaged.
 *
 * After every frame:
 *  - exactly one response frame: it decodes, has the response flag, the
 *    request's command and sequence (as far as the request had them), a
 *    status that wd_status_name() knows, at most WD_MAX_PAYLOAD bytes,
 *    and exactly the length wc_companion_handle() returned;
 *  - its status is the one the model expects (bus errors, BUSY,
 *    UNKNOWN_COMMAND, TOO_LARGE, NO_PENDING, BAD_PAYLOAD, chunk
 *    acknowledgements, and the full result of GET_INFO, GET_RANDOM and
 *    ECHO); for the other commands, one their handlers may give;
 *  - an error response is empty and has no MORE; chunks of a long
 *    response are 1024 bytes but the last, and add up to the response;
 *  - the channel's next_seq moved on by one exactly when the frame was
 *    accepted (not refused with a bus error);
 *  - storage was written only by a storage-changing command answered OK.
 *
 * Every few thousand frames a fresh channel asks GET_INFO (it must get
 * the exact expected answer, or BUSY while another channel holds the
 * message buffers) and storage is compared byte for byte; each round ends
 * with every channel released, a power cycle and GET_INFO again.
 *
 * The input frame is placed at the very end of its buffer so that the
 * sanitizer build catches a read past it. Everything is seeded: the same
 * build sees the same frames. A failure prints the round, the frame
 * number and the frame.
 */
#include <stdio.h>
#include <string.h>

#include "certgen.h"
#include "check.h"
#include "commands.h"
#include "memplat.h"
#include "records.h"
#include "wc_companion.h"
#include "wd_admin.h"

#define CHANNELS 3
#define FRAMES_PER_ROUND 40000
#define PROBE_EVERY 2500
#define MAX_REPORTS 8
#define GIVE_UP_AFTER 200

/* Frames may be a little longer than any real one (garbage). */
#define IN_CAP (WD_MAX_FRAME + 32)

static struct wt_memplat mp;
static struct wc_companion comp;
static struct wc_channel ch[CHANNELS];
static uint8_t snapshot[WC_STORE_SIZE];

static uint8_t inbuf[IN_CAP];
static uint8_t out[WD_MAX_FRAME];

/* Real certificates and keys, for provisioning requests to mutate. */
static struct wt_ca ca;
static uint8_t ca_cert[1024];
static size_t ca_cert_len;
static uint8_t ca_spki[256];
static size_t ca_spki_len;

/* The generator: SplitMix64, seeded per round. */
static uint64_t rng_state;

static uint64_t
next64(void)
{
    uint64_t z;

    rng_state += 0x9e3779b97f4a7c15ULL;
    z = rng_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned
rnd(unsigned n)
{
    return n ? (unsigned)(next64() % n) : 0;
}

static void
rnd_fill(uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        p[i] = (uint8_t)next64();
    }
}

/* A payload length: mostly short, sometimes the extremes. */
static size_t
rnd_len(void)
{
    switch (rnd(8)) {
    case 0:
        return 0;
    case 1:
        return WD_MAX_PAYLOAD;
    case 2:
        return WD_MAX_PAYLOAD - rnd(4);
    case 3:
    case 4:
        return rnd(WD_MAX_PAYLOAD + 1);
    default:
        return rnd(40);
    }
}

/*
 * CRC-16/CCITT-FALSE written again here, table-driven, so that the frames
 * the test judges do not depend on the code under test.
 */
static uint16_t crc_table[256];

static void
crc_table_init(void)
{
    unsigned i, b;
    uint16_t crc;

    for (i = 0; i < 256; i++) {
        crc = (uint16_t)(i << 8);
        for (b = 0; b < 8; b++) {
            crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        crc_table[i] = crc;
    }
}

static uint16_t
ref_crc16(const uint8_t *p, size_t len)
{
    uint16_t crc = 0xffff;
    size_t i;

    for (i = 0; i < len; i++) {
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ p[i]) & 0xff]);
    }
    return crc;
}

/* Writes a frame with a correct CRC; returns its length. */
static size_t
build(uint8_t *f, uint8_t cmd, uint8_t flags, uint8_t status, uint16_t seq,
      const uint8_t *payload, size_t len)
{
    f[0] = WD_PROTO_VERSION;
    f[1] = cmd;
    f[2] = flags;
    f[3] = status;
    f[4] = (uint8_t)(seq >> 8);
    f[5] = (uint8_t)seq;
    f[6] = (uint8_t)(len >> 8);
    f[7] = (uint8_t)len;
    if (len > 0) {
        memmove(f + WD_HEADER_LEN, payload, len);
    }
    wd_put16(f + WD_HEADER_LEN + len, ref_crc16(f, WD_HEADER_LEN + len));
    return WD_HEADER_LEN + len + WD_CRC_LEN;
}

/* The reference model. */

struct model {
    int owner;       /* channel holding the message buffers, -1 none */
    uint8_t req_cmd; /* command being gathered, 0 none */
    size_t req_len;
    uint8_t req[WD_MAX_MESSAGE];
    int pending;     /* the owner has response chunks to fetch */
    int known;       /* resp[] holds the whole response */
    size_t resp_len; /* when known */
    size_t resp_sent;
    uint8_t resp[WD_MAX_MESSAGE];
    uint16_t seq[CHANNELS];
    unsigned lifecycle;
    int failed; /* storage failed: only GET_INFO and ECHO run */
    uint8_t serial[WD_SERIAL_MAX];
    size_t serial_len;
};

static struct model m;

/* What the generator keeps per channel. */
struct gen {
    int last_more; /* the last response on it had MORE */
    int script;    /* a chunked request is being sent */
    uint8_t cmd;
    size_t total, sent;
    uint8_t data[WD_MAX_MESSAGE + 200];
};

static struct gen g[CHANNELS];

static void
drop(void)
{
    m.owner = -1;
    m.req_cmd = 0;
    m.req_len = 0;
    m.pending = 0;
    m.known = 0;
    m.resp_len = 0;
    m.resp_sent = 0;
}

/* Commands that must never change storage, even when they succeed. */
static int
read_only(unsigned cmd)
{
    switch (cmd) {
    case WD_CMD_CONTINUE:
    case WD_CMD_GET_INFO:
    case WD_CMD_GET_RANDOM:
    case WD_CMD_ECHO:
    case WD_CMD_INVENTORY:
    case WD_CMD_KEY_PUBLIC:
    case WD_CMD_CSR_CREATE:
    case WD_CMD_CERT_INFO:
    case WD_CMD_CERT_READ:
    case WD_CMD_BOOT:
    case WD_CMD_ATTEST:
    case WD_CMD_RESET:
    case WD_CMD_ADMIN_STATUS:
        return 1;
    }
    return 0;
}

/* A command in the protocol's list: the companion must know it. */
static int
listed(unsigned cmd)
{
    return strcmp(wd_command_name(cmd), "UNKNOWN") != 0;
}

static size_t
expected_info(uint8_t *p)
{
    p[WD_INFO_PROTO_VERSION] = WD_PROTO_VERSION;
    p[WD_INFO_FW_MAJOR] = WC_FW_VERSION_MAJOR;
    p[WD_INFO_FW_MINOR] = WC_FW_VERSION_MINOR;
    p[WD_INFO_FW_PATCH] = WC_FW_VERSION_PATCH;
    p[WD_INFO_LIFECYCLE] = (uint8_t)(m.failed ? 0 : m.lifecycle);
    p[WD_INFO_HEALTH] = m.failed ? WD_HEALTH_STORAGE_FAILED : 0;
    wd_put32(p + WD_INFO_STORE_USED, (uint32_t)wc_store_used(&comp.store));
    wd_put32(p + WD_INFO_STORE_CAP, (uint32_t)wc_store_capacity());
    wd_put16(p + WD_INFO_RECORDS, (uint16_t)comp.store.count);
    wd_put16(p + WD_INFO_RECORDS_MAX, WC_STORE_RECORDS_MAX);
    p[WD_INFO_SERIAL_LEN] = (uint8_t)(m.failed ? 0 : m.serial_len);
    if (!m.failed && m.serial_len > 0) {
        memcpy(p + WD_INFO_SERIAL, m.serial, m.serial_len);
    }
    return WD_INFO_FIXED_LEN + (m.failed ? 0 : m.serial_len);
}

/* Context for failure reports. */
static unsigned round_no;
static unsigned long frame_no;
static int reports;

/* What the run covered, printed at the end. */
static unsigned long status_seen[256];
static unsigned long storage_changes, long_responses, chunk_acks;

static void
report(unsigned k, const uint8_t *f, size_t len, const char *what)
{
    size_t i;

    if (reports++ >= MAX_REPORTS) {
        return;
    }
    fprintf(stderr,
            "  round %u frame %lu channel %u (%s), %lu bytes:", round_no,
            frame_no, k, what, (unsigned long)len);
    for (i = 0; i < len && i < 48; i++) {
        fprintf(stderr, " %02x", f[i]);
    }
    fprintf(stderr, "%s\n  response:", len > 48 ? " ..." : "");
    for (i = 0; i < WD_HEADER_LEN + 8; i++) {
        fprintf(stderr, " %02x", out[i]);
    }
    fprintf(stderr, " ...\n");
}

/* What the model says about one frame, before the companion sees it. */
struct expect {
    int accepted;   /* passes the bus checks: next_seq moves on */
    uint8_t cmd;    /* echoed command */
    uint16_t seq;   /* echoed sequence */
    int any_status; /* a handler the model does not know ran */
    uint8_t status;
    int more;               /* MORE expected on an OK response */
    const uint8_t *payload; /* exact OK payload, or NULL */
    size_t len;             /* its length, when payload or len_known */
    int len_known;
    int executed;          /* a whole request ran: storage may change */
    size_t req_len;        /* the length of the request that ran */
    int continued_unknown; /* a chunk of a response the model cannot see */
};

/* Bus checks, in the order docs/protocol.md gives them. */
static int
bus_status(const uint8_t *f, size_t len, uint16_t want_seq, uint8_t *status)
{
    size_t plen;

    if (len < 1 || f[0] != WD_PROTO_VERSION) {
        *status = WD_STATUS_BAD_VERSION;
        return 0;
    }
    if (len < WD_HEADER_LEN + WD_CRC_LEN) {
        *status = WD_STATUS_BAD_LENGTH;
        return 0;
    }
    plen = wd_get16(f + 6);
    if (plen > WD_MAX_PAYLOAD || len != WD_HEADER_LEN + plen + WD_CRC_LEN) {
        *status = WD_STATUS_BAD_LENGTH;
        return 0;
    }
    if (ref_crc16(f, WD_HEADER_LEN + plen) !=
        wd_get16(f + WD_HEADER_LEN + plen)) {
        *status = WD_STATUS_BAD_CHECKSUM;
        return 0;
    }
    if ((f[2] & ~WD_FLAG_MORE) != 0) {
        *status = WD_STATUS_BAD_FLAGS;
        return 0;
    }
    if (wd_get16(f + 4) != want_seq) {
        *status = WD_STATUS_BAD_SEQUENCE;
        return 0;
    }
    *status = WD_STATUS_OK;
    return 1;
}

static void
expect_ok(struct expect *e, const uint8_t *resp, size_t total)
{
    e->status = WD_STATUS_OK;
    e->more = total > WD_MAX_PAYLOAD;
    e->payload = resp;
    e->len = total > WD_MAX_PAYLOAD ? WD_MAX_PAYLOAD : total;
    e->len_known = 1;
}

/* Runs a whole gathered request through the model. */
static void
model_execute(struct expect *e, unsigned k, uint8_t cmd)
{
    e->executed = 1;
    e->req_len = m.req_len;
    m.owner = k;
    /* What touches only RAM still runs once storage has failed. */
    if (m.failed && cmd != WD_CMD_GET_INFO && cmd != WD_CMD_ECHO &&
        cmd != WD_CMD_TLS_STATUS && cmd != WD_CMD_TLS_CLOSE &&
        cmd != WD_CMD_RESET) {
        e->status = WD_STATUS_STORAGE_FAILURE;
        return;
    }
    switch (cmd) {
    case WD_CMD_GET_INFO:
        if (m.req_len != 0) {
            e->status = WD_STATUS_BAD_PAYLOAD;
            return;
        }
        m.resp_len = expected_info(m.resp);
        m.known = 1;
        expect_ok(e, m.resp, m.resp_len);
        return;
    case WD_CMD_GET_RANDOM: {
        unsigned n = m.req_len == 2 ? wd_get16(m.req) : 0;

        if (m.lifecycle != WD_LIFECYCLE_MANUFACTURING &&
            m.lifecycle != WD_LIFECYCLE_OPERATIONAL) {
            e->status = WD_STATUS_NOT_ALLOWED;
        } else if (n == 0 || n > WD_MAX_PAYLOAD) {
            e->status = WD_STATUS_BAD_PAYLOAD;
        } else {
            e->status = WD_STATUS_OK;
            e->len = n;
            e->len_known = 1;
            m.resp_len = n;
        }
        return;
    }
    case WD_CMD_ECHO:
        memcpy(m.resp, m.req, m.req_len);
        m.resp_len = m.req_len;
        m.known = 1;
        expect_ok(e, m.resp, m.resp_len);
        return;
    default:
        e->any_status = 1;
        return;
    }
}

static void
model_frame(struct expect *e, unsigned k, const uint8_t *f, size_t len)
{
    uint8_t cmd, flags;
    size_t plen;

    memset(e, 0, sizeof(*e));
    e->cmd = len >= 2 ? f[1] : 0;
    e->seq = len >= 6 ? wd_get16(f + 4) : 0;
    e->accepted = bus_status(f, len, m.seq[k], &e->status);
    if (!e->accepted) {
        return;
    }
    m.seq[k]++;
    cmd = f[1];
    flags = f[2];
    plen = wd_get16(f + 6);

    if (m.owner >= 0 && m.owner != (int)k) {
        e->status = WD_STATUS_BUSY;
        return;
    }
    if (cmd == WD_CMD_CONTINUE) {
        if (plen != 0 || (flags & WD_FLAG_MORE)) {
            e->status = WD_STATUS_BAD_PAYLOAD;
        } else if (m.owner != (int)k || !m.pending) {
            e->status = WD_STATUS_NO_PENDING;
        } else if (m.known) {
            expect_ok(e, m.resp + m.resp_sent, m.resp_len - m.resp_sent);
        } else {
            e->continued_unknown = 1;
        }
        return;
    }
    if (!listed(cmd)) {
        e->status = WD_STATUS_UNKNOWN_COMMAND;
        return;
    }
    /* A known command ends what the channel had pending. */
    if (m.pending || (m.req_cmd != 0 && m.req_cmd != cmd)) {
        drop();
    }
    /*
     * An empty chunk that is not the last is refused: it would let a
     * channel hold the buffers without coming closer to the end. What was
     * gathered so far stays; only a final chunk may be empty.
     */
    if ((flags & WD_FLAG_MORE) && plen == 0) {
        e->status = WD_STATUS_BAD_PAYLOAD;
        return;
    }
    if (m.req_len + plen > WD_MAX_MESSAGE) {
        drop();
        e->status = WD_STATUS_TOO_LARGE;
        return;
    }
    memcpy(m.req + m.req_len, f + WD_HEADER_LEN, plen);
    m.req_len += plen;
    m.req_cmd = cmd;
    m.owner = k;
    if (flags & WD_FLAG_MORE) {
        e->status = WD_STATUS_OK;
        e->len_known = 1; /* an empty acknowledgement */
        return;
    }
    model_execute(e, k, cmd);
}

static int
bus_error(unsigned status)
{
    return status >= WD_STATUS_BAD_VERSION && status <= WD_STATUS_BUSY;
}

/*
 * Checks the response against the expectation and brings the model up
 * to date with what only the response can say.
 */
static void
check_response(const struct expect *e, unsigned k, size_t n, const uint8_t *f,
               size_t flen)
{
    struct wd_header h;
    const uint8_t *p;
    int fails = wt_failures;
    int ok;

    CHECK(n >= WD_HEADER_LEN + WD_CRC_LEN && n <= WD_MAX_FRAME);
    if (n < WD_HEADER_LEN + WD_CRC_LEN || n > WD_MAX_FRAME) {
        report(k, f, flen, "no response");
        drop();
        return;
    }
    CHECK(wd_frame_decode(out, n, &h, &p) == WD_STATUS_OK);
    CHECK(ref_crc16(out, n - WD_CRC_LEN) == wd_get16(out + n - WD_CRC_LEN));
    CHECK(h.version == WD_PROTO_VERSION);
    CHECK(h.flags == WD_FLAG_RESPONSE ||
          h.flags == (WD_FLAG_RESPONSE | WD_FLAG_MORE));
    CHECK(strcmp(wd_status_name(h.status), "UNKNOWN") != 0);
    CHECK(h.length <= WD_MAX_PAYLOAD &&
          n == (size_t)WD_HEADER_LEN + h.length + WD_CRC_LEN);
    CHECK(h.command == e->cmd);
    CHECK(h.seq == e->seq);
    /* An error response is empty and final. */
    if (h.status != WD_STATUS_OK) {
        CHECK(h.length == 0 && h.flags == WD_FLAG_RESPONSE);
    }

    if (e->continued_unknown) {
        /* The next chunk of a response the model did not see made. */
        CHECK(h.status == WD_STATUS_OK);
        m.resp_sent += h.length;
        CHECK(m.resp_sent <= WD_MAX_MESSAGE);
        if (h.flags & WD_FLAG_MORE) {
            CHECK(h.length == WD_MAX_PAYLOAD);
        } else {
            drop();
        }
    } else if (e->any_status) {
        /*
         * A handler the model does not know: any refusal a command may
         * give, never a bus error or a fault on a healthy companion.
         */
        ok = !bus_error(h.status) && h.status != WD_STATUS_UNKNOWN_COMMAND &&
             h.status != WD_STATUS_TOO_LARGE &&
             h.status != WD_STATUS_NO_PENDING &&
             h.status != WD_STATUS_INTERNAL &&
             h.status != WD_STATUS_RNG_FAILURE &&
             h.status != WD_STATUS_STORAGE_FAILURE;
        CHECK(ok);
        m.req_len = 0;
        m.req_cmd = 0;
        if (h.status == WD_STATUS_OK && (h.flags & WD_FLAG_MORE)) {
            CHECK(h.length == WD_MAX_PAYLOAD);
            m.pending = 1;
            m.known = 0;
            m.resp_sent = h.length;
        } else {
            drop();
        }
    } else {
        CHECK(h.status == e->status);
        if (h.status == WD_STATUS_OK) {
            CHECK(!!(h.flags & WD_FLAG_MORE) == e->more);
            if (e->len_known) {
                CHECK(h.length == e->len);
            }
            if (e->payload != NULL && h.length == e->len && p != NULL) {
                CHECK(memcmp(p, e->payload, e->len) == 0);
            }
        }
        /* What the frame did to the message buffers. */
        if (e->executed && e->status == WD_STATUS_OK && e->more) {
            /* A long response: the first chunk went out. */
            m.req_len = 0;
            m.req_cmd = 0;
            m.pending = 1;
            m.resp_sent = WD_MAX_PAYLOAD;
        } else if (e->executed) {
            drop(); /* answered in one frame, or refused */
        } else if (e->accepted && e->status == WD_STATUS_OK &&
                   e->payload != NULL) {
            /* CONTINUE: the next chunk of a response the model knows. */
            if (e->more) {
                m.resp_sent += WD_MAX_PAYLOAD;
            } else {
                drop();
            }
        }
        /* GET_RANDOM output is not all zeroes (a failed DRBG's is). */
        if (e->executed && h.status == WD_STATUS_OK && p != NULL &&
            e->payload == NULL && h.length >= 16) {
            size_t i;
            unsigned acc = 0;

            for (i = 0; i < h.length; i++) {
                acc |= p[i];
            }
            CHECK(acc != 0);
        }
    }
    if (wt_failures != fails) {
        report(k, f, flen, "bad response");
    }
}

/* One frame through the companion and the model. */
static void
send_frame(unsigned k, const uint8_t *f, size_t len)
{
    struct expect e;
    uint8_t *in = inbuf + IN_CAP - len;
    size_t writes = mp.writes, syncs = mp.syncs, n;
    uint16_t before = ch[k].next_seq;
    int fails = wt_failures;
    uint8_t req_cmd;

    memmove(in, f, len);
    req_cmd = len >= 2 ? f[1] : 0;
    model_frame(&e, k, in, len);
    n = wc_companion_handle(&comp, &ch[k], in, len, out);
    frame_no++;
    check_response(&e, k, n, in, len);
    if (n > 3) {
        status_seen[out[3]]++;
        long_responses += out[3] == WD_STATUS_OK && (out[2] & WD_FLAG_MORE);
        chunk_acks += e.accepted && !e.executed && out[3] == WD_STATUS_OK &&
                      req_cmd != WD_CMD_CONTINUE;
    }

    /* next_seq moves on by one exactly for accepted frames. */
    CHECK(ch[k].next_seq == (uint16_t)(before + (e.accepted ? 1 : 0)));
    CHECK(ch[k].next_seq == m.seq[k]);
    m.seq[k] = ch[k].next_seq; /* stay in step after a reported failure */

    if (mp.writes != writes || mp.syncs != syncs) {
        /* Only a storage-changing command that succeeded may write. */
        CHECK(e.executed && !read_only(req_cmd) && n > 3 &&
              out[3] == WD_STATUS_OK);
        memcpy(snapshot, mp.storage, sizeof(snapshot));
        storage_changes++;
    }
    if (e.executed && out[3] == WD_STATUS_OK) {
        /* The serial it set is the one GET_INFO must report from now. */
        if (req_cmd == WD_CMD_SERIAL_SET) {
            CHECK(e.req_len >= 1 && e.req_len <= WD_SERIAL_MAX);
            if (e.req_len <= WD_SERIAL_MAX) {
                memcpy(m.serial, m.req, e.req_len);
                m.serial_len = e.req_len;
            }
        }
        if (req_cmd == WD_CMD_LOCK) {
            m.lifecycle = WD_LIFECYCLE_OPERATIONAL;
        }
    }
    g[k].last_more = n > 2 && (out[2] & WD_FLAG_MORE) && out[3] == 0;
    if (wt_failures != fails && reports < MAX_REPORTS) {
        report(k, in, len, "after the response");
    }
}

/* Frame generators. */

static uint8_t frame[IN_CAP];

static const uint8_t listed_cmds[] = {
    WD_CMD_CONTINUE,   WD_CMD_GET_INFO,       WD_CMD_GET_RANDOM,
    WD_CMD_ECHO,       WD_CMD_INVENTORY,      WD_CMD_KEY_GENERATE,
    WD_CMD_KEY_PUBLIC, WD_CMD_CSR_CREATE,     WD_CMD_CERT_INSTALL,
    WD_CMD_ROOT_ADD,   WD_CMD_PUBKEY_INSTALL, WD_CMD_SERIAL_SET,
    WD_CMD_LOCK,       WD_CMD_CERT_INFO,      WD_CMD_CERT_READ,
};

/* Flips up to three bits of a copy of what is in data[0..len). */
static void
mutate(uint8_t *data, size_t len)
{
    unsigned i, flips = 1 + rnd(3);

    if (len == 0) {
        return;
    }
    for (i = 0; i < flips; i++) {
        data[rnd((unsigned)len)] ^= (uint8_t)(1u << rnd(8));
    }
    if (rnd(4) == 0 && len > 1) {
        /* or a byte set to a boundary value */
        data[rnd((unsigned)len)] = rnd(2) ? 0xff : 0x00;
    }
}

/*
 * A provisioning, BOOT, ATTEST, RESET or admin request body in data;
 * returns its length.
 */
static size_t
provisioning_request(uint8_t *cmd, uint8_t *data)
{
    size_t len = 0, i;

    switch (rnd(13)) {
    case 9: {
        /* BOOT: version, signature, configuration name; lengths lie. */
        size_t sig_len = rnd(4) ? 70 + rnd(35) : rnd(256);
        size_t name_len = rnd(4) ? rnd(20) : rnd(256);

        *cmd = WD_CMD_BOOT;
        rnd_fill(data, 4);
        data[4] = (uint8_t)sig_len;
        data[5] = 0x30;
        rnd_fill(data + 6, sig_len);
        len = 5 + sig_len;
        data[len] = (uint8_t)name_len;
        for (i = 0; i < name_len; i++) {
            data[len + 1 + i] = (uint8_t)(rnd(16) ? 'a' + rnd(26) : rnd(256));
        }
        len += 1 + name_len;
        if (rnd(4) == 0) {
            len += rnd(3) ? 1 : rnd(200); /* trailing bytes */
        }
        break;
    }
    case 10:
        *cmd = WD_CMD_ATTEST;
        len = rnd(3) ? 16 + rnd(49) : rnd(200);
        rnd_fill(data, len);
        break;
    case 11:
        *cmd = rnd(2) ? WD_CMD_RESET : WD_CMD_ADMIN_STATUS;
        len = rnd(4) ? 0 : 1 + rnd(3);
        rnd_fill(data, len);
        break;
    case 12: {
        /* ADMIN_UPDATE: the layout of wd_admin.h, fields random. */
        size_t serial_len = rnd(4) ? 1 + rnd(WD_SERIAL_MAX) : rnd(256);
        size_t payload_len = rnd(4) ? rnd(ca_cert_len + 40) : rnd(65536);
        size_t sig_len = rnd(4) ? 70 + rnd(35) : rnd(65536);

        *cmd = WD_CMD_ADMIN_UPDATE;
        memcpy(data, WD_ADMIN_MAGIC, WD_ADMIN_MAGIC_LEN);
        data[4] = (uint8_t)(rnd(4) ? 1 + rnd(2) : rnd(256));
        data[5] = (uint8_t)(rnd(8) ? 1 + rnd(8) : rnd(256));
        data[6] = (uint8_t)serial_len;
        len = 7;
        for (i = 0; i < serial_len && len < 300; i++) {
            data[len++] = (uint8_t)(0x20 + rnd(0x60));
        }
        rnd_fill(data + len, 8);
        if (rnd(2)) {
            memset(data + len, 0, 7); /* a small, plausible counter */
        }
        len += 8;
        wd_put16(data + len, (uint16_t)payload_len);
        len += 2;
        if (payload_len > 2 + ca_cert_len) {
            payload_len = 2 + ca_cert_len;
        }
        data[len] = (uint8_t)rnd(3);
        data[len + 1] = (uint8_t)rnd(4);
        memcpy(data + len + 2, ca_cert, ca_cert_len);
        len += payload_len;
        wd_put16(data + len, (uint16_t)sig_len);
        len += 2;
        if (sig_len > WD_ADMIN_SIG_MAX + 8) {
            sig_len = WD_ADMIN_SIG_MAX + 8;
        }
        rnd_fill(data + len, sig_len);
        len += sig_len;
        break;
    }
    case 0:
        *cmd = WD_CMD_KEY_GENERATE;
        data[0] = (uint8_t)(rnd(8) ? 1 + rnd(2) : rnd(256));
        data[1] = (uint8_t)(rnd(8) ? WD_CURVE_P256 + rnd(2) : rnd(256));
        len = 2;
        break;
    case 1:
        *cmd = WD_CMD_KEY_PUBLIC;
        data[0] = (uint8_t)rnd(4);
        len = 1;
        break;
    case 2:
        *cmd = WD_CMD_CSR_CREATE;
        data[0] = (uint8_t)(1 + rnd(2));
        len = 1 + wt_name("hostile", data + 1, 200);
        break;
    case 3:
        *cmd = rnd(2) ? WD_CMD_CERT_INFO : WD_CMD_CERT_READ;
        data[0] = (uint8_t)rnd(5);
        data[1] = (uint8_t)rnd(10);
        len = 2;
        break;
    case 4:
        *cmd = WD_CMD_ROOT_ADD;
        memcpy(data, ca_cert, ca_cert_len);
        len = ca_cert_len;
        break;
    case 5:
        *cmd = WD_CMD_CERT_INSTALL;
        data[0] = (uint8_t)rnd(4);
        data[1] = (uint8_t)rnd(5);
        memcpy(data + 2, ca_cert, ca_cert_len);
        len = 2 + ca_cert_len;
        break;
    case 6:
        *cmd = WD_CMD_PUBKEY_INSTALL;
        data[0] = (uint8_t)rnd(4);
        memcpy(data + 1, ca_spki, ca_spki_len);
        len = 1 + ca_spki_len;
        break;
    case 7:
        *cmd = WD_CMD_SERIAL_SET;
        len = rnd(WD_SERIAL_MAX + 3);
        for (i = 0; i < len; i++) {
            data[i] = (uint8_t)(0x20 + rnd(0x60));
        }
        break;
    default:
        *cmd = rnd(2) ? WD_CMD_INVENTORY : WD_CMD_LOCK;
        len = rnd(4) ? 0 : 1;
        data[0] = 0;
        break;
    }
    /* Half of them damaged: the parsers see near-misses. */
    if (len > 2 && rnd(2)) {
        if (rnd(3) == 0) {
            len = rnd((unsigned)len);
        } else {
            mutate(data + 2, len - 2);
        }
    }
    return len;
}

/* Starts a chunked request on channel k. */
static void
start_script(unsigned k)
{
    struct gen *s = &g[k];

    s->script = 1;
    s->sent = 0;
    if (rnd(4) == 0) {
        s->total = provisioning_request(&s->cmd, s->data);
    } else {
        s->cmd = WD_CMD_ECHO;
        /* Around the message limit now and then. */
        s->total =
            rnd(4) ? rnd(WD_MAX_MESSAGE + 1) : WD_MAX_MESSAGE - 8 + rnd(16);
        rnd_fill(s->data, s->total);
    }
}

/* The next chunk of channel k's request. */
static size_t
script_frame(unsigned k)
{
    struct gen *s = &g[k];
    size_t left = s->total - s->sent, n;
    uint8_t flags;

    switch (rnd(6)) {
    case 0:
        n = 0;
        break;
    case 1:
        n = rnd(WD_MAX_PAYLOAD + 1);
        break;
    default:
        n = WD_MAX_PAYLOAD;
        break;
    }
    if (n > left) {
        n = left;
    }
    flags = s->sent + n < s->total ? WD_FLAG_MORE : 0;
    /* Sometimes the last chunk says MORE anyway, or stops early. */
    if (rnd(50) == 0) {
        flags ^= WD_FLAG_MORE;
    }
    s->sent += n;
    if (!(flags & WD_FLAG_MORE)) {
        s->script = 0;
    }
    return build(frame, s->cmd, flags, 0, m.seq[k], s->data + s->sent - n, n);
}

/* A request a host could send. */
static size_t
sensible_frame(unsigned k)
{
    uint8_t payload[WD_MAX_MESSAGE];
    uint8_t cmd;
    size_t len;
    unsigned r;

    if (g[k].last_more && rnd(8) != 0) {
        return build(frame, WD_CMD_CONTINUE, 0, 0, m.seq[k], NULL, 0);
    }
    if (g[k].script && rnd(10) != 0) {
        return script_frame(k);
    }
    r = rnd(100);
    rnd_fill(payload, 4);
    if (r < 15) {
        return build(frame, WD_CMD_GET_INFO, 0, 0, m.seq[k], payload,
                     rnd(10) ? 0 : 1);
    }
    if (r < 35) {
        wd_put16(payload,
                 (uint16_t)(rnd(8) ? 1 + rnd(WD_MAX_PAYLOAD) : rnd(65536)));
        return build(frame, WD_CMD_GET_RANDOM, 0, 0, m.seq[k], payload,
                     rnd(10) ? 2 : rnd(4));
    }
    if (r < 60) {
        len = rnd_len();
        rnd_fill(payload, len);
        return build(frame, WD_CMD_ECHO, rnd(5) ? 0 : WD_FLAG_MORE, 0, m.seq[k],
                     payload, len);
    }
    if (r < 80) {
        start_script(k);
        return script_frame(k);
    }
    if (r < 85) {
        return build(frame, WD_CMD_CONTINUE, 0, 0, m.seq[k], NULL, 0);
    }
    len = provisioning_request(&cmd, payload);
    if (len <= WD_MAX_PAYLOAD) {
        return build(frame, cmd, 0, 0, m.seq[k], payload, len);
    }
    return build(frame, WD_CMD_GET_INFO, 0, 0, m.seq[k], NULL, 0);
}

/* Any header at all, with a correct CRC. */
static size_t
random_header_frame(unsigned k)
{
    uint8_t payload[WD_MAX_PAYLOAD];
    uint8_t cmd, flags, status = 0;
    uint16_t seq = m.seq[k];
    size_t len = rnd_len();

    cmd = rnd(2) ? listed_cmds[rnd(sizeof(listed_cmds))] : (uint8_t)rnd(256);
    switch (rnd(6)) {
    case 0:
        flags = (uint8_t)rnd(256);
        break;
    case 1:
    case 2:
        flags = WD_FLAG_MORE;
        break;
    default:
        flags = 0;
        break;
    }
    /* The status byte of a request is not checked: it is ignored. */
    if (rnd(10) == 0) {
        status = (uint8_t)rnd(256);
    }
    switch (rnd(10)) {
    case 0:
        seq = (uint16_t)rnd(65536);
        break;
    case 1:
        seq = (uint16_t)(seq + (rnd(2) ? 1 : -1));
        break;
    default:
        break;
    }
    rnd_fill(payload, len);
    return build(frame, cmd, flags, status, seq, payload, len);
}

static void
run_frame(unsigned k)
{
    size_t len, i;
    unsigned r = rnd(100);

    if (r < 45) {
        len = sensible_frame(k);
    } else if (r < 60) {
        len = random_header_frame(k);
    } else if (r < 72) {
        len = rnd(2) ? sensible_frame(k) : random_header_frame(k);
        mutate(frame, len);
    } else if (r < 80) {
        /* Cut short, or with bytes after the CRC. */
        len = rnd(2) ? sensible_frame(k) : random_header_frame(k);
        if (rnd(3)) {
            len = rnd((unsigned)len);
        } else {
            i = 1 + rnd(IN_CAP - (unsigned)len);
            rnd_fill(frame + len, i);
            len += i;
        }
    } else if (r < 85) {
        /* A length field that lies, under a correct CRC. */
        len = random_header_frame(k) - WD_CRC_LEN;
        wd_put16(frame + 6,
                 (uint16_t)(rnd(2) ? rnd(WD_MAX_PAYLOAD + 1) : rnd(65536)));
        wd_put16(frame + len, ref_crc16(frame, len));
        len += WD_CRC_LEN;
    } else if (r < 89) {
        len = rnd(2) ? rnd(WD_HEADER_LEN + WD_CRC_LEN + 4) : rnd(IN_CAP + 1);
        rnd_fill(frame, len);
        if (len > 0 && rnd(2)) {
            frame[0] = WD_PROTO_VERSION;
        }
    } else if (r < 92) {
        /* The response flag in a request. */
        len = sensible_frame(k);
        frame[2] |= WD_FLAG_RESPONSE;
        wd_put16(frame + len - WD_CRC_LEN, ref_crc16(frame, len - WD_CRC_LEN));
    } else if (r < 96) {
        /* A replayed or skipped sequence number. */
        len = sensible_frame(k);
        wd_put16(frame + 4, (uint16_t)(m.seq[k] + 1 + rnd(65535)));
        wd_put16(frame + len - WD_CRC_LEN, ref_crc16(frame, len - WD_CRC_LEN));
    } else {
        len = sensible_frame(k);
    }
    send_frame(k, frame, len);
}

/* A fresh channel asks GET_INFO: exact answer, or BUSY while held. */
static void
probe(void)
{
    struct wc_channel p;
    uint8_t f[WD_HEADER_LEN + WD_CRC_LEN], want[WD_MAX_MESSAGE];
    struct wd_header h;
    const uint8_t *pl;
    size_t n, want_len;
    int fails = wt_failures;

    wc_channel_init(&p);
    build(f, WD_CMD_GET_INFO, 0, 0, 0, NULL, 0);
    n = wc_companion_handle(&comp, &p, f, sizeof(f), out);
    CHECK(wd_frame_decode(out, n, &h, &pl) == WD_STATUS_OK);
    CHECK(h.flags == WD_FLAG_RESPONSE && h.command == WD_CMD_GET_INFO &&
          h.seq == 0);
    CHECK(p.next_seq == 1);
    if (m.owner >= 0) {
        CHECK(h.status == WD_STATUS_BUSY && h.length == 0);
    } else {
        want_len = expected_info(want);
        CHECK(h.status == WD_STATUS_OK);
        CHECK(h.length == want_len);
        if (h.status == WD_STATUS_OK && h.length == want_len) {
            CHECK_MEM(pl, want, want_len);
        }
    }
    /* Storage as the last storage-changing command left it. */
    CHECK(memcmp(mp.storage, snapshot, sizeof(snapshot)) == 0);
    if (wt_failures != fails) {
        fprintf(stderr, "  round %u frame %lu: probe failed\n", round_no,
                frame_no);
    }
}

static void
reconnect(unsigned k)
{
    wc_companion_release(&comp, &ch[k]);
    if (m.owner == (int)k) {
        drop();
    }
    wc_channel_init(&ch[k]);
    /* A long-lived channel, about to wrap, now and then. */
    if (rnd(3) == 0) {
        ch[k].next_seq = (uint16_t)(0xfff0 + rnd(16));
    }
    m.seq[k] = ch[k].next_seq;
    g[k].script = 0;
    g[k].last_more = 0;
}

enum round_kind {
    ROUND_FRESH,          /* a new device in manufacturing */
    ROUND_DECOMMISSIONED, /* GET_RANDOM and provisioning refused */
    ROUND_STORAGE_FAILED, /* only GET_INFO, ECHO and CONTINUE run */
};

static void
power_up(enum round_kind kind, uint64_t seed)
{
    const uint8_t lc = WD_LIFECYCLE_DECOMMISSIONED;
    unsigned k;

    wt_memplat_init(&mp, seed);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    memset(&m, 0, sizeof(m));
    drop();
    m.lifecycle = WD_LIFECYCLE_MANUFACTURING;
    if (kind == ROUND_DECOMMISSIONED) {
        /* Stand-in for a decommission command, as test_dispatch does. */
        CHECK(wc_store_set(&comp.store, WC_REC_LIFECYCLE, 0, &lc, 1) == WC_OK);
        CHECK(wc_store_commit(&comp.store, wc_rng_fill, &comp.rng) == WC_OK);
        m.lifecycle = WD_LIFECYCLE_DECOMMISSIONED;
    } else if (kind == ROUND_STORAGE_FAILED) {
        /* The power goes in a commit and storage stays unreadable. */
        CHECK(wc_store_set(&comp.store, WC_REC_SERIAL, 0, "S1", 2) == WC_OK);
        wt_memplat_set_write_budget(&mp, 3);
        CHECK(wc_store_commit(&comp.store, wc_rng_fill, &comp.rng) ==
              WC_STORAGE_IO);
        m.failed = 1;
    }
    memcpy(snapshot, mp.storage, sizeof(snapshot));
    for (k = 0; k < CHANNELS; k++) {
        wc_channel_init(&ch[k]);
        m.seq[k] = 0;
        memset(&g[k], 0, sizeof(g[k]));
    }
}

static void
run_round(enum round_kind kind, uint64_t seed)
{
    unsigned long i;
    unsigned k = 0;

    rng_state = seed;
    power_up(kind, seed);
    for (i = 0; i < FRAMES_PER_ROUND && wt_failures < GIVE_UP_AFTER; i++) {
        if (rnd(6) == 0) {
            k = rnd(CHANNELS);
        }
        if (rnd(500) == 0) {
            reconnect(k);
        }
        run_frame(k);
        if (i % PROBE_EVERY == PROBE_EVERY - 1) {
            probe();
        }
    }

    /* Every channel goes away: the companion answers anyone again. */
    for (k = 0; k < CHANNELS; k++) {
        wc_companion_release(&comp, &ch[k]);
        CHECK(!wc_companion_holds(&comp, &ch[k]));
    }
    drop();
    probe();

    /* A power cycle finds the storage the round left. */
    wc_companion_wipe(&comp);
    wt_memplat_power_on(&mp);
    CHECK(wc_companion_init(&comp, &mp.plat) == WC_OK);
    m.failed = 0;
    if (kind == ROUND_STORAGE_FAILED) {
        /* The cut commit never happened: "S1" is not there. */
        m.serial_len = 0;
    }
    probe();
    wc_companion_wipe(&comp);
}

int
main(void)
{
    static const struct {
        enum round_kind kind;
        uint64_t seed;
    } rounds[] = {
        {ROUND_FRESH, 0x6275736d75740001ULL},
        {ROUND_FRESH, 0x6275736d75740002ULL},
        {ROUND_FRESH, 0x6275736d75740003ULL},
        {ROUND_FRESH, 0x6275736d75740004ULL},
        {ROUND_FRESH, 0x6275736d75740005ULL},
        {ROUND_DECOMMISSIONED, 0x6275736d75740006ULL},
        {ROUND_STORAGE_FAILED, 0x6275736d75740007ULL},
    };
    unsigned i;

    crc_table_init();
    CHECK(ref_crc16((const uint8_t *)"123456789", 9) == 0x29b1);
    wt_ca_init(&ca, "Hostile Root", 42);
    ca_cert_len = wt_ca_cert(&ca, ca_cert, sizeof(ca_cert));
    ca_spki_len = wt_ca_spki(&ca, ca_spki, sizeof(ca_spki));
    CHECK(ca_cert_len > 0 && ca_cert_len + 2 <= sizeof(ca_cert));
    CHECK(ca_spki_len > 0);

    for (i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
        round_no = i;
        run_round(rounds[i].kind, rounds[i].seed);
    }
    printf("test_bus_mutation: %lu frames in %u rounds; %lu long "
           "responses, %lu chunks gathered, %lu storage changes\n",
           frame_no, i, long_responses, chunk_acks, storage_changes);
    for (i = 0; i < 256; i++) {
        if (status_seen[i] > 0) {
            printf("  %-16s %lu\n", wd_status_name(i), status_seen[i]);
        }
    }
    return wt_finish("test_bus_mutation");
}
