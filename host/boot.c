/*
 * Secure boot reports, attestation and reset, host side; see warden.h.
 * The companion decides everything: this file only carries bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "wd_proto.h"

#define SIG_FILE_MAGIC "WSIG"
#define SIG_FILE_FORMAT 1
#define SIG_FILE_HEAD (4 + 1 + 4 + 1)

int
warden_firmware_sig_read(struct warden_dev *dev, const char *path,
                         struct warden_firmware_sig *sig)
{
    uint8_t buf[SIG_FILE_HEAD + WARDEN_FIRMWARE_SIG_MAX + 1];
    struct stat st;
    size_t n = 0;
    ssize_t got;
    int fd;

    if (dev == NULL || path == NULL || sig == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    memset(sig, 0, sizeof(*sig));
    /* Not blocking: opening a FIFO nobody writes to would hang here. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "firmware signature %s: %s", path,
                               strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "firmware signature %s: not a regular file",
                               path);
    }
    /* One byte more than the longest tells a file that is too long. */
    while (n < sizeof(buf)) {
        got = read(fd, buf + n, sizeof(buf) - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
    }
    close(fd);
    if (n == sizeof(buf)) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "firmware signature %s: over %d bytes: not a "
                               "firmware signature file",
                               path, SIG_FILE_HEAD + WARDEN_FIRMWARE_SIG_MAX);
    }
    if (n < SIG_FILE_HEAD || memcmp(buf, SIG_FILE_MAGIC, 4) != 0 ||
        buf[4] != SIG_FILE_FORMAT) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "firmware signature %s: not a Warden "
                               "firmware signature file (format 1)",
                               path);
    }
    sig->version = wd_get32(buf + 5);
    sig->sig_len = buf[9];
    if (sig->sig_len == 0 || sig->sig_len > WARDEN_FIRMWARE_SIG_MAX ||
        n != SIG_FILE_HEAD + sig->sig_len) {
        memset(sig, 0, sizeof(*sig));
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "firmware signature %s: %zu bytes, but its "
                               "header says %u bytes of signature",
                               path, n, (unsigned)buf[9]);
    }
    memcpy(sig->sig, buf + SIG_FILE_HEAD, sig->sig_len);
    warden_dev_clear(dev);
    return WARDEN_ERR_OK;
}

int
warden_boot(struct warden_dev *dev, const struct warden_firmware_sig *sig,
            const char *config, uint8_t measurement[WARDEN_MEASUREMENT_LEN])
{
    uint8_t req[4 + 1 + WARDEN_FIRMWARE_SIG_MAX + 1 + WARDEN_CONFIG_NAME_MAX];
    uint8_t resp[1 + WD_MEASUREMENT_LEN];
    size_t n = 0, config_len = config != NULL ? strlen(config) : 0, got;
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (sig == NULL || sig->sig_len == 0 ||
        sig->sig_len > WARDEN_FIRMWARE_SIG_MAX) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "BOOT: no firmware signature");
    }
    if (config_len > WARDEN_CONFIG_NAME_MAX) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "BOOT: configuration name of %zu bytes is "
                               "over %d",
                               config_len, WARDEN_CONFIG_NAME_MAX);
    }
    wd_put32(req, sig->version);
    n = 4;
    req[n++] = (uint8_t)sig->sig_len;
    memcpy(req + n, sig->sig, sig->sig_len);
    n += sig->sig_len;
    req[n++] = (uint8_t)config_len;
    if (config_len > 0) {
        memcpy(req + n, config, config_len);
        n += config_len;
    }
    rc = warden_dev_call(dev, WD_CMD_BOOT, req, n, resp, sizeof(resp), &got,
                         WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK &&
        (got != sizeof(resp) || resp[0] != WD_BOOT_VERIFIED)) {
        rc = warden_dev_lost(dev, "BOOT: response of %zu bytes", got);
    }
    if (rc == WARDEN_ERR_OK && measurement != NULL) {
        memcpy(measurement, resp + 1, WD_MEASUREMENT_LEN);
    }
    return warden_dev_end(dev, rc);
}

