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
