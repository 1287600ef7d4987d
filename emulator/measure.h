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
 * before BOOT, the same limit as ptrace. Shared libraries are
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
 * SHA-256 of process pid's executable into image_hash and of the
 * configuration file config (config_len bytes, not NUL-terminated; 0:
 * none, hashed as empty) into config_hash. Returns 0, or -1 with the
 * reason in why (whylen bytes, always terminated).
 */
int wemu_measure_process(pid_t pid, const char *config, size_t config_len,
                         uint8_t image_hash[32], uint8_t config_hash[32],
                         char *why, size_t whylen);

#endif
