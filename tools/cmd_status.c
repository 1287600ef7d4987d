/*
 * warden status: what the companion says of itself, its keys and its
 * certificates. Everything shown comes from the companion's own reading
 * (GET_INFO, INVENTORY, CERT_INFO): the host parses no certificate.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>

#include "tool.h"
#include "wd_proto.h"

void
usage_status(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] status\n"
            "\n"
            "Shows the companion's address, firmware and protocol version,\n"
            "lifecycle state, serial number, random generator health and\n"
            "storage use; then which keys it holds (device, attestation,\n"
            "admin, firmware) and, for each certificate of the device\n"
            "chain, the attestation certificate and the roots: subject,\n"
            "issuer, validity (UTC), key and SHA-256 fingerprint.\n");
}

static const char *
key_text(unsigned curve)
{
    const char *name = tk_curve_name(curve);

    if (curve == 0) {
        return "(none)";
    }
    return name != NULL ? name : "(unknown curve)";
}

/* One name line; the first line of a certificate carries its index. */
static void
print_name(int index, const char *label, const uint8_t *der, size_t len)
{
    static char text[TK_NAME_TEXT_MAX];

    if (index >= 0) {
        printf("  [%d] ", index);
    } else {
        printf("      ");
    }
    if (tk_name_format(der, len, text, sizeof(text)) != 0) {
        printf("%-8s (not a readable name)\n", label);
    } else {
        printf("%-8s %s\n", label, text[0] != '\0' ? text : "(empty)");
    }
}

/*
 * Prints one certificate as the companion describes it. Returns 0, or
 * -1 after saying why when the bus failed (a refusal is printed as a
 * line, and status goes on).
 */
static int
print_cert(struct warden_dev *dev, unsigned kind, unsigned index)
{
    static struct warden_cert_info ci;
    char from[TK_TIME_MAX];
    char until[TK_TIME_MAX];
    char fp[3 * 32];
    const char *key;

    if (warden_cert_info(dev, kind, index, &ci) != WARDEN_ERR_OK) {
        if (tool_status(dev) == 0) {
            fprintf(stderr, "warden: %s\n", warden_error(dev));
            return -1;
        }
        printf("  [%u] (unreadable: %s)\n", index,
               wd_status_message(tool_status(dev)));
        return 0;
    }
    print_name((int)index, "subject", ci.subject, ci.subject_len);
    print_name(-1, "issuer", ci.issuer, ci.issuer_len);
    tk_format_time(ci.not_before, from);
    tk_format_time(ci.not_after, until);
    printf("      %-8s %s (valid from %s)\n", "expires", until, from);
    key = ci.key_type == WARDEN_CERT_KEY_EC_P256   ? "EC P-256"
          : ci.key_type == WARDEN_CERT_KEY_EC_P384 ? "EC P-384"
          : ci.key_type == WARDEN_CERT_KEY_RSA     ? "RSA"
                                                   : NULL;
    if (key != NULL) {
        printf("      %-8s %s, %u bits%s\n", "key", key, ci.key_bits,
               ci.is_ca ? ", CA" : "");
    } else {
        printf("      %-8s unsupported type%s\n", "key",
               ci.is_ca ? ", CA" : "");
    }
    tk_format_fingerprint(ci.sha256, sizeof(ci.sha256), fp);
    printf("      %-8s %s\n", "sha256", fp);
    return 0;
}

static unsigned
count_bits(unsigned mask)
{
    unsigned n = 0;

    for (; mask != 0; mask >>= 1) {
        n += mask & 1;
    }
    return n;
}

/* Keys and certificates; -1 if the bus failed. */
static int
print_identity(struct warden_dev *dev)
{
    struct warden_inventory inv;
    unsigned i;

    if (warden_inventory(dev, &inv) != WARDEN_ERR_OK) {
        if (tool_status(dev) == 0) {
            fprintf(stderr, "warden: %s\n", warden_error(dev));
            return -1;
        }
        /* An older or failed companion: say so, the rest still stands. */
        printf("keys          (unavailable: %s)\n",
               wd_status_message(tool_status(dev)));
        return 0;
    }
    printf("device key    %s\n", key_text(inv.device_key));
    printf("attest key    %s\n", key_text(inv.attestation_key));
    printf("admin key     %s\n", key_text(inv.admin_key));
    printf("firmware key  %s\n", key_text(inv.firmware_key));

    printf("device chain  %u certificate%s\n", inv.device_chain,
           inv.device_chain == 1 ? "" : "s");
    for (i = 0; i < inv.device_chain; i++) {
        if (print_cert(dev, WARDEN_CERT_DEVICE, i) != 0) {
            return -1;
        }
    }
    printf("attestation   %s\n",
           inv.attestation_cert ? "1 certificate" : "no certificate");
    if (inv.attestation_cert && print_cert(dev, WARDEN_CERT_ATTESTATION, 0)) {
        return -1;
    }
    printf("roots         %u of %d\n", count_bits(inv.roots), WARDEN_ROOTS_MAX);
    for (i = 0; i < WARDEN_ROOTS_MAX; i++) {
        if ((inv.roots & (1u << i)) && print_cert(dev, WARDEN_CERT_ROOT, i)) {
            return -1;
        }
    }
    return 0;
}

int
run_status(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_dev dev;
    struct warden_info info;
    int ret;

    if (argc > 0) {
        return tool_usage_error("status", "unexpected argument", argv[0]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    ret = EXIT_FAILURE;
    if (warden_get_info(&dev, &info) != WARDEN_ERR_OK) {
        fprintf(stderr, "warden: %s\n", warden_error(&dev));
        goto cleanup;
    }

    printf("companion     %s\n", o->address);
    printf("firmware      %u.%u.%u (protocol %u)\n", info.fw_major,
           info.fw_minor, info.fw_patch, info.protocol_version);
    printf("lifecycle     %s\n", info.storage_failed
                                     ? "unknown (storage failed)"
                                     : wd_lifecycle_label(info.lifecycle));
    printf("serial        %s\n",
           info.serial_len > 0 ? info.serial : "(not provisioned)");
    printf("random        %s\n",
           info.rng_failed ? "FAILED (health test; restart the companion)"
                           : "healthy");
    if (info.storage_failed) {
        printf("storage       FAILED (unreadable after a write; restart the "
               "companion)\n");
    }
    printf("storage       %lu of %lu bytes used, %u of %u records\n",
           (unsigned long)info.storage_used,
           (unsigned long)info.storage_capacity, info.records,
           info.records_max);
    /* With storage failed the companion answers nothing else. */
    if (!info.storage_failed && print_identity(&dev) != 0) {
        goto cleanup;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "warden: status: cannot write the output: %s\n",
                strerror(errno));
        goto cleanup;
    }
    ret = EXIT_SUCCESS;

cleanup:
    warden_close(&dev);
    return ret;
}
