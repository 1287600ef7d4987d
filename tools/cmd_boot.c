/*
 * warden sign-firmware and warden attest: the operator's side of secure
 * boot and attestation (docs/secure-boot.md).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "tk_firmware.h"
#include "tool.h"
#include "wd_proto.h"

/*
 * Reports this program's firmware signature (EXE.wsig) so that the
 * companion unlocks the device key. what (whatlen bytes) gets what came
 * of it, for the caller to show. Returns 1 if the key is unlocked.
 */
int
tool_secure_boot(struct warden_dev *dev, const char *config, char *what,
                 size_t whatlen)
{
    static char exe[4096], sig_path[4096 + 8];
    struct warden_firmware_sig sig;
    uint8_t m[WARDEN_MEASUREMENT_LEN];
    ssize_t n;

    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        snprintf(what, whatlen, "not verified: this program's file "
                                "cannot be found");
        return 0;
    }
    exe[n] = '\0';
    snprintf(sig_path, sizeof(sig_path), "%s.wsig", exe);
    if (access(sig_path, F_OK) != 0) {
        snprintf(what, whatlen, "not verified: no signature file %s",
                 sig_path);
        return 0;
    }
    if (warden_firmware_sig_read(dev, sig_path, &sig) != WARDEN_ERR_OK) {
        snprintf(what, whatlen, "not verified: %s", warden_error(dev));
        return 0;
    }
    if (warden_boot(dev, &sig, config, m) != WARDEN_ERR_OK) {
        if (tool_status(dev) == WD_STATUS_NOT_FOUND) {
            snprintf(what, whatlen, "not verified: the companion holds no "
                                    "firmware-signing key (not provisioned)");
        } else {
            snprintf(what, whatlen, "not verified: %s", warden_error(dev));
        }
        return 0;
    }
    snprintf(what, whatlen,
             "verified (version %lu, measurement %02x%02x%02x%02x%02x%02x"
             "%02x%02x...)",
             (unsigned long)sig.version, m[0], m[1], m[2], m[3], m[4], m[5],
             m[6], m[7]);
    return 1;
}

void
usage_sign_firmware(FILE *out)
{
    fprintf(out,
            "usage: warden sign-firmware [--out SIG] KEY VERSION BINARY "
            "[CONFIG]\n"
            "\n"
            "Measures BINARY (and the configuration file CONFIG, if given)\n"
            "the way the companion does, signs the measurement and VERSION\n"
            "(0 to 4294967295) with the firmware-signing private key KEY\n"
            "(PEM, P-256 or P-384), and writes the signature file that\n"
            "ships next to the binary: BINARY.wsig unless --out says. Runs\n"
            "offline: no companion is involved, and KEY never goes near one.\n"
            "Changing one byte of BINARY or CONFIG afterwards voids it.\n");
}

int
run_sign_firmware(const struct tool_opts *o, int argc, char **argv)
{
    uint8_t m[WARDEN_MEASUREMENT_LEN], file[TK_FIRMWARE_SIG_FILE_MAX];
    static char out_path[4096];
    unsigned long version;
    struct tk_err e;
    size_t len;
    char *end;

    if (argc < 3) {
        return tool_usage_error("sign-firmware",
                                "missing KEY, VERSION and BINARY", NULL);
    }
    if (argc > 4) {
        return tool_usage_error("sign-firmware", "unexpected argument",
                                argv[4]);
    }
    errno = 0;
    version = strtoul(argv[1], &end, 10);
    if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' ||
        errno != 0 || version > 0xffffffffUL) {
        return tool_usage_error("sign-firmware",
                                "VERSION must be a number from 0 to "
                                "4294967295, not",
                                argv[1]);
    }
    if (tk_measure_files(argv[2], argc == 4 ? argv[3] : NULL, m, &e) != 0 ||
        tk_firmware_sign(argv[0], (uint32_t)version, m, file, &len, &e) !=
            0) {
        return tool_fail("sign-firmware", "%s", e.msg);
    }
    if (o->out != NULL) {
        snprintf(out_path, sizeof(out_path), "%s", o->out);
    } else if (snprintf(out_path, sizeof(out_path), "%s.wsig", argv[2]) >=
               (int)sizeof(out_path)) {
        return tool_fail("sign-firmware", "%s: name too long", argv[2]);
    }
    if (tk_write_file(out_path, file, len, &e) != 0) {
        return tool_fail("sign-firmware", "%s", e.msg);
    }
    printf("signed %s%s%s, version %lu: %s\n", argv[2],
           argc == 4 ? " with " : "", argc == 4 ? argv[3] : "", version,
           out_path);
    return 0;
}

