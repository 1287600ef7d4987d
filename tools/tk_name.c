/*
 * X.509 distinguished names as text, both ways (toolkit.h has the
 * forms). Parsing is strict, because a subject goes into a certificate
 * that will outlive any typo: unknown attributes, empty values, values
 * longer than X.520 allows and characters a string type cannot hold are
 * refused with a message naming the attribute.
 */
#include <stdio.h>
#include <string.h>

#include "toolkit.h"

#define TAG_OID 0x06
#define TAG_UTF8 0x0c
#define TAG_PRINTABLE 0x13
#define TAG_T61 0x14
#define TAG_IA5 0x16
#define TAG_VISIBLE 0x1a
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31

/* Bytes of one decoded value; X.520 bounds are far below. */
#define VALUE_MAX 1024
/* RDNs of one Name: more is no name anyone means. */
#define RDN_MAX 64
/* DER of one AVA: SEQUENCE, OID, value. */
/* DER of all RDNs of a Name being parsed. */
#define NAME_SCRATCH 4096
#define OID_MAX 32

struct attr {
    const char *name;  /* shown, and accepted */
    const char *alias; /* accepted too; may be NULL */
    uint8_t oid[10];
    size_t oid_len;
    unsigned tag;     /* string type written */
    size_t max_chars; /* upper bound from X.520 / RFC 5280 */
};

static const struct attr attrs[] = {
    {"CN", "commonName", {0x55, 0x04, 0x03}, 3, TAG_UTF8, 64},
    {"serialNumber", NULL, {0x55, 0x04, 0x05}, 3, TAG_PRINTABLE, 64},
    {"C", "countryName", {0x55, 0x04, 0x06}, 3, TAG_PRINTABLE, 2},
    {"L", "localityName", {0x55, 0x04, 0x07}, 3, TAG_UTF8, 128},
    {"ST", "stateOrProvinceName", {0x55, 0x04, 0x08}, 3, TAG_UTF8, 128},
    {"street", "streetAddress", {0x55, 0x04, 0x09}, 3, TAG_UTF8, 128},
    {"O", "organizationName", {0x55, 0x04, 0x0a}, 3, TAG_UTF8, 64},
    {"OU", "organizationalUnitName", {0x55, 0x04, 0x0b}, 3, TAG_UTF8, 64},
    {"title", NULL, {0x55, 0x04, 0x0c}, 3, TAG_UTF8, 64},
    {"emailAddress",
     NULL,
     {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01},
     9,
     TAG_IA5,
     255},
    {"DC",
     "domainComponent",
     {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19},
     10,
     TAG_IA5,
     63},
    {"UID",
     "userId",
     {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01},
     10,
     TAG_UTF8,
     256},
};

#define ATTR_COUNT (sizeof(attrs) / sizeof(attrs[0]))

/* RFC 4514 section 2.4: characters escaped wherever they are. */
static const char specials[] = ",+\"\\<>;";
/* What "\" may stand before in input: the above and a few more. */
static const char escapable[] = ",+\"\\<>;=/# ";

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive compare of s[0..len) with the NUL-terminated name. */
static int
same_name(const char *s, size_t len, const char *name)
{
    size_t i;

    if (name == NULL || strlen(name) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)name[i])) {
            return 0;
        }
    }
    return 1;
}

static int
hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/*
 * Counts the characters of UTF-8 text, or returns -1 if it is not
 * well-formed (overlong forms, surrogates and values past U+10FFFF
 * included).
 */
static long
utf8_chars(const uint8_t *p, size_t len)
{
    long count = 0;
    size_t i = 0;
    size_t n;
    size_t k;
    unsigned long cp;

    while (i < len) {
        if (p[i] < 0x80) {
            n = 0;
            cp = p[i];
        } else if ((p[i] & 0xe0) == 0xc0) {
            n = 1;
            cp = p[i] & 0x1f;
        } else if ((p[i] & 0xf0) == 0xe0) {
            n = 2;
            cp = p[i] & 0x0f;
        } else if ((p[i] & 0xf8) == 0xf0) {
            n = 3;
            cp = p[i] & 0x07;
        } else {
            return -1;
        }
        if (len - i - 1 < n) {
            return -1;
        }
        for (k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
            (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }
        i += n + 1;
        count++;
    }
    return count;
}

static int
printable_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr(" '()+,-./:=?", c));
}

