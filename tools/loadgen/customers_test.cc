#include "customers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"

namespace loadgen {
namespace {

constexpr std::string_view kRegisterOk =
    R"({"success":true,"message":"Client registered successfully","data":{"function":"Register",)"
    R"("message":"API key generated","apiKey":"KEY0123456789","status":"OK"}})";

// What the fake API answers to one request: the whole response bytes, or
// nothing (no answer), and whether to close the connection afterwards.
struct Answer {
  std::string bytes;
  bool close = false;
};

std::string Response(int status, std::string_view body, bool close = false) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" +
         std::string(body);
}

// A tiny HTTP/1.1 server on 127.0.0.1, port 0, on its own thread: it splits
// requests by Content-Length and answers each with what `respond` says.
class FakeApi {
 public:
  using Responder = std::function<Answer(std::string_view head, int index)>;

  explicit FakeApi(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 64), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(pipe(stop_pipe_), 0);
    thread_ = std::thread([this] { Serve(); });
  }

  ~FakeApi() {
    (void)!write(stop_pipe_[1], "x", 1);
    thread_.join();
    for (const Client& c : clients_) close(c.fd);
    close(listen_fd_);
    close(stop_pipe_[0]);
    close(stop_pipe_[1]);
  }

  int port() const { return port_; }

  std::vector<std::string> heads() {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  struct Client {
    int fd;
    std::string in;
  };

  void Serve() {
    while (true) {
      std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (const Client& c : clients_) fds.push_back({c.fd, POLLIN, 0});
      poll(fds.data(), fds.size(), -1);
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) clients_.push_back({accept(listen_fd_, nullptr, nullptr), {}});
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents != 0 && !Read(clients_[i - 2])) {
          close(clients_[i - 2].fd);
          clients_[i - 2].fd = -1;
        }
      }
      std::erase_if(clients_, [](const Client& c) { return c.fd < 0; });
    }
  }

  // False when the connection is to be closed.
  bool Read(Client& c) {
    char buf[4096];
    const ssize_t n = read(c.fd, buf, sizeof(buf));
    if (n <= 0) return false;
    c.in.append(buf, static_cast<size_t>(n));
    for (size_t end; (end = c.in.find("\r\n\r\n")) != std::string::npos;) {
      const std::string head = c.in.substr(0, end + 4);
      const size_t at = head.find("Content-Length: ");
      const size_t body = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
      if (c.in.size() < head.size() + body) break;
      c.in.erase(0, head.size() + body);
      int index = 0;
      {
        std::lock_guard lock(mutex_);
        index = static_cast<int>(heads_.size());
        heads_.push_back(head);
      }
      const Answer answer = respond_(head, index);
      if (!answer.bytes.empty()) (void)!write(c.fd, answer.bytes.data(), answer.bytes.size());
      if (answer.close) return false;
    }
    return true;
  }

  Responder respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::vector<Client> clients_;
  std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

bool IsRegister(std::string_view head) { return head.starts_with("POST /api/rpc/registerClient "); }

CustomersConfig Config(int port, int64_t connections, double rate_per_s) {
  Options o;
  o.port = port;
  o.source_ips = 1;
  CustomersConfig c;
  c.endpoints = *ResolveEndpoints(o);
  c.uuid = "test-api-1";
  c.connections = connections;
  c.rate_per_s = rate_per_s;
  c.timeout_ms = 2000;
  return c;
}

// Polls until `done` or a generous limit; false on the limit.
template <typename Done>
bool PollUntil(Customers& customers, Done done) {
  const int64_t limit_ns = MonotonicNs() + 10'000'000'000;
  while (!done()) {
    if (MonotonicNs() > limit_ns) return false;
    customers.Poll(10);
  }
  return true;
}

