# Debian splits OpenCV into per-module -dev packages; only the meta package libopencv-dev
# (60 more packages) ships OpenCVConfig.cmake. We need three modules, so find them directly.
find_path(COSPACE_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
set(_cospace_cv_targets)
foreach(_mod core imgproc imgcodecs)
  find_library(COSPACE_OPENCV_${_mod}_LIBRARY opencv_${_mod})
  if(COSPACE_OPENCV_${_mod}_LIBRARY AND NOT TARGET CospaceOpenCV::${_mod})
    add_library(CospaceOpenCV::${_mod} UNKNOWN IMPORTED)
    set_target_properties(CospaceOpenCV::${_mod} PROPERTIES
      IMPORTED_LOCATION "${COSPACE_OPENCV_${_mod}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${COSPACE_OPENCV_INCLUDE_DIR}")
  endif()
  list(APPEND _cospace_cv_vars COSPACE_OPENCV_${_mod}_LIBRARY)
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CospaceOpenCV REQUIRED_VARS COSPACE_OPENCV_INCLUDE_DIR ${_cospace_cv_vars})
