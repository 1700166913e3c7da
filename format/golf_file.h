// golf_file.h: the .golf reader. Opens a file by path (mmap, zero copy) or from a caller's buffer, checks every
// offset, size, count and checksum against SPEC.md, and exposes config, tokenizer, metadata and tensors. Raw
// tensors point into the file bytes; rans tensors are decoded once at open into owned, 64-byte aligned buffers.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "dtype.h"
#include "kv.h"
#include "mapped_file.h"
#include "status.h"
#include "tokenizer_data.h"

namespace golf {

constexpr uint16_t kVersionMajor = 1;
constexpr uint16_t kVersionMinor = 0;
constexpr size_t kHeaderSize = 64;
constexpr size_t kSectionEntrySize = 48;
constexpr uint32_t kMaxSections = 64;
constexpr uint32_t kSectionRequired = 1;

// The header checksum (SPEC.md §2.1): XXH3-64 of header bytes [0, 56) followed by the section table.
uint64_t golf_header_checksum(const uint8_t* file, uint32_t section_count);
// Rewrites the checksums of a serialized file after its bytes were edited: each section's (when its range lies in
// the file), the file checksum, and the header checksum (when the section table is whole). For tests and fuzzing.
void golf_refresh_checksums(std::vector<uint8_t>* file);

struct SectionInfo {
  std::string kind;  // four characters, e.g. "TENS"
  uint32_t flags = 0;
  uint64_t offset = 0, size = 0, checksum = 0;
};

struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::f32;
  Codec codec = Codec::raw;
  std::vector<uint64_t> dims;
  uint32_t group_size = 0;
  uint64_t data_offset = 0;  // relative to the DATA section
  uint64_t stored_size = 0;
  uint64_t checksum = 0;
  TensorLayout layout;
  const uint8_t* stored = nullptr;  // the stored bytes inside the file
  const uint8_t* raw = nullptr;     // the raw layout (SPEC.md §5.2): == stored for raw, decoded for rans
  // Raw-layout accessors for quantized tensors.
  const uint8_t* codes() const { return raw; }
  const uint16_t* scales() const { return (const uint16_t*)(raw + layout.scales_offset); }
};

struct OpenOptions {
  // Verify the whole-file checksum (and, on a mismatch, find the damaged section or tensor). Costs one pass over
  // the file at about 16 GB/s; only turn off for files already verified.
  bool verify_checksums = true;
};

class GolfFile {
 public:
  // Maps and validates path.
  static Status open(const std::string& path, std::unique_ptr<GolfFile>* out, const OpenOptions& options = {});
  // Validates a caller's buffer without copying it; the buffer must outlive the GolfFile. `name` labels errors.
  // Raw tensors keep the buffer's alignment: pass a 64-byte aligned buffer to get 64-byte aligned tensors.
  static Status open_memory(const void* data, size_t size, std::unique_ptr<GolfFile>* out,
                            const OpenOptions& options = {}, const std::string& name = "<memory>");

  const std::string& name() const { return name_; }
  uint16_t version_major() const { return version_major_; }
  uint16_t version_minor() const { return version_minor_; }
  uint64_t file_size() const { return size_; }
  const uint8_t* bytes() const { return data_; }
  uint64_t file_checksum() const { return file_checksum_; }
  const std::vector<SectionInfo>& sections() const { return sections_; }

  const KeyValues& config() const { return config_; }
  const KeyValues& metadata() const { return metadata_; }
  bool has_tokenizer() const { return has_tokenizer_; }
  const TokenizerData& tokenizer() const { return tokenizer_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(const std::string& name) const;

  // Recomputes every checksum (file, sections, tensors) and names each mismatch; used by golf-inspect.
  Status verify_all() const;

 private:
  GolfFile() = default;
  Status parse(const OpenOptions& options);
  Status parse_tensors(const SectionInfo& tens, const SectionInfo& data);
  Status decode_tensors();
  void release_rans_streams() const;
  Status locate_damage() const;
  Status error(StatusCode code, const std::string& what) const;

  std::string name_;
  MappedFile map_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint16_t version_major_ = 0, version_minor_ = 0;
  uint64_t file_checksum_ = 0;
  std::vector<SectionInfo> sections_;
  KeyValues config_, metadata_;
  bool has_tokenizer_ = false;
  TokenizerData tokenizer_;
  std::vector<TensorInfo> tensors_;
  std::vector<AlignedBuffer> decoded_;  // owned raw layouts of rans tensors
};

}  // namespace golf
