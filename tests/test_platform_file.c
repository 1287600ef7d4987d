/*
 * The emulator's file platform layer: making storage and key, opening
 * them again, and refusing what it must refuse.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "platform_file.h"
#include "store.h"

static char dir[64];
static char storage[128];
static char key[128];

/* Counts a check and tells the caller whether to go on. */
static int
need(int ok, const char *file, int line, const char *what)
{
    wt_checks++;
    if (!ok) {
        wt_fail(file, line, what);
    }
    return ok;
}

#define NEED(cond) need((cond) != 0, __FILE__, __LINE__, #cond)

static int
read_file(const char *path, void *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        return -1;
    }
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return 0;
}

static int
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    int rc;

    if (fd < 0) {
        return -1;
    }
    rc = write(fd, buf, len) == (ssize_t)len ? 0 : -1;
    close(fd);
    return rc;
}

static mode_t
mode_of(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static int
exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static void
remove_all(void)
{
    char path[160];
    const char *names[] = {"storage.bin",    "storage.bin.new", "device-key",
                           "device-key.new", "other.bin",       "other.key"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
}

/* A new pair of files, and the callbacks on them. */
static void
test_create(void)
{
    static uint8_t buf[WC_STORE_SIZE + 1];
    static uint8_t blank[WC_STORE_SIZE];
    struct wemu_platform p;
    const struct wc_platform *pl = &p.plat;
    uint8_t file_key[64], dev_key[WC_DEVICE_KEY_LEN];
    uint8_t rnd[64], rnd2[64], data[100], back[100];
    char err[256], tmp[160];
    size_t len;

    remove_all();
    if (!NEED(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0)) {
        fprintf(stderr, "  open: %s\n", err);
        return;
    }
    CHECK(wemu_platform_created(&p) == 1);
    CHECK(err[0] == '\0');

    /* Blank flash of the size the store needs, owner-only. */
    memset(blank, 0xff, sizeof(blank));
    CHECK(read_file(storage, buf, sizeof(buf), &len) == 0);
    CHECK(len == WC_STORE_SIZE);
    CHECK_MEM(buf, blank, sizeof(blank));
    CHECK(mode_of(storage) == 0600);
    CHECK(mode_of(key) == 0600);
    CHECK(read_file(key, file_key, sizeof(file_key), &len) == 0);
    CHECK(len == WC_DEVICE_KEY_LEN);
    snprintf(tmp, sizeof(tmp), "%s.new", storage);
    CHECK(!exists(tmp));

    /* The callbacks. */
    CHECK(pl->ctx == &p);
    CHECK(pl->storage_size == WC_STORE_SIZE);
    CHECK(pl->device_key(pl->ctx, dev_key) == 0);
    CHECK_MEM(dev_key, file_key, sizeof(dev_key));
    CHECK(pl->entropy(pl->ctx, rnd, sizeof(rnd)) == 0);
    CHECK(pl->entropy(pl->ctx, rnd2, sizeof(rnd2)) == 0);
    CHECK(memcmp(rnd, rnd2, sizeof(rnd)) != 0);

    memset(data, 0x5a, sizeof(data));
    CHECK(pl->storage_write(pl->ctx, WC_STORE_SIZE - sizeof(data), data,
                            sizeof(data)) == 0);
    CHECK(pl->storage_sync(pl->ctx) == 0);
    CHECK(pl->storage_read(pl->ctx, WC_STORE_SIZE - sizeof(back), back,
                           sizeof(back)) == 0);
    CHECK_MEM(back, data, sizeof(data));

    /* Nothing past the end, and no wrap-around in offset + len. */
    CHECK(pl->storage_read(pl->ctx, WC_STORE_SIZE, back, 1) == -1);
    CHECK(pl->storage_read(pl->ctx, WC_STORE_SIZE - 1, back, 2) == -1);
    CHECK(pl->storage_write(pl->ctx, (size_t)-1, data, 2) == -1);
    CHECK(pl->storage_read(pl->ctx, 1, back, (size_t)-1) == -1);
    CHECK(pl->storage_read(pl->ctx, 0, back, 0) == 0);

    wemu_platform_close(&p);
    /* Closing wipes the key. */
    memset(dev_key, 0, sizeof(dev_key));
    CHECK_MEM(p.key, dev_key, sizeof(dev_key));
    wemu_platform_close(&p);
}

/* The same files again: nothing made, data and key as they were. */
static void
test_reopen(void)
{
    struct wemu_platform p;
    uint8_t file_key[WC_DEVICE_KEY_LEN], dev_key[WC_DEVICE_KEY_LEN];
    uint8_t back[100], want[100];
    char err[256];
    size_t len;

    CHECK(read_file(key, file_key, sizeof(file_key), &len) == 0);
    if (!NEED(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0)) {
        fprintf(stderr, "  open: %s\n", err);
        return;
    }
    CHECK(wemu_platform_created(&p) == 0);
    CHECK(p.plat.device_key(p.plat.ctx, dev_key) == 0);
    CHECK_MEM(dev_key, file_key, sizeof(dev_key));
    memset(want, 0x5a, sizeof(want));
    CHECK(p.plat.storage_read(p.plat.ctx, WC_STORE_SIZE - sizeof(back), back,
                              sizeof(back)) == 0);
    CHECK_MEM(back, want, sizeof(want));
    wemu_platform_close(&p);
}

/* Two users of one storage file at once would corrupt it. */
static void
test_lock(void)
{
    struct wemu_platform p, q;
    char err[256];

    if (!NEED(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0)) {
        return;
    }
    CHECK(wemu_platform_open(&q, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "in use") != NULL);
    CHECK(strstr(err, storage) != NULL);
    wemu_platform_close(&q);
    wemu_platform_close(&p);

    /* Released on close. */
    CHECK(wemu_platform_open(&q, storage, key, err, sizeof(err)) == 0);
    wemu_platform_close(&q);
}

static void
test_key_mode(void)
{
    struct wemu_platform p;
    char err[256];

    CHECK(chmod(key, 0640) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, key) != NULL);
    CHECK(strstr(err, "0640") != NULL);
    wemu_platform_close(&p);

    CHECK(chmod(key, 0604) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "0604") != NULL);
    wemu_platform_close(&p);

    CHECK(chmod(key, 0400) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0);
    wemu_platform_close(&p);
    CHECK(chmod(key, 0600) == 0);
}

