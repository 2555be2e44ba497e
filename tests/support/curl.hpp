#pragma once
// Runs the curl command-line client, as a user would, and captures what it prints.
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace nodus::test {

struct curl_result {
    int exit_code = -1;
    std::string out; ///< standard output (the body, or what -w/-D print)
};

/// `curl -sS --max-time 10 ARGS` (ARGS already shell-quoted by the caller).
inline curl_result curl(const std::string& args) {
    curl_result r;
    std::string cmd = "curl -sS --max-time 10 " + args + " 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = ::pclose(p);
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

} // namespace nodus::test
