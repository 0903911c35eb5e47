// sela-peer-beast: the Boost.Beast peer of the WebSocket figures
// (bench/peers/README.md). Beast's own asynchronous WebSocket server example
// (websocket_server_async), single-threaded since the server gets one core,
// answering the way the floor does: the first text message of a connection
// gets a registration-shaped reply, every later one a PING-Notification-
// shaped reply of the size sela-server sends. Ping frames are answered by
// Beast itself. Defaults kept (no permessage-deflate, Beast's own buffers),
// nothing tuned down.
//
// Usage: sela-peer-beast [PORT_FILE]   (listens on 127.0.0.1, a free port)
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kRegistered =
    R"({"success":true,"message":"Client registered successfully","clientId":1,"sessionId":1})";
constexpr std::string_view kPingReply =
    R"({"function":"Notification","type":"PING","message":"Client connect open","principal":"loadgen-000000"})";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : ws_(std::move(socket)) {}

  void Run() {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(beast::bind_front_handler(&Session::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (!ec) Read();
  }
  void Read() { ws_.async_read(buffer_, beast::bind_front_handler(&Session::OnRead, shared_from_this())); }
  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return;
    buffer_.consume(buffer_.size());
    const std::string_view reply = registered_ ? kPingReply : kRegistered;
    registered_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(reply.data(), reply.size()),
                    beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }
  void OnWrite(beast::error_code ec, std::size_t) {
    if (!ec) Read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  bool registered_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::endpoint endpoint) : ioc_(ioc), acceptor_(ioc) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(4096);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->Run();
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  net::io_context ioc{1};
  auto listener = std::make_shared<Listener>(ioc, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0});
  listener->Accept();
  if (argc > 1) {
    const std::string tmp = std::string(argv[1]) + ".tmp";
    std::ofstream(tmp) << listener->port() << "\n";
    std::rename(tmp.c_str(), argv[1]);
  }
  ioc.run();
}
