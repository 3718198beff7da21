#pragma once
// Subcommands of the `seglog` command line. Each takes the arguments after its name
// (argv[0] is the subcommand name) and returns the process exit status.

namespace seglog::tools {

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int collector_main(int argc, char **argv);
// `seglog send`, `seglog replay` and `seglog doctor`: through the configuration in force.
int send_main(int argc, char **argv);
int replay_main(int argc, char **argv);
int doctor_main(int argc, char **argv);
// `seglog plan <subcommand>` (plan_command.cpp) and its subcommands.
int plan_main(int argc, char **argv);
int plan_check_main(int argc, char **argv);
// `seglog plan generate` (argv[0] is "generate"): typed functions from a tracking plan.
int plan_generate_main(int argc, char **argv);

} // namespace seglog::tools
