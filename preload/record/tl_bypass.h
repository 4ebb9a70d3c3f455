/* tl_bypass: does a loaded gor runtime call its own wrapped entry points behind our back?
 * (hostile case 52 (docs/hostile-hosts.md).)
 *
 * The detector wraps gor's entry points (ipose_gor.c). A program's calls reach the wrappers
 * through its PLT; calls the runtime makes to its OWN exported entry points do not when the
 * runtime was linked -Bsymbolic (DT_SYMBOLIC / DF_SYMBOLIC), compiled so that calls inside it bind
 * locally (clang's default -fno-semantic-interposition, protected visibility) or calls hidden
 * aliases of them. The self-test reads the loaded object's dynamic section, relocations and code,
 * decides which wrapped entry points it reaches without a symbol lookup, and says what the report
 * then lacks. It runs once per runtime object, on the first resolution of a gor entry point (not
 * a fast path); nothing here is async-signal-safe except tl_bypass_select_durable_known.
 */
#ifndef TL_BYPASS_H
#define TL_BYPASS_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How an object uses one of its exported functions (filled by tl_bypass_inspect). */
struct tl_bypass_use {
    const char *name; /* in: the exported function's name */
    uintptr_t addr;   /* its definition in the object (run-time address); 0: not defined there */
    size_t size;      /* the definition's st_size (calls from inside it are recursion) */
    unsigned relocs;  /* JUMP_SLOT, GLOB_DAT and 64-bit relocations naming it: uses that go
                         through the dynamic linker's symbol lookup */
    unsigned direct;  /* call/jmp rel32 instructions of the object's code aimed at addr from
                         outside the function: uses no symbol lookup can redirect */
};

/* Pure: inspects the loaded object `info` describes (an entry of dl_iterate_phdr) for the uses
 * of uses[0..n).name and fills the other fields; *symbolic receives whether DT_SYMBOLIC or
 * DF_SYMBOLIC is set (the object's references to its own symbols then bind inside it). Reads
 * only the object's mapped memory (no file, no fd, no allocation). Direct calls are found by
 * scanning the executable segments for x86-64 call/jmp rel32 encodings: a hit proves a bypass
 * (a stray match needs 4 bytes to equal one exact displacement), but a call the compiler inlined
 * or aimed at a clone (foo.part.0) is not seen. Returns 0, or -1 with errno ENOEXEC when the
 * object has no dynamic symbol table, ENOTSUP on an architecture other than x86-64. */
int tl_bypass_inspect(const struct dl_phdr_info *info, struct tl_bypass_use *uses, size_t n,
                        bool *symbolic);

/* True when the object reaches this function without the wrapper seeing it: a direct call, or
 * (symbolic) a relocation that the dynamic linker binds to the object's own definition. Pure. */
bool tl_bypass_bypassed(const struct tl_bypass_use *u, bool symbolic);

/* The verdict on one gor runtime object: one bit per wrapped entry point, in the order of
 * tl_bypass_entry_name. */
struct tl_bypass_verdict {
    bool symbolic;     /* DT_SYMBOLIC or DF_SYMBOLIC set */
    unsigned defined;  /* entry points the object defines */
    unsigned bypassed; /* entry points it reaches without our wrapper */
    unsigned harmful;  /* the bypassed ones whose wrapper a report field depends on */
};

/* Number of wrapped gor entry points, and their names (i < count; NULL beyond). Pure. */
size_t tl_bypass_entry_count(void);
const char *tl_bypass_entry_name(size_t i);

/* Pure: inspects the object for every wrapped entry point and judges it. Returns 0, or -1 with
 * errno as tl_bypass_inspect. */
int tl_bypass_judge(const struct dl_phdr_info *info, struct tl_bypass_verdict *v);

/* Pure: the one-line message for v about the object at path, without "taskleak: " and without
 * the newline, into buf (always NUL-terminated when n > 0). Returns true when the line is a
 * warning (something the detector relies on is bypassed: "<path>: internal calls not
 * interposable (<why>): <what the report lacks>"), false when it is informative only (shown at
 * verbosity >= 1). */
bool tl_bypass_format(const struct tl_bypass_verdict *v, const char *path, char *buf, size_t n);

/* The attach-time check, called where the gor wrappers resolve a real entry point at `addr`:
 * finds the loaded object holding addr and, the first time that object is seen (up to 8 objects
 * are remembered), judges it and logs the line (a warning always, an informative line at
 * verbosity >= 1). Does nothing before the detector is initialised (a later resolution
 * retries). Thread-safe; errno kept. Not AS-safe (dl_iterate_phdr, formatted log). */
void tl_bypass_runtime(const void *addr);

/* False once a checked runtime makes gor_select calls the wrapper cannot see: a task's "select"
 * wait then may have a timeout, so it must not be reported durable (the wrapper marks timed
 * selects only when it sees them). True otherwise. AS-safe (one atomic load). */
bool tl_bypass_select_durable_known(void);

#endif /* TL_BYPASS_H */
