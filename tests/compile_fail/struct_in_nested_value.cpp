// expect: seglog::value: a property value is a string, a number, a bool, nullptr, a nlohmann::json or a braced list
#include <seglog/client.h>

struct point {
    int x, y;
};

void shapes(seglog::client &client) {
    client.track(seglog::user("u-42"), "Moved", {},
                 seglog::call_options().with_context({{"geo", {{"at", point{1, 2}}}}}));
}
