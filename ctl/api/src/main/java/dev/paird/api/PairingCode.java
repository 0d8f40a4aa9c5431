package dev.paird.api;

/**
 * A pairing key in the form a person reads and types. Its suite is recognised from its shape:
 * digits only for {@link Suite#SPAKE2}, 27 letters and digits for {@link Suite#HMAC}.
 *
 * <p>Implementations hold secret material: their {@code toString()} never shows it, and {@link
 * #destroy()} overwrites it once the key is no longer needed. A {@code String} the user typed
 * cannot be wiped; keep it no longer than it takes to parse.
 */
public sealed interface PairingCode permits HmacCode, Spake2Code {

  /** What a well-formed key looks like, for error messages. Never contains a real key. */
  String FORMATS =
      "a spake2 code is 9 to 13 digits such as 42-3141-5926-0 (slot, secret digits, check digit); "
          + "an hmac key is 27 letters and digits such as 0ABC-DEFG-HJKM-NPQR-STVW-XYZ0-128";

  /** The suite this key belongs to. */
  Suite suite();

  /**
   * The key as it should be shown to a person, with its check character and separators. A {@code
   * String} cannot be wiped: code that keeps no copy of a key uses {@link #formatAscii()}.
   */
  default String format() {
    byte[] ascii = formatAscii();
    try {
      return new String(ascii, java.nio.charset.StandardCharsets.US_ASCII);
    } finally {
      java.util.Arrays.fill(ascii, (byte) 0);
    }
  }

  /**
   * {@link #format()} as ASCII bytes in a new array, made without any other copy: the caller wipes
   * it when done.
   */
  byte[] formatAscii();

  /** Overwrites the secret material. The code is unusable afterwards. */
  void destroy();

  /** Whether {@link #destroy()} has been called. */
  boolean isDestroyed();

  /**
   * Parses a key as typed: case, spaces and dashes do not matter, and for hmac keys the letters O,
   * I and L are read as 0, 1 and 1.
   *
   * @throws PairdException with {@link ErrorCode#MALFORMED_KEY} naming what is wrong (length,
   *     character, check character) and the expected formats; the message never echoes the key
   */
  static PairingCode parse(String typed) throws PairdException {
    if (typed == null) {
      throw new PairdException(ErrorCode.MALFORMED_KEY, "no key given: " + FORMATS);
    }
    char[] chars = typed.toCharArray();
    try {
      return parse(chars);
    } finally {
      java.util.Arrays.fill(chars, '\0');
    }
  }

  /**
   * Parses a key as typed, from an array the caller wipes when done (a key read from a terminal,
   * standard input or a file need never be a {@code String}); as {@link #parse(String)}.
   */
  static PairingCode parse(char[] typed) throws PairdException {
    if (typed == null || isBlank(typed)) {
      throw new PairdException(ErrorCode.MALFORMED_KEY, "no key given: " + FORMATS);
    }
    char[] compact = new char[typed.length];
    int length = 0;
    boolean digitsOnly = true;
    try {
      for (int i = 0; i < typed.length; i++) {
        char c = typed[i];
        if (c == '-' || c == ' ' || c == '\t') {
          continue;
        }
        if (c < '0' || c > '9') {
          digitsOnly = false;
        }
        // ASCII only: Character.toUpperCase would read the dotless ı as I (so 1) and the long ſ
        // as S, letters that an implementation following PROTOCOL.md refuses.
        compact[length++] = c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
      }
      if (digitsOnly && length != HmacCode.TYPED_LENGTH) {
        return Spake2Code.parseDigits(compact, length);
      }
      return HmacCode.parseSymbols(compact, length);
    } finally {
      java.util.Arrays.fill(compact, '\0');
    }
  }

  /**
   * Whether {@code text} has the shape of a key, whether or not its check character is right: once
   * dashes, spaces and tabs are dropped, 9 to 13 digits (a spake2 code) or 26 or 27 letters and
   * digits (an hmac key, or one with a character missing). Such text is never repeated in a message
   * or a log line ({@link Echo}): a key typed into the wrong place, with a typo or not, must not be
   * shown to whoever reads them. Text of other shapes may still hold a key's digits (a key with a
   * character too many, say); this catches the likely slips, not every one.
   */
  static boolean hasKeyShape(CharSequence text) {
    return keyShape(text).isPresent();
  }

  /** The suite whose key {@code text} has the shape of ({@link #hasKeyShape}), if any. */
  private static java.util.Optional<Suite> keyShape(CharSequence text) {
    if (text == null) {
      return java.util.Optional.empty();
    }
    int length = 0;
    boolean digitsOnly = true;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '-' || c == ' ' || c == '\t') {
        continue;
      }
      boolean digit = c >= '0' && c <= '9';
      if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) {
        return java.util.Optional.empty();
      }
      digitsOnly &= digit;
      length++;
    }
    boolean shaped =
        digitsOnly
            ? length >= Spake2Code.MIN_TYPED_DIGITS && length <= Spake2Code.MAX_TYPED_DIGITS
            : length == HmacCode.TYPED_LENGTH - 1 || length == HmacCode.TYPED_LENGTH;
    return shaped
        ? java.util.Optional.of(digitsOnly ? Suite.SPAKE2 : Suite.HMAC)
        : java.util.Optional.empty();
  }

  /**
   * Whether {@code host}, as a caller gave it for {@code pair} or {@code ping}, is more likely a
   * key than a host: a spake2 code's shape (no host name is 9 to 13 digits and dashes), or a
   * well-formed hmac key, check character and all. Such a host is refused, never looked up: a
   * lookup would send the key to the name servers.
   */
  static boolean isKeyNotHost(String host) {
    java.util.Optional<Suite> shape = keyShape(host);
    if (shape.isEmpty()) {
      return false;
    }
    if (shape.get() == Suite.SPAKE2) {
      return true;
    }
    // The host is the caller's String already; its parsed copy is wiped.
    char[] typed = host.toCharArray();
    try {
      parse(typed).destroy();
      return true;
    } catch (PairdException e) {
      return false;
    } finally {
      java.util.Arrays.fill(typed, '\0');
    }
  }

  private static boolean isBlank(char[] typed) {
    for (char c : typed) {
      if (!Character.isWhitespace(c)) {
        return false;
      }
    }
    return true;
  }
}
