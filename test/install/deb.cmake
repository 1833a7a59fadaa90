# Builds the .deb with CPack, checks what it depends on, unpacks it into a
# scratch root (dpkg -x: no root rights, nothing installed on the machine),
# runs its weir, and builds the out-of-tree sample against it.
#   cmake -DBUILD_DIR=... -DSAMPLE_DIR=... -DWORK_DIR=... -DVERSION=... -DSCRIPT_DIR=... -P deb.cmake
include("${CMAKE_CURRENT_LIST_DIR}/common.cmake")
require_vars(deb.cmake BUILD_DIR SAMPLE_DIR WORK_DIR VERSION SCRIPT_DIR)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
run(cpack -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${WORK_DIR}/packages")
file(GLOB debs "${WORK_DIR}/packages/weir_${VERSION}_*.deb")
list(LENGTH debs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one weir_${VERSION}_*.deb in ${WORK_DIR}/packages, found: ${debs}")
endif()

run(dpkg-deb --field "${debs}" Depends)
foreach(dep libcaf-dev libcaf-openssl0.17 libssl-dev libcapnp-dev libleveldb-dev libsnappy-dev
            libcpp-httplib-dev libhiredis-dev libpq-dev librdkafka-dev)
  string(FIND "${run_output}" "${dep}" at)
  if(at LESS 0)
    message(FATAL_ERROR "the .deb does not depend on ${dep}: ${run_output}")
  endif()
endforeach()

run(dpkg -x "${debs}" "${WORK_DIR}/root")
run("${WORK_DIR}/root/usr/bin/weir" --version)
string(FIND "${run_output}" "weir: Weir ${VERSION} (" at)
if(at LESS 0)
  message(FATAL_ERROR "the packaged weir is not ${VERSION}: ${run_output}")
endif()
# Unpacked anywhere, weir finds its sample text beside itself (../share/weir):
# the unpacked copy has one line more than the source tree's (45 lines).
file(APPEND "${WORK_DIR}/root/usr/share/weir/sample.txt" "a line only the unpacked copy has\n")
run("${WORK_DIR}/root/usr/bin/weir" run wordcount --output "${WORK_DIR}/wordcount-out"
    --state-dir "${WORK_DIR}/wordcount-state" --quiet)
string(FIND "${run_output}" "wordcount: 46 records in" at)
if(at LESS 0)
  message(FATAL_ERROR "the packaged weir did not count its own sample text: ${run_output}")
endif()
run(${CMAKE_COMMAND} -DBUILD_DIR=${BUILD_DIR} -DSAMPLE_DIR=${SAMPLE_DIR} -DWORK_DIR=${WORK_DIR}/sample
    -DVERSION=${VERSION} -DPREFIX=${WORK_DIR}/root/usr -P "${SCRIPT_DIR}/out_of_tree.cmake")
message(STATUS "${run_output}")
file(REMOVE_RECURSE "${WORK_DIR}")
