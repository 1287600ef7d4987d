/*
 * The provisioning config file of `warden provision`: "key = value"
 * lines. Everything is checked before the first command goes to the
 * companion, so a typo cannot leave a device half provisioned; this
 * file does the syntax, the provision command the files it names.
 */
#include <stdlib.h>
#include <string.h>

#include "toolkit.h"

#define CONFIG_MAX 65536

static const char *const key_names[TK_CONF_KEYS] = {
    [TK_CONF_SERIAL] = "serial",
    [TK_CONF_CURVE] = "curve",
    [TK_CONF_ATTESTATION_CURVE] = "attestation_curve",
    [TK_CONF_SUBJECT] = "subject",
    [TK_CONF_ATTESTATION_SUBJECT] = "attestation_subject",
    [TK_CONF_SIGN_COMMAND] = "sign_command",
    [TK_CONF_ATTESTATION_SIGN_COMMAND] = "attestation_sign_command",
    [TK_CONF_OUTPUT_DIR] = "output_dir",
    [TK_CONF_CHAIN] = "chain",
    [TK_CONF_ROOTS] = "roots",
    [TK_CONF_ADMIN_KEY] = "admin_key",
    [TK_CONF_FIRMWARE_KEY] = "firmware_key",
    [TK_CONF_LOCK] = "lock",
};

const char *
tk_config_key_name(enum tk_conf_key key)
{
    return (unsigned)key < TK_CONF_KEYS ? key_names[key] : "?";
}

static char *
copy(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* dir/value, or value itself when it is absolute. */
static char *
resolve(const char *dir, const char *value, size_t len)
{
    size_t dlen = strlen(dir);
    char *p;

    if (value[0] == '/') {
        return copy(value, len);
    }
    p = malloc(dlen + 1 + len + 1);
    if (p != NULL) {
        memcpy(p, dir, dlen);
        p[dlen] = '/';
        memcpy(p + dlen + 1, value, len);
        p[dlen + 1 + len] = '\0';
    }
    return p;
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Stores one key's value; line is for messages. */
static int
set_key(struct tk_config *c, enum tk_conf_key key, const char *v, size_t len,
        unsigned line, struct tk_err *e)
{
    char **slot = NULL;
    char *s;

    switch (key) {
    case TK_CONF_CURVE:
    case TK_CONF_ATTESTATION_CURVE:
        s = copy(v, len);
        if (s == NULL) {
            return tk_fail(e, "out of memory");
        }
        *(key == TK_CONF_CURVE ? &c->curve : &c->attestation_curve) =
            tk_curve_parse(s);
        free(s);
        if ((key == TK_CONF_CURVE ? c->curve : c->attestation_curve) == 0) {
            return tk_fail(e,
                           "%s:%u: unknown curve '%.*s' for %s: p256 or "
                           "p384",
                           c->path, line, (int)(len > 40 ? 40 : len), v,
                           key_names[key]);
        }
        return 0;
    case TK_CONF_LOCK:
        if (len == 3 && memcmp(v, "yes", 3) == 0) {
            c->lock = 1;
        } else if (len == 2 && memcmp(v, "no", 2) == 0) {
            c->lock = 0;
        } else {
            return tk_fail(e, "%s:%u: lock must be yes or no", c->path, line);
        }
        return 0;
    case TK_CONF_CHAIN:
    case TK_CONF_ROOTS:
        if ((key == TK_CONF_CHAIN ? c->chain_count : c->roots_count) ==
            TK_CONF_LIST_MAX) {
            return tk_fail(e, "%s:%u: more than %d %s lines", c->path, line,
                           TK_CONF_LIST_MAX, key_names[key]);
        }
        slot = key == TK_CONF_CHAIN ? &c->chain[c->chain_count++]
                                    : &c->roots[c->roots_count++];
        *slot = resolve(c->dir, v, len);
        return *slot == NULL ? tk_fail(e, "out of memory") : 0;
    case TK_CONF_SERIAL:
        slot = &c->serial;
        break;
    case TK_CONF_SUBJECT:
        slot = &c->subject;
        break;
    case TK_CONF_ATTESTATION_SUBJECT:
        slot = &c->attestation_subject;
        break;
    case TK_CONF_SIGN_COMMAND:
        slot = &c->sign_command;
        break;
    case TK_CONF_ATTESTATION_SIGN_COMMAND:
        slot = &c->attestation_sign_command;
        break;
    case TK_CONF_OUTPUT_DIR:
    case TK_CONF_ADMIN_KEY:
    case TK_CONF_FIRMWARE_KEY:
        slot = key == TK_CONF_OUTPUT_DIR  ? &c->output_dir
               : key == TK_CONF_ADMIN_KEY ? &c->admin_key
                                          : &c->firmware_key;
        *slot = resolve(c->dir, v, len);
        return *slot == NULL ? tk_fail(e, "out of memory") : 0;
    case TK_CONF_KEYS:
        break;
    }
    if (slot == NULL) {
        return tk_fail(e, "%s:%u: internal error", c->path, line);
    }
    *slot = copy(v, len);
    return *slot == NULL ? tk_fail(e, "out of memory") : 0;
}

static int
parse_line(struct tk_config *c, const char *s, size_t len, unsigned line,
           struct tk_err *e)
{
    const char *eq;
    size_t klen;
    size_t vstart;
    int key;

    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1])) {
        len--;
    }
    if (len == 0 || s[0] == '#') {
        return 0;
    }
    eq = memchr(s, '=', len);
    if (eq == NULL) {
        return tk_fail(e, "%s:%u: expected 'key = value', got '%.*s'", c->path,
                       line, (int)(len > 40 ? 40 : len), s);
    }
    klen = (size_t)(eq - s);
    while (klen > 0 && is_space(s[klen - 1])) {
        klen--;
    }
    if (klen == 0) {
        return tk_fail(e, "%s:%u: no key before '='", c->path, line);
    }
    for (key = 0; key < TK_CONF_KEYS; key++) {
        if (strlen(key_names[key]) == klen &&
            memcmp(key_names[key], s, klen) == 0) {
            break;
        }
    }
    if (key == TK_CONF_KEYS) {
        return tk_fail(e, "%s:%u: unknown key '%.*s'", c->path, line,
                       (int)(klen > 40 ? 40 : klen), s);
    }
    vstart = (size_t)(eq - s) + 1;
    while (vstart < len && is_space(s[vstart])) {
        vstart++;
    }
    if (vstart == len) {
        return tk_fail(e, "%s:%u: empty value for '%s'", c->path, line,
                       key_names[key]);
    }
    if (c->line[key] != 0 && key != TK_CONF_CHAIN && key != TK_CONF_ROOTS) {
        return tk_fail(e, "%s:%u: '%s' given twice (first on line %u)", c->path,
                       line, key_names[key], c->line[key]);
    }
    if (c->line[key] == 0) {
        c->line[key] = line;
    }
    return set_key(c, (enum tk_conf_key)key, s + vstart, len - vstart, line, e);
}

