/*
 * What BearSSL's AES and GHASH leave behind under the record layer
 * (host/record.c, scrub_now), measured rather than guessed:
 *
 * 1. How deep below their caller BearSSL's calls write the stack, for
 *    each path the record layer takes (AES-NI/PCLMULQDQ where the CPU
 *    has them, the portable ct64 code; GCM with 128- and 256-bit keys,
 *    CCM; key setup, sealing, opening). The first calls of the process
 *    are measured, so the loader's lazy binding inside BearSSL counts.
 *    WARDEN_REC_SCRUB_BYTES must cover the deepest.
 * 2. Through the record layer itself: after a key install and a record,
 *    the stack below holds no copy of the key, and neither does a signal
 *    frame, into which the kernel saves the whole register file (the
 *    way the loader's lazy-binding trampoline left a traffic key on the
 *    stack before the vector registers were cleared).
 *
 * The stack below the test's frame is painted, then read back, by one
 * function with a large local array: called from the same frame, its
 * array lies where the callee frames of the calls in between were. Each
 * operation runs below a padding frame, so that the top of its callees'
 * frames is inside that array however large the probe's own frame is
 * (AddressSanitizer's frames are larger); its depth is what it writes
 * below the padding, less what the padding alone writes.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <bearssl.h>

#include "check.h"
#include "record.h"

#define PAINT_BYTES 32768
#define PAD_BYTES 1024
#define PATTERN 0x5a

enum probe_mode {
    PAINT,    /* fill the area with PATTERN; returns 0 */
    DEPTH,    /* bytes from its top to the deepest changed byte */
    FIND_KEY, /* 1 if any 16-byte window of the key is in the area */
};

static const uint8_t *probe_key;
static size_t probe_key_len;

static size_t
probe_now(int mode)
{
    uint8_t space[PAINT_BYTES];
    /*
     * Read back through a pointer the compiler cannot follow: what is
     * read is what earlier calls left, which it would call uninitialised.
     */
    volatile uint8_t *volatile area = space;
    size_t i, j, k;

    if (mode == PAINT) {
        for (i = 0; i < PAINT_BYTES; i++) {
            area[i] = PATTERN;
        }
        return 0;
    }
    if (mode == DEPTH) {
        /* The stack grows down: area[0] is the deepest byte. */
        for (i = 0; i < PAINT_BYTES && area[i] == PATTERN; i++) {
        }
        return PAINT_BYTES - i;
    }
    for (k = 0; k + 16 <= probe_key_len; k++) {
        for (i = 0; i + 16 <= PAINT_BYTES; i++) {
            for (j = 0; j < 16 && area[i + j] == probe_key[k + j]; j++) {
            }
            if (j == 16) {
                return 1;
            }
        }
    }
    return 0;
}

/* Through volatile pointers: never inlined, always the same frames. */
static size_t (*volatile probe)(int mode) = probe_now;

static void
at_depth_now(void (*op)(void))
{
    uint8_t pad[PAD_BYTES];
    volatile uint8_t *volatile low = pad;

    /* Its lowest byte: the padding's own depth. */
    low[0] = 0;
    op();
    /* After the call: not a tail call, which would drop the padding. */
    low[1] = 0;
}

static void (*volatile at_depth)(void (*op)(void)) = at_depth_now;

static void
nothing(void)
{
}

/* Paints, runs op below the padding, and returns how deep it wrote. */
static size_t
depth_of(void (*op)(void))
{
    size_t base, depth;

    probe(PAINT);
    at_depth(nothing);
    base = probe(DEPTH);
    probe(PAINT);
    at_depth(op);
    depth = probe(DEPTH);
    return depth > base ? depth - base : 0;
}

/* Paints, runs op below the padding, and looks for the key. */
static int
key_left_by(void (*op)(void), size_t key_len)
{
    probe_key_len = key_len;
    probe(PAINT);
    at_depth(op);
    return (int)probe(FIND_KEY);
}

static const uint8_t key[32] = {0x3c, 0x91, 0x07, 0xe2, 0x5d, 0xa8, 0x44, 0x1f,
                                0xc6, 0x73, 0x2b, 0x9e, 0x50, 0xd4, 0x18, 0x8a,
                                0xf1, 0x66, 0x0d, 0xb9, 0x27, 0x83, 0x5c, 0xe0,
                                0x4a, 0x95, 0x31, 0xcf, 0x7e, 0x12, 0xab, 0x68};
