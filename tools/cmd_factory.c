/*
 * warden provision CONFIG: a whole factory flow from one small file.
 *
 * Everything the file says is checked first (its syntax, the subjects,
 * the serial number, every certificate and key file, the output folder)
 * and only then is the companion touched, so that a typo never leaves a
 * device half provisioned. Then, in order: serial number; device key,
 * CSR, signature by sign_command, chain; the same for the attestation
 * key; roots; admin and firmware keys; lock.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "wd_proto.h"

#define CMD "provision"
#define CSR_MAX 4096

void
usage_provision(FILE *out)
{
    fprintf(out,
            "usage: warden [--companion ADDR] provision [--check] CONFIG\n"
            "\n"
            "Provisions a companion in manufacturing from CONFIG, a file of\n"
            "'key = value' lines ('#' starts a comment line):\n"
            "\n"
            "  serial = dev-0001            serial number\n"
            "  curve = p256                 device key: p256 (default), p384\n"
            "  subject = /O=Acme/CN=dev-0001  subject of the device CSR\n"
            "  attestation_curve = p256\n"
            "  attestation_subject = /O=Acme/CN=dev-0001 attestation\n"
            "  sign_command = ./sign.sh     signs each CSR (below)\n"
            "  attestation_sign_command = ...  for the attestation CSR, if\n"
            "                               it differs\n"
            "  chain = intermediate.pem     certificates after the leaf; one\n"
            "                               file per line, repeat the key\n"
            "  roots = root.pem             trust anchors; one per line\n"
            "  admin_key = admin.pub.pem    PEM PUBLIC KEY, EC P-256/P-384\n"
            "  firmware_key = firmware.pub.pem\n"
            "  output_dir = out             where CSRs and certificates go\n"
            "                               (default: the config's folder)\n"
            "  lock = yes                   lock at the end (default: no)\n"
            "\n"
            "Relative paths are relative to the config file's folder. Each\n"
            "step runs only if its keys are given; lock = yes needs them "
            "all.\n"
            "\n"
            "sign_command runs with /bin/sh in the config's folder, as\n"
            "  sh -c 'COMMAND' sign CSR CERT KIND\n"
            "so the command sees the request's path as $1, the path to\n"
            "write the certificate to (PEM) as $2 and 'device' or\n"
            "'attestation' as $3; also as $WARDEN_CSR, $WARDEN_CERT and\n"
            "$WARDEN_KIND, with the serial number in $WARDEN_SERIAL. For\n"
            "the device it may write the intermediates after the leaf.\n"
            "CSRs and certificates are kept in output_dir as device.csr,\n"
            "device.pem, attestation.csr and attestation.pem.\n"
            "\n"
            "Nothing is sent before the whole file and every file it names\n"
            "are checked. Running it again on a companion still in\n"
            "manufacturing starts over (new keys).\n"
            "\n"
            "options:\n"
            "  --check   check CONFIG and its files, touch no companion\n");
}

/* The config, with everything it names read and checked. */
struct plan {
    struct tk_config c;
    uint8_t subject[WARDEN_SUBJECT_MAX];
    size_t subject_len;
    uint8_t attestation_subject[WARDEN_SUBJECT_MAX];
    size_t attestation_subject_len;
    struct tk_blobs chain[TK_CONF_LIST_MAX];
    size_t chain_total;
    struct tk_blobs roots[TK_CONF_LIST_MAX];
    size_t roots_total;
    struct tk_blobs admin;
    struct tk_blobs firmware;
    char out_dir[PATH_MAX];
};

static void
plan_free(struct plan *p)
{
    size_t i;

    for (i = 0; i < TK_CONF_LIST_MAX; i++) {
        tk_blobs_free(&p->chain[i]);
        tk_blobs_free(&p->roots[i]);
    }
    tk_blobs_free(&p->admin);
    tk_blobs_free(&p->firmware);
    tk_config_free(&p->c);
}

/* "CONFIG:LINE: key" for messages about one key. */
static int
key_fail(const struct plan *p, enum tk_conf_key key, const char *why)
{
    return tool_fail(CMD, "%s:%u: %s: %s", p->c.path, p->c.line[key],
                     tk_config_key_name(key), why);
}

static const char *
sign_command_for(const struct tk_config *c, int attestation)
{
    if (attestation && c->attestation_sign_command != NULL) {
        return c->attestation_sign_command;
    }
    return c->sign_command;
}

