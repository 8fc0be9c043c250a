# Finds Debian's CAF 0.17 (no CMake package, no .pc file) and wraps it in
# imported targets CAF::core, CAF::io and CAF::openssl. Used by the build and
# by the installed statekeeperConfig.cmake, so consumers find CAF the same way.
# A target the consumer already defines (CAF built with the project, or found
# its own way) is kept as it is; only the missing ones are defined here.
if(TARGET CAF::core AND TARGET CAF::io AND TARGET CAF::openssl)
  return()
endif()

find_package(Threads REQUIRED)

if(NOT TARGET CAF::core)
  find_path(CAF_INCLUDE_DIR caf/all.hpp)
  find_library(CAF_CORE_LIBRARY caf_core)
  if(NOT CAF_INCLUDE_DIR OR NOT CAF_CORE_LIBRARY)
    message(FATAL_ERROR "CAF 0.17 not found: install libcaf-dev")
  endif()
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

if(NOT TARGET CAF::io)
  find_library(CAF_IO_LIBRARY caf_io)
  if(NOT CAF_IO_LIBRARY)
    message(FATAL_ERROR "CAF 0.17's I/O module not found: install libcaf-dev")
  endif()
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()

if(NOT TARGET CAF::openssl)
  find_library(CAF_OPENSSL_LIBRARY caf_openssl)
  find_package(OpenSSL)
  if(NOT CAF_OPENSSL_LIBRARY OR NOT OpenSSL_FOUND)
    message(FATAL_ERROR
      "CAF 0.17's OpenSSL module not found: install libcaf-dev and libssl-dev")
  endif()
  add_library(CAF::openssl UNKNOWN IMPORTED)
  set_target_properties(CAF::openssl PROPERTIES
    IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "CAF::io;OpenSSL::SSL;OpenSSL::Crypto")
endif()
