#pragma once
// A JSON Schema (draft-07) compiled once, then checked against many JSON values.
//
// Supported keywords: type (one or several), properties, patternProperties,
// additionalProperties, required, minProperties/maxProperties, enum, const, pattern,
// minLength/maxLength, minimum/maximum/exclusiveMinimum/exclusiveMaximum/multipleOf, items
// (one schema or a tuple), additionalItems, minItems/maxItems, uniqueItems, definitions with a
// local $ref ("#", "#/definitions/x", any JSON pointer into the same document), allOf, anyOf,
// oneOf, not, and boolean schemas. Annotations are accepted and not asserted: $schema, $id,
// title, description, default, examples, $comment, format, and any "x-..." extension key.
//
// Any other keyword is refused when the schema compiles (config_error naming where, the JSON
// pointer in the schema and the keyword): a plan that relies on a keyword the validator would
// skip must not pass silently. So are malformed keyword values, a pattern std::regex cannot
// compile and a $ref that does not resolve within the document.
//
// A failure is reported as the JSON pointer of the failing location in the checked value and
// the keyword that failed; never the value itself, which may be personal or health data.

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace seglog::detail::plan {

struct violation {
    std::string pointer; // where in the checked value: "" for the root, "/properties/order_id"
    std::string keyword; // which keyword failed: "required", "type", "anyOf", ...
    bool operator==(const violation &o) const { return pointer == o.pointer && keyword == o.keyword; }
};

class compiled_schema {
public:
    // Compiles `schema` (an object or a boolean). `where` names it in error messages
    // ("tracking plan plan.json: rule \"Order Completed\""). Throws seglog::config_error.
    compiled_schema(const nlohmann::json &schema, const std::string &where);
    ~compiled_schema();
    compiled_schema(compiled_schema &&) noexcept;
    compiled_schema &operator=(compiled_schema &&) noexcept;

    // True when `value` is valid. When `out` is given, each failing location is appended
    // (with nested schemas' failures for allOf, properties and items; anyOf, oneOf and not are
    // reported as one failure at their own location). Stops at the first failure without `out`.
    bool validate(const nlohmann::json &value, std::vector<violation> *out = nullptr) const;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace seglog::detail::plan
