/*
 * PEM files in and out, with BearSSL's streaming decoder and encoder.
 * Certificates and keys are public, but a file could hold a private key
 * too: blocks with other labels are never decoded, and decoded bytes are
 * wiped when freed.
 */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolkit.h"

/* No certificate or public key comes near this. */
#define OBJECT_MAX 65536
#define FILE_MAX (1024 * 1024)

/* Where the decoder's callback puts an object's bytes. */
struct sink {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int overflow; /* over OBJECT_MAX, or out of memory */
};

void
tk_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;

    while (len--) {
        *v++ = 0;
    }
}

static void
sink_push(void *ctx, const void *src, size_t len)
{
    struct sink *s = ctx;
    uint8_t *nb;
    size_t ncap;

    if (s->overflow) {
        return;
    }
    if (len > OBJECT_MAX - s->len) {
        s->overflow = 1;
        return;
    }
    if (s->len + len > s->cap) {
        ncap = s->cap == 0 ? 2048 : s->cap * 2;
        while (ncap < s->len + len) {
            ncap *= 2;
        }
        nb = malloc(ncap);
        if (nb == NULL) {
            s->overflow = 1;
            return;
        }
        if (s->len > 0) {
            memcpy(nb, s->buf, s->len);
        }
        if (s->buf != NULL) {
            tk_wipe(s->buf, s->cap);
        }
        free(s->buf);
        s->buf = nb;
        s->cap = ncap;
    }
    memcpy(s->buf + s->len, src, len);
    s->len += len;
}

static void
sink_free(struct sink *s)
{
    if (s->buf != NULL) {
        tk_wipe(s->buf, s->cap);
    }
    free(s->buf);
    memset(s, 0, sizeof(*s));
}

void
tk_blobs_free(struct tk_blobs *out)
{
    size_t i;

    for (i = 0; i < out->count; i++) {
        if (out->item[i].data != NULL) {
            tk_wipe(out->item[i].data, out->item[i].len);
        }
        free(out->item[i].data);
    }
    memset(out, 0, sizeof(*out));
}

/*
 * The block's label without what BearSSL leaves of a CRLF banner: with
 * "\r\n" endings its name keeps the trailing dashes.
 */
static void
clean_label(const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);

    while (n > 0 &&
           (name[n - 1] == '-' || name[n - 1] == '\r' || name[n - 1] == ' ')) {
        n--;
    }
    snprintf(out, cap, "%.*s", (int)n, name);
}

static size_t
count_lines(const uint8_t *p, size_t len)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        n += p[i] == '\n';
    }
    return n;
}

/* Takes the object in s (wanted, decoded) as the next blob. */
static int
keep(struct sink *s, unsigned line, const char *label, const char *source,
     struct tk_blobs *out, struct tk_err *e)
{
    struct tk_err why;

    if (s->overflow) {
        return tk_fail(e, "%s:%u: %s block larger than %d bytes", source, line,
                       label, OBJECT_MAX);
    }
    if (s->len == 0) {
        return tk_fail(e, "%s:%u: empty %s block", source, line, label);
    }
    if (tk_der_whole(s->buf, s->len, &why) != 0) {
        return tk_fail(e, "%s:%u: %s block is not valid DER: %s", source, line,
                       label, why.msg);
    }
    if (out->count == TK_BLOBS_MAX) {
        return tk_fail(e, "%s: more than %d %s blocks", source, TK_BLOBS_MAX,
                       label);
    }
    out->item[out->count].data = s->buf;
    out->item[out->count].len = s->len;
    out->item[out->count].line = line;
    out->count++;
    memset(s, 0, sizeof(*s));
    return 0;
}

/* Says what a file without the wanted block holds instead. */
static int
none_found(const char *label, const char *source, const char *other,
           struct tk_err *e)
{
    if (other[0] != '\0') {
        return tk_fail(e, "%s: no %s block (found %s)", source, label, other);
    }
    return tk_fail(e, "%s: no %s block: not a PEM file", source, label);
}

/*
 * Feeds text to the decoder and collects the wanted objects. BearSSL
 * stops at each event, so the bytes it took before one say which line
 * the event is on.
 */
