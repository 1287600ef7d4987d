/*
 * The companion's power-up and its bus dispatcher: frame checks,
 * sequence numbers, chunk gathering and hand-out, then the command table.
 */
#include <string.h>

#include "commands.h"
#include "records.h"
#include "wc_wipe.h"

#define LC_BIT(state) (1u << (state))
#define LC_LIVE (LC_BIT(WD_LIFECYCLE_MANUFACTURING) | \
                 LC_BIT(WD_LIFECYCLE_OPERATIONAL))
#define LC_ANY (LC_LIVE | LC_BIT(WD_LIFECYCLE_DECOMMISSIONED))
#define LC_FACTORY LC_BIT(WD_LIFECYCLE_MANUFACTURING)
#define LC_FIELD LC_BIT(WD_LIFECYCLE_OPERATIONAL)

struct command_entry {
    wc_handler handler;
    unsigned lifecycles; /* LC_BIT mask of states that allow it */
    int without_storage; /* answers even when storage has failed */
};

/* Indexed by command code; a zero entry is an unknown command. */
static const struct command_entry commands[] = {
    [WD_CMD_GET_INFO] = {wc_cmd_get_info, LC_ANY, 1},
    [WD_CMD_GET_RANDOM] = {wc_cmd_get_random, LC_LIVE, 0},
    [WD_CMD_ECHO] = {wc_cmd_echo, LC_ANY, 1},
    [WD_CMD_INVENTORY] = {wc_cmd_inventory, LC_ANY, 0},
    [WD_CMD_KEY_GENERATE] = {wc_cmd_key_generate, LC_FACTORY, 0},
    [WD_CMD_KEY_PUBLIC] = {wc_cmd_key_public, LC_LIVE, 0},
    [WD_CMD_CSR_CREATE] = {wc_cmd_csr_create, LC_FACTORY, 0},
    [WD_CMD_CERT_INSTALL] = {wc_cmd_cert_install, LC_FACTORY, 0},
    [WD_CMD_ROOT_ADD] = {wc_cmd_root_add, LC_FACTORY, 0},
    [WD_CMD_PUBKEY_INSTALL] = {wc_cmd_pubkey_install, LC_FACTORY, 0},
    [WD_CMD_SERIAL_SET] = {wc_cmd_serial_set, LC_FACTORY, 0},
    [WD_CMD_LOCK] = {wc_cmd_lock, LC_FACTORY, 0},
    [WD_CMD_CERT_INFO] = {wc_cmd_cert_info, LC_LIVE, 0},
    [WD_CMD_CERT_READ] = {wc_cmd_cert_read, LC_LIVE, 0},
    [WD_CMD_TLS_OPEN] = {wc_cmd_tls_open, LC_LIVE, 0},
    [WD_CMD_TLS_RECEIVE] = {wc_cmd_tls_receive, LC_LIVE, 0},
    [WD_CMD_TLS_FLIGHT] = {wc_cmd_tls_flight, LC_LIVE, 0},
    [WD_CMD_TLS_KEY_UPDATE] = {wc_cmd_tls_key_update, LC_LIVE, 0},
    [WD_CMD_TLS_STATUS] = {wc_cmd_tls_status, LC_ANY, 1},
    [WD_CMD_TLS_CLOSE] = {wc_cmd_tls_close, LC_ANY, 1},
    [WD_CMD_BOOT] = {wc_cmd_boot, LC_LIVE, 0},
    [WD_CMD_ATTEST] = {wc_cmd_attest, LC_LIVE, 0},
    [WD_CMD_RESET] = {wc_cmd_reset, LC_ANY, 1},
    [WD_CMD_ADMIN_STATUS] = {wc_cmd_admin_status, LC_ANY, 0},
    [WD_CMD_ADMIN_UPDATE] = {wc_cmd_admin_update, LC_FIELD, 0},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

/* A fresh device starts in manufacturing, in its very first commit. */
static int
initialise_storage(struct wc_companion *c)
{
    const uint8_t lifecycle = WD_LIFECYCLE_MANUFACTURING;
    int err;

    err = wc_store_set(&c->store, WC_REC_LIFECYCLE, 0, &lifecycle, 1);
    if (err == WC_OK) {
        err = wc_store_commit(&c->store, wc_rng_fill, &c->rng);
    }
    return err;
}

int
wc_companion_init(struct wc_companion *c, const struct wc_platform *plat)
{
    int fresh = 0;
    int err;

    memset(c, 0, sizeof(*c));
    c->plat = plat;
    c->tls_work_user = -1;
    c->boot_epoch = 1; /* fresh channels hold 0: no boot report */

    err = wc_rng_init(&c->rng, plat);
    if (err == WC_OK) {
        err = wc_store_open(&c->store, plat, &fresh);
    }
    if (err == WC_OK && fresh) {
        err = initialise_storage(c);
    }
    /* A written store without a lifecycle state is not one we wrote. */
    if (err == WC_OK && wc_lifecycle(c) == 0) {
        err = WC_STORAGE_CORRUPT;
    }
    if (err != WC_OK) {
        wc_companion_wipe(c);
        return err;
    }
    c->started = 1;
    return WC_OK;
}

void
wc_channel_init(struct wc_channel *ch)
{
    memset(ch, 0, sizeof(*ch));
}

static void
drop_message(struct wc_companion *c)
{
    wc_wipe(c->req, c->req_len);
    wc_wipe(c->resp, c->resp_len);
    c->owner = NULL;
    c->req_len = 0;
    c->resp_len = 0;
    c->resp_sent = 0;
    c->req_cmd = 0;
}

int
wc_companion_holds(const struct wc_companion *c, const struct wc_channel *ch)
{
    return c->owner == ch;
}

void
wc_companion_release(struct wc_companion *c, const struct wc_channel *ch)
{
    if (c->owner == ch) {
        drop_message(c);
    }
    /* A host that went away cannot finish its TLS sessions. */
    wc_tls_release(c, ch);
}

static size_t
respond(uint8_t *out, const struct wd_header *req, enum wd_status status,
        const uint8_t *payload, size_t len, int more)
{
    struct wd_header h;

    h.version = WD_PROTO_VERSION;
    h.command = req->command;
    h.flags = (uint8_t)(WD_FLAG_RESPONSE | (more ? WD_FLAG_MORE : 0));
    h.status = (uint8_t)status;
    h.seq = req->seq;
    h.length = (uint16_t)len;
    return wd_frame_encode(&h, payload, out, WD_MAX_FRAME);
}

/* Sends the next piece of the pending response. */
static size_t
send_chunk(struct wc_companion *c, const struct wd_header *req, uint8_t *out)
{
    size_t left = c->resp_len - c->resp_sent;
    size_t n = left > WD_MAX_PAYLOAD ? WD_MAX_PAYLOAD : left;
    size_t len;

    len = respond(out, req, WD_STATUS_OK, c->resp + c->resp_sent, n,
                  n < left);
    c->resp_sent += n;
    if (c->resp_sent == c->resp_len) {
        drop_message(c);
    }
    return len;
}

/* Runs a whole request gathered in c->req. */
static size_t
execute(struct wc_companion *c, struct wc_channel *ch,
        const struct wd_header *req, uint8_t *out)
{
    const struct command_entry *cmd = &commands[req->command];
    enum wd_status status;
    unsigned lifecycle = wc_lifecycle(c);

    c->resp_len = 0;
    c->current = ch;
    if (c->store.failed && cmd->without_storage) {
        /* Its state is unknown: only what cannot change it may run. */
        status = cmd->handler(c, c->req, c->req_len, c->resp, &c->resp_len);
    } else if (c->store.failed) {
        status = WD_STATUS_STORAGE_FAILURE;
    } else if (lifecycle > WD_LIFECYCLE_DECOMMISSIONED ||
               !(cmd->lifecycles & LC_BIT(lifecycle))) {
        status = WD_STATUS_NOT_ALLOWED;
    } else {
        status = cmd->handler(c, c->req, c->req_len, c->resp, &c->resp_len);
    }
    c->current = NULL;
    wc_wipe(c->req, c->req_len);
    c->req_len = 0;
    c->req_cmd = 0;
    if (status != WD_STATUS_OK) {
        drop_message(c);
        return respond(out, req, status, NULL, 0, 0);
    }
    c->owner = ch;
    c->resp_sent = 0;
    return send_chunk(c, req, out);
}

size_t
wc_companion_handle(struct wc_companion *c, struct wc_channel *ch,
                    const uint8_t *frame, size_t len,
                    uint8_t out[WD_MAX_FRAME])
{
    struct wd_header req;
    const uint8_t *payload;
    enum wd_status status;

    status = wd_frame_decode(frame, len, &req, &payload);
    if (status == WD_STATUS_OK && (req.flags & WD_FLAG_RESPONSE)) {
        status = WD_STATUS_BAD_FLAGS;
    }
    if (status != WD_STATUS_OK) {
        return respond(out, &req, status, NULL, 0, 0);
    }
    if (!c->started) {
        return respond(out, &req, WD_STATUS_INTERNAL, NULL, 0, 0);
    }

    /* Sequence: exactly one more than the last accepted request. */
    if (req.seq != ch->next_seq) {
        return respond(out, &req, WD_STATUS_BAD_SEQUENCE, NULL, 0, 0);
    }
    ch->next_seq++;

    if (c->owner != NULL && c->owner != ch) {
        return respond(out, &req, WD_STATUS_BUSY, NULL, 0, 0);
    }

    if (req.command == WD_CMD_CONTINUE) {
        if (req.length != 0 || (req.flags & WD_FLAG_MORE)) {
            return respond(out, &req, WD_STATUS_BAD_PAYLOAD, NULL, 0, 0);
        }
        if (c->owner != ch || c->resp_len == 0) {
            return respond(out, &req, WD_STATUS_NO_PENDING, NULL, 0, 0);
        }
        return send_chunk(c, &req, out);
    }

    if (req.command >= COMMAND_COUNT || !commands[req.command].handler) {
        return respond(out, &req, WD_STATUS_UNKNOWN_COMMAND, NULL, 0, 0);
    }

    /*
     * Any other command ends what the channel had pending: an unfetched
     * response, or a chunked request of another command.
     */
    if (c->resp_len > 0 || (c->req_cmd != 0 && c->req_cmd != req.command)) {
        drop_message(c);
    }
    /*
     * A chunk that carries nothing would let a channel hold the buffer
     * without ever getting closer to the end of its message.
     */
    if ((req.flags & WD_FLAG_MORE) && req.length == 0) {
        return respond(out, &req, WD_STATUS_BAD_PAYLOAD, NULL, 0, 0);
    }
    if (c->req_len + req.length > WD_MAX_MESSAGE) {
        drop_message(c);
        return respond(out, &req, WD_STATUS_TOO_LARGE, NULL, 0, 0);
    }
    memcpy(c->req + c->req_len, payload, req.length);
    c->req_len += req.length;
    c->req_cmd = req.command;
    c->owner = ch;

    if (req.flags & WD_FLAG_MORE) {
        return respond(out, &req, WD_STATUS_OK, NULL, 0, 0);
    }
    return execute(c, ch, &req, out);
}

int
wc_companion_idle(struct wc_companion *c)
{
    unsigned lifecycle;

    if (!c->started || !wc_ecdhe_pool_wants(&c->ecdhe_pool)) {
        return 0;
    }
    /* Key shares only serve TLS_OPEN, which a retired device refuses. */
    lifecycle = wc_lifecycle(c);
    if (lifecycle != WD_LIFECYCLE_MANUFACTURING &&
        lifecycle != WD_LIFECYCLE_OPERATIONAL) {
        return 0;
    }
    /* A DRBG failure here is met again, and reported, by TLS_OPEN. */
    if (wc_ecdhe_pool_fill_one(&c->ecdhe_pool, &c->rng) != WC_OK) {
        return 0;
    }
    return wc_ecdhe_pool_wants(&c->ecdhe_pool);
}

void
wc_companion_wipe(struct wc_companion *c)
{
    wc_ecdhe_pool_wipe(&c->ecdhe_pool);
    wc_rng_wipe(&c->rng);
    wc_store_wipe(&c->store);
    wc_wipe(c, sizeof(*c));
}
