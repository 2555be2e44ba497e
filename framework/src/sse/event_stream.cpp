#include <nodus/loop/loop.hpp>
#include <nodus/sse/event_stream.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nodus {

namespace detail {

struct event_stream_state : std::enable_shared_from_this<event_stream_state> {
    response res;
    std::string last_event_id;
    std::string scratch; // one event's bytes; reused so steady sending does not allocate
    timer keep_alive;
    bool sent_since_tick = false;
    bool closed = false;
    std::size_t registry_index = 0;
    std::vector<std::function<void()>> close_fns;

    bool write_scratch();
    void close();
};

} // namespace detail

using detail::event_stream_state;

namespace {

// Every open stream of the process, so that a graceful stop can end them all: a browser
// reconnects at once (to a new worker during a reload) instead of holding the drain open.
std::vector<event_stream_state*>& open_streams() {
    static std::vector<event_stream_state*> streams;
    return streams;
}

void end_open_streams() {
    // Ending a stream removes it from the registry and may release its last owner.
    std::vector<std::shared_ptr<event_stream_state>> streams;
    for (auto* s : open_streams()) streams.push_back(s->shared_from_this());
    for (auto& s : streams) {
        s->res.end();
        s->close();
    }
}

void add_open_stream(event_stream_state* s) {
    static bool hooked = false;
    if (!hooked) {
        hooked = true;
        on_stopping(end_open_streams);
    }
    s->registry_index = open_streams().size();
    open_streams().push_back(s);
}

void remove_open_stream(event_stream_state* s) {
    auto& streams = open_streams();
    streams[s->registry_index] = streams.back();
    streams[s->registry_index]->registry_index = s->registry_index;
    streams.pop_back();
}

bool has_line_break(std::string_view s) noexcept { return s.find_first_of("\r\n") != std::string_view::npos; }

// Appends `prefix` + each line of `text` + LF; CRLF, LF and CR all end a line (the
// standard's parser accepts the three, so each must become a line of its own here).
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
    for (;;) {
        auto end = text.find_first_of("\r\n");
        out.append(prefix);
        out.append(text.substr(0, end));
        out.push_back('\n');
        if (end == std::string_view::npos) return;
        std::size_t skip = (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1;
        text.remove_prefix(end + skip);
    }
}

void append_retry(std::string& out, std::chrono::milliseconds retry) {
    out.append("retry: ");
    out.append(std::to_string(retry.count()));
    out.push_back('\n');
}

} // namespace

bool event_stream_state::write_scratch() {
    sent_since_tick = true;
    return res.write(scratch);
}

void event_stream_state::close() {
    if (closed) return;
    closed = true;
    keep_alive.cancel();
    remove_open_stream(this);
    res = response{}; // the exchange's callbacks hold this state: no cycle is left behind
    auto fns = std::move(close_fns);
    for (auto& fn : fns) fn();
}

event_stream::event_stream(const request& req, const response& res, event_stream_options opts) {
    if (res.headers_sent()) throw std::logic_error("event_stream: the response's headers were already sent");
    st_ = std::make_shared<event_stream_state>();
    st_->res = res;
    st_->last_event_id = req.header("Last-Event-ID");
    add_open_stream(st_.get());

    res.set("Content-Type", "text/event-stream");
    if (res.get("Cache-Control").empty()) res.set("Cache-Control", "no-cache");
    // A buffering proxy (nginx's proxy_buffering) would hold events back.
    res.set("X-Accel-Buffering", "no");
    // The response's callbacks hold the state: the stream lives while the response is open.
    res.on_close([st = st_] { st->close(); });
    res.write_head();
    if (req.method() == "HEAD") {
        res.end();
        st_->close();
        return;
    }
    if (opts.retry.count() > 0) {
        st_->scratch.clear();
        append_retry(st_->scratch, opts.retry);
        st_->write_scratch();
    }
    if (opts.keep_alive.count() > 0) {
        std::weak_ptr<event_stream_state> weak = st_;
        st_->keep_alive = set_interval(opts.keep_alive, [weak] {
            auto st = weak.lock();
            if (!st || st->closed) return;
            if (!st->sent_since_tick) {
                st->scratch.assign(":\n\n");
                st->write_scratch();
            }
            st->sent_since_tick = false;
        });
    }
}

std::string_view event_stream::last_event_id() const noexcept {
    return st_ ? std::string_view{st_->last_event_id} : std::string_view{};
}

bool event_stream::send(const sse_event& e) const {
    if (has_line_break(e.event)) throw std::invalid_argument("event_stream: an event type with a line break");
    if (has_line_break(e.id) || e.id.find('\0') != std::string_view::npos)
        throw std::invalid_argument("event_stream: an event id with a line break or NUL");
    if (!st_ || st_->closed) return false;
    auto& out = st_->scratch;
    out.clear();
    if (!e.event.empty()) append_lines(out, "event: ", e.event);
    if (!e.id.empty()) append_lines(out, "id: ", e.id);
    if (e.retry.count() > 0) append_retry(out, e.retry);
    append_lines(out, "data: ", e.data);
    out.push_back('\n');
    return st_->write_scratch();
}

bool event_stream::send(std::string_view data) const { return send(sse_event{.data = data}); }

bool event_stream::comment(std::string_view text) const {
    if (!st_ || st_->closed) return false;
    st_->scratch.clear();
    append_lines(st_->scratch, ": ", text);
    st_->scratch.push_back('\n');
    return st_->write_scratch();
}

void event_stream::on_drain(std::function<void()> fn) const {
    if (st_ && !st_->closed) st_->res.on_drain(std::move(fn));
}

void event_stream::on_close(std::function<void()> fn) const {
    if (!st_) return;
    if (st_->closed) {
        fn();
        return;
    }
    st_->close_fns.push_back(std::move(fn));
}

bool event_stream::closed() const noexcept { return !st_ || st_->closed; }

void event_stream::end() const {
    if (!st_ || st_->closed) return;
    st_->res.end();
    st_->close();
}

} // namespace nodus
