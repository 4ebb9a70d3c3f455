/*
 * Offline symbolization (see symbolize.h).
 *
 * One Dwfl session per module file per process: dwfl_report_offline() maps the file at an
 * address libdw chooses, so a frame's address is that module's load bias plus the frame's
 * offset (the offset is relative to the module's load base, like l_addr). Return addresses
 * point after the call, so lookups use offset - 1, which lands inside the call instruction's
 * line, as addr2line users do. Inlined frames come from dwarf_getscopes() at that address: each
 * DW_TAG_inlined_subroutine scope is one inline frame whose caller's position is its
 * DW_AT_call_file / DW_AT_call_line, ending at the DW_TAG_subprogram.
 * Sessions are cached per (proc, module) in mod_dwfl[], so each file is opened once.
 */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "tl_input.h"
#include "tl_vec.h"

static char *debuginfo_path;
static const Dwfl_Callbacks offline_cb = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

struct session { /* one open module, valid while symbolizing one proc */
    Dwfl *dwfl;
    Dwfl_Module *mod;
};

const char *tlr_module_note(enum tlr_mod_state st)
{
    switch (st) {
    case TLR_MOD_MISSING:
        return "file not found on this machine";
    case TLR_MOD_MISMATCH:
        return "file on disk has another build-id; lines not shown";
    case TLR_MOD_NODEBUG:
        return "no debug information";
    case TLR_MOD_NOTFILE:
        return "not a regular file on this machine; not symbolized";
    default:
        return "";
    }
}

static void hex(const unsigned char *b, int n, char *out)
{
    for (int i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

static bool same_build_id(Dwfl_Module *mod, const char *want)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n <= 0 || n > 64)
        return false;
    char got[130];
    hex(bits, n, got);
    return strcasecmp(got, want) == 0;
}

/* Opens the module's file the way every input is opened (tl_input_open: never blocking, a
 * regular file only), so a report naming a FIFO or a device as a module cannot hang the tool. A
 * path that is there but not a regular file is skipped with a note on stderr; the exit status
 * never depends on symbolization. Returns the fd, or -1 with m->state set. */
static int open_module_file(const struct tlr_proc *p, struct tlr_module *m)
{
    struct tl_input_error e;
    char why[128];
    int fd = m->path ? tl_input_open(m->path, 0, NULL, &e) : -1;
    if (fd >= 0)
        return fd;
    m->state = m->path && e.problem == TL_INPUT_NOT_FILE ? TLR_MOD_NOTFILE : TLR_MOD_MISSING;
    if (m->state == TLR_MOD_NOTFILE)
        tlr_say("note: module %s (in %s) %s; its frames are not symbolized", m->path, p->file,
                tl_input_describe(&e, why, sizeof why));
    return -1;
}

/* Opens the module's file and checks its build-id; sets m->state. */
static void open_module(const struct tlr_proc *p, struct tlr_module *m, struct session *s)
{
    int fd = open_module_file(p, m);
    if (fd < 0)
        return;
    s->dwfl = dwfl_begin(&offline_cb);
    if (s->dwfl)
        s->mod = dwfl_report_offline(s->dwfl, m->path, m->path, fd);
    if (!s->mod) /* libdwfl takes fd over only when it accepts the file (elfutils 0.188) */
        close(fd);
    if (s->dwfl)
        dwfl_report_end(s->dwfl, NULL, NULL);
    if (!s->mod) {
        m->state = TLR_MOD_MISSING;
        return;
    }
    if (m->build_id && m->build_id[0] && !same_build_id(s->mod, m->build_id)) {
        m->state = TLR_MOD_MISMATCH;
        return;
    }
    Dwarf_Addr bias;
    m->state = dwfl_module_getdwarf(s->mod, &bias) ? TLR_MOD_OK : TLR_MOD_NODEBUG;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    return n;
}

static int push_loc(struct tlr_frame *f, const char *fn, const char *file, int line)
{
    if (TL_VEC_PUSH_SLOT(f->locs, f->locs_cap, f->nlocs) != 0)
        return -1;
    f->locs[f->nlocs++] = (struct tlr_loc){dup_or_null(fn), dup_or_null(file), line};
    return 0;
}

/* Walks the scopes at addr: innermost inline first, the subprogram last. When the scopes end
 * without a subprogram (seen with GCC 12 output: the CU follows the inline directly), the
 * symbol table names the enclosing function, at the last inline's call site. */
