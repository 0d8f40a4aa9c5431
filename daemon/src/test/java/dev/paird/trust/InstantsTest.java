package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

final class InstantsTest {
  @Test
  void parseCanonical_whatInstantWrites_isWhatInstantParses() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong(-62_167_219_200L, 253_402_300_800L); // years 0000 to 9999
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      String text = Instant.ofEpochSecond(seconds, nanos).toString();

      assertThat(Instants.parseCanonical(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void parseCanonical_fractionOfAnyLength_isWhatInstantParses() {
    for (String text :
        List.of(
            "2026-03-01T10:00:00.1Z",
            "2026-03-01T10:00:00.12Z",
            "2026-03-01T10:00:00.1234Z",
            "2026-03-01T10:00:00.00000001Z",
            "2026-03-01T10:00:00.000000000Z")) {
      assertThat(Instants.parseCanonical(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void parseCanonical_anythingElse_isLeftToInstantParse() {
    for (String text :
        List.of(
            "",
            "yesterday",
            "2026-02-30T10:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01T23:59:60Z",
            "2026-03-01T10:00:00",
            "2026-03-01T10:00:00.Z",
            "2026-03-01T10:00:00.1234567890Z",
            "2026-03-01T10:00:00+01:00",
            "2026-03-01t10:00:00z",
            "+12026-03-01T10:00:00Z",
            "2026-03-01T10:0a:00Z",
            "2026-03-01T10:00:00,5Z",
            "\u0662026-03-01T10:00:00Z")) {
      assertThat(Instants.parseCanonical(text)).as(text).isNull();
    }
  }
}
