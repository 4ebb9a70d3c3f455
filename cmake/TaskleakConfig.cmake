# TaskleakConfig.cmake: run CTest tests under the taskleak detector.
#
# A test registered with taskleak_add_test() runs as `taskleak run [options] -- COMMAND...`: it
# fails (exit status 76) when the program leaks a thread or a gor task, deadlocks or leaves a
# thread unjoined, as it fails on its own errors, and leaves its JSON reports for
# `taskleak report`. Use it from an installed taskleak (the Debian package or `make install`
# put this file in <prefix>/share/cmake/Taskleak/) or straight from a checkout (its cmake/
# directory, where the checkout's scripts/taskleak and build/ are used):
#
#   find_package(Taskleak REQUIRED)      # -DTaskleak_DIR=<checkout>/cmake for a checkout
#   enable_testing()
#   add_executable(queue_test queue_test.c)
#   taskleak_add_test(NAME queue_test COMMAND queue_test --fast
#                     [OPTIONS --grace 2s --fail-on leaked,deadlocked]
#                     [SUPPRESSIONS file] [REPORT_DIR dir] [WORKING_DIRECTORY dir])
#   set_tests_properties(queue_test PROPERTIES TIMEOUT 60)   # any other property as usual
#
# Settings (cache variables, for every test; the keywords above override them per test):
#   TASKLEAK_EXECUTABLE    the taskleak command (found next to this file, then on PATH)
#   TASKLEAK_REPORT_DIR    where reports go, one subdirectory per test
#                          (default: <build dir>/taskleak-reports)
#   TASKLEAK_SUPPRESSIONS  a suppressions file (taskleak(7), SUPPRESSIONS), empty for none
#   TASKLEAK_RUN_OPTIONS   more `taskleak run` options, a ;-list (e.g. --grace;2s)
#   TASKLEAK_ENABLED       OFF runs the tests without the detector (same commands, no wrapping)
#
# Each wrapped test gets the label `taskleak` (ctest -L taskleak runs only them) and the test
# property TASKLEAK_REPORT_DIR naming its report directory; the list of wrapped tests is the
# global property TASKLEAK_TESTS. After a run: taskleak report <report dir>.

if(DEFINED _TASKLEAK_CONFIG_LOADED)
  return()
endif()
set(_TASKLEAK_CONFIG_LOADED 1)

# Installed: <prefix>/share/cmake/Taskleak -> <prefix>/bin. Checkout: cmake/ -> scripts/.
find_program(TASKLEAK_EXECUTABLE NAMES taskleak
  HINTS "${CMAKE_CURRENT_LIST_DIR}/../../../bin" "${CMAKE_CURRENT_LIST_DIR}/../scripts"
  DOC "the taskleak command")
set(TASKLEAK_REPORT_DIR "${CMAKE_BINARY_DIR}/taskleak-reports" CACHE PATH
  "directory of taskleak reports, one subdirectory per test")
set(TASKLEAK_SUPPRESSIONS "" CACHE FILEPATH "taskleak suppressions file for every test")
set(TASKLEAK_RUN_OPTIONS "" CACHE STRING "more taskleak run options for every test (;-list)")
option(TASKLEAK_ENABLED "run taskleak_add_test tests under the detector" ON)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Taskleak REQUIRED_VARS TASKLEAK_EXECUTABLE)

define_property(TEST PROPERTY TASKLEAK_REPORT_DIR
  BRIEF_DOCS "report directory of a test run under taskleak"
  FULL_DOCS "Set by taskleak_add_test: where the test's taskleak reports are written.")
define_property(GLOBAL PROPERTY TASKLEAK_TESTS
  BRIEF_DOCS "tests run under taskleak"
  FULL_DOCS "Names of the tests taskleak_add_test registered.")

function(taskleak_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 TL "" "NAME;WORKING_DIRECTORY;SUPPRESSIONS;REPORT_DIR"
    "COMMAND;OPTIONS")
  if(NOT TL_NAME OR NOT TL_COMMAND)
    message(FATAL_ERROR "taskleak_add_test: NAME and COMMAND are required")
  endif()
  if(TL_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "taskleak_add_test(${TL_NAME}): unknown arguments: ${TL_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TL_WORKING_DIRECTORY)
    set(TL_WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT TASKLEAK_ENABLED)
    add_test(NAME ${TL_NAME} COMMAND ${TL_COMMAND} WORKING_DIRECTORY "${TL_WORKING_DIRECTORY}")
    return()
  endif()
  if(NOT TASKLEAK_EXECUTABLE)
    message(FATAL_ERROR "taskleak_add_test(${TL_NAME}): the taskleak command was not found "
      "(set TASKLEAK_EXECUTABLE)")
  endif()
  if(NOT TL_REPORT_DIR)
    set(TL_REPORT_DIR "${TASKLEAK_REPORT_DIR}/${TL_NAME}")
  endif()
  if(NOT DEFINED TL_SUPPRESSIONS)
    set(TL_SUPPRESSIONS "${TASKLEAK_SUPPRESSIONS}")
  endif()
  # The command's first word: a target of this project becomes its built file.
  list(POP_FRONT TL_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  set(run ${TASKLEAK_EXECUTABLE} run --report "${TL_REPORT_DIR}")
  if(TL_SUPPRESSIONS)
    list(APPEND run --suppressions "${TL_SUPPRESSIONS}")
  endif()
  list(APPEND run ${TASKLEAK_RUN_OPTIONS} ${TL_OPTIONS} -- "${program}" ${TL_COMMAND})
  file(MAKE_DIRECTORY "${TL_REPORT_DIR}")
  add_test(NAME ${TL_NAME} COMMAND ${run} WORKING_DIRECTORY "${TL_WORKING_DIRECTORY}")
  set_property(TEST ${TL_NAME} APPEND PROPERTY LABELS taskleak)
  set_property(TEST ${TL_NAME} PROPERTY TASKLEAK_REPORT_DIR "${TL_REPORT_DIR}")
  set_property(GLOBAL APPEND PROPERTY TASKLEAK_TESTS ${TL_NAME})
endfunction()
