#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>

namespace {

// Names each test case (and subcase) on stdout as it starts, so that a suite that fails after
// doctest's summary (a sanitizer report at exit) or dies mid-case shows in the test log where it
// was: scripts/count-tests.sh prints the last one named for every suite that failed.
struct entered_cases final : doctest::IReporter {
    explicit entered_cases(const doctest::ContextOptions &) {}

    void test_case_start(const doctest::TestCaseData &tc) override { say("case", tc.m_name); }
    void test_case_reenter(const doctest::TestCaseData &tc) override { say("case", tc.m_name); }
    void subcase_start(const doctest::SubcaseSignature &sc) override { say("subcase", sc.m_name.c_str()); }

    void report_query(const doctest::QueryData &) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats &) override {}
    void test_case_end(const doctest::CurrentTestCaseStats &) override {}
    void test_case_exception(const doctest::TestCaseException &) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData &) override {}
    void log_message(const doctest::MessageData &) override {}
    void test_case_skipped(const doctest::TestCaseData &) override {}

private:
    // Flushed at once: the line must be in the log even if the process dies right after, and a
    // test that forks must not leave it in a buffer its child would write a second time.
    static void say(const char *what, const char *name) {
        std::printf("[seglog-test] %s: %s\n", what, name);
        std::fflush(stdout);
    }
};

} // namespace

DOCTEST_REGISTER_LISTENER("entered_cases", 1, entered_cases);
