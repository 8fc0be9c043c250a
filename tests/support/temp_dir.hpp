// A fresh directory for a test's files (configurations, certificates),
// removed with its contents at the end of the test. Header-only; the test
// thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace statekeeper::test {

/// A fresh directory, removed with its contents at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    auto pattern =
        (std::filesystem::temp_directory_path() / "statekeeper-test-XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) != nullptr)
      path_ = pattern;
  }

  ~temp_dir() {
    std::error_code ignored;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ignored);
  }

  std::string file(const std::string& name) const { return path_ + "/" + name; }

  /// Writes `content` into the file `name`; returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream{file(name), std::ios::binary} << content;
    return file(name);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

} // namespace statekeeper::test