/* ---- text to DER ---------------------------------------------------- */

/* Encodes a dotted OID ("1.2.840.113549") as DER content bytes. */
static int
oid_from_text(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    unsigned long arcs[OID_MAX / 2];
    size_t count = 0;
    size_t i = 0;
    size_t n = 0;
    unsigned long v;
    unsigned long first;
    uint8_t tmp[5];
    size_t k;
    size_t a;

    while (i < len) {
        if (count == sizeof(arcs) / sizeof(arcs[0]) || s[i] < '0' ||
            s[i] > '9' || (s[i] == '0' && i + 1 < len && s[i + 1] != '.')) {
            return -1;
        }
        v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (v > (0xffffffffUL - (unsigned long)(s[i] - '0')) / 10) {
                return -1;
            }
            v = v * 10 + (unsigned long)(s[i] - '0');
            i++;
        }
        arcs[count++] = v;
        if (i < len && (s[i] != '.' || i + 1 == len)) {
            return -1;
        }
        i++;
    }
    if (count < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) ||
        arcs[1] > 0xffffffffUL - 80) {
        return -1;
    }

    first = arcs[0] * 40 + arcs[1];
    for (a = 1; a < count; a++) {
        v = a == 1 ? first : arcs[a];
        k = 0;
        do {
            tmp[k++] = (uint8_t)(v & 0x7f);
            v >>= 7;
        } while (v > 0);
        if (n + k > OID_MAX) {
            return -1;
        }
        while (k > 0) {
            k--;
            out[n++] = (uint8_t)(tmp[k] | (k > 0 ? 0x80 : 0));
        }
    }
    *out_len = n;
    return 0;
}

/* One component's attribute: from the table, or a dotted OID. */
struct parsed_type {
    const struct attr *known; /* NULL for a dotted OID */
    uint8_t oid[OID_MAX];
    size_t oid_len;
    char shown[48]; /* the name for messages */
};

static int
parse_type(const char *s, size_t len, struct parsed_type *t, struct tk_err *e)
{
    size_t i;

    memset(t, 0, sizeof(*t));
    if (len == 0) {
        return tk_fail(e, "an attribute has no name before its '='");
    }
    snprintf(t->shown, sizeof(t->shown), "%.*s", (int)len, s);
    for (i = 0; i < ATTR_COUNT; i++) {
        if (same_name(s, len, attrs[i].name) ||
            same_name(s, len, attrs[i].alias)) {
            t->known = &attrs[i];
            memcpy(t->oid, attrs[i].oid, attrs[i].oid_len);
            t->oid_len = attrs[i].oid_len;
            snprintf(t->shown, sizeof(t->shown), "%s", attrs[i].name);
            return 0;
        }
    }
    if (s[0] >= '0' && s[0] <= '9') {
        if (oid_from_text(s, len, t->oid, &t->oid_len) != 0) {
            return tk_fail(e, "bad OID '%s'", t->shown);
        }
        return 0;
    }
    return tk_fail(e,
                   "unknown attribute '%s' (known: CN, O, OU, C, L, ST, "
                   "street, serialNumber, title, emailAddress, DC, UID, or "
                   "a dotted OID)",
                   t->shown);
}

/*
 * Undoes the escapes of a value s[0..len) into out, and drops the spaces
 * around it that were not escaped. Sets *hex when the value is "#" and
 * hex digits (RFC 4514's form for a raw DER value).
 */
