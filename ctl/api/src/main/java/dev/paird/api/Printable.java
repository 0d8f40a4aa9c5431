package dev.paird.api;

import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * The one rule for showing text that someone else chose (a peer's subject, a label, a command name
 * a client sent): paird refuses labels and host names with a character that is not printable, and
 * both programs escape such characters in whatever they print, log or write.
 *
 * <p>A code point shows as itself if it is printable (see {@link #isPrintable}) and the destination
 * can show it; every other one is written as a C-style escape of its code point ({@code \x1b},
 * {@code \u202e}, {@code \U000e0001}), and a backslash is doubled, so that an escape in the output
 * always means an escaped character: a subject holding a backslash and {@code x0a} does not read
 * like one holding a line feed. paird's destinations (its log, its error messages, {@code
 * trusted.pem}) take printable ASCII only; pairctl's terminal takes whatever its charset encodes.
 */
public final class Printable {
  private Printable() {}

  /**
   * Whether a code point shows as itself: not a control or formatting character (such as a
   * bidirectional override), not a line break, not a lone surrogate, not unassigned or private.
   */
  public static boolean isPrintable(int codePoint) {
    switch (Character.getType(codePoint)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.SURROGATE:
      case Character.UNASSIGNED:
      case Character.PRIVATE_USE:
        return false;
      default:
        return true;
    }
  }

  private static boolean isAscii(int codePoint) {
    return codePoint < 0x80;
  }

  /**
   * How many code points of a certificate's subject a log line shows. A subject may be tens of
   * kilobytes; journald cuts a line after 48 KiB and shows the rest as an entry of its own, which a
   * subject could then shape into a log line that paird never wrote.
   */
  public static final int SUBJECT_LOG_LIMIT = 256;

  /** {@code text} as printable ASCII: everything else escaped, a backslash doubled. */
  public static String escaped(String text) {
    return escaped(text, Printable::isAscii);
  }

  /**
   * The first {@code limit} code points of {@code text} as printable ASCII, and "..." if there were
   * more: for text a caller sent, which may be of any length.
   */
  public static String escaped(String text, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, not " + limit);
    }
    if (text.codePointCount(0, text.length()) <= limit) {
      return escaped(text);
    }
    return escaped(text.substring(0, text.offsetByCodePoints(0, limit))) + "...";
  }

  /**
   * {@code text} with every code point that is not printable, or that {@code shows} refuses,
   * escaped, and a backslash doubled. {@code shows} says what the destination can display, such as
   * what its charset encodes.
   */
  public static String escaped(String text, IntPredicate shows) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      i += Character.charCount(c);
      if (c == '\\') {
        out.append("\\\\");
      } else if (isPrintable(c) && shows.test(c)) {
        out.appendCodePoint(c);
      } else {
        escape(out, c);
      }
    }
    return out.toString();
  }

  /**
   * Undoes {@link #escaped}: each escape of a code point becomes that code point, and a doubled
   * backslash one backslash. A backslash that begins no escape of this rule stays as it is. For
   * text escaped for one destination (paird's messages are printable ASCII) that another shows by
   * its own lights: pairctl passes the result through {@link #escaped(String, IntPredicate)} again,
   * so what is not printable is escaped once, and the rest shows as itself where it can.
   */
  public static String unescaped(String text) {
    if (text.indexOf('\\') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c != '\\' || i + 1 >= text.length()) {
        out.append(c);
        i++;
        continue;
      }
      char kind = text.charAt(i + 1);
      if (kind == '\\') {
        out.append('\\');
        i += 2;
        continue;
      }
      int digits = kind == 'x' ? 2 : kind == 'u' ? 4 : kind == 'U' ? 8 : 0;
      int codePoint = digits == 0 ? -1 : hex(text, i + 2, digits);
      if (codePoint < 0 || !Character.isValidCodePoint(codePoint)) {
        out.append(c);
        i++;
        continue;
      }
      out.appendCodePoint(codePoint);
      i += 2 + digits;
    }
    return out.toString();
  }

  /** The value of {@code digits} lower-case hex digits at {@code from}, or -1 if there are not. */
  private static int hex(String text, int from, int digits) {
    if (from + digits > text.length()) {
      return -1;
    }
    long value = 0;
    for (int i = from; i < from + digits; i++) {
      char c = text.charAt(i);
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value > Integer.MAX_VALUE ? -1 : (int) value;
  }

  private static void escape(StringBuilder out, int c) {
    if (c < 0x100) {
      out.append(String.format(Locale.ROOT, "\\x%02x", c));
    } else if (c < 0x10000) {
      out.append(String.format(Locale.ROOT, "\\u%04x", c));
    } else {
      out.append(String.format(Locale.ROOT, "\\U%08x", c));
    }
  }
}
