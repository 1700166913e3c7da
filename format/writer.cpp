// writer.cpp: GolfWriter, which lays out a .golf file exactly as SPEC.md §2 describes: header, section table,
// 64-byte aligned sections (CONF, TOKN, META, TENS, DATA), per-section, header and file checksums.
#include <cstring>
#include <new>
#include <set>

#include "bytes.h"
#include "checksum.h"
#include "codec.h"
#include "golf_file.h"
#include "golf_writer.h"
#include "mapped_file.h"

namespace golf {

Status GolfWriter::add_tensor(TensorRecord rec) {
  std::string where = "tensor '" + rec.name + "': ";
  if (rec.name.empty() || rec.name.size() > 255)
    return Status(StatusCode::invalid_argument, where + "name must be 1..255 bytes");
  for (const Stored& s : tensors_)
    if (s.rec.name == rec.name) return Status(StatusCode::invalid_argument, where + "added twice");
  TensorLayout L;
  Status st = tensor_layout(rec.dtype, rec.dims, rec.group_size, &L);
  if (!st.ok()) return Status(StatusCode::invalid_argument, where + st.message());
  if (rec.raw.size() != L.raw_size)
    return Status(StatusCode::invalid_argument, where + "raw layout is " + std::to_string(rec.raw.size()) +
                                                    " bytes, the dtype and shape need " + std::to_string(L.raw_size));
  Stored s;
  try {
    st = encode_tensor_payload(rec.dtype, L, rec.group_size, rec.codec, rec.raw.data(), &s.stored);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::out_of_memory, where + "out of memory while encoding");
  }
  if (!st.ok()) return Status(st.code(), where + st.message());
  rec.raw.clear();
  rec.raw.shrink_to_fit();
  s.rec = std::move(rec);
  tensors_.push_back(std::move(s));
  return Status::Ok();
}

Status GolfWriter::serialize(std::vector<uint8_t>* out) const {
  try {
    struct Section {
      const char* kind;
      uint32_t flags;
      std::vector<uint8_t> bytes;
    };
    std::vector<Section> sections;
    {
      ByteWriter w;
      kv_encode(config_, &w);
      sections.push_back({"CONF", kSectionRequired, std::move(w.buffer())});
    }
    if (has_tokenizer_) {
      ByteWriter w;
      tokenizer_encode(tokenizer_, &w);
      sections.push_back({"TOKN", kSectionRequired, std::move(w.buffer())});
    }
    if (!metadata_.empty()) {
      ByteWriter w;
      kv_encode(metadata_, &w);
      sections.push_back({"META", 0, std::move(w.buffer())});
    }
    // Tensor payloads at 64-byte aligned offsets inside DATA, in the order they were added.
    ByteWriter data, tens;
    tens.u32((uint32_t)tensors_.size());
    for (const Stored& s : tensors_) {
      data.pad_to(64);
      const TensorRecord& r = s.rec;
      tens.u16((uint16_t)r.name.size());
      tens.bytes(r.name.data(), r.name.size());
      tens.u8((uint8_t)r.dtype);
      tens.u8((uint8_t)r.codec);
      tens.u8((uint8_t)r.dims.size());
      tens.u8(dtype_is_quantized(r.dtype) ? kScaleDtypeF16 : kScaleDtypeNone);
      tens.u32(r.group_size);
      for (uint64_t d : r.dims) tens.u64(d);
      tens.u64(data.size());
      tens.u64(s.stored.size());
      tens.u64(xxh3_64(s.stored.data(), s.stored.size()));
      data.bytes(s.stored.data(), s.stored.size());
    }
    sections.push_back({"TENS", kSectionRequired, std::move(tens.buffer())});
    sections.push_back({"DATA", kSectionRequired, std::move(data.buffer())});

    // Header, table, sections.
    const uint32_t n = (uint32_t)sections.size();
    uint64_t offset = align64(kHeaderSize + (uint64_t)n * kSectionEntrySize);
    std::vector<uint64_t> offsets;
    for (const Section& s : sections) {
      offsets.push_back(offset);
      offset = align64(offset + s.bytes.size());
    }
    uint64_t file_size = offsets.back() + sections.back().bytes.size();
    ByteWriter f;
    f.buffer().reserve(file_size);
    f.bytes("GOLF", 4);
    f.u16(kVersionMajor);
    f.u16(kVersionMinor);
    f.u32(0);  // flags
    f.u32(n);
    f.u64(file_size);
    f.u64(kHeaderSize);
    f.u64(0), f.u64(0);  // reserved
    f.u64(0), f.u64(0);  // file and header checksums, patched below
    for (uint32_t i = 0; i < n; i++) {
      f.bytes(sections[i].kind, 4);
      f.u32(sections[i].flags);
      f.u64(offsets[i]);
      f.u64(sections[i].bytes.size());
      f.u64(xxh3_64(sections[i].bytes.data(), sections[i].bytes.size()));
      f.u64(0), f.u64(0);
    }
    for (uint32_t i = 0; i < n; i++) {
      f.pad_to(64);
      f.bytes(sections[i].bytes.data(), sections[i].bytes.size());
    }
    std::vector<uint8_t>& b = f.buffer();
    uint64_t file_checksum = xxh3_64(b.data() + kHeaderSize, b.size() - kHeaderSize);
    f.patch(48, &file_checksum, 8);
    uint64_t header_checksum = golf_header_checksum(b.data(), n);
    f.patch(56, &header_checksum, 8);
    *out = std::move(b);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::out_of_memory, "out of memory while serializing the .golf file");
  }
}

Status GolfWriter::write_file(const std::string& path) const {
  std::vector<uint8_t> bytes;
  GOLF_RETURN_IF_ERROR(serialize(&bytes));
  return write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace golf
