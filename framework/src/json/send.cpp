// nodus::json::send: a JSON value serialized into the response, in one piece or, for a large
// value, piece by piece as the connection takes them.
#include <nodus/json/json.hpp>

#include <boost/json/serializer.hpp>

#include <memory>

namespace nodus::json {

namespace {

// Pieces are serialized here and copied by res.write/end: one buffer for the loop thread
// instead of one per response.
char* scratch() {
    static thread_local auto buf = std::make_unique<char[]>(single_write_bytes);
    return buf.get();
}

// A value too large for one piece, kept with its serializer until the last piece is queued.
struct streaming {
    boost::json::value value;
    boost::json::serializer ser;
    response res;
    streaming(boost::json::value v, response r) : value(std::move(v)), res(std::move(r)) {
        ser.reset(&value);
    }
};

void pump(const std::shared_ptr<streaming>& st) {
    while (!st->ser.done()) {
        const auto piece = st->ser.read(scratch(), single_write_bytes);
        if (st->ser.done()) {
            st->res.end(piece);
            return;
        }
        if (!st->res.write(piece)) {
            // Either the queue is full (continue once it drains) or the response is over.
            if (st->res.finished() || st->res.aborted()) return;
            st->res.on_drain([st] { pump(st); });
            return;
        }
    }
}

} // namespace

bool send(const response& res, boost::json::value v) {
    if (res.headers_sent() || res.finished()) return false;
    if (res.get("Content-Type").empty()) res.set("Content-Type", "application/json");
    boost::json::serializer ser;
    ser.reset(&v);
    const auto piece = ser.read(scratch(), single_write_bytes);
    if (ser.done()) return res.end(piece);
    // Serializing again from the start costs one piece's work; keeping the first piece
    // would need a second buffer per response.
    pump(std::make_shared<streaming>(std::move(v), res));
    return true;
}

} // namespace nodus::json
