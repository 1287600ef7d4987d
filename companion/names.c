/*
 * Peer names against certificates: parsing the name the host asked for,
 * matching it to SAN entries (RFC 6125 section 6, CA/B Forum wildcards),
 * and name constraints (RFC 5280 4.2.1.10) for DNS names and IP
 * addresses. The subject CN is never consulted.
 */
#include "names.h"

#include <string.h>

#include "der.h"

#define SAN_DNS 0x82 /* dNSName [2] IA5String */
#define SAN_IP 0x87  /* iPAddress [7] OCTET STRING */

static uint8_t
lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

static int
same_text(const uint8_t *a, const uint8_t *b, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (lower(a[i]) != lower(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* A host name: LDH labels of 1-63 bytes, 253 in all, no trailing dot. */
static int
valid_dns(const uint8_t *p, size_t len, int allow_wildcard)
{
    size_t i, label = 0;

    if (len == 0 || len > 253) {
        return 0;
    }
    if (allow_wildcard && len > 2 && p[0] == '*' && p[1] == '.') {
        p += 2;
        len -= 2;
    }
    for (i = 0; i < len; i++) {
        uint8_t c = p[i];

        if (c == '.') {
            if (label == 0 || p[i - 1] == '-') {
                return 0;
            }
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return 0;
        }
        if ((c == '-' && label == 0) || ++label > 63) {
            return 0;
        }
    }
    return label > 0 && p[len - 1] != '-';
}

static int
parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (unsigned)(s[i] - '0');
            /* No leading zeros: "010" is octal to some parsers. */
            if (++digits > 3 || (digits == 2 && v < 10 && s[i - 1] == '0')) {
                return -1;
            }
            i++;
        }
        if (digits == 0 || v > 255) {
            return -1;
        }
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (i >= len || s[i] != '.') {
                return -1;
            }
            i++;
        }
    }
    return i == len ? 0 : -1;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* RFC 4291 2.2 text forms, "::" and a trailing IPv4 part included. */
static int
parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t words[16];
    size_t i = 0, n = 0, gap = 16;

    memset(words, 0, sizeof(words));
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len >= 1 && s[0] == ':') {
        return -1;
    }
    while (i < len) {
        unsigned v = 0, digits = 0;
        size_t start = i;

        while (i < len && hex_value(s[i]) >= 0 && digits < 5) {
            v = (v << 4) | (unsigned)hex_value(s[i]);
            digits++;
            i++;
        }
        if (i < len && s[i] == '.') {
            /* The last 32 bits as a dotted quad. */
            if (n > 12 || parse_ipv4(s + start, len - start, words + n) != 0) {
                return -1;
            }
            n += 4;
            i = len;
            break;
        }
        if (digits == 0 || digits > 4 || n > 14) {
            return -1;
        }
        words[n++] = (uint8_t)(v >> 8);
        words[n++] = (uint8_t)v;
        if (i == len) {
            break;
        }
        if (s[i] != ':') {
            return -1;
        }
        i++;
        if (i < len && s[i] == ':') {
            if (gap != 16) {
                return -1;
            }
            gap = n;
            i++;
        } else if (i == len) {
            return -1;
        }
    }
    if (gap == 16) {
        if (n != 16) {
            return -1;
        }
        memcpy(out, words, 16);
        return 0;
    }
    if (n > 14) {
        return -1;
    }
    memset(out, 0, 16);
    memcpy(out, words, gap);
    memcpy(out + 16 - (n - gap), words + gap, n - gap);
    return 0;
}

int
wc_peer_name_parse(struct wc_peer_name *pn, const char *name, size_t len)
{
    memset(pn, 0, sizeof(pn->ip));
    pn->dns = NULL;
    pn->dns_len = 0;
    pn->ip_len = 0;
    if (len > 0 && parse_ipv4(name, len, pn->ip) == 0) {
        pn->ip_len = 4;
        return 0;
    }
    if (memchr(name, ':', len) != NULL) {
        if (parse_ipv6(name, len, pn->ip) != 0) {
            return -1;
        }
        pn->ip_len = 16;
        return 0;
    }
    if (!valid_dns((const uint8_t *)name, len, 0)) {
        return -1;
    }
    pn->dns = (const uint8_t *)name;
    pn->dns_len = len;
    return 0;
}

/*
 * RFC 6125 6.4.3 as the CA/B Forum narrows it: "*" alone as the whole
 * left-most label, standing for exactly one label, with at least two
 * labels after it.
 */
