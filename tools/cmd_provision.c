/*
 * The provisioning commands, one step each: keygen, pubkey, csr,
 * install-cert, add-root, install-key, set-serial, lock, get-cert. They
 * read and write PEM; the companion judges what it is given and the tool
 * puts its refusals in words (tool_report()).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "wd_proto.h"

/* Files one install-cert or add-root may name. */
#define FILES_MAX 64
/* Room for any CSR the companion can answer with. */
#define CSR_MAX 4096

void
usage_keygen(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] keygen [--attestation]\n"
            "                                        [--curve p256|p384] "
            "[--out FILE]\n"
            "\n"
            "Generates a key pair inside the companion: the device key, or\n"
            "with --attestation the attestation key. The private key never\n"
            "leaves it. Prints the public key as PEM (PUBLIC KEY), or writes\n"
            "it to FILE. A new key replaces the old one and drops the\n"
            "certificates issued for it. Manufacturing only.\n"
            "\n"
            "options:\n"
            "  --attestation   the attestation key instead of the device key\n"
            "  --curve NAME    p256 (the default) or p384\n"
            "  -o, --out FILE  write the PEM to FILE\n");
}

void
usage_pubkey(FILE *out)
{
    fprintf(out, "usage: warden [--companion ADDR] pubkey [--attestation] "
                 "[--out FILE]\n"
                 "\n"
                 "Prints the public key of the device key pair (or with\n"
                 "--attestation, of the attestation key pair) as PEM.\n");
}

void
usage_csr(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] csr --subject NAME "
            "[--attestation]\n"
            "                                     [--out FILE]\n"
            "\n"
            "Has the companion make and sign a PKCS#10 certificate request\n"
            "for its device key (or attestation key), and prints it as PEM\n"
            "(CERTIFICATE REQUEST) or writes it to FILE. Manufacturing "
            "only.\n"
            "\n"
            "NAME is the subject, in OpenSSL's form or RFC 4514's:\n"
            "  /C=CZ/O=Acme Devices/CN=dev-0001\n"
            "  CN=dev-0001,O=Acme Devices,C=CZ\n"
            "Attributes: CN O OU C L ST street serialNumber title\n"
            "emailAddress DC UID, or a dotted OID. Escape ',' '/' '+' and "
            "'\\'\n"
            "with '\\'.\n");
}

void
usage_install_cert(FILE *out)
{
    fprintf(
        out,
        "usage: warden [--companion ADDR] install-cert [--attestation] "
        "FILE...\n"
        "\n"
        "Installs the device certificate chain: the leaf first, then up\n"
        "to 3 intermediates, each the issuer of the one before. Files\n"
        "are PEM (one may hold several certificates, in order) or DER.\n"
        "The leaf's key must be the device key; it replaces the whole\n"
        "chain. With --attestation, installs the attestation\n"
        "certificate (one, for the attestation key). Manufacturing only.\n");
}

void
usage_add_root(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] add-root FILE...\n"
            "\n"
            "Adds root CA certificates to the companion's trust store (8 at\n"
            "most). A root already there keeps its slot. Files are PEM (one\n"
            "may hold several certificates) or DER. Manufacturing only.\n");
}

void
usage_install_key(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] install-key --admin|--firmware "
            "FILE\n"
            "\n"
            "Installs the administrator's public key (--admin), which signs\n"
            "changes once the device is in the field, or the firmware-\n"
            "signing public key (--firmware), which secure boot checks. FILE\n"
            "is PEM (PUBLIC KEY) or DER SubjectPublicKeyInfo of an EC P-256\n"
            "or P-384 key; 'openssl pkey -pubout' makes one from a key pair.\n"
            "Manufacturing only.\n");
}

void
usage_set_serial(FILE *out)
{
    fprintf(out, "usage: warden [--companion ADDR] set-serial SERIAL\n"
                 "\n"
                 "Sets the serial number: 1 to 32 printable ASCII characters,\n"
                 "no spaces. Manufacturing only.\n");
}