static int
decode_pem(br_pem_decoder_context *pc, const uint8_t *text, size_t len,
           const char *label, const char *source, struct tk_blobs *out,
           char *other, size_t other_cap, int *seen_any, struct tk_err *e)
{
    static const uint8_t nl = '\n';
    char name[128] = "";
    struct sink s;
    unsigned line = 1;
    unsigned begin_line = 0;
    int inside = 0;
    int want = 0;
    int last = 0;
    size_t off = 0;
    size_t n;
    int ev;
    int ret = -1;

    memset(&s, 0, sizeof(s));
    br_pem_decoder_init(pc);
    /* The decoder needs the END line's newline: a last line may lack it. */
    while (off < len || !last) {
        if (off == len) {
            last = 1;
            n = br_pem_decoder_push(pc, &nl, 1);
        } else {
            n = br_pem_decoder_push(pc, text + off, len - off);
            line += (unsigned)count_lines(text + off, n);
            off += n;
        }
        ev = br_pem_decoder_event(pc);
        if (ev == BR_PEM_BEGIN_OBJ) {
            *seen_any = 1;
            inside = 1;
            begin_line = line - 1;
            clean_label(br_pem_decoder_name(pc), name, sizeof(name));
            want = strcmp(name, label) == 0;
            if (want) {
                br_pem_decoder_setdest(pc, sink_push, &s);
            } else {
                br_pem_decoder_setdest(pc, NULL, NULL);
                if (other[0] == '\0') {
                    snprintf(other, other_cap, "%.100s", name);
                }
            }
        } else if (ev == BR_PEM_END_OBJ) {
            inside = 0;
            if (want && keep(&s, begin_line, label, source, out, e) != 0) {
                goto cleanup;
            }
        } else if (ev == BR_PEM_ERROR) {
            tk_fail(e, "%s:%u: bad base64 in the %s block", source, line - 1,
                    name);
            goto cleanup;
        }
    }
    if (inside) {
        tk_fail(e, "%s:%u: %s block has no END line", source, begin_line, name);
        goto cleanup;
    }
    ret = 0;

cleanup:
    sink_free(&s);
    return ret;
}

int
tk_pem_decode(const uint8_t *text, size_t len, const char *label,
              const char *source, struct tk_blobs *out, struct tk_err *e)
{
    br_pem_decoder_context pc;
    struct tk_err why;
    char other[128] = "";
    int seen_any = 0;

    memset(out, 0, sizeof(*out));
    if (decode_pem(&pc, text, len, label, source, out, other, sizeof(other),
                   &seen_any, e) != 0) {
        tk_blobs_free(out);
        return -1;
    }
    if (out->count > 0) {
        return 0;
    }
    if (seen_any) {
        return none_found(label, source, other, e);
    }

    /* Not PEM: perhaps the DER itself. */
    if (len > 0 && text[0] == 0x30) {
        if (tk_der_whole(text, len, &why) != 0) {
            return tk_fail(e, "%s: not PEM, and not valid DER: %s", source,
                           why.msg);
        }
        out->item[0].data = malloc(len);
        if (out->item[0].data == NULL) {
            return tk_fail(e, "%s: out of memory", source);
        }
        memcpy(out->item[0].data, text, len);
        out->item[0].len = len;
        out->item[0].line = 0;
        out->count = 1;
        return 0;
    }
    if (len == 0) {
        return tk_fail(e, "%s: empty file", source);
    }
    return none_found(label, source, other, e);
}

int
tk_pem_read_file(const char *path, const char *label, struct tk_blobs *out,
                 struct tk_err *e)
{
    uint8_t *text;
    size_t len;
    int ret;

    memset(out, 0, sizeof(*out));
    if (tk_read_file(path, FILE_MAX, &text, &len, e) != 0) {
        return -1;
    }
    ret = tk_pem_decode(text, len, label, path, out, e);
    tk_wipe(text, len);
    free(text);
    return ret;
}

char *
tk_pem_encode(const char *label, const uint8_t *der, size_t len,
              size_t *text_len)
{
    size_t n = br_pem_encode(NULL, der, len, label, BR_PEM_LINE64);
    char *text = malloc(n + 1);

    if (text == NULL) {
        return NULL;
    }
    br_pem_encode(text, der, len, label, BR_PEM_LINE64);
    if (text_len != NULL) {
        *text_len = n;
    }
    return text;
}
