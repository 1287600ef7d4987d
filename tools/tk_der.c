/*
 * The toolkit's plumbing: error messages, whole-file reads and writes,
 * and a strict DER reader just large enough for the tool's checks (the
 * companion has its own; the two sides share no code).
 */
#define _XOPEN_SOURCE 700 /* realpath(), mkstemp() */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolkit.h"

int
tk_fail(struct tk_err *e, const char *fmt, ...)
{
    va_list ap;

    if (e != NULL) {
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

int
tk_read_file(const char *path, size_t max, uint8_t **data, size_t *len,
             struct tk_err *e)
{
    uint8_t *buf;
    size_t n;
    FILE *f;
    int ret = -1;

    *data = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        return tk_fail(e, "%s: cannot open: %s", path, strerror(errno));
    }
    /* One byte more than allowed tells a file that is too long. */
    buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return tk_fail(e, "%s: out of memory", path);
    }
    n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        tk_fail(e, "%s: cannot read: %s", path, strerror(errno));
    } else if (n > max) {
        tk_fail(e, "%s: larger than %zu bytes: not the file expected", path,
                max);
    } else {
        *data = buf;
        *len = n;
        buf = NULL;
        ret = 0;
    }
    free(buf);
    fclose(f);
    return ret;
}

/* Writes straight into what path names: a device, a FIFO. */
static int
write_through(const char *path, const void *data, size_t len, struct tk_err *e)
{
    FILE *f;
    int bad;

    f = fopen(path, "wb");
    if (f == NULL) {
        return tk_fail(e, "%s: cannot create: %s", path, strerror(errno));
    }
    bad = fwrite(data, 1, len, f) != len;
    if (fclose(f) != 0 || bad) {
        return tk_fail(e, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

/*
 * data into a temporary file beside where, renamed to where once whole;
 * it gets old's permissions (NULL: new, 0666 less the umask). path is
 * the name the user gave, for messages.
 */
static int
write_file(const char *where, const char *path, const struct stat *old,
           const void *data, size_t len, struct tk_err *e)
{
    char *tmp;
    mode_t mask;
    FILE *f;
    int fd, bad, saved;

    tmp = malloc(strlen(where) + 8);
    if (tmp == NULL) {
        return tk_fail(e, "%s: out of memory", path);
    }
    sprintf(tmp, "%s.XXXXXX", where);
    fd = mkstemp(tmp);
    if (fd < 0) {
        tk_fail(e, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    /* mkstemp makes it 0600. */
    if (old != NULL) {
        (void)fchmod(fd, old->st_mode & 07777);
    } else {
        mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    f = fdopen(fd, "wb");
    if (f == NULL) {
        saved = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return tk_fail(e, "%s: cannot write: %s", path, strerror(saved));
    }
    bad = fwrite(data, 1, len, f) != len;
    saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, where) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        free(tmp);
        return tk_fail(e, "%s: cannot write: %s", path, strerror(saved));
    }
    free(tmp);
    return 0;
}

/*
 * A file (new or not) is written as a temporary file beside path and
 * renamed over it, so that a write that fails (disk full, size limit)
 * leaves whatever path held: nothing half-written under its name. What
 * is not a file (a device, a FIFO) is written through, never replaced.
 */
int
tk_write_file(const char *path, const void *data, size_t len, struct tk_err *e)
{
    struct stat st;
    char *target;
    int exists, ret;

    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            return tk_fail(e, "cannot write the output: %s", strerror(errno));
        }
        return 0;
    }
    exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        return write_through(path, data, len, e);
    }
    /* A symbolic link keeps pointing where it did: its target changes. */
    target = realpath(path, NULL);
    ret = write_file(target != NULL ? target : path, path, exists ? &st : NULL,
                     data, len, e);
    free(target);
    return ret;
}

int
tk_der_read(const uint8_t **p, const uint8_t *end, struct tk_tlv *t,
            struct tk_err *e)
{
    const uint8_t *q = *p;
    size_t left = (size_t)(end - q);
    size_t len;
    size_t n;
    size_t i;

    memset(t, 0, sizeof(*t));
    if (left < 2) {
        return tk_fail(e, "truncated: %zu byte%s where an element should be",
                       left, left == 1 ? "" : "s");
    }
    if ((q[0] & 0x1f) == 0x1f) {
        return tk_fail(e, "tag 0x%02x uses the multi-byte form", q[0]);
    }
    t->tag = q[0];
    if (q[1] < 0x80) {
        len = q[1];
        n = 0;
    } else {
        n = q[1] & 0x7f;
        if (n == 0) {
            return tk_fail(e, "indefinite length (BER, not DER)");
        }
        if (n > sizeof(size_t) || n > 4) {
            return tk_fail(e, "length field of %zu bytes", n);
        }
        if (left - 2 < n) {
            return tk_fail(e, "truncated in a length field");
        }
        len = 0;
        for (i = 0; i < n; i++) {
            len = (len << 8) | q[2 + i];
        }
        if (q[2] == 0 || len < 0x80) {
            return tk_fail(e, "length %zu not in its shortest form", len);
        }
    }
    if (len > left - 2 - n) {
        return tk_fail(e, "truncated: length says %zu bytes, %zu left", len,
                       left - 2 - n);
    }
    t->raw = q;
    t->val = q + 2 + n;
    t->len = len;
    t->raw_len = 2 + n + len;
    *p = t->val + len;
    return 0;
}

int
tk_der_whole(const uint8_t *p, size_t len, struct tk_err *e)
{
    const uint8_t *q = p;
    struct tk_tlv t;

    if (tk_der_read(&q, p + len, &t, e) != 0) {
        return -1;
    }
    if (t.tag != 0x30) {
        return tk_fail(e, "starts with tag 0x%02x, not a SEQUENCE", t.tag);
    }
    if (q != p + len) {
        return tk_fail(e, "%zu bytes after the end of the DER",
                       (size_t)(p + len - q));
    }
    return 0;
}

size_t
tk_der_header(uint8_t *out, unsigned tag, size_t len)
{
    size_t n = 0;
    size_t v;
    size_t i;

    for (v = len; len >= 0x80 && v > 0; v >>= 8) {
        n++;
    }
    if (out != NULL) {
        out[0] = (uint8_t)tag;
        if (n == 0) {
            out[1] = (uint8_t)len;
        } else {
            out[1] = (uint8_t)(0x80 | n);
            for (i = 0; i < n; i++) {
                out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
            }
        }
    }
    return 2 + n;
}

int
tk_cert_outline(const uint8_t *der, size_t len, struct tk_err *e)
{
    static const unsigned want[3] = {0x30, 0x30, 0x03};
    const uint8_t *p;
    const uint8_t *end;
    struct tk_tlv outer;
    struct tk_tlv t;
    int i;

    if (tk_der_whole(der, len, e) != 0) {
        return -1;
    }
    p = der;
    (void)tk_der_read(&p, der + len, &outer, NULL);
    p = outer.val;
    end = outer.val + outer.len;
    for (i = 0; i < 3; i++) {
        if (tk_der_read(&p, end, &t, e) != 0) {
            return -1;
        }
        if (t.tag != want[i]) {
            return tk_fail(e, "not a certificate: element %d has tag 0x%02x",
                           i + 1, t.tag);
        }
    }
    if (p != end) {
        return tk_fail(e, "not a certificate: more than three elements");
    }
    return 0;
}
