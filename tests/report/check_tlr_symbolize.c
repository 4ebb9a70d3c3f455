/*
 * Offline symbolization against a real file: this test program itself. A report is written
 * in memory naming /proc/self/exe with its real build-id and the offsets of functions below;
 * the symbolizer must give back their names, this file and their lines, an inlined frame for
 * the always_inline helper, and nothing at all when the build-id does not match. The JSON
 * renderer must then give each frame its own line and list what was inlined into it.
 */
#include <check.h>
#include <elf.h>
#include <jansson.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "merge.h"
#include "render.h"
#include "symbolize.h"
#include "tlr_test.h"

enum { PROBE_LINE = __LINE__ + 1 };
static __attribute__((noinline)) int tlr_probe_target(int x)
{
    return x * 3 + 1;
}

/* Its return address lies inside the inlined helper's code in tlr_inline_host. */
static __attribute__((noinline)) void *tlr_where(void)
{
    return __builtin_return_address(0);
}

enum { INLINE_LINE = __LINE__ + 3 };
static inline __attribute__((always_inline)) void *tlr_inlined_helper(void)
{
    void *r = tlr_where();
    __asm__ volatile("" : "+r"(r)); /* no tail call: the return address must stay here */
    return r;
}

static __attribute__((noinline)) void *tlr_inline_host(void)
{
    return tlr_inlined_helper();
}

struct self {
    uintptr_t base;
    char build_id[130];
};

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct self *s = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const unsigned char *desc =
                (const unsigned char *)(p + sizeof *n + ((n->n_namesz + 3) & ~3u));
            if (n->n_type == NT_GNU_BUILD_ID) {
                for (unsigned k = 0; k < n->n_descsz && k < 64; k++)
                    sprintf(s->build_id + 2 * k, "%02x", desc[k]);
                s->base = info->dlpi_addr;
                return 1;
            }
            p += sizeof *n + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 1; /* the first object is the program itself */
}

/* A one-group report whose blocked stack is the given addresses in this program. */
static struct tlr_merged self_report(const char *build_id, uintptr_t a, uintptr_t b)
{
    struct self s = {0};
    /* /proc/self/exe rather than the name it links to: the runner may be relinked by a
     * concurrent build while it runs, and then only this link still reaches our file. */
    const char *exe = "/proc/self/exe";
    char doc[4096], err[512];
    dl_iterate_phdr(find_self, &s);
    snprintf(
        doc, sizeof doc,
        "{\"schema\":\"taskleak/1\",\"kind\":\"exit\",\"process\":{\"pid\":1,\"exe\":\"%s\"},"
        "\"modules\":[{\"id\":0,\"path\":\"%s\",\"build_id\":\"%s\",\"base\":\"0x%lx\"}],"
        "\"stacks\":[{\"id\":1,\"frames\":[{\"ip\":\"0x%lx\",\"module\":0,\"offset\":\"0x%lx\","
        "\"function\":null},{\"ip\":\"0x%lx\",\"module\":0,\"offset\":\"0x%lx\","
        "\"function\":\"tlr_inline_host\"}]}],"
        "\"groups\":[{\"verdict\":\"leaked\",\"kind\":\"thread\",\"reason\":\"sleep\","
        "\"blocked_stack\":1,\"count\":1,\"units\":[\"thread:2\"]}]}",
        exe, exe, build_id ? build_id : s.build_id, (unsigned long)s.base, (unsigned long)a,
        (unsigned long)(a - s.base), (unsigned long)b, (unsigned long)(b - s.base));
    struct tlr_merged m = {0};
    m.procs = calloc(1, sizeof *m.procs);
    ck_assert_msg(tlr_load_buffer(doc, strlen(doc), "self", 0, &m.procs[0], err, sizeof err) == 0,
                  "%s", err);
    m.nprocs = 1;
    ck_assert_int_eq(tlr_merge(&m), 0);
    return m;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

START_TEST(a_frame_gets_its_function_file_and_line)
{
    /* +1: the symbolizer looks up offset - 1, as for a return address */
    struct tlr_merged m =
        self_report(NULL, (uintptr_t)tlr_probe_target + 1, (uintptr_t)tlr_inline_host + 1);
    ck_assert_uint_gt(tlr_symbolize(&m, 0), 0);
    ck_assert_int_eq(m.procs[0].modules[0].state, TLR_MOD_OK);
    const struct tlr_frame *f = &m.procs[0].stacks[0].frames[0];
    ck_assert_uint_ge(f->nlocs, 1);
    const struct tlr_loc *l = &f->locs[f->nlocs - 1];
    ck_assert_str_eq(l->function, "tlr_probe_target");
    ck_assert_str_eq(base_name(l->file), "check_tlr_symbolize.c");
    ck_assert_int_ge(l->line, PROBE_LINE);
    ck_assert_int_le(l->line, PROBE_LINE + 2);
    tlr_merged_free(&m);
}
END_TEST

START_TEST(an_inlined_function_is_its_own_frame_inside_its_caller)
{
    void *inside = tlr_inline_host();
    struct tlr_merged m = self_report(NULL, (uintptr_t)tlr_probe_target + 1, (uintptr_t)inside);
    tlr_symbolize(&m, 0);
    const struct tlr_frame *f = &m.procs[0].stacks[0].frames[1];
    ck_assert_uint_ge(f->nlocs, 2);
    ck_assert_str_eq(f->locs[0].function, "tlr_inlined_helper");
    ck_assert_int_eq(f->locs[0].line, INLINE_LINE);
    ck_assert_str_eq(f->locs[f->nlocs - 1].function, "tlr_inline_host");
    tlr_merged_free(&m);
}
END_TEST

/* The merged report as --format json writes it, parsed back. */
static json_t *rendered_json(const struct tlr_merged *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct tlr_render_opts o = {.fail_on = TLR_FAIL_ANY};
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(tlr_render_json(f, m, &o), 0);
    fclose(f);
    json_error_t je;
    json_t *root = json_loadb(buf, len, 0, &je);
    ck_assert_msg(root != NULL, "invalid JSON: %s", je.text);
    free(buf);
    return root;
}

START_TEST(json_gives_a_frame_its_own_line_and_lists_what_was_inlined_into_it)
{
    void *inside = tlr_inline_host();
    struct tlr_merged m = self_report(NULL, (uintptr_t)tlr_probe_target + 1, (uintptr_t)inside);
    ck_assert_uint_gt(tlr_symbolize(&m, 0), 0);
    json_t *root = rendered_json(&m);
    json_t *stack =
        json_object_get(json_array_get(json_object_get(root, "groups"), 0), "blocked_stack");
    ck_assert_uint_eq(json_array_size(stack), 2);
    /* frame 0: a plain call, its own position and nothing inlined */
    json_t *plain = json_array_get(stack, 0);
    ck_assert_str_eq(base_name(json_string_value(json_object_get(plain, "file"))),
                     "check_tlr_symbolize.c");
    ck_assert_int_ge(json_integer_value(json_object_get(plain, "line")), PROBE_LINE);
    ck_assert_uint_eq(json_array_size(json_object_get(plain, "inlined")), 0);
    /* frame 1: the host's position, with the helper inlined into it listed innermost first */
    json_t *host = json_array_get(stack, 1);
    size_t nlocs = m.procs[0].stacks[0].frames[1].nlocs;
    ck_assert_uint_ge(nlocs, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(host, "line")),
                     m.procs[0].stacks[0].frames[1].locs[nlocs - 1].line);
    json_t *inl = json_object_get(host, "inlined");
    ck_assert_uint_eq(json_array_size(inl), nlocs - 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(inl, 0), "function")),
                     "tlr_inlined_helper");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(inl, 0), "line")),
                     INLINE_LINE);
    json_decref(root);
    tlr_merged_free(&m);
}
END_TEST

