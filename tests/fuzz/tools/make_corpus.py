#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (run from anywhere; idempotent)."""
import hashlib
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
H = "Host: example.com\r\n"

requests = {
    # valid
    "get": "GET / HTTP/1.1\r\n" + H + "\r\n",
    "get_headers": "GET /?x=1 HTTP/1.1\r\n" + H + "User-Agent: fuzz\r\nAccept: */*\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
    "get_query": "GET /query?a=1&b=%41%2&c=x+y&&d HTTP/1.1\r\n" + H + "\r\n",
    "get_params": "GET /users/42%20x/files/a/b HTTP/1.1\r\n" + H + "\r\n",
    "head": "HEAD / HTTP/1.1\r\n" + H + "\r\n",
    "head_stream": "HEAD /stream HTTP/1.1\r\n" + H + "\r\n",
    "options_star": "OPTIONS * HTTP/1.1\r\n" + H + "\r\n",
    "options_users": "OPTIONS /users/7 HTTP/1.1\r\n" + H + "\r\n",
    "connect": "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "absolute_form": "GET http://example.com/users/1/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "http10": "GET / HTTP/1.0\r\n\r\n",
    "http10_keepalive": "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "post_cl": "POST /echo HTTP/1.1\r\n" + H + "Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
    "put_cl": "PUT /echo HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nabcde",
    "post_cl_zero": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 0\r\n\r\n",
    "post_chunked": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    "post_chunked_ext_trailer": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;name=value;q=\"a b\"\r\nhello\r\nA ; ext\r\n0123456789\r\n0\r\nX-Trailer: ok\r\nX-Other: 2\r\n\r\n",
    "put_chunked": "PUT /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "expect_continue": "POST /echo HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 4\r\n\r\nabcd",
    "expect_ignore": "POST /ignore HTTP/1.1\r\n" + H + "Expect: 100-continue\r\nContent-Length: 100\r\n\r\n",
    "ignore_body": "POST /ignore HTTP/1.1\r\n" + H + "Content-Length: 20\r\n\r\n01234567890123456789GET / HTTP/1.1\r\n" + H + "\r\n",
    "early": "POST /early HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
    "pipelined": "GET / HTTP/1.1\r\n" + H + "\r\nPOST /echo HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\nabcGET /query?a=2 HTTP/1.1\r\n" + H + "\r\nHEAD / HTTP/1.1\r\n" + H + "\r\n",
    "pipelined_close": "GET / HTTP/1.1\r\n" + H + "Connection: close\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "leading_crlf": "\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "stream": "GET /stream HTTP/1.1\r\n" + H + "\r\n",
    "late": "GET /late HTTP/1.1\r\n" + H + "\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "drop": "GET /drop HTTP/1.1\r\n" + H + "\r\n",
    "throw": "GET /throw HTTP/1.1\r\n" + H + "\r\n",
    "throw_late": "GET /throw-late HTTP/1.1\r\n" + H + "\r\n",
    "middleware_reject": "POST /echo HTTP/1.1\r\n" + H + "X-Fuzz-Reject: 1\r\nContent-Length: 3\r\n\r\nabc",
    "not_found": "GET /nope HTTP/1.1\r\n" + H + "\r\n",
    "method_not_allowed": "DELETE /echo HTTP/1.1\r\n" + H + "\r\n",
    "upgrade": "GET / HTTP/1.1\r\n" + H + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "te_chunked_list": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "custom": "GET /custom?q=1 HTTP/1.1\r\n" + H + "X-Status: 201\r\nX-Echo: v\r\nX-Body: hello\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "custom_write": "POST /custom HTTP/1.1\r\n" + H + "X-Mode: write\r\nX-Body: hello\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\n" + H + "\r\n",
    "custom_head_mode": "GET /custom HTTP/1.1\r\n" + H + "X-Mode: head\r\nX-Status: 404\r\nX-Body: hello world\r\n\r\nHEAD /custom HTTP/1.1\r\n" + H + "X-Body: abc\r\n\r\n",
    "custom_len_long": "GET /custom HTTP/1.1\r\n" + H + "X-Len: 10\r\nX-Mode: write\r\nX-Body: abc\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "custom_204": "GET /custom HTTP/1.1\r\n" + H + "X-Status: 204\r\nX-Body: abc\r\n\r\nGET /custom HTTP/1.1\r\n" + H + "X-Status: 304\r\nX-Len: 5\r\n\r\n",
    "custom_http10": "GET /custom HTTP/1.0\r\nX-Mode: write\r\nX-Body: abc\r\n\r\n",
    "custom_echo_bad": "GET /custom HTTP/1.1\r\n" + H + "X-Echo: a\x80\xff\tb\r\n\r\n",
    "big": "GET /big HTTP/1.1\r\n" + H + "\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "big_http10": "GET /big HTTP/1.0\r\n\r\n",
    "absolute_form_root": "GET http://example.com?x=1 HTTP/1.1\r\nHost: other.example\r\n\r\nGET HTTPS://EXAMPLE.com:8443 HTTP/1.1\r\n" + H + "\r\n",
    "absolute_form_http10": "GET http://[::1]:8080/users/2/y?q HTTP/1.0\r\n\r\n",
    "post_chunked_trailers": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTrailer: Vary, X-Checksum\r\n\r\n3\r\nabc\r\n0\r\nVary: Accept\r\nX-Checksum:  sum \t\r\nserver-timing: db;dur=5\r\nX-Empty:\r\n\r\nGET / HTTP/1.1\r\n" + H + "\r\n",
    "put_chunked_trailers": "PUT /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n2;a=\"q\\\"\\\\\"\r\nab\r\n0;last\r\nX-Sum: 2\r\n\r\n",
    "chunk_ext_every_form": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1 ;a\r\nx\r\n1;a=b ; c = d\r\ny\r\n1;e=\"\"\r\nz\r\n1\t;\tf\t=\t\"g h\"\r\nw\r\n0\r\n\r\n",
    # known bad
    "bad_obs_fold": "GET / HTTP/1.1\r\n" + H + "X-Folded: a\r\n b\r\n\r\n",
    "bad_te_cl": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_cl_cl": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
    "bad_cl_list": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 4, 4\r\n\r\nabcd",
    "bad_cl_sign": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: +4\r\n\r\nabcd",
    "bad_cl_huge": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999999\r\n\r\n",
    "bad_cl_over_limit": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 9000\r\n\r\nabc",
    "bad_chunk_size": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "bad_chunk_size_overflow": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n",
    "bad_chunk_ext": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5;a=\"unterminated\r\nhello\r\n0\r\n\r\n",
    "bad_chunk_lf": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
    "bad_trailer_content_type": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nContent-Type: text/plain\r\n\r\n",
    "bad_trailer_host": "PUT /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nHost: evil\r\n\r\n",
    "bad_trailer_obs_fold": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-A: 1\r\n folded\r\n\r\n",
    "bad_trailer_unended": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nCookie: a=b\r",
    "bad_trailer_bare_lf": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-A: 1\n\n",
    "bad_trailers_long": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Long: " + "t" * 2100 + "\r\n\r\n",
    "bad_trailers_many": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + "".join("X-%d: v\r\n" % i for i in range(40)) + "\r\n",
    "bad_chunk_ext_open_quote": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1;a=\"abc\r\n",
    "bad_chunk_ext_escape_ctl": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1;a=\"\\\x01\"\r\nx\r\n0\r\n\r\n",
    "bad_chunk_ext_long": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1;a=" + "e" * 17000 + "\r\nx\r\n0\r\n\r\n",
    "bad_chunk_over_limit": "PUT /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3000;x\r\nabc",
    "bad_trailer_cl": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nContent-Length: 5\r\n\r\n",
    "bad_te_not_last": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "bad_te_http10": "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_te_twice": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_te_space": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "bad_bare_lf": "GET / HTTP/1.1\n" + H + "\n",
    "bad_bare_cr": "GET / HTTP/1.1\r" + H + "\r\n",
    "bad_no_host": "GET / HTTP/1.1\r\n\r\n",
    "bad_two_hosts": "GET / HTTP/1.1\r\n" + H + H + "\r\n",
    "bad_host_value": "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    "bad_version": "GET / HTTP/2.0\r\n" + H + "\r\n",
    "bad_version_case": "GET / http/1.1\r\n" + H + "\r\n",
    "bad_method": "G(T / HTTP/1.1\r\n" + H + "\r\n",
    "bad_target_space": "GET /a b HTTP/1.1\r\n" + H + "\r\n",
    "bad_target_fragment": "GET /a#b HTTP/1.1\r\n" + H + "\r\n",
    "bad_expect": "GET / HTTP/1.1\r\n" + H + "Expect: 200-ok\r\n\r\n",
    "bad_ctl_value": "GET / HTTP/1.1\r\n" + H + "X-A: a\x01b\r\n\r\n",
    "bad_nul": "GET / HTTP/1.1\r\n" + H + "X-A: a\x00b\r\n\r\n",
    "bad_header_long": "GET / HTTP/1.1\r\n" + H + "X-Long: " + "a" * 2100 + "\r\n\r\n",
    "bad_url_long": "GET /" + "a" * 600 + " HTTP/1.1\r\n" + H + "\r\n",
    "bad_many_headers": "GET / HTTP/1.1\r\n" + H + "".join("X-%d: v\r\n" % i for i in range(40)) + "\r\n",
    "incomplete_head": "GET / HTTP/1.1\r\n" + H,
    "incomplete_body": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 10\r\n\r\nabc",
    "incomplete_chunked": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n10\r\nabc",
    "smuggle_cl_te_pipeline": "POST /echo HTTP/1.1\r\n" + H + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    "smuggle_te_obs": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "smuggle_te_xchunked": "POST /echo HTTP/1.1\r\n" + H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
}