int
warden_attestation_parse(const uint8_t *st, size_t len,
                         struct warden_attestation *out)
{
    size_t n = sizeof(WD_ATTEST_LABEL) - 1, serial_len, i;

    if (st == NULL || out == NULL || len > WARDEN_STATEMENT_MAX ||
        len < n + 1 || memcmp(st, WD_ATTEST_LABEL, n) != 0) {
        return -1;
    }
    out->challenge_len = st[n++];
    if (out->challenge_len < WARDEN_CHALLENGE_MIN ||
        out->challenge_len > WARDEN_CHALLENGE_MAX ||
        len < n + out->challenge_len + 1) {
        return -1;
    }
    memcpy(out->challenge, st + n, out->challenge_len);
    n += out->challenge_len;
    serial_len = st[n++];
    if (serial_len > WARDEN_SERIAL_MAX ||
        len != n + serial_len + 1 + 3 + 1 + 4 + WARDEN_MEASUREMENT_LEN) {
        return -1;
    }
    for (i = 0; i < serial_len; i++) {
        if (st[n + i] < 0x21 || st[n + i] > 0x7e) {
            return -1;
        }
    }
    memcpy(out->serial, st + n, serial_len);
    out->serial[serial_len] = '\0';
    n += serial_len;
    out->lifecycle = st[n++];
    out->fw_major = st[n++];
    out->fw_minor = st[n++];
    out->fw_patch = st[n++];
    out->boot_result = st[n++];
    out->host_version = wd_get32(st + n);
    n += 4;
    memcpy(out->measurement, st + n, WARDEN_MEASUREMENT_LEN);
    if (out->boot_result > WARDEN_BOOT_UNMEASURED) {
        return -1;
    }
    if (out->statement != st) {
        memcpy(out->statement, st, len);
    }
    out->statement_len = len;
    return 0;
}

int
warden_attest(struct warden_dev *dev, const uint8_t *challenge, size_t len,
              struct warden_attestation *out)
{
    uint8_t resp[2 + WARDEN_STATEMENT_MAX + WARDEN_FIRMWARE_SIG_MAX];
    size_t got, st_len;
    int rc;

    if (dev == NULL) {
        return WARDEN_ERR_ARGUMENT;
    }
    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (out == NULL || challenge == NULL || len < WARDEN_CHALLENGE_MIN ||
        len > WARDEN_CHALLENGE_MAX) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "ATTEST: the challenge must be %d to %d bytes",
                               WARDEN_CHALLENGE_MIN, WARDEN_CHALLENGE_MAX);
    }
    memset(out, 0, sizeof(*out));
    rc = warden_dev_call(dev, WD_CMD_ATTEST, challenge, len, resp,
                         sizeof(resp), &got, WARDEN_ERR_PROTOCOL);
    if (rc != WARDEN_ERR_OK) {
        return warden_dev_end(dev, rc);
    }
    st_len = got >= 2 ? wd_get16(resp) : 0;
    if (got < 2 || st_len > got - 2 || got - 2 - st_len == 0 ||
        got - 2 - st_len > WARDEN_FIRMWARE_SIG_MAX ||
        warden_attestation_parse(resp + 2, st_len, out) != 0 ||
        out->challenge_len != len ||
        memcmp(out->challenge, challenge, len) != 0) {
        memset(out, 0, sizeof(*out));
        return warden_dev_end(dev, warden_dev_lost(dev,
                                                   "ATTEST: malformed "
                                                   "statement (%zu bytes)",
                                                   got));
    }
    out->sig_len = got - 2 - st_len;
    memcpy(out->sig, resp + 2 + st_len, out->sig_len);
    return warden_dev_end(dev, WARDEN_ERR_OK);
}

int
warden_reset(struct warden_dev *dev)
{
    return warden_call(dev, WD_CMD_RESET, NULL, 0, NULL, 0, NULL);
}
