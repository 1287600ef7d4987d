/*
 * The companion's record store: small records, identified by a 16-bit id,
 * kept in RAM and committed to platform storage as one image.
 *
 * Storage holds two slots. A commit writes the whole new image, with a
 * higher generation and an HMAC-SHA256, into the slot that is not
 * current, syncs, then spoils the header of the old slot and syncs again.
 * Opening picks the valid image with the highest generation. A power loss
 * at any byte therefore leaves the old image or the new one:
 *  - cut while writing the new slot: its MAC fails, the old one is used;
 *  - cut while spoiling the old slot: the new slot is complete and newer.
 * Spoiling the old slot makes damage to the current image show up as
 * corruption instead of a silent return to the state before it.
 *
 * Records flagged WC_RECORD_SECRET are encrypted at rest with AES-256-CTR
 * under a key derived per commit (HKDF-SHA256 of the device-unique key and
 * a random salt in the header); the MAC covers the ciphertext.
 *
 * Known shortcoming: nothing stops a full copy of an older storage file
 * from being put back (rollback). A chip closes this with a monotonic
 * counter in fuses or RPMB; the emulator has none.
 */
#ifndef WC_STORE_H
#define WC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wc_platform.h"

/* Bytes of one slot; storage must hold two. */
#define WC_STORE_SLOT_SIZE 32768
#define WC_STORE_SIZE (2 * WC_STORE_SLOT_SIZE)

/*
 * magic 4, generation 8, salt 16, body length 4, key check 8; MAC 32
 * after the body. The key check value tells an image made under another
 * device key from a damaged one; it proves nothing (the MAC does).
 */
#define WC_STORE_HEADER_LEN 40
#define WC_STORE_KCV_LEN 8
#define WC_STORE_MAC_LEN 32
#define WC_STORE_BODY_MAX                                                    \
    (WC_STORE_SLOT_SIZE - WC_STORE_HEADER_LEN - WC_STORE_MAC_LEN)

/* Each record: id u16, flags u8, reserved u8, length u16, data. */
#define WC_RECORD_OVERHEAD 6
#define WC_STORE_RECORDS_MAX 64

#define WC_RECORD_SECRET 0x01

struct wc_store_entry {
    uint16_t id;
    uint8_t flags;
    uint16_t offset; /* into data[] */
    uint16_t length;
};

struct wc_store {
    const struct wc_platform *plat;
    int failed;          /* a commit failed and the reload did too */
    uint64_t generation; /* of the current image */
    unsigned current;    /* slot holding the current image: 0 or 1 */
    unsigned count;
    size_t data_used;
    struct wc_store_entry entry[WC_STORE_RECORDS_MAX];
    uint8_t data[WC_STORE_BODY_MAX];
    uint8_t mac_key[32];
    uint8_t key_check[WC_STORE_KCV_LEN];
};

/*
 * Loads the store from platform storage. On blank storage the store is
 * empty and *fresh is 1: the caller sets the first records and commits
 * them, so a device is never seen half-initialised. Returns WC_OK,
 * WC_STORAGE_CORRUPT when storage is written but holds no valid image,
 * WC_STORAGE_WRONG_KEY when its image was made under another device
 * key, WC_STORAGE_IO, or
 * WC_DEVICE_KEY.
 */
int wc_store_open(struct wc_store *s, const struct wc_platform *plat,
                  int *fresh);

/* Points *data at a record's plaintext; WC_NOT_FOUND if absent. */
int wc_store_get(const struct wc_store *s, uint16_t id, const uint8_t **data,
                 size_t *len);

/*
 * Changes records in RAM only; wc_store_commit() makes them durable. A
 * failed commit reloads the last good image, dropping every change since.
 * data must not point into the store (wc_store_get() memory): records
 * move when others change.
 */
int wc_store_set(struct wc_store *s, uint16_t id, uint8_t flags,
                 const void *data, size_t len);
int wc_store_delete(struct wc_store *s, uint16_t id);
/* salt_source (the companion's DRBG) gives each commit a fresh salt. */
int wc_store_commit(struct wc_store *s,
                    int (*salt_source)(void *ctx, void *out, size_t len),
                    void *salt_ctx);

/*
 * Drops every change since the last commit by reading storage again. If
 * that fails the store is failed until the companion restarts.
 */
void wc_store_revert(struct wc_store *s);

/*
 * Overwrites with zeros every byte of storage outside the current image:
 * the other slot, which still holds the image before the last commit,
 * and the current slot past its MAC. After records were deleted so that
 * no copy of them may stay behind (decommissioning), this removes the
 * older images that still had them. The current image is not touched,
 * so a power cut during the scrub loses nothing. Returns WC_OK or
 * WC_STORAGE_IO.
 */
int wc_store_scrub(struct wc_store *s);

/* Bytes of record data and overhead in use, and the most there can be. */
size_t wc_store_used(const struct wc_store *s);
size_t wc_store_capacity(void);

/* Wipes the RAM copy and keys. */
void wc_store_wipe(struct wc_store *s);

#endif
