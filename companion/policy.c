/*
 * The settings admin-signed updates keep for the TLS client: the time
 * floor and the stored policy; see admin.h.
 */
#include <string.h>

#include "admin.h"
#include "ecdhe.h"
#include "records.h"
#include "tls13_client.h"
#include "tls13_schedule.h"

/*
 * What POLICY_SET may name: the suites and groups this firmware knows.
 * Naming one here widens nothing by itself; wc_policy_apply() only ever
 * removes from the built-in lists in tls13_client.c.
 */
static const uint16_t known_suites[] = {
    WC_TLS13_AES_128_GCM_SHA256,
    WC_TLS13_AES_256_GCM_SHA384,
    WC_TLS13_AES_128_CCM_SHA256,
    /* TLS 1.2: a policy that names none of these turns TLS 1.2 off. */
    WC_TLS12_ECDHE_ECDSA_AES_128_GCM_SHA256,
    WC_TLS12_ECDHE_ECDSA_AES_256_GCM_SHA384,
    WC_TLS12_ECDHE_ECDSA_AES_128_CCM,
    WC_TLS12_ECDHE_ECDSA_AES_256_CCM,
};
static const uint16_t known_groups[] = {
    WC_GROUP_X25519,
    WC_GROUP_SECP256R1,
    WC_GROUP_SECP384R1,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int64_t
wc_time_floor(const struct wc_companion *c)
{
    const uint8_t *v;
    size_t len;
    uint64_t stored = 0;
    unsigned i;

    if (wc_store_get(&c->store, WC_REC_TIME_FLOOR, &v, &len) == WC_OK &&
        len == 8) {
        for (i = 0; i < 8; i++) {
            stored = (stored << 8) | v[i];
        }
    }
    /* Updates store only floors in range; anything else counts for none. */
    if (stored > (uint64_t)WC_TIME_FLOOR_MAX ||
        (int64_t)stored < WC_BUILD_TIME_FLOOR) {
        return WC_BUILD_TIME_FLOOR;
    }
    return (int64_t)stored;
}

static int
in_list(const uint16_t *list, size_t n, unsigned v)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (list[i] == v) {
            return 1;
        }
    }
    return 0;
}

/* One u8-counted list of u16 at *p; moves *p past it. */
static int
check_list(const uint8_t **p, const uint8_t *end, const uint16_t *known,
           size_t n_known)
{
    uint16_t seen[WD_ADMIN_POLICY_MAX];
    unsigned n, i, v;

    if (*p >= end) {
        return -1;
    }
    n = **p;
    (*p)++;
    if (n == 0 || n > WD_ADMIN_POLICY_MAX || (size_t)(end - *p) < 2u * n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        v = wd_get16(*p + 2 * i);
        if (!in_list(known, n_known, v) || in_list(seen, i, v)) {
            return -1;
        }
        seen[i] = (uint16_t)v;
    }
    *p += 2 * n;
    return 0;
}

int
wc_policy_check(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;

    if (check_list(&p, end, known_suites, COUNT(known_suites)) != 0 ||
        check_list(&p, end, known_groups, COUNT(known_groups)) != 0) {
        return -1;
    }
    return p == end ? 0 : -1;
}

/* Keeps the entries of list that the stored list at p enables. */
static unsigned
keep_enabled(uint16_t *list, unsigned n, const uint8_t *p, unsigned n_stored)
{
    unsigned i, j, kept = 0;

    for (i = 0; i < n; i++) {
        for (j = 0; j < n_stored; j++) {
            if (wd_get16(p + 2 * j) == list[i]) {
                list[kept++] = list[i];
                break;
            }
        }
    }
    return kept;
}

int
wc_policy_apply(const struct wc_companion *c, uint16_t *suites,
                unsigned *n_suites, uint16_t *groups, unsigned *n_groups)
{
    const uint8_t *p;
    size_t len;
    unsigned n;

    if (wc_store_get(&c->store, WC_REC_POLICY, &p, &len) != WC_OK) {
        /* None stored: the built-in policy as the host narrowed it. */
        return 0;
    }
    /* Checked when it was stored; a record that is not fails closed. */
    if (wc_policy_check(p, len) != 0) {
        return -1;
    }
    n = p[0];
    *n_suites = keep_enabled(suites, *n_suites, p + 1, n);
    *n_groups = keep_enabled(groups, *n_groups, p + 2 + 2 * n, p[1 + 2 * n]);
    return *n_suites == 0 || *n_groups == 0 ? -1 : 0;
}
