package dev.paird.api;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A 128-bit key for the {@link Suite#HMAC} suite, typed as 26 Crockford base-32 symbols and a Damm
 * check symbol, in groups of four: {@code 0ABC-DEFG-HJKM-NPQR-STVW-XYZ0-128}.
 *
 * <p>The literal scheme lets anyone who impersonates the other device test guesses of the key
 * offline, so this class refuses any key that is not exactly 16 bytes. Short codes belong to {@link
 * Suite#SPAKE2}.
 */
public final class HmacCode implements PairingCode {
  /** Key length in bytes. */
  public static final int KEY_BYTES = 16;

  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  static final int DATA_SYMBOLS = 26; // ceil(128 / 5); the two leading bits are zero
  static final int TYPED_LENGTH = DATA_SYMBOLS + 1;
  private static final int GROUP = 4;

  private final SecretBytes key;

  private HmacCode(byte[] key) {
    this.key = SecretBytes.adopt(key);
  }

  /** A fresh random key. */
  public static HmacCode generate(SecureRandom random) {
    byte[] key = new byte[KEY_BYTES];
    random.nextBytes(key);
    return new HmacCode(key);
  }

  /**
   * A key from raw bytes (copied).
   *
   * @throws PairdException if the key is not 16 bytes; the message explains why short keys are
   *     refused for this suite
   */
  public static HmacCode create(byte[] key) throws PairdException {
    if (key.length != KEY_BYTES) {
      throw new PairdException(
          ErrorCode.MALFORMED_KEY,
          "hmac key must be 16 bytes (128 bits), not "
              + key.length
              + ": whoever impersonates the other device receives m1 and can test guesses of a"
              + " shorter key offline. For short codes use the spake2 suite.");
    }
    return new HmacCode(key.clone());
  }

  @Override
  public Suite suite() {
    return Suite.HMAC;
  }

  /** A copy of the 16 key bytes; the caller wipes it when done. */
  public byte[] keyBytes() {
    return key.copy();
  }

  @Override
  public byte[] formatAscii() {
    int[] symbols = new int[TYPED_LENGTH];
    for (int i = 0; i < DATA_SYMBOLS; i++) {
      int value = 0;
      for (int b = 0; b < 5; b++) {
        value = (value << 1) | bit(5 * i + b - 2);
      }
      symbols[i] = value;
    }
    symbols[DATA_SYMBOLS] = CheckCharacters.damm32CheckSymbol(symbols, DATA_SYMBOLS);
    byte[] out = new byte[TYPED_LENGTH + (TYPED_LENGTH - 1) / GROUP];
    int at = 0;
    for (int i = 0; i < TYPED_LENGTH; i++) {
      if (i > 0 && i % GROUP == 0) {
        out[at++] = '-';
      }
      out[at++] = (byte) ALPHABET.charAt(symbols[i]);
    }
    Arrays.fill(symbols, 0);
    return out;
  }

  private int bit(int position) {
    if (position < 0) {
      return 0;
    }
    return (key.get(position >>> 3) >>> (7 - (position & 7))) & 1;
  }

  /** Parses upper-cased symbols with separators already removed. */
  static HmacCode parseSymbols(char[] typed, int length) throws PairdException {
    if (length != TYPED_LENGTH) {
      throw new PairdException(
          ErrorCode.MALFORMED_KEY,
          "not a pairing key: it has "
              + length
              + " characters (dashes and spaces aside); "
              + PairingCode.FORMATS);
    }
    int[] symbols = new int[TYPED_LENGTH];
    byte[] key = new byte[KEY_BYTES];
    try {
      for (int i = 0; i < TYPED_LENGTH; i++) {
        int value = decodeSymbol(typed[i]);
        if (value < 0) {
          throw new PairdException(
              ErrorCode.MALFORMED_KEY,
              "hmac key: character "
                  + (i + 1)
                  + " is not one of 0-9 and A-Z without U (O, I and L are read as 0, 1 and 1)");
        }
        symbols[i] = value;
      }
      if (CheckCharacters.damm32(symbols, TYPED_LENGTH) != 0) {
        throw new PairdException(
            ErrorCode.MALFORMED_KEY,
            "hmac key: the check character does not match, so the key was mistyped;"
                + " compare it with the one shown on the other device");
      }
      if (symbols[0] >= 8) {
        throw new PairdException(
            ErrorCode.MALFORMED_KEY, "hmac key: the first character must be 0-7");
      }
      for (int i = 0; i < DATA_SYMBOLS; i++) {
        for (int b = 0; b < 5; b++) {
          int position = 5 * i + b - 2;
          if (position >= 0 && ((symbols[i] >>> (4 - b)) & 1) != 0) {
            key[position >>> 3] |= (byte) (0x80 >>> (position & 7));
          }
        }
      }
      return new HmacCode(key.clone());
    } finally {
      Arrays.fill(symbols, 0);
      Arrays.fill(key, (byte) 0);
    }
  }

  private static int decodeSymbol(char c) {
    switch (c) {
      case 'O':
        return 0;
      case 'I':
      case 'L':
        return 1;
      default:
        return ALPHABET.indexOf(c);
    }
  }

  @Override
  public void destroy() {
    key.destroy();
  }

  @Override
  public boolean isDestroyed() {
    return key.isDestroyed();
  }

  @Override
  public String toString() {
    return "HmacCode[redacted]";
  }
}