TEST(Customers, ClosedLoopKeepsEveryConnectionBusyAndCountsStatuses) {
  FakeApi api([](std::string_view head, int index) {
    if (IsRegister(head)) return Answer{Response(200, kRegisterOk)};
    return Answer{index % 2 == 0 ? Response(200, "{}") : Response(429, R"({"success":false})")};
  });
  WorkerReport report;
  Customers customers(Config(api.port(), 3, 0), report);
  ASSERT_TRUE(customers.Init().has_value());
  customers.BeginConnect();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.ConnectSettled(); }));
  EXPECT_EQ(customers.registration_error(), "");
  EXPECT_EQ(customers.open_connections(), 3);
  customers.StartSubmitting();
  ASSERT_TRUE(PollUntil(customers, [&] { return report.jobs.submitted >= 200; }));
  customers.StopSubmitting();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.outstanding() == 0; }));
  customers.CloseAll();
  const JobStats& s = report.jobs;
  EXPECT_EQ(s.completed + s.failed, s.submitted);
  EXPECT_GT(s.completed, 0);
  EXPECT_GT(s.failed, 0);
  EXPECT_EQ(s.statuses.at("200"), s.completed);
  EXPECT_EQ(s.statuses.at("429"), s.failed);
  EXPECT_EQ(s.latency.count(), s.completed);
  EXPECT_EQ(s.lost + s.late + s.unsent + s.unanswered, 0);
  EXPECT_TRUE(report.errors.empty());
  const std::vector<std::string> heads = api.heads();
  ASSERT_GT(heads.size(), 1u);
  EXPECT_TRUE(IsRegister(heads[0]));
  EXPECT_NE(heads[1].find("\r\nAuthorization: Bearer KEY0123456789\r\n"), std::string::npos);
}

TEST(Customers, ReopensAConnectionTheServerCloses) {
  FakeApi api([](std::string_view head, int index) {
    if (IsRegister(head)) return Answer{Response(200, kRegisterOk)};
    // Every third answer says "Connection: close"; every fifth request is
    // dropped with its connection, unanswered.
    if (index % 5 == 0) return Answer{"", true};
    const bool close = index % 3 == 0;
    return Answer{Response(200, "{}", close), close};
  });
  WorkerReport report;
  Customers customers(Config(api.port(), 2, 0), report);
  ASSERT_TRUE(customers.Init().has_value());
  customers.BeginConnect();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.ConnectSettled(); }));
  customers.StartSubmitting();
  ASSERT_TRUE(PollUntil(customers, [&] { return report.jobs.completed >= 50; }));
  customers.StopSubmitting();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.outstanding() == 0; }));
  customers.CloseAll();
  const JobStats& s = report.jobs;
  EXPECT_GT(s.reconnects, 0);
  EXPECT_GT(s.lost, 0);
  EXPECT_EQ(s.failed, s.lost);
  EXPECT_EQ(s.completed + s.failed, s.submitted);
  EXPECT_GT(report.errors["http_connection_close"], 0);
  EXPECT_GT(report.errors["http_server_eof"], 0);
}

TEST(Customers, ReportsARefusedRegistration) {
  FakeApi api([](std::string_view, int) {
    return Answer{Response(409, "{\"success\":false,\n\"message\":\"taken\"}")};
  });
  WorkerReport report;
  Customers customers(Config(api.port(), 1, 0), report);
  ASSERT_TRUE(customers.Init().has_value());
  customers.BeginConnect();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.ConnectSettled(); }));
  const std::string& error = customers.registration_error();
  EXPECT_NE(error.find("HTTP 409"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "the error travels as one line";
}

TEST(Customers, OpenLoopQueuesWhatFindsNoFreeConnection) {
  // Registration is answered; jobs never are.
  FakeApi api([](std::string_view head, int) {
    return IsRegister(head) ? Answer{Response(200, kRegisterOk)} : Answer{};
  });
  WorkerReport report;
  Customers customers(Config(api.port(), 1, 2000), report);
  ASSERT_TRUE(customers.Init().has_value());
  customers.BeginConnect();
  ASSERT_TRUE(PollUntil(customers, [&] { return customers.ConnectSettled(); }));
  customers.StartSubmitting();
  ASSERT_TRUE(PollUntil(customers, [&] { return report.jobs.late >= 5; }));
  customers.StopSubmitting();
  customers.CloseAll();
  const JobStats& s = report.jobs;
  EXPECT_EQ(s.submitted, 1);
  EXPECT_EQ(s.unsent, s.late);
  EXPECT_EQ(s.unanswered, 1);
  EXPECT_EQ(s.completed, 0);
}

}  // namespace
}  // namespace loadgen