static void
test_key_length(void)
{
    struct wemu_platform p;
    uint8_t saved[WC_DEVICE_KEY_LEN + 1];
    char err[256];
    size_t len;

    CHECK(read_file(key, saved, sizeof(saved), &len) == 0);
    CHECK(len == WC_DEVICE_KEY_LEN);
    CHECK(write_file(key, saved, WC_DEVICE_KEY_LEN - 1, 0600) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "31 bytes") != NULL);
    wemu_platform_close(&p);

    CHECK(write_file(key, saved, WC_DEVICE_KEY_LEN, 0600) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0);
    wemu_platform_close(&p);
}

/* Storage without its key is refused, and no new key is made for it. */
static void
test_key_missing(void)
{
    struct wemu_platform p;
    uint8_t saved[WC_DEVICE_KEY_LEN];
    char err[512];
    size_t len;

    CHECK(read_file(key, saved, sizeof(saved), &len) == 0);
    CHECK(unlink(key) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "missing but storage") != NULL);
    CHECK(strstr(err, key) != NULL);
    CHECK(strstr(err, storage) != NULL);
    CHECK(!exists(key));
    wemu_platform_close(&p);
    CHECK(write_file(key, saved, sizeof(saved), 0600) == 0);
}

static void
test_wrong_size(void)
{
    struct wemu_platform p;
    char err[256];

    CHECK(truncate(storage, 1000) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, storage) != NULL);
    CHECK(strstr(err, "1000 bytes, expected 65536") != NULL);
    wemu_platform_close(&p);

    CHECK(truncate(storage, WC_STORE_SIZE + 1) == 0);
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "65537 bytes") != NULL);
    wemu_platform_close(&p);
}

/*
 * A key without storage is used for new storage (a start cut short after
 * making the key); leftovers of such a start are cleaned up.
 */
