// The processing log's subject ids: HMAC-SHA256 exactly (RFC 4231 vectors, and OpenSSL's own
// HMAC for keys up to a block), so ids written before and after any change of implementation
// stay the same.
#include "common/base/data_subject_hasher.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base/random.h"

namespace cak::common {
namespace {

TEST(DataSubjectHasherTest, MatchesRfc4231ForKeysLongerThanABlock) {
  const auto hasher = DataSubjectHasher::Create(std::string(131, '\xaa'));
  ASSERT_TRUE(hasher.ok());
  EXPECT_EQ(hasher->HashText("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hasher->HashText("This is a test using a larger than block-size key and a larger than block-size data. "
                             "The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(DataSubjectHasherTest, MatchesOpenSslHmacForBsnsAndText) {
  const std::string key = "a-test-hash-key-that-is-long-enough-32";
  const auto hasher = DataSubjectHasher::Create(key);
  ASSERT_TRUE(hasher.ok());
  for (const std::string text : {"111222333", "", "REPRESENTATIVE|B. Bewind|1017 AB|12A"}) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
         text.size(), mac, &len);
    EXPECT_EQ(hasher->HashText(text), HexEncode(absl::string_view(reinterpret_cast<const char*>(mac), len))) << text;
  }
  EXPECT_EQ(hasher->Hash(*Bsn::Parse("111222333")), hasher->HashText("111222333"));
  // Copies share the key and give the same ids.
  const DataSubjectHasher copy = *hasher;
  EXPECT_EQ(copy.HashText("x"), hasher->HashText("x"));
  EXPECT_FALSE(DataSubjectHasher::Create(std::string(31, 'k')).ok());
}

}  // namespace
}  // namespace cak::common
