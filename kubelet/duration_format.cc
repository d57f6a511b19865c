// Nothing left here: FormatGoDuration lives in common/duration.cc. This
// file stays only while kubelet/CMakeLists.txt lists it.
#include "kubelet/duration_format.h"