static void
test_key_without_storage(void)
{
    struct wemu_platform p;
    uint8_t file_key[WC_DEVICE_KEY_LEN], dev_key[WC_DEVICE_KEY_LEN];
    char err[256], tmp[160];
    size_t len;

    CHECK(unlink(storage) == 0);
    snprintf(tmp, sizeof(tmp), "%s.new", storage);
    CHECK(write_file(tmp, "half", 4, 0644) == 0);
    CHECK(read_file(key, file_key, sizeof(file_key), &len) == 0);
    if (!NEED(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0)) {
        fprintf(stderr, "  open: %s\n", err);
        return;
    }
    CHECK(wemu_platform_created(&p) == 1);
    CHECK(p.plat.device_key(p.plat.ctx, dev_key) == 0);
    CHECK_MEM(dev_key, file_key, sizeof(dev_key));
    CHECK(!exists(tmp));
    CHECK(mode_of(storage) == 0600);
    wemu_platform_close(&p);
}

/*
 * The check a daemon runs before it makes anything: it refuses what open
 * would refuse, and makes, keeps locked and changes nothing.
 */
static void
test_check(void)
{
    struct wemu_platform p;
    uint8_t junk[1000];
    char err[512], other[160], other_key[160], tmp[180];

    snprintf(other, sizeof(other), "%s/other.bin", dir);
    snprintf(other_key, sizeof(other_key), "%s/other.key", dir);
    snprintf(tmp, sizeof(tmp), "%s.new", other);

    /* A good pair passes, and the check let go of its lock. */
    CHECK(wemu_platform_check(storage, key, err, sizeof(err)) == 0);
    CHECK(err[0] == '\0');
    if (!NEED(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0)) {
        fprintf(stderr, "  open: %s\n", err);
        return;
    }
    CHECK(wemu_platform_check(storage, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "in use") != NULL);
    CHECK(strstr(err, storage) != NULL);
    wemu_platform_close(&p);

    /* Nothing there: open would make both, the check makes neither. */
    CHECK(wemu_platform_check(other, other_key, err, sizeof(err)) == 0);
    CHECK(err[0] == '\0');
    CHECK(!exists(other));
    CHECK(!exists(tmp));
    CHECK(!exists(other_key));

    /* A key alone that open would refuse for new storage. */
    memset(junk, 0x33, sizeof(junk));
    CHECK(write_file(other_key, junk, WC_DEVICE_KEY_LEN, 0644) == 0);
    CHECK(chmod(other_key, 0644) == 0);
    CHECK(wemu_platform_check(other, other_key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "0644") != NULL);
    CHECK(!exists(other));
    CHECK(unlink(other_key) == 0);

    /* Storage without its key, and storage of the wrong size. */
    CHECK(wemu_platform_check(storage, other_key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "missing but storage") != NULL);
    CHECK(!exists(other_key));
    CHECK(write_file(other, junk, sizeof(junk), 0600) == 0);
    CHECK(wemu_platform_check(other, key, err, sizeof(err)) == -1);
    CHECK(strstr(err, "1000 bytes, expected 65536") != NULL);
    CHECK(unlink(other) == 0);

    /* The pair is still good to open. */
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == 0);
    wemu_platform_close(&p);
}

static void
test_errors(void)
{
    struct wemu_platform p;
    char err[8], path[160];

    /* A short buffer gets a cut but terminated message. */
    CHECK(chmod(key, 0644) == 0);
    memset(err, 'x', sizeof(err));
    CHECK(wemu_platform_open(&p, storage, key, err, sizeof(err)) == -1);
    CHECK(strlen(err) == sizeof(err) - 1);
    wemu_platform_close(&p);
    CHECK(wemu_platform_open(&p, storage, key, NULL, 0) == -1);
    wemu_platform_close(&p);
    CHECK(chmod(key, 0600) == 0);

    /* A folder that does not exist. */
    snprintf(path, sizeof(path), "%s/no/such/storage.bin", dir);
    CHECK(wemu_platform_open(&p, path, key, err, sizeof(err)) == -1);
    wemu_platform_close(&p);
}

int
main(void)
{
    strcpy(dir, "/tmp/wt-platform-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(storage, sizeof(storage), "%s/storage.bin", dir);
    snprintf(key, sizeof(key), "%s/device-key", dir);
    umask(022);

    test_create();
    test_reopen();
    test_lock();
    test_key_mode();
    test_key_length();
    test_key_missing();
    test_wrong_size();
    test_key_without_storage();
    test_check();
    test_errors();

    remove_all();
    rmdir(dir);
    return wt_finish("platform_file");
}
