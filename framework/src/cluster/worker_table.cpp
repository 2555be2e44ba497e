#include "cluster/detail/worker_table.hpp"

#include <cerrno>
#include <new>
#include <system_error>

#include <sys/mman.h>

namespace nodus::cluster::detail {

void worker_table::map(std::size_t rows) {
    void* mem = ::mmap(nullptr, sizeof(shared_slot) * rows, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) throw std::system_error(errno, std::system_category(), "cluster: mmap");
    auto& st = state();
    st.table = new (mem) shared_slot[rows];
    st.table_size = rows;
}

int worker_table::claim() noexcept {
    auto& st = state();
    for (std::size_t i = 0; i < st.table_size; ++i) {
        if (st.table[i].state.load() == slot_free) {
            st.table[i].connections.store(0);
            st.table[i].pid.store(0);
            st.table[i].recent.store(0);
            st.table[i].heartbeat.store(0);
            st.table[i].taken.store(0);
            st.table[i].state.store(slot_starting);
            return static_cast<int>(i);
        }
    }
    return -1;
}

void worker_table::set_pid(int row, pid_t pid) noexcept {
    if (row >= 0) state().table[row].pid.store(pid);
}

void worker_table::release(int row) noexcept {
    if (row < 0) return;
    auto& e = state().table[row];
    e.state.store(slot_free);
    e.connections.store(0);
    e.pid.store(0);
}

void worker_table::set_state(int row, slot_state s) noexcept {
    if (row >= 0) state().table[row].state.store(s);
}

void worker_table::promote(int row) noexcept {
    if (row < 0) return;
    std::uint32_t expected = slot_starting;
    state().table[row].state.compare_exchange_strong(expected, slot_accepting);
}

bool worker_table::accepting(int row) const noexcept {
    return row >= 0 && state().table[row].state.load(std::memory_order_relaxed) == slot_accepting;
}

std::uint32_t worker_table::taken(int row) const noexcept {
    return row >= 0 ? state().table[row].taken.load(std::memory_order_relaxed) : 0;
}

std::size_t worker_table::connections(int row) const noexcept {
    return row >= 0 ? state().table[row].connections.load() : 0;
}

void worker_table::decay() noexcept {
    auto& st = state();
    for (std::size_t i = 0; i < st.table_size; ++i)
        st.table[i].recent.store(st.table[i].recent.load(std::memory_order_relaxed) / 2,
                                 std::memory_order_relaxed);
}

} // namespace nodus::cluster::detail
