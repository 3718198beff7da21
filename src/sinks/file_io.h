#pragma once
// The system call file_event_sink writes with, replaceable so that a test can make a write fail
// (a full disk) or stop part-way (a partial write) where no real file system would on demand.

#include <sys/types.h>

#include <cstddef>

namespace seglog::detail {
using file_write_fn = ssize_t (*)(int fd, const void *data, std::size_t size);
// ::write unless a test replaced it; read under the sink's lock, set while no sink writes.
extern file_write_fn file_sink_write;
} // namespace seglog::detail
