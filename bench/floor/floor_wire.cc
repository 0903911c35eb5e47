#include "bench/floor/floor_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace floor_bench {

std::string AcceptKey(std::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr);
  unsigned char out[64];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(digest_len));
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

std::string_view Header(std::string_view head, std::string_view name) {
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const size_t line = at + 2;
    const size_t end = head.find("\r\n", line);
    const std::string_view text = head.substr(line, end == std::string_view::npos ? end : end - line);
    if (text.size() > name.size() && text[name.size()] == ':' &&
        strncasecmp(text.data(), name.data(), name.size()) == 0) {
      std::string_view value = text.substr(name.size() + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return value;
    }
    at = end;
  }
  return {};
}

std::string UpgradeResponse(std::string_view head) {
  const std::string_view key = Header(head, "Sec-WebSocket-Key");
  if (!head.starts_with("GET ") || key.empty()) return {};
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " + AcceptKey(key) + "\r\n\r\n";
}

int ParseFrame(char* data, size_t size, Frame& frame) {
  if (size < 2) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(data);
  if (!(b[0] & 0x80) || !(b[1] & 0x80)) return -1;  // Fragmented, or unmasked.
  uint64_t len = b[1] & 0x7F;
  size_t at = 2;
  if (len == 126) {
    if (size < 4) return 0;
    len = (uint64_t{b[2]} << 8) | b[3];
    at = 4;
  } else if (len == 127) {
    if (size < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
    at = 10;
  }
  if (len > (1u << 20)) return -1;
  if (size < at + 4 + len) return 0;
  const unsigned char* mask = b + at;
  char* payload = data + at + 4;
  for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
  frame.opcode = b[0] & 0x0F;
  frame.payload = payload;
  frame.payload_len = len;
  frame.total = at + 4 + len;
  return 1;
}

void AppendFrame(std::string& out, uint8_t opcode, std::string_view payload) {
  out.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  out.append(payload);
}

int Listen(uint16_t port, const char* port_file) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 4096) != 0) {
    std::perror("floor: listen");
    std::exit(1);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (port_file && *port_file) {
    const std::string tmp = std::string(port_file) + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (!f) std::exit(1);
    std::fprintf(f, "%u\n", ntohs(addr.sin_port));
    std::fclose(f);
    std::rename(tmp.c_str(), port_file);
  }
  return fd;
}

void RaiseFdLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace floor_bench
