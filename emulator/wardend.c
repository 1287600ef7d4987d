/*
 * wardend: one emulated companion served on a UNIX socket.
 *
 * The companion firmware runs here exactly as on a chip: the daemon is
 * the board around it, handing it each bus frame from a connection and
 * sending back the one response it writes. Everything is one thread
 * around poll(), so a frame is always handled to its end, storage writes
 * included, before a signal is acted on.
 *
 * That one thread serves every session, so no session may make it wait:
 * sockets are non-blocking, a response the peer does not take at once
 * waits in its session's queue for POLLOUT, and each turn of the loop
 * answers at most one frame per session. Every way a peer can hold on to
 * something (a half frame, an unread response, the companion's message
 * buffers, a session slot) has a time limit.
 *
 * Logs go to stderr, one line per session opened or closed and one per
 * error (the first few of each session), for a service manager to
 * collect.
 */
/* SO_PEERCRED, struct ucred, accept4() and pipe2(). */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "platform_file.h"
#include "measure.h"
#include "wc_companion.h"
#include "wc_errors.h"
#include "wc_wipe.h"
#include "wd_proto.h"

#if defined(__GNUC__)
#define WEMU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define WEMU_PRINTF(f, a)
#endif

#define MAX_CLIENTS 16
/* A frame whose first byte came this long ago and is still not whole. */
#define FRAME_TIMEOUT_MS 5000
/* A peer that has not taken a whole response this long after it was made. */
#define WRITE_TIMEOUT_MS 5000
/*
 * A session that has held the companion's message buffers this long in
 * one go, however busy it kept them, while everyone else got BUSY.
 */
#define HOLD_TIMEOUT_MS 5000
/*
 * A session that just let go of the companion's message buffers, while
 * another was refused BUSY, is not answered for this long: the one that
 * waited gets its turn (libwarden retries BUSY at most 64 ms apart).
 * Without it a session sending long messages back to back could keep
 * the buffers for ever, one message at a time.
 */
#define YIELD_MS 100
/* A session that has sent no request this long (--idle-timeout). */
#define IDLE_TIMEOUT_S 60
#define IDLE_TIMEOUT_MAX_S 86400
/*
 * Refused requests logged per session; the rest are counted, and the
 * count logged when the session closes, so that a peer cannot fill the
 * disk with one line per request.
 */
#define ERROR_LINES_MAX 10
#define LISTEN_BACKLOG 16

#define DEFAULT_SUBDIR "/.local/state/warden"
#define STORAGE_NAME "storage.bin"
#define KEY_NAME "device-key"
#define SOCKET_NAME "wardend.sock"

struct paths {
    char storage[PATH_MAX];
    char key[PATH_MAX];
    char socket[PATH_MAX];
    /* The state folder without trailing slashes; "" if none is used. */
    char state[PATH_MAX];
    /* What must exist before it can be made: its parent, or $HOME. */
    char state_base[PATH_MAX];
    /* Where the state folder was named, for messages. */
    const char *state_from;
    /* 1: make missing folders from state_base down, as for the default. */
    int state_parents;
    /* Set by the checks: the state folder is missing and will be made. */
    int state_missing;
    /* Length of the first folder this start made; 0 if none. */
    size_t state_made;
};

/* Times are in ms of CLOCK_MONOTONIC. */
struct client {
    int fd; /* -1: slot free */
    unsigned long session;
    pid_t pid; /* the peer's, from SO_PEERCRED; 0 if unknown */
    /* What pid was at accept (start_time 0: unknown, never measured). */
    struct wemu_process_id process;
    struct wc_channel ch;
    unsigned long requests;
    unsigned long errors;
    unsigned long errors_unlogged;
    /* When the last request was answered, or the connection came. */
    long long last_request;
    /* Since when the rest of the frame begun in buf has been waited for. */
    long long frame_start;
    /* When the response in out was made. */
    long long out_since;
    /*
     * The session is in the middle of a chunked message: the companion's
     * one message buffer pair is its, and every other session gets BUSY.
     * Since hold_since, without a break.
     */
    int holding;
    long long hold_since;
    /* Not answered before this (YIELD_MS after a contended hold). */
    long long yield_until;
    /* A broken stream was answered: close once the answer is out. */
    int closing;
    size_t len;
    uint8_t buf[WD_MAX_FRAME];
    /*
     * The response not yet taken by the peer, out[out_off..out_len). One
     * is all there ever is: nothing more is read from the session until it
     * has gone, as a chip's one frame buffer would have it.
     */
    size_t out_len;
    size_t out_off;
    uint8_t out[WD_MAX_FRAME];
};

/* About 80 KB of companion: static, as a chip's RAM would be. */
static struct wc_companion companion;
static struct wemu_platform platform;
static struct client clients[MAX_CLIENTS];
static unsigned long sessions_opened;
static long long idle_ms = IDLE_TIMEOUT_S * 1000LL;
/* When a session was last refused BUSY. */
static long long last_busy_ms = -1;

static volatile sig_atomic_t stop_signal;
static int wake_pipe[2] = {-1, -1};

static void log_msg(const char *fmt, ...) WEMU_PRINTF(1, 2);

