package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class PrintableTest {
  private static final String UNICODE = "CN=K\u00fcche-Pi, O=\u6771\u4eac \ud83d\ude00";

  @ParameterizedTest
  @ValueSource(
      strings = {
        UNICODE,
        "\u001b[2Jred\ntwo\u0000",
        "a\\x0a literal, a \\\\ doubled",
        "evil\u202egnp.exe\ud800\udb40\udc01",
        "plain"
      })
  void unescaped_undoesEscaped(String text) {
    assertThat(Printable.unescaped(Printable.escaped(text))).isEqualTo(text);
    assertThat(Printable.unescaped(Printable.escaped(text, c -> true))).isEqualTo(text);
  }

  @ParameterizedTest
  @CsvSource({
    "'a\\q', 'a\\q'", // no escape of the rule
    "'\\x4', '\\x4'", // too short
    "'\\xZZ!', '\\xZZ!'", // not hex
    "'\\XFF', '\\XFF'", // upper-case x is no escape
    "'\\U7fffffff', '\\U7fffffff'", // not a code point
    "'end\\', 'end\\'",
    "'\\x41\\u00e9\\U0001f600\\\\', 'A\u00e9\ud83d\ude00\\'"
  })
  void unescaped_leavesWhatIsNoEscapeAsItIs(String text, String plain) {
    assertThat(Printable.unescaped(text)).isEqualTo(plain);
  }

  @Test
  void escaped_printableUnicodeTheDestinationShows_isUnchanged() {
    assertThat(Printable.escaped(UNICODE, c -> true)).isEqualTo(UNICODE);
  }

  @Test
  void escaped_printableAscii_isUnchanged() {
    assertThat(Printable.escaped("CN=kitchen-pi, O=Home ~!@#$%^&*()"))
        .isEqualTo("CN=kitchen-pi, O=Home ~!@#$%^&*()");
  }

  @ParameterizedTest
  @CsvSource({
    "'\u001b[2J\u001b[31mred', '\\x1b[2J\\x1b[31mred'", // clear screen, colour
    "'two\nlines\r', 'two\\x0alines\\x0d'",
    "'tab\there', 'tab\\x09here'",
    "'nul\u0000', 'nul\\x00'",
    "'del\u007f', 'del\\x7f'",
    "'c1 csi\u009b31m', 'c1 csi\\x9b31m'", // the 8-bit CSI
    "'bell\u0007', 'bell\\x07'",
  })
  void escaped_controlCharacters_areEscapedEvenWhereUnicodeShows(String hostile, String shown) {
    assertThat(Printable.escaped(hostile, c -> true)).isEqualTo(shown);
    assertThat(Printable.escaped(hostile)).isEqualTo(shown);
  }

  @Test
  void escaped_bidiOverrideAndZeroWidth_areEscaped() {
    // "evil\u202Egnp.exe" shows as "evilexe.png" in a terminal that honours the override.
    assertThat(Printable.escaped("evil\u202egnp.exe\u200b", c -> true))
        .isEqualTo("evil\\u202egnp.exe\\u200b");
  }

  @Test
  void escaped_lineAndParagraphSeparators_areEscaped() {
    assertThat(Printable.escaped("a\u2028b\u2029c", c -> true)).isEqualTo("a\\u2028b\\u2029c");
  }

  @Test
  void escaped_privateUseUnassignedAndLoneSurrogates_areEscaped() {
    assertThat(Printable.escaped("\ue000\ud800x\udb40\udc01", c -> true))
        .isEqualTo("\\ue000\\ud800x\\U000e0001");
  }

  @Test
  void escaped_backslash_isDoubledSoAnEscapeIsUnambiguous() {
    String typedEscape = "CN=a\\x0aforged";
    String realNewline = "CN=a\nforged";

    assertThat(Printable.escaped(typedEscape)).isEqualTo("CN=a\\\\x0aforged");
    assertThat(Printable.escaped(realNewline)).isEqualTo("CN=a\\x0aforged");
  }

  @Test
  void escaped_whatTheDestinationCannotShow_isEscapedByCodePoint() {
    assertThat(Printable.escaped(UNICODE))
        .isEqualTo("CN=K\\xfcche-Pi, O=\\u6771\\u4eac \\U0001f600");
    assertThat(Printable.escaped("K\u00fcche \u6771", c -> c < 0x100))
        .isEqualTo("K\u00fcche \\u6771");
  }

  @Test
  void escaped_withLimit_cutsAtTheLimitAndSaysSo() {
    assertThat(Printable.escaped("abcdef", 3)).isEqualTo("abc...");
    assertThat(Printable.escaped("abc", 3)).isEqualTo("abc");
    assertThat(Printable.escaped("", 0)).isEmpty();
  }

  @Test
  void escaped_withLimit_countsCodePointsOfTheInput() {
    assertThat(Printable.escaped("\ud83d\ude00\n\ud83d\ude00", 2)).isEqualTo("\\U0001f600\\x0a...");
  }

  @Test
  void escaped_negativeLimit_fails() {
    assertThatThrownBy(() -> Printable.escaped("a", -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void isPrintable_lettersDigitsAndSpace_areAndControlsAreNot() {
    assertThat(Printable.isPrintable('a')).isTrue();
    assertThat(Printable.isPrintable(' ')).isTrue();
    assertThat(Printable.isPrintable(0x00fc)).isTrue();
    assertThat(Printable.isPrintable('\n')).isFalse();
    assertThat(Printable.isPrintable(0x202e)).isFalse();
    assertThat(Printable.isPrintable(0xe000)).isFalse();
  }
}
