#pragma once
// The bytes of one serialised record, in the queue and in batches. Not a std::string: each
// push takes a recycled buffer, copies the record into it and moves it into the queue, and
// std::string's moves (small-string checks both ways) and assign() cost the caller ~100
// instructions more than this pointer hand-over and one memcpy.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace seglog::detail {

class record_buffer {
public:
    record_buffer() = default;
    record_buffer(record_buffer &&o) noexcept
        : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
    record_buffer &operator=(record_buffer &&o) noexcept {
        data_ = std::move(o.data_);
        size_ = std::exchange(o.size_, 0);
        capacity_ = std::exchange(o.capacity_, 0);
        return *this;
    }

    // Room for `n` bytes (what is held is dropped when it grows).
    void reserve(std::size_t n) {
        if (n <= capacity_) return;
        data_.reset(new char[n]);
        capacity_ = n;
        size_ = 0;
    }
    // Copies `s` in; allocates only when it does not fit.
    void assign(std::string_view s) {
        reserve(s.size());
        if (!s.empty()) std::memcpy(data_.get(), s.data(), s.size());
        size_ = s.size();
    }
    void clear() noexcept { size_ = 0; }

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    std::string_view view() const noexcept { return {data_.get(), size_}; }
    operator std::string_view() const noexcept { return view(); }
    std::string str() const { return std::string(view()); }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

} // namespace seglog::detail
