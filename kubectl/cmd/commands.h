// Every mkctl subcommand registers itself on the root CLI11 app. A command's
// callback runs the command and stores its exit code in `exit_code`.
// `ctx` and `exit_code` must outlive the app's parse.
#ifndef MINIK8S_KUBECTL_CMD_COMMANDS_H_
#define MINIK8S_KUBECTL_CMD_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kubectl/cmd/context.h"

namespace minik8s::kubectl {

void AddGetCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddApplyCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddDeleteCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddScaleCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddDescribeCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddRolloutCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddLogsCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddPortForwardCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddCreateCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddSetCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddVersionCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddClusterInfoCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddApiResourcesCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddCompletionCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddTraceCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddLabelCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddAnnotateCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddPatchCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddApiVersionsCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddConfigCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddWaitCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddReplaceCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddRunCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddExposeCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddDiffCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddEditCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddExplainCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddAuthCommand(CLI::App& app, Context& ctx, int& exit_code);
void AddCertificateCommand(CLI::App& app, Context& ctx, int& exit_code);

// --cascade → propagation policy ("Background", "Foreground", "Orphan");
// InvalidArgument with kubectl's message otherwise.
absl::StatusOr<std::string> CascadeToPropagation(const std::string& cascade);

// delete's and replace --force's --timeout: a duration, 0 meaning
// `zero_means`; InvalidArgument with kubectl's message otherwise.
absl::StatusOr<absl::Duration> ParseWaitTimeout(const std::string& value,
                                                absl::Duration zero_means);

// Builds the root app with the global flags and every command.
void BuildApp(CLI::App& app, Context& ctx, int& exit_code);

// The commands of `app` close to `typed` (cobra's "Did you mean this?").
std::vector<std::string> SuggestCommands(const CLI::App& app, const std::string& typed);

// Runs mkctl with `args` (without the program name); returns the exit code.
int RunMkctl(const std::vector<std::string>& args, Context& ctx);

}  // namespace minik8s::kubectl

#endif  // MINIK8S_KUBECTL_CMD_COMMANDS_H_
