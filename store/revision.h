// A store revision: `main` is the global revision (one per write request or
// txn), `sub` numbers the changes inside it (0, 1, ... for each key a txn
// touches). Encoded as 16 big-endian bytes so that the byte order of encoded
// revisions (RocksDB key order) equals revision order. A tombstone (the record
// of a delete) carries one extra byte 't' after the 16 bytes, as in etcd.
//
// Plain value type; thread-compatible.
#ifndef MINIK8S_STORE_REVISION_H_
#define MINIK8S_STORE_REVISION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

namespace minik8s::store {

struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  friend bool operator==(const Revision&, const Revision&) = default;
  friend auto operator<=>(const Revision& a, const Revision& b) {
    return std::tie(a.main, a.sub) <=> std::tie(b.main, b.sub);
  }
  template <typename H>
  friend H AbslHashValue(H h, const Revision& r) {
    return H::combine(std::move(h), r.main, r.sub);
  }
};

inline constexpr size_t kRevisionBytes = 16;
inline constexpr char kTombstoneMark = 't';

// Appends the 8 big-endian bytes of v to out.
inline void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

inline uint64_t ReadBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// The encoding written into a caller's buffer, for the write path, which
// needs no string (16 bytes do not fit a std::string's inline buffer, so
// each would be a heap allocation). Returns the bytes written: 16, or 17
// with the tombstone mark.
inline size_t EncodeRevisionTo(const Revision& rev, bool tombstone,
                               char (&out)[kRevisionBytes + 1]) {
  const uint64_t parts[2] = {static_cast<uint64_t>(rev.main), static_cast<uint64_t>(rev.sub)};
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 8; ++i)
      out[p * 8 + i] = static_cast<char>((parts[p] >> (56 - 8 * i)) & 0xff);
  }
  if (!tombstone) return kRevisionBytes;
  out[kRevisionBytes] = kTombstoneMark;
  return kRevisionBytes + 1;
}

// 16 bytes (17 with the tombstone mark).
inline std::string EncodeRevision(const Revision& rev, bool tombstone = false) {
  char buf[kRevisionBytes + 1];
  return std::string(buf, EncodeRevisionTo(rev, tombstone, buf));
}

// Decodes an encoded revision; returns false if `in` is not 16 or 17 bytes
// (17 only with the tombstone mark).
inline bool DecodeRevision(std::string_view in, Revision* rev, bool* tombstone) {
  if (in.size() == kRevisionBytes) {
    *tombstone = false;
  } else if (in.size() == kRevisionBytes + 1 && in[kRevisionBytes] == kTombstoneMark) {
    *tombstone = true;
  } else {
    return false;
  }
  rev->main = static_cast<int64_t>(ReadBigEndian64(in.substr(0, 8)));
  rev->sub = static_cast<int64_t>(ReadBigEndian64(in.substr(8, 8)));
  return true;
}

}  // namespace minik8s::store

#endif  // MINIK8S_STORE_REVISION_H_
