/* Atomic, authenticated record store on two slots; see store.h. */
#include "store.h"

#include <string.h>

#include <bearssl.h>

#include "wc_errors.h"
#include "wd_proto.h"
#include "wc_wipe.h"

static const uint8_t store_magic[4] = {'W', 'D', 'S', '1'};
static const char mac_label[] = "warden store mac v1";
static const char enc_label[] = "warden store enc v1";
static const char kcv_label[] = "warden store key check v1";

#define SALT_LEN 16
#define OFF_MAGIC 0
#define OFF_GENERATION 4
#define OFF_SALT 12
#define OFF_BODY_LEN 28
#define OFF_KEY_CHECK 32

/* Work in pieces a multiple of the AES block so CTR counters line up. */
#define PIECE 256

enum slot_state { SLOT_BLANK, SLOT_INVALID, SLOT_WRONG_KEY, SLOT_VALID };

struct slot_view {
    enum slot_state state;
    uint64_t generation;
    uint8_t header[WC_STORE_HEADER_LEN];
};

static size_t
slot_offset(unsigned slot)
{
    return (size_t)slot * WC_STORE_SLOT_SIZE;
}

/* HKDF-SHA256(device key, salt, label) -> out[32]. */
static int
derive_key(const struct wc_platform *plat, const uint8_t *salt,
           size_t salt_len, const char *label, uint8_t out[32])
{
    uint8_t dk[WC_DEVICE_KEY_LEN];
    br_hkdf_context hc;
    int err = WC_DEVICE_KEY;

    if (plat->device_key(plat->ctx, dk) != 0) {
        goto out;
    }
    br_hkdf_init(&hc, &br_sha256_vtable,
                 salt_len ? salt : BR_HKDF_NO_SALT, salt_len);
    br_hkdf_inject(&hc, dk, sizeof(dk));
    br_hkdf_flip(&hc);
    br_hkdf_produce(&hc, label, strlen(label), out, 32);
    err = WC_OK;
out:
    wc_wipe(dk, sizeof(dk));
    wc_wipe(&hc, sizeof(hc));
    return err;
}

/*
 * Rebuilds the index from the body. Returns -1 if the body is not a
 * sequence of well-formed records with distinct ids.
 */
static int
reindex(struct wc_store *s)
{
    size_t off = 0;
    unsigned i;

    s->count = 0;
    while (off < s->data_used) {
        struct wc_store_entry *e;
        size_t len;

        if (s->data_used - off < WC_RECORD_OVERHEAD ||
            s->count == WC_STORE_RECORDS_MAX) {
            return -1;
        }
        len = wd_get16(s->data + off + 4);
        if (len > s->data_used - off - WC_RECORD_OVERHEAD) {
            return -1;
        }
        e = &s->entry[s->count];
        e->id = wd_get16(s->data + off);
        e->flags = s->data[off + 2];
        e->offset = (uint16_t)(off + WC_RECORD_OVERHEAD);
        e->length = (uint16_t)len;
        for (i = 0; i < s->count; i++) {
            if (s->entry[i].id == e->id) {
                return -1;
            }
        }
        s->count++;
        off += WC_RECORD_OVERHEAD + len;
    }
    return 0;
}

static void
crypt_record(const br_aes_ct_ctr_keys *aes, uint16_t id, uint8_t *data,
             size_t len, size_t from)
{
    uint8_t iv[12];

    /* The per-commit key makes (key, id) unique; the id is the nonce. */
    memset(iv, 0, sizeof(iv));
    wd_put16(iv, id);
    br_aes_ct_ctr_run(aes, iv, (uint32_t)(from / 16), data, len);
}

/* Decrypts (or encrypts: CTR is its own inverse) every secret record. */
static void
crypt_secrets(struct wc_store *s, const br_aes_ct_ctr_keys *aes)
{
    unsigned i;

    for (i = 0; i < s->count; i++) {
        const struct wc_store_entry *e = &s->entry[i];

        if (e->flags & WC_RECORD_SECRET) {
            crypt_record(aes, e->id, s->data + e->offset, e->length, 0);
        }
    }
}

static int
read_storage(const struct wc_store *s, size_t off, void *buf, size_t len)
{
    return s->plat->storage_read(s->plat->ctx, off, buf, len) == 0
               ? WC_OK
               : WC_STORAGE_IO;
}