/* The keys lock = yes and each step need. */
static int
check_keys(const struct plan *p)
{
    static const enum tk_conf_key for_lock[] = {
        TK_CONF_SERIAL, TK_CONF_SUBJECT,   TK_CONF_ATTESTATION_SUBJECT,
        TK_CONF_ROOTS,  TK_CONF_ADMIN_KEY, TK_CONF_FIRMWARE_KEY,
    };
    const struct tk_config *c = &p->c;
    char missing[256] = "";
    size_t n;
    size_t i;

    if (c->serial == NULL && c->subject == NULL &&
        c->attestation_subject == NULL && c->roots_count == 0 &&
        c->admin_key == NULL && c->firmware_key == NULL && !c->lock) {
        return tool_fail(CMD,
                         "%s: nothing to provision: no serial, "
                         "subject, attestation_subject, roots, "
                         "admin_key, firmware_key or lock = yes",
                         c->path);
    }

    for (i = 0; c->lock && i < sizeof(for_lock) / sizeof(for_lock[0]); i++) {
        if (c->line[for_lock[i]] == 0) {
            n = strlen(missing);
            snprintf(missing + n, sizeof(missing) - n, "%s%s",
                     n > 0 ? ", " : "", tk_config_key_name(for_lock[i]));
        }
    }
    if (missing[0] != '\0') {
        return tool_fail(CMD,
                         "%s: lock = yes, but %s %s not given: a "
                         "companion locks only when fully provisioned",
                         c->path, missing,
                         strchr(missing, ',') != NULL ? "are" : "is");
    }
    if (c->subject != NULL && sign_command_for(c, 0) == NULL) {
        return key_fail(p, TK_CONF_SUBJECT,
                        "needs sign_command to have the device CSR signed");
    }
    if (c->attestation_subject != NULL && sign_command_for(c, 1) == NULL) {
        return key_fail(p, TK_CONF_ATTESTATION_SUBJECT,
                        "needs sign_command to have the attestation CSR "
                        "signed");
    }
    if (c->chain_count > 0 && c->subject == NULL) {
        return key_fail(p, TK_CONF_CHAIN,
                        "needs subject: the chain follows the leaf issued "
                        "for the device key generated here");
    }
    return 0;
}

static int
check_serial(const struct plan *p)
{
    const char *s = p->c.serial;
    size_t len;
    size_t i;

    if (s == NULL) {
        return 0;
    }
    len = strlen(s);
    for (i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            break;
        }
    }
    if (len > WARDEN_SERIAL_MAX || i < len) {
        return key_fail(p, TK_CONF_SERIAL,
                        "1 to 32 printable ASCII characters, no spaces");
    }
    return 0;
}

static int
check_subject(const struct plan *p, enum tk_conf_key key, const char *text,
              uint8_t *der, size_t *len)
{
    struct tk_err e;

    if (text == NULL) {
        return 0;
    }
    if (tk_name_parse(text, der, WARDEN_SUBJECT_MAX, len, &e) != 0) {
        return key_fail(p, key, e.msg);
    }
    return 0;
}

/* "file.pem:LINE" for a PEM block, the file alone for DER. */
static void
blob_label(const char *path, const struct tk_blob *b, char *out, size_t cap)
{
    int n;

    if (b->line > 0) {
        n = snprintf(out, cap, "%s:%u", path, b->line);
    } else {
        n = snprintf(out, cap, "%s", path);
    }
    /* A label cut short still names the file, which is all it is for. */
    (void)n;
}

/* Checks one certificate that will be sent: its outline and size. */
static int
check_cert(const char *path, const struct tk_blob *b)
{
    char what[PATH_MAX + 48];
    struct tk_err e;

    blob_label(path, b, what, sizeof(what));
    if (tk_cert_outline(b->data, b->len, &e) != 0) {
        return tool_fail(CMD, "%s: %s", what, e.msg);
    }
    if (b->len > WARDEN_CERT_MAX) {
        return tool_fail(CMD,
                         "%s: certificate of %zu bytes: the companion keeps "
                         "at most %d",
                         what, b->len, WARDEN_CERT_MAX);
    }
    return 0;
}

/* Reads and checks the certificate files of chain or roots. */
static int
load_cert_list(char *const *paths, size_t count, struct tk_blobs *out,
               size_t *total)
{
    struct tk_err e;
    size_t i;
    size_t j;

    *total = 0;
    for (i = 0; i < count; i++) {
        if (tk_pem_read_file(paths[i], "CERTIFICATE", &out[i], &e) != 0) {
            return tool_fail(CMD, "%s", e.msg);
        }
        for (j = 0; j < out[i].count; j++) {
            if (check_cert(paths[i], &out[i].item[j]) != 0) {
                return EXIT_FAILURE;
            }
        }
        *total += out[i].count;
    }
    return 0;
}

