/*
 * Secure boot, attestation and reset commands (docs/protocol.md section
 * 5); the rules are in boot.c.
 */
#include <string.h>

#include "boot.h"
#include "commands.h"
#include "ecdhe.h"
#include "keys.h"

/*
 * BOOT: u32 host firmware version, u8 signature length, DER signature,
 * u8 configuration name length, name. Response: u8 WD_BOOT_VERIFIED,
 * the measurement.
 */
WC_HANDLER(wc_cmd_boot)
{
    size_t sig_len, config_len;
    enum wd_status status;

    if (req_len < 4 + 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    sig_len = req[4];
    if (sig_len == 0 || sig_len > WC_SIG_DER_MAX ||
        req_len < 4 + 1 + sig_len + 1) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    config_len = req[4 + 1 + sig_len];
    if (req_len != 4 + 1 + sig_len + 1 + config_len ||
        memchr(req + 4 + 1 + sig_len + 1, 0, config_len) != NULL) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    status = wc_boot_report(c, c->current, wd_get32(req), req + 5, sig_len,
                            (const char *)req + 4 + 1 + sig_len + 1,
                            config_len);
    if (status != WD_STATUS_OK) {
        return status;
    }
    resp[0] = WD_BOOT_VERIFIED;
    memcpy(resp + 1, c->current->measurement, WD_MEASUREMENT_LEN);
    *resp_len = 1 + WD_MEASUREMENT_LEN;
    return WD_STATUS_OK;
}

/*
 * ATTEST: a challenge of 16 to 64 bytes. Response: u16 statement length,
 * the statement, the attestation key's DER signature over it.
 */
WC_HANDLER(wc_cmd_attest)
{
    uint8_t sig[WC_SIG_DER_MAX];
    size_t n, sig_len;
    enum wd_status status;

    if (req_len < WD_ATTEST_CHALLENGE_MIN ||
        req_len > WD_ATTEST_CHALLENGE_MAX) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    n = wc_attest_statement(c, c->current, req, req_len, resp + 2);
    status = wc_key_sign(c, WD_KEY_ATTESTATION, resp + 2, n, sig, &sig_len);
    if (status != WD_STATUS_OK) {
        return status;
    }
    wd_put16(resp, (uint16_t)n);
    memcpy(resp + 2 + n, sig, sig_len);
    *resp_len = 2 + n + sig_len;
    return WD_STATUS_OK;
}

/*
 * RESET: what a power cycle clears. Every TLS session ends, every boot
 * report is forgotten (the device key locks until the next BOOT), and
 * work done ahead is dropped. Storage is untouched.
 */
WC_HANDLER(wc_cmd_reset)
{
    (void)req;
    (void)resp;
    if (req_len != 0) {
        return WD_STATUS_BAD_PAYLOAD;
    }
    wc_tls_release(c, NULL);
    wc_boot_forget_all(c);
    wc_ecdhe_pool_wipe(&c->ecdhe_pool);
    memset(&c->sig_cache, 0, sizeof(c->sig_cache));
    *resp_len = 0;
    return WD_STATUS_OK;
}
