package dev.paird.api;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A short numeric code for the {@link Suite#SPAKE2} suite: a public two-digit slot, the secret
 * digits and a Damm check digit, shown as {@code 42-3141-5926-0}.
 *
 * <p>The slot tells the daemon which pending key to run the exchange with, so that several keys can
 * be pending at once. It is chosen independently of the secret and carries no information about it.
 * The check digit covers slot and secret, so a typo anywhere is reported locally and never costs
 * one of the key's attempts.
 */
public final class Spake2Code implements PairingCode {
  /** Slots are 00-99. */
  public static final int SLOTS = 100;

  /** Fewest secret digits a daemon may be configured to issue. */
  public static final int MIN_SECRET_DIGITS = 6;

  /** Most secret digits a daemon may be configured to issue. */
  public static final int MAX_SECRET_DIGITS = 10;

  /** Secret digits issued unless configured otherwise. */
  public static final int DEFAULT_SECRET_DIGITS = 8;

  private static final int SLOT_DIGITS = 2;

  /** Fewest digits a code has, as typed: slot, secret and check digit. */
  static final int MIN_TYPED_DIGITS = SLOT_DIGITS + MIN_SECRET_DIGITS + 1;

  /** Most digits a code has, as typed. */
  static final int MAX_TYPED_DIGITS = SLOT_DIGITS + MAX_SECRET_DIGITS + 1;

  private final int slot;
  private final SecretBytes secret; // ASCII digits

  private Spake2Code(int slot, byte[] secret) {
    this.slot = slot;
    this.secret = SecretBytes.adopt(secret);
  }

  /**
   * A fresh code in the given slot with uniformly random secret digits, redrawn while the secret is
   * trivial (see {@link #isTrivial}).
   */
  public static Spake2Code generate(SecureRandom random, int slot, int secretDigits) {
    checkSlot(slot);
    checkDigitCount(secretDigits);
    byte[] secret = new byte[secretDigits];
    do {
      for (int i = 0; i < secretDigits; i++) {
        secret[i] = (byte) ('0' + random.nextInt(10));
      }
    } while (isTrivial(secret));
    return new Spake2Code(slot, secret);
  }

  /** A code from its slot and ASCII secret digits (copied); for tests and worked examples. */
  public static Spake2Code create(int slot, byte[] secretDigits) {
    checkSlot(slot);
    checkDigitCount(secretDigits.length);
    for (byte b : secretDigits) {
      if (b < '0' || b > '9') {
        throw new IllegalArgumentException("secret digits must be ASCII 0-9");
      }
    }
    return new Spake2Code(slot, secretDigits.clone());
  }

  private static void checkSlot(int slot) {
    if (slot < 0 || slot >= SLOTS) {
      throw new IllegalArgumentException("slot must be 0-99, not " + slot);
    }
  }

  private static void checkDigitCount(int digits) {
    if (digits < MIN_SECRET_DIGITS || digits > MAX_SECRET_DIGITS) {
      throw new IllegalArgumentException(
          "secret digits must be "
              + MIN_SECRET_DIGITS
              + "-"
              + MAX_SECRET_DIGITS
              + ", not "
              + digits);
    }
  }

  /**
   * Whether the secret is one a person might guess first, as Matter refuses them: every digit the
   * same (00000000), or a run that steps by one up or down, wrapping at ten (12345678, 87654321,
   * 78901234). Of the 10^8 eight-digit secrets, 30 are trivial.
   */
  public static boolean isTrivial(byte[] secret) {
    boolean same = true;
    boolean up = true;
    boolean down = true;
    for (int i = 1; i < secret.length; i++) {
      int step = Math.floorMod(secret[i] - secret[i - 1], 10);
      same &= step == 0;
      up &= step == 1;
      down &= step == 9;
    }
    return same || up || down;
  }

  @Override
  public Suite suite() {
    return Suite.SPAKE2;
  }

  /** The public slot, 0-99. */
  public int slot() {
    return slot;
  }

  /** How many secret digits the code has. */
  public int secretLength() {
    return secret.length();
  }

  /** A copy of the secret digits as ASCII bytes; the caller wipes it when done. */
  public byte[] secretDigits() {
    return secret.copy();
  }

  @Override
  public byte[] formatAscii() {
    int[] digits = allDigits();
    int length = secret.length();
    int firstHalf = (length + 1) / 2;
    // slot, dash, secret with a dash in its middle, dash, check digit
    byte[] out = new byte[SLOT_DIGITS + 1 + length + 1 + 1 + 1];
    int at = 0;
    out[at++] = (byte) ('0' + digits[0]);
    out[at++] = (byte) ('0' + digits[1]);
    out[at++] = '-';
    for (int i = 0; i < length; i++) {
      if (i == firstHalf) {
        out[at++] = '-';
      }
      out[at++] = (byte) ('0' + digits[SLOT_DIGITS + i]);
    }
    out[at++] = '-';
    out[at] = (byte) ('0' + CheckCharacters.damm10CheckDigit(digits, digits.length));
    Arrays.fill(digits, 0);
    return out;
  }

  private int[] allDigits() {
    int[] digits = new int[SLOT_DIGITS + secret.length()];
    digits[0] = slot / 10;
    digits[1] = slot % 10;
    for (int i = 0; i < secret.length(); i++) {
      digits[SLOT_DIGITS + i] = secret.get(i) - '0';
    }
    return digits;
  }

  /** Parses ASCII digits with separators already removed: slot, secret, check digit. */
  static Spake2Code parseDigits(char[] typed, int length) throws PairdException {
    int secretLength = length - SLOT_DIGITS - 1;
    if (secretLength < MIN_SECRET_DIGITS || secretLength > MAX_SECRET_DIGITS) {
      throw new PairdException(
          ErrorCode.MALFORMED_KEY,
          "not a pairing key: it has "
              + length
              + " digits (dashes and spaces aside); "
              + PairingCode.FORMATS);
    }
    int[] digits = new int[length];
    byte[] secret = new byte[secretLength];
    try {
      for (int i = 0; i < length; i++) {
        digits[i] = typed[i] - '0';
      }
      if (CheckCharacters.damm10(digits, length) != 0) {
        throw new PairdException(
            ErrorCode.MALFORMED_KEY,
            "spake2 code: the check digit (the last one) does not match, so the code was"
                + " mistyped; compare it with the one shown on the other device");
      }
      for (int i = 0; i < secretLength; i++) {
        secret[i] = (byte) typed[SLOT_DIGITS + i];
      }
      return new Spake2Code(digits[0] * 10 + digits[1], secret.clone());
    } finally {
      Arrays.fill(digits, 0);
      Arrays.fill(secret, (byte) 0);
    }
  }

  @Override
  public void destroy() {
    secret.destroy();
  }

  @Override
  public boolean isDestroyed() {
    return secret.isDestroyed();
  }

  @Override
  public String toString() {
    return "Spake2Code[slot=" + slot + ", secret=redacted]";
  }
}