void
usage_lock(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] lock\n"
            "\n"
            "Ends manufacturing: the companion becomes operational and\n"
            "refuses every provisioning command from then on, for good.\n"
            "It needs the device key and certificate, the attestation key\n"
            "and certificate, a root, the admin and firmware keys, and the\n"
            "serial number; otherwise it says what is missing.\n");
}

void
usage_get_cert(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] get-cert [--index N | --root N "
            "|\n"
            "                                          --attestation] [--out "
            "FILE]\n"
            "\n"
            "Prints an installed certificate as PEM: the device chain's\n"
            "entry N (0, the leaf, by default), root slot N, or the\n"
            "attestation certificate.\n");
}

/* ---- keys ------------------------------------------------------------ */

static int
print_pubkey(const char *command, const char *path,
             const struct warden_pubkey *pub)
{
    uint8_t spki[TK_SPKI_MAX];
    struct tk_err e;
    size_t len;

    if (tk_spki_from_point(pub->curve, pub->point, pub->point_len, spki,
                           sizeof(spki), &len, &e) != 0) {
        return tool_fail(command, "companion's public key: %s", e.msg);
    }
    return tool_write_pem(command, path, "PUBLIC KEY", spki, len);
}

static int
no_key(const char *command, int attestation)
{
    return tool_fail(command,
                     "the companion has no %s key: generate it with "
                     "'warden keygen%s'",
                     attestation ? "attestation" : "device",
                     attestation ? " --attestation" : "");
}

