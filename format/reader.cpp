// reader.cpp: GolfFile, the validating .golf reader (SPEC.md §8). Every offset and size is checked against the file
// length with overflow-safe arithmetic before it is used; errors name the file, the section, the tensor and the fix.
#include <algorithm>
#include <cstring>
#include <new>
#include <set>

#include "bytes.h"
#include "checksum.h"
#include "codec.h"
#include "golf_file.h"
#include "quant.h"
#include "utf8_valid.h"

namespace golf {

namespace {

const char* const kFixDamaged = "; the file is damaged: copy or export it again";

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)v);
  return buf;
}

std::string kind_string(const uint8_t* p) {
  std::string s;
  for (int i = 0; i < 4; i++) {
    char c = (char)p[i];
    if (c >= 0x20 && c < 0x7f) s += c;
    else { char b[8]; std::snprintf(b, sizeof b, "\\x%02x", p[i]); s += b; }
  }
  return s;
}

}  // namespace

Status GolfFile::error(StatusCode code, const std::string& what) const { return Status(code, name_ + ": " + what); }

Status GolfFile::open(const std::string& path, std::unique_ptr<GolfFile>* out, const OpenOptions& options) {
  try {
    std::unique_ptr<GolfFile> f(new GolfFile);
    f->name_ = path;
    GOLF_RETURN_IF_ERROR(f->map_.open(path));
    f->data_ = f->map_.data();
    f->size_ = f->map_.size();
    GOLF_RETURN_IF_ERROR(f->parse(options));
    *out = std::move(f);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::out_of_memory, path + ": out of memory while loading");
  }
}

Status GolfFile::open_memory(const void* data, size_t size, std::unique_ptr<GolfFile>* out,
                             const OpenOptions& options, const std::string& name) {
  try {
    std::unique_ptr<GolfFile> f(new GolfFile);
    f->name_ = name;
    f->data_ = (const uint8_t*)data;
    f->size_ = data ? size : 0;
    GOLF_RETURN_IF_ERROR(f->parse(options));
    *out = std::move(f);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::out_of_memory, name + ": out of memory while loading");
  }
}