/* The folder of path: "." when it has no slash. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return copy(".", 1);
    }
    return copy(path, slash == path ? 1 : (size_t)(slash - path));
}

int
tk_config_parse(const char *text, size_t len, const char *path,
                struct tk_config *c, struct tk_err *e)
{
    unsigned line = 0;
    size_t start = 0;
    size_t end;

    memset(c, 0, sizeof(*c));
    c->curve = TK_CURVE_P256;
    c->attestation_curve = TK_CURVE_P256;
    c->path = copy(path, strlen(path));
    c->dir = dir_of(path);
    if (c->path == NULL || c->dir == NULL) {
        tk_config_free(c);
        return tk_fail(e, "out of memory");
    }
    if (memchr(text, '\0', len) != NULL) {
        tk_fail(e, "%s: not a text file (has a NUL byte)", path);
        tk_config_free(c);
        return -1;
    }

    while (start < len) {
        line++;
        end = start;
        while (end < len && text[end] != '\n') {
            end++;
        }
        if (parse_line(c, text + start, end - start, line, e) != 0) {
            tk_config_free(c);
            return -1;
        }
        start = end + 1;
    }
    if (c->output_dir == NULL) {
        c->output_dir = copy(c->dir, strlen(c->dir));
        if (c->output_dir == NULL) {
            tk_config_free(c);
            return tk_fail(e, "out of memory");
        }
    }
    return 0;
}

int
tk_config_load(const char *path, struct tk_config *c, struct tk_err *e)
{
    uint8_t *text;
    size_t len;
    int ret;

    memset(c, 0, sizeof(*c));
    if (tk_read_file(path, CONFIG_MAX, &text, &len, e) != 0) {
        return -1;
    }
    ret = tk_config_parse((const char *)text, len, path, c, e);
    free(text);
    return ret;
}

void
tk_config_free(struct tk_config *c)
{
    size_t i;

    free(c->path);
    free(c->dir);
    free(c->serial);
    free(c->subject);
    free(c->attestation_subject);
    free(c->sign_command);
    free(c->attestation_sign_command);
    free(c->output_dir);
    for (i = 0; i < c->chain_count; i++) {
        free(c->chain[i]);
    }
    for (i = 0; i < c->roots_count; i++) {
        free(c->roots[i]);
    }
    free(c->admin_key);
    free(c->firmware_key);
    memset(c, 0, sizeof(*c));
}
