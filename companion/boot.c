/* Secure boot gating and attestation statements; see boot.h. */
#include "boot.h"

#include <string.h>

#include "commands.h"
#include "records.h"
#include "verify.h"
#include "wc_wipe.h"
#include "wd_boot.h"
#include "x509.h"

enum wd_status
wc_boot_report(struct wc_companion *c, struct wc_channel *ch,
               uint32_t version, const uint8_t *sig, size_t sig_len,
               const char *config, size_t config_len)
{
    uint8_t image_hash[32], config_hash[32];
    uint8_t signed_form[WD_BOOT_SIGNED_LEN];
    const uint8_t *spki;
    size_t spki_len;
    struct wc_pubkey key;
    enum wc_sig_alg alg;

    /* Whatever happens below, an earlier good report no longer counts. */
    ch->boot_epoch = c->boot_epoch;
    ch->boot_result = WD_BOOT_UNMEASURED;
    ch->host_version = 0;
    memset(ch->measurement, 0, sizeof(ch->measurement));

    if (wc_store_get(&c->store, WC_REC_FIRMWARE_KEY, &spki, &spki_len) !=
        WC_OK) {
        return WD_STATUS_NOT_FOUND;
    }
    if (c->plat->measure_host(c->plat->ctx, ch->peer, config, config_len,
                              image_hash, config_hash) != 0) {
        return WD_STATUS_NOT_MEASURED;
    }
    wd_boot_measurement(image_hash, config_hash, ch->measurement);
    ch->boot_result = WD_BOOT_REFUSED;
    wd_boot_signed_form(ch->measurement, version, signed_form);

    /* The key was checked when installed; a P-384 key signs with SHA-384. */
    if (wc_x509_parse_spki(&key, spki, spki_len) != 0) {
        return WD_STATUS_INTERNAL;
    }
    alg = key.type == WC_KEY_EC_P384 ? WC_SIG_ECDSA_SHA384
                                     : WC_SIG_ECDSA_SHA256;
    if (wc_verify_signature(&key, alg, signed_form, sizeof(signed_form), sig,
                            sig_len) !=
        WC_VERIFY_OK) {
        return WD_STATUS_BOOT_REFUSED;
    }
    ch->boot_result = WD_BOOT_VERIFIED;
    ch->host_version = version;
    return WD_STATUS_OK;
}

unsigned
wc_boot_result(const struct wc_companion *c, const struct wc_channel *ch)
{
    if (ch == NULL || ch->boot_epoch != c->boot_epoch) {
        return WD_BOOT_NONE;
    }
    return ch->boot_result;
}

int
wc_boot_key_unlocked(const struct wc_companion *c)
{
    if (wc_lifecycle(c) == WD_LIFECYCLE_MANUFACTURING) {
        return 1;
    }
    return wc_boot_result(c, c->current) == WD_BOOT_VERIFIED;
}

size_t
wc_attest_statement(const struct wc_companion *c, const struct wc_channel *ch,
                    const uint8_t *challenge, size_t challenge_len,
                    uint8_t *out)
{
    const uint8_t *serial;
    size_t serial_len, n;
    unsigned result = wc_boot_result(c, ch);

    if (wc_store_get(&c->store, WC_REC_SERIAL, &serial, &serial_len) !=
            WC_OK ||
        serial_len > WD_SERIAL_MAX) {
        serial_len = 0;
    }
    memcpy(out, WD_ATTEST_LABEL, sizeof(WD_ATTEST_LABEL) - 1);
    n = sizeof(WD_ATTEST_LABEL) - 1;
    out[n++] = (uint8_t)challenge_len;
    memcpy(out + n, challenge, challenge_len);
    n += challenge_len;
    out[n++] = (uint8_t)serial_len;
    /* No serial record leaves serial unset: memcpy may not see it. */
    if (serial_len > 0) {
        memcpy(out + n, serial, serial_len);
    }
    n += serial_len;
    out[n++] = (uint8_t)wc_lifecycle(c);
    out[n++] = WC_FW_VERSION_MAJOR;
    out[n++] = WC_FW_VERSION_MINOR;
    out[n++] = WC_FW_VERSION_PATCH;
    out[n++] = (uint8_t)result;
    wd_put32(out + n, result == WD_BOOT_VERIFIED ? ch->host_version : 0);
    n += 4;
    if (result == WD_BOOT_NONE) {
        memset(out + n, 0, WD_MEASUREMENT_LEN);
    } else {
        memcpy(out + n, ch->measurement, WD_MEASUREMENT_LEN);
    }
    return n + WD_MEASUREMENT_LEN;
}

void
wc_boot_forget_all(struct wc_companion *c)
{
    /*
     * 64 bits: RESET is anyone's to send, and a count that came round
     * would make reports it voided count again.
     */
    c->boot_epoch++;
    /* 0 is what a fresh channel holds: it must never be current. */
    if (c->boot_epoch == 0) {
        c->boot_epoch = 1;
    }
}
