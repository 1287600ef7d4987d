/*
 * Admin-signed updates, from the host's side: it reads the counter the
 * next update must exceed, and carries updates it cannot read the
 * meaning of. The companion checks the signature; nothing here could
 * make an update acceptable that is not.
 */
#include <string.h>

#include "internal.h"
#include "wd_admin.h"
#include "wd_proto.h"

#define AGREE(name, a, b) typedef char agree_##name[(a) == (b) ? 1 : -1]
AGREE(policy_max, WARDEN_ADMIN_POLICY_MAX, WD_ADMIN_POLICY_MAX);
AGREE(update_max, WARDEN_UPDATE_MAX, WD_MAX_MESSAGE);

#define STATUS_MAX (WD_ASTAT_FIXED_LEN + 2 + 4 * WD_ADMIN_POLICY_MAX)

/* One u8-counted list of u16 at *off; -1 if it does not fit. */
static int
read_list(const uint8_t *p, size_t len, size_t *off, unsigned *out, size_t *n)
{
    size_t i;

    if (*off >= len) {
        return -1;
    }
    *n = p[(*off)++];
    if (*n == 0 || *n > WD_ADMIN_POLICY_MAX || len - *off < 2 * *n) {
        return -1;
    }
    for (i = 0; i < *n; i++) {
        out[i] = wd_get16(p + *off + 2 * i);
    }
    *off += 2 * *n;
    return 0;
}

static int
parse_status(struct warden_dev *dev, const uint8_t *p, size_t len,
             struct warden_admin_status *st)
{
    size_t off = WD_ASTAT_POLICY;

    if (len < WD_ASTAT_FIXED_LEN) {
        return warden_dev_lost(dev,
                               "ADMIN_STATUS: %zu bytes, at least %d "
                               "expected",
                               len, WD_ASTAT_FIXED_LEN);
    }
    st->counter = wd_get64(p + WD_ASTAT_COUNTER);
    st->time_floor = (int64_t)wd_get64(p + WD_ASTAT_TIME_FLOOR);
    st->admin_key = p[WD_ASTAT_ADMIN_KEY];
    if (len == WD_ASTAT_FIXED_LEN) {
        return WARDEN_ERR_OK;
    }
    st->policy_stored = 1;
    if (read_list(p, len, &off, st->suites, &st->n_suites) != 0 ||
        read_list(p, len, &off, st->groups, &st->n_groups) != 0 || off != len) {
        return warden_dev_lost(dev,
                               "ADMIN_STATUS: the policy's lists do "
                               "not fit its %zu bytes",
                               len - WD_ASTAT_POLICY);
    }
    return WARDEN_ERR_OK;
}

int
warden_admin_status(struct warden_dev *dev, struct warden_admin_status *st)
{
    uint8_t buf[STATUS_MAX];
    size_t len;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (st == NULL) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "ADMIN_STATUS: no place for the answer");
    }
    memset(st, 0, sizeof(*st));
    rc = warden_dev_call(dev, WD_CMD_ADMIN_STATUS, NULL, 0, buf, sizeof(buf),
                         &len, WARDEN_ERR_PROTOCOL);
    if (rc == WARDEN_ERR_OK) {
        rc = parse_status(dev, buf, len, st);
    }
    if (rc != WARDEN_ERR_OK) {
        memset(st, 0, sizeof(*st));
    }
    return warden_dev_end(dev, rc);
}

int
warden_admin_update(struct warden_dev *dev, const uint8_t *update, size_t len,
                    uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t none[1];
    size_t got = 0;
    int rc;

    rc = warden_dev_begin(dev);
    if (rc != WARDEN_ERR_OK) {
        return rc;
    }
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (update == NULL || len == 0 || len > WD_MAX_MESSAGE) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "ADMIN_UPDATE: update of %zu bytes: one "
                               "carries 1 to %d",
                               update == NULL ? (size_t)0 : len,
                               WD_MAX_MESSAGE);
    }
    if (out == NULL && cap != 0) {
        return warden_dev_fail(dev, WARDEN_ERR_ARGUMENT,
                               "ADMIN_UPDATE: no place for the answer");
    }
    rc = warden_dev_call(dev, WD_CMD_ADMIN_UPDATE, update, len,
                         out != NULL ? out : none, out != NULL ? cap : 0, &got,
                         WARDEN_ERR_ARGUMENT);
    if (rc == WARDEN_ERR_OK && out_len != NULL) {
        *out_len = got;
    }
    return warden_dev_end(dev, rc);
}
