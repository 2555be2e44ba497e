#include "net/detail/descriptor_table.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace nodus::net::detail {

void reserve_descriptor_table() noexcept {
    static pid_t done_in = 0;
    const pid_t self = ::getpid();
    if (done_in == self) return;
    done_in = self;
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 2) return;
    const auto last = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, descriptor_table_reserve) - 1);
    // A copy of any open descriptor at or above the last entry: the kernel grows the table to
    // hold it, and the table keeps that size after the close.
    int fd = -1;
    for (int base = 0; base <= 2 && fd < 0; ++base) fd = ::fcntl(base, F_DUPFD_CLOEXEC, last);
    if (fd < 0) { // no standard descriptor open
        int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (base < 0) return;
        fd = ::fcntl(base, F_DUPFD_CLOEXEC, last);
        ::close(base);
    }
    if (fd >= 0) ::close(fd);
}

} // namespace nodus::net::detail
