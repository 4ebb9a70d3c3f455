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