static int
unescape(const char *s, size_t len, const char *attr, uint8_t *out,
         size_t *out_len, int *hex, struct tk_err *e)
{
    size_t n = 0;
    size_t keep = 0; /* length up to the last byte not to trim */
    size_t i = 0;
    int h1;
    int h2;

    while (len > 0 && s[0] == ' ') {
        s++;
        len--;
    }
    *hex = len > 0 && s[0] == '#';
    while (i < len) {
        if (n == VALUE_MAX) {
            return tk_fail(e, "value of %s is over %d bytes", attr, VALUE_MAX);
        }
        if (s[i] != '\\') {
            out[n++] = (uint8_t)s[i++];
            if (out[n - 1] != ' ') {
                keep = n;
            }
            continue;
        }
        if (i + 1 == len) {
            return tk_fail(e, "value of %s ends with a lone '\\'", attr);
        }
        h1 = hex_value((unsigned char)s[i + 1]);
        h2 = i + 2 < len ? hex_value((unsigned char)s[i + 2]) : -1;
        if (h1 >= 0 && h2 >= 0) {
            out[n++] = (uint8_t)(h1 << 4 | h2);
            i += 3;
        } else if (strchr(escapable, s[i + 1]) != NULL) {
            out[n++] = (uint8_t)s[i + 1];
            i += 2;
        } else {
            return tk_fail(e,
                           "value of %s has a bad escape '\\%c': escape one "
                           "of , + \" \\ < > ; = / # or a space, or give "
                           "two hex digits",
                           attr, s[i + 1]);
        }
        keep = n;
    }
    *out_len = keep;
    return 0;
}

/* Decodes "#hex" into one whole DER element. */
static int
value_from_hex(const uint8_t *v, size_t len, const char *attr, uint8_t *out,
               size_t *out_len, struct tk_err *e)
{
    const uint8_t *p = out;
    struct tk_tlv t;
    struct tk_err why;
    size_t i;
    int h1;
    int h2;

    if (len < 2 || (len - 1) % 2 != 0) {
        return tk_fail(e,
                       "value of %s: '#' must be followed by an even "
                       "number of hex digits",
                       attr);
    }
    for (i = 1; i < len; i += 2) {
        h1 = hex_value(v[i]);
        h2 = hex_value(v[i + 1]);
        if (h1 < 0 || h2 < 0) {
            return tk_fail(e,
                           "value of %s: '#' must be followed by hex "
                           "digits only",
                           attr);
        }
        out[i / 2] = (uint8_t)(h1 << 4 | h2);
    }
    *out_len = (len - 1) / 2;
    if (tk_der_read(&p, out + *out_len, &t, &why) != 0 || p != out + *out_len) {
        return tk_fail(e, "value of %s: the hex is not one DER element", attr);
    }
    return 0;
}

/* Checks a text value against its attribute's string type and bound. */
static int
check_value(const struct parsed_type *t, const uint8_t *v, size_t len,
            struct tk_err *e)
{
    unsigned tag = t->known != NULL ? t->known->tag : TAG_UTF8;
    long chars;
    size_t i;

