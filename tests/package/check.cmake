# Installs the nodus build in BUILD_DIR to a temporary prefix, builds tests/package against it
# with find_package(nodus 0.1), and runs the result with --help (nodus::main, exit 0) and the
# test kit's consumer (nodus::testing: a JSON echo served in-process and asked once).
#   cmake -DBUILD_DIR=... -DWORK_DIR=... -DGENERATOR=... [-DBUILD_TYPE=... -DCXX_COMPILER=... -DCXX_LAUNCHER=...
#         -DSANITIZE=ON] -P check.cmake
foreach(var BUILD_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D${var}= is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

set(extra)
if(CXX_COMPILER)
  list(APPEND extra -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(CXX_LAUNCHER)
  list(APPEND extra -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
if(SANITIZE)
  # The installed library was built instrumented; its user must link the runtimes.
  list(APPEND extra "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined"
                    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
endif()
run_step("configure the consumer" ${CMAKE_COMMAND}
  -S ${CMAKE_CURRENT_LIST_DIR} -B ${consumer_build} -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix} ${extra})
run_step("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build})

run_step("run the consumer" ${consumer_build}/consumer --help)
if(NOT step_output MATCHES "server\\.port")
  message(FATAL_ERROR "consumer --help did not list the configuration keys:\n${step_output}")
endif()
run_step("run the test kit consumer" ${consumer_build}/consumer_kit)
if(NOT step_output MATCHES "^ok 200")
  message(FATAL_ERROR "consumer_kit did not get its JSON echoed:\n${step_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "an installed nodus 0.1 was found, linked through nodus::main and nodus::testing, and ran")
