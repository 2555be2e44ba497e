// Form bodies decode as the query string does.
#include <nodus/form/form.hpp>

#include <gtest/gtest.h>

namespace {

TEST(form, decodes_like_the_query_string) {
    nodus::form f{"a=1&b=hello+world&c=%41%42&d&e=%zz&&b=again&sp%20ace=x%2By&eq=a=b"};
    EXPECT_EQ(f.size(), 8u);
    EXPECT_EQ(f.get("a"), "1");
    EXPECT_EQ(f.get("b"), "hello world");
    EXPECT_EQ(f.get("c"), "AB");
    EXPECT_TRUE(f.has("d"));
    EXPECT_EQ(f.get("d"), "");
    EXPECT_EQ(f.get("e"), "%zz");
    EXPECT_EQ(f.get("sp ace"), "x+y");
    EXPECT_EQ(f.get("eq"), "a=b");
    EXPECT_FALSE(f.has("zz"));
    auto all = f.get_all("b");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1], "again");
}

TEST(form, hostile_bodies) {
    EXPECT_EQ(nodus::form{""}.size(), 0u);
    EXPECT_EQ(nodus::form{"&&&"}.size(), 0u);
    nodus::form f{"%=%%&%0=%00&=v&%"};
    EXPECT_EQ(f.get("%"), "%%");
    EXPECT_EQ(f.get("%0"), std::string_view("\0", 1));
    EXPECT_EQ(f.get(""), "v");
    std::string big(1 << 20, 'a');
    big += "=%41";
    EXPECT_EQ(nodus::form{big}.fields()[0].value, "A");
}

} // namespace