/*
 * Looks at one slot: blank, or an image whose MAC verifies, or neither.
 * Only WC_STORAGE_IO is an error; a bad image is SLOT_INVALID.
 */
static int
inspect_slot(const struct wc_store *s, unsigned slot, struct slot_view *v)
{
    uint8_t piece[PIECE];
    uint8_t mac[WC_STORE_MAC_LEN];
    uint8_t want[WC_STORE_MAC_LEN];
    br_hmac_key_context kc;
    br_hmac_context hc;
    size_t base = slot_offset(slot);
    size_t len, off, n, i;
    int blank = 1;
    int err;

    v->state = SLOT_INVALID;
    v->generation = 0;
    err = read_storage(s, base, v->header, WC_STORE_HEADER_LEN);
    if (err != WC_OK) {
        return err;
    }

    if (memcmp(v->header + OFF_MAGIC, store_magic, 4) != 0) {
        /* Not an image: blank only if every byte of the slot is erased. */
        for (off = 0; off < WC_STORE_SLOT_SIZE && blank; off += n) {
            n = WC_STORE_SLOT_SIZE - off < PIECE ? WC_STORE_SLOT_SIZE - off
                                                 : PIECE;
            err = read_storage(s, base + off, piece, n);
            if (err != WC_OK) {
                return err;
            }
            for (i = 0; i < n; i++) {
                blank &= piece[i] == 0xff;
            }
        }
        v->state = blank ? SLOT_BLANK : SLOT_INVALID;
        return WC_OK;
    }

    if (memcmp(v->header + OFF_KEY_CHECK, s->key_check, WC_STORE_KCV_LEN) !=
        0) {
        v->state = SLOT_WRONG_KEY;
        return WC_OK;
    }
    len = wd_get32(v->header + OFF_BODY_LEN);
    if (len > WC_STORE_BODY_MAX) {
        return WC_OK;
    }
    br_hmac_key_init(&kc, &br_sha256_vtable, s->mac_key, 32);
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, v->header, WC_STORE_HEADER_LEN);
    for (off = 0; off < len; off += n) {
        n = len - off < PIECE ? len - off : PIECE;
        err = read_storage(s, base + WC_STORE_HEADER_LEN + off, piece, n);
        if (err != WC_OK) {
            goto out;
        }
        br_hmac_update(&hc, piece, n);
    }
    err = read_storage(s, base + WC_STORE_HEADER_LEN + len, mac, sizeof(mac));
    if (err != WC_OK) {
        goto out;
    }
    br_hmac_out(&hc, want);
    if (wc_memeq_ct(mac, want, sizeof(mac)) == 0) {
        v->state = SLOT_VALID;
        v->generation = wd_get64(v->header + OFF_GENERATION);
    }
out:
    wc_wipe(piece, sizeof(piece));
    wc_wipe(&kc, sizeof(kc));
    wc_wipe(&hc, sizeof(hc));
    return err;
}

/*
 * Reads a slot that inspect_slot() found valid into RAM, checking the MAC
 * again over exactly what was read (the storage could change between the
 * two reads), then decrypts its secret records.
 */
static int
load_slot(struct wc_store *s, unsigned slot, const struct slot_view *v)
{
    uint8_t mac[WC_STORE_MAC_LEN];
    uint8_t want[WC_STORE_MAC_LEN];
    uint8_t enc_key[32];
    br_hmac_key_context kc;
    br_hmac_context hc;
    br_aes_ct_ctr_keys aes;
    size_t base = slot_offset(slot);
    size_t len = wd_get32(v->header + OFF_BODY_LEN);
    int err;

    err = read_storage(s, base + WC_STORE_HEADER_LEN, s->data, len);
    if (err == WC_OK) {
        err = read_storage(s, base + WC_STORE_HEADER_LEN + len, mac,
                           sizeof(mac));
    }
    if (err != WC_OK) {
        goto out;
    }
    br_hmac_key_init(&kc, &br_sha256_vtable, s->mac_key, 32);
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, v->header, WC_STORE_HEADER_LEN);
    br_hmac_update(&hc, s->data, len);
    br_hmac_out(&hc, want);
    s->data_used = len;
    err = WC_STORAGE_CORRUPT;
    if (wc_memeq_ct(mac, want, sizeof(mac)) != 0 || reindex(s) != 0) {
        goto out;
    }
    err = derive_key(s->plat, v->header + OFF_SALT, SALT_LEN, enc_label,
                     enc_key);
    if (err != WC_OK) {
        goto out;
    }
    br_aes_ct_ctr_init(&aes, enc_key, sizeof(enc_key));
    crypt_secrets(s, &aes);
    s->generation = v->generation;
    s->current = slot;