static void
log_msg(const char *fmt, ...)
{
    static const char prefix[] = "wardend: ";
    static const char hex[] = "0123456789abcdef";
    char text[1024], line[1024];
    size_t len = sizeof(prefix) - 1, i;
    va_list ap;
    int n;

    memcpy(line, prefix, len);
    va_start(ap, fmt);
    n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    /*
     * Messages carry what peers sent (a configuration's name): a byte
     * that is not printable ASCII is written as \xNN, so that no peer
     * can start a line of its own or drive the terminal showing the log.
     */
    for (i = 0; text[i] != '\0' && len + 5 < sizeof(line); i++) {
        unsigned char b = (unsigned char)text[i];

        if (b >= 0x20 && b < 0x7f && b != '\\') {
            line[len++] = (char)b;
        } else if (b == '\\') {
            line[len++] = '\\';
            line[len++] = '\\';
        } else {
            line[len++] = '\\';
            line[len++] = 'x';
            line[len++] = hex[b >> 4];
            line[len++] = hex[b & 15];
        }
    }
    line[len++] = '\n';
    /* One write per line, so that lines never mix with another's. */
    n = (int)write(STDERR_FILENO, line, len);
    (void)n;
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_stop(int sig)
{
    int saved = errno;
    ssize_t n;

    stop_signal = sig;
    /* Wakes poll(); a full pipe already holds a wake-up. */
    n = write(wake_pipe[1], "", 1);
    (void)n;
    errno = saved;
}

static const char *
signal_name(int sig)
{
    switch (sig) {
    case SIGHUP:
        return "SIGHUP";
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    default:
        return "a signal";
    }
}

static int
setup_signals(void)
{
    struct sigaction sa;

    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked call returns and the loop sees the flag. */
    sa.sa_flags = 0;
    sa.sa_handler = on_stop;
    /*
     * SIGHUP too: a closed terminal would otherwise kill the daemon
     * without a word and leave its socket behind.
     */
    if (sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0) {
        return -1;
    }
    /* A peer gone mid-response is an error on that session only. */
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* Options and paths. */

/* Long options without a one-letter form: values no letter can take. */
enum {
    OPT_STATE_DIR = 256,
    OPT_STORAGE,
    OPT_KEY_FILE,
    OPT_SOCKET,
    OPT_IDLE_TIMEOUT
};

static const struct option longopts[] = {
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"storage", required_argument, NULL, OPT_STORAGE},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: wardend [--state-dir DIR] [--storage FILE] "
               "[--key-file FILE]\n"
               "               [--socket PATH] [--idle-timeout SECONDS]\n"
               "Serves one emulated Warden companion on a UNIX socket until "
               "SIGTERM,\n"
               "SIGINT or SIGHUP.\n"
               "\n"
               "  --state-dir DIR   default folder for the files below: "
               "$WARDEN_HOME,\n"
               "                    else $HOME" DEFAULT_SUBDIR "; made (0700)\n"
               "                    if missing, but of DIR or $WARDEN_HOME "
               "only the\n"
               "                    last folder\n"
               "  --storage FILE    companion storage (DIR/" STORAGE_NAME ")\n"
               "  --key-file FILE   device-unique key, the emulator's fuses\n"
               "                    (DIR/" KEY_NAME
               "; made with new storage only)\n");
    fprintf(f,
            "  --socket PATH     socket to serve on (DIR/" SOCKET_NAME ")\n"
            "  --idle-timeout SECONDS\n"
            "                    close a session that sends no request for "
            "this long\n"
            "                    (%d; 1 to %d)\n"
            "  -h, --help        show this help\n",
            IDLE_TIMEOUT_S, IDLE_TIMEOUT_MAX_S);
}

static void usage_error(const char *fmt, ...) WEMU_PRINTF(1, 2);

/*
 * A mistake on the command line gets one line saying what it is and a
 * pointer to the help, not the whole help, which would bury the line.
 */
static void
usage_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg("%s", msg);
    fputs("Try 'wardend --help'.\n", stderr);
}

/*
 * Says what getopt_long() found wrong; its own messages would start with
 * argv[0], a path, rather than "wardend:". c is ':' for a missing value,
 * '?' for anything else; glibc sets optopt to the option's value, or to
 * 0 for a long option it does not know.
 */
static void
bad_option(char **argv, int c)
{
    const struct option *o = NULL;
    const char *arg;
    size_t i, len;
    int matches = 0;

    for (i = 0; longopts[i].name != NULL; i++) {
        if (optopt != 0 && longopts[i].val == optopt) {
            o = &longopts[i];
        }
    }
    if (c == ':' && o != NULL) {
        usage_error("option '--%s' needs a value", o->name);
        return;
    }
    if (o != NULL) {
        /* Only a long option can be given a value it does not take. */
        usage_error("option '--%s' takes no value", o->name);
        return;
    }
    if (optopt != 0) {
        usage_error("unknown option '-%c'", optopt);
        return;
    }

    /* A long option: getopt_long() has already stepped past it. */
    arg = argv[optind - 1];
    len = strcspn(arg, "=");
    for (i = 0; len >= 2 && longopts[i].name != NULL; i++) {
        if (strncmp(longopts[i].name, arg + 2, len - 2) == 0) {
            matches++;
        }
    }
    if (matches > 1) {
        usage_error("option '%.*s' is ambiguous", (int)len, arg);
    } else {
        usage_error("unknown option '%.*s'", (int)len, arg);
    }
}