START_TEST(a_file_with_another_build_id_gets_no_lines)
{
    struct tlr_merged m =
        self_report("00112233445566778899aabbccddeeff00112233", (uintptr_t)tlr_probe_target + 1,
                    (uintptr_t)tlr_inline_host + 1);
    ck_assert_uint_eq(tlr_symbolize(&m, 0), 0);
    ck_assert_int_eq(m.procs[0].modules[0].state, TLR_MOD_MISMATCH);
    ck_assert_uint_eq(m.procs[0].stacks[0].frames[0].nlocs, 0);
    ck_assert_ptr_nonnull(strstr(tlr_module_note(TLR_MOD_MISMATCH), "build-id"));
    tlr_merged_free(&m);
}
END_TEST

START_TEST(a_missing_file_is_marked_and_skipped)
{
    struct tlr_merged m = {0};
    char err[512];
    m.procs = calloc(1, sizeof *m.procs);
    ck_assert_int_eq(tlr_load_file(tlr_fixture("gor_tasks.json"), 0, &m.procs[0], err, sizeof err),
                     0);
    m.nprocs = 1;
    ck_assert_int_eq(tlr_merge(&m), 0);
    ck_assert_uint_eq(tlr_symbolize(&m, 0), 0);
    ck_assert_int_eq(m.procs[0].modules[0].state, TLR_MOD_MISSING);
    tlr_merged_free(&m);
}
END_TEST

Suite *make_tlr_symbolize_suite(void)
{
    Suite *s = suite_create("tlr_symbolize");
    TCase *t = tcase_create("symbolize");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_frame_gets_its_function_file_and_line);
    tcase_add_test(t, an_inlined_function_is_its_own_frame_inside_its_caller);
    tcase_add_test(t, json_gives_a_frame_its_own_line_and_lists_what_was_inlined_into_it);
    tcase_add_test(t, a_file_with_another_build_id_gets_no_lines);
    tcase_add_test(t, a_missing_file_is_marked_and_skipped);
    suite_add_tcase(s, t);
    return s;
}
