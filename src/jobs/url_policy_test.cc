#include "jobs/url_policy.h"

#include <gtest/gtest.h>

namespace sela::jobs {
namespace {

const UrlPolicy kStrict;
const UrlPolicy kPrivate{.allow_private = true};

TEST(JobUrl, AcceptsPublicHttpAndHttps) {
  for (std::string_view url : {"https://x.com/user/status/1", "http://example.com", "https://example.com:8443/a?b#c",
                               "https://8.8.8.8/", "http://[2606:4700::1111]/", "https://EXAMPLE.com/",
                               "https://sub.example.co.uk./path", "https://1.1.1.1:443/"}) {
    EXPECT_TRUE(CheckJobUrl(url, kStrict).ok()) << url << ": " << CheckJobUrl(url, kStrict).ToString();
  }
}

TEST(JobUrl, RefusesOtherSchemesAndMalformedUrls) {
  for (std::string_view url : {"ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)", "HTTP://x.com",
                               "https://", "https:///path", "https://exa mple.com/", "https://user:pw@example.com/",
                               "https://example.com@127.0.0.1/", "https://example.com:99999/", "https://example.com:/",
                               "https://[::1/", "https://%6cocalhost/", "https://ex..ample.com/", "https://é.com/"}) {
    EXPECT_FALSE(CheckJobUrl(url, kStrict).ok()) << url;
  }
  EXPECT_EQ(CheckJobUrl(std::string(5000, 'a'), kStrict).code(), Code::kInvalidArgument);
}

TEST(JobUrl, RefusesLoopbackPrivateLinkLocalAndMulticastIpv4) {
  for (std::string_view url :
       {"http://127.0.0.1/", "http://127.1/", "http://0x7f.0.0.1/", "http://2130706433/", "http://0177.0.0.1/",
        "http://0/", "http://0.0.0.0:8082/", "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/",
        "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://224.0.0.1/",
        "http://239.255.255.250/", "http://255.255.255.255/", "http://198.18.0.1/", "http://127.0.0.1.:8082/"}) {
    EXPECT_FALSE(CheckJobUrl(url, kStrict).ok()) << url;
    EXPECT_TRUE(CheckJobUrl(url, kPrivate).ok()) << url;
  }
  EXPECT_TRUE(CheckJobUrl("http://172.32.0.1/", kStrict).ok());  // just outside 172.16/12
  EXPECT_TRUE(CheckJobUrl("http://100.128.0.1/", kStrict).ok());  // just outside 100.64/10
}

TEST(JobUrl, RefusesTheSameAddressesInIpv6Forms) {
  for (std::string_view url : {"http://[::1]/", "http://[::]/", "http://[::ffff:127.0.0.1]/",
                               "http://[::ffff:a9fe:a9fe]/", "http://[fe80::1]/", "http://[fc00::1]/",
                               "http://[fd12:3456::1]:8080/", "http://[ff02::1]/", "http://[64:ff9b::a00:1]/",
                               "http://[2002:c0a8:101::1]/", "http://[fe80::1%25eth0]/"}) {
    EXPECT_FALSE(CheckJobUrl(url, kStrict).ok()) << url;
  }
  EXPECT_TRUE(CheckJobUrl("http://[::ffff:8.8.8.8]/", kStrict).ok());
}

TEST(JobUrl, RefusesLocalNames) {
  for (std::string_view url : {"http://localhost/", "http://LOCALHOST:8082/", "http://api.localhost/",
                               "http://printer.local/", "http://db.internal/", "http://nas.home.arpa/",
                               "http://router.lan/", "http://router/", "http://localhost./", "http://x.localdomain/"}) {
    EXPECT_FALSE(CheckJobUrl(url, kStrict).ok()) << url;
    EXPECT_TRUE(CheckJobUrl(url, kPrivate).ok()) << url;
  }
  EXPECT_TRUE(CheckJobUrl("http://localhost.example.com/", kStrict).ok());
}

TEST(JobUrl, ReadsIpv4LikeBrowsers) {
  EXPECT_EQ(**ParseWhatwgIpv4("127.1"), 0x7f000001u);
  EXPECT_EQ(**ParseWhatwgIpv4("0x7f.1"), 0x7f000001u);
  EXPECT_EQ(**ParseWhatwgIpv4("2130706433"), 0x7f000001u);
  EXPECT_EQ(**ParseWhatwgIpv4("0177.0.0.01"), 0x7f000001u);
  EXPECT_EQ(**ParseWhatwgIpv4("1.2.3.4."), 0x01020304u);
  EXPECT_FALSE(*ParseWhatwgIpv4("example.com"));
  EXPECT_FALSE(ParseWhatwgIpv4("1.2.3.256"));
  EXPECT_FALSE(ParseWhatwgIpv4("1.2.3.4.5"));
  EXPECT_FALSE(ParseWhatwgIpv4("08.1.1.1"));  // 8 is not octal
  EXPECT_FALSE(ParseWhatwgIpv4("4294967296"));
  EXPECT_FALSE(CheckJobUrl("http://example.123/", kStrict).ok());  // ends in a number, not IPv4
}

}  // namespace
}  // namespace sela::jobs
