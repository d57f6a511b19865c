#include "cluster/state_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace minik8s::cluster {
namespace {

constexpr char kVersion[] = "1";

bool HasSeparator(const std::string& s) { return s.find_first_of("\t\n") != std::string::npos; }

}  // namespace

std::string FormatState(const ClusterState& state) {
  std::string out = "# minik8s cluster state, written by `minik8s up`\n";
  absl::StrAppend(&out, "version\t", kVersion, "\n");
  absl::StrAppend(&out, "supervisor\t", state.supervisor_pid, "\n");
  absl::StrAppend(&out, "apiserver\t", state.apiserver, "\n");
  for (const ProcessRecord& p : state.processes) {
    absl::StrAppend(
        &out, "process\t",
        absl::StrJoin({p.name, absl::StrCat(p.stage), absl::StrCat(p.pid),
                       p.address.empty() ? std::string("-") : p.address, p.binary, p.log_file},
                      "\t"),
        "\n");
  }
  return out;
}

absl::StatusOr<ClusterState> ParseState(absl::string_view text) {
  ClusterState state;
  bool saw_version = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("state file line ", line_no, ": ", why, ": \"", line, "\""));
    };
    if (f[0] == "version") {
      if (f.size() != 2 || f[1] != kVersion) return bad("unsupported version");
      saw_version = true;
    } else if (f[0] == "supervisor") {
      if (f.size() != 2 || !absl::SimpleAtoi(f[1], &state.supervisor_pid)) return bad("bad pid");
    } else if (f[0] == "apiserver") {
      if (f.size() != 2) return bad("expected one address");
      state.apiserver = f[1];
    } else if (f[0] == "process") {
      if (f.size() != 7) return bad("expected 6 fields after `process`");
      ProcessRecord p;
      p.name = f[1];
      if (!absl::SimpleAtoi(f[2], &p.stage)) return bad("bad stage");
      if (!absl::SimpleAtoi(f[3], &p.pid) || p.pid <= 0) return bad("bad pid");
      p.address = f[4] == "-" ? "" : f[4];
      p.binary = f[5];
      p.log_file = f[6];
      state.processes.push_back(std::move(p));
    } else {
      return bad("unknown record");
    }
  }
  if (!saw_version) return absl::InvalidArgumentError("state file has no version line");
  return state;
}

absl::Status WriteStateFile(const std::string& path, const ClusterState& state) {
  for (const ProcessRecord& p : state.processes) {
    if (HasSeparator(p.name) || HasSeparator(p.address) || HasSeparator(p.binary) ||
        HasSeparator(p.log_file)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot record ", p.name, ": a path contains a tab or newline"));
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << FormatState(state);
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", tmp, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClusterState> ReadStateFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no state file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<ClusterState> state = ParseState(ss.str());
  if (!state.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", state.status().message()));
  }
  return state;
}

}  // namespace minik8s::cluster
