#pragma once
// Context for the events of one thread while a scope lives: a request id, a tenant, the
// mapped diagnostic context of a request.
//
//   seglog::scoped_context scope({{"request_id", id}, {"tenant", t}});
//   SEGLOG_TRACK(who, "Order Completed", {...});   // context.request_id, context.tenant
//
// Every event tracked on this thread while `scope` lives (macros and client calls alike) gets
// these members in its context. The merge happens at the call, on the calling thread, so an
// spdlog::async_logger carries the merged record as it is. Scopes nest: an inner scope's key
// wins over an outer one's. Priority, key by key at the top level of context: the call's own
// context, then the innermost scope, then outer scopes, then the profile's (config::context);
// context.library is always seglog's. Other threads are untouched. With no scope open, a call
// pays one thread-local read.

#include <seglog/event.h>
#include <seglog/export.h>

#include <initializer_list>
#include <memory>

namespace seglog {

namespace detail {
struct object_members;
} // namespace detail

class SEGLOG_API scoped_context {
public:
    // Copies the members (braces or a nlohmann::json object), so the scope owns them. Members
    // that cannot be written as JSON (not UTF-8, NaN, nested too deep, a json that is not an
    // object) are reported through set_error_handler with their reason and key, and the scope
    // then adds nothing; it never throws for them. A "library" member is left out.
    explicit scoped_context(const properties &members);
    // Braces, {{"key", value}, ...}: this overload keeps a one-member list from being read as
    // a copy of a scope.
    explicit scoped_context(std::initializer_list<property> members) : scoped_context(properties(members)) {}
    // Closes the scope. Destroy it on the thread that opened it (as a local variable is).
    ~scoped_context();
    scoped_context(const scoped_context &) = delete;
    scoped_context &operator=(const scoped_context &) = delete;

    // Internal: read by the serialiser; not part of the API.
    const detail::object_members &members() const noexcept { return *members_; }
    const scoped_context *outer() const noexcept { return outer_; }

private:
    std::unique_ptr<detail::object_members> members_;
    // The scope open before this one on the thread, or nullptr; mutable so a scope closed out of
    // order can be unlinked from the one opened after it.
    mutable const scoped_context *outer_ = nullptr;
};

} // namespace seglog
