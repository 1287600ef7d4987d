/*
 * What the companion firmware needs from the board it runs on. The
 * emulator (emulator/platform_file.c) implements it on files and the OS;
 * a microcontroller port implements it on flash, a TRNG and fuses.
 *
 * Every callback returns 0 on success and -1 on failure. None may be
 * NULL.
 */
#ifndef WC_PLATFORM_H
#define WC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#define WC_DEVICE_KEY_LEN 32

struct wc_platform {
    void *ctx;

    /*
     * Non-volatile storage of storage_size bytes, addressed from 0. The
     * record store splits it in two equal slots. A write may be cut at any
     * byte by a power loss; sync returns once written bytes are durable.
     * Blank (never written) storage reads as 0xff, like erased flash.
     */
    size_t storage_size;
    int (*storage_read)(void *ctx, size_t offset, void *buf, size_t len);
    int (*storage_write)(void *ctx, size_t offset, const void *buf,
                         size_t len);
    int (*storage_sync)(void *ctx);

    /*
     * Raw samples from the entropy source, at least 4 bits of min-entropy
     * per byte. The companion runs its health tests on them; a source
     * that cannot deliver returns -1.
     */
    int (*entropy)(void *ctx, void *out, size_t len);

    /*
     * The device-unique key (fuses on a chip, a key file in the
     * emulator). The companion derives its storage keys from it and wipes
     * every copy after use.
     */
    int (*device_key)(void *ctx, uint8_t key[WC_DEVICE_KEY_LEN]);

    /*
     * Secure boot: SHA-256 of the firmware image of the host on a
     * channel (peer: the platform's own handle, wc_channel.peer) and of
     * the configuration named by config (config_len bytes, not NUL-
     * terminated; 0 bytes: no configuration, hashed as empty). The
     * companion never takes a hash from the host itself. On a chip the
     * boot ROM measures before the host runs; the emulator hashes the
     * peer's executable and the named file. Returns -1 when the host
     * cannot be measured, which keeps the device key locked.
     */
    int (*measure_host)(void *ctx, const void *peer, const char *config,
                        size_t config_len, uint8_t image_hash[32],
                        uint8_t config_hash[32]);
};

#endif
