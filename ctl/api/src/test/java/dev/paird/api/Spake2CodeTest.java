package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class Spake2CodeTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void formatThenParse_roundTrips() throws Exception {
    for (int digits = Spake2Code.MIN_SECRET_DIGITS;
        digits <= Spake2Code.MAX_SECRET_DIGITS;
        digits++) {
      for (int slot = 0; slot < Spake2Code.SLOTS; slot++) {
        Spake2Code code = Spake2Code.generate(RANDOM, slot, digits);

        PairingCode parsed = PairingCode.parse(code.format());

        assertThat(parsed).isInstanceOf(Spake2Code.class);
        Spake2Code back = (Spake2Code) parsed;
        assertThat(back.slot()).isEqualTo(slot);
        assertThat(back.secretDigits()).isEqualTo(code.secretDigits());
      }
    }
  }

  @Test
  void format_eightDigits_looksLikeTheDocumentedExample() {
    Spake2Code code = Spake2Code.create(42, "12345670".getBytes(StandardCharsets.US_ASCII));

    assertThat(code.format()).matches("42-1234-5670-[0-9]");
  }

  @Test
  void parse_everySingleDigitTypoAndAdjacentSwap_isCaught() {
    String typed = Spake2Code.generate(RANDOM, 7, 8).format().replace("-", "");
    for (int i = 0; i < typed.length(); i++) {
      for (char c = '0'; c <= '9'; c++) {
        if (c != typed.charAt(i)) {
          String typo = typed.substring(0, i) + c + typed.substring(i + 1);
          assertThatThrownBy(() -> PairingCode.parse(typo))
              .isInstanceOf(PairdException.class)
              .hasMessageContaining("check digit");
        }
      }
      if (i + 1 < typed.length() && typed.charAt(i) != typed.charAt(i + 1)) {
        String swapped =
            typed.substring(0, i) + typed.charAt(i + 1) + typed.charAt(i) + typed.substring(i + 2);
        assertThatThrownBy(() -> PairingCode.parse(swapped)).isInstanceOf(PairdException.class);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"12345678", "87654321", "00000000", "99999999", "78901234", "21098765"})
  void isTrivial_refusesGuessableSecrets(String secret) {
    assertThat(Spake2Code.isTrivial(secret.getBytes(StandardCharsets.US_ASCII))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"12345670", "11111112", "13579246", "90210000"})
  void isTrivial_acceptsOrdinarySecrets(String secret) {
    assertThat(Spake2Code.isTrivial(secret.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void generate_neverIssuesTrivialSecrets() {
    // A random source that would produce "111111" forever is redrawn until it does not.
    SecureRandom ones =
        new SecureRandom() {
          private static final long serialVersionUID = 1L;
          private int calls;

          @Override
          public int nextInt(int bound) {
            return calls++ < 6 ? 1 : RANDOM.nextInt(bound);
          }
        };

    Spake2Code code = Spake2Code.generate(ones, 3, 6);

    assertThat(Spake2Code.isTrivial(code.secretDigits())).isFalse();
  }

  @Test
  void parse_tooFewOrTooManyDigits_saysWhatTheFormatIs() {
    assertThatThrownBy(() -> PairingCode.parse("12-3456"))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining(
            "6 digits (dashes and spaces aside); a spake2 code is 9 to 13 digits");
    assertThatThrownBy(() -> PairingCode.parse("12345678901234"))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining("14 digits");
  }

  @Test
  void parse_blank_saysNoKeyGiven() {
    assertThatThrownBy(() -> PairingCode.parse("  "))
        .isInstanceOf(PairdException.class)
        .hasMessageStartingWith("no key given");
  }

  @Test
  void toString_showsSlotButNotSecret() {
    Spake2Code code = Spake2Code.create(42, "90210000".getBytes(StandardCharsets.US_ASCII));

    assertThat(code.toString()).contains("42").doesNotContain("9021");
  }

  @Test
  void destroy_wipesTheSecret() {
    Spake2Code code = Spake2Code.generate(RANDOM, 1, 8);

    code.destroy();

    assertThatThrownBy(code::secretDigits).isInstanceOf(IllegalStateException.class);
  }
}
