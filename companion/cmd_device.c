/* Device information, randomness and the bus self-test. */
#include <string.h>

#include "commands.h"
#include "records.h"

unsigned
wc_lifecycle(const struct wc_companion *c)
{
    const uint8_t *v;
    size_t len;

    if (wc_store_get(&c->store, WC_REC_LIFECYCLE, &v, &len) != WC_OK ||
        len != 1) {
        return 0;
    }
    return v[0];
}

enum wd_status
wc_cmd_get_info(struct wc_companion *c, const uint8_t *req, size_t req_len,
                uint8_t *resp, size_t *resp_len)
{
    const uint8_t *serial;
    size_t serial_len;

    (void)req;
    if (req_len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (wc_store_get(&c->store, WC_REC_SERIAL, &serial, &serial_len) !=
            WC_OK ||
        serial_len > WD_SERIAL_MAX) {
        serial_len = 0;
    }
    resp[WD_INFO_PROTO_VERSION] = WD_PROTO_VERSION;
    resp[WD_INFO_FW_MAJOR] = WC_FW_VERSION_MAJOR;
    resp[WD_INFO_FW_MINOR] = WC_FW_VERSION_MINOR;
    resp[WD_INFO_FW_PATCH] = WC_FW_VERSION_PATCH;
    resp[WD_INFO_LIFECYCLE] = (uint8_t)wc_lifecycle(c);
    resp[WD_INFO_HEALTH] =
        (uint8_t)((c->rng.failed ? WD_HEALTH_RNG_FAILED : 0) |
                  (c->store.failed ? WD_HEALTH_STORAGE_FAILED : 0));
    wd_put32(resp + WD_INFO_STORE_USED, (uint32_t)wc_store_used(&c->store));
    wd_put32(resp + WD_INFO_STORE_CAP, (uint32_t)wc_store_capacity());
    wd_put16(resp + WD_INFO_RECORDS, (uint16_t)c->store.count);
    wd_put16(resp + WD_INFO_RECORDS_MAX, WC_STORE_RECORDS_MAX);
    resp[WD_INFO_SERIAL_LEN] = (uint8_t)serial_len;
    if (serial_len > 0) {
        memcpy(resp + WD_INFO_SERIAL, serial, serial_len);
    }
    *resp_len = WD_INFO_FIXED_LEN + serial_len;
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_get_random(struct wc_companion *c, const uint8_t *req, size_t req_len,
                  uint8_t *resp, size_t *resp_len)
{
    size_t n;

    if (req_len != 2) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    n = wd_get16(req);
    if (n == 0 || n > WD_MAX_PAYLOAD) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    if (wc_rng_generate(&c->rng, resp, n) != WC_OK) {
        return WD_STATUS_RNG_FAILURE;
    }
    *resp_len = n;
    return WD_STATUS_OK;
}

enum wd_status
wc_cmd_echo(struct wc_companion *c, const uint8_t *req, size_t req_len,
            uint8_t *resp, size_t *resp_len)
{
    (void)c;
    if (req_len > 0) {
        memcpy(resp, req, req_len);
    }
    *resp_len = req_len;
    return WD_STATUS_OK;
}
