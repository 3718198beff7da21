// expect: seglog::value: a property value is a string, a number, a bool, nullptr, a nlohmann::json or a braced list
// An enum would otherwise have become `true`.
#include <seglog/client.h>

enum plan { free_plan, pro_plan };

void shapes(seglog::client &client) { client.track(seglog::user("u-42"), "Upgraded", {{"plan", pro_plan}}); }
