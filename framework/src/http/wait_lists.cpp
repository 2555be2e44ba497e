#include "http/detail/wait_lists.hpp"
#include "http/detail/connection.hpp"

namespace nodus::http::detail {

const char* to_string(wait_kind k) noexcept {
    switch (k) {
    case wait_kind::none: return "none";
    case wait_kind::header: return "header";
    case wait_kind::idle: return "idle";
    case wait_kind::body: return "body";
    case wait_kind::send: return "send";
    case wait_kind::linger: return "linger";
    case wait_kind::count: return "closed";
    }
    return "?";
}

void wait_lists::append(connection* c, wait_kind k) noexcept {
    auto& l = lists_[int(k)];
    auto& h = c->hook_;
    h.kind = k;
    h.prev = l.tail;
    h.next = nullptr;
    if (l.tail) l.tail->hook_.next = c;
    else l.head = c;
    l.tail = c;
    ++l.size;
}

void wait_lists::remove(connection* c) noexcept {
    auto& h = c->hook_;
    auto& l = lists_[int(h.kind)];
    if (h.prev) h.prev->hook_.next = h.next;
    else l.head = h.next;
    if (h.next) h.next->hook_.prev = h.prev;
    else l.tail = h.prev;
    h.prev = h.next = nullptr;
    --l.size;
    h.kind = wait_kind::count;
}

bool wait_lists::move_to(connection* c, wait_kind k) noexcept {
    if (c->hook_.kind == wait_kind::count) return false;
    remove(c);
    append(c, k);
    if (k != wait_kind::none) c->hook_.deadline = coarse_now() + lists_[int(k)].timeout;
    return true;
}

} // namespace nodus::http::detail
