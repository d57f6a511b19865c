// mkctl: the minik8s command-line client (a kubectl clone).
#include <iostream>
#include <string>
#include <vector>

#include "kubectl/cmd/commands.h"
#include "kubectl/cmd/context.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  minik8s::kubectl::Context ctx(std::cout, std::cerr);
  const int code = minik8s::kubectl::RunMkctl(args, ctx);
  std::cout.flush();
  return code;
}
