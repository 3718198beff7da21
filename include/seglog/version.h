#pragma once
// seglog's version, for the preprocessor (SEGLOG_VERSION_*) and at run time (seglog::version).

// major.minor.patch, as numbers and as one string.
#define SEGLOG_VERSION_MAJOR 0
#define SEGLOG_VERSION_MINOR 1
#define SEGLOG_VERSION_PATCH 0
#define SEGLOG_VERSION_STRING "0.1.0"

namespace seglog {
// The version sent as context.library.version and in the User-Agent.
inline constexpr const char *version = SEGLOG_VERSION_STRING;
} // namespace seglog
