# `docs`: the API reference built by Debian's doxygen from the public
# headers' comments, into build/docs/html, installed with the package
# (share/doc/weir/html). An undocumented public declaration is a warning and
# the build treats it as an error. Part of the default build when doxygen is
# installed (.ci/install-deps installs it); WEIR_DOCS=OFF leaves it out.
option(WEIR_DOCS "Build the API reference with doxygen (fails on undocumented declarations)" ON)
# Strictness is checked with Debian 12's doxygen 1.9.4; another doxygen may
# warn about other things: WEIR_DOCS_STRICT=OFF builds the reference anyway.
option(WEIR_DOCS_STRICT "Treat doxygen warnings (an undocumented declaration) as errors" ON)
if(WEIR_DOCS_STRICT)
  set(WEIR_DOCS_WARN_AS_ERROR FAIL_ON_WARNINGS)
else()
  set(WEIR_DOCS_WARN_AS_ERROR NO)
endif()
find_program(DOXYGEN_EXECUTABLE doxygen)
if(NOT WEIR_DOCS OR NOT DOXYGEN_EXECUTABLE)
  if(WEIR_DOCS)
    message(STATUS "doxygen not found: no docs target (apt install doxygen)")
  endif()
  return()
endif()

set(WEIR_DOCS_DIR "${PROJECT_BINARY_DIR}/docs")
set(weir_docs_dirs libstream/include/weir nodes/include/weir apps/cli/include/weir
                   libstream/connectors/redis/include/weir libstream/connectors/postgres/include/weir
                   libstream/connectors/kafka/include/weir libstream/connectors/influxdb/include/weir)
set(WEIR_DOCS_INPUT "${PROJECT_BINARY_DIR}/libstream/generated/weir")
set(weir_docs_headers "${PROJECT_BINARY_DIR}/libstream/generated/weir/version.hpp")
# Public types that live in detail/ headers (included by weir/stream.hpp):
# documented in the reference; the rest of detail/ is not API.
foreach(header keyed_stream windowed_stream connected_streams operator keyed_process_part count_windows)
  string(APPEND WEIR_DOCS_INPUT " ${PROJECT_SOURCE_DIR}/libstream/include/weir/detail/${header}.hpp")
  list(APPEND weir_docs_headers "${PROJECT_SOURCE_DIR}/libstream/include/weir/detail/${header}.hpp")
endforeach()
foreach(dir IN LISTS weir_docs_dirs)
  string(APPEND WEIR_DOCS_INPUT " ${PROJECT_SOURCE_DIR}/${dir}")
  file(GLOB headers "${PROJECT_SOURCE_DIR}/${dir}/*.hpp")
  list(APPEND weir_docs_headers ${headers})
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in" "${WEIR_DOCS_DIR}/Doxyfile" @ONLY)

add_custom_command(
  OUTPUT "${WEIR_DOCS_DIR}/html/index.html"
  COMMAND "${DOXYGEN_EXECUTABLE}" "${WEIR_DOCS_DIR}/Doxyfile"
  DEPENDS ${weir_docs_headers} "${WEIR_DOCS_DIR}/Doxyfile"
  COMMENT "API reference (doxygen): every public declaration documented"
  VERBATIM)
add_custom_target(docs ALL DEPENDS "${WEIR_DOCS_DIR}/html/index.html")
install(DIRECTORY "${WEIR_DOCS_DIR}/html" DESTINATION "${CMAKE_INSTALL_DOCDIR}" OPTIONAL)