out:
    if (err != WC_OK) {
        wc_wipe(s->data, sizeof(s->data));
        s->data_used = 0;
        s->count = 0;
    }
    wc_wipe(enc_key, sizeof(enc_key));
    wc_wipe(&aes, sizeof(aes));
    wc_wipe(&kc, sizeof(kc));
    wc_wipe(&hc, sizeof(hc));
    return err;
}

/* Finds and loads the newest valid image. *fresh: storage is blank. */
static int
load(struct wc_store *s, int *fresh)
{
    struct slot_view v[2];
    unsigned best;
    int err;

    *fresh = 0;
    s->data_used = 0;
    s->count = 0;
    err = inspect_slot(s, 0, &v[0]);
    if (err == WC_OK) {
        err = inspect_slot(s, 1, &v[1]);
    }
    if (err != WC_OK) {
        return err;
    }

    if (v[0].state != SLOT_VALID && v[1].state != SLOT_VALID) {
        /*
         * The first commit writes slot 0 and then spoils slot 1, so a
         * blank slot 1 next to an invalid slot 0 can only be a first
         * commit cut short: the old state then is "blank".
         */
        if (v[1].state == SLOT_BLANK) {
            s->generation = 0;
            s->current = 1;
            *fresh = 1;
            return WC_OK;
        }
        if (v[0].state == SLOT_WRONG_KEY || v[1].state == SLOT_WRONG_KEY) {
            return WC_STORAGE_WRONG_KEY;
        }
        return WC_STORAGE_CORRUPT;
    }
    if (v[0].state == SLOT_VALID && v[1].state == SLOT_VALID) {
        best = v[1].generation > v[0].generation ? 1 : 0;
    } else {
        best = v[0].state == SLOT_VALID ? 0 : 1;
    }
    return load_slot(s, best, &v[best]);
}

int
wc_store_open(struct wc_store *s, const struct wc_platform *plat,
              int *fresh)
{
    uint8_t kcv[32];
    int err;

    memset(s, 0, sizeof(*s));
    s->plat = plat;
    *fresh = 0;
    if (plat->storage_size < WC_STORE_SIZE) {
        return WC_STORAGE_IO;
    }
    err = derive_key(plat, NULL, 0, mac_label, s->mac_key);
    if (err == WC_OK) {
        err = derive_key(plat, NULL, 0, kcv_label, kcv);
        memcpy(s->key_check, kcv, WC_STORE_KCV_LEN);
        wc_wipe(kcv, sizeof(kcv));
    }
    if (err == WC_OK) {
        err = load(s, fresh);
    }
    if (err != WC_OK) {
        wc_store_wipe(s);
        s->failed = 1;
    }
    return err;
}

static const struct wc_store_entry *
find(const struct wc_store *s, uint16_t id)
{
    unsigned i;

    for (i = 0; i < s->count; i++) {
        if (s->entry[i].id == id) {
            return &s->entry[i];
        }
    }
    return NULL;
}

int
wc_store_get(const struct wc_store *s, uint16_t id, const uint8_t **data,
             size_t *len)
{
    const struct wc_store_entry *e = s->failed ? NULL : find(s, id);

    if (e == NULL) {
        *data = NULL;
        *len = 0;
        return s->failed ? WC_STORAGE_FAILED : WC_NOT_FOUND;
    }
    *data = s->data + e->offset;
    *len = e->length;
    return WC_OK;
}

int
wc_store_delete(struct wc_store *s, uint16_t id)
{
    const struct wc_store_entry *e;
    size_t start, size;

    if (s->failed) {
        return WC_STORAGE_FAILED;
    }
    e = find(s, id);
    if (e == NULL) {
        return WC_NOT_FOUND;
    }
    start = (size_t)e->offset - WC_RECORD_OVERHEAD;
    size = WC_RECORD_OVERHEAD + (size_t)e->length;
    memmove(s->data + start, s->data + start + size,
            s->data_used - start - size);
    /* The freed tail may have held a secret. */
    wc_wipe(s->data + s->data_used - size, size);
    s->data_used -= size;
    return reindex(s) == 0 ? WC_OK : WC_STORAGE_CORRUPT;
}

