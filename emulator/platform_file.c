/*
 * The emulator's platform layer on files; see platform_file.h.
 *
 * New files are made under a temporary name and linked into place once
 * complete, so that a crash while making them never leaves a short
 * storage or key file that would then be refused forever.
 */
/* getrandom(), flock() and the POSIX 2008 open flags. */
#define _DEFAULT_SOURCE

#include "platform_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "store.h"
#include "wc_wipe.h"

#if defined(__GNUC__)
#define WEMU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEMU_PRINTF(f, a)
#endif

/* Suffix of the temporary name a new file is written under. */
#define TMP_SUFFIX ".new"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    WEMU_PRINTF(3, 4);

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int
full_pread(int fd, void *buf, size_t len, off_t off)
{
    uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* 0 is end of file: the file is shorter than it claimed. */
            if (n == 0) {
                errno = EIO;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int
full_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    const uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = EIO;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int
fill_random(void *out, size_t len)
{
    uint8_t *p = out;
    ssize_t n;

    while (len > 0) {
        n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes path + TMP_SUFFIX in out; -1 if it does not fit. */
static int
tmp_name(const char *path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", path, TMP_SUFFIX);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/*
 * Makes a new directory entry durable: fsync on the directory that holds
 * path. Without it a power loss could lose the name of a file whose
 * contents were synced.
 */
static int
sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t len;
    int fd, rc;

    if (slash == NULL) {
        strcpy(dir, ".");
    } else {
        len = slash == path ? 1 : (size_t)(slash - path);
        if (len >= sizeof(dir)) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Platform callbacks. */

static int
cb_storage_read(void *ctx, size_t offset, void *buf, size_t len)
{
    struct wemu_platform *p = ctx;

    if (offset > p->size || len > p->size - offset) {
        return -1;
    }
    return full_pread(p->storage_fd, buf, len, (off_t)offset);
}

static int
cb_storage_write(void *ctx, size_t offset, const void *buf, size_t len)
{
    struct wemu_platform *p = ctx;

    if (offset > p->size || len > p->size - offset) {
        return -1;
    }
    return full_pwrite(p->storage_fd, buf, len, (off_t)offset);
}

static int
cb_storage_sync(void *ctx)
{
    struct wemu_platform *p = ctx;

    return fsync(p->storage_fd) == 0 ? 0 : -1;
}

static int
cb_entropy(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return fill_random(out, len);
}

static int
cb_device_key(void *ctx, uint8_t key[WC_DEVICE_KEY_LEN])
{
    struct wemu_platform *p = ctx;

    memcpy(key, p->key, WC_DEVICE_KEY_LEN);
    return 0;
}

/*
 * Storage and fuses know no hosts: wardend, which sees the peers,
 * replaces this with its own (emulator/measure.h).
 */
static int
cb_measure_host(void *ctx, const void *peer, const char *config,
                size_t config_len, uint8_t image_hash[32],
                uint8_t config_hash[32])
{
    (void)ctx;
    (void)peer;
    (void)config;
    (void)config_len;
    (void)image_hash;
    (void)config_hash;
    return -1;
}

/* Key file. */

/*
 * Reads an existing key file into p->key after checking that only its
 * owner can reach it. A missing file is reported through *missing so that
 * the caller can decide whether it may make one.
 */
static int
load_key(struct wemu_platform *p, const char *key_path, int *missing, char *err,
         size_t errlen)
{
    struct stat st;
    int fd;
    int ret = -1;

    *missing = 0;
    fd = open(key_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = 1;
        }
        set_err(err, errlen, "key file %s: %s", key_path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "key file %s: %s", key_path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "key file %s is not a regular file", key_path);
        goto out;
    }
    if (st.st_uid != geteuid()) {
        set_err(err, errlen,
                "key file %s belongs to uid %lu, not to this user (uid %lu)",
                key_path, (unsigned long)st.st_uid, (unsigned long)geteuid());
        goto out;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        set_err(err, errlen,
                "key file %s has mode %04lo; it must be accessible to its "
                "owner only (0600)",
                key_path, (unsigned long)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_size != WEMU_KEY_FILE_LEN) {
        set_err(err, errlen, "key file %s has %lld bytes, expected %d",
                key_path, (long long)st.st_size, WEMU_KEY_FILE_LEN);
        goto out;
    }
    if (full_pread(fd, p->key, sizeof(p->key), 0) != 0) {
        set_err(err, errlen, "key file %s: %s", key_path, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    close(fd);
    return ret;
}

/*
 * Makes a new key file. The caller holds the lock on the storage being
 * made, which is what keeps two emulators from making keys for the same
 * storage at once.
 */
static int
make_key(struct wemu_platform *p, const char *key_path, char *err,
         size_t errlen)
{
    char tmp[PATH_MAX];
    int fd = -1;
    int linked = 0;
    int ret = -1;

    if (tmp_name(key_path, tmp, sizeof(tmp)) != 0) {
        set_err(err, errlen, "key file %s: path too long", key_path);
        return -1;
    }
    /* A leftover from an interrupted start holds no key anyone used. */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        set_err(err, errlen, "key file %s: %s", tmp, strerror(errno));
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, errlen, "key file %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (fill_random(p->key, sizeof(p->key)) != 0) {
        set_err(err, errlen, "key file %s: no randomness from the system: %s",
                key_path, strerror(errno));
        goto out;
    }
    if (full_pwrite(fd, p->key, sizeof(p->key), 0) != 0 || fsync(fd) != 0) {
        set_err(err, errlen, "key file %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (link(tmp, key_path) != 0) {
        set_err(err, errlen, "key file %s: %s", key_path, strerror(errno));
        goto out;
    }
    linked = 1;
    if (sync_dir_of(key_path) != 0) {
        set_err(err, errlen, "key file %s: syncing its directory: %s", key_path,
                strerror(errno));
        goto out;
    }
    ret = 0;
out:
    close(fd);
    unlink(tmp);
    if (ret != 0 && linked) {
        /* Leave no key behind that no storage was made with. */
        unlink(key_path);
    }
    if (ret != 0) {
        wc_wipe(p->key, sizeof(p->key));
    }
    return ret;
}

/* Storage file. */

/* Takes the lock that keeps a second emulator off this storage. */
static int
lock_storage(int fd, const char *path, char *err, size_t errlen)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        return 0;
    }
    if (errno == EWOULDBLOCK) {
        set_err(err, errlen,
                "storage %s is in use by another process (another "
                "emulator?)",
                path);
    } else {
        set_err(err, errlen, "storage %s: cannot lock it: %s", path,
                strerror(errno));
    }
    return -1;
}

/* want_size 0: any size. */
static int
check_storage(int fd, const char *path, size_t want_size, char *err,
              size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "storage %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "storage %s is not a regular file", path);
        return -1;
    }
    if (want_size != 0 && st.st_size != (off_t)want_size) {
        set_err(err, errlen,
                "storage %s has %lld bytes, expected %lu; refusing to use it",
                path, (long long)st.st_size, (unsigned long)want_size);
        return -1;
    }
    return 0;
}

static int
open_existing(struct wemu_platform *p, int fd, const char *storage_path,
              const char *key_path, char *err, size_t errlen)
{
    int missing;

    p->storage_fd = fd;
    if (lock_storage(fd, storage_path, err, errlen) != 0 ||
        check_storage(fd, storage_path, p->size, err, errlen) != 0) {
        return -1;
    }
    if (load_key(p, key_path, &missing, err, errlen) != 0) {
        if (missing) {
            set_err(err, errlen,
                    "key file %s missing but storage %s exists: the storage "
                    "cannot be read without the key it was written with",
                    key_path, storage_path);
        }
        return -1;
    }
    return 0;
}

/* Writes blank flash: every byte 0xff. */
static int
fill_blank(int fd, size_t size)
{
    uint8_t blank[4096];
    size_t off, n;

    memset(blank, 0xff, sizeof(blank));
    if (ftruncate(fd, 0) != 0) {
        return -1;
    }
    for (off = 0; off < size; off += n) {
        n = size - off < sizeof(blank) ? size - off : sizeof(blank);
        if (full_pwrite(fd, blank, n, (off_t)off) != 0) {
            return -1;
        }
    }
    return fsync(fd);
}

/*
 * Makes storage and, unless one is already there, its key. The storage
 * is written under a temporary name that is locked first, so that two
 * emulators starting on the same new storage cannot both make it.
 */
static int
create_storage(struct wemu_platform *p, const char *storage_path,
               const char *key_path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    int missing;
    int fd;

    if (tmp_name(storage_path, tmp, sizeof(tmp)) != 0) {
        set_err(err, errlen, "storage %s: path too long", storage_path);
        return -1;
    }
    fd = open(tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, errlen, "storage %s: %s", tmp, strerror(errno));
        return -1;
    }
    p->storage_fd = fd;
    if (lock_storage(fd, storage_path, err, errlen) != 0 ||
        check_storage(fd, tmp, 0, err, errlen) != 0) {
        return -1;
    }
    /* Whoever held the lock before may have finished in the meantime. */
    if (access(storage_path, F_OK) == 0) {
        set_err(err, errlen,
                "storage %s appeared while it was being made; try again",
                storage_path);
        return -1;
    }

    if (load_key(p, key_path, &missing, err, errlen) != 0) {
        if (!missing || make_key(p, key_path, err, errlen) != 0) {
            return -1;
        }
    }

    if (fchmod(fd, 0600) != 0 || fill_blank(fd, p->size) != 0) {
        set_err(err, errlen, "storage %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (link(tmp, storage_path) != 0) {
        set_err(err, errlen, "storage %s: %s", storage_path, strerror(errno));
        return -1;
    }
    unlink(tmp);
    if (sync_dir_of(storage_path) != 0) {
        set_err(err, errlen, "storage %s: syncing its directory: %s",
                storage_path, strerror(errno));
        return -1;
    }
    p->created = 1;
    return 0;
}

int
wemu_platform_open(struct wemu_platform *p, const char *storage_path,
                   const char *key_path, char *err, size_t errlen)
{
    int fd;
    int ret = -1;

    memset(p, 0, sizeof(*p));
    p->storage_fd = -1;
    p->size = WC_STORE_SIZE;
    set_err(err, errlen, "%s", "");

    fd = open(storage_path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ret = open_existing(p, fd, storage_path, key_path, err, errlen);
    } else if (errno == ENOENT) {
        ret = create_storage(p, storage_path, key_path, err, errlen);
    } else {
        set_err(err, errlen, "storage %s: %s", storage_path, strerror(errno));
    }
    if (ret != 0) {
        wemu_platform_close(p);
        return -1;
    }

    p->plat.ctx = p;
    p->plat.storage_size = p->size;
    p->plat.storage_read = cb_storage_read;
    p->plat.storage_write = cb_storage_write;
    p->plat.storage_sync = cb_storage_sync;
    p->plat.entropy = cb_entropy;
    p->plat.device_key = cb_device_key;
    p->plat.measure_host = cb_measure_host;
    /* A missing key on the way to making one is no error of the open. */
    set_err(err, errlen, "%s", "");
    return 0;
}

int
wemu_platform_check(const char *storage_path, const char *key_path, char *err,
                    size_t errlen)
{
    struct wemu_platform p;
    int missing;
    int fd;
    int ret = -1;

    memset(&p, 0, sizeof(p));
    p.storage_fd = -1;
    p.size = WC_STORE_SIZE;
    set_err(err, errlen, "%s", "");

    fd = open(storage_path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        /* Takes the lock and reads the key, both let go of below. */
        ret = open_existing(&p, fd, storage_path, key_path, err, errlen);
    } else if (errno == ENOENT) {
        /* New storage would be made with this key, if there is one. */
        ret = load_key(&p, key_path, &missing, err, errlen);
        if (ret != 0 && missing) {
            set_err(err, errlen, "%s", "");
            ret = 0;
        }
    } else {
        set_err(err, errlen, "storage %s: %s", storage_path, strerror(errno));
    }
    wemu_platform_close(&p);
    return ret;
}

int
wemu_platform_created(const struct wemu_platform *p)
{
    return p->created;
}

void
wemu_platform_close(struct wemu_platform *p)
{
    if (p->storage_fd >= 0) {
        /* Closing drops the flock too. */
        close(p->storage_fd);
    }
    wc_wipe(p->key, sizeof(p->key));
    memset(&p->plat, 0, sizeof(p->plat));
    p->storage_fd = -1;
    p->created = 0;
}
