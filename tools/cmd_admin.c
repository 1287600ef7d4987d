/*
 * warden admin: updates signed with the administrator's key, for a
 * companion in the field. Making one needs only the admin private key,
 * the device's serial and the next counter, and never a companion: it can
 * be done offline, and the key never goes near the device. Applying one
 * needs only the file: the host carries it, the companion judges it.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "tool.h"
#include "wd_admin.h"
#include "wd_proto.h"

#define CMD "admin"

/* Which options a subcommand takes, beyond --companion and --help. */
#define A_SIGN 0x01    /* --key, --serial, --counter, --out (all needed) */
#define A_CURVE 0x02   /* --curve */
#define A_SUBJECT 0x04 /* --subject */
#define A_INDEX 0x08   /* --index */
#define A_LISTS 0x10   /* --suite, --group */
#define A_OUT 0x20     /* --out, optional */

struct maker {
    const char *name;
    unsigned op;
    unsigned options;
    int min_args, max_args;
    const char *args;
};

static const struct maker makers[] = {
    {"root-add", WD_ADMIN_OP_ROOT_ADD, A_SIGN, 1, 1, "ROOT.pem"},
    {"root-remove", WD_ADMIN_OP_ROOT_REMOVE, A_SIGN, 1, 1, "ROOT.pem"},
    {"root-replace", WD_ADMIN_OP_ROOT_REPLACE, A_SIGN, 2, 2, "OLD.pem NEW.pem"},
    {"policy", WD_ADMIN_OP_POLICY_SET, A_SIGN | A_LISTS, 0, 0, ""},
    {"key-rotate", WD_ADMIN_OP_KEY_ROTATE, A_SIGN | A_CURVE | A_SUBJECT, 0, 0,
     ""},
    {"install-cert", WD_ADMIN_OP_CERT_INSTALL, A_SIGN | A_INDEX, 1, 1,
     "CERT.pem"},
    {"time-floor", WD_ADMIN_OP_TIME_FLOOR, A_SIGN, 1, 1, "TIME"},
    {"decommission", WD_ADMIN_OP_DECOMMISSION, A_SIGN, 0, 0, ""},
};

#define MAKERS (sizeof(makers) / sizeof(makers[0]))

void
usage_admin(FILE *out)
{
    fprintf(
        out,
        "usage: warden admin OPERATION --key ADMIN.key --serial SERIAL\n"
        "                    --counter N [ARGS] --out UPDATE\n"
        "       warden [--companion ADDR] admin apply UPDATE [--out FILE]\n"
        "       warden [--companion ADDR] admin status\n"
        "       warden admin show UPDATE\n"
        "\n"
        "In the operational state, the companion changes its roots, policy,\n"
        "device key and time floor, and retires, only for an update signed\n"
        "with the administrator's key for its serial number and a counter\n"
        "above the last one it accepted. Updates are made offline from the\n"
        "admin private key (PEM), which never goes to the companion.\n"
        "\n"
        "operations (each writes one signed update to --out):\n"
        "  root-add ROOT.pem          trust another root certificate\n"
        "  root-remove ROOT.pem       stop trusting a root certificate\n"
        "  root-replace OLD.pem NEW.pem   NEW takes OLD's place\n"
        "  policy [--suite LIST] [--group LIST]\n"
        "                             enable only these suites (TLS 1.3 and\n"
        "                             TLS 1.2; naming no TLS 1.2 suite turns\n"
        "                             TLS 1.2 off) and groups (left out: all\n"
        "                             built-in ones); never more than the\n"
        "                             built-in policy\n"
        "  key-rotate --subject NAME [--curve p256|p384]\n"
        "                             new device key; apply prints its CSR\n"
        "  install-cert CERT.pem [--index N]\n"
        "                             device chain element N (0 the leaf)\n"
        "  time-floor TIME            move the time floor forward; TIME is\n"
        "                             seconds since 1970, YYYY-MM-DD or\n"
        "                             YYYY-MM-DDTHH:MM:SSZ\n"
        "  decommission               wipe the keys and retire the device\n"
        "\n"
        "  apply UPDATE               apply an update file to the companion;\n"
        "                             a CSR (key-rotate) goes to --out or\n"
        "                             stdout\n"
        "  status                     serial, update counter, time floor,\n"
        "                             policy\n"
        "  show UPDATE                what an update file says (not whether\n"
        "                             its signature is good: the companion\n"
        "                             decides that)\n"
        "\n"
        "options:\n"
        "  --key FILE       the admin private key (EC P-256 or P-384, PEM)\n"
        "  --serial SERIAL  the device the update is for (warden status)\n"
        "  --counter N      above the device's counter (warden admin "
        "status)\n"
        "  -o, --out FILE   where the update goes\n"
        "\n"
        "Suites: TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384\n"
        "TLS_AES_128_CCM_SHA256. Groups: x25519 secp256r1 secp384r1.\n");
}

