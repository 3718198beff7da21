#pragma once
// The code generator behind `seglog plan generate`: a tracking plan (read by
// src/plan/plan_file.h) in, the text of a C++ header out, with one typed function per track
// rule, one for identify and one for group (docs/tracking-plan.md, "Typed functions").

#include "plan/plan_file.h"

#include <stdexcept>
#include <string>

namespace seglog::tools::codegen {

// A plan the generator cannot express in C++ (an unknown type, an enum of numbers, tuple
// items, a $ref outside the rule or in a cycle...): what and where, as a JSON pointer.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct options {
    std::string ns;         // the namespace of the functions, "a" or "a::b"
    std::string plan_label; // how the header names its plan (the file's name)
};

// Whether `ns` is one C++ identifier or several joined by "::", none of them a keyword.
bool valid_namespace(const std::string &ns);

// The header for `plan`. Deterministic: the same plan and options give the same text.
// Throws error for what cannot be expressed.
std::string generate_header(const seglog::detail::plan::plan_file &plan, const options &opts);

} // namespace seglog::tools::codegen
