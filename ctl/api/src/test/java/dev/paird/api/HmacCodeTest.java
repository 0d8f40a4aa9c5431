package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Locale;
import org.junit.jupiter.api.Test;

final class HmacCodeTest {

  @Test
  void formatThenParse_roundTrips() throws Exception {
    RandomCases.run(
        1000,
        random -> {
          byte[] key = new byte[16];
          random.nextBytes(key);
          HmacCode code = HmacCode.create(key);
          String typed = code.format();

          PairingCode parsed = PairingCode.parse(typed);

          assertThat(parsed).isInstanceOf(HmacCode.class);
          assertThat(((HmacCode) parsed).keyBytes()).isEqualTo(key);
          assertThat(typed)
              .matches(
                  "[0-7][0-9A-HJKMNP-TV-Z]{3}(-[0-9A-HJKMNP-TV-Z]{4}){5}-[0-9A-HJKMNP-TV-Z]{3}");
        });
  }

  @Test
  void format_edgeKeys_roundTrip() throws Exception {
    byte[] zeros = new byte[16];
    byte[] ones = new byte[16];
    java.util.Arrays.fill(ones, (byte) 0xff);
    for (byte[] key : new byte[][] {zeros, ones}) {
      assertThat(((HmacCode) PairingCode.parse(HmacCode.create(key).format())).keyBytes())
          .isEqualTo(key);
    }
  }

  @Test
  void parse_isCaseInsensitiveAndIgnoresSeparators() throws Exception {
    HmacCode code = HmacCode.generate(new SecureRandom());
    String typed = code.format();

    String sloppy = " " + typed.toLowerCase(Locale.ROOT).replace("-", " ") + " ";

    assertThat(((HmacCode) PairingCode.parse(sloppy)).keyBytes()).isEqualTo(code.keyBytes());
  }

  @Test
  void parse_readsConfusableLettersAsDigits() throws Exception {
    byte[] key = new byte[16]; // all zeros except a one: symbols 0 and 1 appear
    key[15] = 1;
    HmacCode code = HmacCode.create(key);
    String typed = code.format();
    assertThat(typed).contains("0").endsWith("1" + typed.charAt(typed.length() - 1));

    String confused = typed.replace('0', 'O').replaceFirst("1", "l");

    assertThat(((HmacCode) PairingCode.parse(confused)).keyBytes()).isEqualTo(key);
  }

  @Test
  void parse_everySingleCharacterTypo_isCaught() {
    String typed = HmacCode.generate(new SecureRandom()).format().replace("-", "");
    for (int i = 0; i < typed.length(); i++) {
      for (char c : HmacCode.ALPHABET.toCharArray()) {
        if (c == typed.charAt(i)) {
          continue;
        }
        String typo = typed.substring(0, i) + c + typed.substring(i + 1);
        assertThatThrownBy(() -> PairingCode.parse(typo))
            .isInstanceOf(PairdException.class)
            .satisfies(
                e -> assertThat(((PairdException) e).code()).isEqualTo(ErrorCode.MALFORMED_KEY));
      }
    }
  }

  @Test
  void parse_everyAdjacentSwap_isCaught() {
    String typed = HmacCode.generate(new SecureRandom()).format().replace("-", "");
    for (int i = 0; i + 1 < typed.length(); i++) {
      if (typed.charAt(i) == typed.charAt(i + 1)) {
        continue;
      }
      String swapped =
          typed.substring(0, i) + typed.charAt(i + 1) + typed.charAt(i) + typed.substring(i + 2);
      assertThatThrownBy(() -> PairingCode.parse(swapped))
          .isInstanceOf(PairdException.class)
          .hasMessageContaining("mistyped");
    }
  }

  @Test
  void parse_typo_messageNeverEchoesTheKey() {
    String typed = HmacCode.generate(new SecureRandom()).format();
    String wrongFirst = (typed.charAt(0) == 'A' ? 'B' : 'A') + typed.substring(1);
    String typo = typed.substring(0, 5) + (typed.charAt(5) == 'Z' ? 'Y' : 'Z') + typed.substring(6);

    for (String bad : new String[] {typo, wrongFirst, typed + "X", typed.substring(2)}) {
      assertThatThrownBy(() -> PairingCode.parse(bad))
          .isInstanceOf(PairdException.class)
          .satisfies(
              e ->
                  assertThat(e.getMessage())
                      .doesNotContain(typed.substring(5, 14))
                      .doesNotContain(typed.replace("-", "").substring(3, 12)));
    }
  }

  @Test
  void parse_wrongLength_saysWhatTheFormatIs() {
    assertThatThrownBy(() -> PairingCode.parse("ABCD-EFGH"))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining("8 characters (dashes and spaces aside); a spake2 code is")
        .hasMessageContaining("an hmac key is 27 letters and digits");
  }

  @Test
  void parse_letterU_isNotInTheAlphabet() {
    String typed = HmacCode.generate(new SecureRandom()).format();
    String withU = typed.substring(0, 6) + "U" + typed.substring(7);

    assertThatThrownBy(() -> PairingCode.parse(withU))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining("character 6");
  }

  /**
   * Only ASCII letters are read case-insensitively: the dotless ı and the long ſ, which Java upper
   * cases to I and S, are refused, as an implementation following PROTOCOL.md refuses them.
   */
  @Test
  void parse_nonAsciiLettersThatUpperCaseToAscii_areRefused() throws Exception {
    byte[] key = new byte[16];
    key[15] = 1; // the last data symbol is 1
    String typed = HmacCode.create(key).format();
    int one = typed.length() - 2;
    assertThat(typed.charAt(one)).isEqualTo('1');
    String withI = typed.substring(0, one) + "i" + typed.substring(one + 1);
    assertThat(((HmacCode) PairingCode.parse(withI)).keyBytes()).isEqualTo(key);

    for (char lookalike : new char[] {'\u0131', '\u017f'}) {
      String typedWith = typed.substring(0, one) + lookalike + typed.substring(one + 1);
      assertThatThrownBy(() -> PairingCode.parse(typedWith))
          .isInstanceOf(PairdException.class)
          .hasMessageContaining("character 26 ");
    }
  }

  @Test
  void create_shortKey_isRefusedWithTheReason() {
    assertThatThrownBy(() -> HmacCode.create(new byte[6]))
        .isInstanceOf(PairdException.class)
        .hasMessageContaining("hmac key must be 16 bytes (128 bits), not 6")
        .hasMessageContaining("offline")
        .hasMessageContaining("spake2");
  }

  @Test
  void toString_neverShowsTheKey() {
    HmacCode code = HmacCode.generate(new SecureRandom());

    assertThat(code.toString()).isEqualTo("HmacCode[redacted]");
  }

  @Test
  void destroy_wipesAndDisablesTheKey() {
    HmacCode code = HmacCode.generate(new SecureRandom());

    code.destroy();

    assertThat(code.isDestroyed()).isTrue();
    assertThatThrownBy(code::keyBytes).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(code::format).isInstanceOf(IllegalStateException.class);
  }
}
