// The file settings (FILE_*, RESULT_INLINE_BYTES_MAX; docs/CONFIGURATION.md).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/config.h"

namespace sela {
namespace {

// Error message of LoadConfig(vars), or "" when it succeeds.
std::string ErrorOf(const EnvMap& vars) {
  const Result<Config> config = LoadConfig(vars);
  if (config.has_value()) return "";
  EXPECT_EQ(config.error().code(), Code::kInvalidArgument);
  return config.error().message();
}

TEST(LoadConfig, FileSettingsHaveTheDocumentedDefaultsAndAreRead) {
  const Result<Config> defaults = LoadConfig({});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->files, FileConfig{});
  EXPECT_EQ(defaults->files.file_bytes_max, uint64_t{1} << 30);
  EXPECT_EQ(defaults->files.chunk_bytes_max, uint64_t{16} << 20);
  EXPECT_EQ(defaults->files.open_uploads_max, 16u);
  EXPECT_EQ(defaults->files.upload_ttl_ms, 3'600'000u);
  const Result<Config> config = LoadConfig({{"FILE_BYTES_MAX", "5000"}, {"FILE_CHUNK_BYTES_MAX", "2048"},
                                            {"FILE_CHUNKS_MAX", "7"}, {"FILE_OPEN_UPLOADS_MAX", "3"},
                                            {"FILE_NODE_BYTES_MAX", "9000"}, {"FILE_UPLOAD_TTL_MS", "5000"},
                                            {"FILE_IO_THREADS", "4"}, {"RESULT_INLINE_BYTES_MAX", "0"}});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  EXPECT_EQ(config->files, (FileConfig{.file_bytes_max = 5000, .chunk_bytes_max = 2048, .chunks_max = 7,
                                       .open_uploads_max = 3, .node_bytes_max = 9000, .upload_ttl_ms = 5000,
                                       .io_threads = 4, .result_inline_bytes_max = 0}));
}

TEST(LoadConfig, BadFileSettingsNameTheirVariable) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"FILE_BYTES_MAX", "0"}, {"FILE_CHUNK_BYTES_MAX", "1023"}, {"FILE_CHUNKS_MAX", "0"},
           {"FILE_OPEN_UPLOADS_MAX", "x"}, {"FILE_NODE_BYTES_MAX", "-1"}, {"FILE_UPLOAD_TTL_MS", "999"},
           {"FILE_IO_THREADS", "65"}, {"RESULT_INLINE_BYTES_MAX", "2000000000"}}) {
    EXPECT_NE(ErrorOf({{name, value}}).find(name), std::string::npos) << name << "=" << value;
  }
}

}  // namespace
}  // namespace sela
