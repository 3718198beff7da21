#pragma once
// Moved to tests/support/properties_test.h (the helpers every suite shares); this name keeps working.
#include "support/properties_test.h"
