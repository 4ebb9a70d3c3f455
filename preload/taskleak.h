/* taskleak.h: the in-process API of the taskleak detector (taskleak(7), IN-PROCESS API).
 *
 * Header-only. Each function looks the detector up with dlsym(RTLD_DEFAULT, ...) and does
 * nothing when it is not loaded, so a test suite can call them unconditionally, with or without
 * LD_PRELOAD=libtaskleak.so. Link with -ldl on glibc older than 2.34.
 *
 *   taskleak_active()          1 when the detector is loaded and on, else 0
 *   taskleak_ignore_current()  units alive now (and finished threads not yet joined) are ignored
 *                              by later checks
 *   taskleak_check()           leak check now (waits up to `grace`), writes a "check-<n>" report;
 *                              returns the number of units leaked, deadlocked or unjoined
 *                              (threads finished but never joined nor detached; 0 without it)
 *   taskleak_dump()            reports every unit now ("dump-<n>" report and text on the log)
 *   taskleak_set_label(s)      units created from now on by this thread, and their descendants,
 *                              carry label s in reports (a test's name); NULL clears it
 */
#ifndef TASKLEAK_H
#define TASKLEAK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>
#include <stddef.h>

static inline void *taskleak_lookup_(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static inline int taskleak_active(void)
{
    int (*f)(void) = (int (*)(void))taskleak_lookup_("taskleak_active");
    return f != NULL ? f() : 0;
}

static inline void taskleak_ignore_current(void)
{
    void (*f)(void) = (void (*)(void))taskleak_lookup_("taskleak_ignore_current");
    if (f != NULL)
        f();
}

static inline int taskleak_check(void)
{
    int (*f)(void) = (int (*)(void))taskleak_lookup_("taskleak_check");
    return f != NULL ? f() : 0;
}

static inline void taskleak_dump(void)
{
    void (*f)(void) = (void (*)(void))taskleak_lookup_("taskleak_dump");
    if (f != NULL)
        f();
}

static inline void taskleak_set_label(const char *label)
{
    void (*f)(const char *) = (void (*)(const char *))taskleak_lookup_("taskleak_set_label");
    if (f != NULL)
        f(label);
}

#endif /* TASKLEAK_H */
