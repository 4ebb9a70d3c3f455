# common/: code the detector (libtaskleak.so) and the report tool (taskleak-report) both build
# from — the suppression parser and matcher (tl_supp), the hardened input reader (tl_input) and the
# wording of wait objects (tl_reason), the one JSON writer (tl_json), the objects of a taskleak/1
# report (tl_jrep) and growable arrays (tl_vec). libc only; no module here includes anything
# outside it.
# Both programs link these objects; the unit-test runner and the benchmarks get them with the
# detector's engine objects (TL_ENGINE, preload/build.mk).

COMMON_SRCS := $(sort $(wildcard common/*.c))
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRCS))
COMMON_INC  := -Icommon
FORMAT_SRCS += $(COMMON_SRCS) $(wildcard common/*.h)

$(BUILD)/obj/common/%.o: OBJ_CFLAGS = $(COMMON_INC) -ftls-model=initial-exec