void
usage_attest(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] attest CA [INTERMEDIATE...]\n"
            "\n"
            "Proves the companion is genuine: sends it a fresh random\n"
            "challenge, and checks that the statement it signs answers the\n"
            "challenge, is signed by its attestation key, and that the\n"
            "attestation certificate chains through the INTERMEDIATE\n"
            "certificates (PEM) to the CA certificate (PEM) now. A clone\n"
            "without the attestation private key cannot answer. Prints\n"
            "what the statement says: serial number, lifecycle, companion\n"
            "firmware, and this connection's secure boot result.\n");
}

static const char *
boot_text(unsigned result)
{
    switch (result) {
    case WARDEN_BOOT_VERIFIED:
        return "verified";
    case WARDEN_BOOT_REFUSED:
        return "refused (signature does not match the measurement)";
    case WARDEN_BOOT_UNMEASURED:
        return "host could not be measured";
    default:
        return "not reported";
    }
}

int
run_attest(const struct tool_opts *o, int argc, char **argv)
{
    static struct warden_attestation a;
    static uint8_t cert[WARDEN_CERT_MAX];
    struct tk_blobs anchors, chain, more;
    uint8_t challenge[32];
    struct warden_dev dev;
    struct tk_err e;
    size_t cert_len, i;
    char boot[WARDEN_ERRMSG_MAX + 64];
    int ret, k;

    if (argc < 1) {
        return tool_usage_error("attest", "missing CA", NULL);
    }
    memset(&anchors, 0, sizeof(anchors));
    memset(&chain, 0, sizeof(chain));
    if (tk_pem_read_file(argv[0], "CERTIFICATE", &anchors, &e) != 0) {
        return tool_fail("attest", "%s", e.msg);
    }
    for (k = 1; k < argc; k++) {
        if (tk_pem_read_file(argv[k], "CERTIFICATE", &more, &e) != 0) {
            tk_blobs_free(&anchors);
            tk_blobs_free(&chain);
            return tool_fail("attest", "%s", e.msg);
        }
        for (i = 0; i < more.count && chain.count < TK_BLOBS_MAX; i++) {
            chain.item[chain.count++] = more.item[i];
        }
        more.count = 0;
    }
    if (getrandom(challenge, sizeof(challenge), 0) !=
        (ssize_t)sizeof(challenge)) {
        ret = tool_fail("attest", "no random challenge: %s", strerror(errno));
        goto out;
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        goto out;
    }
    /* The statement reports this connection's boot: make one. */
    tool_secure_boot(&dev, "", boot, sizeof(boot));
    if (warden_attest(&dev, challenge, sizeof(challenge), &a) !=
            WARDEN_ERR_OK ||
        warden_cert_read(&dev, WARDEN_CERT_ATTESTATION, 0, cert, sizeof(cert),
                         &cert_len) != WARDEN_ERR_OK) {
        ret = tool_report(&dev, "attest", NULL);
        warden_close(&dev);
        goto out;
    }
    warden_close(&dev);
    if (tk_attest_verify(&a, challenge, sizeof(challenge), cert, cert_len,
                         &chain, &anchors, (int64_t)time(NULL), &e) != 0) {
        ret = tool_fail("attest", "NOT GENUINE: %s%s", e.msg,
                        chain.count == 0 ? " (if the CA is a root, give the "
                                           "intermediate CA that issued the "
                                           "attestation certificate too)"
                                         : "");
        goto out;
    }
    printf("genuine: the attestation key of a companion certified by %s\n",
           argv[0]);
    printf("  serial              %s\n", a.serial[0] ? a.serial : "(none)");
    printf("  lifecycle           %s\n", wd_lifecycle_label(a.lifecycle));
    printf("  companion firmware  %u.%u.%u\n", a.fw_major, a.fw_minor,
           a.fw_patch);
    printf("  secure boot         %s\n", boot_text(a.boot_result));
    if (a.boot_result == WARDEN_BOOT_VERIFIED) {
        printf("  host firmware       version %lu\n",
               (unsigned long)a.host_version);
    }
    ret = 0;
out:
    tk_blobs_free(&anchors);
    tk_blobs_free(&chain);
    return ret;
}
