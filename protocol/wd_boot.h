/*
 * The byte strings of secure boot (docs/secure-boot.md), in one place
 * for the companion, which checks them, and the tools and tests, which
 * make them.
 */
#ifndef WD_BOOT_H
#define WD_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "wd_proto.h"

#define WD_BOOT_SIGNED_LEN                                                   \
    (sizeof(WD_BOOT_SIGNED_LABEL) - 1 + WD_MEASUREMENT_LEN + 4)

/*
 * The measurement: SHA-256("WARDEN-MEASURE-1" || SHA-256(image) ||
 * SHA-256(configuration)).
 */
void wd_boot_measurement(const uint8_t image_hash[32],
                         const uint8_t config_hash[32],
                         uint8_t out[WD_MEASUREMENT_LEN]);

/*
 * What the firmware-signing key signs: "WARDEN-FIRMWARE-1" ||
 * measurement || u32 version. Writes WD_BOOT_SIGNED_LEN bytes.
 */
void wd_boot_signed_form(const uint8_t measurement[WD_MEASUREMENT_LEN],
                         uint32_t version, uint8_t out[WD_BOOT_SIGNED_LEN]);

#endif
