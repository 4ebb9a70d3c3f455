# tests/reliability/reliability.mk: programs for the reliability matrix (issue 9).
#
# Every tests/reliability/progs/rel_*.c|.cc builds to $(BUILD)/tests/reliability/<name>; the Check
# suites find them with th_path("tests/reliability/<name>"). Variants with special link needs:
#   rel_needed      DT_NEEDED on librelneeded.so (constructor/destructor threads), rpath'd
#   rel_static      -static (the supervisor must refuse it)
#   rel_leak_now    rel_leak.c with -z now, full RELRO and -fno-plt
#   librelshim.so   a second preload for the chain tests
#   librelplugin.so a plugin rel_misc dlopens with RTLD_DEEPBIND
#   librelctor.so   a plugin whose constructor locks and creates a thread (load races)
#   rel_origin      DT_RUNPATH $ORIGIN/origin; dlopens origin/librelorigin.so by bare name
#   rel_leak_suid   a set-user-ID copy of rel_leak (the loader must ignore LD_PRELOAD for it)
#   rel_secure_suid a set-user-ID copy of rel_secure (detector in /etc/ld.so.preload: must be inert)
#   rel_elf32       a 32-bit i386 program from progs/elf32_exit.s (the supervisor must refuse it)
#   rel_gor_static  a correct gor program (scenarios/gor_fixed_three_deep.c) linking libgor.a
#   librelnocfi.so  built without unwind tables: the negative control of the case-33 check
# tests/soak/soak.sh runs in make check at a small scale; `make soak` runs the full figures.

REL_DIR   := $(BUILD)/tests/reliability
REL_C     := $(sort $(wildcard tests/reliability/progs/rel_*.c))
REL_CXX   := $(sort $(wildcard tests/reliability/progs/rel_*.cc))
REL_BINS  := $(patsubst tests/reliability/progs/%.c,$(REL_DIR)/%,$(REL_C)) \
             $(patsubst tests/reliability/progs/%.cc,$(REL_DIR)/%,$(REL_CXX)) \
             $(REL_DIR)/rel_leak_now $(REL_DIR)/librelshim.so $(REL_DIR)/librelplugin.so \
             $(REL_DIR)/librelctor.so $(REL_DIR)/rel_leak_suid $(REL_DIR)/rel_secure_suid $(REL_DIR)/origin/librelorigin.so \
             $(REL_DIR)/soak_prog $(REL_DIR)/librelnocfi.so $(REL_DIR)/rel_elf32 \
             $(REL_DIR)/rel_gor_static
CHECK_DEPS  += $(REL_BINS)
FORMAT_SRCS += $(REL_C) $(REL_CXX) $(wildcard tests/reliability/lib/*.c) $(wildcard tests/reliability/*.[ch]) \
               tests/soak/soak_prog.c
CHECK_SCRIPTS += tests/soak/soak.sh
check check-run soak: export SOAK_BUILD_DIR := $(BUILD)
check check-run soak: export SOAK_SANITIZE := $(SANITIZE)

# argv/envp arrays built from string literals are what exec and spawn take.
REL_CFLAGS = $(ALL_CFLAGS) -O1 -g -Ipreload -Wno-unused-result -Wno-write-strings

$(REL_DIR)/%: tests/reliability/progs/%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) -ldl -lrt

$(REL_DIR)/%: tests/reliability/progs/%.cc
	$(call say,CXX,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CXX) -std=c++20 -O1 -g -Wall -Wextra $(SAN_FLAGS) -MMD -MP -o $@ $< $(ALL_LDFLAGS)

$(REL_DIR)/librelneeded.so: tests/reliability/lib/rel_needed_lib.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fvisibility=default -shared -Wl,-soname,librelneeded.so -o $@ $< \
	    $(ALL_LDFLAGS)

$(REL_DIR)/librelshim.so: tests/reliability/lib/rel_shim.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS) -ldl

$(REL_DIR)/librelplugin.so: tests/reliability/lib/rel_deepbind.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS)

$(REL_DIR)/librelctor.so: tests/reliability/lib/rel_ctor_plugin.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS)

$(REL_DIR)/librelnocfi.so: tests/reliability/lib/rel_nocfi_lib.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fno-asynchronous-unwind-tables -fno-unwind-tables -fvisibility=default \
	    -shared -o $@ $< $(ALL_LDFLAGS)

$(REL_DIR)/rel_needed: tests/reliability/progs/rel_needed.c $(REL_DIR)/librelneeded.so
	$(call say,CC,$<)
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $< -L$(REL_DIR) -lrelneeded -Wl,-rpath,$(abspath $(REL_DIR)) \
	    $(ALL_LDFLAGS)

$(REL_DIR)/origin/librelorigin.so: tests/reliability/lib/rel_origin_plugin.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fvisibility=default -shared -o $@ $< $(ALL_LDFLAGS)

# '$$ORIGIN' reaches the linker literally: the run path is relative to the program's own directory.
$(REL_DIR)/rel_origin: tests/reliability/progs/rel_origin.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $< -Wl,--enable-new-dtags,-rpath,'$$ORIGIN/origin' $(ALL_LDFLAGS) -ldl

$(REL_DIR)/rel_gor_static: tests/scenarios/gor_fixed_three_deep.c $(BUILD)/lib/libgor.a
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -Iruntime -o $@ $< $(BUILD)/lib/libgor.a $(ALL_LDFLAGS) -ldl

$(REL_DIR)/rel_elf32: tests/reliability/progs/elf32_exit.s
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)as --32 -o $@.o $< && ld -m elf_i386 -o $@ $@.o && rm -f $@.o

$(REL_DIR)/%_suid: $(REL_DIR)/%
	$(call say,CP,$@)
	$(Q)cp $< $@ && chmod 4755 $@

$(REL_DIR)/rel_static: tests/reliability/progs/rel_static.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -static -o $@ $<

$(REL_DIR)/rel_leak_now: tests/reliability/progs/rel_leak.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -fno-plt -Wl,-z,now -Wl,-z,relro -o $@ $< $(ALL_LDFLAGS)

$(REL_DIR)/soak_prog: tests/soak/soak_prog.c $(BUILD)/lib/libgor.so
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(REL_CFLAGS) -Iruntime -o $@ $< -L$(BUILD)/lib -lgor \
	    -Wl,-rpath,$(abspath $(BUILD)/lib) $(ALL_LDFLAGS)

# The full soak figures (1M create/join cycles, 10k dump signals, 1M gor tasks).
.PHONY: soak
soak: $(BUILD)/lib/libtaskleak.so $(REL_DIR)/soak_prog
	$(Q)SOAK_SCALE=full sh tests/soak/soak.sh
