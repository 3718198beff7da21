#pragma once
// The sinks live in <seglog/sinks/>; this path is kept for code written against seglog 0.1.
#include <seglog/sinks/file_event_sink.h>