Status GolfFile::parse(const OpenOptions& options) {
  // 1. Header.
  if (size_ < kHeaderSize)
    return error(StatusCode::bad_format, "file is " + std::to_string(size_) +
                                             " bytes, smaller than the 64-byte header: not a .golf file, or truncated");
  if (std::memcmp(data_, "GOLF", 4) != 0)
    return error(StatusCode::bad_format, "not a .golf file (magic '" + kind_string(data_) +
                                             "', expected 'GOLF'); make one with golf-pack or golf-train");
  ByteReader hr(data_ + 4, kHeaderSize - 4);
  uint32_t flags = 0, section_count = 0;
  uint64_t file_size = 0, table_offset = 0, reserved0 = 0, reserved1 = 0, header_checksum = 0;
  hr.u16(&version_major_), hr.u16(&version_minor_), hr.u32(&flags), hr.u32(&section_count), hr.u64(&file_size);
  hr.u64(&table_offset), hr.u64(&reserved0), hr.u64(&reserved1), hr.u64(&file_checksum_), hr.u64(&header_checksum);
  std::string version = std::to_string(version_major_) + "." + std::to_string(version_minor_);
  if (version_major_ != kVersionMajor)
    return error(StatusCode::unsupported, "format version " + version + "; this reader supports 1.x" +
                                              (version_major_ > kVersionMajor ? ": upgrade golf to read it"
                                                                              : ": re-export the model"));
  if (flags != 0)
    return error(StatusCode::unsupported, "header flags 0x" + hex64(flags) + " are set; a newer golf wrote this file");
  if (section_count < 1 || section_count > kMaxSections)
    return error(StatusCode::bad_format, "section_count " + std::to_string(section_count) + " is not 1..64" + kFixDamaged);
  if (table_offset != kHeaderSize)
    return error(StatusCode::bad_format, "table_offset " + std::to_string(table_offset) + " is not 64" + kFixDamaged);
  if (reserved0 != 0 || reserved1 != 0) return error(StatusCode::bad_format, "reserved header fields are not zero" + std::string(kFixDamaged));
  uint64_t table_end = kHeaderSize + (uint64_t)section_count * kSectionEntrySize;
  if (table_end > size_)
    return error(StatusCode::bad_format, "truncated: the section table needs " + std::to_string(table_end) +
                                             " bytes, the file has " + std::to_string(size_));
  if (golf_header_checksum(data_, section_count) != header_checksum)
    return error(StatusCode::checksum_mismatch, "header checksum mismatch: the header or section table is damaged" +
                                                    std::string(kFixDamaged));
  if (file_size != size_)
    return error(StatusCode::bad_format, file_size > size_
                                             ? "truncated: the header says " + std::to_string(file_size) +
                                                   " bytes, the file has " + std::to_string(size_) +
                                                   " (an interrupted copy or download?)"
                                             : "the file has " + std::to_string(size_) + " bytes, more than the " +
                                                   std::to_string(file_size) + " its header says" + kFixDamaged);

  // 2. Section table.
  ByteReader tr(data_ + kHeaderSize, table_end - kHeaderSize);
  uint64_t prev_end = align64(table_end);
  std::set<std::string> kinds;
  for (uint32_t i = 0; i < section_count; i++) {
    SectionInfo s;
    const uint8_t* kind = tr.take(4);
    uint64_t r0 = 0, r1 = 0;
    s.kind = kind_string(kind);
    tr.u32(&s.flags), tr.u64(&s.offset), tr.u64(&s.size), tr.u64(&s.checksum), tr.u64(&r0), tr.u64(&r1);
    std::string where = "section '" + s.kind + "': ";
    uint64_t end;
    if (s.flags & ~kSectionRequired) return error(StatusCode::bad_format, where + "unknown flag bits" + kFixDamaged);
    if (r0 || r1) return error(StatusCode::bad_format, where + "reserved fields are not zero" + kFixDamaged);
    if (s.offset % 64) return error(StatusCode::bad_format, where + "offset " + std::to_string(s.offset) + " is not 64-byte aligned" + kFixDamaged);
    if (add_overflows(s.offset, s.size, &end) || end > size_)
      return error(StatusCode::bad_format, where + "bytes [" + std::to_string(s.offset) + ", +" + std::to_string(s.size) +
                                               ") run past the end of the file (" + std::to_string(size_) + " bytes)" + kFixDamaged);
    if (s.offset < prev_end)
      return error(StatusCode::bad_format, where + "overlaps the section table or the previous section" + kFixDamaged);
    if (!kinds.insert(s.kind).second) return error(StatusCode::bad_format, where + "appears twice" + kFixDamaged);
    prev_end = end;
    sections_.push_back(s);
  }

  // 3. Checksums: one pass over everything after the header (the header and table were checked above).
  if (options.verify_checksums && xxh3_64(data_ + kHeaderSize, size_ - kHeaderSize) != file_checksum_)
    return locate_damage();
  // The file checksum can hold while a section's does not (a writer that refreshed only the file checksum).
  if (options.verify_checksums)
    for (const SectionInfo& s : sections_)
      if (xxh3_64(data_ + s.offset, s.size) != s.checksum)
        return error(StatusCode::checksum_mismatch, "checksum mismatch in section '" + s.kind + "'" + kFixDamaged);

  // 4. Sections by kind.
  const SectionInfo *conf = nullptr, *tens = nullptr, *data = nullptr, *tokn = nullptr, *meta = nullptr;
  for (const SectionInfo& s : sections_) {
    if (s.kind == "CONF") conf = &s;
    else if (s.kind == "TENS") tens = &s;
    else if (s.kind == "DATA") data = &s;
    else if (s.kind == "TOKN") tokn = &s;
    else if (s.kind == "META") meta = &s;
    else if (s.flags & kSectionRequired)
      return error(StatusCode::unsupported, "section '" + s.kind + "' is required but unknown to this reader: upgrade golf");
    else continue;
    // A known kind carries the flag SPEC.md §2.2 gives it: set for all but META, so an older reader that did not
    // know the kind would refuse exactly what it must not skip.
    const bool want_required = s.kind != "META";
    if (((s.flags & kSectionRequired) != 0) != want_required)
      return error(StatusCode::bad_format, "section '" + s.kind + "': the required flag is " +
                                               (want_required ? "clear; it must be set" : "set; it must be clear") +
                                               kFixDamaged);
  }
  if (!conf || !tens || !data)
    return error(StatusCode::bad_format, std::string("missing required section '") + (!conf ? "CONF" : !tens ? "TENS" : "DATA") + "'");
  Status st = kv_decode(data_ + conf->offset, conf->size, &config_);
  if (!st.ok()) return error(st.code(), "section 'CONF': " + st.message());
  if (meta) {
    st = kv_decode(data_ + meta->offset, meta->size, &metadata_);
    if (!st.ok()) return error(st.code(), "section 'META': " + st.message());
  }
  if (tokn) {
    st = tokenizer_decode(data_ + tokn->offset, tokn->size, &tokenizer_);
    if (!st.ok()) return error(st.code(), "section 'TOKN': " + st.message());
    has_tokenizer_ = true;
  }
  GOLF_RETURN_IF_ERROR(parse_tensors(*tens, *data));
  if (options.verify_checksums)
    for (const TensorInfo& t : tensors_)
      if (xxh3_64(t.stored, t.stored_size) != t.checksum)
        return error(StatusCode::checksum_mismatch, "checksum mismatch in tensor '" + t.name + "'" + kFixDamaged);
  return decode_tensors();
}

