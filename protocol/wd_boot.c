/* Secure boot's byte strings; see wd_boot.h. */
#include "wd_boot.h"

#include <string.h>

#include <bearssl.h>

void
wd_boot_measurement(const uint8_t image_hash[32],
                    const uint8_t config_hash[32],
                    uint8_t out[WD_MEASUREMENT_LEN])
{
    br_sha256_context h;

    br_sha256_init(&h);
    br_sha256_update(&h, WD_BOOT_MEASURE_LABEL,
                     sizeof(WD_BOOT_MEASURE_LABEL) - 1);
    br_sha256_update(&h, image_hash, 32);
    br_sha256_update(&h, config_hash, 32);
    br_sha256_out(&h, out);
}

void
wd_boot_signed_form(const uint8_t measurement[WD_MEASUREMENT_LEN],
                    uint32_t version, uint8_t out[WD_BOOT_SIGNED_LEN])
{
    size_t n = sizeof(WD_BOOT_SIGNED_LABEL) - 1;

    memcpy(out, WD_BOOT_SIGNED_LABEL, n);
    memcpy(out + n, measurement, WD_MEASUREMENT_LEN);
    wd_put32(out + n + WD_MEASUREMENT_LEN, version);
}