int
wc_store_set(struct wc_store *s, uint16_t id, uint8_t flags,
             const void *data, size_t len)
{
    const struct wc_store_entry *e;
    size_t freed = 0;
    unsigned count;
    uint8_t *rec;

    if (s->failed) {
        return WC_STORAGE_FAILED;
    }
    if (len > 0xffff || (flags & ~WC_RECORD_SECRET) != 0) {
        return WC_ARGUMENT;
    }
    e = find(s, id);
    count = s->count;
    if (e != NULL) {
        freed = WC_RECORD_OVERHEAD + (size_t)e->length;
        count--;
    }
    if (count >= WC_STORE_RECORDS_MAX ||
        s->data_used - freed + WC_RECORD_OVERHEAD + len > WC_STORE_BODY_MAX) {
        return WC_STORAGE_FULL;
    }
    if (e != NULL) {
        wc_store_delete(s, id);
    }
    rec = s->data + s->data_used;
    wd_put16(rec, id);
    rec[2] = flags;
    rec[3] = 0;
    wd_put16(rec + 4, (uint16_t)len);
    if (len > 0) {
        memmove(rec + WC_RECORD_OVERHEAD, data, len);
    }
    s->data_used += WC_RECORD_OVERHEAD + len;
    return reindex(s) == 0 ? WC_OK : WC_STORAGE_CORRUPT;
}

/* Streams bytes to storage while feeding the MAC. */
struct writer {
    const struct wc_platform *plat;
    size_t offset;
    br_hmac_context hc;
    int err;
};

static void
emit(struct writer *w, const void *buf, size_t len)
{
    if (w->err != WC_OK) {
        return;
    }
    br_hmac_update(&w->hc, buf, len);
    if (w->plat->storage_write(w->plat->ctx, w->offset, buf, len) != 0) {
        w->err = WC_STORAGE_IO;
    }
    w->offset += len;
}

/* Writes one record, encrypting the data of a secret one piece by piece. */
static void
emit_record(struct writer *w, const struct wc_store *s,
            const struct wc_store_entry *e, const br_aes_ct_ctr_keys *aes)
{
    uint8_t piece[PIECE];
    size_t off, n;

    emit(w, s->data + e->offset - WC_RECORD_OVERHEAD, WC_RECORD_OVERHEAD);
    for (off = 0; off < e->length; off += n) {
        n = e->length - off < PIECE ? e->length - off : PIECE;
        memcpy(piece, s->data + e->offset + off, n);
        if (e->flags & WC_RECORD_SECRET) {
            crypt_record(aes, e->id, piece, n, off);
        }
        emit(w, piece, n);
    }
    wc_wipe(piece, sizeof(piece));
}

/* Writes the whole image for generation gen into slot. */
static int
write_image(struct wc_store *s, unsigned slot, uint64_t gen,
            const uint8_t salt[SALT_LEN])
{
    uint8_t header[WC_STORE_HEADER_LEN];
    uint8_t mac[WC_STORE_MAC_LEN];
    uint8_t enc_key[32];
    br_hmac_key_context kc;
    br_aes_ct_ctr_keys aes;
    struct writer w;
    unsigned i;

    memset(&w, 0, sizeof(w));
    w.err = derive_key(s->plat, salt, SALT_LEN, enc_label, enc_key);
    if (w.err != WC_OK) {
        goto out;
    }
    br_aes_ct_ctr_init(&aes, enc_key, sizeof(enc_key));

    memcpy(header + OFF_MAGIC, store_magic, 4);
    wd_put64(header + OFF_GENERATION, gen);
    memcpy(header + OFF_SALT, salt, SALT_LEN);
    wd_put32(header + OFF_BODY_LEN, (uint32_t)s->data_used);
    memcpy(header + OFF_KEY_CHECK, s->key_check, WC_STORE_KCV_LEN);

    w.plat = s->plat;
    w.offset = slot_offset(slot);
    br_hmac_key_init(&kc, &br_sha256_vtable, s->mac_key, 32);
    br_hmac_init(&w.hc, &kc, 0);
    emit(&w, header, sizeof(header));
    for (i = 0; i < s->count; i++) {
        emit_record(&w, s, &s->entry[i], &aes);
    }
    br_hmac_out(&w.hc, mac);
    if (w.err == WC_OK &&
        s->plat->storage_write(s->plat->ctx, w.offset, mac, sizeof(mac)) !=
            0) {
        w.err = WC_STORAGE_IO;
    }
out:
    wc_wipe(enc_key, sizeof(enc_key));
    wc_wipe(&aes, sizeof(aes));
    wc_wipe(&kc, sizeof(kc));
    wc_wipe(&w.hc, sizeof(w.hc));
    return w.err;
}