/* Copies path into out (PATH_MAX bytes), or says why it cannot. */
static int
copy_path(char *out, const char *path, const char *what)
{
    size_t len = strlen(path);

    if (len == 0) {
        log_msg("%s: the path is empty", what);
        return -1;
    }
    if (len >= PATH_MAX) {
        log_msg("%s: the path is too long (%lu bytes, at most %d)", what,
                (unsigned long)len, PATH_MAX - 1);
        return -1;
    }
    memcpy(out, path, len + 1);
    return 0;
}

/* Drops trailing slashes, keeping "/" itself. */
static void
strip_slashes(char *path)
{
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/') {
        path[--len] = '\0';
    }
}

/*
 * The folder that holds path (PATH_MAX bytes), without trailing
 * slashes: "." for a bare name, "/" for a name at the root.
 */
static void
parent_of(const char *path, char *out)
{
    size_t len = strlen(path);

    while (len > 1 && path[len - 1] == '/') {
        len--;
    }
    while (len > 0 && path[len - 1] != '/') {
        len--;
    }
    while (len > 1 && path[len - 1] == '/') {
        len--;
    }
    if (len == 0) {
        strcpy(out, ".");
        return;
    }
    memcpy(out, path, len);
    out[len] = '\0';
}

static int
join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

    if (n < 0 || n >= PATH_MAX) {
        log_msg("%s/%s: the path is too long", dir, name);
        return -1;
    }
    return 0;
}

/* A state folder named by the user: only its last part is ever made. */
static int
set_state_dir(struct paths *p, const char *dir, const char *from)
{
    if (copy_path(p->state, dir, from) != 0) {
        return -1;
    }
    strip_slashes(p->state);
    parent_of(p->state, p->state_base);
    p->state_from = from;
    p->state_parents = 0;
    return 0;
}

/*
 * The default under $HOME: like any XDG state folder, it is made with
 * whatever of ~/.local/state is missing too.
 */
static int
set_default_state_dir(struct paths *p, const char *home)
{
    int n;

    if (copy_path(p->state_base, home, "HOME") != 0) {
        return -1;
    }
    strip_slashes(p->state_base);
    n = snprintf(p->state, sizeof(p->state), "%s%s",
                 strcmp(p->state_base, "/") == 0 ? "" : p->state_base,
                 DEFAULT_SUBDIR);
    if (n < 0 || n >= (int)sizeof(p->state)) {
        log_msg("HOME: the path is too long");
        return -1;
    }
    p->state_from = "the default under $HOME";
    p->state_parents = 1;
    return 0;
}

/*
 * Fills in every path not given on the command line from the state
 * folder. Makes nothing: whether the folder can be made, and is, is
 * decided once everything else has been checked.
 */
static int
resolve_paths(struct paths *p, const char *state_dir, const char *storage,
              const char *key, const char *sock)
{
    const char *env;
    int rc;

    memset(p, 0, sizeof(*p));
    if (storage == NULL || key == NULL || sock == NULL) {
        if (state_dir != NULL) {
            rc = set_state_dir(p, state_dir, "--state-dir");
        } else if ((env = getenv("WARDEN_HOME")) != NULL && *env != '\0') {
            rc = set_state_dir(p, env, "WARDEN_HOME");
        } else if ((env = getenv("HOME")) != NULL && *env != '\0') {
            rc = set_default_state_dir(p, env);
        } else {
            log_msg("no state folder: give --state-dir, or set "
                    "WARDEN_HOME or HOME");
            rc = -1;
        }
        if (rc != 0) {
            return -1;
        }
    }

    if ((storage ? copy_path(p->storage, storage, "--storage")
                 : join(p->storage, p->state, STORAGE_NAME)) != 0 ||
        (key ? copy_path(p->key, key, "--key-file")
             : join(p->key, p->state, KEY_NAME)) != 0 ||
        (sock ? copy_path(p->socket, sock, "--socket")
              : join(p->socket, p->state, SOCKET_NAME)) != 0) {
        return -1;
    }
    return 0;
}

