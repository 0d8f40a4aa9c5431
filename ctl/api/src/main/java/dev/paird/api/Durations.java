package dev.paird.api;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations as people write them in paird's config file and on pairctl's command line: a whole
 * number with a unit, {@code 45s}, {@code 5m}, {@code 1h}, or a bare number of seconds.
 */
public final class Durations {
  private Durations() {}

  /** Parses {@code value}; returns null when it is not of the form above. */
  public static Duration parse(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.isEmpty()) {
      return null;
    }
    char unit = v.charAt(v.length() - 1);
    String number = isAsciiDigit(unit) ? v : v.substring(0, v.length() - 1);
    if (number.isEmpty() || number.length() > 9 || !isAsciiDigits(number)) {
      return null;
    }
    long n = Long.parseLong(number);
    switch (unit) {
      case 's':
        return Duration.ofSeconds(n);
      case 'm':
        return Duration.ofMinutes(n);
      case 'h':
        return Duration.ofHours(n);
      default:
        return isAsciiDigit(unit) ? Duration.ofSeconds(n) : null;
    }
  }

  /**
   * Whether {@code text} is one or more of the digits 0-9. {@link Character#isDigit} also takes
   * Arabic-Indic, fullwidth and other digits, which {@link Long#parseLong} then reads as numbers: a
   * value that looks like one number in an editor and means another is refused instead.
   */
  public static boolean isAsciiDigits(String text) {
    return !text.isEmpty() && text.chars().allMatch(Durations::isAsciiDigit);
  }

  private static boolean isAsciiDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /** Writes {@code d} in the largest unit that divides it: {@code 1h}, {@code 5m}, {@code 90s}. */
  public static String format(Duration d) {
    long s = d.toSeconds();
    if (s == 0) {
      return "0s";
    }
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
