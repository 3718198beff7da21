// `seglog plan generate --plan FILE --namespace NS --out HEADER`: typed C++ functions from a
// tracking plan (tools/plan_codegen.h; docs/tracking-plan.md, "Typed functions").
#include "cli.h"
#include "commands.h"
#include "plan_codegen.h"

#include <seglog/config.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>

namespace seglog::tools {

namespace {

struct generate_args {
    std::string plan, ns, out;
};

// -1: parsed; else the exit status (0 after --help, 2 after a usage error, said on stderr).
int parse_generate_args(int argc, char **argv, generate_args &a) {
    CLI::App app("Writes a C++ header with one typed function per event of the tracking plan FILE\n"
                 "(Segment's JSON, Config API or Public API form), plus identify() and group() for\n"
                 "its traits, in namespace NS (\"app\" or \"app::events\").",
                 "seglog plan generate");
    app.footer("Exit status: 0 written; 1 the plan cannot be read or expressed in C++ (nothing\n"
               "written); 2 wrong arguments; 3 HEADER cannot be written.");
    app.add_option("--plan", a.plan, "the tracking plan")->option_text("FILE")->required();
    app.add_option("--namespace", a.ns, "the C++ namespace of the functions")->option_text("NS")->required();
    app.add_option("--out", a.out, "the header to write")->option_text("HEADER")->required();
    if (int status = parse(app, argc, argv); status >= 0) return status;
    if (!codegen::valid_namespace(a.ns)) {
        std::fprintf(stderr,
                     "seglog plan generate: --namespace '%s' is not a C++ namespace (identifiers joined by ::)\n",
                     a.ns.c_str());
        return 2;
    }
    return -1;
}

std::string file_name(const std::string &path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Written beside HEADER, then renamed over it: a build never sees half a header.
bool write_file(const std::string &path, const std::string &text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out || !(out << text) || !(out.flush())) return false;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

} // namespace

int plan_generate_main(int argc, char **argv) {
    generate_args a;
    if (int status = parse_generate_args(argc, argv, a); status >= 0) return status;
    std::string header;
    try {
        const auto plan = seglog::detail::plan::load_plan_file(a.plan);
        header = codegen::generate_header(plan, {a.ns, file_name(a.plan)});
    } catch (const seglog::config_error &e) {
        std::fprintf(stderr, "seglog plan generate: %s\n", e.what());
        return 1;
    } catch (const codegen::error &e) {
        std::fprintf(stderr, "seglog plan generate: %s\n", e.what());
        return 1;
    }
    if (!write_file(a.out, header)) {
        std::fprintf(stderr, "seglog plan generate: cannot write %s: %s\n", a.out.c_str(), std::strerror(errno));
        return 3;
    }
    return 0;
}

} // namespace seglog::tools
