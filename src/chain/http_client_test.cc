#include "chain/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <thread>

namespace sela::chain {
namespace {

using State = HttpResponseParser::State;

TEST(Url, ParsesHttpAndHttpsWithPortsAndBasePaths) {
  const Url a = Url::Parse("https://icp-api.io").value();
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.host, "icp-api.io");
  EXPECT_EQ(a.port, 443);
  EXPECT_EQ(a.base_path, "");
  const Url b = Url::Parse("http://127.0.0.1:4943/base/#fragment").value();
  EXPECT_FALSE(b.tls);
  EXPECT_EQ(b.port, 4943);
  EXPECT_EQ(b.base_path, "/base");
  for (std::string_view bad : {"ftp://x", "https://", "http://h:0", "http://h:70000", "http://u@h", "icp-api.io"}) {
    EXPECT_FALSE(Url::Parse(bad).has_value()) << bad;
  }
}

TEST(HttpResponseParser, ReadsContentLengthBodiesInPieces) {
  HttpResponseParser p(1024, 1024);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: 5\r\n\r\nhello";
  State s = State::kNeedMore;
  for (char c : wire) s = p.Feed(std::string_view(&c, 1));
  EXPECT_EQ(s, State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_EQ(p.response().body, "hello");
  EXPECT_EQ(p.response().content_type, "application/cbor");
  EXPECT_TRUE(p.keep_alive());
}

TEST(HttpResponseParser, ReadsChunkedAndUntilCloseBodies) {
  HttpResponseParser chunked(1024, 1024);
  EXPECT_EQ(chunked.Feed("HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"),
            State::kDone);
  EXPECT_EQ(chunked.response().body, "abcde");
  HttpResponseParser close(1024, 1024);
  EXPECT_EQ(close.Feed("HTTP/1.0 200 OK\r\n\r\npartial"), State::kNeedMore);
  EXPECT_EQ(close.Close(), State::kDone);
  EXPECT_EQ(close.response().body, "partial");
  EXPECT_FALSE(close.keep_alive());
  HttpResponseParser empty(1024, 1024);
  EXPECT_EQ(empty.Feed("HTTP/1.1 204 No Content\r\n\r\n"), State::kDone);
}

TEST(HttpResponseParser, RefusesOversizeAndMalformedResponses) {
  HttpResponseParser big_head(64, 1024);
  EXPECT_EQ(big_head.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')), State::kError);
  EXPECT_EQ(big_head.error().code(), Code::kResourceExhausted);
  HttpResponseParser big_body(1024, 10);
  EXPECT_EQ(big_body.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), State::kError);
  HttpResponseParser big_chunks(1024, 10);
  EXPECT_EQ(big_chunks.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n"), State::kError);
  for (std::string_view bad : {"HTTP/2 200\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
                               "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                               "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    HttpResponseParser p(1024, 1024);
    EXPECT_EQ(p.Feed(bad), State::kError) << bad;
  }
  HttpResponseParser cut(1024, 1024);
  cut.Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
  EXPECT_EQ(cut.Close(), State::kError);
}

// A self-signed certificate for localhost and 127.0.0.1, made here.
struct TestCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string pem_path;
  TestCert() {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    pem_path = (std::filesystem::temp_directory_path() / ("sela-chain-ca-" + std::to_string(::getpid()) + ".pem")).string();
    FILE* f = std::fopen(pem_path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
  }
  ~TestCert() {
    std::remove(pem_path.c_str());
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

// Serves `connections` TLS connections, one request each, answering "ok".
class TlsServer {
 public:
  TlsServer(const TestCert& cert, int connections) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, cert.cert);
    SSL_CTX_use_PrivateKey(ctx_, cert.key);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) {
          char buf[4096];
          std::string request;
          // The whole request, body included: closing with unread bytes
          // would reset the connection under the reply.
          auto complete = [&request] {
            const size_t end = request.find("\r\n\r\n");
            if (end == std::string::npos) return false;
            const size_t at = request.find("Content-Length: ");
            const size_t length = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
            return request.size() >= end + 4 + length;
          };
          while (!complete()) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
          }
          const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
          SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
          SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        ::close(c);
      }
    });
  }
  ~TlsServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }

 private:
  SSL_CTX* ctx_;
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

TEST(HttpClient, SpeaksTlsToATrustedServerByNameAndByAddress) {
  TestCert cert;
  TlsServer server(cert, 2);
  HttpClientOptions options;
  options.ca_file = cert.pem_path;
  options.request_timeout_ms = 5000;
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto client = HttpClient::Create(Url::Parse("https://" + host + ":" + std::to_string(server.port())).value(),
                                     options).value();
    const Result<HttpResponse> r = client->Send({"POST", "/api/v3/x", "application/cbor", "body"});
    ASSERT_TRUE(r.has_value()) << host << ": " << r.error().ToString();
    EXPECT_EQ(r->body, "ok");
  }
}

TEST(HttpClient, RefusesAServerItDoesNotTrust) {
  TestCert cert;
  TlsServer server(cert, 1);
  HttpClientOptions options;  // System trust store: our self-signed CA is not in it.
  options.request_timeout_ms = 5000;
  auto client = HttpClient::Create(Url::Parse("https://localhost:" + std::to_string(server.port())).value(),
                                   options).value();
  const Result<HttpResponse> r = client->Send({"POST", "/", "application/cbor", ""});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
}

TEST(HttpClient, ReportsRefusedConnectionsAsUnavailable) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  ::close(fd);  // Nobody listens there now.
  auto client = HttpClient::Create(Url::Parse("http://127.0.0.1:" + std::to_string(port)).value(), {}).value();
  EXPECT_EQ(client->Send({}).error().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace sela::chain
