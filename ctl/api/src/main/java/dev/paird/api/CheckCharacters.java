package dev.paird.api;

/**
 * Damm check characters for the two key alphabets, so that a mistyped key is caught on the device
 * it was typed on, before it costs a pairing attempt.
 *
 * <p>Damm's algorithm folds the symbols through a totally anti-symmetric quasigroup and picks the
 * check symbol that brings the fold to zero. It detects every single-symbol substitution and every
 * transposition of two adjacent symbols, including one with the check symbol itself.
 *
 * <ul>
 *   <li>Decimal: the order-10 table from Damm's thesis (the one on Wikipedia).
 *   <li>Base 32: the quasigroup {@code x * y = 2x + y} over GF(2^5) with the primitive polynomial
 *       {@code x^5 + x^2 + 1}. It is a quasigroup because multiplication by 2 is invertible, and
 *       totally anti-symmetric because {@code (c*x)*y - (c*y)*x = 3(x - y)}, which is zero only
 *       when {@code x = y}.
 * </ul>
 */
public final class CheckCharacters {
  private static final int[][] DAMM_10 = {
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
    {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
    {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
    {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
  };

  private CheckCharacters() {}

  /** The Damm fold of decimal digits (values 0-9); zero when a trailing check digit is right. */
  public static int damm10(int[] digits, int length) {
    int interim = 0;
    for (int i = 0; i < length; i++) {
      interim = DAMM_10[interim][digits[i]];
    }
    return interim;
  }

  /** The decimal check digit to append to the first {@code length} digits. */
  public static int damm10CheckDigit(int[] digits, int length) {
    // Damm's table has zeros on its diagonal, so the digit that closes the fold is the fold.
    return damm10(digits, length);
  }

  /** The Damm fold of base-32 symbols (values 0-31); zero when a trailing check symbol is right. */
  public static int damm32(int[] symbols, int length) {
    int interim = 0;
    for (int i = 0; i < length; i++) {
      interim = gf32Double(interim) ^ symbols[i];
    }
    return interim;
  }

  /** The base-32 check symbol to append to the first {@code length} symbols. */
  public static int damm32CheckSymbol(int[] symbols, int length) {
    // Solve 2*interim + c = 0 in GF(32): c = 2*interim (addition is XOR).
    return gf32Double(damm32(symbols, length));
  }

  /** Multiplication by 2 (that is, by x) in GF(2^5) modulo x^5 + x^2 + 1. */
  static int gf32Double(int value) {
    int doubled = value << 1;
    return (doubled & 0x20) != 0 ? (doubled ^ 0x25) : doubled;
  }
}
