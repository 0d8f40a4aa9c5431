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
    return PairingCode.hasKeyShape(text)
        ? KEY_SHAPED
        : Printable.escaped(text, ControlRequest.ECHO_LIMIT);
  }
}