Status GolfFile::parse_tensors(const SectionInfo& tens, const SectionInfo& data) {
  ByteReader r(data_ + tens.offset, tens.size);
  auto bad = [&](const std::string& m) { return error(StatusCode::bad_format, "section 'TENS': " + m + kFixDamaged); };
  uint32_t count;
  if (!r.u32(&count)) return bad("too short for the tensor count");
  if (count > tens.size / 43) return bad("tensor count " + std::to_string(count) + " cannot fit in the section");
  std::set<std::string> names;
  tensors_.reserve(count);
  for (uint32_t i = 0; i < count; i++) {
    TensorInfo t;
    uint16_t name_len;
    std::string where = "tensor #" + std::to_string(i);
    if (!r.u16(&name_len) || name_len == 0) return bad(where + ": empty or truncated name");
    if (name_len > 255) return bad(where + ": name of " + std::to_string(name_len) + " bytes (at most 255)");
    const uint8_t* name = r.take(name_len);
    if (!name) return bad(where + ": name runs past the section end");
    t.name.assign((const char*)name, name_len);
    if (!utf8_is_valid(t.name)) return bad(where + ": name is not valid UTF-8");
    where = "tensor '" + t.name + "'";
    if (!names.insert(t.name).second) return bad(where + ": duplicate name");
    uint8_t dtype, codec, ndim, scale_dtype;
    if (!r.u8(&dtype) || !r.u8(&codec) || !r.u8(&ndim) || !r.u8(&scale_dtype) || !r.u32(&t.group_size))
      return bad(where + ": truncated entry");
    if (!dtype_is_known(dtype))
      return error(StatusCode::unsupported, "section 'TENS': " + where + ": dtype code 0x" + hex64(dtype).substr(14) +
                                                " is unknown to this reader: upgrade golf");
    if (codec > (uint8_t)Codec::rans)
      return error(StatusCode::unsupported, "section 'TENS': " + where + ": codec " + std::to_string(codec) +
                                                " is unknown to this reader: upgrade golf");
    t.dtype = (Dtype)dtype;
    t.codec = (Codec)codec;
    if (ndim < 1 || ndim > 4) return bad(where + ": ndim " + std::to_string(ndim) + " is not 1..4");
    t.dims.resize(ndim);
    for (auto& d : t.dims)
      if (!r.u64(&d)) return bad(where + ": truncated dims");
    if (!r.u64(&t.data_offset) || !r.u64(&t.stored_size) || !r.u64(&t.checksum)) return bad(where + ": truncated entry");
    uint8_t want_scale = dtype_is_quantized(t.dtype) ? kScaleDtypeF16 : kScaleDtypeNone;
    if (scale_dtype != want_scale)
      return bad(where + ": scale_dtype " + std::to_string(scale_dtype) + ", expected " + std::to_string(want_scale));
    Status st = tensor_layout(t.dtype, t.dims, t.group_size, &t.layout);
    if (!st.ok()) return error(st.code(), "section 'TENS': " + where + ": " + st.message());
    if (t.codec == Codec::rans && !dtype_is_quantized(t.dtype)) return bad(where + ": codec rans needs a quantized dtype");
    uint64_t end;
    if (t.data_offset % 64) return bad(where + ": data_offset " + std::to_string(t.data_offset) + " is not 64-byte aligned");
    if (add_overflows(t.data_offset, t.stored_size, &end) || end > data.size)
      return bad(where + ": bytes [" + std::to_string(t.data_offset) + ", +" + std::to_string(t.stored_size) +
                 ") run past the DATA section (" + std::to_string(data.size) + " bytes)");
    if (t.codec == Codec::raw && t.stored_size != t.layout.raw_size)
      return bad(where + ": stored_size " + std::to_string(t.stored_size) + " != raw size " + std::to_string(t.layout.raw_size));
    t.stored = data_ + data.offset + t.data_offset;
    t.raw = t.codec == Codec::raw ? t.stored : nullptr;
    tensors_.push_back(std::move(t));
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " trailing bytes after the last tensor");
  // Payloads must not overlap.
  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->data_offset < b->data_offset; });
  for (size_t i = 1; i < by_offset.size(); i++)
    if (by_offset[i - 1]->data_offset + by_offset[i - 1]->stored_size > by_offset[i]->data_offset)
      return bad("tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name + "' overlap in DATA");
  return Status::Ok();
}

