// Packed-weight cache of the direct conv2d kernel (conv2d_direct_avx2.cpp) for small batches.
// Why: at batch-1 inference the deep conv64 layers do only 16–64 output pixels per weight, and
// repacking W [OC][C·KH·KW] into 16-channel panels every call (1 MiB at the 128→128 layer)
// cost as much as the convolution itself.
// Never stale: an entry keeps a copy of W as it was when packed, and a call compares each
// 16-channel block of the caller's W with that copy (memcmp, a sequential read, cheaper than
// the strided repack) and repacks only blocks that differ. So in-place weight updates (training
// steps) and a reused pointer are both caught by content, not by a version counter. The one
// exception: a call under the same nonzero weight stamp as the entry's last full check skips
// the compare (weight_stamp.h: the plan executor's promise that nothing wrote W since).
// Entries are keyed on (W pointer, OC, C·KH·KW, kind: which kernel's panels), least recently
// used first out, per calling
// thread (thread_local in the kernel): the pool workers only touch the blocks they own inside
// one call, so no lock is needed.
#ifndef LAMKIT_CONV2D_DIRECT_WCACHE_H
#define LAMKIT_CONV2D_DIRECT_WCACHE_H

#include <stdint.h>
#include <string.h>

#include <memory>
#include <vector>

namespace lamkit {

struct PackedWeights {
  const float* w = nullptr;
  int64_t OC = 0, CKK = 0, block = 0;  // block = output channels per panel
  int kind = 0;                        // 0: direct panels, 1: Winograd transforms
  std::vector<float> copy;             // W as last packed, OC × CKK
  std::vector<float> store;            // panels (+ alignment slack)
  std::vector<uint8_t> valid;          // per block: panel == pack(copy block)
  uint64_t used = 0;
  uint64_t stamp = 0;                  // weight stamp of the last call (0: none): every block
                                       // was current for W then

  float* panels() {
    const uintptr_t a = (uintptr_t)store.data();
    return (float*)((a + 63) & ~(uintptr_t)63);
  }
  int64_t rows(int64_t b) const { return OC - b * block < block ? OC - b * block : block; }
  // Block b's panel is current for w (same contents as when it was packed).
  bool current(const float* wnow, int64_t b) const {
    return valid[(size_t)b] &&
           memcmp(wnow + b * block * CKK, copy.data() + b * block * CKK,
                  sizeof(float) * (size_t)(rows(b) * CKK)) == 0;
  }
  // Block b was just repacked from wnow.
  void refreshed(const float* wnow, int64_t b) {
    memcpy(copy.data() + b * block * CKK, wnow + b * block * CKK, sizeof(float) * (size_t)(rows(b) * CKK));
    valid[(size_t)b] = 1;
  }
};

class PackedWeightCache {
 public:
  static const int kEntries = 16;
  static const int64_t kMaxFloats = (int64_t)16 << 20;  // 64 MiB of copies + panels in all

  // The entry for (w, OC, CKK, kind), created (all blocks invalid) when missing; null when the
  // weights are too large to cache. panel_floats: the panels' size (default: the direct
  // kernel's, nob · block · CKK).
  PackedWeights* get(const float* w, int64_t OC, int64_t CKK, int64_t block, int64_t panel_floats = -1,
                     int kind = 0) {
    const int64_t nob = (OC + block - 1) / block;
    if (panel_floats < 0) panel_floats = nob * block * CKK;
    const int64_t need = OC * CKK + panel_floats + 16;
    if (need > kMaxFloats / 4) return nullptr;
    ++clock_;
    for (auto& e : entries_)
      if (e->w == w && e->OC == OC && e->CKK == CKK && e->block == block && e->kind == kind &&
          (int64_t)e->store.size() == panel_floats + 16) {
        e->used = clock_;
        return e.get();
      }
    // Evict least recently used entries until the new one fits.
    while (!entries_.empty() && ((int)entries_.size() >= kEntries || floats_ + need > kMaxFloats)) {
      size_t lru = 0;
      for (size_t i = 1; i < entries_.size(); ++i)
        if (entries_[i]->used < entries_[lru]->used) lru = i;
      floats_ -= size(*entries_[lru]);
      entries_.erase(entries_.begin() + (long)lru);
    }
    std::unique_ptr<PackedWeights> e(new PackedWeights());
    e->w = w;
    e->OC = OC;
    e->CKK = CKK;
    e->block = block;
    e->kind = kind;
    e->copy.resize((size_t)(OC * CKK));
    e->store.resize((size_t)(panel_floats + 16));
    e->valid.assign((size_t)nob, 0);
    e->used = clock_;
    floats_ += size(*e);
    entries_.push_back(std::move(e));
    return entries_.back().get();
  }

 private:
  static int64_t size(const PackedWeights& e) { return (int64_t)(e.copy.size() + e.store.size()); }
  std::vector<std::unique_ptr<PackedWeights>> entries_;
  int64_t floats_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace lamkit

#endif