/* Whole seconds for --idle-timeout: digits only, 1 to the maximum. */
static int
parse_seconds(const char *s, long *out)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > IDLE_TIMEOUT_MAX_S) {
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * Returns 1 to go on, 0 after --help, -1 for a usage error and -2 when
 * the paths are unusable. Sets idle_ms. Has no effect on the file system.
 */
static int
parse_args(int argc, char **argv, struct paths *p)
{
    const char *state_dir = NULL, *storage = NULL, *key = NULL;
    const char *sock = NULL;
    long idle_s = IDLE_TIMEOUT_S;
    int c;

    /* Errors are reported by bad_option(), not by getopt itself. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_STATE_DIR:
            state_dir = optarg;
            break;
        case OPT_STORAGE:
            storage = optarg;
            break;
        case OPT_KEY_FILE:
            key = optarg;
            break;
        case OPT_SOCKET:
            sock = optarg;
            break;
        case OPT_IDLE_TIMEOUT:
            if (parse_seconds(optarg, &idle_s) != 0) {
                usage_error("option '--idle-timeout' takes whole seconds "
                            "from 1 to %d, not '%s'",
                            IDLE_TIMEOUT_MAX_S, optarg);
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            bad_option(argv, c);
            return -1;
        }
    }
    if (optind != argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
        return -1;
    }
    idle_ms = idle_s * 1000LL;
    return resolve_paths(p, state_dir, storage, key, sock) == 0 ? 1 : -2;
}

/* The socket. */

static int
socket_address(struct sockaddr_un *sa, const char *path)
{
    size_t len = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (len >= sizeof(sa->sun_path)) {
        log_msg("socket path %s is too long (%lu bytes, at most %lu)", path,
                (unsigned long)len, (unsigned long)sizeof(sa->sun_path) - 1);
        return -1;
    }
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

/*
 * Looks at what is at the socket path: 0 nothing, 1 a socket nobody
 * serves (left by a daemon that died), -1 refused with a log line.
 */
static int
probe_socket(const char *path)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    if (socket_address(&sa, path) != 0) {
        return -1;
    }
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        log_msg("socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        log_msg("%s exists and is not a socket; refusing to replace it", path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_msg("socket: %s", strerror(errno));
        return -1;
    }
    rc = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
    if (rc == 0) {
        log_msg("another wardend is serving %s; refusing to start", path);
        rc = -1;
    } else if (errno == ECONNREFUSED) {
        rc = 1;
    } else {
        log_msg("socket %s: %s", path, strerror(errno));
        rc = -1;
    }
    close(fd);
    return rc;
}

static int
open_listener(const char *path, struct stat *bound)
{
    struct sockaddr_un sa;
    int fd = -1;
    int probe;

    probe = probe_socket(path);
    if (probe < 0 || socket_address(&sa, path) != 0) {
        return -1;
    }
    if (probe == 1) {
        if (unlink(path) != 0) {
            log_msg("stale socket %s: %s", path, strerror(errno));
            return -1;
        }
        log_msg("removed stale socket %s", path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        log_msg("socket: %s", strerror(errno));
        return -1;
    }
    /* umask 077 is in force, so the socket is never reachable by others. */
    if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        log_msg("socket %s: %s", path, strerror(errno));
        goto fail;
    }
    if (chmod(path, 0600) != 0 || stat(path, bound) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        log_msg("socket %s: %s", path, strerror(errno));
        unlink(path);
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Removes the socket, unless someone has put another one in its place. */
static void
remove_socket(const char *path, const struct stat *bound)
{
    struct stat st;

    if (lstat(path, &st) == 0 && st.st_dev == bound->st_dev &&
        st.st_ino == bound->st_ino) {
        unlink(path);
    }
}

/* Sessions. */

/* 1 if buf begins with something to answer: a whole or broken frame. */
static int
has_frame(const struct client *c)
{
    enum wd_frame_result r;
    enum wd_status status;
    size_t frame_len;

    if (c->len == 0) {
        return 0;
    }
    r = wd_frame_check(c->buf, c->len, &frame_len, &status);
    return r != WD_FRAME_NEED_MORE;
}

/*
 * Back-pressure: a session is read only while it has no response waiting
 * to go out and no frame waiting for its answer, so a peer that does not
 * read gets nothing more queued for it, and a frame waits in its socket.
 */
static int
wants_input(const struct client *c)
{
    return c->fd >= 0 && c->out_len == 0 && !c->closing && !has_frame(c);
}

/* A frame is here and nothing stands in the way of its answer. */
static int
is_ready(const struct client *c)
{
    return c->fd >= 0 && c->out_len == 0 && !c->closing && has_frame(c) &&
           (c->yield_until == 0 || now_ms() >= c->yield_until);
}

static void
client_close(struct client *c)
{
    wc_companion_release(&companion, &c->ch);
    close(c->fd);
    if (c->errors_unlogged > 0) {
        log_msg("session %lu: %lu more errors", c->session, c->errors_unlogged);
    }
    log_msg("session %lu closed: %lu requests, %lu errors", c->session,
            c->requests, c->errors);
    /*
     * The buffers may hold request bytes that a later command keeps
     * secret, or random bytes a host was to make keys of.
     */
    wc_wipe(c->buf, sizeof(c->buf));
    wc_wipe(c->out, sizeof(c->out));
    c->fd = -1;
    c->len = 0;
    c->out_len = 0;
    c->out_off = 0;
    c->holding = 0;
    c->closing = 0;
}

/* The session that has gone longest without a request; the older on a tie. */
static struct client *
longest_idle(void)
{
    struct client *best = NULL;
    unsigned i;

    for (i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &clients[i];

        if (c->fd < 0) {
            continue;
        }
        if (best == NULL || c->last_request < best->last_request ||
            (c->last_request == best->last_request &&
             c->session < best->session)) {
            best = c;
        }
    }
    return best;
}

static void
client_accept(int lfd)
{
    struct ucred cred;
    socklen_t credlen = sizeof(cred);
    char why[256];
    struct client *c = NULL;
    long long now;
    unsigned i;
    int fd;

    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED) {
            log_msg("accept: %s", strerror(errno));
        }
        return;
    }
    now = now_ms();
    for (i = 0; i < MAX_CLIENTS && c == NULL; i++) {
        if (clients[i].fd < 0) {
            c = &clients[i];
        }
    }
    if (c == NULL) {
        /*
         * Turning the newcomer away would let sixteen connections that
         * never send a thing lock everyone out for the idle timeout; the
         * session that has waited longest without a request makes room.
         */
        c = longest_idle();
        log_msg("all %d sessions in use: closing session %lu, idle %lld s, "
                "for a new connection",
                MAX_CLIENTS, c->session, (now - c->last_request) / 1000);
        client_close(c);
    }
    memset(&cred, 0, sizeof(cred));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) != 0) {
        cred.pid = 0;
        cred.uid = (uid_t)-1;
    }
    c->fd = fd;
    c->session = ++sessions_opened;
    c->requests = 0;
    c->errors = 0;
    c->errors_unlogged = 0;
    c->last_request = now;
    c->len = 0;
    c->out_len = 0;
    c->out_off = 0;
    c->holding = 0;
    c->yield_until = 0;
    c->closing = 0;
    wc_channel_init(&c->ch);
    c->pid = cred.pid;
    c->ch.peer = c;
    log_msg("session %lu open: pid %ld uid %ld", c->session, (long)cred.pid,
            (long)cred.uid);
    if (wemu_identify_process(c->pid, &c->process, why, sizeof(why)) != 0) {
        log_msg("session %lu: cannot identify pid %ld, so cannot measure "
                "it: %s",
                c->session, (long)c->pid, why);
    }
}

