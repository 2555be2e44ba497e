// systemd socket activation: the master adopts the listening socket it is given as fd 3
// (LISTEN_FDS=1, LISTEN_PID=its pid) instead of binding one, and its workers serve it.
#include "cluster_support.hpp"
#include "support/http_client.hpp"

using namespace cluster_test;

TEST(cluster, adopts_a_socket_passed_by_systemd) {
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(lfd, 128), 0);
    socklen_t len = sizeof sa;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
    auto port = ntohs(sa.sin_port);

    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        if (lfd == 3) ::fcntl(3, F_SETFD, 0);   // dup2 onto itself would keep FD_CLOEXEC
        else ::dup2(lfd, 3);                     // the copy has FD_CLOEXEC cleared
        ::setenv("LISTEN_FDS", "1", 1);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        std::string bin = demo_binary();
        // The configured port is ignored: the passed socket is served.
        std::vector<std::string> args{bin, "--cluster.workers=2", "--server.port=1", "--log.access_log=false"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(lfd);   // only the master holds it now

    std::string log;
    auto deadline = clock::now() + 10s;
    while (log.find("all 2 workers are listening") == std::string::npos && clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[4096];
            auto n = ::read(out[0], buf, sizeof buf);
            if (n <= 0) break;
            log.append(buf, static_cast<std::size_t>(n));
        }
    }
    EXPECT_NE(log.find("all 2 workers are listening"), std::string::npos) << log;
    EXPECT_NE(log.find("Server running at http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos) << log;
    for (int i = 0; i < 20; ++i) {
        auto raw = nodus::test::roundtrip(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        EXPECT_EQ(nodus::test::status_of(raw), 200) << raw;
    }

    ::kill(pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 500 && ::waitpid(pid, &st, WNOHANG) != pid; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
    ::kill(-pid, SIGKILL);
    ::close(out[0]);
}
