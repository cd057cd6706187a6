#include "common/workspace.hpp"

#include <cstdlib>
#include <limits>
#include <new>

namespace pykeras {
namespace {
constexpr size_t kAlignment = 64;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

float* AlignedBuffer::get(size_t count) {
  if (count <= capacity_ && data_ != nullptr) return data_;
  if (count > (std::numeric_limits<size_t>::max() - kAlignment) / sizeof(float)) throw std::bad_alloc();
  // Round the size up to whole cache lines (std::aligned_alloc requires a multiple of the alignment);
  // grow by at least 1.5x so that slowly growing requests do not reallocate every call.
  size_t want = count > capacity_ + capacity_ / 2 ? count : capacity_ + capacity_ / 2;
  size_t bytes = (want * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  if (bytes == 0) bytes = kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::free(data_);
  data_ = static_cast<float*>(p);
  capacity_ = bytes / sizeof(float);
  return data_;
}

float* LayerBuffers::get(size_t i, int64_t count) {
  while (buffers_.size() <= i) buffers_.push_back(std::make_unique<AlignedBuffer>());
  return buffers_[i]->get(static_cast<size_t>(count));
}

Workspace& thread_workspace() {
  thread_local Workspace ws;
  return ws;
}

}  // namespace pykeras