    if (len == 0) {
        return tk_fail(e, "empty value for %s", t->shown);
    }
    for (i = 0; i < len; i++) {
        if (v[i] < 0x20 || v[i] == 0x7f) {
            return tk_fail(e, "value of %s has control character 0x%02x",
                           t->shown, v[i]);
        }
        if (tag == TAG_PRINTABLE && !printable_char(v[i])) {
            return tk_fail(e,
                           "value of %s has '%c', which a PrintableString "
                           "cannot hold (letters, digits, space and "
                           "'()+,-./:=? only)",
                           t->shown, v[i] < 0x80 ? v[i] : '?');
        }
        if (tag == TAG_IA5 && v[i] >= 0x80) {
            return tk_fail(e, "value of %s must be ASCII", t->shown);
        }
    }
    chars = utf8_chars(v, len);
    if (chars < 0) {
        return tk_fail(e, "value of %s is not valid UTF-8", t->shown);
    }
    if (t->known == NULL) {
        return 0;
    }
    if (strcmp(t->known->name, "C") == 0 &&
        (len != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')) {
        return tk_fail(e, "C must be a two-letter country code in capitals, "
                          "such as CZ");
    }
    if ((size_t)chars > t->known->max_chars) {
        return tk_fail(e, "value of %s has %ld characters, at most %zu",
                       t->shown, chars, t->known->max_chars);
    }
    return 0;
}

/* Appends SEQUENCE { OID, value } wrapped in a SET to out. */
static int
encode_rdn(const struct parsed_type *t, const uint8_t *value, size_t value_len,
           int raw, uint8_t *out, size_t cap, size_t *out_len, struct tk_err *e)
{
    size_t oid_tlv = tk_der_header(NULL, TAG_OID, t->oid_len) + t->oid_len;
    size_t val_tlv =
        raw ? value_len
            : tk_der_header(NULL, t->known != NULL ? t->known->tag : TAG_UTF8,
                            value_len) +
                  value_len;
    size_t ava = tk_der_header(NULL, TAG_SEQUENCE, oid_tlv + val_tlv) +
                 oid_tlv + val_tlv;
    size_t set = tk_der_header(NULL, TAG_SET, ava) + ava;
    size_t n = 0;

    if (set > cap) {
        return tk_fail(e, "the name takes over %d bytes of DER", NAME_SCRATCH);
    }
    n += tk_der_header(out + n, TAG_SET, ava);
    n += tk_der_header(out + n, TAG_SEQUENCE, oid_tlv + val_tlv);
    n += tk_der_header(out + n, TAG_OID, t->oid_len);
    memcpy(out + n, t->oid, t->oid_len);
    n += t->oid_len;
    if (!raw) {
        n += tk_der_header(out + n, t->known != NULL ? t->known->tag : TAG_UTF8,
                           value_len);
    }
    memcpy(out + n, value, value_len);
    n += value_len;
    *out_len = n;
    return 0;
}

/*
 * Finds the end of the component starting at s[i]: the next unescaped
 * sep, or the end of the text.
 */
static size_t
component_end(const char *s, size_t len, size_t i, char sep)
{
    while (i < len && s[i] != sep) {
        i += s[i] == '\\' && i + 1 < len ? 2 : 1;
    }
    return i;
}

/* Parses one "type=value" into an RDN's DER at out. */
static int
parse_component(const char *s, size_t len, int slash_form, uint8_t *out,
                size_t cap, size_t *out_len, struct tk_err *e)
{
    struct parsed_type t;
    uint8_t value[VALUE_MAX];
    uint8_t der_value[VALUE_MAX];
    size_t value_len = 0;
    size_t tlen;
    size_t eq;
    int hex;

    eq = component_end(s, len, 0, '=');
    if (eq == len) {
        return tk_fail(e, "'%.*s' has no '='", (int)(len > 60 ? 60 : len), s);
    }
    if (!slash_form && component_end(s, len, 0, '+') < len) {
        return tk_fail(e, "multi-valued RDNs are not supported: escape "
                          "'+' as '\\+'");
    }
    tlen = eq;
    while (tlen > 0 && s[tlen - 1] == ' ') {
        tlen--;
    }
    while (tlen > 0 && s[0] == ' ') {
        s++;
        tlen--;
        eq--;
        len--;
    }
    if (memchr(s, '\\', tlen) != NULL) {
        return tk_fail(e, "attribute name '%.*s' has an escape",
                       (int)(tlen > 40 ? 40 : tlen), s);
    }
    if (parse_type(s, tlen, &t, e) != 0) {
        return -1;
    }
    if (unescape(s + eq + 1, len - eq - 1, t.shown, value, &value_len, &hex,
                 e) != 0) {
        return -1;
    }
    if (hex) {
        if (value_from_hex(value, value_len, t.shown, der_value, &value_len,
                           e) != 0) {
            return -1;
        }
        return encode_rdn(&t, der_value, value_len, 1, out, cap, out_len, e);
    }
    if (check_value(&t, value, value_len, e) != 0) {
        return -1;
    }
    return encode_rdn(&t, value, value_len, 0, out, cap, out_len, e);
}

int
tk_name_parse(const char *text, uint8_t *der, size_t cap, size_t *len,
              struct tk_err *e)
{
    uint8_t rdns[NAME_SCRATCH];
    size_t off[RDN_MAX];
    size_t rdn_len[RDN_MAX];
    size_t count = 0;
    size_t tlen = strlen(text);
    size_t body = 0;
    size_t i;
    size_t j;
    size_t end;
    size_t n;
    char sep;
    int slash;

