#include <gtest/gtest.h>

#include "core/iso_duration.h"

using namespace edgeguard;
using namespace std::chrono;

TEST(IsoDuration, ParsesTheTwinDefaults) {
  EXPECT_EQ(parse_iso_duration("PT7M"), Millis(minutes(7)));
  EXPECT_EQ(parse_iso_duration("PT5H"), Millis(hours(5)));
  EXPECT_EQ(parse_iso_duration("PT13H"), Millis(hours(13)));
  EXPECT_EQ(parse_iso_duration("PT1H"), Millis(hours(1)));
}

TEST(IsoDuration, ParsesEveryDesignatorInOrder) {
  EXPECT_EQ(parse_iso_duration("P1Y"), Millis(hours(24 * 365)));
  EXPECT_EQ(parse_iso_duration("P1M"), Millis(hours(24 * 30)));
  EXPECT_EQ(parse_iso_duration("P2W"), Millis(hours(24 * 14)));
  EXPECT_EQ(parse_iso_duration("P1DT12H"), Millis(hours(36)));
  EXPECT_EQ(parse_iso_duration("P1Y1M1W1DT1H1M1S"),
            Millis(hours(24 * (365 + 30 + 7 + 1)) + hours(1) + minutes(1) + seconds(1)));
  EXPECT_EQ(parse_iso_duration("PT0.5S"), Millis(500));
  EXPECT_EQ(parse_iso_duration("PT1.5H"), Millis(minutes(90)));
  EXPECT_EQ(parse_iso_duration("PT10M30.25S"), Millis(630250));
  EXPECT_EQ(parse_iso_duration("PT0S"), Millis(0));
}

TEST(IsoDuration, RejectsWhatTheSchemaPatternRejects) {
  for (const char* bad : {"", "P", "PT", "7M", "pt7m", "PT7", "P1H", "PT1D", "PT1M1H", "P1D1Y", "P1.5DT1H", "PT1.5H2M",
                          "PT.5S", "PT1.S", "P1DT", "PT-1S", " PT1S", "PT1S ", "PT1HX", "P1W1W", "PT1S1S"}) {
    EXPECT_FALSE(parse_iso_duration(bad)) << bad;
  }
}

TEST(IsoDuration, RejectsOverflow) {
  EXPECT_FALSE(parse_iso_duration("P999999999999999999Y"));
  EXPECT_FALSE(parse_iso_duration("P9999999999999999999D"));
}

TEST(IsoDuration, FormatsCanonically) {
  EXPECT_EQ(format_iso_duration(minutes(7)), "PT7M");
  EXPECT_EQ(format_iso_duration(hours(26)), "P1DT2H");
  EXPECT_EQ(format_iso_duration(Millis(1500)), "PT1.5S");
  EXPECT_EQ(parse_iso_duration(format_iso_duration(Millis(123456789))), Millis(123456789));
}
