// The control: the shapes the other files get wrong, written right, compile with the same command.
#include <seglog/client.h>

enum class plan { free, pro };

void shapes(seglog::client &client) {
    const auto who = seglog::user("u-42");
    client.track(who, "Order Completed",
                 {{"ids", {1, 2}}, {"plan", "pro"}, {"n", 1}, {"plan_id", static_cast<int>(plan::pro)}});
    client.track(who, "Order Completed", {}, seglog::call_options().with_context({{"app", {{"build", 12}}}}));
}