int
wc_store_commit(struct wc_store *s,
                int (*salt_source)(void *ctx, void *out, size_t len),
                void *salt_ctx)
{
    static const uint8_t spoiled[4] = {0, 0, 0, 0};
    const struct wc_platform *p = s->plat;
    uint8_t salt[SALT_LEN];
    unsigned target = s->current ^ 1u;
    int err;

    if (s->failed) {
        return WC_STORAGE_FAILED;
    }
    if (salt_source(salt_ctx, salt, sizeof(salt)) != 0) {
        /* Nothing written: the RAM changes are dropped below. */
        err = WC_ENTROPY;
        goto fail;
    }

    /* 1. The new image goes to the slot that does not hold the current. */
    err = write_image(s, target, s->generation + 1, salt);
    if (err == WC_OK && p->storage_sync(p->ctx) != 0) {
        err = WC_STORAGE_IO;
    }
    if (err != WC_OK) {
        goto fail;
    }
    /* 2. The new image is durable: it wins from here on. */
    s->generation++;
    s->current = target;

    /* 3. Spoil the old image so that only the new one can ever load. */
    if (p->storage_write(p->ctx, slot_offset(target ^ 1u), spoiled,
                         sizeof(spoiled)) != 0 ||
        p->storage_sync(p->ctx) != 0) {
        err = WC_STORAGE_IO;
        goto fail;
    }
    wc_wipe(salt, sizeof(salt));
    return WC_OK;

fail:
    /*
     * Storage holds the old or the new image; RAM must match it again.
     * If it cannot be read back, the store stays failed until a restart.
     */
    wc_wipe(salt, sizeof(salt));
    wc_store_revert(s);
    return err;
}

/* Writes zeros over [off, end) of storage. */
static int
zero_range(const struct wc_platform *p, size_t off, size_t end)
{
    static const uint8_t zeros[PIECE];
    size_t n;

    for (; off < end; off += n) {
        n = end - off < sizeof(zeros) ? end - off : sizeof(zeros);
        if (p->storage_write(p->ctx, off, zeros, n) != 0) {
            return WC_STORAGE_IO;
        }
    }
    return WC_OK;
}

int
wc_store_scrub(struct wc_store *s)
{
    const struct wc_platform *p = s->plat;
    size_t image_end = slot_offset(s->current) + WC_STORE_HEADER_LEN +
                       s->data_used + WC_STORE_MAC_LEN;
    size_t other = slot_offset(s->current ^ 1u);

    if (s->failed) {
        return WC_STORAGE_FAILED;
    }
    if (zero_range(p, other, other + WC_STORE_SLOT_SIZE) != WC_OK ||
        zero_range(p, image_end,
                   slot_offset(s->current) + WC_STORE_SLOT_SIZE) != WC_OK ||
        p->storage_sync(p->ctx) != 0) {
        return WC_STORAGE_IO;
    }
    return WC_OK;
}

void
wc_store_revert(struct wc_store *s)
{
    int fresh;

    if (s->failed) {
        return;
    }
    if (load(s, &fresh) != WC_OK) {
        wc_wipe(s->data, sizeof(s->data));
        s->data_used = 0;
        s->count = 0;
        s->failed = 1;
    }
}

size_t
wc_store_used(const struct wc_store *s)
{
    return s->data_used;
}

size_t
wc_store_capacity(void)
{
    return WC_STORE_BODY_MAX;
}

void
wc_store_wipe(struct wc_store *s)
{
    wc_wipe(s, sizeof(*s));
}