/*
 * The companion's measure_host: the program on the other end of a
 * session, measured from outside it (measure.h). A refusal is logged
 * with its reason; the companion answers the host NOT_MEASURED.
 */
static int
measure_peer(void *ctx, const void *peer, const char *config,
             size_t config_len, uint8_t image_hash[32],
             uint8_t config_hash[32])
{
    const struct client *c = peer;
    char why[256];

    (void)ctx;
    if (c == NULL) {
        return -1;
    }
    if (wemu_measure_process(c->pid, &c->process, config, config_len,
                             image_hash, config_hash, why, sizeof(why)) != 0) {
        log_msg("session %lu: cannot measure pid %ld: %s", c->session,
                (long)c->pid, why);
        return -1;
    }
    return 0;
}

/*
 * Sends as much of the queued response as the socket takes now; the
 * rest waits for POLLOUT. Returns -1 if the session was closed.
 */
static int
client_flush(struct client *c)
{
    ssize_t n;

    while (c->out_off < c->out_len) {
        n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                 MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        log_msg("session %lu: cannot send response: %s", c->session,
                strerror(errno));
        client_close(c);
        return -1;
    }
    wc_wipe(c->out, c->out_len);
    c->out_len = 0;
    c->out_off = 0;
    if (c->closing) {
        client_close(c);
        return -1;
    }
    /*
     * Reading starts again: the rest of a frame begun in buf is waited
     * for from now, not from before the peer held things up.
     */
    c->frame_start = now_ms();
    return 0;
}

/*
 * One read of what the socket holds, if the session may read now.
 * Returns 1 if bytes came, 0 if none did, -1 if the session was closed.
 */
static int
client_pull(struct client *c)
{
    ssize_t n;

    if (!wants_input(c)) {
        return 0;
    }
    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return 0;
        }
        log_msg("session %lu: read failed: %s", c->session, strerror(errno));
        client_close(c);
        return -1;
    }
    if (n == 0) {
        if (c->len > 0) {
            log_msg("session %lu: closed mid-frame after %lu bytes", c->session,
                    (unsigned long)c->len);
        }
        client_close(c);
        return -1;
    }
    if (c->len == 0) {
        c->frame_start = now_ms();
    }
    c->len += (size_t)n;
    return 1;
}

/*
 * One log line for a request the companion answered with an error, for
 * the first few of a session; the rest are only counted. The error that
 * closes a session is always told.
 */
static void
log_error(struct client *c, const uint8_t *frame, size_t len, unsigned status,
          int closing)
{
    const char *tail = closing ? "; closing" : "";

    if (!closing && c->errors > ERROR_LINES_MAX) {
        c->errors_unlogged++;
        return;
    }
    if (len >= WD_HEADER_LEN && frame[0] == WD_PROTO_VERSION) {
        log_msg("session %lu: request seq %u (%s): %s%s", c->session,
                (unsigned)wd_get16(frame + 4), wd_command_name(frame[1]),
                wd_status_message(status), tail);
    } else if (len > 0) {
        log_msg("session %lu: %lu-byte request starting 0x%02x: %s%s",
                c->session, (unsigned long)len, frame[0],
                wd_status_message(status), tail);
    } else {
        log_msg("session %lu: %s%s", c->session, wd_status_message(status),
                tail);
    }
}

/*
 * Hands the frame at the front of buf (or, if broken, all there is) to
 * the companion, queues its response and sends what the socket takes.
 * Only for a session that is_ready(). Returns -1 if it was closed.
 */