/* ---- arguments ------------------------------------------------------ */

static int
usage_fail(const char *what, const char *arg)
{
    return tool_usage_error(CMD, what, arg);
}

/* Strict decimal: digits only, 1 to 2^63 - 1. */
static int
parse_counter(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p;

    if (s[0] == '\0') {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX / 2 - 9) / 10) {
            return -1;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads exactly n digits at *p as a number. */
static int
digits(const char **p, int n, int *out)
{
    int v = 0;

    while (n-- > 0) {
        if (**p < '0' || **p > '9') {
            return -1;
        }
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds since 1970, YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ. */
static int
parse_time(const char *s, uint64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    uint64_t v;

    if (strchr(s, '-') == NULL) {
        return parse_counter(s, out);
    }
    if (digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 ||
        *p++ != '-' || digits(&p, 2, &d) != 0) {
        return -1;
    }
    if (*p == 'T') {
        p++;
        if (digits(&p, 2, &h) != 0 || *p++ != ':' || digits(&p, 2, &mi) != 0 ||
            *p++ != ':' || digits(&p, 2, &sec) != 0 || *p++ != 'Z') {
            return -1;
        }
    }
    if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] ||
        (mo == 2 && d == 29 &&
         (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))) ||
        h > 23 || mi > 59 || sec > 59) {
        return -1;
    }
    v = (uint64_t)days_from_civil(y, mo, d) * 86400u +
        (uint64_t)(h * 3600 + mi * 60 + sec);
    *out = v;
    return 0;
}