    *len = 0;
    while (tlen > 0 && (text[0] == ' ' || text[0] == '\t')) {
        text++;
        tlen--;
    }
    while (tlen > 0 && (text[tlen - 1] == ' ' || text[tlen - 1] == '\t') &&
           !(tlen > 1 && text[tlen - 2] == '\\')) {
        tlen--;
    }
    if (tlen == 0) {
        return tk_fail(e, "empty name");
    }
    slash = text[0] == '/';
    sep = slash ? '/' : ',';

    for (i = slash ? 1 : 0; i <= tlen; i = end + 1) {
        end = component_end(text, tlen, i, sep);
        if (end == i) {
            return tk_fail(e, "empty attribute at character %zu", i + 1);
        }
        if (count == RDN_MAX) {
            return tk_fail(e, "more than %d attributes", RDN_MAX);
        }
        off[count] = body;
        if (parse_component(text + i, end - i, slash, rdns + body,
                            sizeof(rdns) - body, &rdn_len[count], e) != 0) {
            return -1;
        }
        body += rdn_len[count];
        count++;
    }

    n = tk_der_header(NULL, TAG_SEQUENCE, body);
    if (n + body > cap) {
        return tk_fail(e, "the name takes %zu bytes of DER, at most %zu",
                       n + body, cap);
    }
    n = tk_der_header(der, TAG_SEQUENCE, body);
    /* RFC 4514 writes the last RDN first; OpenSSL's form is in order. */
    for (j = 0; j < count; j++) {
        i = slash ? j : count - 1 - j;
        memcpy(der + n, rdns + off[i], rdn_len[i]);
        n += rdn_len[i];
    }
    *len = n;
    return 0;
}

/* ---- DER to text ---------------------------------------------------- */

struct out {
    char *p;
    size_t cap;
    size_t n;
    int overflow;
};

static void
put(struct out *o, const char *s, size_t len)
{
    if (o->overflow || len >= o->cap - o->n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->n, s, len);
    o->n += len;
    o->p[o->n] = '\0';
}

static void
puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void
put_hex_byte(struct out *o, uint8_t b)
{
    static const char digits[] = "0123456789ABCDEF";
    char h[2];

    h[0] = digits[b >> 4];
    h[1] = digits[b & 15];
    put(o, h, 2);
}

/* Dotted text of an OID's content bytes; -1 if malformed. */
static int
put_oid(struct out *o, const uint8_t *p, size_t len)
{
    unsigned long v = 0;
    int first = 1;
    char num[24];
    size_t i;

    if (len == 0 || (p[len - 1] & 0x80)) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        /* A leading 0x80 is a non-minimal arc. */
        if (v == 0 && p[i] == 0x80) {
            return -1;
        }
        if (v > (0xffffffffUL >> 7)) {
            return -1;
        }
        v = (v << 7) | (p[i] & 0x7f);
        if (p[i] & 0x80) {
            continue;
        }
        if (first) {
            snprintf(num, sizeof(num), "%lu.%lu", v < 80 ? v / 40 : 2,
                     v < 80 ? v % 40 : v - 80);
            first = 0;
        } else {
            snprintf(num, sizeof(num), ".%lu", v);
        }
        puts_(o, num);
        v = 0;
    }
    return 0;
}

static const struct attr *
find_oid(const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < ATTR_COUNT; i++) {
        if (attrs[i].oid_len == len && memcmp(attrs[i].oid, p, len) == 0) {
            return &attrs[i];
        }
    }
    return NULL;
}

