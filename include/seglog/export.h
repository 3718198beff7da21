#pragma once
// SEGLOG_API marks what libseglog exports. The shared library is built with hidden
// visibility (gnu_symbol_visibility 'hidden'), so everything else in it, the whole of src/
// and the detail:: helpers included, stays internal: users link against the public API only,
// and the library can change its insides without breaking them. A detail:: name is marked
// only when inline code of the public headers refers to it (the tracking switch, the record
// mark, the interfaces the sinks implement).

// SEGLOG_LOCAL is for the library's own classes nested in exported ones (client::impl,
// redactor::impl), which would otherwise be exported with their enclosing class.
// Both are internal to the library: user code has no need for them.
#if defined(__GNUC__) || defined(__clang__)
#define SEGLOG_API __attribute__((visibility("default")))
#define SEGLOG_LOCAL __attribute__((visibility("hidden")))
#else
#define SEGLOG_API
#define SEGLOG_LOCAL
#endif
