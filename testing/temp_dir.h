// A fresh directory under $TMPDIR (or /tmp), removed with its contents when the
// TempDir is destroyed, unless MINIK8S_KEEP_TEST_DIRS is set (for debugging).
#ifndef MINIK8S_TESTING_TEMP_DIR_H_
#define MINIK8S_TESTING_TEMP_DIR_H_

#include <string>

namespace minik8s::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace minik8s::testing

#endif  // MINIK8S_TESTING_TEMP_DIR_H_
