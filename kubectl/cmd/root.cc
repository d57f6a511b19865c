// The root command: global flags, every subcommand, CLI11 error handling.
#include <sstream>

#include "kubectl/cmd/commands.h"

namespace minik8s::kubectl {

void BuildApp(CLI::App& app, Context& ctx, int& exit_code) {
  app.description("mkctl controls the minik8s cluster manager (a kubectl clone).");
  app.name("mkctl");
  app.fallthrough(true);
  app.require_subcommand(1);
  app.add_option("-s,--server", ctx.flags().server,
                 "The address and port of the minik8s API server (else $MINIK8S_SERVER, the "
                 "config file, or 127.0.0.1:6443)");
  app.add_option("-n,--namespace", ctx.flags().namespace_,
                 "If present, the namespace scope for this CLI request");
  app.add_option("--request-timeout", ctx.flags().request_timeout,
                 "The length of time to wait before giving up on a single server request "
                 "(e.g. 1s, 2m); 0 uses the default")
      ->capture_default_str();
  AddGetCommand(app, ctx, exit_code);
  AddApplyCommand(app, ctx, exit_code);
  AddDeleteCommand(app, ctx, exit_code);
  AddScaleCommand(app, ctx, exit_code);
  AddDescribeCommand(app, ctx, exit_code);
  AddRolloutCommand(app, ctx, exit_code);
  AddLogsCommand(app, ctx, exit_code);
  AddCreateCommand(app, ctx, exit_code);
  AddSetCommand(app, ctx, exit_code);
  AddVersionCommand(app, ctx, exit_code);
  AddClusterInfoCommand(app, ctx, exit_code);
  AddApiResourcesCommand(app, ctx, exit_code);
  AddCompletionCommand(app, ctx, exit_code);
  AddTraceCommand(app, ctx, exit_code);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough(true);
}

int RunMkctl(const std::vector<std::string>& args, Context& ctx) {
  CLI::App app;
  int exit_code = 0;
  BuildApp(app, ctx, exit_code);
  if (args.empty()) {
    ctx.out() << app.help();
    return 0;
  }
  // An unknown command word reads as kubectl's message, not CLI11's. The
  // command is the first word that is neither a global flag nor its value.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-s" || arg == "--server" || arg == "-n" || arg == "--namespace" ||
        arg == "--request-timeout") {
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->check_name(arg)) known = true;
    }
    if (!known) {
      ctx.err() << "Error: unknown command \"" << arg << "\" for \"mkctl\"\n";
      return 1;
    }
    break;
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    ctx.out() << out.str();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    ctx.out() << out.str();
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      std::ostringstream out, err;
      app.exit(e, out, err);
      ctx.out() << out.str();
      return 0;
    }
    ctx.err() << "error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}

}  // namespace minik8s::kubectl