int
run_keygen(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_dev dev;
    struct warden_pubkey pub;
    unsigned slot = o->attestation ? WARDEN_KEY_ATTESTATION : WARDEN_KEY_DEVICE;
    int ret;

    if (argc > 0) {
        return tool_usage_error("keygen", "unexpected argument", argv[0]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_key_generate(&dev, slot,
                            o->curve != 0 ? o->curve : WARDEN_CURVE_P256,
                            &pub) != WARDEN_ERR_OK) {
        ret = tool_report(&dev, "keygen", NULL);
    } else {
        ret = print_pubkey("keygen", o->out, &pub);
    }
    warden_close(&dev);
    return ret;
}

int
run_pubkey(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_dev dev;
    struct warden_pubkey pub;
    int ret;

    if (argc > 0) {
        return tool_usage_error("pubkey", "unexpected argument", argv[0]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_key_public(
            &dev, o->attestation ? WARDEN_KEY_ATTESTATION : WARDEN_KEY_DEVICE,
            &pub) == WARDEN_ERR_OK) {
        ret = print_pubkey("pubkey", o->out, &pub);
    } else if (tool_status(&dev) == WD_STATUS_NOT_FOUND) {
        ret = no_key("pubkey", o->attestation);
    } else {
        ret = tool_report(&dev, "pubkey", NULL);
    }
    warden_close(&dev);
    return ret;
}

int
run_csr(const struct tool_opts *o, int argc, char **argv)
{
    static uint8_t csr[CSR_MAX];
    uint8_t subject[WARDEN_SUBJECT_MAX];
    struct warden_dev dev;
    struct tk_err e;
    size_t subject_len;
    size_t len;
    int ret;

    if (argc > 0) {
        return tool_usage_error("csr", "unexpected argument", argv[0]);
    }
    if (o->subject == NULL) {
        return tool_usage_error("csr", "missing --subject", NULL);
    }
    if (tk_name_parse(o->subject, subject, sizeof(subject), &subject_len, &e) !=
        0) {
        fprintf(stderr, "warden: csr: bad subject: %s\n", e.msg);
        return EXIT_USAGE;
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_csr_create(
            &dev, o->attestation ? WARDEN_KEY_ATTESTATION : WARDEN_KEY_DEVICE,
            subject, subject_len, csr, sizeof(csr), &len) == WARDEN_ERR_OK) {
        ret = tool_write_pem("csr", o->out, "CERTIFICATE REQUEST", csr, len);
    } else if (tool_status(&dev) == WD_STATUS_NOT_FOUND) {
        ret = no_key("csr", o->attestation);
    } else if (tool_status(&dev) == WD_STATUS_BAD_PAYLOAD) {
        ret = tool_fail("csr", "the companion refused the subject (%s)",
                        wd_status_name(WD_STATUS_BAD_PAYLOAD));
    } else {
        ret = tool_report(&dev, "csr", NULL);
    }
    warden_close(&dev);
    return ret;
}

/* ---- certificates ----------------------------------------------------- */

/* The certificates of several files, in order. */
struct cert_files {
    struct tk_blobs files[FILES_MAX];
    char *const *paths;
    size_t count; /* files */
    size_t total; /* certificates */
};

static void
cert_files_free(struct cert_files *cf)
{
    size_t i;

    for (i = 0; i < cf->count; i++) {
        tk_blobs_free(&cf->files[i]);
    }
    cf->count = 0;
    cf->total = 0;
}

/* Reads the CERTIFICATE blocks of every file; says why it cannot. */
static int
load_certs(const char *command, int argc, char **argv, struct cert_files *cf)
{
    struct tk_err e;
    int i;

    memset(cf, 0, sizeof(*cf));
    cf->paths = argv;
    if (argc > FILES_MAX) {
        tool_usage_error(command, "too many files", NULL);
        return EXIT_USAGE;
    }
    for (i = 0; i < argc; i++) {
        if (tk_pem_read_file(argv[i], "CERTIFICATE", &cf->files[i], &e) != 0) {
            cert_files_free(cf);
            return tool_fail(command, "%s", e.msg);
        }
        cf->count++;
        cf->total += cf->files[i].count;
    }
    return 0;
}

/* "leaf.pem", or "chain.pem:12" when the file holds several. */
static void
cert_label(const struct cert_files *cf, size_t file, size_t i, char *buf,
           size_t cap)
{
    if (cf->files[file].count > 1) {
        snprintf(buf, cap, "%s:%u", cf->paths[file],
                 cf->files[file].item[i].line);
    } else {
        snprintf(buf, cap, "%s", cf->paths[file]);
    }
}

/* Says why CERT_INSTALL refused entry index, named what. */
static int
install_refused(struct warden_dev *dev, int attestation, unsigned index,
                const char *what)
{
    const char *key = attestation ? "attestation" : "device";

    switch (tool_status(dev)) {
    case WD_STATUS_KEY_MISMATCH:
        return tool_fail("install-cert",
                         "%s: its public key is not the companion's %s key: "
                         "install a certificate issued for the request "
                         "from 'warden csr%s' (KEY_MISMATCH)",
                         what, key, attestation ? " --attestation" : "");
    case WD_STATUS_NOT_FOUND:
        if (index == 0) {
            return tool_fail("install-cert",
                             "%s: the companion has no %s key to certify: "
                             "generate it with 'warden keygen%s' (NOT_FOUND)",
                             what, key, attestation ? " --attestation" : "");
        }
        return tool_fail("install-cert",
                         "%s: certificate %u of the chain is not installed "
                         "(NOT_FOUND)",
                         what, index - 1);
    case WD_STATUS_NOT_ISSUER:
        return tool_fail("install-cert",
                         "%s: it did not issue the certificate before it in "
                         "the chain: give the leaf, then its issuer, and so "
                         "on (NOT_ISSUER)",
                         what);
    }
    return tool_report(dev, "install-cert", what);
}

int
run_install_cert(const struct tool_opts *o, int argc, char **argv)
{
    static struct cert_files cf;
    struct warden_dev dev;
    unsigned kind =
        o->attestation ? WARDEN_CERT_ATTESTATION : WARDEN_CERT_DEVICE;
    unsigned max = o->attestation ? 1 : WARDEN_CHAIN_MAX;
    unsigned index = 0;
    char what[512];
    size_t f;
    size_t i;
    int ret;

    if (argc == 0) {
        return tool_usage_error("install-cert", "missing certificate files",
                                NULL);
    }
    ret = load_certs("install-cert", argc, argv, &cf);
    if (ret != 0) {
        return ret;
    }
    if (cf.total > max) {
        cert_files_free(&cf);
        return tool_fail("install-cert",
                         o->attestation
                             ? "%zu certificates: the attestation "
                               "certificate is installed alone"
                             : "%zu certificates: a device chain holds at "
                               "most 4 (the leaf and 3 intermediates)",
                         cf.total);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        cert_files_free(&cf);
        return ret;
    }
    for (f = 0; f < cf.count && ret == 0; f++) {
        for (i = 0; i < cf.files[f].count && ret == 0; i++, index++) {
            cert_label(&cf, f, i, what, sizeof(what));
            if (warden_cert_install(&dev, kind, index, cf.files[f].item[i].data,
                                    cf.files[f].item[i].len) != WARDEN_ERR_OK) {
                ret = install_refused(&dev, o->attestation, index, what);
            } else {
                printf("%s [%u] %s: installed\n",
                       o->attestation ? "attestation" : "device", index, what);
            }
        }
    }
    warden_close(&dev);
    cert_files_free(&cf);
    return ret;
}

/* Says why ROOT_ADD refused the certificate named what. */
static int
root_refused(struct warden_dev *dev, const char *what)
{
    switch (tool_status(dev)) {
    case WD_STATUS_FULL:
        return tool_fail("add-root",
                         "%s: the trust store is full: all %d root slots "
                         "are in use (FULL)",
                         what, WARDEN_ROOTS_MAX);
    case WD_STATUS_BAD_CERTIFICATE:
        return tool_fail("add-root",
                         "%s: the companion refuses it as a root: "
                         "malformed, unsupported, or not a CA certificate "
                         "(BAD_CERTIFICATE)",
                         what);
    }
    return tool_report(dev, "add-root", what);
}

int
run_add_root(const struct tool_opts *o, int argc, char **argv)
{
    static struct cert_files cf;
    struct warden_inventory inv;
    struct warden_dev dev;
    char what[512];
    unsigned slot;
    size_t f;
    size_t i;
    int ret;

    if (argc == 0) {
        return tool_usage_error("add-root", "missing certificate files", NULL);
    }
    ret = load_certs("add-root", argc, argv, &cf);
    if (ret != 0) {
        return ret;
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        cert_files_free(&cf);
        return ret;
    }
    for (f = 0; f < cf.count && ret == 0; f++) {
        for (i = 0; i < cf.files[f].count && ret == 0; i++) {
            cert_label(&cf, f, i, what, sizeof(what));
            /* The slots in use before tell "added" from "already there". */
            if (warden_inventory(&dev, &inv) != WARDEN_ERR_OK) {
                ret = tool_report(&dev, "add-root", NULL);
            } else if (warden_root_add(&dev, cf.files[f].item[i].data,
                                       cf.files[f].item[i].len,
                                       &slot) != WARDEN_ERR_OK) {
                ret = root_refused(&dev, what);
            } else {
                printf("root [%u] %s: %s\n", slot, what,
                       inv.roots & (1u << slot) ? "already installed"
                                                : "added");
            }
        }
    }
    warden_close(&dev);
    cert_files_free(&cf);
    return ret;
}

int
run_get_cert(const struct tool_opts *o, int argc, char **argv)
{
    static uint8_t der[WARDEN_CERT_MAX];
    struct warden_dev dev;
    unsigned kind = o->attestation ? WARDEN_CERT_ATTESTATION
                    : o->root      ? WARDEN_CERT_ROOT
                                   : WARDEN_CERT_DEVICE;
    size_t len;
    int ret;

    if (argc > 0) {
        return tool_usage_error("get-cert", "unexpected argument", argv[0]);
    }
    if (o->attestation && o->index_given) {
        return tool_usage_error(
            "get-cert", "--attestation takes no --index or --root", NULL);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_cert_read(&dev, kind, o->index, der, sizeof(der), &len) ==
        WARDEN_ERR_OK) {
        ret = tool_write_pem("get-cert", o->out, "CERTIFICATE", der, len);
    } else if (tool_status(&dev) == WD_STATUS_NOT_FOUND) {
        ret = tool_fail("get-cert", "no such certificate installed");
    } else {
        ret = tool_report(&dev, "get-cert", NULL);
    }
    warden_close(&dev);
    return ret;
}

/* ---- keys that authorise, serial, lock ------------------------------ */

int
run_install_key(const struct tool_opts *o, int argc, char **argv)
{
    struct tk_blobs keys;
    struct warden_dev dev;
    struct tk_err e;
    const char *which = o->target == WARDEN_PUBKEY_ADMIN ? "admin" : "firmware";
    int ret;

    if (o->target == 0) {
        return tool_usage_error("install-key", "give --admin or --firmware",
                                NULL);
    }
    if (argc != 1) {
        return tool_usage_error("install-key",
                                argc == 0 ? "missing the key file"
                                          : "unexpected argument",
                                argc == 0 ? NULL : argv[1]);
    }
    if (tk_pem_read_file(argv[0], "PUBLIC KEY", &keys, &e) != 0) {
        return tool_fail("install-key", "%s", e.msg);
    }
    if (keys.count != 1) {
        tk_blobs_free(&keys);
        return tool_fail("install-key", "%s: %zu public keys: give one",
                         argv[0], keys.count);
    }
    ret = tool_open(&dev, o->address);
    if (ret == 0) {
        if (warden_pubkey_install(&dev, o->target, keys.item[0].data,
                                  keys.item[0].len) != WARDEN_ERR_OK) {
            ret = tool_report(&dev, "install-key", argv[0]);
        } else {
            printf("%s key %s: installed\n", which, argv[0]);
        }
        warden_close(&dev);
    }
    tk_blobs_free(&keys);
    return ret;
}

int
run_set_serial(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_dev dev;
    int ret;

    if (argc != 1) {
        return tool_usage_error("set-serial",
                                argc == 0 ? "missing the serial number"
                                          : "unexpected argument",
                                argc == 0 ? NULL : argv[1]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_serial_set(&dev, argv[0]) == WARDEN_ERR_OK) {
        printf("serial %s: set\n", argv[0]);
    } else if (warden_last_error(&dev, NULL) == WARDEN_ERR_ARGUMENT) {
        fprintf(stderr,
                "warden: set-serial: bad serial number '%s': 1 to %d "
                "printable ASCII characters, no spaces\n",
                argv[0], WARDEN_SERIAL_MAX);
        ret = EXIT_USAGE;
    } else {
        ret = tool_report(&dev, "set-serial", NULL);
    }
    warden_close(&dev);
    return ret;
}

static void
add_missing(char *out, size_t cap, const char *what)
{
    size_t n = strlen(out);

    snprintf(out + n, cap - n, "%s%s", n > 0 ? ", " : "", what);
}

void
tool_missing(struct warden_dev *dev, char *out, size_t cap)
{
    struct warden_inventory inv;

    out[0] = '\0';
    if (warden_inventory(dev, &inv) != WARDEN_ERR_OK) {
        snprintf(out, cap, "?");
        return;
    }
    if (!inv.serial) {
        add_missing(out, cap, "serial number");
    }
    if (inv.device_key == 0) {
        add_missing(out, cap, "device key");
    }
    if (inv.device_chain == 0) {
        add_missing(out, cap, "device certificate");
    }
    if (inv.attestation_key == 0) {
        add_missing(out, cap, "attestation key");
    }
    if (!inv.attestation_cert) {
        add_missing(out, cap, "attestation certificate");
    }
    if (inv.roots == 0) {
        add_missing(out, cap, "root certificate");
    }
    if (inv.admin_key == 0) {
        add_missing(out, cap, "admin key");
    }
    if (inv.firmware_key == 0) {
        add_missing(out, cap, "firmware key");
    }
}

int
run_lock(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_dev dev;
    char missing[256];
    int ret;

    if (argc > 0) {
        return tool_usage_error("lock", "unexpected argument", argv[0]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_lock(&dev) == WARDEN_ERR_OK) {
        printf("locked: the companion is operational; provisioning is "
               "closed for good\n");
    } else if (tool_status(&dev) == WD_STATUS_INCOMPLETE) {
        tool_missing(&dev, missing, sizeof(missing));
        ret = tool_fail("lock", "cannot lock: missing %s", missing);
    } else {
        ret = tool_report(&dev, "lock", NULL);
    }
    warden_close(&dev);
    return ret;
}
