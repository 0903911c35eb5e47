// The protocol v2 identity vectors written by the IC's JavaScript libraries
// (tests/data/identity/v2_vectors.json), for tests. Aborts the test binary
// with a message naming the file when it is missing or broken: a test must
// never pass because its data was not there.
#pragma once

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef SELA_IDENTITY_VECTORS
#error "SELA_IDENTITY_VECTORS must name tests/data/identity/v2_vectors.json"
#endif

namespace sela::auth::testing {

inline const boost::json::object& Vectors() {
  static const boost::json::object doc = [] {
    std::ifstream in(SELA_IDENTITY_VECTORS);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text.str(), ec);
    if (!in || ec || !v.is_object()) {
      std::fprintf(stderr, "cannot read %s (run scripts/gen-identity-vectors.sh)\n", SELA_IDENTITY_VECTORS);
      std::abort();
    }
    return v.as_object();
  }();
  return doc;
}

}  // namespace sela::auth::testing
