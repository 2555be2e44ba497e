#pragma once
// Switches of the master that are not configuration: the framework's own tests set them
// in a test program before app.listen().
namespace nodus::cluster::detail {

struct master_options {
    /// A reload closes the listening socket, stops every worker and binds again (what a
    /// naive reload does): the negative control of the test that a rolling reload loses
    /// no request.
    bool reload_reopens = false;
};

/// The options the next run_master() uses.
master_options& test_master_options() noexcept;

} // namespace nodus::cluster::detail