static int
client_answer(struct client *c)
{
    enum wd_frame_result r;
    enum wd_status status;
    size_t frame_len = 0, out_len;
    long long now = now_ms();
    int broken;

    r = wd_frame_check(c->buf, c->len, &frame_len, &status);
    /* Nothing after a broken frame can be trusted: answer, then close. */
    broken = r == WD_FRAME_BROKEN;
    if (broken) {
        frame_len = c->len;
    }
    out_len =
        wc_companion_handle(&companion, &c->ch, c->buf, frame_len, c->out);
    c->requests++;
    c->last_request = now;
    if (out_len < WD_HEADER_LEN) {
        log_msg("session %lu: companion wrote no response; closing",
                c->session);
        client_close(c);
        return -1;
    }
    if (c->out[3] != WD_STATUS_OK) {
        c->errors++;
        log_error(c, c->buf, frame_len, c->out[3], broken);
    }

    if (c->out[3] == WD_STATUS_BUSY) {
        last_busy_ms = now;
    }
    /* The hold is timed from its start, not from the last chunk. */
    if (!wc_companion_holds(&companion, &c->ch)) {
        if (c->holding && last_busy_ms >= c->hold_since) {
            c->yield_until = now + YIELD_MS;
        }
        c->holding = 0;
    } else if (!c->holding) {
        c->holding = 1;
        c->hold_since = now;
    }

    memmove(c->buf, c->buf + frame_len, c->len - frame_len);
    c->len -= frame_len;
    wc_wipe(c->buf + c->len, frame_len);
    c->frame_start = now;
    c->closing = broken;
    c->out_len = out_len;
    c->out_off = 0;
    c->out_since = now;
    return client_flush(c);
}

/*
 * The session has held the companion's message buffers for too long.
 * A frame already here, that the daemon had no turn for, still gets its
 * answer: it may finish the message. If the hold outlives it, the
 * session goes, and the buffers with it.
 */
static void
expire_hold(struct client *c)
{
    if (client_pull(c) < 0) {
        return;
    }
    if (is_ready(c) && client_answer(c) != 0) {
        return;
    }
    if (c->holding) {
        log_msg("session %lu: chunked message unfinished after %d s, "
                "holding the companion's buffer; closing",
                c->session, HOLD_TIMEOUT_MS / 1000);
        client_close(c);
    }
}

/*
 * Closes c if one of its time limits has passed. Each is judged on what
 * the peer has done: before a peer is blamed, what its socket holds is
 * read, or what it will take is written, once more, as the daemon may
 * have been busy while the bytes were waiting.
 */
static void
client_expire(struct client *c, long long now)
{
    if (c->holding && now - c->hold_since >= HOLD_TIMEOUT_MS) {
        expire_hold(c);
        return;
    }
    if (c->out_len > 0) {
        if (now - c->out_since < WRITE_TIMEOUT_MS || client_flush(c) != 0 ||
            c->out_len == 0) {
            return;
        }
        log_msg("session %lu: response not read for %d s; closing", c->session,
                WRITE_TIMEOUT_MS / 1000);
        client_close(c);
        return;
    }
    if (c->len > 0 && !has_frame(c)) {
        if (now - c->frame_start < FRAME_TIMEOUT_MS || client_pull(c) != 0) {
            return;
        }
        log_msg("session %lu: frame incomplete after %d s (%lu bytes); "
                "closing",
                c->session, FRAME_TIMEOUT_MS / 1000, (unsigned long)c->len);
        client_close(c);
        return;
    }
    if (c->len == 0 && now - c->last_request >= idle_ms) {
        if (client_pull(c) != 0) {
            return;
        }
        log_msg("session %lu: no request for %lld s; closing", c->session,
                idle_ms / 1000);
        client_close(c);
    }
}

/*
 * ms until the next time limit of c is up: 0 if it has passed, or if a
 * frame is ready to be answered.
 */
static long long
client_wait(const struct client *c, long long now)
{
    long long at;

    if (is_ready(c)) {
        return 0;
    }
    if (c->out_len == 0 && has_frame(c) && c->yield_until > now) {
        return c->yield_until - now;
    }
    if (c->out_len > 0) {
        at = c->out_since + WRITE_TIMEOUT_MS;
    } else if (c->len > 0) {
        at = c->frame_start + FRAME_TIMEOUT_MS;
    } else {
        at = c->last_request + idle_ms;
    }
    if (c->holding && c->hold_since + HOLD_TIMEOUT_MS < at) {
        at = c->hold_since + HOLD_TIMEOUT_MS;
    }
    return at > now ? at - now : 0;
}

static void
drain_wake_pipe(void)
{
    char buf[64];

    while (read(wake_pipe[0], buf, sizeof(buf)) > 0) {
        continue;
    }
}

/*
 * The poll() loop; returns 0 when a signal stops it, -1 on failure.
 * Each turn: wait for the sockets, move the bytes they are ready for,
 * take a new connection, answer one frame per session, and only then,
 * with everything that was waiting read, judge the time limits.
 */
