package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
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

  @Property
  void damm32_detectsEverySingleSubstitution(
      @ForAll @Size(min = 1, max = 30) List<@IntRange(max = 31) Integer> data,
      @ForAll @IntRange(max = 1000) int where,
      @ForAll @IntRange(min = 1, max = 31) int delta) {
    int[] symbols = withCheck32(data);
    int i = where % symbols.length;
    symbols[i] ^= delta;
    assertThat(CheckCharacters.damm32(symbols, symbols.length)).isNotZero();
  }

  @Property
  void damm32_detectsEveryAdjacentTransposition(
      @ForAll @Size(min = 1, max = 30) List<@IntRange(max = 31) Integer> data,
      @ForAll @IntRange(max = 1000) int where) {
    int[] symbols = withCheck32(data);
    int i = where % (symbols.length - 1);
    if (symbols[i] == symbols[i + 1]) {
      return;
    }
    int t = symbols[i];
    symbols[i] = symbols[i + 1];
    symbols[i + 1] = t;
    assertThat(CheckCharacters.damm32(symbols, symbols.length)).isNotZero();
  }

  @Property
  void damm10_detectsEverySingleSubstitutionAndAdjacentTransposition(
      @ForAll @Size(min = 1, max = 14) List<@IntRange(max = 9) Integer> data,
      @ForAll @IntRange(max = 1000) int where,
      @ForAll @IntRange(min = 1, max = 9) int delta) {
    int[] digits = new int[data.size() + 1];
    for (int k = 0; k < data.size(); k++) {
      digits[k] = data.get(k);
    }
    digits[data.size()] = CheckCharacters.damm10CheckDigit(digits, data.size());
    assertThat(CheckCharacters.damm10(digits, digits.length)).isZero();

    int[] substituted = digits.clone();
    int i = where % digits.length;
    substituted[i] = (substituted[i] + delta) % 10;
    assertThat(CheckCharacters.damm10(substituted, substituted.length)).isNotZero();

    int j = where % (digits.length - 1);
    if (digits[j] != digits[j + 1]) {
      int[] swapped = digits.clone();
      swapped[j] = digits[j + 1];
      swapped[j + 1] = digits[j];
      assertThat(CheckCharacters.damm10(swapped, swapped.length)).isNotZero();
    }
  }

  private static int[] withCheck32(List<Integer> data) {
    int[] symbols = new int[data.size() + 1];
    for (int k = 0; k < data.size(); k++) {
      symbols[k] = data.get(k);
    }
    symbols[data.size()] = CheckCharacters.damm32CheckSymbol(symbols, data.size());
    assertThat(CheckCharacters.damm32(symbols, symbols.length)).isZero();
    return symbols;
  }
}