/* A string value, escaped as RFC 4514 section 2.4 says. */
static void
put_escaped(struct out *o, const uint8_t *v, size_t len)
{
    char c[2];
    size_t i;

    for (i = 0; i < len; i++) {
        if (v[i] < 0x20 || v[i] == 0x7f) {
            put(o, "\\", 1);
            put_hex_byte(o, v[i]);
            continue;
        }
        if ((v[i] != '\0' && strchr(specials, v[i]) != NULL) ||
            (i == 0 && (v[i] == ' ' || v[i] == '#')) ||
            (i == len - 1 && v[i] == ' ')) {
            put(o, "\\", 1);
        }
        c[0] = (char)v[i];
        put(o, c, 1);
    }
}

/* Whether a value can be shown as text rather than hex. */
static int
textual(const struct attr *known, const struct tk_tlv *v)
{
    size_t i;

    if (v->tag == TAG_UTF8) {
        return utf8_chars(v->val, v->len) >= 0;
    }
    /* Another string type re-reads as UTF8String: only known types. */
    if (known == NULL || (v->tag != TAG_PRINTABLE && v->tag != TAG_IA5 &&
                          v->tag != TAG_VISIBLE && v->tag != TAG_T61)) {
        return 0;
    }
    for (i = 0; i < v->len; i++) {
        if (v->val[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

static int
put_ava(struct out *o, const uint8_t *p, size_t len)
{
    const uint8_t *q = p;
    const struct attr *known;
    struct tk_tlv oid;
    struct tk_tlv v;
    size_t i;

    if (tk_der_read(&q, p + len, &oid, NULL) != 0 || oid.tag != TAG_OID ||
        tk_der_read(&q, p + len, &v, NULL) != 0 || q != p + len) {
        return -1;
    }
    known = find_oid(oid.val, oid.len);
    if (known != NULL) {
        puts_(o, known->name);
    } else if (put_oid(o, oid.val, oid.len) != 0) {
        return -1;
    }
    put(o, "=", 1);
    if (textual(known, &v)) {
        put_escaped(o, v.val, v.len);
        return 0;
    }
    put(o, "#", 1);
    for (i = 0; i < v.raw_len; i++) {
        put_hex_byte(o, v.raw[i]);
    }
    return 0;
}

static int
put_rdn(struct out *o, const struct tk_tlv *set)
{
    const uint8_t *p = set->val;
    const uint8_t *end = set->val + set->len;
    struct tk_tlv ava;
    int first = 1;

    if (set->tag != TAG_SET || set->len == 0) {
        return -1;
    }
    while (p < end) {
        if (tk_der_read(&p, end, &ava, NULL) != 0 || ava.tag != TAG_SEQUENCE) {
            return -1;
        }
        if (!first) {
            put(o, "+", 1);
        }
        first = 0;
        if (put_ava(o, ava.val, ava.len) != 0) {
            return -1;
        }
    }
    return 0;
}

int
tk_name_format(const uint8_t *der, size_t len, char *out, size_t cap)
{
    struct tk_tlv rdns[RDN_MAX];
    struct tk_tlv name;
    struct out o;
    const uint8_t *p = der;
    const uint8_t *end;
    size_t count = 0;
    size_t i;

    if (cap < 2) {
        return -1;
    }
    o.p = out;
    o.cap = cap;
    o.n = 0;
    o.overflow = 0;
    out[0] = '\0';
    if (tk_der_read(&p, der + len, &name, NULL) != 0 ||
        name.tag != TAG_SEQUENCE || p != der + len) {
        goto bad;
    }
    p = name.val;
    end = name.val + name.len;
    while (p < end) {
        if (count == RDN_MAX || tk_der_read(&p, end, &rdns[count], NULL) != 0) {
            goto bad;
        }
        count++;
    }
    for (i = count; i > 0; i--) {
        if (i != count) {
            put(&o, ",", 1);
        }
        if (put_rdn(&o, &rdns[i - 1]) != 0) {
            goto bad;
        }
    }
    if (!o.overflow) {
        return 0;
    }

bad:
    snprintf(out, cap, "?");
    return -1;
}