static int
dns_matches(const uint8_t *pattern, size_t plen, const uint8_t *name,
            size_t nlen)
{
    const uint8_t *dot;
    size_t rest;

    if (!valid_dns(pattern, plen, 1)) {
        return 0;
    }
    if (plen < 2 || pattern[0] != '*') {
        return plen == nlen && same_text(pattern, name, nlen);
    }
    /* "*.example.com": the suffix needs a dot of its own. */
    if (memchr(pattern + 2, '.', plen - 2) == NULL) {
        return 0;
    }
    dot = memchr(name, '.', nlen);
    if (dot == NULL || dot == name) {
        return 0;
    }
    rest = nlen - (size_t)(dot - name);
    return rest == plen - 1 && same_text(dot, pattern + 1, rest);
}

int
wc_san_matches(const uint8_t *san, size_t san_len,
               const struct wc_peer_name *pn)
{
    struct wc_der d;
    struct wc_der_elem e;

    wc_der_init(&d, san, san_len);
    while (wc_der_more(&d)) {
        if (wc_der_next(&d, &e) != 0) {
            return 0;
        }
        if (pn->ip_len > 0) {
            if (e.tag == SAN_IP && e.len == pn->ip_len &&
                memcmp(e.val, pn->ip, e.len) == 0) {
                return 1;
            }
        } else if (e.tag == SAN_DNS &&
                   dns_matches(e.val, e.len, pn->dns, pn->dns_len)) {
            return 1;
        }
    }
    return 0;
}

/*
 * RFC 5280 4.2.1.10 for dNSName: "example.com" covers itself and every
 * name under it. A wildcard name is judged by the names it stands for.
 */
static int
dns_within(const uint8_t *name, size_t nlen, const uint8_t *base,
           size_t blen)
{
    if (blen == 0) {
        return 1;
    }
    if (nlen >= 2 && name[0] == '*' && name[1] == '.') {
        /* "*.X" stands for "a.X": inside iff X is the base or under it. */
        name += 2;
        nlen -= 2;
    }
    if (nlen == blen) {
        return same_text(name, base, blen);
    }
    return nlen > blen && name[nlen - blen - 1] == '.' &&
           same_text(name + nlen - blen, base, blen);
}

/* Could a wildcard name stand for a name inside an excluded base? */
static int
wildcard_reaches(const uint8_t *name, size_t nlen, const uint8_t *base,
                 size_t blen)
{
    const uint8_t *dot;

    if (nlen < 2 || name[0] != '*' || blen == 0) {
        return 0;
    }
    dot = memchr(base, '.', blen);
    /* "*.example.com" can be "foo.example.com". */
    return dot != NULL && (size_t)(base + blen - dot) == nlen - 1 &&
           same_text(dot, name + 1, nlen - 1);
}

static int
ip_within(const uint8_t *ip, size_t len, const uint8_t *base, size_t blen)
{
    size_t i;

    if (blen != 2 * len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if ((ip[i] & base[len + i]) != (base[i] & base[len + i])) {
            return 0;
        }
    }
    return 1;
}

/* A mask of ones then zeros, as RFC 5280 asks. */
static int
valid_ip_constraint(const uint8_t *base, size_t blen)
{
    size_t i, half = blen / 2;
    int zeros = 0;
    int bit;

    if (blen != 8 && blen != 32) {
        return 0;
    }
    for (i = 0; i < half; i++) {
        for (bit = 7; bit >= 0; bit--) {
            int one = (base[half + i] >> bit) & 1;

            if (one && zeros) {
                return 0;
            }
            zeros |= !one;
        }
    }
    return 1;
}

/* Reads GeneralSubtrees into one list per kind we know; -1 on others. */
struct subtrees {
    const uint8_t *p;
    size_t len;
    int has_dns;
    int has_ip;
};

static int
scan_subtrees(const struct wc_der_elem *list, struct subtrees *t)
{
    struct wc_der d, sub;
    struct wc_der_elem base;

    memset(t, 0, sizeof(*t));
    if (list->tag == 0) {
        return 0;
    }
    t->p = list->val;
    t->len = list->len;
    wc_der_init(&d, list->val, list->len);
    /* GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree */
    if (!wc_der_more(&d)) {
        return -1;
    }
    while (wc_der_more(&d)) {
        wc_der_enter(&d, WC_DER_SEQUENCE, &sub);
        wc_der_next(&sub, &base);
        /* minimum and maximum are absent in the web PKI (RFC 5280 says
         * minimum 0 and no maximum). */
        if (wc_der_finish(&sub) != 0) {
            return -1;
        }
        if (base.tag == SAN_DNS) {
            /*
             * A host name, or empty for all. A leading period is a URI
             * constraint form; RFC 5280 does not allow it here.
             */
            if (base.len > 0 && !valid_dns(base.val, base.len, 0)) {
                return -1;
            }
            t->has_dns = 1;
        } else if (base.tag == SAN_IP) {
            if (!valid_ip_constraint(base.val, base.len)) {
                return -1;
            }
            t->has_ip = 1;
        } else {
            /* directoryName, email, URI...: not implemented, so refused. */
            return -1;
        }
    }
    return d.err;
}

