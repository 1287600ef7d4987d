/*
 * The companion's RAM for TLS (issue 4): per session, and the work
 * areas all sessions share. Prints "name bytes" lines for run.sh.
 */
#include <stdio.h>

#include "wc_companion.h"

int
main(void)
{
    struct wc_companion *c = NULL;

    printf("session %zu\n", sizeof(struct wc_tls_session));
    printf("sessions_max %d\n", (int)WD_TLS_SESSIONS);
    printf("tls_work %zu\n", sizeof(c->tls_work));
    printf("verify_work %zu\n", sizeof(struct wc_verify_work));
    printf("companion %zu\n", sizeof(struct wc_companion));
    return 0;
}