Status GolfFile::decode_tensors() {
  for (TensorInfo& t : tensors_) {
    std::string where = "tensor '" + t.name + "': ";
    if (t.codec == Codec::raw) {
      Status st = check_quant_values(t.dtype, t.layout, t.raw);
      if (!st.ok()) return error(st.code(), where + st.message() + kFixDamaged);
      continue;
    }
    // A valid rans stream holds at most 4096 codes per byte (SPEC.md §6.1): refuse before allocating.
    if (t.layout.count / 4096 > t.stored_size)
      return error(StatusCode::bad_format, where + "claims " + std::to_string(t.layout.count) + " elements in " +
                                               std::to_string(t.stored_size) + " stored bytes" + kFixDamaged);
    AlignedBuffer buf;
    if (!buf.allocate(t.layout.raw_size))
      return error(StatusCode::out_of_memory, where + "cannot allocate " + std::to_string(t.layout.raw_size) + " bytes");
    Status st = decode_tensor_payload(t.dtype, t.layout, t.group_size, t.codec, t.stored, t.stored_size, buf.data());
    if (!st.ok()) return error(st.code(), where + st.message() + kFixDamaged);
    // Codes were range-checked by the decoder; the scales were copied as stored.
    st = check_quant_values(t.dtype, t.layout, buf.data());
    if (!st.ok()) return error(st.code(), where + st.message() + kFixDamaged);
    t.raw = buf.data();
    decoded_.push_back(std::move(buf));
  }
  release_rans_streams();
  return Status::Ok();
}

void GolfFile::release_rans_streams() const {
  // The stored streams are not read again (only verify_all and damage reports do, and the map reads them back): their
  // pages leave resident memory, so a loaded rans model holds its decoded tensors but not the file as well. Runs of
  // streams adjacent in the file go in one call: a fresh file's page cache can be mapped in 2 MB pages, which only
  // leave when the whole 2 MB is released.
  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->data_offset < b->data_offset; });
  for (size_t i = 0; i < by_offset.size();) {
    if (by_offset[i]->codec == Codec::raw) {
      i++;
      continue;
    }
    size_t j = i + 1;
    while (j < by_offset.size() && by_offset[j]->codec != Codec::raw) j++;
    const TensorInfo& last = *by_offset[j - 1];
    map_.release(by_offset[i]->stored, (size_t)(last.stored + last.stored_size - by_offset[i]->stored));
    i = j;
  }
}

const TensorInfo* GolfFile::find_tensor(const std::string& name) const {
  for (const TensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Status GolfFile::locate_damage() const {
  for (const SectionInfo& s : sections_) {
    if (xxh3_64(data_ + s.offset, s.size) == s.checksum) continue;
    std::string msg = "checksum mismatch in section '" + s.kind + "'";
    if (s.kind == "DATA") {
      // Name the damaged tensor when the directory itself is intact.
      for (const SectionInfo& t : sections_) {
        if (t.kind != "TENS" || xxh3_64(data_ + t.offset, t.size) != t.checksum) continue;
        GolfFile probe;
        probe.name_ = name_, probe.data_ = data_, probe.size_ = size_;
        if (!probe.parse_tensors(t, s).ok()) break;
        for (const TensorInfo& ti : probe.tensors_)
          if (xxh3_64(ti.stored, ti.stored_size) != ti.checksum) msg += ", tensor '" + ti.name + "'";
      }
    }
    return error(StatusCode::checksum_mismatch, msg + kFixDamaged);
  }
  return error(StatusCode::checksum_mismatch, "file checksum mismatch in the padding between sections" + std::string(kFixDamaged));
}

Status GolfFile::verify_all() const {
  std::string problems;
  if (xxh3_64(data_ + kHeaderSize, size_ - kHeaderSize) != file_checksum_) problems += " file";
  for (const SectionInfo& s : sections_)
    if (xxh3_64(data_ + s.offset, s.size) != s.checksum) problems += " section '" + s.kind + "'";
  for (const TensorInfo& t : tensors_)
    if (xxh3_64(t.stored, t.stored_size) != t.checksum) problems += " tensor '" + t.name + "'";
  if (problems.empty()) return Status::Ok();
  return error(StatusCode::checksum_mismatch, "checksum mismatch in:" + problems + kFixDamaged);
}

}  // namespace golf
