// Built when cpp-httplib was not found at configure time.
#include "commands.h"

#include <cstdio>

namespace seglog::tools {

int collector_main(int, char **) {
    std::fprintf(stderr, "seglog collector: built without cpp-httplib "
                         "(install libcpp-httplib-dev and reconfigure)\n");
    return 1;
}

}  // namespace seglog::tools
