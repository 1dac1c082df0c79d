// voorlichting-cli: the command-line client of the suite's services, for operators and for the
// README's run command (`flow`). The commands and their options are in cli/command_line.cc;
// errors are printed as a person can read them:
//   error: INVALID_ARGUMENT at signal.description (REQUIRED_FIELD_MISSING): signal.description is required
#include <iostream>
#include <string>
#include <vector>

#include "cli/command_line.h"

int main(int argc, char** argv) {
  return cak::cli::Main(std::vector<std::string>(argv, argv + argc), std::cout, std::cerr);
}
