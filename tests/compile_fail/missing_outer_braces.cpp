// expect: seglog::properties: each member is a {
// One property written without the braces around the list: {"plan", "pro"} instead of {{"plan", "pro"}}.
#include <seglog/macros.h>

void shapes() { SEGLOG_TRACK(seglog::user("u-42"), "Signup Started", {"plan", "pro"}); }
