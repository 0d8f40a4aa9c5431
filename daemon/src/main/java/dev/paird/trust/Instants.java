package dev.paird.trust;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Instants as {@link Instant#toString} writes them into {@code trusted.json}, read without {@code
 * DateTimeFormatter}: its parsing built some 1.6 KB of garbage an instant, a tenth of a 10,000-peer
 * start-up's, two instants a peer.
 */
final class Instants {
  private static final int[] FRACTION_SCALE = {
    100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1
  };

  private Instants() {}

  /**
   * {@link Instant#parse} of {@code text}, if it is {@code YYYY-MM-DDTHH:MM:SS} with an optional
   * fraction of one to nine digits and {@code Z}, a valid date and a time of day without a leap
   * second: every instant paird writes from 0000 to 9999. Null for anything else, which {@link
   * Instant#parse} then reads or refuses as it always did; never a different instant.
   */
  static Instant parseCanonical(String text) {
    int length = text.length();
    if (length < 20
        || length == 21
        || length > 30
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || text.charAt(10) != 'T'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':'
        || text.charAt(length - 1) != 'Z'
        || (length > 20 && text.charAt(19) != '.')) {
      return null;
    }
    int year = digits(text, 0, 4);
    int month = digits(text, 5, 7);
    int day = digits(text, 8, 10);
    int hour = digits(text, 11, 13);
    int minute = digits(text, 14, 16);
    int second = digits(text, 17, 19);
    int fraction = length > 20 ? digits(text, 20, length - 1) : 0;
    if (year < 0
        || month < 0
        || day < 0
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59
        || fraction < 0) {
      return null;
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return null;
    }
    int nanos = length > 20 ? fraction * FRACTION_SCALE[length - 22] : 0;
    return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
  }

  /** The ASCII digits from {@code start} to {@code end} as a number; -1 if any is not one. */
  private static int digits(String text, int start, int end) {
    int value = 0;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
