# tests/scenarios/scenarios.mk: thread scenarios with special build needs (issue 5).
#
# thr_ctor_main links a small library whose constructor starts a thread (DT_NEEDED, found through
# an rpath), so the detector must work before its own constructor has run.

SCEN_CTOR_LIB := $(BUILD)/tests/scenarios/libthrctor.so
CHECK_DEPS    += $(SCEN_CTOR_LIB)

$(SCEN_CTOR_LIB): tests/scenarios/lib/thr_ctor_lib.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libthrctor.so -o $@ $< $(ALL_LDFLAGS)

$(BUILD)/tests/scenarios/thr_ctor_main: tests/scenarios/thr_ctor_main.c $(SCEN_CTOR_LIB)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD)/tests/scenarios -lthrctor \
	    -Wl,-rpath,$(abspath $(BUILD)/tests/scenarios) $(ALL_LDFLAGS)

# thr_stripped_lib links a library stripped of its symbol table (only exported names remain), the
# way vendors ship them: a suppression hint must still name something (its exported function).
SCEN_STRIP_LIB := $(BUILD)/tests/scenarios/libstripworkers.so
CHECK_DEPS     += $(SCEN_STRIP_LIB)

$(SCEN_STRIP_LIB): tests/scenarios/lib/strip_workers_lib.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fvisibility=hidden -shared -s -Wl,-soname,libstripworkers.so -o $@ $< \
	    $(ALL_LDFLAGS)

$(BUILD)/tests/scenarios/thr_stripped_lib: tests/scenarios/thr_stripped_lib.c $(SCEN_STRIP_LIB)
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD)/tests/scenarios -lstripworkers \
	    -Wl,-rpath,$(abspath $(BUILD)/tests/scenarios) $(ALL_LDFLAGS)

# gor_demo_mixed linked with libgor.a: gor's frames then lie in the program itself, and reports
# must still show no frame of the detector.
SCEN_GOR_STATIC := $(BUILD)/tests/scenarios/gor_demo_mixed_static
CHECK_DEPS      += $(SCEN_GOR_STATIC)

$(SCEN_GOR_STATIC): tests/scenarios/gor_demo_mixed.c $(BUILD)/lib/libgor.a
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Iruntime -o $@ $< $(BUILD)/lib/libgor.a $(ALL_LDFLAGS) -ldl
