# cmake --install: the headers, the libraries, the weir command, the sample
# text and a CMake package, so that an out-of-tree project does
#   find_package(Weir REQUIRED)
#   target_link_libraries(app PRIVATE weir::weir)   # weir::redis, weir::postgres, weir::kafka, weir::influxdb
include(CMakePackageConfigHelpers)

set(WEIR_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Weir")

install(TARGETS weir weir_main weir_nodes weir_actors weir_stream weir_schemas
                weir_redis weir_postgres weir_kafka weir_influxdb
        EXPORT WeirTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS weir_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(EXPORT WeirTargets NAMESPACE weir:: DESTINATION "${WEIR_CMAKE_DIR}")

foreach(dir libstream/include libstream/connectors/redis/include libstream/connectors/postgres/include
            libstream/connectors/kafka/include libstream/connectors/influxdb/include nodes/include apps/cli/include)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${dir}/weir" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES "${PROJECT_BINARY_DIR}/libstream/generated/weir/version.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/weir")
install(FILES "${PROJECT_SOURCE_DIR}/data/sample.txt" DESTINATION "${CMAKE_INSTALL_DATADIR}/weir")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/WeirConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/WeirConfig.cmake"
                              INSTALL_DESTINATION "${WEIR_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/WeirConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/WeirConfig.cmake" "${PROJECT_BINARY_DIR}/WeirConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake"
        DESTINATION "${WEIR_CMAKE_DIR}")
