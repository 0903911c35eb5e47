// BlockArray: a growable array kept in fixed blocks of kBlockSize elements.
// Growing allocates one block at a time and never moves or copies an
// element, where a doubling std::vector holds up to twice what it needs (and
// three times while it copies): arrays indexed by node or connection slot
// are what the server's memory per idle node is made of (jobs/engine.h,
// api/node_sessions.h), so at most one partly used block is overhead here. An element keeps its address until the array is
// destroyed; pop_back keeps its block for the next push_back.
//
// Thread-safety: none.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

namespace sela {

template <typename T, uint32_t kBlockSize = 1024>
class BlockArray {
  static_assert((kBlockSize & (kBlockSize - 1)) == 0, "a power of two, so indexing is shifts");

 public:
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](uint32_t i) {
    assert(i < size_);
    return blocks_[i / kBlockSize][i % kBlockSize];
  }
  const T& operator[](uint32_t i) const {
    assert(i < size_);
    return blocks_[i / kBlockSize][i % kBlockSize];
  }
  T& back() { return (*this)[size_ - 1]; }

  // Forward iteration in index order (for (T& x : array)).
  template <typename Array, typename Ref>
  class Iter {
   public:
    Iter(Array* a, uint32_t i) : a_(a), i_(i) {}
    Ref operator*() const { return (*a_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iter& o) const { return i_ == o.i_; }
    bool operator!=(const Iter& o) const { return i_ != o.i_; }

   private:
    Array* a_;
    uint32_t i_;
  };
  Iter<BlockArray, T&> begin() { return {this, 0}; }
  Iter<BlockArray, T&> end() { return {this, size_}; }
  Iter<const BlockArray, const T&> begin() const { return {this, 0}; }
  Iter<const BlockArray, const T&> end() const { return {this, size_}; }

  void push_back(const T& value) {
    if (size_ == blocks_.size() * kBlockSize) blocks_.push_back(std::make_unique<T[]>(kBlockSize));
    ++size_;
    back() = value;
  }
  void pop_back() {
    assert(size_ > 0);
    --size_;
  }
  // Grows to `size` elements, the new ones copies of `fill`; never shrinks.
  void GrowTo(uint32_t size, const T& fill = T{}) {
    while (size_ < size) push_back(fill);
  }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;
  uint32_t size_ = 0;
};

}  // namespace sela
