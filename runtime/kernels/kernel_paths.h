// kernel_paths.h: which SIMD path the kernels use. The best one the CPU supports is chosen on first use, unless
// the environment variable GOLF_KERNEL names another (scalar | avx2 | avx512vnni | neon | neon_dotprod).
#pragma once

namespace golf::kernels {

// Name of the active path, e.g. "avx512vnni".
const char* kernel_path_name();

// Makes `name` the active path ("auto" = the best available). Returns false, changing nothing, when the path is
// unknown, not compiled in, or not supported by this CPU. Not to be called while kernels run on other threads.
bool select_kernel_path(const char* name);

// Whether this build and CPU can run the path.
bool kernel_path_available(const char* name);

// Every path name this project knows, best last: scalar, neon, neon_dotprod, avx2, avx512vnni. count gets 5.
const char* const* kernel_path_names(int* count);

}  // namespace golf::kernels
