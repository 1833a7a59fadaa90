# Installs the build tree into a scratch prefix (or takes an unpacked .deb's
# root), copies a sample project out of the tree and builds it against the
# installed Weir with find_package(Weir), then runs it.
#   cmake -DBUILD_DIR=... -DSAMPLE_DIR=... -DWORK_DIR=... -DVERSION=... [-DPREFIX=...] -P out_of_tree.cmake
# Without PREFIX it runs `cmake --install BUILD_DIR --prefix WORK_DIR/prefix`.
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
require_vars(out_of_tree.cmake BUILD_DIR SAMPLE_DIR WORK_DIR VERSION)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
if(NOT DEFINED PREFIX)
  set(PREFIX "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")
endif()

# The copy knows Weir only through the installed package.
file(COPY "${SAMPLE_DIR}/" DESTINATION "${WORK_DIR}/project")
find_program(ccache ccache)
set(launcher)
if(ccache)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${ccache}")
endif()
run(${CMAKE_COMMAND} -S "${WORK_DIR}/project" -B "${WORK_DIR}/build" -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_PREFIX_PATH=${PREFIX}" ${launcher})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" -j2)

run("${WORK_DIR}/build/fraud-detection" --version)
message(STATUS "${run_output}")
string(FIND "${run_output}" "fraud-detection: Weir ${VERSION} (" at)
if(at LESS 0)
  message(FATAL_ERROR "the out-of-tree binary is not of Weir ${VERSION}:\n${run_output}")
endif()
run("${WORK_DIR}/build/fraud-detection" run fraud-detection --transactions 20000 --output "${WORK_DIR}/out"
    --state-dir "${WORK_DIR}/state" --quiet)
message(STATUS "${run_output}")
if(NOT run_output MATCHES "[0-9]+ alerts in ")
  message(FATAL_ERROR "the out-of-tree binary did not report its alerts:\n${run_output}")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
