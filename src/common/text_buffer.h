#pragma once
// The output of the event serialiser: a growable byte buffer whose appends are inline (a
// capacity check and a memcpy, which the compiler turns into a few moves for the literal
// pieces of a record), where std::string's append is an out-of-line call into libstdc++ for
// each of the many small pieces of every event. The buffer keeps its capacity across clear(),
// so a per-thread one stops allocating once it has grown to the largest event. The queue holds
// records in these too: a move is three words, without std::string's small-string checks on
// every move and assign() of a push (docs/performance.md).

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace seglog::detail {

class text_buffer {
public:
    text_buffer() = default;
    text_buffer(const text_buffer &) = delete;
    text_buffer &operator=(const text_buffer &) = delete;
    text_buffer(text_buffer &&o) noexcept
        : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
    text_buffer &operator=(text_buffer &&o) noexcept {
        data_ = std::move(o.data_);
        size_ = std::exchange(o.size_, 0);
        capacity_ = std::exchange(o.capacity_, 0);
        return *this;
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    const char *data() const noexcept { return data_.get(); }
    std::string_view view() const noexcept { return {data_.get(), size_}; }
    std::string substr(std::size_t at) const { return std::string(view().substr(at)); }

    void clear() noexcept { size_ = 0; }
    // Exactly `n` bytes of room in all, allocated now (nothing is kept: for an empty buffer).
    void reserve_exact(std::size_t n) {
        if (n <= capacity_) return;
        data_.reset(new char[n]);
        capacity_ = n;
        size_ = 0;
    }
    // Replaces the contents with `s`; allocates only when it does not fit.
    void assign(std::string_view s) {
        clear();
        append(s);
    }
    void resize(std::size_t n) noexcept { // shrinks only: drops what was written after n
        if (n < size_) size_ = n;
    }

    // Room for `n` more bytes at the end; write them through the pointer, then commit(n).
    char *tail(std::size_t n) {
        if (n > capacity_ - size_) grow(n);
        return data_.get() + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }

    text_buffer &append(const char *s, std::size_t n) {
        std::memcpy(tail(n), s, n);
        size_ += n;
        return *this;
    }
    text_buffer &append(std::string_view s) { return append(s.data(), s.size()); }
    template <std::size_t N>
    text_buffer &append(const char (&literal)[N]) {
        return append(literal, N - 1);
    }
    void push_back(char c) {
        if (size_ == capacity_) grow(1);
        data_[size_++] = c;
    }

private:
    void grow(std::size_t more) {
        std::size_t cap = capacity_ ? capacity_ * 2 : 1024;
        while (cap - size_ < more) cap *= 2;
        std::unique_ptr<char[]> bigger(new char[cap]);
        if (size_) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = cap;
    }

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

} // namespace seglog::detail
