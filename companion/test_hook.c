/*
 * The test-only secret hook; see test_hook.h. Compiled into the test
 * copy of the firmware only, which defines WARDEN_TEST_SECRETS.
 */
#include "test_hook.h"

#ifndef WARDEN_TEST_SECRETS
#error "test_hook.c belongs only in a build with WARDEN_TEST_SECRETS"
#endif

wc_test_secret_fn wc_test_secret_hook = NULL;