static const uint8_t iv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static uint8_t record_body[300 + 16];
static const uint8_t aad[5] = {23, 3, 3, 1, 44};

/* The implementation and key length the operations below use. */
static const br_block_ctr_class *use_ctr;
static const br_block_ctrcbc_class *use_ctrcbc;
static br_ghash use_ghash;
static size_t use_key_len;

static br_aes_gen_ctr_keys ctr_keys;
static br_aes_gen_ctrcbc_keys ctrcbc_keys;
static br_gcm_context gcm;
static br_ccm_context ccm;

/* As record.c's init_aead() and run_aead() call BearSSL. */
static void
gcm_setup(void)
{
    use_ctr->init(&ctr_keys.vtable, key, use_key_len);
    br_gcm_init(&gcm, &ctr_keys.vtable, use_ghash);
}

static void
gcm_seal_open(void)
{
    br_gcm_reset(&gcm, iv, sizeof(iv));
    br_gcm_aad_inject(&gcm, aad, sizeof(aad));
    br_gcm_flip(&gcm);
    br_gcm_run(&gcm, 1, record_body, 300);
    br_gcm_get_tag(&gcm, record_body + 300);
    br_gcm_reset(&gcm, iv, sizeof(iv));
    br_gcm_aad_inject(&gcm, aad, sizeof(aad));
    br_gcm_flip(&gcm);
    br_gcm_run(&gcm, 0, record_body, 300);
    CHECK(br_gcm_check_tag(&gcm, record_body + 300) == 1);
}

static void
ccm_setup(void)
{
    use_ctrcbc->init(&ctrcbc_keys.vtable, key, use_key_len);
    br_ccm_init(&ccm, &ctrcbc_keys.vtable);
}

static void
ccm_seal_open(void)
{
    CHECK(br_ccm_reset(&ccm, iv, sizeof(iv), sizeof(aad), 300, 16) == 1);
    br_ccm_aad_inject(&ccm, aad, sizeof(aad));
    br_ccm_flip(&ccm);
    br_ccm_run(&ccm, 1, record_body, 300);
    br_ccm_get_tag(&ccm, record_body + 300);
    CHECK(br_ccm_reset(&ccm, iv, sizeof(iv), sizeof(aad), 300, 16) == 1);
    br_ccm_aad_inject(&ccm, aad, sizeof(aad));
    br_ccm_flip(&ccm);
    br_ccm_run(&ccm, 0, record_body, 300);
    CHECK(br_ccm_check_tag(&ccm, record_body + 300) == 1);
}

static size_t deepest;

static void
note(const char *impl, const char *mode, const char *op, size_t depth)
{
    printf("  %-7s %s-%-4zu %-14s %5zu bytes\n", impl, mode, use_key_len * 8,
           op, depth);
    if (depth > deepest) {
        deepest = depth;
    }
}

static void
measure_gcm(const char *impl, const br_block_ctr_class *ctr, br_ghash gh,
            size_t key_len)
{
    size_t depth;

    use_ctr = ctr;
    use_ghash = gh;
    use_key_len = key_len;
    depth = depth_of(gcm_setup);
    note(impl, "GCM", "key setup", depth);
    depth = depth_of(gcm_seal_open);
    note(impl, "GCM", "seal and open", depth);
}

static void
measure_ccm(const char *impl, const br_block_ctrcbc_class *ctrcbc)
{
    size_t depth;

    use_ctrcbc = ctrcbc;
    use_key_len = 16;
    depth = depth_of(ccm_setup);
    note(impl, "CCM", "key setup", depth);
    depth = depth_of(ccm_seal_open);
    note(impl, "CCM", "seal and open", depth);
}

