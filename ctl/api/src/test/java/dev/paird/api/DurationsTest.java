package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class DurationsTest {

  @ParameterizedTest
  @CsvSource({"45, PT45S", "45s, PT45S", "5m, PT5M", "1h, PT1H", "2H, PT2H", "' 90s ', PT1M30S"})
  void parse_acceptsUnits(String text, Duration expected) {
    assertThat(Durations.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"''", "m", "-5s", "5d", "1.5h", "9999999999s", "5 m", "５m", "١٦", "4٥s"})
  void parse_refusesOtherForms(String text) {
    assertThat(Durations.parse(text)).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "PT0S, 0s",
    "PT45S, 45s",
    "PT90S, 90s",
    "PT5M, 5m",
    "PT1H, 1h",
    "PT3H, 3h",
    "PT1H30M, 90m"
  })
  void format_usesTheLargestWholeUnit(Duration duration, String expected) {
    assertThat(Durations.format(duration)).isEqualTo(expected);
  }
}
