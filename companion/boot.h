/*
 * Secure boot gating and attestation (design sections 1 and 5).
 *
 * The device key signs in the operational state only for a host whose
 * firmware was measured in this power cycle and whose measurement the
 * firmware-signing key vouched for. The measurement comes from the
 * platform (wc_platform.measure_host), never from the host: the host
 * supplies only the signature, which is public. A report belongs to the
 * channel it was made on, so one program's good report unlocks nothing
 * for another; RESET forgets all of them.
 *
 * In manufacturing the key is not gated: the factory station has no
 * firmware to measure, and needs the key for the certificate request.
 */
#ifndef WC_BOOT_H
#define WC_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "wc_companion.h"

/*
 * Judges a boot report for channel ch: measures the host through the
 * platform, then checks sig (DER ECDSA by the stored firmware-signing
 * key) over the signed form of (measurement, version). The result,
 * good or bad, replaces ch's earlier report. Returns OK, NOT_FOUND (no
 * firmware-signing key), NOT_MEASURED or BOOT_REFUSED.
 */
enum wd_status wc_boot_report(struct wc_companion *c, struct wc_channel *ch,
                              uint32_t version, const uint8_t *sig,
                              size_t sig_len, const char *config,
                              size_t config_len);

/* WD_BOOT_* of ch's report in this epoch. */
unsigned wc_boot_result(const struct wc_companion *c,
                        const struct wc_channel *ch);

/* 1 if the device key may sign for the running command's channel. */
int wc_boot_key_unlocked(const struct wc_companion *c);

/*
 * The attestation statement for challenge, as channel ch sees the
 * companion, into out (at least WC_ATTEST_STATEMENT_MAX bytes).
 * Returns its length. The layout is in docs/protocol.md (ATTEST).
 */
#define WC_ATTEST_STATEMENT_MAX                                              \
    (15 + 1 + WD_ATTEST_CHALLENGE_MAX + 1 + WD_SERIAL_MAX + 1 + 3 + 1 + 4 +  \
     WD_MEASUREMENT_LEN)
size_t wc_attest_statement(const struct wc_companion *c,
                           const struct wc_channel *ch,
                           const uint8_t *challenge, size_t challenge_len,
                           uint8_t *out);

/* Forgets every boot report (all channels): a companion reset. */
void wc_boot_forget_all(struct wc_companion *c);

#endif
