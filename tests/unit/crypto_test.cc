// Unit tests of server/crypto against published test vectors.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>

#include "crypto/crypto.h"

namespace coalition::crypto::test {
namespace {

// ---------------------------------------------------------------------------
// Sha256 (FIPS 180-2 examples)

TEST(Sha256Test, KnownVectors) {
  struct Case {
    std::string input;
    const char* hex;
  };
  const Case cases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    const std::string digest = Sha256(c.input);
    EXPECT_EQ(digest.size(), 32u);
    EXPECT_EQ(HexEncode(digest), c.hex);
  }
}

TEST(Sha256Test, HashesEmbeddedNulBytes) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(Sha256(with_nul), Sha256("a"));
  EXPECT_NE(Sha256(with_nul), Sha256("ab"));
}

// ---------------------------------------------------------------------------
// HmacSha256 (RFC 4231)

TEST(HmacSha256Test, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(HexEncode(HmacSha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256Test, Rfc4231TestCase2) {
  const std::string digest = HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(digest.size(), 32u);
  EXPECT_EQ(HexEncode(digest),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256Test, Rfc4231TestCase3) {
  const std::string key(20, '\xaa');
  const std::string data(50, '\xdd');
  EXPECT_EQ(HexEncode(HmacSha256(key, data)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256Test, KeyMatters) {
  EXPECT_NE(HmacSha256("key-a", "message"), HmacSha256("key-b", "message"));
  EXPECT_NE(HmacSha256("key", "message-a"), HmacSha256("key", "message-b"));
}

// ---------------------------------------------------------------------------
// HexEncode

TEST(HexEncodeTest, LowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\x7f\x80\xff", 5)), "00017f80ff");
  EXPECT_EQ(HexEncode("AZ"), "415a");
}

// ---------------------------------------------------------------------------
// Base64Url (RFC 4648 §5, no padding)

TEST(Base64UrlTest, Rfc4648Vectors) {
  struct Case {
    std::string data;
    std::string encoded;
  };
  const Case cases[] = {
      {"", ""},
      {"f", "Zg"},
      {"fo", "Zm8"},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg"},
      {"fooba", "Zm9vYmE"},
      {"foobar", "Zm9vYmFy"},
      // The URL alphabet: '-' and '_' where standard base64 has '+' and '/'.
      {"\xfb\xff\xbf", "-_-_"},
      {"\xfb\xff", "-_8"},
      {std::string("\x00\x00\x00", 3), "AAAA"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.encoded);
    EXPECT_EQ(Base64UrlEncode(c.data), c.encoded);
    std::string decoded = "stale";
    ASSERT_TRUE(Base64UrlDecode(c.encoded, decoded));
    EXPECT_EQ(decoded, c.data);
  }
}

TEST(Base64UrlTest, RoundTripsRandomBytesOfEveryLength) {
  std::mt19937 generator(20240501);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t length = 0; length <= 40; ++length) {
    SCOPED_TRACE(length);
    for (int trial = 0; trial < 8; ++trial) {
      std::string data(length, '\0');
      for (char& c : data) c = static_cast<char>(byte(generator));
      const std::string encoded = Base64UrlEncode(data);
      // Unpadded length: ceil(8 * n / 6).
      EXPECT_EQ(encoded.size(), (length * 8 + 5) / 6);
      EXPECT_EQ(encoded.find_first_not_of(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                std::string::npos)
          << encoded;
      std::string decoded;
      ASSERT_TRUE(Base64UrlDecode(encoded, decoded));
      EXPECT_EQ(decoded, data);
    }
  }
}

TEST(Base64UrlTest, DecodeRejectsCharactersOutsideTheAlphabet) {
  const char* inputs[] = {"Zm9v+mFy", "Zm9v/mFy", "Zm9vYg==", "Zm9vYg=", "Zm9 v", "Zm9v\n",
                          "Zm\xC3\xA9", "*"};
  for (const char* input : inputs) {
    SCOPED_TRACE(input);
    std::string decoded;
    EXPECT_FALSE(Base64UrlDecode(input, decoded));
  }
}

TEST(Base64UrlTest, DecodeClearsOutput) {
  std::string decoded = "previous contents";
  ASSERT_TRUE(Base64UrlDecode("", decoded));
  EXPECT_EQ(decoded, "");
}

// ---------------------------------------------------------------------------
// ConstantTimeEquals

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  struct Case {
    std::string a;
    std::string b;
    bool equal;
  };
  const Case cases[] = {
      {"", "", true},
      {"secret", "secret", true},
      {"secret", "secreT", false},
      {"secret", "Secret", false},
      {"secret", "secre", false},
      {"secre", "secret", false},
      {"", "x", false},
      {std::string("a\0b", 3), std::string("a\0b", 3), true},
      {std::string("a\0b", 3), std::string("a\0c", 3), false},
      {std::string(32, '\xff'), std::string(32, '\xff'), true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(HexEncode(c.a) + " vs " + HexEncode(c.b));
    EXPECT_EQ(ConstantTimeEquals(c.a, c.b), c.equal);
  }
}

// ---------------------------------------------------------------------------
// RandomBytes

TEST(RandomBytesTest, ReturnsRequestedLength) {
  for (size_t count : {size_t{0}, size_t{1}, size_t{16}, size_t{32}, size_t{1000}}) {
    EXPECT_EQ(RandomBytes(count).size(), count);
  }
}

TEST(RandomBytesTest, DrawsDiffer) {
  std::set<std::string> draws;
  for (int i = 0; i < 64; ++i) draws.insert(RandomBytes(16));
  EXPECT_EQ(draws.size(), 64u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(RandomBytesTest, NotAllZero) {
  // 1 KiB of zeros from a working CSPRNG has probability 2^-8192.
  EXPECT_NE(RandomBytes(1024), std::string(1024, '\0'));
}

}  // namespace
}  // namespace coalition::crypto::test
