package dev.paird.api;

/**
 * How paird and pairctl repeat text a caller sent (a key id, a host, a command or field name, a
 * fingerprint prefix) in an error message or a log line: its first {@link
 * ControlRequest#ECHO_LIMIT} characters, escaped by {@link Printable}'s rule, unless it has the
 * shape of a pairing key ({@link PairingCode#hasKeyShape}). A key typed into the wrong place, such
 * as {@code pairctl cancel-key} or the host of {@code pairctl pair}, is then named as such and
 * never repeated.
 */
public final class Echo {
  /** What is shown instead of text with the shape of a pairing key. */
  public static final String KEY_SHAPED = "[not shown: it has the shape of a pairing key]";

  private Echo() {}

  /** {@code text} as an error message or a log line may quote it. */
  public static String of(String text) {
    return holdsKeyShape(text) ? KEY_SHAPED : Printable.escaped(text, ControlRequest.ECHO_LIMIT);
  }

  /**
   * Whether {@code text}, or a part of it between other characters than a key's, has the shape of a
   * key: a key given as a host with a port ({@code KEY:7247}, {@code [KEY]:7247}), or as the port
   * ({@code localhost:KEY}), or followed by a word, is as much a key as one given alone.
   */
  static boolean holdsKeyShape(String text) {
    if (text == null) {
      return false;
    }
    return PairingCode.hasKeyShape(text)
        || NOT_KEY_CHARACTERS.splitAsStream(text).anyMatch(PairingCode::hasKeyShape)
        || NOT_KEY_SYMBOLS.splitAsStream(text).anyMatch(PairingCode::hasKeyShape);
  }

  /** Runs of what a key never holds: anything but letters, digits, dashes, spaces and tabs. */
  private static final java.util.regex.Pattern NOT_KEY_CHARACTERS =
      java.util.regex.Pattern.compile("[^0-9A-Za-z \\t-]+");

  /** The same, spaces and tabs included: a key typed in one piece, among words. */
  private static final java.util.regex.Pattern NOT_KEY_SYMBOLS =
      java.util.regex.Pattern.compile("[^0-9A-Za-z-]+");
}
