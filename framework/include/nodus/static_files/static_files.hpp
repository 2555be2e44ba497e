#pragma once
/** @file
    `nodus::static_files`: a directory served as nginx serves it: GET and HEAD, index files,
    validators and conditional requests, byte ranges, precompressed siblings, and file bodies
    sent with `sendfile(2)` straight from the page cache.
*/
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nodus/router/router.hpp>

namespace nodus {

/** What `static_options::dotfiles` does with a path that has a segment starting with '.'. */
enum class dotfiles : std::uint8_t {
    ignore, ///< as if the file did not exist (404, or the next handler with `fallthrough`)
    deny, ///< 403
    allow, ///< served like any other file
};

/** What `static_files` does. */
struct static_options {
    /** The file served for a path ending in '/' (a directory); empty: none (404). */
    std::string index = "index.html";
    /** A directory asked for without its trailing slash gets a 301 to the same path with the
        slash (the query kept); false: 404. */
    bool redirect = true;
    /** A request that names no file here (missing, a directory without an index, a path that
        cannot name a file below the root, a method other than GET and HEAD) goes to the next
        middleware or route, as Express's serve-static does; false: answered here (404, 405
        with `Allow: GET, HEAD`, 400 for a malformed path). */
    bool fallthrough = true;
    /** Paths with a segment starting with '.' (`.env`, `.git/config`). */
    nodus::dotfiles dotfiles = nodus::dotfiles::ignore;
    /** Symbolic links below the root may lead out of it. False (the default): a link that
        resolves outside the root is refused (404), checked on the file actually opened. */
    bool follow_symlinks_outside = false;
    /** Send `ETag` (strong, from inode, size and modification time) and answer
        `If-None-Match` / `If-Match` against it. */
    bool etag = true;
    /** Send `Last-Modified` and answer `If-Modified-Since` / `If-Unmodified-Since`. */
    bool last_modified = true;
    /** Honour `Range` (and say `Accept-Ranges: bytes`). */
    bool ranges = true;
    /** Most ranges in one request answered as `multipart/byteranges`; more, or ranges that
        overlap, are answered with the whole file (200). */
    unsigned max_ranges = 16;
    /** Send `Cache-Control`. */
    bool cache_control = true;
    /** `Cache-Control: public, max-age=N` (0 by default: caches revalidate every time). */
    std::chrono::seconds max_age{0};
    /** Add `immutable` to `Cache-Control` (for names that change when the contents do). */
    bool immutable = false;
    /** `Cache-Control: no-cache` instead of `public, max-age=N`. */
    bool no_cache = false;
    /** Serve `NAME.br` instead of `NAME` when the client accepts `br` and the file exists. */
    bool precompressed_br = false;
    /** Serve `NAME.gz` instead of `NAME` when the client accepts `gzip` and the file exists. */
    bool precompressed_gzip = false;
    /** How long an opened file (its descriptor and stat) is reused for the same path before
        it is looked up again, as nginx's `open_file_cache`: requests within that time skip
        the thread pool. A file replaced or changed meanwhile may be served as it was opened
        (whole and with its own validators) until then. 0: every request opens its file. */
    std::chrono::milliseconds open_file_cache{1000};
    /** Most files the cache keeps open. */
    std::size_t open_file_cache_max = 256;
};

/** Middleware serving the files below `root`.

    Mounted with a prefix, the part of the path after it names the file:
    `app.use("/assets", nodus::static_files("public"))` answers `/assets/css/site.css` with
    `public/css/site.css`; `app.use(nodus::static_files("public"))` maps the whole path.
    The path is percent-decoded once; a path that could name something outside the root
    (`..` in any spelling, encoded '/' or '\\', a NUL byte, invalid UTF-8) names no file, and
    the file is opened relative to the root with `openat2(RESOLVE_BENEATH)`, so no symbolic
    link leads out either. Opening and `fstat` run on the thread pool, never on the loop;
    the open-file cache lets repeated requests skip that step.
    Bodies go out with `sendfile(2)` in bounded pieces per loop turn on plain connections
    without a body filter; otherwise the file is read on the thread pool and written with
    backpressure. See docs/static-files.md.

    @param root the directory served, relative to the working directory or absolute.
    @throws std::system_error when `root` cannot be opened as a directory.
    @par Lifetime
    The middleware holds the root directory open for as long as a copy of it exists. */
middleware static_files(std::string root, static_options options = {});

} // namespace nodus
