#pragma once
/** @file
    `application/x-www-form-urlencoded` bodies, decoded as the query string is.
*/
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nodus/http/request.hpp>
#include <nodus/http/response.hpp>

namespace nodus {

/** The fields of a form body, decoded and owned. */
class form {
public:
    struct field {
        std::string name;
        std::string value;
    };

    form() = default;
    /** Decode `body` as `request::query` decodes a query string: pairs split on '&',
        empty pairs skipped, a pair without '=' has an empty value, percent escapes decoded
        and '+' read as a space, invalid escapes ("%zz") kept as they are. */
    explicit form(std::string_view body);

    /** The first value of `name`; empty when absent. */
    std::string_view get(std::string_view name) const noexcept;
    /** Whether the form has a field `name` (possibly empty). */
    bool has(std::string_view name) const noexcept;
    /** Every value of `name`, in order (checkboxes, multi-selects). */
    std::vector<std::string_view> get_all(std::string_view name) const;
    /** Every field, in order. */
    std::span<const field> fields() const noexcept { return fields_; }
    std::size_t size() const noexcept { return fields_.size(); }

private:
    std::vector<field> fields_;
};

/** Whether `req` declares an `application/x-www-form-urlencoded` body (parameters such as
    `; charset=utf-8` allowed, names compared case-insensitively). */
bool is_form(const request& req) noexcept;

/** Read `req`'s body (at most `limit` bytes, as `request::body`) and decode it as a form.
    Answers itself, before calling `fn` with the error: 415 when the body is not declared
    as a form, 413 when it is over `limit` (`nodus::errc::body_too_large`), or the answer
    the body's failure gets (`request::on_error`); the answers come from
    `set_answer_builder`.
    @code
    app.post("/login", [](nodus::request req, nodus::response res) {
        nodus::read_form(req, res, 16 * 1024, [res](std::error_code ec, nodus::form f) {
            if (ec) return;                       // already answered
            res.end("hello " + std::string{f.get("user")} + "\n");
        });
    });
    @endcode */
void read_form(const request& req, const response& res, std::size_t limit,
               std::function<void(std::error_code, form)> fn);

} // namespace nodus
