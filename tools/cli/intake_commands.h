// voorlichting-cli commands for intake-svc.
#pragma once

#include "cli/client.h"

namespace cak::cli {

// Each returns the process exit code (0 ok, 1 the call failed, 2 bad usage).
int Health(const Client& client, const Args& args);
int Submit(const Client& client, const Args& args);
int Get(const Client& client, const Args& args);
int List(const Client& client, const Args& args);
int AddInformation(const Client& client, const Args& args);
int Decline(const Client& client, const Args& args);
int StartAssessment(const Client& client, const Args& args);
int MarkActionPlanned(const Client& client, const Args& args);
int Close(const Client& client, const Args& args);
int Watch(const Client& client, const Args& args);
int Purge(const Client& client, const Args& args);

}  // namespace cak::cli
