#include <gtest/gtest.h>

#include "sim/common/time.hpp"

TEST(Time, SecondsRoundTripToPicos) {
  EXPECT_EQ(xpusim::seconds_to_picos(1e-9), 1000u);
  EXPECT_EQ(xpusim::seconds_to_picos(-1.0), 0u);
  EXPECT_DOUBLE_EQ(xpusim::picos_to_seconds(2500), 2.5e-9);
}