router_paths = [
    # (method selector byte, path); selector 0x0f: method from the input ("M path")
    (0, "/"), (0, "/users"), (2, "/users/"), (0, "/users/42"), (3, "/users/42"),
    (4, "/users/42"), (0, "/users/42/books/7"), (0, "/users/me"), (5, "/users/me/settings"),
    (0, "/users/1/books/2/pages/3/a/b/c"), (0, "/files"), (0, "/files/a/b"), (3, "/files/x"),
    (7, "/static/css/site.css"), (0, "/a/b/c/d/e/f/g/h"), (0, "/a/1/c/2"), (0, "/a/b/x/rest"),
    (6, "/a/anything"), (0, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16"),
    (0, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18"), (7, "/dav/a/b"), (8, "/dav/c"),
    (0, "/%7Euser/x"), (1, "/head-only"), (0, "/head-only"), (0, "/x/1/y"), (2, "/x/1/z"),
    (0, "/x/1/z"), (0, "/search?"), (4, "/search"), (0, "/api/v1/books/%41%zz"),
    (2, "/api/v1/books"), (0, "/api/v1/books/1/a//b/"), (0, "/only"), (10, "/health"),
    (9, "/lower"), (0, "//"), (0, ""), (0, "relative"), (0, "/users//42"), (0, "/users/42//"),
    (1, "/users/42"), (0x0f, "PROPFIND /dav/x"), (0x0f, "BREW /x/1/y"), (6, "/users/42"),
]

router_pattern_sets = [
    "GET /a/:x\nPOST /a/:y/b\n@ /a/*\nGET /a/:x/c",
    "GET /\nGET /:a/:b\nGET /x/*\nBAD( /y\nGET nope\nGET /dup\nGET /dup\nGET /x/y/",
    "GET /:id.json\nGET /a/*/b\nGET /a//b\nGET /:x/:x\nGET /a\nHEAD /a",
    "PUT /files/:name/*\nM-SEARCH /files/*\nPUT /files/:name/*",
]

def write(dirname, name, data):
    d = os.path.join(HERE, "corpus", dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

for name, text in requests.items():
    data = text.encode("latin-1")
    write("request_head", name, data)
    write("request_pipeline", name, data)

for sel, path in router_paths:
    data = bytes([sel]) + path.encode()
    write("router", "path_" + hashlib.sha1(data).hexdigest()[:12], data)
for i, (text) in enumerate(router_pattern_sets):
    for j, last in enumerate(["GET /a/1", "POST /a/1/b", "DELETE /a/1/c", "HEAD /a", "PUT /files/x/y"]):
        data = b"\x80" + (text + "\n" + last).encode()
        write("router", "patterns_%d_%d" % (i, j), data)
