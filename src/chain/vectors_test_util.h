// Access to tests/data/ic/vectors.json (written by tools/ic-vectors with the
// IC's JavaScript agent) for the chain tests.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "codec/hex.h"

namespace sela::chain::testing {

inline const boost::json::value& Vectors() {
  static const boost::json::value vectors = [] {
    std::ifstream in(std::string(SELA_IC_TEST_DATA) + "/vectors.json");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return boost::json::parse(buffer.str());
  }();
  return vectors;
}

// The string at a path of object keys, e.g. Vector({"candid", "transfer_full"}).
inline std::string Vector(std::initializer_list<std::string_view> path) {
  const boost::json::value* v = &Vectors();
  for (std::string_view key : path) v = &v->as_object().at(key);
  return std::string(v->as_string());
}

// The same, hex-decoded.
inline std::string VectorBytes(std::initializer_list<std::string_view> path) {
  return codec::HexDecode(Vector(path)).value();
}

inline std::string Bytes(std::string_view hex) { return codec::HexDecode(hex).value(); }

}  // namespace sela::chain::testing
