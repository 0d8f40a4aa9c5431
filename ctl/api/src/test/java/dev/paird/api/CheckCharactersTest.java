package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

final class CheckCharactersTest {

  @Test
  void damm10_knownExample() {
    // The worked example from Damm's algorithm's description: 572 has check digit 4.
    assertThat(CheckCharacters.damm10CheckDigit(new int[] {5, 7, 2}, 3)).isEqualTo(4);
    assertThat(CheckCharacters.damm10(new int[] {5, 7, 2, 4}, 4)).isZero();
  }

  @Test
  void gf32_operationIsTotallyAntiSymmetricQuasigroup() {
    for (int c = 0; c < 32; c++) {
      boolean[] rowSeen = new boolean[32];
      boolean[] columnSeen = new boolean[32];
      for (int x = 0; x < 32; x++) {
        rowSeen[op(c, x)] = true;
        columnSeen[op(x, c)] = true;
        for (int y = 0; y < 32; y++) {
          if (x != y) {
            assertThat(op(op(c, x), y)).isNotEqualTo(op(op(c, y), x));
          }
        }
      }
      for (int v = 0; v < 32; v++) {
        assertThat(rowSeen[v]).isTrue();
        assertThat(columnSeen[v]).isTrue();
      }
    }
  }

  /** The quasigroup operation the base-32 fold applies per symbol. */
  private static int op(int x, int y) {
    return CheckCharacters.gf32Double(x) ^ y;
  }

  @Test
  void damm32_detectsEverySingleSubstitution() throws Exception {
    RandomCases.run(
        2000,
        random -> {
          int[] symbols = withCheck32(RandomCases.symbols(random, 1 + random.nextInt(30), 32));
          int i = random.nextInt(symbols.length);
          symbols[i] ^= 1 + random.nextInt(31);
          assertThat(CheckCharacters.damm32(symbols, symbols.length)).isNotZero();
        });
  }

  @Test
  void damm32_detectsEveryAdjacentTransposition() throws Exception {
    RandomCases.run(
        2000,
        random -> {
          int[] symbols = withCheck32(RandomCases.symbols(random, 1 + random.nextInt(30), 32));
          int i = random.nextInt(symbols.length - 1);
          if (symbols[i] != symbols[i + 1]) {
            int t = symbols[i];
            symbols[i] = symbols[i + 1];
            symbols[i + 1] = t;
            assertThat(CheckCharacters.damm32(symbols, symbols.length)).isNotZero();
          }
        });
  }

  @Test
  void damm10_detectsEverySingleSubstitutionAndAdjacentTransposition() throws Exception {
    RandomCases.run(
        2000,
        random -> {
          int length = 1 + random.nextInt(14);
          int[] digits = new int[length + 1];
          System.arraycopy(RandomCases.symbols(random, length, 10), 0, digits, 0, length);
          digits[length] = CheckCharacters.damm10CheckDigit(digits, length);
          assertThat(CheckCharacters.damm10(digits, digits.length)).isZero();

          int[] substituted = digits.clone();
          int i = random.nextInt(digits.length);
          substituted[i] = (substituted[i] + 1 + random.nextInt(9)) % 10;
          assertThat(CheckCharacters.damm10(substituted, substituted.length)).isNotZero();

          int j = random.nextInt(digits.length - 1);
          if (digits[j] != digits[j + 1]) {
            int[] swapped = digits.clone();
            swapped[j] = digits[j + 1];
            swapped[j + 1] = digits[j];
            assertThat(CheckCharacters.damm10(swapped, swapped.length)).isNotZero();
          }
        });
  }

  private static int[] withCheck32(int[] data) {
    int[] symbols = java.util.Arrays.copyOf(data, data.length + 1);
    symbols[data.length] = CheckCharacters.damm32CheckSymbol(symbols, data.length);
    assertThat(CheckCharacters.damm32(symbols, symbols.length)).isZero();
    return symbols;
  }
}
