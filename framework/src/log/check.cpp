#include "log/detail/check.hpp"

#include <spdlog/common.h>
#include <spdlog/details/file_helper.h>

#include <fmt/format.h>

namespace nodus::log::detail {

void check(const log_config& cfg) {
    if (cfg.destination == "stderr" || cfg.destination == "stdout") return;
    // The very helper spdlog's file sink opens its file with, so that the check and the
    // real opening cannot disagree.
    try {
        spdlog::details::file_helper file;
        file.open(cfg.destination);
    } catch (const spdlog::spdlog_ex& e) {
        throw config_error(fmt::format("[log] destination = \"{}\": {}", cfg.destination, e.what()));
    }
}

} // namespace nodus::log::detail