static void walk_scopes(struct tlr_frame *f, Dwfl_Module *mod, Dwarf_Addr modaddr, Dwarf_Die *cu,
                        Dwarf_Addr addr, const char *file, int line)
{
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, addr, &scopes);
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    bool closed = false;
    dwarf_getsrcfiles(cu, &files, &nfiles);
    for (int i = 0; i < n && i < 256 && !closed; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        closed = tag == DW_TAG_subprogram;
        if (push_loc(f, die_name(&scopes[i]), file, line) < 0)
            break;
        Dwarf_Attribute a;
        Dwarf_Word cf = 0, cl = 0;
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &cf);
        dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl);
        file = files && cf < nfiles ? dwarf_filesrc(files, cf, NULL, NULL) : NULL;
        line = (int)cl;
    }
    if (!closed && f->nlocs)
        push_loc(f, dwfl_module_addrname(mod, modaddr), file, line);
    free(scopes);
}

static void symbolize_frame(struct tlr_frame *f, struct session *s)
{
    if (f->nlocs || !s->mod)
        return;
    Dwarf_Addr bias = 0;
    dwfl_module_getelf(s->mod, &bias);
    Dwarf_Addr addr = bias + (f->offset ? f->offset - 1 : 0);
    Dwfl_Line *dl = dwfl_module_getsrc(s->mod, addr);
    int line = 0;
    const char *file = dl ? dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL) : NULL;
    Dwarf_Addr cubias;
    Dwarf_Die *cu = dwfl_module_addrdie(s->mod, addr, &cubias);
    if (cu)
        walk_scopes(f, s->mod, addr, cu, addr - cubias, file, line);
    if (!f->nlocs && file)
        push_loc(f, dwfl_module_addrname(s->mod, addr), file, line);
}

static size_t symbolize_stack(struct tlr_proc *p, struct tlr_stack *st, struct session *ss)
{
    size_t done = 0;
    for (size_t i = 0; st && i < st->nframes; i++) {
        struct tlr_frame *f = &st->frames[i];
        if (f->module < 0)
            continue;
        struct tlr_module *m = &p->modules[f->module];
        if (m->state == TLR_MOD_UNTRIED)
            open_module(p, m, &ss[f->module]);
        if (m->state == TLR_MOD_OK)
            symbolize_frame(f, &ss[f->module]);
        done += f->nlocs > 0;
    }
    return done;
}

/* Every stack of the process, for outputs that show every unit: walking the stack table
 * rather than the units symbolizes each shared stack once. */
static size_t symbolize_all_stacks(struct tlr_proc *p, struct session *ss)
{
    size_t done = 0;
    for (size_t i = 0; i < p->nstacks; i++)
        done += symbolize_stack(p, &p->stacks[i], ss);
    return done;
}

static size_t symbolize_proc(struct tlr_merged *m, struct tlr_proc *p, int all_units)
{
    struct session *ss = calloc(p->nmodules + 1, sizeof *ss);
    size_t done = 0;
    if (!ss)
        return 0;
    for (size_t i = 0; i < m->ngroups; i++) {
        struct tlr_mgroup *g = m->groups[i];
        for (size_t o = 0; o < g->nocc; o++) {
            if (g->occ[o].proc != p)
                continue;
            done += symbolize_stack(p, g->occ[o].group->blocked, ss);
            done += symbolize_stack(p, g->occ[o].group->created, ss);
        }
    }
    for (size_t k = 0; !all_units && k < p->ninversions; k++) /* lock-order inversions */
        for (size_t e = 0; e < p->inversions[k].nedges; e++) {
            const struct tlr_inv_edge *d = &p->inversions[k].edges[e];
            done += symbolize_stack(p, tlr_proc_stack(p, d->held_stack), ss);
            done += symbolize_stack(p, tlr_proc_stack(p, d->acquired_stack), ss);
        }
    if (all_units)
        done += symbolize_all_stacks(p, ss);
    for (size_t i = 0; i < p->nmodules; i++)
        if (ss[i].dwfl)
            dwfl_end(ss[i].dwfl);
    free(ss);
    return done;
}

size_t tlr_symbolize(struct tlr_merged *m, int all_units)
{
    size_t done = 0;
    for (size_t i = 0; i < m->nprocs; i++)
        done += symbolize_proc(m, &m->procs[i], all_units);
    return done;
}
