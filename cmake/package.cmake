# cpack -G DEB: a .deb that installs what cmake --install does, under /usr,
# and depends on the Debian packages Weir builds and runs with (the -dev
# ones: it ships static libraries and headers for your jobs to link;
# libsnappy-dev because Debian's LevelDB package links a plain -lsnappy).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weir)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "stateful, event-time stream processing embedded in C++ programs (library and weir command)")
set(CPACK_PACKAGE_CONTACT "Weir developers <weir-dev@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libcaf-dev (>= 0.17), libcaf-openssl0.17, libssl-dev, libcapnp-dev (>= 0.9), capnproto, \
libleveldb-dev, libsnappy-dev, libcpp-httplib-dev, libhiredis-dev, libpq-dev, librdkafka-dev, pkg-config")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cmake, g++")
include(CPack)
