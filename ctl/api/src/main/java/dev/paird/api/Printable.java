package dev.paird.api;

/**
 * Which characters show as themselves. paird refuses labels and host names with any other
 * character; pairctl escapes every other character in what it prints, since subjects come from
 * other devices and are not checked.
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
}