/* One certificate from a PEM or DER file, or a message why not. */
static int
read_one_cert(const char *path, struct tk_blobs *b)
{
    struct tk_err e;

    if (tk_pem_read_file(path, "CERTIFICATE", b, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    if (b->count != 1) {
        tool_fail(CMD,
                  "%s: %zu certificates: an update carries one (split "
                  "the file)",
                  path, b->count);
        tk_blobs_free(b);
        return EXIT_FAILURE;
    }
    if (tk_cert_outline(b->item[0].data, b->item[0].len, &e) != 0) {
        tool_fail(CMD, "%s: %s", path, e.msg);
        tk_blobs_free(b);
        return EXIT_FAILURE;
    }
    if (b->item[0].len > WARDEN_CERT_MAX) {
        tool_fail(CMD,
                  "%s: certificate of %zu bytes: the companion keeps "
                  "at most %d",
                  path, b->item[0].len, WARDEN_CERT_MAX);
        tk_blobs_free(b);
        return EXIT_FAILURE;
    }
    return 0;
}

static void
sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    br_sha256_context h;

    br_sha256_init(&h);
    br_sha256_update(&h, p, len);
    br_sha256_out(&h, out);
}

/* A built-in suite or group by name (case-insensitive); 0 if none. */
static unsigned
tls_code(const char *name, size_t len, int groups)
{
    static const unsigned suites[] = {
        WARDEN_TLS_AES_128_GCM_SHA256,
        WARDEN_TLS_AES_256_GCM_SHA384,
        WARDEN_TLS_AES_128_CCM_SHA256,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
        WARDEN_TLS_ECDHE_ECDSA_WITH_AES_256_CCM};
    static const unsigned group_codes[] = {WARDEN_TLS_GROUP_X25519,
                                           WARDEN_TLS_GROUP_SECP256R1,
                                           WARDEN_TLS_GROUP_SECP384R1};
    const unsigned *list = groups ? group_codes : suites;
    size_t count = groups ? sizeof(group_codes) / sizeof(group_codes[0])
                          : sizeof(suites) / sizeof(suites[0]);
    const char *full;
    size_t i;

    for (i = 0; i < count; i++) {
        full = groups ? warden_tls_group_name(list[i])
                      : warden_tls_suite_name(list[i]);
        if (strlen(full) == len && strncasecmp(full, name, len) == 0) {
            return list[i];
        }
    }
    return 0;
}

/* A u8-counted list of u16 from "A,B,C"; NULL text: every built-in one. */
static int
put_list(const char *text, int groups, uint8_t *out, size_t *n)
{
    /* Left out: every built-in one, TLS 1.2's included. */
    static const char *const all[] = {
        "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,"
        "TLS_AES_128_CCM_SHA256,"
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,"
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM,"
        "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        "x25519,secp256r1,secp384r1"};
    const char *p = text != NULL ? text : all[groups];
    unsigned code, count = 0, i;
    char bad[64];
    size_t len;

    for (;;) {
        len = strcspn(p, ",");
        code = tls_code(p, len, groups);
        if (code == 0) {
            snprintf(bad, sizeof(bad), "%.*s", (int)(len < 60 ? len : 60), p);
            return usage_fail(groups ? "unknown group" : "unknown cipher suite",
                              bad);
        }
        for (i = 0; i < count; i++) {
            if (wd_get16(out + *n + 1 + 2 * i) == code) {
                snprintf(bad, sizeof(bad), "%.*s", (int)(len < 60 ? len : 60),
                         p);
                return usage_fail("named twice", bad);
            }
        }
        wd_put16(out + *n + 1 + 2 * count, (uint16_t)code);
        count++;
        if (p[len] == '\0') {
            break;
        }
        p += len + 1;
    }
    out[*n] = (uint8_t)count;
    *n += 1 + 2 * count;
    return 0;
}

/* ---- making updates -------------------------------------------------- */

/* The payload of maker m from the command line; 0 or the exit status. */
static int
make_payload(const struct maker *m, const struct tool_opts *o, char **argv,
             uint8_t *out, size_t cap, size_t *len)
{
    struct tk_blobs old, b;
    struct tk_err e;
    uint64_t t;
    size_t name_len;
    int ret;

    *len = 0;
    switch (m->op) {
    case WD_ADMIN_OP_ROOT_ADD:
    case WD_ADMIN_OP_ROOT_REMOVE:
        ret = read_one_cert(argv[0], &b);
        if (ret != 0) {
            return ret;
        }
        if (m->op == WD_ADMIN_OP_ROOT_ADD) {
            memcpy(out, b.item[0].data, b.item[0].len);
            *len = b.item[0].len;
        } else {
            sha256(b.item[0].data, b.item[0].len, out);
            *len = 32;
        }
        tk_blobs_free(&b);
        return 0;
    case WD_ADMIN_OP_ROOT_REPLACE:
        ret = read_one_cert(argv[0], &old);
        if (ret != 0) {
            return ret;
        }
        ret = read_one_cert(argv[1], &b);
        if (ret == 0) {
            sha256(old.item[0].data, old.item[0].len, out);
            memcpy(out + 32, b.item[0].data, b.item[0].len);
            *len = 32 + b.item[0].len;
            tk_blobs_free(&b);
        }
        tk_blobs_free(&old);
        return ret;
    case WD_ADMIN_OP_POLICY_SET:
        ret = put_list(o->suites, 0, out, len);
        return ret != 0 ? ret : put_list(o->groups, 1, out, len);
    case WD_ADMIN_OP_KEY_ROTATE:
        if (o->subject == NULL) {
            return usage_fail("key-rotate needs --subject NAME for the "
                              "CSR",
                              NULL);
        }
        out[0] = (uint8_t)(o->curve != 0 ? o->curve : TK_CURVE_P256);
        if (tk_name_parse(o->subject, out + 1, cap - 1, &name_len, &e) != 0) {
            return tool_usage_error(CMD, e.msg, NULL);
        }
        *len = 1 + name_len;
        return 0;
    case WD_ADMIN_OP_CERT_INSTALL:
        if (o->index_given && o->index >= WARDEN_CHAIN_MAX) {
            return usage_fail("--index is 0 (the leaf) to 3", NULL);
        }
        ret = read_one_cert(argv[0], &b);
        if (ret != 0) {
            return ret;
        }
        out[0] = WD_CERT_DEVICE;
        out[1] = (uint8_t)o->index;
        memcpy(out + 2, b.item[0].data, b.item[0].len);
        *len = 2 + b.item[0].len;
        tk_blobs_free(&b);
        return 0;
    case WD_ADMIN_OP_TIME_FLOOR:
        if (parse_time(argv[0], &t) != 0) {
            return usage_fail("bad time (seconds since 1970, YYYY-MM-DD or "
                              "YYYY-MM-DDTHH:MM:SSZ)",
                              argv[0]);
        }
        wd_put32(out, (uint32_t)(t >> 32));
        wd_put32(out + 4, (uint32_t)t);
        *len = 8;
        return 0;
    }
    /* DECOMMISSION carries nothing. */
    return 0;
}

/* Options given that m does not take; 0 if none. */
static int
check_options(const struct maker *m, const struct tool_opts *o)
{
    if (o->alpn != NULL || o->quiet || o->root) {
        return usage_fail("--alpn, --quiet and --root are not admin options",
                          NULL);
    }
    if ((o->key != NULL || o->serial != NULL || o->counter != NULL) &&
        !(m->options & A_SIGN)) {
        return usage_fail("--key, --serial and --counter are for making "
                          "updates, not for",
                          m->name);
    }
    if (o->curve != 0 && !(m->options & A_CURVE)) {
        return usage_fail("--curve is for key-rotate, not for", m->name);
    }
    if (o->subject != NULL && !(m->options & A_SUBJECT)) {
        return usage_fail("--subject is for key-rotate, not for", m->name);
    }
    if (o->index_given && !(m->options & A_INDEX)) {
        return usage_fail("--index is for install-cert, not for", m->name);
    }
    if ((o->suites != NULL || o->groups != NULL) && !(m->options & A_LISTS)) {
        return usage_fail("--suite and --group are for policy, not for",
                          m->name);
    }
    if (o->out != NULL && !(m->options & (A_SIGN | A_OUT))) {
        return usage_fail("--out is not an option of", m->name);
    }
    return 0;
}

static int
run_make(const struct maker *m, const struct tool_opts *o, int argc,
         char **argv)
{
    static uint8_t payload[WD_MAX_MESSAGE], update[WD_MAX_MESSAGE];
    struct tk_admin_key key;
    struct tk_err e;
    uint64_t counter;
    size_t payload_len, update_len;
    char what[64];
    int ret;

    if (o->key == NULL || o->serial == NULL || o->counter == NULL ||
        o->out == NULL) {
        return usage_fail("making an update needs --key, --serial, --counter "
                          "and --out; missing for",
                          m->name);
    }
    if (parse_counter(o->counter, &counter) != 0) {
        return usage_fail("bad counter (a whole number from 1, above the "
                          "device's: warden admin status)",
                          o->counter);
    }
    if (argc < m->min_args) {
        snprintf(what, sizeof(what), "missing %s for", m->args);
        return usage_fail(what, m->name);
    }
    if (argc > m->max_args) {
        return usage_fail("unexpected argument", argv[m->max_args]);
    }
    ret = make_payload(m, o, argv, payload, sizeof(payload), &payload_len);
    if (ret != 0) {
        return ret;
    }

    if (tk_admin_key_read(o->key, &key, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    ret = tk_update_make(&key, m->op, o->serial, counter, payload, payload_len,
                         update, sizeof(update), &update_len, &e);
    tk_admin_key_wipe(&key);
    if (ret != 0) {
        return tool_fail(CMD, "%s: %s", m->name, e.msg);
    }
    if (update_len > WD_MAX_MESSAGE) {
        return tool_fail(CMD,
                         "%s: the update is %zu bytes; the companion "
                         "takes at most %d",
                         m->name, update_len, WD_MAX_MESSAGE);
    }
    if (tk_write_file(o->out, update, update_len, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    printf("%s: %s for %s, counter %llu (%zu bytes)\n", o->out,
           tk_update_op_name(m->op), o->serial, (unsigned long long)counter,
           update_len);
    return EXIT_SUCCESS;
}

/* ---- using updates ---------------------------------------------------- */

/* Reads and outlines an update file: 0 or the exit status. */
static int
load_update(const char *path, uint8_t **data, size_t *len, struct tk_update *u)
{
    struct tk_err e;

    if (tk_read_file(path, WD_MAX_MESSAGE + 1, data, len, &e) != 0) {
        return tool_fail(CMD, "%s", e.msg);
    }
    if (tk_update_parse(*data, *len, path, u, &e) != 0) {
        free(*data);
        *data = NULL;
        return tool_fail(CMD, "%s", e.msg);
    }
    return 0;
}

static int
run_show(const struct tool_opts *o, int argc, char **argv)
{
    struct tk_update u;
    uint8_t *data;
    size_t len;
    int ret;

    (void)o;
    if (argc != 1) {
        return usage_fail(argc == 0 ? "missing the update file"
                                    : "unexpected argument",
                          argc == 0 ? NULL : argv[1]);
    }
    ret = load_update(argv[0], &data, &len, &u);
    if (ret != 0) {
        return ret;
    }
    printf("operation   %s\n", tk_update_op_name(u.op));
    printf("device      %s\n", u.serial);
    printf("counter     %llu\n", (unsigned long long)u.counter);
    printf("payload     %zu bytes\n", u.payload_len);
    printf("signature   %s, %zu bytes\n",
           u.alg == WD_ADMIN_SIG_ECDSA_P256_SHA256   ? "ECDSA P-256 SHA-256"
           : u.alg == WD_ADMIN_SIG_ECDSA_P384_SHA384 ? "ECDSA P-384 SHA-384"
                                                     : "unknown algorithm",
           u.sig_len);
    free(data);
    return EXIT_SUCCESS;
}

/* Why the companion refused an update, in words. */
static int
refused(struct warden_dev *dev, const char *path, const struct tk_update *u)
{
    struct warden_admin_status st;
    struct warden_info info;
    unsigned status = tool_status(dev);
    char what[600];

    snprintf(what, sizeof(what), "%s (%s, counter %llu)", path,
             tk_update_op_name(u->op), (unsigned long long)u->counter);
    switch (status) {
    case WD_STATUS_BAD_SIGNATURE:
        return tool_fail(CMD,
                         "%s: refused: not signed by this companion's "
                         "admin key, or changed after signing "
                         "(BAD_SIGNATURE)",
                         what);
    case WD_STATUS_WRONG_DEVICE:
        if (warden_get_info(dev, &info) == WARDEN_ERR_OK) {
            return tool_fail(CMD,
                             "%s: refused: made for device %s, this "
                             "companion is %s (WRONG_DEVICE)",
                             what, u->serial, info.serial);
        }
        return tool_fail(CMD,
                         "%s: refused: made for another device "
                         "(WRONG_DEVICE)",
                         what);
    case WD_STATUS_REPLAYED:
    case WD_STATUS_STALE:
        if (warden_admin_status(dev, &st) == WARDEN_ERR_OK) {
            return tool_fail(
                CMD,
                "%s: refused: %s; the companion's counter is %llu, the "
                "next update needs %llu or more (%s)",
                what,
                status == WD_STATUS_REPLAYED
                    ? "already applied (a replay)"
                    : "older than an update already applied",
                (unsigned long long)st.counter,
                (unsigned long long)st.counter + 1, wd_status_name(status));
        }
        break;
    case WD_STATUS_TIME_BACKWARDS:
        return tool_fail(CMD,
                         "%s: refused: the time floor is already at or "
                         "past that time (TIME_BACKWARDS)",
                         what);
    case WD_STATUS_NOT_FOUND:
        return tool_fail(CMD,
                         "%s: refused: the companion has no such root "
                         "(or no admin key) (NOT_FOUND)",
                         what);
    case WD_STATUS_NOT_ALLOWED:
        if (warden_get_info(dev, &info) != WARDEN_ERR_OK) {
            break;
        }
        if (info.lifecycle == WD_LIFECYCLE_MANUFACTURING) {
            return tool_fail(CMD,
                             "%s: refused: the companion is still in "
                             "manufacturing, where the provisioning "
                             "commands do this (NOT_ALLOWED)",
                             what);
        }
        if (info.lifecycle == WD_LIFECYCLE_DECOMMISSIONED) {
            return tool_fail(CMD,
                             "%s: refused: the companion is "
                             "decommissioned (NOT_ALLOWED)",
                             what);
        }
        break;
    case WD_STATUS_POLICY:
        return tool_fail(CMD,
                         "%s: refused: the policy names a suite or "
                         "group this companion does not have (POLICY)",
                         what);
    }
    return tool_report(dev, CMD " apply", what);
}

static void
say_applied(const struct tk_update *u, const uint8_t *resp, size_t len)
{
    printf("applied: %s (device %s, counter %llu)\n", tk_update_op_name(u->op),
           u->serial, (unsigned long long)u->counter);
    if ((u->op == WD_ADMIN_OP_ROOT_ADD || u->op == WD_ADMIN_OP_ROOT_REPLACE) &&
        len == 1) {
        printf("root slot %u\n", resp[0]);
    }
    if (u->op == WD_ADMIN_OP_DECOMMISSION) {
        printf("the companion is decommissioned: its keys are gone\n");
    }
}

static int
run_apply(const struct tool_opts *o, int argc, char **argv)
{
    static uint8_t resp[WD_MAX_MESSAGE];
    struct warden_dev dev;
    struct tk_update u;
    uint8_t *data;
    size_t len, resp_len;
    char boot[WARDEN_ERRMSG_MAX + 64];
    int ret;

    if (argc != 1) {
        return usage_fail(argc == 0 ? "missing the update file"
                                    : "unexpected argument",
                          argc == 0 ? NULL : argv[1]);
    }
    ret = load_update(argv[0], &data, &len, &u);
    if (ret != 0) {
        return ret;
    }
    if (o->out != NULL && u.op != WD_ADMIN_OP_KEY_ROTATE) {
        free(data);
        return usage_fail("--out is for the CSR of a key-rotate update; this "
                          "one is",
                          tk_update_op_name(u.op));
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        free(data);
        return ret;
    }
    /*
     * A key rotation signs its request with the new device key: like any
     * use of that key, it needs this program's verified boot.
     */
    if (u.op == WD_ADMIN_OP_KEY_ROTATE &&
        !tool_secure_boot(&dev, "", boot, sizeof(boot))) {
        fprintf(stderr, "warden: admin: secure boot %s\n", boot);
    }
    if (warden_admin_update(&dev, data, len, resp, sizeof(resp), &resp_len) !=
        WARDEN_ERR_OK) {
        ret = refused(&dev, argv[0], &u);
    } else {
        say_applied(&u, resp, resp_len);
        if (u.op == WD_ADMIN_OP_KEY_ROTATE) {
            ret = tool_write_pem(CMD, o->out, "CERTIFICATE REQUEST", resp,
                                 resp_len);
        }
    }
    warden_close(&dev);
    free(data);
    return ret;
}

static void
print_list(const char *label, const unsigned *list, size_t n, int groups)
{
    const char *name;
    size_t i;

    printf("%-16s", label);
    for (i = 0; i < n; i++) {
        name = groups ? warden_tls_group_name(list[i])
                      : warden_tls_suite_name(list[i]);
        if (name != NULL) {
            printf("%s%s", i ? ", " : "", name);
        } else {
            printf("%s0x%04x", i ? ", " : "", list[i]);
        }
    }
    printf("\n");
}

static int
run_status_admin(const struct tool_opts *o, int argc, char **argv)
{
    struct warden_admin_status st;
    struct warden_info info;
    struct warden_dev dev;
    char when[TK_TIME_MAX];
    int ret;

    if (argc > 0) {
        return usage_fail("unexpected argument", argv[0]);
    }
    ret = tool_open(&dev, o->address);
    if (ret != 0) {
        return ret;
    }
    if (warden_get_info(&dev, &info) != WARDEN_ERR_OK ||
        warden_admin_status(&dev, &st) != WARDEN_ERR_OK) {
        ret = tool_report(&dev, CMD " status", NULL);
        warden_close(&dev);
        return ret;
    }
    warden_close(&dev);
    tk_format_time(st.time_floor, when);
    printf("%-16s%s\n", "serial", info.serial_len ? info.serial : "(none)");
    printf("%-16s%s\n", "lifecycle", wd_lifecycle_label(info.lifecycle));
    printf("%-16s%s\n", "admin key",
           st.admin_key ? tk_curve_name(st.admin_key) : "(none)");
    printf("%-16s%llu (the next update needs %llu or more)\n", "update counter",
           (unsigned long long)st.counter, (unsigned long long)st.counter + 1);
    printf("%-16s%s\n", "time floor", when);
    if (!st.policy_stored) {
        printf("%-16s%s\n", "policy", "built-in (every suite and group)");
    } else {
        print_list("suites", st.suites, st.n_suites, 0);
        print_list("groups", st.groups, st.n_groups, 1);
    }
    return EXIT_SUCCESS;
}

int
run_admin(const struct tool_opts *o, int argc, char **argv)
{
    static const struct maker apply = {"apply", 0, A_OUT, 1, 1, ""};
    static const struct maker status = {"status", 0, 0, 0, 0, ""};
    static const struct maker show = {"show", 0, 0, 1, 1, ""};
    const struct maker *m = NULL;
    size_t i;
    int ret;

    if (argc == 0) {
        return usage_fail("missing the operation (root-add, apply, status, "
                          "...)",
                          NULL);
    }
    if (strcmp(argv[0], "apply") == 0) {
        m = &apply;
    } else if (strcmp(argv[0], "status") == 0) {
        m = &status;
    } else if (strcmp(argv[0], "show") == 0) {
        m = &show;
    }
    for (i = 0; m == NULL && i < MAKERS; i++) {
        if (strcmp(argv[0], makers[i].name) == 0) {
            m = &makers[i];
        }
    }
    if (m == NULL) {
        return usage_fail("unknown operation", argv[0]);
    }
    ret = check_options(m, o);
    if (ret != 0) {
        return ret;
    }
    if (m == &apply) {
        return run_apply(o, argc - 1, argv + 1);
    }
    if (m == &status) {
        return run_status_admin(o, argc - 1, argv + 1);
    }
    if (m == &show) {
        return run_show(o, argc - 1, argv + 1);
    }
    return run_make(m, o, argc - 1, argv + 1);
}
