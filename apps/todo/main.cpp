// A JSON to-do service (docs/json-service.md): routes, settings and middleware in one file.
// Its contract is checked from outside by tests/apps/todo_contract.py and in-process, through
// nodus::testing, by tests/apps/todo_test.cpp.
#include <nodus/json/json.hpp>
#include <nodus/nodus.hpp>

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace json = boost::json;

// [todo] and [cors] in config/todo.ini; NODUS_TODO_MAX_ITEMS=...; --todo.max_items=...
const nodus::setting<std::uint64_t> max_body_bytes{"todo", "max_body_bytes", 16384,
                                                   "largest request body accepted, in bytes",
                                                   nodus::range<std::uint64_t>{64, 16 << 20}};
const nodus::setting<std::uint64_t> max_items{"todo", "max_items", 1000, "most to-dos the list holds",
                                              nodus::range<std::uint64_t>{0, 100'000'000}};
const nodus::setting<std::vector<std::string>> origins{
    "cors", "origins", {"http://localhost:3000"}, "origins a browser may call the API from, comma separated"};

namespace {

struct todo {
    std::uint64_t id = 0;
    std::string title;
    bool done = false;
};

void tag_invoke(json::value_from_tag, json::value& v, const todo& t) {
    v = {{"id", t.id}, {"title", t.title}, {"done", t.done}};
}

// The fields a POST or PATCH body may carry; what is absent stays empty.
struct todo_fields {
    std::optional<std::string> title;
    std::optional<bool> done;
};

// Thrown here, these become 422 with the message (nodus::json::read_as).
todo_fields tag_invoke(json::value_to_tag<todo_fields>, const json::value& v) {
    if (!v.is_object()) throw std::invalid_argument("the body must be a JSON object");
    todo_fields f;
    if (auto* t = v.as_object().if_contains("title")) {
        if (!t->is_string() || t->as_string().empty())
            throw std::invalid_argument("title must be a non-empty string");
        f.title = std::string(t->as_string());
    }
    if (auto* d = v.as_object().if_contains("done")) {
        if (!d->is_bool()) throw std::invalid_argument("done must be true or false");
        f.done = d->as_bool();
    }
    return f;
}

std::map<std::uint64_t, todo> todos; // in id order
std::uint64_t next_id = 1;

// "42" -> 42; anything else (empty, a sign, a space, too large) -> nothing.
std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
}

todo* find(const nodus::request& req) {
    auto id = number(req.param("id"));
    auto it = id ? todos.find(*id) : todos.end();
    return it == todos.end() ? nullptr : &it->second;
}

nodus::json::read_options body_limits() { return {.max_bytes = *max_body_bytes}; }

} // namespace

/** The service on `app`: an app, or a router in a test. */
void add_todo_routes(nodus::router& app) {
    // Every answer is JSON, nodus's own (404, 405, 413, 500...) included.
    nodus::set_answer_builder([](int, std::string_view reason) {
        return nodus::answer{"application/json", json::serialize(json::object{{"error", reason}})};
    });
    app.use(nodus::request_id());
    app.use(nodus::cors({.origins = *origins}));
    app.use(nodus::compression({.threshold = 1024}));

    app.get("/healthz", [](nodus::request, nodus::response res) {
        nodus::json::send(res, json::object{{"status", "ok"}});
    });

    app.get("/todos", [](nodus::request req, nodus::response res) {
        auto done = req.query("done");
        if (req.has_query("done") && done != "true" && done != "false")
            return void(nodus::json::send_error(res, 400, "done must be true or false"));
        auto limit = req.has_query("limit") ? number(req.query("limit")) : UINT64_MAX;
        if (!limit) return void(nodus::json::send_error(res, 400, "limit must be a non-negative integer"));
        json::array list;
        for (auto& [id, t] : todos) {
            if (list.size() >= *limit) break;
            if (!req.has_query("done") || t.done == (done == "true")) list.push_back(json::value_from(t));
        }
        nodus::json::send(res, std::move(list));
    });

    app.post("/todos", [](nodus::request req, nodus::response res) {
        auto create = [res](todo_fields f) {
            if (!f.title) return void(nodus::json::send_error(res, 422, "title must be a non-empty string"));
            if (todos.size() >= *max_items)
                return void(nodus::json::send_error(res, 409, "the list is full"));
            auto id = next_id++;
            auto& t = todos[id] = {id, std::move(*f.title), f.done.value_or(false)};
            res.set("Location", "/todos/" + std::to_string(id));
            nodus::json::send(res.status(201), t);
        };
        nodus::json::read_as<todo_fields>(req, res, create, body_limits());
    });

    app.get("/todos/:id", [](nodus::request req, nodus::response res) {
        if (auto* t = find(req)) nodus::json::send(res, *t);
        else nodus::json::send_error(res, 404, "no such todo");
    });

    app.patch("/todos/:id", [](nodus::request req, nodus::response res) {
        auto update = [req, res](todo_fields f) {
            auto* t = find(req);
            if (!t) return void(nodus::json::send_error(res, 404, "no such todo"));
            if (f.title) t->title = std::move(*f.title);
            if (f.done) t->done = *f.done;
            nodus::json::send(res, *t);
        };
        nodus::json::read_as<todo_fields>(req, res, update, body_limits());
    });

    app.del("/todos/:id", [](nodus::request req, nodus::response res) {
        auto* t = find(req);
        if (!t) return void(nodus::json::send_error(res, 404, "no such todo"));
        todos.erase(t->id);
        res.status(204).end();
    });
}

void nodus_main(nodus::app& app) {
    add_todo_routes(app);
    app.listen(); // Server running at http://127.0.0.1:3000/
}
