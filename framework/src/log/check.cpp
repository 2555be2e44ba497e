#include "log/detail/check.hpp"
#include "log/detail/access_line.hpp"
#include "log/detail/destination.hpp"

#include <fmt/format.h>

#include <unistd.h>

namespace nodus::log::detail {

namespace {
void check_destination(const std::string& where) {
    if (where.empty() || where == "stderr" || where == "stdout") return;
    // The very function a file destination is opened with, so that the check and the real
    // opening cannot disagree.
    ::close(open_log_file(where));
}
} // namespace

void check(const log_config& cfg) {
    access_format f{};
    if (!parse_access_format(cfg.access_format, f))
        throw config_error(fmt::format("[log] access_format = \"{}\": must be default, combined or json",
                                       cfg.access_format));
    check_destination(cfg.destination);
    check_destination(cfg.access_destination);
}

} // namespace nodus::log::detail
