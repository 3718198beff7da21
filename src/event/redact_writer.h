#pragma once
// Writing a section (properties, traits, context) through a redactor: the same output as
// json_writer::write_members, minus what the rules drop, with masked and hashed values in
// place of the originals. Values no rule can reach are written by json_writer unchanged.

#include "event/json_writer.h"
#include "event/redactor_impl.h"

#include <string>
#include <string_view>

namespace seglog::detail {

// Like json_writer::write_members(p). On failure the writer's failure() names the key (no
// values), as write_members would.
bool write_members_redacted(json_writer &w, text_buffer &out, const properties &p, const redactor::impl &r, section s,
                            redaction_tally &tally, std::string_view skip_key = {});
bool write_members_redacted(json_writer &w, text_buffer &out, const nlohmann::json &obj, const redactor::impl &r,
                            section s, redaction_tally &tally, std::string_view skip_key = {});

} // namespace seglog::detail