static int
serve(int lfd)
{
    struct pollfd pfd[2 + MAX_CLIENTS];
    struct client *slot[2 + MAX_CLIENTS];
    long long now, left, timeout;
    nfds_t n, i;
    struct client *c;
    int ready;
    /* The companion may have work to do ahead (new after any request). */
    int idle_work = 1;

    while (!stop_signal) {
        now = now_ms();
        timeout = -1;
        n = 0;
        pfd[n].fd = wake_pipe[0];
        pfd[n].events = POLLIN;
        slot[n++] = NULL;
        pfd[n].fd = lfd;
        pfd[n].events = POLLIN;
        slot[n++] = NULL;
        for (i = 0; i < MAX_CLIENTS; i++) {
            c = &clients[i];
            if (c->fd < 0) {
                continue;
            }
            pfd[n].fd = c->fd;
            /* A session with a frame to answer waits for nothing. */
            pfd[n].events = 0;
            if (c->out_len > 0) {
                pfd[n].events = POLLOUT;
            } else if (wants_input(c)) {
                pfd[n].events = POLLIN;
            }
            slot[n++] = c;
            left = client_wait(c, now);
            if (timeout < 0 || left < timeout) {
                timeout = left;
            }
        }
        for (i = 0; i < n; i++) {
            pfd[i].revents = 0;
        }
        /* Background work only when nothing is waiting: look, don't wait. */
        if (idle_work) {
            timeout = 0;
        }

        ready = poll(pfd, n, (int)timeout);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_msg("poll: %s", strerror(errno));
            return -1;
        }
        if (pfd[0].revents != 0) {
            drain_wake_pipe();
        }
        for (i = 2; i < n; i++) {
            c = slot[i];
            if (pfd[i].revents == 0 || c->fd < 0) {
                continue;
            }
            if (c->out_len > 0) {
                client_flush(c);
            } else {
                client_pull(c);
            }
        }
        if (!stop_signal && (pfd[1].revents & POLLIN) != 0) {
            client_accept(lfd);
        }
        /* After a signal no frame is begun; the one in hand was finished. */
        for (i = 0; i < MAX_CLIENTS && !stop_signal; i++) {
            if (is_ready(&clients[i])) {
                client_answer(&clients[i]);
                idle_work = 1;
                ready++;
            }
        }
        if (ready == 0 && idle_work && !stop_signal) {
            idle_work = wc_companion_idle(&companion);
        }
        now = now_ms();
        for (i = 0; i < MAX_CLIENTS && !stop_signal; i++) {
            if (clients[i].fd >= 0) {
                client_expire(&clients[i], now);
            }
        }
    }
    return 0;
}

/* Checks before start-up, and the state folder. */

static int
is_missing(const char *path)
{
    struct stat st;

    return lstat(path, &st) != 0 && errno == ENOENT;
}

/*
 * Others reaching the state is no reason to stop (the key file, which
 * is, gets refused on its own), but worth a line.
 */
static void
warn_if_shared(const char *what, const char *path, unsigned long want)
{
    struct stat st;

    if (stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        log_msg("warning: %s %s is accessible to group or others (mode "
                "%04lo); chmod %lo it",
                what, path, (unsigned long)(st.st_mode & 07777), want);
    }
}

/*
 * A folder that a new file or folder is to go in: it must exist and be
 * writable, unless it is the state folder that this start will make.
 */