static int
in_subtrees(const struct subtrees *t, uint8_t tag, const uint8_t *name,
            size_t len, int excluded)
{
    struct wc_der d, sub;
    struct wc_der_elem base;

    wc_der_init(&d, t->p, t->len);
    while (wc_der_more(&d)) {
        wc_der_enter(&d, WC_DER_SEQUENCE, &sub);
        wc_der_next(&sub, &base);
        if (base.tag != tag) {
            continue;
        }
        if (tag == SAN_DNS && (dns_within(name, len, base.val, base.len) ||
                               (excluded && wildcard_reaches(name, len,
                                                             base.val,
                                                             base.len)))) {
            return 1;
        }
        if (tag == SAN_IP && ip_within(name, len, base.val, base.len)) {
            return 1;
        }
    }
    return 0;
}

int
wc_name_constraints_allow(const uint8_t *nc, size_t nc_len,
                          const uint8_t *san, size_t san_len)
{
    struct wc_der d, names;
    struct wc_der_elem permitted, excluded, e;
    struct subtrees perm, excl;

    wc_der_init(&d, nc, nc_len);
    wc_der_optional(&d, WC_DER_CONTEXT_CONS(0), &permitted);
    wc_der_optional(&d, WC_DER_CONTEXT_CONS(1), &excluded);
    /* RFC 5280: at least one of the two is present. */
    if (wc_der_finish(&d) != 0 || (permitted.tag == 0 && excluded.tag == 0) ||
        scan_subtrees(&permitted, &perm) != 0 ||
        scan_subtrees(&excluded, &excl) != 0) {
        return 0;
    }

    wc_der_init(&names, san, san_len);
    while (wc_der_more(&names)) {
        if (wc_der_next(&names, &e) != 0) {
            return 0;
        }
        if (e.tag == SAN_DNS) {
            /* A malformed name cannot be shown to be inside. */
            if (!valid_dns(e.val, e.len, 1)) {
                return 0;
            }
            if ((perm.has_dns &&
                 !in_subtrees(&perm, SAN_DNS, e.val, e.len, 0)) ||
                (excl.has_dns &&
                 in_subtrees(&excl, SAN_DNS, e.val, e.len, 1))) {
                return 0;
            }
        } else if (e.tag == SAN_IP) {
            if (e.len != 4 && e.len != 16) {
                return 0;
            }
            if ((perm.has_ip && !in_subtrees(&perm, SAN_IP, e.val, e.len, 0)) ||
                (excl.has_ip && in_subtrees(&excl, SAN_IP, e.val, e.len, 1))) {
                return 0;
            }
        }
    }
    return 1;
}

static size_t
put_hex(char *out, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[4];
    size_t n = 0, i;

    do {
        tmp[n++] = digits[v & 0xf];
        v >>= 4;
    } while (v != 0);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

size_t
wc_ip_to_text(const uint8_t *ip, size_t len, char *out, size_t cap)
{
    unsigned words[8];
    size_t n = 0, i, best = 8, best_len = 0, run;
    unsigned v;

    if (len == 4) {
        if (cap < 16) {
            return 0;
        }
        for (i = 0; i < 4; i++) {
            v = ip[i];
            if (v >= 100) {
                out[n++] = (char)('0' + v / 100);
            }
            if (v >= 10) {
                out[n++] = (char)('0' + v / 10 % 10);
            }
            out[n++] = (char)('0' + v % 10);
            if (i < 3) {
                out[n++] = '.';
            }
        }
        return n;
    }
    if (len != 16 || cap < 40) {
        return 0;
    }
    /* RFC 5952 4.2: "::" for the longest run of two or more zero words,
     * the first such run on a tie. */
    for (i = 0; i < 8; i++) {
        words[i] = (unsigned)(ip[2 * i] << 8) | ip[2 * i + 1];
    }
    for (i = 0; i < 8; i += run ? run : 1) {
        for (run = 0; i + run < 8 && words[i + run] == 0; run++) {
        }
        if (run >= 2 && run > best_len) {
            best = i;
            best_len = run;
        }
    }
    for (i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            out[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && !(best != 8 && i == best + best_len)) {
            out[n++] = ':';
        }
        n += put_hex(out + n, words[i]);
    }
    return n;
}
