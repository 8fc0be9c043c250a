# Included into the embedding example's project by install_consumer.sh
# (CMAKE_PROJECT_INCLUDE): a consumer that defines CAF::core and CAF::io
# itself, as a project that builds CAF or finds it its own way does, but not
# CAF::openssl. find_package(statekeeper) must keep these and add the rest.
find_path(OWN_CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(OWN_CAF_CORE caf_core REQUIRED)
find_library(OWN_CAF_IO caf_io REQUIRED)
find_package(Threads REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES
  IMPORTED_LOCATION "${OWN_CAF_CORE}"
  INTERFACE_INCLUDE_DIRECTORIES "${OWN_CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(CAF::io SHARED IMPORTED)
set_target_properties(CAF::io PROPERTIES
  IMPORTED_LOCATION "${OWN_CAF_IO}"
  INTERFACE_LINK_LIBRARIES CAF::core)