static int
check_folder(const struct paths *p, const char *dir, const char *what,
             const char *path)
{
    struct stat st;

    if (p->state_missing && strcmp(dir, p->state) == 0) {
        return 0;
    }
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT) {
            log_msg("%s %s: folder %s does not exist; make it first, or "
                    "choose another path",
                    what, path, dir);
        } else {
            log_msg("%s %s: folder %s: %s", what, path, dir, strerror(errno));
        }
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        log_msg("%s %s: %s is not a folder", what, path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        log_msg("%s %s: cannot write in folder %s: %s", what, path, dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int
check_parent(const struct paths *p, const char *path, const char *what)
{
    char dir[PATH_MAX];

    parent_of(path, dir);
    return check_folder(p, dir, what, path);
}

/*
 * An existing state folder is used as it is; a missing one is made only
 * at its last part (or, for the default, below $HOME), so what it goes
 * in must be there already. Sets p->state_missing.
 */
static int
check_state_dir(struct paths *p)
{
    struct stat st;

    p->state_missing = 0;
    if (stat(p->state, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            log_msg("state folder %s (%s) is not a folder", p->state,
                    p->state_from);
            return -1;
        }
        warn_if_shared("state folder", p->state, 0700);
        return 0;
    }
    if (errno != ENOENT) {
        log_msg("state folder %s (%s): %s", p->state, p->state_from,
                strerror(errno));
        return -1;
    }
    if (stat(p->state_base, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (p->state_parents) {
            log_msg("state folder %s (%s): home folder %s does not exist",
                    p->state, p->state_from, p->state_base);
        } else {
            log_msg("state folder %s (%s): its parent folder %s does not "
                    "exist; wardend makes only the last folder of the "
                    "path: make the parent first, or choose another folder",
                    p->state, p->state_from, p->state_base);
        }
        return -1;
    }
    if (access(p->state_base, W_OK | X_OK) != 0) {
        log_msg("state folder %s (%s): cannot write in folder %s: %s", p->state,
                p->state_from, p->state_base, strerror(errno));
        return -1;
    }
    p->state_missing = 1;
    return 0;
}

/*
 * Everything that can be checked before a folder or file is made, so
 * that a start bound to fail leaves nothing behind: the state folder,
 * the socket path (length, folder, no other daemon on it), the files the
 * companion would be refused, and the folders new files would go in.
 */
static int
check_start(struct paths *p)
{
    char err[512];

    if (p->state[0] != '\0' && check_state_dir(p) != 0) {
        return -1;
    }
    if (probe_socket(p->socket) < 0 ||
        check_parent(p, p->socket, "socket") != 0) {
        return -1;
    }
    if (wemu_platform_check(p->storage, p->key, err, sizeof(err)) != 0) {
        log_msg("%s", err);
        return -1;
    }
    if (is_missing(p->storage) && check_parent(p, p->storage, "storage") != 0) {
        return -1;
    }
    if (is_missing(p->key) && check_parent(p, p->key, "key file") != 0) {
        return -1;
    }
    return 0;
}

/* Makes the state folder (0700 under umask 077), noting what it made. */
static int
make_state_dir(struct paths *p)
{
    char buf[PATH_MAX];
    struct stat st;
    size_t len = strlen(p->state);
    size_t i = p->state_parents ? strlen(p->state_base) : len;

    memcpy(buf, p->state, len + 1);
    for (; i <= len; i++) {
        if ((buf[i] != '/' && buf[i] != '\0') || i == 0 || buf[i - 1] == '/') {
            continue;
        }
        buf[i] = '\0';
        if (mkdir(buf, 0700) == 0) {
            if (p->state_made == 0) {
                p->state_made = i;
            }
        } else if (errno != EEXIST) {
            log_msg("state folder %s: cannot make %s: %s", p->state, buf,
                    strerror(errno));
            return -1;
        }
        buf[i] = p->state[i];
    }
    if (stat(p->state, &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_msg("state folder %s is not a folder", p->state);
        return -1;
    }
    return 0;
}

/* Takes back the folders this start made, as long as they are empty. */
static void
unmake_state_dir(const struct paths *p)
{
    char buf[PATH_MAX];
    size_t len = strlen(p->state);

    if (p->state_made == 0) {
        return;
    }
    memcpy(buf, p->state, len + 1);
    while (len >= p->state_made) {
        buf[len] = '\0';
        if (rmdir(buf) != 0 && errno != ENOENT) {
            return;
        }
        while (len > 0 && buf[len - 1] != '/') {
            len--;
        }
        while (len > 1 && buf[len - 1] == '/') {
            len--;
        }
    }
}

/* Start-up. */

/*
 * The companion would not start. For storage it refuses, says what the
 * user can do: wardend never repairs it, as that would lose the device.
 */
static void
log_init_error(int err, const struct paths *p)
{
    switch (err) {
    case WC_STORAGE_WRONG_KEY:
        log_msg("storage %s: %s (key file %s); refusing to start: restore "
                "the key file that was used with this storage, or move the "
                "storage away to start a new device",
                p->storage, wc_strerror(err), p->key);
        break;
    case WC_STORAGE_CORRUPT:
        log_msg("storage %s: %s; refusing to start: the file is left as it "
                "is; move it away to start a new device (its keys and "
                "certificates are lost)",
                p->storage, wc_strerror(err));
        break;
    case WC_STORAGE_IO:
    case WC_STORAGE_FULL:
    case WC_STORAGE_FAILED:
        log_msg("storage %s: %s; refusing to start", p->storage,
                wc_strerror(err));
        break;
    default:
        log_msg("the companion cannot start: %s", wc_strerror(err));
        break;
    }
}

int
main(int argc, char **argv)
{
    /* Static: five paths of PATH_MAX. */
    static struct paths paths;
    struct stat bound;
    char err[512];
    int have_platform = 0, have_companion = 0, serving = 0;
    int lfd = -1;
    int rc, status = 1;
    unsigned i;

    rc = parse_args(argc, argv, &paths);
    if (rc <= 0) {
        return rc == 0 ? 0 : (rc == -1 ? 2 : 1);
    }
    for (i = 0; i < MAX_CLIENTS; i++) {
        clients[i].fd = -1;
    }
    /* Every file, folder and socket made from here on is the owner's. */
    umask(077);
    if (setup_signals() != 0) {
        log_msg("signals: %s", strerror(errno));
        goto out;
    }

    if (check_start(&paths) != 0) {
        goto out;
    }
    if (paths.state_missing && make_state_dir(&paths) != 0) {
        goto out;
    }
    if (wemu_platform_open(&platform, paths.storage, paths.key, err,
                           sizeof(err)) != 0) {
        log_msg("%s", err);
        goto out;
    }
    have_platform = 1;
    if (wemu_platform_created(&platform)) {
        log_msg("made new storage %s with device key %s", paths.storage,
                paths.key);
    }
    warn_if_shared("storage", paths.storage, 0600);
    platform.plat.measure_host = measure_peer;
    rc = wc_companion_init(&companion, &platform.plat);
    have_companion = 1;
    if (rc != WC_OK) {
        log_init_error(rc, &paths);
        goto out;
    }

    lfd = open_listener(paths.socket, &bound);
    if (lfd < 0) {
        goto out;
    }
    serving = 1;
    log_msg("serving companion on unix:%s", paths.socket);
    if (serve(lfd) == 0) {
        status = 0;
    }
    if (stop_signal != 0) {
        log_msg("shutting down on %s", signal_name(stop_signal));
    } else {
        log_msg("shutting down");
    }

    for (i = 0; i < MAX_CLIENTS; i++) {
        /* A response already made goes out if the socket takes it now. */
        if (clients[i].fd >= 0 && clients[i].out_len > 0) {
            client_flush(&clients[i]);
        }
        if (clients[i].fd >= 0) {
            client_close(&clients[i]);
        }
    }
    close(lfd);
    remove_socket(paths.socket, &bound);
out:
    if (have_companion) {
        wc_companion_wipe(&companion);
    }
    if (have_platform) {
        wemu_platform_close(&platform);
    }
    if (!serving) {
        /* A start that failed leaves no empty state folder behind. */
        unmake_state_dir(&paths);
    }
    return status;
}
