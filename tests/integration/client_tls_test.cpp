// nodus::client over HTTPS against Node's https module, with a CA and a server certificate
// for "localhost" made by the openssl CLI when the test runs: verification succeeds with the
// right CA, and fails for another host name, or without the CA (self-signed for the system's
// store), unless turned off.
#include "support/upstream.hpp"

#include <nodus/client/client.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using nodus::test::run_until;
namespace client = nodus::client;
namespace fs = std::filesystem;

namespace {

const char* server_js = R"(
const https = require('https'), fs = require('fs');
let connections = 0;
const srv = https.createServer({key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]),
                                ALPNProtocols: ['http/1.1']},
  (req, res) => res.end(`secure ${req.url} ${req.socket.alpnProtocol} ${connections}`));
srv.on('secureConnection', () => ++connections);
srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
)";

// A CA, a certificate for localhost signed by it, and a Node HTTPS server using them.
class https_peer {
public:
    https_peer() {
        dir_ = fs::temp_directory_path() / ("nodus-client-tls-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        const auto d = dir_.string();
        std::ofstream(dir_ / "ext.cnf") << "subjectAltName=DNS:localhost\n";
        std::ofstream(dir_ / "server.js") << server_js;
        const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
        const std::string cmd = "cd " + d + " && openssl req -x509" + ec +
            "-keyout ca.key -out ca.pem -days 1 -subj '/CN=nodus test CA'" + " 2>/dev/null && openssl req" +
            ec + "-keyout srv.key -out srv.csr -subj '/CN=localhost' 2>/dev/null" +
            " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days "
            "1" +
            " -extfile ext.cnf 2>/dev/null";
        ok_ = std::system(cmd.c_str()) == 0;
        if (!ok_) return;
        int out[2];
        if (::pipe(out) != 0) return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            ::close(out[0]);
            ::execlp("node", "node", (d + "/server.js").c_str(), (d + "/srv.key").c_str(),
                     (d + "/srv.pem").c_str(), nullptr);
            ::_exit(127);
        }
        ::close(out[1]);
        FILE* f = ::fdopen(out[0], "r");
        char line[32] = {};
        ok_ = std::fgets(line, sizeof line, f) != nullptr;
        std::fclose(f);
        port_ = static_cast<std::uint16_t>(std::atoi(line));
        ok_ = ok_ && port_ != 0;
    }
    ~https_peer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    bool ok() const { return ok_; }
    std::string ca() const { return (dir_ / "ca.pem").string(); }
    std::string url(const std::string& host, const std::string& path = "/") const {
        return "https://" + host + ":" + std::to_string(port_) + path;
    }

private:
    fs::path dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    bool ok_ = false;
};

struct outcome {
    bool done = false;
    int status = 0;
    std::string body;
    client::error err;
};

void fetch(const client::agent& a, std::string url, outcome& out) {
    client::options o;
    o.url = std::move(url);
    o.agent = a;
    client::get(std::move(o), [&out](const client::error& e, client::result r) {
        out.err = e;
        out.status = r.status;
        out.body = std::move(r.body);
        out.done = true;
    });
}

} // namespace

class client_tls : public ::testing::Test {
protected:
    static void SetUpTestSuite() { peer_ = new https_peer(); }
    static void TearDownTestSuite() { delete peer_; }
    void SetUp() override {
        if (!peer_->ok()) GTEST_SKIP() << "needs the openssl CLI and node";
    }
    static https_peer* peer_;
};
https_peer* client_tls::peer_ = nullptr;

TEST_F(client_tls, verifies_with_the_right_ca_and_reuses_the_connection) {
    client::agent a({.tls = {.verify = true, .ca_file = peer_->ca()}});
    outcome first, second;
    fetch(a, peer_->url("localhost", "/x"), first);
    ASSERT_TRUE(run_until([&] { return first.done; }));
    EXPECT_FALSE(first.err) << first.err.message();
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.body, "secure /x http/1.1 1") << "ALPN chose http/1.1";
    fetch(a, peer_->url("localhost", "/y"), second);
    ASSERT_TRUE(run_until([&] { return second.done; }));
    EXPECT_EQ(second.body, "secure /y http/1.1 1") << "the TLS connection was pooled and reused";
    EXPECT_EQ(a.stats().connections_opened, 1u);
    a.close_idle();
}

TEST_F(client_tls, fails_for_a_name_the_certificate_does_not_carry) {
    client::agent a({.tls = {.verify = true, .ca_file = peer_->ca()}});
    outcome out;
    fetch(a, peer_->url("127.0.0.1"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::tls_failed) << out.err.message();
}

TEST_F(client_tls, fails_without_the_ca_against_the_system_store) {
    client::agent a;
    outcome out;
    fetch(a, peer_->url("localhost"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::tls_failed) << out.err.message();
    EXPECT_NE(out.err.reason.find("certificate"), std::string::npos) << out.err.reason;
}

TEST_F(client_tls, succeeds_when_verification_is_turned_off) {
    client::agent a({.tls = {.verify = false}});
    outcome out;
    fetch(a, peer_->url("127.0.0.1", "/insecure"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_FALSE(out.err) << out.err.message();
    EXPECT_EQ(out.body.rfind("secure /insecure", 0), 0u);
    a.close_idle();
}

TEST_F(client_tls, a_missing_ca_file_is_reported) {
    client::agent a({.tls = {.verify = true, .ca_file = "/nonexistent/ca.pem"}});
    outcome out;
    fetch(a, peer_->url("localhost"), out);
    ASSERT_TRUE(run_until([&] { return out.done; }));
    EXPECT_EQ(out.err.code, client::errc::tls_failed);
    EXPECT_NE(out.err.reason.find("/nonexistent/ca.pem"), std::string::npos);
}

TEST_F(client_tls, plain_http_to_a_tls_port_is_a_bad_response_and_tls_to_plain_fails_the_handshake) {
    client::agent a;
    outcome plain;
    fetch(a, "http://127.0.0.1:" + peer_->url("x").substr(peer_->url("x").rfind(':') + 1), plain);
    ASSERT_TRUE(run_until([&] { return plain.done; }));
    EXPECT_TRUE(plain.err.code == client::errc::bad_response || plain.err.code == client::errc::closed)
        << plain.err.message();

    nodus::test::upstream up;
    up.on_request = [](const nodus::test::upstream::exchange&) {};
    up.on_accept = [](const std::shared_ptr<nodus::test::upstream::conn>& c) {
        c->send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        c->close();
    };
    outcome tls;
    fetch(a, "https://127.0.0.1:" + std::to_string(up.port()) + "/", tls);
    ASSERT_TRUE(run_until([&] { return tls.done; }));
    EXPECT_EQ(tls.err.code, client::errc::tls_failed) << tls.err.message();
}