static int
load_key(const char *path, struct tk_blobs *out)
{
    struct tk_err e;

    if (path == NULL) {
        return 0;
    }
    if (tk_pem_read_file(path, "PUBLIC KEY", out, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    if (out->count != 1) {
        return tool_fail(CMD, "%s: %zu public keys: give one", path,
                         out->count);
    }
    if (tk_spki_check(out->item[0].data, out->item[0].len, NULL, &e) != 0) {
        return tool_fail(CMD, "%s: %s", path, e.msg);
    }
    return 0;
}

static int
check_output_dir(struct plan *p)
{
    struct stat st;

    if (realpath(p->c.output_dir, p->out_dir) == NULL) {
        return tool_fail(CMD, "%s: output folder: %s", p->c.output_dir,
                         strerror(errno));
    }
    if (stat(p->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return tool_fail(CMD, "%s: output folder: not a folder",
                         p->c.output_dir);
    }
    if (access(p->out_dir, W_OK) != 0) {
        return tool_fail(CMD, "%s: output folder: %s", p->c.output_dir,
                         strerror(errno));
    }
    return 0;
}

/* Loads CONFIG and everything it names; 0 or the exit status. */
static int
make_plan(const char *path, struct plan *p)
{
    struct tk_err e;
    int ret;

    memset(p, 0, sizeof(*p));
    if (tk_config_load(path, &p->c, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    ret = check_keys(p);
    if (ret == 0) {
        ret = check_serial(p);
    }
    if (ret == 0) {
        ret = check_subject(p, TK_CONF_SUBJECT, p->c.subject, p->subject,
                            &p->subject_len);
    }
    if (ret == 0) {
        ret = check_subject(p, TK_CONF_ATTESTATION_SUBJECT,
                            p->c.attestation_subject, p->attestation_subject,
                            &p->attestation_subject_len);
    }
    if (ret == 0) {
        ret = load_cert_list(p->c.chain, p->c.chain_count, p->chain,
                             &p->chain_total);
    }
    if (ret == 0 && p->chain_total > WARDEN_CHAIN_MAX - 1) {
        ret = key_fail(p, TK_CONF_CHAIN,
                       "more than 3 certificates: a device chain holds the "
                       "leaf and at most 3 intermediates");
    }
    if (ret == 0) {
        ret = load_cert_list(p->c.roots, p->c.roots_count, p->roots,
                             &p->roots_total);
    }
    if (ret == 0 && p->roots_total > WARDEN_ROOTS_MAX) {
        ret = key_fail(p, TK_CONF_ROOTS,
                       "more than 8 certificates: the companion holds at "
                       "most 8 roots");
    }
    if (ret == 0) {
        ret = load_key(p->c.admin_key, &p->admin);
    }
    if (ret == 0) {
        ret = load_key(p->c.firmware_key, &p->firmware);
    }
    if (ret == 0) {
        ret = check_output_dir(p);
    }
    return ret;
}

/* ---- the flow --------------------------------------------------------- */

/*
 * Runs the sign command for one CSR, in the config's folder, with the
 * paths as $1 $2 and the kind as $3. Its output goes to stderr, so that
 * ours stays the tool's.
 */
static int
run_signer(const struct plan *p, const char *command, const char *csr,
           const char *cert, const char *kind)
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        return tool_fail(CMD, "cannot start sign_command: %s", strerror(errno));
    }
    if (pid == 0) {
        if (chdir(p->c.dir) != 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
            setenv("WARDEN_CSR", csr, 1) != 0 ||
            setenv("WARDEN_CERT", cert, 1) != 0 ||
            setenv("WARDEN_KIND", kind, 1) != 0 ||
            setenv("WARDEN_SERIAL", p->c.serial != NULL ? p->c.serial : "",
                   1) != 0) {
            _exit(126);
        }
        execl("/bin/sh", "sh", "-c", command, "sign", csr, cert, kind,
              (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return tool_fail(CMD, "sign_command: %s", strerror(errno));
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }
    if (WIFEXITED(status)) {
        return tool_fail(CMD,
                         "sign_command failed for the %s CSR (exit "
                         "status %d)",
                         kind, WEXITSTATUS(status));
    }
    return tool_fail(CMD,
                     "sign_command for the %s CSR was killed by "
                     "signal %d",
                     kind, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Reads the certificates the sign command wrote, and checks them. */
static int
read_signed(const char *cert, size_t max, struct tk_blobs *out)
{
    struct tk_err e;
    size_t i;

    if (tk_pem_read_file(cert, "CERTIFICATE", out, &e) != 0) {
        return tool_fail(CMD, "sign_command's output: %s", e.msg);
    }
    if (out->count > max) {
        return tool_fail(CMD,
                         "%s: %zu certificates, at most %zu fit with the "
                         "chain",
                         cert, out->count, max);
    }
    for (i = 0; i < out->count; i++) {
        if (check_cert(cert, &out->item[i]) != 0) {
            return EXIT_FAILURE;
        }
    }
    return 0;
}

static int
install_one(struct warden_dev *dev, unsigned kind, unsigned index,
            const char *path, const struct tk_blob *b)
{
    char what[PATH_MAX + 48];
    unsigned status;

    if (warden_cert_install(dev, kind, index, b->data, b->len) ==
        WARDEN_ERR_OK) {
        return 0;
    }
    blob_label(path, b, what, sizeof(what));
    status = tool_status(dev);
    if (status == WD_STATUS_KEY_MISMATCH) {
        return tool_fail(CMD,
                         "%s: the signed certificate's public key is not "
                         "the key in the CSR (KEY_MISMATCH)",
                         what);
    }
    if (status == WD_STATUS_NOT_ISSUER) {
        return tool_fail(CMD,
                         "%s: it did not issue the certificate before it in "
                         "the chain (NOT_ISSUER)",
                         what);
    }
    return tool_report(dev, CMD, what);
}

/*
 * One key pair from generation to installed certificate: KEY_GENERATE,
 * CSR_CREATE, the sign command, CERT_INSTALL.
 */
static int
certify(struct plan *p, struct warden_dev *dev, int attestation)
{
    static uint8_t csr[CSR_MAX];
    struct warden_pubkey pub;
    struct tk_blobs issued;
    const char *kind = attestation ? "attestation" : "device";
    unsigned ckind = attestation ? WARDEN_CERT_ATTESTATION : WARDEN_CERT_DEVICE;
    char csr_path[PATH_MAX + 32];
    char cert_path[PATH_MAX + 32];
    unsigned index = 0;
    size_t len;
    size_t i;
    size_t j;
    int ret;

    memset(&issued, 0, sizeof(issued));
    snprintf(csr_path, sizeof(csr_path), "%s/%s.csr", p->out_dir, kind);
    snprintf(cert_path, sizeof(cert_path), "%s/%s.pem", p->out_dir, kind);

    if (warden_key_generate(
            dev, attestation ? WARDEN_KEY_ATTESTATION : WARDEN_KEY_DEVICE,
            attestation ? p->c.attestation_curve : p->c.curve,
            &pub) != WARDEN_ERR_OK) {
        return tool_report(dev, CMD, NULL);
    }
    printf("%-12s key generated (%s)\n", kind, tk_curve_name(pub.curve));

    if (warden_csr_create(
            dev, attestation ? WARDEN_KEY_ATTESTATION : WARDEN_KEY_DEVICE,
            attestation ? p->attestation_subject : p->subject,
            attestation ? p->attestation_subject_len : p->subject_len, csr,
            sizeof(csr), &len) != WARDEN_ERR_OK) {
        return tool_report(dev, CMD, NULL);
    }
    ret = tool_write_pem(CMD, csr_path, "CERTIFICATE REQUEST", csr, len);
    if (ret != 0) {
        return ret;
    }
    printf("%-12s CSR in %s\n", kind, csr_path);

    /* A stale certificate must not pass for the one just issued. */
    if (unlink(cert_path) != 0 && errno != ENOENT) {
        return tool_fail(CMD, "%s: cannot remove: %s", cert_path,
                         strerror(errno));
    }
    ret = run_signer(p, sign_command_for(&p->c, attestation), csr_path,
                     cert_path, kind);
    if (ret == 0) {
        ret = read_signed(cert_path,
                          attestation ? 1 : WARDEN_CHAIN_MAX - p->chain_total,
                          &issued);
    }

    for (i = 0; ret == 0 && i < issued.count; i++) {
        ret = install_one(dev, ckind, index++, cert_path, &issued.item[i]);
    }
    for (i = 0; ret == 0 && !attestation && i < p->c.chain_count; i++) {
        for (j = 0; ret == 0 && j < p->chain[i].count; j++) {
            ret = install_one(dev, ckind, index++, p->c.chain[i],
                              &p->chain[i].item[j]);
        }
    }
    if (ret == 0) {
        printf("%-12s %u certificate%s installed\n", kind, index,
               index == 1 ? "" : "s");
    }
    tk_blobs_free(&issued);
    return ret;
}

/* path without "dir/../..", for what the tool prints. */
static const char *
shown(const char *path, char buf[PATH_MAX])
{
    return realpath(path, buf) != NULL ? buf : path;
}

static int
install_roots(struct plan *p, struct warden_dev *dev)
{
    char what[PATH_MAX + 48];
    char buf[PATH_MAX];
    unsigned slot;
    size_t i;
    size_t j;

    for (i = 0; i < p->c.roots_count; i++) {
        for (j = 0; j < p->roots[i].count; j++) {
            blob_label(p->c.roots[i], &p->roots[i].item[j], what, sizeof(what));
            if (warden_root_add(dev, p->roots[i].item[j].data,
                                p->roots[i].item[j].len,
                                &slot) != WARDEN_ERR_OK) {
                return tool_report(dev, CMD, what);
            }
            printf("%-12s [%u] %s\n", "root", slot, shown(p->c.roots[i], buf));
        }
    }
    return 0;
}

static int
install_key(struct warden_dev *dev, unsigned target, const char *path,
            const struct tk_blobs *key)
{
    char buf[PATH_MAX];

    if (path == NULL) {
        return 0;
    }
    if (warden_pubkey_install(dev, target, key->item[0].data,
                              key->item[0].len) != WARDEN_ERR_OK) {
        return tool_report(dev, CMD, path);
    }
    printf("%-12s %s\n",
           target == WARDEN_PUBKEY_ADMIN ? "admin key" : "firmware key",
           shown(path, buf));
    return 0;
}

/* Refuses a companion that is not in manufacturing before any change. */
static int
check_lifecycle(struct warden_dev *dev)
{
    struct warden_info info;

    if (warden_get_info(dev, &info) != WARDEN_ERR_OK) {
        return tool_report(dev, CMD, NULL);
    }
    if (info.storage_failed) {
        return tool_fail(CMD, "the companion's storage failed: restart it");
    }
    if (info.lifecycle == WD_LIFECYCLE_OPERATIONAL) {
        return tool_fail(CMD, "the companion is locked (operational): "
                              "provisioning is closed");
    }
    if (info.lifecycle != WD_LIFECYCLE_MANUFACTURING) {
        return tool_fail(CMD, "the companion is %s: provisioning is closed",
                         wd_lifecycle_label(info.lifecycle));
    }
    return 0;
}

static int
run_flow(struct plan *p, const char *address)
{
    struct warden_dev dev;
    char missing[256];
    int ret;

    ret = tool_open(&dev, address);
    if (ret != 0) {
        return ret;
    }
    ret = check_lifecycle(&dev);
    if (ret == 0 && p->c.serial != NULL) {
        if (warden_serial_set(&dev, p->c.serial) != WARDEN_ERR_OK) {
            ret = tool_report(&dev, CMD, NULL);
        } else {
            printf("%-12s %s\n", "serial", p->c.serial);
        }
    }
    if (ret == 0 && p->c.subject != NULL) {
        ret = certify(p, &dev, 0);
    }
    if (ret == 0 && p->c.attestation_subject != NULL) {
        ret = certify(p, &dev, 1);
    }
    if (ret == 0) {
        ret = install_roots(p, &dev);
    }
    if (ret == 0) {
        ret = install_key(&dev, WARDEN_PUBKEY_ADMIN, p->c.admin_key, &p->admin);
    }
    if (ret == 0) {
        ret = install_key(&dev, WARDEN_PUBKEY_FIRMWARE, p->c.firmware_key,
                          &p->firmware);
    }
    if (ret == 0 && p->c.lock) {
        if (warden_lock(&dev) == WARDEN_ERR_OK) {
            printf("%-12s the companion is operational; provisioning is "
                   "closed\n",
                   "locked");
        } else if (tool_status(&dev) == WD_STATUS_INCOMPLETE) {
            tool_missing(&dev, missing, sizeof(missing));
            ret = tool_fail(CMD, "cannot lock: missing %s", missing);
        } else {
            ret = tool_report(&dev, CMD, NULL);
        }
    }
    warden_close(&dev);
    return ret;
}

int
run_provision(const struct tool_opts *o, int argc, char **argv)
{
    static struct plan p;
    int ret;

    if (argc != 1) {
        return tool_usage_error(
            CMD, argc == 0 ? "missing the config file" : "unexpected argument",
            argc == 0 ? NULL : argv[1]);
    }
    ret = make_plan(argv[0], &p);
    if (ret == 0 && o->check) {
        printf("%s: ok\n", argv[0]);
    } else if (ret == 0) {
        ret = run_flow(&p, o->address);
    }
    plan_free(&p);
    return ret;
}
