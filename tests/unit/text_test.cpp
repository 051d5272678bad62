#include "directord/text.hpp"

#include <gtest/gtest.h>

using directord::text::is_printable;
using directord::text::printable;

TEST(Text, ValidTextIsKept) {
    for (std::string s : {"", "exit 1: not ready", "tab\tand\nnewline", "caf\xC3\xA9 \xE2\x82\xAC",
                          "\xF0\x9F\x98\x80", "\xEF\xBF\xBD"}) {
        EXPECT_TRUE(is_printable(s)) << s;
        EXPECT_EQ(printable(s), s);
    }
}

TEST(Text, InvalidBytesAndControlsBecomeReplacementCharacters) {
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(printable("\xFF\xFE ok"), r + r + " ok");
    EXPECT_EQ(printable("a\xC0\xAF"), "a" + r + r);           // overlong '/'
    EXPECT_EQ(printable("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
    EXPECT_EQ(printable("\xF4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
    EXPECT_EQ(printable("cut \xE2\x82"), "cut " + r + r);     // truncated sequence
    EXPECT_EQ(printable(std::string("nul\0bell\a\x1B[31m", 14)),
              "nul" + r + "bell" + r + r + "[31m");
    EXPECT_EQ(printable("\xC2\x85"), r + r);  // C1 control NEL
    for (std::string s : {"\xFF", "\xC0\xAF", "a\x7F", "\x1B"}) EXPECT_FALSE(is_printable(s)) << s;
    EXPECT_TRUE(is_printable(printable("\xFF\xFE\xC0 \xE2\x82")));
}
