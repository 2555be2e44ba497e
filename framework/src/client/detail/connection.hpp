#pragma once
// One outbound connection: the socket (plain, or under asio::ssl::stream), resolving and
// connecting it, its read buffer, and one timer for whatever deadline its current user has.
// It knows nothing of HTTP: the exchange that owns it reads and writes through it, and the
// agent keeps it while it is idle.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace nodus::client::detail {

class exchange;
class agent_state;

/// Scheme, host and port: what a pooled connection can be reused for.
struct origin {
    bool https = false;
    std::string host; ///< without brackets for IPv6
    std::uint16_t port = 0;
    std::string key; ///< "http://host:port", the pool's key
    std::string host_field; ///< Host's value: the port only when not the scheme's default

    bool is(bool s, std::string_view h, std::uint16_t p) const noexcept {
        return port == p && https == s && host == h;
    }
};

/// Which deadline the connection's timer is watching.
enum class deadline_kind : std::uint8_t { none, connect, header, idle, pooled };

class connection : public std::enable_shared_from_this<connection> {
public:
    using clock = std::chrono::steady_clock;
    /// Outcome of connect(): an empty code, or a client::errc with the reason.
    using connect_handler = std::function<void(std::error_code, std::string reason)>;

    connection(origin where, boost::asio::ssl::context* tls);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    const origin& where() const noexcept { return origin_; }

    /// Resolve (unless the host is an IP address), connect to the first address that
    /// accepts, and with TLS shake hands (SNI, name check as the context says).
    void connect(connect_handler done);

    /// The exchange that receives this connection's completions; null while pooled.
    void set_owner(std::shared_ptr<exchange> owner) noexcept;
    void clear_owner() noexcept { owner_.reset(); }

    /// Write `data` whole; the owner's on_written follows. `data` must stay put until then.
    void write(std::string_view data);
    /// Read more into the buffer; the owner's on_read follows. At most one at a time.
    void read();
    bool reading() const noexcept { return reading_; }
    bool writing() const noexcept { return writing_; }

    /// Bytes read and not yet consumed.
    std::string_view readable() const noexcept { return {buf_.data() + rpos_, rend_ - rpos_}; }
    void consume(std::size_t n) noexcept;

    /// Close the socket; pending operations complete with an error to a cleared owner.
    void close() noexcept;
    bool is_open() const noexcept;

    /// True when the peer has neither closed the idle connection nor sent bytes on it, as far
    /// as the loop has seen (a read stays pending while the connection is pooled). `peek`:
    /// ask the socket too, with a non-blocking MSG_PEEK, for a close the loop has not seen yet.
    bool still_usable(bool peek) noexcept;

    /// Watch `when` for `kind` (none: stop watching). Cheap when called often with later
    /// times: the timer wakes at the first time set and sleeps again for the rest.
    void set_deadline(deadline_kind kind, clock::time_point when) noexcept;
    deadline_kind deadline() const noexcept { return kind_; }

    /// Pooled by `pool`: a read stays pending, and its completion (the peer's close, or bytes
    /// no request asked for) or the deadline hands the connection back to `pool` to close;
    /// neither keeps the loop running. The next owner's first read is that pending one.
    void park(agent_state* pool, clock::time_point expires);
    /// Taken from the pool.
    void unpark() noexcept;

private:
    void do_resolve(connect_handler done);
    void do_connect(const boost::asio::ip::tcp::resolver::results_type& addrs, connect_handler done);
    void do_handshake(connect_handler done);
    void arm_timer() noexcept;
    void on_timer() noexcept;
    void set_loop_ref(bool keeps_loop) noexcept;
    void make_room();

    origin origin_;
    boost::asio::ip::tcp::socket sock_;
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    std::optional<boost::asio::ip::tcp::resolver> resolver_;
    boost::asio::steady_timer timer_;
    std::shared_ptr<exchange> owner_;
    agent_state* pool_ = nullptr;
    std::vector<char> buf_;
    std::size_t rpos_ = 0;
    std::size_t rend_ = 0;
    clock::time_point when_ = clock::time_point::max(); // the deadline watched
    clock::time_point armed_ = clock::time_point::max(); // when the pending wait ends
    deadline_kind kind_ = deadline_kind::none;
    bool waiting_ = false; // a wait is pending on timer_
    bool counted_ = true; // the pending wait and read count as loop work
    bool reading_ = false;
    bool writing_ = false;
};

} // namespace nodus::client::detail
