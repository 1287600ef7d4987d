/*
 * The emulator's platform layer: companion storage on a file and the
 * device-unique key in a separate key file, standing in for flash and
 * fuses; entropy from the operating system.
 *
 * The key file is made only together with a new storage file, so that
 * storage is never paired with a key it was not written under. Storage
 * is locked while open, so two emulators cannot share it.
 *
 * Linux (or another system with getrandom() and flock()). This code never
 * prints: errors come back as a message in a caller's buffer.
 */
#ifndef WEMU_PLATFORM_FILE_H
#define WEMU_PLATFORM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "wc_platform.h"

/* Length of a key file: the raw device key, nothing else. */
#define WEMU_KEY_FILE_LEN WC_DEVICE_KEY_LEN

/* Fields are private, except plat, which the companion is given. */
struct wemu_platform {
    struct wc_platform plat;
    int storage_fd;
    int created; /* this open made the storage file */
    size_t size;
    uint8_t key[WC_DEVICE_KEY_LEN];
};

/*
 * Opens storage_path and key_path. Missing storage is made as
 * WC_STORE_SIZE bytes of 0xff (blank flash), and with it, if that is
 * missing too, the key as WEMU_KEY_FILE_LEN random bytes; both 0600.
 * Fills p->plat with callbacks that use p; p must stay in place until
 * wemu_platform_close().
 *
 * Refuses, leaving the files as they are:
 *  - a key file missing next to an existing storage file;
 *  - a key file of the wrong length, not a regular file, not owned by the
 *    caller, or open to group or others;
 *  - a storage file of the wrong size or not a regular file;
 *  - storage that another process holds open through this layer.
 *
 * Returns 0, or -1 with a message naming the file in err (errlen bytes,
 * always terminated when errlen > 0). Either way wemu_platform_close()
 * may be called afterwards.
 */
int wemu_platform_open(struct wemu_platform *p, const char *storage_path,
                       const char *key_path, char *err, size_t errlen);

/*
 * Checks, making and changing nothing, what wemu_platform_open() would
 * refuse in the files that already exist: storage that another process
 * holds, of the wrong size or type, or without its key file; a key file
 * that open would not accept. Missing files are no error here, since
 * open makes them; whether their folder exists is the caller's to check.
 * Lets a caller find every reason not to start before it makes anything.
 *
 * Returns 0, or -1 with a message in err as for wemu_platform_open().
 */
int wemu_platform_check(const char *storage_path, const char *key_path,
                        char *err, size_t errlen);

/* 1 if the last successful open created the storage file, else 0. */
int wemu_platform_created(const struct wemu_platform *p);

/* Releases the lock and the file, and wipes the key from memory. */
void wemu_platform_close(struct wemu_platform *p);

#endif
