/*
 * A test-only window on the companion's secrets.
 *
 * The no_secret_in_host test must know every secret the companion holds
 * (ECDHE private keys, shared secrets, the key schedule's secrets,
 * finished keys, the device private key) to prove that none of them
 * reaches the host's memory. A build compiled with WARDEN_TEST_SECRETS
 * defined calls wc_test_secret_hook, when a test has set it, with each
 * such secret as the companion makes or uses it.
 *
 * In every other build WC_TEST_SECRET() expands to nothing and the hook
 * does not exist: no symbol, no call, no path out. Only the test's own
 * copy of the firmware (wc_firmware_testsecrets in tests/tls.cmake) is
 * built with the definition; never a product.
 */
#ifndef WC_TEST_HOOK_H
#define WC_TEST_HOOK_H

#ifdef WARDEN_TEST_SECRETS

#include <stddef.h>
#include <stdint.h>

/* label: a static C string naming the secret; bytes: len bytes of it. */
typedef void (*wc_test_secret_fn)(const char *label, const uint8_t *bytes,
                                  size_t len);

extern wc_test_secret_fn wc_test_secret_hook;

#define WC_TEST_SECRET(label, bytes, len)                                      \
    do {                                                                       \
        if (wc_test_secret_hook != NULL) {                                     \
            wc_test_secret_hook((label), (const uint8_t *)(bytes),             \
                                (size_t)(len));                                \
        }                                                                      \
    } while (0)

#else

#define WC_TEST_SECRET(label, bytes, len) ((void)0)

#endif

#endif
