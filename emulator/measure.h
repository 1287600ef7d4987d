/*
 * The emulator's secure-boot measurement of a connected program (design
 * section 1): what a boot ROM does on a real device, done by wardend
 * from outside the program, so that no program can report another's
 * hash.
 *
 * The image is the file /proc/PID/exe names; the configuration is a file
 * the program names, read by wardend itself (a relative name from the
 * program's working folder). Both must be regular files of at most
 * WEMU_MEASURE_FILE_MAX bytes.
 *
 * Limits of measuring a Linux process, written down because they are
 * real: a program can be changed after it started by whatever can
 * ptrace it or load code into it. wardend refuses a program that is
 * being traced or that starts with LD_PRELOAD, LD_AUDIT or
 * LD_LIBRARY_PATH in its environment, but a same-user attacker with
 * ptrace rights can still patch a running, measured process; on a chip
 * the boot ROM measures before anything else runs. The environment is
 * read whole from /proc/PID/environ, which is the process's own memory:
 * a library an injector already loaded can overwrite its variable there
 * before BOOT, the same limit as ptrace.
 *
 * Known shortcomings of reading files for a program (no test machine
 * here has FUSE or a network file system to show them):
 * - wardend has one thread: a file on a FUSE or network file system
 *   whose server stalls a read stalls every session until it answers.
 *   /proc, /sys and the like are refused; such file systems are not.
 * - The configuration is opened with wardend's rights, not the
 *   program's: a program may name a file only wardend can read and
 *   learn whether its contents match a guess (through the measurement,
 *   a hash of its hash). Checking the program's own rights needs its
 *   credentials applied to the open (setfsuid), which an unprivileged
 *   wardend cannot do; run wardend as the programs' user. Shared libraries are
 * not measured (they belong to the system, not the firmware image).
 */
#ifndef WEMU_MEASURE_H
#define WEMU_MEASURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Hashing blocks wardend's one thread (about 3 ms a MB here): the cap
 * bounds what one BOOT can cost every other session.
 */
#define WEMU_MEASURE_FILE_MAX (16L * 1024 * 1024)

/*
 * Which process a pid named when a program connected: SO_PEERCRED's pid
 * is only a number, and by BOOT it may name another process (the
 * program exited and the pid was reused) or another program (the
 * process exec'd one, keeping a forked child on the connection).
 */
struct wemu_process_id {
    unsigned long long start_time; /* clock ticks after boot */
    dev_t exe_dev;
    ino_t exe_ino;
};

/*
 * Fills id for process pid as it is now. Call it when the connection
 * is accepted. Returns 0, or -1 with the reason in why.
 *
 * Known shortcoming: the kernel records the pid at connect(), wardend
 * reads the rest at accept; a program that connects and execs at once
 * wins that race easily (a test that did not wait for an answer before
 * exec'ing lost it most runs) and looks like what it exec'd. A boot ROM
 * measures before the host runs; no Linux call closes this gap (the
 * sender's credentials on each message, SO_PASSCRED, only move it to
 * between a send and an exec).
 */
int wemu_identify_process(pid_t pid, struct wemu_process_id *id, char *why,
                          size_t whylen);

/*
 * SHA-256 of process pid's executable into image_hash and of the
 * configuration file config (config_len bytes, not NUL-terminated; 0:
 * none, hashed as empty) into config_hash. Refused unless pid is still
 * the process, running the program, that connected (as identified). Returns 0,
 * or -1 with the reason in why (whylen bytes, always terminated).
 */
int wemu_measure_process(pid_t pid, const struct wemu_process_id *connected,
                         const char *config, size_t config_len,
                         uint8_t image_hash[32], uint8_t config_hash[32],
                         char *why, size_t whylen);

#endif