static void
measure_depths(void)
{
    const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
    const br_block_ctrcbc_class *ni_cbc = br_aes_x86ni_ctrcbc_get_vtable();
    br_ghash pclmul = br_ghash_pclmul_get();

    printf("stack written below the caller by BearSSL:\n");
    if (ni != NULL && pclmul != 0) {
        measure_gcm("AES-NI", ni, pclmul, 16);
        measure_gcm("AES-NI", ni, pclmul, 32);
    } else {
        printf("  (no AES-NI or PCLMULQDQ on this CPU)\n");
    }
    if (ni_cbc != NULL) {
        measure_ccm("AES-NI", ni_cbc);
    }
    measure_gcm("ct64", &br_aes_ct64_ctr_vtable, br_ghash_ctmul64, 16);
    measure_gcm("ct64", &br_aes_ct64_ctr_vtable, br_ghash_ctmul64, 32);
    measure_ccm("ct64", &br_aes_ct64_ctrcbc_vtable);
    printf("deepest %zu bytes; scrubbed %d\n", deepest, WARDEN_REC_SCRUB_BYTES);
    CHECK(deepest <= WARDEN_REC_SCRUB_BYTES);
    /* The measurement itself must have seen BearSSL's frames. */
    CHECK(deepest > 0);
}

static volatile sig_atomic_t signals;

static void
on_signal(int sig)
{
    (void)sig;
    signals++;
}

/*
 * The kernel saves every register in a signal frame, on this stack: a
 * key left in a register by what ran last is there now.
 */
static void
save_registers(void)
{
    kill(getpid(), SIGUSR1);
}

static struct warden_rec rec;
static uint8_t rec_buf[WARDEN_REC_READ_BUF];
static uint8_t out[WARDEN_REC_WRITE_BUF];
static unsigned use_suite;

static void
rec_set_keys(void)
{
    CHECK(warden_rec_set_keys(&rec, WARDEN_REC_DIR_WRITE,
                              WARDEN_REC_EPOCH_HANDSHAKE, use_suite, key,
                              use_key_len, iv) == WARDEN_REC_OK);
}

static void
rec_write_and_signal(void)
{
    static const uint8_t line[] = "a line of application data\n";
    size_t used, n;

    CHECK(warden_rec_write(&rec, WARDEN_CT_HANDSHAKE, line, sizeof(line), &used,
                           out, sizeof(out), &n) == WARDEN_REC_OK);
    save_registers();
}

/* A write key installed and one record sealed, portable or not. */
static void
check_no_trace(int portable, unsigned suite, size_t key_len)
{
    CHECK(warden_rec_init(&rec, WARDEN_TLS_1_3, rec_buf, sizeof(rec_buf)) ==
          WARDEN_REC_OK);
    warden_rec_use_portable(&rec, portable);
    use_suite = suite;
    use_key_len = key_len;
    CHECK(key_left_by(rec_set_keys, key_len) == 0);
    CHECK(key_left_by(rec_write_and_signal, key_len) == 0);
    warden_rec_wipe(&rec);
}

static void
ni_setup(void)
{
    use_ctr->init(&ctr_keys.vtable, key, 16);
}

static void
ni_run_and_signal(void)
{
    CHECK(use_ctr->run(&ctr_keys.vtable, iv, 0, record_body, 64) == 4);
    save_registers();
}

/*
 * BearSSL alone leaves the key where the probe looks, in its key
 * schedule's frame and in the registers a signal frame saves: so the
 * checks of check_no_trace() can fail.
 */
static void
controls(void)
{
    use_ctr = br_aes_x86ni_ctr_get_vtable();
    if (use_ctr == NULL) {
        printf("no AES-NI on this CPU: controls skipped\n");
        signals++;
        return;
    }
    CHECK(key_left_by(ni_setup, 16) == 1);
    CHECK(key_left_by(ni_run_and_signal, 16) == 1);
}

int
main(void)
{
    struct sigaction sa;

    probe_key = key;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);

    /* First: BearSSL's first calls resolve its imports lazily. */
    measure_depths();
    controls();

    check_no_trace(0, WARDEN_TLS_AES_128_GCM_SHA256, 16);
    check_no_trace(0, WARDEN_TLS_AES_256_GCM_SHA384, 32);
    check_no_trace(0, WARDEN_TLS_AES_128_CCM_SHA256, 16);
    check_no_trace(1, WARDEN_TLS_AES_128_GCM_SHA256, 16);
    check_no_trace(1, WARDEN_TLS_AES_256_GCM_SHA384, 32);
    check_no_trace(1, WARDEN_TLS_AES_128_CCM_SHA256, 16);
    CHECK(signals == 7);
    return wt_finish("test_record_stack");
}
