// code_size.cpp: counted_code_size(), the code-size figure measured by the golf-code-size build step and compiled
// in through the generated header code_size_data.h (in the build directory, never in the source tree).
#include "code_size.h"

#include "code_size_data.h"

namespace golf::train_export {

const CodeSize& counted_code_size() {
  static const CodeSize size = [] {
    CodeSize s;
    s.compressor = generated::kCompressor;
    s.description = generated::kDescription;
    s.raw_bytes = generated::kRawBytes;
    s.archive_bytes = generated::kArchiveBytes;
    s.compressed_bytes = generated::kCompressedBytes;
    s.sha256 = generated::kSha256;
    for (const generated::File& f : generated::kFiles) s.files.push_back({f.path, f.bytes});
    return s;
  }();
  return size;
}

}  // namespace golf::train_export
